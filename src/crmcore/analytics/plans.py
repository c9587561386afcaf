"""Plans: the analytics rules as SQL, for the engine where the data lives.

A plan is a pure value: the table and column names and the rule's
parameters. It writes its statements as SQL for ``"duckdb"``, ``"postgres"``
or ``"spark"`` (generated with sqlglot: the ``engines`` extra) and builds the
same result type as the pure function from the rows they return. The engine
only groups, counts, sums exact DECIMALs, ranks and compares by integer
cross-multiplication; crmcore builds every Fraction and Money (with its own
single rounding). `crmcore.adapters.engines.run` executes a plan on a DuckDB
connection, a SQLAlchemy engine or a SparkSession; a user may equally print
`Plan.sql` and run it in a warehouse console, and hand the rows to
`Plan.result`.

What a runner does, in order (each step is public so that any engine can be
driven the same way):

1. ``probe(dialect)``: a statement that reads no row; the runner reports the
   types of its columns and `Plan.check_types` refuses floating-point amounts
   (DOUBLE splits ties that DECIMAL keeps) and timestamps without a time zone.
2. ``checks(dialect)``: one row of problem counts (NULLs, duplicate keys,
   negative amounts, probabilities outside [0, 1]); `Plan.check` raises a
   `ValidationError` naming the column.
3. ``statements(dialect)``: name → SQL; `Plan.result` takes name → rows.

The engine orders groups of equal values (ABC) or customers (in its own
collation); crmcore puts the keys in Python's order (a sort that costs
little on rows that come in runs), so results iterate as the pure
function's do on input given in key order.
"""

import abc
import datetime as _dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from string import ascii_uppercase
from types import MappingProxyType
from typing import Any, Literal

import attrs
import pendulum

from crmcore.analytics._results import Columns
from crmcore.analytics.btyd import UNITS, RfmSummaries, RfmSummary
from crmcore.analytics.concentration import (
    AbcClass,
    AbcResult,
    Boundary,
    Crossing,
    ParetoResult,
    _thresholds,
)
from crmcore.analytics.forecast import WeightedPipeline
from crmcore.analytics.rfm import DEFAULT_SEGMENT_MAP, RfmResult, RfmScore, SegmentMap
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money, check_currency
from crmcore.domain.numbers import to_fraction
from crmcore.domain.times import to_date
from crmcore.errors import CrmError, MissingExtraError, ValidationError

__all__ = [
    "DIALECTS",
    "AbcPlan",
    "BtydTriplesPlan",
    "GiniPlan",
    "LorenzPlan",
    "ParetoPlan",
    "RfmPlan",
    "RfmSummaryPlan",
    "WeightedPipelinePlan",
    "abc_plan",
    "btyd_triples_plan",
    "gini_plan",
    "lorenz_plan",
    "pareto_plan",
    "rfm_plan",
    "rfm_summary_plan",
    "weighted_pipeline_plan",
]

Dialect = Literal["duckdb", "postgres", "spark"]
DIALECTS: tuple[str, ...] = ("duckdb", "postgres", "spark")
"""The dialects a plan writes."""

AtType = Literal["timestamptz", "date"]
Rows = Sequence[Sequence[Any]]
Triple = tuple[int, Fraction, Fraction, int]

# What a column must hold, by role; the runner reports each column's type as
# one of: integer, decimal, float, text, boolean, date, timestamptz, timestamp, other.
_EXACT = frozenset({"integer", "decimal"})
_ROLES: Mapping[str, tuple[frozenset[str], str]] = {
    "key": (frozenset({"integer", "decimal", "text", "date"}), "integer, DECIMAL, text or date"),
    "exact": (_EXACT, "an exact number: INTEGER/BIGINT or DECIMAL/NUMERIC"),
    "text": (frozenset({"text"}), "text (VARCHAR)"),
    "boolean": (frozenset({"boolean"}), "BOOLEAN"),
    "date": (frozenset({"date"}), "DATE"),
    "timestamptz": (frozenset({"timestamptz"}), "TIMESTAMP WITH TIME ZONE"),
}


def _sqlglot() -> Any:
    try:
        import sqlglot
    except ImportError:
        raise MissingExtraError(
            'analytics plans write their SQL with sqlglot: pip install "crmcore[engines]"',
            extra="engines",
        ) from None
    return sqlglot


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not value or "\x00" in value or len(value) > 128:
        raise ValidationError(
            field, "is not a name", allowed="a table or column name: 1 to 128 characters"
        )
    return value


def _column_name(_: object, attribute: "attrs.Attribute[str]", value: object) -> None:
    _name(value, attribute.name)


def _end(value: object) -> pendulum.Date:
    return to_date(value, "observation_end")


def _open_column(value: object) -> str | None:
    return None if value is None else _name(value, "is_open")


def _table(value: object) -> tuple[str, ...]:
    parts = (value,) if isinstance(value, str) else value
    if not isinstance(parts, tuple) or not 1 <= len(parts) <= 3:
        raise ValidationError(
            "table",
            "is not a table name",
            allowed="a name, or a tuple of (catalog,) schema and table names",
        )
    return tuple(_name(part, "table") for part in parts)


def _quoted(name: str) -> str:
    """A name as a quoted identifier in the DuckDB dialect the templates use."""
    return '"' + name.replace('"', '""') + '"'


def _day_literal(day: pendulum.Date) -> str:
    return f"DATE '{day.isoformat()}'"


def _fractions(value: Fraction) -> tuple[int, int]:
    return value.numerator, value.denominator


def _none_zero(value: object) -> int:
    return 0 if value is None else int(value)  # type: ignore[call-overload]


def _utc_day(dialect: str, column: Any) -> Any:
    """The UTC calendar day of an aware timestamp, whatever the session's zone."""
    sqlglot = _sqlglot()
    if dialect == "spark":  # no TIMEZONE(): the day of the Unix seconds, in integers
        template = "DATE_FROM_UNIX_DATE(CAST(FLOOR(UNIX_SECONDS(x) / 86400) AS INT))"
        tree = sqlglot.parse_one(template, read="spark")
    else:  # PostgreSQL's timezone(zone, timestamptz) and DuckDB's give the UTC wall time
        tree = sqlglot.parse_one("CAST(TIMEZONE('UTC', x) AS DATE)", read="duckdb")
    return tree.transform(
        lambda node: column.copy() if isinstance(node, sqlglot.exp.Column) else node
    )


@functools.lru_cache(maxsize=256)
def _transpile(text: str, dialect: str) -> str:
    """DuckDB-dialect text in ``dialect``; ``CRMCORE_UTC_DAY(x)`` becomes the dialect's
    UTC day of x."""
    sqlglot = _sqlglot()
    tree = sqlglot.parse_one(text, read="duckdb")

    def replace(node: Any) -> Any:
        if isinstance(node, sqlglot.exp.Anonymous) and node.name.upper() == "CRMCORE_UTC_DAY":
            return _utc_day(dialect, node.expressions[0])
        return node

    return str(tree.transform(replace).sql(dialect=dialect))


def _dialect(value: object) -> str:
    if value not in DIALECTS:
        raise ValidationError("dialect", "is not a known dialect", allowed=", ".join(DIALECTS))
    return str(value)


@attrs.frozen
class _Check:
    """One problem the checks statement counts in a column."""

    column: str
    condition: str  # a condition on the quoted column; "DUPLICATE" for repeated keys
    problem: str
    allowed: str


class Plan(abc.ABC):
    """The shared steps of every plan (see the module documentation); built by
    the ``*_plan`` functions, never directly."""

    table: tuple[str, ...]

    def _naming(self, column: str) -> str:
        """The argument that named ``column`` (``value`` for ``value="total"``)."""
        fields: tuple[Any, ...] = attrs.fields(type(self))  # type: ignore[arg-type]
        return str(
            next(f.name for f in fields if f.name != "table" and getattr(self, f.name) == column)
        )

    @property
    def _from(self) -> str:
        return ".".join(_quoted(part) for part in self.table)

    @abc.abstractmethod
    def _columns(self) -> Mapping[str, str]:
        """Column → role (a key of ``_ROLES``)."""
        raise NotImplementedError  # pragma: no cover - every plan has its own

    @abc.abstractmethod
    def _checks(self) -> tuple[_Check, ...]:
        raise NotImplementedError  # pragma: no cover - every plan has its own

    @abc.abstractmethod
    def _statements(self) -> dict[str, str]:
        raise NotImplementedError  # pragma: no cover - every plan has its own

    @abc.abstractmethod
    def _build(self, answers: Mapping[str, Rows]) -> Any:
        raise NotImplementedError  # pragma: no cover - every plan has its own

    def probe(self, dialect: str) -> str:
        """A statement that selects the plan's columns and reads no row."""
        names = ", ".join(_quoted(c) for c in self._columns())
        return _transpile(f"SELECT {names} FROM {self._from} LIMIT 0", _dialect(dialect))

    def check_types(self, types: Mapping[str, str]) -> None:
        """Refuse columns of the wrong type, naming each one.

        Args:
            types: column → its type as the runner reports it: integer,
                decimal, float, text, boolean, date, timestamptz, timestamp
                or other.

        Raises:
            ValidationError: a column of the wrong type (floats and
                timestamps without a time zone say why).
        """
        if not isinstance(types, Mapping):
            raise ValidationError(
                "types", "must map column names to types", allowed="a dict such as {'v': 'decimal'}"
            )
        for column, role in self._columns().items():
            accepted, allowed = _ROLES[role]
            found = types.get(column, "other")
            found = found if isinstance(found, str) else "other"
            if found in accepted:
                continue
            why = {
                "float": "is floating-point, whose rounding splits ties that exact decimals "
                "keep: cast it to DECIMAL",
                "timestamp": "is a timestamp without a time zone, whose day depends on a zone "
                "nobody stated: use TIMESTAMP WITH TIME ZONE, or a DATE with at_type='date'",
            }.get(found, f"is of type {found}")
            raise ValidationError(self._naming(column), f"column {column!r} {why}", allowed=allowed)

    def checks(self, dialect: str) -> str:
        """One row: how many rows break each rule the pure function enforces."""
        terms = []
        for check in self._checks():
            column = _quoted(check.column)
            if check.condition == "DUPLICATE":
                terms.append(f"COUNT({column}) - COUNT(DISTINCT {column})")
            else:
                condition = check.condition.format(column=column)
                terms.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
        return _transpile(f"SELECT {', '.join(terms)} FROM {self._from}", _dialect(dialect))

    def check(self, row: Sequence[Any]) -> None:
        """Raise for the first rule ``row`` (the checks statement's answer) says is broken.

        Raises:
            ValidationError: naming the column, how many rows break the rule
                and what is accepted.
        """
        checks = self._checks()
        allowed = f"the checks statement's one row: {len(checks)} counts (integers or NULL)"
        if (
            not isinstance(row, Sequence)
            or isinstance(row, str | bytes)
            or len(row) != len(checks)
            or not all(c is None or isinstance(c, int | Decimal) for c in row)
        ):
            raise ValidationError("row", "is not the checks statement's answer", allowed=allowed)
        for check, count in zip(checks, row, strict=True):
            if _none_zero(count):
                raise ValidationError(
                    self._naming(check.column),
                    f"column {check.column!r} {check.problem} in {_none_zero(count)} row(s)",
                    allowed=check.allowed,
                )

    def statements(self, dialect: str) -> dict[str, str]:
        """Name → SQL: the statements whose rows `result` needs."""
        chosen = _dialect(dialect)
        return {name: _transpile(text, chosen) for name, text in self._statements().items()}

    def sql(self, dialect: str) -> str:
        """The plan's main statement (the per-customer answer) in ``dialect``."""
        return list(self.statements(dialect).values())[-1]

    def result(self, answers: Mapping[str, Rows]) -> Any:
        """The pure function's result from each statement's rows.

        Raises:
            ValidationError: ``answers`` lacks a statement.
        """
        allowed = "statement name → the rows it returned, for every statement"
        if not isinstance(answers, Mapping):
            raise ValidationError("answers", "must be a mapping", allowed=allowed)
        missing = sorted(set(self._statements()) - set(answers))
        if missing:
            raise ValidationError("answers", f"lacks {', '.join(missing)}", allowed=allowed)
        try:
            return self._build(answers)
        except CrmError:
            raise
        except (TypeError, ValueError, LookupError, ArithmeticError, AttributeError):
            # rows from elsewhere (a warehouse console) that are not this plan's
            raise ValidationError(
                "answers", "are not the rows this plan's statements return", allowed=allowed
            ) from None


def _number_checks(column: str) -> tuple[_Check, ...]:
    return (
        _Check(column, "{column} IS NULL", "is NULL", "a number in every row"),
        _Check(column, "{column} < 0", "is negative", "zero or more"),
    )


def _key_checks(column: str) -> tuple[_Check, ...]:
    return (
        _Check(column, "{column} IS NULL", "is NULL", "a key in every row"),
        _Check(column, "DUPLICATE", "repeats a key", "one row per key"),
    )


def _currency(value: object) -> str | None:
    return None if value is None else check_currency(value)


# Concentration: ABC, Pareto, Lorenz, Gini ---------------------------------------------


def _groups(plan: "_ValuePlan", cuts: tuple[Fraction, ...], boundary: str) -> str:
    """CTEs: base (k, v), grouped values with the sum before them, each group's class."""
    last = len(cuts)
    if boundary == "covering":
        tests = [f"before * {d} < total * {n}" for n, d in map(_fractions, cuts)]
    else:
        tests = [f"(before + s) * {d} <= total * {n}" for n, d in map(_fractions, cuts)]
    cases = " ".join(f"WHEN {test} THEN {i}" for i, test in enumerate(tests))
    return (
        f"WITH base AS (SELECT {_quoted(plan.key)} AS k, {_quoted(plan.value)} AS v "
        f"FROM {plan._from}), "
        "grouped AS (SELECT v, COUNT(*) AS n, v * COUNT(*) AS s FROM base GROUP BY v), "
        "running AS (SELECT v, n, s, "
        "COALESCE(SUM(s) OVER (ORDER BY v DESC "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before, "
        "SUM(s) OVER () AS total, ROW_NUMBER() OVER (ORDER BY v DESC) AS g "
        "FROM grouped), "
        f"classed AS (SELECT v, n, s, before, total, g, CASE WHEN total = 0 THEN {last} "
        f"{cases} ELSE {last} END AS class FROM running) "
    )


_CLASSES = "class AS i, SUM(n) AS n, SUM(s) AS v, class FROM classed GROUP BY class"
"""Each class's number of keys and sum, from the CTEs of `_groups`."""
_LABELS = "SELECT c.g, b.k, c.class FROM base AS b JOIN classed AS c ON b.v = c.v ORDER BY c.g"
"""Each key's group and class, from the CTEs of `_groups` (see `_labels`)."""


@attrs.frozen
class _ValuePlan(Plan):
    """A plan over one value per key."""

    table: tuple[str, ...] = attrs.field(converter=_table)
    key: str = attrs.field(validator=_column_name)
    value: str = attrs.field(validator=_column_name)
    currency: str | None = attrs.field(default=None, converter=_currency, kw_only=True)

    def _columns(self) -> Mapping[str, str]:
        return {self.key: "key", self.value: "exact"}

    def _checks(self) -> tuple[_Check, ...]:
        return (*_key_checks(self.key), *_number_checks(self.value))

    def _back(self, value: Any) -> Any:
        """An engine's exact sum as the pure function gives it (Money with a currency)."""
        amount = 0 if value is None else value
        return amount if self.currency is None else Money.from_exact(amount, self.currency)


@attrs.frozen
class AbcPlan(_ValuePlan):
    """`abc_classes` as SQL; build with `abc_plan`."""

    thresholds: tuple[Fraction, ...] = attrs.field(
        default=(Fraction(4, 5), Fraction(19, 20)), converter=_thresholds, kw_only=True
    )
    boundary: Boundary = attrs.field(default="covering", kw_only=True)

    @boundary.validator
    def _check_boundary(self, _: object, value: object) -> None:
        if value not in ("covering", "inclusive"):
            raise ValidationError("boundary", "is not a rule", allowed="'covering' or 'inclusive'")

    def _statements(self) -> dict[str, str]:
        groups = _groups(self, self.thresholds, self.boundary)
        crossings = " UNION ALL ".join(
            f"SELECT {i} AS i, v, n, class FROM classed WHERE total > 0 "
            f"AND before * {d} < total * {n} AND total * {n} <= (before + s) * {d}"
            for i, (n, d) in enumerate(map(_fractions, self.thresholds))
        )
        return {
            # kind 0: a class (its count and sum); kind 1: the group crossing threshold i
            "summary": f"{groups}SELECT 0 AS kind, {_CLASSES} UNION ALL "
            f"SELECT 1, i, n, v, class FROM ({crossings}) AS c ORDER BY kind, i",
            "labels": groups + _LABELS,
        }

    def _build(self, answers: Mapping[str, Rows]) -> AbcResult:
        cuts = self.thresholds
        names = ascii_uppercase[: len(cuts) + 1]
        labels = _labels(answers["labels"], names)
        summary = answers["summary"]
        sizes = {int(i): (int(n), v) for kind, i, n, v, _ in summary if kind == 0}
        total = sum((v for _, v in sizes.values()), 0)
        count = len(labels)
        classes = {}
        for i, name in enumerate(names):
            size, value = sizes.get(i, (0, 0))
            classes[name] = AbcClass(
                label=name,
                threshold=cuts[i] if i < len(cuts) else None,
                count=size,
                value=self._back(value),
                customer_share=Fraction(size, count) if count else None,
                value_share=Fraction(value) / Fraction(total) if total else None,
            )
        crossings = tuple(
            Crossing(
                threshold=cuts[int(i)],
                value=self._back(value),
                customers=int(size),
                label=names[int(index)],
            )
            for kind, i, size, value, index in summary
            if kind == 1
        )
        return AbcResult(labels, classes, cuts, self.boundary, crossings, self._back(total))


def _labels(rows: Rows, names: str) -> Columns[Any, str]:
    """Key → class label from (group, key, class index) rows, in group then
    Python key order (the engine ordered the groups only: sorting keys inside
    each group there costs more than here), held as columns."""
    ordered: list[Any] = sorted(rows)
    return Columns([row[1] for row in ordered], [names[row[2]] for row in ordered])


def _share(value: object) -> Fraction:
    allowed = "a number in (0, 1], e.g. Decimal('0.8')"
    cut = to_fraction(value, "share", allowed=allowed)
    if not 0 < cut <= 1:
        raise ValidationError("share", "is not in (0, 1]", allowed=allowed)
    return cut


@attrs.frozen
class ParetoPlan(_ValuePlan):
    """`pareto` as SQL (class A of the covering rule); build with `pareto_plan`."""

    share: Fraction = attrs.field(default=Fraction(4, 5), converter=_share, kw_only=True)

    def _statements(self) -> dict[str, str]:
        groups = _groups(self, (self.share,), "covering")
        return {
            "classes": f"{groups}SELECT {_CLASSES}",
            "labels": groups + _LABELS,
        }

    def _build(self, answers: Mapping[str, Rows]) -> ParetoResult:
        labels = _labels(answers["labels"], "AB")
        sums = {int(c): s for c, _, s, _ in answers["classes"]}
        total = Fraction(sum(sums.values(), 0))
        vital = [key for key, label in labels.items() if label == "A"]
        return ParetoResult(
            vital_few=frozenset(vital),
            trivial_many=frozenset(key for key, label in labels.items() if label == "B"),
            customer_share=Fraction(len(vital), len(labels)) if labels else None,
            value_share=Fraction(sums.get(0, 0)) / total if total else None,
            share=self.share,
        )


@attrs.frozen
class GiniPlan(_ValuePlan):
    """`gini` as SQL: n, Σx and Σ i·x₍ᵢ₎ in the engine; build with `gini_plan`."""

    def _statements(self) -> dict[str, str]:
        return {
            "gini": f"SELECT COUNT(*), SUM(v), SUM(v * i) FROM (SELECT {_quoted(self.value)} AS v,"
            f" ROW_NUMBER() OVER (ORDER BY {_quoted(self.value)}) AS i FROM {self._from}) AS r"
        }

    def _build(self, answers: Mapping[str, Rows]) -> Fraction | None:
        ((n, total, weighted),) = answers["gini"]
        if not n:
            return None
        if not total:
            return Fraction(0)
        return Fraction(2 * Fraction(weighted), n * Fraction(total)) - Fraction(n + 1, n)


@attrs.frozen
class LorenzPlan(_ValuePlan):
    """`lorenz_curve` as SQL: the running sums ascending; build with `lorenz_plan`."""

    def _statements(self) -> dict[str, str]:
        value = _quoted(self.value)
        return {
            "running": f"SELECT running FROM (SELECT SUM({value}) OVER (ORDER BY {value} "
            f"ROWS UNBOUNDED PRECEDING) AS running FROM {self._from}) AS r ORDER BY running"
        }

    def _build(self, answers: Mapping[str, Rows]) -> tuple[tuple[Fraction, Fraction], ...]:
        running = [Fraction(row[0]) for row in answers["running"]]
        n = len(running)
        if n == 0:
            return ((Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)))
        total = running[-1]
        points = [
            (Fraction(i, n), v / total if total else Fraction(i, n))
            for i, v in enumerate(running, start=1)
        ]
        return ((Fraction(0), Fraction(0)), *points)


def abc_plan(
    table: str | tuple[str, ...],
    *,
    key: str,
    value: str,
    thresholds: tuple[Decimal | int | str | Fraction, ...] = (Decimal("0.8"), Decimal("0.95")),
    boundary: Boundary = "covering",
    currency: str | None = None,
) -> AbcPlan:
    """`abc_classes` over ``table``: one row per ``key`` with an exact ``value``.

    With a ``currency`` the sums are Money in it (as when `abc_classes` is
    given Money); without, the numbers the engine returns (int or Decimal).

    Raises:
        ValidationError: a bad name, thresholds, boundary or currency.
    """
    return AbcPlan(table, key, value, currency=currency, thresholds=thresholds, boundary=boundary)


def pareto_plan(
    table: str | tuple[str, ...],
    *,
    key: str,
    value: str,
    share: Decimal | int | str | Fraction = Decimal("0.8"),
    currency: str | None = None,
) -> ParetoPlan:
    """`pareto` over ``table``: who makes the first ``share`` of value.

    Raises:
        ValidationError: a bad name, share or currency.
    """
    return ParetoPlan(table, key, value, currency=currency, share=share)


def gini_plan(
    table: str | tuple[str, ...], *, key: str, value: str, currency: str | None = None
) -> GiniPlan:
    """`gini` over ``table`` (``None`` for an empty table).

    Raises:
        ValidationError: a bad name or currency.
    """
    return GiniPlan(table, key, value, currency=currency)


def lorenz_plan(
    table: str | tuple[str, ...], *, key: str, value: str, currency: str | None = None
) -> LorenzPlan:
    """`lorenz_curve` over ``table``.

    Raises:
        ValidationError: a bad name or currency.
    """
    return LorenzPlan(table, key, value, currency=currency)


# Transactions: RFM, the BTYD summary and its distinct triples ------------------------


def _at_type(value: object) -> str:
    if value not in ("timestamptz", "date"):
        raise ValidationError("at_type", "is not a column type", allowed="'timestamptz' or 'date'")
    return str(value)


def _unit(value: object) -> str:
    if not isinstance(value, str) or value not in UNITS:
        raise ValidationError("unit", "is not a known unit", allowed="'day', 'week' or 'month'")
    return value


@functools.lru_cache(maxsize=65536)
def _date(value: _dt.date) -> pendulum.Date:
    return pendulum.Date(value.year, value.month, value.day)


def _ids(value: object) -> frozenset[str]:
    """The ids given in ``customers`` (None: none)."""
    if value is None:
        return frozenset()
    return frozenset(check_id(c, "customers") for c in _iterable(value, "customers"))


def _iterable(value: object, field: str) -> Iterable[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(field, "must be an iterable of ids", allowed="a list of ids")
    return value


@attrs.frozen
class _TransactionPlan(Plan):
    """A plan over transactions: who, when, how much."""

    table: tuple[str, ...] = attrs.field(converter=_table)
    customer: str = attrs.field(validator=_column_name)
    at: str = attrs.field(validator=_column_name)
    amount: str = attrs.field(validator=_column_name)
    currency: str = attrs.field(converter=check_currency)
    end: pendulum.Date = attrs.field(converter=_end)
    at_type: str = attrs.field(default="timestamptz", converter=_at_type, kw_only=True)

    def _columns(self) -> Mapping[str, str]:
        return {self.customer: "key", self.at: self.at_type, self.amount: "exact"}

    def _checks(self) -> tuple[_Check, ...]:
        return (
            _Check(self.customer, "{column} IS NULL", "is NULL", "a customer id in every row"),
            _Check(self.at, "{column} IS NULL", "is NULL", "a time in every row"),
            *_number_checks(self.amount),
        )

    def _days(self) -> str:
        """CTE ``days``: each customer's purchase days up to the end, with what was spent."""
        at = _quoted(self.at)
        day = f"CRMCORE_UTC_DAY({at})" if self.at_type == "timestamptz" else at
        return (
            f"WITH tx AS (SELECT {_quoted(self.customer)} AS c, {day} AS d, "
            f"{_quoted(self.amount)} AS a FROM {self._from}), "
            f"days AS (SELECT c, d, SUM(a) AS spent FROM tx WHERE d <= {_day_literal(self.end)} "
            "GROUP BY c, d) "
        )

    def _per_customer(self) -> str:
        """CTE ``per``: repeat purchases, day spans and the repeat days' spend."""
        end = _day_literal(self.end)
        return (
            self._days()
            + ", firsts AS (SELECT c, d, spent, MIN(d) OVER (PARTITION BY c) AS first FROM days), "
            "per AS (SELECT c, COUNT(*) - 1 AS x, DATE_DIFF('day', MIN(d), MAX(d)) AS t_x, "
            f"DATE_DIFF('day', MIN(d), {end}) AS age, "
            "SUM(CASE WHEN d > first THEN spent ELSE 0 END) AS repeat_spent, "
            "MIN(d) AS first_day, MAX(d) AS last_day FROM firsts GROUP BY c) "
        )


@attrs.frozen
class RfmSummaryPlan(_TransactionPlan):
    """`rfm_summary` as SQL; build with `rfm_summary_plan`."""

    unit: str = attrs.field(default="week", converter=_unit, kw_only=True)

    def _statements(self) -> dict[str, str]:
        return {
            "summary": self._per_customer()
            + "SELECT c, x, t_x, age, repeat_spent, first_day, last_day FROM per ORDER BY c"
        }

    def _build(self, answers: Mapping[str, Rows]) -> RfmSummaries:
        per_unit = UNITS[self.unit]
        rows = sorted(tuple(row) for row in answers["summary"])
        summaries = {}
        for customer, x, t_x, age, spent, first, last in rows:
            mean = Fraction(spent) / x if x else Fraction(0)
            summaries[customer] = RfmSummary(
                customer_id=customer,
                frequency=int(x),
                recency=Fraction(int(t_x), per_unit),
                T=Fraction(int(age), per_unit),
                monetary_value=Money.from_exact(mean, self.currency),
                unit=self.unit,
                first_purchase=_date(first),
                last_purchase=_date(last),
            )
        return RfmSummaries(summaries, unit=self.unit, observation_end=self.end)


@attrs.frozen
class BtydTriplesPlan(_TransactionPlan):
    """The distinct BTYD inputs and how many customers share each; build with
    `btyd_triples_plan`."""

    unit: str = attrs.field(default="week", converter=_unit, kw_only=True)

    def _statements(self) -> dict[str, str]:
        return {
            "triples": self._per_customer()
            + "SELECT x, t_x, age, COUNT(*) FROM per GROUP BY x, t_x, age ORDER BY x, t_x, age"
        }

    def _build(
        self, answers: Mapping[str, Rows]
    ) -> tuple[tuple[int, Fraction, Fraction, int], ...]:
        per_unit = UNITS[self.unit]
        return tuple(
            sorted(
                (int(x), Fraction(int(t_x), per_unit), Fraction(int(age), per_unit), int(n))
                for x, t_x, age, n in answers["triples"]
            )
        )


@attrs.frozen
class RfmPlan(_TransactionPlan):
    """`rfm` as SQL: figures and 'strictly worse' counts in the engine; build
    with `rfm_plan`."""

    bins: int = attrs.field(default=5, kw_only=True)
    segments: SegmentMap | None = attrs.field(default=None, kw_only=True)
    customers: frozenset[str] = attrs.field(default=frozenset(), converter=_ids, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if type(self.bins) is not int or not 1 <= self.bins <= 100:
            raise ValidationError("bins", "is out of range", allowed="an int from 1 to 100")
        if self.segments is not None and (
            not isinstance(self.segments, SegmentMap) or self.segments.bins != self.bins
        ):
            raise ValidationError(
                "segments",
                f"must be a SegmentMap for {self.bins} bins",
                allowed="a matching SegmentMap",
            )

    def _statements(self) -> dict[str, str]:
        end = _day_literal(self.end)
        return {
            "scores": self._days()
            + f", per AS (SELECT c, DATE_DIFF('day', MAX(d), {end}) AS recency, "
            "COUNT(*) AS frequency, SUM(spent) AS monetary FROM days GROUP BY c) "
            "SELECT c, recency, frequency, monetary, "
            "RANK() OVER (ORDER BY recency DESC) - 1, RANK() OVER (ORDER BY frequency) - 1, "
            "RANK() OVER (ORDER BY monetary) - 1 FROM per ORDER BY c"
        }

    def _build(self, answers: Mapping[str, Rows]) -> RfmResult:
        rows = sorted(tuple(row) for row in answers["scores"])
        n, bins = len(rows), self.bins
        chosen = self.segments or (DEFAULT_SEGMENT_MAP if bins == 5 else None)
        scores = {}
        spans: dict[str, dict[int, tuple[Any, Any]]] = {
            "recency_days": {},
            "frequency": {},
            "monetary": {},
        }
        for customer, recency, frequency, monetary, worse_r, worse_f, worse_m in rows:
            r, f, m = (1 + (bins * int(w)) // n for w in (worse_r, worse_f, worse_m))
            score = RfmScore(
                customer_id=customer,
                recency_days=int(recency),
                frequency=int(frequency),
                monetary=Money.from_exact(monetary, self.currency),
                r=r,
                f=f,
                m=m,
                segment=None if chosen is None else chosen.segment(r, f),
            )
            scores[customer] = score
            for name, level, value in (
                ("recency_days", r, score.recency_days),
                ("frequency", f, score.frequency),
                ("monetary", m, score.monetary),
            ):
                low, high = spans[name].get(level, (value, value))
                spans[name][level] = (min(low, value), max(high, value))
        cutoffs = MappingProxyType(
            {name: MappingProxyType(dict(sorted(s.items()))) for name, s in spans.items()}
        )
        inactive = frozenset(self.customers - set(scores))
        return RfmResult(scores, cutoffs, inactive, self.end, bins)


def rfm_summary_plan(
    table: str | tuple[str, ...],
    *,
    customer: str,
    at: str,
    amount: str,
    currency: str,
    observation_end: _dt.date,
    unit: str = "week",
    at_type: AtType = "timestamptz",
) -> RfmSummaryPlan:
    """`rfm_summary` over a transactions table: one row per purchase.

    Args:
        table: the table (or a tuple of schema and table names).
        customer, at, amount: the columns of the customer id, the time of the
            purchase and its exact amount (in ``currency``).
        observation_end: purchases after this day are ignored.
        unit: ``"day"``, ``"week"`` or ``"month"`` (30 days).
        at_type: ``"timestamptz"``: the column holds aware timestamps, counted
            on their UTC day whatever the engine's session time zone;
            ``"date"``: it holds DATEs, taken as they are. Naive timestamps
            are refused when the plan runs.

    Raises:
        ValidationError: a bad name, currency, date, unit or at_type.
    """
    return RfmSummaryPlan(
        table, customer, at, amount, currency, observation_end, at_type=at_type, unit=unit
    )


def btyd_triples_plan(
    table: str | tuple[str, ...],
    *,
    customer: str,
    at: str,
    amount: str,
    currency: str,
    observation_end: _dt.date,
    unit: str = "week",
    at_type: AtType = "timestamptz",
) -> BtydTriplesPlan:
    """The distinct ``(x, t_x, T)`` of `rfm_summary` and how many customers
    have each, as ``(x, t_x, T, count)`` rows (t_x and T exact, in ``unit``)
    for `BetaGeo.fit_counts`: only these rows leave the engine.

    The arguments are `rfm_summary_plan`'s (``amount`` is checked, not used).

    Raises:
        ValidationError: a bad name, currency, date, unit or at_type.
    """
    return BtydTriplesPlan(
        table, customer, at, amount, currency, observation_end, at_type=at_type, unit=unit
    )


def rfm_plan(
    table: str | tuple[str, ...],
    *,
    customer: str,
    at: str,
    amount: str,
    currency: str,
    as_of: _dt.date,
    bins: int = 5,
    customers: Iterable[str] | None = None,
    segments: SegmentMap | None = None,
    at_type: AtType = "timestamptz",
) -> RfmPlan:
    """`rfm` over a transactions table (columns as for `rfm_summary_plan`).

    Raises:
        ValidationError: a bad name, currency, date, bins, customers or segments.
    """
    return RfmPlan(
        table,
        customer,
        at,
        amount,
        currency,
        as_of,
        at_type=at_type,
        bins=bins,
        segments=segments,
        customers=customers,
    )


# The weighted pipeline ---------------------------------------------------------------


@attrs.frozen
class WeightedPipelinePlan(Plan):
    """`weighted_pipeline` as SQL; build with `weighted_pipeline_plan`."""

    table: tuple[str, ...] = attrs.field(converter=_table)
    amount: str = attrs.field(validator=_column_name)
    currency: str = attrs.field(validator=_column_name)
    probability: str = attrs.field(validator=_column_name)
    is_open: str | None = attrs.field(default=None, converter=_open_column)

    def _columns(self) -> Mapping[str, str]:
        columns = {self.amount: "exact", self.currency: "text", self.probability: "exact"}
        if self.is_open is not None:
            columns[self.is_open] = "boolean"
        return columns

    def _checks(self) -> tuple[_Check, ...]:
        checks = [
            *_number_checks(self.amount),
            _Check(self.currency, "{column} IS NULL", "is NULL", "a currency code in every row"),
            _Check(self.probability, "{column} IS NULL", "is NULL", "a probability in every row"),
            _Check(self.probability, "{column} < 0 OR {column} > 1", "is outside [0, 1]", "0 to 1"),
        ]
        if self.is_open is not None:
            checks.append(_Check(self.is_open, "{column} IS NULL", "is NULL", "TRUE or FALSE"))
        return tuple(checks)

    def _statements(self) -> dict[str, str]:
        amount, probability = _quoted(self.amount), _quoted(self.probability)
        where = "" if self.is_open is None else f" WHERE {_quoted(self.is_open)}"
        return {
            "pipeline": f"SELECT {_quoted(self.currency)} AS c, SUM({amount} * {probability}), "
            f"SUM({amount}), COUNT(*) FROM {self._from}{where} GROUP BY c ORDER BY c"
        }

    def _build(self, answers: Mapping[str, Rows]) -> WeightedPipeline:
        rows = sorted(tuple(row) for row in answers["pipeline"])
        return WeightedPipeline(
            totals=MappingProxyType({c: Money.from_exact(w, c) for c, w, _, _ in rows}),
            unweighted=MappingProxyType({c: Money(p, c) for c, _, p, _ in rows}),
            counts=MappingProxyType({c: int(n) for c, _, _, n in rows}),
        )


def weighted_pipeline_plan(
    table: str | tuple[str, ...],
    *,
    amount: str,
    currency: str,
    probability: str,
    is_open: str | None = None,
) -> WeightedPipelinePlan:
    """`weighted_pipeline` over a table of opportunities: Σ amount ×
    probability per currency over the open rows.

    Args:
        amount: the column of exact amounts (zero or more).
        currency: the column of ISO currency codes (the result is per code,
            in code order).
        probability: the column of exact win probabilities in [0, 1].
        is_open: a BOOLEAN column saying which rows are open; ``None``: every
            row is.

    Raises:
        ValidationError: a bad name.
    """
    return WeightedPipelinePlan(table, amount, currency, probability, is_open)
