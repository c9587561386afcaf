"""Business calendars: working hours in a time zone, holidays, and business time.

Business time is elapsed (real) time inside working hours. Working hours are
local wall-clock times, so on a clock-change day a 01:00-04:00 window holds
2 or 4 real hours. A window boundary at a local time that does not exist
(inside a spring-forward gap) is read with the offset before the change,
which moves it forward by the gap; an ambiguous one (inside an autumn
overlap) is its first occurrence. A window whose end falls at or before its
start once so read holds no time.
"""

import datetime as _dt
import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Self

import attrs
import pendulum

from crmcore.domain.fields import items_of
from crmcore.domain.times import to_date, to_utc
from crmcore.errors import ValidationError

MAX_SPAN_DAYS = 36_525
"""Business time is added or measured over at most this many days (100 years)."""

_UTC = _dt.UTC
_DAY = _dt.timedelta(days=1)
_MIDNIGHT = _dt.time(0)
_ZONE_RULE = "an IANA time zone name such as 'Europe/Berlin' or 'UTC'"
_HOURS_RULE = (
    "a mapping from weekday (0 = Monday to 6 = Sunday) to a (start, end) pair of naive "
    "datetime.time values with start < end, or end = time(0) for midnight at the day's end"
)
Hours = Mapping[int, tuple[_dt.time, _dt.time]]


def _zone(value: object) -> str:
    if type(value) is not str or not 0 < len(value) <= 100:
        raise ValidationError("timezone", "is not a time zone name", allowed=_ZONE_RULE)
    try:
        return pendulum.timezone(value).name
    except (ValueError, OSError, KeyError):
        raise ValidationError("timezone", "is not a known time zone", allowed=_ZONE_RULE) from None


_TIME_RULE = "a naive datetime.time; end after start, or end = time(0) for midnight"


def _time(value: object, field: str = "hours") -> _dt.time:
    if type(value) is not _dt.time or value.tzinfo is not None:
        if field == "hours":
            raise ValidationError(
                field, "holds something other than a naive time", allowed=_HOURS_RULE
            )
        raise ValidationError(field, "is not a naive time", allowed=_TIME_RULE)
    return value.replace(fold=0)


def _window_checked(
    start: object, end: object, fields: tuple[str, str]
) -> tuple[_dt.time, _dt.time]:
    """A working window ``(start, end)``; errors name ``fields`` (the caller's names)."""
    first, last = _time(start, fields[0]), _time(end, fields[1])
    if last != _MIDNIGHT and last <= first:
        if fields[1] == "hours":
            raise ValidationError(
                "hours", "has a window that ends before it starts", allowed=_HOURS_RULE
            )
        raise ValidationError(fields[1], "is not after start", allowed=_TIME_RULE)
    return first, last


def _hours(value: object) -> Mapping[int, tuple[_dt.time, _dt.time]]:
    if not isinstance(value, Mapping):
        raise ValidationError("hours", "is not a mapping", allowed=_HOURS_RULE)
    hours: dict[int, tuple[_dt.time, _dt.time]] = {}
    for day in sorted(value, key=repr):
        if type(day) is not int or not 0 <= day <= 6:
            raise ValidationError("hours", "has a key that is not a weekday", allowed=_HOURS_RULE)
        pair = value[day]
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValidationError(
                "hours", "has a value that is not a (start, end) pair", allowed=_HOURS_RULE
            )
        hours[day] = _window_checked(pair[0], pair[1], ("hours", "hours"))
    if not hours:
        raise ValidationError("hours", "opens on no weekday", allowed=_HOURS_RULE)
    return MappingProxyType(dict(sorted(hours.items())))


def _holidays(value: object) -> frozenset[pendulum.Date]:
    return frozenset(to_date(day, "holidays") for day in items_of(value, "holidays", "dates"))


def _duration(value: object, field: str) -> _dt.timedelta:
    if type(value) is not _dt.timedelta or value < _dt.timedelta(0):
        raise ValidationError(
            field, "must be a duration of zero or more", allowed="a datetime.timedelta >= 0"
        )
    return value


def _plain(instant: pendulum.DateTime) -> _dt.datetime:
    """A UTC instant as a standard-library datetime (whose differences are timedeltas)."""
    return _dt.datetime(
        instant.year,
        instant.month,
        instant.day,
        instant.hour,
        instant.minute,
        instant.second,
        instant.microsecond,
        tzinfo=_UTC,
    )


@functools.cache
def _zone_info(name: str) -> _dt.tzinfo:
    try:
        return pendulum.timezone(name)
    except (ValueError, OSError, KeyError):  # the time zone database changed or went away
        raise ValidationError(
            "timezone", "is not in the time zone database any more", allowed=_ZONE_RULE
        ) from None


def _too_far(field: str) -> ValidationError:
    return ValidationError(
        field,
        "reaches more than 100 years (36,525 days) from the start, or past the range of dates",
        allowed="instants and durations within 100 years of each other",
    )


@attrs.frozen
class BusinessCalendar:
    """Working hours per weekday in a named time zone, and holidays.

    Args:
        timezone: an IANA time zone name (stored in its canonical spelling).
        hours: weekday (0 = Monday) to one ``(start, end)`` pair of local
            `datetime.time` values; weekdays not listed are closed. An
            ``end`` of ``time(0)`` means midnight at the end of the day, so
            ``(time(0), time(0))`` is a whole day.
        holidays: local dates on which the calendar is closed.

    Raises:
        ValidationError: an unknown zone, a malformed window, no open weekday.
    """

    timezone: str = attrs.field(converter=_zone)
    hours: Hours = attrs.field(converter=_hours, hash=False)
    holidays: frozenset[pendulum.Date] = attrs.field(default=(), converter=_holidays)

    @classmethod
    def always(cls, timezone: str = "UTC") -> Self:
        """Open around the clock, every day: business time is elapsed time."""
        return cls(timezone, dict.fromkeys(range(7), (_MIDNIGHT, _MIDNIGHT)))

    @classmethod
    def weekdays(
        cls,
        timezone: str,
        start: _dt.time,
        end: _dt.time,
        holidays: Iterable[_dt.date] = (),
    ) -> Self:
        """The same working hours Monday to Friday; closed at weekends and on holidays."""
        window = _window_checked(start, end, ("start", "end"))
        return cls(timezone, dict.fromkeys(range(5), window), holidays)

    def _window(self, day: _dt.date) -> tuple[_dt.datetime, _dt.datetime] | None:
        """The working window of a local date, in UTC (``None`` when closed)."""
        pair = self.hours.get(day.weekday())
        if pair is None or day in self.holidays:
            return None
        zone = _zone_info(self.timezone)
        start = _dt.datetime.combine(day, pair[0], tzinfo=zone).astimezone(_UTC)
        end_day = day + _DAY if pair[1] == _MIDNIGHT else day
        end = _dt.datetime.combine(end_day, pair[1], tzinfo=zone).astimezone(_UTC)
        return (start, end) if start < end else None

    def _local_date(self, instant: _dt.datetime) -> _dt.date:
        return instant.astimezone(_zone_info(self.timezone)).date()

    def is_open(self, at: _dt.datetime) -> bool:
        """Whether the instant ``at`` lies inside working hours (start inclusive, end exclusive)."""
        instant = _plain(to_utc(at))
        try:
            window = self._window(self._local_date(instant))
        except OverflowError:
            raise _too_far("at") from None
        return window is not None and window[0] <= instant < window[1]

    def add_business_time(self, start: _dt.datetime, duration: _dt.timedelta) -> pendulum.DateTime:
        """The earliest instant at which ``duration`` of business time has passed since ``start``.

        A zero duration gives ``start`` itself (in UTC); a positive one that
        ends exactly at a window's end gives that end, not the next opening.

        Raises:
            ValidationError: a naive ``start``, a negative ``duration``, or a
                result more than 100 years after ``start``.
        """
        begin = _plain(to_utc(start, "start"))
        remaining = _duration(duration, "duration")
        if not remaining:
            return to_utc(begin)
        try:
            day = self._local_date(begin)
            for _ in range(MAX_SPAN_DAYS + 1):
                window = self._window(day)
                if window is not None and window[1] > begin:
                    opened = max(window[0], begin)
                    available = window[1] - opened
                    if remaining <= available:
                        return to_utc(opened + remaining, "start")
                    remaining -= available
                day += _DAY
        except OverflowError:
            pass
        raise _too_far("duration")

    def business_time_between(self, a: _dt.datetime, b: _dt.datetime) -> _dt.timedelta:
        """The business time from ``a`` to ``b`` (negative when ``b`` is earlier).

        Raises:
            ValidationError: a naive instant, or instants more than 100 years apart.
        """
        first, last = _plain(to_utc(a, "a")), _plain(to_utc(b, "b"))
        if last < first:
            return -self.business_time_between(last, first)
        total = _dt.timedelta(0)
        try:
            day, final = self._local_date(first), self._local_date(last)
            days = (final - day).days
            if days > MAX_SPAN_DAYS:
                raise _too_far("b")
            for offset in range(days + 1):
                window = self._window(day + offset * _DAY)
                if window is not None:
                    overlap = min(window[1], last) - max(window[0], first)
                    total += max(overlap, _dt.timedelta(0))
        except OverflowError:
            raise _too_far("b") from None
        return total
