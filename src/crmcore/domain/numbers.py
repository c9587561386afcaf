"""Exact numbers: parsing rates, and rounding a rational once.

Nothing here reads or changes the caller's global `decimal` context: parsing
and rounding use a private context or plain integer arithmetic.
"""

import decimal
from decimal import Decimal
from fractions import Fraction

from crmcore.errors import ValidationError

SIGNIFICANT_DIGITS = 28
"""Results that cannot be exact are rounded once, half-even, to this many digits."""

# A private context for parsing and for the exact +, -, x on bounded amounts:
# 100 digits is far more than two 36-digit amounts need, and Inexact is trapped
# so that any result that would need rounding is reported instead.
EXACT = decimal.Context(
    prec=100,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Inexact,
    ],
    flags=[],
)

_LOG10_2 = Fraction(3010299957, 10_000_000_000)  # slightly below log10(2)


def _decimal_exponent(value: Fraction) -> int:
    """floor(log10(value)) for a positive `Fraction`, without float or str()."""
    n, d = value.numerator, value.denominator
    estimate = int((n.bit_length() - d.bit_length()) * _LOG10_2)
    # The estimate is within 2 of the answer; step until 10**e <= n/d < 10**(e+1).
    e = estimate
    while _below_power(n, d, e):
        e -= 1
    while not _below_power(n, d, e + 1):
        e += 1
    return e


def _below_power(n: int, d: int, e: int) -> bool:
    """Whether n/d < 10**e, exactly."""
    return bool(n < d * 10**e if e >= 0 else n * 10**-e < d)


_PLAIN_EXPONENTS = 1000
"""Integers up to ``10**1000`` come back written out (``Decimal("5000")``)."""


def round_fraction(
    value: Fraction | int,
    *,
    significant: int = SIGNIFICANT_DIGITS,
    min_exponent: int | None = None,
) -> Decimal:
    """Round an exact rational once, half-even, to a `Decimal`.

    The result has at most ``significant`` significant digits and, when
    ``min_exponent`` is given, no digit below ``10**min_exponent`` (whichever
    is coarser wins: the value is rounded once, not twice). Trailing zeros
    below the decimal point are dropped, so ``Fraction(1, 4)`` gives
    ``Decimal("0.25")``.

    Args:
        value: the exact value.
        significant: the number of significant digits to keep.
        min_exponent: the smallest power of ten to keep, or ``None``.

    Returns:
        The rounded `Decimal`.
    """
    value = Fraction(value)
    if value == 0:
        return Decimal(0)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if min_exponent is not None:
        # Far below half of the last kept digit: 0, without computing 10**n for
        # the value's (perhaps thousands of) digits. magnitude < 2**bits, and
        # bits * _LOG10_2 >= bits * log10(2) as bits < 0 here.
        bits = magnitude.numerator.bit_length() - magnitude.denominator.bit_length() + 1
        if bits < 0 and bits * _LOG10_2 <= min_exponent - 1:
            return Decimal(0)
    exponent = _decimal_exponent(magnitude) - (significant - 1)
    if min_exponent is not None:
        exponent = max(exponent, min_exponent)
    n, d = magnitude.numerator, magnitude.denominator
    if exponent >= 0:
        quotient, remainder = divmod(n, d * 10**exponent)
        divisor = d * 10**exponent
    else:
        quotient, remainder = divmod(n * 10**-exponent, d)
        divisor = d
    if 2 * remainder > divisor or (2 * remainder == divisor and quotient % 2 == 1):
        quotient += 1
    while exponent < 0 and quotient % 10 == 0 and quotient:
        quotient //= 10
        exponent += 1
    if 0 <= exponent <= _PLAIN_EXPONENTS:
        return Decimal(f"{sign}{quotient * 10**exponent}")  # an integer, written out
    # Beyond that, in exponent form: writing out a 4,300-digit integer is refused
    # by Python (and converting it costs quadratic time).
    return Decimal(f"{sign}{quotient}E{exponent}")


RATE_RULE = "a Decimal, int, Fraction or numeric string, for example Decimal('0.8')"


def to_fraction(value: object, field: str, *, allowed: str = RATE_RULE) -> Fraction:
    """Parse a rate or ratio exactly.

    Accepts `Decimal`, `int`, `Fraction` and numeric strings; rejects floats
    (binary fractions are not the decimal numbers people type), booleans, NaN
    and infinities.

    Raises:
        ValidationError: ``value`` is of another type or not finite.
    """
    if type(value) is bool or isinstance(value, float):
        hint = f" (write Decimal('{value}'))" if isinstance(value, float) else ""
        raise ValidationError(field, f"must not be a {type(value).__name__}{hint}", allowed=allowed)
    if isinstance(value, Fraction | int):
        number = Fraction(value)
    elif isinstance(value, str | Decimal):
        if isinstance(value, str):
            value = parse_decimal(value, field, allowed=allowed)
        if not value.is_finite():
            raise ValidationError(field, "must be a finite number", allowed=allowed)
        if value and not -MAX_MAGNITUDE <= value.adjusted() < MAX_MAGNITUDE:
            raise _out_of_range(field, allowed)  # refused before 10**n is computed
        number = Fraction(value)
    else:
        raise ValidationError(field, f"must not be a {type(value).__name__}", allowed=allowed)
    if abs(number.numerator) >= _LIMIT or number.denominator > _LIMIT:
        raise _out_of_range(field, allowed)
    return number


MAX_MAGNITUDE = 1000
"""Rates, ratios and numbers read by `to_fraction` lie within ``10**-1000`` and
``10**1000`` (or are 0): exact arithmetic on larger numbers takes unbounded time,
and no CRM quantity comes near."""
_LIMIT = 10**MAX_MAGNITUDE  # ints and Fractions: numerator below it, denominator at most it


def _out_of_range(field: str, allowed: str) -> ValidationError:
    return ValidationError(
        field,
        f"is out of range: beyond 10**{MAX_MAGNITUDE} or closer to 0 than 10**-{MAX_MAGNITUDE}",
        allowed=allowed,
    )


def parse_decimal(text: str, field: str, *, allowed: str) -> Decimal:
    """Parse a numeric string into a finite `Decimal`, independent of the global context.

    Raises:
        ValidationError: the text is not a finite decimal number of at most
            100 significant digits.
    """
    if len(text) > 200:
        raise ValidationError(field, "is a string of more than 200 characters", allowed=allowed)
    try:
        parsed = EXACT.create_decimal(text.strip())
    except decimal.DecimalException:
        raise ValidationError(
            field, "is not a decimal number of at most 100 significant digits", allowed=allowed
        ) from None
    if not parsed.is_finite():
        raise ValidationError(field, "must be a finite number", allowed=allowed)
    return parsed


def fraction_digits(value: Decimal) -> int:
    """How many digits a finite `Decimal` has after the decimal point once
    trailing zeros are dropped (0 for an integer): read from its digits, so a
    huge exponent (``1E-99999999``) costs nothing."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    if not any(digits):
        return 0
    trailing = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    return max(0, -(exponent + trailing))


def percent(value: Fraction | None) -> str:
    """A share as a percentage with one decimal, rounded once half-even: ``"66.7 %"``
    (``"-"`` for ``None``)."""
    if value is None:
        return "-"
    return f"{round_fraction(value * 100, min_exponent=-1):.1f} %"
