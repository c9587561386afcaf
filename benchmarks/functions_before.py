"""The use-case functions as they were before commands (`crmcore.services` at
commit 83479b6, when #18 was filed): the baseline of the bench case "handle vs
the use-case functions before commands".

#18 asks that `services.handle` add at most 10 % over "today's function
calls". These are those calls, copied with their argument and permission
checks (`_Access`), for the nine use cases of a customer's life; only the
imports changed (the domain modules were split by #18). They are not part of
crmcore.
"""

import datetime as _dt
from typing import TypeVar

from crmcore import Actor, Contract, Customer, Interaction, Money, Opportunity
from crmcore.errors import PermissionDeniedError, ValidationError
from crmcore.policy import DEFAULT_POLICY, AccessPolicy, Action, Decision
from crmcore.ports import Repository, UnitOfWork

R = TypeVar("R")


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

    def allows(self, actor: Actor, action: Action, record: object) -> Decision:
        """The policy's decision, checked to be a `Decision`."""
        decision = self.policy.decide(actor, action, record)  # type: ignore[arg-type]
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
                    record_kind=record.record_kind.value,  # type: ignore[attr-defined]
                    record_id=record.record_id,  # type: ignore[attr-defined]
                    reason=decision.reason,
                )
        return record

    def get(self, repository: Repository[R], record_id: str, action: Action) -> R:  # type: ignore[type-var]
        """Load a record and check ``action`` on it."""
        return self.check(action, repository.get(record_id))

    def ownership(self, owner: str | None, team: str | None) -> dict[str, str | None]:
        """The owner and team of a record the actor creates."""
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


def register_prospect(
    uow: UnitOfWork,
    *,
    name: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    access = _Access(uow, actor, policy)
    with uow:
        customer = Customer.prospect(
            customer_id=uow.ids.new_id("cust"), name=name, at=at, **access.ownership(None, None)
        )
        uow.customers.add(access.check(Action.CREATE, customer))
        uow.commit()
        return customer.customer_id


def log_interaction(
    uow: UnitOfWork,
    customer_id: str,
    *,
    channel: str,
    direction: str,
    subject: str,
    at: _dt.datetime,
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> None:
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
    access = _Access(uow, actor, policy)
    with uow:
        customer = access.get(uow.customers, customer_id, Action.CLOSE)
        uow.customers.save(customer.win_back(at=at))
        uow.commit()


def _require_workable(
    uow: UnitOfWork, customer_id: str, access: _Access, action: Action
) -> Customer:
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
    actor: Actor | None = None,
    policy: AccessPolicy = DEFAULT_POLICY,
) -> str:
    access = _Access(uow, actor, policy)
    with uow:
        _require_workable(uow, customer_id, access, Action.READ)
        opportunity = Opportunity.open(
            opportunity_id=uow.ids.new_id("opp"),
            customer_id=customer_id,
            title=title,
            amount=amount,
            at=at,
            **access.ownership(None, None),
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
    access = _Access(uow, actor, policy)
    with uow:
        contract = access.get(uow.contracts, contract_id, Action.UPDATE).pay(amount, at=at)
        uow.contracts.save(contract)
        if contract.is_fulfilled:
            _end_on_customer(uow, contract, at, access)
        uow.commit()
