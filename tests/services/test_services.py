import itertools
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from crmcore import (
    Actor,
    AssignmentRule,
    CommissionPlan,
    ComplaintStep,
    Condition,
    ContractFulfilled,
    CustomerPhaseChanged,
    InvalidTransitionError,
    LifecyclePhase,
    Money,
    NotFoundError,
    OpportunityWon,
    Period,
    Pipeline,
    Profile,
    Role,
    Stage,
    ValidationError,
    commands,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.adapters.sql import SqlStore, SqlUnitOfWork
from crmcore.domain.kinds import REGISTRY
from crmcore.testing import SequentialIds
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 1, 9, tz="UTC")
FAULTS_INJECTED: list[tuple[str, str, int]] = []  # (use case, store, k), for docs/quality.md


def day(n: float) -> pendulum.DateTime:
    return T0.add(hours=int(n * 24))


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)


def test_the_whole_life_of_a_customer(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="Phạm Thu", at=T0))
    assert customer_id == "cust-000001"
    services.handle(
        uow,
        commands.LogInteraction(
            customer_id=customer_id,
            channel="phone",
            direction="out",
            subject="intro call",
            at=day(1),
        ),
    )
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="CRM", amount=Money.of("5000", "USD"), at=day(2)
        ),
    )
    services.handle(uow, commands.MoveOpportunity(opportunity_id=opp, stage="Proposal", at=day(5)))
    contract_id = services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=day(10)))
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.CONTRACT
        assert uow.contracts.get(contract_id).amount == Money.of("5000", "USD")
        assert uow.opportunities.get(opp).is_won
    services.handle(uow, commands.RecordDelivery(contract_id=contract_id, at=day(12)))
    services.handle(
        uow,
        commands.RecordPayment(contract_id=contract_id, amount=Money.of("2000", "USD"), at=day(13)),
    )
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.CONTRACT
    services.handle(
        uow,
        commands.RecordPayment(contract_id=contract_id, amount=Money.of("3000", "USD"), at=day(20)),
    )
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.AFTER_SALES
        assert uow.contracts.get(contract_id).is_fulfilled
    service_id = services.handle(
        uow,
        commands.StartServiceContract(
            customer_id=customer_id,
            starts=pendulum.Date(2030, 2, 1),
            term_months=12,
            auto_renew=True,
            notice_days=30,
            price=Money.of("600", "USD"),
            at=day(21),
        ),
    )
    services.handle(uow, commands.RenewServiceContract(service_contract_id=service_id, at=day(22)))
    complaint = services.handle(
        uow,
        commands.FileComplaint(
            customer_id=customer_id,
            channel="e-mail",
            level="high",
            complainant_type="rational",
            subject="slow support",
            at=day(30),
        ),
    )
    for step in ("calmed", "clarified", "solution proposed", "action taken"):
        services.handle(
            uow, commands.AdvanceComplaint(complaint_id=complaint, step=step, at=day(31))
        )
    services.handle(
        uow,
        commands.CompensateComplaint(
            complaint_id=complaint, amount=Money.of("50", "USD"), at=day(31)
        ),
    )
    services.handle(
        uow, commands.CloseComplaint(complaint_id=complaint, satisfaction=5, at=day(32))
    )
    services.handle(
        uow, commands.LoseCustomer(customer_id=customer_id, reason="moved abroad", at=day(200))
    )
    services.handle(uow, commands.WinBackCustomer(customer_id=customer_id, at=day(300)))
    with uow:
        customer = uow.customers.get(customer_id)
        assert customer.phase is LifecyclePhase.ACQUISITION
        assert [c.phase for c in customer.phase_history] == [
            LifecyclePhase.ACQUISITION,
            LifecyclePhase.CONTRACT,
            LifecyclePhase.AFTER_SALES,
            LifecyclePhase.LOST,
            LifecyclePhase.ACQUISITION,
        ]
        assert uow.complaints.get(complaint).current_step is ComplaintStep.THANKED
        assert uow.service_contracts.get(service_id).term == 2
    events = uow.collect_events()
    kinds = [type(e) for e in events]
    assert kinds.index(OpportunityWon) < kinds.index(ContractFulfilled)
    assert sum(isinstance(e, CustomerPhaseChanged) for e in events) == 4
    assert uow.collect_events() == []


def test_cancelling_the_only_contract_returns_to_acquisition(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="t", amount=Money.of("10", "EUR"), at=T0
        ),
    )
    contract_id = services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=day(1)))
    services.handle(
        uow, commands.CancelContract(contract_id=contract_id, reason="customer withdrew", at=day(2))
    )
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.ACQUISITION
        assert uow.contracts.get(contract_id).is_cancelled


def test_paid_then_delivered_moves_to_after_sales_on_delivery(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="t", amount=Money.of("10", "EUR"), at=T0
        ),
    )
    contract_id = services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=day(1)))
    services.handle(
        uow,
        commands.RecordPayment(contract_id=contract_id, amount=Money.of("10", "EUR"), at=day(2)),
    )
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.CONTRACT
    services.handle(uow, commands.RecordDelivery(contract_id=contract_id, at=day(3)))
    with uow:
        assert uow.customers.get(customer_id).phase is LifecyclePhase.AFTER_SALES


def test_lose_and_reopen_an_opportunity(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="t", amount=Money.of("10", "EUR"), at=T0
        ),
    )
    services.handle(uow, commands.LoseOpportunity(opportunity_id=opp, reason="budget", at=day(1)))
    services.handle(uow, commands.ReopenOpportunity(opportunity_id=opp, at=day(2)))
    with uow:
        assert uow.opportunities.get(opp).is_open


def test_profile_updates(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    services.handle(
        uow,
        commands.UpdateProfile(customer_id=customer_id, profile=Profile(region="South"), at=day(1)),
    )
    with uow:
        assert uow.customers.get(customer_id).profile.region == "South"


def test_unknown_customers_are_not_found(uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(NotFoundError):
        services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id="cust-9", title="t", amount=Money.of("1", "EUR"), at=T0
            ),
        )
    with pytest.raises(NotFoundError):
        services.handle(
            uow,
            commands.FileComplaint(
                customer_id="cust-9",
                channel="web",
                level="low",
                complainant_type="victim",
                subject="s",
                at=T0,
            ),
        )
    with pytest.raises(NotFoundError):
        services.handle(
            uow,
            commands.StartServiceContract(
                customer_id="cust-9",
                starts=pendulum.Date(2030, 1, 1),
                term_months=1,
                auto_renew=False,
                notice_days=0,
                price=Money.of("1", "EUR"),
                at=T0,
            ),
        )


def test_lost_customers_must_be_won_back_first(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="t", amount=Money.of("10", "EUR"), at=T0
        ),
    )
    services.handle(
        uow, commands.LoseCustomer(customer_id=customer_id, reason="disqualified", at=day(1))
    )
    with pytest.raises(InvalidTransitionError, match="win the customer back first"):
        services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=customer_id, title="t", amount=Money.of("1", "EUR"), at=day(2)
            ),
        )
    before = uow.store.snapshot()
    with pytest.raises(InvalidTransitionError, match="win the customer back first"):
        services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=day(2)))
    assert uow.store.snapshot() == before


def test_winning_a_zero_amount_opportunity_changes_nothing(uow: InMemoryUnitOfWork) -> None:
    customer_id = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer_id, title="free pilot", amount=Money.zero("EUR"), at=T0
        ),
    )
    before = uow.store.snapshot()
    with pytest.raises(ValidationError, match="greater than zero"):
        services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=day(1)))
    assert uow.store.snapshot() == before


# Faults: a store that fails on the k-th write ----------------------------------------


GATED = Pipeline(
    [
        Stage("Talk", "0.2"),
        Stage("Deal", "0.9", requires_approval=True),
        Stage("Won", "1", kind="won"),
        Stage("Lost", "0", kind="lost"),
    ]
)
BOSS = Actor("boss", Role.ADMIN)


class Faults:
    """Counts the records written; the ``fail_at``-th write (from 1) fails."""

    def __init__(self) -> None:
        self.fail_at: int | None = None
        self.writes = 0

    def write(self) -> None:
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError("disk full")


class FailingStore(InMemoryStore):
    """An in-memory store whose k-th record write fails."""

    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def _write(self, key: Any, value: Any) -> None:
        self.faults.write()
        super()._write(key, value)


class Backend:
    """One store to break: a fresh in-memory store, or the SQL store on a
    fresh SQLite file whose k-th INSERT, UPDATE or DELETE fails."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.faults = Faults()
        self.kind = kind
        self.store = FailingStore(self.faults)
        if kind == "sqlite":
            engine = sa.create_engine(f"sqlite:///{folder / f'crm-{next(_FILES)}.sqlite3'}")
            self.sql = SqlStore(engine, create=True)
            sa.event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.startswith(("INSERT", "UPDATE", "DELETE")):
            self.faults.write()

    def unit_of_work(self, ids: SequentialIds) -> Any:
        if self.kind == "memory":
            return InMemoryUnitOfWork(self.store, ids=ids, clock=LATER)
        return SqlUnitOfWork(self.sql, ids=ids, clock=LATER)

    def snapshot(self) -> object:
        if self.kind == "memory":
            return self.store.snapshot()
        with self.sql.engine.connect() as connection:
            return {
                kind: connection.execute(sa.select(self.sql.table(kind))).all() for kind in REGISTRY
            }


_FILES = itertools.count()


def _prepared(backend: Backend) -> dict[str, str]:
    uow = backend.unit_of_work(SequentialIds())
    c = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    lost = services.handle(uow, commands.RegisterProspect(name="B", at=T0))
    prospect = services.handle(uow, commands.RegisterProspect(name="C", at=T0))
    services.handle(uow, commands.LoseCustomer(customer_id=lost, reason="x", at=T0))
    o1 = services.handle(
        uow, commands.OpenOpportunity(customer_id=c, title="t", amount=Money.of("10", "EUR"), at=T0)
    )
    o2 = services.handle(
        uow, commands.OpenOpportunity(customer_id=c, title="t", amount=Money.of("10", "EUR"), at=T0)
    )
    o3 = services.handle(
        uow, commands.OpenOpportunity(customer_id=c, title="t", amount=Money.of("10", "EUR"), at=T0)
    )
    k1 = services.handle(uow, commands.WinOpportunity(opportunity_id=o2, at=T0))
    k2 = services.handle(uow, commands.WinOpportunity(opportunity_id=o3, at=T0))
    services.handle(uow, commands.RecordDelivery(contract_id=k2, at=T0))
    services.handle(uow, commands.RecordPayment(contract_id=k1, amount=Money.of("4", "EUR"), at=T0))
    svc = services.handle(
        uow,
        commands.StartServiceContract(
            customer_id=c,
            starts=pendulum.Date(2030, 1, 1),
            term_months=1,
            auto_renew=True,
            notice_days=5,
            price=Money.of("5", "EUR"),
            at=T0,
        ),
    )
    cmp = services.handle(
        uow,
        commands.FileComplaint(
            customer_id=c, channel="web", level="low", complainant_type="victim", subject="s", at=T0
        ),
    )
    done = services.handle(
        uow,
        commands.FileComplaint(
            customer_id=c, channel="web", level="low", complainant_type="victim", subject="s", at=T0
        ),
    )
    for step in ("calmed", "clarified", "solution proposed", "action taken"):
        services.handle(uow, commands.AdvanceComplaint(complaint_id=done, step=step, at=T0))
    gated = [
        services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=c, title="t", amount=Money.of("10", "EUR"), at=T0, pipeline=GATED
            ),
        )
        for _ in range(2)
    ]
    services.handle(
        uow,
        commands.RequestApproval(opportunity_id=gated[0], stage="Deal", at=T0),
        actor=Actor("u1", Role.ADMIN),
    )
    o_lost = services.handle(
        uow, commands.OpenOpportunity(customer_id=c, title="t", amount=Money.of("10", "EUR"), at=T0)
    )
    services.handle(uow, commands.LoseOpportunity(opportunity_id=o_lost, reason="r", at=T0))
    plan = commands.PlanCampaign(
        name="Spring",
        channel="e-mail",
        period=(T0.date(), T0.date().add(days=30)),
        budget=Money.of("100", "EUR"),
        at=T0,
    )
    camp, running = services.handle(uow, plan), services.handle(uow, plan)
    services.handle(uow, commands.AddCampaignMembers(campaign_id=running, customer_ids=(c,), at=T0))
    services.handle(uow, commands.ActivateCampaign(campaign_id=running, at=T0))
    root = services.handle(uow, commands.CreateTerritory(name="Europe", team="emea", at=T0))
    child = services.handle(
        uow, commands.CreateTerritory(name="France", parent_id=root, team="emea", at=T0)
    )
    other = services.handle(uow, commands.CreateTerritory(name="Asia", team="apac", at=T0))
    quota = services.handle(
        uow,
        commands.SetQuota(
            target=Money.of("100", "EUR"), period=Period.quarter(2030, 1), owner="u1", at=T0
        ),
    )
    return {
        "root": root,
        "child": child,
        "other": other,
        "quota": quota,
        "camp": camp,
        "running": running,
        "pending": gated[0],
        "gated": gated[1],
        "o_lost": o_lost,
        "c": c,
        "lost": lost,
        "p": prospect,
        "o1": o1,
        "k1": k1,
        "k2": k2,
        "svc": svc,
        "cmp": cmp,
        "done": done,
    }


USE_CASES: list[tuple[str, Callable[[InMemoryUnitOfWork, dict[str, str]], object]]] = [
    (
        "register_prospect",
        lambda u, i: services.handle(u, commands.RegisterProspect(name="N", at=day(1))),
    ),
    (
        "log_interaction",
        lambda u, i: services.handle(
            u,
            commands.LogInteraction(
                customer_id=i["c"], channel="SMS", direction="in", subject="s", at=day(1)
            ),
        ),
    ),
    (
        "update_profile",
        lambda u, i: services.handle(
            u, commands.UpdateProfile(customer_id=i["c"], profile=Profile(), at=day(1))
        ),
    ),
    (
        "open_opportunity",
        lambda u, i: services.handle(
            u,
            commands.OpenOpportunity(
                customer_id=i["c"], title="t", amount=Money.of("1", "EUR"), at=day(1)
            ),
        ),
    ),
    (
        "move_opportunity",
        lambda u, i: services.handle(
            u, commands.MoveOpportunity(opportunity_id=i["o1"], stage="Contact", at=day(1))
        ),
    ),
    (
        "win_opportunity",
        lambda u, i: services.handle(u, commands.WinOpportunity(opportunity_id=i["o1"], at=day(1))),
    ),
    (
        "lose_opportunity",
        lambda u, i: services.handle(
            u, commands.LoseOpportunity(opportunity_id=i["o1"], reason="r", at=day(1))
        ),
    ),
    (
        "record_delivery",
        lambda u, i: services.handle(u, commands.RecordDelivery(contract_id=i["k1"], at=day(1))),
    ),
    (
        "record_payment",
        lambda u, i: services.handle(
            u, commands.RecordPayment(contract_id=i["k2"], amount=Money.of("10", "EUR"), at=day(1))
        ),
    ),
    (
        "cancel_contract",
        lambda u, i: services.handle(
            u, commands.CancelContract(contract_id=i["k1"], reason="r", at=day(1))
        ),
    ),
    (
        "start_service_contract",
        lambda u, i: services.handle(
            u,
            commands.StartServiceContract(
                customer_id=i["c"],
                starts=pendulum.Date(2030, 1, 1),
                term_months=1,
                auto_renew=False,
                notice_days=0,
                price=Money.of("1", "EUR"),
                at=day(1),
            ),
        ),
    ),
    (
        "renew_service_contract",
        lambda u, i: services.handle(
            u, commands.RenewServiceContract(service_contract_id=i["svc"], at=day(1))
        ),
    ),
    (
        "file_complaint",
        lambda u, i: services.handle(
            u,
            commands.FileComplaint(
                customer_id=i["c"],
                channel="fax",
                level="urgent",
                complainant_type="rational",
                subject="s",
                at=day(1),
            ),
        ),
    ),
    (
        "advance_complaint",
        lambda u, i: services.handle(
            u, commands.AdvanceComplaint(complaint_id=i["cmp"], step="calmed", at=day(1))
        ),
    ),
    (
        "compensate_complaint",
        lambda u, i: services.handle(
            u,
            commands.CompensateComplaint(
                complaint_id=i["cmp"], amount=Money.of("1", "EUR"), at=day(1)
            ),
        ),
    ),
    (
        "close_complaint",
        lambda u, i: services.handle(
            u, commands.CloseComplaint(complaint_id=i["done"], satisfaction=4, at=day(1))
        ),
    ),
    (
        "lose_customer",
        lambda u, i: services.handle(
            u, commands.LoseCustomer(customer_id=i["p"], reason="r", at=day(1))
        ),
    ),
    (
        "win_back_customer",
        lambda u, i: services.handle(u, commands.WinBackCustomer(customer_id=i["lost"], at=day(1))),
    ),
    (
        "reopen_opportunity",
        lambda u, i: services.handle(
            u, commands.ReopenOpportunity(opportunity_id=i["o_lost"], at=day(1))
        ),
    ),
    (
        "reassign",
        lambda u, i: services.handle(
            u,
            commands.Reassign(kind="customer", record_id=i["c"], owner="u2", team="t2", at=day(1)),
        ),
    ),
    (
        "request_approval",
        lambda u, i: services.handle(
            u,
            commands.RequestApproval(opportunity_id=i["gated"], stage="Deal", at=day(1)),
            actor=BOSS,
        ),
    ),
    (
        "approve",
        lambda u, i: services.handle(
            u, commands.Approve(opportunity_id=i["pending"], at=day(1)), actor=BOSS
        ),
    ),
    (
        "reject",
        lambda u, i: services.handle(
            u, commands.Reject(opportunity_id=i["pending"], at=day(1), reason="r"), actor=BOSS
        ),
    ),
    (
        "set_opportunity_campaign",
        lambda u, i: services.handle(
            u, commands.SetOpportunityCampaign(opportunity_id=i["o1"], campaign_id=i["camp"],
                                               at=day(1))
        ),
    ),
    (
        "plan_campaign",
        lambda u, i: services.handle(
            u,
            commands.PlanCampaign(name="Autumn", channel="SMS",
                                  period=(day(1).date(), day(9).date()),
                                  budget=Money.of("5", "EUR"), at=day(1)),
        ),
    ),
    ("activate_campaign",
     lambda u, i: services.handle(u, commands.ActivateCampaign(campaign_id=i["camp"], at=day(1)))),
    (
        "add_campaign_members",
        lambda u, i: services.handle(
            u, commands.AddCampaignMembers(campaign_id=i["camp"], customer_ids=(i["c"], i["p"]),
                                           at=day(1))
        ),
    ),
    (
        "set_campaign_member_status",
        lambda u, i: services.handle(
            u, commands.SetCampaignMemberStatus(campaign_id=i["running"], customer_id=i["c"],
                                                status="responded", at=day(1))
        ),
    ),
    (
        "record_campaign_cost",
        lambda u, i: services.handle(
            u, commands.RecordCampaignCost(campaign_id=i["camp"], amount=Money.of("7", "EUR"),
                                           at=day(1))
        ),
    ),
    ("complete_campaign",
     lambda u, i: services.handle(u, commands.CompleteCampaign(campaign_id=i["running"],
                                                               at=day(1)))),
    ("abort_campaign",
     lambda u, i: services.handle(u, commands.AbortCampaign(campaign_id=i["camp"], at=day(1)))),
    ("refund_payment",
     lambda u, i: services.handle(u, commands.RefundPayment(contract_id=i["k1"],
                                                            amount=Money.of("4", "EUR"),
                                                            at=day(2)))),
    ("create_territory",
     lambda u, i: services.handle(u, commands.CreateTerritory(name="Lyon", parent_id=i["child"],
                                                              at=day(1)))),
    ("rename_territory",
     lambda u, i: services.handle(u, commands.RenameTerritory(territory_id=i["child"],
                                                              name="Gaul", at=day(1)))),
    ("move_territory",
     lambda u, i: services.handle(u, commands.MoveTerritory(territory_id=i["child"],
                                                            parent_id=i["other"], at=day(1)))),
    ("set_territory_rules",
     lambda u, i: services.handle(u, commands.SetTerritoryRules(
         territory_id=i["child"],
         rules=(AssignmentRule((Condition("region", {"fr"}),)),), at=day(1)))),
    # the customer and its opportunities, contracts, service contract and complaints
    ("assign_territory",
     lambda u, i: services.handle(u, commands.AssignTerritory(customer_id=i["c"],
                                                              territory_id=i["child"],
                                                              at=day(1)))),
    ("set_quota",
     lambda u, i: services.handle(u, commands.SetQuota(target=3, period=Period.year(2030),
                                                       team="north", at=day(1)))),
    ("replace_quota",
     lambda u, i: services.handle(u, commands.ReplaceQuota(quota_id=i["quota"],
                                                           target=Money.of("90", "EUR"),
                                                           at=day(1)))),
    ("define_commission_plan",
     lambda u, i: services.handle(u, commands.DefineCommissionPlan(
         name="Standard", plan=CommissionPlan.flat("EUR", Decimal("0.05")), at=day(1)))),
]  # fmt: skip


def test_every_use_case_that_writes_is_fault_tested() -> None:
    writers = {re.sub(r"(?<!^)(?=[A-Z])", "_", cmd.__name__).lower() for cmd in commands.COMMANDS}
    assert {name for name, _ in USE_CASES} == writers


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize(("name", "call"), USE_CASES, ids=[n for n, _ in USE_CASES])
def test_a_failing_write_at_any_point_leaves_the_store_unchanged(
    name: str,
    call: Callable[[InMemoryUnitOfWork, dict[str, str]], object],
    kind: str,
    tmp_path: Path,
) -> None:
    # How many writes does the use case make when nothing fails?
    clean = Backend(kind, tmp_path)
    ids = _prepared(clean)
    before = clean.faults.writes
    call(clean.unit_of_work(SequentialIds(100)), ids)
    total = clean.faults.writes - before
    assert total > 0
    for k in range(1, total + 1):
        backend = Backend(kind, tmp_path)
        ids = _prepared(backend)
        snapshot = backend.snapshot()
        backend.faults.fail_at = backend.faults.writes + k
        with pytest.raises(OSError, match="disk full"):
            call(backend.unit_of_work(SequentialIds(100)), ids)
        assert backend.snapshot() == snapshot, (name, kind, k)
        FAULTS_INJECTED.append((name, kind, k))


def test_a_lost_customer_cannot_start_a_service_contract() -> None:
    uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    customer = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    services.handle(uow, commands.LoseCustomer(customer_id=customer, reason="gone", at=T0))
    before = uow.store.snapshot()
    with pytest.raises(InvalidTransitionError, match="win the customer back first"):
        services.handle(
            uow,
            commands.StartServiceContract(
                customer_id=customer,
                starts=T0.date(),
                term_months=12,
                auto_renew=False,
                notice_days=30,
                price=Money.of("10", "EUR"),
                at=T0,
            ),
        )
    assert uow.store.snapshot() == before
