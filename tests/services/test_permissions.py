"""Permissions in the services: for generated actors and record ownerships, every use
case is allowed exactly when the policy allows every record it reads or changes;
a denial raises PermissionDeniedError and leaves the store unchanged.

Each scenario builds a small world through trusted calls, then states, in
order, the steps the use case must pass: policy checks on records (as stored,
or as they would be created) and the ownership rules for new records. The
oracle evaluates the steps with `DEFAULT_POLICY.decide`; the first failing
step names the error the call must raise.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import (
    Actor,
    CommissionPlan,
    LifecyclePhase,
    Money,
    NotFoundError,
    Period,
    PermissionDeniedError,
    Pipeline,
    Profile,
    Quota,
    RecordKind,
    Role,
    Stage,
    ValidationError,
    commands,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.domain.kinds import spec_of
from crmcore.domain.ownership import Owned
from crmcore.policy import DEFAULT_POLICY, AccessPolicy, Action, Scope, TablePolicy
from crmcore.testing import SequentialIds
from crmcore.testing.strategies import actors
from tests.clocks import LATER
from tests.records import record

T0 = pendulum.datetime(2030, 1, 1, 9, tz="UTC")
T1 = T0.add(days=1)
T2 = T0.add(days=2)
EUR = Money.of("100", "EUR")
USERS = ["u1", "u2"]
TEAMS = ["t1", "t2"]
NAME = "Ada Lovelace"  # personal data: must never appear in an error message
PIPELINE = Pipeline(
    [
        Stage("Qualify", "0.2"),
        Stage("Propose", "0.5"),
        Stage("Negotiate", "0.8", requires_approval=True),
        Stage("Won", "1", kind="won"),
        Stage("Lost", "0", kind="lost"),
    ]
)

OWNERS = st.none() | st.sampled_from(USERS)
TEAM_IDS = st.none() | st.sampled_from(TEAMS)
TERRITORIES = ["terr-000001", "terr-000002", "terr-000003"]
ACTORS = actors(
    users=st.sampled_from(USERS),
    team_pool=st.sampled_from(TEAMS),
    territory_pool=st.sampled_from(TERRITORIES),
)
Q1 = Period.quarter(2030, 1)

Step = tuple[Any, ...]
"""("check", action, record) | ("team required",) | ("self approval", requester) |
("no change", record, owner, team)."""


class World:
    """A store, a trusted unit of work and helpers that build records through the services."""

    def __init__(
        self, draw: Callable[..., Any], policy: AccessPolicy = DEFAULT_POLICY, variant: str = ""
    ) -> None:
        self.draw = draw
        self.policy = policy
        self.variant = variant
        self.store = InMemoryStore()
        self.uow = InMemoryUnitOfWork(self.store, ids=SequentialIds(), clock=LATER)

    def pick(self, options: list[str]) -> str:
        """The scenario's variant (each variant is a test case of its own)."""
        assert self.variant in options, (self.variant, options)
        return self.variant

    def ownership(self) -> dict[str, Any]:
        return {"owner": self.draw(OWNERS), "team": self.draw(TEAM_IDS)}

    def customer(self, *, lost: bool = False) -> str:
        customer_id = services.handle(
            self.uow,
            commands.RegisterProspect(
                name=NAME, at=T0, profile=Profile(email="ada@example.org"), **self.ownership()
            ),
        )
        if lost:
            services.handle(
                self.uow, commands.LoseCustomer(customer_id=customer_id, reason="quiet", at=T0)
            )
        return customer_id

    def opportunity(self, customer_id: str, *, lost: bool = False) -> str:
        opp = services.handle(
            self.uow,
            commands.OpenOpportunity(
                customer_id=customer_id,
                title=f"Deal for {NAME}",
                amount=EUR,
                at=T0,
                pipeline=PIPELINE,
                **self.ownership(),
            ),
        )
        if lost:
            services.handle(
                self.uow, commands.LoseOpportunity(opportunity_id=opp, reason="no budget", at=T0)
            )
        return opp

    def contract(self, customer_id: str, *, delivered: bool = False, paid: bool = False) -> str:
        contract_id = services.handle(
            self.uow, commands.WinOpportunity(opportunity_id=self.opportunity(customer_id), at=T0)
        )
        owner, team = self.draw(OWNERS), self.draw(TEAM_IDS)
        with self.uow:
            stored = self.uow.contracts.get(contract_id)
            if (owner, team) != (stored.owner, stored.team):
                self.uow.contracts.save(stored.reassign(owner=owner, team=team, at=T0))
                self.uow.commit()
        if delivered:
            services.handle(self.uow, commands.RecordDelivery(contract_id=contract_id, at=T0))
        if paid:
            services.handle(
                self.uow, commands.RecordPayment(contract_id=contract_id, amount=EUR, at=T0)
            )
        return contract_id

    def campaign(self, *, active: bool = False, members: tuple[str, ...] = ()) -> str:
        campaign_id = services.handle(self.uow, plan_campaign(T0, **self.ownership()))
        if members:
            services.handle(
                self.uow,
                commands.AddCampaignMembers(campaign_id=campaign_id, customer_ids=members, at=T0),
            )
        if active:
            services.handle(self.uow, commands.ActivateCampaign(campaign_id=campaign_id, at=T0))
        return campaign_id

    def territory(self, parent: str | None = None) -> str:
        territory_id: str = services.handle(
            self.uow,
            commands.CreateTerritory(name="North", parent_id=parent, at=T0, **self.ownership()),
        )
        return territory_id

    def next_territory_id(self) -> str:
        with self.uow:
            count = len(self.uow.select(RecordKind.TERRITORY))
        return f"terr-{count + 1:06d}"

    def quota_holders(self) -> dict[str, Any]:
        """An owner, a team and a territory for a quota: at least one of them."""
        holders = {**self.ownership(), "territory": None}
        if self.draw(st.booleans()):
            holders["territory"] = self.territory()
        if holders == {"owner": None, "team": None, "territory": None}:
            holders["owner"] = USERS[0]
        return holders

    def get(self, kind: RecordKind, record_id: str) -> Owned:
        with self.uow:
            found: Owned = getattr(self.uow, REPOSITORIES[kind]).get(record_id)
        return found


REPOSITORIES = {
    RecordKind.CUSTOMER: "customers",
    RecordKind.OPPORTUNITY: "opportunities",
    RecordKind.CONTRACT: "contracts",
    RecordKind.SERVICE_CONTRACT: "service_contracts",
    RecordKind.COMPLAINT: "complaints",
    RecordKind.CAMPAIGN: "campaigns",
    RecordKind.TERRITORY: "territories",
    RecordKind.QUOTA: "quotas",
    RecordKind.COMMISSION_PLAN: "commission_plans",
}


def plan_campaign(at: pendulum.DateTime, **ownership: Any) -> commands.PlanCampaign:
    return commands.PlanCampaign(
        name=f"Offer for {NAME}",
        channel="e-mail",
        period=(at.date(), at.date().add(days=30)),
        budget=EUR,
        at=at,
        **ownership,
    )


def _check(action: Action, subject: Owned) -> Step:
    return ("check", action, subject)


def _new(kind: RecordKind, actor: Actor, owner: str | None, team: str | None) -> list[Step]:
    """The steps for creating a record of ``kind`` with the given owner and team."""
    if team is None and len(actor.teams) > 1:
        return [("team required",)]
    if team is None and actor.teams:
        (team,) = actor.teams
    resolved_owner = actor.user_id if owner is None else owner
    return [_check(Action.CREATE, record(kind, owner=resolved_owner, team=team))]


Scenario = Callable[[World, Actor], tuple[Callable[[], object], list[Step]]]


def _customer_update(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    call = w.pick(["profile", "interaction"])

    def run() -> None:
        if call == "profile":
            services.handle(
                w.uow,
                commands.UpdateProfile(customer_id=c, profile=Profile(region="North"), at=T1),
                actor=actor,
                policy=w.policy,
            )
        else:
            services.handle(
                w.uow,
                commands.LogInteraction(
                    customer_id=c, channel="e-mail", direction="in", subject="hello", at=T1
                ),
                actor=actor,
                policy=w.policy,
            )

    return run, [_check(Action.UPDATE, w.get(RecordKind.CUSTOMER, c))]


def _customer_close(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    lost = w.pick(["lose", "win back"]) == "win back"
    c = w.customer(lost=lost)

    def run() -> None:
        if lost:
            services.handle(
                w.uow, commands.WinBackCustomer(customer_id=c, at=T1), actor=actor, policy=w.policy
            )
        else:
            services.handle(
                w.uow,
                commands.LoseCustomer(customer_id=c, reason="moved away", at=T1),
                actor=actor,
                policy=w.policy,
            )

    return run, [_check(Action.CLOSE, w.get(RecordKind.CUSTOMER, c))]


def _register(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)

    def run() -> str:
        return services.handle(
            w.uow,
            commands.RegisterProspect(name=NAME, at=T1, owner=owner, team=team),
            actor=actor,
            policy=w.policy,
        )

    return run, _new(RecordKind.CUSTOMER, actor, owner, team)


def _open(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)

    def run() -> str:
        return services.handle(
            w.uow,
            commands.OpenOpportunity(
                customer_id=c,
                title="Renewal",
                amount=EUR,
                at=T1,
                pipeline=PIPELINE,
                owner=owner,
                team=team,
            ),
            actor=actor,
            policy=w.policy,
        )

    return run, [
        _check(Action.READ, w.get(RecordKind.CUSTOMER, c)),
        *_new(RecordKind.OPPORTUNITY, actor, owner, team),
    ]


def _opportunity_update(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    o = w.opportunity(w.customer())
    call = w.pick(["move", "request"])

    def run() -> None:
        if call == "move":
            services.handle(
                w.uow,
                commands.MoveOpportunity(opportunity_id=o, stage="Propose", at=T1),
                actor=actor,
                policy=w.policy,
            )
        else:
            services.handle(
                w.uow,
                commands.RequestApproval(opportunity_id=o, stage="Negotiate", at=T1),
                actor=actor,
                policy=w.policy,
            )

    return run, [_check(Action.UPDATE, w.get(RecordKind.OPPORTUNITY, o))]


def _opportunity_close(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    lost = w.pick(["lose", "reopen"]) == "reopen"
    o = w.opportunity(c, lost=lost)

    def run() -> None:
        if lost:
            services.handle(
                w.uow,
                commands.ReopenOpportunity(opportunity_id=o, at=T1),
                actor=actor,
                policy=w.policy,
            )
        else:
            services.handle(
                w.uow,
                commands.LoseOpportunity(opportunity_id=o, reason="too dear", at=T1),
                actor=actor,
                policy=w.policy,
            )

    steps = [_check(Action.CLOSE, w.get(RecordKind.OPPORTUNITY, o))]
    if lost:
        steps.append(_check(Action.READ, w.get(RecordKind.CUSTOMER, c)))
    return run, steps


def _win(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    o = w.opportunity(c)
    opp = w.get(RecordKind.OPPORTUNITY, o)

    def run() -> str:
        return services.handle(
            w.uow, commands.WinOpportunity(opportunity_id=o, at=T1), actor=actor, policy=w.policy
        )

    return run, [
        _check(Action.CLOSE, opp),
        _check(Action.UPDATE, w.get(RecordKind.CUSTOMER, c)),
        _check(Action.CREATE, record(RecordKind.CONTRACT, owner=opp.owner, team=opp.team)),
    ]


def _contract_update(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    before, call = w.pick(["new: pay", "new: deliver", "delivered: pay", "paid: deliver"]).split(
        ": "
    )
    k = w.contract(c, delivered=before == "delivered", paid=before == "paid")
    pay = call == "pay"  # on a new contract, neither call fulfils it alone

    def run() -> None:
        if pay:
            services.handle(
                w.uow,
                commands.RecordPayment(contract_id=k, amount=EUR, at=T1),
                actor=actor,
                policy=w.policy,
            )
        else:
            services.handle(
                w.uow, commands.RecordDelivery(contract_id=k, at=T1), actor=actor, policy=w.policy
            )

    steps = [_check(Action.UPDATE, w.get(RecordKind.CONTRACT, k))]
    if before != "new":  # the call fulfils the contract: the customer's phase changes
        steps.append(_check(Action.UPDATE, w.get(RecordKind.CUSTOMER, c)))
    return run, steps


def _cancel(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    k = w.contract(c)

    def run() -> None:
        services.handle(
            w.uow,
            commands.CancelContract(contract_id=k, reason="changed plans", at=T1),
            actor=actor,
            policy=w.policy,
        )

    return run, [
        _check(Action.CLOSE, w.get(RecordKind.CONTRACT, k)),
        _check(Action.UPDATE, w.get(RecordKind.CUSTOMER, c)),
    ]


def _service_contract(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    renew = w.pick(["start", "renew"]) == "renew"
    if renew:
        s = services.handle(
            w.uow,
            commands.StartServiceContract(
                customer_id=c,
                starts=pendulum.date(2030, 1, 1),
                term_months=12,
                auto_renew=True,
                notice_days=30,
                price=EUR,
                at=T0,
                **w.ownership(),
            ),
        )

        def renew_it() -> None:
            services.handle(
                w.uow,
                commands.RenewServiceContract(service_contract_id=s, at=T1),
                actor=actor,
                policy=w.policy,
            )

        return renew_it, [_check(Action.UPDATE, w.get(RecordKind.SERVICE_CONTRACT, s))]
    owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)

    def start() -> str:
        return services.handle(
            w.uow,
            commands.StartServiceContract(
                customer_id=c,
                starts=pendulum.date(2030, 1, 1),
                term_months=12,
                auto_renew=True,
                notice_days=30,
                price=EUR,
                at=T1,
                owner=owner,
                team=team,
            ),
            actor=actor,
            policy=w.policy,
        )

    return start, [
        _check(Action.READ, w.get(RecordKind.CUSTOMER, c)),
        *_new(RecordKind.SERVICE_CONTRACT, actor, owner, team),
    ]


def _complaint(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    c = w.customer()
    call = w.pick(["file", "advance", "compensate", "close"])
    if call == "file":
        owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)

        def file() -> str:
            return services.handle(
                w.uow,
                commands.FileComplaint(
                    customer_id=c,
                    channel="phone",
                    level="high",
                    complainant_type="rational",
                    subject=f"{NAME} is unhappy",
                    at=T1,
                    owner=owner,
                    team=team,
                ),
                actor=actor,
                policy=w.policy,
            )

        return file, [
            _check(Action.READ, w.get(RecordKind.CUSTOMER, c)),
            *_new(RecordKind.COMPLAINT, actor, owner, team),
        ]
    m = services.handle(
        w.uow,
        commands.FileComplaint(
            customer_id=c,
            channel="phone",
            level="high",
            complainant_type="rational",
            subject="late delivery",
            at=T0,
            **w.ownership(),
        ),
    )
    if call == "close":
        for step in ("calmed", "clarified", "solution proposed", "action taken"):
            services.handle(w.uow, commands.AdvanceComplaint(complaint_id=m, step=step, at=T0))

    def run() -> None:
        if call == "advance":
            services.handle(
                w.uow,
                commands.AdvanceComplaint(complaint_id=m, step="calmed", at=T1),
                actor=actor,
                policy=w.policy,
            )
        elif call == "compensate":
            services.handle(
                w.uow,
                commands.CompensateComplaint(complaint_id=m, amount=EUR, at=T1),
                actor=actor,
                policy=w.policy,
            )
        else:
            services.handle(
                w.uow,
                commands.CloseComplaint(complaint_id=m, satisfaction=4, at=T1),
                actor=actor,
                policy=w.policy,
            )

    action = Action.CLOSE if call == "close" else Action.UPDATE
    return run, [_check(action, w.get(RecordKind.COMPLAINT, m))]


def _decide(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    o = w.opportunity(w.customer())
    requester = w.draw(st.sampled_from(USERS))
    with w.uow:
        stored = w.uow.opportunities.get(o)
        w.uow.opportunities.save(stored.request_approval("Negotiate", by=requester, at=T0))
        w.uow.commit()
    approve = w.pick(["approve", "reject"]) == "approve"

    def run() -> None:
        if approve:
            services.handle(
                w.uow, commands.Approve(opportunity_id=o, at=T1), actor=actor, policy=w.policy
            )
        else:
            services.handle(
                w.uow,
                commands.Reject(opportunity_id=o, at=T1, reason="discount too deep"),
                actor=actor,
                policy=w.policy,
            )

    return run, [
        _check(Action.APPROVE, w.get(RecordKind.OPPORTUNITY, o)),
        ("self approval", requester),
    ]


def _reassign(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    kind = RecordKind(w.pick(["customer", "opportunity", "complaint"]))
    c = w.customer()
    if kind is RecordKind.CUSTOMER:
        target = c
    elif kind is RecordKind.OPPORTUNITY:
        target = w.opportunity(c)
    else:
        target = services.handle(
            w.uow,
            commands.FileComplaint(
                customer_id=c,
                channel="e-mail",
                level="low",
                complainant_type="victim",
                subject="noise",
                at=T0,
                **w.ownership(),
            ),
        )
    current = w.get(kind, target)
    owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)

    def run() -> None:
        services.handle(
            w.uow,
            commands.Reassign(kind=kind.value, record_id=target, owner=owner, team=team, at=T1),
            actor=actor,
            policy=w.policy,
        )

    return run, [
        _check(Action.REASSIGN, current),
        ("no change", current, owner, team),
        ("check changed", Action.REASSIGN, attrs.evolve(current, owner=owner, team=team)),
    ]


def _campaign(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    call = w.pick(["plan", "activate", "add members", "status", "cost", "complete", "abort",
                   "open sourced", "set source"])  # fmt: skip
    if call == "plan":
        owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)
        return (
            lambda: services.handle(
                w.uow, plan_campaign(T1, owner=owner, team=team), actor=actor, policy=w.policy
            ),
            _new(RecordKind.CAMPAIGN, actor, owner, team),
        )
    c = w.customer()
    p = w.campaign(active=call in ("status", "complete"), members=(c,))
    campaign = w.get(RecordKind.CAMPAIGN, p)
    if call in ("open sourced", "set source"):
        o = w.opportunity(c)

        def source() -> object:
            command: commands.Command[Any] = (
                commands.OpenOpportunity(
                    customer_id=c, title="Renewal", amount=EUR, at=T1, campaign_id=p,
                    owner=w.get(RecordKind.OPPORTUNITY, o).owner,
                    team=w.get(RecordKind.OPPORTUNITY, o).team,
                )
                if call == "open sourced"
                else commands.SetOpportunityCampaign(opportunity_id=o, campaign_id=p, at=T1)
            )  # fmt: skip
            return services.handle(w.uow, command, actor=actor, policy=w.policy)

        stored = w.get(RecordKind.OPPORTUNITY, o)
        if call == "open sourced":
            return source, [
                _check(Action.READ, w.get(RecordKind.CUSTOMER, c)),
                _check(Action.READ, campaign),
                *_new(RecordKind.OPPORTUNITY, actor, stored.owner, stored.team),
            ]
        return source, [_check(Action.UPDATE, stored), _check(Action.READ, campaign)]
    other = w.customer()
    command: commands.Command[None] = {
        "activate": commands.ActivateCampaign(campaign_id=p, at=T1),
        "add members": commands.AddCampaignMembers(campaign_id=p, customer_ids=(other,), at=T1),
        "status": commands.SetCampaignMemberStatus(
            campaign_id=p, customer_id=c, status="responded", at=T1
        ),
        "cost": commands.RecordCampaignCost(campaign_id=p, amount=EUR, at=T1),
        "complete": commands.CompleteCampaign(campaign_id=p, at=T1),
        "abort": commands.AbortCampaign(campaign_id=p, at=T1),
    }[call]
    action = Action.CLOSE if call in ("complete", "abort") else Action.UPDATE
    steps = [_check(action, campaign)]
    if call == "add members":
        steps.append(_check(Action.READ, w.get(RecordKind.CUSTOMER, other)))
    return lambda: services.handle(w.uow, command, actor=actor, policy=w.policy), steps


SALES = ("set quota", "replace quota", "create territory", "rename territory",
         "move territory", "assign territory", "define plan", "refund")  # fmt: skip


def _sales(w: World, actor: Actor) -> tuple[Callable[[], object], list[Step]]:
    call = w.pick(list(SALES))
    command: commands.Command[Any]

    def handle(command: commands.Command[Any]) -> Callable[[], object]:
        return lambda: services.handle(w.uow, command, actor=actor, policy=w.policy)

    if call == "set quota":
        holders = w.quota_holders()
        steps = (
            []
            if holders["territory"] is None
            else [_check(Action.READ, w.get(RecordKind.TERRITORY, holders["territory"]))]
        )
        new = Quota("new", EUR, Q1, **holders)
        return handle(commands.SetQuota(target=EUR, period=Q1, at=T1, **holders)), [
            *steps,
            _check(Action.CREATE, new),
        ]
    if call == "replace quota":
        q = services.handle(
            w.uow, commands.SetQuota(target=EUR, period=Q1, at=T0, **w.quota_holders())
        )
        replace = commands.ReplaceQuota(quota_id=q, target=Money.of("90", "EUR"), at=T1)
        return handle(replace), [_check(Action.UPDATE, w.get(RecordKind.QUOTA, q))]
    if call in ("create territory", "move territory"):
        parent = w.territory()
        if call == "create territory":
            owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)
            made = w.next_territory_id()
            steps = [_check(Action.READ, w.get(RecordKind.TERRITORY, parent))]
            created = _new(RecordKind.TERRITORY, actor, owner, team)
            if created[0][0] == "check":
                created = [_check(Action.CREATE, attrs.evolve(
                    created[0][2], territory_id=made, territory=made
                ))]  # fmt: skip
            command = commands.CreateTerritory(
                name="South", parent_id=parent, owner=owner, team=team, at=T1
            )
            return handle(command), [*steps, *created]
        moved = w.territory()
        command = commands.MoveTerritory(territory_id=moved, parent_id=parent, at=T1)
        return handle(command), [
            _check(Action.UPDATE, w.get(RecordKind.TERRITORY, moved)),
            _check(Action.READ, w.get(RecordKind.TERRITORY, parent)),
        ]
    if call == "rename territory":
        t = w.territory()
        command = commands.RenameTerritory(territory_id=t, name="Gaul", at=T1)
        return handle(command), [_check(Action.UPDATE, w.get(RecordKind.TERRITORY, t))]
    if call == "assign territory":
        c = w.customer()
        t = w.territory()
        customer = w.get(RecordKind.CUSTOMER, c)
        command = commands.AssignTerritory(customer_id=c, territory_id=t, at=T1)
        return handle(command), [
            _check(Action.REASSIGN, customer),
            _check(Action.READ, w.get(RecordKind.TERRITORY, t)),
            ("check changed", Action.REASSIGN, attrs.evolve(customer, territory=t)),
        ]
    if call == "define plan":
        owner, team = w.draw(OWNERS), w.draw(TEAM_IDS)
        plan = CommissionPlan.flat("EUR", Decimal("0.05"))
        command = commands.DefineCommissionPlan(
            name="Standard", plan=plan, owner=owner, team=team, at=T1
        )
        return handle(command), _new(RecordKind.COMMISSION_PLAN, actor, owner, team)
    k = w.contract(w.customer(), paid=True)
    command = commands.RefundPayment(contract_id=k, amount=Money.of("40", "EUR"), at=T1)
    return handle(command), [_check(Action.UPDATE, w.get(RecordKind.CONTRACT, k))]


SCENARIOS: dict[str, tuple[Scenario, tuple[str, ...]]] = {
    "register_prospect": (_register, ("",)),
    "update_profile / log_interaction": (_customer_update, ("profile", "interaction")),
    "lose_customer / win_back_customer": (_customer_close, ("lose", "win back")),
    "open_opportunity": (_open, ("",)),
    "move_opportunity / request_approval": (_opportunity_update, ("move", "request")),
    "lose_opportunity / reopen_opportunity": (_opportunity_close, ("lose", "reopen")),
    "win_opportunity": (_win, ("",)),
    "record_payment / record_delivery": (
        _contract_update,
        ("new: pay", "new: deliver", "delivered: pay", "paid: deliver"),
    ),
    "cancel_contract": (_cancel, ("",)),
    "start / renew service contract": (_service_contract, ("start", "renew")),
    "file / advance / compensate / close complaint": (
        _complaint,
        ("file", "advance", "compensate", "close"),
    ),
    "approve / reject": (_decide, ("approve", "reject")),
    "reassign": (_reassign, ("customer", "opportunity", "complaint")),
    "campaigns": (_campaign, ("plan", "activate", "add members", "status", "cost", "complete",
                              "abort", "open sourced", "set source")),
    "sales management": (_sales, SALES),
}  # fmt: skip
CASES = [(name, variant) for name, (_, variants) in SCENARIOS.items() for variant in variants]


def _expected(
    steps: list[Step], actor: Actor, policy: AccessPolicy
) -> tuple[type[Exception] | None, str | None]:
    """The error the call must raise (and the denied record's id), or (None, None)."""
    for step in steps:
        if step[0] == "check" and step[1] is not Action.CREATE:
            # A stored record the actor may not even read is answered as missing.
            _, action, subject = step
            if not policy.decide(actor, Action.READ, subject).allowed:
                return NotFoundError, subject.record_id
            if not policy.decide(actor, action, subject).allowed:
                return PermissionDeniedError, subject.record_id
        elif step[0] in ("check", "check changed"):
            _, action, subject = step
            if not policy.decide(actor, action, subject).allowed:
                # a record being created gets its id from the store's generator
                return PermissionDeniedError, None if action is Action.CREATE else subject.record_id
        elif step[0] == "team required":
            return ValidationError, None
        elif step[0] == "self approval":
            if step[1] == actor.user_id:
                return PermissionDeniedError, None
        else:  # "no change"
            _, current, owner, team = step
            if (current.owner, current.team) == (owner, team):
                return ValidationError, None
    return None, None


CELLS = [(role, kind, action) for role in Role for kind in RecordKind for action in Action]


def _table(scopes: list[Scope], number: int) -> TablePolicy:
    """The table whose cells are the base-``len(scopes)`` digits of ``number``."""
    cells = {}
    for cell in CELLS:
        number, digit = divmod(number, len(scopes))
        cells[cell] = scopes[digit]
    return TablePolicy(cells)


# One integer per table (its digits are the cells): drawing each cell on its own
# spent most of this module's time in Hypothesis's dictionary drawing.
RANDOM_TABLES = st.sampled_from([list(Scope), [Scope.NONE, Scope.ALL]]).flatmap(
    lambda scopes: st.integers(0, len(scopes) ** len(CELLS) - 1).map(
        lambda number: _table(scopes, number)
    )
)
"""Any table at all (and coin-flip tables of none/all, where every cell is independent of
ownership): under them, each use case must ask for exactly the actions it needs."""


@pytest.mark.parametrize(("name", "variant"), CASES)
@settings(suppress_health_check=[HealthCheck.too_slow])  # the profile's size: 60 in `ci`
@given(data=st.data(), actor=ACTORS, policy=st.just(DEFAULT_POLICY) | RANDOM_TABLES)
def test_a_use_case_runs_exactly_when_the_policy_allows_every_record_it_touches(
    name: str, variant: str, data: st.DataObject, actor: Actor, policy: AccessPolicy
) -> None:
    world = World(data.draw, policy, variant)
    run, steps = SCENARIOS[name][0](world, actor)
    error, denied_id = _expected(steps, actor, policy)
    before = world.store.snapshot()
    if error is None:
        run()
        assert world.store.snapshot() != before
        return
    with pytest.raises(error) as caught:
        run()
    assert world.store.snapshot() == before  # a rejected command changes nothing
    assert NAME not in str(caught.value)
    assert "ada@example.org" not in str(caught.value)
    if isinstance(caught.value, NotFoundError):
        # the same error and message as for an id that does not exist
        assert caught.value.record_id == denied_id
        (kind,) = [k for k in RecordKind if spec_of(k).label == caught.value.kind]
        with world.uow, pytest.raises(NotFoundError) as unknown:
            world.uow.repository(kind).get("no-such-id")
        assert str(unknown.value).replace("'no-such-id'", repr(denied_id)) == str(caught.value)
    if isinstance(caught.value, PermissionDeniedError):
        assert caught.value.user_id == actor.user_id
        assert str(actor.user_id) in str(caught.value)
        if denied_id is not None:
            assert caught.value.record_id == denied_id


def test_every_use_case_takes_an_actor_and_a_policy() -> None:
    import inspect

    for entry in (services.handle, services.find, services.Session):
        parameters = inspect.signature(entry).parameters
        assert parameters["actor"].default is None, entry
        assert parameters["policy"].default is DEFAULT_POLICY, entry


# Queries ---------------------------------------------------------------------


@st.composite
def _populated(draw: st.DrawFn) -> InMemoryUnitOfWork:
    world = World(draw)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        c = world.customer(lost=draw(st.booleans()))
        with world.uow:
            lost = world.uow.customers.get(c).phase is LifecyclePhase.LOST
        if not lost:
            world.opportunity(c, lost=draw(st.booleans()))
        services.handle(
            world.uow,
            commands.FileComplaint(
                customer_id=c,
                channel="phone",
                level="low",
                complainant_type="victim",
                subject="noise",
                at=T0,
                **world.ownership(),
            ),
        )
        world.campaign()
    return world.uow


@settings(max_examples=60)
@given(uow=_populated(), actor=ACTORS, open_only=st.booleans())
def test_queries_return_exactly_what_the_actor_may_read_ordered_by_id(
    uow: InMemoryUnitOfWork, actor: Actor, open_only: bool
) -> None:
    with uow:
        everything = {
            "customers": uow.customers.list(),
            "opportunities": uow.opportunities.open() if open_only else uow.opportunities.list(),
            "complaints": uow.complaints.open() if open_only else uow.complaints.list(),
            "campaigns": uow.campaigns.list(),
        }
    only_open: dict[str, object] = {"is_open": True} if open_only else {}
    found = {
        "customers": _all(uow, RecordKind.CUSTOMER, actor),
        "opportunities": _all(uow, RecordKind.OPPORTUNITY, actor, **only_open),
        "complaints": _all(uow, RecordKind.COMPLAINT, actor, **only_open),
        "campaigns": _all(uow, RecordKind.CAMPAIGN, actor),
    }
    for key, records in found.items():
        readable = [
            r for r in everything[key] if DEFAULT_POLICY.decide(actor, Action.READ, r).allowed
        ]
        assert list(records) == readable
        ids = [r.record_id for r in records]
        assert ids == sorted(ids)
    trusted = _all(uow, RecordKind.CUSTOMER, None)
    assert trusted == everything["customers"]
    customers = _all(uow, RecordKind.CUSTOMER, actor)
    for phase in LifecyclePhase:
        in_phase = _all(uow, RecordKind.CUSTOMER, actor, phase=phase.value)
        assert list(in_phase) == [c for c in customers if c.phase is phase]


def _all(
    uow: InMemoryUnitOfWork, kind: RecordKind, actor: Actor | None, **where: Any
) -> tuple[Any, ...]:
    """Every page of a find, joined."""
    found: list[Any] = []
    cursor = None
    while True:
        page = services.find(uow, kind, actor=actor, limit=3, after=cursor, **where)
        found.extend(page.items)
        if page.next_cursor is None:
            return tuple(found)
        cursor = page.next_cursor


def test_queries_reject_bad_arguments() -> None:
    uow = InMemoryUnitOfWork(InMemoryStore(), clock=LATER)
    with pytest.raises(ValidationError) as caught:
        services.find(uow, RecordKind.CUSTOMER, phase="gone")
    assert caught.value.field == "phase"
    with pytest.raises(ValidationError) as caught:
        services.find(uow, RecordKind.OPPORTUNITY, is_open="yes")
    assert caught.value.field == "is_open"
    with pytest.raises(ValidationError) as caught:
        services.find(uow, RecordKind.COMPLAINT, actor="u1")  # type: ignore[arg-type]
    assert caught.value.field == "actor"
    with pytest.raises(ValidationError) as caught:
        services.find(uow, RecordKind.COMPLAINT, limit=0)
    assert caught.value.field == "limit"
    with pytest.raises(ValidationError) as caught:
        services.find(uow, RecordKind.COMPLAINT, after="")
    assert caught.value.field == "after"
    with pytest.raises(ValidationError) as caught:
        services.find(uow, "complaints")
    assert caught.value.field == "kind"


# Ownership of new records, worked examples ------------------------------------


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)


REP = Actor("rep-1", Role.SALES_REP, {"north"})
REP2 = Actor("rep-2", Role.SALES_REP, {"north"})
MANAGER = Actor("boss-1", Role.SALES_MANAGER, {"north", "south"})
ADMIN = Actor("root", Role.ADMIN)


def test_the_actor_owns_what_they_create_in_their_only_team(uow: InMemoryUnitOfWork) -> None:
    c = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=REP)
    o = services.handle(
        uow, commands.OpenOpportunity(customer_id=c, title="Deal", amount=EUR, at=T0), actor=REP
    )
    with uow:
        assert (uow.customers.get(c).owner, uow.customers.get(c).team) == ("rep-1", "north")
        assert (uow.opportunities.get(o).owner, uow.opportunities.get(o).team) == ("rep-1", "north")
    k = services.handle(uow, commands.WinOpportunity(opportunity_id=o, at=T1), actor=REP)
    with uow:
        assert (uow.contracts.get(k).owner, uow.contracts.get(k).team) == ("rep-1", "north")


def test_an_actor_in_several_teams_must_name_one(uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as caught:
        services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=MANAGER)
    assert caught.value.field == "team"
    assert caught.value.allowed == "north, south"
    c = services.handle(
        uow, commands.RegisterProspect(name=NAME, at=T0, team="south"), actor=MANAGER
    )
    with uow:
        assert uow.customers.get(c).team == "south"
    with pytest.raises(PermissionDeniedError):
        services.handle(
            uow, commands.RegisterProspect(name=NAME, at=T0, team="west"), actor=MANAGER
        )
    west = services.handle(
        uow, commands.RegisterProspect(name=NAME, at=T0, team="west"), actor=ADMIN
    )
    unassigned = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=ADMIN)
    with uow:
        assert (uow.customers.get(west).owner, uow.customers.get(west).team) == ("root", "west")
        assert (uow.customers.get(unassigned).team) is None
    trusted = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0))
    with uow:
        assert (uow.customers.get(trusted).owner, uow.customers.get(trusted).team) == (None, None)


def test_a_rep_cannot_give_a_new_record_to_someone_else(uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        services.handle(uow, commands.RegisterProspect(name=NAME, at=T0, owner="rep-2"), actor=REP)
    assert caught.value.action == "create"
    c = services.handle(
        uow, commands.RegisterProspect(name=NAME, at=T0, owner="rep-2", team="north"), actor=MANAGER
    )
    with uow:
        assert uow.customers.get(c).owner == "rep-2"


def test_managers_reassign_within_their_teams_only(uow: InMemoryUnitOfWork) -> None:
    c = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=REP)
    with pytest.raises(PermissionDeniedError):
        services.handle(
            uow,
            commands.Reassign(kind="customer", record_id=c, owner="rep-2", team="north", at=T1),
            actor=REP,
        )
    services.handle(
        uow,
        commands.Reassign(
            kind=RecordKind.CUSTOMER, record_id=c, owner="rep-2", team="north", at=T1
        ),
        actor=MANAGER,
    )
    with pytest.raises(PermissionDeniedError) as caught:
        services.handle(
            uow,
            commands.Reassign(kind="customer", record_id=c, owner="rep-2", team="west", at=T1),
            actor=MANAGER,
        )
    assert caught.value.action == "reassign"
    services.handle(
        uow,
        commands.Reassign(kind="customer", record_id=c, owner="rep-9", team="west", at=T1),
        actor=ADMIN,
    )
    with uow:
        stored = uow.customers.get(c)
    assert (stored.owner, stored.team) == ("rep-9", "west")
    events = uow.collect_events()
    assert [type(e).__name__ for e in events] == [
        "CustomerProspected",
        "RecordReassigned",
        "RecordReassigned",
    ]
    with pytest.raises(ValidationError) as invalid:
        services.handle(
            uow, commands.Reassign(kind="invoice", record_id=c, owner=None, team=None, at=T1)
        )
    assert invalid.value.field == "kind"


def test_a_gated_stage_through_the_services(uow: InMemoryUnitOfWork) -> None:
    c = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=REP)
    o = services.handle(
        uow,
        commands.OpenOpportunity(customer_id=c, title="Deal", amount=EUR, at=T0, pipeline=PIPELINE),
        actor=REP,
    )
    services.handle(
        uow, commands.RequestApproval(opportunity_id=o, stage="Negotiate", at=T1), actor=REP
    )
    with pytest.raises(NotFoundError):
        services.handle(
            uow, commands.Approve(opportunity_id=o, at=T1), actor=REP2
        )  # another rep's opportunity: reps do not approve, nor even see it
    services.handle(uow, commands.Approve(opportunity_id=o, at=T1), actor=MANAGER)
    services.handle(
        uow, commands.MoveOpportunity(opportunity_id=o, stage="Negotiate", at=T2), actor=REP
    )
    with uow:
        assert uow.opportunities.get(o).stage_name == "Negotiate"
    services.handle(
        uow, commands.MoveOpportunity(opportunity_id=o, stage="Propose", at=T2), actor=REP
    )
    services.handle(
        uow, commands.RequestApproval(opportunity_id=o, stage="Negotiate", at=T2), actor=MANAGER
    )
    with pytest.raises(PermissionDeniedError, match="they made"):
        services.handle(
            uow, commands.Approve(opportunity_id=o, at=T2), actor=MANAGER
        )  # nobody approves their own request
    services.handle(
        uow, commands.Reject(opportunity_id=o, at=T2, reason="margin too thin"), actor=ADMIN
    )
    with uow:
        assert uow.opportunities.get(o).approval is None


@pytest.mark.parametrize("use_case", ["request_approval", "approve", "reject"])
def test_approvals_need_a_person(uow: InMemoryUnitOfWork, use_case: str) -> None:
    c = services.handle(uow, commands.RegisterProspect(name=NAME, at=T0))
    o = services.handle(
        uow,
        commands.OpenOpportunity(customer_id=c, title="Deal", amount=EUR, at=T0, pipeline=PIPELINE),
    )
    assert o is not None
    command: commands.Command[Any] = {
        "request_approval": commands.RequestApproval(opportunity_id=o, stage="Negotiate", at=T1),
        "approve": commands.Approve(opportunity_id=o, at=T1),
        "reject": commands.Reject(opportunity_id=o, reason="no", at=T1),
    }[use_case]
    with pytest.raises(ValidationError) as caught:
        services.handle(uow, command, actor=None)
    assert caught.value.field == "actor"


def test_bad_actors_and_policies_are_rejected_before_anything_happens(
    uow: InMemoryUnitOfWork,
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor="rep-1")  # type: ignore[arg-type]
    assert caught.value.field == "actor"
    with pytest.raises(ValidationError) as caught:
        services.handle(uow, commands.RegisterProspect(name=NAME, at=T0), actor=REP, policy="open")  # type: ignore[arg-type]
    assert caught.value.field == "policy"
    assert uow.store.snapshot() == InMemoryStore().snapshot()


def test_trusted_calls_are_not_checked(uow: InMemoryUnitOfWork) -> None:
    c = services.handle(
        uow, commands.RegisterProspect(name=NAME, at=T0, owner="rep-1", team="north")
    )
    services.handle(
        uow, commands.LoseCustomer(customer_id=c, reason="gone", at=T1)
    )  # no actor: a batch job
    with uow:
        assert uow.customers.get(c).phase is LifecyclePhase.LOST


def test_a_policy_that_does_not_answer_with_a_decision_is_refused(
    uow: InMemoryUnitOfWork,
) -> None:
    class Sloppy:
        def decide(self, actor: Actor, action: Action, record: Owned) -> bool:
            return True

    c = services.handle(
        uow, commands.RegisterProspect(name=NAME, at=T0, owner="rep-1", team="north")
    )
    with pytest.raises(ValidationError, match="returned a bool, not a Decision") as caught:
        services.handle(
            uow,
            commands.UpdateProfile(customer_id=c, profile=Profile(), at=T1),
            actor=REP,
            policy=Sloppy(),  # type: ignore[arg-type]
        )
    assert caught.value.field == "policy"
    with pytest.raises(ValidationError):
        services.find(uow, RecordKind.CUSTOMER, actor=REP, policy=Sloppy())  # type: ignore[arg-type]
