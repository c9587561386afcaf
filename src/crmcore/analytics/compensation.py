"""Commission statements and forecasts from contracts and opportunities.

`commissions(plan, contracts, period)` pays each owner the plan's
commission on the base they attained in ``period``. What a contract adds to
its owner's base, and when, follows the plan:

- earned on ``signing``: the contract's base (its amount, or its margin)
  when it is signed;
- earned on ``payment``: the base in proportion to each payment, when it
  arrives (a payment of half the amount earns half the base).

Refunds and cancellations give **negative lines** in the period they happen
in: a refund takes back the base in proportion to what it returns, and a
cancellation takes back everything the contract still has in the base (a
cancelled contract has a base of zero from then on; later refunds of it
change nothing more). A payment and its full refund therefore sum to zero.
On a plan earned on signing, a refund is money the customer got back from
the deal; if the customer pays it again (the contract is still owed in
full), that payment restores the base. In numbers, a contract's base is
``amount - refunded + max(received - amount, 0)`` on signing and
``received - refunded`` on payment (times ``margin / amount`` for a margin
plan), zero once cancelled.

Each line's base is a whole number of minor units: the contract's base is
rounded once (half-even) after each event, and a line is the change, so a
contract's lines always add up to its base exactly. A deal split between
owners (``splits``) gives each owner a share of every line, allocated in
minor units by largest remainder (ties to the owner whose id sorts first),
so the shares of a line add up to the line.

The commission of an owner is ``plan.commission_on(period base)``, rounded
once; a period whose base is negative (more taken back than earned) pays
the negative of the commission on its absolute value (a claw-back). Each
line shows the commission it adds on top of the lines before it in the
period (by time, then contract id), rounded so that the lines add up to the
total exactly.

`commission_forecast(plan, opportunities, attained=...)` is what the open
pipeline is worth in commission: per owner, Σ probability × (commission on
attained + amount − commission on attained), exact and rounded once. Each
deal is valued on top of what the owner has already attained, not on top of
the other open deals. Opportunities record no margin, so a margin plan
forecasts on amounts.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

import attrs
import pendulum

from crmcore.analytics._results import MappingResult
from crmcore.domain.commissions import CommissionBase, CommissionPlan, EarnedOn
from crmcore.domain.contracts import Contract
from crmcore.domain.fields import Choice, distinct, instances_of
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.periods import Period, check_period
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = [
    "CommissionLine",
    "CommissionStatement",
    "LineEvent",
    "OwnerCommission",
    "commission_forecast",
    "commissions",
]


class LineEvent(Choice):
    """What made a commission line."""

    SIGNED = "signed"
    PAYMENT = "payment"
    REFUND = "refund"
    CANCELLATION = "cancellation"


@attrs.frozen
class CommissionLine:
    """One change in an owner's base, and the commission it adds.

    Attributes:
        owner: whose base it changes.
        contract_id: the contract.
        event: signed, payment, refund or cancellation.
        at: when it happened.
        base: the change in the owner's base (negative for refunds and
            cancellations).
        commission: the commission it adds to the owner's total for the
            period (on top of the lines before it).
        share: the owner's share of the deal (1 unless split).
    """

    owner: str
    contract_id: str
    event: LineEvent
    at: pendulum.DateTime
    base: Money
    commission: Money
    share: Fraction


@attrs.frozen
class OwnerCommission:
    """One owner's commission for the period.

    Attributes:
        owner: the owner.
        base: the base attained in the period (Σ lines' bases).
        commission: the commission on it (Σ lines' commissions).
        lines: the lines, by time, then contract id.
    """

    owner: str
    base: Money
    commission: Money
    lines: tuple[CommissionLine, ...]


@attrs.frozen(eq=False)
class CommissionStatement(MappingResult[str, Money]):
    """Owner → commission for one period (what the mapping holds), with the
    lines that make each.

    Attributes:
        plan: the plan.
        period: the period.
        owners: owner → `OwnerCommission`, sorted by owner.
    """

    plan: CommissionPlan
    period: Period
    owners: Mapping[str, OwnerCommission]

    def _mapped(self) -> Mapping[str, Money]:
        return MappingProxyType({o: c.commission for o, c in self.owners.items()})

    @property
    def bases(self) -> Mapping[str, Money]:
        """Owner → base attained in the period (what `commission_forecast` takes)."""
        return MappingProxyType({o: c.base for o, c in self.owners.items()})

    @property
    def lines(self) -> tuple[CommissionLine, ...]:
        """Every line, owner by owner."""
        return tuple(line for c in self.owners.values() for line in c.lines)

    @property
    def total(self) -> Money:
        """Σ commissions of every owner."""
        return sum((c.commission for c in self.owners.values()), Money.zero(self.plan.currency))


def _plan(value: object) -> CommissionPlan:
    if not isinstance(value, CommissionPlan):
        raise ValidationError(
            "plan",
            f"must be a CommissionPlan, not {type(value).__name__}",
            allowed="a CommissionPlan",
        )
    return value


_SPLIT_RULE = "contract id → {owner id: share}, shares positive and summing to 1"


def _splits(value: object) -> dict[str, tuple[tuple[str, Fraction], ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("splits", "must be a mapping", allowed=_SPLIT_RULE)
    checked: dict[str, tuple[tuple[str, Fraction], ...]] = {}
    for contract_id, shares in value.items():
        key = check_id(contract_id, "splits")
        field = f"splits[{key!r}]"
        if not isinstance(shares, Mapping) or not shares:
            raise ValidationError(field, "must be a non-empty mapping", allowed=_SPLIT_RULE)
        found: list[tuple[str, Fraction]] = []
        for owner, share in shares.items():
            owner_id = check_id(owner, field)
            exact = to_fraction(share, f"{field}[{owner_id!r}]", allowed=_SPLIT_RULE)
            if exact <= 0:
                raise ValidationError(
                    f"{field}[{owner_id!r}]", "is not positive", allowed=_SPLIT_RULE
                )
            found.append((owner_id, exact))
        if sum(s for _, s in found) != 1:
            raise ValidationError(field, "does not sum to 1", allowed=_SPLIT_RULE)
        checked[key] = tuple(sorted(found))
    return checked


def _allocate(units: int, shares: tuple[tuple[str, Fraction], ...]) -> list[int]:
    """``units`` (0 or more: a contract's base is never negative) split by
    ``shares`` (summing to 1) in whole units: floors, then the rest one each
    by largest remainder, ties to the first."""
    exact = [units * share for _, share in shares]
    parts = [int(e) for e in exact]  # floors: both are non-negative
    left = units - sum(parts)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _contracts(value: object) -> tuple[Contract, ...]:
    found = instances_of(Contract, value, "contracts", "Contract values")
    distinct(found, "contracts", lambda c: c.contract_id, "a contract id")
    return found


def _base_states(
    plan: CommissionPlan, contract: Contract
) -> list[tuple[pendulum.DateTime, LineEvent, Fraction]]:
    """Each event of the contract and its base afterwards (exact, in the
    currency's units), in time order (at one instant: signing, payments,
    refunds, cancellation)."""
    amount = Fraction(contract.amount.amount)
    reference = amount
    if plan.base is CommissionBase.MARGIN and contract.margin is not None:
        reference = Fraction(contract.margin.amount)
    events = [
        (contract.signed_at, 0, LineEvent.SIGNED, Fraction(0)),
        *((p.at, 1, LineEvent.PAYMENT, Fraction(p.amount.amount)) for p in contract.payments),
        *((r.at, 2, LineEvent.REFUND, Fraction(r.amount.amount)) for r in contract.refunds),
    ]
    if contract.cancelled_at is not None:
        events.append((contract.cancelled_at, 3, LineEvent.CANCELLATION, Fraction(0)))
    events.sort(key=lambda e: (e[0], e[1]))
    states: list[tuple[pendulum.DateTime, LineEvent, Fraction]] = []
    received = refunded = Fraction(0)
    cancelled = False
    for at, _, event, money in events:
        if event is LineEvent.PAYMENT:
            received += money
        elif event is LineEvent.REFUND:
            refunded += money
        elif event is LineEvent.CANCELLATION:
            cancelled = True
        if cancelled:
            counted = Fraction(0)
        elif plan.earned_on is EarnedOn.PAYMENT:
            counted = received - refunded
        else:  # the amount, less what was paid back and not paid again
            counted = amount - refunded + max(received - amount, Fraction(0))
        states.append((at, event, counted * reference / amount))
    return states


def commissions(
    plan: CommissionPlan,
    contracts: Iterable[Contract],
    period: Period,
    *,
    splits: Mapping[str, Mapping[str, Decimal | Fraction | int]] | None = None,
) -> CommissionStatement:
    """Each owner's commission for ``period``, with the lines that make it.

    Args:
        plan: the commission plan.
        contracts: the contracts (any period: only their events inside
            ``period`` count).
        period: the month, quarter or year paid.
        splits: contract id → {owner: share}, for deals whose commission is
            split (shares positive, summing to 1); other contracts go to
            their owner.

    Raises:
        ValidationError: a bad plan, contract, period or split; a contract
            given twice; a contract with no owner and no split.
        CurrencyMismatchError: a contract in another currency than the plan's.
    """
    checked_plan = _plan(plan)
    checked_period = check_period(period, "period")
    shares_of = _splits(splits)
    scale = 10 ** Money.zero(checked_plan.currency).minor_unit
    owner_lines: dict[str, list[tuple[pendulum.DateTime, str, int, LineEvent, int, Fraction]]] = {}
    for position, contract in enumerate(_contracts(contracts)):
        if contract.amount.currency != checked_plan.currency:
            raise CurrencyMismatchError(
                checked_plan.currency, contract.amount.currency, operation="pay commission on"
            )
        shares = shares_of.get(contract.contract_id)
        if shares is None:
            if contract.owner is None:
                raise ValidationError(
                    f"contracts[{position}].owner",
                    "is None and the contract has no split",
                    allowed="an owner, or a split in splits",
                )
            shares = ((contract.owner, Fraction(1)),)
        before = [0] * len(shares)
        for sequence, (at, event, earned) in enumerate(_base_states(checked_plan, contract)):
            after = _allocate(round(earned * scale), shares)
            if checked_period.contains(at):
                for index, (owner, share) in enumerate(shares):
                    change = after[index] - before[index]
                    if change:
                        owner_lines.setdefault(owner, []).append(
                            (at, contract.contract_id, sequence, event, change, share)
                        )
            before = after
    owners: dict[str, OwnerCommission] = {}
    for owner in sorted(owner_lines):
        owners[owner] = _owner_commission(checked_plan, owner, owner_lines[owner], scale)
    return CommissionStatement(
        plan=checked_plan, period=checked_period, owners=MappingProxyType(owners)
    )


def _owner_commission(
    plan: CommissionPlan,
    owner: str,
    rows: list[tuple[pendulum.DateTime, str, int, LineEvent, int, Fraction]],
    scale: int,
) -> OwnerCommission:
    currency = plan.currency

    def paid(units: int) -> Money:
        return Money.in_minor_units(plan.exact_commission(Fraction(units, scale)), currency)

    lines: list[CommissionLine] = []
    total = 0
    for at, contract_id, _, event, change, share in sorted(rows, key=lambda r: r[:3]):
        previous = paid(total)
        total += change
        lines.append(
            CommissionLine(
                owner=owner,
                contract_id=contract_id,
                event=event,
                at=at,
                base=Money.in_minor_units(Fraction(change, scale), currency),
                commission=paid(total) - previous,
                share=share,
            )
        )
    return OwnerCommission(
        owner=owner,
        base=Money.in_minor_units(Fraction(total, scale), currency),
        commission=paid(total),
        lines=tuple(lines),
    )


def _attained(value: object, currency: str) -> dict[str, Fraction]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            "attained", "must be a mapping", allowed="owner id → Money attained in the period"
        )
    checked: dict[str, Fraction] = {}
    for owner, amount in value.items():
        owner_id = check_id(owner, "attained")
        if not isinstance(amount, Money):
            raise ValidationError(
                f"attained[{owner_id!r}]",
                f"must be Money, not {type(amount).__name__}",
                allowed="Money in the plan's currency",
            )
        if amount.currency != currency:
            raise CurrencyMismatchError(
                currency, amount.currency, operation="forecast commission on"
            )
        checked[owner_id] = Fraction(amount.amount)
    return checked


def commission_forecast(
    plan: CommissionPlan,
    opportunities: Iterable[Opportunity],
    *,
    attained: Mapping[str, Money] | None = None,
) -> Mapping[str, Money]:
    """What the open opportunities are worth in commission, per owner.

    Each open deal adds probability × (commission on attained + amount −
    commission on attained), where attained is what its owner has already
    attained in the period (``attained``, e.g. ``statement.bases``; zero
    for an owner not in it). Exact, rounded once per owner, half-even, to
    the minor unit. Closed deals are skipped.

    Raises:
        ValidationError: a bad plan, an element that is not an Opportunity,
            an open deal with no owner, or bad ``attained``.
        CurrencyMismatchError: an open deal or an attained amount in another
            currency than the plan's.
    """
    checked_plan = _plan(plan)
    currency = checked_plan.currency
    base = _attained(attained, currency)
    found = instances_of(Opportunity, opportunities, "opportunities", "Opportunity values")
    distinct(found, "opportunities", lambda o: o.opportunity_id, "an opportunity id")
    totals: dict[str, Fraction] = {}
    for position, opportunity in enumerate(found):
        if not opportunity.is_open:
            continue
        if opportunity.amount.currency != currency:
            raise CurrencyMismatchError(
                currency, opportunity.amount.currency, operation="forecast commission on"
            )
        owner = opportunity.owner
        if owner is None:
            raise ValidationError(f"opportunities[{position}].owner", "is None", allowed="an owner")
        start = base.get(owner, Fraction(0))
        added = checked_plan.exact_commission(
            start + Fraction(opportunity.amount.amount)
        ) - checked_plan.exact_commission(start)
        totals[owner] = totals.get(owner, Fraction(0)) + Fraction(opportunity.probability) * added
    return MappingProxyType(
        {owner: Money.in_minor_units(totals[owner], currency) for owner in sorted(totals)}
    )
