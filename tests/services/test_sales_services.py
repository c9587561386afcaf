"""Territories, quotas and commission plans through the application layer."""

from decimal import Decimal

import pendulum
import pytest

from crmcore import (
    Actor,
    AssignmentRule,
    CommissionPlan,
    Condition,
    Money,
    NotFoundError,
    Period,
    PermissionDeniedError,
    RecordKind,
    Role,
    Territory,
    ValidationError,
    commands,
    managed_territories,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.domain.territories import MAX_DEPTH
from crmcore.policy import DEFAULT_POLICY, Action, Scope
from crmcore.testing import SequentialIds
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 6, 9, tz="UTC")
Q1 = Period.quarter(2030, 1)
EUR = Money.of("100000", "EUR")
REP = Actor("rep-1", Role.SALES_REP, {"north"})
REP_2 = Actor("rep-2", Role.SALES_REP, {"north"})
BOSS = Actor("boss-1", Role.SALES_MANAGER, {"north"})
SOUTH_BOSS = Actor("boss-2", Role.SALES_MANAGER, {"south"})
ADMIN = Actor("admin", Role.ADMIN)


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)


def _quota(
    owner: str | None = "rep-1", team: str | None = "north", **kw: object
) -> commands.SetQuota:
    kw.setdefault("period", Q1)
    return commands.SetQuota(target=EUR, owner=owner, team=team, at=T0, **kw)  # type: ignore[arg-type]


def _snapshot(uow: InMemoryUnitOfWork) -> dict[RecordKind, tuple[object, ...]]:
    with uow:
        return {kind: uow.select(kind) for kind in RecordKind}


# Quotas: who reads and writes them --------------------------------------------------------


def test_a_manager_sets_and_reads_the_quotas_of_the_team_never_their_own(
    uow: InMemoryUnitOfWork,
) -> None:
    reps = services.handle(uow, _quota(), actor=BOSS)
    with uow:
        assert uow.quotas.get(reps).target == EUR
    services.handle(
        uow, commands.ReplaceQuota(quota_id=reps, target=Money.of(90_000, "EUR"), at=T0), actor=BOSS
    )
    before = _snapshot(uow)
    with pytest.raises(PermissionDeniedError):  # their own: set by an admin
        services.handle(uow, _quota(owner="boss-1"), actor=BOSS)
    with pytest.raises(PermissionDeniedError):  # another team's
        services.handle(uow, _quota(team="south"), actor=BOSS)
    with pytest.raises(PermissionDeniedError):  # the team's own quota: nobody's
        services.handle(uow, _quota(owner=None), actor=BOSS)
    assert _snapshot(uow) == before
    own = services.handle(uow, _quota(owner="boss-1"), actor=ADMIN)
    with pytest.raises(NotFoundError):  # not even readable
        services.handle(
            uow, commands.ReplaceQuota(quota_id=own, target=Money.of(1, "EUR"), at=T0), actor=BOSS
        )
    assert [q.quota_id for q in services.find(uow, RecordKind.QUOTA, actor=BOSS).items] == [reps]
    assert [q.quota_id for q in services.find(uow, RecordKind.QUOTA, actor=ADMIN).items] == [
        reps,
        own,
    ]
    assert services.find(uow, RecordKind.QUOTA, actor=SOUTH_BOSS).items == ()


def test_a_rep_reads_their_own_quotas_and_sets_none(uow: InMemoryUnitOfWork) -> None:
    mine = services.handle(uow, _quota(), actor=BOSS)
    theirs = services.handle(uow, _quota(owner="rep-2"), actor=BOSS)
    assert [q.quota_id for q in services.find(uow, RecordKind.QUOTA, actor=REP).items] == [mine]
    with pytest.raises(PermissionDeniedError):
        services.handle(uow, _quota(owner="rep-1", period=Period.year(2030)), actor=REP)
    with pytest.raises(PermissionDeniedError):
        services.handle(
            uow, commands.ReplaceQuota(quota_id=mine, target=Money.of(1, "EUR"), at=T0), actor=REP
        )
    with pytest.raises(NotFoundError):
        services.handle(
            uow, commands.ReplaceQuota(quota_id=theirs, target=Money.of(1, "EUR"), at=T0), actor=REP
        )
    assert (
        services.find(uow, RecordKind.QUOTA, actor=REP, period="2030-q1").items[0].quota_id == mine
    )


def test_one_quota_per_holder_and_period(uow: InMemoryUnitOfWork) -> None:
    services.handle(uow, _quota(), actor=ADMIN)
    with pytest.raises(ValidationError, match="already has a quota for this user") as caught:
        services.handle(uow, _quota(team=None), actor=ADMIN)
    assert caught.value.field == "period"
    services.handle(uow, _quota(period=Period.month(2030, 1)), actor=ADMIN)  # another period
    team = services.handle(uow, _quota(owner=None), actor=ADMIN)
    with pytest.raises(ValidationError, match="for this team"):
        services.handle(uow, _quota(owner=None), actor=ADMIN)
    territory = services.handle(uow, commands.CreateTerritory(name="North", team="north", at=T0))
    services.handle(uow, _quota(owner=None, team=None, territory=territory), actor=ADMIN)
    with pytest.raises(ValidationError, match="for this territory"):
        services.handle(uow, _quota(owner=None, team=None, territory=territory), actor=ADMIN)
    with pytest.raises(NotFoundError):
        services.handle(uow, _quota(owner=None, team=None, territory="terr-9"), actor=ADMIN)
    with pytest.raises(ValidationError, match="needs someone"):
        services.handle(uow, _quota(owner=None, team=None), actor=ADMIN)
    assert team


# Territories ---------------------------------------------------------------------------------


def test_territories_form_a_tree_that_never_gets_a_cycle(uow: InMemoryUnitOfWork) -> None:
    eu = services.handle(uow, commands.CreateTerritory(name="Europe", at=T0), actor=BOSS)
    fr = services.handle(
        uow, commands.CreateTerritory(name="France", parent_id=eu, at=T0), actor=BOSS
    )
    lyon = services.handle(
        uow, commands.CreateTerritory(name="Lyon", parent_id=fr, at=T0), actor=BOSS
    )
    with uow:
        assert uow.territories.get(eu).team == "north"  # the manager's team
    before = _snapshot(uow)
    for parent in (eu, fr, lyon):
        if parent != eu:
            with pytest.raises(ValidationError, match="descendants") as caught:
                services.handle(
                    uow, commands.MoveTerritory(territory_id=eu, parent_id=parent, at=T0)
                )
            assert caught.value.field == "parent_id"
    with pytest.raises(ValidationError, match="descendants"):
        services.handle(uow, commands.MoveTerritory(territory_id=fr, parent_id=fr, at=T0))
    with pytest.raises(NotFoundError):
        services.handle(uow, commands.MoveTerritory(territory_id=fr, parent_id="terr-99", at=T0))
    with pytest.raises(NotFoundError):
        services.handle(uow, commands.CreateTerritory(name="X", parent_id="terr-99", at=T0))
    assert _snapshot(uow) == before
    services.handle(uow, commands.MoveTerritory(territory_id=lyon, parent_id=eu, at=T0), actor=BOSS)
    services.handle(uow, commands.MoveTerritory(territory_id=fr, parent_id=None, at=T0), actor=BOSS)
    services.handle(uow, commands.RenameTerritory(territory_id=fr, name="Gaul", at=T0), actor=BOSS)
    rules = (AssignmentRule((Condition("region", {"fr"}),)),)
    services.handle(
        uow, commands.SetTerritoryRules(territory_id=fr, rules=rules, at=T0), actor=BOSS
    )
    with uow:
        assert uow.territories.get(lyon).parent_id == eu
        assert (uow.territories.get(fr).name, uow.territories.get(fr).rules) == ("Gaul", rules)
    with pytest.raises(NotFoundError):  # another team's territory
        services.handle(
            uow, commands.RenameTerritory(territory_id=fr, name="X", at=T0), actor=SOUTH_BOSS
        )
    with pytest.raises(PermissionDeniedError):  # reps read territories, change none
        services.handle(uow, commands.RenameTerritory(territory_id=fr, name="X", at=T0), actor=REP)
    assert [
        t.territory_id
        for t in services.find(uow, RecordKind.TERRITORY, actor=REP, parent_id=eu).items
    ] == [lyon]


def test_the_tree_has_a_depth_limit(uow: InMemoryUnitOfWork) -> None:
    chain = [services.handle(uow, commands.CreateTerritory(name="T", at=T0))]
    for _ in range(MAX_DEPTH):
        chain.append(
            services.handle(uow, commands.CreateTerritory(name="T", parent_id=chain[-1], at=T0))
        )
    with pytest.raises(ValidationError, match="too deep"):
        services.handle(uow, commands.CreateTerritory(name="T", parent_id=chain[-1], at=T0))
    other = services.handle(uow, commands.CreateTerritory(name="O", at=T0))
    child = services.handle(uow, commands.CreateTerritory(name="C", parent_id=other, at=T0))
    assert child
    with pytest.raises(ValidationError, match="too deep"):  # its child would be too deep
        services.handle(uow, commands.MoveTerritory(territory_id=other, parent_id=chain[-1], at=T0))
    with pytest.raises(ValidationError, match="too deep"):
        services.handle(uow, commands.MoveTerritory(territory_id=other, parent_id=chain[-2], at=T0))
    services.handle(uow, commands.MoveTerritory(territory_id=other, parent_id=chain[-3], at=T0))


def test_a_customers_records_follow_its_territory(uow: InMemoryUnitOfWork) -> None:
    north = services.handle(uow, commands.CreateTerritory(name="North", team="north", at=T0))
    south = services.handle(uow, commands.CreateTerritory(name="South", team="south", at=T0))
    ada = services.handle(uow, commands.RegisterProspect(name="Ada", at=T0), actor=REP)
    before = services.handle(
        uow, commands.OpenOpportunity(customer_id=ada, title="t", amount=EUR, at=T0), actor=REP
    )
    services.handle(
        uow, commands.AssignTerritory(customer_id=ada, territory_id=north, at=T0), actor=BOSS
    )
    after = services.handle(
        uow, commands.OpenOpportunity(customer_id=ada, title="t", amount=EUR, at=T0), actor=REP
    )
    contract = services.handle(uow, commands.WinOpportunity(opportunity_id=after, at=T0), actor=REP)
    complaint = services.handle(
        uow,
        commands.FileComplaint(
            customer_id=ada,
            channel="web",
            level="low",
            complainant_type="victim",
            subject="s",
            at=T0,
        ),
    )
    service = services.handle(
        uow,
        commands.StartServiceContract(
            customer_id=ada,
            starts=T0.date(),
            term_months=12,
            auto_renew=False,
            notice_days=0,
            price=EUR,
            at=T0,
        ),
    )
    with uow:
        records = [
            uow.customers.get(ada),
            uow.opportunities.get(before),
            uow.opportunities.get(after),
            uow.contracts.get(contract),
            uow.complaints.get(complaint),
            uow.service_contracts.get(service),
        ]
    assert {r.territory for r in records} == {north}
    with pytest.raises(PermissionDeniedError):  # a rep does not move customers between territories
        services.handle(
            uow, commands.AssignTerritory(customer_id=ada, territory_id=south, at=T0), actor=REP
        )
    with pytest.raises(NotFoundError):
        services.handle(
            uow, commands.AssignTerritory(customer_id=ada, territory_id="terr-9", at=T0)
        )
    services.handle(
        uow, commands.AssignTerritory(customer_id=ada, territory_id=south, at=T0), actor=ADMIN
    )
    with uow:
        assert uow.opportunities.get(before).territory == south
        assert uow.complaints.get(complaint).territory == south
    services.handle(
        uow, commands.AssignTerritory(customer_id=ada, territory_id=None, at=T0), actor=ADMIN
    )
    with uow:
        assert uow.contracts.get(contract).territory is None


def test_the_territory_scope_shows_a_manager_the_records_of_their_territories(
    uow: InMemoryUnitOfWork,
) -> None:
    eu = services.handle(uow, commands.CreateTerritory(name="Europe", team="emea", at=T0))
    fr = services.handle(
        uow, commands.CreateTerritory(name="France", parent_id=eu, team="paris", at=T0)
    )
    ada = services.handle(
        uow, commands.RegisterProspect(name="Ada", at=T0, owner="rep-1", team="north")
    )
    bo = services.handle(
        uow, commands.RegisterProspect(name="Bo", at=T0, owner="rep-1", team="north")
    )
    services.handle(uow, commands.AssignTerritory(customer_id=ada, territory_id=fr, at=T0))
    with uow:
        tree = uow.select(RecordKind.TERRITORY)
    regional = Actor(
        "boss-9", Role.SALES_MANAGER, {"emea"}, territories=managed_territories({"emea"}, tree)
    )
    policy = DEFAULT_POLICY.replace(
        Role.SALES_MANAGER, RecordKind.CUSTOMER, Action.READ, Scope.TERRITORY
    )
    page = services.find(uow, RecordKind.CUSTOMER, actor=regional, policy=policy)
    assert [c.customer_id for c in page.items] == [ada]
    assert services.find(uow, RecordKind.CUSTOMER, actor=regional).items == ()  # default: team
    assert bo


# Commission plans and refunds ---------------------------------------------------------------


def test_plans_are_defined_by_managers_and_read_by_their_teams(uow: InMemoryUnitOfWork) -> None:
    plan = CommissionPlan.flat("EUR", Decimal("0.05"))
    defined = services.handle(
        uow, commands.DefineCommissionPlan(name="Std", plan=plan, at=T0), actor=BOSS
    )
    with uow:
        assert uow.commission_plans.get(defined).plan == plan
    assert [p.plan_id for p in services.find(uow, RecordKind.COMMISSION_PLAN, actor=REP).items] == [
        defined
    ]
    assert services.find(uow, RecordKind.COMMISSION_PLAN, actor=SOUTH_BOSS).items == ()
    with pytest.raises(PermissionDeniedError):
        services.handle(
            uow, commands.DefineCommissionPlan(name="Mine", plan=plan, at=T0), actor=REP
        )


def test_a_refund_goes_through_the_contract(uow: InMemoryUnitOfWork) -> None:
    ada = services.handle(uow, commands.RegisterProspect(name="Ada", at=T0), actor=REP)
    deal = services.handle(
        uow, commands.OpenOpportunity(customer_id=ada, title="t", amount=EUR, at=T0), actor=REP
    )
    contract = services.handle(uow, commands.WinOpportunity(opportunity_id=deal, at=T0), actor=REP)
    services.handle(uow, commands.RecordPayment(contract_id=contract, amount=EUR, at=T0), actor=REP)
    services.handle(
        uow,
        commands.RefundPayment(contract_id=contract, amount=Money.of(400, "EUR"), at=T0),
        actor=REP,
    )
    with uow:
        assert uow.contracts.get(contract).paid == Money.of(99_600, "EUR")
    with pytest.raises(NotFoundError):
        services.handle(
            uow,
            commands.RefundPayment(contract_id=contract, amount=Money.of(1, "EUR"), at=T0),
            actor=REP_2,
        )


def test_a_corrupt_stored_tree_is_refused_not_walked_forever(uow: InMemoryUnitOfWork) -> None:
    # Written around the services (a trusted import gone wrong): a and b are each other's parent.
    with uow:
        for name, parent in (("a", "b"), ("b", "a")):
            uow.territories.add(
                Territory.create(territory_id=name, name=name, parent_id=parent, at=T0)
            )
        uow.commit()
    with pytest.raises(ValidationError, match="too deep"):
        services.handle(uow, commands.CreateTerritory(name="c", parent_id="a", at=T0))
    with pytest.raises(ValidationError, match="too deep"):
        services.handle(uow, commands.MoveTerritory(territory_id="a", parent_id=None, at=T0))


def test_a_record_already_in_the_territory_is_left_as_it_is(uow: InMemoryUnitOfWork) -> None:
    north = services.handle(uow, commands.CreateTerritory(name="North", at=T0))
    ada = services.handle(uow, commands.RegisterProspect(name="Ada", at=T0))
    deal = services.handle(
        uow, commands.OpenOpportunity(customer_id=ada, title="t", amount=EUR, at=T0)
    )
    with uow:  # written around the services: the deal is in the territory already
        opened = uow.opportunities.get(deal)
        uow.opportunities.save(opened.move_to_territory(north, at=T0))
        uow.commit()
    uow.collect_events()
    services.handle(uow, commands.AssignTerritory(customer_id=ada, territory_id=north, at=T0))
    assert [type(e).__name__ for e in uow.collect_events()] == ["RecordTerritoryChanged"]


def test_a_deal_won_with_a_margin_signs_a_contract_with_it(uow: InMemoryUnitOfWork) -> None:
    ada = services.handle(uow, commands.RegisterProspect(name="Ada", at=T0), actor=REP)
    deal = services.handle(
        uow, commands.OpenOpportunity(customer_id=ada, title="t", amount=EUR, at=T0), actor=REP
    )
    before = _snapshot(uow)
    with pytest.raises(ValidationError) as caught:
        services.handle(
            uow, commands.WinOpportunity(opportunity_id=deal, margin=EUR + EUR, at=T0), actor=REP
        )
    assert caught.value.field == "margin"
    assert _snapshot(uow) == before
    margin = Money.of(30_000, "EUR")
    contract = services.handle(
        uow, commands.WinOpportunity(opportunity_id=deal, margin=margin, at=T0), actor=REP
    )
    with uow:
        assert uow.contracts.get(contract).margin == margin


def test_a_territory_stays_in_itself() -> None:
    north = Territory.create(territory_id="north", name="North", at=T0)
    with pytest.raises(ValidationError) as caught:
        north.move_to_territory("south", at=T0)
    assert caught.value.field == "territory"
