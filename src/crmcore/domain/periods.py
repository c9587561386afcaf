"""Calendar periods (month, quarter, year) as half-open UTC intervals."""

import datetime as _dt
import functools
import re
from typing import Self

import attrs
import pendulum

from crmcore.domain.fields import Choice, member
from crmcore.domain.times import UTC, to_utc
from crmcore.errors import ValidationError

MIN_YEAR = 1
MAX_YEAR = 9998
"""Years a period may lie in: the end of year 9999 is not a representable instant."""

_RULE = "a year from 1 to 9998, written '2030', '2030-03' (a month) or '2030-Q1' (a quarter)"
_PATTERN = re.compile(r"(\d{4})(?:-(?:(\d{2})|Q(\d)))?")


class PeriodUnit(Choice):
    """The length of a period."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_MONTHS = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.YEAR: 12}
_COUNT = {PeriodUnit.MONTH: 12, PeriodUnit.QUARTER: 4, PeriodUnit.YEAR: 1}


def _unit(value: object) -> PeriodUnit:
    return member(PeriodUnit, value, "unit")


def _checked_year(value: object, field: str) -> int:
    if type(value) is not int or not MIN_YEAR <= value <= MAX_YEAR:
        raise ValidationError(
            field, "is not a year from 1 to 9998", allowed="an int from 1 to 9998"
        )
    return value


def _checked_number(unit: PeriodUnit, value: object, field: str) -> int:
    count = _COUNT[unit]
    if type(value) is not int or not 1 <= value <= count:
        raise ValidationError(
            field, f"is not a {unit.value} number", allowed=f"an int from 1 to {count}"
        )
    return value


def _year(value: object) -> int:
    return _checked_year(value, "year_number")


@functools.total_ordering
@attrs.frozen(order=False, repr=False)
class Period:
    """A month, a quarter or a year: the half-open interval ``[start, end)`` in UTC.

    Build one with `Period.month`, `Period.quarter`, `Period.year`,
    `Period.parse` or `Period.containing`. Periods compare equal when they
    are the same unit and number; ``str(period)`` gives the parseable form
    (``"2030-03"``, ``"2030-Q1"``, ``"2030"``). Periods sort by start, and a
    longer period before a shorter one that starts at the same instant.

    Attributes:
        unit: month, quarter or year.
        year_number: the calendar year.
        number: the month (1 to 12) or quarter (1 to 4) in the year; 1 for a year.
    """

    unit: PeriodUnit = attrs.field(converter=_unit)
    year_number: int = attrs.field(converter=_year)
    number: int = 1

    def __attrs_post_init__(self) -> None:
        _checked_number(self.unit, self.number, "number")

    @classmethod
    def month(cls, year: int, month: int) -> Self:
        """The calendar month ``month`` (1 to 12) of ``year``."""
        return cls(
            PeriodUnit.MONTH,
            _checked_year(year, "year"),
            _checked_number(PeriodUnit.MONTH, month, "month"),
        )

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Self:
        """The calendar quarter ``quarter`` (1 to 4) of ``year``."""
        return cls(
            PeriodUnit.QUARTER,
            _checked_year(year, "year"),
            _checked_number(PeriodUnit.QUARTER, quarter, "quarter"),
        )

    @classmethod
    def year(cls, year: int) -> Self:
        """The calendar year ``year``."""
        return cls(PeriodUnit.YEAR, _checked_year(year, "year"), 1)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read ``"2030"``, ``"2030-03"`` or ``"2030-Q1"`` (case-insensitive ``q``).

        Raises:
            ValidationError: any other text.
        """
        if type(text) is not str or len(text) > 20:
            raise ValidationError("text", "is not a period", allowed=_RULE)
        found = _PATTERN.fullmatch(text.strip().upper())
        if found is None:
            raise ValidationError("text", "is not a period", allowed=_RULE)
        year, month, quarter = found.groups()
        unit, number = (
            (PeriodUnit.MONTH, month)
            if month is not None
            else (PeriodUnit.QUARTER, quarter)
            if quarter is not None
            else (PeriodUnit.YEAR, "1")
        )
        if not MIN_YEAR <= int(year) <= MAX_YEAR or not 1 <= int(number) <= _COUNT[unit]:
            raise ValidationError("text", f"is not a valid {unit.value}", allowed=_RULE)
        return cls(unit, int(year), int(number))

    @classmethod
    def containing(cls, at: _dt.datetime, unit: PeriodUnit | str) -> Self:
        """The period of length ``unit`` that contains the instant ``at`` (read in UTC)."""
        instant = to_utc(at)
        wanted = member(PeriodUnit, unit, "unit")
        number = (instant.month - 1) // _MONTHS[wanted] + 1
        return cls(wanted, instant.year, number)

    @property
    def _first_month(self) -> int:
        return (self.number - 1) * _MONTHS[self.unit]

    @property
    def start(self) -> pendulum.DateTime:
        """The first instant of the period (UTC midnight)."""
        return pendulum.datetime(self.year_number, self._first_month + 1, 1, tz=UTC)

    @property
    def end(self) -> pendulum.DateTime:
        """The first instant after the period (the next period's start)."""
        months = self.year_number * 12 + self._first_month + _MONTHS[self.unit]
        return pendulum.datetime(months // 12, months % 12 + 1, 1, tz=UTC)

    def contains(self, at: _dt.datetime) -> bool:
        """Whether ``start <= at < end``."""
        return self.start <= to_utc(at) < self.end

    def children(self) -> tuple["Period", ...]:
        """The quarters of a year, the months of a quarter; a month has none."""
        if self.unit is PeriodUnit.MONTH:
            return ()
        unit = PeriodUnit.QUARTER if self.unit is PeriodUnit.YEAR else PeriodUnit.MONTH
        first = self._first_month // _MONTHS[unit]
        return tuple(
            Period(unit, self.year_number, first + k + 1)
            for k in range(_MONTHS[self.unit] // _MONTHS[unit])
        )

    def parent(self) -> "Period | None":
        """The quarter of a month, the year of a quarter; a year has none."""
        if self.unit is PeriodUnit.YEAR:
            return None
        unit = PeriodUnit.QUARTER if self.unit is PeriodUnit.MONTH else PeriodUnit.YEAR
        return Period(unit, self.year_number, self._first_month // _MONTHS[unit] + 1)

    def shifted(self, count: int) -> "Period":
        """The period ``count`` periods of the same unit later (earlier when negative).

        Raises:
            ValidationError: the result lies outside the years 1 to 9998.
        """
        if type(count) is not int:
            raise ValidationError("count", "must be an int", allowed="an int")
        index = self.year_number * _COUNT[self.unit] + self.number - 1 + count
        year, number = divmod(index, _COUNT[self.unit])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationError(
                "count",
                f"moves the period out of the years {MIN_YEAR} to {MAX_YEAR}",
                allowed=f"a shift that stays within the years {MIN_YEAR} to {MAX_YEAR}",
            )
        return Period(self.unit, year, number + 1)

    def _key(self) -> tuple[pendulum.DateTime, int]:
        return (self.start, -_MONTHS[self.unit])

    def __lt__(self, other: "Period") -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __repr__(self) -> str:
        return f"Period.parse({str(self)!r})"

    def __str__(self) -> str:
        if self.unit is PeriodUnit.YEAR:
            return f"{self.year_number:04d}"
        if self.unit is PeriodUnit.QUARTER:
            return f"{self.year_number:04d}-Q{self.number}"
        return f"{self.year_number:04d}-{self.number:02d}"


def check_period(value: object, field: str) -> Period:
    """``value`` if it is a `Period`, else a `ValidationError` naming ``field``."""
    if not isinstance(value, Period):
        raise ValidationError(
            field,
            f"must be a Period, not {type(value).__name__}",
            allowed="Period.month, Period.quarter, Period.year or Period.parse('2030-Q1')",
        )
    return value
