import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from crmcore import CurrencyMismatchError, Money, ValidationError
from crmcore.domain.currencies import MINOR_UNITS


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_of_accepts_str_int_and_decimal() -> None:
    assert Money.of("9.99", "EUR") == Money(Decimal("9.99"), "EUR")
    assert Money.of(5, "EUR") == Money(Decimal(5), "EUR")
    assert Money.of(Decimal("1.5"), "EUR").amount == Decimal("1.5")


def test_zero_is_zero_in_the_currency() -> None:
    assert Money.zero("USD") == Money.of("0", "USD")
    assert Money.zero("USD").is_zero()


def test_string_forms_show_amount_and_currency() -> None:
    assert str(eur("9.90")) == "9.90 EUR"
    assert repr(eur("9.90")) == "Money('9.90', 'EUR')"
    assert f"{eur('1.5'):>10}" == "   1.5 EUR"


def test_canonical_form_drops_positive_exponent_and_negative_zero() -> None:
    assert Money(Decimal("1E+3"), "EUR").amount.as_tuple().exponent == 0
    assert str(Money(Decimal("1E+3"), "EUR")) == "1000 EUR"
    assert not Money(Decimal("-0.00"), "EUR").amount.is_signed()
    assert Money(Decimal("1." + "0" * 25), "EUR").amount == 1
    assert Money(Decimal("0E-40"), "EUR") == Money.zero("EUR")


def test_bounds_are_inclusive() -> None:
    largest = "9" * 18 + "." + "9" * 18
    assert Money.of(largest, "EUR").amount == Decimal(largest)
    assert Money.of("-" + largest, "EUR").is_negative()


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (1.5, "float"),
        (True, "bool"),
        (Decimal("NaN"), "finite"),
        (Decimal("sNaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("-Infinity"), "finite"),
        ("9.99", "Decimal or int"),
        (None, "Decimal or int"),
        (Fraction(1, 2), "Decimal or int"),
        (Decimal("1" + "0" * 18), "before the decimal point"),
        (Decimal("0." + "0" * 18 + "1"), "after the decimal point"),
    ],
)
def test_bad_amounts_are_rejected(amount: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        Money(amount, "EUR")
    assert caught.value.field == "amount"
    assert caught.value.allowed is not None


@pytest.mark.parametrize("text", ["abc", "", "1.2.3", "NaN", "inf", "-Infinity", "1" * 201])
def test_of_rejects_non_numeric_strings(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of(text, "EUR")
    assert caught.value.field == "amount"


@pytest.mark.parametrize("currency", ["eur", "EURO", "XXX", "XAU", "", "HRK", 978, None])
def test_unknown_currencies_are_rejected(currency: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of("1", currency)
    assert caught.value.field == "currency"
    assert "ISO 4217" in str(caught.value)


def test_currency_error_does_not_echo_long_values() -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of("1", "jane.doe@example.com")
    assert "jane" not in str(caught.value)


def test_currency_table_has_minor_units() -> None:
    assert MINOR_UNITS["EUR"] == 2
    assert MINOR_UNITS["JPY"] == 0
    assert MINOR_UNITS["KWD"] == 3
    assert MINOR_UNITS["CLF"] == 4
    assert all(0 <= units <= 4 for units in MINOR_UNITS.values())


def test_arithmetic_is_exact() -> None:
    assert eur("0.1") + eur("0.2") == eur("0.3")
    assert eur("10") - eur("0.01") == eur("9.99")
    assert eur("19.99") * 3 == eur("59.97")
    assert 3 * eur("19.99") == eur("59.97")
    assert eur("2.50") * Decimal("0.4") == eur("1")
    assert -eur("5") == eur("-5")
    assert +eur("5") == eur("5")
    assert abs(eur("-5")) == eur("5")
    assert sum([eur("1"), eur("2")], Money.zero("EUR")) == eur("3")


def test_division_rounds_once_half_even() -> None:
    assert eur("1") / 3 == Money(Decimal("0." + "3" * 18), "EUR")
    assert eur("200000000000") / 3 == Money(Decimal("66666666666.66666666666666667"), "EUR")
    assert eur("10") / Decimal("4") == eur("2.5")


def test_division_by_zero_is_rejected() -> None:
    with pytest.raises(ValidationError, match="divisor"):
        eur("1") / 0


@pytest.mark.parametrize("factor", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_factors_are_rejected(factor: Decimal) -> None:
    with pytest.raises(ValidationError, match="finite"):
        eur("1") * factor
    with pytest.raises(ValidationError, match="finite"):
        eur("1") / factor


def test_results_out_of_range_are_rejected() -> None:
    big = Money.of("9" * 18, "EUR")
    with pytest.raises(ValidationError, match="before the decimal point"):
        big + big
    with pytest.raises(ValidationError, match="before the decimal point"):
        eur("1") * Decimal("1E+999999999")
    with pytest.raises(ValidationError, match="out of range"):
        eur("1E17") * 10


def test_products_beyond_18_fractional_digits_are_rounded_once_half_even() -> None:
    # The sources' VAT case: a tiny amount times a tax rate is never refused.
    assert Money.of("0.00000000000000001", "EUR") * Decimal("1.19") == Money.of(
        "0.000000000000000012", "EUR"
    )
    assert eur("0.1") * Decimal("1E-18") == eur("0")
    assert eur("0.000000000000000005") * Decimal("0.5") == eur("0.000000000000000002")
    assert eur("0.000000000000000015") * Decimal("0.1") == eur("0.000000000000000002")
    thirds = eur("0." + "3" * 18) * Decimal("0." + "3" * 99)
    assert thirds == eur("0.111111111111111111")
    assert eur("1") * Decimal("1E-99999999") == eur("0")  # bounded time, no huge integers
    # Rounded once from the exact product: rounding it first to fewer digits would
    # make the tail an exact half (5000000000), which half-even rounds down.
    assert eur("1") * Decimal("1.0000000000000000005000000001") == eur("1.000000000000000001")
    assert eur("3") * Decimal("0.3333333333333333335000000001") == eur("1.000000000000000001")
    assert eur("-1") * Decimal("1.0000000000000000005") == eur("-1.000000000000000000")
    assert eur("0.000000000000000001") * Decimal("0.5") == eur("0")  # 5E-19: half, to even


def test_products_at_the_integer_limit() -> None:
    assert eur("99999999999999999.9") * 10 == eur("999999999999999999")
    assert eur("999999999999999999") * Decimal("-1") == eur("-999999999999999999")
    assert eur("0") * Decimal("1E+30") == eur("0")
    message = (
        "amount: the result of this multiply is out of range: more than 18 digits before "
        "the decimal point (accepted: "
    )
    with pytest.raises(ValidationError) as caught:
        eur("100000000000000000") * 10
    assert str(caught.value).startswith(message)
    assert caught.value.field == "amount"


def test_ordering_within_one_currency() -> None:
    assert eur("1") < eur("2") <= eur("2")
    assert eur("3") > eur("2") >= eur("2")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixed_currencies_raise(operation: Any) -> None:
    with pytest.raises(CurrencyMismatchError):
        operation(eur("1"), Money.of("1", "USD"))


def test_mixed_currency_sum_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum([eur("1"), Money.of("1", "USD")], Money.zero("EUR"))


def test_equality_across_currencies_is_false() -> None:
    assert eur("1") != Money.of("1", "USD")
    assert eur("1") != Decimal(1)


@pytest.mark.parametrize(
    "operation",
    [
        lambda m: m + 1,
        lambda m: 1 + m,
        lambda m: m - Decimal(1),
        lambda m: m * 1.5,
        lambda m: m * m,
        lambda m: m / 1.5,
        lambda m: m / m,
        lambda m: m < 1,
        lambda m: m <= 1,
        lambda m: m > 1,
        lambda m: m >= 1,
        lambda m: m * Fraction(1, 2),
    ],
)
def test_unsupported_operands_raise_pythons_type_error(operation: Any) -> None:
    with pytest.raises(TypeError) as caught:
        operation(eur("1"))
    assert not isinstance(caught.value, CurrencyMismatchError)


def test_rounded_is_half_even_to_the_minor_unit() -> None:
    assert eur("2.345").rounded() == eur("2.34")
    assert eur("2.355").rounded() == eur("2.36")
    assert eur("-2.345").rounded() == eur("-2.34")
    assert Money.of("2.5", "JPY").rounded() == Money.of("2", "JPY")
    assert Money.of("1.23456", "KWD").rounded() == Money.of("1.235", "KWD")


def test_minor_units_round_trip() -> None:
    assert eur("9.99").minor_units() == 999
    assert Money.from_minor_units(999, "EUR") == eur("9.99")
    assert Money.from_minor_units(-5, "JPY") == Money.of(-5, "JPY")
    with pytest.raises(ValidationError, match="rounded"):
        eur("9.999").minor_units()


def test_allocate_gives_leftovers_to_largest_remainders_ties_lowest_index() -> None:
    assert eur("100").allocate([1, 1, 1]) == (eur("33.34"), eur("33.33"), eur("33.33"))
    assert eur("0.05").allocate([1, 1]) == (eur("0.03"), eur("0.02"))
    assert eur("1").allocate([Decimal("0.7"), Decimal("0.3")]) == (eur("0.7"), eur("0.3"))
    assert eur("0.10").allocate([0, 1]) == (eur("0"), eur("0.10"))
    assert eur("-0.05").allocate([1, 1]) == (eur("-0.02"), eur("-0.03"))


@pytest.mark.parametrize(
    ("ratios", "field"),
    [
        ([], "ratios"),
        ([0, 0], "ratios"),
        ([1, -1], "ratios[1]"),
        ([1, 1.5], "ratios[1]"),
        ([True], "ratios[0]"),
        ([Decimal("NaN")], "ratios[0]"),
        ("11", "ratios"),
        (5, "ratios"),
    ],
)
def test_allocate_rejects_bad_ratios(ratios: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        eur("1").allocate(ratios)
    assert caught.value.field == field


def test_allocate_rejects_too_many_ratios() -> None:
    with pytest.raises(ValidationError, match="too many"):
        eur("1").allocate(iter(lambda: 1, 2))


def test_allocate_requires_whole_minor_units() -> None:
    with pytest.raises(ValidationError, match="rounded"):
        eur("0.001").allocate([1, 1])


def test_from_fraction_rounds_once() -> None:
    assert Money.from_fraction(Fraction(2, 3), "EUR") == Money(
        Decimal("0." + "6" * 17 + "7"), "EUR"
    )
    with pytest.raises(ValidationError):
        Money.from_fraction(Fraction(1), "eur")


def test_hostile_global_context_changes_nothing() -> None:
    expected = (
        eur("12345.6789") * 7,
        eur("1") / 7,
        eur("123456789.125").rounded(),
        Money.of("0.123456789012345678", "EUR") + eur("1"),
    )
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_UP
        ctx.traps[decimal.Inexact] = True
        ctx.traps[decimal.Rounded] = True
        got = (
            eur("12345.6789") * 7,
            eur("1") / 7,
            eur("123456789.125").rounded(),
            Money.of("0.123456789012345678", "EUR") + eur("1"),
        )
    assert got == expected
    assert got[0] == eur("86419.7523")


def test_from_exact_keeps_exact_values_and_rounds_once_at_the_18th_digit() -> None:
    big = Fraction(Decimal("9" * 18 + "." + "9" * 18))
    assert Money.from_exact(big, "EUR").amount == Decimal("9" * 18 + "." + "9" * 18)
    assert Money.from_exact(Fraction(1, 3), "EUR").amount == Decimal("0." + "3" * 18)
    assert Money.from_exact(Decimal("1E-19") * 5, "EUR").amount == 0
    assert Money.from_exact(Decimal("15E-19"), "EUR").amount == Decimal("2E-18")
    with pytest.raises(ValidationError):
        Money.from_exact(1, "eur")


def test_from_exact_rounds_decimals_with_many_digits_once_and_quickly() -> None:
    # 1 + 25e-19 + a long tail: half-even at the 18th place rounds up, once.
    many = Decimal("1.0000000000000000025" + "0" * 5_000 + "1")
    assert Money.from_exact(many, "EUR").amount == Decimal("1.000000000000000003")
    assert Money.from_exact(Decimal("1.0000000000000000025"), "EUR").amount == Decimal(
        "1.000000000000000002"
    )
    assert Money.from_exact(Decimal("-1E-999999999"), "EUR") == Money.zero("EUR")
    assert repr(Money.from_exact(Decimal("12.50"), "EUR")) == "Money('12.5', 'EUR')"
    assert Money.from_exact(Decimal("0E+999999999"), "EUR") == Money.zero("EUR")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (Decimal("1E+999999999"), "more than 18 digits before the decimal point"),
        (Decimal("-1E18"), "more than 18 digits before the decimal point"),
        (10**18, "more than 18 digits before the decimal point"),
        (Fraction(-(10**40), 3), "more than 18 digits before the decimal point"),
        (Decimal("NaN"), "must be a finite number"),
        (Decimal("-Infinity"), "must be a finite number"),
        (1.5, "must not be a float"),
        ("1", "must not be a str"),
        (True, "must not be a bool"),
        (None, "must not be a NoneType"),
    ],
)
def test_from_exact_refuses_what_is_not_an_exact_bounded_number(
    value: object, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as caught:
        Money.from_exact(value, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "value"
    assert "Fraction, a finite Decimal or an int" in str(caught.value)


def test_string_forms_never_use_exponents() -> None:
    assert str(Money(Decimal("1E-15"), "EUR")) == "0.000000000000001 EUR"
    assert repr(Money(Decimal("1E-15"), "EUR")) == "Money('0.000000000000001', 'EUR')"


def test_format_specs() -> None:
    amount = Money.of("1234.5", "USD")
    assert format(amount, "") == str(amount) == "1234.5 USD"
    assert f"{amount:.2f}" == "1234.50 USD"
    assert f"{amount:,.2f}" == "1,234.50 USD"
    assert f"{amount:,}" == "1,234.5 USD"
    assert f"{amount:F}" == "1234.5 USD"
    assert f"{amount:.3e}" == "1.234e+3 USD"
    assert f"{amount:E}" == "1.2345E+3 USD"
    assert f"{amount:g}" == "1234.5 USD"
    assert f"{amount:G}" == "1234.5 USD"
    assert f"{amount:n}" == "1234.5 USD"
    assert f"{amount:>12}" == "  1234.5 USD"
    assert f"{amount:s}" == "1234.5 USD"
    # Half-even, whatever the caller's context says.
    with decimal.localcontext() as context:
        context.rounding = decimal.ROUND_DOWN
        context.traps[decimal.Inexact] = True
        assert f"{Money.of('1.239', 'EUR'):.2f}" == "1.24 EUR"
        assert f"{Money.of('1.245', 'EUR'):.2f}" == "1.24 EUR"


@pytest.mark.parametrize("spec", ["%", "d", ".2x", "_", "==", "q"])
def test_format_specs_money_has_no_meaning_for_are_refused(spec: str) -> None:
    with pytest.raises(ValidationError, match=r"^format_spec: is not a format for Money"):
        format(Money.of("1.5", "USD"), spec)


def test_division_by_extreme_divisors_is_decided_from_the_exponents() -> None:
    largest = eur("999999999999999999")
    assert largest / Decimal("1E+36") == eur("0.000000000000000001")  # 9.99...E-19
    assert largest / Decimal("1E+37") == eur("0")
    assert eur("0") / Decimal("1E-3000000") == eur("0")
    assert eur("1") / Decimal("1E+3000000") == eur("0")
    assert eur("0.000000000000000001") / Decimal("1E-35") == eur("100000000000000000")
    for divisor in ("1E-36", "1E-37", "1E-3000000"):
        with pytest.raises(ValidationError, match=r"^amount: .*more than 18 digits before"):
            eur("0.000000000000000001") / Decimal(divisor)


def test_allocation_ratios_out_of_range_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"^ratios\[1\]: is out of range"):
        eur("1").allocate([1, Decimal("1E-99999999")])
    with pytest.raises(ValidationError, match=r"^ratios\[0\]: is out of range"):
        eur("1").allocate([10**1000, 1])
    assert eur("1").allocate([Decimal("1E-1000"), Decimal("1E-1000")]) == (eur("0.50"), eur("0.50"))
