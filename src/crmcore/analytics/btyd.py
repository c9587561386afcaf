"""Probabilistic CLV: the BG/NBD purchase model and the Gamma-Gamma spend model.

Conventions, all stated and none silent:

- `rfm_summary` turns transactions into the models' inputs. Purchases on one
  calendar day are one purchase (amounts added). ``frequency`` is the number
  of purchase days minus one (repeat purchases); ``recency`` is the time from
  the first to the last purchase day; ``T`` the time from the first purchase
  day to ``observation_end``; both in the summary's unit (``"day"``,
  ``"week"`` = 7 days or ``"month"`` = 30 days), which every summary carries.
  ``monetary_value`` is the mean amount of the repeat purchase days (zero
  when there are none).
- Predictions are pure Python (``math``), with the formulas of Fader, Hardie
  and Lee (2005), "Counting your customers the easy way". Model parameters
  and predictions are floats (they are estimates, not amounts of money); the
  money-valued results (`GammaGamma.expected_spend`, `clv`) are `Money`
  converted from those floats, which their documentation says.
- Time arguments ``t``, ``t_x`` and ``T`` are in the unit of the summary the
  model was fitted on.
- Fitting (`BetaGeo.fit`, `GammaGamma.fit`) is maximum likelihood with scipy
  (``pip install "crmcore[models]"``), in log space, over the distinct rows
  of the summary, by BFGS with the exact gradient (Nelder-Mead if that
  stalls), and never returns NaN parameters: it raises `ConvergenceError`
  instead. A fitted model has `fit_info`, `standard_errors` (from the
  observed information) and `confidence_intervals` (on the log scale).
"""

import datetime as _dt
import itertools
import math
import numbers
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Self, SupportsFloat, SupportsIndex, overload

import attrs
import pendulum

from crmcore.analytics._results import MappingResult
from crmcore.analytics.transactions import Transaction
from crmcore.domain.fields import instances_of, items_of
from crmcore.domain.money import Money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.times import to_date
from crmcore.errors import (
    ConvergenceError,
    CurrencyMismatchError,
    MissingExtraError,
    ModelError,
    ValidationError,
)

if TYPE_CHECKING:  # numpy is an optional dependency (the models extra)
    import numpy.typing as npt

    ArrayLike = npt.NDArray[Any]
    Array = npt.NDArray[Any]

__all__ = [
    "UNITS",
    "BetaGeo",
    "CalibrationHoldout",
    "ClvPrediction",
    "ClvPredictions",
    "FitInfo",
    "GammaGamma",
    "HoldoutBin",
    "HoldoutRow",
    "RfmSummaries",
    "RfmSummary",
    "calibration_and_holdout",
    "clv",
    "holdout_comparison",
    "rfm_summary",
]

UNITS: Mapping[str, int] = {"day": 1, "week": 7, "month": 30}
"""Days per unit of time."""

DAYS_PER_MONTH = 30

Time = float | int | Fraction | Decimal | SupportsFloat
"""A time in the summary's unit: any real number (a numpy float too)."""
Parameter = float | int | Fraction | Decimal | SupportsFloat
"""A model parameter as given: any real number (a numpy one too); kept as a float."""
Count = int | float | Decimal | SupportsIndex
"""A count: an int, a numpy integer, or an integral float or Decimal (``2.0``)."""
"""A time in the model's unit: any real number of 0 or more (converted to float)."""
MAX_SERIES_TERMS = 1_000_000
MAX_PURCHASES = 1_000_000
_FLOAT_MAX = Fraction(sys.float_info.max)
MAX_COUNT = 10**9
"""Counts of purchases the models take (``x``, ``n``): more would overflow their floats."""
"""The largest ``n`` of `BetaGeo.probability_of_purchases` (about a second to sum)."""
_TOO_LONG = "the time horizon is too long for the model's parameters"


# The summary -------------------------------------------------------------------------


@attrs.frozen
class RfmSummary:
    """One customer's BTYD inputs, in the unit named by ``unit``.

    Attributes:
        frequency: repeat purchases (purchase days − 1).
        recency: first to last purchase day, in units (exact).
        T: first purchase day to the end of observation, in units (exact).
        monetary_value: mean amount of the repeat purchase days (zero if none).
    """

    customer_id: str
    frequency: int
    recency: Fraction
    T: Fraction
    monetary_value: Money
    unit: str
    first_purchase: pendulum.Date
    last_purchase: pendulum.Date


class RfmSummaries(MappingResult[str, RfmSummary]):
    """Customer id → `RfmSummary`, ordered by id; ``unit`` and ``observation_end`` stated."""

    __slots__ = ("_by_id", "observation_end", "unit")

    def __init__(
        self, by_id: dict[str, RfmSummary], *, unit: str, observation_end: pendulum.Date
    ) -> None:
        self._by_id = by_id
        self.unit = unit
        self.observation_end = observation_end

    def _mapped(self) -> Mapping[str, RfmSummary]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"RfmSummaries({len(self)} customers, unit={self.unit!r}, "
            f"observation_end={self.observation_end.isoformat()})"
        )


def _check_unit(unit: object) -> str:
    if not isinstance(unit, str) or unit not in UNITS:
        raise ValidationError("unit", "is not a known unit", allowed="'day', 'week' or 'month'")
    return str(unit)


def rfm_summary(
    transactions: Iterable[Transaction], *, observation_end: _dt.date, unit: str = "week"
) -> RfmSummaries:
    """Summarise transactions for the BG/NBD and Gamma-Gamma models.

    Only transactions on or before ``observation_end`` count. See the module
    documentation for the conventions.

    Raises:
        ValidationError: not a Transaction, an unknown unit.
        CurrencyMismatchError: amounts in more than one currency.
    """
    end = to_date(observation_end, "observation_end")
    chosen = _check_unit(unit)
    per_unit = UNITS[chosen]
    days: dict[str, dict[pendulum.Date, Fraction]] = {}
    currency: str | None = None
    for transaction in items_of(transactions, "transactions", "Transaction values"):
        if not isinstance(transaction, Transaction):
            raise ValidationError(
                "transactions", "must contain only Transaction", allowed="Transaction values"
            )
        amount = transaction.amount
        if currency is None:
            currency = amount.currency
        elif amount.currency != currency:
            raise CurrencyMismatchError(currency, amount.currency, operation="summarise")
        day = transaction.day
        if day > end:
            continue
        spent = days.setdefault(transaction.customer_id, {})
        spent[day] = spent.get(day, Fraction(0)) + Fraction(amount.amount)  # exact
    summaries: dict[str, RfmSummary] = {}
    for customer_id in sorted(days):
        spent = days[customer_id]
        ordered = sorted(spent)
        first, last = ordered[0], ordered[-1]
        repeats = [spent[d] for d in ordered[1:]]
        mean = sum(repeats, Fraction(0)) / len(repeats) if repeats else Fraction(0)
        assert currency is not None
        summaries[customer_id] = RfmSummary(
            customer_id=customer_id,
            frequency=len(ordered) - 1,
            recency=Fraction((last - first).days, per_unit),
            T=Fraction((end - first).days, per_unit),
            monetary_value=Money.from_exact(mean, currency),
            unit=chosen,
            first_purchase=first,
            last_purchase=last,
        )
    return RfmSummaries(summaries, unit=chosen, observation_end=end)


# Numbers --------------------------------------------------------------------------------


def _float(value: int | float | Decimal | Fraction) -> float:
    """The float nearest ``value``; NaN for what has none (too large, a signalling NaN)."""
    try:
        return float(value)
    except (OverflowError, ValueError):
        return math.nan


def _number(value: object) -> bool:
    """A number the model layer takes: an int, a float, a Decimal, a Fraction,
    or a numpy (or other `numbers.Real`) scalar; never a bool."""
    if type(value) is bool:
        return False
    return isinstance(value, int | float | Decimal | Fraction | numbers.Real)


def _parameter(value: object, field: str) -> float:
    if not _number(value):
        raise ValidationError(
            field, f"must be a number, not {type(value).__name__}", allowed="a positive float"
        )
    number = _float(value)  # type: ignore[arg-type]  # a number, checked above
    if not math.isfinite(number) or number <= 0:
        raise ValidationError(field, "must be finite and positive", allowed="a positive float")
    return number


def _time(value: object, field: str) -> float:
    if not _number(value):
        raise ValidationError(
            field, f"must be a number, not {type(value).__name__}", allowed="a time of 0 or more"
        )
    number = _float(value)  # type: ignore[arg-type]  # a number, checked above
    if not math.isfinite(number) or number < 0:
        raise ValidationError(field, "must be finite and 0 or more", allowed="a time of 0 or more")
    return number


_COUNT_RULE = (
    f"a whole number from 0 to {MAX_COUNT:,}: an int, a numpy integer, or an integral float "
    "such as 2.0 (what a pandas column holds)"
)


def _count(value: object, field: str) -> int:
    """A purchase count: ints and numpy integers, and integral floats (``2.0``),
    as pandas columns hold them; ``2.5`` and bools are refused."""
    if type(value) is bool:
        raise ValidationError(field, "must be a count, not a bool", allowed=_COUNT_RULE)
    if isinstance(value, numbers.Integral):
        count = int(value)
    elif isinstance(value, Decimal) and value.is_finite():
        # compared before int(): int(Decimal("1E+999999999")) would build a
        # billion-digit number
        if not 0 <= value <= MAX_COUNT:
            raise ValidationError(field, "is out of range", allowed=_COUNT_RULE)
        if value != value.to_integral_value():
            raise ValidationError(field, "is not a whole number", allowed=_COUNT_RULE)
        count = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(number := float(value)):
        if not number.is_integer():
            raise ValidationError(field, "is not a whole number", allowed=_COUNT_RULE)
        count = int(number)
    else:
        raise ValidationError(field, "must be a count", allowed=_COUNT_RULE)
    if not 0 <= count <= MAX_COUNT:
        raise ValidationError(field, "is out of range", allowed=_COUNT_RULE)
    return count


def _model_rate(value: object, field: str) -> Fraction:
    """A rate of the model layer: a float (numpy's too) at its exact binary
    value, anything else as `to_fraction` reads it."""
    if isinstance(value, float | numbers.Real) and not isinstance(value, int | Fraction):
        number = float(value)
        if not math.isfinite(number):
            raise ValidationError(field, "must be finite", allowed="a finite number")
        return Fraction(number)
    return to_fraction(value, field)


def _finite(value: float) -> float:
    """A model's answer, or `ModelError` where floats cannot give one (never NaN or inf)."""
    if not math.isfinite(value):
        raise ModelError(
            "the model has no finite answer for these parameters and inputs "
            "(a float overflowed or lost all precision)"
        )
    return value


def _lbeta(x: float, y: float) -> float:
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


def _hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """Gauss's hypergeometric function by its series, for 0 <= z < 1 and c > 0."""
    total = term = 1.0
    k = 0
    while True:
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
        if abs(term) <= 1e-17 * abs(total) or term == 0.0:
            return total
        if k >= MAX_SERIES_TERMS:
            raise ModelError(f"the hypergeometric series did not converge; {_TOO_LONG}")


# Arrays ---------------------------------------------------------------------------------
#
# The predictions take numpy arrays as well as scalars: arrays in give an
# ndarray out, evaluated in numpy with the same formulas, in the same order,
# as the scalar path (they agree to about 1e-15 relative).


def _is_array(value: object) -> bool:
    """A numpy array of one or more dimensions (numpy scalars and 0-d arrays
    take the scalar path); decided without importing numpy."""
    return type(value).__module__ == "numpy" and getattr(value, "ndim", 0) > 0


def _numpy() -> Any:
    import numpy  # an array was given, so numpy is installed

    return numpy


def _first_bad(np: Any, bad: Any, field: str, problem: str, allowed: str) -> None:
    """Raise naming the first element where ``bad`` holds (``x[3]``)."""
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = ", ".join(str(i) for i in index)
        raise ValidationError(f"{field}[{where}]", problem, allowed=allowed)


def _count_array(np: Any, value: object, field: str) -> Any:
    found = np.asarray(value)
    if found.dtype.kind not in "iuf":
        raise ValidationError(
            field, f"must be an array of numbers, not of {found.dtype}", allowed=_COUNT_RULE
        )
    numbers_ = found.astype(float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numbers_) | (numbers_ != np.floor(numbers_))
    _first_bad(np, bad, field, "is not a whole number", _COUNT_RULE)
    _first_bad(np, (numbers_ < 0) | (numbers_ > MAX_COUNT), field, "is out of range", _COUNT_RULE)
    return numbers_


def _time_array(np: Any, value: object, field: str) -> Any:
    found = np.asarray(value)
    if found.dtype.kind not in "iuf":
        raise ValidationError(
            field,
            f"must be an array of numbers, not of {found.dtype}",
            allowed="times of 0 or more",
        )
    times = found.astype(float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(times) | (times < 0)
    _first_bad(np, bad, field, "must be finite and 0 or more", "times of 0 or more")
    return times


def _hyp2f1_array(np: Any, a: Any, b: Any, c: Any, z: Any) -> Any:
    """`_hyp2f1` over arrays: each element's series summed until its own term
    is negligible, term by term in the scalar path's order."""
    a, b, c, z = np.broadcast_arrays(a, b, c, z)
    total = np.ones(z.shape)
    term = np.ones(z.shape)
    active = np.ones(z.shape, dtype=bool)
    k = 0
    while np.any(active):
        if k >= MAX_SERIES_TERMS:
            raise ModelError(f"the hypergeometric series did not converge; {_TOO_LONG}")
        step = (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        term = np.where(active, term * step, term)
        total = np.where(active, total + term, total)
        k += 1
        active &= ~((np.abs(term) <= 1e-17 * np.abs(total)) | (term == 0.0))
    return total


def _finite_array(np: Any, values: Any) -> Any:
    if not np.all(np.isfinite(values)):
        _finite(math.nan)
    return values


# BG/NBD ---------------------------------------------------------------------------------


# Each parameter's converter names its field (the models take ints, floats,
# Decimals, Fractions and numpy numbers, and keep floats).


def _r(value: Parameter) -> float:
    return _parameter(value, "r")


def _alpha(value: Parameter) -> float:
    return _parameter(value, "alpha")


def _a(value: Parameter) -> float:
    return _parameter(value, "a")


def _b(value: Parameter) -> float:
    return _parameter(value, "b")


def _p(value: Parameter) -> float:
    return _parameter(value, "p")


def _q(value: Parameter) -> float:
    return _parameter(value, "q")


def _v(value: Parameter) -> float:
    return _parameter(value, "v")


@attrs.frozen
class FitInfo:
    """How a maximum-likelihood fit went.

    Attributes:
        iterations: the optimiser's iterations (quasi-Newton steps).
        evaluations: how often the log-likelihood (with its gradient) was computed.
        converged: whether the optimiser reported convergence.
        method: ``"BFGS"`` with the analytic gradient, or ``"Nelder-Mead +
            BFGS"`` when the gradient method alone did not converge and the
            derivative-free one took over.
    """

    iterations: int
    evaluations: int
    converged: bool
    method: str


def _intervals(model: Any, names: tuple[str, ...], level: object) -> dict[str, tuple[float, float]]:
    """Confidence intervals from the standard errors, on the log scale."""
    if type(level) is bool or not isinstance(level, int | float | Decimal | Fraction):
        raise ValidationError("level", "must be a number", allowed="a level between 0 and 1")
    chosen = _float(level)
    if not 0 < chosen < 1:
        raise ValidationError("level", "is not between 0 and 1", allowed="such as 0.95")
    errors = model.standard_errors
    if errors is None:
        raise ModelError(
            "the model has no standard errors: it was built from given parameters, or its "
            "fit's information matrix is not positive definite"
        )
    z = statistics.NormalDist().inv_cdf((1 + chosen) / 2)
    found = {}
    for name in names:
        value = getattr(model, name)
        spread = z * errors[name] / value  # the standard error of log(value)
        found[name] = (value * math.exp(-spread), value * math.exp(spread))
    return found


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


def _rows(summary: Mapping[str, RfmSummary]) -> list[tuple[int, float, float]]:
    if not isinstance(summary, Mapping) or not all(
        isinstance(s, RfmSummary) for s in summary.values()
    ):
        raise ValidationError(
            "summary", "must map customer ids to RfmSummary", allowed="the result of rfm_summary"
        )
    if not summary:
        raise ValidationError("summary", "is empty", allowed="at least one customer")
    return [(s.frequency, float(s.recency), float(s.T)) for s in summary.values()]


def _scipy() -> tuple[Any, Any, Any]:
    try:
        import numpy
        from scipy import optimize, special
    except ImportError:
        raise MissingExtraError(
            'fitting a model needs scipy: pip install "crmcore[models]"', extra="models"
        ) from None
    return numpy, optimize, special


_MAX_LOG = math.log(sys.float_info.max)
"""At and above this, exp() overflows: a log-parameter there is an infinite parameter."""
RESTARTS = 3
"""How often the gradient search starts again from where it stalled before
the derivative-free search takes over."""


def _fit(
    np: Any,
    optimize: Any,
    objective: Callable[[Any], tuple[float, Any]],
    names: tuple[str, ...],
    model: str,
) -> tuple[tuple[float, ...], FitInfo, dict[str, float] | None]:
    """Maximum likelihood over log-parameters (so they stay positive): BFGS
    with the exact gradient; Nelder-Mead first, then BFGS, if that alone
    fails. Returns the parameters, how the fit went, and the standard errors
    from the observed information (``None`` where it is not positive definite).
    """
    size = len(names)
    start = np.zeros(size)
    iterations = evaluations = 0
    best, method, point = None, "BFGS", start
    for _ in range(RESTARTS):
        # gtol bounds the gradient of a log-likelihood of order 10^3 to 10^7: the
        # optimum to about 10^-10 relative, where floats stop telling steps apart.
        # A search that stalls ("precision loss" on a ridge) starts again from
        # where it stopped, with a fresh curvature estimate.
        with np.errstate(all="ignore"):  # an overflow on the way is inf: the search backs off
            found = optimize.minimize(
                objective, point, jac=True, method="BFGS", options={"gtol": 1e-6}
            )
        iterations, evaluations = iterations + int(found.nit), evaluations + int(found.nfev)
        best, point = found, found.x
        if found.success and math.isfinite(float(found.fun)):
            break
    assert best is not None
    if not (best.success and math.isfinite(float(best.fun))):
        with np.errstate(all="ignore"):
            slow = optimize.minimize(
                lambda v: objective(v)[0],
                start,
                method="Nelder-Mead",
                options={"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-10, "fatol": 1e-10},
            )
            polished = optimize.minimize(objective, slow.x, jac=True, method="BFGS")
        iterations += int(slow.nit) + int(polished.nit)
        evaluations += int(slow.nfev) + int(polished.nfev)
        best = polished if polished.success and polished.fun <= slow.fun else slow
        method = "Nelder-Mead + BFGS"
        if not (slow.success or polished.success):
            raise ConvergenceError(model, str(best.message))
    # a search that wandered off to a huge log-parameter gives inf, refused below
    params = tuple(math.exp(float(v)) if float(v) < _MAX_LOG else math.inf for v in best.x)
    finite = all(math.isfinite(p) and p > 0 for p in params) and math.isfinite(float(best.fun))
    if not finite:
        raise ConvergenceError(model, str(best.message))
    info = FitInfo(iterations=iterations, evaluations=evaluations, converged=True, method=method)
    return params, info, _standard_errors(np, objective, best.x, names)


def _standard_errors(
    np: Any, objective: Callable[[Any], tuple[float, Any]], at: Any, names: tuple[str, ...]
) -> dict[str, float] | None:
    """se(θ) from the inverse of the observed information (the Hessian of the
    negative log-likelihood, by central differences of the exact gradient in
    log-parameters), by the delta method: se(θ) = θ·se(log θ)."""
    size = len(names)
    step = 1e-5
    hessian = np.zeros((size, size))
    for k in range(size):
        shift = np.zeros(size)
        shift[k] = step
        with np.errstate(all="ignore"):
            hessian[:, k] = (objective(at + shift)[1] - objective(at - shift)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(hessian)  # positive definite: a strict maximum
    except np.linalg.LinAlgError:
        return None
    variances = np.diag(np.linalg.inv(hessian))
    return {
        name: math.exp(float(log_value)) * math.sqrt(float(variance))
        for name, log_value, variance in zip(names, at, variances, strict=True)
    }


# Gamma-Gamma ----------------------------------------------------------------------------


@attrs.frozen
class GammaGamma:
    """The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV") with p, q, v.

    A customer's transaction values are gamma(p, ν) around their own mean,
    with ν gamma(q, v) across customers. The population mean spend is
    p·v/(q−1), finite only for q > 1.
    """

    p: float = attrs.field(converter=_p)
    q: float = attrs.field(converter=_q)
    v: float = attrs.field(converter=_v)
    log_likelihood: float | None = attrs.field(default=None, kw_only=True)
    customers: int | None = attrs.field(default=None, kw_only=True)
    converged: bool | None = attrs.field(default=None, kw_only=True)
    fit_info: FitInfo | None = attrs.field(default=None, kw_only=True)
    standard_errors: Mapping[str, float] | None = attrs.field(default=None, kw_only=True, eq=False)

    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Parameter → (low, high) at ``level``, on the log scale (see
        `BetaGeo.confidence_intervals`).

        Raises:
            ValidationError: a level outside (0, 1).
            ModelError: the model has no standard errors (not fitted).
        """
        return _intervals(self, ("p", "q", "v"), level)

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


# CLV ------------------------------------------------------------------------------------


@attrs.frozen
class ClvPrediction:
    """One customer's predicted CLV and its parts.

    ``value`` = margin × ``expected_spend`` × Σ_m ``purchases_by_month``[m] / (1 + d)^m.
    """

    customer_id: str
    value: Money
    expected_spend: Money
    purchases_by_month: tuple[float, ...]
    probability_alive: float


class ClvPredictions(MappingResult[str, ClvPrediction]):
    """Customer id → `ClvPrediction`; ``unit`` and ``units_per_month`` stated."""

    __slots__ = ("_by_id", "months", "unit", "units_per_month")

    def __init__(self, by_id: dict[str, ClvPrediction], *, unit: str, months: int) -> None:
        self._by_id = by_id
        self.unit = _check_unit(unit)
        self.months = months
        self.units_per_month = Fraction(DAYS_PER_MONTH, UNITS[self.unit])

    def _mapped(self) -> Mapping[str, ClvPrediction]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"ClvPredictions({len(self)} customers, {self.months} months of 30 days "
            f"= {self.units_per_month} {self.unit}s each)"
        )


def clv(
    beta_geo: BetaGeo,
    gamma_gamma: GammaGamma,
    summary: Mapping[str, RfmSummary],
    *,
    months: int,
    monthly_discount_rate: Decimal | int | str | Fraction | float,
    margin: Decimal | int | str | Fraction | float = 1,
) -> ClvPredictions:
    """Each customer's discounted expected value over the next ``months`` months.

    Σ_{m=1..months} margin × E[spend] × (E[X(m·30 days)] − E[X((m−1)·30 days)]) / (1 + d)^m,
    with E[X] the BG/NBD conditional expectation and months of 30 days
    converted into the summary's unit (stated in the result).

    The model layer is floating point: the rate and the margin may be floats
    (numpy ones too), taken at their exact binary value; Decimals, ints,
    Fractions and numeric strings are read exactly, as everywhere.

    Raises:
        ValidationError: months outside 1 to 1200, a negative or non-finite
            rate or margin.
    """
    if not isinstance(beta_geo, BetaGeo) or not isinstance(gamma_gamma, GammaGamma):
        raise ValidationError(
            "beta_geo", "must be a BetaGeo and a GammaGamma", allowed="fitted models"
        )
    _rows(summary)
    if type(months) is not int or not 1 <= months <= 1200:
        raise ValidationError("months", "is out of range", allowed="an int from 1 to 1200")
    rate = _model_rate(monthly_discount_rate, "monthly_discount_rate")
    share = _model_rate(margin, "margin")
    if rate < 0:
        raise ValidationError("monthly_discount_rate", "must not be negative", allowed="0 or more")
    if share < 0:
        raise ValidationError("margin", "must not be negative", allowed="0 or more")
    units = {s.unit for s in summary.values()}
    unit = units.pop()
    if units:
        raise ValidationError("summary", "mixes units", allowed="one unit")
    step = DAYS_PER_MONTH / UNITS[unit]
    # exp(-m·log(1+d)) rather than 1/(1+d)**m: a huge rate underflows to 0
    # instead of overflowing.
    discount_log = math.log1p(_float(rate)) if rate < _FLOAT_MAX else math.inf
    discounts = [math.exp(-m * discount_log) for m in range(1, months + 1)]
    predictions: dict[str, ClvPrediction] = {}
    for customer_id, s in summary.items():
        x, t_x, T = s.frequency, float(s.recency), float(s.T)
        cumulative = [beta_geo.expected_purchases(m * step, x, t_x, T) for m in range(months + 1)]
        by_month = tuple(b - a for a, b in itertools.pairwise(cumulative))
        spend = gamma_gamma.expected_spend(x, s.monetary_value)
        total = (
            float(share)
            * float(spend.amount)
            * math.fsum(p * d for p, d in zip(by_month, discounts, strict=True))
        )
        try:
            value = _money(_finite(total), spend.currency)
        except ValidationError:
            raise ValidationError(
                "margin",
                "makes a customer's value exceed the range of Money",
                allowed="a margin that keeps values below 10**18",
            ) from None
        predictions[customer_id] = ClvPrediction(
            customer_id=customer_id,
            value=value,
            expected_spend=spend,
            purchases_by_month=by_month,
            probability_alive=beta_geo.probability_alive(x, t_x, T),
        )
    return ClvPredictions(predictions, unit=unit, months=months)


# Calibration and holdout ------------------------------------------------------------------


@attrs.frozen
class HoldoutRow:
    """One customer in a calibration/holdout split.

    Attributes:
        summary: the customer's summary over the calibration period.
        purchases: purchase days in the holdout period.
    """

    summary: RfmSummary
    purchases: int


class CalibrationHoldout(MappingResult[str, HoldoutRow]):
    """Customer id → `HoldoutRow`, for the customers who bought in the
    calibration period; with the split's dates, unit and holdout length."""

    __slots__ = ("_by_id", "calibration", "calibration_end", "duration", "observation_end")

    def __init__(
        self,
        by_id: dict[str, HoldoutRow],
        *,
        calibration: RfmSummaries,
        calibration_end: pendulum.Date,
        observation_end: pendulum.Date,
        duration: Fraction,
    ) -> None:
        self._by_id = by_id
        self.calibration = calibration
        self.calibration_end = calibration_end
        self.observation_end = observation_end
        self.duration = duration

    def _mapped(self) -> Mapping[str, HoldoutRow]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"CalibrationHoldout({len(self)} customers, unit={self.calibration.unit!r}, "
            f"calibration_end={self.calibration_end.isoformat()}, "
            f"observation_end={self.observation_end.isoformat()})"
        )


def calibration_and_holdout(
    transactions: Iterable[Transaction],
    *,
    calibration_end: _dt.date,
    observation_end: _dt.date,
    unit: str = "week",
) -> CalibrationHoldout:
    """Split transactions for validating a model: the calibration summary of
    every customer who bought on or before ``calibration_end``, and the
    number of days each of them bought in the holdout period
    (``calibration_end``, ``observation_end``]. Customers whose first
    purchase falls in the holdout period are left out (the model knows
    nothing of them), as in Fader, Hardie & Lee (2005).

    Raises:
        ValidationError: not Transaction values, an unknown unit, or a
            calibration end not before the observation end.
        CurrencyMismatchError: amounts in more than one currency.
    """
    end = to_date(observation_end, "observation_end")
    split = to_date(calibration_end, "calibration_end")
    if split >= end:
        raise ValidationError(
            "calibration_end",
            "is not before observation_end",
            allowed="a day before the end of observation",
        )
    given = instances_of(Transaction, transactions, "transactions", "Transaction values")
    calibration = rfm_summary(given, observation_end=split, unit=unit)
    holdout_days: dict[str, set[pendulum.Date]] = {}
    for transaction in given:
        day = transaction.day
        if split < day <= end and transaction.customer_id in calibration:
            holdout_days.setdefault(transaction.customer_id, set()).add(day)
    rows = {
        customer_id: HoldoutRow(summary, len(holdout_days.get(customer_id, ())))
        for customer_id, summary in calibration.items()
    }
    duration = Fraction((end - split).days, UNITS[calibration.unit])
    return CalibrationHoldout(
        rows,
        calibration=calibration,
        calibration_end=split,
        observation_end=end,
        duration=duration,
    )


@attrs.frozen
class HoldoutBin:
    """Customers with one calibration frequency (the last bin: that many or more).

    Attributes:
        frequency: the calibration frequency (repeat purchases).
        customers: how many customers.
        actual: their mean purchases in the holdout period.
        predicted: the model's mean conditional expectation for the holdout period.
        open_ended: whether the bin holds every larger frequency too.
    """

    frequency: int
    customers: int
    actual: float
    predicted: float
    open_ended: bool


def holdout_comparison(
    model: BetaGeo, data: CalibrationHoldout, *, max_frequency: int = 7
) -> tuple[HoldoutBin, ...]:
    """Predicted against actual holdout purchases per calibration frequency,
    as in the conditional-expectation chart of Fader, Hardie & Lee (2005):
    frequencies 0 to ``max_frequency``, the last bin open-ended; empty bins
    are left out.

    Raises:
        ValidationError: not a BetaGeo, not a `CalibrationHoldout`, or a
            ``max_frequency`` outside 0 to 100.
    """
    if not isinstance(model, BetaGeo):
        raise ValidationError("model", "must be a BetaGeo", allowed="a fitted BetaGeo")
    if not isinstance(data, CalibrationHoldout):
        raise ValidationError(
            "data", "must be a CalibrationHoldout", allowed="the result of calibration_and_holdout"
        )
    if type(max_frequency) is not int or not 0 <= max_frequency <= 100:
        raise ValidationError("max_frequency", "is out of range", allowed="an int from 0 to 100")
    span = float(data.duration)
    actual: dict[int, list[int]] = {}
    predicted: dict[int, list[float]] = {}
    for row in data.values():
        s = row.summary
        key = min(s.frequency, max_frequency)
        actual.setdefault(key, []).append(row.purchases)
        predicted.setdefault(key, []).append(
            model.expected_purchases(span, s.frequency, float(s.recency), float(s.T))
        )
    return tuple(
        HoldoutBin(
            frequency=key,
            customers=len(actual[key]),
            actual=math.fsum(actual[key]) / len(actual[key]),
            predicted=math.fsum(predicted[key]) / len(predicted[key]),
            open_ended=key == max_frequency,
        )
        for key in sorted(actual)
    )
