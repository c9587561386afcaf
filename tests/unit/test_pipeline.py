from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from crmcore import (
    DEFAULT_PIPELINE,
    HUBSPOT_PIPELINE,
    SALESFORCE_PIPELINE,
    ForecastCategory,
    Pipeline,
    Stage,
    StageKind,
    ValidationError,
)
from crmcore.rendering import pipeline_mermaid
from crmcore.testing.strategies import pipelines


def table(pipeline: Pipeline) -> list[tuple[str, str, str]]:
    return [(s.name, str(s.probability), s.kind.value) for s in pipeline]


def test_default_pipeline_is_the_sources_sales_process() -> None:
    assert table(DEFAULT_PIPELINE) == [
        ("Research", "0.10", "open"),
        ("Contact", "0.20", "open"),
        ("Proposal", "0.40", "open"),
        ("Product demonstration", "0.60", "open"),
        ("Negotiation", "0.80", "open"),
        ("Won", "1", "won"),
        ("Lost", "0", "lost"),
    ]


def test_salesforce_preset() -> None:
    assert [(n, str(p)) for n, p, _ in table(SALESFORCE_PIPELINE)] == [
        ("Prospecting", "0.10"),
        ("Qualification", "0.10"),
        ("Needs Analysis", "0.20"),
        ("Value Proposition", "0.50"),
        ("Id. Decision Makers", "0.60"),
        ("Perception Analysis", "0.70"),
        ("Proposal/Price Quote", "0.75"),
        ("Negotiation/Review", "0.90"),
        ("Closed Won", "1"),
        ("Closed Lost", "0"),
    ]


def test_hubspot_preset() -> None:
    assert [(n, str(p)) for n, p, _ in table(HUBSPOT_PIPELINE)] == [
        ("Appointment Scheduled", "0.20"),
        ("Qualified to Buy", "0.40"),
        ("Presentation Scheduled", "0.60"),
        ("Decision Maker Bought-In", "0.80"),
        ("Contract Sent", "0.90"),
        ("Closed Won", "1"),
        ("Closed Lost", "0"),
    ]


def test_presets_are_ungated() -> None:
    for preset in (DEFAULT_PIPELINE, SALESFORCE_PIPELINE, HUBSPOT_PIPELINE):
        assert not any(s.requires_approval for s in preset)


def test_forecast_category_defaults_follow_the_kind() -> None:
    assert Stage("A", Decimal("0.5")).forecast_category is ForecastCategory.PIPELINE
    assert Stage("W", 1, StageKind.WON).forecast_category is ForecastCategory.CLOSED
    assert Stage("L", 0, "lost").forecast_category is ForecastCategory.OMITTED
    assert (
        Stage("C", "0.9", forecast_category="commit").forecast_category is ForecastCategory.COMMIT
    )


def test_probability_accepts_decimal_int_and_string() -> None:
    assert Stage("A", "0.25").probability == Decimal("0.25")
    assert Stage("A", 0).probability == 0
    assert Stage("A", Decimal("0." + "1" * 18)).probability == Decimal("0." + "1" * 18)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"name": "", "probability": 0}, "name", "blank"),
        ({"name": " A", "probability": 0}, "name", "whitespace"),
        ({"name": "x" * 101, "probability": 0}, "name", "101 characters"),
        ({"name": 5, "probability": 0}, "name", "string"),
        ({"name": "A", "probability": 0.5}, "probability", "Decimal('0.5')"),
        ({"name": "A", "probability": True}, "probability", "bool"),
        ({"name": "A", "probability": Decimal("1.01")}, "probability", "outside"),
        ({"name": "A", "probability": -1}, "probability", "outside"),
        ({"name": "A", "probability": Decimal("NaN")}, "probability", "outside"),
        ({"name": "A", "probability": "0." + "1" * 19}, "probability", "18 digits"),
        ({"name": "A", "probability": "abc"}, "probability", "decimal number"),
        ({"name": "A", "probability": 0, "kind": "closed"}, "kind", "StageKind"),
        (
            {"name": "A", "probability": 0, "forecast_category": "maybe"},
            "forecast_category",
            "known",
        ),
        ({"name": "W", "probability": "0.9", "kind": "won"}, "probability", "must be 1"),
        ({"name": "L", "probability": "0.1", "kind": "lost"}, "probability", "must be 0"),
        (
            {"name": "W", "probability": 1, "kind": "won", "forecast_category": "commit"},
            "forecast_category",
            "closed",
        ),
        (
            {"name": "L", "probability": 0, "kind": "lost", "forecast_category": "pipeline"},
            "forecast_category",
            "omitted",
        ),
        (
            {"name": "A", "probability": 0, "forecast_category": "closed"},
            "forecast_category",
            "cannot be closed",
        ),
        (
            {"name": "A", "probability": 0, "stale_after_days": 0},
            "stale_after_days",
            "whole number",
        ),
        (
            {"name": "A", "probability": 0, "stale_after_days": 1.5},
            "stale_after_days",
            "whole number",
        ),
        (
            {"name": "A", "probability": 0, "requires_approval": 1},
            "requires_approval",
            "True or False",
        ),
    ],
)
def test_bad_stages_are_rejected(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(
        ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")
    ) as caught:
        Stage(**kwargs)
    assert caught.value.field == field


WON = Stage("Won", 1, StageKind.WON)
LOST = Stage("Lost", 0, StageKind.LOST)
OPEN = Stage("Open", "0.5")


@pytest.mark.parametrize(
    ("stages", "fragment"),
    [
        ([OPEN, OPEN, WON, LOST], "two stages named 'Open'"),
        ([WON, LOST], "no open stage"),
        ([OPEN, LOST], "0 won stages"),
        ([OPEN, WON], "0 lost stages"),
        ([OPEN, WON, Stage("Won 2", 1, "won"), LOST], "2 won stages"),
        ([OPEN, WON, LOST, Stage("Lost 2", 0, "lost")], "2 lost stages"),
        ("abc", "sequence of Stage"),
        (5, "sequence of Stage"),
    ],
)
def test_bad_pipelines_are_rejected(stages: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Pipeline(stages)


def test_pipeline_rejects_non_stages() -> None:
    with pytest.raises(ValidationError) as caught:
        Pipeline([OPEN, "Won", LOST])
    assert caught.value.field == "stages[1]"


def test_pipeline_lookups() -> None:
    pipeline = Pipeline([OPEN, WON, Stage("Later", "0.7"), LOST], name="mine")
    assert pipeline.names == ("Open", "Won", "Later", "Lost")
    assert len(pipeline) == 4
    assert "Later" in pipeline
    assert "Nope" not in pipeline
    assert pipeline.index("Later") == 2
    assert pipeline.first_open == OPEN
    assert pipeline.open_stages == (OPEN, Stage("Later", "0.7"))
    assert (pipeline.won_stage, pipeline.lost_stage) == (WON, LOST)
    assert repr(pipeline) == "Pipeline('mine', ['Open', 'Won', 'Later', 'Lost'])"


@pytest.mark.parametrize("name", ["Nope", 5, None, ["Open"]])
def test_unknown_stage_lists_the_valid_names(name: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        DEFAULT_PIPELINE.stage(name)
    assert caught.value.allowed is not None
    assert "Research, Contact, Proposal" in caught.value.allowed


def test_mermaid_lists_stages_and_moves() -> None:
    gated = Pipeline([OPEN, Stage("Deal", "0.9", requires_approval=True), WON, LOST])
    text = pipeline_mermaid(gated)
    assert text.startswith("stateDiagram-v2\n")
    assert 'state "Open (50 %)" as s0' in text
    assert 'state "Deal (90 %, approval)" as s1' in text
    assert "s0 --> s1" in text
    assert "open_stages --> s2 : win" in text
    assert "open_stages --> s3 : lose" in text
    assert "s3 --> open_stages : reopen" in text


@given(pipelines())
def test_generated_pipelines_keep_the_rules(pipeline: Pipeline) -> None:
    assert pipeline.won_stage.probability == 1
    assert pipeline.lost_stage.probability == 0
    assert len(set(pipeline.names)) == len(pipeline)
    assert pipeline.first_open.is_open
    assert pipeline_mermaid(pipeline).count(" as s") == len(pipeline)
