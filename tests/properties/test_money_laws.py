import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatchError, Money, ValidationError
from crmcore.domain.currencies import MINOR_UNITS
from crmcore.testing.strategies import currencies, money

# Amounts small enough that sums and small products stay within Money's bounds.
small = {"min_value": -(10**15), "max_value": 10**15}
eur = money(currency="EUR", **small)
factors = st.integers(min_value=-1000, max_value=1000) | st.decimals(
    min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False
)


@given(eur, eur)
def test_addition_commutes(a: Money, b: Money) -> None:
    assert a + b == b + a


@given(eur, eur, eur)
def test_addition_associates(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)


@given(eur)
def test_zero_is_the_identity(a: Money) -> None:
    assert a + Money.zero("EUR") == a
    assert a - a == Money.zero("EUR")


def _exact(product: Money, a: Money, k: int | Decimal) -> bool:
    return Fraction(product.amount) == Fraction(a.amount) * Fraction(k)


@given(eur, eur, factors)
def test_multiplication_distributes_when_exact(a: Money, b: Money, k: int | Decimal) -> None:
    try:
        left, ka, kb = (a + b) * k, a * k, b * k
    except ValidationError:  # a product with more than 18 digits before the point
        return
    if _exact(ka, a, k) and _exact(kb, b, k):
        assert left == ka + kb


@given(eur, factors | st.decimals(min_value=-1000, max_value=1000, places=12))
def test_multiplication_is_exact_or_rounded_once_at_the_18th_place(
    a: Money, k: int | Decimal
) -> None:
    exact = Fraction(a.amount) * Fraction(k)
    if abs(exact) >= 10**18:
        with pytest.raises(ValidationError, match="more than 18 digits before"):
            a * k
        return
    product = a * k
    assert product == Money.from_exact(exact, "EUR")
    assert abs(Fraction(product.amount) - exact) <= Fraction(1, 2 * 10**18)
    if (exact * 10**18).denominator == 1:
        assert _exact(product, a, k)


@given(money(currency="EUR", **small), st.integers(min_value=1, max_value=10**6))
def test_division_is_within_half_a_unit_of_the_last_place(a: Money, k: int) -> None:
    exact = Fraction(a.amount) / k
    got = (a / k).amount
    exponent = got.as_tuple().exponent
    assert isinstance(exponent, int)
    assert abs(Fraction(got) - exact) <= Fraction(1, 2) * Fraction(10) ** max(exponent, -18)


@given(money(), money())
def test_mixed_currencies_never_add(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        return
    with pytest.raises(CurrencyMismatchError):
        a + b
    with pytest.raises(CurrencyMismatchError):
        _ = a < b
    assert a != b


@given(currencies(), st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 2))
def test_rounded_is_half_even(currency: str, units: int, extra: int) -> None:
    minor = MINOR_UNITS[currency]
    # A value with `extra` more digits than the minor unit.
    value = Money(Decimal(f"{units}E-{minor + extra}"), currency)
    exact = Fraction(value.amount) * 10**minor
    floor = exact.numerator // exact.denominator
    remainder = exact - floor
    expected = floor + (
        1 if remainder > Fraction(1, 2) or (remainder == Fraction(1, 2) and floor % 2) else 0
    )
    assert value.rounded() == Money.from_minor_units(expected, currency)


@given(
    money(currency="EUR", **small).map(lambda m: m.rounded()),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(any),
)
def test_allocate_sums_to_the_whole_within_one_unit_of_each_share(
    amount: Money, ratios: list[int]
) -> None:
    parts = amount.allocate(ratios)
    assert len(parts) == len(ratios)
    assert sum(parts, Money.zero("EUR")) == amount
    total = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        share = Fraction(amount.minor_units() * ratio, total)
        assert abs(part.minor_units() - share) < 1


@given(money(), st.integers(min_value=1, max_value=10))
def test_results_do_not_depend_on_the_global_context(a: Money, k: int) -> None:
    try:
        expected = (a * k, a / k, a.rounded(), a + a)
    except ValidationError:
        return
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = True
        assert (a * k, a / k, a.rounded(), a + a) == expected


@given(money(min_value="-10.5", max_value="20"))
def test_strategy_bounds_are_respected(a: Money) -> None:
    assert Decimal("-10.5") <= a.amount <= 20


def test_strategy_rejects_inverted_bounds() -> None:
    with pytest.raises(ValidationError, match="min_value"):
        money(min_value=2, max_value=1)
