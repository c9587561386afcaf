import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import (
    Contract,
    ContractCancelled,
    ContractDelivered,
    ContractFulfilled,
    ContractSigned,
    CurrencyMismatchError,
    InvalidTransitionError,
    Money,
    Payment,
    PaymentReceived,
    ServiceContract,
    ServiceContractRenewed,
    ServiceContractStarted,
    ValidationError,
)

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def day(n: float) -> pendulum.DateTime:
    return T0.add(hours=int(n * 24))


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def signed(amount: str = "1000") -> Contract:
    return Contract.sign(
        contract_id="k-1", customer_id="c-1", opportunity_id="o-1", amount=eur(amount), at=T0
    )


def test_sign_records_the_event() -> None:
    contract = signed()
    assert contract.is_open
    assert contract.outstanding == eur("1000")
    assert (
        contract.is_delivered,
        contract.is_paid,
        contract.is_fulfilled,
        contract.is_cancelled,
    ) == (
        False,
        False,
        False,
        False,
    )
    assert contract.pending_events == (
        ContractSigned(
            occurred_at=T0,
            contract_id="k-1",
            customer_id="c-1",
            opportunity_id="o-1",
            amount=eur("1000"),
        ),
    )


def test_delivered_then_paid_in_parts_is_fulfilled() -> None:
    contract = signed().deliver(at=day(2)).pay(eur("400"), at=day(3))
    assert contract.outstanding == eur("600")
    assert not contract.is_fulfilled
    contract = contract.pay(eur("600"), at=day(7.5))
    assert contract.is_fulfilled
    assert contract.payments == (Payment(eur("400"), day(3)), Payment(eur("600"), day(7.5)))
    assert contract.days_to_fulfil == Fraction(15, 2)
    assert contract.pending_events[-2:] == (
        PaymentReceived(
            occurred_at=day(7.5), contract_id="k-1", amount=eur("600"), outstanding=eur("0")
        ),
        ContractFulfilled(occurred_at=day(7.5), contract_id="k-1", customer_id="c-1"),
    )


def test_paid_then_delivered_is_fulfilled_on_delivery() -> None:
    contract = signed().pay(eur("1000"), at=day(1))
    assert contract.is_paid
    assert not contract.is_fulfilled
    delivered = contract.deliver(at=day(4))
    assert delivered.is_fulfilled
    assert delivered.fulfilled_at == day(4)
    assert delivered.pending_events[-2:] == (
        ContractDelivered(occurred_at=day(4), contract_id="k-1"),
        ContractFulfilled(occurred_at=day(4), contract_id="k-1", customer_id="c-1"),
    )


def test_days_to_fulfil_is_none_until_fulfilled() -> None:
    assert signed().days_to_fulfil is None


def test_overpayment_names_the_outstanding_amount() -> None:
    contract = signed().pay(eur("900"), at=day(1))
    with pytest.raises(ValidationError, match="outstanding 100 EUR") as caught:
        contract.pay(eur("100.01"), at=day(2))
    assert caught.value.field == "amount"


def test_payment_rules() -> None:
    with pytest.raises(CurrencyMismatchError):
        signed().pay(Money.of("1", "USD"), at=day(1))
    for bad in (eur("0"), eur("-1"), 5):
        with pytest.raises(ValidationError):
            signed().pay(bad, at=day(1))  # type: ignore[arg-type]


def test_delivery_happens_once() -> None:
    with pytest.raises(InvalidTransitionError, match="already delivered") as caught:
        signed().deliver(at=day(1)).deliver(at=day(2))
    assert caught.value.allowed == ("pay", "cancel")


def test_cancel_keeps_payments_and_blocks_further_commands() -> None:
    contract = signed().pay(eur("100"), at=day(1)).cancel(at=day(2), reason="customer withdrew")
    assert contract.is_cancelled
    assert not contract.is_open
    assert contract.paid == eur("100")
    assert contract.pending_events[-1] == ContractCancelled(
        occurred_at=day(2), contract_id="k-1", customer_id="c-1", reason="customer withdrew"
    )
    commands: list[Callable[[Contract], object]] = [
        lambda c: c.deliver(at=day(3)),
        lambda c: c.pay(eur("1"), at=day(3)),
        lambda c: c.cancel(at=day(3), reason="again"),
    ]
    for command in commands:
        with pytest.raises(InvalidTransitionError) as caught:
            command(contract)
        assert caught.value.current == "cancelled"


def test_fulfilled_contracts_accept_no_command() -> None:
    done = signed().deliver(at=day(1)).pay(eur("1000"), at=day(2))
    with pytest.raises(InvalidTransitionError, match="fulfilled"):
        done.cancel(at=day(3), reason="too late")


def test_cancel_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        signed().cancel(at=day(1), reason="")
    assert caught.value.field == "reason"


def test_earlier_times_are_refused() -> None:
    contract = signed().deliver(at=day(5))
    with pytest.raises(ValidationError, match="earlier"):
        contract.pay(eur("1"), at=day(4))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": eur("0")}, "amount"),
        ({"amount": eur("-5")}, "amount"),
        ({"amount": "1000"}, "amount"),
        ({"contract_id": ""}, "contract_id"),
        ({"customer_id": "a b"}, "customer_id"),
        ({"opportunity_id": None}, "opportunity_id"),
        ({"at": dt.datetime(2030, 1, 1)}, "at"),
    ],
)
def test_sign_rejects_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "contract_id": "k",
        "customer_id": "c",
        "opportunity_id": "o",
        "amount": eur("1"),
        "at": T0,
    } | kwargs
    with pytest.raises(ValidationError) as caught:
        Contract.sign(**arguments)
    assert caught.value.field == field


def test_constructor_checks_the_ledger() -> None:
    base: dict[str, Any] = {
        "contract_id": "k",
        "customer_id": "c",
        "opportunity_id": "o",
        "amount": eur("10"),
        "signed_at": T0,
        "changed_at": T0,
    }
    bad: list[tuple[dict[str, Any], str]] = [
        ({"payments": (Payment(eur("11"), T0),)}, "payments"),
        ({"payments": (Payment(eur("-1"), T0),)}, "payments"),
        ({"payments": ("10 EUR",)}, "payments"),
        ({"delivered_at": T0, "payments": (Payment(eur("10"), T0),)}, "fulfilled_at"),
        ({"fulfilled_at": T0}, "fulfilled_at"),
        ({"cancelled_at": T0}, "cancel_reason"),
        (
            {
                "delivered_at": T0,
                "payments": (Payment(eur("10"), T0),),
                "fulfilled_at": T0,
                "cancelled_at": T0,
                "cancel_reason": "x",
            },
            "cancelled_at",
        ),
        ({"cancelled_at": T0, "cancel_reason": " "}, "cancel_reason"),
        ({"changed_at": T0.subtract(days=1)}, "changed_at"),
    ]
    for changes, field in bad:
        with pytest.raises(ValidationError) as caught:
            Contract(**(base | changes))
        assert caught.value.field == field, changes


# Service contracts --------------------------------------------------------------


def service(starts: pendulum.Date, term_months: int = 1, notice_days: int = 30) -> ServiceContract:
    return ServiceContract.start(
        contract_id="svc-1",
        customer_id="c-1",
        starts=starts,
        term_months=term_months,
        auto_renew=True,
        notice_days=notice_days,
        price=eur("99"),
        at=T0,
    )


def test_terms_are_anchored_on_the_start_and_clamped_to_month_ends() -> None:
    contract = service(pendulum.Date(2030, 1, 31))
    assert contract.ends == pendulum.Date(2030, 2, 28)
    assert contract.pending_events == (
        ServiceContractStarted(
            occurred_at=T0,
            contract_id="svc-1",
            customer_id="c-1",
            starts=pendulum.Date(2030, 1, 31),
            ends=pendulum.Date(2030, 2, 28),
        ),
    )
    renewed = contract.renew(at=day(40))
    assert renewed.term == 2
    assert renewed.ends == pendulum.Date(2030, 3, 31)  # not 28 March
    assert renewed.current_term_starts == pendulum.Date(2030, 2, 28)
    assert renewed.pending_events[-1] == ServiceContractRenewed(
        occurred_at=day(40), contract_id="svc-1", term=2, ends=pendulum.Date(2030, 3, 31)
    )


def test_leap_years() -> None:
    assert service(pendulum.Date(2031, 1, 31)).term_end(1) == pendulum.Date(2031, 2, 28)
    assert service(pendulum.Date(2032, 1, 31)).term_end(1) == pendulum.Date(2032, 2, 29)
    yearly = service(pendulum.Date(2032, 2, 29), term_months=12)
    assert yearly.ends == pendulum.Date(2033, 2, 28)
    assert yearly.term_end(4) == pendulum.Date(2036, 2, 29)


def test_renewal_due_window() -> None:
    contract = service(pendulum.Date(2030, 1, 1), term_months=12, notice_days=30)
    assert contract.ends == pendulum.Date(2031, 1, 1)
    assert contract.next_renewal_date == pendulum.Date(2031, 1, 1)
    assert not contract.renewal_due(dt.date(2030, 12, 1))
    assert contract.renewal_due(dt.date(2030, 12, 2))
    assert contract.renewal_due(dt.date(2030, 12, 31))
    assert not contract.renewal_due(dt.date(2031, 1, 1))
    assert contract.covers(dt.date(2030, 12, 31))
    assert not contract.covers(dt.date(2031, 1, 1))
    assert not contract.covers(dt.date(2029, 12, 31))


def test_renew_rejects_earlier_times() -> None:
    contract = service(pendulum.Date(2030, 1, 1)).renew(at=day(10))
    with pytest.raises(ValidationError, match="earlier"):
        contract.renew(at=day(5))


def test_terms_past_the_calendar_are_refused() -> None:
    with pytest.raises(ValidationError, match="9999"):
        service(pendulum.Date(9998, 6, 1), term_months=24)
    near_end = service(pendulum.Date(9997, 1, 1), term_months=12)
    with pytest.raises(ValidationError, match="9999"):
        near_end.renew(at=day(1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"term_months": 0}, "term_months"),
        ({"term_months": 1201}, "term_months"),
        ({"term_months": 1.0}, "term_months"),
        ({"notice_days": -1}, "notice_days"),
        ({"auto_renew": "yes"}, "auto_renew"),
        ({"price": eur("0")}, "price"),
        ({"starts": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "starts"),
    ],
)
def test_service_contract_rejects_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "contract_id": "s",
        "customer_id": "c",
        "starts": pendulum.Date(2030, 1, 1),
        "term_months": 12,
        "auto_renew": False,
        "notice_days": 30,
        "price": eur("10"),
        "at": T0,
    } | kwargs
    with pytest.raises(ValidationError) as caught:
        ServiceContract.start(**arguments)
    assert caught.value.field == field
