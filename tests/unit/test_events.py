import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, Opportunity, Pipeline, Stage, ValidationError
from crmcore.domain.events import Aggregate, DomainEvent


@attrs.frozen(kw_only=True)
class Pinged(DomainEvent):
    count: int


@attrs.frozen(kw_only=True)
class Counter(Aggregate):
    count: int = 0

    def ping(self, at: pendulum.DateTime) -> "Counter":
        return self._recorded(Pinged(occurred_at=at, count=self.count + 1), count=self.count + 1)


T0 = pendulum.datetime(2030, 1, 1, 9, tz="Europe/Paris")


def test_events_store_utc_time() -> None:
    event = Pinged(occurred_at=T0, count=1)
    assert event.occurred_at.tzinfo is pendulum.UTC
    with pytest.raises(ValidationError, match="naive"):
        Pinged(occurred_at=pendulum.naive(2030, 1, 1), count=1)


def test_commands_collect_pending_events_outside_equality() -> None:
    counter = Counter().ping(T0).ping(T0)
    assert [e.count for e in counter.pending_events if isinstance(e, Pinged)] == [1, 2]
    drained = counter.without_events()
    assert drained.pending_events == ()
    assert drained == counter
    assert attrs.evolve(counter, version=5) == counter


def test_version_and_events_stay_out_of_repr() -> None:
    assert repr(Counter(version=3).ping(T0)) == "Counter(count=1)"


@given(st.from_type(Money), st.from_type(Stage), st.from_type(Pipeline), st.from_type(Opportunity))
def test_crmcore_types_are_registered_with_hypothesis(
    money: Money, stage: Stage, pipeline: Pipeline, opportunity: Opportunity
) -> None:
    assert isinstance(money, Money)
    assert isinstance(stage, Stage)
    assert isinstance(pipeline, Pipeline)
    assert isinstance(opportunity, Opportunity)
