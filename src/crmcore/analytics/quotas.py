"""Quota attainment, roll-ups, and the forecast against a quota.

`attainment(quota, opportunities)` counts the opportunities **won in the
quota's period** (``closed_at`` inside ``[start, end)``) that belong to whom
the quota is for: the owner, for a user's quota; the team, for a team's
quota; for a territory's quota, every won opportunity passed in (the caller
passes the territory's opportunities, e.g. ``find(..., territory=...)``).
The won amount divided by the target is the attainment, an exact
`Fraction` (``None`` for a zero target); a quota counted in deals divides
the number of deals.

Roll-ups: `roll_up` adds quotas up into a quota for a longer period or for
a team (a quarter as the sum of its months, a year as the sum of its
quarters, a team as the sum of its members). Attainment adds up the same
way: the won amount of the whole is the sum of the parts' won amounts, when
the parts partition the whole's deals (the property tests check it).

`quota_forecast` sets the pipeline beside the quota, per forecast rollup
(`crmcore.analytics.forecast.ROLLUPS`): ``closed`` (won in the period),
``commit`` (closed + commit), ``best case`` (closed + commit + best case)
and ``open pipeline`` (every open deal), each unweighted and weighted by
probability, with its coverage of the target and the gap left.
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType

import attrs

from crmcore.analytics.forecast import ROLLUPS
from crmcore.domain.fields import distinct, instances_of
from crmcore.domain.money import Money
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.periods import Period, check_period
from crmcore.domain.pipeline import ForecastCategory
from crmcore.domain.quotas import Quota, QuotaFor
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = [
    "Attainment",
    "CategoryForecast",
    "QuotaForecast",
    "attainment",
    "quota_forecast",
    "roll_up",
]


def _quota(value: object) -> Quota:
    if not isinstance(value, Quota):
        raise ValidationError(
            "quota", f"must be a Quota, not {type(value).__name__}", allowed="a Quota"
        )
    return value


def _opportunities(value: object) -> tuple[Opportunity, ...]:
    found = instances_of(Opportunity, value, "opportunities", "Opportunity values")
    distinct(found, "opportunities", lambda o: o.opportunity_id, "an opportunity id")
    return found


def _belongs(quota: Quota, opportunity: Opportunity) -> bool:
    if quota.quota_for is QuotaFor.USER:
        return opportunity.owner == quota.owner
    if quota.quota_for is QuotaFor.TEAM:
        return opportunity.team == quota.team
    return True


def _checked_currency(quota: Quota, opportunity: Opportunity) -> None:
    currency = quota.currency
    if currency is not None and opportunity.amount.currency != currency:
        raise CurrencyMismatchError(
            currency, opportunity.amount.currency, operation="count towards the quota"
        )


@attrs.frozen
class Attainment:
    """How much of a quota was reached.

    Attributes:
        quota: the quota.
        won: what counts, in the target's unit: the won amount (Money) for
            a Money target, the number of deals won for a count.
        target: the quota's target.
        ratio: ``won / target``, exact (``None`` for a zero target).
        deals: the ids of the opportunities counted, sorted.
    """

    quota: Quota
    won: Money | int
    target: Money | int
    ratio: Fraction | None
    deals: tuple[str, ...]

    @property
    def gap(self) -> Money | int:
        """What is left to reach the target (zero once reached)."""
        if isinstance(self.target, Money):
            assert isinstance(self.won, Money)
            left = self.target - self.won
            return left if not left.is_negative() else Money.zero(self.target.currency)
        assert isinstance(self.won, int)
        return max(self.target - self.won, 0)


def _ratio(won: Money | int, target: Money | int) -> Fraction | None:
    if isinstance(target, Money):
        assert isinstance(won, Money)
        return None if target.is_zero() else Fraction(won.amount) / Fraction(target.amount)
    assert isinstance(won, int)
    return None if target == 0 else Fraction(won, target)


def attainment(quota: Quota, opportunities: Iterable[Opportunity]) -> Attainment:
    """The won deals that count towards ``quota`` and the share of the target they reach.

    Counts the opportunities won inside the quota's period whose owner (a
    user's quota) or team (a team's quota) matches; for a territory's quota,
    every won opportunity given. The order of ``opportunities`` does not
    matter.

    Raises:
        ValidationError: not a Quota, or an element that is not an Opportunity.
        CurrencyMismatchError: a counted deal in another currency than a
            Money target.
    """
    checked = _quota(quota)
    counted: list[Opportunity] = []
    for opportunity in _opportunities(opportunities):
        closed = opportunity.closed_at
        if (
            opportunity.is_won
            and closed is not None
            and checked.period.contains(closed)
            and _belongs(checked, opportunity)
        ):
            _checked_currency(checked, opportunity)
            counted.append(opportunity)
    won: Money | int
    if isinstance(checked.target, Money):
        won = sum((o.amount for o in counted), Money.zero(checked.target.currency))
    else:
        won = len(counted)
    return Attainment(
        quota=checked,
        won=won,
        target=checked.target,
        ratio=_ratio(won, checked.target),
        deals=tuple(sorted(o.opportunity_id for o in counted)),
    )


def roll_up(
    quota_id: str,
    parts: Iterable[Quota],
    *,
    period: Period,
    owner: str | None = None,
    team: str | None = None,
    territory: str | None = None,
) -> Quota:
    """One quota whose target is the sum of ``parts``' targets: a quarter from
    its months, a year from its quarters, a team from its members.

    Every part's period must lie inside ``period`` (the same period, or one
    of its children, or their children), and every target must be of one
    kind (Money in one currency, or counts).

    Raises:
        ValidationError: no parts, a part that is not a Quota, a part's
            period outside ``period``, or targets of different kinds.
        CurrencyMismatchError: Money targets in different currencies.
    """
    whole = check_period(period, "period")
    quotas = instances_of(Quota, parts, "parts", "one or more Quota values")
    if not quotas:
        raise ValidationError("parts", "is empty", allowed="one or more Quota values")
    for position, part in enumerate(quotas):
        if not (whole.start <= part.period.start and part.period.end <= whole.end):
            raise ValidationError(
                f"parts[{position}].period",
                f"lies outside {whole}",
                allowed=f"periods inside {whole}",
            )
        if isinstance(part.target, Money) != isinstance(quotas[0].target, Money):
            raise ValidationError(
                f"parts[{position}].target",
                "is of another kind than the first part's",
                allowed="targets all Money in one currency, or all counts",
            )
    first = quotas[0].target
    total: Money | int
    if isinstance(first, Money):
        total = sum((q.target for q in quotas[1:]), first)
    else:
        total = sum(q.target for q in quotas)  # type: ignore[misc]
    return Quota(quota_id, total, whole, owner=owner, team=team, territory=territory)


@attrs.frozen
class CategoryForecast:
    """One rollup of the forecast against a quota.

    Attributes:
        amount: Σ amount of the deals in the rollup (won ones in the period,
            open ones in its categories).
        weighted: Σ amount × probability (won deals count in full).
        count: how many deals.
        coverage: ``weighted / target`` (``None`` for a zero target).
        gap: target − weighted, zero once covered.
    """

    amount: Money
    weighted: Money
    count: int
    coverage: Fraction | None
    gap: Money


@attrs.frozen
class QuotaForecast:
    """The pipeline against a quota, per rollup: ``closed``, ``commit`` and
    ``best case`` (each includes the ones before it) and ``open pipeline``
    (the open deals).

    Attributes:
        attainment: the quota's attainment (the closed deals).
        rollups: rollup name → `CategoryForecast`.
    """

    attainment: Attainment
    rollups: Mapping[str, CategoryForecast]


def quota_forecast(quota: Quota, opportunities: Iterable[Opportunity]) -> QuotaForecast:
    """Won + open pipeline against a Money quota, per forecast rollup.

    The open opportunities that belong to the quota (same rule as
    `attainment`) count in their stage's forecast category whatever their
    expected close date; won ones count when won in the period; lost ones
    never. Weighted amounts are exact and rounded once only if they need
    more than 18 fractional digits.

    Raises:
        ValidationError: not a Quota, a count-of-deals quota (there is no
            amount to weigh), or an element that is not an Opportunity.
        CurrencyMismatchError: an open or counted deal in another currency.
    """
    checked = _quota(quota)
    currency = checked.currency
    if currency is None:
        raise ValidationError(
            "quota", "counts deals; a forecast needs a Money target", allowed="a Money quota"
        )
    deals = _opportunities(opportunities)
    reached = attainment(checked, deals)
    by_category: dict[ForecastCategory, list[tuple[Fraction, Fraction]]] = {
        category: [] for category in ForecastCategory
    }
    won = set(reached.deals)
    for opportunity in deals:
        if opportunity.opportunity_id in won and opportunity.is_won:
            amount = Fraction(opportunity.amount.amount)
            by_category[ForecastCategory.CLOSED].append((amount, amount))
        elif opportunity.is_open and _belongs(checked, opportunity):
            _checked_currency(checked, opportunity)
            amount = Fraction(opportunity.amount.amount)
            weight = Fraction(opportunity.probability)
            by_category[opportunity.stage.forecast_category].append((amount, amount * weight))
    target = Fraction(checked.target.amount) if isinstance(checked.target, Money) else Fraction(0)
    rollups: dict[str, CategoryForecast] = {}
    for name, members in ROLLUPS.items():
        rows = [row for category in members for row in by_category[category]]
        plain = sum((a for a, _ in rows), Fraction(0))
        weighted = sum((w for _, w in rows), Fraction(0))
        rollups[name] = CategoryForecast(
            amount=Money.from_exact(plain, currency),
            weighted=Money.from_exact(weighted, currency),
            count=len(rows),
            coverage=None if target == 0 else weighted / target,
            gap=Money.from_exact(max(target - weighted, Fraction(0)), currency),
        )
    return QuotaForecast(attainment=reached, rollups=MappingProxyType(rollups))
