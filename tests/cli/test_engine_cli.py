"""``--engine duckdb``: the same reports and the same located errors as Python's reader."""

import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.test_cli import _write, run

VALUES = "customer,spend\nc1,500\nc2,300.25\nc3,100\nc4,60\nc5,40\nc6,0\nc7,-0\nc8,60\n"
SALES = (
    "who,when,paid\na,2030-01-05,10\na,2030-02-01,20.5\nb,2030-01-20,5\n"
    "a,2030-02-01,1\nc,2030-03-05,7\n"
)


def _both(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run with each engine; the outputs must be the same; returns DuckDB's."""
    python = run(capsys, *argv, "--engine", "python")
    duckdb = run(capsys, *argv, "--engine", "duckdb")
    assert duckdb == python
    return duckdb


@pytest.mark.parametrize("form", ["table", "json", "csv"])
def test_abc_and_pareto_are_the_same_on_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    base = [path, "--id", "customer", "--value", "spend", "--format", form]
    status, out, _ = _both(capsys, "abc", *base, "--thresholds", "0.5,0.9,1")
    assert status == 0
    assert "c1" in out
    assert _both(capsys, "abc", *base, "--boundary", "inclusive", "--currency", "EUR")[0] == 0
    assert _both(capsys, "pareto", *base, "--share", "0.6")[0] == 0


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_rfm_and_rfm_summary_are_the_same_on_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unit: str
) -> None:
    path = _write(tmp_path, "sales.csv", SALES)
    columns = [path, "--customer", "who", "--date", "when", "--amount", "paid", "--currency"]
    status, out, _ = _both(capsys, "rfm", *columns, "EUR", "--as-of", "2030-03-01")
    assert status == 0
    assert "a " in out
    assert "c " not in out  # bought after the day of the analysis
    status, out, _ = _both(
        capsys, "rfm-summary", *columns, "EUR", "--end", "2030-03-01", "--unit", unit,
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    summary = json.loads(out)
    assert summary["a"]["frequency"] == 1
    assert summary["a"]["first_purchase"] == "2030-01-05"


def test_a_larger_random_file_is_the_same_on_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rnd = random.Random(7)
    lines = ["who,when,paid"]
    for _ in range(2_000):
        day = date(2030, 1, 1) + timedelta(days=rnd.randrange(120))
        lines.append(f"c{rnd.randrange(300)},{day},{rnd.choice(['0', '1.5', '20', '7.25'])}")
    path = _write(tmp_path, "sales.csv", "\n".join(lines) + "\n")
    columns = [path, "--customer", "who", "--date", "when", "--amount", "paid", "--currency", "USD"]
    assert _both(capsys, "rfm", *columns, "--as-of", "2030-04-01", "--format", "csv")[0] == 0
    assert _both(capsys, "rfm-summary", *columns, "--end", "2030-03-01")[0] == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("customer,spend\nc1,5\nc2,abc\n", "line 3, column spend: expected a plain decimal number"),
        ("customer,spend\nc1,5\nc2,1e5\n", "line 3, column spend: expected a plain decimal number"),
        ("customer,spend\nc1,5\nc2,-3\n", "line 3, column spend: expected a number of 0 or more"),
        ("customer,spend\nc1,5\n,3\n", "line 3, column customer: expected a customer id"),
        ("customer,spend\nc1,5\nc2,4\nc1,3\n", "line 4, column customer: duplicate id (the same"),
        ("customer,spend\n", "no data rows after the header"),
        ("who,spend\nc1,5\n", "missing column customer (given by --id)"),
    ],
)
def test_value_file_errors_are_located_as_in_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, error: str
) -> None:
    path = _write(tmp_path, "values.csv", text)
    status, out, err = _both(capsys, "abc", path, "--id", "customer", "--value", "spend")
    assert status == 2
    assert out == ""
    assert error in err.replace("'", "")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("who,when,paid\na,2030-13-01,5\n", "line 2, column when: expected a date like"),
        ("who,when,paid\na,30-01-01,5\n", "line 2, column when: expected a date like"),
        ("who,when,paid\na,2030-01-01,x\n", "line 2, column paid: expected a plain decimal"),
        ("who,when,paid\n ,2030-01-01,1\n", "line 2, column who: expected a customer id"),
    ],
)
def test_transaction_file_errors_are_located_as_in_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, error: str
) -> None:
    path = _write(tmp_path, "sales.csv", text)
    arguments = [path, "--customer", "who", "--date", "when", "--amount", "paid"]
    for command, extra in (("rfm", "--as-of"), ("rfm-summary", "--end")):
        status, _, err = _both(
            capsys, command, *arguments, "--currency", "EUR", extra, "2030-06-01"
        )
        assert status == 2
        assert error in err.replace("'", "")


def test_money_too_large_for_an_amount_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "values.csv", "customer,spend\nc1,5\nc2,12345678901234567890123\n")
    status, _, err = _both(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--currency", "JPY"
    )
    assert status == 2
    assert "line 3, column 'spend'" in err


def test_without_duckdb_the_engine_option_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)
    path = _write(tmp_path, "values.csv", VALUES)
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--engine", "duckdb"
    )
    assert status == 2
    assert "crmcore[engines]" in err


def test_a_file_duckdb_cannot_parse_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"customer,spend\nc1,5\n\xff\xfe,\x00\n")
    status, _, err = run(
        capsys, "abc", str(path), "--id", "customer", "--value", "spend", "--engine", "duckdb"
    )
    assert status == 2
    assert "crmcore:" in err
