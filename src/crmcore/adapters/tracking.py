"""A storage-independent unit of work with optimistic concurrency.

`TrackingUnitOfWork` holds the whole transaction logic: it records the
version of every aggregate it reads, buffers every write, and at commit asks
the storage to check all those versions and apply the writes atomically.
A storage adapter only implements three primitives (`fetch`, `fetch_all`,
`apply`), so every adapter gets the same semantics; the in-memory store and
the SQLite example are both built on it.
"""

import abc
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from crmcore.domain.complaints import Complaint
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Customer, LifecyclePhase
from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.fields import member
from crmcore.domain.ids import check_id
from crmcore.domain.opportunities import Opportunity
from crmcore.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    NotFoundError,
    RepositoryError,
    ValidationError,
)
from crmcore.ports import IdGenerator

A = TypeVar("A", bound=Aggregate)
Key = tuple[str, str]
"""(kind, record id)."""
Versioned = tuple[int, Aggregate]
"""(version, aggregate without pending events)."""


class Kind(Generic[A]):
    """One kind of aggregate: its repository name, type, label and id attribute."""

    def __init__(self, name: str, aggregate_type: type[A], label: str, id_field: str) -> None:
        self.name = name
        self.type = aggregate_type
        self.label = label
        self.id_field = id_field

    def record_id(self, aggregate: A) -> str:
        """The aggregate's id."""
        value: str = getattr(aggregate, self.id_field)
        return value


KINDS: Mapping[str, Kind[Any]] = {
    kind.name: kind
    for kind in (
        Kind("customers", Customer, "customer", "customer_id"),
        Kind("opportunities", Opportunity, "opportunity", "opportunity_id"),
        Kind("contracts", Contract, "contract", "contract_id"),
        Kind("service_contracts", ServiceContract, "service contract", "contract_id"),
        Kind("complaints", Complaint, "complaint", "complaint_id"),
    )
}
"""Every kind of aggregate the unit of work stores, by repository name."""


def with_version(aggregate: A, version: int) -> A:
    """The aggregate with ``version`` set and no pending events."""
    return aggregate._replaced(version=version, pending_events=())


class TrackingRepository(Generic[A]):
    """The repository of one kind of aggregate inside a `TrackingUnitOfWork`."""

    def __init__(self, uow: "TrackingUnitOfWork", kind: Kind[A]) -> None:
        self._uow = uow
        self._kind = kind

    def _key(self, record_id: object) -> Key:
        return self._kind.name, check_id(record_id, f"{self._kind.label} id")

    def _check_type(self, aggregate: object) -> A:
        if not isinstance(aggregate, self._kind.type):
            raise ValidationError(
                self._kind.name,
                f"stores {self._kind.type.__name__} values, not {type(aggregate).__name__}",
                allowed=f"a {self._kind.type.__name__}",
            )
        return aggregate

    def add(self, aggregate: A) -> A:
        """Store a new aggregate; returns it at version 1 (or after a removed one's)."""
        self._check_type(aggregate)
        key = self._key(self._kind.record_id(aggregate))
        if self._uow._current(key) is not None:
            raise AlreadyExistsError(self._kind.label, key[1])
        previous = self._uow._reads.get(key) or 0
        return self._uow._write(key, aggregate, previous + 1)  # type: ignore[return-value]

    def get(self, record_id: str) -> A:
        """The aggregate with that id."""
        key = self._key(record_id)
        current = self._uow._current(key)
        if current is None:
            raise NotFoundError(self._kind.label, key[1])
        return current  # type: ignore[return-value]

    def save(self, aggregate: A) -> A:
        """Store a changed aggregate if nobody changed it since it was loaded."""
        self._check_type(aggregate)
        key = self._key(self._kind.record_id(aggregate))
        current = self._uow._current(key)
        if current is None:
            raise NotFoundError(self._kind.label, key[1])
        if current.version != aggregate.version:
            raise ConcurrencyError(
                self._kind.label, key[1], expected=aggregate.version, actual=current.version
            )
        return self._uow._write(key, aggregate, current.version + 1)  # type: ignore[return-value]

    def remove(self, record_id: str) -> None:
        """Delete the aggregate with that id."""
        key = self._key(record_id)
        if self._uow._current(key) is None:
            raise NotFoundError(self._kind.label, key[1])
        self._uow._remove(key)

    def __contains__(self, record_id: object) -> bool:
        try:
            key = self._key(record_id)
        except ValidationError:
            return False
        return self._uow._current(key) is not None

    def list(self) -> tuple[A, ...]:
        """Every stored aggregate, ordered by id."""
        return self._uow._list(self._kind)  # type: ignore[return-value]

    def _where(self, keep: Callable[[A], bool]) -> tuple[A, ...]:
        return tuple(a for a in self.list() if keep(a))


class TrackingCustomerRepository(TrackingRepository[Customer]):
    """Customers."""

    def in_phase(self, phase: LifecyclePhase) -> tuple[Customer, ...]:
        """Customers in ``phase``, ordered by id."""
        wanted = member(LifecyclePhase, phase, "phase")
        return self._where(lambda c: c.phase is wanted)


class _ByCustomer(TrackingRepository[A]):
    def for_customer(self, customer_id: str) -> tuple[A, ...]:
        """The customer's records, ordered by id."""
        wanted = check_id(customer_id, "customer_id")
        return self._where(lambda a: getattr(a, "customer_id") == wanted)  # noqa: B009


class TrackingOpportunityRepository(_ByCustomer[Opportunity]):
    """Opportunities."""

    def open(self) -> tuple[Opportunity, ...]:
        """Open opportunities, ordered by id."""
        return self._where(lambda o: o.is_open)

    def closed(self) -> tuple[Opportunity, ...]:
        """Won and lost opportunities, ordered by id."""
        return self._where(lambda o: not o.is_open)


class TrackingContractRepository(_ByCustomer[Contract]):
    """Contracts."""

    def open(self) -> tuple[Contract, ...]:
        """Contracts neither fulfilled nor cancelled, ordered by id."""
        return self._where(lambda c: c.is_open)


class TrackingServiceContractRepository(_ByCustomer[ServiceContract]):
    """Service contracts."""


class TrackingComplaintRepository(_ByCustomer[Complaint]):
    """Complaints."""

    def open(self) -> tuple[Complaint, ...]:
        """Complaints not yet closed, ordered by id."""
        return self._where(lambda c: not c.is_closed)


class TrackingUnitOfWork(abc.ABC):
    """A unit of work that tracks reads and buffers writes (optimistic concurrency).

    Subclasses implement the storage primitives `fetch`, `fetch_all` and
    `apply` (and may override `begin`/`end` to open and close a connection).

    Args:
        ids: the id generator the services use for new records.
    """

    def __init__(self, ids: IdGenerator) -> None:
        if not callable(getattr(ids, "new_id", None)):
            raise ValidationError(
                "ids", f"has no new_id() method ({type(ids).__name__})", allowed="an IdGenerator"
            )
        self.ids = ids
        self.customers = TrackingCustomerRepository(self, KINDS["customers"])
        self.opportunities = TrackingOpportunityRepository(self, KINDS["opportunities"])
        self.contracts = TrackingContractRepository(self, KINDS["contracts"])
        self.service_contracts = TrackingServiceContractRepository(self, KINDS["service_contracts"])
        self.complaints = TrackingComplaintRepository(self, KINDS["complaints"])
        self._open = False
        self._reads: dict[Key, int | None] = {}
        self._writes: dict[Key, Aggregate | None] = {}
        self._pending: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []

    # Storage primitives ---------------------------------------------------------

    @abc.abstractmethod
    def fetch(self, kind: str, record_id: str) -> Versioned | None:
        """The stored (version, aggregate) for that key, or ``None``."""

    @abc.abstractmethod
    def fetch_all(self, kind: str) -> list[Versioned]:
        """Every stored (version, aggregate) of ``kind``, in any order."""

    @abc.abstractmethod
    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Atomically: check that each key in ``expected`` is stored at that
        version (``None``: absent), raising `ConcurrencyError` and writing
        nothing if not; then apply ``writes`` (``None``: delete)."""

    def begin(self) -> None:  # noqa: B027 - an optional hook
        """Called when a ``with`` block opens."""

    def end(self) -> None:  # noqa: B027 - an optional hook
        """Called when a ``with`` block closes, after everything else."""

    # The transaction --------------------------------------------------------------

    def __enter__(self) -> Self:
        if self._open:
            raise RepositoryError(
                "this unit of work is already open: units of work are not re-entrant; "
                "finish the current `with` block (or use another unit of work) first"
            )
        self._reads.clear()
        self._writes.clear()
        self._pending.clear()
        self.begin()
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._reads.clear()
        self._writes.clear()
        self._pending.clear()
        self._open = False
        self.end()

    def _require_open(self) -> None:
        if not self._open:
            raise RepositoryError(
                "the unit of work is not open: use the repositories inside `with uow:`"
            )

    def _current(self, key: Key) -> Aggregate | None:
        self._require_open()
        if key in self._writes:
            return self._writes[key]
        found = self.fetch(*key)
        if key not in self._reads:
            self._reads[key] = None if found is None else found[0]
        return None if found is None else found[1]

    def _write(self, key: Key, aggregate: Aggregate, version: int) -> Aggregate:
        stored = with_version(aggregate, version)
        self._writes[key] = stored
        self._pending.extend(aggregate.pending_events)
        return stored

    def _remove(self, key: Key) -> None:
        self._writes[key] = None

    def _list(self, kind: Kind[Any]) -> tuple[Aggregate, ...]:
        self._require_open()
        found: dict[str, Aggregate | None] = {}
        for version, aggregate in self.fetch_all(kind.name):
            record_id = kind.record_id(aggregate)
            self._reads.setdefault((kind.name, record_id), version)
            found[record_id] = aggregate
        for (name, record_id), written in self._writes.items():
            if name == kind.name:
                found[record_id] = written
        return tuple(a for _, a in sorted(found.items()) if a is not None)

    def commit(self) -> None:
        """Make this block's writes visible to everyone, atomically.

        Raises:
            RepositoryError: the unit of work is not open.
            ConcurrencyError: something this block read or wrote was changed
                by another unit of work since; nothing was written.
        """
        self._require_open()
        if not self._writes:
            return
        expected = dict(self._reads)
        writes: dict[Key, Versioned | None] = {
            key: None if aggregate is None else (aggregate.version, aggregate)
            for key, aggregate in self._writes.items()
        }
        self.apply(expected, writes)
        for key, aggregate in self._writes.items():
            self._reads[key] = None if aggregate is None else aggregate.version
        self._writes.clear()
        self._committed.extend(self._pending)
        self._pending.clear()

    def collect_events(self) -> list[DomainEvent]:
        """The events of committed changes, in commit order; drains them."""
        events, self._committed = self._committed, []
        return events


def check_kind(kind: object) -> str:
    """``kind`` if it is one of `KINDS`, else `ValidationError`."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationError("kind", "is not a kind of record", allowed=", ".join(KINDS))
    return kind


def _well_shaped(field: str, value: object) -> bool:
    if value is None:
        return True
    if field == "expected":
        return type(value) is int
    return isinstance(value, tuple) and len(value) == 2 and type(value[0]) is int


def check_batch(
    expected: object, writes: object
) -> tuple[Mapping[Key, int | None], Mapping[Key, Versioned | None]]:
    """Check the arguments of ``apply``: mappings keyed by (kind, record id),
    to versions (``expected``) or to (version, record) pairs (``writes``),
    ``None`` meaning absent.

    Raises:
        ValidationError: not mappings, or a key or value of the wrong shape.
    """
    shapes = {"expected": "a version or None", "writes": "(version, record) or None"}
    for field, batch in (("expected", expected), ("writes", writes)):
        if not isinstance(batch, Mapping):
            raise ValidationError(
                field,
                f"must be a mapping, not {type(batch).__name__}",
                allowed="(kind, id) → value",
            )
        for key, value in batch.items():
            if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str)):
                raise ValidationError(
                    field, "has a key that is not (kind, id)", allowed="(kind, id)"
                )
            check_kind(key[0])
            if not _well_shaped(field, value):
                raise ValidationError(
                    field, "has a value of the wrong shape", allowed=shapes[field]
                )
    return expected, writes  # type: ignore[return-value]


def check_versions(expected: Mapping[Key, int | None], stored: Callable[[Key], int | None]) -> None:
    """Raise `ConcurrencyError` for the first key whose stored version differs.

    A helper for `TrackingUnitOfWork.apply` implementations.
    """
    for key, version in expected.items():
        actual = stored(key)
        if actual != version:
            raise ConcurrencyError(KINDS[key[0]].label, key[1], expected=version, actual=actual)
