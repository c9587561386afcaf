"""The command line, as a user runs it: output, formats, and every bad input."""

import itertools
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crmcore
from crmcore import ValidationError
from crmcore.cli import inputs, main
from crmcore.cli.svg import MAX_BARS

GOLDEN = Path(__file__).with_name("tour.golden.txt")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def exact(text: str) -> Any:
    """JSON output read back with its numbers as exact decimals."""
    return json.loads(text, parse_float=Decimal)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# The tour --------------------------------------------------------------------------------


def test_the_tour_matches_the_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "tour")
    assert (status, err) == (0, "")
    assert out == GOLDEN.read_text(encoding="utf-8")
    assert all(len(line) <= 80 for line in out.splitlines())
    for heading in (
        "1. Lifecycle phases",
        "2. Pipeline and forecast",
        "3. Win rate and sales velocity",
        "4. ABC classes",
        "20/80:",
        "5. Vendor scoring",
        "6. Customer lifetime value",
        "Service level, in working hours",
        "7. Campaign camp-000001",
        '"pipeline" category, so here all three are the won amount',
    ):
        assert heading in out


def test_the_tour_on_a_sqlite_file_prints_the_same_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tour.db'}"
    status, out, err = run(capsys, "tour", "--store", url)
    assert (status, err) == (0, "")
    assert out == GOLDEN.read_text(encoding="utf-8")
    status, out, err = run(capsys, "tour", "--store", url)  # now it holds the tour's records
    assert (status, out) == (2, "")
    assert err == (
        "crmcore: tour: --store: the database already holds customer records; the tour "
        "needs an empty one (delete the file or use another database)\n"
    )


_TOUR_DATABASES = itertools.count()


def test_the_tour_on_postgres_prints_the_same_json(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.sql import backends

    # A fresh database per run: a runner that runs the suite twice in one
    # process (mutmut) must not meet the first run's database.
    name = f"tour{os.getpid()}_{next(_TOUR_DATABASES)}"
    engine = backends.postgres_engine()
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            f"CREATE DATABASE {name}"
        )
    try:
        url = backends.server().url.replace("/postgres?", f"/{name}?")
        assert run(capsys, "tour", "--store", url, "--format", "json") == run(
            capsys, "tour", "--format", "json"
        )
    finally:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("tour.db", "--store: not a database URL crmcore supports (e.g. sqlite:///tour.db"),
        ("nosuch://x/y", "--store: not a database URL crmcore supports"),
        ("mysql://u@localhost/crm", "--store: the database driver MySQLdb is not installed"),
        (
            "postgresql+psycopg://crm@/x?host=/nonexistent",
            "the database failed to read the schema version of (schema): OperationalError",
        ),
    ],
)
def test_a_tour_store_that_cannot_be_used_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    status, out, err = run(capsys, "tour", "--store", url)
    assert (status, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


def test_a_tour_store_of_another_schema_version_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE crmcore_schema (name TEXT, version INTEGER)")
        connection.exec_driver_sql("INSERT INTO crmcore_schema VALUES ('crmcore', 99)")
    engine.dispose()
    status, _, err = run(capsys, "tour", "--store", f"sqlite:///{tmp_path / 'old.db'}")
    assert status == 2
    assert "schema version 99, newer than this crmcore's 1: upgrade crmcore" in err


def test_the_tour_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "tour", "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert sum(data["lifecycle"].values()) == 30
    assert data["complaint"]["steps"] == [
        "received",
        "calmed",
        "clarified",
        "solution proposed",
        "action taken",
        "thanked",
    ]
    # Numbers are JSON numbers (exact decimals), amounts in the stated currency.
    data = exact(out)
    assert data["currency"] == "USD"
    assert data["clv"][2] == {
        "retention": Decimal("0.8"),
        "five_years": Decimal("212.41"),
        "lifetime_end": Decimal("266.67"),
        "lifetime_start": Decimal("366.67"),
    }
    assert data["pipeline"]["weighted pipeline"] == Decimal("58420.00")
    assert (data["sales"]["won"], data["sales"]["win_rate_by_count"]) == (8, Decimal("0.5"))
    assert data["abc"][0]["share"] == Decimal("0.1")
    assert data["quotas"]["reps"]["rep-2"] == {
        "won": Decimal("18100.00"),
        "attained": Decimal("18100") / Decimal("15000"),
        "paid_base": Decimal("15050.00"),
        "commission": Decimal("402.00"),  # 2 % of 10,000 + 4 % of 5,050
    }
    assert data["vendors"]["Package A"]["fit"] == Decimal("0.75")
    assert data["complaint"]["service_level"] == {
        "first response": {"state": "reached", "elapsed_hours": Decimal("1.0")},
        "resolution": {"state": "reached", "elapsed_hours": Decimal("8.0")},
    }


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crmcore", "diagram", "pipeline"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("stateDiagram-v2")
    bad = subprocess.run(
        [sys.executable, "-m", "crmcore", "clv", "--margin", "x", "--currency", "USD",
         "--retention", "0.8", "--discount", "0.1"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert (
        bad.stderr
        == "crmcore: --margin: expected a plain decimal number like 0.8 (no exponent, at most 60 characters)\n"
    )
    assert "Traceback" not in bad.stderr


# abc and pareto ---------------------------------------------------------------------------

VALUES = "customer,spend\nc1,500\nc2,300\nc3,100\nc4,60\nc5,40\n"


def test_abc_table_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    status, out, _ = run(capsys, "abc", path, "--id", "customer", "--value", "spend")
    assert status == 0
    assert "ABC classes (covering)" in out
    assert "c1          500  A" in out
    status, out, _ = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--format", "json",
        "--currency", "EUR", "--thresholds", "0.5,0.9", "--boundary", "inclusive",
    )  # fmt: skip
    data = exact(out)
    # inclusive: a customer is in A while the cumulative share stays within 50 %
    assert data["customers"] == {"c1": "A", "c2": "B", "c3": "B", "c4": "C", "c5": "C"}
    assert data["currency"] == "EUR"
    assert data["classes"]["B"] == {
        "customers": 2,
        "customer_share": Decimal("0.4"),
        "value": Decimal("400"),
        "value_share": Decimal("0.4"),
    }
    status, out, _ = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--format", "csv"
    )
    assert out.splitlines()[:2] == ["customer,value,class", "c1,500,A"]


def test_pareto_with_a_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"c{i:03d},{1000 // (i + 1)}\n" for i in range(250))
    path = _write(tmp_path, "many.csv", "id,value\n" + rows)
    chart = tmp_path / "chart.svg"
    status, out, _ = run(
        capsys, "pareto", path, "--id", "id", "--value", "value", "--chart", str(chart)
    )
    assert status == 0
    assert out.startswith("20/80: ")
    tree = ET.parse(chart)
    svg = "{http://www.w3.org/2000/svg}"
    bars = [e for e in tree.iter(f"{svg}rect") if e.get("class") == "bar"]
    assert len(bars) == MAX_BARS  # one bar per customer, up to the cap
    assert len([e for e in tree.iter(f"{svg}line") if e.get("class") == "threshold"]) == 1
    assert len([e for e in tree.iter(f"{svg}polyline") if e.get("class") == "cumulative"]) == 1
    texts: dict[str | None, list[str | None]] = {
        e.get("class"): [] for e in tree.iter(f"{svg}text")
    }
    for e in tree.iter(f"{svg}text"):
        texts[e.get("class")].append(e.text)
    assert texts["value-tick"] == ["0", "250", "500", "750", "1,000"]  # the largest value: 1000
    assert texts["share-tick"] == ["0%", "25%", "50%", "75%", "100%"]
    assert texts["threshold-label"] == ["80% of value"]
    assert "cumulative share of value" in texts[None]
    small = _write(tmp_path, "small.csv", "id,value\n" + VALUES.split("\n", 1)[1])
    run(
        capsys,
        "pareto",
        small,
        "--id",
        "id",
        "--value",
        "value",
        "--chart",
        str(chart),
        "--share",
        "0.5",
    )
    bars = [e for e in ET.parse(chart).iter(f"{svg}rect") if e.get("class") == "bar"]
    assert len(bars) == 5
    status, out, _ = run(
        capsys, "pareto", small, "--id", "id", "--value", "value", "--format", "json"
    )
    assert json.loads(out)["vital_few"] == ["c1", "c2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "values.csv, line 1: the file is empty; expected a header row with the columns customer, spend"),
        ("customer,amount\nc1,5\n", "values.csv, line 1: missing column 'spend' (given by --value); the header has 'customer', 'amount'"),
        (
            "customer,spend\nc1,5\nc2,abc\n",
            "values.csv, line 3, column 'spend': expected a plain decimal number such as "
            "1250.50 (no exponent, at most 60 characters)",
        ),
        ("customer,spend\nc1,-5\n", "values.csv, line 2, column 'spend': expected a number of 0 or more"),
        ("customer,spend\nc1,5\nc2,6\nc1,7\n", "values.csv, line 4, column 'customer': duplicate id (the same as on line 2)"),
        ("customer,spend\nc1,5,9\n", "values.csv, line 2: expected 2 columns, found 3"),
        ("customer,spend\n,5\n", "values.csv, line 2, column 'customer': expected a customer id, got an empty cell"),
        ("customer,spend\n", "values.csv: no data rows after the header"),
        (
            "customer,spend\nc1,NaN\n",
            "values.csv, line 2, column 'spend': expected a plain decimal number such as "
            "1250.50 (no exponent, at most 60 characters)",
        ),
    ],
)  # fmt: skip
def test_bad_csv_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = _write(tmp_path, "values.csv", text)
    out_file = tmp_path / "out.csv"
    status, out, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--output", str(out_file)
    )
    assert status == 2
    assert out == ""
    assert err == f"crmcore: {tmp_path!s}/{message}\n"
    assert not out_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.csv"]  # no temporary left


def test_unknown_currency_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--currency", "XYZ"
    )
    assert (status, err) == (
        2,
        "crmcore: --currency: unknown currency; expected an ISO 4217 code like USD\n",
    )
    status, _, err = run(capsys, "abc", str(tmp_path / "gone.csv"), "--id", "a", "--value", "b")
    assert (status, err) == (2, f"crmcore: {tmp_path}/gone.csv: no such file\n")
    status, _, err = run(capsys, "abc", str(tmp_path), "--id", "a", "--value", "b")
    assert err == f"crmcore: {tmp_path}: is a directory, expected a file\n"
    (tmp_path / "latin.csv").write_bytes("id,value\nJos\xe9,1\n".encode("latin-1"))
    status, _, err = run(
        capsys, "abc", str(tmp_path / "latin.csv"), "--id", "id", "--value", "value"
    )
    assert err == f"crmcore: {tmp_path}/latin.csv, line 2: is not UTF-8 text\n"
    too_big = _write(tmp_path, "big.csv", "id,value\nc1,1" + "0" * 30 + "\n")
    status, _, err = run(
        capsys, "abc", too_big, "--id", "id", "--value", "value", "--currency", "EUR"
    )
    assert status == 2
    assert err.startswith(f"crmcore: {too_big}, line 2, column 'value': amount")


def test_output_files_are_written_whole_and_never_over_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    target = tmp_path / "classes.json"
    status, out, _ = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--format", "json",
        "--output", str(target),
    )  # fmt: skip
    assert (status, out) == (0, "")
    assert json.loads(target.read_text())["customers"]["c1"] == "A"
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--output", path
    )
    assert status == 2
    assert "refusing to overwrite an input file" in err
    assert Path(path).read_text() == VALUES
    status, _, err = run(
        capsys, "pareto", path, "--id", "customer", "--value", "spend", "--chart", path
    )
    assert "refusing to overwrite an input file" in err
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend",
        "--output", str(tmp_path / "no" / "such" / "dir.txt"),
    )  # fmt: skip
    assert status == 2
    assert "does not exist" in err


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("crmcore.cli.output.os.replace", broken)
    output = str(tmp_path / "o.txt")
    status, out, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--output", output
    )
    assert (status, out) == (2, "")
    assert err == f"crmcore: {output}: cannot be written (disk full)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.csv"]


_KILLED_MIDWAY = """
import os, signal, sys
import crmcore.cli.output as output

real = output.os.fdopen

class Dying:
    def __init__(self, stream):
        self.stream = stream
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
    def write(self, text):
        self.stream.write(text[: len(text) // 2])
        self.stream.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # killed halfway through the file

output.os.fdopen = lambda *a, **k: Dying(real(*a, **k))
from crmcore.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_while_writing_leaves_the_old_output_and_the_input(tmp_path: Path) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    target = tmp_path / "classes.json"
    target.write_text("the previous result\n")
    hard_link = tmp_path / "same-file.csv"
    os.link(path, hard_link)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MIDWAY, "abc", path, "--id", "customer",
         "--value", "spend", "--format", "json", "--output", str(target)],
        capture_output=True, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    assert target.read_text() == "the previous result\n"  # never a half-written file
    assert Path(path).read_text() == VALUES
    # The half-written temporary file is hidden next to it; the next run does not mind it.
    assert main(
        ["abc", path, "--id", "customer", "--value", "spend", "--format", "json",
         "--output", str(target)]
    ) == 0  # fmt: skip
    assert json.loads(target.read_text())["customers"]["c1"] == "A"
    # An input reached through another name (a hard link) is not overwritten either.
    assert (
        main(["abc", path, "--id", "customer", "--value", "spend", "--output", str(hard_link)]) == 2
    )
    assert hard_link.read_text() == VALUES


def test_a_write_failing_midway_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    real = os.fdopen

    class Full:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __enter__(self) -> "Full":
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, text: str) -> None:
            self.stream.write(text[:10])
            raise OSError("disk full")

    monkeypatch.setattr("crmcore.cli.output.os.fdopen", lambda *a, **k: Full(real(*a, **k)))
    output = str(tmp_path / "o")
    assert main(["abc", path, "--id", "customer", "--value", "spend", "--output", output]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.csv"]


def test_csv_format_only_where_the_output_is_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys,
        "clv",
        "--margin",
        "100",
        "--currency",
        "USD",
        "--retention",
        "0.8",
        "--discount",
        "0.1",
        "--format",
        "csv",
    )
    assert status == 2
    assert err == "crmcore: --format csv: this command's output is not a table; use table or json\n"
    status, _, err = run(capsys, "tour", "--format", "csv")
    assert status == 2
    assert "invalid choice: 'csv'" in err


def test_progress_is_shown_on_a_terminal_for_large_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", "id,value\n" + "".join(f"c{i},{i}\n" for i in range(25)))
    monkeypatch.setattr(inputs, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = run(capsys, "abc", path, "--id", "id", "--value", "value")
    assert status == 0
    assert err == f"crmcore: {path}: 10 rows read\ncrmcore: {path}: 20 rows read\n"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert run(capsys, "abc", path, "--id", "id", "--value", "value")[2] == ""


# vendors -----------------------------------------------------------------------------------

VENDORS = """\
[[requirement]]
name = "Contact management"
priority = "high"
must_have = true

[[requirement]]
name = "Mobile app"
priority = "low"

[vendors."Package A"]
"Contact management" = "out of the box"
"Mobile app" = "not available"

[vendors."Package B"]
"Contact management" = "minor customization"
"Mobile app" = "out of the box"
"""


def test_vendors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "crm.toml", VENDORS)
    status, out, _ = run(capsys, "vendors", path)
    assert status == 0
    assert "Package A  12   0     12  75.0 %     2" in out
    data = exact(run(capsys, "vendors", path, "--format", "json")[1])
    assert data["Package B"] == {
        "total": 13,
        "maximum": 16,
        "fit": Decimal("0.8125"),
        "rank": 1,
        "knocked_out_by": [],
    }
    csv_out = run(capsys, "vendors", path, "--format", "csv")[1]
    assert csv_out.splitlines()[0] == "vendor,total,maximum,fit,rank"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[requirement]\nname = "x"\n', "crm.toml, line 1, column 14: malformed TOML: Expected ']]' at the end of an array declaration"),
        ("", "crm.toml, line 1: the file is empty; expected TOML"),
        (VENDORS.replace('"not available"', '"sort of"'), "crm.toml, line 12, column 17: unknown ability 'sort of' for 'Package A'; expected major customization, minor customization, not available, out of the box"),
        (VENDORS.replace('"low"', '"urgent"'), "crm.toml, line 8, column 13: unknown priority 'urgent' for 'Mobile app'; expected high, medium or low"),
        ('title = "x"\n', "crm.toml, line 1: expected [[requirement]] tables with name and priority"),
        ('[[requirement]]\npriority = "high"\n', "crm.toml, line 1, column 1: a requirement needs a name"),
        (VENDORS.replace('priority = "low"', 'priority = "low"\nmust_have = "yes"'), "crm.toml, line 9, column 1: must_have of 'Mobile app' must be true or false (a TOML boolean, no quotes)"),
        (VENDORS.split("[vendors")[0], "crm.toml, line 1: expected a [vendors.NAME] table per vendor"),
        (VENDORS.replace('[vendors."Package B"]', '[vendors]\n"Package C" = 3\n[vendors."Package B"]'), "crm.toml, line 15, column 2: 'Package C' must be a table"),
        (VENDORS.replace('"Mobile app" = "not available"\n', ""), "crm.toml, line 10, column 1: vendor 'Package A' has no rating for 'Mobile app' (not rated is not 0)"),
        (VENDORS.replace('"Mobile app" = "not available"', '"Mobile app" = "not available"\n"Fax" = "not available"'), "crm.toml, line 13, column 1: vendor 'Package A' rates unknown requirement 'Fax'"),
        (VENDORS.replace("must_have = true", 'must_have = "yes"'), "crm.toml, line 4, column 1: must_have of 'Contact management' must be true or false (a TOML boolean, no quotes)"),
    ],
)  # fmt: skip
def test_bad_vendor_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = _write(tmp_path, "crm.toml", text)
    status, out, err = run(capsys, "vendors", path)
    assert (status, out) == (2, "")
    assert err == f"crmcore: {tmp_path}/{message}\n"


# clv, rfm, diagram ----------------------------------------------------------------------------


def test_clv(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = [
        "clv",
        "--margin",
        "100",
        "--currency",
        "USD",
        "--retention",
        "0.8",
        "--discount",
        "0.1",
    ]
    status, out, _ = run(capsys, *arguments)
    assert status == 0
    assert out.startswith("Customer lifetime value: 266.67 USD\n")
    data = exact(run(capsys, *arguments, "--timing", "start", "--format", "json")[1])
    assert (data["rounded"], data["currency"]) == (Decimal("366.67"), "USD")
    # the exact value, as many digits as the library computed (no float on the way)
    assert data["value"] == Decimal("366.666666666666666667")
    csv_out = run(capsys, *arguments, "--periods", "2", "--format", "csv")[1]
    assert csv_out == "period,value,currency\n1,72.73,USD\n2,52.89,USD\n"
    status, _, err = run(capsys, *arguments[:-1], "-0.1")
    assert (status, err) == (
        2,
        "crmcore: --discount: must not be negative (accepted: 0 or more)\n",
    )
    status, _, err = run(capsys, *arguments, "--periods", "0")
    assert err == "crmcore: --periods: is out of range (accepted: an int from 1 to 10000)\n"


TRANSACTIONS = "who,when,paid\na,2030-01-05,10\na,2030-02-01,20\nb,2030-01-20,5\n"


def test_rfm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "t.csv", TRANSACTIONS)
    arguments = [
        "rfm",
        path,
        "--customer",
        "who",
        "--date",
        "when",
        "--amount",
        "paid",
        "--currency",
        "EUR",
        "--as-of",
        "2030-03-01",
    ]
    status, out, _ = run(capsys, *arguments)
    assert status == 0
    assert "RFM scores as of 2030-03-01" in out
    data = exact(run(capsys, *arguments, "--format", "json")[1])
    assert data["a"]["frequency"] == 2
    assert (data["a"]["monetary"], data["a"]["currency"]) == (Decimal("30"), "EUR")
    csv_out = run(capsys, *arguments, "--format", "csv")[1].splitlines()
    assert csv_out[0] == "customer,recency,frequency,monetary,currency,R,F,M,segment"
    assert csv_out[1].startswith("a,28,2,30,EUR,")
    bad_date = _write(tmp_path, "t.csv", TRANSACTIONS.replace("2030-02-01", "1 Feb"))
    status, _, err = run(capsys, *arguments)
    assert (status, err) == (
        2,
        f"crmcore: {bad_date}, line 3, column 'when': expected a date like 2030-01-31\n",
    )
    status, _, err = run(capsys, *arguments[:-1], "March")
    assert err == "crmcore: --as-of: expected a date like 2030-01-31\n"
    _write(tmp_path, "t.csv", "who,when,paid\n,2030-01-05,10\n")
    assert (
        run(capsys, *arguments)[2]
        == f"crmcore: {path}, line 2, column 'who': expected a customer id, got an empty cell\n"
    )
    _write(tmp_path, "t.csv", "who,when,paid\n")
    assert run(capsys, *arguments)[2] == f"crmcore: {path}: no data rows after the header\n"
    _write(tmp_path, "t.csv", "who,when,paid\nhas space,2030-01-05,10\n")
    assert run(capsys, *arguments)[2].startswith(
        f"crmcore: {path}, line 2, column 'who': customer_id:"
    )


def test_diagrams(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "diagram", "lifecycle")
    assert status == 0
    assert "lost --> acquisition : win_back" in out
    data = json.loads(run(capsys, "diagram", "pipeline", "--format", "json")[1])
    assert data["mermaid"].startswith("stateDiagram-v2")


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "nope")
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith("crmcore: argument command: invalid choice: 'nope'")
    status, _, err = run(capsys, "abc")
    assert err == (
        "crmcore: abc: the following arguments are required: FILE.csv, --id, --value "
        "(see crmcore abc --help)\n"
    )
    status, _, err = run(
        capsys, "abc", "x.csv", "--id", "a", "--value", "b", "--thresholds", "0.8,x"
    )
    assert err.startswith("crmcore: ")


# Odds and ends ---------------------------------------------------------------------------------


def test_python_dash_m_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["crmcore", "diagram", "lifecycle"])
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("crmcore", run_name="__main__", alter_sys=True)
    assert caught.value.code == 0
    assert "stateDiagram-v2" in capsys.readouterr().out


def test_bad_numbers_in_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--thresholds", "0.8,x"
    )
    assert (status, err) == (
        2,
        "crmcore: --thresholds: expected a plain decimal number like 0.8 (no exponent, at most 60 characters)\n",
    )
    status, _, err = run(
        capsys, "pareto", path, "--id", "customer", "--value", "spend", "--share", "inf"
    )
    assert (status, err) == (
        2,
        "crmcore: --share: expected a plain decimal number like 0.8 (no exponent, at most 60 characters)\n",
    )
    status, _, err = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--thresholds", "0.9,0.8"
    )
    assert status == 2
    assert err.startswith("crmcore: --thresholds:")


def test_blank_lines_are_skipped_and_unreadable_files_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", "customer,spend\n\nc1,5\n , \nc2,6\n")
    status, out, _ = run(
        capsys, "abc", path, "--id", "customer", "--value", "spend", "--format", "json"
    )
    assert status == 0
    assert list(json.loads(out)["customers"]) == ["c2", "c1"]

    def denied(*_args: object, **_kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    status, _, err = run(capsys, "abc", path, "--id", "customer", "--value", "spend")
    assert (status, err) == (2, f"crmcore: {path}: cannot be read (Permission denied)\n")


def test_toml_positions_and_locations() -> None:
    assert inputs._toml_position("Invalid value (at line 3, column 7)") == (3, 7)
    assert inputs._toml_position("Invalid value") == (0, 0)
    assert inputs.locate("a = 1\nb = 'x'\n", "'x'") == (2, 5)
    assert inputs.locate("a = 1\n", "missing") == (1, 1)


def test_a_toml_error_without_a_position_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib

    def broken(_text: str) -> object:
        raise tomllib.TOMLDecodeError("Unexpected end of input")

    monkeypatch.setattr(tomllib, "loads", broken)
    path = _write(tmp_path, "crm.toml", VENDORS)
    status, _, err = run(capsys, "vendors", path)
    assert (status, err) == (2, f"crmcore: {path}: malformed TOML: Unexpected end of input\n")


def test_an_empty_chart_still_draws_its_axes() -> None:
    from fractions import Fraction

    from crmcore.cli.svg import pareto_svg

    tree = ET.fromstring(pareto_svg([], share=Fraction(4, 5), title="nothing"))
    svg = "{http://www.w3.org/2000/svg}"
    assert [e for e in tree.iter(f"{svg}rect") if e.get("class") == "bar"] == []
    assert [e for e in tree.iter(f"{svg}line") if e.get("class") == "threshold"] != []


def test_vendors_reads_priorities_and_abilities_forgivingly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        "v.toml",
        '[[requirement]]\nname = "crm"\npriority = "Low"\n'
        '[[requirement]]\nname = "mail"\npriority = "NORMAL"\n'
        '[vendors.A]\ncrm = "Out of the box"\nmail = "n/a"\n'
        '[vendors.B]\ncrm = "minor customisation"\nmail = "Out-Of-The-Box"\n',
    )
    status, out, err = run(capsys, "vendors", path)
    assert (status, err) == (0, "")
    assert "R1: crm (low, 1 point)" in out
    assert "R2: mail (medium, 2 points)" in out
    assert out.splitlines()[2].split()[:5] == ["B", "3", "8", "11", "91.7"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"crmcore {crmcore.__version__}"


@pytest.mark.parametrize(
    "cell", ["1E+1000000", "1E+400", "1E+3", "1E-1000000", "1e5", "0x10", "1_000"]
)
def test_cells_are_plain_decimals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str
) -> None:
    path = _write(tmp_path, "values.csv", f"customer,spend\nc1,5\nc2,{cell}\n")
    for command in ("abc", "pareto"):
        status, out, err = run(capsys, command, path, "--id", "customer", "--value", "spend")
        assert (status, out) == (2, "")
        assert err == (
            f"crmcore: {path}, line 3, column 'spend': expected a plain decimal number such as "
            "1250.50 (no exponent, at most 60 characters)\n"
        )


def test_every_argument_has_help() -> None:
    import argparse

    from crmcore.cli import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        for action in command._actions:
            assert action.help, f"crmcore {name} {action.dest}: no help text"


def test_clv_options_are_named_in_errors_and_acquisition_cost_is_subtracted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["clv", "--margin", "170", "--currency", "USD", "--retention", "0.75"]
    status, out, _ = run(capsys, *base, "--discount", "0.1", "--acquisition-cost", "180")
    assert status == 0
    assert "Customer lifetime value: 184.29 USD" in out  # 364.29 - 180, exercise 3
    for extra, option in (
        (["--discount", "-0.1"], "--discount"),
        (["--discount", "0.1", "--acquisition-cost", "1" + "0" * 20], "--acquisition-cost"),
        (["--discount", "0.1", "--periods", "0"], "--periods"),
    ):
        status, _, err = run(capsys, *base, *extra)
        assert status == 2
        assert err.startswith(f"crmcore: {option}: "), err
    status, _, err = run(capsys, "clv", "--margin", "1" + "0" * 20, "--currency", "USD",
                         "--retention", "0.5", "--discount", "0.1")  # fmt: skip
    assert err.startswith("crmcore: --margin: has more than 18 digits"), err


def test_an_interrupted_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("crmcore.cli.output.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["abc", path, "--id", "customer", "--value", "spend", "--output", str(tmp_path / "o")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values.csv"]


def test_output_paths_that_cannot_be_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", VALUES)
    (tmp_path / "sub").mkdir()
    base = ["abc", path, "--id", "customer", "--value", "spend", "--output"]
    for output, problem in (
        ("", "'': is not a file name"),
        (".", "'.': is not a file name"),
        (f"{tmp_path}/sub/", f"'{tmp_path}/sub/': is not a file name"),
        (f"{tmp_path}/sub", f"{tmp_path}/sub: is a directory; name a file to write"),
    ):
        status, _, err = run(capsys, *base, output)
        assert (status, err) == (2, f"crmcore: {problem}\n")

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("crmcore.cli.output.tempfile.mkstemp", refused)
    status, _, err = run(capsys, *base, str(tmp_path / "o"))
    assert (status, err) == (2, f"crmcore: {tmp_path}/o: cannot be written (Permission denied)\n")


def test_an_empty_rfm_result_says_so_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "sales.csv", "customer,date,amount\nc1,2031-01-05,10\n")
    status, out, err = run(
        capsys, "rfm", path, "--customer", "customer", "--date", "date", "--amount", "amount",
        "--currency", "EUR", "--as-of", "2030-12-31",
    )  # fmt: skip
    assert status == 0
    assert "RFM scores as of 2030-12-31" in out
    assert err == (
        f"crmcore: note: no transaction in {path} is on or before 2030-12-31; nothing to score\n"
    )


def test_csv_output_puts_the_currency_in_its_own_column_and_json_ratios_are_decimals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "values.csv", "customer,spend\nc1,5\nc2,7.50\n")
    base = ["--id", "customer", "--value", "spend", "--currency", "USD"]
    status, out, _ = run(capsys, "abc", path, *base, "--format", "csv")
    assert (status, out.splitlines()) == (
        0,
        ["customer,value,currency,class", "c2,7.50,USD,A", "c1,5,USD,A"],
    )
    status, out, _ = run(capsys, "abc", path, *base, "--format", "json")
    assert '"thresholds": [\n    0.8,\n    0.95\n  ]' in out
    assert exact(out)["thresholds"] == [Decimal("0.8"), Decimal("0.95")]
    status, out, _ = run(capsys, "pareto", path, *base, "--format", "json")
    assert exact(out)["share"] == Decimal("0.8")
    status, _, err = run(capsys, "pareto", path, *base, "--share", "1.5")
    assert (status, err) == (
        2,
        "crmcore: --share: is out of range (accepted: a number above 0 and at most 1, e.g. 0.8)\n",
    )


def test_errors_deep_inside_a_command_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "values.csv", "customer,spend\nc1,5\n")
    base = ["--id", "customer", "--value", "spend"]

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValidationError("values", "is odd", allowed="even")

    monkeypatch.setattr("crmcore.cli.abc_classes", refuse)
    monkeypatch.setattr("crmcore.cli.pareto", refuse)
    for command in ("abc", "pareto"):
        status, out, err = run(capsys, command, path, *base)
        assert (status, out, err) == (2, "", "crmcore: values: is odd (accepted: even)\n")


def test_odd_input_files_are_refused_up_front(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["--id", "customer", "--value", "spend"]
    (tmp_path / "folder.csv").mkdir()
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    wide = _write(tmp_path, "wide.csv", 'customer,spend\nc1,"' + "x" * 200_000 + '"\n')
    for path, problem in (
        (tmp_path / "folder.csv", "is a directory, expected a file"),
        (fifo, "is not a regular file (a pipe or a device?)"),
        (
            Path(wide),
            "line 2: cannot be read as CSV (field larger than field limit (131072))",
        ),
    ):
        status, _, err = run(capsys, "abc", str(path), *base)
        separator = ", " if problem.startswith("line") else ": "
        assert (status, err) == (2, f"crmcore: {path}{separator}{problem}\n")
    monkeypatch.setattr("crmcore.cli.inputs.MAX_INPUT_BYTES", 10)
    status, _, err = run(capsys, "abc", wide, *base)
    assert (status, err) == (2, f"crmcore: {wide}: is larger than the 256 MiB crmcore reads\n")


def test_vendor_file_problems_outside_the_ratings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_name = _write(
        tmp_path, "v.toml", f'[[requirement]]\nname = "{"n" * 300}"\npriority = "low"\n'
        '[vendors.A]\nx = "n/a"\n',
    )  # fmt: skip
    status, _, err = run(capsys, "vendors", long_name)
    assert status == 2
    assert err.startswith(f"crmcore: {long_name}, line 2, column 9: name: is 300 characters long")
    twice = _write(
        tmp_path, "w.toml", '[[requirement]]\nname = "a"\npriority = "low"\n'
        '[[requirement]]\nname = "a"\npriority = "high"\n[vendors.A]\na = "n/a"\n',
    )  # fmt: skip
    status, _, err = run(capsys, "vendors", twice)
    assert (status, err) == (
        2,
        f"crmcore: {twice}, line 2, column 8: requirement 'a' is listed 2 times\n",
    )


def test_json_numbers_are_exact_decimals() -> None:
    from crmcore.cli.output import json_text

    text = json_text({"a": [Decimal("7.50"), Decimal("1E+2"), Decimal("-0.000001")], "b": {}})
    assert text == '{\n  "a": [\n    7.50,\n    100,\n    -0.000001\n  ],\n  "b": {}\n}'
    assert json_text([]) == "[]"
    assert exact(text) == {"a": [Decimal("7.50"), Decimal("100"), Decimal("-0.000001")], "b": {}}
    # Other values are bugs in a command, not user errors.
    with pytest.raises(TypeError, match="no number for NaN"):
        json_text(Decimal("NaN"))
    with pytest.raises(TypeError, match="not a JSON value: float"):
        json_text(0.5)


def test_toml_nested_thousands_deep_is_one_line_not_a_recursion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "deep.toml", "x = " + "[" * 3_000 + "]" * 3_000 + "\n")
    status, out, err = run(capsys, "vendors", path)
    assert (status, out) == (2, "")
    assert err == (
        f"crmcore: {path}: malformed TOML: arrays or tables nested too deeply "
        "(a vendors file needs two levels)\n"
    )


BAD_OPTION_VALUES = ["x", "-1", "0", "1e99999999", "", "1" * 5000, "0.5,0.4", "2030-13-01"]


def test_every_option_error_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each option that takes a value, found in the parser, given each bad value in
    turn on an otherwise good command: it runs, or its error names the option."""
    import argparse

    from crmcore.cli import _parser
    from tests.cli.test_models_cli import holdout_csv

    values = _write(tmp_path, "values.csv", VALUES)
    vendors = _write(tmp_path, "vendors.toml", VENDORS)
    sales = _write(tmp_path, "sales.csv", TRANSACTIONS)
    good = {
        "abc": ["abc", values, "--id", "customer", "--value", "spend"],
        "pareto": ["pareto", values, "--id", "customer", "--value", "spend"],
        "rfm": ["rfm", sales, "--customer", "who", "--date", "when", "--amount", "paid",
                "--currency", "EUR", "--as-of", "2030-03-01"],
        "rfm-summary": ["rfm-summary", sales, "--customer", "who", "--date", "when", "--amount",
                        "paid", "--currency", "EUR", "--end", "2030-03-01"],
        "clv": ["clv", "--margin", "170", "--currency", "USD", "--retention", "0.75",
                "--discount", "0.1"],
        "vendors": ["vendors", vendors],
        "tour": ["tour"],
        "diagram": ["diagram", "lifecycle"],
        "campaign": ["campaign", _write(tmp_path, "members.csv", MEMBERS),
                     "--responses", _write(tmp_path, "responses.csv", RESPONSES),
                     "--results", _write(tmp_path, "results.csv", RESULTS), "--currency", "EUR"],
        "quota": ["quota", _write(tmp_path, "quotas.csv", "owner,period,target\nAda,2030,9\n"),
                  _write(tmp_path, "deals.csv", "deal,owner,won_on,amount\nd,Ada,2030-01-01,5\n"),
                  "--currency", "EUR"],
        "holdout": ["holdout", _write(tmp_path, "holdout.csv", holdout_csv()), "--customer",
                    "who", "--date", "when", "--amount", "paid", "--currency", "EUR",
                    "--calibration-end", "2030-06-30", "--observation-end", "2030-12-31"],
        "commission": ["commission", _write(tmp_path, "events.csv",
                                            "deal,owner,date,event,amount\nd,Ada,2030-01-01,signed,5\n"),
                       "--period", "2030", "--rate", "0.1", "--currency", "EUR"],
    }  # fmt: skip
    paths = {"output", "chart", "store", "responses", "results"}  # tested on their own
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(good)
    checked = refused = 0
    for name, command in commands.choices.items():
        for action in command._actions:
            if not action.option_strings or action.nargs == 0 or action.choices:
                continue  # flags, and choices that argparse itself names
            if action.dest in paths:
                continue
            option = max(action.option_strings, key=len)
            for bad in BAD_OPTION_VALUES:
                argv = list(good[name])
                if option in argv:
                    argv[argv.index(option) + 1] = bad
                else:
                    argv += [option, bad]
                status, _, err = run(capsys, *argv)
                checked += 1
                if status == 0:
                    continue
                refused += 1
                assert status == 2, (argv[:4], err)
                assert err.count("\n") == 1, err
                named = (f"crmcore: {option}: ", f"(given by {option})", f"argument {option}: ")
                assert any(n in err for n in named), (
                    option,
                    bad[:20],
                    err[:200],
                )
                assert "1" * 100 not in err  # a huge value is not echoed whole
    assert checked >= 15 * len(BAD_OPTION_VALUES)
    assert refused > checked // 2


def test_a_missing_column_names_its_option_and_cuts_long_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ",".join(f"c{i}" for i in range(25))
    path = _write(tmp_path, "wide.csv", header + "\n" + ",".join("1" * 25) + "\n")
    status, _, err = run(capsys, "abc", path, "--id", "x" * 60, "--value", "c1")
    assert status == 2
    assert f"missing column '{'x' * 40}'... (given by --id)" in err
    assert err.endswith("'c18', 'c19', ...\n")


MEMBERS = (
    "campaign,customer\nSpring mailing,ada\nSpring mailing,bo\nSpring mailing,cy\n"
    "Summer fair,ada\nSummer fair,dee\n"
)
RESPONSES = (
    "campaign,customer,status\nSpring mailing,ada,opened\nSpring mailing,ada,responded\n"
    "Spring mailing,ada,opened\nSpring mailing,ada,responded\nSpring mailing,bo,bounced\n"
    "Summer fair,dee,responded\n"
)
RESULTS = "campaign,cost,won\nSpring mailing,900,3600\nSummer fair,500,0\n"
FREE = "campaign,cost,won\nSpring mailing,0,100\n"  # no cost: no ROI


def test_campaign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = _write(tmp_path, "members.csv", MEMBERS)
    responses = _write(tmp_path, "responses.csv", RESPONSES)
    results = _write(tmp_path, "results.csv", RESULTS)
    base = ["campaign", members, "--responses", responses, "--results", results]
    status, out, _ = run(capsys, *base, "--currency", "EUR")
    assert status == 0
    assert out.splitlines() == [
        "Campaigns, best return first (EUR)",
        "campaign        members  reached  responders  response  cost   won       ROI",
        "--------------  -------  -------  ----------  --------  ----  ----  --------",
        "Spring mailing        3        2           1    50.0 %   900  3600   300.0 %",
        "Summer fair           2        2           1    50.0 %   500     0  -100.0 %",
    ]
    status, out, _ = run(capsys, *base, "--currency", "EUR", "--format", "csv")
    assert out.splitlines()[1:] == [
        "Spring mailing,3,2,1,0.5,900,3600,3",
        "Summer fair,2,2,1,0.5,500,0,-1",
    ]
    free = _write(tmp_path, "free.csv", FREE)
    status, out, _ = run(capsys, "campaign", members, "--results", free, "--currency", "EUR",
                         "--format", "json")  # fmt: skip
    assert json.loads(out)["Spring mailing"]["roi"] is None
    assert json.loads(out)["Spring mailing"]["won"] == 100
    status, out, _ = run(capsys, "campaign", members, "--currency", "EUR", "--format", "json")
    assert json.loads(out)["Summer fair"] == {
        "members": 2, "reached": 2, "responders": 0, "response_rate": 0, "cost": 0, "won": 0,
        "roi": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("members", "", "members.csv, line 1: the file is empty; expected a header row with the columns campaign, customer"),
        ("members", "campaign,who\n", "members.csv, line 1: missing column 'customer'; the header has 'campaign', 'who'"),
        ("members", "campaign,customer\n", "members.csv: no data rows after the header"),
        ("members", "campaign,customer\nS,\n", "members.csv, line 2, column 'customer': expected a customer, got an empty cell"),
        ("members", "campaign,customer\n,ada\n", "members.csv, line 2, column 'campaign': expected a campaign, got an empty cell"),
        ("members", "campaign,customer\nS,ada\nS,ada\n", "members.csv, line 3, column 'customer': duplicate member (the same as on line 2)"),
        ("responses", "campaign,customer,status\nWinter,ada,opened\n", "responses.csv, line 2, column 'campaign': is not a campaign of MEMBERS.csv"),
        ("responses", "campaign,customer,status\nSummer fair,bo,opened\n", "responses.csv, line 2, column 'customer': is not on this campaign's list in MEMBERS.csv"),
        ("responses", "campaign,customer,status\nSummer fair,ada,replied\n", "responses.csv, line 2, column 'status': is not a status; expected one of sent, opened, clicked, responded, converted, opted out, bounced"),
        ("results", "campaign,cost,won\nWinter,1,1\n", "results.csv, line 2, column 'campaign': is not a campaign of MEMBERS.csv"),
        ("results", "campaign,cost,won\nSummer fair,1,1\nSummer fair,1,1\n", "results.csv, line 3, column 'campaign': given twice (the same as on line 2)"),
        ("results", "campaign,cost,won\nSummer fair,x,1\n", "results.csv, line 2, column 'cost': expected a plain decimal number such as 1250.50 (no exponent, at most 60 characters)"),
        ("results", "campaign,cost,won\nSummer fair,1,10000000000000000000\n", "results.csv, line 2, column 'won': amount: has more than 18 digits before the decimal point"),
    ],
)  # fmt: skip
def test_campaign_errors_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str, message: str
) -> None:
    contents = {"members": MEMBERS, "responses": RESPONSES, "results": RESULTS, file: text}
    paths = {name: _write(tmp_path, f"{name}.csv", body) for name, body in contents.items()}
    status, out, err = run(capsys, "campaign", paths["members"], "--responses",
                           paths["responses"], "--results", paths["results"], "--currency", "EUR")  # fmt: skip
    assert (status, out) == (2, "")
    assert err.startswith(f"crmcore: {tmp_path!s}/{message}"), err
    assert "ada" not in err  # cells are the user's data: never echoed
