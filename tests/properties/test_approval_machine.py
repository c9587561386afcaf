"""A stateful test of the approval gates: request, approve, reject and moves keep the rules.

The model is written from the rules in the issue, independently of the code:
a gated stage is entered only with an approved request for it; one pending
request at a time; nobody decides their own request; an approval is used up
by the move it allowed and cleared by any other stage change; reopening is
not gated.
"""

from typing import cast

import attrs
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from hypothesis.strategies import DrawFn

from crmcore import (
    ApprovalGranted,
    InvalidTransitionError,
    Money,
    Opportunity,
    OpportunityLost,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    PermissionDeniedError,
    Pipeline,
    Stage,
    ValidationError,
)
from crmcore.adapters.converters import make_converter
from crmcore.domain.events import DomainEvent
from crmcore.testing.strategies import _approval_step, _approved, opportunities

PIPELINE = Pipeline(
    [
        Stage("Qualify", "0.1"),
        Stage("Propose", "0.3"),
        Stage("Negotiate", "0.6", requires_approval=True),
        Stage("Review", "0.8", requires_approval=True),
        Stage("Won", "1", kind="won", requires_approval=True),
        Stage("Lost", "0", kind="lost"),
    ]
)
GATED = {s.name for s in PIPELINE if s.requires_approval}
OPEN = [s.name for s in PIPELINE.open_stages]
USERS = st.sampled_from(["u1", "u2", "u3"])
T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


class ApprovalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.opp = Opportunity.open(
            opportunity_id="o1",
            customer_id="c1",
            title="Deal",
            amount=Money.of("100", "EUR"),
            at=T0,
            pipeline=PIPELINE,
        )
        self.minutes = 0
        self.stage = "Qualify"
        self.last_open = "Qualify"
        self.closed: str | None = None  # "won" or "lost"
        self.request: tuple[str, str, bool] | None = None  # stage, requester, approved
        self.events: list[DomainEvent] = list(self.opp.pending_events)

    def _at(self) -> pendulum.DateTime:
        self.minutes += 1
        return T0.add(minutes=self.minutes)

    def _done(self, new: Opportunity) -> None:
        self.events.extend(new.pending_events[len(self.opp.pending_events) :])
        self.opp = new

    def _approved_for(self, stage: str) -> bool:
        return self.request is not None and self.request[0] == stage and self.request[2]

    @rule(stage=st.sampled_from([s.name for s in PIPELINE]), user=USERS)
    def request_approval(self, stage: str, user: str) -> None:
        try:
            new = self.opp.request_approval(stage, by=user, at=self._at())
        except InvalidTransitionError:
            assert self.closed is not None or (self.request is not None and not self.request[2])
            return
        except ValidationError:
            assert stage not in GATED or stage == self.stage
            return
        assert self.closed is None
        assert stage in GATED
        assert stage != self.stage
        assert self.request is None or self.request[2]
        self.request = (stage, user, False)
        self._done(new)

    @rule(user=USERS, approve=st.booleans())
    def decide(self, user: str, approve: bool) -> None:
        at = self._at()
        try:
            new = (
                self.opp.approve(by=user, at=at)
                if approve
                else self.opp.reject(by=user, at=at, reason="not now")
            )
        except InvalidTransitionError:
            assert self.closed is not None or self.request is None or self.request[2]
            return
        except PermissionDeniedError as error:
            assert self.request is not None
            assert self.request[1] == user
            assert error.user_id == user  # noqa: PT017
            return
        assert self.closed is None
        assert self.request is not None
        assert not self.request[2]
        assert self.request[1] != user
        self.request = (self.request[0], self.request[1], True) if approve else None
        self._done(new)

    def _entered(self, stage: str) -> None:
        self.stage = stage
        self.request = None

    @rule(stage=st.sampled_from(OPEN))
    def move(self, stage: str) -> None:
        try:
            new = self.opp.move_to(stage, at=self._at())
        except InvalidTransitionError as error:
            closed = self.closed is not None
            assert closed or (stage in GATED and not self._approved_for(stage))
            if not closed:
                assert "requires approval" in str(error)  # noqa: PT017
            return
        except ValidationError:
            assert stage == self.stage
            return
        assert self.closed is None
        assert stage != self.stage
        assert stage not in GATED or self._approved_for(stage)
        self._entered(stage)
        self.last_open = stage
        self._done(new)

    @rule()
    def win(self) -> None:
        try:
            new = self.opp.win(at=self._at())
        except InvalidTransitionError:
            assert self.closed is not None or not self._approved_for("Won")
            return
        assert self.closed is None
        assert self._approved_for("Won")
        self._entered("Won")
        self.closed = "won"
        self._done(new)

    @rule()
    def lose(self) -> None:
        try:
            new = self.opp.lose(at=self._at(), reason="lost")
        except InvalidTransitionError:
            assert self.closed is not None
            return
        self._entered("Lost")
        self.closed = "lost"
        self._done(new)

    @rule()
    def reopen(self) -> None:
        try:
            new = self.opp.reopen(at=self._at())
        except InvalidTransitionError:
            assert self.closed != "lost"
            return
        assert self.closed == "lost"
        self.closed = None
        self._entered(self.last_open)
        self._done(new)

    @invariant()
    def matches_the_model(self) -> None:
        assert self.opp.stage_name == self.stage
        request = self.opp.approval
        if self.request is None:
            assert request is None
        else:
            assert request is not None
            assert (request.stage_name, request.requested_by, request.is_approved) == self.request
            assert request.decided_by != request.requested_by

    @invariant()
    def is_a_valid_state(self) -> None:
        assert attrs.evolve(self.opp) == self.opp

    @invariant()
    def every_gated_entry_except_a_reopening_was_approved_just_before(self) -> None:
        granted: str | None = None
        for event in self.events:
            if isinstance(event, ApprovalGranted):
                granted = event.stage
            elif isinstance(event, OpportunityStageChanged | OpportunityWon | OpportunityLost):
                entered = (
                    event.current
                    if isinstance(event, OpportunityStageChanged)
                    else ("Won" if isinstance(event, OpportunityWon) else "Lost")
                )
                if entered in GATED:
                    assert granted == entered
                granted = None
            elif isinstance(event, OpportunityReopened):
                granted = None


TestApprovalMachine = ApprovalMachine.TestCase
TestApprovalMachine.settings = settings(
    TestApprovalMachine.settings, max_examples=60, stateful_step_count=40
)


@given(opportunities(gated=True))
def test_generated_gated_opportunities_are_valid_and_survive_serialization(
    opp: Opportunity,
) -> None:
    assert attrs.evolve(opp) == opp
    converter = make_converter()
    assert converter.structure(converter.unstructure(opp), Opportunity) == opp
    request = opp.approval
    if request is not None:
        assert opp.is_open
        assert opp.pipeline.stage(request.stage_name).requires_approval
        assert request.stage_name != opp.stage_name


YES = cast(DrawFn, lambda _strategy: True)
NO = cast(DrawFn, lambda _strategy: False)


def test_the_strategies_approval_helpers_handle_every_request_state() -> None:
    opp = Opportunity.open(
        opportunity_id="o1",
        customer_id="c1",
        title="Deal",
        amount=Money.of("100", "EUR"),
        at=T0,
        pipeline=PIPELINE,
    )
    assert _approved(opp, "Propose", T0) is opp  # not gated: nothing to do
    ready = _approved(opp, "Negotiate", T0)
    assert ready.approval is not None
    assert (ready.approval.stage_name, ready.approval.is_approved) == ("Negotiate", True)
    assert _approved(ready, "Negotiate", T0) is ready  # already approved for it
    pending = opp.request_approval("Review", by="u1", at=T0)
    switched = _approved(pending, "Negotiate", T0)  # the other request is rejected first
    assert switched.approval is not None
    assert switched.approval.stage_name == "Negotiate"
    assert switched.move_to("Negotiate", at=T0).stage_name == "Negotiate"

    assert pending.approval is not None
    assert _approval_step(YES, pending, T0).approval == attrs.evolve(
        pending.approval, status="approved", decided_by="user-approver", decided_at=T0
    )
    assert _approval_step(NO, pending, T0).approval is None
    # no gated stage at all (the first open stage, where it opens, never is)
    lone = Opportunity.open(
        opportunity_id="o2", customer_id="c1", title="Deal", amount=Money.of("1", "EUR"), at=T0
    )
    assert _approval_step(YES, lone, T0) is lone
