from decimal import Decimal
from typing import Any

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
    from crmcore import (
        AssignmentRule,
        BusinessCalendar,
        Campaign,
        CommissionPlan,
        CommissionPlanRecord,
        Condition,
        MemberStatus,
        Period,
        Quota,
        StatusSet,
        Territory,
        Tier,
        commands,
    )
    from crmcore.analytics import ContactRecord, SlaPolicy, SlaTarget, SurveyAnswer

    kinds: tuple[type, ...] = (
        Period, BusinessCalendar, SlaTarget, SlaPolicy, ContactRecord, SurveyAnswer,
        Campaign, StatusSet, MemberStatus, commands.PlanCampaign,
        commands.AddCampaignMembers, commands.SetCampaignMemberStatus,
        Territory, Condition, AssignmentRule, Quota, Tier, CommissionPlan,
        CommissionPlanRecord, commands.SetQuota, commands.CreateTerritory,
        commands.AssignTerritory, commands.DefineCommissionPlan,
    )  # fmt: skip
    for kind in kinds:
        assert isinstance(data.draw(st.from_type(kind)), kind)


def test_builders_return_one_strategy_per_set_of_arguments() -> None:
    from crmcore.testing import strategies as crm

    assert crm.ids(prefix="c") is crm.ids(prefix="c")
    assert crm.ids(prefix="c") is not crm.ids(prefix="o")
    assert money(places=2) is money(places=2)
    # Equal arguments of different types ask for different strategies: a cached
    # money(places=1) does not answer money(places=True), which is refused.
    assert money(places=1) is money(places=1)
    with pytest.raises(ValidationError, match=r"^places: "):
        money(places=True)
    # Unhashable arguments are not remembered (and still work).
    built = []

    @crm._cached
    def sampled(values: Any) -> st.SearchStrategy[Any]:
        built.append(values)
        return st.sampled_from(values)

    sampled([1, 2])
    sampled([1, 2])
    assert len(built) == 2
    sampled((1, 2))
    sampled((1, 2))
    assert len(built) == 3


def test_the_strategy_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmcore.testing import strategies as crm

    monkeypatch.setattr(crm, "_CACHE_SIZE", 2)
    first = crm.ids(prefix="bounded-1")
    crm.ids(prefix="bounded-2")
    crm.ids(prefix="bounded-3")  # the cache is full: it starts again
    assert crm.ids(prefix="bounded-1") is not first
    assert crm.ids(prefix="bounded-3") is crm.ids(prefix="bounded-3")
