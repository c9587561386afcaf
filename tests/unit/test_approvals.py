"""Approval gates on pipeline stages: request, approve, reject, and the moves they allow."""

import attrs
import pendulum
import pytest

from crmcore import (
    ApprovalGranted,
    ApprovalRejected,
    ApprovalRequest,
    ApprovalRequested,
    ApprovalStatus,
    InvalidTransitionError,
    Money,
    Opportunity,
    PermissionDeniedError,
    Pipeline,
    Stage,
    ValidationError,
)

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
T1 = T0.add(hours=1)
T2 = T0.add(hours=2)
T3 = T0.add(hours=3)

GATED = Pipeline(
    [
        Stage("Qualify", "0.1"),
        Stage("Propose", "0.4"),
        Stage("Negotiate", "0.7", requires_approval=True),
        Stage("Won", "1", kind="won", requires_approval=True),
        Stage("Lost", "0", kind="lost"),
    ],
    name="gated",
)


def _open(pipeline: Pipeline = GATED) -> Opportunity:
    return Opportunity.open(
        opportunity_id="o1",
        customer_id="c1",
        title="Fleet renewal",
        amount=Money.of("5000", "EUR"),
        at=T0,
        pipeline=pipeline,
        owner="rep",
        team="north",
    ).without_events()


def _approved(stage: str = "Negotiate") -> Opportunity:
    return _open().request_approval(stage, by="rep", at=T1).approve(by="boss", at=T2)


def test_a_gated_stage_cannot_be_entered_without_approval() -> None:
    opp = _open()
    with pytest.raises(InvalidTransitionError, match="requires approval") as caught:
        opp.move_to("Negotiate", at=T1)
    assert caught.value.allowed == ("request_approval",)
    assert (caught.value.current, caught.value.requested) == ("Qualify", "Negotiate")
    with pytest.raises(InvalidTransitionError, match="requires approval"):
        opp.win(at=T1)
    assert opp.move_to("Propose", at=T1).stage_name == "Propose"  # ungated stages are free
    assert opp.lose(at=T1, reason="budget cut").is_lost


def test_request_approve_move_uses_the_approval_up() -> None:
    requested = _open().request_approval("Negotiate", by="rep", at=T1)
    assert requested.approval == ApprovalRequest(
        stage_name="Negotiate", requested_by="rep", requested_at=T1
    )
    assert requested.approval.is_pending
    assert requested.changed_at == T1
    assert requested.pending_events == (
        ApprovalRequested(
            occurred_at=T1, opportunity_id="o1", stage="Negotiate", requested_by="rep"
        ),
    )
    with pytest.raises(InvalidTransitionError, match="requires approval"):
        requested.move_to("Negotiate", at=T1)  # pending is not approved
    approved = requested.approve(by="boss", at=T2)
    assert approved.approval is not None
    assert approved.approval.is_approved
    assert (approved.approval.decided_by, approved.approval.decided_at) == ("boss", T2)
    assert approved.pending_events[-1] == ApprovalGranted(
        occurred_at=T2,
        opportunity_id="o1",
        stage="Negotiate",
        requested_by="rep",
        approved_by="boss",
    )
    moved = approved.move_to("Negotiate", at=T3)
    assert moved.stage_name == "Negotiate"
    assert moved.approval is None  # used up
    back = moved.move_to("Propose", at=T3)
    with pytest.raises(InvalidTransitionError, match="requires approval"):
        back.move_to("Negotiate", at=T3)  # a new visit needs a new approval


def test_an_approval_is_for_its_stage_only_and_any_other_stage_change_clears_it() -> None:
    approved = _approved("Negotiate")
    with pytest.raises(InvalidTransitionError, match="requires approval"):
        approved.win(at=T3)  # approved for Negotiate, not for Won
    cleared = approved.move_to("Propose", at=T3)
    assert cleared.approval is None
    with pytest.raises(InvalidTransitionError):
        cleared.move_to("Negotiate", at=T3)
    pending = _open().request_approval("Won", by="rep", at=T1)
    assert pending.move_to("Propose", at=T2).approval is None
    assert pending.lose(at=T2, reason="went elsewhere").approval is None


def test_other_commands_keep_the_request() -> None:
    approved = _approved()
    kept = approved.change_amount(Money.of("6000", "EUR"), at=T3).override_probability("0.5", at=T3)
    assert kept.approval == approved.approval
    assert kept.reassign(owner="rep2", team="north", at=T3).approval == approved.approval


def test_winning_through_a_gated_won_stage() -> None:
    negotiating = _approved("Negotiate").move_to("Negotiate", at=T3)
    won = negotiating.request_approval("Won", by="rep", at=T3).approve(by="boss", at=T3).win(at=T3)
    assert won.is_won
    assert won.approval is None


def test_reopening_returns_to_a_gated_stage_without_a_new_approval() -> None:
    negotiating = _approved().move_to("Negotiate", at=T3)
    reopened = negotiating.lose(at=T3, reason="paused").reopen(at=T3)
    assert reopened.stage_name == "Negotiate"


def test_a_gated_lost_stage_needs_approval_to_lose() -> None:
    pipeline = Pipeline(
        [
            Stage("A", "0.5"),
            Stage("W", "1", kind="won"),
            Stage("L", "0", kind="lost", requires_approval=True),
        ]
    )
    opp = _open(pipeline)
    with pytest.raises(InvalidTransitionError, match="requires approval"):
        opp.lose(at=T1, reason="no")
    approved = opp.request_approval("L", by="rep", at=T1).approve(by="boss", at=T1)
    assert approved.lose(at=T1, reason="no").is_lost


def test_one_pending_request_at_a_time() -> None:
    pending = _open().request_approval("Negotiate", by="rep", at=T1)
    with pytest.raises(InvalidTransitionError, match="pending approval request") as caught:
        pending.request_approval("Won", by="rep", at=T1)
    assert caught.value.allowed == ("approve", "reject")
    # an approved request that was not used yet is replaced by a new one
    replaced = _approved("Negotiate").request_approval("Won", by="rep", at=T3)
    assert replaced.approval is not None
    assert (replaced.approval.stage_name, replaced.approval.is_pending) == ("Won", True)


def test_requests_only_for_another_gated_stage() -> None:
    opp = _open()
    with pytest.raises(ValidationError, match="does not require approval") as caught:
        opp.request_approval("Propose", by="rep", at=T1)
    assert caught.value.allowed == "Negotiate, Won"
    with pytest.raises(ValidationError, match="stage"):
        opp.request_approval("Nowhere", by="rep", at=T1)
    negotiating = _approved().move_to("Negotiate", at=T3)
    with pytest.raises(ValidationError, match="already in 'Negotiate'"):
        negotiating.request_approval("Negotiate", by="rep", at=T3)
    ungated = _open(
        Pipeline([Stage("A", "0.5"), Stage("W", "1", kind="won"), Stage("L", "0", kind="lost")])
    )
    with pytest.raises(ValidationError) as caught:
        ungated.request_approval("W", by="rep", at=T1)
    assert caught.value.allowed == "a stage that requires approval (this pipeline has none)"
    with pytest.raises(ValidationError) as caught:
        opp.request_approval("Won", by="not an id", at=T1)
    assert caught.value.field == "by"
    with pytest.raises(ValidationError):
        opp.request_approval("Won", by="rep", at=T0.subtract(days=1))


def test_closed_opportunities_take_no_approval_commands() -> None:
    lost = _open().lose(at=T1, reason="no budget")
    with pytest.raises(InvalidTransitionError):
        lost.request_approval("Negotiate", by="rep", at=T2)
    with pytest.raises(InvalidTransitionError):
        lost.approve(by="boss", at=T2)
    with pytest.raises(InvalidTransitionError):
        lost.reject(by="boss", at=T2, reason="no")


def test_approve_and_reject_need_a_pending_request() -> None:
    for opp in (_open(), _approved()):
        with pytest.raises(InvalidTransitionError, match="no pending approval request") as caught:
            opp.approve(by="boss", at=T3)
        assert caught.value.allowed == ("request_approval",)
        with pytest.raises(InvalidTransitionError):
            opp.reject(by="boss", at=T3, reason="no")
    with pytest.raises(InvalidTransitionError) as caught:
        _approved().approve(by="boss2", at=T3)
    assert caught.value.current == "approval granted"


def test_nobody_decides_their_own_request() -> None:
    pending = _open().request_approval("Negotiate", by="rep", at=T1)
    with pytest.raises(PermissionDeniedError) as caught:
        pending.approve(by="rep", at=T2)
    assert (caught.value.user_id, caught.value.action, caught.value.record_id) == (
        "rep",
        "approve",
        "o1",
    )
    assert "Fleet renewal" not in str(caught.value)  # the title is free text
    with pytest.raises(PermissionDeniedError) as caught:
        pending.reject(by="rep", at=T2, reason="changed my mind")
    assert caught.value.action == "reject"


def test_reject_drops_the_request_with_a_reason() -> None:
    pending = _open().request_approval("Negotiate", by="rep", at=T1)
    rejected = pending.reject(by="boss", at=T2, reason="discount too deep")
    assert rejected.approval is None
    assert rejected.changed_at == T2
    event = rejected.pending_events[-1]
    assert event == ApprovalRejected(
        occurred_at=T2,
        opportunity_id="o1",
        stage="Negotiate",
        requested_by="rep",
        rejected_by="boss",
        reason="discount too deep",
    )
    assert "discount" not in repr(event)  # free text stays out of repr
    with pytest.raises(ValidationError) as caught:
        pending.reject(by="boss", at=T2, reason="  ")
    assert caught.value.field == "reason"
    assert rejected.request_approval("Negotiate", by="rep", at=T3).approval is not None


def test_approval_requests_validate_themselves() -> None:
    with pytest.raises(ValidationError, match="exactly when the request is approved"):
        ApprovalRequest(stage_name="X", requested_by="a", requested_at=T0, decided_by="b")
    with pytest.raises(ValidationError, match="exactly when the request is approved"):
        ApprovalRequest(
            stage_name="X", requested_by="a", requested_at=T0, status=ApprovalStatus.APPROVED
        )
    with pytest.raises(ValidationError, match="is the requester"):
        ApprovalRequest(
            stage_name="X",
            requested_by="a",
            requested_at=T0,
            status="approved",
            decided_by="a",
            decided_at=T0,
        )
    with pytest.raises(ValidationError, match="before the request"):
        ApprovalRequest(
            stage_name="X",
            requested_by="a",
            requested_at=T1,
            status="approved",
            decided_by="b",
            decided_at=T0,
        )
    with pytest.raises(ValidationError) as caught:
        ApprovalRequest(stage_name="X", requested_by="a", requested_at=T0, status="maybe")
    assert caught.value.field == "status"


def test_the_constructor_checks_the_request_against_the_opportunity() -> None:
    opp = _open()
    pending = ApprovalRequest(stage_name="Negotiate", requested_by="rep", requested_at=T0)
    assert attrs.evolve(opp, approval=pending).approval == pending
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(opp, approval="Negotiate")  # type: ignore[arg-type]
    assert caught.value.field == "approval"
    for bad in (
        attrs.evolve(pending, stage_name="Propose"),  # not gated
        attrs.evolve(pending, stage_name="Qualify"),  # the current stage
    ):
        with pytest.raises(ValidationError, match="can hold"):
            attrs.evolve(opp, approval=bad)
    with pytest.raises(ValidationError, match="can hold"):
        attrs.evolve(opp.lose(at=T1, reason="x"), approval=attrs.evolve(pending, requested_at=T1))
    moved = opp.move_to("Propose", at=T1)
    with pytest.raises(ValidationError, match="outside the current stage visit"):
        attrs.evolve(moved, approval=pending)  # requested before the last stage change
    with pytest.raises(ValidationError, match="outside the current stage visit"):
        attrs.evolve(opp, approval=attrs.evolve(pending, requested_at=T1))  # after changed_at
