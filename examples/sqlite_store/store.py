"""A real storage adapter for crmcore on sqlite3.

One table per kind of record, built from the registry
(`crmcore.domain.kinds.REGISTRY`): ``id`` (primary key), ``version``, one
indexed column per indexed field of the kind, and ``body`` (the aggregate as
JSON, through `crmcore.adapters.converters`). Queries (`fetch_where`) are SQL
``WHERE`` on the indexed columns, ordered by id, with keyset paging.

The transaction logic (read tracking, buffered writes, events) is crmcore's
`TrackingUnitOfWork`; this module implements its three storage primitives.
A commit is one SQLite transaction (``BEGIN IMMEDIATE``): it re-checks the
version of everything the unit of work read, then writes with
``UPDATE ... WHERE version = ?`` so that a concurrent writer can never be
overwritten silently.

Table and column names come from the registry, never from a caller: a kind
that is not a `RecordKind` is refused before any SQL is built.
"""

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crmcore import ConcurrencyError
from crmcore.adapters.converters import make_converter
from crmcore.adapters.ids import UuidIds
from crmcore.adapters.tracking import (
    TrackingUnitOfWork,
    check_kind,
    check_versions,
    with_version,
)
from crmcore.domain.kinds import REGISTRY, IndexValue, KindSpec, RecordKind
from crmcore.ports import Filters, IdGenerator, Key, Versioned

_CONVERTER = make_converter()


def _table(kind: RecordKind) -> str:
    return f'"{REGISTRY[check_kind(kind)].repository}"'


def _column(name: str) -> str:
    return f'"ix_{name}"'


def _stored(value: IndexValue) -> object:
    return int(value) if isinstance(value, bool) else value


def create_schema(path: str | Path) -> None:
    """Create the tables and their indexes (if missing) in the database file at ``path``."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        for spec in REGISTRY.values():
            table = _table(spec.kind)
            columns = "".join(
                f", {_column(name)} {'INTEGER' if f.type == 'bool' else 'TEXT'}"
                for name, f in spec.indexed.items()
            )
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                f"id TEXT PRIMARY KEY, version INTEGER NOT NULL{columns}, body TEXT NOT NULL)"
            )
            for name in spec.indexed:
                connection.execute(
                    f'CREATE INDEX IF NOT EXISTS "{spec.repository}_{name}" '
                    f"ON {table} ({_column(name)}, id)"
                )
    connection.close()


def _where(filters: Filters, after: str | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    parameters: list[object] = []
    for name, accepted in filters.items():
        column = _column(name)
        values = [v for v in accepted if v is not None]
        alternatives = []
        if values:
            marks = ", ".join("?" for _ in values)
            alternatives.append(f"{column} IN ({marks})")
            parameters.extend(_stored(v) for v in sorted(values, key=repr))
        if None in accepted:
            alternatives.append(f"{column} IS NULL")
        clauses.append("(" + " OR ".join(alternatives or ["0"]) + ")")
    if after is not None:
        clauses.append("id > ?")
        parameters.append(after)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", parameters


def select_sql(
    kind: RecordKind, filters: Filters, limit: int | None, after: str | None
) -> tuple[str, list[object]]:
    """The SQL (and parameters) of one query: WHERE on indexed columns, ORDER BY id."""
    where, parameters = _where(filters, after)
    sql = f"SELECT version, body FROM {_table(kind)}{where} ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        parameters.append(limit)
    return sql, parameters


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
        # memory-mapped reads: a new connection does not start with a cold page cache
        self._connection.execute("PRAGMA mmap_size=268435456")

    def end(self) -> None:
        """Close this block's connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._connection is not None, "used outside a with block"
        return self._connection

    def _load(self, kind: RecordKind, version: int, body: str) -> Versioned:
        aggregate = _CONVERTER.structure(json.loads(body), REGISTRY[kind].aggregate)
        return version, with_version(aggregate, version)

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """One row, rebuilt (and so validated) through the converter."""
        row = self._db.execute(
            f"SELECT version, body FROM {_table(kind)} WHERE id = ?", (record_id,)
        ).fetchone()
        return None if row is None else self._load(kind, row[0], row[1])

    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """The rows matching ``where``, by SQL on the indexed columns."""
        filters = REGISTRY[check_kind(kind)].check_where(where)
        sql, parameters = select_sql(kind, filters, limit, after)
        rows = self._db.execute(sql, parameters).fetchall()
        return [self._load(kind, version, body) for version, body in rows]

    def _version(self, key: Key) -> int | None:
        row = self._db.execute(
            f"SELECT version FROM {_table(key[0])} WHERE id = ?", (key[1],)
        ).fetchone()
        return None if row is None else int(row[0])

    def _row(self, spec: KindSpec[Any], value: Versioned) -> list[object]:
        indexed = [_stored(v) for v in spec.index_values(value[1]).values()]
        return [value[0], *indexed, json.dumps(_CONVERTER.unstructure(value[1]))]

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
                spec = REGISTRY[check_kind(kind)]
                table = _table(kind)
                columns = ["version", *(_column(n) for n in spec.indexed), "body"]
                before = expected[key]
                if value is None:
                    cursor = db.execute(
                        f"DELETE FROM {table} WHERE id = ? AND version = ?", (record_id, before)
                    )
                elif before is None:
                    marks = ", ".join("?" for _ in columns)
                    cursor = db.execute(
                        f"INSERT INTO {table} (id, {', '.join(columns)}) VALUES (?, {marks})",
                        [record_id, *self._row(spec, value)],
                    )
                else:
                    assignments = ", ".join(f"{c} = ?" for c in columns)
                    cursor = db.execute(
                        f"UPDATE {table} SET {assignments} WHERE id = ? AND version = ?",
                        [*self._row(spec, value), record_id, before],
                    )
                if cursor.rowcount != 1:  # a guard: the check above already holds the lock
                    raise ConcurrencyError(kind.label, record_id, expected=before)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
