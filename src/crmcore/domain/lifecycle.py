"""The customer lifecycle as data: the phases and the transition table.

The customer's phase moves only as `LIFECYCLE_TRANSITIONS` says; the
customer's commands consult it, so the table is the single source of the
rules (and `crmcore.rendering.lifecycle_mermaid` draws it).
"""

import attrs

from crmcore.domain.fields import Choice


class LifecyclePhase(Choice):
    """The sources' customer life cycle, plus LOST for churned or disqualified."""

    ACQUISITION = "acquisition"
    CONTRACT = "contract"
    AFTER_SALES = "after-sales"
    LOST = "lost"


@attrs.frozen
class Transition:
    """One allowed phase change: from, to, the command that makes it, and when."""

    source: LifecyclePhase
    target: LifecyclePhase
    command: str
    when: str


_A, _C, _S, _L = (
    LifecyclePhase.ACQUISITION,
    LifecyclePhase.CONTRACT,
    LifecyclePhase.AFTER_SALES,
    LifecyclePhase.LOST,
)

LIFECYCLE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(_A, _C, "enter_contract", "a contract is signed (an opportunity is won)"),
    Transition(_C, _C, "enter_contract", "another contract is signed (one more open contract)"),
    Transition(
        _C,
        _S,
        "end_contract",
        "the last open contract ends and at least one contract was ever fulfilled",
    ),
    Transition(
        _C,
        _A,
        "end_contract",
        "the last open contract ends by cancellation and none was ever fulfilled",
    ),
    Transition(_S, _C, "enter_contract", "a new contract is signed (repeat, cross-sell, up-sell)"),
    Transition(_A, _L, "lose", "the prospect is disqualified (reason required)"),
    Transition(_S, _L, "lose", "the customer churns (reason required)"),
    Transition(_L, _A, "win_back", "win-back: a lost customer is worked again"),
)
"""The lifecycle rules as data: every phase change a command may make."""


def allowed_targets(phase: LifecyclePhase) -> tuple[LifecyclePhase, ...]:
    """The phases reachable from ``phase`` in one transition, in table order."""
    seen: dict[LifecyclePhase, None] = {}
    for transition in LIFECYCLE_TRANSITIONS:
        if transition.source is phase:
            seen[transition.target] = None
    return tuple(seen)
