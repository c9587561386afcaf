import datetime as dt
import itertools
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from crmcore import (
    LIFECYCLE_TRANSITIONS,
    Complaint,
    ComplaintStep,
    Contract,
    CrmError,
    Customer,
    InvalidTransitionError,
    LifecyclePhase,
    Money,
    Profile,
    ServiceContract,
    ValidationError,
)
from crmcore.domain.complaints import STEPS
from crmcore.testing.strategies import (
    complaints,
    contracts,
    customers,
    emails,
    interactions,
    names,
    phones,
    service_contracts,
)

TABLE = {(t.source, t.target, t.command) for t in LIFECYCLE_TRANSITIONS}


class LifecycleMachine(RuleBasedStateMachine):
    """Random command sequences: the table alone decides what is allowed."""

    def __init__(self) -> None:
        super().__init__()
        self.now = pendulum.datetime(2030, 1, 1, tz="UTC")
        self.customer = Customer.prospect(customer_id="c", name="Lê Văn C", at=self.now)
        self.counter = 0

    def _expected_target(self, command: str, contract: str | None, fulfilled: bool) -> Any:
        c = self.customer
        if command == "enter_contract":
            return LifecyclePhase.CONTRACT
        if command == "end_contract":
            remaining = [k for k in c.open_contracts if k != contract]
            if remaining:
                return None  # no phase change: not a transition
            ever = c.ever_fulfilled or fulfilled
            return LifecyclePhase.AFTER_SALES if ever else LifecyclePhase.ACQUISITION
        if command == "lose":
            return LifecyclePhase.LOST
        return LifecyclePhase.ACQUISITION

    def _run(self, command: str, **kwargs: Any) -> None:
        before = self.customer
        target = self._expected_target(
            command, kwargs.get("contract_id"), kwargs.get("fulfilled", False)
        )
        try:
            after = getattr(before, command)(at=self.now, **kwargs)
        except InvalidTransitionError:
            assert (before.phase, target, command) not in TABLE
            assert self.customer == before
            return
        if target is not None:
            assert (before.phase, target, command) in TABLE
            assert after.phase is target
        self.customer = after

    @rule(hours=st.integers(min_value=0, max_value=2000))
    def sign(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self.counter += 1
        self._run("enter_contract", contract_id=f"k-{self.counter}")

    @rule(data=st.data(), fulfilled=st.booleans(), hours=st.integers(min_value=0, max_value=2000))
    def end(self, data: st.DataObject, fulfilled: bool, hours: int) -> None:
        if not self.customer.open_contracts:
            before = self.customer
            with pytest.raises(ValidationError):
                before.end_contract(at=self.now, contract_id="k-0", fulfilled=fulfilled)
            return
        self.now = self.now.add(hours=hours)
        contract = data.draw(st.sampled_from(self.customer.open_contracts))
        self._run("end_contract", contract_id=contract, fulfilled=fulfilled)

    @rule(hours=st.integers(min_value=0, max_value=2000))
    def lose(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self._run("lose", reason="churned")

    @rule(hours=st.integers(min_value=0, max_value=2000))
    def win_back(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self._run("win_back")

    @rule()
    def stale_time_is_rejected(self) -> None:
        before = self.customer
        with pytest.raises(ValidationError):
            before.lose(at=before.changed_at.subtract(microseconds=1), reason="late")
        assert self.customer == before

    @invariant()
    def history_is_consistent(self) -> None:
        c = self.customer
        history = c.phase_history
        assert history[-1].phase is c.phase
        assert all(a.at <= b.at for a, b in itertools.pairwise(history))
        for a, b in itertools.pairwise(history):
            assert (a.phase, b.phase) in {(t.source, t.target) for t in LIFECYCLE_TRANSITIONS}
        for change in history:
            assert c.phase_at(change.at) in {h.phase for h in history if h.at == change.at}
        last_at_each = {h.at: h.phase for h in history}
        for instant, phase in last_at_each.items():
            assert c.phase_at(instant) is phase
        assert (c.phase is LifecyclePhase.CONTRACT) == bool(c.open_contracts)


TestLifecycleMachine = LifecycleMachine.TestCase


@given(customers(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=500)))
def test_time_in_phases_sums_to_the_age(customer: Customer, extra: dt.timedelta) -> None:
    as_of = customer.changed_at + extra
    total = sum((customer.time_in_phase(p, as_of=as_of) for p in LifecyclePhase), dt.timedelta())
    assert total == as_of - customer.phase_history[0].at


@given(customers())
def test_generated_customers_rebuild(customer: Customer) -> None:
    assert attrs.evolve(customer) == customer


# Contracts -----------------------------------------------------------------------


@given(contracts())
def test_payments_sum_to_the_paid_amount(contract: Contract) -> None:
    zero = Money.zero(contract.amount.currency)
    assert contract.received == sum((p.amount for p in contract.payments), zero)
    assert contract.refunded == sum((r.amount for r in contract.refunds), zero)
    assert contract.paid == contract.received - contract.refunded
    assert contract.paid + contract.outstanding == contract.amount
    assert not contract.outstanding.is_negative()
    assert not contract.paid.is_negative()


@given(contracts())
def test_fulfilled_iff_delivered_and_nothing_outstanding(contract: Contract) -> None:
    paid_in_full = contract.is_delivered and contract.outstanding.is_zero()
    if not contract.refunds:
        assert contract.is_fulfilled == paid_in_full
    # a refund after fulfilment leaves it fulfilled (a fact of its time) but owed again
    assert paid_in_full <= contract.is_fulfilled
    assert contract.is_fulfilled <= contract.is_delivered
    assert not (contract.is_fulfilled and contract.is_cancelled)


# Service contracts: the calendar rules over generated dates ------------------------


@given(service_contracts(), st.integers(min_value=1, max_value=30))
def test_term_ends_are_anchored_and_clamped(contract: ServiceContract, n: int) -> None:
    months = contract.starts.month - 1 + n * contract.term_months
    year, month = contract.starts.year + months // 12, months % 12 + 1
    assume(year <= 9998)
    last_day = pendulum.Date(year, month, 1).days_in_month
    expected = pendulum.Date(year, month, min(contract.starts.day, last_day))
    assert contract.term_end(n) == expected
    assert contract.term_end(n) > contract.term_end(n - 1)


@given(service_contracts(), st.integers(min_value=-400, max_value=400))
def test_renewal_due_exactly_in_the_notice_window(contract: ServiceContract, offset: int) -> None:
    day = contract.ends.add(days=offset)
    due = contract.renewal_due(day)
    assert due == (contract.ends.subtract(days=contract.notice_days) <= day < contract.ends)


@given(service_contracts())
def test_renewal_moves_to_the_next_anchored_term(contract: ServiceContract) -> None:
    assume(contract.starts.year < 9000)
    renewed = contract.renew(at=contract.changed_at)
    assert renewed.current_term_starts == contract.ends
    assert renewed.ends == contract.term_end(2)


# Complaints -------------------------------------------------------------------------


@given(complaints())
def test_steps_are_strictly_ordered(complaint: Complaint) -> None:
    reached = [r.step for r in complaint.steps]
    assert reached == list(STEPS[: len(reached)])
    assert all(a.at <= b.at for a, b in itertools.pairwise(complaint.steps))
    assert complaint.is_closed == (complaint.current_step is ComplaintStep.THANKED)


@given(complaints(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)))
def test_overdue_rule(complaint: Complaint, after: dt.timedelta) -> None:
    at = complaint.received_at + after
    expected = (
        complaint.current_step is ComplaintStep.RECEIVED and after > complaint.response_target
    )
    assert complaint.is_overdue(at=at) == expected


# Personal data ------------------------------------------------------------------------


@given(names(), emails(), phones(), st.lists(interactions(), max_size=3))
def test_personal_data_never_appears_in_reprs_or_errors(
    name: str, email: str, phone: str, contacts: list[Any]
) -> None:
    assume(len(name.strip()) > 3)
    # a name that is part of the fixed wording (say "file" in "Profile") is not a leak
    assume(name.strip() not in "Customer Profile email phone hidden Interaction acquisition")
    t0 = pendulum.datetime(2030, 1, 1, tz="UTC")
    customer = Customer.prospect(
        customer_id="c-1", name=name, at=t0, profile=Profile(email=email, phone=phone)
    )
    for contact in contacts:
        customer = customer.log_interaction(contact)
    texts = [repr(customer), str(customer), repr(customer.profile), repr(customer.pending_events)]
    failures: list[CrmError] = []
    for attempt in (
        lambda: customer.win_back(at=customer.changed_at),
        lambda: customer.end_contract(at=customer.changed_at, contract_id="k", fulfilled=True),
        lambda: customer.rename(name + " " * 300, at=customer.changed_at),
        lambda: customer.lose(at=t0.subtract(days=1), reason="x"),
        lambda: Customer.prospect(customer_id=name, name=name, at=t0),
        lambda: Profile(email=name),
        lambda: Profile(phone=name),
    ):
        try:
            attempt()
        except CrmError as error:
            failures.append(error)
    texts += [str(e) for e in failures]
    for text in texts:
        for secret in (name.strip(), email, phone):
            assert secret not in text


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=12, max_size=40).map(str.strip))
def test_free_text_reasons_and_the_region_stay_out_of_reprs(secret: str) -> None:
    """Reasons and the region often hold personal data ("moved to 12 Elm St.")."""
    from crmcore import Contract, Opportunity

    assume(len(secret) >= 12)
    t0 = pendulum.datetime(2030, 1, 1, tz="UTC")
    customer = Customer.prospect(
        customer_id="c-1", name="Customer", at=t0, profile=Profile(region=secret)
    ).lose(at=t0, reason=secret)
    opportunity = Opportunity.open(
        opportunity_id="o-1", customer_id="c-1", title="deal", amount=Money.of(1, "EUR"), at=t0
    ).lose(at=t0, reason=secret)
    contract = Contract.sign(
        contract_id="k-1", customer_id="c-1", opportunity_id="o-1", amount=Money.of(1, "EUR"),
        at=t0,
    ).cancel(at=t0, reason=secret)  # fmt: skip
    for shown in (customer, opportunity, contract):
        assert secret not in repr(shown)
        assert secret not in repr(shown.pending_events)
    assert secret not in repr(customer.profile)
    assert secret not in repr(customer.phase_history)
