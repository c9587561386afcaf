"""Numbers of the model layer: checked counts, times and parameters, and
the series both the scalar and the numpy paths sum."""

import contextlib
import math
import numbers
import sys
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, SupportsFloat, SupportsIndex

from crmcore.domain.numbers import to_fraction
from crmcore.errors import (
    MissingExtraError,
    ModelError,
    ValidationError,
)

Time = float | int | Fraction | Decimal | SupportsFloat
"""A time in the model's unit: any real number of 0 or more (a numpy float too)."""
Parameter = float | int | Fraction | Decimal | SupportsFloat
"""A model parameter as given: any real number (a numpy one too); kept as a float."""
Count = int | float | Decimal | SupportsIndex
"""A count: an int, a numpy integer, or an integral float or Decimal (``2.0``)."""
MAX_SERIES_TERMS = 1_000_000
"""The most terms a hypergeometric series is summed to before `ModelError`."""
MAX_PURCHASES = 1_000_000
"""The largest ``n`` of ``probability_of_purchases`` (about a second to sum)."""
_FLOAT_MAX = Fraction(sys.float_info.max)
MAX_COUNT = 10**9
"""Counts of purchases the models take (``x``, ``n``): more would overflow their floats."""
_TOO_LONG = "the time horizon is too long for the model's parameters"


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
    # the common cases first, kept fast: summaries give Fractions, arrays floats
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        return float(value)
    if isinstance(value, Fraction) and value >= 0:
        with contextlib.suppress(OverflowError):  # too large: refused below
            return value.numerator / value.denominator  # what float() rounds it to
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
    if type(value) is int and 0 <= value <= MAX_COUNT:  # the common case, kept fast
        return int(value)
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


def _hyp2f1(a: float, b: float, c: float, z: float, *, less_one: bool = False) -> float:
    """Gauss's hypergeometric function by its series, for 0 <= z < 1 and c > 0;
    ``less_one``: the series without its first term, ₂F₁ − 1, summed as such
    (no cancellation for a small z)."""
    term = 1.0
    total = 0.0 if less_one else 1.0
    k = 0
    while True:
        term *= (a + k) * (b + k) / (k + 1) / (c + k) * z  # the array path's order
        total += term
        k += 1
        if not abs(term) > 1e-17 * abs(total):  # negligible, or a NaN: nothing to add
            return total
        if k >= MAX_SERIES_TERMS:
            raise ModelError(f"the hypergeometric series did not converge; {_TOO_LONG}")


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """The regularised incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1,
    with y = 1 − x given as computed (not lost to cancellation near x = 1):
    the continued fraction (modified Lentz), on the side where it converges
    fast, as in Numerical Recipes (§6.4)."""
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log(y) - _lbeta(a, b))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300

    def nonzero(value: float) -> float:
        return value if abs(value) >= tiny else tiny

    c, d = 1.0, 1.0 / nonzero(1.0 - (a + b) * x / (a + 1))
    found = d
    for m in range(1, MAX_SERIES_TERMS):
        for step in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 / nonzero(1.0 + step * d)
            c = nonzero(1.0 + step / c)
            found *= d * c
        if abs(d * c - 1.0) <= 1e-16:
            return found
    raise ModelError(f"the incomplete beta function did not converge; {_TOO_LONG}")


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
    try:
        import numpy
    except ImportError:  # summaries were given for many customers at once
        raise MissingExtraError(
            'predicting for many customers at once needs numpy: pip install "crmcore[models]"',
            extra="models",
        ) from None
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


def _broadcast(np: Any, names: str, *arrays: Any) -> list[Any]:
    """``arrays`` broadcast to one shape, or `ValidationError` naming them."""
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        raise ValidationError(
            names.split(",")[0], f"({names}) have shapes that do not broadcast", allowed="one shape"
        ) from None


def _hyp2f1_array(np: Any, a: Any, b: Any, c: Any, z: Any, *, less_one: bool = False) -> Any:
    """`_hyp2f1` over arrays: each element's series summed until its own term
    is negligible, term by term in the scalar path's order (the same floats).

    The elements still summing are kept packed together (repacked whenever a
    quarter of them has finished), so the cost is about the terms summed, not
    the slowest element's terms times the size; where ``a`` and ``b`` are
    scalars (they are model parameters), (a+k)(b+k)/(k+1) is one number per
    term."""
    arrays = np.broadcast_arrays(a, b, c, z)
    shape = arrays[0].shape
    scalar = np.ndim(a) == 0 and np.ndim(b) == 0
    a, b, c, z = (np.array(v, dtype=float).ravel() for v in arrays)
    result = np.zeros(z.size) if less_one else np.ones(z.size)
    where = np.arange(z.size)
    total, term = result.copy(), np.ones(z.size)
    finished = np.zeros(z.size, dtype=bool)
    step, size, done, newly = (np.empty(z.size), np.empty(z.size), np.empty(z.size, bool),
                               np.empty(z.size, bool))  # fmt: skip
    k = 0
    while where.size:
        if k >= MAX_SERIES_TERMS:
            raise ModelError(f"the hypergeometric series did not converge; {_TOO_LONG}")
        # term *= (a + k) * (b + k) / (k + 1) / (c + k) * z, in place
        if scalar:
            np.add(c, k, out=step)
            np.divide((float(a[0]) + k) * (float(b[0]) + k) / (k + 1), step, out=step)
        else:
            np.add(c, k, out=size)
            np.multiply(a + k, b + k, out=step)
            step /= k + 1
            step /= size
        step *= z
        term *= step
        total += term
        k += 1
        # done where |term| <= 1e-17·|total| (or the sum is NaN: nothing more to add)
        np.abs(total, out=size)
        size *= 1e-17
        np.abs(term, out=step)
        np.greater(step, size, out=done)
        np.logical_not(done, out=done)
        np.greater(done, finished, out=newly)  # done now, and not before
        if newly.any():
            # an element's sum is taken when its own series ends; until the
            # next repacking it goes on being computed, and ignored
            result[where[newly]] = total[newly]
            finished |= newly
            if np.count_nonzero(finished) * 4 >= where.size:
                keep = ~finished
                where, total, term, finished = where[keep], total[keep], term[keep], finished[keep]
                a, b, c, z = a[keep], b[keep], c[keep], z[keep]
                step, size, done, newly = step[keep], size[keep], done[keep], newly[keep]
    return result.reshape(shape)


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


def _s(value: Parameter) -> float:
    return _parameter(value, "s")


def _beta(value: Parameter) -> float:
    return _parameter(value, "beta")


def _gamma(value: Parameter) -> float:
    return _parameter(value, "gamma")


def _delta(value: Parameter) -> float:
    return _parameter(value, "delta")


def _purchases(n: object) -> int:
    """A number of purchases to give the probability of: a count of at most
    `MAX_PURCHASES` (the formulas sum a term for every smaller count)."""
    count = _count(n, "n")
    if count > MAX_PURCHASES:
        raise ValidationError("n", "is too large to sum over", allowed=f"at most {MAX_PURCHASES:,}")
    return count


def _purchases_array(np: Any, n: object) -> Any:
    counts = _count_array(np, n, "n")
    _first_bad(
        np, counts > MAX_PURCHASES, "n", "is too large to sum over", f"at most {MAX_PURCHASES:,}"
    )
    return counts


def _check_customer(x: object, t_x: object, T: object) -> tuple[int, float, float]:
    count = _count(x, "x")
    recency = _time(t_x, "t_x")
    age = _time(T, "T")
    if recency > age:
        raise ValidationError("t_x", "is after T", allowed="0 <= t_x <= T")
    if count == 0 and recency != 0:
        raise ValidationError("t_x", "must be 0 without repeat purchases", allowed="0")
    return count, recency, age


def _check_customers(x: object, t_x: object, T: object) -> tuple[Any, Any, Any, Any]:
    np = _numpy()
    count = _count_array(np, x, "x")
    recency = _time_array(np, t_x, "t_x")
    age = _time_array(np, T, "T")
    count, recency, age = _broadcast(np, "x, t_x, T", count, recency, age)
    _first_bad(np, recency > age, "t_x", "is after T", "0 <= t_x <= T")
    _first_bad(np, (count == 0) & (recency != 0), "t_x", "must be 0 without repeat purchases", "0")
    return np, count, recency, age


# One formula, two evaluators -------------------------------------------------------------
#
# The models added after BG/NBD write each formula once, against a small
# namespace ``xp``: `SCALAR` evaluates it in pure Python (``math``, the core
# install), `_arrays()` in numpy. Both follow numpy's conventions (log 0 is
# -inf, an overflow is inf; `_finite` and `_finite_array` refuse what is left
# not finite), so the two paths compute the same floats in the same order.


class _ScalarMath:
    """``math`` with numpy's conventions, for one customer at a time."""

    @staticmethod
    def log(value: float) -> float:
        if value > 0:
            return math.log(value)
        return -math.inf if value == 0 else math.nan

    @staticmethod
    def log1p(value: float) -> float:
        if value > -1:
            return math.log1p(value)
        return -math.inf if value == -1 else math.nan

    @staticmethod
    def exp(value: float) -> float:
        try:
            return math.exp(value)
        except OverflowError:
            return math.inf

    @staticmethod
    def expm1(value: float) -> float:
        try:
            return math.expm1(value)
        except OverflowError:
            return math.inf

    @staticmethod
    def lgamma(value: float) -> float:
        return math.lgamma(value)

    @staticmethod
    def logaddexp(first: float, second: float) -> float:
        if math.isnan(first) or math.isnan(second):
            return math.nan
        high = max(first, second)
        if math.isinf(high):  # both -inf, or one +inf
            return high
        return high + math.log1p(math.exp(min(first, second) - high))

    @staticmethod
    def minimum(first: float, second: float) -> float:
        return min(first, second)

    @staticmethod
    def where(condition: bool, yes: float, no: float) -> float:
        return yes if condition else no

    @staticmethod
    def hyp2f1(a: float, b: float, c: float, z: float) -> float:
        return _hyp2f1(a, b, c, z)

    @staticmethod
    def total(terms: list[float]) -> float:
        return math.fsum(terms)

    @staticmethod
    def betainc(a: float, b: float, x: float, y: float) -> float:
        return _betainc(a, b, x, y)


SCALAR: Any = _ScalarMath()


class _ArrayMath:
    """The same names over numpy arrays (scipy's ``gammaln`` for lgamma)."""

    def __init__(self, np: Any, special: Any, hyp2f1: Callable[..., Any]) -> None:
        self.log, self.log1p, self.exp, self.expm1 = np.log, np.log1p, np.exp, np.expm1
        self.logaddexp, self.minimum, self.where = np.logaddexp, np.minimum, np.where
        self.lgamma = special.gammaln
        self.hyp2f1 = hyp2f1
        self.total = lambda terms: np.sum(np.stack(np.broadcast_arrays(*terms)), axis=0)
        self.betainc = lambda a, b, x, _y: special.betainc(a, b, x)


def _arrays() -> Any:
    """The numpy evaluator: the hypergeometric series summed as the scalar path sums it."""
    np = _numpy()
    try:
        from scipy import special
    except ImportError:
        raise MissingExtraError(
            'these predictions over arrays need scipy: pip install "crmcore[models]"',
            extra="models",
        ) from None
    return _ArrayMath(np, special, lambda a, b, c, z: _hyp2f1_array(np, a, b, c, z))
