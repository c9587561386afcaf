"""Contracts: order processing (signed, delivered, paid) and service contracts."""

import datetime as _dt
from fractions import Fraction
from typing import Any, Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    bounded_int,
    check_text,
    checked_field,
    flag,
    identifier,
    tuple_of,
    whole,
)
from crmcore.domain.money import Money
from crmcore.domain.ownership import Owned
from crmcore.domain.times import elapsed, in_days, not_before, to_date, to_utc
from crmcore.errors import CurrencyMismatchError, InvalidTransitionError, ValidationError

MAX_REASON_LENGTH = 500


def _positive(value: object, field: str) -> Money:
    if not isinstance(value, Money):
        raise ValidationError(
            field, f"must be Money, not {type(value).__name__}", allowed="Money greater than zero"
        )
    if value.amount <= 0:
        raise ValidationError(field, "must be greater than zero", allowed="Money greater than zero")
    return value


def _to_starts(value: object) -> pendulum.Date:
    return to_date(value, "starts")


@attrs.frozen
class Payment:
    """One payment received: an amount and when."""

    amount: Money
    at: pendulum.DateTime = attrs.field(converter=to_utc)


# Events ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ContractSigned(DomainEvent):
    """A contract was signed for a won opportunity."""

    contract_id: str
    customer_id: str
    opportunity_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class ContractDelivered(DomainEvent):
    """The order was shipped or the service delivered."""

    contract_id: str


@attrs.frozen(kw_only=True)
class PaymentReceived(DomainEvent):
    """A payment was received for the contract."""

    contract_id: str
    amount: Money
    outstanding: Money


@attrs.frozen(kw_only=True)
class ContractFulfilled(DomainEvent):
    """The contract is delivered and paid in full."""

    contract_id: str
    customer_id: str


@attrs.frozen(kw_only=True)
class ContractCancelled(DomainEvent):
    """The contract was cancelled before it was fulfilled."""

    contract_id: str
    customer_id: str
    reason: str


# Contract ---------------------------------------------------------------------


def _to_payments(value: object) -> tuple[Payment, ...]:
    return tuple_of(Payment, value, "payments")


@attrs.frozen(kw_only=True)
class Contract(Owned):
    """An order from signing to delivery and payment (the sources' order processing).

    It is fulfilled once delivered and paid in full; it can be cancelled while
    not fulfilled (payments received stay on the ledger: refunds are outside
    crmcore). A fulfilled or cancelled contract accepts no command.
    """

    contract_id: str = identifier()
    customer_id: str = identifier()
    opportunity_id: str = identifier()
    amount: Money = checked_field(_positive, False)
    signed_at: pendulum.DateTime = attrs.field(converter=to_utc)
    delivered_at: pendulum.DateTime | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_utc)
    )
    payments: tuple[Payment, ...] = attrs.field(default=(), converter=_to_payments)
    fulfilled_at: pendulum.DateTime | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_utc)
    )
    cancelled_at: pendulum.DateTime | None = attrs.field(
        default=None, converter=attrs.converters.optional(to_utc)
    )
    cancel_reason: str | None = None
    changed_at: pendulum.DateTime = attrs.field(converter=to_utc)

    def __attrs_post_init__(self) -> None:
        paid = self.paid
        if paid > self.amount:
            raise ValidationError(
                "payments", "add up to more than the amount", allowed="at most the amount"
            )
        if any(p.amount.amount <= 0 for p in self.payments):
            raise ValidationError("payments", "must all be positive", allowed="positive Money")
        should_be_fulfilled = self.delivered_at is not None and paid == self.amount
        if should_be_fulfilled != (self.fulfilled_at is not None):
            raise ValidationError(
                "fulfilled_at",
                "must be set exactly when delivered and paid in full",
                allowed="a time or None",
            )
        if (self.cancelled_at is None) != (self.cancel_reason is None):
            raise ValidationError(
                "cancel_reason", "must be given exactly when cancelled", allowed="a reason or None"
            )
        if self.cancelled_at is not None and self.fulfilled_at is not None:
            raise ValidationError(
                "cancelled_at", "a fulfilled contract cannot be cancelled", allowed="None"
            )
        if self.cancel_reason is not None:
            check_text(self.cancel_reason, "cancel_reason", max_length=MAX_REASON_LENGTH)
        if self.changed_at < self.signed_at:
            raise ValidationError("changed_at", "is before the signing", allowed="a later time")

    @classmethod
    def sign(
        cls,
        *,
        contract_id: str,
        customer_id: str,
        opportunity_id: str,
        amount: Money,
        at: _dt.datetime,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """Sign a contract for a won opportunity.

        Raises:
            ValidationError: a bad id, a non-positive amount or a bad time.
        """
        instant = to_utc(at)
        contract = cls(
            owner=owner,
            team=team,
            contract_id=contract_id,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            amount=amount,
            signed_at=instant,
            changed_at=instant,
        )
        return contract._recorded(
            ContractSigned(
                occurred_at=instant,
                contract_id=contract.contract_id,
                customer_id=contract.customer_id,
                opportunity_id=contract.opportunity_id,
                amount=contract.amount,
            )
        )

    # Queries ------------------------------------------------------------------

    @property
    def paid(self) -> Money:
        """Σ payments received."""
        return sum((p.amount for p in self.payments), Money.zero(self.amount.currency))

    @property
    def outstanding(self) -> Money:
        """What remains to be paid."""
        return self.amount - self.paid

    @property
    def is_delivered(self) -> bool:
        """Whether the order was delivered."""
        return self.delivered_at is not None

    @property
    def is_paid(self) -> bool:
        """Whether it is paid in full."""
        return self.outstanding.is_zero()

    @property
    def is_fulfilled(self) -> bool:
        """Delivered and paid in full."""
        return self.fulfilled_at is not None

    @property
    def is_cancelled(self) -> bool:
        """Whether it was cancelled."""
        return self.cancelled_at is not None

    @property
    def is_open(self) -> bool:
        """Neither fulfilled nor cancelled."""
        return not self.is_fulfilled and not self.is_cancelled

    @property
    def days_to_fulfil(self) -> Fraction | None:
        """Days from signing to fulfilment, exact (``None`` until fulfilled)."""
        if self.fulfilled_at is None:
            return None
        return in_days(elapsed(self.signed_at, self.fulfilled_at))

    # Commands -------------------------------------------------------------------

    def _when(self, at: object, command: str) -> pendulum.DateTime:
        if not self.is_open:
            state = "fulfilled" if self.is_fulfilled else "cancelled"
            raise InvalidTransitionError(
                f"contract {self.contract_id!r} is {state}; {command} is not allowed",
                current=state,
                requested=command,
            )
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        return instant

    def _changed(self, event: DomainEvent, at: pendulum.DateTime, **changes: Any) -> Self:
        """The contract with ``changes`` and ``event``, fulfilled at ``at`` if it is
        then delivered and paid in full (one new state, never an intermediate one)."""
        events = [event]
        delivered = changes.get("delivered_at", self.delivered_at) is not None
        payments: tuple[Payment, ...] = changes.get("payments", self.payments)
        paid = sum((p.amount for p in payments), Money.zero(self.amount.currency))
        if delivered and paid == self.amount:
            events.append(
                ContractFulfilled(
                    occurred_at=at, contract_id=self.contract_id, customer_id=self.customer_id
                )
            )
            changes["fulfilled_at"] = at
        return self._recorded(*events, changed_at=at, **changes)

    def deliver(self, *, at: _dt.datetime) -> Self:
        """Record the delivery (once).

        Raises:
            InvalidTransitionError: already delivered, fulfilled or cancelled.
        """
        instant = self._when(at, "deliver")
        if self.is_delivered:
            raise InvalidTransitionError(
                f"contract {self.contract_id!r} is already delivered",
                current="delivered",
                requested="deliver",
                allowed=("pay", "cancel"),
            )
        return self._changed(
            ContractDelivered(occurred_at=instant, contract_id=self.contract_id),
            instant,
            delivered_at=instant,
        )

    def pay(self, amount: Money, *, at: _dt.datetime) -> Self:
        """Record a payment; partial payments accumulate.

        Raises:
            InvalidTransitionError: fulfilled or cancelled.
            CurrencyMismatchError: the payment is in another currency.
            ValidationError: not positive, or more than the outstanding amount.
        """
        instant = self._when(at, "pay")
        _positive(amount, "amount")
        if amount.currency != self.amount.currency:
            raise CurrencyMismatchError(self.amount.currency, amount.currency, operation="pay")
        outstanding = self.outstanding
        if amount > outstanding:
            raise ValidationError(
                "amount",
                f"is more than the outstanding {outstanding}",
                allowed=f"a positive amount of at most {outstanding}",
            )
        return self._changed(
            PaymentReceived(
                occurred_at=instant,
                contract_id=self.contract_id,
                amount=amount,
                outstanding=outstanding - amount,
            ),
            instant,
            payments=(*self.payments, Payment(amount, instant)),
        )

    def cancel(self, *, at: _dt.datetime, reason: str) -> Self:
        """Cancel a contract that is not fulfilled; payments stay on the ledger.

        Raises:
            InvalidTransitionError: fulfilled or already cancelled.
            ValidationError: a blank reason.
        """
        instant = self._when(at, "cancel")
        check_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        return self._recorded(
            ContractCancelled(
                occurred_at=instant,
                contract_id=self.contract_id,
                customer_id=self.customer_id,
                reason=reason,
            ),
            cancelled_at=instant,
            cancel_reason=reason,
            changed_at=instant,
        )


# Service contracts ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ServiceContractStarted(DomainEvent):
    """A service contract started its first term."""

    contract_id: str
    customer_id: str
    starts: pendulum.Date
    ends: pendulum.Date


@attrs.frozen(kw_only=True)
class ServiceContractRenewed(DomainEvent):
    """A service contract moved to its next term."""

    contract_id: str
    term: int
    ends: pendulum.Date


def _check_within_calendar(starts: pendulum.Date, months: int) -> None:
    if starts.year + months // 12 + 1 > 9999:
        raise ValidationError(
            "term", "would run past the year 9999", allowed="terms that end before the year 10000"
        )


MAX_TERMS = 120_000
"""The most terms a service contract can run (renewals are counted)."""


def add_months(day: pendulum.Date, months: int, field: str = "months") -> pendulum.Date:
    """``day`` plus ``months`` calendar months, clamped to the month's end
    (31 January + 1 month = 28 or 29 February).

    Raises:
        ValidationError: the result would be outside the years 1 to 9999.
    """
    try:
        return day.add(months=months)
    except (OverflowError, ValueError):
        raise ValidationError(
            field, "takes the date outside the calendar", allowed="dates in the years 1 to 9999"
        ) from None


@attrs.frozen(kw_only=True)
class ServiceContract(Owned):
    """A service contract with a term that can be renewed.

    Term n covers ``starts + (n-1)·term_months`` up to the day before
    ``starts + n·term_months`` months, always anchored on ``starts`` (so a
    contract starting on 31 January runs to the end of February, then to 31
    March, not 28 March). ``ends`` is exclusive.
    """

    contract_id: str = identifier()
    customer_id: str = identifier()
    starts: pendulum.Date = attrs.field(converter=_to_starts)
    term_months: int = whole(1, 1200)
    auto_renew: bool = flag()
    notice_days: int = whole(0, 3650)
    price: Money = checked_field(_positive, False)
    term: int = whole(1, MAX_TERMS, default=1)
    changed_at: pendulum.DateTime = attrs.field(converter=to_utc)

    def __attrs_post_init__(self) -> None:
        _check_within_calendar(self.starts, self.term * self.term_months)

    @classmethod
    def start(
        cls,
        *,
        contract_id: str,
        customer_id: str,
        starts: _dt.date,
        term_months: int,
        auto_renew: bool,
        notice_days: int,
        price: Money,
        at: _dt.datetime,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """Start a service contract in its first term.

        Raises:
            ValidationError: bad ids, a non-positive price, a term outside 1 to
                1200 months, notice outside 0 to 3650 days.
        """
        instant = to_utc(at)
        contract = cls(
            owner=owner,
            team=team,
            contract_id=contract_id,
            customer_id=customer_id,
            starts=starts,
            term_months=term_months,
            auto_renew=auto_renew,
            notice_days=notice_days,
            price=price,
            changed_at=instant,
        )
        return contract._recorded(
            ServiceContractStarted(
                occurred_at=instant,
                contract_id=contract.contract_id,
                customer_id=contract.customer_id,
                starts=contract.starts,
                ends=contract.ends,
            )
        )

    def term_end(self, term: int) -> pendulum.Date:
        """The exclusive end of term ``term`` (1-based; 0 gives ``starts``)."""
        count = bounded_int(term, "term", 0, MAX_TERMS)
        return add_months(self.starts, count * self.term_months, "term")

    @property
    def ends(self) -> pendulum.Date:
        """The exclusive end of the current term: service runs to the day before."""
        return self.term_end(self.term)

    @property
    def current_term_starts(self) -> pendulum.Date:
        """The first day of the current term."""
        return self.term_end(self.term - 1)

    @property
    def next_renewal_date(self) -> pendulum.Date:
        """The day the next term would start (the current term's exclusive end)."""
        return self.ends

    def covers(self, on: _dt.date) -> bool:
        """Whether the current term covers day ``on``."""
        day = to_date(on, "on")
        return self.current_term_starts <= day < self.ends

    def renewal_due(self, on: _dt.date) -> bool:
        """True for ``ends - notice_days <= on < ends``."""
        day = to_date(on, "on")
        return self.ends.subtract(days=self.notice_days) <= day < self.ends

    def renew(self, *, at: _dt.datetime) -> Self:
        """Move to the next term (renewals do not change the customer's phase)."""
        instant = to_utc(at)
        not_before(instant, self.changed_at)
        _check_within_calendar(self.starts, (self.term + 1) * self.term_months)
        renewed = self._replaced(term=self.term + 1, changed_at=instant)
        return renewed._recorded(
            ServiceContractRenewed(
                occurred_at=instant,
                contract_id=self.contract_id,
                term=renewed.term,
                ends=renewed.ends,
            )
        )
