"""The in-memory store's whole repository test: the shipped contract kit."""

from typing import ClassVar

from hypothesis import settings

from crmcore import DEFAULT_PIPELINE, RecordKind
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.testing import SequentialIds
from crmcore.testing.contracts import (
    CampaignRepositoryContract,
    CommissionPlanRepositoryContract,
    ComplaintRepositoryContract,
    ContractRepositoryContract,
    CustomerRepositoryContract,
    Factory,
    OpportunityRepositoryContract,
    QuotaRepositoryContract,
    ServiceContractRepositoryContract,
    TerritoryRepositoryContract,
    UnitOfWorkContract,
    repository_state_machine,
)
from crmcore.testing.strategies import customers, opportunities
from tests.clocks import LATER


def memory() -> Factory:
    store = InMemoryStore()
    ids = SequentialIds()
    return lambda: InMemoryUnitOfWork(store, ids=ids, clock=LATER)


class InMemory:
    max_examples: ClassVar[int | None] = 25

    def unit_of_work_factory(self) -> Factory:
        return memory()


class TestCustomers(InMemory, CustomerRepositoryContract):
    pass


class TestOpportunities(InMemory, OpportunityRepositoryContract):
    pass


class TestContracts(InMemory, ContractRepositoryContract):
    pass


class TestServiceContracts(InMemory, ServiceContractRepositoryContract):
    pass


class TestComplaints(InMemory, ComplaintRepositoryContract):
    pass


class Fewer(InMemory):
    max_examples: ClassVar[int | None] = 10  # select's rules are the registry's, as above


class TestCampaigns(Fewer, CampaignRepositoryContract):
    pass


class TestTerritories(Fewer, TerritoryRepositoryContract):
    pass


class TestQuotas(Fewer, QuotaRepositoryContract):
    pass


class TestCommissionPlans(Fewer, CommissionPlanRepositoryContract):
    pass


class TestUnitOfWork(InMemory, UnitOfWorkContract):
    pass


MACHINE_SETTINGS = settings(max_examples=15, stateful_step_count=15)
TestCustomerMachine = repository_state_machine(
    memory, RecordKind.CUSTOMER, customers(max_commands=3)
).TestCase
TestCustomerMachine.settings = MACHINE_SETTINGS
TestOpportunityMachine = repository_state_machine(
    memory, RecordKind.OPPORTUNITY, opportunities(pipeline=DEFAULT_PIPELINE, max_commands=3)
).TestCase
TestOpportunityMachine.settings = MACHINE_SETTINGS
