"""8 threads share one InMemoryStore: no lost update, and the committed history replays."""

import random
import sys
import threading
from typing import Any

import pendulum

from crmcore import ConcurrencyError, Profile, services
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.testing import SequentialIds

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
T1 = T0.add(days=1)
THREADS = 8
CALLS = 250


class RecordingStore(InMemoryStore):
    """Records which call each commit belonged to, in commit order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Any] = []
        self.current = threading.local()

    def apply(self, expected: Any, writes: Any) -> None:
        with self._lock:
            super().apply(expected, writes)
            self.log.append(self.current.call)


def _call(uow: InMemoryUnitOfWork, call: tuple[str, str, int]) -> None:
    # Every call is valid under the domain rules (one shared instant is
    # allowed), so a rejection can only be a concurrency conflict.
    kind, target, n = call
    if kind == "interaction":
        services.log_interaction(
            uow, target, channel="phone", direction="in", subject=f"call {n}", at=T1
        )
    else:
        services.update_profile(uow, target, profile=Profile(region=f"R{n}"), at=T1)


def _setup(store: InMemoryStore) -> list[str]:
    uow = InMemoryUnitOfWork(store, ids=SequentialIds())
    return [services.register_prospect(uow, name=f"C{i}", at=T0) for i in range(3)]


def test_threads_lose_no_update_and_the_history_replays() -> None:
    store = RecordingStore()
    store.current.call = ("setup", "", 0)
    customers = _setup(store)
    setup_commits = len(store.log)
    rejected: list[tuple[str, str, int]] = []
    other_errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        rnd = random.Random(worker)
        uow = InMemoryUnitOfWork(store, ids=SequentialIds())
        barrier.wait()
        for i in range(CALLS):
            n = worker * CALLS + i + 1
            call = (
                ("interaction", rnd.choice(customers), n)
                if rnd.random() < 0.5
                else ("profile", rnd.choice(customers), n)
            )
            store.current.call = call
            try:
                _call(uow, call)
            except ConcurrencyError:
                with lock:
                    rejected.append(call)
            except BaseException as error:  # pragma: no cover - reported below
                with lock:
                    other_errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that commits really interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)

    assert other_errors == []
    committed = store.log[setup_commits:]
    assert len(committed) + len(rejected) == THREADS * CALLS
    assert len(rejected) > 0, "the test produced no conflicts; it proves nothing"

    # No lost update: every committed interaction is on its customer, and each
    # customer's region is the one of its last committed profile update.
    with InMemoryUnitOfWork(store) as uow:
        stored = {c: uow.customers.get(c) for c in customers}
    for customer in customers:
        mine = [(kind, n) for kind, target, n in committed if target == customer]
        assert len(stored[customer].interactions) == sum(k == "interaction" for k, _ in mine)
        updates = [n for k, n in mine if k == "profile"]
        assert stored[customer].profile.region == (f"R{updates[-1]}" if updates else None)

    # The final state equals a serial replay of the committed calls in commit order.
    replay = RecordingStore()
    replay.current.call = ("setup", "", 0)
    _setup(replay)
    uow = InMemoryUnitOfWork(replay, ids=SequentialIds())
    for call in committed:
        replay.current.call = call
        _call(uow, call)
    assert replay.snapshot() == store.snapshot()
