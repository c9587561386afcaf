"""Service contracts: terms, renewals and notice, with calendar arithmetic on months."""

import datetime as _dt
from typing import Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    bounded_int,
    calendar_date,
    checked_field,
    flag,
    identifier,
    instant,
    whole,
)
from crmcore.domain.money import Money, positive_money
from crmcore.domain.ownership import Owned
from crmcore.domain.times import not_before, to_date, to_utc
from crmcore.errors import ValidationError


@attrs.frozen(kw_only=True)
class ServiceContractStarted(DomainEvent):
    """A service contract started its first term."""

    contract_id: str
    customer_id: str
    starts: pendulum.Date
    ends: pendulum.Date


@attrs.frozen(kw_only=True)
class ServiceContractRenewed(DomainEvent):
    """A service contract moved to its next term."""

    contract_id: str
    term: int
    ends: pendulum.Date


def _check_within_calendar(starts: pendulum.Date, months: int) -> None:
    if starts.year + months // 12 + 1 > 9999:
        raise ValidationError(
            "term", "would run past the year 9999", allowed="terms that end before the year 10000"
        )


MAX_TERMS = 120_000
"""The most terms a service contract can run (renewals are counted)."""


def add_months(day: pendulum.Date, months: int, field: str = "months") -> pendulum.Date:
    """``day`` plus ``months`` calendar months, clamped to the month's end
    (31 January + 1 month = 28 or 29 February).

    Raises:
        ValidationError: the result would be outside the years 1 to 9999.
    """
    try:
        return day.add(months=months)
    except (OverflowError, ValueError):
        raise ValidationError(
            field, "takes the date outside the calendar", allowed="dates in the years 1 to 9999"
        ) from None


@attrs.frozen(kw_only=True)
class ServiceContract(Owned):
    """A service contract with a term that can be renewed.

    Term n covers ``starts + (n-1)·term_months`` up to the day before
    ``starts + n·term_months`` months, always anchored on ``starts`` (so a
    contract starting on 31 January runs to the end of February, then to 31
    March, not 28 March). ``ends`` is exclusive.
    """

    contract_id: str = identifier()
    customer_id: str = identifier()
    starts: pendulum.Date = calendar_date()
    term_months: int = whole(1, 1200)
    auto_renew: bool = flag()
    notice_days: int = whole(0, 3650)
    price: Money = checked_field(positive_money, False)
    term: int = whole(1, MAX_TERMS, default=1)
    changed_at: pendulum.DateTime = instant()

    def __attrs_post_init__(self) -> None:
        _check_within_calendar(self.starts, self.term * self.term_months)

    @classmethod
    def start(
        cls,
        *,
        contract_id: str,
        customer_id: str,
        starts: _dt.date,
        term_months: int,
        auto_renew: bool,
        notice_days: int,
        price: Money,
        at: _dt.datetime,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """Start a service contract in its first term.

        Raises:
            ValidationError: bad ids, a non-positive price, a term outside 1 to
                1200 months, notice outside 0 to 3650 days.
        """
        instant = to_utc(at)
        contract = cls(
            owner=owner,
            team=team,
            contract_id=contract_id,
            customer_id=customer_id,
            starts=to_date(starts, "starts"),
            term_months=term_months,
            auto_renew=auto_renew,
            notice_days=notice_days,
            price=price,
            changed_at=instant,
        )
        return contract._recorded(
            ServiceContractStarted(
                occurred_at=instant,
                contract_id=contract.contract_id,
                customer_id=contract.customer_id,
                starts=contract.starts,
                ends=contract.ends,
            )
        )

    def term_end(self, term: int) -> pendulum.Date:
        """The exclusive end of term ``term`` (1-based; 0 gives ``starts``)."""
        count = bounded_int(term, "term", 0, MAX_TERMS)
        return add_months(self.starts, count * self.term_months, "term")

    @property
    def ends(self) -> pendulum.Date:
        """The exclusive end of the current term: service runs to the day before."""
        return self.term_end(self.term)

    @property
    def current_term_starts(self) -> pendulum.Date:
        """The first day of the current term."""
        return self.term_end(self.term - 1)

    @property
    def next_renewal_date(self) -> pendulum.Date:
        """The day the next term would start (the current term's exclusive end)."""
        return self.ends

    def covers(self, on: _dt.date) -> bool:
        """Whether the current term covers day ``on``."""
        day = to_date(on, "on")
        return self.current_term_starts <= day < self.ends

    def renewal_due(self, on: _dt.date) -> bool:
        """True for ``ends - notice_days <= on < ends``."""
        day = to_date(on, "on")
        return self.ends.subtract(days=self.notice_days) <= day < self.ends

    def renew(self, *, at: _dt.datetime) -> Self:
        """Move to the next term (renewals do not change the customer's phase)."""
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        _check_within_calendar(self.starts, (self.term + 1) * self.term_months)
        renewed = self._replaced(term=self.term + 1, changed_at=instant)
        return renewed._recorded(
            ServiceContractRenewed(
                occurred_at=instant,
                contract_id=self.contract_id,
                term=renewed.term,
                ends=renewed.ends,
            )
        )
