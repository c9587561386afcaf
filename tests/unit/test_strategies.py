from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, ValidationError
from crmcore.testing.strategies import money


@given(
    money(currency="EUR", places="minor", min_value=-(10**15), max_value=10**15),
    money(places="minor"),
)
def test_minor_places_stay_within_the_minor_unit(euros: Money, any_money: Money) -> None:
    assert euros.rounded() == euros
    assert any_money.rounded() == any_money
    # A property test can multiply such amounts by a tax rate without a refusal.
    assert (euros * Decimal("1.19")).currency == "EUR"


@given(money(currency="JPY", places="minor", min_value=1, max_value=10**6))
def test_yen_has_no_fraction(yen: Money) -> None:
    assert yen.amount == yen.amount.to_integral_value()


@given(money(places=3, min_value="0.001", max_value="0.009"))
def test_a_fixed_number_of_places(amount: Money) -> None:
    exponent = amount.amount.as_tuple().exponent
    assert isinstance(exponent, int)
    assert exponent >= -3


@given(st.data())
def test_any_places_by_default(data: st.DataObject) -> None:
    amount = data.draw(money(min_value="0.5", max_value="0.5"))
    assert amount.amount == Decimal("0.5")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"places": 19}, "places"),
        ({"places": "cents"}, "places"),
        ({"places": True}, "places"),
        (
            {"currency": "EUR", "places": "minor", "min_value": "0.001", "max_value": "0.009"},
            "places",
        ),
        ({"min_value": "1E-19", "max_value": "9E-19"}, "places"),
        ({"currency": "XXX"}, "currency"),
        ({"min_value": 2, "max_value": 1}, "min_value"),
    ],
)
def test_impossible_requests_are_refused_up_front(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        money(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


@given(st.data())
def test_every_new_input_type_has_a_registered_strategy(data: st.DataObject) -> None:
    from crmcore import BusinessCalendar, Period
    from crmcore.analytics import ContactRecord, SlaPolicy, SlaTarget, SurveyAnswer

    for kind in (Period, BusinessCalendar, SlaTarget, SlaPolicy, ContactRecord, SurveyAnswer):
        assert isinstance(data.draw(st.from_type(kind)), kind)
