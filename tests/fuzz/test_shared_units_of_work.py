"""One unit of work object shared by threads (the easy mistake in a web app):
random scripts of use cases, run at once from several threads on the
in-memory store and on the SQL store, leave no partial state.

Each call runs whole (its thread holds the block) or is refused with a
`CrmError` (another thread holds it, a conflict, a business rule); no
other exception escapes. Afterwards: every won opportunity has exactly one
contract and every contract a won opportunity; every contract is among its
customer's open contracts, or fulfilled or cancelled; stored versions are
positive.
"""

import os
import sys
import threading
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CrmError, Money, commands, services
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.adapters.sql import SqlStore, SqlUnitOfWork
from tests.clocks import LATER
from tests.sql.backends import sqlite_path

EXAMPLES = {"deep": 200, "ci": 15}.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), 10)
T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
STEPS = ("open", "win", "lose", "move", "deliver", "pay", "cancel", "interaction")


def _store(backend: str) -> Any:
    if backend == "memory":
        return InMemoryStore()
    return SqlStore(sa.create_engine(f"sqlite:///{sqlite_path()}"), create=True)


def _unit_of_work(store: Any) -> Any:
    if isinstance(store, InMemoryStore):
        return InMemoryUnitOfWork(store, clock=LATER)
    return SqlUnitOfWork(store, clock=LATER)


def _call(shared: Any, customer: str, step: str, n: int, made: dict[str, list[str]]) -> None:
    at = T0.add(minutes=n)
    deals, contracts = made["deals"], made["contracts"]
    if step == "open" or not deals:
        deals.append(
            services.handle(
                shared,
                commands.OpenOpportunity(
                    customer_id=customer, title="t", amount=Money.of("10", "EUR"), at=at
                ),
            )
        )
    elif step == "win":
        contracts.append(
            services.handle(shared, commands.WinOpportunity(opportunity_id=deals[-1], at=at))
        )
    elif step == "lose":
        services.handle(
            shared, commands.LoseOpportunity(opportunity_id=deals[-1], reason="r", at=at)
        )
    elif step == "move":
        services.handle(
            shared, commands.MoveOpportunity(opportunity_id=deals[-1], stage="Proposal", at=at)
        )
    elif step == "interaction":
        services.handle(
            shared,
            commands.LogInteraction(
                customer_id=customer, channel="phone", direction="in", subject="s", at=at
            ),
        )
    elif not contracts:
        return
    elif step == "deliver":
        services.handle(shared, commands.RecordDelivery(contract_id=contracts[-1], at=at))
    elif step == "pay":
        services.handle(
            shared,
            commands.RecordPayment(contract_id=contracts[-1], amount=Money.of("10", "EUR"), at=at),
        )
    else:
        services.handle(
            shared, commands.CancelContract(contract_id=contracts[-1], reason="r", at=at)
        )


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scripts=st.lists(
        st.lists(st.sampled_from(STEPS), min_size=1, max_size=12), min_size=2, max_size=4
    )
)
def test_threads_sharing_a_unit_of_work_leave_no_partial_state(
    backend: str, scripts: list[list[str]]
) -> None:
    store = _store(backend)
    shared = _unit_of_work(store)
    customer = services.handle(shared, commands.RegisterProspect(name="A", at=T0))
    foreign: list[str] = []
    barrier = threading.Barrier(len(scripts))

    def work(script: list[str]) -> None:
        made: dict[str, list[str]] = {"deals": [], "contracts": []}
        barrier.wait()
        for n, step in enumerate(script):
            try:
                _call(shared, customer, step, n, made)
            except CrmError:
                pass
            except BaseException as error:  # reported by the test
                foreign.append(repr(error))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that calls really interleave
    try:
        threads = [threading.Thread(target=work, args=(s,)) for s in scripts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert foreign == []
    with _unit_of_work(store) as reader:
        opportunities = reader.opportunities.list()
        contracts = reader.contracts.list()
        owner = reader.customers.get(customer)
    won = {o.opportunity_id for o in opportunities if o.is_won}
    assert sorted(c.opportunity_id for c in contracts) == sorted(won)
    for contract in contracts:
        assert (
            contract.contract_id in owner.open_contracts
            or contract.is_fulfilled
            or contract.is_cancelled
        )
    assert all(r.version >= 1 for r in (*opportunities, *contracts, owner))
    if backend == "sqlite":
        store.engine.dispose()
