"""Bad input to the repositories raises CrmErrors and changes nothing."""

import pendulum
import pytest

from crmcore import Money, Opportunity, ValidationError
from crmcore.adapters.memory import InMemoryUnitOfWork
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def test_a_repository_refuses_other_types() -> None:
    opportunity = Opportunity.open(
        opportunity_id="o", customer_id="c", title="t", amount=Money.of("1", "EUR"), at=T0
    )
    with InMemoryUnitOfWork(clock=LATER) as uow:
        with pytest.raises(ValidationError, match="stores Customer values, not Opportunity"):
            uow.customers.add(opportunity)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="stores Customer values"):
            uow.customers.save(Money.of("1", "EUR"))  # type: ignore[arg-type]
        assert uow.customers.list() == ()


@pytest.mark.parametrize("bad", ["", "a b", 5, None, "x" * 129])
def test_malformed_ids_are_validation_errors_and_never_contained(bad: object) -> None:
    with InMemoryUnitOfWork(clock=LATER) as uow:
        assert bad not in uow.customers
        with pytest.raises(ValidationError) as caught:
            uow.customers.get(bad)  # type: ignore[arg-type]
        assert caught.value.field == "record_id"
        with pytest.raises(ValidationError):
            uow.opportunities.for_customer(bad)  # type: ignore[arg-type]


def test_in_phase_rejects_unknown_phases() -> None:
    with InMemoryUnitOfWork(clock=LATER) as uow, pytest.raises(ValidationError, match="phase"):
        uow.customers.in_phase("gone")


def test_each_repository_knows_its_kind() -> None:
    from crmcore import RecordKind
    from crmcore.adapters.memory import InMemoryUnitOfWork

    uow = InMemoryUnitOfWork(clock=LATER)
    assert [uow.repository(kind).kind for kind in RecordKind] == list(RecordKind)
    # by value too (the command line and the contract kit pass "customer")
    assert all(uow.repository(kind.value) is uow.repository(kind) for kind in RecordKind)
