"""A seeded 10**6-row differential run per engine (``make test-engines``).

One million transactions (100,000 customers, times in several UTC offsets,
some after the observation end) and one million customer values (many
ties) are written to CSV, loaded into DuckDB, PostgreSQL and Spark by each
engine's own bulk loader, and every plan's result is compared with the pure
function's on the same rows.
"""

import csv
import datetime as dt
import functools
import random
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pendulum
import pytest

from crmcore.adapters.engines import run
from crmcore.analytics import abc_classes, gini, pareto
from crmcore.analytics.btyd import rfm_summary
from crmcore.analytics.plans import (
    abc_plan,
    btyd_triples_plan,
    gini_plan,
    pareto_plan,
    rfm_plan,
    rfm_summary_plan,
)
from crmcore.analytics.rfm import rfm
from crmcore.analytics.transactions import Transaction
from crmcore.domain.money import Money
from tests.engines.tables import ENGINES, spark_session
from tests.sql import backends

ROWS = 10**6
END = pendulum.date(2021, 6, 30)
_FOLDER = tempfile.TemporaryDirectory(prefix="crmcore-scale-")


@functools.cache
def _files() -> tuple[Path, Path]:
    rnd = random.Random(20261130)
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    zones = [dt.timezone(dt.timedelta(minutes=m)) for m in (0, -300, 330, 840, -210)]
    transactions = Path(_FOLDER.name) / "transactions.csv"
    values = Path(_FOLDER.name) / "values.csv"
    with transactions.open("w", newline="") as out:
        writer = csv.writer(out)
        for _ in range(ROWS):
            at = start + dt.timedelta(seconds=rnd.randrange(2 * 365 * 86400))
            cents = rnd.randrange(50_000)
            writer.writerow(
                (f"c{rnd.randrange(100_000)}", at.astimezone(rnd.choice(zones)).isoformat(),
                 f"{cents // 100}.{cents % 100:02d}")
            )  # fmt: skip
    with values.open("w", newline="") as out:
        writer = csv.writer(out)
        for n in range(ROWS):
            writer.writerow((f"k{n}", f"{rnd.randrange(10_000)}.{rnd.randrange(10)}"))
    return transactions, values


@functools.cache
def _transactions() -> list[Transaction]:
    with _files()[0].open(newline="") as source:
        return [
            Transaction(c, dt.datetime.fromisoformat(at), Money(Decimal(a), "EUR"))
            for c, at, a in csv.reader(source)
        ]


@functools.cache
def _values() -> dict[str, Decimal]:
    with _files()[1].open(newline="") as source:
        return {k: Decimal(v) for k, v in csv.reader(source)}


@functools.cache
def _pure(name: str, boundary: str = "covering") -> Any:
    """The pure function's result, computed once for all engines."""
    if name == "summary":
        return rfm_summary(_transactions(), observation_end=END)
    if name == "rfm":
        return rfm(_transactions(), as_of=END)
    values = dict(sorted(_values().items()))
    if name == "abc":
        return abc_classes(values, boundary=boundary)  # type: ignore[arg-type]
    return pareto(values) if name == "pareto" else gini(values)


TX = "customer VARCHAR, at TIMESTAMPTZ, amount DECIMAL(18,2)"
VALUES = "key VARCHAR, value DECIMAL(18,1)"


@pytest.fixture(scope="module", params=ENGINES)
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any, Any]]:
    """(connection, transactions table, values table) on one engine."""
    transactions, values = _files()
    engine = request.param
    if engine == "duckdb":
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'America/New_York'")
        for name, columns, path in (("tx", TX, transactions), ("v", VALUES, values)):
            spec = ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in columns.split(", "))
            connection.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = false, "
                f"columns = {{{spec}}})"
            )
        yield connection, "tx", "v"
        connection.close()
    elif engine == "postgresql":
        pg = backends.postgres_engine()
        schema = backends.server().fresh_schema(pg)
        raw = pg.raw_connection()
        try:
            cursor = raw.cursor()
            for name, columns, path in (("tx", TX, transactions), ("v", VALUES, values)):
                cursor.execute(
                    f"CREATE TABLE {schema}.{name} ({columns.replace('VARCHAR', 'TEXT')})"
                )
                with cursor.copy(f"COPY {schema}.{name} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(path.read_bytes())
            raw.commit()
        finally:
            raw.close()
        session = pg.connect()
        session.exec_driver_sql("SET TIME ZONE 'Asia/Kolkata'")
        yield session, (schema, "tx"), (schema, "v")
        session.close()
    else:
        session = spark_session()
        session.conf.set("spark.sql.session.timeZone", "Pacific/Kiritimati")
        for name, columns, path in (("tx", TX, transactions), ("v", VALUES, values)):
            schema_ = columns.replace("VARCHAR", "STRING").replace("TIMESTAMPTZ", "TIMESTAMP")
            session.read.csv(str(path), schema=schema_).createOrReplaceTempView(f"scale_{name}")
        yield session, "scale_tx", "scale_v"


def test_transaction_plans_equal_the_pure_functions(loaded: tuple[Any, Any, Any]) -> None:
    connection, tx, _ = loaded
    columns: dict[str, Any] = {"customer": "customer", "at": "at", "amount": "amount"}
    summary = run(rfm_summary_plan(tx, **columns, currency="EUR", observation_end=END), connection)
    expected = _pure("summary")
    assert list(summary.items()) == list(expected.items())
    triples = run(btyd_triples_plan(tx, **columns, currency="EUR", observation_end=END), connection)
    assert sum(n for *_, n in triples) == len(expected)
    scores = run(rfm_plan(tx, **columns, currency="EUR", as_of=END), connection)
    expected_scores = _pure("rfm")
    assert list(scores.items()) == list(expected_scores.items())
    assert scores.cutoffs == expected_scores.cutoffs


def test_value_plans_equal_the_pure_functions(loaded: tuple[Any, Any, Any]) -> None:
    connection, _, table = loaded
    for boundary in ("covering", "inclusive"):
        got = run(abc_plan(table, key="key", value="value", boundary=boundary), connection)
        expected = _pure("abc", boundary)
        assert list(got.items()) == list(expected.items())
        assert got.classes == expected.classes
        assert got.crossings == expected.crossings
    assert run(pareto_plan(table, key="key", value="value"), connection) == _pure("pareto")
    assert run(gini_plan(table, key="key", value="value"), connection) == _pure("gini")
