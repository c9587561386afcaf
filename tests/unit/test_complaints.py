import datetime as dt
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from crmcore import (
    RESPONSE_TARGETS,
    Channel,
    ComplainantType,
    Complaint,
    ComplaintAdvanced,
    ComplaintClosed,
    ComplaintCompensated,
    ComplaintLevel,
    ComplaintReceived,
    ComplaintStep,
    CurrencyMismatchError,
    InvalidTransitionError,
    Money,
    ValidationError,
)
from crmcore.domain.complaints import STEPS, Compensation, StepRecord

T0 = pendulum.datetime(2030, 1, 1, 8, tz="UTC")


def received(level: str = "normal", **kwargs: Any) -> Complaint:
    return Complaint.receive(
        complaint_id="cmp-1",
        customer_id="c-1",
        channel="call centre",
        level=level,
        complainant_type=ComplainantType.NEGOTIATOR,
        subject="Invoice for Mr Lê was wrong",
        at=T0,
        **kwargs,
    )


def handled(until: ComplaintStep) -> Complaint:
    complaint = received()
    for hours, step in enumerate(STEPS[1 : STEPS.index(until) + 1], start=1):
        complaint = complaint.advance(step, at=T0.add(hours=hours))
    return complaint


def test_the_six_steps_are_the_sources() -> None:
    assert [s.value for s in STEPS] == [
        "received",
        "calmed",
        "clarified",
        "solution proposed",
        "action taken",
        "thanked",
    ]


def test_receive() -> None:
    complaint = received()
    assert complaint.current_step is ComplaintStep.RECEIVED
    assert complaint.channel is Channel.CALL_CENTRE
    assert complaint.level is ComplaintLevel.NORMAL
    assert complaint.response_target == dt.timedelta(days=3)
    assert complaint.pending_events == (
        ComplaintReceived(
            occurred_at=T0,
            complaint_id="cmp-1",
            customer_id="c-1",
            level=ComplaintLevel.NORMAL,
            channel=Channel.CALL_CENTRE,
        ),
    )


def test_default_response_targets() -> None:
    assert {
        ComplaintLevel.LOW: dt.timedelta(days=7),
        ComplaintLevel.NORMAL: dt.timedelta(days=3),
        ComplaintLevel.HIGH: dt.timedelta(hours=24),
        ComplaintLevel.URGENT: dt.timedelta(hours=4),
    } == RESPONSE_TARGETS
    assert received(response_target=dt.timedelta(hours=1)).response_target == dt.timedelta(hours=1)


def test_steps_move_forward_one_at_a_time_with_timestamps() -> None:
    complaint = handled(ComplaintStep.ACTION_TAKEN)
    assert complaint.current_step is ComplaintStep.ACTION_TAKEN
    assert complaint.step_at(ComplaintStep.CALMED) == T0.add(hours=1)
    assert complaint.step_at(ComplaintStep.THANKED) is None
    assert complaint.pending_events[-1] == ComplaintAdvanced(
        occurred_at=T0.add(hours=4), complaint_id="cmp-1", step=ComplaintStep.ACTION_TAKEN
    )
    noted = received().advance("calmed", at=T0, note="apologised")
    assert noted.steps[-1] == StepRecord(ComplaintStep.CALMED, T0, "apologised")


@pytest.mark.parametrize(
    ("at_step", "wanted", "expected"),
    [
        (ComplaintStep.RECEIVED, ComplaintStep.CLARIFIED, "'calmed'"),
        (ComplaintStep.CLARIFIED, ComplaintStep.CALMED, "'solution proposed'"),
        (ComplaintStep.CLARIFIED, ComplaintStep.CLARIFIED, "'solution proposed'"),
        (ComplaintStep.ACTION_TAKEN, ComplaintStep.THANKED, "close"),
    ],
)
def test_skipping_or_going_back_is_refused(
    at_step: ComplaintStep, wanted: ComplaintStep, expected: str
) -> None:
    complaint = handled(at_step)
    with pytest.raises(InvalidTransitionError, match=expected) as caught:
        complaint.advance(wanted, at=T0.add(days=1))
    assert caught.value.current == at_step.value


def test_close_only_after_action_taken() -> None:
    with pytest.raises(InvalidTransitionError, match="only after 'action taken'") as caught:
        handled(ComplaintStep.CLARIFIED).close(at=T0.add(days=1), satisfaction=4)
    assert caught.value.allowed == ("solution proposed",)
    closed = handled(ComplaintStep.ACTION_TAKEN).close(at=T0.add(days=2), satisfaction=4)
    assert closed.is_closed
    assert closed.current_step is ComplaintStep.THANKED
    assert closed.satisfaction == 4
    assert closed.time_to_resolution == dt.timedelta(days=2)
    assert closed.pending_events[-1] == ComplaintClosed(
        occurred_at=T0.add(days=2), complaint_id="cmp-1", satisfaction=4
    )


@pytest.mark.parametrize("score", [0, 6, 4.5, True, "5"])
def test_satisfaction_is_one_to_five(score: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        handled(ComplaintStep.ACTION_TAKEN).close(at=T0.add(days=1), satisfaction=score)
    assert caught.value.field == "satisfaction"


def test_closed_complaints_accept_nothing() -> None:
    closed = handled(ComplaintStep.ACTION_TAKEN).close(at=T0.add(days=1), satisfaction=5)
    commands: list[Callable[[Complaint], object]] = [
        lambda c: c.advance("thanked", at=T0.add(days=2)),
        lambda c: c.compensate(Money.of("5", "EUR"), at=T0.add(days=2)),
        lambda c: c.close(at=T0.add(days=2), satisfaction=5),
    ]
    for command in commands:
        with pytest.raises(InvalidTransitionError, match="closed"):
            command(closed)


def test_compensations_add_up_in_one_currency() -> None:
    complaint = received().compensate(Money.of("20", "EUR"), at=T0.add(hours=1))
    complaint = complaint.compensate(Money.of("5.50", "EUR"), at=T0.add(hours=2))
    assert complaint.total_compensation == Money.of("25.50", "EUR")
    assert [c.amount for c in complaint.compensations] == [
        Money.of("20", "EUR"),
        Money.of("5.50", "EUR"),
    ]
    assert complaint.pending_events[-1] == ComplaintCompensated(
        occurred_at=T0.add(hours=2), complaint_id="cmp-1", amount=Money.of("5.50", "EUR")
    )
    assert received().total_compensation is None
    with pytest.raises(CurrencyMismatchError):
        complaint.compensate(Money.of("1", "USD"), at=T0.add(hours=3))
    for bad in (Money.of("0", "EUR"), Money.of("-1", "EUR"), 5):
        with pytest.raises(ValidationError):
            complaint.compensate(bad, at=T0.add(hours=3))  # type: ignore[arg-type]


def test_overdue_at_the_exact_boundary() -> None:
    urgent = received("urgent")
    target = T0.add(hours=4)
    assert not urgent.is_overdue(at=target)
    assert urgent.is_overdue(at=target + dt.timedelta(microseconds=1))
    calmed = urgent.advance("calmed", at=T0.add(hours=1))
    assert not calmed.is_overdue(at=T0.add(days=30))


def test_time_to_resolution_is_none_while_open() -> None:
    assert received().time_to_resolution is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "telegram"}, "channel"),
        ({"level": "critical"}, "level"),
        ({"complainant_type": "angry"}, "complainant_type"),
        ({"subject": ""}, "subject"),
        ({"response_target": dt.timedelta(0)}, "response_target"),
        ({"response_target": 3600}, "response_target"),
        ({"complaint_id": "a b"}, "complaint_id"),
    ],
)
def test_receive_rejects_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "complaint_id": "cmp",
        "customer_id": "c",
        "channel": "phone",
        "level": "low",
        "complainant_type": "victim",
        "subject": "s",
        "at": T0,
    } | kwargs
    with pytest.raises(ValidationError) as caught:
        Complaint.receive(**arguments)
    assert caught.value.field == field


def test_advance_rejects_bad_notes_and_steps() -> None:
    with pytest.raises(ValidationError) as note:
        received().advance("calmed", at=T0, note="x" * 2001)
    assert note.value.field == "note"
    with pytest.raises(ValidationError) as step:
        received().advance("soothed", at=T0)
    assert step.value.field == "step"


def test_repr_hides_subject_and_notes() -> None:
    complaint = received().advance("calmed", at=T0, note="Mr Lê was upset")
    assert "Lê" not in repr(complaint)
    assert "Lê" not in repr(complaint.steps)
    assert repr(complaint) == (
        "Complaint(complaint_id='cmp-1', customer_id='c-1', level='normal', step='calmed')"
    )


def test_constructor_checks_steps() -> None:
    base: dict[str, Any] = {
        "complaint_id": "c",
        "customer_id": "c",
        "channel": "web",
        "level": "low",
        "complainant_type": "rational",
        "subject": "s",
        "steps": (StepRecord(ComplaintStep.RECEIVED, T0),),
        "changed_at": T0,
    }
    bad: list[tuple[dict[str, Any], str]] = [
        ({"steps": ()}, "steps"),
        ({"steps": (StepRecord(ComplaintStep.CALMED, T0),)}, "steps"),
        (
            {
                "steps": (
                    StepRecord(ComplaintStep.RECEIVED, T0),
                    StepRecord(ComplaintStep.CALMED, T0.subtract(hours=1)),
                )
            },
            "steps",
        ),
        ({"satisfaction": 3}, "satisfaction"),
        (
            {"compensations": (Compensation(Money.of("-1", "EUR"), T0),)},
            "compensations",
        ),
    ]
    for changes, field in bad:
        with pytest.raises(ValidationError) as caught:
            Complaint(**(base | changes))
        assert caught.value.field == field, changes
