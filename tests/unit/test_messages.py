# mypy: disable-error-code="arg-type, call-overload"
"""Refusals word for word: the whole message, what is accepted, and for a
refused command the state and the commands allowed from it.

A message is what a user reads (the command line prints it as is), so its
wording is part of the contract; mutation testing found these unpinned
(docs/quality.md).
"""

from collections.abc import Callable
from decimal import Decimal

import attrs
import pendulum
import pytest

from crmcore import (
    ApprovalRequest,
    CurrencyMismatchError,
    InvalidTransitionError,
    Money,
    Opportunity,
    Period,
    Profile,
    RecordKind,
    RecordTerritoryChanged,
    Stage,
    StageVisit,
    ValidationError,
)
from crmcore.domain.channels import Channel
from crmcore.domain.commissions import CommissionPlan
from crmcore.domain.fields import check_text, member
from crmcore.domain.kinds import spec_of
from crmcore.domain.money import check_currency
from crmcore.domain.numbers import to_fraction
from crmcore.domain.territories import (
    TerritoryMoved,
    TerritoryRenamed,
    TerritoryRulesChanged,
    assign,
    managed_territories,
)
from tests.records import (
    T0,
    T1,
    campaign,
    complaint,
    contract,
    customer,
    opportunity,
    quota,
    service_contract,
    territory,
)
from tests.unit.test_approvals import _approved, _open

T2 = T0.add(hours=2)
HISTORY = "contiguous visits of stages of the pipeline, ending with the current stage"
APPROVAL = (
    "None, or a request made since the last stage change for another stage that requires "
    "approval, while the opportunity is open"
)
CHANNELS = (
    "'phone', 'e-mail', 'web', 'face to face', 'letter', 'fax', 'SMS', 'call centre', 'event'"
)
PROBABILITY = (
    "a Decimal, int or numeric string from 0 to 1 with at most 18 digits after the decimal "
    "point, for example Decimal('0.4')"
)


def _won() -> Opportunity:
    return opportunity().win(at=T1)


def _lost() -> Opportunity:
    return opportunity().lose(at=T1, reason="r")


def _pending() -> Opportunity:
    return _open().request_approval("Negotiate", by="rep", at=T0.add(hours=1))


def _decided_late() -> Opportunity:
    late = ApprovalRequest(
        stage_name="Negotiate",
        requested_by="rep",
        requested_at=T0.add(hours=1),
        status="approved",
        decided_by="boss",
        decided_at=T0.add(hours=5),
    )
    return attrs.evolve(_pending(), approval=late)


def _thanked_by_advance() -> object:
    c = complaint()
    for step in ("calmed", "clarified", "solution proposed", "action taken"):
        c = c.advance(step, at=T1)
    return c.advance("thanked", at=T1)


VALIDATION: list[tuple[str, Callable[[], object], str]] = [
    ("opportunity amount", lambda: opportunity().change_amount("x", at=T1),
     "amount: must be Money, not str (accepted: Money of zero or more)"),
    ("empty history", lambda: attrs.evolve(opportunity(), history=()),
     f"history: must be a non-empty tuple of StageVisit (accepted: {HISTORY})"),
    ("history closed first", lambda: attrs.evolve(
        opportunity(), history=(StageVisit("Lost", T0, T0), StageVisit("Prospecting", T0))),
     f"history: closes without an open stage before (accepted: {HISTORY})"),
    ("approval for an ungated stage", lambda: attrs.evolve(
        opportunity(),
        approval=ApprovalRequest(stage_name="Proposal", requested_by="u1", requested_at=T0)),
     f"approval: is not a request this opportunity can hold (accepted: {APPROVAL})"),
    ("approval for an unknown stage", lambda: attrs.evolve(
        opportunity(),
        approval=ApprovalRequest(stage_name="Nope", requested_by="u1", requested_at=T0)),
     "approval: is not a stage of this pipeline (accepted: Research, Contact, Proposal, "
     "Product demonstration, Negotiation, Won, Lost)"),
    ("approval decided after the last change", _decided_late,
     f"approval: is outside the current stage visit (accepted: {APPROVAL})"),
    ("approved by nobody", lambda: _pending().approve(by="", at=T2),
     "by: must not be empty (accepted: a string of 1 to 128 printable characters without "
     "whitespace)"),
    ("zero compensation", lambda: complaint().compensate(Money.of("0", "EUR"), at=T1),
     "amount: must be positive Money (accepted: Money greater than zero)"),
    ("blank text", lambda: check_text(" ", "title"),
     "title: must not be blank (accepted: a string of 1 to 100 characters, not blank, "
     "without surrounding spaces)"),
    ("unknown member", lambda: member(Channel, "pigeon", "channel"),
     f"channel: is not a known value (accepted: Channel or one of {CHANNELS})"),
    ("unknown choice", lambda: Channel("pigeon"),
     f"Channel: is not a known value (accepted: one of {CHANNELS})"),
    ("unknown kind", lambda: spec_of("nope"),
     "kind: is not a kind of record (accepted: RecordKind or one of 'customer', "
     "'opportunity', 'contract', 'service_contract', 'complaint', 'campaign', 'territory', "
     "'quota', 'commission_plan')"),
    ("currency", lambda: check_currency("xx"),
     "currency: is not a known currency code (accepted: an active ISO 4217 code in upper "
     "case, such as 'EUR', 'USD' or 'VND')"),
    ("amount", lambda: Money.of("x", "EUR"),
     "amount: is not a decimal number of at most 100 significant digits (accepted: a finite "
     "Decimal or int (Money.of also takes a numeric string) with at most 18 digits before "
     "and 18 after the decimal point)"),
    ("probability", lambda: Stage("S", "2"),
     f"probability: is outside [0, 1] (accepted: {PROBABILITY})"),
    ("probability float", lambda: Stage("S", 0.5),
     f"probability: must not be a float (write Decimal('0.5')) (accepted: {PROBABILITY})"),
    ("won stage", lambda: Stage("W", "0.5", kind="won"),
     "probability: of the won stage 'W' must be 1 (accepted: 1)"),
    ("lost stage", lambda: Stage("L", "0.5", kind="lost"),
     "probability: of the lost stage 'L' must be 0 (accepted: 0)"),
    ("email", lambda: Profile(email="nope"),
     "email: is not an e-mail address (accepted: an address like name@example.com (at most "
     "254 characters))"),
    ("phone", lambda: Profile(phone="x"),
     "phone: is not a phone number (accepted: digits with optional +, spaces, ( ) . / -, 3 to "
     "32 characters, at least 3 digits)"),
]  # fmt: skip


SALES: list[tuple[str, Callable[[], object], str]] = [
    ("a blank territory name", lambda: territory().rename(" ", at=T1),
     "name: must be a non-blank string of at most 200 characters (accepted: a non-blank name "
     "of at most 200 characters)"),
    ("an empty parent id", lambda: territory().move("", at=T1),
     "parent_id: must not be empty (accepted: a string of 1 to 128 printable characters "
     "without whitespace)"),
    ("field values that are no mapping", lambda: territory().matches("x"),
     "values: must be a mapping (accepted: field name → a string or None)"),
    ("teams as text", lambda: managed_territories("x", []),
     "teams: must be an iterable of team ids, not str (accepted: team ids)"),
    ("an empty team id", lambda: managed_territories([""], []),
     "teams: must not be empty (accepted: a string of 1 to 128 printable characters without "
     "whitespace)"),
    ("a profile field as an attribute", lambda: assign(
        customer(), [territory()], attributes={"industry": "x"}),
     "attributes: has a key that is not an attribute name (accepted: identifiers other than "
     "the profile fields region, industry, customer_type, occupation, preferred_channel, "
     "phase)"),
    ("a quota target as text", lambda: quota(owner="u1").replace_target("x", at=T1),
     "target: must not be a str (accepted: Money of zero or more, or a count of deals (an int "
     "from 0 to 1000000000))"),
    ("a commission base as text", lambda: CommissionPlan.flat(
        "EUR", Decimal("0.05")).exact_commission("x"),
     "base: is not a decimal number of at most 100 significant digits (accepted: a Fraction, "
     "Decimal or int)"),
    ("a period shifted before the year 1", lambda: Period.year(1).shifted(-1),
     "count: moves the period out of the years 1 to 9998 (accepted: a shift that stays within "
     "the years 1 to 9998)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "call", "message"), VALIDATION + SALES, ids=[c for c, _, _ in VALIDATION + SALES]
)
def test_a_validation_error_reads_as_documented(
    case: str, call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert str(caught.value) == message


# (case, call, message, current state, commands allowed from it)
TRANSITIONS: list[tuple[str, Callable[[], object], str, str, tuple[str, ...]]] = [
    ("approve with no request", lambda: _open().approve(by="boss", at=T1),
     "opportunity 'o1' has no pending approval request; approve is not allowed",
     "no approval request", ("request_approval",)),
    ("approve twice", lambda: _approved().approve(by="boss2", at=T0.add(hours=3)),
     "opportunity 'o1' has no pending approval request; approve is not allowed",
     "approval granted", ("request_approval",)),
    ("approve a won opportunity", lambda: _won().approve(by="boss", at=T2),
     "opportunity 'o1' is won; approve is not allowed; a won opportunity is final", "won", ()),
    ("move a lost opportunity", lambda: _lost().move_to("Proposal", at=T2),
     "opportunity 'o1' is lost; move_to is not allowed; reopen it first", "lost", ("reopen",)),
    ("move a won opportunity", lambda: _won().move_to("Proposal", at=T2),
     "opportunity 'o1' is won; move_to is not allowed; a won opportunity is final", "won", ()),
    ("skip a complaint step", lambda: complaint().advance("clarified", at=T1),
     "complaint 'm1' is at 'received'; the next step is 'calmed', not 'clarified'",
     "received", ("calmed",)),
    ("thank by advancing", _thanked_by_advance,
     "complaint 'm1' is at 'action taken'; the next step is 'thanked', taken by "
     "close(satisfaction=...)", "action taken", ("close",)),
    ("cancel a fulfilled contract", lambda: contract().deliver(at=T1)
     .pay(Money.of("100", "EUR"), at=T1).cancel(at=T1, reason="r"),
     "contract 'k1' is fulfilled; cancel is not allowed", "fulfilled", ()),
    ("deliver a cancelled contract", lambda: contract().cancel(at=T1, reason="r").deliver(at=T1),
     "contract 'k1' is cancelled; deliver is not allowed", "cancelled", ()),
    ("lose a customer under contract", lambda: customer()
     .enter_contract(at=T1, contract_id="k1").lose(at=T1, reason="r"),
     "customer 'c1' cannot move from CONTRACT to LOST by lose (cancel or fulfil its open "
     "contracts first); allowed from CONTRACT: CONTRACT, AFTER_SALES, ACQUISITION",
     "CONTRACT", ("CONTRACT", "AFTER_SALES", "ACQUISITION")),
    ("win back a customer under contract", lambda: customer()
     .enter_contract(at=T1, contract_id="k1").win_back(at=T1),
     "customer 'c1' cannot move from CONTRACT to ACQUISITION by win_back; allowed from "
     "CONTRACT: CONTRACT, AFTER_SALES, ACQUISITION",
     "CONTRACT", ("CONTRACT", "AFTER_SALES", "ACQUISITION")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "call", "message", "current", "allowed"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS]
)
def test_a_refused_command_reads_as_documented(
    case: str, call: Callable[[], object], message: str, current: str, allowed: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        call()
    assert str(caught.value) == message
    assert caught.value.current == current
    assert caught.value.allowed == allowed


def test_reopening_names_itself_when_its_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="earlier than the record's last change") as caught:
        _lost().reopen(at=T0)
    assert caught.value.field == "at"


def test_a_note_is_empty_unless_given() -> None:
    assert complaint().advance("calmed", at=T1).steps[-1].note == ""


def test_a_choice_is_read_up_to_100_characters() -> None:
    assert member(Channel, "phone".ljust(100), "channel") is Channel.PHONE
    with pytest.raises(ValidationError, match=r"^channel: is not a known value"):
        member(Channel, "phone".ljust(101), "channel")


def test_a_period_is_read_up_to_20_characters() -> None:
    assert Period.parse(" 2030-Q1".ljust(20)) == Period.parse("2030-Q1")
    with pytest.raises(ValidationError, match=r"^text: is not a period"):
        Period.parse(" 2030-Q1".ljust(21))


def test_kinds_are_found_by_value_and_by_class() -> None:
    from crmcore import Contract, Customer, RecordKind
    from crmcore.domain.kinds import kind_of

    assert spec_of("opportunity").kind is RecordKind.OPPORTUNITY
    assert spec_of("contract").kind is RecordKind.CONTRACT
    assert kind_of(Customer).kind is RecordKind.CUSTOMER
    assert kind_of(Contract).kind is RecordKind.CONTRACT
    assert kind_of(contract()).kind is RecordKind.CONTRACT


def test_a_service_contract_renews_until_a_term_could_pass_the_year_9999() -> None:
    s = service_contract(starts=pendulum.date(9996, 1, 1))
    once = s.renew(at=T1)  # its second term ends in 9998
    assert once.term == 2
    with pytest.raises(ValidationError) as caught:  # the check keeps a year's margin
        once.renew(at=T1)
    assert str(caught.value) == (
        "term: would run past the year 9999 (accepted: terms that end before the year 10000)"
    )


def test_a_product_is_rounded_once_at_the_18th_place_beyond_28_digits() -> None:
    # 36 significant digits: more than a default decimal context holds
    product = Money.of("123456789012345678", "EUR") * Decimal("1.0000000000000000001")
    assert product == Money.of("123456789012345678.012345678901234568", "EUR")


@pytest.mark.parametrize("operation", ["pay", "refund"])
def test_a_payment_in_another_currency_names_the_operation(operation: str) -> None:
    paid = contract().deliver(at=T0).pay(Money.of("10", "EUR"), at=T0)
    with pytest.raises(CurrencyMismatchError) as caught:
        getattr(paid, operation)(Money.of("1", "USD"), at=T1)
    assert caught.value.operation == operation
    assert str(caught.value).startswith(f"cannot {operation} EUR and USD: ")


def test_a_refund_is_the_contracts_last_change() -> None:
    paid = contract().deliver(at=T0).pay(Money.of("10", "EUR"), at=T0)
    assert paid.refund(Money.of("1", "EUR"), at=T1).changed_at == T1


def test_minor_units_take_up_to_18_integer_digits() -> None:
    assert Money.in_minor_units(10**18 - 1, "EUR") == Money.of("999999999999999999", "EUR")
    with pytest.raises(ValidationError) as caught:
        Money.in_minor_units(10**18, "EUR")
    assert str(caught.value) == (
        "value: has more than 18 digits before the decimal point (accepted: an exact number: "
        "a Fraction, a finite Decimal or an int)"
    )


def test_a_number_out_of_range_says_what_is_accepted() -> None:
    with pytest.raises(ValidationError) as caught:
        to_fraction(Decimal("1E+2000"), "share", allowed="a share")
    assert str(caught.value) == (
        "share: is out of range: beyond 10**1000 or closer to 0 than 10**-1000 (accepted: a share)"
    )


def test_a_quota_keeps_someone_it_is_for_through_moves_and_reassignments() -> None:
    assert quota(owner="u1", territory="t1").move_to_territory(None, at=T1).territory is None
    assert quota(team="north", territory="t1").move_to_territory(None, at=T1).territory is None
    moved = quota().move_to_territory("t2", at=T1)  # a territory's quota, to another one
    assert (moved.territory, moved.changed_at) == ("t2", T1)
    assert moved.pending_events[-1] == RecordTerritoryChanged(
        occurred_at=T1,
        record_kind=RecordKind.QUOTA,
        record_id="q1",
        previous_territory="t9",
        territory="t2",
    )
    assert quota(team="north").reassign(owner="u1", team=None, at=T1).owner == "u1"
    assert quota(owner="u1").reassign(owner=None, team="north", at=T1).team == "north"
    with pytest.raises(ValidationError, match="a quota needs someone it is for"):
        quota(owner="u1").reassign(owner=None, team=None, at=T1)


def test_a_new_campaign_is_the_opportunitys_last_change() -> None:
    changed = opportunity().set_campaign("cam1", at=T1)
    assert (changed.campaign_id, changed.changed_at) == ("cam1", T1)


def test_a_campaign_refusal_names_its_state_and_command() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        campaign().complete(at=T1)
    assert str(caught.value) == "campaign 'p1' is planned: complete is not allowed"


def test_territory_commands_are_its_last_change_and_say_what_changed() -> None:
    renamed = territory().rename("South", at=T1)
    assert (renamed.name, renamed.changed_at) == ("South", T1)
    assert renamed.pending_events[-1] == TerritoryRenamed(occurred_at=T1, territory_id="t1")
    moved = territory(parent_id="t0").move("t5", at=T1)
    assert (moved.parent_id, moved.changed_at) == ("t5", T1)
    assert moved.pending_events[-1] == TerritoryMoved(
        occurred_at=T1, territory_id="t1", previous_parent_id="t0", parent_id="t5"
    )
    ruled = territory().set_rules([], at=T1)
    assert (ruled.rules, ruled.changed_at) == ((), T1)
    assert ruled.pending_events[-1] == TerritoryRulesChanged(occurred_at=T1, territory_id="t1")


def test_the_year_1_is_within_reach_of_a_shift() -> None:
    assert Period.year(2).shifted(-1) == Period.parse("0001")
