"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV")."""

import math
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Self, overload

import attrs

from crmcore.analytics.btyd._fitting import FitInfo, _fit, _Fitted, _scipy
from crmcore.analytics.btyd._numbers import (
    Count,
    _count,
    _count_array,
    _finite,
    _finite_array,
    _is_array,
    _numpy,
    _p,
    _q,
    _time,
    _time_array,
    _v,
)
from crmcore.analytics.btyd._summary import RfmSummary, _rows
from crmcore.domain.money import Money
from crmcore.errors import (
    ValidationError,
)

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]


# Gamma-Gamma ----------------------------------------------------------------------------


@attrs.frozen
class GammaGamma(_Fitted):
    """The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV") with p, q, v.

    A customer's transaction values are gamma(p, ν) around their own mean,
    with ν gamma(q, v) across customers. The population mean spend is
    p·v/(q−1), finite only for q > 1.
    """

    _parameters: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    p: float = attrs.field(converter=_p)
    q: float = attrs.field(converter=_q)
    v: float = attrs.field(converter=_v)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    def _expected(self, x: int, mean: float) -> float:
        if self.q <= 1:
            raise ValidationError("q", "is 1 or less: the mean spend is infinite", allowed="q > 1")
        return _finite((self.p * self.v + self.p * x * mean) / (self.p * x + self.q - 1))

    @overload
    def expected_spend(self, x: Count, mean_spend: Money) -> Money: ...

    @overload
    def expected_spend(self, x: Count, mean_spend: float | Decimal | Fraction) -> float: ...

    @overload
    def expected_spend(self, x: "ArrayLike", mean_spend: "ArrayLike") -> "Array": ...

    def expected_spend(self, x: Any, mean_spend: Any) -> Any:
        """E[spend per transaction | x repeat purchases with mean ``mean_spend``].

        Given Money (a summary's ``monetary_value``), the estimate is Money
        converted from the model's float; given a plain number, a float;
        given numpy arrays (broadcast together), an array of floats.

        Raises:
            ValidationError: q ≤ 1 or a negative mean (for x = 0 the mean is not used).
        """
        if _is_array(x) or _is_array(mean_spend):
            np = _numpy()
            counts = _count_array(np, x, "x")
            means = _time_array(np, mean_spend, "mean_spend")
            if self.q <= 1:
                raise ValidationError(
                    "q", "is 1 or less: the mean spend is infinite", allowed="q > 1"
                )
            p, q, v = self.p, self.q, self.v
            with np.errstate(all="ignore"):  # an overflow is inf, refused just below
                spend = (p * v + p * counts * means) / (p * counts + q - 1)
            return _finite_array(np, spend)
        count = _count(x, "x")
        if isinstance(mean_spend, Money):
            if mean_spend.is_negative():
                raise ValidationError("mean_spend", "must not be negative", allowed="0 or more")
            return _money(self._expected(count, float(mean_spend.amount)), mean_spend.currency)
        return self._expected(count, _time(mean_spend, "mean_spend"))

    @classmethod
    def fit(cls, summary: Mapping[str, RfmSummary]) -> Self:
        """Maximum-likelihood parameters from the customers with repeat purchases
        and a positive mean spend (needs scipy: the ``models`` extra).

        Raises:
            MissingExtraError: scipy is not installed.
            ValidationError: no customer with repeat purchases and positive spend.
            ConvergenceError: the optimiser did not converge.
        """
        _rows(summary)
        used = [
            (s.frequency, float(s.monetary_value.amount))
            for s in summary.values()
            if s.frequency > 0 and s.monetary_value.amount > 0
        ]
        if not used:
            raise ValidationError(
                "summary",
                "has no customer with repeat purchases and a positive mean spend",
                allowed="customers with repeat purchases",
            )
        np, optimize, special = _scipy()
        counts = Counter(used)
        keys = list(counts)
        x = np.array([k[0] for k in keys], dtype=float)
        m = np.array([k[1] for k in keys], dtype=float)
        weights = np.array([counts[k] for k in keys], dtype=float)
        objective = _gamma_gamma_objective(np, special, x, m, weights)
        params, info, errors = _fit(np, optimize, objective, ("p", "q", "v"), "Gamma-Gamma")
        return cls(
            *params,
            log_likelihood=-objective(np.log(np.array(params)))[0],
            customers=len(used),
            converged=True,
            fit_info=info,
            standard_errors=errors,
        )


def _gamma_gamma_objective(
    np: Any, special: Any, x: Any, m: Any, weights: Any
) -> Callable[[Any], tuple[float, Any]]:
    """The negative Gamma-Gamma log-likelihood over distinct (x, mean) rows
    and its exact gradient, in log-parameters."""

    def objective(log_params: Any) -> tuple[float, Any]:
        p, q, v = np.exp(log_params)
        px = p * x
        spread = np.log(x * m + v)
        each = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * spread
        )
        total = float(np.sum(weights * each))
        if not math.isfinite(total):
            return math.inf, np.zeros(3)
        d_p = x * (special.digamma(px + q) - special.digamma(px) + np.log(m) + np.log(x) - spread)
        d_q = special.digamma(px + q) - special.digamma(q) + np.log(v) - spread
        d_v = q / v - (px + q) / (x * m + v)
        gradient = np.array([np.sum(weights * d) for d in (d_p * p, d_q * q, d_v * v)])
        return -total, -gradient

    return objective


def _money(value: float, currency: str) -> Money:
    return Money.from_exact(Decimal(repr(value)), currency)
