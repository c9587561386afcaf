"""Random command sequences through `Session.handle`, against a simple model of
the lifecycle rules (DESIGN.md's transition table, as plain dictionaries)."""

from typing import Any

import pendulum
import pytest
from hypothesis import settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from crmcore import InvalidTransitionError, Money, RecordKind, commands
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.errors import ValidationError
from crmcore.services import Session
from crmcore.testing import SequentialIds
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
EUR = Money.of("100", "EUR")


class SessionMachine(RuleBasedStateMachine):
    customers = Bundle("customers")
    opportunities = Bundle("opportunities")
    contracts = Bundle("contracts")

    def __init__(self) -> None:
        super().__init__()
        self.session = Session(
            InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
        )
        self.minutes = 0
        # the model
        self.phase: dict[str, str] = {}
        self.open_contracts: dict[str, set[str]] = {}
        self.fulfilled_once: dict[str, bool] = {}
        self.opportunity: dict[str, tuple[str, str]] = {}  # id -> (customer, open|won|lost)
        self.contract: dict[str, tuple[str, str]] = {}  # id -> (customer, open|done|cancelled)

    def _now(self) -> pendulum.DateTime:
        self.minutes += 1
        return T0.add(minutes=self.minutes)

    def _refused(self, command: commands.Command[Any]) -> None:
        try:
            self.session.handle(command)
        except InvalidTransitionError:
            return
        raise AssertionError(f"{type(command).__name__} should have been refused")

    @rule(target=customers)
    def register(self) -> str:
        customer = self.session.handle(commands.RegisterProspect(name="N", at=self._now()))
        assert customer is not None
        self.phase[customer] = "acquisition"
        self.open_contracts[customer] = set()
        self.fulfilled_once[customer] = False
        return customer

    @rule(target=opportunities, customer=customers)
    def open_opportunity(self, customer: str) -> str:
        command = commands.OpenOpportunity(
            customer_id=customer, title="t", amount=EUR, at=self._now()
        )
        if self.phase[customer] == "lost":
            self._refused(command)
            return "none"
        opportunity = self.session.handle(command)
        assert opportunity is not None
        self.opportunity[opportunity] = (customer, "open")
        return opportunity

    @rule(target=contracts, opportunity=opportunities)
    def win(self, opportunity: str) -> str:
        if opportunity == "none":
            return "none"
        customer, status = self.opportunity[opportunity]
        command = commands.WinOpportunity(opportunity_id=opportunity, at=self._now())
        if status != "open" or self.phase[customer] == "lost":
            self._refused(command)
            return "none"
        contract = self.session.handle(command)
        assert contract is not None
        self.opportunity[opportunity] = (customer, "won")
        self.contract[contract] = (customer, "open")
        self.open_contracts[customer].add(contract)
        self.phase[customer] = "contract"
        return contract

    @rule(opportunity=opportunities)
    def lose_opportunity(self, opportunity: str) -> None:
        if opportunity == "none":
            return
        customer, status = self.opportunity[opportunity]
        command = commands.LoseOpportunity(opportunity_id=opportunity, reason="r", at=self._now())
        if status != "open":
            self._refused(command)
            return
        self.session.handle(command)
        self.opportunity[opportunity] = (customer, "lost")

    def _end(self, contract: str, fulfilled: bool) -> None:
        customer, _ = self.contract[contract]
        self.contract[contract] = (customer, "done" if fulfilled else "cancelled")
        self.open_contracts[customer].discard(contract)
        self.fulfilled_once[customer] |= fulfilled
        if not self.open_contracts[customer]:
            self.phase[customer] = "after-sales" if self.fulfilled_once[customer] else "acquisition"

    @rule(contract=contracts)
    def fulfil(self, contract: str) -> None:
        if contract == "none" or self.contract[contract][1] != "open":
            return
        self.session.handle(commands.RecordDelivery(contract_id=contract, at=self._now()))
        self.session.handle(
            commands.RecordPayment(contract_id=contract, amount=EUR, at=self._now())
        )
        self._end(contract, fulfilled=True)

    @rule(contract=contracts)
    def cancel(self, contract: str) -> None:
        if contract == "none":
            return
        command = commands.CancelContract(contract_id=contract, reason="r", at=self._now())
        if self.contract[contract][1] != "open":
            self._refused(command)
            return
        self.session.handle(command)
        self._end(contract, fulfilled=False)

    @rule(customer=customers)
    def lose_customer(self, customer: str) -> None:
        command = commands.LoseCustomer(customer_id=customer, reason="r", at=self._now())
        if self.phase[customer] not in ("acquisition", "after-sales"):
            self._refused(command)
            return
        self.session.handle(command)
        self.phase[customer] = "lost"

    @rule(customer=customers)
    def win_back(self, customer: str) -> None:
        command = commands.WinBackCustomer(customer_id=customer, at=self._now())
        if self.phase[customer] != "lost":
            self._refused(command)
            return
        self.session.handle(command)
        self.phase[customer] = "acquisition"

    @precondition(lambda self: bool(self.phase))
    @invariant()
    def the_store_agrees_with_the_model(self) -> None:
        found: dict[str, Any] = {}
        cursor = None
        while True:
            page = self.session.find(RecordKind.CUSTOMER, limit=7, after=cursor)
            found.update((c.customer_id, c) for c in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert {k: c.phase.value for k, c in found.items()} == self.phase
        assert {k: set(c.open_contracts) for k, c in found.items()} == self.open_contracts
        open_ids = {
            o.opportunity_id
            for o in self.session.find(RecordKind.OPPORTUNITY, is_open=True, limit=10_000).items
        }
        assert open_ids == {k for k, (_, s) in self.opportunity.items() if s == "open"}


SessionMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25)
TestSession = SessionMachine.TestCase


def test_a_session_binds_its_arguments() -> None:
    with pytest.raises(ValidationError) as caught:
        Session(object())  # type: ignore[arg-type]
    assert caught.value.field == "uow"
    session = Session(InMemoryUnitOfWork(clock=LATER))
    assert session.collect_events() == []
