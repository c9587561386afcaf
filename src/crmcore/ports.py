"""Ports: the Protocols the services talk to; adapters implement them.

Behaviour beyond the signatures is pinned by the shipped contract kit
(`crmcore.testing.contracts`): an adapter that passes it behaves like the
in-memory store.
"""

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import attrs
import pendulum

from crmcore.domain.campaigns import Campaign
from crmcore.domain.commissions import CommissionPlanRecord
from crmcore.domain.complaints import Complaint
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Customer, LifecyclePhase
from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.kinds import IndexValue, RecordKind
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.quotas import Quota
from crmcore.domain.territories import Territory

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


Versioned = tuple[int, Aggregate]
"""(version, aggregate without pending events): what storage holds per record."""

Key = tuple[RecordKind, str]
"""(kind, record id): how storage addresses one record."""

Filters = Mapping[str, frozenset[IndexValue]]
"""Checked query filters: indexed field → the values accepted (see `KindSpec.check_where`)."""

MAX_PAGE = 10_000
"""The largest page `crmcore.services.find` serves."""


@attrs.frozen
class Page(Generic[A]):
    """One page of a query, ordered by id.

    Attributes:
        items: the records of this page, in id order.
        next_cursor: pass it as ``after`` to get the next page; ``None`` when
            there is none (keyset paging: the cursor is the last id seen).
    """

    items: tuple[A, ...]
    next_cursor: str | None


class Storage(Protocol):
    """The storage primitives a `crmcore.adapters.tracking.TrackingUnitOfWork`
    is built on (one set for every kind of record).

    The in-memory store and the SQL stores implement them; the contract kit
    (`crmcore.testing.contracts`) pins their behaviour through the unit of work.
    """

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """The stored (version, aggregate) of one record, or ``None``."""
        ...

    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """The query primitive: the stored records of ``kind`` whose indexed
        fields have one of the accepted values (every filter must match),
        with an id greater than ``after`` (as plain strings), ordered by id,
        at most ``limit`` of them (``None``: all).

        Answer it natively (SQL ``WHERE`` on indexed columns, in-memory
        indexes) so that a query costs the size of its answer, not of the table.
        """
        ...

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Atomically: check that each key in ``expected`` is stored at that
        version (``None``: absent), raising `ConcurrencyError` and writing
        nothing if not; then apply ``writes`` (``None``: delete)."""
        ...


class Repository(Protocol[A]):
    """Storage for one kind of aggregate, inside a unit of work: a typed view
    over the unit of work's storage primitives.

    The repository owns ``version``: ``add`` stores version 1 and ``save``
    stores the next version. Both return the stored aggregate (new version,
    no pending events); keep working with what they return. Pending events
    are handed to the unit of work, never persisted.

    The queries (`select`, `list`, `for_customer`, `open`, `closed`,
    `in_phase`) see the block's own writes; the convenience ones are
    `select` with one filter and raise `ValidationError` on a kind that does
    not index that field (`crmcore.domain.kinds.REGISTRY` lists them).
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

    def select(
        self,
        where: Mapping[str, object] | None = None,
        *,
        order_by: str = "id",
        limit: int | None = None,
        after: str | None = None,
    ) -> tuple[A, ...]:
        """The aggregates matching ``where`` (see `UnitOfWork.select`)."""
        ...

    def for_customer(self, customer_id: str) -> tuple[A, ...]:
        """The customer's records, ordered by id."""
        ...

    def open(self) -> tuple[A, ...]:
        """The open records (``is_open``), ordered by id."""
        ...

    def closed(self) -> tuple[A, ...]:
        """The records that are not open, ordered by id."""
        ...

    def in_phase(self, phase: LifecyclePhase | str) -> tuple[A, ...]:
        """Customers in ``phase``, ordered by id."""
        ...


CustomerRepository = Repository[Customer]
OpportunityRepository = Repository[Opportunity]
ContractRepository = Repository[Contract]
ServiceContractRepository = Repository[ServiceContract]
ComplaintRepository = Repository[Complaint]
CampaignRepository = Repository[Campaign]
TerritoryRepository = Repository[Territory]
QuotaRepository = Repository[Quota]
CommissionPlanRepository = Repository[CommissionPlanRecord]


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
    - ``select`` answers from storage and merges the block's own writes
      (read-your-writes); it records what it returns as read, so a commit
      conflicts if one of those records changed, but it does not protect
      against *phantoms* (a record another unit of work adds that would have
      matched is no conflict).

    The typed repository attributes below are declarations for type
    checkers; their names come from the registry
    (`crmcore.domain.kinds.KindSpec.repository`), which a test keeps in step.
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
    def campaigns(self) -> CampaignRepository:
        """The campaigns."""
        ...

    @property
    def territories(self) -> TerritoryRepository:
        """The sales territories."""
        ...

    @property
    def quotas(self) -> QuotaRepository:
        """The quotas."""
        ...

    @property
    def commission_plans(self) -> CommissionPlanRepository:
        """The commission plans."""
        ...

    def repository(self, kind: RecordKind | str) -> Repository[Any]:
        """The repository of ``kind`` (a `RecordKind` or its value)."""
        ...

    def select(
        self,
        kind: RecordKind,
        where: Mapping[str, object] | None = None,
        *,
        order_by: str = "id",
        limit: int | None = None,
        after: str | None = None,
    ) -> tuple[Any, ...]:
        """The records of ``kind`` matching ``where``, ordered by id.

        Args:
            kind: the kind of record.
            where: indexed field → a value (equality) or a set, frozenset,
                list or tuple of values (membership); enum members may be
                given for their values. ``None`` or ``{}``: every record.
            order_by: only ``"id"`` (ids compared as plain strings).
            limit: at most this many (1 to 10**9; ``None``: all).
            after: only ids greater than this one (keyset paging).

        Raises:
            ValidationError: an unknown kind or field, a bad value, limit or cursor.
        """
        ...

    @property
    def ids(self) -> IdGenerator:
        """The id generator for new records."""
        ...

    @property
    def clock(self) -> Clock:
        """Where the services get now (`crmcore.services.handle` refuses a
        command from the future); the adapters' default is the system clock."""
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
