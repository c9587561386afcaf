"""One record of each kind that has an owner and a team, for the permission tests."""

from collections.abc import Callable
from typing import Any

import pendulum

from crmcore import (
    Campaign,
    Complaint,
    Contract,
    Customer,
    Money,
    Opportunity,
    RecordKind,
    ServiceContract,
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
    return ServiceContract.start(
        contract_id="s1",
        customer_id="c1",
        starts=pendulum.date(2030, 1, 1),
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


BUILDERS: dict[RecordKind, tuple[Callable[..., Owned], str]] = {
    RecordKind.CUSTOMER: (customer, "c1"),
    RecordKind.OPPORTUNITY: (opportunity, "o1"),
    RecordKind.CONTRACT: (contract, "k1"),
    RecordKind.SERVICE_CONTRACT: (service_contract, "s1"),
    RecordKind.COMPLAINT: (complaint, "m1"),
    RecordKind.CAMPAIGN: (campaign, "p1"),
}


def record(kind: RecordKind, *, owner: str | None, team: str | None) -> Owned:
    """A fresh record of ``kind`` (no pending events) with that owner and team."""
    build, _ = BUILDERS[kind]
    return build(owner=owner, team=team).without_events()
