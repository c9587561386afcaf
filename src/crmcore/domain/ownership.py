"""Ownership: who a record belongs to, who acts, and the reassignment command.

Every customer, opportunity, contract, service contract and complaint has an
optional ``owner`` (a user id) and ``team`` (a team id). A record missing
either is *unassigned*. What an `Actor` may do with a record is decided by an
access policy (`crmcore.policy`); the domain only keeps the facts.
"""

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Self

import attrs
import pendulum

from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.fields import Choice, identifier, member, validates
from crmcore.domain.ids import check_id, check_optional_id
from crmcore.domain.kinds import RecordKind, kind_of
from crmcore.domain.times import not_before, to_utc
from crmcore.errors import ValidationError


class Role(Choice):
    """What a user does in the organisation (the sources' CRM user groups)."""

    SALES_REP = "sales_rep"
    SALES_MANAGER = "sales_manager"
    SERVICE_AGENT = "service_agent"
    SERVICE_MANAGER = "service_manager"
    MARKETING_MANAGER = "marketing_manager"
    PROMOTION_LEADER = "promotion_leader"
    ADMIN = "admin"


def _to_role(value: object) -> Role:
    return member(Role, value, "role")


def _to_teams(value: object) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            "teams", "must be a collection of team ids", allowed="a frozenset of ids"
        )
    return frozenset(check_id(team, "teams") for team in value)


@attrs.frozen
class Actor:
    """A user acting through the services: a user id, a role and the teams they are in.

    Ids only: an actor carries no personal data.

    Raises:
        ValidationError: a bad user id, an unknown role or a bad team id.
    """

    user_id: str = attrs.field(validator=validates(check_id))
    role: Role = attrs.field(converter=_to_role)
    teams: frozenset[str] = attrs.field(default=frozenset(), converter=_to_teams)

    def in_team(self, team: str | None) -> bool:
        """Whether the actor is in ``team`` (never for ``None``)."""
        return isinstance(team, str) and team in self.teams


@attrs.frozen(kw_only=True)
class RecordReassigned(DomainEvent):
    """A record's owner or team changed."""

    record_kind: RecordKind
    record_id: str
    previous_owner: str | None
    previous_team: str | None
    owner: str | None
    team: str | None


@attrs.frozen(kw_only=True)
class Owned(Aggregate):
    """Base of the aggregates that have an owner and a team.

    Their kind, label and id field come from the registry (`crmcore.domain.kinds`).
    """

    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)

    if TYPE_CHECKING:  # every subclass has this field

        @property
        def changed_at(self) -> pendulum.DateTime: ...

    @property
    def record_kind(self) -> RecordKind:
        """The record's kind, from the registry."""
        return kind_of(self).kind

    @property
    def record_id(self) -> str:
        """The record's id, whatever its field is called (the registry knows)."""
        return kind_of(self).record_id(self)

    @property
    def is_assigned(self) -> bool:
        """Whether the record has both an owner and a team."""
        return self.owner is not None and self.team is not None

    def reassign(self, *, owner: str | None, team: str | None, at: _dt.datetime) -> Self:
        """Give the record another owner and/or team (``None`` unassigns).

        Allowed in any state (closed records change hands too, when a user
        leaves); records the `RecordReassigned` event.

        Raises:
            ValidationError: a bad id, no change, or ``at`` before the last change.
        """
        new_owner = check_optional_id(owner, "owner")
        new_team = check_optional_id(team, "team")
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        if (new_owner, new_team) == (self.owner, self.team):
            raise ValidationError(
                "owner",
                "the record already has this owner and team",
                allowed="another owner or team",
            )
        event = RecordReassigned(
            occurred_at=instant,
            record_kind=self.record_kind,
            record_id=self.record_id,
            previous_owner=self.owner,
            previous_team=self.team,
            owner=new_owner,
            team=new_team,
        )
        return self._recorded(event, owner=new_owner, team=new_team, changed_at=instant)
