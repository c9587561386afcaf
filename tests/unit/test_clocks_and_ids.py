import datetime as dt
import re
import threading
from typing import Any

import pendulum
import pytest

from crmcore import ValidationError
from crmcore.adapters.clock import SystemClock
from crmcore.adapters.ids import UuidIds
from crmcore.ports import Clock, IdGenerator
from crmcore.testing import FixedClock, SequentialIds, SteppingClock

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def test_system_clock_reads_utc_now() -> None:
    before = dt.datetime.now(dt.UTC)  # noqa: TID251 - checking the real clock
    now = SystemClock().now()
    after = dt.datetime.now(dt.UTC)  # noqa: TID251
    assert before <= now <= after
    assert now.tzinfo is pendulum.UTC


def test_fixed_clock_always_shows_its_instant() -> None:
    clock = FixedClock(pendulum.datetime(2030, 1, 1, 1, tz="Europe/Paris"))
    assert clock.now() == clock.now() == T0
    assert repr(clock) == "FixedClock(2030-01-01T00:00:00+00:00)"


def test_fixed_clock_rejects_naive_times() -> None:
    with pytest.raises(ValidationError, match="naive"):
        FixedClock(dt.datetime(2030, 1, 1))


def test_stepping_clock_moves_one_step_per_reading() -> None:
    clock = SteppingClock(T0, dt.timedelta(minutes=5))
    assert [clock.now(), clock.now()] == [T0, T0.add(minutes=5)]
    assert "next=2030-01-01T00:10:00" in repr(clock)


@pytest.mark.parametrize("step", [dt.timedelta(seconds=-1), 5, None])
def test_stepping_clock_rejects_bad_steps(step: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        SteppingClock(T0, step)
    assert caught.value.field == "step"


def test_stepping_clock_reports_running_off_the_calendar() -> None:
    last = pendulum.datetime(9999, 12, 31, tz="UTC")
    clock = SteppingClock(last, dt.timedelta(days=2))
    assert clock.now() == last
    assert "past the end" in repr(clock)
    with pytest.raises(ValidationError, match="datetime range"):
        clock.now()


def test_stepping_clock_is_thread_safe() -> None:
    clock = SteppingClock(T0)
    seen: list[pendulum.DateTime] = []
    lock = threading.Lock()

    def read() -> None:
        for _ in range(200):
            now = clock.now()
            with lock:
                seen.append(now)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 800


def test_adapters_satisfy_the_ports() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(T0), Clock)
    assert isinstance(SteppingClock(T0), Clock)
    assert isinstance(UuidIds(), IdGenerator)
    assert isinstance(SequentialIds(), IdGenerator)


def test_uuid_ids_are_unique_and_prefixed() -> None:
    ids = UuidIds()
    made = {ids.new_id("cust") for _ in range(100)}
    assert len(made) == 100
    assert all(re.fullmatch(r"cust-[0-9a-f]{32}", i) for i in made)


def test_sequential_ids_count_per_prefix() -> None:
    ids = SequentialIds(start=7)
    assert [ids.new_id("a"), ids.new_id("b"), ids.new_id("a")] == [
        "a-000007",
        "b-000007",
        "a-000008",
    ]
    assert repr(ids) == "SequentialIds(start=7)"


def test_sequential_ids_are_thread_safe() -> None:
    ids = SequentialIds()
    made: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(250):
            new = ids.new_id("x")
            with lock:
                made.append(new)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [f"x-{n:06d}" for n in range(1, 1001)]


@pytest.mark.parametrize("start", [-1, "1", 1.0, True])
def test_sequential_ids_reject_bad_start(start: Any) -> None:
    with pytest.raises(ValidationError):
        SequentialIds(start=start)


@pytest.mark.parametrize("prefix", ["", "a b", "x" * 65, 5])
def test_bad_prefixes_are_rejected(prefix: Any) -> None:
    for ids in (UuidIds(), SequentialIds()):
        with pytest.raises(ValidationError) as caught:
            ids.new_id(prefix)
        assert caught.value.field == "prefix"
