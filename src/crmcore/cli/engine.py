"""``--engine duckdb``: read a CSV inside DuckDB and run the analysis there.

The file is loaded by DuckDB's CSV reader as text (a cell is read exactly as
written), checked with the Python reader's rules and messages (plain decimal
numbers of 0 or more, ISO dates, non-empty and unique ids, each reported
with its line), cast to DECIMAL with as many fractional digits as the file
has, and analysed by a plan from `crmcore.analytics.plans`, whose result is
the pure function's: the report is the same as with ``--engine python``.
"""

from collections.abc import Mapping
from typing import Any

from crmcore.cli.inputs import MAX_NUMBER_LENGTH, _where, missing_column
from crmcore.cli.output import CliError
from crmcore.errors import MissingExtraError

# RE2 patterns for DuckDB: the Python reader's plain numbers (signed: refused
# unless zero) and dates.
_NUMBER = r"\s*\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*"
_NEGATIVE = r"\s*-([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*"
_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise MissingExtraError(
            '--engine duckdb needs DuckDB: pip install "crmcore[engines]"', extra="engines"
        ) from None
    return duckdb


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class CsvTable:
    """A CSV file in an in-memory DuckDB as table ``raw``: its cells as text
    and ``line``, the file's line number of each row."""

    def __init__(self, path: str, columns: Mapping[str, str]) -> None:
        """``columns``: option → column name (a missing one is reported against its option)."""
        duckdb = _duckdb()
        self.path = path
        self.connection = duckdb.connect()
        try:
            self.connection.execute(
                "CREATE TEMP TABLE raw AS SELECT *, ROW_NUMBER() OVER () + 1 AS line "
                "FROM read_csv(?, header = true, all_varchar = true)",
                [path],
            )
            found = [row[0] for row in self.connection.execute("DESCRIBE raw").fetchall()][:-1]
            for option, column in columns.items():
                if column not in found:
                    raise missing_column(path, found, option, column)
            if not self._one("SELECT COUNT(*) FROM raw"):
                raise CliError(f"{path}: no data rows after the header")
        except duckdb.Error as error:
            self.close()
            raise CliError(
                f"{path}: DuckDB cannot read this CSV file ({type(error).__name__})"
            ) from None
        except CliError:
            self.close()
            raise

    def close(self) -> None:
        self.connection.close()

    def _one(self, sql: str) -> Any:
        return self.connection.execute(sql).fetchone()[0]

    def _fail(self, condition: str, column: str, problem: str) -> None:
        line = self._one(f"SELECT MIN(line) FROM raw WHERE {condition}")
        if line is not None:
            raise CliError(f"{_where(self.path, int(line), column)}: {problem}")

    def ids(self, column: str, *, unique: bool) -> None:
        """Every id non-empty; with ``unique``, none repeated."""
        cell = _q(column)
        self._fail(
            f"{cell} IS NULL OR trim({cell}) = ''",
            column,
            "expected a customer id, got an empty cell",
        )
        if unique:
            row = self.connection.execute(
                f"SELECT line, MIN(line) OVER (PARTITION BY {cell}) AS first FROM raw "
                "QUALIFY line > first ORDER BY line LIMIT 1"
            ).fetchone()
            if row is not None:  # the id itself is not repeated: ids are often names
                where = _where(self.path, int(row[0]), column)
                raise CliError(f"{where}: duplicate id (the same as on line {row[1]})")

    def numbers(self, column: str) -> str:
        """Every cell a plain decimal number of 0 or more; returns the SQL of
        the column as DECIMAL with the file's most fractional digits."""
        cell = _q(column)
        plain = (
            f"(regexp_full_match({cell}, '{_NUMBER}') OR regexp_full_match({cell}, '{_NEGATIVE}'))"
        )
        self._fail(
            f"{cell} IS NULL OR length(trim({cell})) > {MAX_NUMBER_LENGTH} OR NOT {plain}",
            column,
            "expected a plain decimal number such as 1250.50 (no exponent, at most 60 characters)",
        )
        self._fail(
            f"regexp_full_match({cell}, '{_NEGATIVE}') AND regexp_matches({cell}, '[1-9]')",
            column,
            "expected a number of 0 or more",
        )
        digits = self._one(f"SELECT MAX(length(split_part(trim({cell}), '.', 2))) FROM raw")
        text = f"replace(trim({cell}), '-', '')"  # only -0 is left to carry a sign
        return f"CAST({text} AS DECIMAL(38, {int(digits or 0)}))"

    def dates(self, column: str) -> str:
        """Every cell a date like 2030-01-31; returns the SQL of the column as DATE."""
        cell = _q(column)
        self._fail(
            f"{cell} IS NULL OR NOT regexp_full_match({cell}, '{_DAY}') "
            f"OR TRY_CAST({cell} AS DATE) IS NULL",
            column,
            "expected a date like 2030-01-31",
        )
        return f"CAST({cell} AS DATE)"

    def create(self, name: str, columns: Mapping[str, str]) -> None:
        """Table ``name`` with ``columns`` (name → SQL over raw)."""
        select = ", ".join(f"{sql} AS {_q(column)}" for column, sql in columns.items())
        self.connection.execute(f"CREATE TEMP TABLE {_q(name)} AS SELECT {select} FROM raw")

    def cells(self, *columns: str) -> list[tuple[str, ...]]:
        """(line, the trimmed text of ``columns``), in file order."""
        select = ", ".join(f"trim({_q(c)})" for c in columns)
        query = f"SELECT line, {select} FROM raw ORDER BY line"
        return self.connection.execute(query).fetchall()  # type: ignore[no-any-return]
