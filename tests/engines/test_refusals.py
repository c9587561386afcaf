"""What plans and the runner refuse, on the real engines, and how they say it."""

import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from crmcore.adapters.engines import run
from crmcore.analytics.btyd import BetaGeo, rfm_summary
from crmcore.analytics.plans import (
    DIALECTS,
    abc_plan,
    btyd_triples_plan,
    gini_plan,
    pareto_plan,
    rfm_plan,
    rfm_summary_plan,
    weighted_pipeline_plan,
)
from crmcore.analytics.rfm import DEFAULT_SEGMENT_MAP
from crmcore.analytics.transactions import Transaction
from crmcore.domain.money import Money
from crmcore.errors import EngineError, MissingExtraError, ValidationError
from tests.engines.tables import ENGINES, Loaded, close, load
from tests.sql import backends

DATA = Path(__file__).resolve().parents[1] / "data"
END = pendulum.date(2024, 3, 31)


@pytest.fixture
def loaded(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    engine, columns, rows = request.param
    table = load(engine, columns, rows)
    yield table
    close(table)


def _values(engine: str, kind: str, rows: Sequence[tuple[object, object]]) -> tuple[object, ...]:
    return (engine, [("key", "text"), ("value", kind)], rows)


def _cases(kind: str, rows: Sequence[tuple[object, object]]) -> list[tuple[object, ...]]:
    return [_values(engine, kind, rows) for engine in ENGINES]


@pytest.mark.parametrize("loaded", _cases("double", [("a", 1.5)]), indirect=True)
def test_floating_point_values_are_refused_naming_the_column(loaded: Loaded) -> None:
    with pytest.raises(ValidationError, match=r"column 'value' is floating-point.*DECIMAL"):
        run(abc_plan(loaded.table, key="key", value="value"), loaded.connection)


@pytest.mark.parametrize("loaded", _cases("text", [("a", "1")]), indirect=True)
def test_text_values_are_refused_naming_their_type(loaded: Loaded) -> None:
    with pytest.raises(ValidationError, match=r"column 'value' is of type text"):
        run(gini_plan(loaded.table, key="key", value="value"), loaded.connection)


_BROKEN: list[tuple[list[tuple[object, object]], str]] = [
    ([("a", 1), (None, 2)], r"column 'key' is NULL in 1 row\(s\)"),
    ([("a", 1), ("a", 2), ("b", 3)], r"column 'key' repeats a key in 1 row\(s\)"),
    ([("a", None), ("b", None)], r"column 'value' is NULL in 2 row\(s\)"),
    ([("a", -1), ("b", 2)], r"column 'value' is negative in 1 row\(s\)"),
]


@pytest.mark.parametrize(
    ("loaded", "problem"),
    [
        (_values(engine, "decimal", rows), problem)
        for engine in ENGINES
        for rows, problem in _BROKEN
    ],
    indirect=["loaded"],
)
def test_nulls_duplicates_and_negatives_are_refused_naming_the_column(
    loaded: Loaded, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        run(pareto_plan(loaded.table, key="key", value="value"), loaded.connection)


def test_duckdb_decimal_overflow_is_an_engine_error_not_a_wrong_answer() -> None:
    big = Decimal(10) ** 31  # DECIMAL(38,6) holds 32 integer digits; twice this does not fit
    table = load("duckdb", [("key", "text"), ("value", "decimal")], [("a", big), ("b", big)])
    try:
        with pytest.raises(EngineError) as raised:
            run(abc_plan(table.table, key="key", value="value"), table.connection)
    finally:
        close(table)
    error = raised.value
    assert error.engine == "duckdb"
    assert error.overflow
    assert "38 digits" in str(error)
    assert str(big) not in str(error)


def test_postgresql_numeric_does_not_overflow_where_duckdb_does() -> None:
    big = Decimal(10) ** 31
    table = load("postgresql", [("key", "text"), ("value", "decimal")], [("a", big), ("b", big)])
    try:
        result = run(abc_plan(table.table, key="key", value="value"), table.connection)
    finally:
        close(table)
    assert result.total == 2 * big


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_table_is_an_engine_error(engine: str) -> None:
    table = load(engine, [("key", "text"), ("value", "decimal")], [])
    try:
        with pytest.raises(EngineError, match="failed the probe statement") as raised:
            run(gini_plan("no such table", key="key", value="value"), table.connection)
    finally:
        close(table)
    assert not raised.value.overflow


@pytest.mark.parametrize("engine", ENGINES)
def test_naive_timestamps_are_refused(engine: str) -> None:
    columns = [("c", "text"), ("at", "timestamp"), ("a", "money")]
    table = load(engine, columns, [("x", dt.datetime(2024, 3, 1, 12), Decimal(1))])
    plan = rfm_summary_plan(
        table.table, customer="c", at="at", amount="a", currency="EUR", observation_end=END
    )
    try:
        with pytest.raises(ValidationError, match="column 'at' is a timestamp without a time"):
            run(plan, table.connection)
        dated = rfm_summary_plan(
            table.table,
            customer="c",
            at="at",
            amount="a",
            currency="EUR",
            observation_end=END,
            at_type="date",
        )
        with pytest.raises(ValidationError, match=r"at: column 'at'.*\(accepted: DATE\)"):
            run(dated, table.connection)
    finally:
        close(table)


@pytest.mark.parametrize("engine", ENGINES)
def test_transactions_with_null_times_are_refused(engine: str) -> None:
    columns = [("c", "text"), ("at", "timestamptz"), ("a", "money")]
    table = load(engine, columns, [("x", None, Decimal(1))])
    plan = rfm_plan(table.table, customer="c", at="at", amount="a", currency="EUR", as_of=END)
    try:
        with pytest.raises(ValidationError, match=r"column 'at' is NULL in 1 row"):
            run(plan, table.connection)
    finally:
        close(table)


@pytest.mark.parametrize("engine", ENGINES)
def test_probabilities_outside_zero_to_one_are_refused(engine: str) -> None:
    columns = [("amount", "money"), ("currency", "text"), ("p", "decimal")]
    table = load(engine, columns, [(Decimal(1), "EUR", Decimal("1.5"))])
    plan = weighted_pipeline_plan(
        table.table, amount="amount", currency="currency", probability="p"
    )
    try:
        with pytest.raises(ValidationError, match=r"column 'p' is outside \[0, 1\]"):
            run(plan, table.connection)
    finally:
        close(table)


def test_every_row_is_open_without_an_open_column() -> None:
    columns = [("amount", "money"), ("currency", "text"), ("p", "probability")]
    rows = [(Decimal(10), "EUR", Decimal("0.5")), (Decimal(4), "USD", Decimal(1))]
    table = load("duckdb", columns, rows)
    plan = weighted_pipeline_plan(
        table.table, amount="amount", currency="currency", probability="p"
    )
    try:
        got = run(plan, table.connection)
    finally:
        close(table)
    assert dict(got) == {"EUR": Money(5, "EUR"), "USD": Money(4, "USD")}


@pytest.mark.parametrize("engine", ENGINES)
def test_names_that_are_keywords_or_hold_quotes_are_quoted(engine: str) -> None:
    odd = 'select "x" `y`'
    columns = [(odd, "text"), ("order", "decimal")]
    table = load(engine, columns, [("a", Decimal(9)), ("b", Decimal(1))], table="group by")
    try:
        got = run(abc_plan(table.table, key=odd, value="order"), table.connection)
    finally:
        close(table)
    assert dict(got) == {"a": "A", "b": "B"}


def test_the_cdnow_fit_from_pushed_down_triples_equals_the_fit_on_the_summary() -> None:
    rows = []
    for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
        customer, _, day, _, amount = line.split()
        rows.append((customer, dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), Decimal(amount)))
    table = load("duckdb", [("customer", "text"), ("day", "date"), ("amount", "money")], rows)
    end = pendulum.date(1997, 9, 30)
    plan = btyd_triples_plan(
        table.table,
        customer="customer",
        at="day",
        amount="amount",
        currency="USD",
        observation_end=end,
        at_type="date",
    )
    try:
        triples = run(plan, table.connection)
    finally:
        close(table)
    transactions = [Transaction(c, d, Money(a, "USD")) for c, d, a in rows]
    summary = rfm_summary(transactions, observation_end=end)
    assert sum(n for *_, n in triples) == len(summary)
    assert BetaGeo.fit_counts(triples) == BetaGeo.fit(summary)


def test_the_runner_takes_a_sqlalchemy_engine_as_well_as_a_connection() -> None:
    table = load("postgresql", [("key", "text"), ("value", "decimal")], [("a", Decimal(2))])
    try:
        got = run(gini_plan(table.table, key="key", value="value"), backends.postgres_engine())
    finally:
        close(table)
    assert got == 0


def test_unsupported_connections_and_plans_are_refused() -> None:
    plan = gini_plan("t", key="key", value="value")
    with pytest.raises(ValidationError, match="connection: is a str"):
        run(plan, "duckdb")
    sqlite = sa.create_engine("sqlite://")
    with pytest.raises(ValidationError, match="connection: is a SQLAlchemy connection to sqlite"):
        run(plan, sqlite)
    with pytest.raises(ValidationError, match="connection: is a MetaData"):
        run(plan, sa.MetaData())
    with pytest.raises(ValidationError, match="plan: is a str"):
        run("SELECT 1", sqlite)  # type: ignore[arg-type]


def test_plans_refuse_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="table: is not a table name"):
        abc_plan(("a", "b", "c", "d"), key="k", value="v")
    with pytest.raises(ValidationError, match="key: is not a name"):
        abc_plan("t", key="", value="v")
    with pytest.raises(ValidationError, match="table: is not a name"):
        gini_plan("t\x00", key="k", value="v")
    with pytest.raises(ValidationError, match="thresholds"):
        abc_plan("t", key="k", value="v", thresholds=(Decimal("0.9"), Decimal("0.5")))
    with pytest.raises(ValidationError, match="boundary"):
        abc_plan("t", key="k", value="v", boundary="upper")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="share: is not in"):
        pareto_plan("t", key="k", value="v", share=0)
    with pytest.raises(ValidationError, match="currency"):
        gini_plan("t", key="k", value="v", currency="XXQ")
    transactions: dict[str, Any] = {"customer": "c", "at": "at", "amount": "a", "currency": "EUR"}
    with pytest.raises(ValidationError, match="unit"):
        rfm_summary_plan("t", **transactions, observation_end=END, unit="year")
    with pytest.raises(ValidationError, match="at_type"):
        rfm_summary_plan("t", **transactions, observation_end=END, at_type="time")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="observation_end"):
        btyd_triples_plan("t", **transactions, observation_end="soon")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="bins"):
        rfm_plan("t", **transactions, as_of=END, bins=0)
    with pytest.raises(ValidationError, match="segments"):
        rfm_plan("t", **transactions, as_of=END, bins=4, segments=DEFAULT_SEGMENT_MAP)
    with pytest.raises(ValidationError, match="customers"):
        rfm_plan("t", **transactions, as_of=END, customers="c1")
    with pytest.raises(ValidationError, match="dialect"):
        gini_plan("t", key="k", value="v").sql("mysql")
    with pytest.raises(ValidationError, match="answers: lacks gini"):
        gini_plan("t", key="k", value="v").result({})


def test_every_plan_writes_every_dialect_with_quoted_names() -> None:
    table = ("sales", "order")
    transactions: dict[str, Any] = {"customer": "select", "at": "at", "amount": "a"}
    plans = [
        abc_plan(table, key="select", value="at"),
        pareto_plan(table, key="select", value="at"),
        gini_plan(table, key="select", value="at"),
        rfm_plan(table, **transactions, currency="EUR", as_of=END),
        rfm_summary_plan(table, **transactions, currency="EUR", observation_end=END),
        btyd_triples_plan(table, **transactions, currency="EUR", observation_end=END),
        weighted_pipeline_plan(table, amount="at", currency="select", probability="p"),
    ]
    for plan in plans:
        for dialect in DIALECTS:
            quote = "`" if dialect == "spark" else '"'
            for text in (plan.sql(dialect), plan.probe(dialect), plan.checks(dialect)):
                assert f"{quote}sales{quote}.{quote}order{quote}" in text
                assert f"{quote}at{quote}" in text


def test_aware_times_are_counted_on_their_utc_day_in_every_dialect() -> None:
    plan = rfm_summary_plan(
        "t", customer="c", at="at", amount="a", currency="EUR", observation_end=END
    )
    assert "TIMEZONE('UTC', \"at\")" in plan.sql("duckdb")
    assert "TIMEZONE('UTC', \"at\")" in plan.sql("postgres")
    assert "UNIX_SECONDS(`at`)" in plan.sql("spark")


def test_without_sqlglot_plans_say_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmcore.analytics import plans

    plans._transpile.cache_clear()
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    with pytest.raises(MissingExtraError, match=r"crmcore\[engines\]") as raised:
        gini_plan("t", key="k", value="v").sql("duckdb")
    assert raised.value.extra == "engines"


def test_rows_from_elsewhere_that_are_not_the_plans_are_refused() -> None:
    plan = abc_plan("t", key="k", value="v")
    with pytest.raises(ValidationError, match="types: must map column names"):
        plan.check_types(["k", "v"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="column 'k'"):
        plan.check_types({"k": ["text"], "v": "decimal"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="row: is not the checks statement's answer"):
        plan.check((0, 0))
    with pytest.raises(ValidationError, match="row: is not the checks statement's answer"):
        plan.check("0000")
    with pytest.raises(ValidationError, match="row: is not the checks statement's answer"):
        plan.check((0, 0, "x", 0))
    plan.check((0, None, 0, Decimal(0)))  # counts as engines return them: no problem
    with pytest.raises(ValidationError, match="answers: must be a mapping"):
        plan.result([("summary", [])])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="answers: are not the rows"):
        plan.result({"summary": [("x",)], "labels": []})
    with pytest.raises(ValidationError, match="answers: are not the rows"):
        plan.result({"summary": [], "labels": [(1, "a", 0), (None, "b", 1)]})
    pipeline = weighted_pipeline_plan("t", amount="a", currency="c", probability="p")
    with pytest.raises(ValidationError, match="currency"):  # crmcore's own refusal, as it is
        pipeline.result({"pipeline": [("XXQ", Decimal(1), Decimal(1), 1)]})


def test_without_numpy_duckdb_rows_are_fetched_as_tuples(monkeypatch: pytest.MonkeyPatch) -> None:
    table = load(
        "duckdb", [("key", "text"), ("value", "decimal")], [("a", Decimal(9)), ("b", Decimal(1))]
    )
    try:
        with_numpy = run(abc_plan(table.table, key="key", value="value"), table.connection)
        monkeypatch.setitem(sys.modules, "numpy", None)
        without = run(abc_plan(table.table, key="key", value="value"), table.connection)
    finally:
        close(table)
    assert list(without.items()) == list(with_numpy.items()) == [("a", "A"), ("b", "B")]


def test_column_backed_results_are_mappings() -> None:
    from crmcore.analytics._results import Columns

    columns = Columns(["b", "a"], [1, 2])
    assert list(columns) == ["b", "a"]
    assert list(columns.items()) == [("b", 1), ("a", 2)]
    assert list(columns.values()) == [1, 2]
    assert len(columns) == 2
    assert columns["a"] == 2
    assert "a" in columns
    assert "c" not in columns
    assert columns == {"a": 2, "b": 1}
    assert ("a", 2) in columns.items()
