import datetime as dt
from fractions import Fraction

import attrs
import pendulum
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmcore import (
    InvalidTransitionError,
    Money,
    Opportunity,
    Pipeline,
    StageKind,
    ValidationError,
)
from crmcore.testing.strategies import opportunities, pipelines, probabilities


@given(opportunities())
def test_expected_value_is_amount_times_probability(opp: Opportunity) -> None:
    exact = Fraction(opp.amount.amount) * Fraction(opp.probability)
    got = Fraction(opp.expected_value.amount)
    if (exact * 10**18).denominator == 1:
        assert got == exact
    else:  # rounded once at the 18th fractional digit
        assert abs(got - exact) <= Fraction(1, 2 * 10**18)


@given(opportunities())
def test_won_means_probability_one_and_lost_zero(opp: Opportunity) -> None:
    if opp.is_won:
        assert opp.probability == 1
    if opp.is_lost:
        assert opp.probability == 0
    assert opp.is_open + opp.is_won + opp.is_lost == 1


@given(opportunities())
def test_history_is_contiguous_and_ends_with_the_current_stage(opp: Opportunity) -> None:
    for before, after in zip(opp.history, opp.history[1:], strict=False):
        assert before.left_at == after.entered_at
        assert before.left_at is not None
        assert before.entered_at <= before.left_at
    assert opp.history[-1].stage_name == opp.stage.name
    assert opp.history[-1].left_at is None


@given(opportunities(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)))
def test_times_in_stages_sum_to_the_age(opp: Opportunity, extra: dt.timedelta) -> None:
    as_of = opp.changed_at + extra
    total = sum(opp.time_in_stages(as_of=as_of).values(), dt.timedelta())
    assert total == as_of - opp.opened_at


@given(opportunities(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=1)))
def test_reopen_restores_the_last_open_stage(opp: Opportunity, later: dt.timedelta) -> None:
    if not opp.is_open:
        return
    lost = opp.lose(at=opp.changed_at + later, reason="test")
    reopened = lost.reopen(at=lost.changed_at)
    assert reopened.stage == opp.stage
    assert reopened.probability == opp.stage.probability
    assert reopened.lost_reason is None


@given(opportunities())
def test_a_rebuilt_opportunity_passes_validation(opp: Opportunity) -> None:
    # The constructor's checks accept every state the commands can build.
    assert attrs.evolve(opp) == opp


class OpportunityMachine(RuleBasedStateMachine):
    """Random valid and invalid command sequences keep every invariant."""

    def __init__(self) -> None:
        super().__init__()
        self.opp: Opportunity | None = None
        self.now = pendulum.datetime(2030, 1, 1, tz="UTC")
        self.events = 0

    @rule(pipeline=pipelines())
    @precondition(lambda self: self.opp is None)
    def open(self, pipeline: Pipeline) -> None:
        self.opp = Opportunity.open(
            opportunity_id="o",
            customer_id="c",
            title="t",
            amount=Money.of("100", "EUR"),
            at=self.now,
            pipeline=pipeline,
        )
        self.events = 1

    def _try(self, command: str, *args: object, **kwargs: object) -> None:
        assert self.opp is not None
        before = self.opp
        try:
            after = getattr(before, command)(*args, **kwargs)
        except (InvalidTransitionError, ValidationError):
            assert self.opp == before  # nothing changed
            assert len(before.pending_events) == self.events
            return
        assert len(after.pending_events) == self.events + 1
        self.events += 1
        self.opp = after

    @rule(hours=st.integers(min_value=-2, max_value=48), data=st.data())
    @precondition(lambda self: self.opp is not None)
    def move(self, hours: int, data: st.DataObject) -> None:
        assert self.opp is not None
        self.now = self.now.add(hours=max(hours, 0))
        stage = data.draw(st.sampled_from(self.opp.pipeline.names))
        self._try("move_to", stage, at=self.now.add(hours=min(hours, 0)))

    @rule(hours=st.integers(min_value=0, max_value=48))
    @precondition(lambda self: self.opp is not None)
    def win(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self._try("win", at=self.now)

    @rule(hours=st.integers(min_value=0, max_value=48))
    @precondition(lambda self: self.opp is not None)
    def lose(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self._try("lose", at=self.now, reason="lost in test")

    @rule(hours=st.integers(min_value=0, max_value=48))
    @precondition(lambda self: self.opp is not None)
    def reopen(self, hours: int) -> None:
        self.now = self.now.add(hours=hours)
        self._try("reopen", at=self.now)

    @rule(p=probabilities())
    @precondition(lambda self: self.opp is not None)
    def override(self, p: object) -> None:
        self._try("override_probability", p, at=self.now)

    @invariant()
    def invariants_hold(self) -> None:
        if self.opp is None:
            return
        opp = self.opp
        for before, after in zip(opp.history, opp.history[1:], strict=False):
            assert before.left_at == after.entered_at
        assert opp.history[-1].stage_name == opp.stage.name
        if opp.stage.kind is StageKind.WON:
            assert opp.probability == 1
        if opp.is_lost:
            assert opp.lost_reason is not None
            assert opp.pipeline.stage(opp.last_open_stage).is_open
        else:
            assert opp.lost_reason is None
        if not opp.is_open:
            assert opp.probability_override is None


TestOpportunityMachine = OpportunityMachine.TestCase
