"""`crmcore holdout`: CDNOW's holdout chart on the command line, and located errors."""

import json
import random
import xml.dom.minidom
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.test_cli import _write, run

DATA = Path(__file__).resolve().parents[1] / "data"


def holdout_csv() -> str:
    """A small customer base drawn from a BG/NBD-like process with a fixed
    seed: 120 customers with gamma-distributed purchase rates who drop out
    after a purchase with a beta-distributed probability, over 2030."""
    draw = random.Random(2030)
    lines = ["who,when,paid"]
    for k in range(120):
        rate, dropout = draw.gammavariate(0.8, 1 / 0.08), draw.betavariate(1.0, 3.0)
        day = draw.randrange(60)
        while day < 365:
            lines.append(f"c{k:03},{_day(day)},{draw.randrange(5, 50)}")
            if draw.random() < dropout:
                break
            day += 1 + int(draw.expovariate(rate / 7) * 7)
    return "\n".join(lines) + "\n"


def _day(number: int) -> str:
    return (date(2030, 1, 1) + timedelta(days=number)).isoformat()


def cdnow_csv(tmp_path: Path) -> str:
    rows = ["customer,date,amount"]
    for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
        fields = line.split()
        day = fields[2]
        rows.append(f"{fields[0]},{day[:4]}-{day[4:6]}-{day[6:]},{fields[4]}")
    return _write(tmp_path, "cdnow.csv", "\n".join(rows) + "\n")


CDNOW = ["--customer", "customer", "--date", "date", "--amount", "amount", "--currency", "USD",
         "--calibration-end", "1997-09-30", "--observation-end", "1998-06-30"]  # fmt: skip


def test_holdout_on_cdnow_gives_the_papers_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "holdout.svg"
    status, out, err = run(capsys, "holdout", cdnow_csv(tmp_path), *CDNOW, "--chart", str(chart))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "BG/NBD: r 0.2426, alpha 4.414, a 0.7929, b 2.426."
    assert lines[2] == "BG/NBD on 2357 customers: holdout of 39.00 weeks after 1997-09-30"
    assert lines[5].split() == ["0", "1411", "0.2367", "0.2251"]
    assert lines[-1].split() == ["7+", "64", "6.3594", "6.1572"]
    svg = xml.dom.minidom.parse(str(chart))
    assert [p.getAttribute("class") for p in svg.getElementsByTagName("polyline")] == [
        "actual",
        "predicted",
    ]
    assert len(svg.getElementsByTagName("circle")) == 16
    labels = [
        "".join(node.nodeValue or "" for node in text.childNodes)
        for text in svg.getElementsByTagName("text")
        if text.getAttribute("class") == "frequency"
    ]
    assert labels == ["0", "1", "2", "3", "4", "5", "6", "7+"]


def test_holdout_json_with_each_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cdnow_csv(tmp_path)
    for model, name, first in (
        ("pareto", "Pareto/NBD", "r"),
        ("mbgnbd", "MBG/NBD", "a"),
    ):
        status, out, _ = run(
            capsys, "holdout", path, *CDNOW, "--model", model, "--format", "json",
            "--max-frequency", "3",
        )  # fmt: skip
        assert status == 0
        data = json.loads(out, parse_float=Decimal)
        assert data["model"] == name
        assert first in data["parameters"]
        assert data["customers"] == 2357
        assert [b["frequency"] for b in data["bins"]] == [0, 1, 2, 3]
        assert data["bins"][-1]["open_ended"] is True
        assert sum(b["customers"] for b in data["bins"]) == 2357
    status, out, _ = run(capsys, "holdout", path, *CDNOW, "--format", "csv", "--unit", "day")
    assert status == 0
    assert out.splitlines()[0] == "frequency,customers,actual,predicted"


def test_holdout_errors_name_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "t.csv", holdout_csv())
    base = ["holdout", path, "--customer", "who", "--date", "when", "--amount", "paid",
            "--currency", "EUR"]  # fmt: skip
    for extra, message in (
        (["--calibration-end", "2030-13-01", "--observation-end", "2030-12-31"],
         "crmcore: --calibration-end: expected a date like 2030-01-31\n"),
        (["--calibration-end", "2030-06-30", "--observation-end", "2030-06-30"],
         "crmcore: --calibration-end: must be before --observation-end\n"),
        (["--calibration-end", "2029-06-30", "--observation-end", "2030-06-30"],
         f"crmcore: {path}: no customer bought on or before --calibration-end; nothing to fit\n"),
        (["--calibration-end", "2030-06-30", "--observation-end", "2030-12-31",
          "--max-frequency", "101"],
         "crmcore: --max-frequency: is out of range (accepted: 0 to 100)\n"),
    ):  # fmt: skip
        status, out, err = run(capsys, *base, *extra)
        assert (status, out, err) == (2, "", message)
    status, out, _ = run(
        capsys, *base, "--calibration-end", "2030-06-30", "--observation-end", "2030-12-31"
    )
    assert status == 0
    assert "BG/NBD on " in out
