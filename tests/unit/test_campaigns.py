"""Campaigns: the status set, the aggregate's rules, the report and attribution."""

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import (
    DEFAULT_STATUSES,
    Campaign,
    CampaignCostRecorded,
    CampaignMember,
    CampaignMemberAdded,
    CampaignMemberStatusSet,
    CampaignPlanned,
    CampaignStatus,
    CampaignStatusChanged,
    CurrencyMismatchError,
    InvalidTransitionError,
    MemberStatus,
    Money,
    Opportunity,
    OpportunityCampaignChanged,
    Period,
    StatusChange,
    StatusSet,
    ValidationError,
)
from crmcore.adapters.converters import make_converter
from crmcore.analytics import (
    CampaignReport,
    campaign_report,
    compare_campaigns,
    first_touch,
    last_touch,
)

T0 = pendulum.datetime(2030, 3, 1, 9, tz="UTC")
EUR = Money.of("9000", "EUR")


def day(n: int) -> pendulum.DateTime:
    return T0.add(days=n)


def plan(**changes: Any) -> Campaign:
    fields: dict[str, Any] = {
        "campaign_id": "spring",
        "name": "Spring mailing",
        "channel": "email",
        "period": Period.parse("2030-03"),
        "budget": Money.of("10000", "EUR"),
        "at": T0,
        "expected_response": Decimal("0.05"),
        **changes,
    }
    return Campaign.plan(**fields)


def deal(number: int, customer: str, *, won: bool = False, campaign: str | None = "spring",
         amount: str = "3000", currency: str = "EUR", opened: int = 5) -> Opportunity:  # fmt: skip
    opportunity = Opportunity.open(
        opportunity_id=f"o{number}",
        customer_id=customer,
        title="Deal",
        amount=Money.of(amount, currency),
        at=day(opened),
        campaign_id=campaign,
    )
    return opportunity.win(at=day(opened + 10)) if won else opportunity


# The status set ------------------------------------------------------------------------


def test_the_default_statuses() -> None:
    assert DEFAULT_STATUSES.names == (
        "sent", "opened", "clicked", "responded", "converted", "opted out", "bounced",
    )  # fmt: skip
    assert DEFAULT_STATUSES.default.name == "sent"
    responded = [s.name for s in DEFAULT_STATUSES.statuses if s.responded]
    assert responded == ["responded", "converted"]
    assert [s.name for s in DEFAULT_STATUSES.statuses if s.terminal] == ["opted out", "bounced"]
    assert [s.name for s in DEFAULT_STATUSES.statuses if not s.reached] == ["bounced"]


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("sent", "opened", True),
        ("sent", "responded", True),  # skipping ahead is forward
        ("opened", "sent", False),
        ("responded", "responded", True),  # a repeat response
        ("responded", "opted out", True),
        ("clicked", "bounced", True),
        ("opted out", "responded", False),
        ("bounced", "opted out", False),
        ("opted out", "opted out", True),
    ],
)
def test_moves_go_forward_or_to_a_terminal_status(current: str, new: str, allowed: bool) -> None:
    assert DEFAULT_STATUSES.can_move(current, new) is allowed


@pytest.mark.parametrize(
    ("statuses", "fragment"),
    [
        ((), "1 to 20"),
        ("sent", "sequence"),
        (tuple(MemberStatus(f"s{i}", default=i == 0, responded=True) for i in range(21)),
         "1 to 20"),
        ((MemberStatus("a", default=True, responded=True), MemberStatus("a")), "one name"),
        ((MemberStatus("a", responded=True),), "exactly one default"),
        ((MemberStatus("a", default=True, responded=True), MemberStatus("b", default=True)),
         "exactly one default"),
        ((MemberStatus("a", default=True, terminal=True, responded=True),), "not a terminal"),
        ((MemberStatus("a", default=True),), "no responded"),
        (("a",), "MemberStatus"),
    ],
)  # fmt: skip
def test_the_status_set_rules(statuses: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        StatusSet(statuses)
    assert caught.value.field == "statuses"


def test_member_statuses_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        MemberStatus(" x")
    assert caught.value.field == "name"
    with pytest.raises(ValidationError) as caught:
        MemberStatus("x", responded=1)  # type: ignore[arg-type]
    assert caught.value.field == "responded"
    with pytest.raises(ValidationError) as caught:
        DEFAULT_STATUSES.status("replied")
    assert caught.value.field == "name"
    assert "sent, opened" in str(caught.value)


# The aggregate -------------------------------------------------------------------------


def test_plan_builds_a_planned_campaign_with_its_period_and_event() -> None:
    campaign = plan()
    assert campaign.status is CampaignStatus.PLANNED
    assert (campaign.starts, campaign.ends) == (
        pendulum.date(2030, 3, 1),
        pendulum.date(2030, 3, 31),
    )
    assert campaign.channel.value == "e-mail"
    assert campaign.expected_response == Fraction(1, 20)
    assert campaign.actual_cost == Money.zero("EUR")
    assert campaign.pending_events == (CampaignPlanned(occurred_at=T0, campaign_id="spring"),)
    assert "Spring mailing" not in repr(campaign)  # a name is free text
    pair = plan(period=(pendulum.date(2030, 3, 1), pendulum.date(2030, 3, 15)))
    assert pair.ends == pendulum.date(2030, 3, 15)
    assert plan(period=Period.parse("2030-Q4")).ends == pendulum.date(2030, 12, 31)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period": (pendulum.date(2030, 3, 2), pendulum.date(2030, 3, 1))}, "period"),
        ({"period": "2030-03"}, "period"),
        ({"period": (pendulum.date(2030, 3, 1),)}, "period"),
        ({"budget": Money.of("-1", "EUR")}, "budget"),
        ({"budget": 100}, "budget"),
        ({"expected_response": Decimal("1.5")}, "expected_response"),
        ({"expected_response": 0.5}, "expected_response"),
        ({"expected_revenue": Decimal("5")}, "expected_revenue"),
        ({"channel": "pigeon"}, "channel"),
        ({"name": " "}, "name"),
        ({"statuses": (MemberStatus("a", default=True, responded=True),)}, "statuses"),
        ({"campaign_id": ""}, "campaign_id"),
    ],
)
def test_plan_refuses_bad_values_naming_them(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(**changes)
    assert caught.value.field == field


def test_the_life_of_a_campaign() -> None:
    campaign = plan().add_member("c1", at=day(1))  # a planned campaign builds its list
    with pytest.raises(InvalidTransitionError) as caught:
        campaign.set_member_status("c1", "opened", at=day(2))  # but sets no status
    assert (caught.value.current, caught.value.allowed) == ("planned", ("activate",))
    campaign = campaign.activate(at=day(2)).add_members(["c2", "c3"], at=day(2))
    campaign = campaign.set_member_status("c1", "responded", at=day(3))
    campaign = campaign.set_member_status("c1", "responded", at=day(4))  # again: recorded
    campaign = campaign.set_member_status("c2", "bounced", at=day(4))
    campaign = campaign.record_cost(Money.of("4000", "EUR"), at=day(5))
    campaign = campaign.complete(at=day(30)).record_cost(Money.of("5000", "EUR"), at=day(40))
    member = campaign.member("c1")
    assert member is not None
    assert [c.status for c in member.history] == ["sent", "responded", "responded"]
    assert (member.status, member.added_at) == ("responded", day(1))
    assert campaign.member("c9") is None
    assert campaign.actual_cost == EUR
    assert campaign.status is CampaignStatus.COMPLETED
    assert campaign.is_closed
    kinds = [type(e) for e in campaign.pending_events]
    assert kinds == [
        CampaignPlanned, CampaignMemberAdded, CampaignStatusChanged, CampaignMemberAdded,
        CampaignMemberAdded, CampaignMemberStatusSet, CampaignMemberStatusSet,
        CampaignMemberStatusSet, CampaignCostRecorded, CampaignStatusChanged, CampaignCostRecorded,
    ]  # fmt: skip
    last = campaign.pending_events[-1]
    assert isinstance(last, CampaignCostRecorded)
    assert last.actual_cost == EUR
    stored = make_converter().structure(make_converter().unstructure(campaign), Campaign)
    assert stored == campaign.without_events()


def test_transitions_between_campaign_statuses() -> None:
    assert plan().abort(at=day(1)).status is CampaignStatus.ABORTED
    assert plan().activate(at=day(1)).abort(at=day(2)).status is CampaignStatus.ABORTED
    for command in ("complete", "activate"):
        done = plan().activate(at=day(1)).complete(at=day(2))
        with pytest.raises(InvalidTransitionError) as caught:
            getattr(done, command)(at=day(3))
        assert (caught.value.current, caught.value.requested) == ("completed", command)
    with pytest.raises(InvalidTransitionError) as caught:
        plan().complete(at=day(1))
    assert caught.value.allowed == ("activate", "abort")


def test_a_closed_campaign_takes_no_members_and_no_statuses() -> None:
    for closed in (
        plan().add_member("c1", at=day(0)).abort(at=day(1)),
        plan().add_member("c1", at=day(0)).activate(at=day(1)).complete(at=day(2)),
    ):
        changes: list[Callable[[Campaign], Campaign]] = [
            lambda c: c.add_member("c2", at=day(3)),
            lambda c: c.add_members(["c2"], at=day(3)),
            lambda c: c.set_member_status("c1", "opened", at=day(3)),
        ]
        for change in changes:
            with pytest.raises(InvalidTransitionError) as caught:
                change(closed)
            assert caught.value.allowed == ()


def test_member_rules() -> None:
    active = plan().add_member("c1", at=day(0)).activate(at=day(1))
    with pytest.raises(ValidationError, match="already a member") as caught:
        active.add_member("c1", at=day(2))
    assert caught.value.field == "customer_id"
    for ids in (["c1"], ["c2", "c2"], []):
        with pytest.raises(ValidationError) as caught:
            active.add_members(ids, at=day(2))
        assert caught.value.field == "customer_ids"
    with pytest.raises(ValidationError, match="not a member") as caught:
        active.set_member_status("c9", "opened", at=day(2))
    assert caught.value.field == "customer_id"
    with pytest.raises(ValidationError, match="not a status") as caught:
        active.set_member_status("c1", "replied", at=day(2))
    assert caught.value.field == "status"
    opened = active.set_member_status("c1", "opened", at=day(2))
    with pytest.raises(InvalidTransitionError) as back:
        opened.set_member_status("c1", "sent", at=day(3))
    assert (back.value.current, back.value.requested) == ("opened", "sent")
    assert "sent" not in back.value.allowed
    assert "opted out" in back.value.allowed
    out = opened.set_member_status("c1", "opted out", at=day(3))
    with pytest.raises(InvalidTransitionError) as final:
        out.set_member_status("c1", "responded", at=day(4))
    assert final.value.allowed == ("opted out",)


def test_the_member_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmcore.domain.campaigns as module

    data = make_converter().unstructure(plan().add_members(["a", "b", "c"], at=day(0)))
    monkeypatch.setattr(module, "MAX_MEMBERS", 2)
    full = plan().add_members(["a", "b"], at=day(0))
    with pytest.raises(ValidationError, match="too many") as caught:
        full.add_member("c", at=day(0))
    assert caught.value.field == "customer_id"
    with pytest.raises(ValidationError, match="too many") as caught:
        make_converter().structure(data, Campaign)
    assert caught.value.field == "members"


def test_time_order_and_costs() -> None:
    campaign = plan().activate(at=day(2))
    with pytest.raises(ValidationError) as caught:
        campaign.add_member("c1", at=day(1))
    assert caught.value.field == "at"
    with pytest.raises(CurrencyMismatchError):
        campaign.record_cost(Money.of("5", "USD"), at=day(3))
    for bad in (Money.zero("EUR"), Money.of("-1", "EUR"), Decimal("5")):
        with pytest.raises(ValidationError) as caught:
            campaign.record_cost(bad, at=day(3))  # type: ignore[arg-type]
        assert caught.value.field == "amount"


def test_the_constructor_guards_stored_values() -> None:
    good = plan().add_member("c1", at=day(0)).activate(at=day(1))
    data = make_converter().unstructure(good)
    member = CampaignMember(customer_id="c1", history=(StatusChange("sent", day(0)),))
    bad_cases: list[tuple[dict[str, Any], str]] = [
        ({"ends": "2030-02-01"}, "ends"),
        ({"costs": [{"amount": "5", "currency": "USD"}]}, "costs"),
        ({"members": [data["members"][0], data["members"][0]]}, "members"),
        ({"members": [{"customer_id": "c1", "history": [
            {"status": "nope", "at": "2030-03-01T09:00:00+00:00"}]}]}, "members"),
        ({"members": [{"customer_id": "c1", "history": [
            {"status": "opened", "at": "2030-03-01T09:00:00+00:00"},
            {"status": "sent", "at": "2030-03-01T10:00:00+00:00"}]}]}, "members"),
        ({"members": [{"customer_id": "c1", "history": [
            {"status": "sent", "at": "2031-03-01T09:00:00+00:00"}]}]}, "changed_at"),
        ({"members": [{"customer_id": "c1", "history": []}]}, "members"),
        ({"members": [{"customer_id": "c1", "history": [
            {"status": "sent", "at": "2030-03-02T09:00:00+00:00"},
            {"status": "opened", "at": "2030-03-01T09:00:00+00:00"}]}]}, "members"),
    ]  # fmt: skip
    for changes, field in bad_cases:
        with pytest.raises(ValidationError) as caught:
            make_converter().structure({**data, **changes}, Campaign)
        assert caught.value.field.split(".")[0].split("[")[0] == field, changes
    assert member.status == "sent"


# Opportunities sourced from a campaign ----------------------------------------------------


def test_an_opportunity_names_its_campaign_and_can_change_it() -> None:
    opportunity = deal(1, "c1")
    assert opportunity.campaign_id == "spring"
    moved = opportunity.set_campaign("autumn", at=day(6))
    assert moved.pending_events[-1] == OpportunityCampaignChanged(
        occurred_at=day(6), opportunity_id="o1", previous="spring", current="autumn"
    )
    assert moved.set_campaign(None, at=day(7)).campaign_id is None
    won = deal(2, "c1", won=True).set_campaign(None, at=day(30))  # closed ones too
    assert won.campaign_id is None
    with pytest.raises(ValidationError) as caught:
        opportunity.set_campaign("spring", at=day(6))
    assert caught.value.field == "campaign_id"
    with pytest.raises(ValidationError) as caught:
        opportunity.set_campaign("", at=day(6))
    assert caught.value.field == "campaign_id"


# The report ----------------------------------------------------------------------------


def _worked_example() -> tuple[Campaign, list[Opportunity]]:
    """2,000 sent, 150 distinct responders, 30 opportunities, 12 won for 36,000, cost 9,000."""
    ids = [f"c{i:04d}" for i in range(2000)]
    campaign = plan().add_members(ids, at=day(0)).activate(at=day(1))
    for i in range(150):
        campaign = campaign.set_member_status(ids[i], "responded", at=day(2))
    for i in range(5):  # five of them respond again: still 150 people
        campaign = campaign.set_member_status(ids[i], "converted", at=day(3))
    campaign = campaign.record_cost(EUR, at=day(4))
    deals = [deal(i, ids[i], won=i < 12) for i in range(30)]
    others = [deal(90, ids[0], won=True, campaign="autumn"), deal(91, "c-x", campaign=None)]
    return campaign, deals + others


def test_the_worked_example() -> None:
    campaign, opportunities = _worked_example()
    report = campaign_report(campaign, opportunities)
    assert (report.members, report.reached, report.responders) == (2000, 2000, 150)
    assert report.response_rate == Fraction(75, 1000)  # 7.5 %
    assert report.roi == 3  # (36,000 - 9,000) / 9,000 = 300 %
    assert report.won == {"EUR": Money.of("36000", "EUR")}
    assert report.won_deals == 12
    assert report.pipeline == {"EUR": Money.of("54000", "EUR")}  # 18 open deals
    assert (report.converted, report.conversion_rate) == (30, Fraction(30, 2000))
    assert report.cost_per_response == Money.of("60", "EUR")
    assert report.cost_per_won_deal == Money.of("750", "EUR")
    assert report.budget_variance == Money.of("-1000", "EUR")  # under budget
    assert report.response_against_expected == Fraction(3, 2)  # 7.5 % against 5 %


def test_reached_excludes_bounces_that_never_responded() -> None:
    campaign = plan().add_members(["a", "b", "c"], at=day(0)).activate(at=day(1))
    campaign = campaign.set_member_status("a", "bounced", at=day(2))
    campaign = campaign.set_member_status("b", "responded", at=day(2))
    campaign = campaign.set_member_status("b", "bounced", at=day(3))  # responded, then bounced
    report = campaign_report(campaign, [])
    assert (report.reached, report.responders) == (2, 1)
    assert report.response_rate == Fraction(1, 2)


def test_empty_denominators_give_none() -> None:
    report = campaign_report(plan(budget=Money.zero("EUR"), expected_response=None), [])
    assert (report.response_rate, report.conversion_rate, report.roi) == (None, None, None)
    assert (report.cost_per_response, report.cost_per_won_deal) == (None, None)
    assert report.response_against_expected is None
    assert report.won == {}
    nothing = plan().add_member("a", at=day(0)).record_cost(EUR, at=day(1))
    assert campaign_report(nothing, []).roi == -1  # spent and won nothing: -100 %
    zero_expected = plan(expected_response=0).add_member("a", at=day(0))
    assert campaign_report(zero_expected, []).response_against_expected is None


def test_report_refusals() -> None:
    campaign = plan().record_cost(EUR, at=day(1))
    with pytest.raises(CurrencyMismatchError):
        campaign_report(campaign, [deal(1, "a", won=True, currency="USD")])
    assert campaign_report(campaign, [deal(1, "a", currency="USD")]).pipeline == {
        "USD": Money.of("3000", "USD")
    }
    for bad, field in ((("x",), "opportunities"), ("abc", "opportunities")):
        with pytest.raises(ValidationError) as caught:
            campaign_report(campaign, bad)  # type: ignore[arg-type]
        assert caught.value.field == field
    with pytest.raises(ValidationError, match="twice"):
        campaign_report(campaign, [deal(1, "a"), deal(1, "a")])
    with pytest.raises(ValidationError) as caught:
        campaign_report("spring", [])  # type: ignore[arg-type]
    assert caught.value.field == "campaign"


def test_compare_campaigns_orders_by_roi_and_filters_by_period() -> None:
    spring, opportunities = _worked_example()
    summer = plan(campaign_id="summer", period=Period.parse("2030-07")).record_cost(EUR, at=day(1))
    free = plan(campaign_id="free", budget=Money.zero("EUR"))
    reports = [campaign_report(c, opportunities) for c in (free, summer, spring)]
    table = compare_campaigns(reports)
    assert [r.campaign_id for r in table.rows] == ["spring", "summer", "free"]
    assert table.cost == {"EUR": Money.of("18000", "EUR")}
    assert table.won == {"EUR": Money.of("36000", "EUR")}
    assert (table.members, table.responders) == (2000, 150)
    march = compare_campaigns(reports, period=Period.parse("2030-03"))
    assert [r.campaign_id for r in march.rows] == ["spring", "free"]
    text = table.to_text()
    assert text.splitlines()[0].split() == [
        "campaign", "channel", "members", "responders", "response", "conversion", "cost", "won",
        "ROI",
    ]  # fmt: skip
    assert "300.0 %" in text
    assert "7.5 %" in text
    for bad, field in (([spring], "reports"), ([reports[0], reports[0]], "reports")):
        with pytest.raises(ValidationError) as caught:
            compare_campaigns(bad)  # type: ignore[arg-type]
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        compare_campaigns(reports, period="2030")
    assert caught.value.field == "period"
    assert isinstance(reports[0], CampaignReport)


# Attribution ---------------------------------------------------------------------------


def test_first_and_last_touch() -> None:
    early = plan(campaign_id="early").add_member("a", at=day(0))
    late = plan(campaign_id="late").add_member("a", at=day(2)).add_member("b", at=day(3))
    after = plan(campaign_id="after").add_member("a", at=day(20))  # after the deal opened
    tie = plan(campaign_id="tie").add_member("a", at=day(2))
    won = [
        deal(1, "a", won=True, opened=5),
        deal(2, "b", won=True, opened=5, amount="500"),
        deal(3, "z", won=True, opened=5, amount="70"),  # never touched
        deal(4, "a", opened=5),  # open: not credited
    ]
    campaigns = [late, early, after, tie]
    first = first_touch(campaigns, won)
    assert first.rule == "first touch"
    assert first.credited == {
        "early": {"EUR": Money.of("3000", "EUR")},
        "late": {"EUR": Money.of("500", "EUR")},
    }
    assert first.unattributed == {"EUR": Money.of("70", "EUR")}
    assert first.total == {"EUR": Money.of("3570", "EUR")}
    last = last_touch(campaigns, won)
    assert last.credited == {"late": {"EUR": Money.of("3500", "EUR")}}  # tie: lowest id
    with pytest.raises(ValidationError) as caught:
        first_touch([early, early], won)
    assert caught.value.field == "campaigns"
    with pytest.raises(ValidationError) as caught:
        last_touch(["early"], won)  # type: ignore[list-item]
    assert caught.value.field == "campaigns"
