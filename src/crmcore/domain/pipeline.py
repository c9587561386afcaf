"""Sales stages and pipelines, with the sources' default and two presets."""

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from crmcore.domain.fields import Choice, check_bool, check_text, member, validates
from crmcore.domain.numbers import fraction_digits, parse_decimal
from crmcore.errors import ValidationError


class StageKind(Choice):
    """Whether a stage is still open, or ends the opportunity as won or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ForecastCategory(Choice):
    """Forecast categories, as in Salesforce and HubSpot forecasting."""

    PIPELINE = "pipeline"
    BEST_CASE = "best case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


_DEFAULT_CATEGORY = {
    StageKind.OPEN: ForecastCategory.PIPELINE,
    StageKind.WON: ForecastCategory.CLOSED,
    StageKind.LOST: ForecastCategory.OMITTED,
}
PROBABILITY_RULE = (
    "a Decimal, int or numeric string from 0 to 1 with at most 18 digits after the "
    "decimal point, for example Decimal('0.4')"
)


def check_probability(value: object, field: str = "probability") -> Decimal:
    """Parse a probability: a finite number in [0, 1] with at most 18 fractional digits.

    Raises:
        ValidationError: a float, bool, other type, or a value outside [0, 1].
    """
    if isinstance(value, str):
        value = parse_decimal(value, field, allowed=PROBABILITY_RULE)
    elif type(value) is int:
        value = Decimal(value)
    if type(value) is not Decimal:
        hint = f" (write Decimal('{value}'))" if isinstance(value, float) else ""
        raise ValidationError(
            field, f"must not be a {type(value).__name__}{hint}", allowed=PROBABILITY_RULE
        )
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValidationError(field, "is outside [0, 1]", allowed=PROBABILITY_RULE)
    if fraction_digits(value) > 18:  # not Fraction(value) * 10**18: 1E-99999999 would take minutes
        raise ValidationError(
            field, "has more than 18 digits after the decimal point", allowed=PROBABILITY_RULE
        )
    return value


def _to_kind(value: object) -> StageKind:
    return member(StageKind, value, "kind")


def _to_category(value: object, stage: Any) -> ForecastCategory:
    if value is None:
        return _DEFAULT_CATEGORY[stage.kind]
    return member(ForecastCategory, value, "forecast_category")


@attrs.frozen
class Stage:
    """One stage of a sales pipeline.

    Args:
        name: unique within its pipeline (1 to 100 characters).
        probability: the chance, from 0 to 1, that an opportunity in this
            stage is won (a `Decimal`; ints and numeric strings are accepted).
        kind: open, won or lost (a `StageKind` or its value).
        forecast_category: default pipeline for open stages, closed for the
            won stage, omitted for the lost stage.
        stale_after_days: an open opportunity that stays longer than this
            many days in the stage is stale (``None``: never).
        requires_approval: entering the stage needs an approved request.
    """

    name: str = attrs.field(validator=validates(check_text))
    probability: Decimal = attrs.field(converter=check_probability)
    kind: StageKind = attrs.field(default=StageKind.OPEN, converter=_to_kind)
    forecast_category: ForecastCategory = attrs.field(
        default=None,
        converter=attrs.Converter(_to_category, takes_self=True),  # type: ignore[misc]
    )
    stale_after_days: int | None = attrs.field(default=None, kw_only=True)
    requires_approval: bool = attrs.field(
        default=False, kw_only=True, validator=validates(check_bool)
    )

    @stale_after_days.validator
    def _check_stale(self, _attribute: object, value: object) -> None:
        if value is not None and (type(value) is not int or not 1 <= value <= 36_500):
            raise ValidationError(
                "stale_after_days", "must be a whole number of days", allowed="None or 1 to 36500"
            )

    def __attrs_post_init__(self) -> None:
        rules = {
            StageKind.WON: (Decimal(1), ForecastCategory.CLOSED, "1", "closed"),
            StageKind.LOST: (Decimal(0), ForecastCategory.OMITTED, "0", "omitted"),
        }
        if self.kind in rules:
            probability, category, shown, category_shown = rules[self.kind]
            if self.probability != probability:
                raise ValidationError(
                    "probability",
                    f"of the {self.kind.value} stage {self.name!r} must be {shown}",
                    allowed=shown,
                )
            if self.forecast_category is not category:
                raise ValidationError(
                    "forecast_category",
                    f"of the {self.kind.value} stage {self.name!r} must be {category_shown}",
                    allowed=category_shown,
                )
        elif self.forecast_category is ForecastCategory.CLOSED:
            raise ValidationError(
                "forecast_category",
                f"of the open stage {self.name!r} cannot be closed",
                allowed="pipeline, best case, commit or omitted",
            )

    @property
    def is_open(self) -> bool:
        """Whether opportunities in this stage are still open."""
        return self.kind is StageKind.OPEN


def _stage_tuple(value: object) -> tuple[Stage, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            "stages", "must be a sequence of Stage", allowed="Stage values in order"
        )
    stages = tuple(value)
    for position, stage in enumerate(stages):
        if not isinstance(stage, Stage):
            raise ValidationError(
                f"stages[{position}]", f"is a {type(stage).__name__}", allowed="a Stage"
            )
    return stages


@attrs.frozen(repr=False)
class Pipeline:
    """An ordered set of stages: at least one open, exactly one won and one lost.

    The order matters: the first open stage is where opportunities start, and
    stage conversion counts a move to a later open stage as progress.

    Args:
        stages: the stages in order; names must be unique.
        name: a label for the pipeline.

    Raises:
        ValidationError: the rules above are broken; the message says which
            rule and which stage.
    """

    stages: tuple[Stage, ...] = attrs.field(converter=_stage_tuple)
    name: str = attrs.field(default="custom", kw_only=True, validator=validates(check_text))
    _by_name: dict[str, Stage] = attrs.field(init=False, eq=False, hash=False)
    _index: dict[str, int] = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for stage in self.stages:
            if stage.name in seen:
                raise ValidationError(
                    "stages", f"has two stages named {stage.name!r}", allowed="unique stage names"
                )
            seen.add(stage.name)
        if not any(s.is_open for s in self.stages):
            raise ValidationError("stages", "has no open stage", allowed="at least one open stage")
        for kind in (StageKind.WON, StageKind.LOST):
            found = [s.name for s in self.stages if s.kind is kind]
            if len(found) != 1:
                raise ValidationError(
                    "stages",
                    f"has {len(found)} {kind.value} stages {found}",
                    allowed=f"exactly one {kind.value} stage",
                )
        object.__setattr__(self, "_by_name", {s.name: s for s in self.stages})
        object.__setattr__(self, "_index", {s.name: i for i, s in enumerate(self.stages)})

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, {[s.name for s in self.stages]})"

    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in order."""
        return tuple(self._by_name)

    def stage(self, name: object) -> Stage:
        """The stage called ``name``.

        Raises:
            ValidationError: no stage has that name; the message lists the names.
        """
        return stage_named(self, name, "name")

    def index(self, name: str) -> int:
        """The position of stage ``name`` in the pipeline."""
        return self._index[self.stage(name).name]

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The open stages, in order."""
        return tuple(s for s in self.stages if s.is_open)

    @property
    def first_open(self) -> Stage:
        """Where new opportunities start."""
        return self.open_stages[0]

    @property
    def won_stage(self) -> Stage:
        """The single won stage."""
        return next(s for s in self.stages if s.kind is StageKind.WON)

    @property
    def lost_stage(self) -> Stage:
        """The single lost stage."""
        return next(s for s in self.stages if s.kind is StageKind.LOST)


def _preset(name: str, open_stages: list[tuple[str, str]], won: str, lost: str) -> Pipeline:
    return Pipeline(
        [Stage(n, Decimal(p)) for n, p in open_stages]
        + [Stage(won, Decimal(1), StageKind.WON), Stage(lost, Decimal(0), StageKind.LOST)],
        name=name,
    )


DEFAULT_PIPELINE = _preset(
    "default",
    [
        ("Research", "0.10"),
        ("Contact", "0.20"),
        ("Proposal", "0.40"),
        ("Product demonstration", "0.60"),
        ("Negotiation", "0.80"),
    ],
    "Won",
    "Lost",
)
"""The sources' sales process: research, contact, proposal, product
demonstration, negotiation, then the contract (won) or a failed sale (lost)."""

SALESFORCE_PIPELINE = _preset(
    "salesforce",
    [
        ("Prospecting", "0.10"),
        ("Qualification", "0.10"),
        ("Needs Analysis", "0.20"),
        ("Value Proposition", "0.50"),
        ("Id. Decision Makers", "0.60"),
        ("Perception Analysis", "0.70"),
        ("Proposal/Price Quote", "0.75"),
        ("Negotiation/Review", "0.90"),
    ],
    "Closed Won",
    "Closed Lost",
)
"""Salesforce's default opportunity stages and probabilities."""

HUBSPOT_PIPELINE = _preset(
    "hubspot",
    [
        ("Appointment Scheduled", "0.20"),
        ("Qualified to Buy", "0.40"),
        ("Presentation Scheduled", "0.60"),
        ("Decision Maker Bought-In", "0.80"),
        ("Contract Sent", "0.90"),
    ],
    "Closed Won",
    "Closed Lost",
)
"""HubSpot's default deal stages and probabilities."""


def stage_named(pipeline: Pipeline, name: object, field: str) -> Stage:
    """``pipeline.stage(name)``, with an error that names ``field``: the parameter or
    attribute the name came from."""
    try:
        return pipeline._by_name[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValidationError(
            field, "is not a stage of this pipeline", allowed=", ".join(pipeline.names)
        ) from None
