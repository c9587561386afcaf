"""Marketing campaigns: a budget, costs, a member list and what each member did.

A `Campaign` is planned, run (active) and completed, or aborted. Its members
are customers (prospects or existing ones); each member has a status from
the campaign's `StatusSet`, with the history of its changes. The analytics
(`crmcore.analytics.campaigns`) turn a campaign and the opportunities it
sourced into response rates, conversion, cost per response and ROI.

Rules a developer would otherwise have to guess:

- every command keeps time order per campaign (an ``at`` before the
  campaign's last change is refused);
- a planned campaign takes members (building the list) but no status
  changes; statuses change only while the campaign is active; a completed
  or aborted campaign takes no new members and no status changes;
- costs may be recorded in any status, also after completion (invoices
  arrive late), in the budget's currency;
- a member's status moves forward in the set's order, or to a terminal
  status (opted out, bounced) from anywhere; a terminal status is final;
  setting the current status again is allowed and recorded (a member may
  respond several times).
"""

import datetime as _dt
import itertools
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Self

import attrs
import pendulum

from crmcore.domain.channels import Channel
from crmcore.domain.customers import check_name
from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    Choice,
    calendar_date,
    check_bool,
    check_text,
    checked_field,
    choice,
    identifier,
    instant,
    items,
    items_of,
    member,
    of_type,
    validates,
)
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money, non_negative_money, positive_money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.ownership import Owned
from crmcore.domain.periods import Period
from crmcore.domain.times import not_before, to_date, to_utc
from crmcore.errors import CurrencyMismatchError, InvalidTransitionError, ValidationError

MAX_STATUSES = 20
"""The most statuses a status set may have."""
MAX_MEMBERS = 100_000
"""The most members one campaign may have: the members live inside the
campaign record, and each command copies them (O(members))."""


class CampaignStatus(Choice):
    """Where a campaign is: planned → active → completed, or aborted from planned or active."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ABORTED = "aborted"


def _status_name(value: object, field: str) -> str:
    return check_text(value, field, max_length=50)


@attrs.frozen
class MemberStatus:
    """One status a campaign member can have.

    Attributes:
        name: the status (``"sent"``, ``"responded"``, ...), unique in its set.
        responded: the member responded (counts towards the response rate).
        terminal: a final status (opted out, bounced): reachable from any
            status, and nothing follows it.
        reached: whether the campaign reached a member in this status (a
            bounced message did not); a member who once responded counts as
            reached whatever came after.
        default: the status of a member when added (exactly one per set).
    """

    name: str = attrs.field(validator=validates(_status_name))
    responded: bool = attrs.field(default=False, validator=validates(check_bool))
    terminal: bool = attrs.field(default=False, validator=validates(check_bool))
    reached: bool = attrs.field(default=True, validator=validates(check_bool))
    default: bool = attrs.field(default=False, validator=validates(check_bool))


_SET_RULE = (
    "1 to 20 MemberStatus values with unique names, exactly one default (not terminal) "
    "and at least one responded status"
)


def _statuses(value: object) -> tuple[MemberStatus, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("statuses", "must be a sequence of MemberStatus", allowed=_SET_RULE)
    found = tuple(value)
    if not 1 <= len(found) <= MAX_STATUSES or not all(isinstance(s, MemberStatus) for s in found):
        raise ValidationError("statuses", "must be 1 to 20 MemberStatus values", allowed=_SET_RULE)
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise ValidationError("statuses", "has two statuses with one name", allowed=_SET_RULE)
    defaults = [s for s in found if s.default]
    if len(defaults) != 1 or defaults[0].terminal:
        raise ValidationError(
            "statuses", "must have exactly one default, not a terminal one", allowed=_SET_RULE
        )
    if not any(s.responded for s in found):
        raise ValidationError("statuses", "has no responded status", allowed=_SET_RULE)
    return found


@attrs.frozen
class StatusSet:
    """The ordered statuses of a campaign's members.

    A member's status moves forward in this order (or stays, to record a
    repeat), or to a terminal status from anywhere; a terminal status is final.

    Raises:
        ValidationError: no status, more than 20, two with one name, not
            exactly one default, a terminal default, or no responded status.
    """

    statuses: tuple[MemberStatus, ...] = attrs.field(converter=_statuses)

    @property
    def names(self) -> tuple[str, ...]:
        """The status names, in order."""
        return tuple(s.name for s in self.statuses)

    @property
    def default(self) -> MemberStatus:
        """The status of a member when added."""
        return next(s for s in self.statuses if s.default)

    def status(self, name: object) -> MemberStatus:
        """The status called ``name``.

        Raises:
            ValidationError: no status has that name (the message lists them).
        """
        return status_named(self, name, "name")

    def can_move(self, current: str, new: str) -> bool:
        """Whether a member in ``current`` may be set to ``new``."""
        before = status_named(self, current, "current")
        after = status_named(self, new, "new")
        if before == after:
            return True
        if before.terminal:
            return False
        return after.terminal or self.statuses.index(after) > self.statuses.index(before)


def status_named(statuses: StatusSet, name: object, field: str) -> MemberStatus:
    """``statuses.status(name)``, with an error that names ``field``."""
    for status in statuses.statuses:
        if status.name == name:
            return status
    raise ValidationError(
        field, "is not a status of this campaign", allowed=", ".join(statuses.names)
    )


DEFAULT_STATUSES = StatusSet(
    (
        MemberStatus("sent", default=True),
        MemberStatus("opened"),
        MemberStatus("clicked"),
        MemberStatus("responded", responded=True),
        MemberStatus("converted", responded=True),
        MemberStatus("opted out", terminal=True),
        MemberStatus("bounced", terminal=True, reached=False),
    )
)
"""sent (the default), opened, clicked, responded and converted (both count as
a response), and the terminal opted out and bounced (not reached)."""


@attrs.frozen
class StatusChange:
    """One status a member was set to, and when."""

    status: str = attrs.field(validator=validates(_status_name))
    at: pendulum.DateTime = instant()


@attrs.frozen(kw_only=True)
class CampaignMember:
    """A customer on a campaign's list, with every status it was set to.

    Attributes:
        customer_id: the customer (a prospect or an existing customer).
        history: the statuses set, oldest first (the first when added).
    """

    customer_id: str = identifier()
    history: tuple[StatusChange, ...] = items(StatusChange)

    def __attrs_post_init__(self) -> None:
        if not self.history:
            raise ValidationError(
                "history", "must not be empty", allowed="the statuses set, oldest first"
            )
        for before, after in itertools.pairwise(self.history):
            if after.at < before.at:
                raise ValidationError(
                    "history", "goes back in time", allowed="status changes, oldest first"
                )

    @property
    def status(self) -> str:
        """The current status."""
        return self.history[-1].status

    @property
    def added_at(self) -> pendulum.DateTime:
        """When the member was added."""
        return self.history[0].at


# Events ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CampaignPlanned(DomainEvent):
    """A campaign was planned."""

    campaign_id: str


@attrs.frozen(kw_only=True)
class CampaignStatusChanged(DomainEvent):
    """A campaign was activated, completed or aborted."""

    campaign_id: str
    previous: CampaignStatus
    current: CampaignStatus


@attrs.frozen(kw_only=True)
class CampaignMemberAdded(DomainEvent):
    """A customer joined a campaign's list."""

    campaign_id: str
    customer_id: str
    status: str


@attrs.frozen(kw_only=True)
class CampaignMemberStatusSet(DomainEvent):
    """A member's status was set (again, possibly: a repeat response)."""

    campaign_id: str
    customer_id: str
    previous: str
    status: str


@attrs.frozen(kw_only=True)
class CampaignCostRecorded(DomainEvent):
    """A cost was booked on a campaign."""

    campaign_id: str
    amount: Money
    actual_cost: Money


# The aggregate --------------------------------------------------------------------------


def check_rate(value: object, field: str) -> Fraction:
    """A rate from 0 to 1, exactly (`to_fraction`)."""
    rate = to_fraction(value, field, allowed="a rate from 0 to 1, e.g. Decimal('0.05')")
    if not 0 <= rate <= 1:
        raise ValidationError(field, "is not from 0 to 1", allowed="a rate from 0 to 1")
    return rate


def campaign_period(value: object, field: str = "period") -> tuple[pendulum.Date, pendulum.Date]:
    """A `Period`, or a (first day, last day) pair, as the first and last day;
    errors name ``field``."""
    if isinstance(value, Period):
        return value.start.date(), value.end.date().subtract(days=1)
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValidationError(
            field,
            "must be a Period or a (first day, last day) pair",
            allowed="Period.parse('2030-03'), or (date(2030, 3, 1), date(2030, 3, 15))",
        )
    first, last = to_date(value[0], field), to_date(value[1], field)
    if last < first:
        raise ValidationError(field, "ends before it starts", allowed="first day <= last day")
    return first, last


@attrs.frozen(kw_only=True)
class Campaign(Owned):
    """A marketing campaign: plan, budget, costs, members and their statuses.

    Build one with `Campaign.plan`; its commands return a new campaign with
    the event recorded. The constructor checks everything (it guards values
    loaded from storage).

    Attributes:
        campaign_id: the campaign's id.
        name: what the marketer calls it (free text, kept out of ``repr``).
        channel: the channel it runs on (`Channel`).
        starts, ends: its first and last day.
        budget: what it may cost (Money of zero or more).
        costs: the costs booked, oldest first (each in the budget's currency).
        expected_response: the response rate hoped for (a Fraction), or None.
        expected_revenue: the revenue hoped for, or None.
        statuses: the members' `StatusSet`.
        status: planned, active, completed or aborted.
        members: the members, in the order they were added.
        changed_at: the last change.
    """

    campaign_id: str = identifier()
    name: str = checked_field(check_name, False, repr=False)
    channel: Channel = choice(Channel)
    starts: pendulum.Date = calendar_date()
    ends: pendulum.Date = calendar_date()
    budget: Money = checked_field(non_negative_money, False)
    costs: tuple[Money, ...] = items(Money, default=(), repr=False)
    expected_response: Fraction | None = checked_field(check_rate, True)
    expected_revenue: Money | None = checked_field(non_negative_money, True)
    statuses: StatusSet = of_type(StatusSet, default=DEFAULT_STATUSES, repr=False)
    status: CampaignStatus = choice(CampaignStatus, default=CampaignStatus.PLANNED)
    members: tuple[CampaignMember, ...] = items(CampaignMember, default=(), repr=False)
    changed_at: pendulum.DateTime = instant()

    def __attrs_post_init__(self) -> None:
        if self.ends < self.starts:
            raise ValidationError("ends", "is before starts", allowed="a day on or after starts")
        for cost in self.costs:
            if cost.currency != self.budget.currency or cost.amount <= 0:
                raise ValidationError(
                    "costs",
                    "holds a cost that is not positive or not in the budget's currency",
                    allowed=f"positive Money in {self.budget.currency}",
                )
        if len(self.members) > MAX_MEMBERS:
            raise ValidationError("members", "are too many", allowed=f"at most {MAX_MEMBERS:,}")
        seen: set[str] = set()
        for one in self.members:
            if one.customer_id in seen:
                raise ValidationError(
                    "members", "holds one customer twice", allowed="each customer once"
                )
            seen.add(one.customer_id)
            previous = None
            for change in one.history:
                status_named(self.statuses, change.status, "members")
                if previous is not None and not self.statuses.can_move(previous, change.status):
                    raise ValidationError(
                        "members",
                        "holds a status history that goes backwards",
                        allowed="statuses forward in the set's order, or to a terminal one",
                    )
                previous = change.status
            if one.history[-1].at > self.changed_at:
                raise ValidationError(
                    "changed_at",
                    "is earlier than a member's last change",
                    allowed="the last change",
                )

    @classmethod
    def plan(
        cls,
        *,
        campaign_id: str,
        name: str,
        channel: Channel | str,
        period: Period | tuple[_dt.date, _dt.date],
        budget: Money,
        at: _dt.datetime,
        expected_response: Fraction | Decimal | str | int | None = None,
        expected_revenue: Money | None = None,
        statuses: StatusSet = DEFAULT_STATUSES,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """A planned campaign with no members and no costs.

        Args:
            period: a `Period` (``Period.parse("2030-03")``), or the first and
                last day as a pair.
            budget: Money of zero or more; costs are booked in its currency.
            expected_response: the response rate hoped for, from 0 to 1.
            expected_revenue: Money of zero or more, or None.

        Raises:
            ValidationError: any bad value, naming it.
        """
        instant_ = to_utc(at)
        starts, ends = campaign_period(period)
        campaign = cls(
            campaign_id=campaign_id,
            name=name,
            channel=member(Channel, channel, "channel"),
            starts=starts,
            ends=ends,
            budget=budget,
            expected_response=None
            if expected_response is None
            else check_rate(expected_response, "expected_response"),
            expected_revenue=expected_revenue,
            statuses=statuses,
            owner=owner,
            team=team,
            changed_at=instant_,
        )
        return campaign._recorded(
            CampaignPlanned(occurred_at=instant_, campaign_id=campaign.campaign_id)
        )

    # Reading -------------------------------------------------------------------------------

    @property
    def actual_cost(self) -> Money:
        """The costs booked so far (zero in the budget's currency when none)."""
        return sum(self.costs, Money.zero(self.budget.currency))

    @property
    def is_closed(self) -> bool:
        """Completed or aborted."""
        return self.status in (CampaignStatus.COMPLETED, CampaignStatus.ABORTED)

    def member(self, customer_id: str) -> CampaignMember | None:
        """The member for ``customer_id``, or None."""
        wanted = check_id(customer_id, "customer_id")
        return next((m for m in self.members if m.customer_id == wanted), None)

    # Commands ------------------------------------------------------------------------------

    def _when(self, at: _dt.datetime) -> pendulum.DateTime:
        instant_ = to_utc(at)
        not_before(instant_, self.changed_at)
        return instant_

    def _refuse(self, requested: str, allowed: tuple[str, ...]) -> InvalidTransitionError:
        return InvalidTransitionError(
            f"campaign {self.campaign_id!r} is {self.status.value}: {requested} is not allowed",
            current=self.status.value,
            requested=requested,
            allowed=allowed,
        )

    def _move(self, to: CampaignStatus, at: _dt.datetime, requested: str) -> Self:
        allowed = {
            CampaignStatus.PLANNED: ("activate", "abort"),
            CampaignStatus.ACTIVE: ("complete", "abort"),
        }.get(self.status, ())
        instant_ = self._when(at)
        if requested not in allowed:
            raise self._refuse(requested, allowed)
        event = CampaignStatusChanged(
            occurred_at=instant_, campaign_id=self.campaign_id, previous=self.status, current=to
        )
        return self._recorded(event, status=to, changed_at=instant_)

    def activate(self, *, at: _dt.datetime) -> Self:
        """Start running the campaign (from planned)."""
        return self._move(CampaignStatus.ACTIVE, at, "activate")

    def complete(self, *, at: _dt.datetime) -> Self:
        """The campaign has run (from active)."""
        return self._move(CampaignStatus.COMPLETED, at, "complete")

    def abort(self, *, at: _dt.datetime) -> Self:
        """Stop the campaign (from planned or active)."""
        return self._move(CampaignStatus.ABORTED, at, "abort")

    def add_member(self, customer_id: str, *, at: _dt.datetime) -> Self:
        """Put a customer on the list, in the set's default status.

        Raises:
            InvalidTransitionError: the campaign is completed or aborted.
            ValidationError: a bad id or time, or the customer is already a member.
        """
        return self._add([check_id(customer_id, "customer_id")], at, "customer_id", "add_member")

    def add_members(self, customer_ids: Iterable[str], *, at: _dt.datetime) -> Self:
        """Put several customers on the list at once (one pass: for building
        long lists); each gets the default status and its own event.

        Raises:
            InvalidTransitionError: the campaign is completed or aborted.
            ValidationError: a bad id or time, a customer already a member or
                given twice, or more than `MAX_MEMBERS` members in all.
        """
        wanted = [
            check_id(c, "customer_ids") for c in items_of(customer_ids, "customer_ids", "ids")
        ]
        if not wanted:
            raise ValidationError("customer_ids", "is empty", allowed="one or more customer ids")
        return self._add(wanted, at, "customer_ids", "add_members")

    def _add(self, wanted: list[str], at: _dt.datetime, field: str, requested: str) -> Self:
        instant_ = self._when(at)
        if self.is_closed:
            raise self._refuse(requested, ())
        present = {m.customer_id for m in self.members}
        if len(set(wanted)) != len(wanted) or present.intersection(wanted):
            raise ValidationError(
                field, "names a customer who is already a member", allowed="new members, each once"
            )
        if len(present) + len(wanted) > MAX_MEMBERS:
            raise ValidationError(
                field, "would make too many members", allowed=f"at most {MAX_MEMBERS:,} members"
            )
        status = self.statuses.default.name
        change = (StatusChange(status, instant_),)
        added = tuple(CampaignMember(customer_id=c, history=change) for c in wanted)
        events = tuple(
            CampaignMemberAdded(
                occurred_at=instant_, campaign_id=self.campaign_id, customer_id=c, status=status
            )
            for c in wanted
        )
        return self._recorded(*events, members=(*self.members, *added), changed_at=instant_)

    def set_member_status(self, customer_id: str, status: str, *, at: _dt.datetime) -> Self:
        """Set a member's status (forward in the set's order, the same again, or terminal).

        Raises:
            InvalidTransitionError: the campaign is not active, or the move
                goes backwards or leaves a terminal status.
            ValidationError: a bad id or time, not a member, an unknown status.
        """
        wanted = check_id(customer_id, "customer_id")
        instant_ = self._when(at)
        new = status_named(self.statuses, status, "status")
        if self.status is not CampaignStatus.ACTIVE:
            raise self._refuse("set_member_status", ("activate",) if not self.is_closed else ())
        found = self.member(wanted)
        if found is None:
            raise ValidationError(
                "customer_id", "is not a member of this campaign", allowed="a member's id"
            )
        if not self.statuses.can_move(found.status, new.name):
            raise InvalidTransitionError(
                f"a member of campaign {self.campaign_id!r} cannot go from {found.status!r} "
                f"to {new.name!r}",
                current=found.status,
                requested=new.name,
                allowed=tuple(
                    n for n in self.statuses.names if self.statuses.can_move(found.status, n)
                ),
            )
        changed = attrs.evolve(found, history=(*found.history, StatusChange(new.name, instant_)))
        members = tuple(changed if m is found else m for m in self.members)
        event = CampaignMemberStatusSet(
            occurred_at=instant_,
            campaign_id=self.campaign_id,
            customer_id=wanted,
            previous=found.status,
            status=new.name,
        )
        return self._recorded(event, members=members, changed_at=instant_)

    def record_cost(self, amount: Money, *, at: _dt.datetime) -> Self:
        """Book a cost (in any status: invoices arrive late).

        Raises:
            ValidationError: not positive Money, or a bad time.
            CurrencyMismatchError: not in the budget's currency.
        """
        cost = positive_money(amount, "amount")
        instant_ = self._when(at)
        if cost.currency != self.budget.currency:
            raise CurrencyMismatchError(
                self.budget.currency, cost.currency, operation="record_cost"
            )
        total = self.actual_cost + cost
        event = CampaignCostRecorded(
            occurred_at=instant_, campaign_id=self.campaign_id, amount=cost, actual_cost=total
        )
        return self._recorded(event, costs=(*self.costs, cost), changed_at=instant_)
