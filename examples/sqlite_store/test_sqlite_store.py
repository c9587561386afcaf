"""The SQLite adapter passes the same contract kit as the in-memory store."""

import itertools
import tempfile
import threading
from pathlib import Path
from typing import ClassVar

import pendulum
import pytest
from hypothesis import settings

from crmcore import ConcurrencyError, Customer, LifecyclePhase, Money, services
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
    fresh_database, "customers", customers(max_commands=3)
).TestCase
TestCustomerMachine.settings = settings(max_examples=8, stateful_step_count=12)


@pytest.fixture
def make() -> Factory:
    return fresh_database()


T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def test_two_connections_race_on_one_customer_and_exactly_one_wins(make: Factory) -> None:
    customer_id = services.register_prospect(make(), name="Race", at=T0)
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
    customer_id = services.register_prospect(uow, name="Đỗ", at=T0)
    opp = services.open_opportunity(
        uow, customer_id=customer_id, title="CRM", amount=Money.of("900", "VND"), at=T0
    )
    contract = services.win_opportunity(uow, opp, at=T0.add(days=1))
    services.record_delivery(uow, contract, at=T0.add(days=2))
    services.record_payment(uow, contract, amount=Money.of("900", "VND"), at=T0.add(days=3))
    complaint = services.file_complaint(
        uow,
        customer_id=customer_id,
        channel="web",
        level="low",
        complainant_type="quality watchdog",
        subject="manual unclear",
        at=T0.add(days=4),
    )
    services.advance_complaint(uow, complaint, step="calmed", at=T0.add(days=4))
    services.lose_customer(uow, customer_id, reason="churned", at=T0.add(days=100))
    services.win_back_customer(uow, customer_id, at=T0.add(days=200))
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
    customer_id = services.register_prospect(make(), name="X", at=T0)
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
