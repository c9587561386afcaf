"""A storage-independent unit of work with optimistic concurrency.

`TrackingUnitOfWork` holds the whole transaction logic: it records the
version of every aggregate it reads, buffers every write, merges its own
writes into every query (read-your-writes), and at commit asks the storage to
check all those versions and apply the writes atomically. A storage adapter
implements three primitives (`fetch`, `fetch_where`, `apply`: the
`crmcore.ports.Storage` protocol), so every adapter gets the same semantics;
the in-memory store and the SQL store (`crmcore.adapters.sql`) are built on it.

Every kind of record comes from the registry (`crmcore.domain.kinds`): one
generic repository serves them all.

A unit of work belongs to the thread that entered it: another thread that
uses it while it is open gets a `RepositoryError` and changes nothing (use one
unit of work per thread or request; the store is what they share).
"""

import abc
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from crmcore.adapters.clock import SystemClock
from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.ids import check_id
from crmcore.domain.kinds import REGISTRY, KindSpec, RecordKind, spec_of
from crmcore.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    NotFoundError,
    RepositoryError,
    ValidationError,
)
from crmcore.ports import Clock, Filters, IdGenerator, Key, Storage, Versioned

if TYPE_CHECKING:
    from crmcore.domain.campaigns import Campaign
    from crmcore.domain.commissions import CommissionPlanRecord
    from crmcore.domain.complaints import Complaint
    from crmcore.domain.contracts import Contract, ServiceContract
    from crmcore.domain.customers import Customer
    from crmcore.domain.opportunities import Opportunity
    from crmcore.domain.quotas import Quota
    from crmcore.domain.territories import Territory

__all__ = [
    "Key",
    "StoreUnitOfWork",
    "TrackingRepository",
    "TrackingUnitOfWork",
    "Versioned",
    "check_batch",
    "check_kind",
    "check_query",
    "check_versions",
    "with_version",
]

A = TypeVar("A", bound=Aggregate)


def with_version(aggregate: A, version: int) -> A:
    """The aggregate with ``version`` set and no pending events.

    A storage adapter calls it on every aggregate it loads: a loaded
    aggregate must carry the version it was stored at.
    """
    return aggregate._replaced(version=version, pending_events=())


MAX_LIMIT = 10**9
"""The largest ``limit`` a storage query takes (pages of `find` are at most `MAX_PAGE`)."""


def check_limit(limit: object, field: str = "limit") -> int | None:
    """``None`` or an int from 1 to `MAX_LIMIT`."""
    if limit is None:
        return None
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            field, "is out of range", allowed=f"None or an int from 1 to {MAX_LIMIT}"
        )
    return limit


def check_query(
    kind: object, where: object, order_by: object, limit: object, after: object
) -> tuple[KindSpec[Any], Filters, int | None, str | None]:
    """Check the arguments of a query; returns (spec, filters, limit, after).

    Raises:
        ValidationError: an unknown kind or field, a bad value, an ordering
            other than ``"id"``, a limit out of range or a bad cursor.
    """
    spec = spec_of(kind)
    filters = spec.check_where(where)
    if order_by != "id":
        raise ValidationError(
            "order_by", "is not a supported ordering", allowed="'id' (ids as plain strings)"
        )
    cursor = None if after is None else check_id(after, "after")
    return spec, filters, check_limit(limit), cursor


class TrackingRepository(Generic[A]):
    """The repository of one kind of record inside a `TrackingUnitOfWork`."""

    def __init__(self, uow: "TrackingUnitOfWork", spec: KindSpec[A]) -> None:
        self._uow = uow
        self._spec = spec

    @property
    def kind(self) -> RecordKind:
        """The kind of record this repository stores."""
        return self._spec.kind

    def _key(self, record_id: object) -> Key:
        return self._spec.kind, check_id(record_id, "record_id")

    def _check_type(self, aggregate: object) -> A:
        if not isinstance(aggregate, self._spec.aggregate):
            name = self._spec.aggregate.__name__
            raise ValidationError(
                self._spec.repository,
                f"stores {name} values, not {type(aggregate).__name__}",
                allowed=f"a {name}",
            )
        return aggregate

    def add(self, aggregate: A) -> A:
        """Store a new aggregate; returns it at version 1 (or after a removed one's)."""
        self._check_type(aggregate)
        key = self._key(self._spec.record_id(aggregate))
        if self._uow._current(key) is not None:
            raise AlreadyExistsError(self._spec.label, key[1])
        previous = self._uow._reads.get(key) or 0
        return self._uow._write(key, aggregate, previous + 1)

    def get(self, record_id: str) -> A:
        """The aggregate with that id."""
        key = self._key(record_id)
        current = self._uow._current(key)
        if current is None:
            raise NotFoundError(self._spec.label, key[1])
        return current  # type: ignore[return-value]

    def save(self, aggregate: A) -> A:
        """Store a changed aggregate if nobody changed it since it was loaded."""
        self._check_type(aggregate)
        key = self._key(self._spec.record_id(aggregate))
        current = self._uow._current(key)
        if current is None:
            raise NotFoundError(self._spec.label, key[1])
        if current.version != aggregate.version:
            raise ConcurrencyError(
                self._spec.label, key[1], expected=aggregate.version, actual=current.version
            )
        return self._uow._write(key, aggregate, current.version + 1)

    def remove(self, record_id: str) -> None:
        """Delete the aggregate with that id."""
        key = self._key(record_id)
        if self._uow._current(key) is None:
            raise NotFoundError(self._spec.label, key[1])
        self._uow._remove(key)

    def __contains__(self, record_id: object) -> bool:
        try:
            key = self._key(record_id)
        except ValidationError:
            return False
        return self._uow._current(key) is not None

    def select(
        self,
        where: Mapping[str, object] | None = None,
        *,
        order_by: str = "id",
        limit: int | None = None,
        after: str | None = None,
    ) -> tuple[A, ...]:
        """The aggregates matching ``where`` (see `TrackingUnitOfWork.select`)."""
        found: tuple[A, ...] = self._uow.select(
            self._spec.kind, where, order_by=order_by, limit=limit, after=after
        )
        return found

    def list(self) -> tuple[A, ...]:
        """Every stored aggregate, ordered by id."""
        return self.select()

    def for_customer(self, customer_id: str) -> tuple[A, ...]:
        """The customer's records, ordered by id."""
        return self.select({"customer_id": check_id(customer_id, "customer_id")})

    def open(self) -> tuple[A, ...]:
        """The open records (``is_open``), ordered by id."""
        return self.select({"is_open": True})

    def closed(self) -> tuple[A, ...]:
        """The records that are not open, ordered by id."""
        return self.select({"is_open": False})

    def in_phase(self, phase: object) -> tuple[A, ...]:
        """The records in ``phase`` (customers), ordered by id."""
        return self.select({"phase": phase})


class TrackingUnitOfWork(abc.ABC):
    """A unit of work that tracks reads and buffers writes (optimistic concurrency).

    Subclasses implement the storage primitives `fetch`, `fetch_where` and
    `apply` (the `crmcore.ports.Storage` protocol), and may override
    `begin`/`end` to open and close a connection.

    Args:
        ids: the id generator the services use for new records.
        clock: where the services get now (`crmcore.services.handle` refuses
            commands from the future); the system clock when ``None``.
    """

    if TYPE_CHECKING:  # set from the registry in __init__
        customers: TrackingRepository[Customer]
        opportunities: TrackingRepository[Opportunity]
        contracts: TrackingRepository[Contract]
        service_contracts: TrackingRepository[ServiceContract]
        complaints: TrackingRepository[Complaint]
        campaigns: TrackingRepository[Campaign]
        territories: TrackingRepository[Territory]
        quotas: TrackingRepository[Quota]
        commission_plans: TrackingRepository[CommissionPlanRecord]

    def __init__(self, ids: IdGenerator, clock: Clock | None = None) -> None:
        if not callable(getattr(ids, "new_id", None)):
            raise ValidationError(
                "ids", f"has no new_id() method ({type(ids).__name__})", allowed="an IdGenerator"
            )
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise ValidationError(
                "clock", f"has no now() method ({type(clock).__name__})", allowed="a Clock"
            )
        self.ids = ids
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._repositories: dict[RecordKind, TrackingRepository[Any]] = {}
        for spec in REGISTRY.values():
            repository = TrackingRepository(self, spec)
            self._repositories[spec.kind] = repository
            setattr(self, spec.repository, repository)
        self._owner: int | None = None
        self._entry = threading.Lock()
        self._reads: dict[Key, int | None] = {}
        self._writes: dict[Key, Aggregate | None] = {}
        self._pending: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []

    # Storage primitives ---------------------------------------------------------

    @abc.abstractmethod
    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """The stored (version, aggregate) for that key, or ``None``."""

    @abc.abstractmethod
    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """The stored records of ``kind`` matching ``where`` with an id above
        ``after``, ordered by id, at most ``limit`` (see `crmcore.ports.Storage`)."""

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

    @property
    def is_open(self) -> bool:
        """Whether a ``with`` block is open on this unit of work."""
        return self._owner is not None

    def repository(self, kind: object) -> TrackingRepository[Any]:
        """The repository of ``kind`` (a `RecordKind` or its value)."""
        if isinstance(kind, RecordKind):  # the services' path: no lookup by value
            return self._repositories[kind]
        return self._repositories[spec_of(kind).kind]

    def __enter__(self) -> Self:
        with self._entry:  # two threads entering at once: exactly one gets the block
            if self._owner is not None:
                raise RepositoryError(
                    "this unit of work is already open: units of work are not re-entrant "
                    "and belong to one thread; finish the current `with` block (or use "
                    "another unit of work) first"
                )
            self._owner = threading.get_ident()
        self._reads.clear()
        self._writes.clear()
        self._pending.clear()
        try:
            self.begin()
        except BaseException:
            self._owner = None
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owner != threading.get_ident():
            return  # another thread's block: leave it alone
        self._reads.clear()
        self._writes.clear()
        self._pending.clear()
        self._owner = None
        self.end()

    def _require_open(self) -> None:
        if self._owner is None:
            raise RepositoryError(
                "the unit of work is not open: use the repositories inside `with uow:`"
            )
        if self._owner != threading.get_ident():
            raise RepositoryError(
                "the unit of work is open in another thread: use one unit of work per "
                "thread or request (they may share one store)"
            )

    def _current(self, key: Key) -> Aggregate | None:
        self._require_open()
        if key in self._writes:
            return self._writes[key]
        found = self.fetch(*key)
        if key not in self._reads:
            self._reads[key] = None if found is None else found[0]
        return None if found is None else found[1]

    def _write(self, key: Key, aggregate: A, version: int) -> A:
        stored = with_version(aggregate, version)
        self._writes[key] = stored
        self._pending.extend(aggregate.pending_events)
        return stored

    def _remove(self, key: Key) -> None:
        self._writes[key] = None

    def select(
        self,
        kind: object,
        where: Mapping[str, object] | None = None,
        *,
        order_by: str = "id",
        limit: int | None = None,
        after: str | None = None,
    ) -> tuple[Any, ...]:
        """The records of ``kind`` matching ``where``, ordered by id, with
        this block's own writes merged in (see `crmcore.ports.UnitOfWork.select`).

        Raises:
            RepositoryError: the unit of work is not open.
            ValidationError: an unknown kind or field, a bad value, limit or cursor.
        """
        spec, filters, count, cursor = check_query(kind, where, order_by, limit, after)
        self._require_open()
        pending = {rid: agg for (k, rid), agg in self._writes.items() if k is spec.kind}
        # Each buffered write can push at most one stored row out of the answer.
        wanted = None if count is None else count + len(pending)
        found: dict[str, Aggregate] = {}
        for version, aggregate in self.fetch_where(spec.kind, filters, limit=wanted, after=cursor):
            record_id = spec.record_id(aggregate)
            self._reads.setdefault((spec.kind, record_id), version)
            if record_id not in pending:
                found[record_id] = aggregate
        for record_id, written in pending.items():
            if (
                written is not None
                and (cursor is None or record_id > cursor)
                and spec.matches(written, filters)
            ):
                found[record_id] = written
        ordered = sorted(found)
        if count is not None:
            ordered = ordered[:count]
        return tuple(found[record_id] for record_id in ordered)

    def commit(self) -> None:
        """Make this block's writes visible to everyone, atomically.

        Raises:
            RepositoryError: the unit of work is not open (or open in another thread).
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


class StoreUnitOfWork(TrackingUnitOfWork):
    """A tracking unit of work whose storage primitives are those of a store
    that many units of work share (a `crmcore.ports.Storage`: the in-memory
    store, the SQL store).

    Subclasses set ``self.store`` (after checking its type) in ``__init__``.
    """

    store: "Storage"

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """Delegates to the store."""
        return self.store.fetch(kind, record_id)

    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """Delegates to the store."""
        return self.store.fetch_where(kind, where, limit=limit, after=after)

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Delegates to the store."""
        self.store.apply(expected, writes)


def check_kind(kind: object) -> RecordKind:
    """``kind`` if it is a `RecordKind`, else `ValidationError` (storage
    primitives take the member, not its value)."""
    if not isinstance(kind, RecordKind):
        raise ValidationError(
            "kind",
            f"must be a RecordKind, not {type(kind).__name__}",
            allowed=", ".join(f"RecordKind.{k.name}" for k in RecordKind),
        )
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
                    field, "has a key that is not (kind, id)", allowed="(RecordKind, id)"
                )
            check_kind(key[0])
            if not _well_shaped(field, value):
                raise ValidationError(
                    field, "has a value of the wrong shape", allowed=shapes[field]
                )
    return expected, writes  # type: ignore[return-value]


def check_versions(expected: Mapping[Key, int | None], stored: Callable[[Key], int | None]) -> None:
    """Raise `ConcurrencyError` for the first key whose stored version differs.

    A helper for `TrackingUnitOfWork.apply` implementations: ``stored`` maps
    a key to its stored version (``None``: absent).
    """
    for key, version in expected.items():
        actual = stored(key)
        if actual != version:
            raise ConcurrencyError(key[0].label, key[1], expected=version, actual=actual)
