"""The BG/NBD purchase model (Fader, Hardie & Lee 2005) and its modified form,
MBG/NBD (Batislam, Denizel & Filiztekin 2007).

The two differ in one place: an MBG/NBD customer may also drop out at time
zero, right after the first purchase. In every formula that is BG/NBD with
``b + 1`` in place of ``b`` where a dropout after a purchase is counted
(`_BetaGeoFamily._shift` is 0 or 1), which is how both are written once here.
"""

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, overload

import attrs

from crmcore.analytics.btyd._continuous import _ContinuousModel
from crmcore.analytics.btyd._fitting import FitInfo, _fit
from crmcore.analytics.btyd._numbers import (
    _TOO_LONG,
    SCALAR,
    Count,
    Time,
    _a,
    _alpha,
    _arrays,
    _b,
    _broadcast,
    _check_customer,
    _check_customers,
    _finite,
    _finite_array,
    _hyp2f1,
    _hyp2f1_array,
    _is_array,
    _lbeta,
    _numpy,
    _purchases,
    _purchases_array,
    _r,
    _time,
    _time_array,
)
from crmcore.analytics.btyd._summary import Summaries, _rows
from crmcore.errors import ModelError, ValidationError

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]


@attrs.frozen
class _BetaGeoFamily(_ContinuousModel):
    """The formulas of BG/NBD and MBG/NBD, over the parameters r, α, a, b."""

    _shift: ClassVar[int]
    _name: ClassVar[str]
    _parameters: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    r: float = attrs.field(converter=_r)
    alpha: float = attrs.field(converter=_alpha)
    a: float = attrs.field(converter=_a)
    b: float = attrs.field(converter=_b)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    def _log_odds_dead(self, x: int, t_x: float, T: float) -> float:
        """log of (a/(b'+x−1))·((α+T)/(α+t_x))^(r+x), b' = b + shift: P(alive) = 1/(1+exp(this))."""
        return (
            math.log(self.a)
            - math.log(self.b + self._shift + x - 1)
            + (self.r + x) * (math.log(self.alpha + T) - math.log(self.alpha + t_x))
        )

    def _alive_array(self, np: Any, x: Any, t_x: Any, T: Any) -> Any:
        counted = (x > 0) | bool(self._shift)  # BG/NBD: no dropout before a repeat purchase
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = (
                np.log(self.a)
                - np.log(self.b + self._shift + np.where(counted, x, 1.0) - 1)
                + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
            )
            alive = np.exp(-np.logaddexp(0.0, odds))  # 1 / (1 + e^odds), without overflow
        return _finite_array(np, np.where(counted, alive, 1.0))

    def _check_a(self) -> None:
        if self.a == 1.0:
            raise ValidationError(
                "a", "is exactly 1, where the closed form is undefined", allowed="a != 1"
            )

    def _growth_array(self, np: Any, x: Any, T: Any, t: Any) -> Any:
        self._check_a()
        x, T, t = np.broadcast_arrays(x, T, t)
        b = self.b + self._shift
        c = self.a + b + x - 1
        z = t / (self.alpha + T + t)
        if np.any(z == 1.0):
            raise ModelError(f"t / (alpha + T + t) rounds to 1; {_TOO_LONG}")
        upper, lower = self.a + b - 1 - self.r, self.a - 1
        log_shrink = (self.a - 1) * np.log1p(-z)
        shrink = np.exp(log_shrink)
        pole = c == 0
        series = _hyp2f1_array(np, upper, lower, np.where(pole, 1.0, c), z, less_one=True)
        growth = c / (self.a - 1) * (-np.expm1(log_shrink) - shrink * series)
        if np.any(pole):
            limit = upper * lower * z * _hyp2f1_array(np, upper + 1, lower + 1, 2.0, z)
            growth = np.where(pole, -shrink * limit / (self.a - 1), growth)
        return np.where(t == 0, 0.0, growth)

    def _probability_alive(self, x: Any, t_x: Any, T: Any) -> Any:
        if _is_array(x) or _is_array(t_x) or _is_array(T):
            np, count, recency, age = _check_customers(x, t_x, T)
            return self._alive_array(np, count, recency, age)
        count, recency, age = _check_customer(x, t_x, T)
        if count == 0 and not self._shift:
            return 1.0
        odds = self._log_odds_dead(count, recency, age)
        # An infinite log-odds is a limit (P(alive) 0 or 1); only NaN has no answer.
        _finite(0.0 if math.isinf(odds) else odds)
        if odds > 0:
            return math.exp(-odds) / (1.0 + math.exp(-odds))
        return 1.0 / (1.0 + math.exp(odds))

    def _growth(self, x: int, T: float, t: float) -> float:
        """(a+b'+x−1)/(a−1) · [1 − (1−z)^(a−1)·2F1(a+b'−1−r, a−1; a+b'+x−1; z)],
        z = t/(α+T+t), b' = b + shift.

        This is the hypergeometric part of the conditional expectation after
        Euler's transformation, which keeps every term bounded however many
        purchases the customer made.
        """
        if t == 0:
            return 0.0
        self._check_a()
        b = self.b + self._shift
        c = self.a + b + x - 1
        z = t / (self.alpha + T + t)
        if z == 1.0:
            # t dwarfs alpha + T: 1 - z is lost to rounding and the series
            # would be summed at its singular point.
            raise ModelError(f"t / (alpha + T + t) rounds to 1; {_TOO_LONG}")
        upper, lower = self.a + b - 1 - self.r, self.a - 1
        log_shrink = (self.a - 1) * math.log1p(-z)
        shrink = math.exp(log_shrink)
        if c == 0:
            # x = 0 and a + b = 1: c·2F1(…; c; z) tends to A·B·z·2F1(A+1, B+1; 2; z)
            limit = upper * lower * z * _hyp2f1(upper + 1, lower + 1, 2.0, z)
            return -shrink * limit / (self.a - 1)
        # 1 − shrink·2F1 = −expm1(log shrink) − shrink·(2F1 − 1): no cancellation
        # of two numbers near 1 when t is small
        series = _hyp2f1(upper, lower, c, z, less_one=True)
        return c / (self.a - 1) * (-math.expm1(log_shrink) - shrink * series)

    def _expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> Any:
        if any(_is_array(v) for v in (t, x, t_x, T)):
            np, count, recency, age = _check_customers(x, t_x, T)
            span, count, recency, age = _broadcast(
                np, "t, x, t_x, T", _time_array(np, t, "t"), count, recency, age
            )
            alive = self._alive_array(np, count, recency, age)
            with np.errstate(all="ignore"):  # an overflow is inf, refused just below
                expected = self._growth_array(np, count, age, span) * alive
            return _finite_array(np, expected)
        count, recency, age = _check_customer(x, t_x, T)
        growth = self._growth(count, age, _time(t, "t"))
        return _finite(growth * self.probability_alive(count, recency, age))

    def expected_purchases_population(self, t: Time) -> float:
        """E[purchases by a random new customer in t units]."""
        alive = 1.0 if not self._shift else self.probability_alive(0, 0.0, 0.0)
        return _finite(self._growth(0, 0.0, _time(t, "t")) * alive)

    @overload
    def probability_of_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, n: "ArrayLike", t: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_of_purchases(self, n: Count, t: Time) -> float: ...

    def probability_of_purchases(self, n: Any, t: Any) -> Any:
        """P(a random new customer makes exactly n purchases in t units).

        Scalars give a float; numpy arrays (broadcast together) an array.

        Raises:
            ValidationError: ``n`` is not a count of at most ``MAX_PURCHASES``
                (the limit every model's distribution shares), or ``t`` is
                not a time of 0 or more.
        """
        if _is_array(n) or _is_array(t):
            xp = _arrays()
            np = _numpy()
            counts, spans = _broadcast(np, "n, t", _purchases_array(np, n), _time_array(np, t, "t"))
            with np.errstate(all="ignore"):
                found = self._pmf(xp, counts, spans)
            return _finite_array(np, found)
        count = _purchases(n)
        return _finite(self._pmf(SCALAR, count, _time(t, "t")))

    def _pmf(self, xp: Any, n: Any, t: Any) -> Any:
        """P(X(t) = n), eq. 8 of Fader, Hardie & Lee (2005) with b' = b + shift:
        B(a, b'+n)/B(a, b)·NBD(n) + B(a+1, b'+n−1)/B(a, b)·P(NBD ≥ n), the
        second term where a dropout is possible (n > 0, or MBG/NBD).

        P(NBD ≥ n) = 1 − Σ_{j<n} NBD(j) is the regularised incomplete beta
        function I_q(n, r), q = t/(α+t), computed as such rather than as a
        difference that would lose a small tail to cancellation."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        shifted = b + self._shift
        empty = t == 0
        span = xp.where(empty, 1.0, t)
        # log(alpha / (alpha + t)) and log(t / (alpha + t)), without the ratio
        # underflowing to 0 for a tiny t or a tiny alpha.
        log_p = -xp.log1p(span / alpha)
        log_q = -xp.log1p(alpha / span)
        purchases = xp.where(n > 0, n * log_q, 0.0)  # 0 * -inf would be nan
        log_nbd = xp.lgamma(r + n) - xp.lgamma(r) - xp.lgamma(n + 1.0) + r * log_p + purchases
        log_beta = xp.lgamma(a) + xp.lgamma(b) - xp.lgamma(a + b)

        def log_b(first: Any, second: Any) -> Any:
            return xp.lgamma(first) + xp.lgamma(second) - xp.lgamma(first + second) - log_beta

        first = xp.exp(log_b(a, shifted + n) + log_nbd)
        counted = n > 0
        tail = xp.where(
            counted,
            xp.betainc(xp.where(counted, n, 1.0), r, span / (alpha + span), alpha / (alpha + span)),
            1.0,
        )
        dropped = xp.exp(log_b(a + 1.0, xp.where(n + shifted > 1, shifted + n - 1, 1.0)))
        second = xp.where(counted | bool(self._shift), dropped * tail, 0.0)
        return xp.where(empty, xp.where(n == 0, 1.0, 0.0), first + second)

    def customer_log_likelihood(self, x: Count, t_x: Time, T: Time) -> float:
        """The log-likelihood of one customer's (x, t_x, T)."""
        count, recency, age = _check_customer(x, t_x, T)
        return _bgnbd_ll(self.r, self.alpha, self.a, self.b, count, recency, age, self._shift)

    def total_log_likelihood(self, summary: Summaries) -> float:
        """The log-likelihood of a whole summary under these parameters."""
        rows = _rows(summary)
        return math.fsum(
            _bgnbd_ll(self.r, self.alpha, self.a, self.b, x, t_x, T, self._shift)
            for x, t_x, T in rows
        )

    @classmethod
    def _fit_counts(cls, counts: Counter[tuple[int, float, float]], field: str) -> Self:
        np, optimize, special, x, t_x, age, weights = cls._columns(counts, field)
        objective = _bgnbd_objective(np, special, x, t_x, age, weights, cls._shift)
        params, info, errors = _fit(np, optimize, objective, cls._parameters, cls._name)
        r, alpha, a, b = params
        return cls(
            r,
            alpha,
            a,
            b,
            log_likelihood=math.fsum(
                n * _bgnbd_ll(r, alpha, a, b, *row, cls._shift) for row, n in counts.items()
            ),
            customers=sum(counts.values()),
            converged=True,
            fit_info=info,
            standard_errors=errors,
        )


@attrs.frozen
class BetaGeo(_BetaGeoFamily):
    """The BG/NBD model (Fader, Hardie & Lee 2005) with parameters r, α, a, b.

    Purchases follow a Poisson process with a gamma(r, α) distributed rate;
    after each purchase the customer drops out with a beta(a, b) distributed
    probability. Times are in the unit of the summary the model was fitted
    on. ``log_likelihood``, ``customers`` and ``converged`` describe the fit
    (``None`` for a model built from given parameters). Parameters are
    positive floats (ints, Decimals and Fractions are converted).
    """

    _shift: ClassVar[int] = 0
    _name: ClassVar[str] = "BG/NBD"


@attrs.frozen
class ModifiedBetaGeo(_BetaGeoFamily):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with r, α, a, b.

    As BG/NBD, except that a customer may drop out right after the first
    purchase as well as after each repeat purchase, so a customer without
    repeat purchases is not certainly alive (BG/NBD says they are). The same
    predictions, fit, standard errors and conventions as `BetaGeo`.
    """

    _shift: ClassVar[int] = 1
    _name: ClassVar[str] = "MBG/NBD"


def _bgnbd_objective(
    np: Any, special: Any, x: Any, t_x: Any, age: Any, weights: Any, shift: int
) -> Callable[[Any], tuple[float, Any]]:
    """The negative BG/NBD (``shift`` 0) or MBG/NBD (``shift`` 1) log-likelihood
    over distinct rows (``weights`` count them) and its exact gradient, both
    in log-parameters."""
    repeat = (x > 0) | bool(shift)  # where the dropout term is there
    safe_b = np.where(repeat, x - 1 + shift, 0.0)

    def objective(log_params: Any) -> tuple[float, Any]:
        r, alpha, a, b = np.exp(log_params)
        part = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + x + shift)
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
        d_a = special.digamma(a + b) - special.digamma(a + b + x + shift) + share / a
        d_b = (
            special.digamma(b + x + shift)
            + special.digamma(a + b)
            - special.digamma(b)
            - special.digamma(a + b + x + shift)
            - share / np.where(repeat, b + safe_b, 1.0)
        )
        gradient = np.array(
            [np.sum(weights * d) for d in (d_r * r, d_alpha * alpha, d_a * a, d_b * b)]
        )
        return -total, -gradient

    return objective


def _bgnbd_ll(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float, shift: int
) -> float:
    part = (
        math.lgamma(r + x)
        - math.lgamma(r)
        + r * math.log(alpha)
        + _lbeta(a, b + x + shift)
        - _lbeta(a, b)
    )
    first = -(r + x) * math.log(alpha + T)
    if x == 0 and not shift:
        return part + first
    second = math.log(a) - math.log(b + x - 1 + shift) - (r + x) * math.log(alpha + t_x)
    high = max(first, second)
    return part + high + math.log(math.exp(first - high) + math.exp(second - high))
