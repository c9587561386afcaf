"""Run analytics plans on the engines where the data lives.

`run` takes a plan from `crmcore.analytics.plans` and a connection: a DuckDB
connection, a SQLAlchemy engine or connection to PostgreSQL, or a
SparkSession. It probes the column types, runs the plan's checks and its
statements, and returns what the matching pure function returns. The engine
packages are the caller's; this module imports none of them until it sees
their connection.

Errors:
    The plan's `ValidationError` for a column of the wrong type, NULLs,
    duplicate keys or negative amounts (naming the column); `EngineError` when
    the engine fails a statement (an exact DECIMAL sum that overflows
    DuckDB's or Spark's 38 digits, a missing table), naming the engine's error
    class, never a value.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crmcore.analytics.plans import Plan
from crmcore.errors import EngineError, ValidationError

__all__ = ["run"]

_CONNECTIONS = (
    "a DuckDB connection, a SQLAlchemy engine or connection (PostgreSQL) or a SparkSession"
)

# PostgreSQL's type OIDs, as psycopg reports them.
_POSTGRES_TYPES = {
    16: "boolean",
    20: "integer",
    21: "integer",
    23: "integer",
    1700: "decimal",
    700: "float",
    701: "float",
    25: "text",
    1042: "text",
    1043: "text",
    1082: "date",
    1184: "timestamptz",
    1114: "timestamp",
}

_SPARK_TYPES = {
    "ByteType": "integer",
    "ShortType": "integer",
    "IntegerType": "integer",
    "LongType": "integer",
    "DecimalType": "decimal",
    "FloatType": "float",
    "DoubleType": "float",
    "StringType": "text",
    "VarcharType": "text",
    "CharType": "text",
    "BooleanType": "boolean",
    "DateType": "date",
    "TimestampType": "timestamptz",  # Spark's TIMESTAMP is an instant (TIMESTAMP_LTZ)
    "TimestampNTZType": "timestamp",
}


def _duckdb_type(name: str) -> str:
    if name.startswith("DECIMAL"):
        return "decimal"
    simple = {
        "TINYINT": "integer",
        "SMALLINT": "integer",
        "INTEGER": "integer",
        "BIGINT": "integer",
        "HUGEINT": "integer",
        "UTINYINT": "integer",
        "USMALLINT": "integer",
        "UINTEGER": "integer",
        "UBIGINT": "integer",
        "FLOAT": "float",
        "DOUBLE": "float",
        "VARCHAR": "text",
        "BOOLEAN": "boolean",
        "DATE": "date",
        "TIMESTAMP WITH TIME ZONE": "timestamptz",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP_NS": "timestamp",
        "TIMESTAMP_MS": "timestamp",
        "TIMESTAMP_S": "timestamp",
    }
    return simple.get(name, "other")


_COLUMNAR = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "VARCHAR"})


def _has_numpy() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class _Engine:
    """What a runner needs from a connection: its dialect, column types and rows."""

    name: str
    dialect: str
    errors: tuple[type[BaseException], ...]

    def types(self, sql: str) -> Mapping[str, str]:
        raise NotImplementedError  # pragma: no cover - every engine has its own

    def rows(self, sql: str) -> Sequence[Sequence[Any]]:
        raise NotImplementedError  # pragma: no cover - every engine has its own


class _DuckDb(_Engine):
    name = dialect = "duckdb"

    def __init__(self, connection: Any, module: Any) -> None:
        self.connection = connection
        self.errors = (module.Error,)

    def types(self, sql: str) -> Mapping[str, str]:
        found = self.connection.execute(sql).description
        return {d[0]: _duckdb_type(str(d[1])) for d in found}

    def rows(self, sql: str) -> Sequence[Sequence[Any]]:
        result = self.connection.execute(sql)
        names = [d[0] for d in result.description]
        columnar = all(str(d[1]) in _COLUMNAR for d in result.description)
        if columnar and len(set(names)) == len(names) and _has_numpy():
            # integers and text only: fetched as columns (twice as fast for
            # millions of rows); DECIMAL and DATE go through fetchall, exactly
            columns = result.fetchnumpy()
            return list(zip(*(columns[name].tolist() for name in names), strict=True))
        return result.fetchall()  # type: ignore[no-any-return]


class _Postgres(_Engine):
    name = "postgresql"
    dialect = "postgres"

    def __init__(self, connection: Any, module: Any) -> None:
        self.connection = connection
        self.errors = (module.exc.SQLAlchemyError,)

    def _execute(self, sql: str, read: Callable[[Any], Any]) -> Any:
        if hasattr(self.connection, "connect"):  # an Engine: one connection for the statement
            with self.connection.connect() as connection:
                return read(connection.exec_driver_sql(sql.replace("%", "%%")))
        return read(self.connection.exec_driver_sql(sql.replace("%", "%%")))

    def types(self, sql: str) -> Mapping[str, str]:
        description = self._execute(sql, lambda result: result.cursor.description)
        return {d.name: _POSTGRES_TYPES.get(d.type_code, "other") for d in description}

    def rows(self, sql: str) -> Sequence[Sequence[Any]]:
        return self._execute(sql, lambda result: [tuple(row) for row in result])  # type: ignore[no-any-return]


# Spark runs in `make test-engines` (it needs Java and the `spark` extra), not
# under `make test`'s coverage.
class _Spark(_Engine):  # pragma: no cover
    name = dialect = "spark"

    def __init__(self, session: Any, errors: tuple[type[BaseException], ...]) -> None:
        self.session = session
        self.errors = errors

    def types(self, sql: str) -> Mapping[str, str]:
        schema = self.session.sql(sql).schema
        return {f.name: _SPARK_TYPES.get(type(f.dataType).__name__, "other") for f in schema}

    def rows(self, sql: str) -> Sequence[Sequence[Any]]:
        return [tuple(row) for row in self.session.sql(sql).collect()]


def _engine(connection: object) -> _Engine:
    module = type(connection).__module__.split(".")[0].lstrip("_")
    if module == "duckdb":
        import duckdb

        return _DuckDb(connection, duckdb)
    if module == "sqlalchemy":
        import sqlalchemy

        if isinstance(connection, sqlalchemy.Engine | sqlalchemy.Connection):
            name = connection.dialect.name
            if name != "postgresql":
                raise ValidationError(
                    "connection",
                    f"is a SQLAlchemy connection to {name}, which plans do not support",
                    allowed="PostgreSQL through SQLAlchemy (use DuckDB for local files)",
                )
            return _Postgres(connection, sqlalchemy)
    if module == "pyspark" and type(connection).__name__ == "SparkSession":  # pragma: no cover
        from pyspark.errors import PySparkException

        return _Spark(connection, (PySparkException,))
    raise ValidationError("connection", f"is a {type(connection).__name__}", allowed=_CONNECTIONS)


def _guarded(engine: _Engine, plan: Plan, statement: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except engine.errors as error:
        kind = type(error).__name__
        overflow = "overflow" in str(error).lower() or "ARITHMETIC_OVERFLOW" in str(error)
        raise EngineError(
            engine=engine.name,
            plan=type(plan).__name__,
            statement=statement,
            reason=kind,
            overflow=overflow,
        ) from None


def run(plan: Plan, connection: object) -> Any:
    """Execute ``plan`` on ``connection`` and build the pure function's result.

    Args:
        plan: from `crmcore.analytics.plans` (``abc_plan(...)`` ...).
        connection: a DuckDB connection, a SQLAlchemy engine or connection to
            PostgreSQL, or a SparkSession.

    Returns:
        What the plan's pure function returns: `AbcResult` for `abc_plan`,
        `ParetoResult` for `pareto_plan`, `RfmSummaries` for
        `rfm_summary_plan` ...

    Raises:
        ValidationError: not a plan or a supported connection; a column of
            the wrong type; NULLs, duplicate keys or negative amounts.
        EngineError: the engine failed a statement (DECIMAL overflow, a
            missing table or column ...).
    """
    if not isinstance(plan, Plan):
        raise ValidationError(
            "plan", f"is a {type(plan).__name__}", allowed="a plan from crmcore.analytics.plans"
        )
    engine = _engine(connection)
    dialect = engine.dialect
    types = _guarded(engine, plan, "probe", lambda: engine.types(plan.probe(dialect)))
    plan.check_types(types)
    problems = _guarded(engine, plan, "checks", lambda: engine.rows(plan.checks(dialect)))
    plan.check(problems[0])
    answers = {}
    for name, sql in plan.statements(dialect).items():
        answers[name] = _guarded(engine, plan, name, lambda sql=sql: engine.rows(sql))  # type: ignore[misc]
    return plan.result(answers)
