"""Use cases: plain functions over a `UnitOfWork`, each one atomic.

Each function opens the unit of work, does its work and commits; any error
leaves the store exactly as it was. The unit of work and the id of the
aggregate acted on are positional; everything else is keyword-only. Services
never remove aggregates. After a call, ``uow.collect_events()`` hands the
application the events of what was committed.
"""

import datetime as _dt

from crmcore.domain.complaints import ComplainantType, Complaint, ComplaintLevel, ComplaintStep
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Channel, Customer, Direction, Interaction, Profile
from crmcore.domain.money import Money
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.pipeline import DEFAULT_PIPELINE, Pipeline
from crmcore.ports import UnitOfWork

__all__ = [
    "advance_complaint",
    "cancel_contract",
    "close_complaint",
    "compensate_complaint",
    "file_complaint",
    "log_interaction",
    "lose_customer",
    "lose_opportunity",
    "move_opportunity",
    "open_opportunity",
    "record_delivery",
    "record_payment",
    "register_prospect",
    "renew_service_contract",
    "reopen_opportunity",
    "start_service_contract",
    "update_profile",
    "win_back_customer",
    "win_opportunity",
]


def register_prospect(
    uow: UnitOfWork, *, name: str, at: _dt.datetime, profile: Profile | None = None
) -> str:
    """Register a new prospect (phase ACQUISITION); returns its id."""
    with uow:
        customer = Customer.prospect(
            customer_id=uow.ids.new_id("cust"), name=name, at=at, profile=profile
        )
        uow.customers.add(customer)
        uow.commit()
        return customer.customer_id


def update_profile(
    uow: UnitOfWork, customer_id: str, *, profile: Profile, at: _dt.datetime
) -> None:
    """Replace a customer's profile."""
    with uow:
        customer = uow.customers.get(customer_id)
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
) -> None:
    """Record a contact with the customer (may be logged after the fact)."""
    with uow:
        customer = uow.customers.get(customer_id)
        interaction = Interaction(channel=channel, direction=direction, at=at, subject=subject)
        uow.customers.save(customer.log_interaction(interaction))
        uow.commit()


def lose_customer(uow: UnitOfWork, customer_id: str, *, reason: str, at: _dt.datetime) -> None:
    """Disqualify a prospect or record a churned customer (phase LOST)."""
    with uow:
        customer = uow.customers.get(customer_id)
        uow.customers.save(customer.lose(at=at, reason=reason))
        uow.commit()


def win_back_customer(uow: UnitOfWork, customer_id: str, *, at: _dt.datetime) -> None:
    """Work a lost customer again (back to ACQUISITION)."""
    with uow:
        customer = uow.customers.get(customer_id)
        uow.customers.save(customer.win_back(at=at))
        uow.commit()


def _require_workable(uow: UnitOfWork, customer_id: str) -> Customer:
    """The customer, if a sale may be worked for it (it exists and is not LOST).

    Reading the customer here also makes a concurrent churn a conflict at commit.
    """
    customer = uow.customers.get(customer_id)
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
) -> str:
    """Open an opportunity for a customer; returns its id.

    Raises:
        NotFoundError: the customer does not exist.
        InvalidTransitionError: the customer is LOST (win it back first).
    """
    with uow:
        _require_workable(uow, customer_id)
        opportunity = Opportunity.open(
            opportunity_id=uow.ids.new_id("opp"),
            customer_id=customer_id,
            title=title,
            amount=amount,
            at=at,
            pipeline=pipeline,
            expected_close=expected_close,
        )
        uow.opportunities.add(opportunity)
        uow.commit()
        return opportunity.opportunity_id


def move_opportunity(uow: UnitOfWork, opportunity_id: str, *, stage: str, at: _dt.datetime) -> None:
    """Move an open opportunity to another open stage."""
    with uow:
        opportunity = uow.opportunities.get(opportunity_id)
        uow.opportunities.save(opportunity.move_to(stage, at=at))
        uow.commit()


def win_opportunity(uow: UnitOfWork, opportunity_id: str, *, at: _dt.datetime) -> str:
    """Win an opportunity, sign a contract for its amount and enter it on the
    customer, in one commit; returns the contract id.

    Raises:
        InvalidTransitionError: the opportunity is closed, or the customer is LOST.
        ValidationError: the amount is zero (a contract needs a positive amount).
    """
    with uow:
        opportunity = uow.opportunities.get(opportunity_id)
        customer = _require_workable(uow, opportunity.customer_id)
        won = opportunity.win(at=at)
        contract = Contract.sign(
            contract_id=uow.ids.new_id("ctr"),
            customer_id=customer.customer_id,
            opportunity_id=opportunity.opportunity_id,
            amount=won.amount,
            at=at,
        )
        uow.opportunities.save(won)
        uow.contracts.add(contract)
        uow.customers.save(customer.enter_contract(at=at, contract_id=contract.contract_id))
        uow.commit()
        return contract.contract_id


def lose_opportunity(
    uow: UnitOfWork, opportunity_id: str, *, reason: str, at: _dt.datetime
) -> None:
    """Record a failed sale."""
    with uow:
        opportunity = uow.opportunities.get(opportunity_id)
        uow.opportunities.save(opportunity.lose(at=at, reason=reason))
        uow.commit()


def reopen_opportunity(uow: UnitOfWork, opportunity_id: str, *, at: _dt.datetime) -> None:
    """Work a lost opportunity again (back to its last open stage).

    Raises:
        InvalidTransitionError: the opportunity is not lost, or the customer is LOST.
    """
    with uow:
        opportunity = uow.opportunities.get(opportunity_id)
        _require_workable(uow, opportunity.customer_id)
        uow.opportunities.save(opportunity.reopen(at=at))
        uow.commit()


def _end_on_customer(uow: UnitOfWork, contract: Contract, at: _dt.datetime) -> None:
    customer = uow.customers.get(contract.customer_id)
    ended = customer.end_contract(
        at=at, contract_id=contract.contract_id, fulfilled=contract.is_fulfilled
    )
    uow.customers.save(ended)


def record_delivery(uow: UnitOfWork, contract_id: str, *, at: _dt.datetime) -> None:
    """Record a delivery; a contract it fulfils ends on the customer in the same commit."""
    with uow:
        contract = uow.contracts.get(contract_id).deliver(at=at)
        uow.contracts.save(contract)
        if contract.is_fulfilled:
            _end_on_customer(uow, contract, at)
        uow.commit()


def record_payment(uow: UnitOfWork, contract_id: str, *, amount: Money, at: _dt.datetime) -> None:
    """Record a payment; a contract it fulfils ends on the customer in the same commit."""
    with uow:
        contract = uow.contracts.get(contract_id).pay(amount, at=at)
        uow.contracts.save(contract)
        if contract.is_fulfilled:
            _end_on_customer(uow, contract, at)
        uow.commit()


def cancel_contract(uow: UnitOfWork, contract_id: str, *, reason: str, at: _dt.datetime) -> None:
    """Cancel a contract that is not fulfilled; it ends on the customer (not fulfilled)."""
    with uow:
        contract = uow.contracts.get(contract_id).cancel(at=at, reason=reason)
        uow.contracts.save(contract)
        _end_on_customer(uow, contract, at)
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
) -> str:
    """Start a service contract for an existing customer; returns its id."""
    with uow:
        uow.customers.get(customer_id)
        contract = ServiceContract.start(
            contract_id=uow.ids.new_id("svc"),
            customer_id=customer_id,
            starts=starts,
            term_months=term_months,
            auto_renew=auto_renew,
            notice_days=notice_days,
            price=price,
            at=at,
        )
        uow.service_contracts.add(contract)
        uow.commit()
        return contract.contract_id


def renew_service_contract(uow: UnitOfWork, service_contract_id: str, *, at: _dt.datetime) -> None:
    """Move a service contract to its next term (the customer's phase is unchanged)."""
    with uow:
        contract = uow.service_contracts.get(service_contract_id)
        uow.service_contracts.save(contract.renew(at=at))
        uow.commit()


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
) -> str:
    """File a complaint for an existing customer; returns its id.

    Raises:
        NotFoundError: the customer does not exist.
    """
    with uow:
        uow.customers.get(customer_id)
        complaint = Complaint.receive(
            complaint_id=uow.ids.new_id("cmp"),
            customer_id=customer_id,
            channel=channel,
            level=level,
            complainant_type=complainant_type,
            subject=subject,
            at=at,
            response_target=response_target,
        )
        uow.complaints.add(complaint)
        uow.commit()
        return complaint.complaint_id


def advance_complaint(
    uow: UnitOfWork,
    complaint_id: str,
    *,
    step: ComplaintStep | str,
    at: _dt.datetime,
    note: str = "",
) -> None:
    """Move a complaint to its next handling step."""
    with uow:
        complaint = uow.complaints.get(complaint_id)
        uow.complaints.save(complaint.advance(step, at=at, note=note))
        uow.commit()


def compensate_complaint(
    uow: UnitOfWork, complaint_id: str, *, amount: Money, at: _dt.datetime
) -> None:
    """Grant compensation on an open complaint."""
    with uow:
        complaint = uow.complaints.get(complaint_id)
        uow.complaints.save(complaint.compensate(amount, at=at))
        uow.commit()


def close_complaint(
    uow: UnitOfWork, complaint_id: str, *, satisfaction: int, at: _dt.datetime
) -> None:
    """Thank the customer and close the complaint."""
    with uow:
        complaint = uow.complaints.get(complaint_id)
        uow.complaints.save(complaint.close(at=at, satisfaction=satisfaction))
        uow.commit()
