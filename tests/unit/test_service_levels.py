import datetime as dt
from fractions import Fraction

import pendulum
import pytest

from crmcore import BusinessCalendar, Complaint, ComplaintStep, ValidationError
from crmcore.analytics import (
    DEFAULT_SLA_POLICY,
    Milestone,
    SlaCounts,
    SlaPolicy,
    SlaState,
    SlaTarget,
    sla_report,
    sla_status,
)

H = dt.timedelta(hours=1)
CALENDAR = BusinessCalendar.weekdays("Europe/Berlin", dt.time(9), dt.time(17))


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, minute, tz="Europe/Berlin")


FRIDAY_EVENING = berlin(2030, 4, 19, 18, 30)

POLICY = SlaPolicy(
    targets=(
        SlaTarget(milestone="first response", within=4 * H),
        SlaTarget(milestone="resolution", within=40 * H),
        SlaTarget(milestone="resolution", within=16 * H, level="high"),
        SlaTarget(milestone="resolution", within=8 * H, level="high", channel="call centre"),
    ),
    calendar=CALENDAR,
    paused_steps={"clarified"},
)


def complaint(
    level: str = "high", channel: str = "e-mail", number: int = 1, **kwargs: object
) -> Complaint:
    return Complaint.receive(
        complaint_id=f"cmp-{number}",
        customer_id=f"c-{number}",
        channel=channel,
        level=level,
        complainant_type="rational",
        subject="Late delivery",
        at=kwargs.pop("at", FRIDAY_EVENING),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_worked_example_a_friday_evening_complaint() -> None:
    received = complaint()
    monday_noon = sla_status(received, POLICY, as_of=berlin(2030, 4, 22, 12))
    first = monday_noon.first_response
    assert first is not None
    assert (first.state, first.elapsed, first.remaining) == (SlaState.ONGOING, 3 * H, H)
    assert first.due == berlin(2030, 4, 22, 13)
    assert first.reached_at is None
    answered = received.advance("calmed", at=berlin(2030, 4, 22, 14))
    late = sla_status(answered, POLICY, as_of=berlin(2030, 4, 22, 15)).first_response
    assert late is not None
    assert (late.state, late.elapsed, late.remaining) == (SlaState.BREACHED, 5 * H, -H)
    assert late.reached_at == berlin(2030, 4, 22, 14)
    assert late.due == berlin(2030, 4, 22, 13)


def test_the_clock_pauses_at_paused_steps() -> None:
    waiting = (
        complaint()
        .advance("calmed", at=berlin(2030, 4, 22, 10))
        .advance("clarified", at=berlin(2030, 4, 22, 15))
    )
    paused = sla_status(waiting, POLICY, as_of=berlin(2030, 4, 24, 12))
    assert paused.paused
    resolution = paused.resolution
    assert resolution is not None
    assert (resolution.state, resolution.elapsed, resolution.due) == (SlaState.ONGOING, 6 * H, None)
    resumed = waiting.advance("solution proposed", at=berlin(2030, 4, 25, 9))
    running = sla_status(resumed, POLICY, as_of=berlin(2030, 4, 25, 10)).resolution
    assert running is not None
    assert running.elapsed == 7 * H
    assert running.due == berlin(2030, 4, 26, 11)
    assert not sla_status(resumed, POLICY, as_of=berlin(2030, 4, 25, 10)).paused


def test_a_breach_stays_after_a_late_resolution() -> None:
    late = (
        complaint(channel="call centre")
        .advance("calmed", at=berlin(2030, 4, 22, 10))
        .advance("clarified", at=berlin(2030, 4, 22, 11))
        .advance("solution proposed", at=berlin(2030, 4, 29, 9))
        .advance("action taken", at=berlin(2030, 4, 29, 12))
        .close(at=berlin(2030, 4, 30, 16), satisfaction=2)
    )
    status = sla_status(late, POLICY, as_of=berlin(2031, 1, 1))
    assert status.resolution is not None
    assert status.resolution.target == 8 * H  # the most specific target applies
    assert status.resolution.state is SlaState.BREACHED
    assert status.resolution.elapsed == 2 * H + 8 * H + 7 * H
    assert status.breached
    # Read as of an earlier instant, the later steps do not count yet.
    earlier = sla_status(late, POLICY, as_of=berlin(2030, 4, 22, 10, 30))
    assert earlier.resolution is not None
    assert earlier.resolution.reached_at is None
    assert earlier.first_response is not None
    assert earlier.first_response.state is SlaState.REACHED


def test_reached_on_time_keeps_a_hypothetical_due_instant() -> None:
    quick = complaint(at=berlin(2030, 4, 22, 9)).advance("calmed", at=berlin(2030, 4, 22, 10))
    first = sla_status(quick, POLICY, as_of=berlin(2030, 4, 22, 10)).first_response
    assert first is not None
    assert (first.state, first.due, first.remaining) == (
        SlaState.REACHED,
        berlin(2030, 4, 22, 13),
        3 * H,
    )
    exactly = complaint(at=berlin(2030, 4, 22, 9)).advance("calmed", at=berlin(2030, 4, 22, 13))
    on_the_dot = sla_status(exactly, POLICY, as_of=berlin(2030, 4, 22, 13)).first_response
    assert on_the_dot is not None
    assert on_the_dot.state is SlaState.REACHED


def test_the_default_policy_is_the_overdue_rule() -> None:
    received = complaint(level="urgent", at=pendulum.datetime(2030, 1, 1, 8, tz="UTC"))
    for hours, overdue in ((3, False), (4, False), (5, True)):
        at = pendulum.datetime(2030, 1, 1, 8 + hours, tz="UTC")
        first = sla_status(received, as_of=at).first_response
        assert first is not None
        assert (first.state is SlaState.BREACHED) is overdue is received.is_overdue(at=at)
    assert sla_status(received, as_of=pendulum.datetime(2030, 1, 2, tz="UTC")).resolution is None
    assert DEFAULT_SLA_POLICY.target_for(received, "first response") == 4 * H
    overridden = complaint(response_target=2 * H)
    assert DEFAULT_SLA_POLICY.target_for(overridden, Milestone.FIRST_RESPONSE) == 2 * H
    own_only = SlaPolicy(complaint_targets=False)
    assert own_only.target_for(received, "first response") is None
    assert (
        sla_status(received, own_only, as_of=pendulum.datetime(2030, 1, 2, tz="UTC")).milestones
        == {}
    )


def test_a_due_instant_more_than_a_century_ahead_is_none() -> None:
    sparse = SlaPolicy(
        targets=(SlaTarget(milestone="resolution", within=dt.timedelta(days=20_000)),),
        calendar=BusinessCalendar("UTC", {0: (dt.time(9), dt.time(10))}),
    )
    status = sla_status(complaint(), sparse, as_of=FRIDAY_EVENING)
    assert status.resolution is not None
    assert status.resolution.due is None
    assert status.resolution.state is SlaState.ONGOING


def test_the_report_counts_per_milestone_and_level() -> None:
    on_time = complaint(at=berlin(2030, 4, 22, 9)).advance("calmed", at=berlin(2030, 4, 22, 10))
    late = complaint("low", "letter", 2).advance("calmed", at=berlin(2030, 4, 23, 9))
    future = complaint("low", "letter", 3, at=berlin(2030, 5, 1, 9))
    report = sla_report([late, on_time, future], POLICY, as_of=berlin(2030, 4, 23, 10))
    first_high = report[(Milestone.FIRST_RESPONSE, on_time.level)]
    assert first_high == SlaCounts(ongoing=0, reached=1, breached=0)
    first_low = report[(Milestone.FIRST_RESPONSE, late.level)]
    assert (first_low.breached, first_low.breach_rate, first_low.total) == (1, Fraction(1), 1)
    assert report.totals[Milestone.FIRST_RESPONSE].breach_rate == Fraction(1, 2)
    assert report.totals[Milestone.RESOLUTION] == SlaCounts(ongoing=2, reached=0, breached=0)
    assert list(report) == [
        (Milestone.FIRST_RESPONSE, late.level),
        (Milestone.FIRST_RESPONSE, on_time.level),
        (Milestone.RESOLUTION, late.level),
        (Milestone.RESOLUTION, on_time.level),
    ]
    assert "first response" in str(report)
    assert "50.0 %" in str(report)
    assert SlaCounts(ongoing=2, reached=0, breached=0).breach_rate is None
    empty = sla_report([], POLICY, as_of=FRIDAY_EVENING)
    assert (len(empty), dict(empty.totals)) == (0, {})


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: SlaTarget(milestone="answer", within=H), "milestone"),
        (lambda: SlaTarget(milestone="resolution", within=dt.timedelta(0)), "within"),
        (lambda: SlaTarget(milestone="resolution", within=3600), "within"),
        (lambda: SlaTarget(milestone="resolution", within=H, level="mild"), "level"),
        (lambda: SlaPolicy(paused_steps={"received"}), "paused_steps"),
        (lambda: SlaPolicy(paused_steps={ComplaintStep.THANKED}), "paused_steps"),
        (lambda: SlaPolicy(paused_steps="clarified"), "paused_steps"),
        (lambda: SlaPolicy(calendar="UTC"), "calendar"),  # type: ignore[arg-type]
        (lambda: SlaPolicy(complaint_targets=1), "complaint_targets"),
        (lambda: SlaPolicy(targets=(H,)), "targets"),  # type: ignore[arg-type]
        (lambda: POLICY.target_for(complaint(), "answer"), "milestone"),
        (lambda: sla_status("cmp-1", POLICY, as_of=FRIDAY_EVENING), "complaint"),  # type: ignore[arg-type]
        (lambda: sla_status(complaint(), "policy", as_of=FRIDAY_EVENING), "policy"),  # type: ignore[arg-type]
        (lambda: sla_status(complaint(), POLICY, as_of=berlin(2030, 4, 19)), "as_of"),
        (lambda: sla_status(complaint(), POLICY, as_of=berlin(2200, 4, 19)), "as_of"),
        (lambda: sla_status(complaint(), POLICY, as_of=dt.datetime(2031, 1, 1)), "as_of"),
        (lambda: sla_report([complaint(), "x"], POLICY, as_of=FRIDAY_EVENING), "complaint"),  # type: ignore[list-item]
    ],
)
def test_bad_input_is_refused(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_an_empty_report_prints_its_header() -> None:
    # found by the fuzz suite: a table without rows had no column widths
    text = str(sla_report([], as_of=pendulum.datetime(2030, 1, 1, tz="UTC")))
    assert text.splitlines()[0].split() == [
        "milestone",
        "level",
        "ongoing",
        "reached",
        "breached",
        "breach",
        "rate",
    ]


def test_the_report_skips_later_complaints_wherever_they_stand_and_counts_each() -> None:
    future = complaint("low", "letter", 3, at=berlin(2030, 5, 1, 9))
    first = complaint(at=berlin(2030, 4, 22, 9)).advance("calmed", at=berlin(2030, 4, 22, 10))
    second = complaint(number=4, at=berlin(2030, 4, 22, 9))
    second = second.advance("calmed", at=berlin(2030, 4, 22, 11))
    as_of = berlin(2030, 4, 23, 10)
    report = sla_report([future, first, second], POLICY, as_of=as_of)
    assert report.as_of == as_of
    assert dict(report) == {
        (Milestone.FIRST_RESPONSE, first.level): SlaCounts(ongoing=0, reached=2, breached=0),
        (Milestone.RESOLUTION, first.level): SlaCounts(ongoing=2, reached=0, breached=0),
    }
    assert str(report).splitlines()[2:] == [
        "first response   high        0        2         0        0.0 %",
        "resolution       high        2        0         0            -",
        "first response    all        0        2         0        0.0 %",
        "resolution        all        2        0         0            -",
    ]


def test_report_refusals_and_a_complaint_received_at_the_instant_itself() -> None:
    with pytest.raises(ValidationError) as caught:
        sla_report("x", POLICY, as_of=FRIDAY_EVENING)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "complaints: must be an iterable of Complaint values, not str (accepted: Complaint values)"
    )
    with pytest.raises(ValidationError, match=r"^as_of: must be a datetime, not str"):
        sla_report([], POLICY, as_of="x")  # type: ignore[arg-type]
    now = berlin(2030, 4, 22, 9)
    report = sla_report([complaint(at=now)], POLICY, as_of=now)
    assert report.totals[Milestone.FIRST_RESPONSE] == SlaCounts(ongoing=1, reached=0, breached=0)
