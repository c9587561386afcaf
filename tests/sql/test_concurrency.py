"""Processes on one database: no lost update, and the committed history replays.

4 processes each make 200 random service calls (``make stress``: 2,000) on
one SQLite file and on one PostgreSQL schema, through their own engines.
Every commit writes the call it belongs to into a ``commit_log`` table in
the same transaction, so the log is the database's own commit order. A call
either commits, or is rejected with `ConcurrencyError`, or is refused by a
business rule before anything is written; the final state (versions
included) must equal a serial replay of the logged calls on the in-memory
store, so no update is lost and no version is skipped or repeated.
"""

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from crmcore.adapters.sql import SqlStore, SqlUnitOfWork
from tests.clocks import LATER
from tests.services.test_concurrency import (
    STATS,
    STRESS,
    Call,
    FixedIds,
    calls_of,
    contents,
    replay,
    setup,
)
from tests.sql import backends

PROCESSES = 4
CALLS = 2_000 if STRESS else 200


class LoggedUnitOfWork(SqlUnitOfWork):
    current: Call = ("setup", "", 0, "")


def _logged_store(url: str, schema: str | None) -> tuple[SqlStore, LoggedUnitOfWork]:
    """A store whose every COMMIT first logs the committing call, in the same transaction."""
    engine = sa.create_engine(url)
    store = SqlStore(engine, schema=schema)
    uow = LoggedUnitOfWork(store, ids=FixedIds(), clock=LATER)
    table = "commit_log" if schema is None else f"{schema}.commit_log"
    mark = "?" if engine.dialect.name == "sqlite" else "%s"

    def log(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement == "COMMIT":
            cursor.execute(
                f"INSERT INTO {table} (call) VALUES ({mark})", (json.dumps(uow.current),)
            )

    sa.event.listen(engine, "before_cursor_execute", log)
    return store, uow


def worker(
    url: str, schema: str | None, number: int, customers: list[str], deals: list[str]
) -> Any:
    """One process's calls (runs in a child process)."""
    store, uow = _logged_store(url, schema)
    try:
        return calls_of(uow, number, CALLS, customers, deals)
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("backend", backends.BACKENDS)
def test_processes_on_one_database_lose_no_update(backend: str) -> None:
    if backend == "sqlite":
        url, schema = f"sqlite:///{backends.sqlite_path()}", None
    else:
        url = backends.server().url
        schema = backends.server().fresh_schema(backends.postgres_engine())
    engine = sa.create_engine(url)
    SqlStore(engine, schema=schema, create=True)
    log_table = "commit_log" if schema is None else f"{schema}.commit_log"
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if backend == "sqlite" else "SERIAL PRIMARY KEY"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {log_table} (seq {key}, call TEXT)")
    store, setup_uow = _logged_store(url, schema)
    customers, deals = setup(setup_uow)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(worker, url, schema, w, customers, deals) for w in range(PROCESSES)]
        results = [f.result() for f in futures]
    rejected = [tuple(c) for r, _, _ in results for c in r]
    refused = [tuple(c) for _, f, _ in results for c in f]
    errors = [e for _, _, es in results for e in es]
    assert errors == []
    with engine.connect() as connection:
        logged = [
            tuple(json.loads(row[0]))
            for row in connection.exec_driver_sql(f"SELECT call FROM {log_table} ORDER BY seq")
        ]
    committed = [c for c in logged if c[0] != "setup"]
    assert len(committed) + len(rejected) + len(refused) == PROCESSES * CALLS
    assert rejected, "the processes produced no conflicts; the test proves nothing"
    assert not set(committed) & set(rejected)
    STATS[f"processes on {backend}"] = (PROCESSES, CALLS, len(committed), len(rejected))
    final = contents(SqlUnitOfWork(store, clock=LATER))
    expected = replay(committed)
    assert expected == final
    versions = {k: [r.version for r in v] for k, v in final.items()}
    assert versions == {k: [r.version for r in v] for k, v in expected.items()}
    store.engine.dispose()
    engine.dispose()
