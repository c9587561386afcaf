"""Ports: the Protocols the services talk to; adapters implement them.

Behaviour beyond the signatures is pinned by the shipped contract kit
(`crmcore.testing.contracts`): an adapter that passes it behaves like the
in-memory store.
"""

from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

import pendulum

from crmcore.domain.complaints import Complaint
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Customer, LifecyclePhase
from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.opportunities import Opportunity

A = TypeVar("A", bound=Aggregate)


@runtime_checkable
class Clock(Protocol):
    """Where application code gets the current time (the domain never asks)."""

    def now(self) -> pendulum.DateTime:
        """The current instant, as a UTC `pendulum.DateTime`."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    """Where new record ids come from."""

    def new_id(self, prefix: str) -> str:
        """A new id, unique for this generator, that starts with ``prefix``."""
        ...


class Repository(Protocol[A]):
    """Storage for one kind of aggregate, inside a unit of work.

    The repository owns ``version``: ``add`` stores version 1 and ``save``
    stores the next version. Both return the stored aggregate (new version,
    no pending events); keep working with what they return. Pending events
    are handed to the unit of work, never persisted.
    """

    def add(self, aggregate: A) -> A:
        """Store a new aggregate.

        Raises:
            AlreadyExistsError: an aggregate with that id is stored.
        """
        ...

    def get(self, record_id: str) -> A:
        """The aggregate with that id.

        Raises:
            NotFoundError: none is stored.
        """
        ...

    def save(self, aggregate: A) -> A:
        """Store a changed aggregate (optimistic concurrency).

        Raises:
            NotFoundError: none with that id is stored (use ``add``).
            ConcurrencyError: the stored version is not the one ``aggregate``
                was loaded at; nothing is changed.
        """
        ...

    def remove(self, record_id: str) -> None:
        """Delete the aggregate with that id.

        Raises:
            NotFoundError: none is stored.
        """
        ...

    def __contains__(self, record_id: object) -> bool:
        """Whether an aggregate with that id is stored."""
        ...

    def list(self) -> tuple[A, ...]:
        """Every stored aggregate, ordered by id (as plain strings)."""
        ...


class CustomerRepository(Repository[Customer], Protocol):
    """Customers, with a query by lifecycle phase."""

    def in_phase(self, phase: LifecyclePhase) -> tuple[Customer, ...]:
        """Customers in ``phase``, ordered by id."""
        ...


class OpportunityRepository(Repository[Opportunity], Protocol):
    """Opportunities, with queries by customer and by open/closed."""

    def for_customer(self, customer_id: str) -> tuple[Opportunity, ...]:
        """The customer's opportunities, ordered by id."""
        ...

    def open(self) -> tuple[Opportunity, ...]:
        """Open opportunities, ordered by id."""
        ...

    def closed(self) -> tuple[Opportunity, ...]:
        """Won and lost opportunities, ordered by id."""
        ...


class ContractRepository(Repository[Contract], Protocol):
    """Contracts, with queries by customer and for open ones."""

    def for_customer(self, customer_id: str) -> tuple[Contract, ...]:
        """The customer's contracts, ordered by id."""
        ...

    def open(self) -> tuple[Contract, ...]:
        """Contracts neither fulfilled nor cancelled, ordered by id."""
        ...


class ServiceContractRepository(Repository[ServiceContract], Protocol):
    """Service contracts, with a query by customer."""

    def for_customer(self, customer_id: str) -> tuple[ServiceContract, ...]:
        """The customer's service contracts, ordered by id."""
        ...


class ComplaintRepository(Repository[Complaint], Protocol):
    """Complaints, with queries by customer and for open ones."""

    def for_customer(self, customer_id: str) -> tuple[Complaint, ...]:
        """The customer's complaints, ordered by id."""
        ...

    def open(self) -> tuple[Complaint, ...]:
        """Complaints not yet closed, ordered by id."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories.

    Semantics (pinned by `crmcore.testing.contracts.UnitOfWorkContract`):

    - ``with uow:`` opens a transaction; the same object may be entered
      again after it exits, but not while it is open (a `CrmError`).
    - Reads inside the block see the block's own writes; other units of work
      see them only after ``commit()``; leaving the block without committing
      discards them.
    - A ``commit()`` that writes anything raises `ConcurrencyError` and
      writes nothing if any aggregate it read or wrote was changed by someone
      else since it was read.
    - ``collect_events()`` returns the events of committed changes, in commit
      order, and drains them.
    """

    @property
    def customers(self) -> CustomerRepository:
        """The customers."""
        ...

    @property
    def opportunities(self) -> OpportunityRepository:
        """The opportunities."""
        ...

    @property
    def contracts(self) -> ContractRepository:
        """The contracts."""
        ...

    @property
    def service_contracts(self) -> ServiceContractRepository:
        """The service contracts."""
        ...

    @property
    def complaints(self) -> ComplaintRepository:
        """The complaints."""
        ...

    @property
    def ids(self) -> IdGenerator:
        """The id generator for new records."""
        ...

    def __enter__(self) -> Self:
        """Open the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close it; uncommitted changes are discarded."""
        ...

    def commit(self) -> None:
        """Make this block's changes visible to everyone, atomically."""
        ...

    def collect_events(self) -> list[DomainEvent]:
        """The events of committed changes, in commit order; drains them."""
        ...
