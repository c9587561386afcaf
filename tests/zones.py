"""Hostile time zones a caller may pass: one whose lookups fail, one whose
offset is a day or more (the datetime module itself refuses it)."""

import datetime as dt


class FailingZone(dt.tzinfo):
    """A time zone whose lookups fail (a broken tz database binding)."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("zone data unavailable")

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        raise RuntimeError("zone data unavailable")

    def tzname(self, when: dt.datetime | None) -> str:
        raise RuntimeError("zone data unavailable")


class DayLongZone(dt.tzinfo):
    """An offset of 25 hours."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=25)

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, when: dt.datetime | None) -> str:
        return "+25"
