"""Domain details that mutation testing found unread (docs/quality.md): each
command's time becomes the record's ``changed_at``, Money's comparison
operators answer for themselves, largest remainders get the spare units,
and reasons may be as long as their documented limit.
"""

from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest

from crmcore import Money, Profile, ValidationError
from crmcore.domain.complaints import Compensation
from crmcore.domain.contracts import add_months
from crmcore.domain.customers import MAX_REASON_LENGTH as CUSTOMER_REASON
from crmcore.domain.opportunities import MAX_REASON_LENGTH as OPPORTUNITY_REASON
from tests.records import T0, complaint, contract, customer, opportunity
from tests.unit.test_approvals import _open

LATER = T0.add(days=3)
EUR = Money.of("10", "EUR")

COMMANDS: list[tuple[str, Any]] = [
    ("rename", lambda: customer().rename("New name", at=LATER)),
    ("update_profile", lambda: customer().update_profile(Profile(phone="0123456789"), at=LATER)),
    ("change_amount", lambda: opportunity().change_amount(EUR, at=LATER)),
    ("pay", lambda: contract().pay(EUR, at=LATER)),
    ("cancel", lambda: contract().cancel(at=LATER, reason="r")),
    ("advance", lambda: complaint().advance("calmed", at=LATER)),
    ("compensate", lambda: complaint().compensate(EUR, at=LATER)),
    (
        "close",
        lambda: (
            complaint()
            .advance("calmed", at=T0)
            .advance("clarified", at=T0)
            .advance("solution proposed", at=T0)
            .advance("action taken", at=T0)
            .close(at=LATER, satisfaction=4)
        ),
    ),
]


@pytest.mark.parametrize(("command", "call"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_moves_changed_at_to_its_time(command: str, call: Any) -> None:
    assert call().changed_at == LATER


def test_money_comparisons_answer_for_themselves() -> None:
    one, two = Money.of("1", "EUR"), Money.of("2", "EUR")
    assert (one.__lt__(two), one.__le__(one), two.__ge__(one)) == (True, True, True)
    assert (two.__lt__(one), two.__le__(one), one.__ge__(two)) == (False, False, False)
    for method in (one.__lt__, one.__le__, one.__gt__, one.__ge__):
        assert method(1) is NotImplemented


def test_allocation_gives_spare_units_to_the_largest_remainders() -> None:
    # 5 cents as 1:3 is 1.25 : 3.75 cents; the spare cent goes to the 0.75.
    assert Money.of("0.05", "EUR").allocate([1, 3]) == (
        Money.of("0.01", "EUR"),
        Money.of("0.04", "EUR"),
    )


def test_rounding_is_half_even_at_the_minor_unit() -> None:
    assert Money.of("0.125", "EUR").rounded() == Money.of("0.12", "EUR")
    assert Money.of("0.135", "EUR").rounded() == Money.of("0.14", "EUR")
    assert Money.of("-2.5", "JPY").rounded() == Money.of("-2", "JPY")
    assert Money.of("1.2345", "BHD").rounded().amount == Decimal("1.234")


def test_reasons_may_be_as_long_as_their_limit() -> None:
    longest = "r" * CUSTOMER_REASON
    assert customer().lose(at=LATER, reason=longest).phase_history[-1].reason == longest
    with pytest.raises(ValidationError, match="reason"):
        customer().lose(at=LATER, reason=longest + "r")
    requested = _open().request_approval("Negotiate", by="rep", at=LATER)
    longest = "r" * OPPORTUNITY_REASON
    assert requested.reject(by="boss", at=LATER, reason=longest).approval is None
    with pytest.raises(ValidationError, match="reason"):
        requested.reject(by="boss", at=LATER, reason=longest + "r")


def test_complaint_records_check_their_parts() -> None:
    closed = COMMANDS[-1][1]()
    for satisfaction in (1, 5):
        assert attrs.evolve(closed, satisfaction=satisfaction).satisfaction == satisfaction
    for satisfaction in (0, 6):
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(closed, satisfaction=satisfaction)
        assert caught.value.field == "satisfaction"
    for field in ("steps", "compensations"):
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(closed, **{field: "x"})
        assert caught.value.field == field
    given = complaint().compensate(EUR, at=LATER)
    for bad in (
        (Compensation(Money.zero("EUR"), LATER),),
        (Compensation(EUR, LATER), Compensation(Money.of("1", "USD"), LATER)),
    ):
        with pytest.raises(ValidationError, match="compensations"):
            attrs.evolve(given, compensations=bad)


def test_add_months_names_its_field() -> None:
    with pytest.raises(ValidationError) as caught:
        add_months(pendulum.Date(9999, 1, 1), 12)
    assert caught.value.field == "months"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("12.50", "12.50"),  # trailing zeros within 18 places are kept
        ("1." + "0" * 18, "1." + "0" * 18),
        ("0." + "0" * 18, "0." + "0" * 18),
        ("1." + "0" * 19, "1." + "0" * 18),  # beyond the 18th place they go
        ("1E+1", "10"),  # no positive exponent
        ("-0.00", "0.00"),  # no negative zero
    ],
)
def test_amounts_are_kept_in_canonical_form(given: str, kept: str) -> None:
    assert Money(Decimal(given), "EUR").amount.as_tuple() == Decimal(kept).as_tuple()


def test_every_comparison_operator_answers_for_itself() -> None:
    one, two = Money.of("1", "EUR"), Money.of("2", "EUR")
    assert (two.__gt__(one), one.__gt__(two)) == (True, False)
