"""The in-memory store: crmcore's embedded default storage.

A real implementation, not a test double: it is thread-safe, every commit is
atomic (all of it or none of it, even if a write fails half-way), it keeps an
index per indexed field of every kind (so a query costs the size of its
answer, not of the table), and it passes the same contract kit
(`crmcore.testing.contracts`) that any storage adapter must pass.
"""

import bisect
import heapq
import itertools
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from crmcore.adapters.ids import UuidIds
from crmcore.adapters.tracking import (
    StoreUnitOfWork,
    check_batch,
    check_kind,
    check_limit,
    check_versions,
)
from crmcore.domain.ids import check_id
from crmcore.domain.kinds import REGISTRY, IndexValue, KindSpec, RecordKind
from crmcore.errors import ValidationError
from crmcore.ports import Clock, Filters, IdGenerator, Key, Versioned

Snapshot = dict[RecordKind, dict[str, Versioned]]


class _Table:
    """One kind's records, their ids in order, and a sorted id list per
    (indexed field, value)."""

    __slots__ = ("ids", "index", "rows", "spec", "values")

    def __init__(self, spec: KindSpec[Any]) -> None:
        self.spec = spec
        self.rows: dict[str, Versioned] = {}
        self.values: dict[str, dict[str, IndexValue]] = {}
        self.ids: list[str] = []
        self.index: dict[str, dict[IndexValue, list[str]]] = {name: {} for name in spec.indexed}

    def put(self, record_id: str, value: Versioned | None) -> None:
        """Store (or, for ``None``, delete) one record and keep the indexes."""
        old = self.values.pop(record_id, None)
        if old is not None:
            for name, indexed in old.items():
                _discard(self.index[name][indexed], record_id)
        if value is None:
            if self.rows.pop(record_id, None) is not None:
                _discard(self.ids, record_id)
            return
        if record_id not in self.rows:
            bisect.insort(self.ids, record_id)
        self.rows[record_id] = value
        values = self.spec.index_values(value[1])
        self.values[record_id] = values
        for name, indexed in values.items():
            bisect.insort(self.index[name].setdefault(indexed, []), record_id)

    def candidates(self, field: str, accepted: frozenset[IndexValue]) -> int:
        """How many ids the index holds for ``field`` in ``accepted`` (an upper bound)."""
        return sum(len(self.index[field].get(value, ())) for value in accepted)

    def scan(
        self, field: str | None, accepted: frozenset[IndexValue], after: str | None
    ) -> Iterator[str]:
        """Ids in order above ``after``: all of them, or those of one filter."""
        if field is None:
            return iter(self.ids[_start(self.ids, after) :])
        lists = [self.index[field].get(value, []) for value in accepted]
        runs = [itertools.islice(ids, _start(ids, after), None) for ids in lists if ids]
        return runs[0] if len(runs) == 1 else heapq.merge(*runs)


def _start(ids: list[str], after: str | None) -> int:
    return 0 if after is None else bisect.bisect_right(ids, after)


def _discard(ids: list[str], record_id: str) -> None:
    """Remove an id that is in the sorted list (callers only remove what they put)."""
    del ids[bisect.bisect_left(ids, record_id)]


class InMemoryStore:
    """Holds the records; any number of `InMemoryUnitOfWork` may share one.

    Aggregates are immutable values, so the store keeps them as they are.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables = {kind: _Table(spec) for kind, spec in REGISTRY.items()}

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """The stored (version, aggregate), or ``None``."""
        table = self._tables[check_kind(kind)]
        if not isinstance(record_id, str):
            raise ValidationError(
                "record_id", f"must be a string, not {type(record_id).__name__}", allowed="an id"
            )
        with self._lock:
            return table.rows.get(record_id)

    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """The stored records matching ``where``, ordered by id (the query primitive).

        The most selective filter's index drives the scan; the other filters
        are checked on the indexed values of each candidate.
        """
        table = self._tables[check_kind(kind)]
        filters = table.spec.check_where(where)
        count = check_limit(limit)
        cursor = None if after is None else check_id(after, "after")
        with self._lock:
            driver = min(
                filters,
                key=lambda name: table.candidates(name, filters[name]),
                default=None,
            )
            rest = [(name, accepted) for name, accepted in filters.items() if name != driver]
            found: list[Versioned] = []
            accepted = filters[driver] if driver is not None else frozenset()
            for record_id in table.scan(driver, accepted, cursor):
                values = table.values[record_id]
                if all(values[name] in ok for name, ok in rest):
                    found.append(table.rows[record_id])
                    if count is not None and len(found) == count:
                        break
            return found

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Check the versions and apply the writes, atomically.

        If a write fails part-way, the writes already made are undone before
        the error propagates, so the store is never left half-written.
        """
        expected, writes = check_batch(expected, writes)
        with self._lock:
            check_versions(expected, self._version)
            undo: list[tuple[Key, Versioned | None]] = []
            try:
                for key, value in writes.items():
                    undo.append((key, self._tables[key[0]].rows.get(key[1])))
                    self._write(key, value)
            except BaseException:
                for key, previous in reversed(undo):
                    self._restore(key, previous)
                raise

    def _version(self, key: Key) -> int | None:
        found = self._tables[key[0]].rows.get(key[1])
        return None if found is None else found[0]

    def _write(self, key: Key, value: Versioned | None) -> None:
        """Write one record (``None`` deletes). Fault-injection tests override this."""
        self._restore(key, value)

    def _restore(self, key: Key, value: Versioned | None) -> None:
        self._tables[key[0]].put(key[1], value)

    def snapshot(self) -> Snapshot:
        """A copy of everything stored: kind → id → (version, aggregate)."""
        with self._lock:
            return {kind: dict(table.rows) for kind, table in self._tables.items()}


class InMemoryUnitOfWork(StoreUnitOfWork):
    """A unit of work on an `InMemoryStore`.

    Args:
        store: the store to work on; a fresh one when ``None``.
        ids: the id generator for new records; `UuidIds` when ``None``.
        clock: where the services get now; the system clock when ``None``.
    """

    store: InMemoryStore

    def __init__(
        self,
        store: InMemoryStore | None = None,
        *,
        ids: IdGenerator | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(ids if ids is not None else UuidIds(), clock)
        if store is not None and not isinstance(store, InMemoryStore):
            raise ValidationError(
                "store",
                f"must be an InMemoryStore, not {type(store).__name__}",
                allowed="an InMemoryStore or None",
            )
        self.store = store if store is not None else InMemoryStore()
