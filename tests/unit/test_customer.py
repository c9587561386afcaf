import datetime as dt
from typing import Any

import pendulum
import pytest

from crmcore import (
    LIFECYCLE_TRANSITIONS,
    Channel,
    Customer,
    CustomerContractEnded,
    CustomerContractEntered,
    CustomerPhaseChanged,
    CustomerProfileUpdated,
    CustomerProspected,
    CustomerRenamed,
    CustomerType,
    Direction,
    Industry,
    Interaction,
    InteractionLogged,
    InvalidTransitionError,
    LifecyclePhase,
    Occupation,
    PhaseChange,
    Profile,
    ValidationError,
    lifecycle_mermaid,
)
from crmcore.domain.customers import allowed_targets

A, C, S, L = (
    LifecyclePhase.ACQUISITION,
    LifecyclePhase.CONTRACT,
    LifecyclePhase.AFTER_SALES,
    LifecyclePhase.LOST,
)
T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def day(n: int) -> pendulum.DateTime:
    return T0.add(days=n)


def prospect(**kwargs: Any) -> Customer:
    return Customer.prospect(customer_id="cust-1", name="Trần Thị B", at=T0, **kwargs)


def call(at: pendulum.DateTime, subject: str = "follow-up") -> Interaction:
    return Interaction(channel=Channel.PHONE, direction=Direction.OUTBOUND, at=at, subject=subject)


def test_prospect_starts_in_acquisition() -> None:
    customer = prospect()
    assert customer.phase is A
    assert customer.phase_history == (PhaseChange(A, T0, "prospected"),)
    assert customer.profile == Profile()
    assert customer.open_contracts == ()
    assert customer.pending_events == (CustomerProspected(occurred_at=T0, customer_id="cust-1"),)


def test_the_transition_table_is_the_design_table() -> None:
    assert [(t.source, t.target, t.command) for t in LIFECYCLE_TRANSITIONS] == [
        (A, C, "enter_contract"),
        (C, C, "enter_contract"),
        (C, S, "end_contract"),
        (C, A, "end_contract"),
        (S, C, "enter_contract"),
        (A, L, "lose"),
        (S, L, "lose"),
        (L, A, "win_back"),
    ]
    assert allowed_targets(A) == (C, L)
    assert allowed_targets(L) == (A,)


def test_mermaid_renders_every_transition() -> None:
    text = lifecycle_mermaid()
    assert text.startswith("stateDiagram-v2\n")
    for t in LIFECYCLE_TRANSITIONS:
        assert f"{t.source.name.lower()} --> {t.target.name.lower()} : {t.command}" in text


def test_signing_moves_to_contract_and_tracks_open_contracts() -> None:
    customer = prospect().enter_contract(at=day(1), contract_id="k-1")
    assert customer.phase is C
    assert customer.open_contracts == ("k-1",)
    assert customer.pending_events[-2:] == (
        CustomerContractEntered(occurred_at=day(1), customer_id="cust-1", contract_id="k-1"),
        CustomerPhaseChanged(
            occurred_at=day(1),
            customer_id="cust-1",
            previous=A,
            current=C,
            reason="contract signed",
        ),
    )
    second = customer.enter_contract(at=day(2), contract_id="k-2")
    assert second.phase is C
    assert second.open_contracts == ("k-1", "k-2")
    assert not isinstance(second.pending_events[-1], CustomerPhaseChanged)


def test_last_contract_fulfilled_moves_to_after_sales() -> None:
    customer = prospect().enter_contract(at=day(1), contract_id="k-1")
    customer = customer.enter_contract(at=day(2), contract_id="k-2")
    customer = customer.end_contract(at=day(3), contract_id="k-1", fulfilled=True)
    assert customer.phase is C
    assert customer.open_contracts == ("k-2",)
    customer = customer.end_contract(at=day(4), contract_id="k-2", fulfilled=False)
    assert customer.phase is S  # an earlier contract was fulfilled
    assert customer.phase_history[-1].reason == (
        "last open contract cancelled; an earlier one was fulfilled"
    )
    assert (
        CustomerContractEnded(
            occurred_at=day(4), customer_id="cust-1", contract_id="k-2", fulfilled=False
        )
        in customer.pending_events
    )


def test_last_contract_cancelled_with_none_fulfilled_returns_to_acquisition() -> None:
    customer = prospect().enter_contract(at=day(1), contract_id="k-1")
    customer = customer.end_contract(at=day(2), contract_id="k-1", fulfilled=False)
    assert customer.phase is A
    assert customer.phase_history[-1] == PhaseChange(A, day(2), "last open contract cancelled")


def test_after_sales_repeat_purchase_goes_back_to_contract() -> None:
    customer = prospect().enter_contract(at=day(1), contract_id="k-1")
    customer = customer.end_contract(at=day(2), contract_id="k-1", fulfilled=True)
    assert customer.enter_contract(at=day(3), contract_id="k-2").phase is C


def test_churn_and_win_back() -> None:
    customer = prospect().lose(at=day(1), reason="no budget")
    assert customer.phase is L
    assert customer.phase_history[-1].reason == "no budget"
    assert customer.win_back(at=day(2)).phase is A


@pytest.mark.parametrize(
    ("setup", "command", "current", "requested"),
    [
        (
            lambda c: c.lose(at=day(1), reason="x"),
            lambda c: c.enter_contract(at=day(2), contract_id="k"),
            "LOST",
            "CONTRACT",
        ),
        (
            lambda c: c.lose(at=day(1), reason="x"),
            lambda c: c.lose(at=day(2), reason="y"),
            "LOST",
            "LOST",
        ),
        (lambda c: c, lambda c: c.win_back(at=day(2)), "ACQUISITION", "ACQUISITION"),
        (
            lambda c: c.enter_contract(at=day(1), contract_id="k"),
            lambda c: c.lose(at=day(2), reason="y"),
            "CONTRACT",
            "LOST",
        ),
    ],
)
def test_moves_outside_the_table_are_refused(
    setup: Any, command: Any, current: str, requested: str
) -> None:
    customer = setup(prospect())
    with pytest.raises(InvalidTransitionError) as caught:
        command(customer)
    assert (caught.value.current, caught.value.requested) == (current, requested)
    assert caught.value.allowed == tuple(p.name for p in allowed_targets(customer.phase))
    assert current in str(caught.value)
    assert requested in str(caught.value)


def test_lost_customer_error_says_win_back_first() -> None:
    lost = prospect().lose(at=day(1), reason="x")
    with pytest.raises(InvalidTransitionError, match="win the customer back first"):
        lost.enter_contract(at=day(2), contract_id="k")


def test_customer_with_open_contracts_cannot_be_lost() -> None:
    signed = prospect().enter_contract(at=day(1), contract_id="k")
    with pytest.raises(InvalidTransitionError, match="cancel or fulfil its open contracts first"):
        signed.lose(at=day(2), reason="churn")


def test_end_contract_rejects_unknown_ids_and_non_bools() -> None:
    signed = prospect().enter_contract(at=day(1), contract_id="k-1")
    with pytest.raises(ValidationError, match="k-1") as caught:
        signed.end_contract(at=day(2), contract_id="k-9", fulfilled=True)
    assert caught.value.field == "contract_id"
    with pytest.raises(ValidationError, match="no contract is open"):
        prospect().end_contract(at=day(2), contract_id="k-1", fulfilled=True)
    with pytest.raises(ValidationError) as flag:
        signed.end_contract(at=day(2), contract_id="k-1", fulfilled=1)  # type: ignore[arg-type]
    assert flag.value.field == "fulfilled"


def test_enter_contract_rejects_a_duplicate_or_bad_id() -> None:
    signed = prospect().enter_contract(at=day(1), contract_id="k-1")
    with pytest.raises(ValidationError, match="already an open contract"):
        signed.enter_contract(at=day(2), contract_id="k-1")
    with pytest.raises(ValidationError):
        signed.enter_contract(at=day(2), contract_id="k 1")


def test_lose_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        prospect().lose(at=day(1), reason=" ")
    assert caught.value.field == "reason"


def test_earlier_times_are_refused_equal_times_allowed() -> None:
    customer = prospect().enter_contract(at=day(5), contract_id="k")
    with pytest.raises(ValidationError, match="earlier"):
        customer.end_contract(at=day(4), contract_id="k", fulfilled=True)
    done = customer.end_contract(at=day(5), contract_id="k", fulfilled=True)
    assert done.phase is S
    assert done.phase_at(day(5)) is S  # the last change at an instant counts


def test_phase_at_and_time_in_phase() -> None:
    customer = prospect().enter_contract(at=day(10), contract_id="k")
    customer = customer.end_contract(at=day(30), contract_id="k", fulfilled=True)
    customer = customer.enter_contract(at=day(40), contract_id="k2")
    assert customer.phase_at(T0.subtract(days=1)) is None
    assert customer.phase_at(day(9)) is A
    assert customer.phase_at(day(10)) is C
    assert customer.phase_at(day(35)) is S
    assert customer.time_in_phase(C, as_of=day(50)) == dt.timedelta(days=30)
    assert customer.time_in_phase(A, as_of=day(50)) == dt.timedelta(days=10)
    assert customer.time_in_phase(S, as_of=day(35)) == dt.timedelta(days=5)
    assert customer.time_in_phase(L, as_of=day(50)) == dt.timedelta(0)
    assert customer.time_in_phase("contract", as_of=day(20)) == dt.timedelta(days=10)  # type: ignore[arg-type]


def test_rename_and_profile_update() -> None:
    customer = prospect().rename("Trần Thị C", at=day(1))
    assert customer.name == "Trần Thị C"
    assert customer.pending_events[-1] == CustomerRenamed(
        occurred_at=day(1), customer_id="cust-1", name="Trần Thị C"
    )
    profile = Profile(industry="government", occupation=Occupation.MANAGER)
    updated = customer.update_profile(profile, at=day(2))
    assert updated.profile.industry is Industry.GOVERNMENT
    assert updated.pending_events[-1] == CustomerProfileUpdated(
        occurred_at=day(2), customer_id="cust-1", profile=profile
    )
    with pytest.raises(ValidationError) as caught:
        customer.update_profile({"industry": "government"}, at=day(3))  # type: ignore[arg-type]
    assert caught.value.field == "profile"
    with pytest.raises(ValidationError) as blank:
        customer.rename("  ", at=day(3))
    assert blank.value.field == "name"


def test_interactions_may_be_logged_after_the_fact_and_stay_in_time_order() -> None:
    customer = prospect().enter_contract(at=day(10), contract_id="k")
    customer = customer.log_interaction(call(day(12)))
    customer = customer.log_interaction(call(day(3)))  # after the fact
    customer = customer.log_interaction(call(day(12), "second call, same instant"))
    assert [i.at for i in customer.interactions] == [day(3), day(12), day(12)]
    assert customer.interactions[2].subject == "second call, same instant"
    assert customer.last_interaction_at == day(12)
    assert isinstance(customer.pending_events[-1], InteractionLogged)
    assert customer.changed_at == day(12)
    with pytest.raises(ValidationError) as caught:
        customer.log_interaction("a call")  # type: ignore[arg-type]
    assert caught.value.field == "interaction"


def test_churn_risk_warns_quiet_after_sales_customers() -> None:
    customer = prospect().enter_contract(at=day(0), contract_id="k")
    customer = customer.end_contract(at=day(10), contract_id="k", fulfilled=True)
    customer = customer.log_interaction(call(day(20)))
    quiet = customer.churn_risk(as_of=day(110))
    assert quiet.at_risk
    assert quiet.last_activity == day(20)
    assert quiet.quiet_for == dt.timedelta(days=90)
    assert not customer.churn_risk(as_of=day(110) - dt.timedelta(microseconds=1)).at_risk
    assert not customer.churn_risk(as_of=day(50), quiet_days=31).at_risk
    assert customer.churn_risk(as_of=day(51), quiet_days=31).at_risk


def test_churn_risk_only_for_after_sales_customers() -> None:
    assert not prospect().churn_risk(as_of=day(400)).at_risk
    signed = prospect().enter_contract(at=day(1), contract_id="k")
    assert not signed.churn_risk(as_of=day(400)).at_risk
    assert signed.churn_risk(as_of=day(400)).last_activity == day(1)
    empty = prospect().churn_risk(as_of=T0.subtract(days=1))
    assert (empty.last_activity, empty.quiet_for) == (None, None)


@pytest.mark.parametrize("quiet_days", [0, -1, 1.5, True, 40_000])
def test_churn_risk_rejects_bad_thresholds(quiet_days: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        prospect().churn_risk(as_of=day(1), quiet_days=quiet_days)
    assert caught.value.field == "quiet_days"


# Profile ----------------------------------------------------------------------


def test_profile_accepts_enums_and_their_values() -> None:
    profile = Profile(
        industry="state-owned enterprise",
        customer_type=CustomerType.INDIVIDUAL_VIP,
        occupation="supervisor",
        birth_date=dt.date(1990, 5, 17),
        region="Đà Nẵng",
        preferred_channel="SMS",
        email="b@example.vn",
        phone="+84 (236) 123-456",
    )
    assert profile.industry is Industry.STATE_OWNED_ENTERPRISE
    assert profile.preferred_channel is Channel.SMS
    assert repr(profile) == (
        "Profile(industry='state-owned enterprise', customer_type='individual VIP', "
        "occupation='supervisor', birth_date=<hidden>, region=<hidden>, "
        "preferred_channel='SMS', email=<hidden>, phone=<hidden>)"
    )
    assert type(profile.birth_date) is pendulum.Date


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"industry": "banking"}, "industry"),
        ({"customer_type": "gold"}, "customer_type"),
        ({"occupation": "ceo"}, "occupation"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"birth_date": "1990-01-01"}, "birth_date"),
        ({"region": " "}, "region"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@c.d"}, "email"),
        ({"email": 5}, "email"),
        ({"phone": "12"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "+-- ()"}, "phone"),
    ],
)
def test_profile_rejects_bad_attributes(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Profile(**kwargs)
    assert caught.value.field == field


def test_age_in_whole_years_with_leap_birthdays() -> None:
    leap = Profile(birth_date=pendulum.Date(2000, 2, 29))
    assert leap.age(on=dt.date(2001, 2, 27)) == 0
    assert leap.age(on=dt.date(2001, 2, 28)) == 1
    assert leap.age(on=dt.date(2004, 2, 28)) == 3
    assert leap.age(on=dt.date(2004, 2, 29)) == 4
    assert Profile().age(on=dt.date(2030, 1, 1)) is None
    with pytest.raises(ValidationError, match="before the birth date"):
        leap.age(on=dt.date(1999, 1, 1))


# Personal data -------------------------------------------------------------------


def test_repr_and_str_show_ids_not_personal_data() -> None:
    customer = prospect(profile=Profile(email="tran.b@example.vn", phone="+84 912 345 678"))
    customer = customer.log_interaction(call(day(1), "complained about Trần's invoice"))
    for text in (
        repr(customer),
        str(customer),
        repr(customer.profile),
        repr(customer.interactions),
    ):
        assert "Trần" not in text
        assert "tran.b" not in text
        assert "912" not in text
    assert repr(customer) == "Customer(customer_id='cust-1', phase=ACQUISITION)"
    assert "name=" not in repr(customer.pending_events)


def test_name_errors_do_not_echo_the_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Customer.prospect(customer_id="c", name="Nguyễn" * 50, at=T0)
    assert "Nguyễn" not in str(caught.value)


# The constructor guards rebuilt values ----------------------------------------------


def test_constructor_checks_consistency() -> None:
    base: dict[str, Any] = {
        "customer_id": "c",
        "name": "n",
        "phase": C,
        "open_contracts": ("k",),
        "phase_history": (PhaseChange(A, T0, "p"), PhaseChange(C, day(1), "s")),
        "changed_at": day(1),
    }
    assert Customer(**base).phase is C
    bad: list[tuple[dict[str, Any], str]] = [
        ({"open_contracts": ()}, "open_contracts"),
        ({"open_contracts": ("k", "k")}, "open_contracts"),
        ({"open_contracts": ("k k",)}, "open_contracts"),
        ({"open_contracts": "k"}, "open_contracts"),
        ({"open_contracts": (5,)}, "open_contracts"),
        ({"phase": S, "open_contracts": ()}, "phase_history"),
        ({"phase_history": ()}, "phase_history"),
        (
            {"phase_history": (PhaseChange(A, day(2), "p"), PhaseChange(C, day(1), "s"))},
            "phase_history",
        ),
        ({"changed_at": T0}, "phase_history"),
        ({"ever_fulfilled": 1}, "ever_fulfilled"),
        ({"phase": "nope"}, "phase"),
        ({"interactions": ("call",)}, "interactions"),
    ]
    for changes, field in bad:
        with pytest.raises(ValidationError) as caught:
            Customer(**(base | changes))
        assert caught.value.field == field, changes
