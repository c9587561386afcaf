"""What the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD)
share: their inputs, as numbers, numpy arrays or summaries."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self, overload

from crmcore.analytics.btyd._fitting import _Fitted, _scipy
from crmcore.analytics.btyd._numbers import Count, Time, _check_customer, _count
from crmcore.analytics.btyd._summary import RfmSummary, Summaries, _rows, _unpack
from crmcore.domain.fields import items_of
from crmcore.errors import ValidationError

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]


Triple = tuple[int, float, float]

_ROWS = "(x, t_x, T, count) tuples: count customers with that x, t_x and T"


def _read_counts(rows: object) -> Counter[Triple]:
    """How many customers have each (x, t_x, T), from ``(x, t_x, T, count)`` rows
    (a triple given twice counts twice)."""
    counts: Counter[Triple] = Counter()
    for row in items_of(rows, "rows", _ROWS):
        if not isinstance(row, tuple | list) or len(row) != 4:
            raise ValidationError("rows", "must contain (x, t_x, T, count) tuples", allowed=_ROWS)
        triple = _check_customer(*row[:3])
        weight = _count(row[3], "count")
        if weight == 0:
            raise ValidationError("count", "is 0", allowed="1 or more customers per row")
        counts[triple] += weight
    if not counts:
        raise ValidationError("rows", "is empty", allowed="at least one row")
    return counts


class _ContinuousModel(_Fitted):
    """The public predictions and fits, once: a model implements
    `_probability_alive` and `_expected_purchases` over ``(x, t_x, T)`` as
    given (scalars or arrays), and `_fit_counts` over distinct triples."""

    @classmethod
    def fit(cls, summary: Summaries) -> Self:
        """Maximum-likelihood parameters for ``summary`` (needs scipy: the
        ``models`` extra), over its distinct (x, t_x, T) rows.

        Raises:
            MissingExtraError: scipy is not installed.
            ValidationError: an empty summary, or one without repeat purchases.
            ConvergenceError: the optimiser did not converge.
        """
        return cls._fit_counts(Counter(_rows(summary)), "summary")

    @classmethod
    def fit_counts(cls, rows: Iterable[tuple[Count, Time, Time, Count]]) -> Self:
        """Maximum-likelihood parameters from ``(x, t_x, T, count)`` rows:
        ``count`` customers with those inputs, as a warehouse query that
        groups a summary gives them. The same fit as `fit` on the summary
        they count (``customers`` is the sum of the counts).

        Raises:
            MissingExtraError: scipy is not installed.
            ValidationError: not such rows (a count below 1, t_x after T, a
                fractional x), none, or none with repeat purchases.
            ConvergenceError: the optimiser did not converge.
        """
        return cls._fit_counts(_read_counts(rows), "rows")

    @classmethod
    def _fit_counts(cls, counts: Counter[Triple], field: str) -> Self:
        raise NotImplementedError  # pragma: no cover - every model has its own

    @staticmethod
    def _columns(counts: Counter[Triple], field: str) -> tuple[Any, ...]:
        """numpy, scipy's optimize and special, and the x, t_x, T and count
        columns of the distinct triples; refused without a repeat purchase."""
        if not any(x > 0 for x, _, _ in counts):
            raise ValidationError(
                field, "has no repeat purchases", allowed="customers with repeat purchases"
            )
        np, optimize, special = _scipy()
        keys = sorted(counts)  # one order, whatever order the customers came in
        columns = [np.array([k[i] for k in keys], dtype=float) for i in range(3)]
        weights = np.array([counts[k] for k in keys], dtype=float)
        return np, optimize, special, *columns, weights

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
