"""Rendering lives at the edge: diagrams and tables from data, checked arguments."""

import decimal

import pytest

from crmcore import DEFAULT_PIPELINE, ValidationError
from crmcore.analytics._results import text_table
from crmcore.analytics.vendors import Requirement, score_vendors
from crmcore.policy import DEFAULT_POLICY
from crmcore.rendering import lifecycle_mermaid, pipeline_mermaid, policy_markdown, vendor_table


@pytest.mark.parametrize(
    ("render", "field"),
    [(pipeline_mermaid, "pipeline"), (policy_markdown, "policy"), (vendor_table, "ranking")],
)
def test_renderers_refuse_what_they_cannot_draw(render: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        render("text")  # type: ignore[operator]
    assert caught.value.field == field


def test_diagrams_ignore_a_hostile_decimal_context() -> None:
    expected = pipeline_mermaid(DEFAULT_PIPELINE)
    hostile = decimal.Context(prec=1, traps=[decimal.Inexact, decimal.Rounded])
    with decimal.localcontext(hostile):
        assert pipeline_mermaid(DEFAULT_PIPELINE) == expected
    assert "Research (10 %)" in expected


def test_tables_and_the_lifecycle_diagram() -> None:
    assert text_table(("a", "bb"), [("x", "1")]) == "a  bb\n-  --\nx   1\n"
    assert lifecycle_mermaid().startswith("stateDiagram-v2\n    [*] --> acquisition")
    assert policy_markdown(DEFAULT_POLICY).startswith("| role | record | create |")
    ranking = score_vendors([Requirement("a", "high")], {"X": {"a": "out of the box"}})
    assert vendor_table(ranking).endswith("R1: a (high, 3 points)\n")
