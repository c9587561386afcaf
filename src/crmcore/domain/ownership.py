"""Ownership: who a record belongs to, who acts, and the reassignment commands.

Every record has an optional ``owner`` (a user id) and ``team`` (a team id);
a record missing either is *unassigned*. It also has an optional
``territory`` (a territory id): a customer's sales territory, which the
records opened for the customer inherit, so that a territory's managers see
them (the policy's ``territory`` scope). What an `Actor` may do with a record
is decided by an access policy (`crmcore.policy`); the domain only keeps the
facts.
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


def _ids(value: object, field: str) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, "must be a collection of ids", allowed="a frozenset of ids")
    return frozenset(check_id(item, field) for item in value)


def _to_teams(value: object) -> frozenset[str]:
    return _ids(value, "teams")


def _to_territories(value: object) -> frozenset[str]:
    return _ids(value, "territories")


@attrs.frozen
class Actor:
    """A user acting through the services: a user id, a role, the teams they
    are in and the territories they manage.

    Ids only: an actor carries no personal data. ``territories`` are the
    territories whose records the policy's ``territory`` scope shows the
    actor: the ones they manage *and their descendants*
    (`crmcore.domain.territories.managed_territories` computes them from the
    territory tree).

    Raises:
        ValidationError: a bad user id, an unknown role, a bad team or territory id.
    """

    user_id: str = attrs.field(validator=validates(check_id))
    role: Role = attrs.field(converter=_to_role)
    teams: frozenset[str] = attrs.field(default=frozenset(), converter=_to_teams)
    territories: frozenset[str] = attrs.field(default=frozenset(), converter=_to_territories)

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
class RecordTerritoryChanged(DomainEvent):
    """A record's territory changed."""

    record_kind: RecordKind
    record_id: str
    previous_territory: str | None
    territory: str | None


@attrs.frozen(kw_only=True)
class Owned(Aggregate):
    """Base of the aggregates that have an owner, a team and a territory.

    Their kind, label and id field come from the registry (`crmcore.domain.kinds`).
    """

    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)
    territory: str | None = identifier(optional=True)

    if TYPE_CHECKING:  # every subclass has this field

        @property
        def changed_at(self) -> pendulum.DateTime | None: ...

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

    def _check_holders(self, owner: str | None, team: str | None, territory: str | None) -> None:
        """Refuse an owner, team and territory the record cannot have (a
        quota must be for someone); every combination is fine by default."""

    def _after_last_change(self, at: object) -> pendulum.DateTime:
        instant = to_utc(at)
        last = self.changed_at
        if last is not None:  # None: a value built by hand, never stored (a Quota)
            not_before(instant, last)
        return instant

    def reassign(self, *, owner: str | None, team: str | None, at: _dt.datetime) -> Self:
        """Give the record another owner and/or team (``None`` unassigns).

        Allowed in any state (closed records change hands too, when a user
        leaves); records the `RecordReassigned` event.

        Raises:
            ValidationError: a bad id, no change, or ``at`` before the last change.
        """
        new_owner = check_optional_id(owner, "owner")
        new_team = check_optional_id(team, "team")
        self._check_holders(new_owner, new_team, self.territory)
        instant = self._after_last_change(at)
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

    def move_to_territory(self, territory: str | None, *, at: _dt.datetime) -> Self:
        """Put the record in another territory (``None``: in none).

        Allowed in any state, like `reassign`; records the
        `RecordTerritoryChanged` event.

        Raises:
            ValidationError: a bad id, no change, or ``at`` before the last change.
        """
        new_territory = check_optional_id(territory, "territory")
        self._check_holders(self.owner, self.team, new_territory)
        instant = self._after_last_change(at)
        if new_territory == self.territory:
            raise ValidationError(
                "territory", "the record is already in this territory", allowed="another territory"
            )
        event = RecordTerritoryChanged(
            occurred_at=instant,
            record_kind=self.record_kind,
            record_id=self.record_id,
            previous_territory=self.territory,
            territory=new_territory,
        )
        return self._recorded(event, territory=new_territory, changed_at=instant)
