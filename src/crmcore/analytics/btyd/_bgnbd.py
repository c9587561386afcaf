"""The BG/NBD purchase model (Fader, Hardie & Lee 2005)."""

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self, overload

import attrs

from crmcore.analytics.btyd._fitting import FitInfo, _fit, _intervals, _scipy
from crmcore.analytics.btyd._numbers import (
    _TOO_LONG,
    MAX_PURCHASES,
    Count,
    Time,
    _a,
    _alpha,
    _b,
    _count,
    _count_array,
    _finite,
    _finite_array,
    _first_bad,
    _hyp2f1,
    _hyp2f1_array,
    _is_array,
    _lbeta,
    _numpy,
    _r,
    _time,
    _time_array,
)
from crmcore.analytics.btyd._summary import RfmSummary, _rows
from crmcore.errors import (
    ModelError,
    ValidationError,
)

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]


@attrs.frozen
class BetaGeo:
    """The BG/NBD model (Fader, Hardie & Lee 2005) with parameters r, α, a, b.

    Purchases follow a Poisson process with a gamma(r, α) distributed rate;
    after each purchase the customer drops out with a beta(a, b) distributed
    probability. Times are in the unit of the summary the model was fitted
    on. ``log_likelihood``, ``customers`` and ``converged`` describe the fit
    (``None`` for a model built from given parameters). Parameters are
    positive floats (ints, Decimals and Fractions are converted).
    """

    r: float = attrs.field(converter=_r)
    alpha: float = attrs.field(converter=_alpha)
    a: float = attrs.field(converter=_a)
    b: float = attrs.field(converter=_b)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Parameter → (low, high) at ``level``, from the standard errors.

        Computed on the log scale (log θ ± z·se(log θ), se(log θ) = se(θ)/θ),
        so the intervals stay positive, as the parameters must.

        Raises:
            ValidationError: a level outside (0, 1).
            ModelError: the model has no standard errors (not fitted).
        """
        return _intervals(self, ("r", "alpha", "a", "b"), level)

    def _check(self, x: object, t_x: object, T: object) -> tuple[int, float, float]:
        count = _count(x, "x")
        recency = _time(t_x, "t_x")
        age = _time(T, "T")
        if recency > age:
            raise ValidationError("t_x", "is after T", allowed="0 <= t_x <= T")
        if count == 0 and recency != 0:
            raise ValidationError("t_x", "must be 0 without repeat purchases", allowed="0")
        return count, recency, age

    def _log_odds_dead(self, x: int, t_x: float, T: float) -> float:
        """log of (a/(b+x−1))·((α+T)/(α+t_x))^(r+x): P(alive) = 1/(1+exp(this))."""
        return (
            math.log(self.a)
            - math.log(self.b + x - 1)
            + (self.r + x) * (math.log(self.alpha + T) - math.log(self.alpha + t_x))
        )

    def _check_arrays(self, x: object, t_x: object, T: object) -> tuple[Any, Any, Any, Any]:
        np = _numpy()
        count = _count_array(np, x, "x")
        recency = _time_array(np, t_x, "t_x")
        age = _time_array(np, T, "T")
        try:
            count, recency, age = np.broadcast_arrays(count, recency, age)
        except ValueError:
            raise ValidationError(
                "x", "and t_x and T have shapes that do not broadcast", allowed="one shape"
            ) from None
        _first_bad(np, recency > age, "t_x", "is after T", "0 <= t_x <= T")
        _first_bad(
            np, (count == 0) & (recency != 0), "t_x", "must be 0 without repeat purchases", "0"
        )
        return np, count, recency, age

    def _alive_array(self, np: Any, x: Any, t_x: Any, T: Any) -> Any:
        repeat = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = (
                np.log(self.a)
                - np.log(self.b + np.where(repeat, x, 1.0) - 1)
                + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
            )
            alive = np.exp(-np.logaddexp(0.0, odds))  # 1 / (1 + e^odds), without overflow
        return _finite_array(np, np.where(repeat, alive, 1.0))

    def _growth_array(self, np: Any, x: Any, T: Any, t: Any) -> Any:
        if self.a == 1.0:
            raise ValidationError(
                "a", "is exactly 1, where the closed form is undefined", allowed="a != 1"
            )
        x, T, t = np.broadcast_arrays(x, T, t)
        c = self.a + self.b + x - 1
        z = t / (self.alpha + T + t)
        if np.any(z == 1.0):
            raise ModelError(f"t / (alpha + T + t) rounds to 1; {_TOO_LONG}")
        upper, lower = self.a + self.b - 1 - self.r, self.a - 1
        shrink = np.exp((self.a - 1) * np.log1p(-z))
        pole = c == 0
        series = _hyp2f1_array(np, upper, lower, np.where(pole, 1.0, c), z)
        growth = c / (self.a - 1) * (1.0 - shrink * series)
        if np.any(pole):
            limit = upper * lower * z * _hyp2f1_array(np, upper + 1, lower + 1, 2.0, z)
            growth = np.where(pole, -shrink * limit / (self.a - 1), growth)
        return np.where(t == 0, 0.0, growth)

    @overload
    def probability_alive(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, x: "ArrayLike", t_x: "ArrayLike", T: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_alive(self, x: Count, t_x: Time, T: Time) -> float: ...

    def probability_alive(self, x: Any, t_x: Any, T: Any) -> Any:
        """P(the customer is still active | x repeat purchases, the last at t_x, observed for T).

        Scalars give a float; numpy arrays (broadcast together) an array.
        """
        if _is_array(x) or _is_array(t_x) or _is_array(T):
            np, count, recency, age = self._check_arrays(x, t_x, T)
            return self._alive_array(np, count, recency, age)
        count, recency, age = self._check(x, t_x, T)
        if count == 0:
            return 1.0
        odds = self._log_odds_dead(count, recency, age)
        # An infinite log-odds is a limit (P(alive) 0 or 1); only NaN has no answer.
        _finite(0.0 if math.isinf(odds) else odds)
        if odds > 0:
            return math.exp(-odds) / (1.0 + math.exp(-odds))
        return 1.0 / (1.0 + math.exp(odds))

    def _growth(self, x: int, T: float, t: float) -> float:
        """(a+b+x−1)/(a−1) · [1 − (1−z)^(a−1)·2F1(a+b−1−r, a−1; a+b+x−1; z)], z = t/(α+T+t).

        This is the hypergeometric part of the conditional expectation after
        Euler's transformation, which keeps every term bounded however many
        purchases the customer made.
        """
        if t == 0:
            return 0.0
        if self.a == 1.0:
            raise ValidationError(
                "a", "is exactly 1, where the closed form is undefined", allowed="a != 1"
            )
        c = self.a + self.b + x - 1
        z = t / (self.alpha + T + t)
        if z == 1.0:
            # t dwarfs alpha + T: 1 - z is lost to rounding and the series
            # would be summed at its singular point.
            raise ModelError(f"t / (alpha + T + t) rounds to 1; {_TOO_LONG}")
        upper, lower = self.a + self.b - 1 - self.r, self.a - 1
        shrink = math.exp((self.a - 1) * math.log1p(-z))
        if c == 0:
            # x = 0 and a + b = 1: c·2F1(…; c; z) tends to A·B·z·2F1(A+1, B+1; 2; z)
            limit = upper * lower * z * _hyp2f1(upper + 1, lower + 1, 2.0, z)
            return -shrink * limit / (self.a - 1)
        series = _hyp2f1(upper, lower, c, z)
        return c / (self.a - 1) * (1.0 - shrink * series)

    @overload
    def expected_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, t: "ArrayLike", x: "ArrayLike", t_x: "ArrayLike", T: "ArrayLike"
    ) -> "Array": ...

    @overload
    def expected_purchases(self, t: Time, x: Count, t_x: Time, T: Time) -> float: ...

    def expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> Any:
        """E[purchases in the next t units | x, t_x, T] (conditional expectation, eq. 10).

        Scalars give a float; numpy arrays (broadcast together) an array.
        """
        if any(_is_array(v) for v in (t, x, t_x, T)):
            np, count, recency, age = self._check_arrays(x, t_x, T)
            span = _time_array(np, t, "t")
            alive = self._alive_array(np, count, recency, age)
            with np.errstate(all="ignore"):  # an overflow is inf, refused just below
                expected = self._growth_array(np, count, age, span) * alive
            return _finite_array(np, expected)
        count, recency, age = self._check(x, t_x, T)
        growth = self._growth(count, age, _time(t, "t"))
        return _finite(growth * self.probability_alive(count, recency, age))

    def expected_purchases_population(self, t: Time) -> float:
        """E[purchases by a random new customer in t units] (eq. 9)."""
        return _finite(self._growth(0, 0.0, _time(t, "t")))

    def probability_of_purchases(self, n: Count, t: Time) -> float:
        """P(a random new customer makes exactly n purchases in t units) (eq. 8).

        Raises:
            ValidationError: ``n`` is not a count of at most `MAX_PURCHASES`
                (the formula sums a term for every smaller count), or ``t``
                is not a time of 0 or more.
        """
        count = _count(n, "n")
        if count > MAX_PURCHASES:
            raise ValidationError(
                "n", "is too large to sum over", allowed=f"at most {MAX_PURCHASES:,}"
            )
        span = _time(t, "t")
        if span == 0:
            return 1.0 if count == 0 else 0.0
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        # log(alpha / (alpha + t)) and log(t / (alpha + t)), without the ratio
        # underflowing to 0 for a tiny t or a tiny alpha.
        log_p = -math.log1p(span / alpha)
        log_q = -math.log1p(alpha / span)

        def nbd(j: int) -> float:
            purchases = j * log_q if j else 0.0  # 0 * -inf would be nan
            return math.exp(
                math.lgamma(r + j) - math.lgamma(r) - math.lgamma(j + 1) + r * log_p + purchases
            )

        first = math.exp(_lbeta(a, b + count) - _lbeta(a, b)) * nbd(count)
        if count == 0:
            return _finite(first)
        tail = 1.0 - math.fsum(nbd(j) for j in range(count))
        return _finite(
            first + math.exp(_lbeta(a + 1, b + count - 1) - _lbeta(a, b)) * max(tail, 0.0)
        )

    def customer_log_likelihood(self, x: Count, t_x: Time, T: Time) -> float:
        """The log-likelihood of one customer's (x, t_x, T)."""
        count, recency, age = self._check(x, t_x, T)
        return _bgnbd_ll(self.r, self.alpha, self.a, self.b, count, recency, age)

    def total_log_likelihood(self, summary: Mapping[str, RfmSummary]) -> float:
        """The log-likelihood of a whole summary under these parameters."""
        rows = _rows(summary)
        return math.fsum(
            _bgnbd_ll(self.r, self.alpha, self.a, self.b, x, t_x, T) for x, t_x, T in rows
        )

    @classmethod
    def fit(cls, summary: Mapping[str, RfmSummary]) -> Self:
        """Maximum-likelihood parameters for ``summary`` (needs scipy: the ``models`` extra).

        Raises:
            MissingExtraError: scipy is not installed.
            ValidationError: an empty summary, or one without repeat purchases.
            ConvergenceError: the optimiser did not converge.
        """
        rows = _rows(summary)
        if not any(x > 0 for x, _, _ in rows):
            raise ValidationError(
                "summary", "has no repeat purchases", allowed="customers with repeat purchases"
            )
        np, optimize, special = _scipy()
        counts = Counter(rows)
        keys = list(counts)
        x = np.array([k[0] for k in keys], dtype=float)
        t_x = np.array([k[1] for k in keys], dtype=float)
        age = np.array([k[2] for k in keys], dtype=float)
        weights = np.array([counts[k] for k in keys], dtype=float)
        objective = _bgnbd_objective(np, special, x, t_x, age, weights)
        params, info, errors = _fit(np, optimize, objective, ("r", "alpha", "a", "b"), "BG/NBD")
        model = cls(*params)
        return attrs.evolve(
            model,
            log_likelihood=model.total_log_likelihood(summary),
            customers=len(rows),
            converged=True,
            fit_info=info,
            standard_errors=errors,
        )


def _bgnbd_objective(
    np: Any, special: Any, x: Any, t_x: Any, age: Any, weights: Any
) -> Callable[[Any], tuple[float, Any]]:
    """The negative BG/NBD log-likelihood over distinct rows (``weights``
    count them) and its exact gradient, both in log-parameters."""
    repeat = x > 0
    safe_b = np.where(repeat, x - 1, 0.0)

    def objective(log_params: Any) -> tuple[float, Any]:
        r, alpha, a, b = np.exp(log_params)
        part = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + x)
            - special.betaln(a, b)
        )
        first = -(r + x) * np.log(alpha + age)
        second = np.where(
            repeat,
            np.log(a) - np.log(np.where(repeat, b + safe_b, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        mixed = np.logaddexp(first, second)
        total = float(np.sum(weights * (part + mixed)))
        if not math.isfinite(total):
            return math.inf, np.zeros(4)
        share = np.exp(second - mixed)  # the weight of the second term (0 without repeats)
        d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha)
        d_r += -(1 - share) * np.log(alpha + age) - share * np.log(alpha + t_x)
        d_alpha = r / alpha - (r + x) * ((1 - share) / (alpha + age) + share / (alpha + t_x))
        d_a = special.digamma(a + b) - special.digamma(a + b + x) + share / a
        d_b = (
            special.digamma(b + x)
            + special.digamma(a + b)
            - special.digamma(b)
            - special.digamma(a + b + x)
            - share / np.where(repeat, b + safe_b, 1.0)
        )
        gradient = np.array(
            [np.sum(weights * d) for d in (d_r * r, d_alpha * alpha, d_a * a, d_b * b)]
        )
        return -total, -gradient

    return objective


def _bgnbd_ll(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    part = (
        math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + _lbeta(a, b + x) - _lbeta(a, b)
    )
    first = -(r + x) * math.log(alpha + T)
    if x == 0:
        return part + first
    second = math.log(a) - math.log(b + x - 1) - (r + x) * math.log(alpha + t_x)
    high = max(first, second)
    return part + high + math.log(math.exp(first - high) + math.exp(second - high))
