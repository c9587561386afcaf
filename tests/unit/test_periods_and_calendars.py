import datetime as dt

import pendulum
import pytest

from crmcore import BusinessCalendar, Period, PeriodUnit, ValidationError
from crmcore.domain.calendars import MAX_SPAN_DAYS

BERLIN = "Europe/Berlin"
NINE, FIVE = dt.time(9), dt.time(17)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, minute, tz=BERLIN)


# Periods ------------------------------------------------------------------------------


def test_constructors_and_bounds() -> None:
    q1 = Period.quarter(2030, 1)
    assert (q1.start, q1.end) == (
        pendulum.datetime(2030, 1, 1, tz="UTC"),
        pendulum.datetime(2030, 4, 1, tz="UTC"),
    )
    assert Period.month(2030, 12).end == pendulum.datetime(2031, 1, 1, tz="UTC")
    assert Period.year(2030).end == pendulum.datetime(2031, 1, 1, tz="UTC")
    assert Period.year(9998).end == pendulum.datetime(9999, 1, 1, tz="UTC")
    assert Period.month(2030, 3).contains(pendulum.datetime(2030, 3, 31, 23, 59, tz="UTC"))
    assert not Period.month(2030, 3).contains(pendulum.datetime(2030, 4, 1, tz="UTC"))
    assert Period.month(2030, 3).contains(
        pendulum.datetime(2030, 4, 1, 1, tz=dt.timezone(dt.timedelta(hours=2)))
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030", Period.year(2030)),
        ("2030-03", Period.month(2030, 3)),
        ("2030-Q1", Period.quarter(2030, 1)),
        (" 2030-q4 ", Period.quarter(2030, 4)),
    ],
)
def test_parse_round_trips(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected
    assert Period.parse(str(expected)) == expected
    assert repr(expected) == f"Period.parse({str(expected)!r})"


@pytest.mark.parametrize(
    "text", ["2030-13", "2030-00", "2030-Q5", "2030-Q0", "30-01", "2030/01", "", "0000", 2030]
)
def test_parse_refuses_what_is_not_a_period(text: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Period.parse(text)  # type: ignore[arg-type]
    assert caught.value.field == "text"  # the parameter the caller passed


def test_children_and_parent() -> None:
    year = Period.year(2030)
    assert year.children() == tuple(Period.quarter(2030, q) for q in range(1, 5))
    assert Period.quarter(2030, 2).children() == tuple(Period.month(2030, m) for m in (4, 5, 6))
    assert Period.month(2030, 3).children() == ()
    assert year.parent() is None
    assert Period.month(2030, 5).parent() == Period.quarter(2030, 2)
    assert Period.quarter(2030, 4).parent() == year
    for child in year.children():
        assert child.parent() == year


def test_containing_shifted_and_order() -> None:
    at = pendulum.datetime(2030, 5, 31, 23, tz="UTC")
    assert Period.containing(at, "quarter") == Period.quarter(2030, 2)
    assert Period.containing(at, PeriodUnit.MONTH) == Period.month(2030, 5)
    assert Period.containing(at, "year") == Period.year(2030)
    assert Period.month(2030, 1).shifted(-13) == Period.month(2028, 12)
    assert Period.quarter(2030, 4).shifted(1) == Period.quarter(2031, 1)
    assert sorted([Period.month(2030, 1), Period.quarter(2030, 1), Period.year(2030)]) == [
        Period.year(2030),
        Period.quarter(2030, 1),
        Period.month(2030, 1),
    ]
    assert Period.month(2030, 2) > Period.year(2030)
    assert Period.month(2030, 1).__lt__(3) is NotImplemented  # type: ignore[operator]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Period.month(2030, 13), "month"),
        (lambda: Period.month(0, 1), "year"),
        (lambda: Period.quarter(2030, 0), "quarter"),
        (lambda: Period.year(9999), "year"),
        (lambda: Period.year(True), "year"),
        (lambda: Period("week", 2030, 1), "unit"),
        (lambda: Period("month", 2030, 13), "number"),
        (lambda: Period("month", 99999, 1), "year_number"),
        (lambda: Period.month(9998, 12).shifted(1), "count"),
        (lambda: Period.month(1, 1).shifted(-1), "count"),
        (lambda: Period.month(2030, 1).shifted(1.0), "count"),  # type: ignore[arg-type]
    ],
)
def test_bad_periods(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


# Business calendars ---------------------------------------------------------------------


def weekdays(**kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.weekdays(BERLIN, NINE, FIVE, **kwargs)  # type: ignore[arg-type]


def test_friday_evening_to_tuesday_with_a_holiday() -> None:
    calendar = weekdays(holidays=[dt.date(2030, 4, 22)])
    friday = berlin(2030, 4, 19, 16, 30)
    due = calendar.add_business_time(friday, dt.timedelta(hours=4))
    assert due == berlin(2030, 4, 23, 12, 30)
    assert due.timezone_name == "UTC"
    assert calendar.business_time_between(friday, due) == dt.timedelta(hours=4)
    assert calendar.business_time_between(due, friday) == -dt.timedelta(hours=4)
    assert type(calendar.business_time_between(friday, due)) is dt.timedelta


def test_clock_change_days_count_real_hours() -> None:
    sundays = BusinessCalendar(BERLIN, {6: (dt.time(1), dt.time(4))})
    spring = (berlin(2030, 3, 30), berlin(2030, 4, 1))
    autumn = (berlin(2030, 10, 26), berlin(2030, 10, 28))
    assert sundays.business_time_between(*spring) == dt.timedelta(hours=2)
    assert sundays.business_time_between(*autumn) == dt.timedelta(hours=4)


def test_windows_inside_a_gap_hold_nothing() -> None:
    # 02:30-03:00 does not exist on 31 March 2030 in Berlin.
    calendar = BusinessCalendar(BERLIN, {6: (dt.time(2, 30), dt.time(3))})
    assert calendar.business_time_between(berlin(2030, 3, 30), berlin(2030, 4, 1)) == dt.timedelta()
    assert calendar.business_time_between(berlin(2030, 4, 6), berlin(2030, 4, 8)) == dt.timedelta(
        minutes=30
    )


def test_whole_days_and_midnight_ends() -> None:
    always = BusinessCalendar.always()
    start = pendulum.datetime(2030, 1, 1, 10, tz="UTC")
    assert always.add_business_time(start, dt.timedelta(days=3)) == start.add(days=3)
    evenings = BusinessCalendar("UTC", {0: (dt.time(20), dt.time(0))})
    monday = pendulum.datetime(2030, 1, 7, 21, tz="UTC")
    assert evenings.add_business_time(monday, dt.timedelta(hours=3)) == pendulum.datetime(
        2030, 1, 8, tz="UTC"
    )
    assert evenings.add_business_time(monday, dt.timedelta(hours=4)) == pendulum.datetime(
        2030, 1, 14, 21, tz="UTC"
    )
    assert evenings.is_open(monday)
    assert not evenings.is_open(pendulum.datetime(2030, 1, 8, 0, tz="UTC"))
    assert not weekdays().is_open(berlin(2030, 4, 20, 10))  # Saturday


def test_adding_zero_and_ending_at_a_window_end() -> None:
    calendar = weekdays()
    saturday = berlin(2030, 4, 20, 10)
    assert calendar.add_business_time(saturday, dt.timedelta()) == saturday
    assert calendar.add_business_time(berlin(2030, 4, 19, 16), dt.timedelta(hours=1)) == berlin(
        2030, 4, 19, 17
    )


def test_canonical_zone_and_equality() -> None:
    assert BusinessCalendar.always("utc").timezone == "UTC"
    assert weekdays() == weekdays()
    assert hash(weekdays()) == hash(weekdays())
    assert dict(weekdays().hours)[0] == (NINE, FIVE)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("Mars/Olympus", {0: (NINE, FIVE)}), "timezone"),
        (("", {0: (NINE, FIVE)}), "timezone"),
        (("../etc/passwd", {0: (NINE, FIVE)}), "timezone"),
        (("x" * 300, {0: (NINE, FIVE)}), "timezone"),
        ((BERLIN, {}), "hours"),
        ((BERLIN, [(0, NINE, FIVE)]), "hours"),
        ((BERLIN, {7: (NINE, FIVE)}), "hours"),
        ((BERLIN, {True: (NINE, FIVE)}), "hours"),
        ((BERLIN, {0: (NINE,)}), "hours"),
        ((BERLIN, {0: "09-17"}), "hours"),
        ((BERLIN, {0: (FIVE, NINE)}), "hours"),
        ((BERLIN, {0: (NINE, NINE)}), "hours"),
        ((BERLIN, {0: (NINE, dt.time(17, tzinfo=dt.UTC))}), "hours"),
        ((BERLIN, {0: (9, 17)}), "hours"),
        ((BERLIN, {0: (NINE, FIVE)}, "2030-01-01"), "holidays"),
        ((BERLIN, {0: (NINE, FIVE)}, [pendulum.datetime(2030, 1, 1)]), "holidays"),
    ],
)
def test_bad_calendars(arguments: tuple[object, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(*arguments)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("start", "end", "field", "fragment"),
    [
        ("09:00", FIVE, "start", "naive time"),
        (NINE, 17, "end", "naive time"),
        (NINE, dt.time(17, tzinfo=dt.UTC), "end", "naive time"),
        (FIVE, NINE, "end", "not after start"),
        (NINE, NINE, "end", "not after start"),
    ],
)
def test_weekdays_names_start_and_end(
    start: object, end: object, field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        BusinessCalendar.weekdays(BERLIN, start, end)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert dict(BusinessCalendar.weekdays(BERLIN, NINE, dt.time(0)).hours)[4] == (NINE, dt.time(0))


def test_bad_arguments_to_business_time() -> None:
    calendar = weekdays()
    start = berlin(2030, 4, 19, 16)
    with pytest.raises(ValidationError, match=r"^duration: "):
        calendar.add_business_time(start, dt.timedelta(hours=-1))
    with pytest.raises(ValidationError, match=r"^duration: "):
        calendar.add_business_time(start, 3600)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^start: "):
        calendar.add_business_time(dt.datetime(2030, 1, 1), dt.timedelta(1))
    with pytest.raises(ValidationError, match=r"^b: "):
        calendar.business_time_between(start, start.add(days=MAX_SPAN_DAYS + 2))


def test_spans_beyond_a_hundred_years_or_the_date_range_are_refused() -> None:
    calendar = weekdays()
    start = berlin(2030, 4, 19, 16)
    with pytest.raises(ValidationError, match="100 years"):
        calendar.add_business_time(start, dt.timedelta(days=40_000))
    edge = pendulum.datetime(9999, 12, 31, 23, tz="UTC")
    late = BusinessCalendar("Asia/Tokyo", {d: (dt.time(0), dt.time(0)) for d in range(7)})
    with pytest.raises(ValidationError, match="100 years"):
        late.add_business_time(edge, dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="100 years"):
        late.business_time_between(edge, edge)
    with pytest.raises(ValidationError, match="100 years"):
        late.is_open(edge)


def test_window_edges_and_local_midnight() -> None:
    calendar = weekdays()
    assert calendar.is_open(berlin(2030, 4, 22, 9))  # the opening instant is inside
    assert not calendar.is_open(berlin(2030, 4, 22, 17))  # the closing instant is not
    assert not calendar.is_open(berlin(2030, 4, 22, 8, 59))
    # 00:30 in Berlin is still the previous day in UTC: the local date decides.
    nights = BusinessCalendar(BERLIN, {0: (dt.time(0), dt.time(2))})
    monday_night = berlin(2030, 4, 22, 0, 30)
    assert monday_night.in_tz("UTC").day == 21
    assert nights.is_open(monday_night)
    assert nights.business_time_between(berlin(2030, 4, 21, 23), berlin(2030, 4, 22, 3)) == (
        dt.timedelta(hours=2)
    )
    assert nights.add_business_time(berlin(2030, 4, 21, 12), dt.timedelta(hours=1)) == berlin(
        2030, 4, 22, 1
    )


def test_the_hundred_year_limit_is_exact() -> None:
    always = BusinessCalendar.always()
    start = pendulum.datetime(2030, 1, 1, tz="UTC")
    last = start.add(days=MAX_SPAN_DAYS)
    assert always.business_time_between(start, last) == dt.timedelta(days=MAX_SPAN_DAYS)
    with pytest.raises(ValidationError, match="100 years"):
        always.business_time_between(start, last.add(days=1))
    assert always.add_business_time(start, dt.timedelta(days=MAX_SPAN_DAYS)) == last
    with pytest.raises(ValidationError, match="100 years"):
        always.add_business_time(start, dt.timedelta(days=MAX_SPAN_DAYS + 1, hours=1))


def test_mixed_weekday_keys_are_refused_not_crashed() -> None:
    with pytest.raises(ValidationError, match=r"^hours: has a key that is not a weekday"):
        BusinessCalendar(BERLIN, {0: (NINE, FIVE), "tuesday": (NINE, FIVE)})


def test_naive_instants_are_named() -> None:
    naive = dt.datetime(2030, 1, 1)
    aware = berlin(2030, 1, 1)
    calendar = weekdays()
    with pytest.raises(ValidationError, match=r"^a: "):
        calendar.business_time_between(naive, aware)
    with pytest.raises(ValidationError, match=r"^b: "):
        calendar.business_time_between(aware, naive)
    with pytest.raises(ValidationError, match=r"^at: "):
        calendar.is_open(naive)


def test_period_edges() -> None:
    assert Period.year(1).start == pendulum.datetime(1, 1, 1, tz="UTC")
    march = Period.month(2030, 3)
    assert march.contains(march.start)
    assert not march.contains(march.end)
    assert not march < Period.month(2030, 3)
    assert march <= Period.month(2030, 3)
    with pytest.raises(ValidationError, match=r"^unit: "):
        Period.containing(march.start, "week")
    assert Period.parse("2030-03") == Period.parse(" 2030-03 ")


def test_a_time_zone_that_leaves_the_database_is_a_validation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The calendar's zone was known when it was built; the time zone
    database went away (or was updated) before it was used."""
    from zoneinfo import ZoneInfoNotFoundError

    import crmcore.domain.calendars as calendars

    calendar = BusinessCalendar.weekdays("Europe/Berlin", dt.time(9), dt.time(17))
    unused_day = pendulum.datetime(2047, 6, 12, 10, tz="UTC")
    calendars._zone_info.cache_clear()  # zones are looked up once per process

    def missing(name: str) -> None:
        raise ZoneInfoNotFoundError(name)

    monkeypatch.setattr(pendulum, "timezone", missing)
    with pytest.raises(ValidationError, match=r"^timezone: is not in the time zone database any"):
        calendar.is_open(unused_day)
    with pytest.raises(ValidationError, match=r"^timezone: is not a known time zone"):
        BusinessCalendar.always("Europe/Paris")
    monkeypatch.undo()
    calendars._zone_info.cache_clear()
    assert calendar.is_open(unused_day)
