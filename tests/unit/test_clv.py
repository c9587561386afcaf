"""Retention-based CLV and the sources' historical value."""

from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest

from crmcore import CurrencyMismatchError, Money, ValidationError
from crmcore.analytics import CashFlow, historical_value, lifetime_value

USD = "USD"
M = Money.of("100", USD)


def test_the_worked_example() -> None:
    end = lifetime_value(margin=M, retention=Decimal("0.8"), discount_rate=Decimal("0.1"))
    start = lifetime_value(
        margin=M, retention=Decimal("0.8"), discount_rate=Decimal("0.1"), timing="start"
    )
    assert end.value.rounded() == Money.of("266.67", USD)
    assert start.value.rounded() == Money.of("366.67", USD)
    assert end.exact == Fraction(800, 3)
    assert start.exact == Fraction(1100, 3)
    assert end.value == Money.of("266.666666666666666667", USD)  # rounded once, at the 18th digit
    assert end.terms == ()
    assert end.periods is None
    assert "m·r/(1+d−r)" in end.formula
    assert "m·(1+d)/(1+d−r)" in start.formula
    assert (end.retention, end.discount_rate) == (Fraction(4, 5), Fraction(1, 10))


def test_a_finite_horizon_lists_its_terms() -> None:
    result = lifetime_value(margin=M, retention="0.8", discount_rate="0.1", periods=3)
    q = Fraction(8, 11)
    assert result.exact == 100 * (q + q**2 + q**3)
    assert [t.amount for t in result.terms] == [
        Decimal("72.727272727272727273"),
        Decimal("52.89256198347107438"),
        Decimal("38.467317806160781367"),
    ]
    assert "T = 3" in result.formula
    start = lifetime_value(
        margin=M, retention="0.8", discount_rate="0.1", periods=3, timing="start"
    )
    assert start.exact == 100 * (1 + q + q**2)
    assert start.terms[0] == M


def test_no_retention_no_discount_finite_is_margin_times_periods() -> None:
    result = lifetime_value(margin=M, retention=1, discount_rate=0, periods=12)
    assert result.value == Money.of("1200", USD)
    assert lifetime_value(margin=M, retention=0, discount_rate=0).value == Money.of("0", USD)
    assert lifetime_value(margin=M, retention=0, discount_rate=0, timing="start").exact == 100
    assert lifetime_value(margin=M, retention=1, discount_rate="0.25").exact == 400


def test_the_acquisition_cost_is_subtracted() -> None:
    result = lifetime_value(
        margin=M, retention="0.8", discount_rate="0.1", acquisition_cost=Money.of("300", USD)
    )
    assert result.exact == Fraction(800, 3) - 300
    assert result.value.is_negative()
    assert "acquisition cost" in result.formula
    with pytest.raises(CurrencyMismatchError):
        lifetime_value(
            margin=M, retention="0.8", discount_rate="0.1", acquisition_cost=Money.of("1", "EUR")
        )


def test_floats_are_refused_with_the_way_to_write_them() -> None:
    with pytest.raises(ValidationError) as caught:
        lifetime_value(margin=M, retention=0.8, discount_rate="0.1")  # type: ignore[arg-type]
    assert caught.value.field == "retention"
    assert "Decimal('0.8')" in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"retention": "1.2"}, "retention"),
        ({"retention": "-0.1"}, "retention"),
        ({"discount_rate": "-0.01"}, "discount_rate"),
        ({"discount_rate": 0.1}, "discount_rate"),
        ({"periods": 0}, "periods"),
        ({"periods": 10_001}, "periods"),
        ({"periods": True}, "periods"),
        ({"periods": 2.0}, "periods"),
        ({"timing": "middle"}, "timing"),
        ({"margin": Decimal("100")}, "margin"),
        ({"acquisition_cost": 5}, "acquisition_cost"),
        ({"retention": 1, "discount_rate": 0}, "periods"),  # does not converge
    ],
)
def test_bad_inputs_are_named(arguments: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"margin": M, "retention": "0.8", "discount_rate": "0.1"}
    values.update(arguments)
    with pytest.raises(ValidationError) as caught:
        lifetime_value(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_longest_horizon_is_accepted() -> None:
    result = lifetime_value(margin=M, retention="0.9", discount_rate="0.01", periods=10_000)
    limit = lifetime_value(margin=M, retention="0.9", discount_rate="0.01")
    assert len(result.terms) == 10_000
    assert result.value == limit.value  # q**10000 is far below the 18th digit


# Historical value -----------------------------------------------------------------------

D = pendulum.date


def _flow(on: pendulum.Date, revenue: str, cost: str = "0", currency: str = "EUR") -> CashFlow:
    return CashFlow(on, Money.of(revenue, currency), Money.of(cost, currency))


def test_without_a_rate_the_value_is_revenue_minus_cost() -> None:
    flows = [_flow(D(2020, 1, 1), "100", "40"), _flow(D(2020, 7, 1), "50")]
    result = historical_value(flows, as_of=D(2021, 1, 1))
    assert result.value == Money.of("110", "EUR")
    assert (result.revenue, result.cost) == (Money.of("150", "EUR"), Money.of("40", "EUR"))
    assert [f.days for f in result.flows] == [366, 184]
    assert all(f.factor == 1 for f in result.flows)
    assert result.annual_discount_rate == 0


def test_flows_compound_forward_actual_365() -> None:
    flows = [_flow(D(2020, 1, 1), "100"), _flow(D(2019, 6, 1), "100", "100")]
    result = historical_value(flows, as_of=D(2021, 12, 31), annual_discount_rate="0.05")
    whole = historical_value(
        [_flow(D(2020, 1, 1), "100")], as_of=D(2020, 12, 31), annual_discount_rate="0.05"
    )
    assert whole.flows[0].days == 365
    assert whole.value == Money.of("105", "EUR")  # exactly one year
    first = result.flows[0]
    assert first.days == 730
    assert first.value == Money.of("110.25", "EUR")
    assert result.flows[1].value == Money.of("0", "EUR")
    half = historical_value(
        [_flow(D(2020, 1, 1), "100")], as_of=D(2020, 7, 2), annual_discount_rate="0.21"
    )
    # 183 days: 1.21 ** (183/365), to 40 significant digits
    assert abs(half.flows[0].factor - Decimal("1.1002")) < Decimal("0.0001")
    assert half.value.amount == (Decimal(100) * half.flows[0].factor).quantize(Decimal("1E-18"))


@pytest.mark.parametrize(
    ("flows", "arguments", "field"),
    [
        ([], {}, "cash_flows"),
        (["flow"], {}, "cash_flows"),
        (None, {}, "cash_flows"),
        ("flows", {}, "cash_flows"),
        ([_flow(D(2020, 1, 1), "1"), None], {}, "cash_flows"),
        ([_flow(D(2022, 1, 1), "1")], {}, "cash_flows"),  # after as_of
        ([_flow(D(2020, 1, 1), "1")], {"annual_discount_rate": "-0.1"}, "annual_discount_rate"),
        ([_flow(D(2020, 1, 1), "1")], {"annual_discount_rate": 0.1}, "annual_discount_rate"),
    ],
)
def test_historical_value_rejects_bad_input(
    flows: list[object], arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        historical_value(flows, as_of=D(2021, 1, 1), **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_cash_flows_are_checked() -> None:
    with pytest.raises(CurrencyMismatchError):
        historical_value(
            [_flow(D(2020, 1, 1), "1"), _flow(D(2020, 1, 1), "1", currency="USD")],
            as_of=D(2021, 1, 1),
        )
    with pytest.raises(CurrencyMismatchError):
        CashFlow(D(2020, 1, 1), Money.of("1", "EUR"), Money.of("1", "USD"))
    with pytest.raises(ValidationError) as caught:
        CashFlow(D(2020, 1, 1), Money.of("-1", "EUR"), Money.of("1", "EUR"))
    assert caught.value.field == "revenue"
    with pytest.raises(ValidationError) as caught:
        CashFlow(D(2020, 1, 1), Money.of("1", "EUR"), "1")  # type: ignore[arg-type]
    assert caught.value.field == "cost"
    with pytest.raises(ValidationError) as caught:
        CashFlow("2020-01-01", Money.of("1", "EUR"), Money.of("1", "EUR"))
    assert caught.value.field == "on"
    assert _flow(D(2020, 1, 1), "10", "4").net == Money.of("6", "EUR")


def test_horizons_whose_exact_terms_would_be_huge_are_refused_up_front() -> None:
    many_digits = Decimal("0." + "7" * 99)
    with pytest.raises(ValidationError, match="periods: is too many") as caught:
        lifetime_value(
            margin=Money.of("1", "EUR"),
            retention=many_digits,
            discount_rate=Decimal("0." + "1" * 99),
            periods=10_000,
        )
    assert "at most 606 periods" in str(caught.value)
    result = lifetime_value(
        margin=Money.of("1", "EUR"), retention="0.8", discount_rate="0.1", periods=10_000
    )
    assert len(result.terms) == 10_000


def test_results_with_huge_exact_values_have_a_short_repr() -> None:
    result = lifetime_value(
        margin=Money.of("1", "USD"), retention=1, discount_rate=1000000, periods=10000
    )
    assert result.value == Money.of("0.000001", "USD")
    text = repr(result)
    assert "exact=Fraction(<numerator and denominator of about 60,000 digits>)" in text
    small = lifetime_value(margin=Money.of("1", "USD"), retention="0.5", discount_rate="0.1")
    assert "exact=Fraction(5, 6)" in repr(small)


def test_whole_years_compound_exactly_and_other_spans_to_forty_digits() -> None:
    from crmcore.analytics import clv

    # whole years: (1 + rate)^years exactly, whatever the rate's digits
    assert clv._factor(Fraction(1, 7), 2 * 365) == Fraction(64, 49)
    assert clv._factor(Fraction(0), 400) == 1  # no interest: 1 for any span
    part = clv._factor(Fraction(1, 10), 365 + 73)  # 1.2 years: to 40 significant digits
    assert abs(part**5 - Fraction(11, 10) ** 6) < Fraction(1, 10**37)  # part = 1.1^(6/5)


def test_a_fraction_is_written_out_up_to_three_thousand_bits() -> None:
    from crmcore.analytics import clv

    assert clv._short(Fraction(2**2999, 3)) == repr(Fraction(2**2999, 3))  # 3,000 bits
    assert clv._short(Fraction(2**3000, 3)).startswith("Fraction(<numerator and denominator")
