"""After-sales complaints: the sources' six handling steps, levels and compensation."""

import datetime as _dt
from collections.abc import Mapping
from typing import Self

import attrs
import pendulum

from crmcore.domain.channels import Channel
from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    Choice,
    bounded_int,
    choice,
    identifier,
    instant,
    items,
    member,
    text,
)
from crmcore.domain.money import Money
from crmcore.domain.ownership import Owned
from crmcore.domain.times import elapsed, not_before, to_utc
from crmcore.errors import CurrencyMismatchError, InvalidTransitionError, ValidationError

MAX_SUBJECT_LENGTH = 500
MAX_NOTE_LENGTH = 2000


class ComplaintLevel(Choice):
    """Severity levels; each has a default response-time target."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """``medium`` (the word vendor priorities use) means ``normal``."""
        return {"medium": "normal"}


RESPONSE_TARGETS: dict[ComplaintLevel, _dt.timedelta] = {
    ComplaintLevel.LOW: _dt.timedelta(days=7),
    ComplaintLevel.NORMAL: _dt.timedelta(days=3),
    ComplaintLevel.HIGH: _dt.timedelta(hours=24),
    ComplaintLevel.URGENT: _dt.timedelta(hours=4),
}
"""Default time to the first response (the "calmed" step), per level."""


class ComplainantType(Choice):
    """The sources' five types of complaining customer, with what each wants."""

    QUALITY_WATCHDOG = "quality watchdog"  # tells you what is bad: improve the product
    RATIONAL = "rational"  # wants an answer
    NEGOTIATOR = "negotiator"  # wants compensation
    VICTIM = "victim"  # wants sympathy
    LOYAL_ADVOCATE = "loyal advocate"  # wants to spread their satisfaction


class ComplaintStep(Choice):
    """The six handling steps from the sources, in order."""

    RECEIVED = "received"
    CALMED = "calmed"
    CLARIFIED = "clarified"
    SOLUTION_PROPOSED = "solution proposed"
    ACTION_TAKEN = "action taken"
    THANKED = "thanked"


STEPS: tuple[ComplaintStep, ...] = tuple(ComplaintStep)


@attrs.frozen(repr=False)
class StepRecord:
    """One handling step reached, when, and a note (kept out of ``repr``)."""

    step: ComplaintStep
    at: pendulum.DateTime = instant()
    note: str = ""

    def __repr__(self) -> str:
        return f"StepRecord(step={self.step.value!r}, at={self.at.isoformat()})"


@attrs.frozen
class Compensation:
    """One compensation granted."""

    amount: Money
    at: pendulum.DateTime = instant()


# Events ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ComplaintReceived(DomainEvent):
    """A complaint was accepted."""

    complaint_id: str
    customer_id: str
    level: ComplaintLevel
    channel: Channel


@attrs.frozen(kw_only=True)
class ComplaintAdvanced(DomainEvent):
    """A complaint reached its next handling step."""

    complaint_id: str
    step: ComplaintStep


@attrs.frozen(kw_only=True)
class ComplaintCompensated(DomainEvent):
    """Compensation was granted."""

    complaint_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class ComplaintClosed(DomainEvent):
    """The customer was thanked and the complaint closed."""

    complaint_id: str
    satisfaction: int


# The aggregate ---------------------------------------------------------------------


def _target(value: object) -> _dt.timedelta | None:
    if value is None:
        return None
    if not isinstance(value, _dt.timedelta) or value <= _dt.timedelta(0):
        raise ValidationError(
            "response_target",
            "must be a positive duration",
            allowed="a timedelta greater than zero",
        )
    return value


@attrs.frozen(kw_only=True, repr=False)
class Complaint(Owned):
    """A customer complaint moving through the six handling steps.

    The subject and notes are free text and stay out of ``repr``.
    """

    complaint_id: str = identifier()
    customer_id: str = identifier()
    channel: Channel = choice(Channel)
    level: ComplaintLevel = choice(ComplaintLevel)
    complainant_type: ComplainantType = choice(ComplainantType)
    subject: str = text(max_length=MAX_SUBJECT_LENGTH, repr=True)
    response_target_override: _dt.timedelta | None = attrs.field(default=None, converter=_target)
    steps: tuple[StepRecord, ...] = items(StepRecord)
    compensations: tuple[Compensation, ...] = items(Compensation, default=())
    satisfaction: int | None = None
    changed_at: pendulum.DateTime = instant()

    def __attrs_post_init__(self) -> None:
        reached = tuple(r.step for r in self.steps)
        if not reached or reached != STEPS[: len(reached)]:
            raise ValidationError(
                "steps", "must be the handling steps in order", allowed="received, calmed, ..."
            )
        if any(b.at < a.at for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValidationError("steps", "must be in time order", allowed="steps in time order")
        if (self.satisfaction is None) != (reached[-1] is not ComplaintStep.THANKED):
            raise ValidationError(
                "satisfaction", "is given exactly when closed", allowed="1 to 5 when closed"
            )
        if self.satisfaction is not None:
            bounded_int(self.satisfaction, "satisfaction", 1, 5)
        currencies = {c.amount.currency for c in self.compensations}
        if len(currencies) > 1 or any(c.amount.amount <= 0 for c in self.compensations):
            raise ValidationError(
                "compensations", "must be positive and in one currency", allowed="positive Money"
            )

    def __repr__(self) -> str:
        return (
            f"Complaint(complaint_id={self.complaint_id!r}, customer_id={self.customer_id!r}, "
            f"level={self.level.value!r}, step={self.current_step.value!r})"
        )

    @classmethod
    def receive(
        cls,
        *,
        complaint_id: str,
        customer_id: str,
        channel: Channel | str,
        level: ComplaintLevel | str,
        complainant_type: ComplainantType | str,
        subject: str,
        at: _dt.datetime,
        response_target: _dt.timedelta | None = None,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """Accept a complaint (step "received").

        Args:
            response_target: overrides the level's default time to first response.

        Raises:
            ValidationError: any argument is invalid.
        """
        instant = to_utc(at)
        complaint = cls(
            owner=owner,
            team=team,
            complaint_id=complaint_id,
            customer_id=customer_id,
            channel=member(Channel, channel, "channel"),
            level=member(ComplaintLevel, level, "level"),
            complainant_type=member(ComplainantType, complainant_type, "complainant_type"),
            subject=subject,
            response_target_override=response_target,
            steps=(StepRecord(ComplaintStep.RECEIVED, instant),),
            changed_at=instant,
        )
        return complaint._recorded(
            ComplaintReceived(
                occurred_at=instant,
                complaint_id=complaint.complaint_id,
                customer_id=complaint.customer_id,
                level=complaint.level,
                channel=complaint.channel,
            )
        )

    # Queries -----------------------------------------------------------------

    @property
    def current_step(self) -> ComplaintStep:
        """The last step reached."""
        return self.steps[-1].step

    @property
    def received_at(self) -> pendulum.DateTime:
        """When the complaint was accepted."""
        return self.steps[0].at

    @property
    def is_closed(self) -> bool:
        """Whether the customer was thanked (the complaint is closed)."""
        return self.current_step is ComplaintStep.THANKED

    @property
    def response_target(self) -> _dt.timedelta:
        """Time allowed to the first response: the override, else the level's default."""
        if self.response_target_override is not None:
            return self.response_target_override
        return RESPONSE_TARGETS[self.level]

    def step_at(self, step: ComplaintStep) -> pendulum.DateTime | None:
        """When ``step`` was reached (``None`` if not yet)."""
        wanted = member(ComplaintStep, step, "step")
        return next((r.at for r in self.steps if r.step is wanted), None)

    def is_overdue(self, *, at: _dt.datetime) -> bool:
        """Still at "received" and ``at`` strictly later than received + target."""
        instant = to_utc(at)
        return (
            self.current_step is ComplaintStep.RECEIVED
            and instant > self.received_at + self.response_target
        )

    @property
    def time_to_resolution(self) -> _dt.timedelta | None:
        """From receipt to closing (``None`` while open)."""
        return elapsed(self.received_at, self.steps[-1].at) if self.is_closed else None

    @property
    def total_compensation(self) -> Money | None:
        """Σ compensations (``None`` if none was granted)."""
        if not self.compensations:
            return None
        return sum((c.amount for c in self.compensations[1:]), self.compensations[0].amount)

    # Commands -------------------------------------------------------------------

    def _when(self, at: object, command: str) -> pendulum.DateTime:
        if self.is_closed:
            raise InvalidTransitionError(
                f"complaint {self.complaint_id!r} is closed; {command} is not allowed",
                current=self.current_step.value,
                requested=command,
            )
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        return instant

    def _next_step(self) -> ComplaintStep:
        return STEPS[STEPS.index(self.current_step) + 1]

    def advance(self, step: ComplaintStep | str, *, at: _dt.datetime, note: str = "") -> Self:
        """Move to the next handling step, up to "action taken".

        Raises:
            InvalidTransitionError: a skipped or repeated step, going back, or
                "thanked" (use `close`); the message names the next allowed step.
            ValidationError: an unknown step, a note over 2000 characters, a bad time.
        """
        instant = self._when(at, "advance")
        wanted = member(ComplaintStep, step, "step")
        expected = self._next_step()
        if wanted is not expected or wanted is ComplaintStep.THANKED:
            by = ", taken by close(satisfaction=...)" if expected is ComplaintStep.THANKED else ""
            other = "" if wanted is expected else f", not {wanted.value!r}"
            raise InvalidTransitionError(
                f"complaint {self.complaint_id!r} is at {self.current_step.value!r}; "
                f"the next step is {expected.value!r}{by}{other}",
                current=self.current_step.value,
                requested=wanted.value,
                allowed=("close",) if expected is ComplaintStep.THANKED else (expected.value,),
            )
        if type(note) is not str or len(note) > MAX_NOTE_LENGTH:
            raise ValidationError(
                "note", "must be a string of at most 2000 characters", allowed="text"
            )
        return self._recorded(
            ComplaintAdvanced(occurred_at=instant, complaint_id=self.complaint_id, step=wanted),
            steps=(*self.steps, StepRecord(wanted, instant, note)),
            changed_at=instant,
        )

    def compensate(self, amount: Money, *, at: _dt.datetime) -> Self:
        """Grant compensation (positive; several add up) until the complaint is closed.

        Raises:
            InvalidTransitionError: the complaint is closed.
            CurrencyMismatchError: another currency than earlier compensations.
            ValidationError: not positive Money.
        """
        instant = self._when(at, "compensate")
        if not isinstance(amount, Money) or amount.amount <= 0:
            raise ValidationError(
                "amount", "must be positive Money", allowed="Money greater than zero"
            )
        if self.compensations and amount.currency != self.compensations[0].amount.currency:
            raise CurrencyMismatchError(
                self.compensations[0].amount.currency,
                amount.currency,
                operation="add compensations in",
            )
        return self._recorded(
            ComplaintCompensated(
                occurred_at=instant, complaint_id=self.complaint_id, amount=amount
            ),
            compensations=(*self.compensations, Compensation(amount, instant)),
            changed_at=instant,
        )

    def close(self, *, at: _dt.datetime, satisfaction: int) -> Self:
        """Thank the customer and close; only from "action taken".

        Raises:
            InvalidTransitionError: not at "action taken", or already closed.
            ValidationError: satisfaction not an int from 1 to 5.
        """
        instant = self._when(at, "close")
        if self.current_step is not ComplaintStep.ACTION_TAKEN:
            raise InvalidTransitionError(
                f"complaint {self.complaint_id!r} is at {self.current_step.value!r}; "
                "it can be closed only after 'action taken'",
                current=self.current_step.value,
                requested="close",
                allowed=(self._next_step().value,),
            )
        score = bounded_int(satisfaction, "satisfaction", 1, 5)
        return self._recorded(
            ComplaintClosed(
                occurred_at=instant, complaint_id=self.complaint_id, satisfaction=score
            ),
            steps=(*self.steps, StepRecord(ComplaintStep.THANKED, instant)),
            satisfaction=score,
            changed_at=instant,
        )
