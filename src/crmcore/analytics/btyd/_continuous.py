"""What the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD)
share: their inputs, as numbers, numpy arrays or summaries."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from crmcore.analytics.btyd._fitting import _Fitted
from crmcore.analytics.btyd._numbers import Count, Time
from crmcore.analytics.btyd._summary import RfmSummary, _unpack

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]


class _ContinuousModel(_Fitted):
    """The public predictions, once: a model implements `_probability_alive`
    and `_expected_purchases` over ``(x, t_x, T)`` as given (scalars or arrays)."""

    def _probability_alive(self, x: object, t_x: object, T: object) -> Any:
        raise NotImplementedError  # pragma: no cover - every model has its own

    def _expected_purchases(self, t: object, x: object, t_x: object, T: object) -> Any:
        raise NotImplementedError  # pragma: no cover - every model has its own

    @overload
    def probability_alive(self, x: RfmSummary) -> float: ...

    @overload
    def probability_alive(self, x: Sequence[RfmSummary] | Mapping[str, RfmSummary]) -> "Array": ...

    @overload
    def probability_alive(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, x: "ArrayLike", t_x: "ArrayLike", T: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_alive(self, x: Count, t_x: Time, T: Time) -> float: ...

    def probability_alive(self, x: Any, t_x: Any = None, T: Any = None) -> Any:
        """P(the customer is still alive | x repeat purchases, the last at t_x, observed for T).

        Scalars (or one `RfmSummary` in place of x, t_x and T) give a float;
        numpy arrays (broadcast together), or a sequence or mapping of
        summaries, an array in their order.
        """
        return self._probability_alive(*_unpack(x, t_x, T))

    @overload
    def expected_purchases(self, t: Time, x: RfmSummary) -> float: ...

    @overload
    def expected_purchases(
        self, t: Time, x: Sequence[RfmSummary] | Mapping[str, RfmSummary]
    ) -> "Array": ...

    @overload
    def expected_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, t: "ArrayLike", x: "ArrayLike", t_x: "ArrayLike", T: "ArrayLike"
    ) -> "Array": ...

    @overload
    def expected_purchases(self, t: Time, x: Count, t_x: Time, T: Time) -> float: ...

    def expected_purchases(self, t: Any, x: Any, t_x: Any = None, T: Any = None) -> Any:
        """E[purchases in the next t units | x, t_x, T] (the conditional expectation).

        Scalars (or one `RfmSummary` in place of x, t_x and T) give a float;
        numpy arrays (broadcast together), or summaries, an array.
        """
        return self._expected_purchases(t, *_unpack(x, t_x, T))
