"""Rendering: diagrams and text tables drawn from crmcore's data.

The domain, the analytics and the policy keep data only; this module turns
them into text for people (Mermaid diagrams for the docs, plain-text and
Markdown tables for the command line and the docs). Every function is pure
and independent of the caller's decimal context.
"""

import decimal
import itertools
from decimal import Decimal

from crmcore.analytics._results import text_table
from crmcore.analytics.vendors import VendorRanking
from crmcore.domain.customers import LIFECYCLE_TRANSITIONS, LifecyclePhase
from crmcore.domain.kinds import RecordKind
from crmcore.domain.numbers import percent
from crmcore.domain.ownership import Role
from crmcore.domain.pipeline import Pipeline, Stage
from crmcore.errors import ValidationError
from crmcore.policy import Action, Scope, TablePolicy

__all__ = ["lifecycle_mermaid", "pipeline_mermaid", "policy_markdown", "vendor_table"]

_NORMALIZE = decimal.Context(prec=40, traps=[decimal.InvalidOperation])


def _percent(probability: Decimal) -> str:
    with decimal.localcontext(_NORMALIZE):
        value = probability * 100
        return f"{value.normalize(_NORMALIZE):f} %"


def _state(phase: LifecyclePhase) -> str:
    return phase.name.lower()


def lifecycle_mermaid() -> str:
    """The lifecycle transition table as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", "    [*] --> acquisition : prospect"]
    for t in LIFECYCLE_TRANSITIONS:
        lines.append(f"    {_state(t.source)} --> {_state(t.target)} : {t.command}")
    return "\n".join(lines) + "\n"


def pipeline_mermaid(pipeline: Pipeline) -> str:
    """A Mermaid state diagram of a pipeline's stages and the moves allowed between them.

    Open stages are drawn in their order inside a composite state: an
    opportunity may move from any open stage to any other, forward or
    back. From any open stage it may be won or lost; a lost opportunity
    may be reopened (back to its last open stage); won is final.

    Raises:
        ValidationError: ``pipeline`` is not a `Pipeline`.
    """
    if not isinstance(pipeline, Pipeline):
        raise ValidationError(
            "pipeline", f"must be a Pipeline, not {type(pipeline).__name__}", allowed="a Pipeline"
        )
    ids = {s.name: f"s{i}" for i, s in enumerate(pipeline.stages)}

    def label(stage: Stage) -> str:
        gate = ", approval" if stage.requires_approval else ""
        shown = f"{stage.name} ({_percent(stage.probability)}{gate})"
        return f'    state "{shown}" as {ids[stage.name]}'

    opened = pipeline.open_stages
    lines = ["stateDiagram-v2", "    direction LR", *(label(s) for s in pipeline.stages)]
    lines.append("    state open_stages {")
    lines.append(f"        [*] --> {ids[opened[0].name]}")
    pairs = itertools.pairwise(opened)
    lines.extend(f"        {ids[a.name]} --> {ids[b.name]}" for a, b in pairs)
    lines.append("    }")
    lines.append("    note right of open_stages : any open stage may move to any other")
    won, lost = ids[pipeline.won_stage.name], ids[pipeline.lost_stage.name]
    lines += [
        "    [*] --> open_stages",
        f"    open_stages --> {won} : win",
        f"    open_stages --> {lost} : lose",
        f"    {lost} --> open_stages : reopen",
        f"    {won} --> [*]",
    ]
    return "\n".join(lines) + "\n"


def policy_markdown(policy: TablePolicy) -> str:
    """A policy table as Markdown: one row per role and kind of record, one
    column per action; rows in the order of `Role` and `RecordKind`, ``—`` is
    scope ``none``.

    Raises:
        ValidationError: ``policy`` is not a `TablePolicy`.
    """
    if not isinstance(policy, TablePolicy):
        raise ValidationError(
            "policy",
            f"must be a TablePolicy, not {type(policy).__name__}",
            allowed="a TablePolicy such as DEFAULT_POLICY",
        )
    actions = tuple(Action)
    header = "| role | record | " + " | ".join(a.value for a in actions) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in actions) + " |"
    lines = [header, rule]
    for role in Role:
        for kind in RecordKind:
            scopes = [policy.scope(role, kind, action) for action in actions]
            shown = ["—" if s is Scope.NONE else s.value for s in scopes]
            lines.append(f"| {role.value} | {kind.label} | " + " | ".join(shown) + " |")
    return "\n".join(lines) + "\n"


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def vendor_table(ranking: VendorRanking) -> str:
    """A vendor ranking as plain text: vendors × requirements (R1, R2, ...),
    totals, fit % and rank, then a legend of the requirements.

    Raises:
        ValidationError: ``ranking`` is not a `VendorRanking`.
    """
    if not isinstance(ranking, VendorRanking):
        raise ValidationError(
            "ranking",
            f"must be a VendorRanking, not {type(ranking).__name__}",
            allowed="what score_vendors returns",
        )
    codes = [f"R{i}" for i in range(1, len(ranking.requirements) + 1)]
    rows = []
    for score in ranking.values():
        rank = str(score.rank) if score.rank is not None else "out"
        rows.append(
            (
                score.vendor,
                *(str(ln.value) for ln in score.lines),
                str(score.total),
                percent(score.fit),
                rank,
            )
        )
    table = text_table(("vendor", *codes, "total", "fit", "rank"), rows)
    legend = "\n".join(
        f"{code}: {r.name} ({r.priority.value}, {_points(ranking.scale.priorities[r.priority])}"
        + (", must have" if r.must_have else "")
        + ")"
        for code, r in zip(codes, ranking.requirements, strict=True)
    )
    return table + legend + "\n"
