"""One record of each kind that has an owner and a team, for the permission tests."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pendulum

from crmcore import (
    Campaign,
    CommissionPlan,
    CommissionPlanRecord,
    Complaint,
    Contract,
    Customer,
    Money,
    Opportunity,
    Period,
    Quota,
    RecordKind,
    ServiceContract,
    Territory,
)
from crmcore.domain.ownership import Owned

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
T1 = T0.add(days=1)
EUR = Money.of("100", "EUR")


def customer(**kw: Any) -> Customer:
    return Customer.prospect(customer_id="c1", name="Ada Lovelace", at=T0, **kw)


def opportunity(**kw: Any) -> Opportunity:
    return Opportunity.open(
        opportunity_id="o1", customer_id="c1", title="Deal", amount=EUR, at=T0, **kw
    )


def contract(**kw: Any) -> Contract:
    return Contract.sign(
        contract_id="k1", customer_id="c1", opportunity_id="o1", amount=EUR, at=T0, **kw
    )


def service_contract(**kw: Any) -> ServiceContract:
    kw.setdefault("starts", pendulum.date(2030, 1, 1))
    return ServiceContract.start(
        contract_id="s1",
        customer_id="c1",
        term_months=12,
        auto_renew=True,
        notice_days=30,
        price=EUR,
        at=T0,
        **kw,
    )


def complaint(**kw: Any) -> Complaint:
    return Complaint.receive(
        complaint_id="m1",
        customer_id="c1",
        channel="phone",
        level="normal",
        complainant_type="rational",
        subject="Late",
        at=T0,
        **kw,
    )


def campaign(**kw: Any) -> Campaign:
    return Campaign.plan(
        campaign_id="p1",
        name="Spring mailing",
        channel="e-mail",
        period=(pendulum.date(2030, 3, 1), pendulum.date(2030, 3, 31)),
        budget=Money.of("9000", "EUR"),
        at=T0,
        **kw,
    )


def territory(**kw: Any) -> Territory:
    kw.setdefault("territory_id", "t1")
    return Territory.create(name="North", at=T0, **kw)


def quota(**kw: Any) -> Quota:
    # A quota is for someone: with no owner and no team, for a territory.
    if kw.get("owner") is None and kw.get("team") is None:
        kw.setdefault("territory", "t9")
    return Quota.set(quota_id="q1", target=EUR, period=Period.quarter(2030, 1), at=T0, **kw)


def commission_plan(**kw: Any) -> CommissionPlanRecord:
    plan = CommissionPlan.flat("EUR", Decimal("0.05"))
    return CommissionPlanRecord.define(plan_id="pl1", name="Standard", plan=plan, at=T0, **kw)


BUILDERS: dict[RecordKind, tuple[Callable[..., Owned], str]] = {
    RecordKind.CUSTOMER: (customer, "c1"),
    RecordKind.OPPORTUNITY: (opportunity, "o1"),
    RecordKind.CONTRACT: (contract, "k1"),
    RecordKind.SERVICE_CONTRACT: (service_contract, "s1"),
    RecordKind.COMPLAINT: (complaint, "m1"),
    RecordKind.CAMPAIGN: (campaign, "p1"),
    RecordKind.TERRITORY: (territory, "t1"),
    RecordKind.QUOTA: (quota, "q1"),
    RecordKind.COMMISSION_PLAN: (commission_plan, "pl1"),
}


def record(
    kind: RecordKind, *, owner: str | None, team: str | None, territory: str | None = None
) -> Owned:
    """A fresh record of ``kind`` (no pending events) with that owner, team
    and territory (a territory record lies in itself: ``territory`` is its id,
    ``t1`` by default)."""
    build, _ = BUILDERS[kind]
    if kind is RecordKind.TERRITORY:
        return build(owner=owner, team=team, territory_id=territory or "t1").without_events()
    made = build(owner=owner, team=team).without_events()
    return made if territory is None else attrs.evolve(made, territory=territory)
