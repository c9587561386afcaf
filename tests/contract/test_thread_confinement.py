"""A unit of work belongs to the thread that entered it."""

import threading

import pendulum
import pytest

from crmcore import Customer, Money, RecordKind, RepositoryError, commands, services
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def _in_thread(work: object) -> BaseException | None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as error:
            caught.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return caught[0] if caught else None


def test_another_thread_cannot_use_an_open_unit_of_work_and_changes_nothing() -> None:
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store, clock=LATER)
    with uow:
        uow.customers.add(Customer.prospect(customer_id="c-1", name="A", at=T0))
        for attempt in (
            lambda: uow.customers.get("c-1"),
            lambda: uow.customers.add(Customer.prospect(customer_id="c-2", name="B", at=T0)),
            lambda: uow.commit(),
            lambda: uow.__enter__(),
            lambda: services.handle(uow, commands.RegisterProspect(name="C", at=T0)),
        ):
            error = _in_thread(attempt)
            assert isinstance(error, RepositoryError), error
        # another thread leaving the block does not close it
        assert _in_thread(lambda: uow.__exit__(None, None, None)) is None
        assert uow.is_open
        uow.commit()
    closed = not uow.is_open
    assert closed
    assert set(store.snapshot()[RecordKind.CUSTOMER]) == {"c-1"}


def test_threads_sharing_one_unit_of_work_leave_no_partial_state() -> None:
    """The easy mistake in a web app: one unit of work shared by request threads.
    Every call either runs whole (its thread holds the block) or is refused."""
    store = InMemoryStore()
    shared = InMemoryUnitOfWork(store, clock=LATER)
    customer = services.handle(shared, commands.RegisterProspect(name="A", at=T0))
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for n in range(20):
            try:
                opp = services.handle(
                    shared,
                    commands.OpenOpportunity(
                        customer_id=customer,
                        title="t",
                        amount=Money.of("1", "EUR"),
                        at=T0.add(minutes=n),
                    ),
                )
                services.handle(
                    shared, commands.WinOpportunity(opportunity_id=opp, at=T0.add(days=1))
                )
                outcome = "ok"
            except RepositoryError:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with InMemoryUnitOfWork(store, clock=LATER) as reader:
        won = [o for o in reader.opportunities.list() if o.is_won]
        contracts = reader.contracts.list()
        assert {c.opportunity_id for c in contracts} == {o.opportunity_id for o in won}
        assert set(reader.customers.get(customer).open_contracts) == {
            c.contract_id for c in contracts
        }
    assert "ok" in outcomes


def test_a_failing_begin_leaves_the_unit_of_work_closed() -> None:
    class Flaky(InMemoryUnitOfWork):
        fail = True

        def begin(self) -> None:
            if self.fail:
                raise OSError("no connection")

    uow = Flaky()
    with pytest.raises(OSError, match="no connection"), uow:
        pass  # pragma: no cover - the block never runs
    closed = not uow.is_open
    assert closed
    uow.fail = False
    with uow:
        assert uow.is_open
