"""Opportunities: a possible sale moving through the stages of a pipeline."""

import datetime as _dt
import itertools
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    Choice,
    check_text,
    checked_field,
    identifier,
    instant,
    member,
    text,
    validates,
)
from crmcore.domain.ids import check_id, check_optional_id
from crmcore.domain.money import Money
from crmcore.domain.ownership import Owned
from crmcore.domain.pipeline import (
    DEFAULT_PIPELINE,
    Pipeline,
    Stage,
    StageKind,
    check_probability,
    stage_named,
)
from crmcore.domain.times import elapsed, not_before, to_date, to_utc
from crmcore.errors import (
    CurrencyMismatchError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)

MAX_TITLE_LENGTH = 200
MAX_REASON_LENGTH = 500


@attrs.frozen
class StageVisit:
    """One stay of an opportunity in a stage: ``[entered_at, left_at)``.

    ``left_at`` is ``None`` for the current visit.
    """

    stage_name: str
    entered_at: pendulum.DateTime = instant()
    left_at: pendulum.DateTime | None = instant(optional=True)


class ApprovalStatus(Choice):
    """Where an approval request stands; a rejected request is gone."""

    PENDING = "pending"
    APPROVED = "approved"


def _to_status(value: object) -> ApprovalStatus:
    return member(ApprovalStatus, value, "status")


@attrs.frozen(kw_only=True)
class ApprovalRequest:
    """A request to enter a gated stage: pending, then approved (or rejected and gone).

    An approved request is used up by the move it allows; any other stage
    change clears it.
    """

    stage_name: str
    requested_by: str = identifier()
    requested_at: pendulum.DateTime = instant()
    status: ApprovalStatus = attrs.field(default=ApprovalStatus.PENDING, converter=_to_status)
    decided_by: str | None = identifier(optional=True)
    decided_at: pendulum.DateTime | None = instant(optional=True)

    def __attrs_post_init__(self) -> None:
        approved = self.status is ApprovalStatus.APPROVED
        if approved != (self.decided_by is not None) or approved != (self.decided_at is not None):
            raise ValidationError(
                "decided_by",
                "must be given exactly when the request is approved",
                allowed="the approver's id and time for an approved request, None otherwise",
            )
        if self.decided_by is not None and self.decided_by == self.requested_by:
            raise ValidationError(
                "decided_by", "is the requester", allowed="someone other than the requester"
            )
        if self.decided_at is not None and self.decided_at < self.requested_at:
            raise ValidationError(
                "decided_at", "is before the request", allowed="the request's time or later"
            )

    @property
    def is_pending(self) -> bool:
        """Whether the request waits for a decision."""
        return self.status is ApprovalStatus.PENDING

    @property
    def is_approved(self) -> bool:
        """Whether the request was approved (and not yet used)."""
        return self.status is ApprovalStatus.APPROVED


# Events -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OpportunityOpened(DomainEvent):
    """An opportunity was opened in the first open stage of its pipeline."""

    opportunity_id: str
    customer_id: str
    stage: str
    amount: Money


@attrs.frozen(kw_only=True)
class OpportunityCampaignChanged(DomainEvent):
    """The campaign that sourced an opportunity changed (``None``: no campaign)."""

    opportunity_id: str
    previous: str | None
    current: str | None


@attrs.frozen(kw_only=True)
class OpportunityStageChanged(DomainEvent):
    """An open opportunity moved to another open stage."""

    opportunity_id: str
    previous: str
    current: str


@attrs.frozen(kw_only=True)
class OpportunityWon(DomainEvent):
    """The order was received: the opportunity entered the won stage."""

    opportunity_id: str
    customer_id: str
    amount: Money
    previous: str


@attrs.frozen(kw_only=True)
class OpportunityLost(DomainEvent):
    """The sale failed: the opportunity entered the lost stage."""

    opportunity_id: str
    reason: str = attrs.field(repr=False)  # free text
    previous: str


@attrs.frozen(kw_only=True)
class OpportunityReopened(DomainEvent):
    """A lost opportunity went back to its last open stage."""

    opportunity_id: str
    stage: str


@attrs.frozen(kw_only=True)
class OpportunityProbabilityOverridden(DomainEvent):
    """The win probability was set by hand, until the next stage change."""

    opportunity_id: str
    probability: Decimal


@attrs.frozen(kw_only=True)
class OpportunityAmountChanged(DomainEvent):
    """The amount of an open opportunity changed."""

    opportunity_id: str
    previous: Money
    current: Money


@attrs.frozen(kw_only=True)
class OpportunityCloseDateChanged(DomainEvent):
    """The expected close date of an open opportunity changed."""

    opportunity_id: str
    previous: pendulum.Date | None
    current: pendulum.Date


@attrs.frozen(kw_only=True)
class ApprovalRequested(DomainEvent):
    """Someone asked for approval to enter a gated stage."""

    opportunity_id: str
    stage: str
    requested_by: str


@attrs.frozen(kw_only=True)
class ApprovalGranted(DomainEvent):
    """The pending request was approved; the next move into its stage may happen."""

    opportunity_id: str
    stage: str
    requested_by: str
    approved_by: str


@attrs.frozen(kw_only=True)
class ApprovalRejected(DomainEvent):
    """The pending request was rejected (the reason is free text, kept out of ``repr``)."""

    opportunity_id: str
    stage: str
    requested_by: str
    rejected_by: str
    reason: str = attrs.field(repr=False)


# The aggregate ------------------------------------------------------------


def _check_approval_type(value: object, field: str) -> None:
    if value is not None and not isinstance(value, ApprovalRequest):
        raise ValidationError(
            field,
            f"must be an ApprovalRequest or None, not {type(value).__name__}",
            allowed="an ApprovalRequest or None",
        )


def _check_pipeline(value: object, field: str) -> None:
    if not isinstance(value, Pipeline):
        raise ValidationError(
            field, f"must be a Pipeline, not {type(value).__name__}", allowed="a Pipeline"
        )


def _check_amount(value: object, field: str = "amount") -> Money:
    if not isinstance(value, Money):
        raise ValidationError(
            field, f"must be Money, not {type(value).__name__}", allowed="Money of zero or more"
        )
    if value.is_negative():
        raise ValidationError(field, "must not be negative", allowed="Money of zero or more")
    return value


def _to_history(value: object) -> tuple[StageVisit, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            "history", "must be a sequence of StageVisit", allowed="StageVisit values"
        )
    return tuple(value)


def _to_close_date(value: object) -> pendulum.Date | None:
    return None if value is None else to_date(value, "expected_close")


@attrs.frozen(kw_only=True, repr=False)
class Opportunity(Owned):
    """A possible sale, in one stage of a pipeline at a time.

    Build one with `Opportunity.open`; every command returns a new
    opportunity and records an event, and a rejected command raises and
    changes nothing. Won and lost are derived from the stage. The title is
    free text and is kept out of ``repr``.

    The constructor validates every field and the consistency of the
    history, so values rebuilt from storage are checked too.
    """

    opportunity_id: str = identifier()
    customer_id: str = identifier()
    title: str = text(max_length=MAX_TITLE_LENGTH, repr=True)
    amount: Money = checked_field(_check_amount, False)
    pipeline: Pipeline = attrs.field(validator=validates(_check_pipeline))
    stage_name: str
    history: tuple[StageVisit, ...] = attrs.field(converter=_to_history)
    changed_at: pendulum.DateTime = instant()
    expected_close: pendulum.Date | None = attrs.field(
        default=None,
        converter=_to_close_date,
    )
    probability_override: Decimal | None = attrs.field(
        default=None, converter=attrs.converters.optional(check_probability)
    )
    lost_reason: str | None = attrs.field(default=None, repr=False)  # free text
    close_date_pushes: int = 0
    approval: ApprovalRequest | None = attrs.field(
        default=None, validator=validates(_check_approval_type)
    )
    campaign_id: str | None = identifier(optional=True)

    def __attrs_post_init__(self) -> None:
        stage = stage_named(self.pipeline, self.stage_name, "stage_name")
        _check_history(self.history, self.pipeline, self.stage_name, self.changed_at)
        if (self.lost_reason is not None) != (stage.kind is StageKind.LOST):
            raise ValidationError(
                "lost_reason",
                "must be given exactly when the opportunity is lost",
                allowed="a reason for a lost opportunity, None otherwise",
            )
        if self.lost_reason is not None:
            check_text(self.lost_reason, "lost_reason", max_length=MAX_REASON_LENGTH)
        if self.probability_override is not None and not stage.is_open:
            raise ValidationError(
                "probability_override", "is only allowed on an open opportunity", allowed="None"
            )
        if type(self.close_date_pushes) is not int or self.close_date_pushes < 0:
            raise ValidationError(
                "close_date_pushes", "must be a count", allowed="an int of 0 or more"
            )
        if self.approval is not None:
            self._check_approval(self.approval)

    def _check_approval(self, approval: ApprovalRequest) -> None:
        allowed = (
            "None, or a request made since the last stage change for another stage that "
            "requires approval, while the opportunity is open"
        )
        target = stage_named(self.pipeline, approval.stage_name, "approval")
        if not self.is_open or not target.requires_approval or target.name == self.stage_name:
            raise ValidationError(
                "approval", "is not a request this opportunity can hold", allowed=allowed
            )
        last = approval.requested_at if approval.decided_at is None else approval.decided_at
        if approval.requested_at < self.history[-1].entered_at or last > self.changed_at:
            raise ValidationError("approval", "is outside the current stage visit", allowed=allowed)

    def __repr__(self) -> str:
        return (
            f"Opportunity(opportunity_id={self.opportunity_id!r}, "
            f"customer_id={self.customer_id!r}, stage={self.stage_name!r}, "
            f"amount={self.amount!r})"
        )

    # Construction ---------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        opportunity_id: str,
        customer_id: str,
        title: str,
        amount: Money,
        at: _dt.datetime,
        pipeline: Pipeline = DEFAULT_PIPELINE,
        expected_close: _dt.date | None = None,
        owner: str | None = None,
        team: str | None = None,
        campaign_id: str | None = None,
    ) -> Self:
        """Open an opportunity in the first open stage of ``pipeline``.

        Args:
            opportunity_id: the new opportunity's id.
            customer_id: the customer (or prospect) it is for.
            title: a short description (1 to 200 characters).
            amount: the expected order value; zero is allowed, negative is not.
            at: when it was opened (an aware datetime).
            pipeline: the stages it moves through; shared, never copied.
            expected_close: when the sale is expected to close.
            owner: the user id it belongs to (``None``: unassigned).
            team: the team id it belongs to (``None``: unassigned).
            campaign_id: the campaign that sourced it (its primary source), if any.

        Raises:
            ValidationError: any argument is invalid, or the pipeline's first
                open stage requires approval (an opportunity would enter a gated
                stage with no approval: such a pipeline cannot open opportunities).
        """
        instant = to_utc(at)
        first = pipeline.first_open.name if isinstance(pipeline, Pipeline) else ""
        if isinstance(pipeline, Pipeline) and pipeline.first_open.requires_approval:
            raise ValidationError(
                "pipeline",
                f"its first open stage {first!r} requires approval, so no opportunity can "
                "open in it",
                allowed="a pipeline whose first open stage needs no approval",
            )
        # the event is built before the checks; a rejected opportunity discards it
        event = OpportunityOpened(
            occurred_at=instant,
            opportunity_id=opportunity_id,
            customer_id=customer_id,
            stage=first,
            amount=amount,
        )
        return cls(
            owner=owner,
            team=team,
            opportunity_id=opportunity_id,
            customer_id=customer_id,
            title=title,
            amount=amount,
            pipeline=pipeline,
            stage_name=first,
            history=(StageVisit(first, instant),),
            changed_at=instant,
            expected_close=expected_close,
            campaign_id=campaign_id,
            pending_events=(event,),
        )

    # Queries --------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        """The current stage."""
        return self.pipeline.stage(self.stage_name)

    @property
    def probability(self) -> Decimal:
        """The win probability: the override if one is set, else the stage's."""
        if self.probability_override is not None:
            return self.probability_override
        return self.stage.probability

    @property
    def is_open(self) -> bool:
        """Whether the opportunity is in an open stage."""
        return self.stage.kind is StageKind.OPEN

    @property
    def is_won(self) -> bool:
        """Whether the order was received."""
        return self.stage.kind is StageKind.WON

    @property
    def is_lost(self) -> bool:
        """Whether the sale failed."""
        return self.stage.kind is StageKind.LOST

    @property
    def expected_value(self) -> Money:
        """Amount times probability (exact unless it needs more than 18
        fractional digits; then rounded once, see `Money.from_exact`)."""
        return Money.from_exact(
            Fraction(self.amount.amount) * Fraction(self.probability), self.amount.currency
        )

    @property
    def opened_at(self) -> pendulum.DateTime:
        """When the opportunity was opened."""
        return self.history[0].entered_at

    @property
    def closed_at(self) -> pendulum.DateTime | None:
        """When it was won or lost; ``None`` while open."""
        return None if self.is_open else self.history[-1].entered_at

    @property
    def last_open_stage(self) -> str:
        """The open stage it is in, or was in when it closed."""
        return self.stage_name if self.is_open else self.history[-2].stage_name

    def stage_at(self, when: _dt.datetime) -> Stage | None:
        """The stage the opportunity was in at ``when`` (``None`` before it was opened).

        At an instant with several changes, the last one counts.
        """
        instant = to_utc(when, "when")
        current = None
        for visit in self.history:
            if visit.entered_at > instant:
                break
            current = visit
        return None if current is None else self.pipeline.stage(current.stage_name)

    def time_in_stages(self, *, as_of: _dt.datetime) -> dict[str, _dt.timedelta]:
        """Total time spent in each stage up to ``as_of``, summed over visits.

        Stages never visited before ``as_of`` are absent; the times add up to
        ``as_of - opened_at`` (zero if ``as_of`` is before the opening).
        """
        end = to_utc(as_of, "as_of")
        totals: dict[str, _dt.timedelta] = {}
        for visit in self.history:
            if visit.entered_at > end:
                break
            left = end if visit.left_at is None or visit.left_at > end else visit.left_at
            totals[visit.stage_name] = totals.get(visit.stage_name, _dt.timedelta()) + elapsed(
                visit.entered_at, left
            )
        return totals

    # Commands -------------------------------------------------------------

    def _when(self, at: object, command: str, *, open_only: bool = True) -> pendulum.DateTime:
        if open_only and not self.is_open:
            state = "won" if self.is_won else "lost"
            allowed = ("reopen",) if self.is_lost else ()
            raise InvalidTransitionError(
                f"opportunity {self.opportunity_id!r} is {state}; {command} is not allowed"
                + ("; reopen it first" if self.is_lost else "; a won opportunity is final"),
                current=state,
                requested=command,
                allowed=allowed,
            )
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        return instant

    def _enter(
        self,
        stage: Stage,
        at: pendulum.DateTime,
        event: DomainEvent,
        *,
        gated: bool = True,
        **changes: Any,
    ) -> Self:
        if gated and stage.requires_approval:
            approval = self.approval
            if approval is None or not approval.is_approved or approval.stage_name != stage.name:
                raise InvalidTransitionError(
                    f"opportunity {self.opportunity_id!r}: entering {stage.name!r} requires "
                    f"approval; call request_approval({stage.name!r}) and have someone else "
                    "approve it first",
                    current=self.stage_name,
                    requested=stage.name,
                    allowed=("request_approval",),
                )
        last = self.history[-1]
        history = (
            *self.history[:-1],
            StageVisit(last.stage_name, last.entered_at, at),
            StageVisit(stage.name, at),
        )
        return self._recorded(
            event,
            stage_name=stage.name,
            history=history,
            changed_at=at,
            probability_override=None,
            approval=None,
            **changes,
        )

    def move_to(self, stage: str, *, at: _dt.datetime) -> Self:
        """Move to another open stage, forward or back.

        Raises:
            InvalidTransitionError: the opportunity is closed.
            ValidationError: unknown stage (the message lists the names), the
                current stage, a won or lost stage (use `win` or `lose`), or a
                bad ``at``.
        """
        instant = self._when(at, "move_to")
        target = stage_named(self.pipeline, stage, "stage")
        if target.name == self.stage_name:
            raise ValidationError(
                "stage",
                f"the opportunity is already in {target.name!r}",
                allowed="another open stage",
            )
        if not target.is_open:
            command = "win()" if target.kind is StageKind.WON else "lose(reason=...)"
            raise ValidationError(
                "stage",
                f"{target.name!r} closes the opportunity: use {command}",
                allowed=", ".join(
                    s.name for s in self.pipeline.open_stages if s.name != self.stage_name
                ),
            )
        event = OpportunityStageChanged(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            previous=self.stage_name,
            current=target.name,
        )
        return self._enter(target, instant, event)

    def win(self, *, at: _dt.datetime) -> Self:
        """The order was received: enter the won stage (probability 1).

        Raises:
            InvalidTransitionError: the opportunity is already closed.
        """
        instant = self._when(at, "win")
        event = OpportunityWon(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            customer_id=self.customer_id,
            amount=self.amount,
            previous=self.stage_name,
        )
        return self._enter(self.pipeline.won_stage, instant, event)

    def lose(self, *, at: _dt.datetime, reason: str) -> Self:
        """The sale failed: enter the lost stage (probability 0), with a reason.

        Raises:
            InvalidTransitionError: the opportunity is already closed.
            ValidationError: the reason is blank or longer than 500 characters.
        """
        instant = self._when(at, "lose")
        check_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        event = OpportunityLost(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            reason=reason,
            previous=self.stage_name,
        )
        return self._enter(self.pipeline.lost_stage, instant, event, lost_reason=reason)

    def reopen(self, *, at: _dt.datetime) -> Self:
        """Work a lost opportunity again: back to its last open stage, reason cleared.

        Reopening needs no approval even if that stage is gated: the stage was
        approved when it was first entered.

        Raises:
            InvalidTransitionError: the opportunity is open, or won (a won
                opportunity is final: its contract exists).
        """
        if not self.is_lost:
            state = "won" if self.is_won else "open"
            raise InvalidTransitionError(
                f"opportunity {self.opportunity_id!r} is {state}; only a lost opportunity "
                "can be reopened" + ("; a won opportunity is final" if self.is_won else ""),
                current=state,
                requested="reopen",
                allowed=() if self.is_won else ("move_to", "win", "lose"),
            )
        instant = self._when(at, "reopen", open_only=False)
        stage = self.pipeline.stage(self.last_open_stage)
        event = OpportunityReopened(
            occurred_at=instant, opportunity_id=self.opportunity_id, stage=stage.name
        )
        return self._enter(stage, instant, event, gated=False, lost_reason=None)

    # Approvals --------------------------------------------------------------

    def request_approval(self, stage: str, *, by: str, at: _dt.datetime) -> Self:
        """Ask for approval to enter ``stage``, a stage that requires it.

        One pending request at a time; a new request replaces an approved one
        that was not used yet.

        Args:
            stage: the gated stage (open, won or lost) to enter.
            by: the requesting user's id.
            at: when it was requested.

        Raises:
            InvalidTransitionError: the opportunity is closed, or a request is pending.
            ValidationError: an unknown stage, a stage that needs no approval,
                the current stage, or a bad id or time.
        """
        instant = self._when(at, "request_approval")
        requester = check_id(by, "by")
        target = stage_named(self.pipeline, stage, "stage")
        gated = [s.name for s in self.pipeline if s.requires_approval and s.name != self.stage_name]
        if not target.requires_approval or target.name == self.stage_name:
            problem = (
                f"the opportunity is already in {target.name!r}"
                if target.name == self.stage_name
                else f"{target.name!r} does not require approval"
            )
            raise ValidationError(
                "stage",
                problem,
                allowed=", ".join(gated)
                or "a stage that requires approval (this pipeline has none)",
            )
        if self.approval is not None and self.approval.is_pending:
            raise InvalidTransitionError(
                f"opportunity {self.opportunity_id!r} has a pending approval request for "
                f"{self.approval.stage_name!r}; approve or reject it first",
                current="approval pending",
                requested="request_approval",
                allowed=("approve", "reject"),
            )
        request = ApprovalRequest(
            stage_name=target.name, requested_by=requester, requested_at=instant
        )
        event = ApprovalRequested(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            stage=target.name,
            requested_by=requester,
        )
        return self._recorded(event, approval=request, changed_at=instant)

    def _pending(
        self, command: str, at: object, by: object
    ) -> tuple[ApprovalRequest, str, pendulum.DateTime]:
        instant = self._when(at, command)
        decider = check_id(by, "by")
        approval = self.approval
        if approval is None or not approval.is_pending:
            state = "approval granted" if approval is not None else "no approval request"
            raise InvalidTransitionError(
                f"opportunity {self.opportunity_id!r} has no pending approval request; "
                f"{command} is not allowed",
                current=state,
                requested=command,
                allowed=("request_approval",),
            )
        if decider == approval.requested_by:
            raise PermissionDeniedError(
                user_id=decider,
                action=command,
                record_kind=self.record_kind.value,
                record_id=self.opportunity_id,
                reason="nobody decides an approval request they made",
            )
        return approval, decider, instant

    def approve(self, *, by: str, at: _dt.datetime) -> Self:
        """Approve the pending request; the next move into its stage may then happen.

        Raises:
            InvalidTransitionError: the opportunity is closed or has no pending request.
            PermissionDeniedError: ``by`` made the request (nobody approves their own).
            ValidationError: a bad id or time.
        """
        approval, approver, instant = self._pending("approve", at, by)
        granted = attrs.evolve(
            approval, status=ApprovalStatus.APPROVED, decided_by=approver, decided_at=instant
        )
        event = ApprovalGranted(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            stage=approval.stage_name,
            requested_by=approval.requested_by,
            approved_by=approver,
        )
        return self._recorded(event, approval=granted, changed_at=instant)

    def reject(self, *, by: str, at: _dt.datetime, reason: str) -> Self:
        """Reject the pending request, with a reason; the request is gone.

        Raises:
            InvalidTransitionError: the opportunity is closed or has no pending request.
            PermissionDeniedError: ``by`` made the request.
            ValidationError: a blank or over-long reason, a bad id or time.
        """
        approval, rejecter, instant = self._pending("reject", at, by)
        check_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        event = ApprovalRejected(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            stage=approval.stage_name,
            requested_by=approval.requested_by,
            rejected_by=rejecter,
            reason=reason,
        )
        return self._recorded(event, approval=None, changed_at=instant)

    def override_probability(self, probability: Decimal | int | str, *, at: _dt.datetime) -> Self:
        """Set the win probability by hand, until the next stage change.

        Raises:
            InvalidTransitionError: the opportunity is closed.
            ValidationError: the probability is not in [0, 1].
        """
        instant = self._when(at, "override_probability")
        value = check_probability(probability)
        event = OpportunityProbabilityOverridden(
            occurred_at=instant, opportunity_id=self.opportunity_id, probability=value
        )
        return self._recorded(event, probability_override=value, changed_at=instant)

    def change_amount(self, amount: Money, *, at: _dt.datetime) -> Self:
        """Change the expected order value.

        Raises:
            InvalidTransitionError: the opportunity is closed.
            CurrencyMismatchError: the new amount is in another currency.
            ValidationError: the amount is negative or not Money.
        """
        instant = self._when(at, "change_amount")
        _check_amount(amount)
        if amount.currency != self.amount.currency:
            raise CurrencyMismatchError(
                self.amount.currency, amount.currency, operation="replace the amount of"
            )
        event = OpportunityAmountChanged(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            previous=self.amount,
            current=amount,
        )
        return self._recorded(event, amount=amount, changed_at=instant)

    def change_expected_close(self, expected_close: _dt.date, *, at: _dt.datetime) -> Self:
        """Change the expected close date; a later date counts as a push.

        Raises:
            InvalidTransitionError: the opportunity is closed.
            ValidationError: not a calendar date.
        """
        instant = self._when(at, "change_expected_close")
        day = to_date(expected_close, "expected_close")
        pushed = self.expected_close is not None and day > self.expected_close
        event = OpportunityCloseDateChanged(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            previous=self.expected_close,
            current=day,
        )
        return self._recorded(
            event,
            expected_close=day,
            close_date_pushes=self.close_date_pushes + pushed,
            changed_at=instant,
        )

    def set_campaign(self, campaign_id: str | None, *, at: _dt.datetime) -> Self:
        """Change the campaign that sourced the opportunity (``None``: none).

        Allowed in any state, open or closed (attribution is corrected after
        the fact too); records `OpportunityCampaignChanged`.

        Raises:
            ValidationError: a bad id, no change, or ``at`` before the last change.
        """
        new = check_optional_id(campaign_id, "campaign_id")
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        if new == self.campaign_id:
            raise ValidationError(
                "campaign_id",
                "is already the opportunity's campaign",
                allowed="another campaign id, or None",
            )
        event = OpportunityCampaignChanged(
            occurred_at=instant,
            opportunity_id=self.opportunity_id,
            previous=self.campaign_id,
            current=new,
        )
        return self._recorded(event, campaign_id=new, changed_at=instant)


def _check_history(
    history: tuple[StageVisit, ...],
    pipeline: Pipeline,
    stage_name: str,
    changed_at: pendulum.DateTime,
) -> None:
    allowed = "contiguous visits of stages of the pipeline, ending with the current stage"
    if not history or not all(isinstance(v, StageVisit) for v in history):
        raise ValidationError("history", "must be a non-empty tuple of StageVisit", allowed=allowed)
    for before, after in itertools.pairwise(history):
        if before.left_at != after.entered_at:
            raise ValidationError(
                "history", "has a gap or an overlap between visits", allowed=allowed
            )
        if before.stage_name == after.stage_name:
            raise ValidationError(
                "history", "has two consecutive visits of one stage", allowed=allowed
            )
    for position, visit in enumerate(history):
        kind = stage_named(pipeline, visit.stage_name, "history").kind
        if kind is not StageKind.OPEN and (
            position == 0 or not pipeline.stage(history[position - 1].stage_name).is_open
        ):
            raise ValidationError("history", "closes without an open stage before", allowed=allowed)
        if kind is StageKind.WON and position != len(history) - 1:
            raise ValidationError("history", "continues after the won stage", allowed=allowed)
    if history[-1].stage_name != stage_name or history[-1].left_at is not None:
        raise ValidationError("history", "does not end in the current stage", allowed=allowed)
    if any(v.left_at is not None and v.left_at < v.entered_at for v in history):
        raise ValidationError("history", "has a visit that ends before it starts", allowed=allowed)
    if changed_at < history[-1].entered_at:
        raise ValidationError(
            "changed_at", "is earlier than the last stage change", allowed="the last change's time"
        )
