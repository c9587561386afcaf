"""Campaigns through the application layer: who sees and changes which campaign."""

from typing import Any

import pendulum
import pytest

from crmcore import (
    Actor,
    Money,
    NotFoundError,
    PermissionDeniedError,
    RecordKind,
    Role,
    commands,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.analytics import campaign_report
from crmcore.testing import SequentialIds
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 3, 1, 9, tz="UTC")
EUR = Money.of("500", "EUR")
LEADER_A = Actor("lead-a", Role.PROMOTION_LEADER, {"north"})
LEADER_B = Actor("lead-b", Role.PROMOTION_LEADER, {"north"})
MARKETING = Actor("mm-1", Role.MARKETING_MANAGER, {"north"})
REP = Actor("rep-1", Role.SALES_REP, {"north"})


def _plan(at: pendulum.DateTime = T0) -> commands.PlanCampaign:
    return commands.PlanCampaign(
        name="Spring", channel="e-mail", period=(at.date(), at.date().add(days=30)), budget=EUR,
        at=at,
    )  # fmt: skip


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)


def _world(uow: InMemoryUnitOfWork) -> dict[str, str]:
    customer = services.handle(
        uow, commands.RegisterProspect(name="Ada", at=T0, owner="rep-1", team="north")
    )
    other = services.handle(
        uow, commands.RegisterProspect(name="Bo", at=T0, owner="rep-1", team="north")
    )
    mine = services.handle(uow, _plan(), actor=LEADER_A)
    services.handle(
        uow,
        commands.AddCampaignMembers(campaign_id=mine, customer_ids=(customer,), at=T0),
        actor=LEADER_A,
    )
    opportunity = services.handle(
        uow,
        commands.OpenOpportunity(customer_id=customer, title="Deal", amount=EUR, at=T0),
        actor=REP,
    )
    return {"campaign": mine, "customer": customer, "other": other, "opp": opportunity}


def test_a_promotion_leader_runs_their_own_campaign(uow: InMemoryUnitOfWork) -> None:
    w = _world(uow)
    at = T0.add(days=1)
    session = services.Session(uow, actor=LEADER_A)
    session.handle(commands.ActivateCampaign(campaign_id=w["campaign"], at=at))
    session.handle(
        commands.SetCampaignMemberStatus(
            campaign_id=w["campaign"], customer_id=w["customer"], status="responded", at=at
        )
    )
    session.handle(commands.RecordCampaignCost(campaign_id=w["campaign"], amount=EUR, at=at))
    session.handle(commands.CompleteCampaign(campaign_id=w["campaign"], at=at))
    services.handle(
        uow,
        commands.SetOpportunityCampaign(opportunity_id=w["opp"], campaign_id=w["campaign"], at=at),
        actor=REP,  # a rep may name the campaign a deal came from
    )
    services.handle(uow, commands.WinOpportunity(opportunity_id=w["opp"], at=at), actor=REP)
    other = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=w["customer"], title="Later", amount=EUR, at=at, campaign_id=w["campaign"]
        ),
        actor=REP,
    )
    services.handle(  # a deal that came from no campaign after all
        uow,
        commands.SetOpportunityCampaign(opportunity_id=other, campaign_id=None, at=at),
        actor=REP,
    )
    with uow:
        campaign = uow.campaigns.get(w["campaign"])
        sourced = uow.opportunities.select({"campaign_id": w["campaign"]})
    report = campaign_report(campaign, sourced)
    assert (report.responders, report.won_deals) == (1, 1)
    assert report.roi == 0  # won 500, cost 500
    assert [p.campaign_id for p in session.find(RecordKind.CAMPAIGN).items] == [w["campaign"]]


def test_another_leader_can_neither_see_nor_change_it(uow: InMemoryUnitOfWork) -> None:
    w = _world(uow)
    at = T0.add(days=1)
    p = w["campaign"]
    attempts: list[commands.Command[Any]] = [
        commands.ActivateCampaign(campaign_id=p, at=at),
        commands.AddCampaignMembers(campaign_id=p, customer_ids=(w["other"],), at=at),
        commands.SetCampaignMemberStatus(
            campaign_id=p, customer_id=w["customer"], status="opened", at=at
        ),
        commands.RecordCampaignCost(campaign_id=p, amount=EUR, at=at),
        commands.CompleteCampaign(campaign_id=p, at=at),
        commands.AbortCampaign(campaign_id=p, at=at),
        commands.Reassign(kind="campaign", record_id=p, owner="lead-b", team="north", at=at),
    ]
    before = uow.store.snapshot()
    for command in attempts:
        with pytest.raises(NotFoundError) as caught:
            services.handle(uow, command, actor=LEADER_B)
        assert caught.value.record_id == p  # as for an id that does not exist
    assert uow.store.snapshot() == before
    assert services.find(uow, RecordKind.CAMPAIGN, actor=LEADER_B).items == ()
    assert services.find(uow, "campaign", actor=MARKETING).items != ()


def test_the_marketing_manager_sees_and_runs_every_campaign(uow: InMemoryUnitOfWork) -> None:
    w = _world(uow)
    elsewhere = services.handle(
        uow, _plan(), actor=Actor("lead-c", Role.PROMOTION_LEADER, {"south"})
    )
    found = services.find(uow, RecordKind.CAMPAIGN, actor=MARKETING).items
    assert {c.campaign_id for c in found} == {w["campaign"], elsewhere}
    services.handle(
        uow, commands.AbortCampaign(campaign_id=elsewhere, at=T0.add(days=1)), actor=MARKETING
    )


def test_sales_roles_read_their_teams_campaigns_but_change_none(uow: InMemoryUnitOfWork) -> None:
    w = _world(uow)
    assert [c.campaign_id for c in services.find(uow, "campaign", actor=REP).items] == [
        w["campaign"]
    ]
    with pytest.raises(PermissionDeniedError):
        services.handle(
            uow, commands.ActivateCampaign(campaign_id=w["campaign"], at=T0.add(days=1)), actor=REP
        )
    with pytest.raises(PermissionDeniedError):
        services.handle(uow, _plan(), actor=REP)
    sourced = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=w["customer"], title="Upsell", amount=EUR, at=T0, campaign_id=w["campaign"]
        ),
        actor=REP,
    )
    assert (
        services.find(uow, "opportunity", actor=REP, campaign_id=w["campaign"])
        .items[0]
        .opportunity_id
        == sourced
    )
    with pytest.raises(NotFoundError):
        services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=w["customer"], title="x", amount=EUR, at=T0, campaign_id="camp-none"
            ),
            actor=REP,
        )
