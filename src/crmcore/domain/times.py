"""Time values: instants are UTC `pendulum.DateTime`, calendar days `pendulum.Date`.

Nothing here reads the clock: time always comes in as an argument.
"""

import datetime as _dt
from fractions import Fraction

import pendulum

from crmcore.errors import ValidationError

UTC = pendulum.UTC
AWARE_RULE = "a timezone-aware datetime.datetime (for example pendulum.datetime(2030, 1, 1))"
DATE_RULE = "a calendar date (pendulum.Date or datetime.date; not a datetime)"


def to_utc(value: object, field: str = "at") -> pendulum.DateTime:
    """Return the aware datetime ``value`` as a UTC `pendulum.DateTime`.

    Args:
        value: an aware `datetime.datetime` (pendulum's included).
        field: the argument name, for the error message.

    Returns:
        The same instant as a `pendulum.DateTime` in UTC.

    Raises:
        ValidationError: ``value`` is not a datetime, is naive, its time zone
            gives no valid offset, or it cannot be expressed in UTC (it lies
            at the very edge of the datetime range).
    """
    if type(value) is pendulum.DateTime and value.tzinfo is UTC:
        return value
    if not isinstance(value, _dt.datetime):
        raise ValidationError(
            field, f"must be a datetime, not {type(value).__name__}", allowed=AWARE_RULE
        )
    try:
        offset = value.utcoffset()
    except Exception:  # a caller's tzinfo may raise anything
        raise ValidationError(
            field,
            "has a time zone that gives no valid UTC offset (it failed, or is 24 hours or more)",
            allowed=AWARE_RULE,
        ) from None
    if offset is None:
        raise ValidationError(
            field, "is a naive datetime (it has no time zone)", allowed=AWARE_RULE
        )
    try:
        u = value.replace(tzinfo=None) - offset
    except OverflowError:
        raise ValidationError(
            field, "lies outside the range of datetimes once converted to UTC", allowed=AWARE_RULE
        ) from None
    return pendulum.DateTime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=UTC
    )


def to_date(value: object, field: str) -> pendulum.Date:
    """Return the calendar date ``value`` as a `pendulum.Date`.

    Raises:
        ValidationError: ``value`` is not a date, or is a datetime.
    """
    if type(value) is pendulum.Date:
        return value
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise ValidationError(
            field, f"must be a calendar date, not {type(value).__name__}", allowed=DATE_RULE
        )
    return pendulum.Date(value.year, value.month, value.day)


def not_before(at: pendulum.DateTime, last: pendulum.DateTime, field: str = "at") -> None:
    """Reject an instant earlier than the record's last recorded change.

    Raises:
        ValidationError: ``at`` is earlier than ``last``.
    """
    if at < last:
        raise ValidationError(
            field,
            f"{at.isoformat()} is earlier than the record's last change at {last.isoformat()}",
            allowed="an instant at or after the last recorded change",
        )


def elapsed(start: _dt.datetime, end: _dt.datetime) -> _dt.timedelta:
    """``end - start`` as a plain `datetime.timedelta` (pendulum returns an Interval)."""
    return _dt.datetime.__sub__(end, start)


def in_days(delta: _dt.timedelta) -> Fraction:
    """A duration in days, exact to the microsecond."""
    return Fraction(delta // _dt.timedelta(microseconds=1), 86_400_000_000)
