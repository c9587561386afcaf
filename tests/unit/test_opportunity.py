import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pendulum
import pytest

from crmcore import (
    DEFAULT_PIPELINE,
    CurrencyMismatchError,
    InvalidTransitionError,
    Money,
    Opportunity,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityLost,
    OpportunityOpened,
    OpportunityProbabilityOverridden,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    Pipeline,
    Stage,
    StageKind,
    StageVisit,
    ValidationError,
)

T0 = pendulum.datetime(2030, 3, 1, 9, tz="UTC")


def day(n: int) -> pendulum.DateTime:
    return T0.add(days=n)


def new(amount: str = "1000", **kwargs: Any) -> Opportunity:
    return Opportunity.open(
        opportunity_id="opp-1",
        customer_id="cust-1",
        title="CRM roll-out",
        amount=Money.of(amount, "EUR"),
        at=T0,
        **kwargs,
    )


def test_open_starts_in_the_first_open_stage() -> None:
    opp = new(expected_close=dt.date(2030, 6, 30))
    assert opp.stage.name == "Research"
    assert opp.probability == Decimal("0.10")
    assert (opp.is_open, opp.is_won, opp.is_lost) == (True, False, False)
    assert opp.expected_value == Money.of("100", "EUR")
    assert opp.history == (StageVisit("Research", T0),)
    assert opp.expected_close == pendulum.Date(2030, 6, 30)
    assert opp.opened_at == T0
    assert opp.closed_at is None
    assert opp.pending_events == (
        OpportunityOpened(
            occurred_at=T0,
            opportunity_id="opp-1",
            customer_id="cust-1",
            stage="Research",
            amount=Money.of("1000", "EUR"),
        ),
    )


def test_opportunities_share_their_pipeline() -> None:
    assert new().pipeline is DEFAULT_PIPELINE
    assert new().move_to("Contact", at=day(1)).pipeline is DEFAULT_PIPELINE


def test_zero_amount_is_allowed() -> None:
    assert new("0").expected_value == Money.zero("EUR")


def test_move_to_any_open_stage_forward_or_back() -> None:
    opp = new().move_to("Negotiation", at=day(1)).move_to("Contact", at=day(2))
    assert [v.stage_name for v in opp.history] == ["Research", "Negotiation", "Contact"]
    assert opp.history[1] == StageVisit("Negotiation", day(1), day(2))
    assert opp.pending_events[-1] == OpportunityStageChanged(
        occurred_at=day(2), opportunity_id="opp-1", previous="Negotiation", current="Contact"
    )


def test_win_sets_probability_one_and_records_the_event() -> None:
    won = new().move_to("Negotiation", at=day(1)).win(at=day(2))
    assert won.is_won
    assert won.probability == 1
    assert won.closed_at == day(2)
    assert won.expected_value == Money.of("1000", "EUR")
    assert won.pending_events[-1] == OpportunityWon(
        occurred_at=day(2),
        opportunity_id="opp-1",
        customer_id="cust-1",
        amount=Money.of("1000", "EUR"),
        previous="Negotiation",
    )


def test_lose_remembers_the_last_open_stage_and_reopen_restores_it() -> None:
    lost = new().move_to("Proposal", at=day(1)).lose(at=day(2), reason="price too high")
    assert lost.is_lost
    assert lost.probability == 0
    assert lost.lost_reason == "price too high"
    assert lost.last_open_stage == "Proposal"
    assert lost.pending_events[-1] == OpportunityLost(
        occurred_at=day(2), opportunity_id="opp-1", reason="price too high", previous="Proposal"
    )
    reopened = lost.reopen(at=day(3))
    assert reopened.stage.name == "Proposal"
    assert reopened.probability == Decimal("0.40")
    assert reopened.lost_reason is None
    assert reopened.pending_events[-1] == OpportunityReopened(
        occurred_at=day(3), opportunity_id="opp-1", stage="Proposal"
    )


def test_override_lasts_until_the_next_stage_change() -> None:
    opp = new().override_probability("0.55", at=day(1))
    assert opp.probability == Decimal("0.55")
    assert opp.expected_value == Money.of("550", "EUR")
    assert opp.pending_events[-1] == OpportunityProbabilityOverridden(
        occurred_at=day(1), opportunity_id="opp-1", probability=Decimal("0.55")
    )
    assert opp.move_to("Contact", at=day(2)).probability == Decimal("0.20")
    assert opp.win(at=day(2)).probability == 1
    assert opp.lose(at=day(2), reason="x").reopen(at=day(3)).probability == Decimal("0.10")


def test_change_amount() -> None:
    opp = new().change_amount(Money.of("1500", "EUR"), at=day(1))
    assert opp.amount == Money.of("1500", "EUR")
    assert opp.pending_events[-1] == OpportunityAmountChanged(
        occurred_at=day(1),
        opportunity_id="opp-1",
        previous=Money.of("1000", "EUR"),
        current=Money.of("1500", "EUR"),
    )


def test_close_date_pushes_count_later_dates_only() -> None:
    opp = new()
    opp = opp.change_expected_close(pendulum.Date(2030, 6, 1), at=day(1))
    opp = opp.change_expected_close(pendulum.Date(2030, 7, 1), at=day(2))
    opp = opp.change_expected_close(pendulum.Date(2030, 5, 1), at=day(3))
    opp = opp.change_expected_close(pendulum.Date(2030, 8, 1), at=day(4))
    assert opp.close_date_pushes == 2
    assert opp.pending_events[-1] == OpportunityCloseDateChanged(
        occurred_at=day(4),
        opportunity_id="opp-1",
        previous=pendulum.Date(2030, 5, 1),
        current=pendulum.Date(2030, 8, 1),
    )


def test_equal_instants_are_allowed_and_ordered_by_command() -> None:
    opp = new().move_to("Contact", at=T0).move_to("Proposal", at=T0)
    assert opp.stage.name == "Proposal"
    assert opp.stage_at(T0) == DEFAULT_PIPELINE.stage("Proposal")


def test_stage_at_and_time_in_stages() -> None:
    opp = new().move_to("Contact", at=day(2)).win(at=day(5))
    assert opp.stage_at(T0.subtract(seconds=1)) is None
    assert opp.stage_at(day(1)) == DEFAULT_PIPELINE.stage("Research")
    assert opp.stage_at(day(2)) == DEFAULT_PIPELINE.stage("Contact")
    assert opp.stage_at(day(9)) == DEFAULT_PIPELINE.won_stage
    assert opp.time_in_stages(as_of=day(7)) == {
        "Research": dt.timedelta(days=2),
        "Contact": dt.timedelta(days=3),
        "Won": dt.timedelta(days=2),
    }
    assert opp.time_in_stages(as_of=day(3)) == {
        "Research": dt.timedelta(days=2),
        "Contact": dt.timedelta(days=1),
    }
    assert opp.time_in_stages(as_of=T0.subtract(days=1)) == {}


def test_repr_shows_ids_not_the_title() -> None:
    text = repr(new())
    assert text == (
        "Opportunity(opportunity_id='opp-1', customer_id='cust-1', stage='Research', "
        "amount=Money('1000', 'EUR'))"
    )
    assert "CRM roll-out" not in text


# Bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"opportunity_id": ""}, "opportunity_id"),
        ({"customer_id": "a b"}, "customer_id"),
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"amount": Money.of("-1", "EUR")}, "amount"),
        ({"amount": Decimal(5)}, "amount"),
        ({"at": dt.datetime(2030, 1, 1)}, "at"),
        ({"pipeline": "default"}, "pipeline"),
        ({"expected_close": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "expected_close"),
    ],
)
def test_open_rejects_bad_arguments(changes: dict[str, Any], field: str) -> None:
    kwargs: dict[str, Any] = {
        "opportunity_id": "opp-1",
        "customer_id": "cust-1",
        "title": "Deal",
        "amount": Money.of("1", "EUR"),
        "at": T0,
    } | changes
    with pytest.raises(ValidationError) as caught:
        Opportunity.open(**kwargs)
    assert caught.value.field == field


def test_move_to_rejects_unknown_current_and_closing_stages() -> None:
    opp = new()
    with pytest.raises(ValidationError, match="Research, Contact") as unknown:
        opp.move_to("Demo", at=day(1))
    assert unknown.value.field == "stage"
    with pytest.raises(ValidationError, match="already in 'Research'"):
        opp.move_to("Research", at=day(1))
    with pytest.raises(ValidationError, match=r"use win\(\)"):
        opp.move_to("Won", at=day(1))
    with pytest.raises(ValidationError, match=r"use lose\(reason=...\)"):
        opp.move_to("Lost", at=day(1))


def test_times_earlier_than_the_last_change_are_rejected() -> None:
    opp = new().move_to("Contact", at=day(2))
    commands: list[Callable[[], object]] = [
        lambda: opp.move_to("Proposal", at=day(1)),
        lambda: opp.win(at=day(1)),
        lambda: opp.lose(at=day(1), reason="x"),
        lambda: opp.override_probability("0.5", at=day(1)),
        lambda: opp.change_amount(Money.of("1", "EUR"), at=day(1)),
        lambda: opp.change_expected_close(pendulum.Date(2031, 1, 1), at=day(1)),
    ]
    for command in commands:
        with pytest.raises(ValidationError, match="earlier than the record's last change"):
            command()
    overridden = opp.override_probability("0.3", at=day(3))
    with pytest.raises(ValidationError, match="earlier"):
        overridden.move_to("Proposal", at=day(2))


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValidationError, match="naive"):
        new().win(at=dt.datetime(2031, 1, 1))


def test_lose_needs_a_reason() -> None:
    for reason in ("", "   ", None, "x" * 501):
        with pytest.raises(ValidationError) as caught:
            new().lose(at=day(1), reason=reason)  # type: ignore[arg-type]
        assert caught.value.field == "reason"


def test_closed_opportunities_accept_only_reopen() -> None:
    won = new().win(at=day(1))
    lost = new().lose(at=day(1), reason="no budget")
    commands: list[Callable[[Opportunity], object]] = [
        lambda o: o.move_to("Contact", at=day(2)),
        lambda o: o.win(at=day(2)),
        lambda o: o.lose(at=day(2), reason="x"),
        lambda o: o.override_probability("0.5", at=day(2)),
        lambda o: o.change_amount(Money.of("1", "EUR"), at=day(2)),
        lambda o: o.change_expected_close(pendulum.Date(2031, 1, 1), at=day(2)),
    ]
    for closed, state in ((won, "won"), (lost, "lost")):
        for command in commands:
            with pytest.raises(InvalidTransitionError) as caught:
                command(closed)
            assert caught.value.current == state
            assert state in str(caught.value)
    assert lost.reopen(at=day(2)).is_open


def test_reopen_refuses_won_and_open_opportunities() -> None:
    with pytest.raises(InvalidTransitionError, match="final") as won:
        new().win(at=day(1)).reopen(at=day(2))
    assert won.value.current == "won"
    with pytest.raises(InvalidTransitionError, match="only a lost") as opened:
        new().reopen(at=day(1))
    assert opened.value.current == "open"


def test_change_amount_rules() -> None:
    with pytest.raises(CurrencyMismatchError):
        new().change_amount(Money.of("1", "USD"), at=day(1))
    with pytest.raises(ValidationError, match="negative"):
        new().change_amount(Money.of("-1", "EUR"), at=day(1))
    with pytest.raises(ValidationError, match="must be Money"):
        new().change_amount(Decimal(1), at=day(1))  # type: ignore[arg-type]


@pytest.mark.parametrize("probability", [Decimal("1.5"), -1, 0.5, "x", None])
def test_override_rejects_bad_probabilities(probability: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        new().override_probability(probability, at=day(1))
    assert caught.value.field == "probability"


def test_change_expected_close_needs_a_date() -> None:
    with pytest.raises(ValidationError, match="calendar date"):
        new().change_expected_close("2030-01-01", at=day(1))  # type: ignore[arg-type]


def test_a_failed_command_changes_nothing() -> None:
    opp = new()
    before = (opp, opp.pending_events)
    with pytest.raises(ValidationError):
        opp.move_to("Nope", at=day(1))
    assert (opp, opp.pending_events) == before


# The constructor guards values built from outside (storage, by hand) -------------


def test_constructor_checks_history_consistency() -> None:
    base: dict[str, Any] = {
        "opportunity_id": "o",
        "customer_id": "c",
        "title": "t",
        "amount": Money.of("1", "EUR"),
        "pipeline": DEFAULT_PIPELINE,
        "stage_name": "Contact",
        "history": (StageVisit("Research", T0, day(1)), StageVisit("Contact", day(1))),
        "changed_at": day(1),
    }
    assert Opportunity(**base).stage.name == "Contact"
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"history": ()}, "history", "non-empty"),
        ({"history": 5}, "history", "sequence of StageVisit"),
        ({"history": ("Research",)}, "history", "non-empty"),
        (
            {"history": (StageVisit("Research", T0, day(2)), StageVisit("Contact", day(1)))},
            "history",
            "gap",
        ),
        (
            {"history": (StageVisit("Contact", T0, day(1)), StageVisit("Contact", day(1)))},
            "history",
            "consecutive",
        ),
        ({"history": (StageVisit("Research", T0),)}, "history", "does not end"),
        (
            {"history": (StageVisit("Research", day(2), day(1)), StageVisit("Contact", day(1)))},
            "history",
            "ends before",
        ),
        (
            {"history": (StageVisit("Nope", T0, day(1)), StageVisit("Contact", day(1)))},
            "history",
            "not a stage",
        ),
        ({"changed_at": T0}, "changed_at", "earlier"),
        ({"stage_name": "Nope"}, "stage_name", "not a stage"),
        ({"lost_reason": "why"}, "lost_reason", "exactly when"),
        ({"close_date_pushes": -1}, "close_date_pushes", "count"),
        (
            {"stage_name": "Won", "history": (StageVisit("Won", T0),), "changed_at": T0},
            "history",
            "without an open stage",
        ),
        (
            {
                "stage_name": "Contact",
                "history": (
                    StageVisit("Research", T0, T0),
                    StageVisit("Won", T0, T0),
                    StageVisit("Contact", T0),
                ),
                "changed_at": T0,
            },
            "history",
            "after the won stage",
        ),
        (
            {
                "stage_name": "Lost",
                "history": (StageVisit("Research", T0, T0), StageVisit("Lost", T0)),
                "changed_at": T0,
                "lost_reason": " ",
            },
            "lost_reason",
            "blank",
        ),
        (
            {
                "stage_name": "Won",
                "history": (StageVisit("Research", T0, T0), StageVisit("Won", T0)),
                "changed_at": T0,
                "probability_override": Decimal("0.5"),
            },
            "probability_override",
            "open opportunity",
        ),
    ]
    for changes, field, fragment in bad:
        with pytest.raises(ValidationError, match=fragment) as caught:
            Opportunity(**(base | changes))
        assert caught.value.field == field, changes


def test_open_starts_in_the_first_open_stage_of_the_given_pipeline() -> None:
    pipeline = Pipeline(
        [Stage("A", "0.5"), Stage("W", 1, StageKind.WON), Stage("L", 0, StageKind.LOST)]
    )
    assert (
        Opportunity.open(
            opportunity_id="o",
            customer_id="c",
            title="t",
            amount=Money.of(1, "EUR"),
            at=T0,
            pipeline=pipeline,
        ).stage.name
        == "A"
    )


def test_a_pipeline_whose_first_open_stage_is_gated_cannot_open_opportunities() -> None:
    from crmcore import Pipeline, Stage

    gated_first = Pipeline(
        [
            Stage("Screen", "0.2", requires_approval=True),
            Stage("Deal", "0.6"),
            Stage("Won", "1", kind="won"),
            Stage("Lost", "0", kind="lost"),
        ]
    )
    with pytest.raises(ValidationError) as caught:
        Opportunity.open(
            opportunity_id="o-1",
            customer_id="c-1",
            title="t",
            amount=Money.of("1", "EUR"),
            at=pendulum.datetime(2030, 1, 1, tz="UTC"),
            pipeline=gated_first,
        )
    assert caught.value.field == "pipeline"
