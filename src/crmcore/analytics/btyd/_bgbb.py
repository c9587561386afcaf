"""The BG/BB model for discrete transaction opportunities (Fader, Hardie &
Shang 2010, "Customer-base analysis in a discrete-time noncontractual
setting").

A customer has ``n`` opportunities (periods, events, mailings) and in each one
either transacts or not: while alive, with a beta(α, β) distributed
probability p; at the start of each opportunity after the first, they die
with a beta(γ, δ) distributed probability θ. The data per customer are ``x``
transactions in ``n`` opportunities, the last in opportunity ``t_x`` (0 when
there were none). Every formula is written once, against an evaluator (pure
Python for scalars, numpy for arrays).
"""

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, overload

import attrs

from crmcore.analytics.btyd._fitting import FitInfo, _fit, _Fitted, _scipy
from crmcore.analytics.btyd._numbers import (
    SCALAR,
    Count,
    _alpha,
    _arrays,
    _beta,
    _broadcast,
    _count,
    _count_array,
    _delta,
    _finite,
    _finite_array,
    _first_bad,
    _gamma,
    _is_array,
    _numpy,
    _purchases,
    _purchases_array,
)
from crmcore.analytics.btyd._summary import _quiet
from crmcore.domain.fields import items_of
from crmcore.errors import ValidationError

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]

PRODUCT_TERMS = 1_000
"""Up to this many future opportunities, BG/BB's expectation takes its
gamma-function ratio as a product (exact near γ = 1); beyond, as log-gammas."""

_PATTERN = "0 <= x <= t_x <= n, with t_x = 0 exactly when x = 0"


def _check_pattern(x: object, t_x: object, n: object) -> tuple[int, int, int]:
    count, last, periods = _count(x, "x"), _count(t_x, "t_x"), _purchases(n)
    if last > periods:
        raise ValidationError("t_x", "is after n", allowed=_PATTERN)
    if count > last or (count == 0) != (last == 0):
        raise ValidationError("x", "does not fit t_x", allowed=_PATTERN)
    return count, last, periods


def _check_patterns(x: object, t_x: object, n: object) -> tuple[Any, Any, Any]:
    np = _numpy()
    count, last = _count_array(np, x, "x"), _count_array(np, t_x, "t_x")
    count, last, periods = _broadcast(np, "x, t_x, n", count, last, _purchases_array(np, n))
    _first_bad(np, last > periods, "t_x", "is after n", _PATTERN)
    _first_bad(
        np, (count > last) | ((count == 0) != (last == 0)), "x", "does not fit t_x", _PATTERN
    )
    return count, last, periods


def _patterns(x: object, t_x: object, n: object) -> tuple[Any, Any, Any, Any, bool]:
    if _is_array(x) or _is_array(t_x) or _is_array(n):
        return _arrays(), *_check_patterns(x, t_x, n), True
    return SCALAR, *_check_pattern(x, t_x, n), False


def _log_beta(xp: Any, p: Any, q: Any) -> Any:
    return xp.lgamma(p) + xp.lgamma(q) - xp.lgamma(p + q)


def _bgbb_ll(
    xp: Any, params: tuple[float, float, float, float], x: Any, t_x: Any, n: Any, top: int
) -> Any:
    """log L(α, β, γ, δ | x, t_x, n) (eq. 5 of Fader, Hardie & Shang 2010):
    alive throughout, or alive through t_x + i and dead after, i = 0 … n−t_x−1.
    ``top`` is the largest n − t_x."""
    alpha, beta, gamma, delta = params
    total = _log_beta(xp, alpha + x, beta + n - x) + _log_beta(xp, gamma, delta + n)
    for i in range(top):
        died = _log_beta(xp, alpha + x, beta + t_x - x + i) + _log_beta(
            xp, gamma + 1, delta + t_x + i
        )
        total = xp.logaddexp(total, xp.where(i < n - t_x, died, -math.inf))
    return total - _log_beta(xp, alpha, beta) - _log_beta(xp, gamma, delta)


def _largest(values: Any) -> int:
    """The largest of a count or an array of counts (0 for an empty array)."""
    if not _is_array(values):
        return int(values)
    return int(values.max()) if values.size else 0


def _top(n: Any, t_x: Any) -> int:
    """The largest n − t_x: how many dropout terms the likelihood sums."""
    return _largest(n - t_x)


@attrs.frozen
class BetaGeoBetaBinom(_Fitted):
    """The BG/BB model (Fader, Hardie & Shang 2010) with parameters α, β, γ, δ.

    Its data are per customer ``x`` transactions in ``n`` discrete
    opportunities, the last in opportunity ``t_x``; `fit` takes them as
    ``(x, t_x, n, count)`` patterns, as published data give them. Times
    here are counts of opportunities. The same conventions, fit summary,
    standard errors and confidence intervals as `BetaGeo`.
    """

    _parameters: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")

    alpha: float = attrs.field(converter=_alpha)
    beta: float = attrs.field(converter=_beta)
    gamma: float = attrs.field(converter=_gamma)
    delta: float = attrs.field(converter=_delta)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return self.alpha, self.beta, self.gamma, self.delta

    def customer_log_likelihood(self, x: Count, t_x: Count, n: Count) -> float:
        """The log-likelihood of one customer's (x, t_x, n)."""
        count, last, periods = _check_pattern(x, t_x, n)
        return _finite(_bgbb_ll(SCALAR, self._params, count, last, periods, periods - last))

    def total_log_likelihood(self, patterns: Iterable[tuple[Count, Count, Count, Count]]) -> float:
        """The log-likelihood of ``(x, t_x, n, count)`` patterns under these parameters."""
        return math.fsum(
            weight * self.customer_log_likelihood(x, t_x, n)
            for x, t_x, n, weight in _read_patterns(patterns)
        )

    @overload
    def probability_alive(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, x: "ArrayLike", t_x: "ArrayLike", n: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_alive(self, x: Count, t_x: Count, n: Count) -> float: ...

    def probability_alive(self, x: Any, t_x: Any, n: Any) -> Any:
        """P(alive in opportunity n + 1 | x transactions in n, the last in t_x)
        (eq. 11 of Fader, Hardie & Shang 2010).

        Scalars give a float; numpy arrays (broadcast together) an array.
        """
        xp, count, last, periods, many = _patterns(x, t_x, n)
        with _quiet(many):
            alive = xp.exp(self._log_alive(xp, count, last, periods))
        return _finite_array(_numpy(), alive) if many else _finite(alive)

    def _log_alive(self, xp: Any, x: Any, t_x: Any, n: Any) -> Any:
        alpha, beta, gamma, delta = self._params
        return (
            _log_beta(xp, alpha + x, beta + n - x)
            - _log_beta(xp, alpha, beta)
            + _log_beta(xp, gamma, delta + n + 1)
            - _log_beta(xp, gamma, delta)
            - _bgbb_ll(xp, self._params, x, t_x, n, _top(n, t_x))
        )

    def _check_gamma(self) -> None:
        if self.gamma == 1.0:
            raise ValidationError(
                "gamma", "is exactly 1, where the closed form is undefined", allowed="gamma != 1"
            )

    def _expected(self, xp: Any, t: Any, x: Any, t_x: Any, n: Any, log_l: Any) -> Any:
        """E[transactions in opportunities n+1 … n+t] (eq. 13), given log L."""
        alpha, beta, gamma, delta = self._params
        now = xp.lgamma(1 + delta + n) - xp.lgamma(gamma + delta + n)
        scale = xp.exp(
            _log_beta(xp, alpha + x + 1, beta + n - x)
            - _log_beta(xp, alpha, beta)
            + math.lgamma(gamma + delta)
            - math.lgamma(1 + delta)
            + now
            - log_l
        )
        # δ/(γ−1)·(1 − e^change): positive on both sides of γ = 1
        return scale * delta / (gamma - 1) * -xp.expm1(self._change(xp, t, n))

    def _change(self, xp: Any, t: Any, n: Any) -> Any:
        """log of [Γ(1+δ+n+t)/Γ(γ+δ+n+t)] / [Γ(1+δ+n)/Γ(γ+δ+n)]. For up to
        `PRODUCT_TERMS` opportunities, as −Σ_{j<t} log1p((γ−1)/(1+δ+n+j)):
        the difference of log-gammas would cancel to a few digits for γ near 1."""
        gamma, delta = self.gamma, self.delta
        top = _largest(t)
        if top > PRODUCT_TERMS:
            later = xp.lgamma(1 + delta + n + t) - xp.lgamma(gamma + delta + n + t)
            return later - (xp.lgamma(1 + delta + n) - xp.lgamma(gamma + delta + n))
        total = 0.0
        for j in range(top):
            total = total + xp.where(j < t, xp.log1p((gamma - 1) / (1 + delta + n + j)), 0.0)
        return -total

    @overload
    def expected_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, t: "ArrayLike", x: "ArrayLike", t_x: "ArrayLike", n: "ArrayLike"
    ) -> "Array": ...

    @overload
    def expected_purchases(self, t: Count, x: Count, t_x: Count, n: Count) -> float: ...

    def expected_purchases(self, t: Any, x: Any, t_x: Any, n: Any) -> Any:
        """E[transactions in the next t opportunities, n+1 … n+t | x, t_x, n] (eq. 13).

        Scalars give a float; numpy arrays (broadcast together) an array.

        Raises:
            ValidationError: γ is exactly 1 (the closed form divides by γ − 1).
        """
        self._check_gamma()
        xp, count, last, periods, many = _patterns(x, t_x, n)
        if many or _is_array(t):
            np = _numpy()
            span, count, last, periods = _broadcast(
                np, "t, x, t_x, n", _count_array(np, t, "t"), count, last, periods
            )
            xp, many = _arrays(), True
        else:
            span = _count(t, "t")
        with _quiet(many):
            log_l = _bgbb_ll(xp, self._params, count, last, periods, _top(periods, last))
            found = self._expected(xp, span, count, last, periods, log_l)
        return _finite_array(_numpy(), found) if many else _finite(found)

    def expected_purchases_population(self, t: Count) -> float:
        """E[transactions of a new customer in the first t opportunities] (eq. 7)."""
        self._check_gamma()
        return _finite(self._expected(SCALAR, _count(t, "t"), 0, 0, 0, 0.0))

    @overload
    def probability_of_purchases(  # type: ignore[overload-overlap]  # an array is SupportsFloat too
        self, n: "ArrayLike", t: "ArrayLike"
    ) -> "Array": ...

    @overload
    def probability_of_purchases(self, n: Count, t: Count) -> float: ...

    def probability_of_purchases(self, n: Any, t: Any) -> Any:
        """P(a new customer transacts in exactly n of the first t opportunities) (eq. 8).

        Scalars give a float; numpy arrays (broadcast together) an array.
        """
        if _is_array(n) or _is_array(t):
            np = _numpy()
            counts, spans = _broadcast(np, "n, t", _purchases_array(np, n), _purchases_array(np, t))
            top = int(spans.max()) if spans.size else 0
            with _quiet(True):
                return _finite_array(np, self._pmf(_arrays(), counts, spans, top))
        count, span = _purchases(n), _purchases(t)
        return _finite(self._pmf(SCALAR, count, span, span))

    def _pmf(self, xp: Any, k: Any, t: Any, top: int) -> Any:
        """C(t,k)·B(α+k, β+t−k)/B(α,β)·B(γ, δ+t)/B(γ,δ) +
        Σ_{i=k}^{t−1} C(i,k)·B(α+k, β+i−k)/B(α,β)·B(γ+1, δ+i)/B(γ,δ); 0 for k > t."""
        alpha, beta, gamma, delta = self._params
        base = _log_beta(xp, alpha, beta) + _log_beta(xp, gamma, delta)
        fits = k <= t

        def log_choose(top_: Any) -> Any:
            rest = xp.where(top_ >= k, top_ - k, 0)
            return xp.lgamma(top_ + 1.0) - xp.lgamma(k + 1.0) - xp.lgamma(rest + 1.0)

        whole = xp.where(fits, t - k, 0)
        terms = [
            xp.where(
                fits,
                xp.exp(
                    log_choose(t)
                    + _log_beta(xp, alpha + k, beta + whole)
                    + _log_beta(xp, gamma, delta + t)
                    - base
                ),
                0.0,
            )
        ]
        for i in range(top):
            counted = (k <= i) & (i < t)
            gap = xp.where(counted, i - k, 0)
            terms.append(
                xp.where(
                    counted,
                    xp.exp(
                        log_choose(i)
                        + _log_beta(xp, alpha + k, beta + gap)
                        + _log_beta(xp, gamma + 1, delta + i)
                        - base
                    ),
                    0.0,
                )
            )
        return xp.total(terms)

    @classmethod
    def fit(cls, patterns: Iterable[tuple[Count, Count, Count, Count]]) -> Self:
        """Maximum-likelihood parameters from ``(x, t_x, n, count)`` patterns:
        ``count`` customers made ``x`` transactions in ``n`` opportunities, the
        last in ``t_x`` (needs scipy: the ``models`` extra). BFGS on
        log-parameters with the exact gradient.

        Raises:
            MissingExtraError: scipy is not installed.
            ValidationError: not patterns, a pattern that breaks
                0 <= x <= t_x <= n, a count below 1, or no transaction at all.
            ConvergenceError: the optimiser did not converge.
        """
        rows = _read_patterns(patterns)
        if not rows:
            raise ValidationError("patterns", "is empty", allowed="at least one pattern")
        if not any(x > 0 for x, _, _, _ in rows):
            raise ValidationError(
                "patterns", "has no transaction", allowed="customers with transactions"
            )
        np, optimize, special = _scipy()
        columns = [np.array([row[k] for row in rows], dtype=float) for k in range(4)]
        objective = _bgbb_objective(np, special, *columns)
        names = ("alpha", "beta", "gamma", "delta")
        params, info, errors = _fit(np, optimize, objective, names, "BG/BB")
        return cls(
            *params,
            log_likelihood=-objective(np.log(np.array(params)))[0],
            customers=sum(row[3] for row in rows),
            converged=True,
            fit_info=info,
            standard_errors=errors,
        )


def _read_patterns(patterns: object) -> list[tuple[int, int, int, int]]:
    rows = []
    for pattern in items_of(patterns, "patterns", "(x, t_x, n, count) tuples"):
        if not isinstance(pattern, tuple | list) or len(pattern) != 4:
            raise ValidationError(
                "patterns", "must contain (x, t_x, n, count) tuples", allowed="4-tuples of counts"
            )
        x, t_x, n = _check_pattern(*pattern[:3])
        weight = _count(pattern[3], "count")
        if weight == 0:
            raise ValidationError("count", "is 0", allowed="1 or more customers per pattern")
        rows.append((x, t_x, n, weight))
    return rows


def _bgbb_objective(
    np: Any, special: Any, x: Any, t_x: Any, n: Any, weights: Any
) -> Callable[[Any], tuple[float, Any]]:
    """The negative BG/BB log-likelihood over the patterns and its exact
    gradient (digamma), in log-parameters."""
    top = int((n - t_x).max())
    psi = special.digamma

    def terms(alpha: float, beta: float, gamma: float, delta: float) -> list[tuple[Any, Any]]:
        """Each term of the likelihood: (log term, its gradient in α, β, γ, δ)."""
        found = [
            (
                special.betaln(alpha + x, beta + n - x) + special.betaln(gamma, delta + n),
                (
                    psi(alpha + x) - psi(alpha + beta + n),
                    psi(beta + n - x) - psi(alpha + beta + n),
                    psi(gamma) - psi(gamma + delta + n),
                    psi(delta + n) - psi(gamma + delta + n),
                ),
            )
        ]
        for i in range(top):
            last = t_x + i
            log_term = special.betaln(alpha + x, beta + last - x) + special.betaln(
                gamma + 1, delta + last
            )
            found.append(
                (
                    np.where(i < n - t_x, log_term, -np.inf),
                    (
                        psi(alpha + x) - psi(alpha + beta + last),
                        psi(beta + last - x) - psi(alpha + beta + last),
                        psi(gamma + 1) - psi(gamma + delta + 1 + last),
                        psi(delta + last) - psi(gamma + delta + 1 + last),
                    ),
                )
            )
        return found

    def objective(log_params: Any) -> tuple[float, Any]:
        with np.errstate(all="ignore"):
            alpha, beta, gamma, delta = (float(v) for v in np.exp(log_params))
            found = terms(alpha, beta, gamma, delta)
            total = found[0][0]
            for log_term, _ in found[1:]:
                total = np.logaddexp(total, log_term)
            base = special.betaln(alpha, beta) + special.betaln(gamma, delta)
            value = float(np.sum(weights * (total - base)))
            if not math.isfinite(value):
                return math.inf, np.zeros(4)
            gradient = np.array(
                [
                    -(psi(alpha) - psi(alpha + beta)),
                    -(psi(beta) - psi(alpha + beta)),
                    -(psi(gamma) - psi(gamma + delta)),
                    -(psi(delta) - psi(gamma + delta)),
                ]
            ) * float(np.sum(weights))
            for log_term, slopes in found:
                share = weights * np.exp(log_term - total)
                gradient += np.array([float(np.sum(share * slope)) for slope in slopes])
        gradient *= np.array([alpha, beta, gamma, delta])
        return -value, -gradient

    return objective
