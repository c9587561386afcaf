"""Laws of campaigns: people, not events; rates in [0, 1]; histories only go
forward; status sets keep their rules; closed campaigns change nothing;
attribution conserves the won amount."""

import itertools
from fractions import Fraction

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    Campaign,
    CampaignStatus,
    InvalidTransitionError,
    MemberStatus,
    Money,
    Opportunity,
    StatusSet,
    ValidationError,
)
from crmcore.analytics import campaign_report, first_touch, last_touch
from crmcore.testing import strategies as crm

CUSTOMERS = st.sampled_from(["c1", "c2", "c3", "c4", "c5"])
CAMPAIGNS = crm.campaigns(customer_ids=CUSTOMERS, max_commands=16)


@st.composite
def sourced(draw: st.DrawFn, campaign: Campaign) -> list[Opportunity]:
    """Opportunities of the members and others, some sourced from ``campaign``,
    in its budget's currency."""
    found = []
    for number in range(draw(st.integers(0, 6))):
        opportunity = Opportunity.open(
            opportunity_id=f"o{number}",
            customer_id=draw(CUSTOMERS | st.just("c-other")),
            title="Deal",
            amount=draw(crm.money(currency=campaign.budget.currency, min_value=0, max_value=10**6)),
            at=campaign.changed_at,
            campaign_id=draw(st.sampled_from([campaign.campaign_id, None, "camp-other"])),
        )
        if draw(st.booleans()):
            opportunity = opportunity.win(at=campaign.changed_at.add(days=1))
        found.append(opportunity)
    return found


@given(CAMPAIGNS, st.data())
def test_rates_lie_between_zero_and_one(campaign: Campaign, data: st.DataObject) -> None:
    report = campaign_report(campaign, data.draw(sourced(campaign)))
    for rate in (report.response_rate, report.conversion_rate):
        assert rate is None or 0 <= rate <= 1
    assert report.responders <= report.reached <= report.members == len(campaign.members)
    assert report.budget_variance == report.cost - report.budget
    if report.cost.amount == 0:
        assert report.roi is None
    else:
        assert report.roi is not None
        assert report.roi >= -1


@given(CAMPAIGNS, st.integers(1, 5))
def test_a_response_counts_people_not_events(campaign: Campaign, repeats: int) -> None:
    active = attrs.evolve(campaign, status=CampaignStatus.ACTIVE)  # whatever it was
    at = active.changed_at
    if "c-new" not in {m.customer_id for m in active.members}:
        active = active.add_member("c-new", at=at)
    moves = [
        (m, s.name)
        for m in active.members
        for s in active.statuses.statuses
        if s.responded and active.statuses.can_move(m.status, s.name)
    ]
    if not moves:
        return  # no member can respond (every responded status lies behind them)
    member, responded = moves[0]
    before = campaign_report(active, [])
    for repeat in range(repeats):
        active = active.set_member_status(member.customer_id, responded, at=at.add(minutes=repeat))
    after = campaign_report(active, [])
    already = any(active.statuses.status(c.status).responded for c in member.history)
    assert after.responders == before.responders + (0 if already else 1)
    assert after.members == before.members
    events = [e for e in active.pending_events if type(e).__name__ == "CampaignMemberStatusSet"]
    assert len(events) >= repeats  # every repeat is recorded, none is counted twice


@given(CAMPAIGNS)
def test_status_histories_never_go_backwards_except_to_a_terminal_status(
    campaign: Campaign,
) -> None:
    statuses = campaign.statuses
    order = statuses.names
    for member in campaign.members:
        for before, after in itertools.pairwise(member.history):
            earlier, later = statuses.status(before.status), statuses.status(after.status)
            assert not earlier.terminal or earlier == later
            assert later.terminal or order.index(later.name) >= order.index(earlier.name)
            assert before.at <= after.at


def _rules_hold(statuses: list[MemberStatus]) -> bool:
    names = [s.name for s in statuses]
    defaults = [s for s in statuses if s.default]
    return (
        1 <= len(statuses) <= 20
        and len(set(names)) == len(names)
        and len(defaults) == 1
        and not defaults[0].terminal
        and any(s.responded for s in statuses)
    )


MEMBER_STATUSES = st.builds(
    MemberStatus,
    st.sampled_from(["sent", "opened", "responded", "bounced"]),
    responded=st.booleans(),
    terminal=st.booleans(),
    reached=st.booleans(),
    default=st.booleans(),
)


@given(st.lists(MEMBER_STATUSES, max_size=5))
def test_a_status_set_is_built_exactly_when_its_rules_hold(statuses: list[MemberStatus]) -> None:
    if _rules_hold(statuses):
        assert StatusSet(tuple(statuses)).names == tuple(s.name for s in statuses)
    else:
        with pytest.raises(ValidationError) as caught:
            StatusSet(tuple(statuses))
        assert caught.value.field == "statuses"


@given(CAMPAIGNS, st.data())
def test_a_closed_campaign_takes_no_members_and_stays_unchanged(
    campaign: Campaign, data: st.DataObject
) -> None:
    closed = campaign if campaign.is_closed else campaign.abort(at=campaign.changed_at)
    closed = closed.without_events()
    before = (closed, closed.pending_events)
    with pytest.raises(InvalidTransitionError):
        closed.add_member(data.draw(st.sampled_from(["new-1", "new-2"])), at=closed.changed_at)
    with pytest.raises(InvalidTransitionError):
        closed.add_members(["new-1", "new-2"], at=closed.changed_at)
    assert (closed, closed.pending_events) == before


@given(st.lists(CAMPAIGNS, max_size=3, unique_by=lambda c: c.campaign_id), st.data())
def test_attribution_conserves_the_won_amount(
    campaigns: list[Campaign], data: st.DataObject
) -> None:
    start = pendulum.datetime(2030, 1, 1, tz="UTC")
    opportunities = []
    for number in range(data.draw(st.integers(0, 8))):
        opened = start.add(days=data.draw(st.integers(-20000, 60000)))
        opportunity = Opportunity.open(
            opportunity_id=f"o{number}",
            customer_id=data.draw(CUSTOMERS),
            title="Deal",
            amount=data.draw(crm.money(currency="EUR", min_value=0, max_value=10**6)),
            at=opened,
        )
        opportunities.append(
            opportunity.win(at=opened) if data.draw(st.booleans()) else opportunity
        )
    total = sum((o.amount for o in opportunities if o.is_won), Money.zero("EUR"))
    for attribute in (first_touch, last_touch):
        result = attribute(campaigns, opportunities)
        credited = sum(
            (m for amounts in result.credited.values() for m in amounts.values()),
            Money.zero("EUR"),
        )
        unattributed = result.unattributed.get("EUR", Money.zero("EUR"))
        assert credited + unattributed == total
        assert result.total.get("EUR", Money.zero("EUR")) == total
        assert set(result.credited) <= {c.campaign_id for c in campaigns}


@given(CAMPAIGNS)
def test_the_report_of_a_campaign_with_zero_cost_has_no_roi(campaign: Campaign) -> None:
    free = Campaign(
        **{f: getattr(campaign, f) for f in ("campaign_id", "name", "channel", "starts", "ends",
                                                 "budget", "statuses", "status", "members",
                                                 "changed_at", "owner", "team")}
    )  # fmt: skip
    report = campaign_report(free, [])
    assert report.cost == Money.zero(campaign.budget.currency)
    assert report.roi is None
    assert report.cost_per_response in (None, Money.zero(campaign.budget.currency))
    assert report.response_against_expected is None or isinstance(
        report.response_against_expected, Fraction
    )
