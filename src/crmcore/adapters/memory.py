"""The in-memory store: crmcore's embedded default storage.

A real implementation, not a test double: it is thread-safe, every commit is
atomic (all of it or none of it, even if a write fails half-way), and it
passes the same contract kit (`crmcore.testing.contracts`) that any storage
adapter must pass.
"""

import threading
from collections.abc import Mapping

from crmcore.adapters.ids import UuidIds
from crmcore.adapters.tracking import (
    KINDS,
    Key,
    TrackingUnitOfWork,
    Versioned,
    check_batch,
    check_kind,
    check_versions,
)
from crmcore.errors import ValidationError
from crmcore.ports import IdGenerator

Snapshot = dict[str, dict[str, Versioned]]


class InMemoryStore:
    """Holds the aggregates; any number of `InMemoryUnitOfWork` may share one.

    Aggregates are immutable values, so the store keeps them as they are.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._data: Snapshot = {kind: {} for kind in KINDS}

    def fetch(self, kind: str, record_id: str) -> Versioned | None:
        """The stored (version, aggregate), or ``None``."""
        table = self._data[check_kind(kind)]
        if not isinstance(record_id, str):
            raise ValidationError(
                "record_id", f"must be a string, not {type(record_id).__name__}", allowed="an id"
            )
        with self._lock:
            return table.get(record_id)

    def fetch_all(self, kind: str) -> list[Versioned]:
        """Every stored (version, aggregate) of ``kind``."""
        table = self._data[check_kind(kind)]
        with self._lock:
            return list(table.values())

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Check the versions and apply the writes, atomically.

        If a write fails part-way, the writes already made are undone before
        the error propagates, so the store is never left half-written.
        """
        expected, writes = check_batch(expected, writes)
        with self._lock:
            check_versions(expected, lambda key: self._version(key))
            undo: list[tuple[Key, Versioned | None]] = []
            try:
                for key, value in writes.items():
                    undo.append((key, self._data[key[0]].get(key[1])))
                    self._write(key, value)
            except BaseException:
                for key, previous in reversed(undo):
                    self._restore(key, previous)
                raise

    def _version(self, key: Key) -> int | None:
        found = self._data[key[0]].get(key[1])
        return None if found is None else found[0]

    def _write(self, key: Key, value: Versioned | None) -> None:
        """Write one record (``None`` deletes). Fault-injection tests override this."""
        self._restore(key, value)

    def _restore(self, key: Key, value: Versioned | None) -> None:
        table = self._data[key[0]]
        if value is None:
            table.pop(key[1], None)
        else:
            table[key[1]] = value

    def snapshot(self) -> Snapshot:
        """A copy of everything stored: kind → id → (version, aggregate)."""
        with self._lock:
            return {kind: dict(table) for kind, table in self._data.items()}


class InMemoryUnitOfWork(TrackingUnitOfWork):
    """A unit of work on an `InMemoryStore`.

    Args:
        store: the store to work on; a fresh one when ``None``.
        ids: the id generator for new records; `UuidIds` when ``None``.
    """

    def __init__(
        self, store: InMemoryStore | None = None, *, ids: IdGenerator | None = None
    ) -> None:
        super().__init__(ids if ids is not None else UuidIds())
        if store is not None and not isinstance(store, InMemoryStore):
            raise ValidationError(
                "store",
                f"must be an InMemoryStore, not {type(store).__name__}",
                allowed="an InMemoryStore or None",
            )
        self.store = store if store is not None else InMemoryStore()

    def fetch(self, kind: str, record_id: str) -> Versioned | None:
        """Delegates to the store."""
        return self.store.fetch(kind, record_id)

    def fetch_all(self, kind: str) -> list[Versioned]:
        """Delegates to the store."""
        return self.store.fetch_all(kind)

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """Delegates to the store."""
        self.store.apply(expected, writes)
