"""The SQL store on SQLite and on a real PostgreSQL server: schema versions,
bad arguments, query plans, storage failures, faults in the middle of a
commit, and what its errors may say."""

import importlib.util
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

import crmcore.adapters.sql as sql
from crmcore import (
    ConcurrencyError,
    Customer,
    MissingExtraError,
    Money,
    Opportunity,
    Pipeline,
    Profile,
    RecordKind,
    SchemaError,
    Stage,
    StorageError,
    ValidationError,
    commands,
    services,
)
from crmcore.adapters.sql import SCHEMA_VERSION, SqlStore, SqlUnitOfWork, create_schema
from crmcore.adapters.tracking import with_version
from crmcore.testing import SequentialIds
from crmcore.testing.strategies import emails, names, phones
from tests.clocks import LATER
from tests.sql import backends
from tests.sql.backends import BACKENDS, new_store
from tests.sql.postgres import PostgresServer

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _own_engine(backend: str) -> tuple[sa.Engine, str | None]:
    """An engine of the test's own (listeners on it touch no other test) on
    an empty database, with crmcore's tables."""
    if backend == "sqlite":
        engine, schema = backends.sqlite_engine(), None
    else:
        engine = sa.create_engine(backends.server().url)
        schema = backends.server().fresh_schema(engine)
    create_schema(engine, schema=schema)
    return engine, schema


def _dump(store: SqlStore) -> dict[RecordKind, list[tuple[Any, ...]]]:
    """Every row of every table, as the database holds it."""
    with store.engine.connect() as connection:
        return {
            kind: [tuple(row) for row in connection.execute(sa.select(store.table(kind)))]
            for kind in RecordKind
        }


# Schema -------------------------------------------------------------------------------


def test_the_schema_is_created_once_and_records_its_version(backend: str) -> None:
    engine, schema = _own_engine(backend)
    assert sql.schema_version(engine, schema=schema) == SCHEMA_VERSION
    create_schema(engine, schema=schema)  # idempotent
    store = SqlStore(engine, schema=schema)
    uow = SqlUnitOfWork(store, ids=SequentialIds(), clock=LATER)
    customer = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    create_schema(engine, schema=schema)  # keeps the data
    with SqlUnitOfWork(store, clock=LATER) as reader:
        assert reader.customers.get(customer).name == "A"
    assert sorted(sa.inspect(engine).get_table_names(schema=schema)) == sorted(
        ["crmcore_schema", *(kind.spec.repository for kind in RecordKind)]
    )
    engine.dispose()


def _set_version(engine: sa.Engine, schema: str | None, version: int | None) -> None:
    table = sql._schema(schema).version
    with engine.begin() as connection:
        connection.execute(table.delete())
        if version is not None:
            connection.execute(table.insert().values(name="crmcore", version=version))


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (SCHEMA_VERSION + 1, r"schema version 2, newer than this crmcore's 1: upgrade crmcore"),
        (SCHEMA_VERSION - 1, r"schema version 0, older than this crmcore's 1: migrate it first"),
        (None, r"crmcore_schema table holds no version: restore its row"),
    ],
)
def test_a_database_of_another_schema_version_is_refused(
    backend: str, version: int | None, message: str
) -> None:
    engine, schema = _own_engine(backend)
    _set_version(engine, schema, version)
    with pytest.raises(SchemaError, match=message) as raised:
        SqlStore(engine, schema=schema)
    assert (raised.value.operation, raised.value.kind) == ("open", "schema")
    with pytest.raises(SchemaError, match=message):
        create_schema(engine, schema=schema)
    with pytest.raises(SchemaError, match=message):
        SqlStore(engine, schema=schema, create=True)
    engine.dispose()


def test_an_empty_database_is_refused_unless_asked_to_create_the_tables() -> None:
    engine = backends.sqlite_engine()
    assert sql.schema_version(engine) is None
    with pytest.raises(SchemaError, match=r"has no crmcore tables") as raised:
        SqlStore(engine)
    assert raised.value.remedy.startswith("create them")
    assert isinstance(raised.value, StorageError)
    SqlStore(engine, create=True)
    assert sql.schema_version(engine) == SCHEMA_VERSION


# Bad arguments ------------------------------------------------------------------------


def test_an_engine_of_another_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"engine: must be a SQLAlchemy Engine, not str"):
        SqlStore("sqlite:///crm.db")  # type: ignore[arg-type]
    fake_driver = types.SimpleNamespace(paramstyle="format", version_info=(1, 0), __version__="1")
    mysql = sa.create_engine("mysql+pymysql://u@localhost/db", module=fake_driver)
    with pytest.raises(ValidationError, match=r"engine: uses the 'mysql' dialect.*sqlite or"):
        create_schema(mysql)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("crm; DROP TABLE x", r"schema: is not a plain identifier"),
        ("1crm", r"schema: is not a plain identifier"),
        ("crmé", r"schema: is not a plain identifier"),
        (7, r"schema: is not a plain identifier"),
        ("s" * 64, r"schema: is 64 characters long \(accepted: at most 63"),
    ],
)
def test_a_schema_name_that_is_not_a_plain_identifier_is_refused(
    schema: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SqlStore(backends.sqlite_engine(), schema=schema)  # type: ignore[arg-type]


def test_a_unit_of_work_needs_a_sql_store() -> None:
    with pytest.raises(ValidationError, match=r"store: must be a SqlStore, not dict"):
        SqlUnitOfWork({}, clock=LATER)  # type: ignore[arg-type]


def test_storage_primitives_check_their_arguments() -> None:
    store = new_store("sqlite")
    with pytest.raises(ValidationError, match=r"kind: must be a RecordKind"):
        store.fetch("customer", "c1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"record_id: contains whitespace"):
        store.fetch(RecordKind.CUSTOMER, "c 1")
    with pytest.raises(ValidationError, match=r"after: must be a string"):
        store.fetch_where(RecordKind.CUSTOMER, {}, limit=None, after=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"limit"):
        store.fetch_where(RecordKind.CUSTOMER, {}, limit=0, after=None)
    with pytest.raises(ValidationError, match=r"writes: must be a mapping"):
        store.apply({}, [])  # type: ignore[arg-type]


def test_the_sql_module_without_its_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    spec = importlib.util.spec_from_file_location("crmcore_sql_probe", sql.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(MissingExtraError, match=r'needs sqlalchemy: pip install "crmcore\[sql\]"'):
        spec.loader.exec_module(module)


# The storage primitives ----------------------------------------------------------------


def _customer(number: int, customer_id: str | None = None) -> Customer:
    return Customer.prospect(customer_id=customer_id or f"c{number:04d}", name=f"N{number}", at=T0)


def _stored(customer: Customer, version: int = 1) -> tuple[int, Customer]:
    return version, with_version(customer, version)


def test_apply_writes_unchecked_keys_as_the_memory_store_does(backend: str) -> None:
    """Keys in ``writes`` but not in ``expected`` are written without a version check."""
    store = new_store(backend)
    key = (RecordKind.CUSTOMER, "c0001")
    store.apply({}, {key: (1, _customer(1))})
    store.apply({}, {key: (5, _customer(1).rename("M", at=T0))})
    found = store.fetch(*key)
    assert found is not None
    assert found[0] == 5
    assert found[1] == with_version(_customer(1).rename("M", at=T0), 5)
    store.apply({}, {key: None})
    store.apply({key: None}, {key: None})  # deleting what is absent, as expected
    assert store.fetch(*key) is None
    store.apply({}, {})
    store.apply({key: None}, {})  # a check without writes
    with pytest.raises(ConcurrencyError, match=r"read at version 3, stored version None"):
        store.apply({key: 3}, {})


def test_a_commit_checks_hundreds_of_reads_in_batches(backend: str) -> None:
    store = new_store(backend)
    many = {(RecordKind.CUSTOMER, f"c{n:04d}"): (1, _customer(n)) for n in range(1_203)}
    store.apply(dict.fromkeys(many), many)
    expected = dict.fromkeys(many, 1)
    store.apply(expected, {})
    changed = (RecordKind.CUSTOMER, "c1100")
    store.apply({changed: 1}, {changed: (2, _customer(1_100).rename("X", at=T0))})
    with pytest.raises(ConcurrencyError, match=r"'c1100' was changed"):
        store.apply(expected, {(RecordKind.CUSTOMER, "c0001"): (2, _customer(1))})
    assert store.fetch(RecordKind.CUSTOMER, "c0001") == _stored(_customer(1))


def test_the_guarded_writes_refuse_a_stale_version_even_without_the_check(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: the version check runs first in the same transaction,
    but each UPDATE and DELETE carries the expected version too."""
    store = new_store(backend)
    key = (RecordKind.CUSTOMER, "c0001")
    store.apply({key: None}, {key: (1, _customer(1))})
    monkeypatch.setattr(store, "_versions", lambda connection, expected: None)
    for write in ((3, _customer(1).rename("X", at=T0)), None):
        with pytest.raises(ConcurrencyError, match=r"read at version 2, stored version None"):
            store.apply({key: 2}, {key: write})
    assert store.fetch(*key) == _stored(_customer(1))


def test_stage_names_with_nul_and_backslashes_are_stored_and_found(backend: str) -> None:
    """PostgreSQL text cannot hold NUL; a stage name may. The indexed column
    holds an injective escape, so each stage is found exactly."""
    names = ["a\0b", "a\\0b", "a\\\0b", "plain"]
    pipeline = Pipeline(
        [
            *(Stage(name, "0.5") for name in names),
            Stage("Won", "1", kind="won"),
            Stage("Lost", "0", kind="lost"),
        ]
    )
    store = new_store(backend)
    with SqlUnitOfWork(store, clock=LATER) as uow:
        for n, name in enumerate(names):
            opened = Opportunity.open(
                opportunity_id=f"o{n}",
                customer_id="c1",
                title="t",
                amount=Money.of("1", "EUR"),
                at=T0,
                pipeline=pipeline,
            )
            uow.opportunities.add(opened if n == 0 else opened.move_to(name, at=T0))
        uow.commit()
    with SqlUnitOfWork(store, clock=LATER) as uow:
        for n, name in enumerate(names):
            found = uow.select(RecordKind.OPPORTUNITY, {"stage": name})
            assert [o.opportunity_id for o in found] == [f"o{n}"]
            assert found[0].stage.name == name
        assert uow.select(RecordKind.OPPORTUNITY, {"stage": "a"}) == ()
        assert uow.select(RecordKind.CUSTOMER, {"phase": "acquisition", "owner": [None]}) == ()


def test_a_row_changed_behind_the_stores_back_is_refused_when_loaded(backend: str) -> None:
    store = new_store(backend)
    store.apply({}, {(RecordKind.CUSTOMER, f"c000{n}"): (1, _customer(n)) for n in (1, 2)})
    table = store.table(RecordKind.CUSTOMER)
    with store.engine.begin() as connection:
        connection.execute(table.update().where(table.c.id == "c0001").values(body="{not json"))
        connection.execute(
            table.update().where(table.c.id == "c0002").values(body='{"customer_id": 7}')
        )
    with pytest.raises(StorageError, match=r"failed to load \(customer\): a stored body is not"):
        store.fetch(RecordKind.CUSTOMER, "c0001")
    with pytest.raises(ValidationError, match=r"customer_id: must be a string, not int"):
        store.fetch(RecordKind.CUSTOMER, "c0002")


def test_create_must_be_a_bool() -> None:
    with pytest.raises(ValidationError, match=r"^create: "):
        SqlStore(backends.sqlite_engine(), create="yes")  # type: ignore[arg-type]


# Query plans --------------------------------------------------------------------------


PLANS = [
    (RecordKind.OPPORTUNITY, {"customer_id": "cust-1"}, "opportunities_customer_id"),
    (RecordKind.OPPORTUNITY, {"owner": "u1"}, "opportunities_owner"),
    (RecordKind.CONTRACT, {"team": ["north", "south"]}, "contracts_team"),
]


def _plan(store: SqlStore, kind: RecordKind, where: dict[str, object]) -> str:
    statement = store.select_statement(kind, kind.spec.check_where(where), limit=50, after=None)
    compiled = statement.compile(store.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + str(compiled)).all()
    return " ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(("kind", "where", "index"), PLANS)
def test_sqlite_queries_use_an_index(
    kind: RecordKind, where: dict[str, object], index: str
) -> None:
    plan = _plan(new_store("sqlite"), kind, where)
    assert f"USING INDEX {index}" in plan, plan


@pytest.mark.parametrize(("kind", "where", "index"), PLANS)
def test_postgres_queries_use_an_index(
    kind: RecordKind, where: dict[str, object], index: str
) -> None:
    store = new_store("postgresql")
    table = store.table(kind)
    rows = [
        {
            "id": f"r{n:05d}",
            "version": 1,
            "body": "{}",
            **{column.name: f"v{n % 500}" for column in table.c if column.name.startswith("ix_")},
        }
        for n in range(5_000)
    ]
    if "ix_is_open" in table.c:
        for row in rows:
            row["ix_is_open"] = True
    with store.engine.begin() as connection:
        connection.execute(table.insert(), rows)
        connection.exec_driver_sql(f"ANALYZE {store.schema}.{table.name}")
    plan = _plan(store, kind, where)
    assert index in plan, plan
    with store.engine.begin() as connection:
        connection.execute(table.delete())


# Storage failures ---------------------------------------------------------------------


def test_an_unreachable_database_is_a_storage_error() -> None:
    engine = sa.create_engine("postgresql+psycopg://crm@/postgres?host=/nonexistent&port=1")
    with pytest.raises(StorageError, match=r"failed to read the schema version of \(schema\)"):
        SqlStore(engine)


def test_a_store_whose_server_went_away_raises_storage_errors() -> None:
    """A server of its own, stopped under a working store."""
    server = PostgresServer()
    engine = sa.create_engine(server.start())
    try:
        store = SqlStore(engine, create=True)
        uow = SqlUnitOfWork(store, ids=SequentialIds(), clock=LATER)
        customer = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    finally:
        server.stop()
    with pytest.raises(StorageError, match=r"failed to read \(customer\): OperationalError"):
        store.fetch(RecordKind.CUSTOMER, customer)
    with pytest.raises(StorageError, match=r"failed to query \(customer\)"):
        store.fetch_where(RecordKind.CUSTOMER, {}, limit=None, after=None)
    with pytest.raises(StorageError, match=r"failed to commit \(customer\).*nothing was written"):
        store.apply({}, {(RecordKind.CUSTOMER, "x"): (1, _customer(1))})
    engine.dispose()


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=names().map("Nguyễn Văn {}".format),
    email=emails().filter(lambda e: len(e) >= 8),
    phone=phones().filter(lambda p: len(p) >= 8),
)
def test_storage_errors_never_carry_personal_data(
    backend: str, name: str, email: str, phone: str
) -> None:
    """A constraint that refuses the row: PostgreSQL's own message quotes the
    failing row (name, e-mail, phone), SQLAlchemy's the statement's
    parameters; the StorageError must not, nor carry the driver's error."""
    engine, schema = _own_engine(backend)  # not recycled: it gets a constraint
    store = SqlStore(engine, schema=schema)
    table = store.table(RecordKind.CUSTOMER)
    guard = "CREATE TRIGGER refuse BEFORE INSERT ON {t} "
    with store.engine.begin() as connection:
        if backend == "sqlite":
            connection.exec_driver_sql(
                guard.format(t=table.name) + "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            connection.exec_driver_sql(
                f"ALTER TABLE {store.schema}.{table.name} ADD CONSTRAINT short "
                "CHECK (length(body) < 10)"
            )
    customer = Customer.prospect(
        customer_id="c1", name=name, at=T0, profile=Profile(email=email, phone=phone)
    )
    with pytest.raises(StorageError) as raised:
        store.apply(
            {(RecordKind.CUSTOMER, "c1"): None}, {(RecordKind.CUSTOMER, "c1"): (1, customer)}
        )
    error = raised.value
    shown = str(error) + repr(error) + repr(error.__dict__)
    for secret in (name, email, phone):
        assert secret not in shown
    assert error.__context__ is None
    assert error.__cause__ is None
    assert (error.operation, error.kind) == ("commit", "customer")
    assert store.fetch(RecordKind.CUSTOMER, "c1") is None
    engine.dispose()


# Faults in the middle of a commit -------------------------------------------------------


class Injected(Exception):
    """The fault the tests inject."""


@contextmanager
def _failing_at(engine: sa.Engine, statement: int) -> Iterator[list[str]]:
    """Fail the ``statement``-th statement (from 1) the engine executes."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])
        if len(seen) == statement:
            raise Injected(f"statement {statement} failed")

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _three_writes(store: SqlStore) -> None:
    uow = SqlUnitOfWork(store, ids=SequentialIds(1), clock=LATER)
    with uow:
        first = uow.customers.get("c0001")
        uow.customers.save(first.rename("Changed", at=T0))
        uow.customers.remove("c0002")
        uow.customers.add(_customer(3))
        uow.commit()


def test_a_failure_at_any_statement_of_a_commit_leaves_the_database_as_it_was(
    backend: str,
) -> None:
    engine, schema = _own_engine(backend)
    store = SqlStore(engine, schema=schema)
    store.apply({}, {(RecordKind.CUSTOMER, f"c000{n}"): (1, _customer(n)) for n in (1, 2)})
    before = _dump(store)
    with _failing_at(engine, 10**6) as statements:
        _three_writes(store)
    total = len(statements)
    assert total >= 8  # reads, BEGIN, the version check, three writes, COMMIT
    after = _dump(store)
    store.apply({}, {(RecordKind.CUSTOMER, f"c000{n}"): (1, _customer(n)) for n in (1, 2)})
    store.apply({(RecordKind.CUSTOMER, "c0003"): 1}, {(RecordKind.CUSTOMER, "c0003"): None})
    assert _dump(store) == before
    for k in range(1, total + 1):
        with _failing_at(engine, k), pytest.raises(Injected):
            _three_writes(store)
        assert _dump(store) == before, f"statement {k} of {total} left a half-written commit"
    _three_writes(store)
    assert _dump(store) == after
    engine.dispose()


def test_a_connection_lost_in_the_middle_of_a_commit_writes_nothing() -> None:
    engine, schema = _own_engine("postgresql")
    store = SqlStore(engine, schema=schema)
    store.apply({}, {(RecordKind.CUSTOMER, f"c000{n}"): (1, _customer(n)) for n in (1, 2)})
    before = _dump(store)
    admin = sa.create_engine(backends.server().url, poolclass=sa.pool.NullPool)

    for moment in ("UPDATE", "DELETE", "INSERT", "COMMIT"):

        def drop(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if statement.startswith(moment):  # noqa: B023 - used within the iteration
                pid = connection.connection.dbapi_connection.info.backend_pid
                with admin.connect() as other:
                    other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")

        sa.event.listen(engine, "before_cursor_execute", drop)
        try:
            with pytest.raises(StorageError, match=r"failed to commit.*(SQLSTATE 57P01)"):
                _three_writes(store)
        finally:
            sa.event.remove(engine, "before_cursor_execute", drop)
        assert _dump(store) == before, moment
    admin.dispose()
    engine.dispose()


def test_a_sqlite_connection_closed_in_the_middle_of_a_commit_writes_nothing() -> None:
    engine, _ = _own_engine("sqlite")
    store = SqlStore(engine)
    store.apply({}, {(RecordKind.CUSTOMER, f"c000{n}"): (1, _customer(n)) for n in (1, 2)})
    before = _dump(store)

    def close(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.startswith("DELETE"):
            connection.connection.dbapi_connection.close()

    sa.event.listen(engine, "before_cursor_execute", close)
    try:
        with pytest.raises(StorageError, match=r"failed to commit.*ProgrammingError"):
            _three_writes(store)
    finally:
        sa.event.remove(engine, "before_cursor_execute", close)
    assert _dump(store) == before
    engine.dispose()


def test_a_serialization_failure_on_postgres_is_a_concurrency_error() -> None:
    """Write skew: each commit reads both records and changes one; the
    database refuses the second commit (SQLSTATE 40001)."""
    engine, schema = _own_engine("postgresql")
    store = SqlStore(engine, schema=schema)
    a, b = (RecordKind.CUSTOMER, "c0001"), (RecordKind.CUSTOMER, "c0002")
    store.apply({}, {a: (1, _customer(1)), b: (1, _customer(2))})
    other = SqlStore(sa.create_engine(backends.server().url), schema=schema)
    done = threading.Event()

    def interleave(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement == "COMMIT" and not done.is_set():
            done.set()
            other.apply({a: 1, b: 1}, {b: (2, _customer(2).rename("B", at=T0))})

    sa.event.listen(engine, "before_cursor_execute", interleave)
    try:
        with pytest.raises(ConcurrencyError, match=r"customer 'c0001' was changed"):
            store.apply({a: 1, b: 1}, {a: (2, _customer(1).rename("A", at=T0))})
    finally:
        sa.event.remove(engine, "before_cursor_execute", interleave)
    assert done.is_set()
    assert store.fetch(*a) == _stored(_customer(1))
    assert store.fetch(*b) == _stored(_customer(2).rename("B", at=T0), 2)
    other.engine.dispose()
    engine.dispose()


def test_money_and_instants_keep_their_exact_values(backend: str) -> None:
    store = new_store(backend)
    uow = SqlUnitOfWork(store, ids=SequentialIds(), clock=LATER)
    customer = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    amount = "123456789012345678.123456789012345678"
    opportunity = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer,
            title="t",
            amount=Money.of(amount, "EUR"),
            at=T0.add(microseconds=1),
        ),
    )
    with store.engine.connect() as connection:
        body = connection.execute(
            sa.select(store.table(RecordKind.OPPORTUNITY).c.body)
        ).scalar_one()
    assert f'"amount": "{amount}"' in body
    assert "2030-01-01T00:00:00.000001+00:00" in body
    with SqlUnitOfWork(store, clock=LATER) as reader:
        stored = reader.opportunities.get(opportunity)
    assert str(stored.amount.amount) == amount
    assert stored.opened_at == T0.add(microseconds=1)


@pytest.mark.parametrize("size", [1, 3])
def test_ids_are_ordered_as_plain_strings(backend: str, size: int) -> None:
    """Keyset paging follows Python's str order (code points), whatever the
    database's collation: PostgreSQL's locale order would put 'a' before 'B'."""
    store = new_store(backend)
    ids = ["B", "a", "Z", "_", "é", "ä", "10", "9", "A-1", "A.1", "A~", "ﬀ", "😀"]
    store.apply({}, {(RecordKind.CUSTOMER, i): (1, _customer(0, i)) for i in ids})
    with SqlUnitOfWork(store, clock=LATER) as uow:
        pages: list[str] = []
        after = None
        while True:
            page = uow.select(RecordKind.CUSTOMER, limit=size, after=after)
            if not page:
                break
            pages += [c.customer_id for c in page]
            after = page[-1].customer_id
    assert pages == sorted(ids)
