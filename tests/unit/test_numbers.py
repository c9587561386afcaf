from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.domain.numbers import parse_decimal, round_fraction, to_fraction


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 4), "0.25"),
        (Fraction(1, 3), "0." + "3" * 28),
        (Fraction(2, 3), "0." + "6" * 27 + "7"),
        (Fraction(-2, 3), "-0." + "6" * 27 + "7"),
        (0, "0"),
        (100, "100"),
        (Fraction(10**40, 3), "3333333333333333333333333333" + "0" * 12),
        (Fraction(5, 2 * 10**29), "2.5E-29"),
    ],
)
def test_round_fraction(value: Fraction | int, expected: str) -> None:
    assert round_fraction(value) == Decimal(expected)
    assert str(round_fraction(value)) == str(Decimal(expected))


def test_round_fraction_is_half_even_at_the_last_digit() -> None:
    assert round_fraction(Fraction(25, 10), significant=1) == 2
    assert round_fraction(Fraction(35, 10), significant=1) == 4
    assert round_fraction(Fraction(-25, 10), significant=1) == -2
    assert round_fraction(Fraction(251, 100), significant=1) == 3


def test_round_fraction_min_exponent_rounds_once() -> None:
    # 0.0149999... must not first become 0.015 and then 0.02.
    value = Fraction(149999, 10**7)
    assert round_fraction(value, significant=3, min_exponent=-2) == Decimal("0.01")
    assert round_fraction(Fraction(1, 3), min_exponent=-18) == Decimal("0." + "3" * 18)


def test_round_fraction_handles_huge_numbers_without_str_limits() -> None:
    value = Fraction(8**10000, 10**9031)
    rounded = round_fraction(value)
    assert abs(Fraction(rounded) - value) <= Fraction(1, 2) * Fraction(10) ** (
        rounded.adjusted() - 27
    )


@given(st.fractions(max_denominator=10**12).filter(bool))
def test_round_fraction_keeps_28_significant_digits(value: Fraction) -> None:
    rounded = round_fraction(value)
    error = abs(Fraction(rounded) - value)
    assert error <= Fraction(1, 2) * Fraction(10) ** (rounded.adjusted() - 27)


def test_huge_integers_come_back_in_exponent_form() -> None:
    assert round_fraction(Fraction(10**1000)) == Decimal("1E+1000")
    assert str(round_fraction(Fraction(10**1000))) == "1" + "0" * 1000  # written out
    assert str(round_fraction(Fraction(-(10**1100)))) == "-1.000000000000000000000000000E+1100"
    assert round_fraction(Fraction(7 * 10**5000)) == Decimal("7E+5000")


@given(
    st.integers(1, 10**40),
    st.integers(0, 5000),
    st.integers(-60, 0),
)
def test_values_below_the_last_kept_digit_round_to_0_or_one_unit(
    numerator: int, digits: int, min_exponent: int
) -> None:
    """Below 10**min_exponent the answer is 0 or one unit, half-even; the
    shortcut for tiny values (no 10**n for thousands of digits) agrees."""
    value = Fraction(numerator, 10**digits)
    unit = Fraction(10) ** min_exponent
    if value >= unit:
        return
    expected = Decimal(f"1E{min_exponent}") if value > unit / 2 else Decimal(0)
    assert round_fraction(value, min_exponent=min_exponent) == expected
    assert round_fraction(-value, min_exponent=min_exponent) == -expected


def test_tiny_values_round_to_zero_at_once() -> None:
    assert round_fraction(Fraction(1, 10**100000), min_exponent=-18) == 0
    assert round_fraction(Fraction(5, 10**19), min_exponent=-18) == 0  # a half: to even
    assert round_fraction(Fraction(51, 10**20), min_exponent=-18) == Decimal("1E-18")
    assert round_fraction(Fraction(1, 2**70), min_exponent=-18) == 0
    assert round_fraction(Fraction(1, 2**59), min_exponent=-18) == Decimal("2E-18")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.8"), Fraction(4, 5)),
        ("0.8", Fraction(4, 5)),
        (" 1e-1 ", Fraction(1, 10)),
        (3, Fraction(3)),
        (Fraction(1, 3), Fraction(1, 3)),
        (Decimal("9E+999"), Fraction(9 * 10**999)),
        (Decimal("-1E-1000"), Fraction(-1, 10**1000)),
        (Decimal("0E+5000"), Fraction(0)),
        (10**1000 - 1, Fraction(10**1000 - 1)),
        (Fraction(-1, 10**1000), Fraction(-1, 10**1000)),
    ],
)
def test_to_fraction_accepts_exact_numbers(value: Any, expected: Fraction) -> None:
    assert to_fraction(value, "rate") == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0.8, "Decimal('0.8')"),
        (True, "bool"),
        (Decimal("NaN"), "finite"),
        (Decimal("-Infinity"), "finite"),
        ("nan", "finite"),
        ("abc", "not a decimal number"),
        (None, "NoneType"),
        ([1], "list"),
        (Decimal("1E+1000"), "is out of range: beyond 10"),
        (Decimal("-1E+1000"), "out of range"),
        (Decimal("1E-1001"), "closer to 0 than 10"),
        ("1e-99999999", "out of range"),
        (10**1000, "out of range"),
        (Fraction(1, 10**1000 + 1), "out of range"),
    ],
)
def test_to_fraction_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        to_fraction(value, "rate")


def test_parse_decimal_rejects_overlong_text() -> None:
    with pytest.raises(ValidationError, match="200 characters"):
        parse_decimal("1" * 201, "x", allowed="numbers")
    with pytest.raises(ValidationError, match="100 significant digits"):
        parse_decimal("1" * 150, "x", allowed="numbers")
