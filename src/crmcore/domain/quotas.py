"""Quotas: a sales target for a user, a team or a territory over one period.

A `Quota` is a target, Money or a count of deals, for a `Period` (a month, a
quarter or a year), and *who* it is for: a user (``owner``), a territory
(``territory``) or a team (``team`` alone). A user's quota may also name the
user's team, so that the team's managers see it (the policy's ``team``
scopes). Attainment, roll-ups and the forecast against a quota are in
`crmcore.analytics.quotas`.

A quota built by hand for the analytics needs no time; one kept in a store
is set by the `SetQuota` command (`Quota.set`) and records when
(``changed_at``), and its target is replaced by `ReplaceQuota`.
"""

import datetime as _dt
from typing import Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import Choice, instant, validates
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money
from crmcore.domain.ownership import Owned
from crmcore.domain.periods import Period, check_period
from crmcore.domain.times import to_utc
from crmcore.errors import ValidationError

MAX_DEALS = 10**9
"""The largest count-of-deals target."""

TARGET_RULE = f"Money of zero or more, or a count of deals (an int from 0 to {MAX_DEALS})"


class QuotaFor(Choice):
    """Who a quota is for."""

    USER = "user"
    TEAM = "team"
    TERRITORY = "territory"


def check_target(value: object, field: str) -> Money | int:
    """A quota target: Money of zero or more, or a whole count of deals.

    Raises:
        ValidationError: anything else (a bool, a negative amount, a float).
    """
    if isinstance(value, Money):
        if value.amount < 0:
            raise ValidationError(field, "must not be negative", allowed=TARGET_RULE)
        return value
    if type(value) is int:
        if not 0 <= value <= MAX_DEALS:
            raise ValidationError(field, "is out of range", allowed=TARGET_RULE)
        return value
    raise ValidationError(field, f"must not be a {type(value).__name__}", allowed=TARGET_RULE)


@attrs.frozen(kw_only=True)
class QuotaSet(DomainEvent):
    """A quota was set."""

    quota_id: str
    period: Period
    target: Money | int


@attrs.frozen(kw_only=True)
class QuotaReplaced(DomainEvent):
    """A quota's target was replaced."""

    quota_id: str
    previous_target: Money | int
    target: Money | int


@attrs.frozen
class Quota(Owned):
    """A target for one period: ``Quota("q1", Money.of(100_000, "EUR"),
    Period.quarter(2030, 1), owner="rep-1", team="north")``.

    Attributes:
        quota_id: the quota's id.
        target: Money of zero or more, or a count of deals (an int).
        period: the month, quarter or year it covers.
        owner: the user it is for (a user's quota).
        team: the team it is for (a team's quota, when there is no owner and
            no territory), or the owner's team.
        territory: the territory it is for (when there is no owner).
        changed_at: when it was set or last replaced (``None`` for a quota
            built by hand, not kept in a store).

    Raises:
        ValidationError: a bad id, target or period, or no owner, team or territory.
    """

    quota_id: str = attrs.field(validator=validates(check_id))
    target: Money | int = attrs.field(validator=validates(check_target))
    period: Period = attrs.field(validator=validates(check_period))
    changed_at: pendulum.DateTime | None = instant(optional=True, kw_only=True)

    def __attrs_post_init__(self) -> None:
        self._check_holders(self.owner, self.team, self.territory)

    def _check_holders(self, owner: str | None, team: str | None, territory: str | None) -> None:
        if owner is None and team is None and territory is None:
            raise ValidationError(
                "owner",
                "a quota needs someone it is for",
                allowed="an owner (a user), a team or a territory",
            )

    @classmethod
    def set(
        cls,
        *,
        quota_id: str,
        target: Money | int,
        period: Period,
        at: _dt.datetime,
        owner: str | None = None,
        team: str | None = None,
        territory: str | None = None,
    ) -> Self:
        """A quota set at ``at`` (what the `SetQuota` command stores).

        Raises:
            ValidationError: see the class.
        """
        instant_ = to_utc(at)
        quota = cls(
            quota_id,
            target,
            period,
            owner=owner,
            team=team,
            territory=territory,
            changed_at=instant_,
        )
        return quota._recorded(
            QuotaSet(
                occurred_at=instant_,
                quota_id=quota.quota_id,
                period=quota.period,
                target=quota.target,
            )
        )

    @property
    def quota_for(self) -> QuotaFor:
        """A user's quota (it has an owner), else a territory's, else a team's."""
        if self.owner is not None:
            return QuotaFor.USER
        if self.territory is not None:
            return QuotaFor.TERRITORY
        return QuotaFor.TEAM

    @property
    def currency(self) -> str | None:
        """The target's currency (``None`` for a count of deals)."""
        return self.target.currency if isinstance(self.target, Money) else None

    def replace_target(self, target: Money | int, *, at: _dt.datetime) -> Self:
        """The same quota with another target (Money in the same currency, or
        again a count).

        Raises:
            ValidationError: a bad target, a target of the other kind or
                currency, the same target, or ``at`` before the last change.
        """
        new_target = check_target(target, "target")
        instant_ = self._after_last_change(at)
        if isinstance(new_target, Money) != isinstance(self.target, Money) or (
            isinstance(new_target, Money) and new_target.currency != self.currency
        ):
            raise ValidationError(
                "target",
                "is of another kind or currency than the quota's",
                allowed=f"a target like {self.target!r}",
            )
        if new_target == self.target:
            raise ValidationError("target", "is the quota's target already", allowed="another")
        event = QuotaReplaced(
            occurred_at=instant_,
            quota_id=self.quota_id,
            previous_target=self.target,
            target=new_target,
        )
        return self._recorded(event, target=new_target, changed_at=instant_)
