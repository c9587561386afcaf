"""Tables on the real engines the plans run on: DuckDB (in memory), the
PostgreSQL server the SQL store's tests start, and Spark in local mode (only
under ``make test-engines``, which sets ``CRMCORE_SPARK=1``; it needs Java).

`Engines` hands out connections whose session time zone is set, and loads
rows into a new table with the column types named in one logical vocabulary.
"""

import datetime as dt
import functools
import itertools
import os
import threading
from collections.abc import Sequence
from typing import Any

import duckdb
import sqlalchemy as sa

from tests.sql import backends

ENGINES: tuple[str, ...] = (
    ("duckdb",)
    if os.environ.get("CRMCORE_MUTATION") == "1"
    else ("duckdb", "postgresql") + (("spark",) if os.environ.get("CRMCORE_SPARK") == "1" else ())
)
"""The engines the properties run on. ``make mutation`` (``CRMCORE_MUTATION=1``)
runs each mutant's tests in a process of its own, where starting PostgreSQL
would cost more than the tests: there the plans meet DuckDB only."""

EXAMPLES = int(os.environ.get("CRMCORE_ENGINE_EXAMPLES", "15"))
"""Hypothesis examples per engine property: each creates a table on a real
engine. ``make test`` keeps 15 (it must stay under 10 minutes on 2 cores);
``make test-engines`` sets 60."""

# Logical column type → each engine's SQL type.
TYPES = {
    "duckdb": {
        "text": "VARCHAR",
        "decimal": "DECIMAL(38,6)",
        "money": "DECIMAL(18,4)",
        "probability": "DECIMAL(5,4)",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "timestamptz": "TIMESTAMPTZ",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "boolean": "BOOLEAN",
    },
    "postgresql": {
        "text": "TEXT",
        "decimal": "NUMERIC(38,6)",
        "money": "NUMERIC(18,4)",
        "probability": "NUMERIC(5,4)",
        "bigint": "BIGINT",
        "double": "DOUBLE PRECISION",
        "timestamptz": "TIMESTAMPTZ",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "boolean": "BOOLEAN",
    },
    "spark": {
        "text": "STRING",
        "decimal": "DECIMAL(38,6)",
        "money": "DECIMAL(18,4)",
        "probability": "DECIMAL(5,4)",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "timestamptz": "TIMESTAMP",
        "timestamp": "TIMESTAMP_NTZ",
        "date": "DATE",
        "boolean": "BOOLEAN",
    },
}

_NAMES = itertools.count()
_LOCK = threading.Lock()


def _name() -> str:
    with _LOCK:
        return f"t{os.getpid()}_{next(_NAMES)}"


@functools.cache
def spark_session() -> Any:
    """A local SparkSession (one per test process), in UTC unless told otherwise."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName("crmcore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


class Loaded:
    """A table on one engine and the connection to run plans with."""

    def __init__(self, engine: str, connection: Any, table: str | tuple[str, ...]) -> None:
        self.engine = engine
        self.connection = connection
        self.table = table


def _literal(engine: str, kind: str, value: object) -> str:
    if value is None:
        return "NULL"
    if kind in ("text",):
        return "'" + str(value).replace("'", "''") + "'"
    if kind == "timestamptz":
        assert isinstance(value, dt.datetime)
        text = value.isoformat(sep=" ")
        return f"TIMESTAMP '{text}'" if engine == "spark" else f"TIMESTAMPTZ '{text}'"
    if kind == "timestamp":
        assert isinstance(value, dt.datetime)
        return (
            f"TIMESTAMP_NTZ '{value.isoformat(sep=' ')}'"
            if engine == "spark"
            else (f"TIMESTAMP '{value.isoformat(sep=' ')}'")
        )
    if kind == "date":
        return f"DATE '{value}'"
    if kind == "boolean":
        return "TRUE" if value else "FALSE"
    return f"CAST({value} AS {TYPES[engine][kind]})"


def _quoted(engine: str, name: str) -> str:
    if engine == "spark":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def load(
    engine: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[object]],
    *,
    zone: str = "UTC",
    table: str | None = None,
) -> Loaded:
    """A new table with ``columns`` (name, logical type) holding ``rows``,
    and a connection whose session time zone is ``zone``."""
    name = table or _name()
    spec = ", ".join(f"{_quoted(engine, c)} {TYPES[engine][k]}" for c, k in columns)
    values = [
        "("
        + ", ".join(_literal(engine, k, v) for (_, k), v in zip(columns, row, strict=True))
        + ")"
        for row in rows
    ]
    if engine == "duckdb":
        connection = duckdb.connect()
        connection.execute(f"SET TimeZone = '{zone}'")
        connection.execute(f"CREATE TABLE {_quoted(engine, name)} ({spec})")
        if values:
            connection.execute(f"INSERT INTO {_quoted(engine, name)} VALUES {', '.join(values)}")
        return Loaded(engine, connection, name)
    if engine == "postgresql":
        pg = backends.postgres_engine()
        schema = backends.server().fresh_schema(pg)
        target = f"{schema}.{_quoted(engine, name)}"
        with pg.begin() as setup:
            setup.exec_driver_sql(f"CREATE TABLE {target} ({spec})")
            if values:
                setup.exec_driver_sql(f"INSERT INTO {target} VALUES {', '.join(values)}")
        session = pg.connect()
        session.exec_driver_sql(f"SET TIME ZONE '{zone}'")
        return Loaded(engine, session, (schema, name))
    session = spark_session()
    session.conf.set("spark.sql.session.timeZone", zone)
    names = ", ".join(_quoted(engine, c) for c, _ in columns)
    typed = ", ".join(
        f"CAST({_quoted(engine, c)} AS {TYPES[engine][k]}) AS {_quoted(engine, c)}"
        for c, k in columns
    )
    source = (
        f"VALUES {', '.join(values)} AS v({names})"
        if values
        else "(SELECT "
        + ", ".join(f"NULL AS {_quoted(engine, c)}" for c, _ in columns)
        + ") WHERE FALSE"
    )
    session.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW {_quoted(engine, name)} AS SELECT {typed} FROM {source}"
    )
    return Loaded(engine, session, name)


def close(loaded: Loaded) -> None:
    """Release the connection (Spark's session is shared and stays)."""
    if loaded.engine == "duckdb":
        loaded.connection.close()
    elif loaded.engine == "postgresql":
        assert isinstance(loaded.connection, sa.Connection)
        loaded.connection.close()
