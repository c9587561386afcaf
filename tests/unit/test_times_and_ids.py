import datetime as dt
from typing import Any

import pendulum
import pytest
from hypothesis import given

from crmcore import ValidationError
from crmcore.domain.ids import check_id, check_optional_id
from crmcore.domain.times import not_before, to_date, to_utc
from crmcore.testing.strategies import aware_datetimes, dates
from tests.zones import DayLongZone, FailingZone


def test_to_utc_converts_aware_datetimes() -> None:
    paris = pendulum.datetime(2030, 6, 1, 12, tz="Europe/Paris")
    assert to_utc(paris) == pendulum.datetime(2030, 6, 1, 10, tz="UTC")
    assert to_utc(paris).tzinfo is pendulum.UTC
    plain = dt.datetime(2030, 1, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert to_utc(plain) == pendulum.datetime(2030, 1, 1, tz="UTC")
    assert type(to_utc(plain)) is pendulum.DateTime


def test_to_utc_returns_utc_pendulum_values_unchanged() -> None:
    value = pendulum.datetime(2030, 1, 1, tz="UTC")
    assert to_utc(value) is value


@given(aware_datetimes())
def test_to_utc_keeps_the_instant(value: dt.datetime) -> None:
    converted = to_utc(value)
    assert converted == value
    assert converted.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (dt.datetime(2030, 1, 1), "naive"),
        (pendulum.naive(2030, 1, 1), "naive"),
        (dt.date(2030, 1, 1), "must be a datetime"),
        ("2030-01-01T00:00:00Z", "must be a datetime"),
        (None, "must be a datetime"),
        (dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5))), "range"),
    ],
)
def test_to_utc_rejects(value: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        to_utc(value, "signed_at")
    assert caught.value.field == "signed_at"


def test_to_date_accepts_dates_only() -> None:
    assert to_date(dt.date(2030, 2, 28), "on") == pendulum.Date(2030, 2, 28)
    assert type(to_date(dt.date(2030, 2, 28), "on")) is pendulum.Date
    day = pendulum.Date(2030, 1, 1)
    assert to_date(day, "on") is day
    for bad in (dt.datetime(2030, 1, 1), pendulum.datetime(2030, 1, 1), "2030-01-01", 5):
        with pytest.raises(ValidationError, match="calendar date"):
            to_date(bad, "on")


@given(dates())
def test_dates_strategy_gives_pendulum_dates(value: pendulum.Date) -> None:
    assert type(value) is pendulum.Date
    assert to_date(value, "on") == value


def test_not_before_allows_equal_and_later() -> None:
    t = pendulum.datetime(2030, 1, 1, tz="UTC")
    not_before(t, t)
    not_before(t.add(seconds=1), t)
    with pytest.raises(ValidationError, match="earlier than the record's last change"):
        not_before(t.subtract(microseconds=1), t)


@pytest.mark.parametrize("value", ["c", "cust-1", "x" * 128, "客户-1", "a/b:c"])
def test_valid_ids(value: str) -> None:
    assert check_id(value, "customer_id") == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("x" * 129, "129 characters"),
        ("a b", "whitespace"),
        ("a\tb", "whitespace"),
        ("a\u00a0b", "whitespace"),
        ("a\x00b", "unprintable"),
        (5, "must be a string"),
        (None, "must be a string"),
        (b"abc", "must be a string"),
    ],
)
def test_invalid_ids(value: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        check_id(value, "customer_id")
    assert caught.value.field == "customer_id"
    assert "128 printable characters" in str(caught.value)


def test_optional_ids() -> None:
    assert check_optional_id(None, "owner") is None
    assert check_optional_id("u-1", "owner") == "u-1"
    with pytest.raises(ValidationError):
        check_optional_id("", "owner")


@pytest.mark.parametrize("zone", [FailingZone(), DayLongZone()])
def test_a_time_zone_without_a_valid_offset_is_a_validation_error(zone: dt.tzinfo) -> None:
    with pytest.raises(ValidationError, match=r"^when: has a time zone that gives no valid UTC"):
        to_utc(dt.datetime(2030, 1, 1, tzinfo=zone), "when")


def test_historic_odd_offsets_convert_as_the_standard_library_does() -> None:
    """Atlantic/Azores in 1921 (UTC-1, then odd LMT-era rules): the same
    instant as datetime.astimezone, from pendulum and from zoneinfo alike."""
    from zoneinfo import ZoneInfo

    for month in range(1, 13):
        local = dt.datetime(1921, month, 15, 12, 30, tzinfo=ZoneInfo("Atlantic/Azores"))
        expected = local.astimezone(dt.UTC)
        assert to_utc(local) == expected
        assert to_utc(pendulum.instance(local)) == expected


def test_the_space_is_the_only_printable_whitespace() -> None:
    """`check_id` relies on it: ``isprintable()`` and ``" " in`` find every
    whitespace character."""
    import sys

    printable_spaces = [
        chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable()
    ]
    assert printable_spaces == [" "]
    for bad in ("a b", "a\tb", "a\u3000b", "a\u00a0b", "a\u2028b", "a\x1fb"):
        with pytest.raises(ValidationError):
            check_id(bad, "customer_id")
