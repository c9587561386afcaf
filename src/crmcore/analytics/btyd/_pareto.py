"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987), in the
expressions of Fader & Hardie's notes (2005, "A note on deriving the
Pareto/NBD model and related expressions"; 2006, "Deriving an expression for
P(X(t) = x) under the Pareto/NBD model").

Every formula is written once, against an evaluator (`SCALAR` in pure Python,
numpy for arrays). The hypergeometric function of the likelihood,
₂F₁(r+s+x, b; r+s+x+1; z), is summed after Euler's transformation as
(1−z)^(1−b)·₂F₁(1, r+s+x+1−b; r+s+x+1; z), whose terms are positive and shrink
at least as fast as zᵏ, however many purchases the customer made.
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
    _alpha,
    _ArrayMath,
    _arrays,
    _beta,
    _broadcast,
    _check_customer,
    _finite,
    _is_array,
    _lbeta,
    _numpy,
    _purchases,
    _purchases_array,
    _r,
    _s,
    _time,
    _time_array,
)
from crmcore.analytics.btyd._summary import (
    Summaries,
    _answer,
    _customers,
    _quiet,
    _rows,
)
from crmcore.errors import ModelError

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]

MAX_TAIL_TERMS = 100_000
"""The most terms `ParetoNBD.probability_of_purchases` sums before it reports
the horizon too long: they shrink like (t / (min(α, β) + t))^i."""

_NEGLIGIBLE = -40.0
"""A term below e^-40 (4e-18) of the sum so far, past its peak, ends a series."""


def _log_a(xp: Any, r: float, alpha: float, s: float, beta: float, x: Any, tau: Any) -> Any:
    """log of ₂F₁(r+s+x, b; r+s+x+1; z) / (max(α,β)+τ)^(r+s+x), z = |α−β| / (max(α,β)+τ),
    with b = s+1 where α ≥ β and b = r+x where α < β (Fader & Hardie 2005, eq. 19)."""
    high, low = max(alpha, beta), min(alpha, beta)
    total = r + s + x
    other = r + x if alpha >= beta else s + 1.0  # r+s+x+1−b: the transformed series' b
    z = (high - low) / (high + tau)
    series = xp.hyp2f1(1.0, other, total + 1.0, z)
    log_rest = xp.log(low + tau) - xp.log(high + tau)  # log(1 − z), without cancelling
    return (other - total) * log_rest + xp.log(series) - total * xp.log(high + tau)


def _log_a0(
    xp: Any, r: float, alpha: float, s: float, beta: float, x: Any, t_x: Any, T: Any
) -> Any:
    """log A₀ = log(A(t_x) − A(T)); -inf where t_x = T."""
    early = _log_a(xp, r, alpha, s, beta, x, t_x)
    late = _log_a(xp, r, alpha, s, beta, x, T)
    return early + xp.log(-xp.expm1(xp.minimum(late - early, 0.0)))


def _log_odds_dead(
    xp: Any, r: float, alpha: float, s: float, beta: float, x: Any, t_x: Any, T: Any
) -> Any:
    """log of (s/(r+s+x))·(α+T)^(r+x)·(β+T)^s·A₀: P(alive) = 1/(1+exp(this)) (eq. 20)."""
    return (
        xp.log(s)
        - xp.log(r + s + x)
        + (r + x) * xp.log(alpha + T)
        + s * xp.log(beta + T)
        + _log_a0(xp, r, alpha, s, beta, x, t_x, T)
    )


def _pareto_ll(
    xp: Any, r: float, alpha: float, s: float, beta: float, x: Any, t_x: Any, T: Any
) -> Any:
    """One customer's log-likelihood (eq. 18 of Fader & Hardie 2005)."""
    alive = -(r + x) * xp.log(alpha + T) - s * xp.log(beta + T)
    dead = xp.log(s) - xp.log(r + s + x) + _log_a0(xp, r, alpha, s, beta, x, t_x, T)
    return (
        xp.lgamma(r + x)
        - xp.lgamma(r)
        + r * xp.log(alpha)
        + s * xp.log(beta)
        + xp.logaddexp(alive, dead)
    )


@attrs.frozen
class ParetoNBD(_ContinuousModel):
    """The Pareto/NBD model with parameters r, α, s, β.

    While alive, a customer buys in a Poisson process with a gamma(r, α)
    distributed rate; the lifetime is exponential, its rate gamma(s, β)
    distributed across customers, and the customer may die at any time (not
    only after a purchase, as in BG/NBD). Times are in the unit of the
    summary the model was fitted on. The same predictions, fit, standard
    errors and conventions as `BetaGeo`; the fit's gradient is by central
    differences (its hypergeometric term has no closed-form derivative in
    the parameters), documented in docs/clv.md.
    """

    _parameters: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    r: float = attrs.field(converter=_r)
    alpha: float = attrs.field(converter=_alpha)
    s: float = attrs.field(converter=_s)
    beta: float = attrs.field(converter=_beta)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return self.r, self.alpha, self.s, self.beta

    def _alive(self, xp: Any, x: Any, t_x: Any, T: Any) -> Any:
        odds = _log_odds_dead(xp, *self._params, x, t_x, T)
        return xp.exp(-xp.logaddexp(0.0, odds))  # 1 / (1 + e^odds), without overflow

    def _probability_alive(self, x: Any, t_x: Any, T: Any) -> Any:
        xp, count, recency, age, many = _customers(x, t_x, T)
        with _quiet(many):
            return _answer(self._alive(xp, count, recency, age), many)

    def _growth(self, xp: Any, x: Any, T: Any, t: Any) -> Any:
        """E[purchases in the next t units | alive at T] =
        (r+x)(β+T)/((α+T)(s−1))·[1 − ((β+T)/(β+T+t))^(s−1)] (its limit at s = 1)."""
        shrink = -xp.log1p(t / (self.beta + T))  # log((β+T)/(β+T+t))
        part = -shrink if self.s == 1.0 else -xp.expm1((self.s - 1) * shrink) / (self.s - 1)
        return (self.r + x) * (self.beta + T) / (self.alpha + T) * part

    def _expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> Any:
        """E[purchases in the next t units | x, t_x, T] (eq. 41 of Fader & Hardie 2005)."""
        xp, count, recency, age, many = _customers(x, t_x, T)
        if many or _is_array(t):
            np = _numpy()
            span, count, recency, age = _broadcast(
                np, "t, x, t_x, T", _time_array(np, t, "t"), count, recency, age
            )
            xp, many = _arrays(), True
        else:
            span = _time(t, "t")
        with _quiet(many):
            alive = self._alive(xp, count, recency, age)
            return _answer(self._growth(xp, count, age, span) * alive, many)

    def expected_purchases_population(self, t: Time) -> float:
        """E[purchases by a random new customer in t units] = rβ/(α(s−1))·[1 − (β/(β+t))^(s−1)]."""
        return _finite(self._growth(SCALAR, 0, 0.0, _time(t, "t")))

    @overload
    def probability_of_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, n: "ArrayLike", t: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_of_purchases(self, n: Count, t: Time) -> float: ...

    def probability_of_purchases(self, n: Any, t: Any) -> Any:
        """P(a random new customer makes exactly n purchases in t units).

        Fader & Hardie's (2006) expression, with its difference of two large
        terms summed instead as the positive series it equals (so no term
        cancels). Arrays are evaluated element by element (each element is a
        series of its own).

        Raises:
            ValidationError: ``n`` is not a count of at most ``MAX_PURCHASES``,
                or ``t`` not a time of 0 or more.
            ModelError: the series needs more than `MAX_TAIL_TERMS` terms
                (t very long against min(α, β)).
        """
        if _is_array(n) or _is_array(t):
            np = _numpy()
            counts, spans = _broadcast(np, "n, t", _purchases_array(np, n), _time_array(np, t, "t"))
            found = [
                self._pmf(int(c), float(u)) for c, u in zip(counts.flat, spans.flat, strict=True)
            ]
            return np.array(found, dtype=float).reshape(counts.shape)
        return self._pmf(_purchases(n), _time(t, "t"))

    def _pmf(self, n: int, t: float) -> float:
        if t == 0:
            return 1.0 if n == 0 else 0.0
        r, alpha, s, beta = self._params
        # alive throughout: NBD(n) · (β/(β+t))^s
        first = SCALAR.exp(
            math.lgamma(r + n)
            - math.lgamma(r)
            - math.lgamma(n + 1)
            - r * math.log1p(t / alpha)
            - (n * math.log1p(alpha / t) if n else 0.0)  # 0 * inf for a tiny t
            - s * math.log1p(t / beta)
        )
        # died before t, after n purchases: Σ_{i>n} of Fader & Hardie's (2006)
        # terms, each ₂F₁(r+s+i, p; c; z) taken after Pfaff's transformation as
        # (1−z)^(−p)·S_j, j = i−n−1, S_j = ₂F₁(−j, p; c; −u) = Σ_k C(j,k)(p)_k/(c)_k u^k
        # (positive terms), S_j from S_{j−1} and S_{j−2} by Gauss's contiguous
        # relation, so each term costs the same.
        high, low = max(alpha, beta), min(alpha, beta)
        p = r + n if alpha < beta else s + 1.0
        c = r + s + n + 1.0
        u = (high - low) / (low + t)  # z / (1 − z)
        constant = (
            r * math.log(alpha)
            + s * math.log(beta)
            + _lbeta(r + n, s + 1)
            - math.lgamma(r)
            - math.lgamma(s)
            - p * (math.log(low + t) - math.log(high + t))
        )
        log_t, log_high = math.log(t), math.log(high + t)
        total = previous = -math.inf
        log_s, ratio = 0.0, 1.0  # log S_j, S_j / S_{j−1}
        for j in range(MAX_TAIL_TERMS):
            if j == 1:
                ratio = 1.0 + p * u / c
            elif j > 1:
                k = j - 1
                ratio = ((2 * k + c + (p + k) * u) - k * (1 + u) / ratio) / (c + k)
            if j:
                log_s += math.log(ratio)
            i = n + 1 + j
            term = (
                constant
                + math.lgamma(r + s + i)
                - math.lgamma(i + 1)
                + i * log_t
                - (r + s + i) * log_high
                + log_s
            )
            total = SCALAR.logaddexp(total, term)
            if term < previous and term < total + _NEGLIGIBLE:
                return _finite(first + SCALAR.exp(total))
            previous = term
        raise ModelError(f"P(X(t) = n) needs more than {MAX_TAIL_TERMS:,} terms; {_TOO_LONG}")

    def customer_log_likelihood(self, x: Count, t_x: Time, T: Time) -> float:
        """The log-likelihood of one customer's (x, t_x, T)."""
        count, recency, age = _check_customer(x, t_x, T)
        return _finite(_pareto_ll(SCALAR, *self._params, count, recency, age))

    def total_log_likelihood(self, summary: Summaries) -> float:
        """The log-likelihood of a whole summary under these parameters."""
        return math.fsum(
            _finite(_pareto_ll(SCALAR, *self._params, x, t_x, T)) for x, t_x, T in _rows(summary)
        )

    @classmethod
    def _fit_counts(cls, counts: Counter[tuple[int, float, float]], field: str) -> Self:
        np, optimize, special, x, t_x, age, weights = cls._columns(counts, field)
        objective = _pareto_objective(np, special, x, t_x, age, weights)
        params, info, errors = _fit(
            np, optimize, objective, cls._parameters, "Pareto/NBD", hessian_step=1e-4
        )
        return cls(
            *params,
            log_likelihood=-objective(np.log(np.array(params)))[0],
            customers=sum(counts.values()),
            converged=True,
            fit_info=info,
            standard_errors=errors,
        )


GRADIENT_STEP = 1e-5
"""The step, in log-parameters, of the Pareto/NBD fit's central differences:
their rounding error (about 1e-16·|log-likelihood| / step) and truncation
error (about step²) are both near 1e-10 relative there."""


def _pareto_objective(
    np: Any, special: Any, x: Any, t_x: Any, age: Any, weights: Any
) -> Callable[[Any], tuple[float, Any]]:
    """The negative Pareto/NBD log-likelihood over distinct rows and its
    gradient by central differences, in log-parameters."""
    xp = _ArrayMath(np, special, special.hyp2f1)

    def value(log_params: Any) -> float:
        with np.errstate(all="ignore"):
            r, alpha, s, beta = (float(v) for v in np.exp(log_params))
            each = _pareto_ll(xp, r, alpha, s, beta, x, t_x, age)
        return float(np.sum(weights * each))

    def objective(log_params: Any) -> tuple[float, Any]:
        total = value(log_params)
        if not math.isfinite(total):
            return math.inf, np.zeros(4)
        gradient = np.zeros(4)
        for k in range(4):
            shift = np.zeros(4)
            shift[k] = GRADIENT_STEP
            gradient[k] = (value(log_params + shift) - value(log_params - shift)) / (
                2 * GRADIENT_STEP
            )
        if not np.all(np.isfinite(gradient)):
            return math.inf, np.zeros(4)
        return -total, -gradient

    return objective
