import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import (
    DEFAULT_PIPELINE,
    CurrencyMismatchError,
    ForecastCategory,
    Money,
    Opportunity,
    Pipeline,
    Stage,
    StageKind,
    ValidationError,
)
from crmcore.analytics import (
    coverage,
    forecast,
    sales_cycle,
    sales_velocity,
    stage_conversion,
    stale,
    time_in_stage,
    weighted_pipeline,
    win_rate,
)
from crmcore.analytics.forecast import DurationStats

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")

PIPELINE = Pipeline(
    [
        Stage("Lead", "0.1", stale_after_days=10),
        Stage("Proposal", "0.5", forecast_category="best case"),
        Stage("Commit", "0.9", forecast_category="commit"),
        Stage("Won", 1, StageKind.WON),
        Stage("Lost", 0, StageKind.LOST),
    ],
    name="test",
)


def day(n: float) -> pendulum.DateTime:
    return T0.add(hours=int(n * 24))


def opp(oid: str, amount: str, currency: str = "EUR", pipeline: Pipeline = PIPELINE) -> Opportunity:
    return Opportunity.open(
        opportunity_id=oid,
        customer_id="c",
        title="t",
        amount=Money.of(amount, currency),
        at=T0,
        pipeline=pipeline,
    )


@pytest.fixture
def book() -> list[Opportunity]:
    return [
        opp("a", "1000"),  # Lead 0.1
        opp("b", "2000").move_to("Proposal", at=day(1)),  # best case 0.5
        opp("c", "4000").move_to("Commit", at=day(2)),  # commit 0.9
        opp("d", "500").move_to("Proposal", at=day(1)).win(at=day(4)),  # won day 4
        opp("e", "300").lose(at=day(3), reason="price"),  # lost day 3
        opp("f", "100", "USD").move_to("Commit", at=day(1)),  # commit 0.9 USD
        opp("g", "700").move_to("Commit", at=day(2)).win(at=day(10)),  # won day 10
    ]


def test_weighted_pipeline_sums_open_opportunities_per_currency(book: list[Opportunity]) -> None:
    result = weighted_pipeline(book)
    assert dict(result) == {"EUR": Money.of("4700", "EUR"), "USD": Money.of("90", "USD")}
    assert dict(result.unweighted) == {
        "EUR": Money.of("7000", "EUR"),
        "USD": Money.of("100", "USD"),
    }
    assert dict(result.counts) == {"EUR": 3, "USD": 1}
    assert list(result) == ["EUR", "USD"]
    assert len(result) == 2


def test_weighted_pipeline_of_nothing_is_empty() -> None:
    assert dict(weighted_pipeline([])) == {}
    assert dict(weighted_pipeline(iter([]))) == {}


def test_forecast_categories_and_rollups(book: list[Opportunity]) -> None:
    result = forecast(book)

    def eur(amount: str) -> Money:
        return Money.of(amount, "EUR")

    assert dict(result.categories[ForecastCategory.PIPELINE]) == {"EUR": eur("1000")}
    assert dict(result.categories[ForecastCategory.BEST_CASE]) == {"EUR": eur("2000")}
    assert dict(result.categories[ForecastCategory.COMMIT]) == {
        "EUR": eur("4000"),
        "USD": Money.of("100", "USD"),
    }
    assert dict(result.categories[ForecastCategory.CLOSED]) == {"EUR": eur("1200")}
    assert dict(result.categories[ForecastCategory.OMITTED]) == {}
    assert result.counts[ForecastCategory.CLOSED] == 2
    assert result.counts[ForecastCategory.OMITTED] == 0
    assert dict(result.rollups["open pipeline"]) == {
        "EUR": eur("7000"),
        "USD": Money.of("100", "USD"),
    }
    assert dict(result.rollups["best case"]) == {"EUR": eur("7200"), "USD": Money.of("100", "USD")}
    assert dict(result.rollups["commit"]) == {"EUR": eur("5200"), "USD": Money.of("100", "USD")}
    assert dict(result.rollups["closed"]) == {"EUR": eur("1200")}
    assert result.period is None


def test_forecast_closed_category_respects_the_period(book: list[Opportunity]) -> None:
    result = forecast(book, closed_between=(day(3), day(10)))
    assert dict(result.categories[ForecastCategory.CLOSED]) == {"EUR": Money.of("500", "EUR")}
    assert result.period == (day(3), day(10))
    assert (
        dict(forecast(book, closed_between=(day(4), day(4))).categories[ForecastCategory.CLOSED])
        == {}
    )


def test_open_stage_in_omitted_category_is_counted_there() -> None:
    pipeline = Pipeline(
        [
            Stage("Parked", "0.1", forecast_category="omitted"),
            Stage("W", 1, "won"),
            Stage("L", 0, "lost"),
        ]
    )
    result = forecast([opp("x", "10", pipeline=pipeline)])
    assert dict(result.categories[ForecastCategory.OMITTED]) == {"EUR": Money.of("10", "EUR")}
    assert dict(result.rollups["open pipeline"]) == {}


def test_win_rate_by_count_and_value(book: list[Opportunity]) -> None:
    result = win_rate(book)
    assert (result.won, result.lost) == (2, 1)
    assert result.by_count == Fraction(2, 3)
    assert dict(result.won_value) == {"EUR": Money.of("1200", "EUR")}
    assert dict(result.lost_value) == {"EUR": Money.of("300", "EUR")}
    assert dict(result.by_value) == {"EUR": Fraction(1200, 1500)}


def test_win_rate_with_nothing_closed_is_none(book: list[Opportunity]) -> None:
    result = win_rate(book, closed_between=(day(20), day(30)))
    assert result.by_count is None
    assert dict(result.by_value) == {}
    zero = win_rate([opp("z", "0").win(at=day(1))])
    assert dict(zero.by_value) == {"EUR": None}
    assert zero.by_count == 1


def test_win_rate_in_a_period(book: list[Opportunity]) -> None:
    result = win_rate(book, closed_between=(day(3), day(5)))
    assert (result.won, result.lost) == (1, 1)


def test_stage_conversion() -> None:
    book = [
        opp("a", "1"),  # entered Lead only
        opp("b", "1").move_to("Proposal", at=day(1)),  # Lead -> Proposal
        opp("c", "1").move_to("Commit", at=day(1)).move_to("Lead", at=day(2)),  # Lead, Commit, Lead
        opp("d", "1").win(at=day(1)),  # Lead -> won
        opp("e", "1").lose(at=day(1), reason="x"),  # Lead -> lost
        opp("f", "1", pipeline=DEFAULT_PIPELINE),
    ]
    result = stage_conversion(book, PIPELINE)
    assert list(result) == ["Lead", "Proposal", "Commit"]
    assert (result["Lead"].entered, result["Lead"].advanced) == (5, 3)
    assert result["Lead"].rate == Fraction(3, 5)
    assert result["Proposal"].rate == Fraction(0, 1)
    commit = result["Commit"]
    assert (commit.entered, commit.advanced, commit.rate) == (
        1,
        0,
        Fraction(0),
    )
    assert result.skipped == 1
    assert len(result) == 3
    empty = stage_conversion([], PIPELINE)
    assert empty["Lead"].rate is None


def test_time_in_stage(book: list[Opportunity]) -> None:
    result = time_in_stage(book, as_of=day(10))
    assert result["Lead"].count == 7
    assert result["Commit"].count == 3
    # Commit: c from day 2 to 10 (8 days), f from day 1 (9 days), g day 2 to 10 (8 days)
    assert result["Commit"].total == dt.timedelta(days=25)
    assert result["Commit"].median == dt.timedelta(days=8)
    assert result["Commit"].mean == dt.timedelta(days=25) / 3
    assert set(result) == {"Lead", "Proposal", "Commit"}
    early = time_in_stage(book, as_of=day(1))
    assert set(early) == {"Lead", "Proposal", "Commit"}
    assert early["Proposal"].total == dt.timedelta(0)


def test_duration_stats() -> None:
    stats = DurationStats.of([dt.timedelta(days=1), dt.timedelta(days=2)])
    assert stats.median == dt.timedelta(days=1, hours=12)
    assert stats.mean_days == Fraction(3, 2)
    assert DurationStats.of([]) == DurationStats(
        count=0, total=dt.timedelta(0), mean=None, median=None
    )


def test_sales_cycle(book: list[Opportunity]) -> None:
    result = sales_cycle(book)
    assert result.won.count == 2
    assert result.won.mean == dt.timedelta(days=7)
    assert result.lost.total == dt.timedelta(days=3)
    assert result.closed.count == 3
    assert result.closed.median == dt.timedelta(days=4)


def test_sales_velocity(book: list[Opportunity]) -> None:
    result = sales_velocity(book, as_of=day(20))
    # EUR: 3 open x average won 600 x win rate 2/3 / average cycle 7 days
    assert result["EUR"] == Money.from_fraction(Fraction(3 * 600 * 2, 3 * 7), "EUR")
    assert result.inputs["EUR"].open_opportunities == 3
    assert result.inputs["EUR"].average_won_amount == Money.of("600", "EUR")
    assert result.inputs["EUR"].win_rate == Fraction(2, 3)
    assert result.inputs["EUR"].average_cycle_days == 7
    assert result["USD"] is None
    assert list(result) == ["EUR", "USD"]
    assert len(result) == 2
    assert result.as_of == day(20)


def test_sales_velocity_uses_the_state_at_as_of(book: list[Opportunity]) -> None:
    result = sales_velocity(book, as_of=day(5))
    # at day 5: g is still open (wins on day 10); d won, e lost
    assert result.inputs["EUR"].open_opportunities == 4
    assert result.inputs["EUR"].average_cycle_days == 4
    assert dict(sales_velocity(book, as_of=T0.subtract(days=1))) == {}


def test_sales_velocity_with_zero_cycle_is_none() -> None:
    result = sales_velocity([opp("a", "10"), opp("b", "10").win(at=T0)], as_of=day(1))
    assert result["EUR"] is None
    assert result.inputs["EUR"].average_cycle_days == 0


def test_stale(book: list[Opportunity]) -> None:
    assert stale(book, as_of=day(10)) == ()
    found = stale(book, as_of=day(10) + dt.timedelta(microseconds=1))
    assert [(s.opportunity_id, s.stage, s.stale_after_days) for s in found] == [("a", "Lead", 10)]
    assert found[0].in_stage == dt.timedelta(days=10, microseconds=1)


def test_coverage() -> None:
    book = [
        opp("a", "1000"),
        opp("b", "3000").move_to("Proposal", at=day(1)),
        opp("c", "9").win(at=day(1)),
    ]
    result = coverage(book, Money.of("2000", "EUR"))
    assert result.unweighted == 2
    assert result.weighted == Fraction(1600, 2000)
    assert (result.count, result.pipeline, result.weighted_pipeline) == (
        2,
        Money.of("4000", "EUR"),
        Money.of("1600", "EUR"),
    )
    assert result.quota == Money.of("2000", "EUR")


def test_coverage_rules() -> None:
    with pytest.raises(ValidationError, match="positive"):
        coverage([], Money.zero("EUR"))
    with pytest.raises(ValidationError, match="positive"):
        coverage([], Decimal(5))  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatchError):
        coverage([opp("a", "1", "USD")], Money.of("1", "EUR"))


BAD_INPUTS: list[Any] = [None, 5, "abc", {"a": 1}]


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_functions_reject_non_iterables(bad: Any) -> None:
    calls: list[Callable[[], object]] = [
        lambda: weighted_pipeline(bad),
        lambda: forecast(bad),
        lambda: win_rate(bad),
        lambda: stage_conversion(bad, PIPELINE),
        lambda: time_in_stage(bad, as_of=T0),
        lambda: sales_cycle(bad),
        lambda: sales_velocity(bad, as_of=T0),
        lambda: stale(bad, as_of=T0),
        lambda: coverage(bad, Money.of(1, "EUR")),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == "opportunities"


def test_functions_reject_non_opportunities() -> None:
    for call in (weighted_pipeline, forecast, win_rate, sales_cycle):
        with pytest.raises(ValidationError) as caught:
            call([opp("a", "1"), "b"])  # type: ignore[list-item]
        assert caught.value.field == "opportunities[1]"


@pytest.mark.parametrize(
    "period",
    [(T0,), (day(2), day(1)), [T0, T0], (dt.datetime(2030, 1, 1), T0), "2030"],
)
def test_bad_periods_are_rejected(period: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        forecast([], closed_between=period)
    assert caught.value.field == "closed_between"


def test_stage_conversion_needs_a_pipeline() -> None:
    with pytest.raises(ValidationError, match="Pipeline"):
        stage_conversion([], "default")  # type: ignore[arg-type]


def test_what_is_left_out_does_not_stop_the_count(book: list[Opportunity]) -> None:
    # Each function skips some opportunities (closed ones, other pipelines, ones
    # opened after as_of) or visits (closed stages): the rest still count
    # whichever comes first.
    late = Opportunity.open(
        opportunity_id="late",
        customer_id="c",
        title="t",
        amount=Money.of("1", "EUR"),
        at=day(30),
        pipeline=PIPELINE,
    )
    backwards = [late, *reversed(book)]
    assert sales_velocity(backwards, as_of=day(20)) == sales_velocity(book, as_of=day(20))
    assert stale(backwards, as_of=day(11)) == stale(book, as_of=day(11)) != ()
    euros = [o for o in backwards if o.amount.currency == "EUR"]
    assert coverage(euros, Money.of("100", "EUR")).count == 4
    others = [opp("x", "1", pipeline=DEFAULT_PIPELINE), opp("y", "1", pipeline=DEFAULT_PIPELINE)]
    conversion = stage_conversion([*others, *book], PIPELINE)
    assert conversion.skipped == 2
    assert conversion["Lead"].entered == len(book)
    reopened = opp("r", "1").lose(at=day(1), reason="x").reopen(at=day(3))
    assert time_in_stage([reopened], as_of=day(4))["Lead"] == DurationStats.of(
        [dt.timedelta(days=1), dt.timedelta(days=1)]
    )
