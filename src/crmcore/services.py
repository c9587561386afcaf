"""The application layer: one handling path for every command, and queries.

`handle(uow, command, actor=..., policy=...)` carries a command
(`crmcore.commands`) out in one unit of work and commits; any error leaves
the store exactly as it was. It returns the new id for a creation, the
contract id for `WinOpportunity`, otherwise ``None``. After a call,
``uow.collect_events()`` hands the application the events of what was
committed. `Session` binds a unit of work, an actor and a policy once, for
applications that serve one user per request; `find` pages through the
records an actor may read.

Use cases that change one aggregate are declared as data below
(`SINGLE_RECORD`: the kind, the action the policy must allow, and the call
on the aggregate); use cases that touch several aggregates are explicit
handlers. Permission checks happen in one place, `Guard`: a view of the unit
of work that asks the policy about every record read or written.

Permissions: with an `Actor`, the policy (`crmcore.policy.DEFAULT_POLICY`
unless another is given) is asked about every record the use case reads or
changes, before anything is written; a denial raises `PermissionDeniedError`
and changes nothing, except for a stored record the actor may not even read:
that is answered with `NotFoundError`, as an unknown id is (no existence
oracle). ``actor=None`` is a **trusted system call** (batch jobs,
migrations, imports): no check at all. Use it only for code that is not
acting for a user.
"""

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

import crmcore.commands as c
from crmcore.domain.campaigns import Campaign
from crmcore.domain.commissions import CommissionPlanRecord
from crmcore.domain.complaints import Complaint
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Customer, Interaction
from crmcore.domain.ids import check_id
from crmcore.domain.kinds import REGISTRY, KindSpec, RecordKind, spec_of
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.ownership import Actor, Owned
from crmcore.domain.quotas import Quota, QuotaFor
from crmcore.domain.territories import MAX_DEPTH, Territory
from crmcore.domain.times import to_utc
from crmcore.errors import NotFoundError, PermissionDeniedError, ValidationError
from crmcore.policy import DEFAULT_POLICY, AccessPolicy, Action, Decision
from crmcore.ports import MAX_PAGE, Clock, Filters, Page, UnitOfWork

__all__ = [
    "FUTURE_TOLERANCE",
    "SINGLE_RECORD",
    "Guard",
    "Page",
    "Session",
    "SingleRecord",
    "find",
    "handle",
]

R = TypeVar("R", bound=Owned)
T = TypeVar("T", str, None)
DEFAULT_PAGE = 50
"""The page size of `find` when none is given."""


_REPOSITORIES: dict[type, str] = {}
"""Each aggregate class's repository on a unit of work, asked of the registry
once per class (a record's `record_kind` asks it on every call)."""


def _repository_of(record: Owned) -> str:
    found = _REPOSITORIES[type(record)] = spec_of(record.record_kind).repository
    return found


_NAMED: dict[object, str] = {}
"""Each `RecordKind` member's value → its repository's name (filled on first
use; keyed by the value string, whose hash is cached, not by the member,
whose hash is computed in Python on every lookup)."""


class Guard:
    """A view of a unit of work that asks the policy about every record read or
    written, for one actor (none for a trusted call: no checks).

    Also checks its arguments, so that a wrong one is a `ValidationError`
    rather than an AttributeError.
    """

    def __init__(self, uow: UnitOfWork, actor: Actor | None, policy: AccessPolicy) -> None:
        if not (hasattr(type(uow), "__enter__") and callable(getattr(uow, "commit", None))):
            raise ValidationError(
                "uow",
                f"must be a unit of work, not {type(uow).__name__}",
                allowed="a UnitOfWork such as crmcore.adapters.memory.InMemoryUnitOfWork",
            )
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError(
                "actor",
                f"must be an Actor or None, not {type(actor).__name__}",
                allowed="an Actor, or None for a trusted system call",
            )
        if not callable(getattr(policy, "decide", None)):
            raise ValidationError(
                "policy", "has no decide() method", allowed="an AccessPolicy such as DEFAULT_POLICY"
            )
        self.uow = uow
        self.actor = actor
        self.policy = policy

    @property
    def person(self) -> Actor:
        """The actor, for use cases only a person may carry out (approvals)."""
        if self.actor is None:
            raise ValidationError(
                "actor",
                "approvals are made by a person, not by a trusted system call",
                allowed="an Actor",
            )
        return self.actor

    def decide(self, actor: Actor, action: Action, record: Owned) -> Decision:
        """The policy's decision, checked to be a `Decision`."""
        decision = self.policy.decide(actor, action, record)
        if not isinstance(decision, Decision):
            raise ValidationError(
                "policy",
                f"decide() returned a {type(decision).__name__}, not a Decision",
                allowed="an AccessPolicy whose decide() returns Decision(allowed, reason)",
            )
        return decision

    def check(self, action: Action, record: R) -> R:
        """``record`` if the actor may do ``action`` to it, else `PermissionDeniedError`."""
        if self.actor is not None:
            decision = self.decide(self.actor, action, record)
            if not decision.allowed:
                raise PermissionDeniedError(
                    user_id=self.actor.user_id,
                    action=action.value,
                    record_kind=record.record_kind.value,
                    record_id=record.record_id,
                    reason=decision.reason,
                )
        return record

    def get(self, kind: RecordKind | str, record_id: str, action: Action) -> Any:
        """Load a record and check ``action`` on it.

        A record the actor may not even read is answered as missing
        (`NotFoundError`, the same error and message as for an id that does
        not exist), so that errors do not tell whether an id exists in
        another team. A record the actor may read but not change gives
        `PermissionDeniedError`.
        """
        name = _NAMED.get(kind._value_) if type(kind) is RecordKind else None
        if name is None:  # a kind given by its value, or a first lookup (unknown: refused)
            spec = spec_of(kind)
            name = _NAMED[spec.kind.value] = spec.repository
        record: Owned = getattr(self.uow, name).get(record_id)
        if self.actor is None:  # a trusted call: nothing to ask
            return record
        if not self.decide(self.actor, Action.READ, record).allowed:
            raise NotFoundError(spec_of(record.record_kind).label, record_id)
        return self.check(action, record)

    def add(self, record: R) -> R:
        """Check ``create`` on a new record and add it."""
        if self.actor is not None:
            self.check(Action.CREATE, record)
        name = _REPOSITORIES.get(type(record)) or _repository_of(record)
        added: R = getattr(self.uow, name).add(record)
        return added

    def save(self, record: R) -> R:
        """Save a changed record (its action was checked when it was loaded)."""
        name = _REPOSITORIES.get(type(record)) or _repository_of(record)
        saved: R = getattr(self.uow, name).save(record)
        return saved

    def ownership(self, owner: str | None, team: str | None) -> dict[str, str | None]:
        """The owner and team of a record the actor creates.

        With an actor and no owner, the actor owns it; with no team, the team
        is the actor's only team (an actor in several teams must name one).
        """
        if self.actor is None:
            return {"owner": owner, "team": team}
        if team is None and len(self.actor.teams) > 1:
            raise ValidationError(
                "team",
                "must be named: the actor is in several teams",
                allowed=", ".join(sorted(self.actor.teams)),
            )
        if team is None and self.actor.teams:
            (team,) = self.actor.teams
        return {"owner": self.actor.user_id if owner is None else owner, "team": team}

    def new_id(self, prefix: str) -> str:
        """A new record id from the unit of work's generator."""
        return self.uow.ids.new_id(prefix)


# Use cases on one record, as data ------------------------------------------------------


@attrs.frozen
class SingleRecord:
    """A use case that loads one record, checks one action and calls one method.

    Attributes:
        kind: the kind of record the command names.
        target: the command's field holding the record's id.
        action: what the policy must allow on the record.
        call: the new state, from the record, the command and the guard.
        person_only: only a person may carry it out (approvals): a trusted
            call (no actor) is refused before anything is read.
    """

    kind: RecordKind
    target: str
    action: Action
    call: Callable[[Any, Any, Guard], Any]
    person_only: bool = False


_CU, _OP, _CO, _SC, _CM, _CA, _TE, _QU = (
    RecordKind.CUSTOMER,
    RecordKind.OPPORTUNITY,
    RecordKind.CONTRACT,
    RecordKind.SERVICE_CONTRACT,
    RecordKind.COMPLAINT,
    RecordKind.CAMPAIGN,
    RecordKind.TERRITORY,
    RecordKind.QUOTA,
)

SINGLE_RECORD: Mapping[type[c.Command[None]], SingleRecord] = {
    c.UpdateProfile: SingleRecord(
        _CU, "customer_id", Action.UPDATE, lambda r, k, _: r.update_profile(k.profile, at=k.at)
    ),
    c.LogInteraction: SingleRecord(
        _CU,
        "customer_id",
        Action.UPDATE,
        lambda r, k, _: r.log_interaction(
            Interaction(channel=k.channel, direction=k.direction, at=k.at, subject=k.subject)
        ),
    ),
    c.LoseCustomer: SingleRecord(
        _CU, "customer_id", Action.CLOSE, lambda r, k, _: r.lose(at=k.at, reason=k.reason)
    ),
    c.WinBackCustomer: SingleRecord(
        _CU, "customer_id", Action.CLOSE, lambda r, k, _: r.win_back(at=k.at)
    ),
    c.MoveOpportunity: SingleRecord(
        _OP, "opportunity_id", Action.UPDATE, lambda r, k, _: r.move_to(k.stage, at=k.at)
    ),
    c.LoseOpportunity: SingleRecord(
        _OP, "opportunity_id", Action.CLOSE, lambda r, k, _: r.lose(at=k.at, reason=k.reason)
    ),
    c.RequestApproval: SingleRecord(
        _OP,
        "opportunity_id",
        Action.UPDATE,
        lambda r, k, g: r.request_approval(k.stage, by=g.person.user_id, at=k.at),
        person_only=True,
    ),
    c.Approve: SingleRecord(
        _OP,
        "opportunity_id",
        Action.APPROVE,
        lambda r, k, g: r.approve(by=g.person.user_id, at=k.at),
        person_only=True,
    ),
    c.Reject: SingleRecord(
        _OP,
        "opportunity_id",
        Action.APPROVE,
        lambda r, k, g: r.reject(by=g.person.user_id, at=k.at, reason=k.reason),
        person_only=True,
    ),
    c.RenewServiceContract: SingleRecord(
        _SC, "service_contract_id", Action.UPDATE, lambda r, k, _: r.renew(at=k.at)
    ),
    c.AdvanceComplaint: SingleRecord(
        _CM,
        "complaint_id",
        Action.UPDATE,
        lambda r, k, _: r.advance(k.step, at=k.at, note=k.note),
    ),
    c.CompensateComplaint: SingleRecord(
        _CM, "complaint_id", Action.UPDATE, lambda r, k, _: r.compensate(k.amount, at=k.at)
    ),
    c.CloseComplaint: SingleRecord(
        _CM,
        "complaint_id",
        Action.CLOSE,
        lambda r, k, _: r.close(at=k.at, satisfaction=k.satisfaction),
    ),
    c.ActivateCampaign: SingleRecord(
        _CA, "campaign_id", Action.UPDATE, lambda r, k, _: r.activate(at=k.at)
    ),
    c.CompleteCampaign: SingleRecord(
        _CA, "campaign_id", Action.CLOSE, lambda r, k, _: r.complete(at=k.at)
    ),
    c.AbortCampaign: SingleRecord(
        _CA, "campaign_id", Action.CLOSE, lambda r, k, _: r.abort(at=k.at)
    ),
    c.SetCampaignMemberStatus: SingleRecord(
        _CA,
        "campaign_id",
        Action.UPDATE,
        lambda r, k, _: r.set_member_status(k.customer_id, k.status, at=k.at),
    ),
    c.RecordCampaignCost: SingleRecord(
        _CA, "campaign_id", Action.UPDATE, lambda r, k, _: r.record_cost(k.amount, at=k.at)
    ),
    c.RefundPayment: SingleRecord(
        _CO, "contract_id", Action.UPDATE, lambda r, k, _: r.refund(k.amount, at=k.at)
    ),
    c.RenameTerritory: SingleRecord(
        _TE, "territory_id", Action.UPDATE, lambda r, k, _: r.rename(k.name, at=k.at)
    ),
    c.SetTerritoryRules: SingleRecord(
        _TE, "territory_id", Action.UPDATE, lambda r, k, _: r.set_rules(k.rules, at=k.at)
    ),
    c.ReplaceQuota: SingleRecord(
        _QU, "quota_id", Action.UPDATE, lambda r, k, _: r.replace_target(k.target, at=k.at)
    ),
}
"""The use cases on one record: command class → what to load, check and call."""


def _single(guard: Guard, command: c.Command[None]) -> None:
    declared = SINGLE_RECORD[type(command)]
    if declared.person_only:
        guard.person  # noqa: B018 - refuses a trusted call before anything is read
    record = guard.get(declared.kind, getattr(command, declared.target), declared.action)
    guard.save(declared.call(record, command, guard))


# Use cases on several records ----------------------------------------------------------


def _workable(guard: Guard, customer_id: str, action: Action) -> Customer:
    """The customer, if a sale may be worked for it (it exists and is not LOST).

    Reading the customer here also makes a concurrent churn a conflict at commit.
    """
    customer: Customer = guard.get(_CU, customer_id, action)
    customer.check_can_sign()
    return customer


def _in_territory_of(record: R, customer: Customer) -> R:
    """A new record for ``customer``, in the customer's territory (so that the
    territory's managers see it)."""
    if customer.territory is None:
        return record
    return attrs.evolve(record, territory=customer.territory)


def _register_prospect(guard: Guard, k: c.RegisterProspect) -> str:
    customer = Customer.prospect(
        customer_id=guard.new_id("cust"),
        name=k.name,
        at=k.at,
        profile=k.profile,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(customer).customer_id


def _open_opportunity(guard: Guard, k: c.OpenOpportunity) -> str:
    customer = _workable(guard, k.customer_id, Action.READ)
    if k.campaign_id is not None:
        guard.get(_CA, k.campaign_id, Action.READ)  # it exists, and the actor may see it
    opportunity = Opportunity.open(
        opportunity_id=guard.new_id("opp"),
        customer_id=k.customer_id,
        title=k.title,
        amount=k.amount,
        at=k.at,
        pipeline=k.pipeline,
        expected_close=k.expected_close,
        campaign_id=k.campaign_id,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(_in_territory_of(opportunity, customer)).opportunity_id


def _win_opportunity(guard: Guard, k: c.WinOpportunity) -> str:
    opportunity: Opportunity = guard.get(_OP, k.opportunity_id, Action.CLOSE)
    customer = _workable(guard, opportunity.customer_id, Action.UPDATE)
    won = opportunity.win(at=k.at)
    contract = Contract.sign(
        contract_id=guard.new_id("ctr"),
        customer_id=customer.customer_id,
        opportunity_id=opportunity.opportunity_id,
        amount=won.amount,
        at=k.at,
        owner=opportunity.owner,
        team=opportunity.team,
        territory=opportunity.territory,
        margin=k.margin,
    )
    guard.save(won)
    guard.add(contract)
    guard.save(customer.enter_contract(at=k.at, contract_id=contract.contract_id))
    return contract.contract_id


def _reopen_opportunity(guard: Guard, k: c.ReopenOpportunity) -> None:
    opportunity: Opportunity = guard.get(_OP, k.opportunity_id, Action.CLOSE)
    _workable(guard, opportunity.customer_id, Action.READ)
    guard.save(opportunity.reopen(at=k.at))


def _end_on_customer(guard: Guard, contract: Contract, k: c.Command[None]) -> None:
    customer: Customer = guard.get(_CU, contract.customer_id, Action.UPDATE)
    guard.save(
        customer.end_contract(
            at=k.at, contract_id=contract.contract_id, fulfilled=contract.is_fulfilled
        )
    )


def _record_delivery(guard: Guard, k: c.RecordDelivery) -> None:
    contract: Contract = guard.get(RecordKind.CONTRACT, k.contract_id, Action.UPDATE)
    delivered = guard.save(contract.deliver(at=k.at))
    if delivered.is_fulfilled:
        _end_on_customer(guard, delivered, k)


def _record_payment(guard: Guard, k: c.RecordPayment) -> None:
    contract: Contract = guard.get(RecordKind.CONTRACT, k.contract_id, Action.UPDATE)
    paid = guard.save(contract.pay(k.amount, at=k.at))
    if paid.is_fulfilled:
        _end_on_customer(guard, paid, k)


def _cancel_contract(guard: Guard, k: c.CancelContract) -> None:
    contract: Contract = guard.get(RecordKind.CONTRACT, k.contract_id, Action.CLOSE)
    cancelled = guard.save(contract.cancel(at=k.at, reason=k.reason))
    _end_on_customer(guard, cancelled, k)


def _start_service_contract(guard: Guard, k: c.StartServiceContract) -> str:
    # a LOST customer is won back before it signs anything, service contracts included
    customer = _workable(guard, k.customer_id, Action.READ)
    contract = ServiceContract.start(
        contract_id=guard.new_id("svc"),
        customer_id=k.customer_id,
        starts=k.starts,
        term_months=k.term_months,
        auto_renew=k.auto_renew,
        notice_days=k.notice_days,
        price=k.price,
        at=k.at,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(_in_territory_of(contract, customer)).contract_id


def _file_complaint(guard: Guard, k: c.FileComplaint) -> str:
    customer: Customer = guard.get(_CU, k.customer_id, Action.READ)
    complaint = Complaint.receive(
        complaint_id=guard.new_id("cmp"),
        customer_id=k.customer_id,
        channel=k.channel,
        level=k.level,
        complainant_type=k.complainant_type,
        subject=k.subject,
        at=k.at,
        response_target=k.response_target,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(_in_territory_of(complaint, customer)).complaint_id


def _set_opportunity_campaign(guard: Guard, k: c.SetOpportunityCampaign) -> None:
    opportunity: Opportunity = guard.get(_OP, k.opportunity_id, Action.UPDATE)
    if k.campaign_id is not None:
        guard.get(_CA, k.campaign_id, Action.READ)
    guard.save(opportunity.set_campaign(k.campaign_id, at=k.at))


def _plan_campaign(guard: Guard, k: c.PlanCampaign) -> str:
    campaign = Campaign.plan(
        campaign_id=guard.new_id("camp"),
        name=k.name,
        channel=k.channel,
        period=k.period,
        budget=k.budget,
        at=k.at,
        expected_response=k.expected_response,
        expected_revenue=k.expected_revenue,
        statuses=k.statuses,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(campaign).campaign_id


def _add_campaign_members(guard: Guard, k: c.AddCampaignMembers) -> None:
    campaign: Campaign = guard.get(_CA, k.campaign_id, Action.UPDATE)
    for customer_id in k.customer_ids:
        guard.get(_CU, customer_id, Action.READ)  # each exists, and the actor may see it
    guard.save(campaign.add_members(k.customer_ids, at=k.at))


def _depth_below(guard: Guard, territory_id: str | None, moving: str | None) -> int:
    """How many levels ``territory_id`` lies below its root (``-1`` for None);
    refuses a chain that passes through ``moving`` (a cycle). Read without
    permission checks: only the tree's shape is used."""
    repository = guard.uow.repository(_TE)
    depth, current = -1, territory_id
    while current is not None:
        if current == moving:
            raise ValidationError(
                "parent_id",
                "is the territory or one of its descendants",
                allowed="a territory outside the one moved and its subtree, or None",
            )
        depth += 1
        if depth > MAX_DEPTH:
            break
        current = repository.get(current).parent_id
    return depth


def _height(guard: Guard, territory_id: str) -> int:
    """How many levels of descendants ``territory_id`` has (0 for a leaf)."""
    level, frontier = 0, [territory_id]
    while level <= MAX_DEPTH:
        children = guard.uow.select(_TE, {"parent_id": frontier})
        if not children:
            return level
        level += 1
        frontier = [child.territory_id for child in children]
    return level


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValidationError(
            "parent_id", "would make the tree too deep", allowed=f"at most {MAX_DEPTH} levels"
        )


def _create_territory(guard: Guard, k: c.CreateTerritory) -> str:
    if k.parent_id is not None:
        guard.get(_TE, k.parent_id, Action.READ)  # it exists, and the actor may see it
    _check_depth(_depth_below(guard, k.parent_id, None) + 1)
    territory = Territory.create(
        territory_id=guard.new_id("terr"),
        name=k.name,
        parent_id=k.parent_id,
        rules=k.rules,
        at=k.at,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(territory).territory_id


def _move_territory(guard: Guard, k: c.MoveTerritory) -> None:
    territory: Territory = guard.get(_TE, k.territory_id, Action.UPDATE)
    if k.parent_id is not None:
        guard.get(_TE, k.parent_id, Action.READ)
    depth = _depth_below(guard, k.parent_id, territory.territory_id) + 1
    _check_depth(depth + _height(guard, territory.territory_id))
    guard.save(territory.move(k.parent_id, at=k.at))


def _assign_territory(guard: Guard, k: c.AssignTerritory) -> None:
    customer: Customer = guard.get(_CU, k.customer_id, Action.REASSIGN)
    if k.territory_id is not None:
        guard.get(_TE, k.territory_id, Action.READ)
    moved = customer.move_to_territory(k.territory_id, at=k.at)
    guard.save(guard.check(Action.REASSIGN, moved))
    # The customer's records follow it: their territory mirrors the customer's.
    for spec in (s for s in REGISTRY.values() if "customer_id" in s.indexed):
        for record in guard.uow.select(spec.kind, {"customer_id": k.customer_id}):
            if record.territory != k.territory_id:
                guard.save(record.move_to_territory(k.territory_id, at=k.at))


def _set_quota(guard: Guard, k: c.SetQuota) -> str:
    if k.territory is not None:
        guard.get(_TE, k.territory, Action.READ)
    quota = Quota.set(
        quota_id=guard.new_id("quota"),
        target=k.target,
        period=k.period,
        at=k.at,
        owner=k.owner,
        team=k.team,
        territory=k.territory,
    )
    same: dict[str, object] = {
        "period": quota.period,
        "owner": quota.owner,
        "territory": quota.territory,
    }
    if quota.quota_for is QuotaFor.TEAM:
        same["team"] = quota.team
    guard.check(Action.CREATE, quota)  # before the duplicate check: no existence oracle
    if guard.uow.select(_QU, same, limit=1):
        raise ValidationError(
            "period",
            f"already has a quota for this {quota.quota_for.value}",
            allowed="another period, or ReplaceQuota to change the target",
        )
    return guard.add(quota).quota_id


def _define_commission_plan(guard: Guard, k: c.DefineCommissionPlan) -> str:
    record = CommissionPlanRecord.define(
        plan_id=guard.new_id("plan"),
        name=k.name,
        plan=k.plan,
        at=k.at,
        **guard.ownership(k.owner, k.team),
    )
    return guard.add(record).plan_id


def _reassign(guard: Guard, k: c.Reassign) -> None:
    record: Owned = guard.get(k.kind, k.record_id, Action.REASSIGN)
    changed = record.reassign(owner=k.owner, team=k.team, at=k.at)
    guard.save(guard.check(Action.REASSIGN, changed))


_HANDLERS: Mapping[type[c.Command[Any]], Callable[[Guard, Any], str | None]] = {
    **dict.fromkeys(SINGLE_RECORD, _single),
    c.RegisterProspect: _register_prospect,
    c.OpenOpportunity: _open_opportunity,
    c.WinOpportunity: _win_opportunity,
    c.ReopenOpportunity: _reopen_opportunity,
    c.RecordDelivery: _record_delivery,
    c.RecordPayment: _record_payment,
    c.CancelContract: _cancel_contract,
    c.StartServiceContract: _start_service_contract,
    c.FileComplaint: _file_complaint,
    c.Reassign: _reassign,
    c.SetOpportunityCampaign: _set_opportunity_campaign,
    c.PlanCampaign: _plan_campaign,
    c.AddCampaignMembers: _add_campaign_members,
    c.CreateTerritory: _create_territory,
    c.MoveTerritory: _move_territory,
    c.AssignTerritory: _assign_territory,
    c.SetQuota: _set_quota,
    c.DefineCommissionPlan: _define_commission_plan,
}


FUTURE_TOLERANCE = _dt.timedelta(minutes=5)
"""How far a command's ``at`` may lie ahead of the clock by default (clock
skew between machines)."""


def _tolerance(value: object) -> _dt.timedelta | None:
    if value is not None and (type(value) is not _dt.timedelta or value < _dt.timedelta(0)):
        raise ValidationError(
            "future_tolerance",
            "must be a timedelta of zero or more, or None",
            allowed="for example timedelta(minutes=5); None switches the check off",
        )
    return value


def _clock(value: object) -> Clock | None:
    if value is not None and not callable(getattr(value, "now", None)):
        raise ValidationError(
            "clock", f"has no now() method ({type(value).__name__})", allowed="a Clock or None"
        )
    return value  # type: ignore[return-value]  # it has now()


def _check_time(
    uow: UnitOfWork, at: _dt.datetime, clock: Clock | None, tolerance: _dt.timedelta | None
) -> None:
    """Refuse a command from the future: one typo (3030 for 2030) would
    otherwise lock its record, since no later command may go back in time."""
    limit = tolerance if tolerance is FUTURE_TOLERANCE else _tolerance(tolerance)
    if limit is None:
        return
    source: Any = clock if clock is not None else getattr(uow, "clock", None)
    try:
        reading = source.now()
    except (AttributeError, TypeError):
        if callable(getattr(source, "now", None)):
            raise  # the clock's own failure, not a missing clock
        _clock(source)  # refuses what is not a clock
        raise ValidationError(
            "clock",
            "is needed to check that the command is not from the future, and the unit of "
            "work has none",
            allowed="a Clock (clock=...), or future_tolerance=None for imports and replays",
        ) from None
    now = to_utc(reading, "clock")
    # at > now + limit, as at - now > limit: datetime's own subtraction gives a
    # plain timedelta (now + limit would build a pendulum instance, 4 times
    # the cost), and cannot overflow, however large the tolerance
    if _dt.datetime.__sub__(at, now) > limit:
        raise ValidationError(
            "at",
            f"is {at.isoformat()}, later than the clock's {now.isoformat()} plus the "
            f"tolerance of {limit}",
            allowed="an instant up to now plus future_tolerance (None switches the check "
            "off for imports and replays)",
        )


def handle(
    uow: UnitOfWork,
    command: c.Command[T],
    *,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
    clock: Clock | None = None,
    future_tolerance: _dt.timedelta | None = FUTURE_TOLERANCE,
) -> T:
    """Carry ``command`` out in one unit of work, and commit.

    A command whose ``at`` lies more than ``future_tolerance`` after the
    clock's now is refused before anything is read: a record changed in
    the future (a typo: 3030 for 2030) would refuse every later command with
    a real time, since records never go back in time.

    Args:
        uow: the unit of work (not open: `handle` opens and closes it).
        command: a command from `crmcore.commands`.
        actor: who acts; ``None`` for a trusted system call (no permission checks).
        policy: the access policy asked about every record read or written.
        clock: where now comes from; by default the unit of work's clock
            (the system clock, unless the unit of work was given another).
        future_tolerance: how far ``at`` may lie ahead of now (default 5
            minutes); ``None`` switches the check off (imports, replays).

    Returns:
        The new id for `RegisterProspect`, `OpenOpportunity`,
        `StartServiceContract`, `FileComplaint`, `PlanCampaign`,
        `CreateTerritory`, `SetQuota` and `DefineCommissionPlan`; the contract
        id for `WinOpportunity`; otherwise ``None``.

    Raises:
        ValidationError: not a command, a bad ``uow``, ``actor``, ``policy``,
            ``clock`` or ``future_tolerance``, an ``at`` from the future, or
            a value the domain refuses.
        NotFoundError: a record the command names does not exist.
        PermissionDeniedError: the policy denies the actor something (a record
            the actor may not read at all is a `NotFoundError`).
        InvalidTransitionError: the command is not allowed in the record's state.
        ConcurrencyError: another unit of work changed a record this one read.
    """
    guard = Guard(uow, actor, policy)
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise ValidationError(
            "command",
            f"must be a crmcore command, not {type(command).__name__}",
            allowed="a command from crmcore.commands",
        )
    _check_time(uow, command.at, clock, future_tolerance)
    with uow:
        result = handler(guard, command)
        uow.commit()
    return result  # type: ignore[return-value]  # the table pairs each command with its handler


# Queries ---------------------------------------------------------------------------------


def _pushdown(guard: Guard, spec: KindSpec[Any]) -> Filters | None:
    """Filters that select a superset of what the actor may read, if the policy
    can say (``None``: it cannot, so every record is asked about)."""
    if guard.actor is None:
        return {}
    scope_filter = getattr(guard.policy, "read_filter", None)
    if not callable(scope_filter):
        return None
    found = scope_filter(guard.actor, spec.kind)
    return None if found is None else spec.check_where(found)


def _merge(first: Filters, second: Filters) -> Filters:
    merged = dict(first)
    for name, values in second.items():
        merged[name] = merged[name] & values if name in merged else values
    return merged


def find(
    uow: UnitOfWork,
    kind: RecordKind | str,
    *,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
    limit: int = DEFAULT_PAGE,
    after: str | None = None,
    **where: Any,
) -> Page[Any]:
    """One page of the records of ``kind`` that match ``where`` and that the
    actor may read, ordered by id (keyset paging).

    Pass the page's ``next_cursor`` as ``after`` for the next page: no record
    that exists throughout is lost or repeated, also when others are added
    or removed between pages (a record added between pages appears if its id
    sorts after the cursor).

    With the default policy the actor's scope is pushed down to storage as
    filters (own: ``owner`` and ``team``; team: ``team``); any policy is
    still asked about every record (so a custom policy that cannot be pushed
    down is honoured by filtering afterwards).

    Args:
        uow: the unit of work (not open: `find` opens and closes it).
        kind: the kind of record (`RecordKind` or its value).
        actor: who reads; ``None`` for a trusted call (every record).
        policy: the access policy.
        limit: the page size, 1 to `crmcore.ports.MAX_PAGE` (default 50).
        after: the cursor from the previous page, or ``None`` for the first.
        **where: indexed field → value, or a set of values (see
            `crmcore.domain.kinds.REGISTRY` for each kind's indexed fields).

    Raises:
        ValidationError: an unknown kind or field, a bad value, limit or cursor.
    """
    guard = Guard(uow, actor, policy)
    spec = spec_of(kind)
    filters = spec.check_where(where)
    if type(limit) is not int or not 1 <= limit <= MAX_PAGE:
        raise ValidationError("limit", "is out of range", allowed=f"an int from 1 to {MAX_PAGE}")
    cursor = None if after is None else check_id(after, "after")
    pushed = _pushdown(guard, spec)
    query = filters if pushed is None else _merge(filters, pushed)
    if any(not values for values in query.values()):
        return Page((), None)
    items: list[Any] = []
    with uow:
        while len(items) <= limit:
            batch = uow.select(spec.kind, query, limit=limit + 1, after=cursor)
            actor_ = guard.actor
            items.extend(
                record
                for record in batch
                if actor_ is None or guard.decide(actor_, Action.READ, record).allowed
            )
            if len(batch) <= limit:
                break
            cursor = spec.record_id(batch[-1])
    page = tuple(items[:limit])
    return Page(page, spec.record_id(page[-1]) if len(items) > limit else None)


class Session:
    """A unit of work, an actor and a policy bound once (one user per request).

    Example::

        session = Session(uow, actor=rep)
        customer_id = session.handle(RegisterProspect(name="Lan", at=t0))
        page = session.find(RecordKind.OPPORTUNITY, customer_id=customer_id)
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        actor: Actor | None = None,
        policy: AccessPolicy = DEFAULT_POLICY,
        clock: Clock | None = None,
        future_tolerance: _dt.timedelta | None = FUTURE_TOLERANCE,
    ) -> None:
        Guard(uow, actor, policy)  # checks the arguments now
        self.uow = uow
        self.actor = actor
        self.policy = policy
        self.clock = _clock(clock)
        self.future_tolerance = _tolerance(future_tolerance)

    def handle(self, command: c.Command[T]) -> T:
        """`handle` the command with this session's unit of work, actor,
        policy, clock and future tolerance."""
        return handle(
            self.uow,
            command,
            actor=self.actor,
            policy=self.policy,
            clock=self.clock,
            future_tolerance=self.future_tolerance,
        )

    def find(
        self,
        kind: RecordKind | str,
        *,
        limit: int = DEFAULT_PAGE,
        after: str | None = None,
        **where: Any,
    ) -> Page[Any]:
        """`find` with this session's unit of work, actor and policy."""
        return find(
            self.uow, kind, actor=self.actor, policy=self.policy, limit=limit, after=after, **where
        )

    def collect_events(self) -> list[Any]:
        """The events of the commands handled so far (drained)."""
        return self.uow.collect_events()
