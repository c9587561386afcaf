# mypy: disable-error-code="arg-type, call-overload"
"""Every refusal names what was wrong: the field of a `ValidationError`, the
command of an `InvalidTransitionError`, the operation of a currency mismatch.

Users (and the command line) show these names; mutation testing found them
unchecked, so each one is pinned here.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pendulum
import pytest

from crmcore import (
    DEFAULT_PIPELINE,
    ApprovalRequest,
    Complaint,
    CurrencyMismatchError,
    CustomerProspected,
    InvalidTransitionError,
    Money,
    Opportunity,
    Profile,
    StageVisit,
    ValidationError,
    analytics,
    lifecycle_mermaid,
)
from crmcore.analytics import ContactRecord, SurveyAnswer, Transaction
from crmcore.analytics.btyd import BetaGeo, GammaGamma, clv, rfm_summary
from crmcore.rendering import pipeline_mermaid
from tests.records import T0, T1, complaint, contract, customer, opportunity, service_contract

MAY = pendulum.Date(2030, 5, 1)
EUR = Money.of("10", "EUR")
service = service_contract


def _ready_to_close() -> Complaint:
    c = complaint()
    for step in ("calmed", "clarified", "solution proposed", "action taken"):
        c = c.advance(step, at=T0)
    return c


def closed_complaint() -> Complaint:
    return _ready_to_close().close(at=T0, satisfaction=5)


LATER = T1
NAIVE = datetime.datetime(2030, 1, 1)
BG = BetaGeo(r=1, alpha=1, a=1, b=1)
GG = GammaGamma(p=1, q=2, v=1)
SUMMARY = rfm_summary([Transaction("c1", MAY, EUR)], observation_end=MAY.add(days=9))
BEFORE = T0.subtract(days=1)

FIELDS: list[tuple[str, Callable[[], Any], str]] = [
    ("money times NaN", lambda: EUR * Decimal("NaN"), "factor"),
    ("money divided by NaN", lambda: EUR / Decimal("NaN"), "divisor"),
    ("money divided by zero", lambda: EUR / 0, "divisor"),
    ("churn risk as of", lambda: customer().churn_risk(as_of="x"), "as_of"),
    ("quiet days 0", lambda: customer().churn_risk(as_of=LATER, quiet_days=0), "quiet_days"),
    ("quiet days big", lambda: customer().churn_risk(as_of=LATER, quiet_days=36501), "quiet_days"),
    ("time in phase as of", lambda: customer().time_in_phase("acquisition", as_of="x"), "as_of"),
    ("time in phase phase", lambda: customer().time_in_phase("nope", as_of=LATER), "phase"),
    ("phase at", lambda: customer().phase_at("x"), "when"),
    ("profile age on", lambda: Profile(birth_date=pendulum.Date(1990, 1, 1)).age(on="x"), "on"),
    ("contract id", lambda: customer().enter_contract(at=LATER, contract_id=""), "contract_id"),
    ("interaction before the last change", lambda: customer().lose(at=BEFORE, reason="r"), "at"),
    ("stage at", lambda: opportunity().stage_at("x"), "when"),
    ("time in stages", lambda: opportunity().time_in_stages(as_of="x"), "as_of"),
    ("close date", lambda: opportunity().change_expected_close("x", at=LATER), "expected_close"),
    ("contract pay amount", lambda: contract().pay("x", at=LATER), "amount"),
    ("service covers on", lambda: service().covers("x"), "on"),
    ("service renewal due on", lambda: service().renewal_due("x"), "on"),
    ("complaint step at", lambda: complaint().step_at("x"), "step"),
    ("satisfaction", lambda: _ready_to_close().close(at=T0, satisfaction=6), "satisfaction"),
    ("channel", lambda: customer().log_interaction(_interaction(channel="x")), "channel"),
    ("direction", lambda: customer().log_interaction(_interaction(direction="x")), "direction"),
    ("stale as of", lambda: analytics.stale([], as_of="x"), "as_of"),
    ("time in stage as of", lambda: analytics.time_in_stage([], as_of="x"), "as_of"),
    ("sales velocity as of", lambda: analytics.sales_velocity([], as_of="x"), "as_of"),
    ("forecast period", lambda: analytics.forecast([], closed_between=(T0, "x")), "closed_between"),
    ("historical value as of", lambda: analytics.historical_value([], as_of="x"), "as_of"),
    ("transaction date", lambda: Transaction("c1", "x", EUR), "at"),
    ("transaction datetime", lambda: Transaction("c1", NAIVE, EUR), "at"),
    ("rfm summary end", lambda: rfm_summary([], observation_end="x"), "observation_end"),
    ("bg/nbd t_x", lambda: BG.probability_alive(1, "x", 2), "t_x"),
    ("bg/nbd T", lambda: BG.probability_alive(1, 1, "x"), "T"),
    ("bg/nbd t", lambda: BG.probability_of_purchases(1, "x"), "t"),
    ("gamma-gamma x", lambda: GG.expected_spend("x", EUR), "x"),
    ("clv margin", lambda: clv(BG, GG, SUMMARY, months=1, monthly_discount_rate=0, margin="x"),
     "margin"),
    # Names the caller used, not the helper's default ("at", "stage", "period", ...)
    ("event time", lambda: CustomerProspected(occurred_at=NAIVE, customer_id="c1"), "occurred_at"),
    ("stage visit", lambda: StageVisit("Proposal", NAIVE), "entered_at"),
    ("stage visit left", lambda: StageVisit("Proposal", T0, "x"), "left_at"),
    ("approval request", lambda: ApprovalRequest(stage_name="Won", requested_by="u1",
                                                  requested_at=NAIVE), "requested_at"),
    ("contact offered", lambda: ContactRecord(contact_id="k1", offered_at=NAIVE), "offered_at"),
    ("contact answered", lambda: ContactRecord(contact_id="k1", offered_at=T0, answered_at="x"),
     "answered_at"),
    ("survey answered", lambda: SurveyAnswer(customer_id="c1", answered_at=NAIVE, score=5),
     "answered_at"),
    ("move to", lambda: opportunity().move_to("Nope", at=LATER), "stage"),
    ("move to a closing stage", lambda: opportunity().move_to("Won", at=LATER), "stage"),
    ("request approval", lambda: opportunity().request_approval("Nope", by="u1", at=LATER),
     "stage"),
    ("pipeline stage", lambda: DEFAULT_PIPELINE.stage("Nope"), "name"),
    ("pipeline index", lambda: DEFAULT_PIPELINE.index("Nope"), "name"),
    ("pareto share", lambda: analytics.pareto({"a": 1}, share=2), "share"),
    ("pareto share text", lambda: analytics.pareto({"a": 1}, share="x"), "share"),
]  # fmt: skip


def _interaction(**changes: str) -> Any:
    from crmcore import Interaction

    fields = {"channel": "phone", "direction": "in", "at": LATER, "subject": "s", **changes}
    return Interaction(**fields)


@pytest.mark.parametrize(("case", "call", "field"), FIELDS, ids=[c for c, _, _ in FIELDS])
def test_a_validation_error_names_its_field(case: str, call: Callable[[], Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def _won() -> Opportunity:
    return opportunity().win(at=LATER)


COMMANDS: list[tuple[Callable[[], Any], str]] = [
    (lambda: _won().move_to("Proposal", at=LATER), "move_to"),
    (lambda: _won().lose(at=LATER, reason="r"), "lose"),
    (lambda: _won().win(at=LATER), "win"),
    (lambda: _won().reopen(at=LATER), "reopen"),
    (lambda: opportunity().reopen(at=LATER), "reopen"),
    (lambda: _won().change_amount(EUR, at=LATER), "change_amount"),
    (lambda: _won().change_expected_close(MAY, at=T0), "change_expected_close"),
    (lambda: _won().override_probability("0.5", at=LATER), "override_probability"),
    (lambda: _won().request_approval("Proposal", at=LATER, by="u1"), "request_approval"),
    (lambda: contract().cancel(at=LATER, reason="r").pay(EUR, at=LATER), "pay"),
    (lambda: contract().cancel(at=LATER, reason="r").deliver(at=LATER), "deliver"),
    (lambda: contract().cancel(at=LATER, reason="r").cancel(at=LATER, reason="r"), "cancel"),
    (lambda: closed_complaint().advance("calmed", at=LATER), "advance"),
    (lambda: closed_complaint().compensate(EUR, at=LATER), "compensate"),
    (lambda: closed_complaint().close(at=LATER, satisfaction=3), "close"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_a_refused_command_names_itself(call: Callable[[], Any], command: str) -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        call()
    assert caught.value.requested == command
    assert command in str(caught.value) or command.replace("_", " ") in str(caught.value)


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("add", lambda a, b: a + b),
        ("subtract", lambda a, b: a - b),
        ("compare", lambda a, b: a < b),
        ("compare", lambda a, b: a <= b),
        ("compare", lambda a, b: a > b),
        ("compare", lambda a, b: a >= b),
    ],
)
def test_a_currency_mismatch_names_the_operation(
    operation: str, call: Callable[[Money, Money], Any]
) -> None:
    with pytest.raises(CurrencyMismatchError) as caught:
        call(EUR, Money.of("1", "USD"))
    assert (caught.value.operation, caught.value.left, caught.value.right) == (
        operation,
        "EUR",
        "USD",
    )


def test_comparisons_are_strict_where_they_should_be() -> None:
    one, two = Money.of("1", "EUR"), Money.of("2", "EUR")
    assert (one < two, one < one, two < one) == (True, False, False)
    assert (one <= two, one <= one, two <= one) == (True, True, False)
    assert (two > one, one > one, one > two) == (True, False, False)
    assert (two >= one, one >= one, one >= two) == (True, True, False)
    with pytest.raises(TypeError):
        _ = one < 1


def test_division_keeps_the_currency_and_rounds_once() -> None:
    assert Money.of("10", "EUR") / 4 == Money.of("2.5", "EUR")
    assert Money.of("10", "EUR") / Decimal("0.5") == Money.of("20", "EUR")
    assert Money.of("-9", "JPY") / 3 == Money.of("-3", "JPY")
    assert (Money.of("1", "USD") / 3).currency == "USD"


def test_customer_refusals_name_the_command() -> None:
    with pytest.raises(InvalidTransitionError, match="by win_back;") as caught:
        customer().win_back(at=LATER)
    assert (caught.value.current, caught.value.requested) == ("ACQUISITION", "ACQUISITION")
    lost = customer().lose(at=T0, reason="r")
    with pytest.raises(InvalidTransitionError, match=r"by enter_contract \(win the customer back"):
        lost.check_can_sign()
    assert lost.win_back(at=LATER).phase_history[-1].reason == "win-back"


LIFECYCLE = """stateDiagram-v2
    [*] --> acquisition : prospect
    acquisition --> contract : enter_contract
    contract --> contract : enter_contract
    contract --> after_sales : end_contract
    contract --> acquisition : end_contract
    after_sales --> contract : enter_contract
    acquisition --> lost : lose
    after_sales --> lost : lose
    lost --> acquisition : win_back
"""

PIPELINE = """stateDiagram-v2
    direction LR
    state "Research (10 %)" as s0
    state "Contact (20 %)" as s1
    state "Proposal (40 %)" as s2
    state "Product demonstration (60 %)" as s3
    state "Negotiation (80 %)" as s4
    state "Won (100 %)" as s5
    state "Lost (0 %)" as s6
    state open_stages {
        [*] --> s0
        s0 --> s1
        s1 --> s2
        s2 --> s3
        s3 --> s4
    }
    note right of open_stages : any open stage may move to any other
    [*] --> open_stages
    open_stages --> s5 : win
    open_stages --> s6 : lose
    s6 --> open_stages : reopen
    s5 --> [*]
"""


def test_the_diagrams_are_exact() -> None:
    assert lifecycle_mermaid() == LIFECYCLE
    assert pipeline_mermaid(DEFAULT_PIPELINE) == PIPELINE
