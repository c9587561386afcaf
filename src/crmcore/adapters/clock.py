"""Clocks: the only place in crmcore that reads the system time."""

import datetime as _dt
import threading

import pendulum

from crmcore.domain.times import to_utc
from crmcore.errors import ValidationError


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> pendulum.DateTime:
        """The current instant."""
        return pendulum.now(pendulum.UTC)


class FixedClock:
    """A clock that always shows the same instant (for tests and reproducible runs).

    Args:
        at: the instant, an aware datetime.
    """

    def __init__(self, at: _dt.datetime) -> None:
        self._at = to_utc(at, "at")

    def now(self) -> pendulum.DateTime:
        """The fixed instant."""
        return self._at

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


class SteppingClock:
    """A clock that starts at ``start`` and moves ``step`` forward on every reading.

    Thread-safe: concurrent readers each get a distinct instant.

    Args:
        start: the first instant returned, an aware datetime.
        step: how far each reading moves the clock; must not be negative.
    """

    def __init__(self, start: _dt.datetime, step: _dt.timedelta = _dt.timedelta(seconds=1)) -> None:
        if not isinstance(step, _dt.timedelta) or step < _dt.timedelta(0):
            raise ValidationError(
                "step", "must be a timedelta of zero or more", allowed="timedelta >= 0"
            )
        self._next: pendulum.DateTime | None = to_utc(start, "start")
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> pendulum.DateTime:
        """The current instant; the clock then moves one step forward."""
        with self._lock:
            current = self._next
            if current is None:
                raise ValidationError(
                    "step",
                    "moved the clock past the end of the datetime range",
                    allowed="a start and step that stay before year 10000",
                )
            try:
                self._next = current + self._step
            except OverflowError:
                self._next = None
            return current

    def __repr__(self) -> str:
        shown = "past the end" if self._next is None else self._next.isoformat()
        return f"SteppingClock(next={shown}, step={self._step})"
