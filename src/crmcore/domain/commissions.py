"""Commission plans: a flat rate or tiers, the arithmetic of one payout.

A `CommissionPlan` pays a rate on a *base*, in one currency. The base is the
amount a sales rep attained in a period (the sum of the deal amounts, or
margins, counted in it: see `crmcore.analytics.compensation`). The rates come
from `Tier` values: half-open ranges ``lower <= base < upper`` that start at
0 and follow each other without gaps or overlaps, the last open-ended
(``upper=None``). A flat rate is one tier from 0 (`CommissionPlan.flat`).

Two modes, as plans are written in practice:

- ``marginal`` (the default): each slice of the base is paid at its own
  tier's rate, like income tax. The commission is continuous and never
  falls as the base grows.
- ``whole``: the rate of the tier the base reaches applies to the whole
  base, as OCA's commission "sections" do. The commission jumps at a tier
  boundary (one more unit of base can raise it by a whole tier's worth), and
  can fall if a later tier's rate is lower.

`CommissionPlan.commission_on(amount)` is the arithmetic alone, rounded
once, half-even, to the currency's minor unit.

The worked example of the docs: tiers 0-50,000 at 2 %, 50,000-100,000 at
4 %, above at 6 %; on 85,000 the marginal commission is 1,000 + 1,400 =
2,400, the whole-base commission 4 % of 85,000 = 3,400.
"""

import datetime as _dt
from decimal import Decimal
from fractions import Fraction
from typing import Self

import attrs
import pendulum

from crmcore.domain.customers import check_name
from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    Choice,
    checked_field,
    identifier,
    instant,
    items_of,
    member,
    of_type,
)
from crmcore.domain.money import MAX_INTEGER_DIGITS, Money, check_currency
from crmcore.domain.numbers import to_fraction
from crmcore.domain.ownership import Owned
from crmcore.domain.times import to_utc
from crmcore.errors import CurrencyMismatchError, ValidationError

MAX_TIERS = 50
"""The most tiers a plan may have."""

_AMOUNT_RULE = f"a Decimal or int of zero or more, below 10**{MAX_INTEGER_DIGITS}"
_RATE_RULE = "a Decimal or int ratio from 0 to 1 (Decimal('0.04') for 4 %)"


class CommissionMode(Choice):
    """How tier rates apply: ``marginal`` (each slice at its tier's rate) or
    ``whole`` (the reached tier's rate on the whole base)."""

    MARGINAL = "marginal"
    WHOLE = "whole"


class CommissionBase(Choice):
    """What a deal adds to the base: its ``amount``, or its ``margin`` when
    it records one (its amount when it does not)."""

    AMOUNT = "amount"
    MARGIN = "margin"


class EarnedOn(Choice):
    """When a deal's commission is earned: at ``signing`` (the contract's
    amount, when it is signed) or as ``payment`` is received (each payment,
    when it arrives)."""

    SIGNING = "signing"
    PAYMENT = "payment"


def _amount(value: object, field: str) -> Decimal:
    if type(value) is int:
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(
            field, f"must be a Decimal or int, not {type(value).__name__}", allowed=_AMOUNT_RULE
        )
    if value < 0 or value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValidationError(field, "is out of range", allowed=_AMOUNT_RULE)
    return value


def _rate(value: object, field: str) -> Decimal:
    if type(value) is not int and not isinstance(value, Decimal):
        raise ValidationError(
            field, f"must be a Decimal or int, not {type(value).__name__}", allowed=_RATE_RULE
        )
    exact = to_fraction(value, field, allowed=_RATE_RULE)
    if not 0 <= exact <= 1:
        raise ValidationError(field, "is not between 0 and 1", allowed=_RATE_RULE)
    return Decimal(value)


def _lower(value: object) -> Decimal:
    return _amount(value, "lower")


def _upper(value: object) -> Decimal | None:
    return None if value is None else _amount(value, "upper")


def _tier_rate(value: object) -> Decimal:
    return _rate(value, "rate")


@attrs.frozen
class Tier:
    """One tier: ``rate`` on the base from ``lower`` (included) to ``upper``
    (excluded; ``None`` for the last, open-ended tier).

    Amounts are in the plan's currency, as `Decimal` or int; ``rate`` is a
    ratio (``Decimal("0.04")`` for 4 %).

    Raises:
        ValidationError: a negative or non-numeric bound or rate, a rate
            above 1, or ``upper`` not above ``lower``.
    """

    lower: Decimal = attrs.field(converter=_lower)
    upper: Decimal | None = attrs.field(converter=_upper)
    rate: Decimal = attrs.field(converter=_tier_rate)

    def __attrs_post_init__(self) -> None:
        if self.upper is not None and self.upper <= self.lower:
            raise ValidationError("upper", "is not above lower", allowed="None or above lower")


_TIERS_RULE = (
    f"1 to {MAX_TIERS} Tier values that start at 0 and follow each other without gaps or "
    "overlaps (each lower is the previous upper), the last with upper=None"
)


def _tiers(value: object) -> tuple[Tier, ...]:
    found = items_of(value, "tiers", _TIERS_RULE)
    if not 1 <= len(found) <= MAX_TIERS:
        raise ValidationError("tiers", "has the wrong number of tiers", allowed=_TIERS_RULE)
    expected: Decimal | None = Decimal(0)
    for position, tier in enumerate(found):
        field = f"tiers[{position}]"
        if not isinstance(tier, Tier):
            raise ValidationError(
                field, f"must be a Tier, not {type(tier).__name__}", allowed=_TIERS_RULE
            )
        if expected is None:
            raise ValidationError(field, "follows the open-ended tier", allowed=_TIERS_RULE)
        if tier.lower != expected:
            what = "leaves a gap after" if tier.lower > expected else "overlaps"
            raise ValidationError(
                f"{field}.lower", f"{what} the tier before it (or 0)", allowed=_TIERS_RULE
            )
        expected = tier.upper
    if expected is not None:
        raise ValidationError(
            f"tiers[{len(found) - 1}].upper", "must be None (open-ended)", allowed=_TIERS_RULE
        )
    return tuple(found)  # type: ignore[arg-type]  # each checked above


def _to_mode(value: object) -> CommissionMode:
    return member(CommissionMode, value, "mode")


def _to_base(value: object) -> CommissionBase:
    return member(CommissionBase, value, "base")


def _to_earned_on(value: object) -> EarnedOn:
    return member(EarnedOn, value, "earned_on")


@attrs.frozen
class CommissionPlan:
    """What a rep earns on the base they attain in a period.

    Args:
        currency: the plan's currency (tier bounds are in it).
        tiers: the tiers, from 0 up (see `Tier`); `flat` for one rate.
        mode: ``marginal`` (default) or ``whole``.
        base: ``amount`` (default) or ``margin``.
        earned_on: ``signing`` (default) or ``payment``.

    Raises:
        ValidationError: an unknown currency, tiers with a gap or overlap,
            not starting at 0 or not ending open, or an unknown option.
    """

    currency: str = attrs.field(converter=check_currency)
    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)
    mode: CommissionMode = attrs.field(
        default=CommissionMode.MARGINAL, converter=_to_mode, kw_only=True
    )
    base: CommissionBase = attrs.field(
        default=CommissionBase.AMOUNT, converter=_to_base, kw_only=True
    )
    earned_on: EarnedOn = attrs.field(
        default=EarnedOn.SIGNING, converter=_to_earned_on, kw_only=True
    )

    @classmethod
    def flat(
        cls,
        currency: str,
        rate: Decimal | int,
        *,
        base: CommissionBase | str = CommissionBase.AMOUNT,
        earned_on: EarnedOn | str = EarnedOn.SIGNING,
    ) -> Self:
        """One rate on the whole base (``Decimal("0.05")`` for 5 %)."""
        return cls(currency, (Tier(0, None, rate),), base=base, earned_on=earned_on)

    def exact_commission(self, base: Fraction | Decimal | int) -> Fraction:
        """The commission on ``base`` (in currency units) before rounding; a
        negative base (more refunded than earned in a period) gives the
        negative of the commission on its absolute value, a claw-back at the
        plan's rates.

        Raises:
            ValidationError: ``base`` is not an exact number (a float, NaN).
        """
        exact = to_fraction(base, "base", allowed="a Fraction, Decimal or int")
        if abs(exact) >= 10**MAX_INTEGER_DIGITS:
            raise ValidationError(
                "base", "is out of range", allowed=f"below 10**{MAX_INTEGER_DIGITS} in size"
            )
        return self._exact(exact)

    def _exact(self, base: Fraction) -> Fraction:
        if base < 0:
            return -self._exact(-base)
        if self.mode is CommissionMode.WHOLE:
            reached = next(t for t in self.tiers if t.upper is None or base < Fraction(t.upper))
            return base * Fraction(reached.rate)
        total = Fraction(0)
        for tier in self.tiers:
            lower = Fraction(tier.lower)
            if base <= lower:
                break
            top = base if tier.upper is None else min(base, Fraction(tier.upper))
            total += (top - lower) * Fraction(tier.rate)
        return total

    def _money(self, amount: object, field: str) -> Money:
        if not isinstance(amount, Money):
            raise ValidationError(
                field, f"must be Money, not {type(amount).__name__}", allowed="Money"
            )
        if amount.currency != self.currency:
            raise CurrencyMismatchError(
                self.currency, amount.currency, operation="pay commission on"
            )
        return amount

    def commission_on(self, amount: Money) -> Money:
        """The commission on a base of ``amount``, rounded once, half-even, to
        the currency's minor unit.

        Raises:
            ValidationError: not Money, or a negative amount.
            CurrencyMismatchError: another currency than the plan's.
        """
        base = self._money(amount, "amount")
        if base.amount < 0:
            raise ValidationError("amount", "must not be negative", allowed="Money of zero or more")
        return Money.in_minor_units(self._exact(Fraction(base.amount)), self.currency)


@attrs.frozen(kw_only=True)
class CommissionPlanDefined(DomainEvent):
    """A commission plan was defined."""

    plan_id: str


@attrs.frozen(kw_only=True)
class CommissionPlanRecord(Owned):
    """A commission plan as kept in a store: named, for a team (``team``),
    defined once (define a new one to change it).

    Raises:
        ValidationError: a bad id, name or plan.
    """

    plan_id: str = identifier()
    name: str = checked_field(check_name, False, repr=False)  # free text
    plan: CommissionPlan = of_type(CommissionPlan)
    changed_at: pendulum.DateTime = instant()

    @classmethod
    def define(
        cls,
        *,
        plan_id: str,
        name: str,
        plan: CommissionPlan,
        at: _dt.datetime,
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """A plan defined at ``at``.

        Raises:
            ValidationError: see the class.
        """
        instant_ = to_utc(at)
        record = cls(
            plan_id=plan_id, name=name, plan=plan, owner=owner, team=team, changed_at=instant_
        )
        return record._recorded(CommissionPlanDefined(occurred_at=instant_, plan_id=plan_id))
