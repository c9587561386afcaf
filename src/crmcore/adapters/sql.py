"""The SQL store: crmcore's records in SQLite or PostgreSQL, through SQLAlchemy Core.

Needs ``pip install "crmcore[sql]"`` (SQLAlchemy and cattrs); PostgreSQL
also needs a driver: ``pip install "crmcore[postgres]"`` (psycopg 3).

The schema comes from the registry (`crmcore.domain.kinds.REGISTRY`): per
kind of record one table named after its repository, with ``id`` (primary
key), ``version``, one indexed column ``ix_<field>`` per indexed field, and
``body``, the aggregate as JSON through `crmcore.adapters.converters` (money
and decimals as exact decimal strings, instants as UTC ISO 8601 strings). A
table ``crmcore_schema`` records the schema version; `SqlStore` refuses a
database whose version is not `SCHEMA_VERSION` (see ``docs/adapters.md`` on
migrating).

Concurrency is optimistic and enforced by the database, so it holds across
processes and machines: a commit is one database transaction (SQLite
``BEGIN IMMEDIATE``; PostgreSQL ``SERIALIZABLE``) that re-reads the version
of everything the unit of work read and writes with
``UPDATE ... WHERE id = :id AND version = :expected`` (inserts fail on an
existing id). Any conflict is a `ConcurrencyError` and nothing is written.

Database failures (a refused connection, a lost connection, a full disk, a
constraint) become `StorageError`, naming the operation and the kind of
record but never a statement's parameters, which may hold personal data;
the driver's exception is not chained for the same reason (its text quotes
the parameters). A failed commit is rolled back by the database.
"""

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from crmcore.errors import (
    ConcurrencyError,
    CrmError,
    MissingExtraError,
    SchemaError,
    StorageError,
    ValidationError,
)

try:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc

    from crmcore.adapters.converters import make_converter
except ImportError as missing:
    raise MissingExtraError(
        f'crmcore.adapters.sql needs {missing.name}: pip install "crmcore[sql]"', extra="sql"
    ) from None

from crmcore.adapters.ids import UuidIds
from crmcore.adapters.tracking import (
    StoreUnitOfWork,
    check_batch,
    check_kind,
    check_limit,
    with_version,
)
from crmcore.domain.fields import check_bool
from crmcore.domain.ids import check_id
from crmcore.domain.kinds import REGISTRY, IndexValue, RecordKind
from crmcore.ports import Clock, Filters, IdGenerator, Key, Versioned

__all__ = [
    "SCHEMA_VERSION",
    "SqlStore",
    "SqlUnitOfWork",
    "create_schema",
    "schema_version",
]

SCHEMA_VERSION = 1
"""The version of the table layout this code reads and writes."""

DIALECTS = ("sqlite", "postgresql")
"""The SQL dialects the store supports."""

_CONVERTER = make_converter()
T = TypeVar("T")

# Plain code-point order for ids (Python's str order): SQLite's default
# BINARY collation compares UTF-8 bytes, which is that order; PostgreSQL's
# default collation follows the locale, so ids use "C" there.
_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")

# PostgreSQL error classes that mean "another transaction got there first":
# serialization failure, deadlock, unique violation (as `_reason` ends).
_CONFLICT_REASONS = ("(SQLSTATE 40001)", "(SQLSTATE 40P01)", "(SQLSTATE 23505)")


def _indexed(value: IndexValue) -> IndexValue:
    """An indexed value as its column holds it. PostgreSQL text cannot hold
    NUL, which a stage name may contain, so text is escaped (injectively:
    backslash doubled, NUL as backslash-zero) on every database alike."""
    if isinstance(value, str) and ("\\" in value or "\0" in value):
        return value.replace("\\", "\\\\").replace("\0", "\\0")
    return value


class _Schema:
    """The tables of one database schema (``None``: the default one); built
    once per schema name (`_schema`)."""

    def __init__(self, schema: str | None) -> None:
        self.metadata = sa.MetaData(schema=schema)
        self.tables: dict[RecordKind, sa.Table] = {}
        for spec in REGISTRY.values():
            columns: list[sa.Column[Any]] = [
                sa.Column("id", _TEXT, primary_key=True),
                sa.Column("version", sa.Integer, nullable=False),
                *(
                    sa.Column(f"ix_{name}", sa.Boolean if field.type == "bool" else _TEXT)
                    for name, field in spec.indexed.items()
                ),
                sa.Column("body", sa.Text, nullable=False),
            ]
            table = sa.Table(spec.repository, self.metadata, *columns)
            for name in spec.indexed:
                sa.Index(f"{spec.repository}_{name}", table.c[f"ix_{name}"], table.c.id)
            self.tables[spec.kind] = table
        self.version = sa.Table(
            "crmcore_schema",
            self.metadata,
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("version", sa.Integer, nullable=False),
        )


@functools.lru_cache(maxsize=256)
def _schema(name: str | None) -> _Schema:
    return _Schema(name)


def _check_engine(engine: object) -> "sa.Engine":
    if not isinstance(engine, sa.Engine):
        raise ValidationError(
            "engine",
            f"must be a SQLAlchemy Engine, not {type(engine).__name__}",
            allowed="sqlalchemy.create_engine('sqlite:///crm.db') or a postgresql+psycopg URL",
        )
    if engine.dialect.name not in DIALECTS:
        raise ValidationError(
            "engine",
            f"uses the {engine.dialect.name!r} dialect",
            allowed="an engine for " + " or ".join(DIALECTS),
        )
    return engine


def _check_schema_name(schema: object) -> str | None:
    if schema is None:
        return None
    if type(schema) is not str or not (schema.isascii() and schema.isidentifier()):
        raise ValidationError(
            "schema",
            "is not a plain identifier",
            allowed="None or ASCII letters, digits and underscores, not starting with a digit",
        )
    if len(schema) > 63:
        raise ValidationError(
            "schema", f"is {len(schema)} characters long", allowed="at most 63 characters"
        )
    return schema


def _reason(error: BaseException) -> str:
    """What went wrong, without the statement or its parameters."""
    original = getattr(error, "orig", None) or error
    code = getattr(original, "sqlstate", None)
    name = type(original).__name__
    return f"{name} (SQLSTATE {code})" if code else name


def _run(operation: str, kind: str, work: Callable[[], T]) -> T:
    """``work()``, with a SQLAlchemy or driver error turned into a
    `StorageError`. It is raised outside the ``except`` block, so it has no
    ``__context__``: the driver's error, whose text quotes the statement's
    parameters, is not attached to it."""
    try:
        return work()
    except CrmError:
        raise
    except sa_exc.SQLAlchemyError as error:
        failure = StorageError(operation, kind, _reason(error))
    raise failure


def schema_version(engine: "sa.Engine", *, schema: str | None = None) -> int | None:
    """The schema version recorded in the database, or ``None`` if it has no crmcore tables.

    Raises:
        ValidationError: ``engine`` or ``schema`` is not accepted.
        SchemaError: the version table is there but holds no version.
        StorageError: the database cannot be read.
    """
    tables = _schema(_check_schema_name(schema))
    engine = _check_engine(engine)

    def read() -> tuple[bool, int | None]:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("crmcore_schema", schema=schema):
                return False, None
            return True, connection.execute(
                sa.select(tables.version.c.version).where(tables.version.c.name == "crmcore")
            ).scalar_one_or_none()

    present, found = _run("read the schema version of", "schema", read)
    if present and found is None:
        raise SchemaError(
            "the database's crmcore_schema table holds no version",
            "restore its row (name 'crmcore', the version the tables were created at)",
        )
    return found


def create_schema(engine: "sa.Engine", *, schema: str | None = None) -> None:
    """Create crmcore's tables and indexes if they are missing (idempotent),
    and record the schema version.

    On SQLite it also switches the database file to write-ahead logging, so
    that readers and a writer do not block each other.

    Args:
        engine: a SQLAlchemy engine for SQLite or PostgreSQL.
        schema: the database schema to create the tables in (PostgreSQL;
            ``None``: the default one). It must exist.

    Raises:
        ValidationError: ``engine`` or ``schema`` is not accepted.
        SchemaError: the database holds a different schema version.
        StorageError: the database failed.
    """
    tables = _schema(_check_schema_name(schema))
    engine = _check_engine(engine)
    found = schema_version(engine, schema=schema)
    if found is not None:
        _require_version(found)
        return

    def create() -> None:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        with engine.begin() as connection:
            tables.metadata.create_all(connection)
            connection.execute(
                tables.version.insert().values(name="crmcore", version=SCHEMA_VERSION)
            )

    _run("create", "schema", create)


def _require_version(found: int | None) -> None:
    if found is None:
        raise SchemaError(
            "the database has no crmcore tables",
            "create them with crmcore.adapters.sql.create_schema(engine) "
            "(or SqlStore(engine, create=True))",
        )
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {found}, newer than this crmcore's {SCHEMA_VERSION}",
            "upgrade crmcore before opening it",
        )
    if found < SCHEMA_VERSION:
        raise SchemaError(
            f"the database has schema version {found}, older than this crmcore's {SCHEMA_VERSION}",
            "migrate it first (docs/adapters.md, 'Schema changes')",
        )


class SqlStore:
    """crmcore's records in a SQL database; any number of `SqlUnitOfWork`,
    in any number of threads and processes, may share one database.

    Implements the storage port (`crmcore.ports.Storage`); every call uses
    a pooled connection of ``engine`` for one statement or one transaction.

    Args:
        engine: a SQLAlchemy engine for SQLite (``sqlite:///crm.db``; use a
            file, not ``:memory:``) or PostgreSQL (``postgresql+psycopg://…``).
        schema: the database schema holding the tables (PostgreSQL;
            ``None``: the default one).
        create: create the tables first if they are missing (`create_schema`).

    Raises:
        ValidationError: ``engine`` or ``schema`` is not accepted.
        SchemaError: the database has no crmcore tables (and ``create`` is
            false) or another schema version.
        StorageError: the database cannot be reached.
    """

    def __init__(
        self, engine: "sa.Engine", *, schema: str | None = None, create: bool = False
    ) -> None:
        self.engine = _check_engine(engine)
        self.schema = _check_schema_name(schema)
        self.dialect = engine.dialect.name
        self._tables = _schema(self.schema)
        if check_bool(create, "create"):
            create_schema(engine, schema=self.schema)
        _require_version(schema_version(engine, schema=self.schema))
        self._begin = (
            "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN ISOLATION LEVEL SERIALIZABLE"
        )
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._by_id = {
            kind: sa.select(table.c.version, table.c.body).where(table.c.id == sa.bindparam("id"))
            for kind, table in self._tables.tables.items()
        }

    def table(self, kind: RecordKind) -> "sa.Table":
        """The SQLAlchemy table of ``kind`` (for reports and query plans)."""
        return self._tables.tables[check_kind(kind)]

    @contextmanager
    def _connection(self) -> Iterator["sa.Connection"]:
        """A pooled connection in autocommit mode (transactions are explicit)."""
        with self._autocommit.connect() as connection:
            if self.dialect == "sqlite" and not connection.info.get("crmcore_busy_timeout"):
                # once per database connection (info lives as long as it does)
                connection.exec_driver_sql("PRAGMA busy_timeout = 30000")
                connection.info["crmcore_busy_timeout"] = True
            yield connection

    def _load(self, kind: RecordKind, version: int, body: str) -> Versioned:
        """A stored row, rebuilt through the converter (so every domain rule is
        checked again: a row changed behind crmcore's back is a `ValidationError`)."""
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            raise StorageError("load", kind.label, "a stored body is not JSON") from None
        aggregate = _CONVERTER.structure(data, REGISTRY[kind].aggregate)
        return version, with_version(aggregate, version)

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        """The stored (version, aggregate), or ``None``."""
        statement = self._by_id[check_kind(kind)]
        parameters = {"id": check_id(record_id, "record_id")}

        def read() -> Any:
            with self._connection() as connection:
                return connection.execute(statement, parameters).first()

        row = _run("read", kind.label, read)
        return None if row is None else self._load(kind, row[0], row[1])

    def select_statement(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> "sa.Select[Any]":
        """The ``SELECT`` that answers `fetch_where` (WHERE on the indexed
        columns, ORDER BY id, keyset paging), for query plans and reports."""
        table = self.table(kind)
        filters = REGISTRY[kind].check_where(where)
        count = check_limit(limit)
        statement = sa.select(table.c.version, table.c.body)
        for name, accepted in filters.items():
            column = table.c[f"ix_{name}"]
            values = sorted((_indexed(v) for v in accepted if v is not None), key=repr)
            alternatives = []
            if values:
                alternatives.append(column.in_(values))
            if None in accepted:
                alternatives.append(column.is_(None))
            statement = statement.where(sa.or_(sa.false(), *alternatives))
        if after is not None:
            statement = statement.where(table.c.id > check_id(after, "after"))
        statement = statement.order_by(table.c.id)
        if count is not None:
            statement = statement.limit(count)
        return statement

    def fetch_where(
        self, kind: RecordKind, where: Filters, *, limit: int | None, after: str | None
    ) -> list[Versioned]:
        """The stored records matching ``where``, ordered by id: SQL on the indexed columns."""
        statement = self.select_statement(check_kind(kind), where, limit=limit, after=after)

        def read() -> Any:
            with self._connection() as connection:
                return connection.execute(statement).all()

        return [
            self._load(kind, version, body) for version, body in _run("query", kind.label, read)
        ]

    def _versions(self, connection: "sa.Connection", expected: Mapping[Key, int | None]) -> None:
        by_kind: dict[RecordKind, list[str]] = {}
        for kind, record_id in expected:
            by_kind.setdefault(kind, []).append(record_id)
        for kind, record_ids in by_kind.items():
            table = self.table(kind)
            stored: dict[str, int] = {}
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                rows = connection.execute(
                    sa.select(table.c.id, table.c.version).where(table.c.id.in_(chunk))
                )
                stored.update((row[0], row[1]) for row in rows)
            for record_id in record_ids:
                version = expected[kind, record_id]
                actual = stored.get(record_id)
                if actual != version:
                    raise ConcurrencyError(kind.label, record_id, expected=version, actual=actual)

    def _row(self, kind: RecordKind, value: Versioned) -> dict[str, object]:
        spec = REGISTRY[kind]
        row: dict[str, object] = {
            f"ix_{name}": _indexed(indexed) for name, indexed in spec.index_values(value[1]).items()
        }
        row["version"] = value[0]
        row["body"] = json.dumps(_CONVERTER.unstructure(value[1]), ensure_ascii=False)
        return row

    def _write(
        self,
        connection: "sa.Connection",
        key: Key,
        expected: Mapping[Key, int | None],
        value: Versioned | None,
    ) -> None:
        kind, record_id = key
        table = self.table(kind)
        guarded = key in expected
        before = expected.get(key)
        match = [table.c.id == record_id]
        if before is not None:
            match.append(table.c.version == before)
        if value is None:
            done = connection.execute(table.delete().where(*match)).rowcount
            required = before is not None
        else:
            done = connection.execute(
                table.update().where(*match).values(**self._row(kind, value))
            ).rowcount
            required = guarded
            if not done and not guarded:  # an unchecked write of a new record
                connection.execute(table.insert().values(id=record_id, **self._row(kind, value)))
                return
        if required and done != 1:  # a guard: the version check above holds the lock
            raise ConcurrencyError(kind.label, record_id, expected=before)

    def apply(
        self, expected: Mapping[Key, int | None], writes: Mapping[Key, Versioned | None]
    ) -> None:
        """One database transaction: check the version of every key in
        ``expected``, then apply ``writes`` (those in ``expected`` with a
        version guard); a conflict is `ConcurrencyError`, and any failure
        rolls everything back."""
        expected, writes = check_batch(expected, writes)
        if not writes and not expected:
            return
        first = next(iter(writes or expected))

        def commit() -> None:
            with self._connection() as connection:
                connection.exec_driver_sql(self._begin)
                try:
                    self._versions(connection, expected)
                    # New records go in one INSERT per table (executemany: an
                    # import of 10^5 records is one statement per kind); an
                    # id someone else took meanwhile fails it as a whole.
                    new: dict[RecordKind, list[dict[str, object]]] = {}
                    for key, value in writes.items():
                        if value is not None and key in expected and expected[key] is None:
                            row = {"id": key[1], **self._row(key[0], value)}
                            new.setdefault(key[0], []).append(row)
                        else:
                            self._write(connection, key, expected, value)
                    for kind, rows in new.items():
                        connection.execute(self.table(kind).insert(), rows)
                    connection.exec_driver_sql("COMMIT")
                except BaseException:
                    self._rollback(connection)
                    raise

        try:
            _run("commit", first[0].label, commit)
        except StorageError as error:
            if error.reason.endswith(_CONFLICT_REASONS):
                raise ConcurrencyError(
                    first[0].label, first[1], expected=expected.get(first)
                ) from None
            raise

    @staticmethod
    def _rollback(connection: "sa.Connection") -> None:
        try:
            connection.exec_driver_sql("ROLLBACK")
        except sa_exc.SQLAlchemyError:
            # The connection is gone: the server rolls back an unfinished
            # transaction of a lost connection by itself.
            connection.invalidate()


class SqlUnitOfWork(StoreUnitOfWork):
    """A unit of work on a `SqlStore`.

    Args:
        store: the store to work on.
        ids: the id generator for new records; `UuidIds` when ``None``.
        clock: where the services get now; the system clock when ``None``.
    """

    store: SqlStore

    def __init__(
        self, store: SqlStore, *, ids: IdGenerator | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__(ids if ids is not None else UuidIds(), clock)
        if not isinstance(store, SqlStore):
            raise ValidationError(
                "store", f"must be a SqlStore, not {type(store).__name__}", allowed="a SqlStore"
            )
        self.store = store
