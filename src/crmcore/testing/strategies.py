"""Hypothesis strategies for crmcore's values (public API).

Strategies are plural nouns with keyword-only bounds; every one generates
valid values only, within the limits the domain enforces.
"""

import datetime as _dt
from decimal import Decimal
from fractions import Fraction

import pendulum
from hypothesis import strategies as st

from crmcore.domain.currencies import MINOR_UNITS
from crmcore.domain.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, Money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.pipeline import ForecastCategory, Pipeline, Stage, StageKind
from crmcore.errors import ValidationError

_LIMIT = Fraction(10**MAX_INTEGER_DIGITS)

__all__ = [
    "aware_datetimes",
    "currencies",
    "dates",
    "ids",
    "money",
    "opportunities",
    "pipelines",
    "probabilities",
    "stages",
]


def currencies() -> st.SearchStrategy[str]:
    """Active ISO 4217 codes that `Money` accepts."""
    return st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def _amounts(draw: st.DrawFn, low: Fraction, high: Fraction, minor: int) -> Decimal:
    places = draw(
        st.one_of(st.just(minor), st.integers(min_value=0, max_value=MAX_FRACTION_DIGITS))
    )
    scale = 10**places
    lowest = -((-low * scale).__floor__())  # ceil(low * scale)
    highest = (high * scale).__floor__()
    units = draw(st.integers(min_value=lowest, max_value=highest))
    return Decimal(f"{units}E-{places}")


def money(
    *,
    currency: str | None = None,
    min_value: Decimal | int | str | None = None,
    max_value: Decimal | int | str | None = None,
) -> st.SearchStrategy[Money]:
    """`Money` values within the domain's bounds.

    Args:
        currency: fix the currency; by default any known code.
        min_value: the smallest amount (inclusive); default the most negative
            amount Money allows.
        max_value: the largest amount (inclusive); default the largest amount.
    """
    low = to_fraction(min_value, "min_value") if min_value is not None else -_LIMIT + 1
    high = to_fraction(max_value, "max_value") if max_value is not None else _LIMIT - 1
    if low > high:
        raise ValidationError(
            "min_value", "is greater than max_value", allowed="min_value <= max_value"
        )
    codes = st.just(currency) if currency is not None else currencies()
    return codes.flatmap(
        lambda code: _amounts(low, high, MINOR_UNITS[code]).map(lambda a: Money(a, code))
    )


_OFFSETS = [_dt.timezone(_dt.timedelta(minutes=15 * k)) for k in range(-48, 57)]


def aware_datetimes(
    *,
    # Naive bounds on purpose: Hypothesis bounds the wall time and adds the zone.
    min_value: _dt.datetime = _dt.datetime(1970, 1, 1),  # noqa: DTZ001
    max_value: _dt.datetime = _dt.datetime(2200, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[_dt.datetime]:
    """Timezone-aware datetimes (pendulum's UTC or fixed offsets from -12:00 to +14:00).

    Args:
        min_value: the earliest naive wall time.
        max_value: the latest naive wall time.
    """
    zones: st.SearchStrategy[_dt.tzinfo] = st.one_of(
        st.just(pendulum.UTC), st.sampled_from(_OFFSETS)
    )
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=zones)


def dates(
    *,
    min_value: _dt.date = _dt.date(1970, 1, 1),
    max_value: _dt.date = _dt.date(2200, 12, 31),
) -> st.SearchStrategy[pendulum.Date]:
    """Calendar dates as `pendulum.Date`."""
    return st.dates(min_value=min_value, max_value=max_value).map(
        lambda d: pendulum.Date(d.year, d.month, d.day)
    )


def ids(*, prefix: str = "") -> st.SearchStrategy[str]:
    """Valid ids (1 to 128 printable characters without whitespace)."""
    alphabet = st.characters(
        codec="utf-8", exclude_categories=("Z", "C")
    )  # no separators (whitespace) and no control characters
    limit = 128 - len(prefix)
    return st.text(alphabet, min_size=1, max_size=min(limit, 20)).map(lambda t: prefix + t)


def probabilities(*, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals in [0, 1] with at most ``places`` fractional digits."""
    scale = 10**places
    return st.integers(min_value=0, max_value=scale).map(lambda n: Decimal(f"{n}E-{places}"))


_STAGE_NAMES = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)


def stages(*, kind: StageKind | None = None) -> st.SearchStrategy[Stage]:
    """Valid stages; open ones by default get any probability and open category."""
    chosen = st.just(kind) if kind is not None else st.sampled_from(StageKind)

    def build(stage_kind: StageKind) -> st.SearchStrategy[Stage]:
        if stage_kind is StageKind.OPEN:
            return st.builds(
                Stage,
                name=_STAGE_NAMES,
                probability=probabilities(),
                kind=st.just(stage_kind),
                forecast_category=st.sampled_from(
                    [c for c in ForecastCategory if c is not ForecastCategory.CLOSED]
                ),
                stale_after_days=st.none() | st.integers(min_value=1, max_value=120),
            )
        probability = Decimal(1) if stage_kind is StageKind.WON else Decimal(0)
        return st.builds(
            Stage, name=_STAGE_NAMES, probability=st.just(probability), kind=st.just(stage_kind)
        )

    return chosen.flatmap(build)


@st.composite
def pipelines(draw: st.DrawFn, *, min_open: int = 1, max_open: int = 8) -> Pipeline:
    """Valid pipelines: ``min_open`` to ``max_open`` open stages, one won and one
    lost stage, at any positions."""
    opened = draw(
        st.lists(
            stages(kind=StageKind.OPEN),
            min_size=min_open,
            max_size=max_open,
            unique_by=lambda s: s.name,
        )
    )
    names = {s.name for s in opened}
    won = draw(stages(kind=StageKind.WON).filter(lambda s: s.name not in names))
    lost = draw(stages(kind=StageKind.LOST).filter(lambda s: s.name not in names | {won.name}))
    ordered = list(opened)
    for closing in (won, lost):
        ordered.insert(draw(st.integers(min_value=0, max_value=len(ordered))), closing)
    return Pipeline(ordered, name="generated")


@st.composite
def opportunities(
    draw: st.DrawFn,
    *,
    pipeline: Pipeline | None = None,
    currency: str | None = None,
    max_commands: int = 8,
) -> Opportunity:
    """Opportunities built by a random valid sequence of commands from `Opportunity.open`.

    Args:
        pipeline: fix the pipeline; by default a generated one.
        currency: fix the amount's currency; by default any.
        max_commands: the most commands applied after opening.
    """
    chosen = pipeline if pipeline is not None else draw(pipelines())
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    opportunity = Opportunity.open(
        opportunity_id=draw(ids(prefix="opp-")),
        customer_id=draw(ids(prefix="cust-")),
        title=draw(_STAGE_NAMES),
        amount=draw(money(currency=currency, min_value=0, max_value=10**9)),
        at=at,
        pipeline=chosen,
    )
    for _ in range(draw(st.integers(min_value=0, max_value=max_commands))):
        at = at + draw(st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(days=60)))
        if opportunity.is_won:
            break
        if opportunity.is_lost:
            opportunity = opportunity.reopen(at=at)
            continue
        others = [s.name for s in chosen.open_stages if s.name != opportunity.stage_name]
        command = draw(st.sampled_from(["move", "win", "lose", "override", "close_date"]))
        if command == "move" and others:
            opportunity = opportunity.move_to(draw(st.sampled_from(others)), at=at)
        elif command == "win":
            opportunity = opportunity.win(at=at)
        elif command == "lose":
            opportunity = opportunity.lose(at=at, reason="generated")
        elif command == "override":
            opportunity = opportunity.override_probability(draw(probabilities()), at=at)
        elif command == "close_date":
            opportunity = opportunity.change_expected_close(draw(dates()), at=at)
    return opportunity.without_events()
