"""A real storage adapter for crmcore on sqlite3.

One table per kind of aggregate: ``id`` (primary key), ``version`` and
``body`` (the aggregate as JSON, through `crmcore.adapters.converters`).
The transaction logic (read tracking, buffered writes, events) is crmcore's
`TrackingUnitOfWork`; this module implements its three storage primitives.
A commit is one SQLite transaction (``BEGIN IMMEDIATE``): it re-checks the
version of everything the unit of work read, then writes with
``UPDATE ... WHERE version = ?`` so that a concurrent writer can never be
overwritten silently.
"""

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from crmcore import ConcurrencyError
from crmcore.adapters.converters import make_converter
from crmcore.adapters.ids import UuidIds
from crmcore.adapters.tracking import (
    KINDS,
    Key,
    TrackingUnitOfWork,
    Versioned,
    check_versions,
    with_version,
)
from crmcore.ports import IdGenerator

_CONVERTER = make_converter()


def create_schema(path: str | Path) -> None:
    """Create the tables (if missing) in the database file at ``path``."""
    with sqlite3.connect(path) as connection:
        for kind in KINDS:
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {kind} ("
                "id TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL)"
            )
    connection.close()


class SqliteUnitOfWork(TrackingUnitOfWork):
    """A crmcore unit of work on a SQLite database file.

    Each ``with`` block uses its own connection, so units of work in several
    threads or processes may share one file.

    Args:
        path: the database file (created with `create_schema` if needed).
        ids: the id generator for new records; random UUIDs by default.
    """

    def __init__(self, path: str | Path, *, ids: IdGenerator | None = None) -> None:
        super().__init__(ids if ids is not None else UuidIds())
        self.path = Path(path)
        create_schema(self.path)
        self._connection: sqlite3.Connection | None = None

    def begin(self) -> None:
        """Open this block's connection (autocommit; transactions are explicit)."""
        self._connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)

    def end(self) -> None:
        """Close this block's connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._connection is not None, "used outside a with block"
        return self._connection

    def _load(self, kind: str, version: int, body: str) -> Versioned:
        aggregate = _CONVERTER.structure(json.loads(body), KINDS[kind].type)
        return version, with_version(aggregate, version)

    def fetch(self, kind: str, record_id: str) -> Versioned | None:
        """One row, rebuilt (and so validated) through the converter."""
        row = self._db.execute(
            f"SELECT version, body FROM {kind} WHERE id = ?", (record_id,)
        ).fetchone()
        return None if row is None else self._load(kind, row[0], row[1])

    def fetch_all(self, kind: str) -> list[Versioned]:
        """Every row of the table."""
        rows = self._db.execute(f"SELECT version, body FROM {kind}").fetchall()
        return [self._load(kind, version, body) for version, body in rows]

    def _version(self, key: Key) -> int | None:
        row = self._db.execute(f"SELECT version FROM {key[0]} WHERE id = ?", (key[1],)).fetchone()
        return None if row is None else int(row[0])

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """One transaction: check every version read, then write with version checks."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            check_versions(expected, self._version)
            for key, value in writes.items():
                kind, record_id = key
                before = expected[key]
                if value is None:
                    cursor = db.execute(
                        f"DELETE FROM {kind} WHERE id = ? AND version = ?", (record_id, before)
                    )
                elif before is None:
                    cursor = db.execute(
                        f"INSERT INTO {kind} (id, version, body) VALUES (?, ?, ?)",
                        (record_id, value[0], json.dumps(_CONVERTER.unstructure(value[1]))),
                    )
                else:
                    cursor = db.execute(
                        f"UPDATE {kind} SET version = ?, body = ? WHERE id = ? AND version = ?",
                        (value[0], json.dumps(_CONVERTER.unstructure(value[1])), record_id, before),
                    )
                if cursor.rowcount != 1:  # a guard: the check above already holds the lock
                    raise ConcurrencyError(KINDS[kind].label, record_id, expected=before)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
