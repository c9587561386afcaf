"""What a campaign returned: responses, conversion, cost and ROI, exactly.

Definitions (each a rule a marketer would otherwise have to guess):

- **members**: the campaign's list; **reached**: every member except those
  whose current status is not reached (bounced) and who never responded;
- **responders**: members who ever reached a responded status, each counted
  once however often they responded, also if they opted out later;
- **response rate** = responders ÷ reached; **conversion rate** = members
  with an opportunity sourced from the campaign ÷ members;
- **sourced** opportunities are those whose ``campaign_id`` is the campaign's,
  whatever their dates and whether or not their customer is a member;
  **pipeline** is their open amount, **won** their won amount, per currency;
- **cost per response** = actual cost ÷ responders; **cost per won deal** =
  actual cost ÷ won opportunities; **ROI** = (won − actual cost) ÷ actual
  cost, in the cost's currency (a won amount in another currency is a
  `CurrencyMismatchError`); **budget variance** = actual cost − budget
  (positive: overspent); **response against expected** = response rate ÷
  expected response rate (1 is as hoped).

Every rate is a `Fraction`, or ``None`` where its denominator is zero (no
reached member, no member, no cost, no expected rate).
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType

import attrs
import pendulum

from crmcore.analytics._results import text_table
from crmcore.domain.campaigns import Campaign, CampaignStatus, campaign_period
from crmcore.domain.channels import Channel
from crmcore.domain.fields import tuple_of
from crmcore.domain.money import Money
from crmcore.domain.numbers import percent
from crmcore.domain.opportunities import Opportunity
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = [
    "Attribution",
    "CampaignComparison",
    "CampaignReport",
    "campaign_report",
    "compare_campaigns",
    "first_touch",
    "last_touch",
]


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _per_currency(amounts: Iterable[Money]) -> Mapping[str, Money]:
    totals: dict[str, Money] = {}
    for amount in amounts:
        totals[amount.currency] = totals.get(amount.currency, Money.zero(amount.currency)) + amount
    return MappingProxyType(dict(sorted(totals.items())))


@attrs.frozen
class CampaignReport:
    """What one campaign returned (see the module's definitions).

    Attributes:
        campaign_id, channel, status, starts, ends: from the campaign.
        members: how many members the list has.
        reached: members the campaign reached.
        responders: distinct members who responded.
        response_rate: responders ÷ reached, or None.
        expected_response: the campaign's expected response rate, or None.
        response_against_expected: response rate ÷ expected, or None.
        converted: members with an opportunity sourced from the campaign.
        conversion_rate: converted ÷ members, or None.
        budget: the budget.
        cost: the actual cost.
        budget_variance: cost − budget (positive: overspent).
        pipeline: open sourced opportunities' amounts, per currency.
        won: won sourced opportunities' amounts, per currency.
        won_deals: how many sourced opportunities were won.
        cost_per_response: cost ÷ responders, or None.
        cost_per_won_deal: cost ÷ won deals, or None.
        roi: (won − cost) ÷ cost in the cost's currency, or None for zero cost.
    """

    campaign_id: str
    channel: Channel
    status: CampaignStatus
    starts: pendulum.Date
    ends: pendulum.Date
    members: int
    reached: int
    responders: int
    response_rate: Fraction | None
    expected_response: Fraction | None
    response_against_expected: Fraction | None
    converted: int
    conversion_rate: Fraction | None
    budget: Money
    cost: Money
    budget_variance: Money
    pipeline: Mapping[str, Money]
    won: Mapping[str, Money]
    won_deals: int
    cost_per_response: Money | None
    cost_per_won_deal: Money | None
    roi: Fraction | None


def _opportunities(values: object) -> tuple[Opportunity, ...]:
    found = tuple_of(Opportunity, values, "opportunities")
    if len({o.opportunity_id for o in found}) != len(found):
        raise ValidationError(
            "opportunities", "holds one opportunity twice", allowed="each opportunity once"
        )
    return found


def _campaign(value: object) -> Campaign:
    if not isinstance(value, Campaign):
        raise ValidationError(
            "campaign", f"must be a Campaign, not {type(value).__name__}", allowed="a Campaign"
        )
    return value


def campaign_report(campaign: Campaign, opportunities: Iterable[Opportunity]) -> CampaignReport:
    """What ``campaign`` returned, from the opportunities it sourced.

    Args:
        campaign: the campaign.
        opportunities: opportunities; those whose ``campaign_id`` is another
            campaign's (or None) are ignored, so a customer's or a team's
            whole list may be passed.

    Raises:
        ValidationError: not a Campaign, not Opportunity values, one
            opportunity twice.
        CurrencyMismatchError: won in a currency other than the cost's
            (ROI needs one currency).
    """
    chosen = _campaign(campaign)
    sourced = [o for o in _opportunities(opportunities) if o.campaign_id == chosen.campaign_id]
    statuses = chosen.statuses
    responders = reached = 0
    for member in chosen.members:
        responded = any(statuses.status(c.status).responded for c in member.history)
        responders += responded
        reached += responded or statuses.status(member.status).reached
    member_ids = {m.customer_id for m in chosen.members}
    converted = len({o.customer_id for o in sourced} & member_ids)
    won_list = [o for o in sourced if o.is_won]
    won = _per_currency(o.amount for o in won_list)
    cost = chosen.actual_cost
    other = next((c for c in won if c != cost.currency), None)
    if other is not None:
        raise CurrencyMismatchError(cost.currency, other, operation="roi")
    won_amount = won.get(cost.currency, Money.zero(cost.currency))
    response_rate = _ratio(responders, reached)
    expected = chosen.expected_response
    return CampaignReport(
        campaign_id=chosen.campaign_id,
        channel=chosen.channel,
        status=chosen.status,
        starts=chosen.starts,
        ends=chosen.ends,
        members=len(chosen.members),
        reached=reached,
        responders=responders,
        response_rate=response_rate,
        expected_response=expected,
        response_against_expected=(
            None if response_rate is None or not expected else response_rate / expected
        ),
        converted=converted,
        conversion_rate=_ratio(converted, len(chosen.members)),
        budget=chosen.budget,
        cost=cost,
        budget_variance=cost - chosen.budget,
        pipeline=_per_currency(o.amount for o in sourced if o.is_open),
        won=won,
        won_deals=len(won_list),
        cost_per_response=cost / responders if responders else None,
        cost_per_won_deal=cost / len(won_list) if won_list else None,
        roi=(
            (Fraction(won_amount.amount) - Fraction(cost.amount)) / Fraction(cost.amount)
            if cost.amount
            else None
        ),
    )


@attrs.frozen
class CampaignComparison:
    """Campaigns side by side, best return first.

    Attributes:
        rows: the reports, by ROI (highest first; no ROI last), then
            response rate (highest first; none last), then id.
        cost: the total actual cost, per currency.
        won: the total won, per currency.
        members: the total number of members.
        responders: the total number of responders.
    """

    rows: tuple[CampaignReport, ...]
    cost: Mapping[str, Money]
    won: Mapping[str, Money]
    members: int
    responders: int

    def to_text(self) -> str:
        """A plain-text table, one campaign per line."""

        rows: list[tuple[str, ...]] = [
            (
                r.campaign_id,
                r.channel.value,
                str(r.members),
                str(r.responders),
                percent(r.response_rate),
                percent(r.conversion_rate),
                str(r.cost),
                ", ".join(str(m) for m in r.won.values()) or "-",
                percent(r.roi),
            )
            for r in self.rows
        ]
        header = ("campaign", "channel", "members", "responders", "response", "conversion",
                  "cost", "won", "ROI")  # fmt: skip
        return text_table(header, rows)


def _sort_key(report: CampaignReport) -> tuple[bool, Fraction, bool, Fraction, str]:
    roi, rate = report.roi, report.response_rate
    return (
        roi is None,
        -Fraction(roi or 0),
        rate is None,
        -Fraction(rate or 0),
        report.campaign_id,
    )


def compare_campaigns(
    reports: Iterable[CampaignReport],
    *,
    period: object = None,
) -> CampaignComparison:
    """Campaign reports side by side (see `CampaignComparison` for the order).

    Args:
        reports: one `CampaignReport` per campaign (each campaign once).
        period: keep only campaigns that run on at least one day of it: a
            `Period`, or a (first day, last day) pair; None keeps all.

    Raises:
        ValidationError: not CampaignReport values, one campaign twice, or
            a bad period.
    """
    chosen = list(tuple_of(CampaignReport, reports, "reports"))
    if len({r.campaign_id for r in chosen}) != len(chosen):
        raise ValidationError("reports", "holds one campaign twice", allowed="each campaign once")
    if period is not None:
        first, last = campaign_period(period)
        chosen = [r for r in chosen if r.starts <= last and r.ends >= first]
    rows = tuple(sorted(chosen, key=_sort_key))
    return CampaignComparison(
        rows=rows,
        cost=_per_currency(r.cost for r in rows),
        won=_per_currency(m for r in rows for m in r.won.values()),
        members=sum(r.members for r in rows),
        responders=sum(r.responders for r in rows),
    )


# Attribution ---------------------------------------------------------------------------


@attrs.frozen
class Attribution:
    """Won amounts credited to campaigns, per currency.

    Attributes:
        rule: ``"first touch"`` or ``"last touch"``.
        credited: campaign id → won amount per currency.
        unattributed: won amounts of opportunities no campaign touched first.
        total: every won amount passed, per currency (credited + unattributed).
    """

    rule: str
    credited: Mapping[str, Mapping[str, Money]]
    unattributed: Mapping[str, Money]
    total: Mapping[str, Money]


def _attribute(campaigns: object, opportunities: object, *, last: bool) -> Attribution:
    chosen = tuple_of(Campaign, campaigns, "campaigns")
    if len({c.campaign_id for c in chosen}) != len(chosen):
        raise ValidationError("campaigns", "holds one campaign twice", allowed="each campaign once")
    touches: dict[str, list[tuple[pendulum.DateTime, str]]] = {}
    for campaign in chosen:
        for member in campaign.members:
            for change in member.history:
                touches.setdefault(member.customer_id, []).append((change.at, campaign.campaign_id))
    credited: dict[str, list[Money]] = {}
    unattributed: list[Money] = []
    won = [o for o in _opportunities(opportunities) if o.is_won]
    for opportunity in won:
        before = [
            t for t in touches.get(opportunity.customer_id, ()) if t[0] <= opportunity.opened_at
        ]
        if not before:
            unattributed.append(opportunity.amount)
            continue
        # the earliest touch, or the latest; ties between campaigns: the lowest id
        when = max(t[0] for t in before) if last else min(t[0] for t in before)
        campaign_id = min(cid for at, cid in before if at == when)
        credited.setdefault(campaign_id, []).append(opportunity.amount)
    return Attribution(
        rule="last touch" if last else "first touch",
        credited=MappingProxyType(
            {cid: _per_currency(amounts) for cid, amounts in sorted(credited.items())}
        ),
        unattributed=_per_currency(unattributed),
        total=_per_currency(o.amount for o in won),
    )


def first_touch(campaigns: Iterable[Campaign], opportunities: Iterable[Opportunity]) -> Attribution:
    """Credit each won opportunity to the campaign that touched its customer first.

    A touch is a member's status change (being added, opening, responding,
    ...) at or before the opportunity was opened; the campaign with the
    earliest touch gets the whole won amount (ties: the lowest campaign id).
    Won opportunities with no touch before they opened are unattributed.
    Credited and unattributed amounts add up to the total won.

    Raises:
        ValidationError: not Campaign or Opportunity values, or one twice.
    """
    return _attribute(campaigns, opportunities, last=False)


def last_touch(campaigns: Iterable[Campaign], opportunities: Iterable[Opportunity]) -> Attribution:
    """Credit each won opportunity to the campaign that touched its customer last
    before the opportunity was opened (ties: the lowest campaign id); see `first_touch`.

    Raises:
        ValidationError: not Campaign or Opportunity values, or one twice.
    """
    return _attribute(campaigns, opportunities, last=True)
