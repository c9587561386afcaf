"""Commands from the future are refused before anything is read (#26).

One typo (3030 for 2030) would otherwise lock a record: records never go
back in time, so every later command with a real time would be refused.
"""

import datetime as dt
from typing import Any

import pendulum
import pytest

from crmcore import ValidationError, commands, services
from crmcore.adapters.clock import FixedClock, SystemClock
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.services import FUTURE_TOLERANCE, Session
from crmcore.testing import SequentialIds

NOW = pendulum.datetime(2030, 1, 1, 12, tz="UTC")
CLOCK = FixedClock(NOW)


def _uow(clock: Any = CLOCK) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=clock)


def test_the_typo_that_locked_a_record_is_refused_and_changes_nothing() -> None:
    uow = _uow()
    customer = services.handle(uow, commands.RegisterProspect(name="A", at=NOW))
    before = uow.store.snapshot()
    typo = commands.LogInteraction(
        customer_id=customer,
        channel="phone",
        direction="in",
        subject="s",
        at=pendulum.datetime(3030, 1, 1, tz="UTC"),
    )
    with pytest.raises(
        ValidationError,
        match=r"^at: is 3030-01-01T00:00:00\+00:00, later than the clock's "
        r"2030-01-01T12:00:00\+00:00 plus the tolerance of 0:05:00",
    ):
        services.handle(uow, typo)
    assert uow.store.snapshot() == before
    assert uow.collect_events() != []  # only the registration's
    # the record still takes real times
    services.handle(uow, commands.LoseCustomer(customer_id=customer, reason="r", at=NOW))


def test_the_tolerance_is_inclusive_and_can_be_set_or_switched_off() -> None:
    edge = NOW + FUTURE_TOLERANCE
    assert services.handle(_uow(), commands.RegisterProspect(name="A", at=edge))
    with pytest.raises(ValidationError, match=r"^at: "):
        services.handle(_uow(), commands.RegisterProspect(name="A", at=edge.add(microseconds=1)))
    late = NOW.add(hours=2)
    with pytest.raises(ValidationError, match=r"^at: "):
        services.handle(_uow(), commands.RegisterProspect(name="A", at=late))
    wide = dt.timedelta(hours=2)
    assert services.handle(
        _uow(), commands.RegisterProspect(name="A", at=late), future_tolerance=wide
    )
    far = pendulum.datetime(9000, 1, 1, tz="UTC")
    assert services.handle(
        _uow(), commands.RegisterProspect(name="A", at=far), future_tolerance=None
    )
    assert services.handle(
        _uow(), commands.RegisterProspect(name="A", at=far), future_tolerance=dt.timedelta.max
    )


def test_a_clock_given_to_handle_overrides_the_unit_of_works() -> None:
    later = FixedClock(NOW.add(days=30))
    command = commands.RegisterProspect(name="A", at=NOW.add(days=10))
    with pytest.raises(ValidationError, match=r"^at: "):
        services.handle(_uow(), command)
    assert services.handle(_uow(), command, clock=later)
    session = Session(_uow(), clock=later)
    assert session.handle(command)
    strict = Session(_uow(FixedClock(NOW.add(days=30))), future_tolerance=dt.timedelta(0))
    with pytest.raises(ValidationError, match=r"tolerance of 0:00:00"):
        strict.handle(commands.RegisterProspect(name="A", at=NOW.add(days=31)))


def test_the_default_clock_is_the_system_clock() -> None:
    uow = InMemoryUnitOfWork()
    assert isinstance(uow.clock, SystemClock)
    assert services.handle(uow, commands.RegisterProspect(name="A", at=SystemClock().now()))
    with pytest.raises(ValidationError, match=r"^at: is 3030"):
        services.handle(
            uow, commands.RegisterProspect(name="A", at=pendulum.datetime(3030, 1, 1, tz="UTC"))
        )


class _NoClock:
    """A unit of work of someone else's making, without a clock."""

    def __enter__(self) -> "_NoClock":
        raise AssertionError("nothing may be read")

    def __exit__(self, *exc: object) -> None:
        pass

    def commit(self) -> None:
        pass


class _BadClock:
    def now(self) -> dt.datetime:
        return dt.datetime(2030, 1, 1)  # naive


@pytest.mark.parametrize(
    ("uow", "options", "message"),
    [
        (_NoClock(), {}, r"^clock: is needed to check that the command is not from the future"),
        (_uow(), {"clock": _BadClock()}, r"^clock: is a naive datetime"),
        (_uow(), {"future_tolerance": dt.timedelta(minutes=-1)}, r"^future_tolerance: must be"),
        (_uow(), {"future_tolerance": 300}, r"^future_tolerance: must be a timedelta"),
    ],
)
def test_bad_clocks_and_tolerances_are_refused_before_anything_is_read(
    uow: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.handle(uow, commands.RegisterProspect(name="A", at=NOW), **options)


def test_a_unit_of_work_without_a_clock_works_with_the_check_off_or_a_clock_given() -> None:
    class Recording(_NoClock):
        entered = False

        def __enter__(self) -> "_NoClock":
            Recording.entered = True
            raise RuntimeError("entered")

    command = commands.RegisterProspect(name="A", at=NOW)
    for options in ({"future_tolerance": None}, {"clock": CLOCK}):
        Recording.entered = False
        with pytest.raises(RuntimeError, match="entered"):
            services.handle(Recording(), command, **options)  # type: ignore[arg-type]
        assert Recording.entered


def test_a_unit_of_work_refuses_a_clock_without_now() -> None:
    with pytest.raises(ValidationError, match=r"^clock: has no now\(\) method \(str\)"):
        InMemoryUnitOfWork(clock="12:00")  # type: ignore[arg-type]


def test_a_session_checks_its_clock_and_tolerance_when_it_is_made() -> None:
    with pytest.raises(ValidationError, match=r"^clock: has no now\(\) method \(str\)"):
        Session(_uow(), clock="noon")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^future_tolerance: must be a timedelta"):
        Session(_uow(), future_tolerance=dt.timedelta(seconds=-1))
    with pytest.raises(ValidationError, match=r"^clock: has no now\(\) method \(int\)"):
        services.handle(_uow(), commands.RegisterProspect(name="A", at=NOW), clock=5)  # type: ignore[arg-type]


def test_a_clock_whose_now_is_not_callable_is_refused_and_its_own_errors_pass() -> None:
    class NotCallable:
        now = "noon"

    class Failing:
        def now(self) -> pendulum.DateTime:
            raise AttributeError("the clock's own bug")

    command = commands.RegisterProspect(name="A", at=NOW)
    with pytest.raises(ValidationError, match=r"^clock: has no now\(\) method \(NotCallable\)"):
        services.handle(_uow(), command, clock=NotCallable())  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="the clock's own bug"):  # not taken for no clock
        services.handle(_uow(), command, clock=Failing())
