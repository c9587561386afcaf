"""Customers and their lifecycle: acquisition, contract processing, after-sales, lost.

The customer's phase moves only as the transition table `LIFECYCLE_TRANSITIONS`
says; the commands consult it, so the table is the single source of the rules.
Personal data (name, e-mail, phone, birth date, interaction subjects) never
appears in ``repr``, ``str`` or an error message: customers are shown by id.
"""

import datetime as _dt
import itertools
from typing import Any, Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    check_text,
    choice,
    identifier,
    instant,
    items,
    member,
)
from crmcore.domain.ids import check_id
from crmcore.domain.interactions import Interaction as Interaction
from crmcore.domain.lifecycle import LIFECYCLE_TRANSITIONS as LIFECYCLE_TRANSITIONS
from crmcore.domain.lifecycle import LifecyclePhase as LifecyclePhase
from crmcore.domain.lifecycle import allowed_targets as allowed_targets
from crmcore.domain.ownership import Owned
from crmcore.domain.profile import Profile as Profile
from crmcore.domain.profile import profile_or_empty
from crmcore.domain.times import elapsed, not_before, to_utc
from crmcore.errors import InvalidTransitionError, ValidationError

MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 500

_A, _C, _S, _L = (
    LifecyclePhase.ACQUISITION,
    LifecyclePhase.CONTRACT,
    LifecyclePhase.AFTER_SALES,
    LifecyclePhase.LOST,
)


@attrs.frozen
class PhaseChange:
    """One entry of the phase history: the phase entered at ``at``, and why."""

    phase: LifecyclePhase
    at: pendulum.DateTime
    reason: str = attrs.field(repr=False)  # free text


@attrs.frozen
class ChurnRisk:
    """The churn early warning for one customer at one instant.

    Attributes:
        at_risk: an after-sales customer quiet for at least ``quiet_days``.
        last_activity: the latest interaction, contract signing or entry
            into after-sales at or before ``as_of`` (``None`` if none).
        quiet_for: the time since ``last_activity``.
        quiet_days: the threshold used.
    """

    at_risk: bool
    last_activity: pendulum.DateTime | None
    quiet_for: _dt.timedelta | None
    quiet_days: int


# Events -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CustomerProspected(DomainEvent):
    """A new prospect was registered (phase ACQUISITION)."""

    customer_id: str


@attrs.frozen(kw_only=True)
class CustomerPhaseChanged(DomainEvent):
    """The customer's lifecycle phase changed."""

    customer_id: str
    previous: LifecyclePhase
    current: LifecyclePhase
    reason: str = attrs.field(repr=False)  # free text


@attrs.frozen(kw_only=True)
class CustomerContractEntered(DomainEvent):
    """A signed contract became one of the customer's open contracts."""

    customer_id: str
    contract_id: str


@attrs.frozen(kw_only=True)
class CustomerContractEnded(DomainEvent):
    """An open contract ended: fulfilled, or cancelled."""

    customer_id: str
    contract_id: str
    fulfilled: bool


@attrs.frozen(kw_only=True)
class CustomerRenamed(DomainEvent):
    """The customer's name changed (the name stays out of ``repr``)."""

    customer_id: str
    name: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class CustomerProfileUpdated(DomainEvent):
    """The customer's profile was replaced."""

    customer_id: str
    profile: Profile


@attrs.frozen(kw_only=True)
class InteractionLogged(DomainEvent):
    """A contact with the customer was recorded."""

    customer_id: str
    interaction: Interaction


# The aggregate -------------------------------------------------------------------


def check_name(value: object, field: str = "name") -> str:
    """A customer's name: a non-blank string of at most 200 characters."""
    if type(value) is not str or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise ValidationError(
            field,
            "must be a non-blank string of at most 200 characters",
            allowed="a non-blank name of at most 200 characters",
        )
    return value


@attrs.frozen(kw_only=True, repr=False)
class Customer(Owned):
    """A customer (or prospect) and its place in the lifecycle.

    Build one with `Customer.prospect`. Commands return a new customer and
    record events; a rejected command raises and changes nothing. The
    constructor validates the fields and the history, so values rebuilt from
    storage are checked too.
    """

    customer_id: str = identifier()
    name: str = attrs.field(converter=check_name)
    profile: Profile = attrs.field(default=None, converter=profile_or_empty)
    phase: LifecyclePhase = choice(LifecyclePhase)
    open_contracts: tuple[str, ...] = items(str, default=())
    ever_fulfilled: bool = False
    phase_history: tuple[PhaseChange, ...] = items(PhaseChange)
    interactions: tuple[Interaction, ...] = items(Interaction, default=())
    last_contract_at: pendulum.DateTime | None = instant(optional=True)
    changed_at: pendulum.DateTime = instant()

    def __attrs_post_init__(self) -> None:
        for contract_id in self.open_contracts:
            check_id(contract_id, "open_contracts")
        if len(set(self.open_contracts)) != len(self.open_contracts):
            raise ValidationError(
                "open_contracts", "has duplicates", allowed="distinct contract ids"
            )
        if (self.phase is LifecyclePhase.CONTRACT) != bool(self.open_contracts):
            raise ValidationError(
                "open_contracts",
                "must be non-empty exactly when the phase is CONTRACT",
                allowed="open contracts only in the contract phase",
            )
        history = self.phase_history
        if not history or history[-1].phase is not self.phase:
            raise ValidationError(
                "phase_history", "must end with the current phase", allowed="PhaseChange entries"
            )
        if (
            any(b.at < a.at for a, b in itertools.pairwise(history))
            or history[-1].at > self.changed_at
        ):
            raise ValidationError(
                "phase_history", "is not in time order", allowed="entries in time order"
            )
        if type(self.ever_fulfilled) is not bool:
            raise ValidationError("ever_fulfilled", "must be a bool", allowed="True or False")

    def __repr__(self) -> str:
        return f"Customer(customer_id={self.customer_id!r}, phase={self.phase.name})"

    __str__ = __repr__

    @classmethod
    def prospect(
        cls,
        *,
        customer_id: str,
        name: str,
        at: _dt.datetime,
        profile: Profile | None = None,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """Register a new prospect, in phase ACQUISITION.

        Raises:
            ValidationError: a bad id, a blank or over-long name, a bad profile or time.
        """
        instant = to_utc(at)
        return cls(
            owner=owner,
            team=team,
            customer_id=customer_id,
            name=name,
            profile=profile,
            phase=LifecyclePhase.ACQUISITION,
            phase_history=(PhaseChange(LifecyclePhase.ACQUISITION, instant, "prospected"),),
            changed_at=instant,
            # the event is built before the checks; a rejected prospect discards it
            pending_events=(CustomerProspected(occurred_at=instant, customer_id=customer_id),),
        )

    # Queries ----------------------------------------------------------------

    @property
    def last_interaction_at(self) -> pendulum.DateTime | None:
        """When the latest interaction happened (``None`` if none was logged)."""
        return self.interactions[-1].at if self.interactions else None

    def phase_at(self, when: _dt.datetime) -> LifecyclePhase | None:
        """The phase at ``when``: the last change at or before it (``None`` before the first)."""
        instant = to_utc(when, "when")
        current = None
        for change in self.phase_history:
            if change.at > instant:
                break
            current = change.phase
        return current

    def time_in_phase(self, phase: LifecyclePhase, *, as_of: _dt.datetime) -> _dt.timedelta:
        """Total time spent in ``phase`` up to ``as_of``, summed over every visit."""
        wanted = member(LifecyclePhase, phase, "phase")
        end = to_utc(as_of, "as_of")
        total = _dt.timedelta()
        for change, following in itertools.zip_longest(self.phase_history, self.phase_history[1:]):
            if change.at > end:
                break
            left = end if following is None or following.at > end else following.at
            if change.phase is wanted:
                total += elapsed(change.at, left)
        return total

    def churn_risk(self, *, as_of: _dt.datetime, quiet_days: int = 90) -> ChurnRisk:
        """The churn early warning: an after-sales customer with no interaction,
        no new contract and no entry into after-sales for ``quiet_days`` days or more.

        Raises:
            ValidationError: ``quiet_days`` is not a positive int.
        """
        end = to_utc(as_of, "as_of")
        if type(quiet_days) is not int or not 1 <= quiet_days <= 36_500:
            raise ValidationError(
                "quiet_days", "must be a whole number of days", allowed="1 to 36500"
            )
        moments = [i.at for i in self.interactions if i.at <= end]
        moments += [c.at for c in self.phase_history if c.phase is _S and c.at <= end]
        if self.last_contract_at is not None and self.last_contract_at <= end:
            moments.append(self.last_contract_at)
        last = max(moments, default=None)
        quiet_for = None if last is None else elapsed(last, end)
        at_risk = (
            self.phase_at(end) is _S
            and quiet_for is not None
            and quiet_for >= _dt.timedelta(days=quiet_days)
        )
        return ChurnRisk(
            at_risk=at_risk, last_activity=last, quiet_for=quiet_for, quiet_days=quiet_days
        )

    # Commands ---------------------------------------------------------------

    def _when(self, at: object) -> pendulum.DateTime:
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        return instant

    def _check(self, command: str, target: LifecyclePhase) -> None:
        for transition in LIFECYCLE_TRANSITIONS:
            if (
                transition.source is self.phase
                and transition.target is target
                and transition.command == command
            ):
                return
        allowed = allowed_targets(self.phase)
        hint = " (win the customer back first)" if self.phase is _L else ""
        if command == "lose" and self.open_contracts:
            hint = " (cancel or fulfil its open contracts first)"
        raise InvalidTransitionError(
            f"customer {self.customer_id!r} cannot move from {self.phase.name} to {target.name} "
            f"by {command}{hint}; allowed from {self.phase.name}: "
            + (", ".join(p.name for p in allowed) or "none"),
            current=self.phase.name,
            requested=target.name,
            allowed=tuple(p.name for p in allowed),
        )

    def _moved(
        self,
        target: LifecyclePhase,
        at: pendulum.DateTime,
        reason: str,
        events: list[DomainEvent],
        **changes: Any,
    ) -> Self:
        if target is not self.phase:
            events.append(
                CustomerPhaseChanged(
                    occurred_at=at,
                    customer_id=self.customer_id,
                    previous=self.phase,
                    current=target,
                    reason=reason,
                )
            )
            changes["phase"] = target
            changes["phase_history"] = (*self.phase_history, PhaseChange(target, at, reason))
        return self._recorded(*events, changed_at=at, **changes)

    def check_can_sign(self) -> None:
        """Raise unless a contract could be signed now (the table allows
        ``enter_contract``: the customer is not LOST).

        Raises:
            InvalidTransitionError: the customer is LOST (win it back first).
        """
        self._check("enter_contract", _C)

    def enter_contract(self, *, at: _dt.datetime, contract_id: str) -> Self:
        """A contract was signed: it joins the open contracts; from ACQUISITION or
        AFTER_SALES the customer moves to CONTRACT.

        Raises:
            InvalidTransitionError: the customer is LOST (win it back first).
            ValidationError: a bad id, a contract already open, or a bad time.
        """
        instant = self._when(at)
        check_id(contract_id, "contract_id")
        self._check("enter_contract", _C)
        if contract_id in self.open_contracts:
            raise ValidationError(
                "contract_id",
                f"{contract_id!r} is already an open contract",
                allowed="a new contract id",
            )
        entered = CustomerContractEntered(
            occurred_at=instant, customer_id=self.customer_id, contract_id=contract_id
        )
        return self._moved(
            _C,
            instant,
            "contract signed",
            [entered],
            open_contracts=(*self.open_contracts, contract_id),
            last_contract_at=instant,
        )

    def end_contract(self, *, at: _dt.datetime, contract_id: str, fulfilled: bool) -> Self:
        """An open contract ended, fulfilled or cancelled. When it was the last
        one, the customer moves to AFTER_SALES if any contract was ever
        fulfilled, else back to ACQUISITION.

        Raises:
            ValidationError: ``contract_id`` is not an open contract, or a bad time.
        """
        instant = self._when(at)
        if type(fulfilled) is not bool:
            raise ValidationError("fulfilled", "must be True or False", allowed="a bool")
        if contract_id not in self.open_contracts:
            raise ValidationError(
                "contract_id",
                "is not one of the customer's open contracts",
                allowed=", ".join(self.open_contracts) or "no contract is open",
            )
        remaining = tuple(c for c in self.open_contracts if c != contract_id)
        ever = self.ever_fulfilled or fulfilled
        target = _C if remaining else (_S if ever else _A)
        if target is not _C:
            self._check("end_contract", target)
        ended = CustomerContractEnded(
            occurred_at=instant,
            customer_id=self.customer_id,
            contract_id=contract_id,
            fulfilled=fulfilled,
        )
        reason = "last open contract fulfilled" if fulfilled else "last open contract cancelled"
        if target is _S and not fulfilled:
            reason = "last open contract cancelled; an earlier one was fulfilled"
        return self._moved(
            target, instant, reason, [ended], open_contracts=remaining, ever_fulfilled=ever
        )

    def lose(self, *, at: _dt.datetime, reason: str) -> Self:
        """The prospect is disqualified or the customer churns (phase LOST).

        Raises:
            InvalidTransitionError: the customer has open contracts, or is LOST.
            ValidationError: a blank reason or a bad time.
        """
        instant = self._when(at)
        check_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        self._check("lose", _L)
        return self._moved(_L, instant, reason, [])

    def win_back(self, *, at: _dt.datetime) -> Self:
        """Work a lost customer again (back to ACQUISITION).

        Raises:
            InvalidTransitionError: the customer is not LOST.
        """
        instant = self._when(at)
        self._check("win_back", _A)
        return self._moved(_A, instant, "win-back", [])

    def rename(self, name: str, *, at: _dt.datetime) -> Self:
        """Change the name (does not change the phase)."""
        instant = self._when(at)
        new_name = check_name(name)
        event = CustomerRenamed(occurred_at=instant, customer_id=self.customer_id, name=new_name)
        return self._recorded(event, name=new_name, changed_at=instant)

    def update_profile(self, profile: Profile, *, at: _dt.datetime) -> Self:
        """Replace the whole profile."""
        instant = self._when(at)
        new_profile = profile_or_empty(profile)
        event = CustomerProfileUpdated(
            occurred_at=instant, customer_id=self.customer_id, profile=new_profile
        )
        return self._recorded(event, profile=new_profile, changed_at=instant)

    def log_interaction(self, interaction: Interaction) -> Self:
        """Record a contact. Interactions may be logged after the fact: their
        time is not checked against the last change, and they are kept in
        time order (equal times in the order logged)."""
        if not isinstance(interaction, Interaction):
            raise ValidationError(
                "interaction",
                f"must be an Interaction, not {type(interaction).__name__}",
                allowed="an Interaction",
            )
        position = len(self.interactions)
        while position and self.interactions[position - 1].at > interaction.at:
            position -= 1
        interactions = (*self.interactions[:position], interaction, *self.interactions[position:])
        event = InteractionLogged(
            occurred_at=interaction.at, customer_id=self.customer_id, interaction=interaction
        )
        return self._recorded(
            event, interactions=interactions, changed_at=max(self.changed_at, interaction.at)
        )


# The lifecycle table, the profile, channels and interactions live in their own
# modules; these names stay importable from here.
from crmcore.domain.channels import Channel as Channel  # noqa: E402
from crmcore.domain.channels import Direction as Direction  # noqa: E402
from crmcore.domain.interactions import MAX_SUBJECT_LENGTH as MAX_SUBJECT_LENGTH  # noqa: E402
from crmcore.domain.lifecycle import Transition as Transition  # noqa: E402
from crmcore.domain.profile import CustomerType as CustomerType  # noqa: E402
from crmcore.domain.profile import Industry as Industry  # noqa: E402
from crmcore.domain.profile import Occupation as Occupation  # noqa: E402
