"""Commands: every use case as a frozen, validated value.

A command names what should happen, in the imperative (`RegisterProspect`,
`WinOpportunity`, ...), and holds its arguments. It is checked when it is
built: a bad field raises `ValidationError` naming the field, before any
storage is touched. `crmcore.services.handle` (or `Session.handle`) carries it
out in one unit of work. Commands compare by value, round-trip through the
converter (`crmcore.adapters.converters`), and have Hypothesis strategies
(`crmcore.testing.strategies.commands`).

Free text (names, reasons, subjects, notes, titles) is kept out of ``repr``.
"""

import datetime as _dt
from fractions import Fraction
from typing import Any, Generic, TypeVar

import attrs
import pendulum

from crmcore.domain.campaigns import (
    DEFAULT_STATUSES,
    StatusSet,
    campaign_period,
    check_rate,
)
from crmcore.domain.commissions import CommissionPlan
from crmcore.domain.complaints import (
    MAX_NOTE_LENGTH,
    MAX_SUBJECT_LENGTH,
    ComplainantType,
    ComplaintLevel,
    ComplaintStep,
)
from crmcore.domain.customers import (
    MAX_REASON_LENGTH,
    Channel,
    Direction,
    Profile,
    check_name,
)
from crmcore.domain.fields import (
    bound_converter,
    calendar_date,
    checked_field,
    choice,
    flag,
    identifier,
    instances_of,
    instant,
    items_of,
    of_type,
    text,
    whole,
)
from crmcore.domain.ids import check_id
from crmcore.domain.kinds import RecordKind
from crmcore.domain.money import Money, non_negative_money, positive_money
from crmcore.domain.opportunities import MAX_TITLE_LENGTH
from crmcore.domain.periods import Period, check_period
from crmcore.domain.pipeline import DEFAULT_PIPELINE, Pipeline
from crmcore.domain.quotas import check_target
from crmcore.domain.territories import AssignmentRule
from crmcore.errors import ValidationError

__all__ = [
    "COMMANDS",
    "AbortCampaign",
    "ActivateCampaign",
    "AddCampaignMembers",
    "AdvanceComplaint",
    "Approve",
    "AssignTerritory",
    "CancelContract",
    "CloseComplaint",
    "Command",
    "CompensateComplaint",
    "CompleteCampaign",
    "CreateTerritory",
    "DefineCommissionPlan",
    "FileComplaint",
    "LogInteraction",
    "LoseCustomer",
    "LoseOpportunity",
    "MoveOpportunity",
    "MoveTerritory",
    "OpenOpportunity",
    "PlanCampaign",
    "Reassign",
    "RecordCampaignCost",
    "RecordDelivery",
    "RecordPayment",
    "RefundPayment",
    "RegisterProspect",
    "Reject",
    "RenameTerritory",
    "RenewServiceContract",
    "ReopenOpportunity",
    "ReplaceQuota",
    "RequestApproval",
    "SetCampaignMemberStatus",
    "SetOpportunityCampaign",
    "SetQuota",
    "SetTerritoryRules",
    "StartServiceContract",
    "UpdateProfile",
    "WinBackCustomer",
    "WinOpportunity",
    "bind_field_names",
]


def _money(*, positive: bool) -> Any:
    return checked_field(positive_money if positive else non_negative_money, False)


def _reason() -> Any:
    return text(max_length=MAX_REASON_LENGTH)


def _note(value: object, field: str) -> str:
    if type(value) is not str or len(value) > MAX_NOTE_LENGTH:
        raise ValidationError(
            field, "must be a string of at most 2000 characters", allowed="a note (may be empty)"
        )
    return value


def _response_target(value: object, field: str) -> _dt.timedelta:
    if not isinstance(value, _dt.timedelta) or value <= _dt.timedelta(0):
        raise ValidationError(
            field, "must be a positive duration", allowed="a timedelta greater than zero"
        )
    return value


def _stage(value: object, field: str) -> str:
    if type(value) is not str or not value.strip() or len(value) > 100:
        raise ValidationError(
            field, "must be a stage name", allowed="the name of a stage of the pipeline"
        )
    return value


def bind_field_names(cls: type, fields: list[Any]) -> list[Any]:
    """An attrs ``field_transformer`` for command classes: each field made by
    a `crmcore.domain.fields` helper gets its check with the field's name
    bound (`crmcore.domain.fields.bound_converter`) instead of a converter
    that attrs passes the field to on every call: the same checks, one
    Python call less per field each time a command is built.

    Raises:
        ValidationError: not a class and a list of attrs attributes (what
            attrs passes to a ``field_transformer``).
    """
    if not isinstance(cls, type):
        raise ValidationError(
            "cls", f"must be a class, not {type(cls).__name__}", allowed="the class attrs is making"
        )
    if not isinstance(fields, list | tuple) or not all(
        isinstance(field, attrs.Attribute) for field in fields
    ):
        raise ValidationError(
            "fields",
            "must be a list of attrs attributes",
            allowed="the fields attrs passes to a field_transformer",
        )
    bound = []
    for field in fields:
        converter = bound_converter(field.converter, field.name)
        bound.append(field if converter is None else field.evolve(converter=converter))
    return bound


R = TypeVar("R", str, None)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class Command(Generic[R]):
    """Base of the commands: ``at`` is when it happens (an aware datetime, kept in UTC).

    ``Command[str]`` commands create a record and `handle` returns its id
    (`WinOpportunity` returns the new contract's id); ``Command[None]`` ones
    return nothing.
    """

    at: pendulum.DateTime = instant()


# Customers ------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RegisterProspect(Command[str]):
    """Register a new prospect (phase ACQUISITION); `handle` returns its id.

    With an actor and no ``owner``, the actor owns it; with no ``team``, it
    goes to the actor's only team (an actor in several teams must name one).
    """

    name: str = attrs.field(converter=check_name, repr=False)
    profile: Profile | None = of_type(Profile, optional=True)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class UpdateProfile(Command[None]):
    """Replace a customer's profile."""

    customer_id: str = identifier()
    profile: Profile = of_type(Profile, repr=False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class LogInteraction(Command[None]):
    """Record a contact with the customer (may be logged after the fact)."""

    customer_id: str = identifier()
    channel: Channel | str = choice(Channel)
    direction: Direction | str = choice(Direction)
    subject: str = text(max_length=MAX_SUBJECT_LENGTH)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class LoseCustomer(Command[None]):
    """Disqualify a prospect or record a churned customer (phase LOST)."""

    customer_id: str = identifier()
    reason: str = _reason()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class WinBackCustomer(Command[None]):
    """Work a lost customer again (back to ACQUISITION)."""

    customer_id: str = identifier()


# Opportunities ----------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class OpenOpportunity(Command[str]):
    """Open an opportunity for a customer that is not LOST; `handle` returns its id.

    With an actor, the actor must be allowed to read the customer and to
    create the opportunity.
    """

    customer_id: str = identifier()
    title: str = text(max_length=MAX_TITLE_LENGTH)
    amount: Money = _money(positive=False)
    pipeline: Pipeline = of_type(Pipeline, default=DEFAULT_PIPELINE, repr=False)
    expected_close: pendulum.Date | None = calendar_date(optional=True)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)
    campaign_id: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class SetOpportunityCampaign(Command[None]):
    """Change the campaign that sourced an opportunity (``None``: none); the
    actor must be allowed to read the campaign."""

    opportunity_id: str = identifier()
    campaign_id: str | None = identifier(optional=True, default=attrs.NOTHING)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class MoveOpportunity(Command[None]):
    """Move an open opportunity to another open stage."""

    opportunity_id: str = identifier()
    stage: str = checked_field(_stage, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class WinOpportunity(Command[str]):
    """Win an opportunity, sign a contract for its amount and enter it on the
    customer, in one commit; `handle` returns the contract id.

    The contract gets the opportunity's owner, team and territory, and the
    deal's ``margin`` if given (Money of zero up to the amount, in its
    currency: what a commission plan on margins pays on). With an actor, the
    actor must be allowed to close the opportunity, update the customer and
    create the contract.
    """

    opportunity_id: str = identifier()
    margin: Money | None = checked_field(non_negative_money, True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class LoseOpportunity(Command[None]):
    """Record a failed sale."""

    opportunity_id: str = identifier()
    reason: str = _reason()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class ReopenOpportunity(Command[None]):
    """Work a lost opportunity again (back to its last open stage); the customer
    must not be LOST."""

    opportunity_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RequestApproval(Command[None]):
    """Ask for approval to move an opportunity into a gated stage (action
    ``update``; needs an actor: requests are made by a person)."""

    opportunity_id: str = identifier()
    stage: str = checked_field(_stage, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class Approve(Command[None]):
    """Approve the pending request (action ``approve``; needs an actor, never the requester)."""

    opportunity_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class Reject(Command[None]):
    """Reject the pending request, with a reason (action ``approve``; needs an actor)."""

    opportunity_id: str = identifier()
    reason: str = _reason()


# Contracts --------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RecordDelivery(Command[None]):
    """Record a delivery; a contract it fulfils ends on the customer in the same
    commit (then the actor must be allowed to update the customer too)."""

    contract_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RecordPayment(Command[None]):
    """Record a payment; a contract it fulfils ends on the customer in the same commit."""

    contract_id: str = identifier()
    amount: Money = _money(positive=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RefundPayment(Command[None]):
    """Pay money back to the customer (a contract in any state; see `Contract.refund`)."""

    contract_id: str = identifier()
    amount: Money = _money(positive=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class CancelContract(Command[None]):
    """Cancel a contract that is not fulfilled; it ends on the customer (not fulfilled)."""

    contract_id: str = identifier()
    reason: str = _reason()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class StartServiceContract(Command[str]):
    """Start a service contract for an existing customer; `handle` returns its id."""

    customer_id: str = identifier()
    starts: pendulum.Date = calendar_date()
    term_months: int = whole(1, 1200)
    auto_renew: bool = flag()
    notice_days: int = whole(0, 3650)
    price: Money = _money(positive=True)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RenewServiceContract(Command[None]):
    """Move a service contract to its next term (the customer's phase is unchanged)."""

    service_contract_id: str = identifier()


# Complaints ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class FileComplaint(Command[str]):
    """File a complaint for an existing customer; `handle` returns its id."""

    customer_id: str = identifier()
    channel: Channel | str = choice(Channel)
    level: ComplaintLevel | str = choice(ComplaintLevel)
    complainant_type: ComplainantType | str = choice(ComplainantType)
    subject: str = text(max_length=MAX_SUBJECT_LENGTH)
    response_target: _dt.timedelta | None = checked_field(_response_target, True)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class AdvanceComplaint(Command[None]):
    """Move a complaint to its next handling step."""

    complaint_id: str = identifier()
    step: ComplaintStep | str = choice(ComplaintStep)
    note: str = checked_field(_note, False, default="", repr=False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class CompensateComplaint(Command[None]):
    """Grant compensation on an open complaint."""

    complaint_id: str = identifier()
    amount: Money = _money(positive=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class CloseComplaint(Command[None]):
    """Thank the customer and close the complaint (satisfaction 1 to 5)."""

    complaint_id: str = identifier()
    satisfaction: int = whole(1, 5)


# Campaigns ------------------------------------------------------------------------------


def _status_name(value: object, field: str) -> str:
    if type(value) is not str or not value.strip() or len(value) > 50:
        raise ValidationError(field, "must be a status name", allowed="a status of the campaign")
    return value


def _customer_ids(value: object, field: str) -> tuple[str, ...]:
    found = tuple(check_id(c, field) for c in items_of(value, field, "customer ids"))
    if not found:
        raise ValidationError(field, "is empty", allowed="one or more customer ids")
    return found


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class PlanCampaign(Command[str]):
    """Plan a campaign; `handle` returns its id.

    ``period`` is a (first day, last day) pair; a `Period` is accepted too and
    kept as its pair. ``expected_response`` is kept as a `Fraction` (a
    Decimal, int or numeric string is accepted and converted).
    """

    name: str = attrs.field(converter=check_name, repr=False)
    channel: Channel | str = choice(Channel)
    period: tuple[pendulum.Date, pendulum.Date] = checked_field(campaign_period, False)
    budget: Money = _money(positive=False)
    expected_response: Fraction | None = checked_field(check_rate, True)
    expected_revenue: Money | None = checked_field(non_negative_money, True)
    statuses: StatusSet = of_type(StatusSet, default=DEFAULT_STATUSES, repr=False)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class ActivateCampaign(Command[None]):
    """Start running a planned campaign."""

    campaign_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class CompleteCampaign(Command[None]):
    """Mark an active campaign as run (action ``close``)."""

    campaign_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class AbortCampaign(Command[None]):
    """Stop a planned or active campaign (action ``close``)."""

    campaign_id: str = identifier()


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class AddCampaignMembers(Command[None]):
    """Put customers on a campaign's list; the actor must be allowed to read each."""

    campaign_id: str = identifier()
    customer_ids: tuple[str, ...] = checked_field(_customer_ids, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class SetCampaignMemberStatus(Command[None]):
    """Set a member's status (an active campaign; see `Campaign.set_member_status`)."""

    campaign_id: str = identifier()
    customer_id: str = identifier()
    status: str = checked_field(_status_name, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RecordCampaignCost(Command[None]):
    """Book a cost on a campaign, in the budget's currency (in any status)."""

    campaign_id: str = identifier()
    amount: Money = _money(positive=True)


# Sales management: territories, quotas, commission plans ------------------------------


def _rules(value: object, field: str) -> tuple[AssignmentRule, ...]:
    return instances_of(AssignmentRule, value, field, "AssignmentRule values")


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class CreateTerritory(Command[str]):
    """Create a territory (under ``parent_id``, or as a root); `handle` returns its id.

    ``team`` is the owner team (with an actor and none given, the actor's
    only team); the parent must exist and be readable by the actor.
    """

    name: str = attrs.field(converter=check_name, repr=False)
    parent_id: str | None = identifier(optional=True)
    rules: tuple[AssignmentRule, ...] = checked_field(_rules, False, default=())
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class RenameTerritory(Command[None]):
    """Give a territory another name."""

    territory_id: str = identifier()
    name: str = attrs.field(converter=check_name, repr=False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class MoveTerritory(Command[None]):
    """Put a territory under another parent (``None``: make it a root); a
    parent among its own descendants is refused (the tree has no cycles)."""

    territory_id: str = identifier()
    parent_id: str | None = identifier(optional=True, default=attrs.NOTHING)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class SetTerritoryRules(Command[None]):
    """Replace a territory's assignment rules."""

    territory_id: str = identifier()
    rules: tuple[AssignmentRule, ...] = checked_field(_rules, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class AssignTerritory(Command[None]):
    """Put a customer, and every record opened for it, in a territory
    (``None``: in none). The policy must allow ``reassign`` on each of them."""

    customer_id: str = identifier()
    territory_id: str | None = identifier(optional=True, default=attrs.NOTHING)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class SetQuota(Command[str]):
    """Set a quota for a user (``owner``, with their ``team``), a territory
    or a team; `handle` returns its id. A second quota for the same user,
    team or territory and period is refused: replace the first
    (`ReplaceQuota`)."""

    target: Money | int = checked_field(check_target, False)
    period: Period = checked_field(check_period, False)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)
    territory: str | None = identifier(optional=True)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class ReplaceQuota(Command[None]):
    """Replace a quota's target (of the same kind and currency)."""

    quota_id: str = identifier()
    target: Money | int = checked_field(check_target, False)


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class DefineCommissionPlan(Command[str]):
    """Keep a commission plan, named, for a team; `handle` returns its id."""

    name: str = attrs.field(converter=check_name, repr=False)
    plan: CommissionPlan = of_type(CommissionPlan)
    owner: str | None = identifier(optional=True)
    team: str | None = identifier(optional=True)


# Ownership ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=bind_field_names)
class Reassign(Command[None]):
    """Give a record another owner and/or team (``None`` unassigns).

    With an actor, the policy must allow ``reassign`` both on the record as
    it is and as it would be: a manager moves records within their teams,
    never out of them (an admin may).
    """

    kind: RecordKind | str = choice(RecordKind)
    record_id: str = identifier()
    owner: str | None = identifier(optional=True, default=attrs.NOTHING)
    team: str | None = identifier(optional=True, default=attrs.NOTHING)


COMMANDS: tuple[type[Command[Any]], ...] = (
    RegisterProspect,
    UpdateProfile,
    LogInteraction,
    LoseCustomer,
    WinBackCustomer,
    OpenOpportunity,
    MoveOpportunity,
    WinOpportunity,
    LoseOpportunity,
    ReopenOpportunity,
    RequestApproval,
    Approve,
    Reject,
    Reassign,
    RecordDelivery,
    RecordPayment,
    CancelContract,
    StartServiceContract,
    RenewServiceContract,
    FileComplaint,
    AdvanceComplaint,
    CompensateComplaint,
    CloseComplaint,
    SetOpportunityCampaign,
    PlanCampaign,
    ActivateCampaign,
    AddCampaignMembers,
    SetCampaignMemberStatus,
    RecordCampaignCost,
    CompleteCampaign,
    AbortCampaign,
    RefundPayment,
    CreateTerritory,
    RenameTerritory,
    MoveTerritory,
    SetTerritoryRules,
    AssignTerritory,
    SetQuota,
    ReplaceQuota,
    DefineCommissionPlan,
)
"""Every command class, in the order of the use cases."""
