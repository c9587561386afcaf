"""Money: an exact `Decimal` amount with an ISO 4217 currency."""

import decimal
import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Self, cast

import attrs

from crmcore.domain.currencies import MINOR_UNITS
from crmcore.domain.fields import validates
from crmcore.domain.numbers import EXACT, parse_decimal, round_fraction, to_fraction
from crmcore.errors import CurrencyMismatchError, ValidationError

MAX_INTEGER_DIGITS = 18
MAX_FRACTION_DIGITS = 18
# Enough significant digits that only the 18th-fractional-digit limit rounds;
# larger integer parts are rejected by the bounds check anyway.
_NUMBER_TYPES = frozenset("fFeEgGn")
_ALL_DIGITS = MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2
AMOUNT_RULE = (
    "a finite Decimal or int (Money.of also takes a numeric string) with at most "
    f"{MAX_INTEGER_DIGITS} digits before and {MAX_FRACTION_DIGITS} after the decimal point"
)
EXACT_RULE = "an exact number: a Fraction, a finite Decimal or an int"
_FRACTION_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
_ROUND_AT_18 = decimal.Context(
    prec=_ALL_DIGITS,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation],
)
CURRENCY_RULE = "an active ISO 4217 code in upper case, such as 'EUR', 'USD' or 'VND'"


def check_currency(value: object, field: str = "currency") -> str:
    """Return ``value`` if it is a known ISO 4217 code, else raise `ValidationError`."""
    if type(value) is not str:
        raise ValidationError(
            field, f"must be a string, not {type(value).__name__}", allowed=CURRENCY_RULE
        )
    if value not in MINOR_UNITS:
        # Only what looks like a code (three ASCII letters) is echoed: anything
        # else might be personal data put in the wrong place.
        safe = len(value) == 3 and value.isascii() and value.isalpha()
        raise ValidationError(
            field,
            f"{value!r} is not a known currency code" if safe else "is not a known currency code",
            allowed=CURRENCY_RULE,
            value=value if safe else None,
        )
    return value


def _bounded(amount: Decimal, field: str = "amount") -> Decimal:
    """Check the digit bounds and return the amount in canonical form.

    Canonical: no positive exponent (``1E+3`` becomes ``1000``), no negative
    zero, and trailing zeros beyond the 18th fractional digit dropped.
    """
    if not amount.is_finite():
        raise ValidationError(field, "must be a finite number", allowed=AMOUNT_RULE)
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if exponent < -MAX_FRACTION_DIGITS:
        trimmed = list(digits)
        while exponent < -MAX_FRACTION_DIGITS and len(trimmed) > 1 and trimmed[-1] == 0:
            trimmed.pop()
            exponent += 1
        if exponent < -MAX_FRACTION_DIGITS and any(trimmed):
            raise ValidationError(
                field,
                f"has more than {MAX_FRACTION_DIGITS} digits after the decimal point",
                allowed=AMOUNT_RULE,
            )
        amount = Decimal((sign, tuple(trimmed), max(exponent, -MAX_FRACTION_DIGITS)))
        if not any(trimmed):
            amount = Decimal(0)
    if amount.adjusted() >= MAX_INTEGER_DIGITS and any(digits):
        raise ValidationError(
            field,
            f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point",
            allowed=AMOUNT_RULE,
        )
    if exponent > 0:
        amount = Decimal(int(amount))
    if amount.is_signed() and amount.is_zero():
        amount = amount.copy_abs()
    return amount


def _to_amount(value: object) -> Decimal:
    if type(value) is int:
        value = Decimal(value)
    if type(value) is not Decimal:
        if isinstance(value, float):
            problem = f"must not be a float (write Decimal('{value}') or Money.of('{value}', ...))"
        else:
            problem = f"must be a Decimal or int, not {type(value).__name__}"
        raise ValidationError("amount", problem, allowed=AMOUNT_RULE)
    return _bounded(value)


def _factor(value: object, field: str) -> Decimal | None:
    """An int or finite Decimal multiplier/divisor; None for unsupported types."""
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(
                field, "must be a finite number", allowed="a finite int or Decimal"
            )
        return value
    return None


@attrs.frozen(repr=False, order=False)
class Money:
    """An exact amount of money in one currency.

    ``+`` and ``-`` are exact; ``*`` (by an int or Decimal) is exact when the
    product fits in 18 fractional digits, else rounded once, half-even, at the
    18th (as `from_exact` does); ``/`` is rounded once, half-even, to 28
    significant digits (or 18 fractional digits, if that is coarser).
    Arithmetic and ordering across currencies raise `CurrencyMismatchError`;
    ``==`` across currencies is ``False``.

    Args:
        amount: a finite `Decimal` or `int`, with at most 18 digits before and
            18 after the decimal point.
        currency: an active ISO 4217 code, such as ``"EUR"``.

    Raises:
        ValidationError: a float, bool, NaN, infinity, an amount out of bounds,
            or an unknown currency code.
    """

    amount: Decimal = attrs.field(converter=_to_amount)
    currency: str = attrs.field(validator=validates(check_currency))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Self:
        """Build from a numeric string, an int or a Decimal: ``Money.of("9.99", "EUR")``."""
        if isinstance(amount, str):
            amount = parse_decimal(amount, "amount", allowed=AMOUNT_RULE)
        return cls(amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        """Zero in ``currency``: the start value for ``sum()``."""
        return cls(Decimal(0), currency)

    @classmethod
    def _make(cls, amount: Decimal, currency: str) -> Self:
        # Results of arithmetic: the currency is known to be valid; only the
        # bounds need checking.
        money = object.__new__(cls)
        object.__setattr__(money, "amount", _bounded(amount))
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def from_fraction(cls, value: Fraction, currency: str) -> Self:
        """An exact rational rounded once, half-even, to 28 significant digits.

        Digits below the 18th fractional place are rounded away in the same
        single rounding.
        """
        check_currency(currency)
        _rational(value)
        return cls._make(round_fraction(value, min_exponent=-MAX_FRACTION_DIGITS), currency)

    @classmethod
    def from_exact(cls, value: Fraction | Decimal | int, currency: str) -> Self:
        """An exact value as Money: unchanged if it has at most 18 fractional
        digits, else rounded once, half-even, at the 18th.

        Analytics use this for sums of products (amount × probability), which
        can have more fractional digits than an amount may hold.

        Raises:
            ValidationError: ``value`` is not a Fraction, finite Decimal or int
                (floats are refused: they are not exact), or has more than 18
                digits before the decimal point; an unknown currency.
        """
        check_currency(currency)
        given: object = value
        too_large = f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point"
        if type(given) is Decimal:
            assert isinstance(value, Decimal)
            if not value.is_finite():
                raise ValidationError("value", "must be a finite number", allowed=EXACT_RULE)
            if value.adjusted() >= MAX_INTEGER_DIGITS and not value.is_zero():
                raise ValidationError("value", too_large, allowed=EXACT_RULE)
            # Round at the 18th place first (the same single half-even
            # rounding), so that a Decimal with many digits never becomes a
            # rational with a huge denominator.
            exact = Fraction(value.quantize(_FRACTION_QUANTUM, context=_ROUND_AT_18))
        elif type(given) in (Fraction, int):
            exact = Fraction(value)
            if abs(exact) >= 10**MAX_INTEGER_DIGITS:
                raise ValidationError("value", too_large, allowed=EXACT_RULE)
        else:
            raise ValidationError(
                "value", f"must not be a {type(value).__name__}", allowed=EXACT_RULE
            )
        return cls._make(
            round_fraction(exact, significant=_ALL_DIGITS, min_exponent=-MAX_FRACTION_DIGITS),
            currency,
        )

    @classmethod
    def in_minor_units(cls, value: Fraction | int, currency: str) -> Self:
        """An exact rational rounded once, half-even, to ``currency``'s minor unit
        (what a payout is: ``Money.in_minor_units(Fraction(1, 3), "EUR")`` is 0.33).

        Raises:
            ValidationError: not a Fraction or int, an unknown currency, or
                more than 18 digits before the decimal point.
        """
        minor = MINOR_UNITS[check_currency(currency)]
        _rational(value)
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise ValidationError(
                "value",
                f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point",
                allowed=EXACT_RULE,
            )
        return cls.from_minor_units(round(Fraction(value) * 10**minor), currency)

    @property
    def minor_unit(self) -> int:
        """Digits after the decimal point of this currency's minor unit."""
        return MINOR_UNITS[self.currency]

    def _same_currency(self, other: "Money", operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation=operation)

    def _exact(self, operation: str, a: Decimal, b: Decimal) -> Decimal:
        # Exact: two amounts of at most 36 digits add up within EXACT's 100 digits
        # (a result beyond 18 integer digits is refused by _make).
        result: Decimal = getattr(EXACT, operation)(a, b)
        return result

    def __add__(self, other: object) -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return self._make(self._exact("add", self.amount, other.amount), self.currency)

    def __sub__(self, other: object) -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return self._make(self._exact("subtract", self.amount, other.amount), self.currency)

    def __neg__(self) -> "Money":
        return self._make(self.amount.copy_negate(), self.currency)

    def __pos__(self) -> "Money":
        return self

    def __abs__(self) -> "Money":
        return self._make(self.amount.copy_abs(), self.currency)

    def __mul__(self, other: object) -> "Money":
        factor = _factor(other, "factor")
        if factor is None:
            return NotImplemented
        # The exact product has at most the digits of both operands together.
        digits = len(self.amount.as_tuple().digits) + len(factor.as_tuple().digits) + 2
        product = decimal.Context(
            prec=digits,
            Emax=decimal.MAX_EMAX,
            Emin=decimal.MIN_EMIN,
            traps=[decimal.InvalidOperation, decimal.Overflow],
        ).multiply(self.amount, factor)
        if not product.is_zero() and product.adjusted() >= MAX_INTEGER_DIGITS:
            raise ValidationError(
                "amount",
                "the result of this multiply is out of range: more than 18 digits before "
                "the decimal point",
                allowed=AMOUNT_RULE,
            )
        exponent = cast(int, product.as_tuple().exponent)  # finite: an int
        if exponent < -MAX_FRACTION_DIGITS:
            product = product.quantize(_FRACTION_QUANTUM, context=_ROUND_AT_18)
        return self._make(product, self.currency)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> "Money":
        divisor = _factor(other, "divisor")
        if divisor is None:
            return NotImplemented
        if divisor == 0:
            raise ValidationError(
                "divisor", "must not be zero", allowed="a non-zero int or Decimal"
            )
        # Decided from the exponents, before any 10**n is computed: a divisor of
        # 10**37 or more leaves less than half of the smallest unit (10**-18) of
        # the largest amount; one below 10**-36 makes the smallest amount too large.
        if self.amount.is_zero() or divisor.adjusted() >= _ALL_DIGITS + 1:
            return self.zero(self.currency)
        if divisor.adjusted() < -_ALL_DIGITS:
            raise ValidationError(
                "amount",
                "the result of this division is out of range: more than 18 digits before "
                "the decimal point",
                allowed=AMOUNT_RULE,
            )
        return self.from_fraction(Fraction(self.amount) / Fraction(divisor), self.currency)

    def _compare(self, other: object, operation: str) -> tuple[Decimal, Decimal] | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other, operation)
        return self.amount, other.amount

    def __lt__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._compare(other, "compare")
        return NotImplemented if pair is None else pair[0] >= pair[1]

    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount.is_zero()

    def is_negative(self) -> bool:
        """Whether the amount is below zero."""
        return self.amount < 0

    def rounded(self) -> "Money":
        """The amount rounded half-even to the currency's minor unit (for display)."""
        exponent = Decimal((0, (1,), -self.minor_unit))
        rounded = self.amount.quantize(exponent, decimal.ROUND_HALF_EVEN, _ROUNDING)
        return self._make(rounded, self.currency)

    def minor_units(self) -> int:
        """The amount as a whole number of minor units (cents, for EUR).

        Raises:
            ValidationError: the amount has digits below the minor unit.
        """
        scaled: Fraction = Fraction(self.amount) * 10**self.minor_unit
        if scaled.denominator != 1:
            raise ValidationError(
                "amount",
                f"has digits below the {self.currency} minor unit",
                allowed=f"a whole number of minor units ({self.minor_unit} decimals): "
                "call .rounded() first",
            )
        return scaled.numerator

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Self:
        """``units`` minor units of ``currency``: ``Money.from_minor_units(999, "EUR")`` is 9.99."""
        minor = MINOR_UNITS[check_currency(currency)]
        if type(units) is not int:
            raise ValidationError(
                "units", f"must be an int, not {type(units).__name__}", allowed="an int"
            )
        if abs(units) >= 10 ** (MAX_INTEGER_DIGITS + minor):
            raise ValidationError(
                "units",
                f"makes more than {MAX_INTEGER_DIGITS} digits before the decimal point",
                allowed=f"fewer than 10**{MAX_INTEGER_DIGITS + minor} minor units of {currency}",
            )
        sign, digits, exponent = Decimal(units).as_tuple()
        assert isinstance(exponent, int)  # an int's exponent is 0
        return cls._make(Decimal((sign, digits, exponent - minor)), currency)

    def allocate(self, ratios: Iterable[int | Decimal]) -> tuple["Money", ...]:
        """Split into parts proportional to ``ratios`` that sum exactly to this amount.

        Each part gets the floor of its exact share, in minor units; the units
        left over go one each to the parts with the largest remainders, ties
        to the lowest index.

        Args:
            ratios: non-negative ints or Decimals with a positive sum.

        Returns:
            One `Money` per ratio, in order.

        Raises:
            ValidationError: the amount is not a whole number of minor units,
                or the ratios are empty, negative, not ints/Decimals, or sum to 0.
        """
        units = self.minor_units()
        weights = _ratios(ratios)
        # In integers (the ratios over their common denominator): part i's exact
        # share is units * w[i] / total, its floor and remainder one divmod.
        scale = math.lcm(*(w.denominator for w in weights))
        integral = [w.numerator * (scale // w.denominator) for w in weights]
        total = sum(integral)
        floors, remainders = [], []
        for weight in integral:
            floor, remainder = divmod(units * weight, total)
            floors.append(floor)
            remainders.append(remainder)
        leftover = units - sum(floors)
        by_remainder = sorted(range(len(floors)), key=lambda i: (-remainders[i], i))
        for i in by_remainder[:leftover]:
            floors[i] += 1
        return tuple(self.from_minor_units(u, self.currency) for u in floors)

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def __repr__(self) -> str:
        return f"Money('{self.amount:f}', '{self.currency}')"

    def __format__(self, spec: str) -> str:
        """``f"{money:,.2f}"`` formats the amount as a number, then the currency.

        A spec with a numeric type (``f``, ``F``, ``e``, ``E``, ``g``, ``G``,
        ``n``) or a thousands separator (``,``) formats the amount as `Decimal`
        does (``1,234.50 USD``), rounding half-even whatever the caller's
        decimal context; any other spec (width, alignment, ``s``) formats the
        text ``"1234.5 USD"`` as a string does.

        Raises:
            ValidationError: a spec neither accepts (``%``, ``d``, a malformed spec).
        """
        allowed = "a numeric spec such as ',.2f', or a string spec such as '>12'"
        try:
            if spec[-1:] in _NUMBER_TYPES or "," in spec:
                # Rounded half-even whatever the caller's decimal context says.
                with decimal.localcontext(_ROUNDING):
                    return f"{format(self.amount, spec)} {self.currency}"
            return format(str(self), spec)
        except ValueError:
            raise ValidationError(
                "format_spec", "is not a format for Money", allowed=allowed
            ) from None


_ROUNDING = decimal.Context(
    prec=100, rounding=decimal.ROUND_HALF_EVEN, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN
)
_NUMBER_TYPES = frozenset("fFeEgGn")
_ALL_DIGITS = MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS
MAX_RATIOS = 100_000
RATIOS_RULE = f"1 to {MAX_RATIOS} non-negative ints or finite Decimals with a positive sum"


def _ratios(ratios: Iterable[Any]) -> list[Fraction]:
    if isinstance(ratios, str | bytes) or not isinstance(ratios, Iterable):
        raise ValidationError("ratios", "must be a sequence of numbers", allowed=RATIOS_RULE)
    weights: list[Fraction] = []
    for position, ratio in enumerate(ratios):
        if len(weights) >= MAX_RATIOS:
            raise ValidationError("ratios", "has too many entries", allowed=RATIOS_RULE)
        if type(ratio) is not int and not (isinstance(ratio, Decimal) and ratio.is_finite()):
            raise ValidationError(
                f"ratios[{position}]",
                f"must be an int or finite Decimal, not {type(ratio).__name__}",
                allowed=RATIOS_RULE,
            )
        if ratio < 0:
            raise ValidationError(f"ratios[{position}]", "is negative", allowed=RATIOS_RULE)
        weights.append(to_fraction(ratio, f"ratios[{position}]", allowed=RATIOS_RULE))
    if not weights or sum(weights) == 0:
        raise ValidationError("ratios", "must have a positive sum", allowed=RATIOS_RULE)
    return weights


def _rational(value: object) -> None:
    """Refuse what is not a Fraction or an int (a float is not exact)."""
    if type(value) not in (Fraction, int):
        raise ValidationError(
            "value", f"must be a Fraction or int, not {type(value).__name__}", allowed="a Fraction"
        )


def positive_money(value: object, field: str) -> Money:
    """``value`` if it is Money greater than zero, else a `ValidationError` naming ``field``."""
    if not isinstance(value, Money):
        raise ValidationError(
            field, f"must be Money, not {type(value).__name__}", allowed="Money greater than zero"
        )
    if value.amount <= 0:
        raise ValidationError(field, "must be greater than zero", allowed="Money greater than zero")
    return value


def non_negative_money(value: object, field: str) -> Money:
    """``value`` if it is Money of zero or more, else a `ValidationError` naming ``field``."""
    if not isinstance(value, Money):
        raise ValidationError(
            field, f"must be Money, not {type(value).__name__}", allowed="Money of zero or more"
        )
    if value.amount < 0:
        raise ValidationError(field, "must not be negative", allowed="Money of zero or more")
    return value
