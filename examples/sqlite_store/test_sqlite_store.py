"""The SQLite adapter passes the same contract kit as the in-memory store."""

import itertools
import sqlite3
import tempfile
import threading
from contextlib import closing
from pathlib import Path
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
from crmcore.domain.kinds import REGISTRY
from crmcore.testing import SequentialIds
from crmcore.testing.contracts import (
    ComplaintRepositoryContract,
    ContractRepositoryContract,
    CustomerRepositoryContract,
    Factory,
    OpportunityRepositoryContract,
    ServiceContractRepositoryContract,
    UnitOfWorkContract,
    repository_state_machine,
)
from crmcore.testing.strategies import customers
from examples.sqlite_store import SqliteUnitOfWork
from examples.sqlite_store.store import create_schema, select_sql

_FOLDER = tempfile.TemporaryDirectory(prefix="crmcore-sqlite-")
_COUNTER = itertools.count()
_LOCK = threading.Lock()


def fresh_database() -> Factory:
    """A unit-of-work factory on a new, empty database file."""
    with _LOCK:
        path = Path(_FOLDER.name) / f"crm-{next(_COUNTER)}.sqlite3"
    ids = SequentialIds()
    return lambda: SqliteUnitOfWork(path, ids=ids)


class OnSqlite:
    max_examples: ClassVar[int | None] = 10  # each example makes a database file

    def unit_of_work_factory(self) -> Factory:
        return fresh_database()


class TestCustomers(OnSqlite, CustomerRepositoryContract):
    pass


class TestOpportunities(OnSqlite, OpportunityRepositoryContract):
    pass


class TestContracts(OnSqlite, ContractRepositoryContract):
    pass


class TestServiceContracts(OnSqlite, ServiceContractRepositoryContract):
    pass


class TestComplaints(OnSqlite, ComplaintRepositoryContract):
    pass


class TestUnitOfWork(OnSqlite, UnitOfWorkContract):
    pass


TestCustomerMachine = repository_state_machine(
    fresh_database, RecordKind.CUSTOMER, customers(max_commands=3)
).TestCase
TestCustomerMachine.settings = settings(max_examples=8, stateful_step_count=12)


@pytest.fixture
def make() -> Factory:
    return fresh_database()


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


def test_the_whole_life_of_a_customer_on_sqlite(make: Factory) -> None:
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


def _plan(path: Path, kind: RecordKind, where: dict[str, object]) -> str:
    spec = REGISTRY[kind]
    sql, parameters = select_sql(kind, spec.check_where(where), 50, None)
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
    return " ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("kind", "where", "index"),
    [
        (RecordKind.OPPORTUNITY, {"customer_id": "cust-1"}, "opportunities_customer_id"),
        (RecordKind.OPPORTUNITY, {"owner": "u1"}, "opportunities_owner"),
        (RecordKind.CONTRACT, {"team": ["north", "south"]}, "contracts_team"),
    ],
)
def test_queries_use_an_index(kind: RecordKind, where: dict[str, object], index: str) -> None:
    path = Path(_FOLDER.name) / f"plan-{next(_COUNTER)}.sqlite3"
    create_schema(path)
    plan = _plan(path, kind, where)
    assert f"USING INDEX {index}" in plan, plan


def test_select_answers_from_the_indexed_columns(make: Factory) -> None:
    uow = make()
    first = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    second = services.handle(uow, commands.RegisterProspect(name="B", at=T0))
    assert first is not None
    assert second is not None
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
            RecordKind.OPPORTUNITY,
            {"customer_id": first},
            after=page[0].opportunity_id,
        )
        assert list(page + rest) == list(mine)
        assert reader.select(RecordKind.OPPORTUNITY, {"customer_id": []}) == ()
        assert reader.select(RecordKind.CUSTOMER, {"owner": None}) == reader.customers.list()
