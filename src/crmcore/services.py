"""Use cases: plain functions over a `UnitOfWork`, each one atomic.

Each function opens the unit of work, does its work and commits; any error
leaves the store exactly as it was. The unit of work and the id of the
aggregate acted on are positional; everything else is keyword-only. Services
never remove aggregates. After a call, ``uow.collect_events()`` hands the
application the events of what was committed.

Permissions: every use case takes ``actor`` and ``policy``. With an `Actor`,
the policy (`crmcore.policy.DEFAULT_POLICY` unless another is given) is asked
about every record the use case reads or changes, before anything is done;
a denial raises `PermissionDeniedError` and changes nothing. ``actor=None``
is a **trusted system call** (batch jobs, migrations, imports): no check at
all. Use it only for code that is not acting for a user.
"""

import datetime as _dt
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from crmcore.domain.complaints import ComplainantType, Complaint, ComplaintLevel, ComplaintStep
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import (
    Channel,
    Customer,
    Direction,
    Interaction,
    LifecyclePhase,
    Profile,
)
from crmcore.domain.fields import check_bool, member
from crmcore.domain.money import Money
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.ownership import Actor, Owned, RecordKind
from crmcore.domain.pipeline import DEFAULT_PIPELINE, Pipeline
from crmcore.errors import PermissionDeniedError, ValidationError
from crmcore.policy import DEFAULT_POLICY, AccessPolicy, Action, Decision
from crmcore.ports import Repository, UnitOfWork

__all__ = [
    "advance_complaint",
    "approve",
    "cancel_contract",
    "close_complaint",
    "compensate_complaint",
    "file_complaint",
    "list_complaints",
    "list_customers",
    "list_opportunities",
    "log_interaction",
    "lose_customer",
    "lose_opportunity",
    "move_opportunity",
    "open_opportunity",
    "reassign",
    "record_delivery",
    "record_payment",
    "register_prospect",
    "reject",
    "renew_service_contract",
    "reopen_opportunity",
    "request_approval",
    "start_service_contract",
    "update_profile",
    "win_back_customer",
    "win_opportunity",
]

R = TypeVar("R", bound=Owned)
R_co = TypeVar("R_co", bound=Owned, covariant=True)


class _Access:
    """The actor and the policy of one call; checks nothing for a trusted call.

    Also checks that ``uow`` looks like a unit of work, so that a wrong
    argument is a `ValidationError` rather than an AttributeError.
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
        self.actor = actor
        self.policy = policy

    def allows(self, actor: Actor, action: Action, record: Owned) -> Decision:
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
            decision = self.allows(self.actor, action, record)
            if not decision.allowed:
                raise PermissionDeniedError(
                    user_id=self.actor.user_id,
                    action=action.value,
                    record_kind=record.record_kind.value,
                    record_id=record.record_id,
                    reason=decision.reason,
                )
        return record

    def get(self, repository: Repository[R], record_id: str, action: Action) -> R:
        """Load a record and check ``action`` on it."""
        return self.check(action, repository.get(record_id))

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


def _approver(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise ValidationError(
            "actor",
            "approvals are made by a person, not by a trusted system call",
            allowed="an Actor",
        )
    return actor


# Customers ------------------------------------------------------------------


def register_prospect(
    uow: UnitOfWork,
    *,
    name: str,
    at: _dt.datetime,
    profile: Profile | None = None,
    owner: str | None = None,
    team: str | None = None,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    """Register a new prospect (phase ACQUISITION); returns its id.

    With an actor and no ``owner``, the actor owns the prospect (see the
    module's notes on permissions).
    """
    access = _Access(uow, actor, policy)
    with uow:
        customer = Customer.prospect(
            customer_id=uow.ids.new_id("cust"),
            name=name,
            at=at,
            profile=profile,
            **access.ownership(owner, team),
        )
        uow.customers.add(access.check(Action.CREATE, customer))
        uow.commit()
        return customer.customer_id


def update_profile(
    uow: UnitOfWork,
    customer_id: str,
    *,
    profile: Profile,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Replace a customer's profile."""
    access = _Access(uow, actor, policy)
    with uow:
        customer = access.get(uow.customers, customer_id, Action.UPDATE)
        uow.customers.save(customer.update_profile(profile, at=at))
        uow.commit()


def log_interaction(
    uow: UnitOfWork,
    customer_id: str,
    *,
    channel: Channel | str,
    direction: Direction | str,
    subject: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Record a contact with the customer (may be logged after the fact)."""
    access = _Access(uow, actor, policy)
    with uow:
        customer = access.get(uow.customers, customer_id, Action.UPDATE)
        interaction = Interaction(channel=channel, direction=direction, at=at, subject=subject)
        uow.customers.save(customer.log_interaction(interaction))
        uow.commit()


def lose_customer(
    uow: UnitOfWork,
    customer_id: str,
    *,
    reason: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Disqualify a prospect or record a churned customer (phase LOST)."""
    access = _Access(uow, actor, policy)
    with uow:
        customer = access.get(uow.customers, customer_id, Action.CLOSE)
        uow.customers.save(customer.lose(at=at, reason=reason))
        uow.commit()


def win_back_customer(
    uow: UnitOfWork,
    customer_id: str,
    *,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Work a lost customer again (back to ACQUISITION)."""
    access = _Access(uow, actor, policy)
    with uow:
        customer = access.get(uow.customers, customer_id, Action.CLOSE)
        uow.customers.save(customer.win_back(at=at))
        uow.commit()


# Opportunities ----------------------------------------------------------------


def _require_workable(
    uow: UnitOfWork, customer_id: str, access: _Access, action: Action
) -> Customer:
    """The customer, if a sale may be worked for it (it exists and is not LOST).

    Reading the customer here also makes a concurrent churn a conflict at commit.
    """
    customer = access.get(uow.customers, customer_id, action)
    customer.check_can_sign()
    return customer


def open_opportunity(
    uow: UnitOfWork,
    *,
    customer_id: str,
    title: str,
    amount: Money,
    at: _dt.datetime,
    pipeline: Pipeline = DEFAULT_PIPELINE,
    expected_close: _dt.date | None = None,
    owner: str | None = None,
    team: str | None = None,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    """Open an opportunity for a customer; returns its id.

    With an actor, the actor must be allowed to read the customer and to
    create the opportunity.

    Raises:
        NotFoundError: the customer does not exist.
        InvalidTransitionError: the customer is LOST (win it back first).
    """
    access = _Access(uow, actor, policy)
    with uow:
        _require_workable(uow, customer_id, access, Action.READ)
        opportunity = Opportunity.open(
            opportunity_id=uow.ids.new_id("opp"),
            customer_id=customer_id,
            title=title,
            amount=amount,
            at=at,
            pipeline=pipeline,
            expected_close=expected_close,
            **access.ownership(owner, team),
        )
        uow.opportunities.add(access.check(Action.CREATE, opportunity))
        uow.commit()
        return opportunity.opportunity_id


def move_opportunity(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    stage: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Move an open opportunity to another open stage.

    Raises:
        InvalidTransitionError: the opportunity is closed, or the stage needs
            an approval that was not granted.
    """
    access = _Access(uow, actor, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.UPDATE)
        uow.opportunities.save(opportunity.move_to(stage, at=at))
        uow.commit()


def win_opportunity(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    """Win an opportunity, sign a contract for its amount and enter it on the
    customer, in one commit; returns the contract id.

    The contract gets the opportunity's owner and team. With an actor, the
    actor must be allowed to close the opportunity, update the customer (its
    phase changes) and create the contract.

    Raises:
        InvalidTransitionError: the opportunity is closed, the customer is
            LOST, or the won stage needs an approval that was not granted.
        ValidationError: the amount is zero (a contract needs a positive amount).
    """
    access = _Access(uow, actor, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.CLOSE)
        customer = _require_workable(uow, opportunity.customer_id, access, Action.UPDATE)
        won = opportunity.win(at=at)
        contract = Contract.sign(
            contract_id=uow.ids.new_id("ctr"),
            customer_id=customer.customer_id,
            opportunity_id=opportunity.opportunity_id,
            amount=won.amount,
            at=at,
            owner=opportunity.owner,
            team=opportunity.team,
        )
        uow.opportunities.save(won)
        uow.contracts.add(access.check(Action.CREATE, contract))
        uow.customers.save(customer.enter_contract(at=at, contract_id=contract.contract_id))
        uow.commit()
        return contract.contract_id


def lose_opportunity(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    reason: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Record a failed sale."""
    access = _Access(uow, actor, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.CLOSE)
        uow.opportunities.save(opportunity.lose(at=at, reason=reason))
        uow.commit()


def reopen_opportunity(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Work a lost opportunity again (back to its last open stage).

    Raises:
        InvalidTransitionError: the opportunity is not lost, or the customer is LOST.
    """
    access = _Access(uow, actor, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.CLOSE)
        _require_workable(uow, opportunity.customer_id, access, Action.READ)
        uow.opportunities.save(opportunity.reopen(at=at))
        uow.commit()


# Approvals ----------------------------------------------------------------------


def request_approval(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    stage: str,
    at: _dt.datetime,
    actor: Actor,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Ask for approval to move an opportunity into a gated stage (action ``update``).

    Raises:
        ValidationError: ``actor`` is None (a request is made by a person), or
            the stage needs no approval.
        InvalidTransitionError: a request is pending already, or the
            opportunity is closed.
    """
    person = _approver(actor)
    access = _Access(uow, person, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.UPDATE)
        uow.opportunities.save(opportunity.request_approval(stage, by=person.user_id, at=at))
        uow.commit()


def approve(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    at: _dt.datetime,
    actor: Actor,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Approve the pending request (action ``approve``: under the default policy a
    sales manager of the record's team, or an admin; never the requester).

    Raises:
        PermissionDeniedError: the policy denies it, or the actor made the request.
        InvalidTransitionError: no request is pending.
    """
    person = _approver(actor)
    access = _Access(uow, person, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.APPROVE)
        uow.opportunities.save(opportunity.approve(by=person.user_id, at=at))
        uow.commit()


def reject(
    uow: UnitOfWork,
    opportunity_id: str,
    *,
    at: _dt.datetime,
    actor: Actor,
    reason: str,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Reject the pending request, with a reason (action ``approve``, like `approve`).

    Raises:
        PermissionDeniedError: the policy denies it, or the actor made the request.
        InvalidTransitionError: no request is pending.
    """
    person = _approver(actor)
    access = _Access(uow, person, policy)
    with uow:
        opportunity = access.get(uow.opportunities, opportunity_id, Action.APPROVE)
        uow.opportunities.save(opportunity.reject(by=person.user_id, at=at, reason=reason))
        uow.commit()


# Contracts ------------------------------------------------------------------------


def _end_on_customer(
    uow: UnitOfWork, contract: Contract, at: _dt.datetime, access: _Access
) -> None:
    customer = access.get(uow.customers, contract.customer_id, Action.UPDATE)
    ended = customer.end_contract(
        at=at, contract_id=contract.contract_id, fulfilled=contract.is_fulfilled
    )
    uow.customers.save(ended)


def record_delivery(
    uow: UnitOfWork,
    contract_id: str,
    *,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Record a delivery; a contract it fulfils ends on the customer in the same
    commit (then the actor must be allowed to update the customer too)."""
    access = _Access(uow, actor, policy)
    with uow:
        contract = access.get(uow.contracts, contract_id, Action.UPDATE).deliver(at=at)
        uow.contracts.save(contract)
        if contract.is_fulfilled:
            _end_on_customer(uow, contract, at, access)
        uow.commit()


def record_payment(
    uow: UnitOfWork,
    contract_id: str,
    *,
    amount: Money,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Record a payment; a contract it fulfils ends on the customer in the same
    commit (then the actor must be allowed to update the customer too)."""
    access = _Access(uow, actor, policy)
    with uow:
        contract = access.get(uow.contracts, contract_id, Action.UPDATE).pay(amount, at=at)
        uow.contracts.save(contract)
        if contract.is_fulfilled:
            _end_on_customer(uow, contract, at, access)
        uow.commit()


def cancel_contract(
    uow: UnitOfWork,
    contract_id: str,
    *,
    reason: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Cancel a contract that is not fulfilled; it ends on the customer (not fulfilled)."""
    access = _Access(uow, actor, policy)
    with uow:
        contract = access.get(uow.contracts, contract_id, Action.CLOSE)
        cancelled = contract.cancel(at=at, reason=reason)
        uow.contracts.save(cancelled)
        _end_on_customer(uow, cancelled, at, access)
        uow.commit()


def start_service_contract(
    uow: UnitOfWork,
    *,
    customer_id: str,
    starts: _dt.date,
    term_months: int,
    auto_renew: bool,
    notice_days: int,
    price: Money,
    at: _dt.datetime,
    owner: str | None = None,
    team: str | None = None,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    """Start a service contract for an existing customer; returns its id."""
    access = _Access(uow, actor, policy)
    with uow:
        access.get(uow.customers, customer_id, Action.READ)
        contract = ServiceContract.start(
            contract_id=uow.ids.new_id("svc"),
            customer_id=customer_id,
            starts=starts,
            term_months=term_months,
            auto_renew=auto_renew,
            notice_days=notice_days,
            price=price,
            at=at,
            **access.ownership(owner, team),
        )
        uow.service_contracts.add(access.check(Action.CREATE, contract))
        uow.commit()
        return contract.contract_id


def renew_service_contract(
    uow: UnitOfWork,
    service_contract_id: str,
    *,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Move a service contract to its next term (the customer's phase is unchanged)."""
    access = _Access(uow, actor, policy)
    with uow:
        contract = access.get(uow.service_contracts, service_contract_id, Action.UPDATE)
        uow.service_contracts.save(contract.renew(at=at))
        uow.commit()


# Complaints ---------------------------------------------------------------------------


def file_complaint(
    uow: UnitOfWork,
    *,
    customer_id: str,
    channel: Channel | str,
    level: ComplaintLevel | str,
    complainant_type: ComplainantType | str,
    subject: str,
    at: _dt.datetime,
    response_target: _dt.timedelta | None = None,
    owner: str | None = None,
    team: str | None = None,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    """File a complaint for an existing customer; returns its id.

    Raises:
        NotFoundError: the customer does not exist.
    """
    access = _Access(uow, actor, policy)
    with uow:
        access.get(uow.customers, customer_id, Action.READ)
        complaint = Complaint.receive(
            complaint_id=uow.ids.new_id("cmp"),
            customer_id=customer_id,
            channel=channel,
            level=level,
            complainant_type=complainant_type,
            subject=subject,
            at=at,
            response_target=response_target,
            **access.ownership(owner, team),
        )
        uow.complaints.add(access.check(Action.CREATE, complaint))
        uow.commit()
        return complaint.complaint_id


def advance_complaint(
    uow: UnitOfWork,
    complaint_id: str,
    *,
    step: ComplaintStep | str,
    at: _dt.datetime,
    note: str = "",
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Move a complaint to its next handling step."""
    access = _Access(uow, actor, policy)
    with uow:
        complaint = access.get(uow.complaints, complaint_id, Action.UPDATE)
        uow.complaints.save(complaint.advance(step, at=at, note=note))
        uow.commit()


def compensate_complaint(
    uow: UnitOfWork,
    complaint_id: str,
    *,
    amount: Money,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Grant compensation on an open complaint."""
    access = _Access(uow, actor, policy)
    with uow:
        complaint = access.get(uow.complaints, complaint_id, Action.UPDATE)
        uow.complaints.save(complaint.compensate(amount, at=at))
        uow.commit()


def close_complaint(
    uow: UnitOfWork,
    complaint_id: str,
    *,
    satisfaction: int,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Thank the customer and close the complaint."""
    access = _Access(uow, actor, policy)
    with uow:
        complaint = access.get(uow.complaints, complaint_id, Action.CLOSE)
        uow.complaints.save(complaint.close(at=at, satisfaction=satisfaction))
        uow.commit()


# Ownership ------------------------------------------------------------------------------


def reassign(
    uow: UnitOfWork,
    kind: RecordKind | str,
    record_id: str,
    *,
    owner: str | None,
    team: str | None,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
    """Give a record another owner and/or team (``None`` unassigns).

    With an actor, the policy must allow ``reassign`` both on the record as it
    is and on the record as it would be: a manager moves records within their
    teams, never out of them (an admin may).

    Args:
        kind: the kind of record (`RecordKind` or its value, ``"customer"`` ...).
    """
    access = _Access(uow, actor, policy)
    record_kind = member(RecordKind, kind, "kind")
    with uow:
        repositories: dict[RecordKind, Repository[Any]] = {
            RecordKind.CUSTOMER: uow.customers,
            RecordKind.OPPORTUNITY: uow.opportunities,
            RecordKind.CONTRACT: uow.contracts,
            RecordKind.SERVICE_CONTRACT: uow.service_contracts,
            RecordKind.COMPLAINT: uow.complaints,
        }
        repository: Repository[Owned] = repositories[record_kind]
        record = access.get(repository, record_id, Action.REASSIGN)
        changed = record.reassign(owner=owner, team=team, at=at)
        repository.save(access.check(Action.REASSIGN, changed))
        uow.commit()


# Queries --------------------------------------------------------------------------------


def _readable(records: tuple[R, ...], access: _Access) -> tuple[R, ...]:
    actor = access.actor
    if actor is None:
        return records
    return tuple(r for r in records if access.allows(actor, Action.READ, r).allowed)


def list_customers(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    phase: LifecyclePhase | str | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> tuple[Customer, ...]:
    """The customers the actor may read (all for ``actor=None``), perhaps only
    those in ``phase``, ordered by id."""
    access = _Access(uow, actor, policy)
    wanted = None if phase is None else member(LifecyclePhase, phase, "phase")
    with uow:
        found = uow.customers.list() if wanted is None else uow.customers.in_phase(wanted)
    return _readable(found, access)


class _Listing(Protocol[R_co]):
    def open(self) -> tuple[R_co, ...]: ...

    def list(self) -> tuple[R_co, ...]: ...


def _listed(
    uow: UnitOfWork,
    repository: Callable[[UnitOfWork], _Listing[R]],
    actor: Actor | None,
    open_only: bool,
    policy: AccessPolicy,
) -> tuple[R, ...]:
    access = _Access(uow, actor, policy)
    only_open = check_bool(open_only, "open_only")
    with uow:
        found = repository(uow).open() if only_open else repository(uow).list()
    return _readable(found, access)


def list_opportunities(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    open_only: bool = False,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> tuple[Opportunity, ...]:
    """The opportunities the actor may read, perhaps only the open ones, ordered by id."""
    return _listed(uow, lambda u: u.opportunities, actor, open_only, policy)


def list_complaints(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    open_only: bool = False,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> tuple[Complaint, ...]:
    """The complaints the actor may read, perhaps only the open ones, ordered by id."""
    return _listed(uow, lambda u: u.complaints, actor, open_only, policy)
