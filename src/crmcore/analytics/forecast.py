"""Sales forecasting over opportunities: pure functions, exact, per currency.

Every function takes any iterable of `Opportunity` values, never mixes
currencies (money results are per currency), and returns a value that carries
the counts and sums it used.
"""

import datetime as _dt
import decimal
import statistics
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import NoReturn, TypeVar

import attrs
import pendulum

from crmcore.analytics._results import MappingResult
from crmcore.domain.fields import tuple_of
from crmcore.domain.money import Money
from crmcore.domain.numbers import EXACT
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.pipeline import ForecastCategory, Pipeline, StageKind
from crmcore.domain.times import elapsed, in_days, to_utc
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = [
    "Coverage",
    "DurationStats",
    "Forecast",
    "SalesCycle",
    "SalesVelocity",
    "StageConversion",
    "StaleOpportunity",
    "WeightedPipeline",
    "WinRate",
    "coverage",
    "forecast",
    "sales_cycle",
    "sales_velocity",
    "stage_conversion",
    "stale",
    "time_in_stage",
    "weighted_pipeline",
    "win_rate",
]

V = TypeVar("V")


def _frozen(mapping: Mapping[str, V]) -> Mapping[str, V]:
    return MappingProxyType(dict(sorted(mapping.items())))


def _check_iterable(values: object) -> None:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValidationError(
            "opportunities", "must be an iterable of Opportunity", allowed="Opportunity values"
        )


def _opportunities(values: object) -> list[Opportunity]:
    _check_iterable(values)
    assert isinstance(values, Iterable)
    result = list(values)
    for position, value in enumerate(result):
        if not isinstance(value, Opportunity):
            _reject(position, value)
    return result


def _period(closed_between: object) -> tuple[pendulum.DateTime, pendulum.DateTime] | None:
    if closed_between is None:
        return None
    allowed = "None or a (start, end) pair of aware datetimes with start <= end"
    if not isinstance(closed_between, tuple) or len(closed_between) != 2:
        raise ValidationError("closed_between", "must be a (start, end) pair", allowed=allowed)
    start = to_utc(closed_between[0], "closed_between")
    end = to_utc(closed_between[1], "closed_between")
    if end < start:
        raise ValidationError("closed_between", "ends before it starts", allowed=allowed)
    return start, end


def _closed_in(
    opportunity: Opportunity, period: tuple[pendulum.DateTime, pendulum.DateTime] | None
) -> bool:
    closed = opportunity.closed_at
    return closed is not None and (period is None or period[0] <= closed < period[1])


# Weighted pipeline ----------------------------------------------------------


@attrs.frozen(eq=False)
class WeightedPipeline(MappingResult[str, Money]):
    """Σ amount × probability over open opportunities, per currency.

    Attributes:
        totals: weighted totals per currency (what the mapping holds).
        unweighted: plain amount totals of the same opportunities.
        counts: how many open opportunities each currency has.
    """

    totals: Mapping[str, Money]
    unweighted: Mapping[str, Money]
    counts: Mapping[str, int]

    def _mapped(self) -> Mapping[str, Money]:
        return self.totals


def weighted_pipeline(opportunities: Iterable[Opportunity]) -> WeightedPipeline:
    """The weighted pipeline: Σ amount × probability over open opportunities, per currency.

    The sum is exact; it is rounded (once, half-even) only if it needs more
    than the 18 fractional digits an amount may hold.

    Raises:
        ValidationError: an element is not an `Opportunity`.
    """
    _check_iterable(opportunities)
    weighted: dict[str, Decimal] = {}
    plain: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    with decimal.localcontext(EXACT):
        for position, opportunity in enumerate(opportunities):
            if not isinstance(opportunity, Opportunity):
                _reject(position, opportunity)
            if not opportunity.is_open:
                continue
            amount = opportunity.amount
            currency = amount.currency
            if currency in weighted:
                weighted[currency] += amount.amount * opportunity.probability
                plain[currency] += amount.amount
                counts[currency] += 1
            else:
                weighted[currency] = amount.amount * opportunity.probability
                plain[currency] = amount.amount
                counts[currency] = 1
    return WeightedPipeline(
        totals=_frozen({c: Money.from_exact(v, c) for c, v in weighted.items()}),
        unweighted=_frozen({c: Money(v, c) for c, v in plain.items()}),
        counts=_frozen(counts),
    )


def _reject(position: int, value: object) -> NoReturn:
    raise ValidationError(
        f"opportunities[{position}]",
        f"must be an Opportunity, not {type(value).__name__}",
        allowed="an Opportunity",
    )


# Forecast categories and rollups -----------------------------------------------


@attrs.frozen(eq=False)
class Forecast:
    """Unweighted amounts per forecast category and the cumulative rollups.

    Attributes:
        categories: category → currency → total. Open opportunities count in
            their stage's category; won opportunities (won in the period,
            when one is given) count as closed; lost ones are not counted.
        counts: category → number of opportunities.
        rollups: the cumulative views, currency → total:
            ``"open pipeline"`` = pipeline + best case + commit;
            ``"best case"`` = best case + commit + closed;
            ``"commit"`` = commit + closed; ``"closed"`` = closed.
        period: the closing period used for the closed category, or ``None``.
    """

    categories: Mapping[ForecastCategory, Mapping[str, Money]]
    counts: Mapping[ForecastCategory, int]
    rollups: Mapping[str, Mapping[str, Money]]
    period: tuple[pendulum.DateTime, pendulum.DateTime] | None


ROLLUPS: Mapping[str, tuple[ForecastCategory, ...]] = MappingProxyType(
    {
        "open pipeline": (
            ForecastCategory.PIPELINE,
            ForecastCategory.BEST_CASE,
            ForecastCategory.COMMIT,
        ),
        "best case": (ForecastCategory.BEST_CASE, ForecastCategory.COMMIT, ForecastCategory.CLOSED),
        "commit": (ForecastCategory.COMMIT, ForecastCategory.CLOSED),
        "closed": (ForecastCategory.CLOSED,),
    }
)
"""Which categories each cumulative rollup adds up."""


def _add(totals: dict[str, Money], amount: Money) -> None:
    current = totals.get(amount.currency)
    totals[amount.currency] = amount if current is None else current + amount


def forecast(
    opportunities: Iterable[Opportunity],
    *,
    closed_between: tuple[_dt.datetime, _dt.datetime] | None = None,
) -> Forecast:
    """Totals per forecast category and the cumulative rollups, per currency.

    Args:
        opportunities: any iterable of opportunities.
        closed_between: ``(start, end)``, half-open: only opportunities won
            at or after ``start`` and before ``end`` count as closed.

    Raises:
        ValidationError: an element is not an `Opportunity`, or a bad period.
    """
    period = _period(closed_between)
    totals: dict[ForecastCategory, dict[str, Money]] = {c: {} for c in ForecastCategory}
    counts = dict.fromkeys(ForecastCategory, 0)
    for opportunity in _opportunities(opportunities):
        if opportunity.is_lost or (opportunity.is_won and not _closed_in(opportunity, period)):
            continue
        category = opportunity.stage.forecast_category
        counts[category] += 1
        _add(totals[category], opportunity.amount)
    rollups: dict[str, Mapping[str, Money]] = {}
    for name, members in ROLLUPS.items():
        combined: dict[str, Money] = {}
        for category in members:
            for amount in totals[category].values():
                _add(combined, amount)
        rollups[name] = _frozen(combined)
    return Forecast(
        categories=MappingProxyType({c: _frozen(t) for c, t in totals.items()}),
        counts=MappingProxyType(counts),
        rollups=MappingProxyType(rollups),
        period=period,
    )


# Win rate ------------------------------------------------------------------------


@attrs.frozen(eq=False)
class WinRate:
    """Won ÷ (won + lost), by count and by value.

    Attributes:
        won: number of won opportunities.
        lost: number of lost opportunities.
        by_count: ``won / (won + lost)``, or ``None`` when nothing closed.
        won_value: won amounts per currency.
        lost_value: lost amounts per currency.
        by_value: per currency, won value ÷ (won + lost value); ``None``
            where that sum is zero.
    """

    won: int
    lost: int
    by_count: Fraction | None
    won_value: Mapping[str, Money]
    lost_value: Mapping[str, Money]
    by_value: Mapping[str, Fraction | None]


def win_rate(
    opportunities: Iterable[Opportunity],
    *,
    closed_between: tuple[_dt.datetime, _dt.datetime] | None = None,
) -> WinRate:
    """The win rate of closed opportunities, exact.

    Args:
        opportunities: any iterable of opportunities.
        closed_between: ``(start, end)``, half-open: count only opportunities
            closed in that period.
    """
    period = _period(closed_between)
    won_value: dict[str, Money] = {}
    lost_value: dict[str, Money] = {}
    won = lost = 0
    for opportunity in _opportunities(opportunities):
        if not _closed_in(opportunity, period):
            continue
        if opportunity.is_won:
            won += 1
            _add(won_value, opportunity.amount)
        else:
            lost += 1
            _add(lost_value, opportunity.amount)
    by_value: dict[str, Fraction | None] = {}
    for currency in won_value.keys() | lost_value.keys():
        w = Fraction(won_value.get(currency, Money.zero(currency)).amount)
        total = w + Fraction(lost_value.get(currency, Money.zero(currency)).amount)
        by_value[currency] = None if total == 0 else w / total
    return WinRate(
        won=won,
        lost=lost,
        by_count=None if won + lost == 0 else Fraction(won, won + lost),
        won_value=_frozen(won_value),
        lost_value=_frozen(lost_value),
        by_value=_frozen(by_value),
    )


# Stage conversion ---------------------------------------------------------------


@attrs.frozen
class ConversionStep:
    """Conversion out of one open stage.

    Attributes:
        entered: opportunities that ever entered the stage.
        advanced: of those, how many later entered a later open stage or were won.
        rate: ``advanced / entered``, or ``None`` when none entered.
    """

    entered: int
    advanced: int
    rate: Fraction | None


@attrs.frozen(eq=False)
class StageConversion(MappingResult[str, ConversionStep]):
    """Stage name → `ConversionStep`, for each open stage in pipeline order.

    Attributes:
        skipped: opportunities left out because they use another pipeline.
    """

    steps: Mapping[str, ConversionStep]
    skipped: int

    def _mapped(self) -> Mapping[str, ConversionStep]:
        return self.steps


def stage_conversion(opportunities: Iterable[Opportunity], pipeline: Pipeline) -> StageConversion:
    """For each open stage k, the share of opportunities that entered k and later
    entered an open stage after k in the pipeline's order, or were won.

    Only opportunities on ``pipeline`` count; the others are reported as skipped.
    """
    if not isinstance(pipeline, Pipeline):
        raise ValidationError(
            "pipeline", f"must be a Pipeline, not {type(pipeline).__name__}", allowed="a Pipeline"
        )
    order = {s.name: i for i, s in enumerate(pipeline.stages)}
    won_name = pipeline.won_stage.name
    entered = {s.name: 0 for s in pipeline.open_stages}
    advanced = dict(entered)
    skipped = 0
    for opportunity in _opportunities(opportunities):
        if opportunity.pipeline != pipeline:
            skipped += 1
            continue
        visits = [v.stage_name for v in opportunity.history]
        for stage in entered:
            if stage not in visits:
                continue
            entered[stage] += 1
            first = visits.index(stage)
            if any(
                name == won_name or (name in entered and order[name] > order[stage])
                for name in visits[first + 1 :]
            ):
                advanced[stage] += 1
    steps = {
        stage: ConversionStep(
            entered=entered[stage],
            advanced=advanced[stage],
            rate=Fraction(advanced[stage], entered[stage]) if entered[stage] else None,
        )
        for stage in entered
    }
    return StageConversion(steps=MappingProxyType(steps), skipped=skipped)


# Durations ----------------------------------------------------------------------


@attrs.frozen
class DurationStats:
    """Count, total, mean and median of a set of durations (``None`` when empty)."""

    count: int
    total: _dt.timedelta
    mean: _dt.timedelta | None
    median: _dt.timedelta | None

    @classmethod
    def of(cls, durations: list[_dt.timedelta]) -> "DurationStats":
        """Summarise ``durations`` (exact to the microsecond)."""
        durations = list(tuple_of(_dt.timedelta, durations, "durations"))
        if not durations:
            return cls(count=0, total=_dt.timedelta(), mean=None, median=None)
        micros = sorted(d // _dt.timedelta(microseconds=1) for d in durations)
        total = sum(micros)
        middle = statistics.median_low(micros), statistics.median_high(micros)
        return cls(
            count=len(micros),
            total=_dt.timedelta(microseconds=total),
            mean=_dt.timedelta(microseconds=round(Fraction(total, len(micros)))),
            median=_dt.timedelta(microseconds=round(Fraction(sum(middle), 2))),
        )

    @property
    def mean_days(self) -> Fraction | None:
        """The mean in days, exact to the microsecond."""
        return None if self.mean is None else in_days(self.mean)


def time_in_stage(
    opportunities: Iterable[Opportunity], *, as_of: _dt.datetime
) -> Mapping[str, DurationStats]:
    """Time spent per open stage, from the histories, up to ``as_of``.

    Each visit of an open stage counts as one duration (a visit still under
    way at ``as_of`` counts up to ``as_of``; visits that start after it are
    left out). Stages are keyed by name and sorted by name.
    """
    end = to_utc(as_of, "as_of")
    durations: dict[str, list[_dt.timedelta]] = {}
    for opportunity in _opportunities(opportunities):
        pipeline = opportunity.pipeline
        for visit in opportunity.history:
            if visit.entered_at > end:
                break
            if not pipeline.stage(visit.stage_name).is_open:
                continue
            left = end if visit.left_at is None or visit.left_at > end else visit.left_at
            durations.setdefault(visit.stage_name, []).append(elapsed(visit.entered_at, left))
    return _frozen({stage: DurationStats.of(d) for stage, d in durations.items()})


@attrs.frozen
class SalesCycle:
    """Open-to-close durations of closed opportunities.

    Attributes:
        closed: all closed opportunities.
        won: the won ones.
        lost: the lost ones.
    """

    closed: DurationStats
    won: DurationStats
    lost: DurationStats


def sales_cycle(opportunities: Iterable[Opportunity]) -> SalesCycle:
    """How long closed opportunities took from opening to their (last) close."""
    won: list[_dt.timedelta] = []
    lost: list[_dt.timedelta] = []
    for opportunity in _opportunities(opportunities):
        closed = opportunity.closed_at
        if closed is not None:
            (won if opportunity.is_won else lost).append(elapsed(opportunity.opened_at, closed))
    return SalesCycle(
        closed=DurationStats.of(won + lost), won=DurationStats.of(won), lost=DurationStats.of(lost)
    )


# Sales velocity --------------------------------------------------------------------


@attrs.frozen
class VelocityInputs:
    """The four numbers behind one currency's sales velocity."""

    open_opportunities: int
    average_won_amount: Money | None
    win_rate: Fraction | None
    average_cycle_days: Fraction | None


@attrs.frozen(eq=False)
class SalesVelocity(MappingResult[str, Money | None]):
    """Currency → money per day: open × average won amount × win rate ÷ cycle days.

    ``None`` for a currency with no won deal, no closed deal, or a zero cycle.

    Attributes:
        inputs: currency → the `VelocityInputs` used.
        as_of: the instant the opportunities were evaluated at.
    """

    velocities: Mapping[str, Money | None]
    inputs: Mapping[str, VelocityInputs]
    as_of: pendulum.DateTime

    def _mapped(self) -> Mapping[str, Money | None]:
        return self.velocities


def sales_velocity(opportunities: Iterable[Opportunity], *, as_of: _dt.datetime) -> SalesVelocity:
    """Sales velocity per currency, from the state of each opportunity at ``as_of``.

    Per currency: (open opportunities × average won amount × win rate by
    count) ÷ average sales cycle of the won opportunities in days. The state
    at ``as_of`` comes from the stage histories; the amounts are the current
    ones. The result is rounded once (see `Money.from_fraction`).
    """
    end = to_utc(as_of, "as_of")
    open_count: dict[str, int] = {}
    won_amounts: dict[str, list[Fraction]] = {}
    cycles: dict[str, list[Fraction]] = {}
    lost_count: dict[str, int] = {}
    for opportunity in _opportunities(opportunities):
        stage = opportunity.stage_at(end)
        if stage is None:
            continue
        currency = opportunity.amount.currency
        open_count.setdefault(currency, 0)
        won_amounts.setdefault(currency, [])
        cycles.setdefault(currency, [])
        lost_count.setdefault(currency, 0)
        if stage.kind is StageKind.OPEN:
            open_count[currency] += 1
        elif stage.kind is StageKind.LOST:
            lost_count[currency] += 1
        else:
            won_amounts[currency].append(Fraction(opportunity.amount.amount))
            closed = opportunity.history[-1].entered_at
            cycles[currency].append(in_days(elapsed(opportunity.opened_at, closed)))
    velocities: dict[str, Money | None] = {}
    inputs: dict[str, VelocityInputs] = {}
    for currency in open_count:
        wins = won_amounts[currency]
        closed_count = len(wins) + lost_count[currency]
        rate = Fraction(len(wins), closed_count) if closed_count else None
        average = sum(wins, Fraction(0)) / len(wins) if wins else None
        cycle = sum(cycles[currency], Fraction(0)) / len(wins) if wins else None
        inputs[currency] = VelocityInputs(
            open_opportunities=open_count[currency],
            average_won_amount=None if average is None else Money.from_fraction(average, currency),
            win_rate=rate,
            average_cycle_days=cycle,
        )
        if average is None or rate is None or not cycle:
            velocities[currency] = None
        else:
            velocities[currency] = Money.from_fraction(
                open_count[currency] * average * rate / cycle, currency
            )
    return SalesVelocity(velocities=_frozen(velocities), inputs=_frozen(inputs), as_of=end)


# Stale opportunities ----------------------------------------------------------


@attrs.frozen
class StaleOpportunity:
    """An open opportunity that stayed too long in its stage."""

    opportunity_id: str
    stage: str
    in_stage: _dt.timedelta
    stale_after_days: int


def stale(
    opportunities: Iterable[Opportunity], *, as_of: _dt.datetime
) -> tuple[StaleOpportunity, ...]:
    """Open opportunities whose time in their current stage exceeds the stage's
    ``stale_after_days`` at ``as_of`` (strictly more), ordered by id."""
    end = to_utc(as_of, "as_of")
    found = []
    for opportunity in _opportunities(opportunities):
        stage = opportunity.stage
        if not opportunity.is_open or stage.stale_after_days is None:
            continue
        in_stage = elapsed(opportunity.history[-1].entered_at, end)
        if in_stage > _dt.timedelta(days=stage.stale_after_days):
            found.append(
                StaleOpportunity(
                    opportunity_id=opportunity.opportunity_id,
                    stage=stage.name,
                    in_stage=in_stage,
                    stale_after_days=stage.stale_after_days,
                )
            )
    return tuple(sorted(found, key=lambda s: s.opportunity_id))


# Coverage -----------------------------------------------------------------------


@attrs.frozen
class Coverage:
    """Pipeline ÷ quota.

    Attributes:
        weighted: weighted open pipeline ÷ quota.
        unweighted: open pipeline amount ÷ quota.
        weighted_pipeline: Σ amount × probability of the open opportunities.
        pipeline: Σ amount of the open opportunities.
        quota: the quota.
        count: the number of open opportunities.
    """

    weighted: Fraction
    unweighted: Fraction
    weighted_pipeline: Money
    pipeline: Money
    quota: Money
    count: int


def coverage(opportunities: Iterable[Opportunity], quota: Money) -> Coverage:
    """How many times the open pipeline covers the quota, weighted and unweighted.

    Raises:
        ValidationError: the quota is not positive Money.
        CurrencyMismatchError: an open opportunity is in another currency.
    """
    if not isinstance(quota, Money) or quota.amount <= 0:
        raise ValidationError("quota", "must be positive Money", allowed="Money greater than zero")
    weighted = Money.zero(quota.currency)
    plain = Money.zero(quota.currency)
    count = 0
    for opportunity in _opportunities(opportunities):
        if not opportunity.is_open:
            continue
        if opportunity.amount.currency != quota.currency:
            raise CurrencyMismatchError(
                quota.currency, opportunity.amount.currency, operation="compare the quota with"
            )
        count += 1
        weighted += opportunity.expected_value
        plain += opportunity.amount
    total = Fraction(quota.amount)
    return Coverage(
        weighted=Fraction(weighted.amount) / total,
        unweighted=Fraction(plain.amount) / total,
        weighted_pipeline=weighted,
        pipeline=plain,
        quota=quota,
        count=count,
    )
