"""The two SQL databases the store is tested on: SQLite files and a real
PostgreSQL server, started on first use in each test process and stopped at
the end of the session (`stop`)."""

import atexit
import functools
import itertools
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from crmcore import RecordKind
from crmcore.adapters.sql import SqlStore, SqlUnitOfWork
from crmcore.testing import SequentialIds
from crmcore.testing.contracts import Factory
from tests.clocks import LATER
from tests.sql.postgres import PostgresServer

_FOLDER = tempfile.TemporaryDirectory(prefix="crmcore-sql-")
_COUNTER = itertools.count()
_LOCK = threading.RLock()
_SERVER: PostgresServer | None = None
_ENGINE: sa.Engine | None = None

BACKENDS = ("sqlite", "postgresql")


def sqlite_path() -> Path:
    """A new database file name in the session's temporary folder."""
    with _LOCK:
        return Path(_FOLDER.name) / f"crm-{next(_COUNTER)}.sqlite3"


def sqlite_engine(path: Path | None = None) -> sa.Engine:
    """An engine on a SQLite file (a new one by default)."""
    return sa.create_engine(f"sqlite:///{path or sqlite_path()}")


def server() -> PostgresServer:
    """This process's PostgreSQL server, started on first use."""
    global _SERVER, _ENGINE
    with _LOCK:
        if _SERVER is None:
            candidate = PostgresServer()
            atexit.register(candidate.stop)
            _ENGINE = sa.create_engine(candidate.start(), pool_size=4, max_overflow=16)
            _SERVER = candidate
        return _SERVER


def postgres_engine() -> sa.Engine:
    """The engine on this process's PostgreSQL server."""
    server()
    assert _ENGINE is not None
    return _ENGINE


def stop() -> None:
    """Stop this process's server, if one was started."""
    global _SERVER, _ENGINE
    with _LOCK:
        if _ENGINE is not None:
            _ENGINE.dispose()
        if _SERVER is not None:
            _SERVER.stop()
        _SERVER = _ENGINE = None


# Databases whose store was garbage-collected, emptied and handed out again
# (creating the tables costs more than a test example).
_FREE: dict[str, list[tuple[sa.Engine, str | None]]] = {backend: [] for backend in BACKENDS}


def _release(backend: str, engine: sa.Engine, schema: str | None) -> None:
    # A finalizer may run in the middle of any allocation, also while this
    # thread holds _LOCK: list.append is atomic, so it takes no lock.
    _FREE[backend].append((engine, schema))


def new_store(backend: str) -> SqlStore:
    """A store on an empty database: a SQLite file or a PostgreSQL schema,
    new or recycled from a store that is gone."""
    try:
        free = _FREE[backend].pop()
    except IndexError:
        free = None
    if free is not None:
        engine, schema = free
        store = SqlStore(engine, schema=schema)
        with engine.begin() as connection:
            for kind in RecordKind:
                connection.execute(store.table(kind).delete())
    elif backend == "sqlite":
        engine, schema = sqlite_engine(), None
        store = SqlStore(engine, create=True)
    else:
        engine = postgres_engine()
        schema = server().fresh_schema(engine)
        store = SqlStore(engine, schema=schema, create=True)
    weakref.finalize(store, _release, backend, engine, schema)
    return store


def factory(backend: str) -> Factory:
    """A unit-of-work factory on a new, empty database."""
    store = new_store(backend)
    ids = SequentialIds()
    return lambda: SqlUnitOfWork(store, ids=ids, clock=LATER)


FACTORIES: dict[str, Callable[[], Factory]] = {
    backend: functools.partial(factory, backend) for backend in BACKENDS
}
