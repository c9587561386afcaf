"""The SQL store passes the shipped contract kit on SQLite and on a real
PostgreSQL server, and behaves like the in-memory store in whole use cases."""

from typing import ClassVar

import pendulum
import pytest
from hypothesis import settings

from crmcore import (
    ConcurrencyError,
    Customer,
    LifecyclePhase,
    Money,
    RecordKind,
    commands,
    services,
)
from crmcore.testing.contracts import (
    CampaignRepositoryContract,
    CommissionPlanRepositoryContract,
    ComplaintRepositoryContract,
    ContractRepositoryContract,
    CustomerRepositoryContract,
    Factory,
    OpportunityRepositoryContract,
    QuotaRepositoryContract,
    ServiceContractRepositoryContract,
    TerritoryRepositoryContract,
    UnitOfWorkContract,
    repository_state_machine,
)
from crmcore.testing.strategies import customers
from tests.sql.backends import BACKENDS, FACTORIES, factory

KIT = (
    CustomerRepositoryContract,
    OpportunityRepositoryContract,
    ContractRepositoryContract,
    ServiceContractRepositoryContract,
    ComplaintRepositoryContract,
    CampaignRepositoryContract,
    TerritoryRepositoryContract,
    QuotaRepositoryContract,
    CommissionPlanRepositoryContract,
    UnitOfWorkContract,
)


def _on(backend: str) -> type:
    class On:
        max_examples: ClassVar[int | None] = 5  # each example makes a database

        def unit_of_work_factory(self) -> Factory:
            return factory(backend)

    return On


for _backend in BACKENDS:
    for _contract in KIT:
        _name = f"Test{_contract.__name__.removesuffix('Contract')}On{_backend.title()}"
        globals()[_name] = type(_name, (_on(_backend), _contract), {})
    _machine = repository_state_machine(
        FACTORIES[_backend], RecordKind.CUSTOMER, customers(max_commands=3)
    ).TestCase
    _machine.settings = settings(max_examples=5, stateful_step_count=12)
    globals()[f"TestCustomerMachineOn{_backend.title()}"] = _machine
del _backend, _contract, _name, _machine


@pytest.fixture(params=BACKENDS)
def make(request: pytest.FixtureRequest) -> Factory:
    return factory(request.param)


T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def test_two_connections_race_on_one_customer_and_exactly_one_wins(make: Factory) -> None:
    customer_id = services.handle(make(), commands.RegisterProspect(name="Race", at=T0))
    first, second = make(), make()
    with first, second:
        a = first.customers.get(customer_id)
        b = second.customers.get(customer_id)
        first.customers.save(a.rename("First", at=T0))
        second.customers.save(b.rename("Second", at=T0))
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    with make() as uow:
        stored = uow.customers.get(customer_id)
    assert (stored.name, stored.version) == ("First", 2)


def test_the_whole_life_of_a_customer(make: Factory) -> None:
    uow = make()
    customer_id = services.handle(uow, commands.RegisterProspect(name="Đỗ", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="CRM", amount=Money.of("900", "VND"), at=T0
        ),
    )
    contract = services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=T0.add(days=1)))
    services.handle(uow, commands.RecordDelivery(contract_id=contract, at=T0.add(days=2)))
    services.handle(
        uow,
        commands.RecordPayment(
            contract_id=contract, amount=Money.of("900", "VND"), at=T0.add(days=3)
        ),
    )
    complaint = services.handle(
        uow,
        commands.FileComplaint(
            customer_id=customer_id,
            channel="web",
            level="low",
            complainant_type="quality watchdog",
            subject="manual unclear",
            at=T0.add(days=4),
        ),
    )
    services.handle(
        uow, commands.AdvanceComplaint(complaint_id=complaint, step="calmed", at=T0.add(days=4))
    )
    services.handle(
        uow, commands.LoseCustomer(customer_id=customer_id, reason="churned", at=T0.add(days=100))
    )
    services.handle(uow, commands.WinBackCustomer(customer_id=customer_id, at=T0.add(days=200)))
    with make() as reader:
        customer = reader.customers.get(customer_id)
        assert customer.phase is LifecyclePhase.ACQUISITION
        assert [p.phase for p in customer.phase_history][1:3] == [
            LifecyclePhase.CONTRACT,
            LifecyclePhase.AFTER_SALES,
        ]
        assert reader.contracts.get(contract).is_fulfilled
    assert len(uow.collect_events()) > 10


def test_a_failed_commit_rolls_the_transaction_back(make: Factory) -> None:
    customer_id = services.handle(make(), commands.RegisterProspect(name="X", at=T0))
    with make() as slow:
        slow.customers.get(customer_id)
        slow.customers.add(Customer.prospect(customer_id="other", name="Y", at=T0))
        with make() as fast:
            fast.customers.save(fast.customers.get(customer_id))
            fast.commit()
        with pytest.raises(ConcurrencyError):
            slow.commit()
    with make() as uow:
        assert "other" not in uow.customers


def test_select_answers_from_the_indexed_columns(make: Factory) -> None:
    uow = make()
    first = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    second = services.handle(uow, commands.RegisterProspect(name="B", at=T0))
    for customer in (first, second, first):
        services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=customer, title="t", amount=Money.of("5", "EUR"), at=T0
            ),
        )
    with make() as reader:
        mine = reader.opportunities.for_customer(first)
        assert [o.customer_id for o in mine] == [first, first]
        page = reader.select(RecordKind.OPPORTUNITY, {"customer_id": first}, limit=1)
        rest = reader.select(
            RecordKind.OPPORTUNITY, {"customer_id": first}, after=page[0].opportunity_id
        )
        assert list(page + rest) == list(mine)
        assert reader.select(RecordKind.OPPORTUNITY, {"customer_id": []}) == ()
        assert reader.select(RecordKind.CUSTOMER, {"owner": None}) == reader.customers.list()
        assert (
            reader.select(RecordKind.OPPORTUNITY, {"is_open": True}) == reader.opportunities.list()
        )
        assert reader.select(RecordKind.OPPORTUNITY, {"stage": "no\0such"}) == ()
