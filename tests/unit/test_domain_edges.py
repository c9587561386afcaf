"""Edges of the domain that the unit tests did not sit on, found by the
mutation run of docs/quality.md: values exactly at ``as_of``, positive
rounding exponents, amounts between 0 and 1, hand-built records near the
year 9999, and the order of interactions logged after the fact.
"""

import datetime as dt
import decimal
from decimal import Decimal
from fractions import Fraction

import attrs
import pendulum
import pytest

from crmcore import LifecyclePhase, Money, Profile, ValidationError
from crmcore.domain.complaints import Compensation
from crmcore.domain.contracts import MAX_REASON_LENGTH as CONTRACT_REASON
from crmcore.domain.contracts import Payment
from crmcore.domain.numbers import percent, round_fraction
from crmcore.domain.opportunities import MAX_REASON_LENGTH as OPPORTUNITY_REASON
from tests.records import T0, complaint, contract, customer, opportunity, service_contract
from tests.unit.test_approvals import _open
from tests.unit.test_customer import call, day


def cents(text: str) -> Money:
    return Money.of(text, "EUR")


# Numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(15, "2E+1"), (25, "2E+1"), (Fraction(251, 10), "3E+1"), (35, "4E+1"), (-15, "-2E+1")],
)
def test_round_fraction_rounds_half_even_above_the_units(
    value: Fraction | int, expected: str
) -> None:
    assert round_fraction(value, significant=1) == Decimal(expected)


def test_percent_rounds_once_not_twice() -> None:
    # 6.251 % and 6.25 % plus a hair: rounding first to hundredths or to 28
    # digits, then to tenths, would give 6.2 (half-even) instead of 6.3.
    assert percent(Fraction(6251, 100_000)) == "6.3 %"
    assert percent(Fraction(1, 16) + Fraction(1, 10**32)) == "6.3 %"
    assert percent(Fraction(1, 16)) == "6.2 %"


# Money --------------------------------------------------------------------------


def test_from_exact_rounds_half_even_whatever_the_global_context() -> None:
    value = Decimal("0.1234567890123456785")
    with decimal.localcontext() as hostile:
        hostile.rounding = decimal.ROUND_UP
        hostile.prec = 50
        rounded = Money.from_exact(value, "EUR")
    assert rounded.amount == Decimal("0.123456789012345678")


def test_allocation_sorts_by_remainder_not_by_share() -> None:
    # 10 cents split 61:39 are 6.1 and 3.9 cents: the spare cent goes to the
    # 0.9 remainder, the smaller share.
    assert cents("0.10").allocate([61, 39]) == (cents("0.06"), cents("0.04"))


# Customers ------------------------------------------------------------------------


def test_interactions_logged_late_go_into_time_order() -> None:
    logged = customer().log_interaction(call(day(1))).log_interaction(call(day(3)))
    logged = logged.log_interaction(call(day(2)))
    assert [i.at for i in logged.interactions] == [day(1), day(2), day(3)]
    event = logged.pending_events[-1]
    assert (event.customer_id, event.interaction) == ("c1", call(day(2)))  # type: ignore[attr-defined]


def test_churn_risk_counts_what_happens_exactly_at_as_of() -> None:
    signed = customer().enter_contract(at=day(5), contract_id="k")
    assert signed.churn_risk(as_of=day(5)).last_activity == day(5)
    after_sales = signed.end_contract(at=day(10), contract_id="k", fulfilled=True)
    assert after_sales.churn_risk(as_of=day(10)).last_activity == day(10)


def test_churn_risk_ignores_entries_into_other_phases() -> None:
    lost = customer().lose(at=day(5), reason="no budget")
    assert lost.churn_risk(as_of=day(9)).last_activity is None


def test_ending_the_last_contract_says_how_it_ended() -> None:
    signed = customer().enter_contract(at=day(1), contract_id="k")
    fulfilled = signed.end_contract(at=day(2), contract_id="k", fulfilled=True)
    assert fulfilled.phase is LifecyclePhase.AFTER_SALES
    assert fulfilled.phase_history[-1].reason == "last open contract fulfilled"
    cancelled = signed.end_contract(at=day(2), contract_id="k", fulfilled=False)
    assert cancelled.phase_history[-1].reason == "last open contract cancelled"


def test_phase_changes_at_the_same_instant_are_in_time_order() -> None:
    signed = customer().enter_contract(at=T0, contract_id="k")
    assert signed.phase_history[-1].at == signed.phase_history[-2].at
    assert attrs.evolve(signed) == signed


# Opportunities --------------------------------------------------------------------


def test_a_stage_entered_exactly_at_as_of_is_listed_with_no_time() -> None:
    moved = opportunity().move_to("Contact", at=day(2))
    assert moved.time_in_stages(as_of=day(2)) == {
        "Research": dt.timedelta(days=2),
        "Contact": dt.timedelta(0),
    }


def test_time_in_stages_sums_every_visit() -> None:
    back = opportunity().move_to("Contact", at=day(2)).move_to("Research", at=day(3))
    assert back.time_in_stages(as_of=day(7))["Research"] == dt.timedelta(days=6)


def test_an_approval_moves_changed_at_to_its_time() -> None:
    requested = _open().request_approval("Negotiate", by="rep", at=day(1))
    assert requested.approve(by="boss", at=day(2)).changed_at == day(2)


def test_only_a_later_close_date_is_a_push() -> None:
    dated = opportunity().change_expected_close(pendulum.date(2030, 6, 1), at=day(1))
    same = dated.change_expected_close(pendulum.date(2030, 6, 1), at=day(2))
    assert (same.close_date_pushes, same.changed_at) == (0, day(2))
    later = same.change_expected_close(pendulum.date(2030, 6, 2), at=day(3))
    assert later.close_date_pushes == 1


# Contracts and complaints ------------------------------------------------------------


def test_payments_may_be_less_than_one_unit_but_not_zero() -> None:
    signed = contract()
    assert attrs.evolve(signed, payments=(Payment(cents("0.50"), T0),)).paid == cents("0.50")
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(signed, payments=(Payment(cents("0"), T0),))
    assert caught.value.field == "payments"


def test_paid_in_full_before_delivery_is_not_fulfilled() -> None:
    paid = contract().pay(cents("100"), at=day(1))
    assert not paid.is_fulfilled
    assert attrs.evolve(paid) == paid  # a record built by hand is checked the same way
    assert paid.deliver(at=day(2)).is_fulfilled


def test_a_cancel_reason_may_be_as_long_as_its_limit_only() -> None:
    longest = "r" * CONTRACT_REASON
    cancelled = contract().cancel(at=day(1), reason=longest)
    assert attrs.evolve(cancelled) == cancelled
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(cancelled, cancel_reason=longest + "r")
    assert caught.value.field == "cancel_reason"
    assert f"is {CONTRACT_REASON + 1} characters long" in str(caught.value)


def test_service_terms_are_checked_against_the_year_9999_in_whole_years() -> None:
    late = attrs.evolve(service_contract(), starts=pendulum.date(9998, 1, 1), term_months=6)
    assert late.ends == pendulum.date(9998, 7, 1)
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(late, term=3, term_months=12)
    assert caught.value.field == "term"
    yearly = attrs.evolve(service_contract(), starts=pendulum.date(9996, 1, 1))
    renewed = yearly.renew(at=T0)
    assert renewed.ends == pendulum.date(9998, 1, 1)
    with pytest.raises(ValidationError) as caught:
        renewed.renew(at=T0)
    assert caught.value.field == "term"


def test_a_complaint_may_hold_one_compensation_of_less_than_one_unit() -> None:
    held = attrs.evolve(complaint(), compensations=(Compensation(cents("0.50"), T0),))
    assert held.compensations[0].amount == cents("0.50")


def test_a_lost_reason_may_be_as_long_as_its_limit_only() -> None:
    longest = "r" * OPPORTUNITY_REASON
    lost = opportunity().lose(at=day(1), reason=longest)
    assert attrs.evolve(lost) == lost
    too_long = longest + "r"
    message = f"is {OPPORTUNITY_REASON + 1} characters long"
    with pytest.raises(ValidationError, match=message):
        opportunity().lose(at=day(1), reason=too_long)
    with pytest.raises(ValidationError, match=message):
        attrs.evolve(lost, lost_reason=too_long)


def test_a_profile_repr_skips_unset_fields_and_goes_on() -> None:
    assert repr(Profile(region="North", phone="0123456789")) == (
        "Profile(region=<hidden>, phone=<hidden>)"
    )
