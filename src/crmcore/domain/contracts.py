"""Contracts: order processing (signed, delivered, paid)."""

import datetime as _dt
from fractions import Fraction
from typing import Any, Self

import attrs
import pendulum

from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    check_text,
    checked_field,
    identifier,
    instant,
    items,
)
from crmcore.domain.money import Money, non_negative_money, positive_money
from crmcore.domain.ownership import Owned
from crmcore.domain.times import elapsed, in_days, not_before, to_utc
from crmcore.errors import CurrencyMismatchError, InvalidTransitionError, ValidationError

MAX_REASON_LENGTH = 500


@attrs.frozen
class Payment:
    """One payment received, or one refund made: an amount and when."""

    amount: Money
    at: pendulum.DateTime = instant()


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
class PaymentRefunded(DomainEvent):
    """Money received for the contract was paid back to the customer."""

    contract_id: str
    amount: Money
    paid: Money


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
    reason: str = attrs.field(repr=False)  # free text


# Contract ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Contract(Owned):
    """An order from signing to delivery and payment (the sources' order processing).

    It is fulfilled once delivered and paid in full; it can be cancelled while
    not fulfilled (payments received stay on the ledger until refunded). A
    fulfilled or cancelled contract accepts no command but `refund`: money
    goes back to a customer also after fulfilment (returned goods) or
    cancellation. ``paid`` is what was received less what was refunded; a
    refund does not undo a fulfilment, which is a fact of its time.

    ``margin`` is the deal's margin, if recorded (a commission plan with
    ``base="margin"`` pays on it; see `crmcore.analytics.compensation`).
    """

    contract_id: str = identifier()
    customer_id: str = identifier()
    opportunity_id: str = identifier()
    amount: Money = checked_field(positive_money, False)
    signed_at: pendulum.DateTime = instant()
    delivered_at: pendulum.DateTime | None = instant(optional=True)
    payments: tuple[Payment, ...] = items(Payment, default=())
    refunds: tuple[Payment, ...] = items(Payment, default=())
    margin: Money | None = checked_field(non_negative_money, True)
    fulfilled_at: pendulum.DateTime | None = instant(optional=True)
    cancelled_at: pendulum.DateTime | None = instant(optional=True)
    cancel_reason: str | None = attrs.field(default=None, repr=False)  # free text
    changed_at: pendulum.DateTime = instant()

    def __attrs_post_init__(self) -> None:
        for field in ("payments", "refunds"):
            if any(p.amount.amount <= 0 for p in getattr(self, field)):
                raise ValidationError(field, "must all be positive", allowed="positive Money")
        paid = self.paid
        if paid > self.amount:
            raise ValidationError(
                "payments", "add up to more than the amount", allowed="at most the amount"
            )
        if paid.is_negative():
            raise ValidationError(
                "refunds", "add up to more than the payments", allowed="at most what was paid"
            )
        if self.margin is not None and (
            self.margin.currency != self.amount.currency or self.margin > self.amount
        ):
            raise ValidationError(
                "margin",
                "is in another currency or above the amount",
                allowed="None, or Money of zero up to the amount, in its currency",
            )
        # Fulfilled: delivered and, at the time, paid in full (refunds may
        # follow, so what is paid now can be less); not fulfilled: not both now.
        fulfilled = self.fulfilled_at
        if fulfilled is None:
            consistent = not (self.delivered_at is not None and paid == self.amount)
        else:
            consistent = (
                self.delivered_at is not None
                and self.delivered_at <= fulfilled
                and self.received >= self.amount
            )
        if not consistent:
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
        territory: str | None = None,
        margin: Money | None = None,
    ) -> Self:
        """Sign a contract for a won opportunity.

        Raises:
            ValidationError: a bad id, a non-positive amount, a margin that is
                negative, above the amount or in another currency, or a bad time.
        """
        instant = to_utc(at)
        contract = cls(
            owner=owner,
            team=team,
            territory=territory,
            margin=margin,
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
    def received(self) -> Money:
        """Σ payments received."""
        return sum((p.amount for p in self.payments), Money.zero(self.amount.currency))

    @property
    def refunded(self) -> Money:
        """Σ refunds made."""
        return sum((r.amount for r in self.refunds), Money.zero(self.amount.currency))

    @property
    def paid(self) -> Money:
        """What the customer has paid and kept: received less refunded."""
        return self.received - self.refunded

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

    def _up_to(self, amount: object, limit: Money, operation: str, what: str) -> None:
        """Refuse an ``amount`` that is not positive Money in the contract's
        currency of at most ``limit`` (``what`` says what the limit is)."""
        checked = positive_money(amount, "amount")
        if checked.currency != self.amount.currency:
            raise CurrencyMismatchError(self.amount.currency, checked.currency, operation=operation)
        if checked > limit:
            raise ValidationError(
                "amount",
                f"is more than {what}",
                allowed=f"a positive amount of at most {limit}",
            )

    def _changed(self, event: DomainEvent, at: pendulum.DateTime, **changes: Any) -> Self:
        """The contract with ``changes`` and ``event``, fulfilled at ``at`` if it is
        then delivered and paid in full (one new state, never an intermediate one)."""
        events = [event]
        delivered = changes.get("delivered_at", self.delivered_at) is not None
        payments: tuple[Payment, ...] = changes.get("payments", self.payments)
        zero = Money.zero(self.amount.currency)
        paid = sum((p.amount for p in payments), zero) - sum((r.amount for r in self.refunds), zero)
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
        outstanding = self.outstanding
        self._up_to(amount, outstanding, "pay", f"the outstanding {outstanding}")
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

    def refund(self, amount: Money, *, at: _dt.datetime) -> Self:
        """Pay money back to the customer, in any state (also after fulfilment
        or cancellation), up to what they have paid and kept.

        A refund on an open contract raises what is outstanding again; on a
        fulfilled one it leaves it fulfilled.

        Raises:
            CurrencyMismatchError: the refund is in another currency.
            ValidationError: not positive, more than paid, or ``at`` before
                the last change.
        """
        instant = self._after_last_change(at)
        paid = self.paid
        self._up_to(amount, paid, "refund", f"the {paid} paid")
        return self._recorded(
            PaymentRefunded(
                occurred_at=instant,
                contract_id=self.contract_id,
                amount=amount,
                paid=paid - amount,
            ),
            refunds=(*self.refunds, Payment(amount, instant)),
            changed_at=instant,
        )

    def cancel(self, *, at: _dt.datetime, reason: str) -> Self:
        """Cancel a contract that is not fulfilled; payments stay on the ledger
        (until refunded).

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


# Service contracts live in their own module; these names stay importable from here.
from crmcore.domain.service_contracts import (  # noqa: E402
    MAX_TERMS as MAX_TERMS,
)
from crmcore.domain.service_contracts import (  # noqa: E402
    ServiceContract as ServiceContract,
)
from crmcore.domain.service_contracts import (  # noqa: E402
    ServiceContractRenewed as ServiceContractRenewed,
)
from crmcore.domain.service_contracts import (  # noqa: E402
    ServiceContractStarted as ServiceContractStarted,
)
from crmcore.domain.service_contracts import add_months as add_months  # noqa: E402
