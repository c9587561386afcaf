"""Service-level agreements on complaints: targets per milestone, in business time.

A policy gives, per complaint level (and optionally complainant type and
channel), a target for each milestone: the first response (the complaint
reaches "calmed") and the resolution (it reaches "thanked"). The clock runs
in business time on the policy's calendar from the moment the complaint is
received, and pauses while the complaint sits at one of the policy's paused
steps (for example "clarified", while waiting for the customer). A milestone
is *ongoing* until reached, *reached* when reached on time (at or before its
due instant) and *breached* as soon as its clock passes the target; a breach
stays recorded after the step is reached late.
"""

import datetime as _dt
from collections.abc import Iterable, Mapping
from fractions import Fraction

import attrs
import pendulum

from crmcore.analytics._results import MappingResult, text_table
from crmcore.domain.calendars import MAX_SPAN_DAYS, BusinessCalendar
from crmcore.domain.channels import Channel
from crmcore.domain.complaints import (
    ComplainantType,
    Complaint,
    ComplaintLevel,
    ComplaintStep,
)
from crmcore.domain.fields import Choice, check_bool, items, items_of, member, of_type
from crmcore.domain.numbers import percent
from crmcore.domain.times import elapsed, to_utc
from crmcore.errors import ValidationError


class Milestone(Choice):
    """What a service-level target measures, and the step that reaches it."""

    FIRST_RESPONSE = "first response"
    RESOLUTION = "resolution"


MILESTONE_STEPS: Mapping[Milestone, ComplaintStep] = {
    Milestone.FIRST_RESPONSE: ComplaintStep.CALMED,
    Milestone.RESOLUTION: ComplaintStep.THANKED,
}
"""The handling step whose reaching meets each milestone."""

PAUSABLE_STEPS = frozenset(
    {
        ComplaintStep.CALMED,
        ComplaintStep.CLARIFIED,
        ComplaintStep.SOLUTION_PROPOSED,
        ComplaintStep.ACTION_TAKEN,
    }
)
"""Steps at which a policy may pause the clock ("received" starts it, "thanked" ends it)."""


class SlaState(Choice):
    """Where a milestone stands."""

    ONGOING = "ongoing"
    REACHED = "reached"
    BREACHED = "breached"


def _positive_duration(value: object, field: str) -> _dt.timedelta:
    if type(value) is not _dt.timedelta or value <= _dt.timedelta(0):
        raise ValidationError(field, "must be a positive duration", allowed="a timedelta > 0")
    return value


def _paused(value: object) -> frozenset[ComplaintStep]:
    steps = frozenset(
        member(ComplaintStep, step, "paused_steps")
        for step in items_of(value, "paused_steps", "complaint steps")
    )
    if not steps <= PAUSABLE_STEPS:
        raise ValidationError(
            "paused_steps",
            "holds 'received' or 'thanked', at which the clock cannot pause",
            allowed="calmed, clarified, solution proposed, action taken",
        )
    return steps


def _to_milestone(value: object) -> Milestone:
    return member(Milestone, value, "milestone")


def _within(value: object) -> _dt.timedelta:
    return _positive_duration(value, "within")


def _level(value: object) -> ComplaintLevel | None:
    return None if value is None else member(ComplaintLevel, value, "level")


def _type(value: object) -> ComplainantType | None:
    return None if value is None else member(ComplainantType, value, "complainant_type")


def _channel(value: object) -> Channel | None:
    return None if value is None else member(Channel, value, "channel")


def _flag(value: object) -> bool:
    return check_bool(value, "complaint_targets")


@attrs.frozen(kw_only=True)
class SlaTarget:
    """A target for one milestone, for the complaints it matches.

    A criterion left ``None`` matches every complaint; the policy applies the
    matching target with the most criteria set, the first listed on a tie.
    """

    # Named converters (not the field helpers) so that type checkers accept the
    # values as strings too.
    milestone: Milestone = attrs.field(converter=_to_milestone)
    within: _dt.timedelta = attrs.field(converter=_within)
    level: ComplaintLevel | None = attrs.field(default=None, converter=_level)
    complainant_type: ComplainantType | None = attrs.field(default=None, converter=_type)
    channel: Channel | None = attrs.field(default=None, converter=_channel)

    def matches(self, complaint: Complaint) -> bool:
        """Whether every criterion set holds for ``complaint``."""
        return (
            self.level in (None, complaint.level)
            and self.complainant_type in (None, complaint.complainant_type)
            and self.channel in (None, complaint.channel)
        )

    @property
    def specificity(self) -> int:
        """How many criteria are set."""
        return sum(c is not None for c in (self.level, self.complainant_type, self.channel))


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """Targets per milestone, the calendar the clock runs on, and the paused steps.

    Args:
        targets: the targets; see `SlaTarget` for which one applies.
        calendar: the business calendar (default: around the clock in UTC,
            so business time is elapsed time).
        paused_steps: steps during which the clock stops.
        complaint_targets: when no target matches a complaint's first
            response, use the complaint's own `Complaint.response_target`
            (its override, else the level's default in
            `crmcore.RESPONSE_TARGETS`). With the default policy this makes
            `Complaint.is_overdue` the special case "still at received and
            the first response breached".
    """

    targets: tuple[SlaTarget, ...] = items(SlaTarget, default=())
    calendar: BusinessCalendar = of_type(BusinessCalendar, factory=BusinessCalendar.always)
    paused_steps: frozenset[ComplaintStep] = attrs.field(default=frozenset(), converter=_paused)
    complaint_targets: bool = attrs.field(default=True, converter=_flag)

    def target_for(self, complaint: Complaint, milestone: Milestone | str) -> _dt.timedelta | None:
        """The target that applies to ``complaint`` for ``milestone`` (``None``: no target)."""
        wanted = member(Milestone, milestone, "milestone")
        matching = [t for t in self.targets if t.milestone is wanted and t.matches(complaint)]
        if matching:
            return max(matching, key=lambda t: t.specificity).within
        if wanted is Milestone.FIRST_RESPONSE and self.complaint_targets:
            return complaint.response_target
        return None


DEFAULT_SLA_POLICY = SlaPolicy()
"""No targets of its own: first responses are held to each complaint's response
target around the clock; resolutions have no target."""


@attrs.frozen(kw_only=True)
class MilestoneStatus:
    """One milestone of one complaint, as of an instant.

    Attributes:
        milestone: which milestone.
        state: ongoing, reached (on time) or breached.
        target: the business time allowed.
        elapsed: the business time the clock has counted (up to the
            milestone, or up to ``as_of`` while it is not reached).
        due: the instant at which the clock reaches the target (for a
            reached milestone, when it would have); ``None`` while the clock
            is paused and the target not yet passed, and when it would lie
            more than 100 years (`MAX_SPAN_DAYS`) ahead.
        reached_at: when the milestone's step was reached (``None`` if not).
    """

    milestone: Milestone
    state: SlaState
    target: _dt.timedelta
    elapsed: _dt.timedelta
    due: pendulum.DateTime | None
    reached_at: pendulum.DateTime | None

    @property
    def remaining(self) -> _dt.timedelta:
        """``target - elapsed``: the time left, negative for the time over."""
        return self.target - self.elapsed


@attrs.frozen(kw_only=True)
class SlaStatus:
    """The service-level status of one complaint as of an instant.

    Attributes:
        complaint_id: the complaint.
        level: its level.
        paused: whether the clock is paused at ``as_of``.
        milestones: per milestone with a target, its status.
    """

    complaint_id: str
    level: ComplaintLevel
    paused: bool
    milestones: Mapping[Milestone, MilestoneStatus]

    @property
    def first_response(self) -> MilestoneStatus | None:
        """The first-response milestone (``None`` without a target)."""
        return self.milestones.get(Milestone.FIRST_RESPONSE)

    @property
    def resolution(self) -> MilestoneStatus | None:
        """The resolution milestone (``None`` without a target)."""
        return self.milestones.get(Milestone.RESOLUTION)

    @property
    def breached(self) -> bool:
        """Whether any milestone is breached."""
        return any(m.state is SlaState.BREACHED for m in self.milestones.values())


def _running(
    complaint: Complaint, policy: SlaPolicy, end: pendulum.DateTime
) -> list[tuple[pendulum.DateTime, pendulum.DateTime]]:
    """The intervals up to ``end`` during which the clock runs."""
    records = [r for r in complaint.steps if r.at <= end]
    intervals = []
    for record, following in zip(records, [*records[1:], None], strict=True):
        stop = end if following is None else following.at
        if record.step not in policy.paused_steps and record.at < stop:
            intervals.append((record.at, stop))
    return intervals


def _due(
    calendar: BusinessCalendar, start: pendulum.DateTime, left: _dt.timedelta
) -> pendulum.DateTime | None:
    """When ``left`` more business time will have passed (``None`` beyond 100 years)."""
    try:
        return calendar.add_business_time(start, left)
    except ValidationError:
        return None


def _milestone(
    complaint: Complaint,
    policy: SlaPolicy,
    milestone: Milestone,
    target: _dt.timedelta,
    as_of: pendulum.DateTime,
    paused: bool,
) -> MilestoneStatus:
    reached_at = complaint.step_at(MILESTONE_STEPS[milestone])
    if reached_at is not None and reached_at > as_of:
        reached_at = None
    end = as_of if reached_at is None else reached_at
    calendar = policy.calendar
    counted = _dt.timedelta(0)
    due = None
    for start, stop in _running(complaint, policy, end):
        part = calendar.business_time_between(start, stop)
        if due is None and counted + part >= target:
            due = calendar.add_business_time(start, target - counted)  # within [start, stop]
        counted += part
    if due is None and (reached_at is not None or not paused):
        due = _due(calendar, end, target - counted)
    if counted > target:
        state = SlaState.BREACHED
    else:
        state = SlaState.ONGOING if reached_at is None else SlaState.REACHED
    return MilestoneStatus(
        milestone=milestone,
        state=state,
        target=target,
        elapsed=counted,
        due=due,
        reached_at=reached_at,
    )


def sla_status(
    complaint: Complaint, policy: SlaPolicy = DEFAULT_SLA_POLICY, *, as_of: _dt.datetime
) -> SlaStatus:
    """Each milestone's status for ``complaint`` as of ``as_of``.

    Only the steps reached at or before ``as_of`` count, so the status of a
    past instant can be read from today's record.

    Raises:
        ValidationError: not a complaint or a policy, a naive ``as_of``, or
            ``as_of`` before the complaint was received.
    """
    if not isinstance(complaint, Complaint):
        raise ValidationError("complaint", "must be a Complaint", allowed="a Complaint")
    if not isinstance(policy, SlaPolicy):
        raise ValidationError("policy", "must be an SlaPolicy", allowed="an SlaPolicy")
    instant = to_utc(as_of, "as_of")
    if instant < complaint.received_at:
        raise ValidationError(
            "as_of", "is before the complaint was received", allowed="an instant after receipt"
        )
    if elapsed(complaint.received_at, instant).days > MAX_SPAN_DAYS:
        raise ValidationError(
            "as_of",
            "is more than 100 years after the complaint was received",
            allowed="an instant within 36,525 days of receipt",
        )
    current = [r.step for r in complaint.steps if r.at <= instant][-1]
    paused = current in policy.paused_steps
    statuses = {}
    for milestone in Milestone:
        target = policy.target_for(complaint, milestone)
        if target is not None:
            statuses[milestone] = _milestone(complaint, policy, milestone, target, instant, paused)
    return SlaStatus(
        complaint_id=complaint.complaint_id,
        level=complaint.level,
        paused=paused,
        milestones=statuses,
    )


@attrs.frozen(kw_only=True)
class SlaCounts:
    """Counts of one milestone over a set of complaints.

    Attributes:
        ongoing: not reached and not yet late.
        reached: reached on time.
        breached: late (reached late, or not reached and past the target).
        breach_rate: breached ÷ (reached + breached): the share of decided
            milestones that were breached (``None`` when none is decided).
    """

    ongoing: int
    reached: int
    breached: int

    @property
    def total(self) -> int:
        """All complaints counted."""
        return self.ongoing + self.reached + self.breached

    @property
    def breach_rate(self) -> Fraction | None:
        """Breached ÷ (reached + breached), exact."""
        decided = self.reached + self.breached
        return Fraction(self.breached, decided) if decided else None


@attrs.frozen(eq=False)
class SlaReport(MappingResult[tuple[Milestone, ComplaintLevel], SlaCounts]):
    """Counts per (milestone, level), with the totals per milestone.

    Complaints received after ``as_of`` are not counted, nor milestones
    without a target.
    """

    as_of: pendulum.DateTime
    rows: Mapping[tuple[Milestone, ComplaintLevel], SlaCounts]
    totals: Mapping[Milestone, SlaCounts]

    def _mapped(self) -> Mapping[tuple[Milestone, ComplaintLevel], SlaCounts]:
        return self.rows

    def __str__(self) -> str:
        header = ("milestone", "level", "ongoing", "reached", "breached", "breach rate")

        def cells(name: str, level: str, counts: SlaCounts) -> tuple[str, ...]:
            return (
                name,
                level,
                str(counts.ongoing),
                str(counts.reached),
                str(counts.breached),
                percent(counts.breach_rate),
            )

        rows = [cells(m.value, lv.value, c) for (m, lv), c in self.rows.items()]
        rows += [cells(m.value, "all", c) for m, c in self.totals.items()]
        return text_table(header, rows)


def sla_report(
    complaints: Iterable[Complaint],
    policy: SlaPolicy = DEFAULT_SLA_POLICY,
    *,
    as_of: _dt.datetime,
) -> SlaReport:
    """Count ongoing, reached and breached milestones per milestone and level.

    Raises:
        ValidationError: an item that is not a complaint, or as in `sla_status`.
    """
    instant = to_utc(as_of, "as_of")
    tallies: dict[tuple[Milestone, ComplaintLevel], dict[SlaState, int]] = {}
    for complaint in items_of(complaints, "complaints", "Complaint values"):
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", "must be a Complaint", allowed="a Complaint")
        if complaint.received_at > instant:
            continue
        status = sla_status(complaint, policy, as_of=instant)
        for milestone, outcome in status.milestones.items():
            tally = tallies.setdefault((milestone, status.level), dict.fromkeys(SlaState, 0))
            tally[outcome.state] += 1
    milestones, levels = list(Milestone), list(ComplaintLevel)
    rows = {
        key: SlaCounts(
            ongoing=t[SlaState.ONGOING], reached=t[SlaState.REACHED], breached=t[SlaState.BREACHED]
        )
        for key, t in sorted(
            tallies.items(), key=lambda kv: (milestones.index(kv[0][0]), levels.index(kv[0][1]))
        )
    }
    totals = {}
    for milestone in Milestone:
        parts = [c for (m, _), c in rows.items() if m is milestone]
        if parts:
            totals[milestone] = SlaCounts(
                ongoing=sum(c.ongoing for c in parts),
                reached=sum(c.reached for c in parts),
                breached=sum(c.breached for c in parts),
            )
    return SlaReport(instant, rows, totals)
