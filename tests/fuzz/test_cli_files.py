"""Fuzz: the command line on hostile files. Every run ends with exit 0, or with
exit 2 and exactly one line on stderr; never a traceback."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore.cli import main

EXAMPLES = {"deep": 400, "ci": 60}.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), 40)

NUMBERS = st.sampled_from(
    [
        "5", "0", "1250.50", "-3", "+7", ".5", "5.", "1E+1000000", "1E-1000000", "1e5", "1E+3",
        "NaN", "-Infinity", "9" * 5000, "0." + "0" * 80 + "1", "1,5", "١٢", "0x10", "", " ",
        "1_000", "--1", "5e", "\u00a05",
    ]
)  # fmt: skip
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['"', '""', '"a\nb"', "\r", "\x00", "\u2028", "\ufeff", "a;b", "a\tb"]
)
CELLS = NUMBERS | TEXT
DATES = st.sampled_from(["2030-01-31", "2030-02-30", "31/01/2030", "", "2030-1-1", "9999-12-31"])


@st.composite
def csv_bytes(draw: st.DrawFn, header: list[str]) -> bytes:
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    names = draw(st.sampled_from([header, header[::-1], [*header, "extra"], header[:1], []]))
    rows = [delimiter.join(names)]
    for _ in range(draw(st.integers(0, 6))):
        width = draw(st.sampled_from([len(names), len(names), len(names) + 1, 1]))
        rows.append(delimiter.join(draw(CELLS | DATES) for _ in range(width)))
    text = newline.join(rows) + draw(st.sampled_from(["", newline]))
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    garbage = draw(st.binary(max_size=200))
    return draw(
        st.sampled_from([data, data, data, data[: len(data) // 2], data + b"\xff\xfe", garbage])
    )


TOML = st.sampled_from(
    [
        '[[requirement]]\nname = "a"\npriority = "HIGH"\n[vendors.A]\na = "out of the box"\n',
        '[[requirement]]\nname = "a"\npriority = ["high"]\n[vendors.A]\na = "n/a"\n',
        '[[requirement]]\nname = "a"\npriority = "low"\nmust_have = "yes"\n[vendors.A]\na = 1\n',
        "[[requirement]]\nname = 5\n[vendors]\nA = 3\n",
        "requirement = 3\n",
        "[[requirement]]\n" + "a = [" * 3000 + "]" * 3000 + "\n",
        "a = " + "[" * 3000 + "]" * 3000 + "\n",  # valid TOML, deeper than Python recurses
        "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n",
        '[[requirement]]\nname = "a"\npriority = "low"\n[vendors.A]\nb = "out of the box"\n',
        '[[requirement]]\nname = "a"\npriority = "low"\n[vendors.A]\n',
        "\x00\x01",
        "",
    ]
)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status = main(argv)
    captured = capsys.readouterr()
    assert status in (0, 2), status
    if status == 2:
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("crmcore: ")
        assert "Traceback" not in captured.err


COMMANDS = [
    (["customer", "spend"], ["abc", "{}", "--id", "customer", "--value", "spend"]),
    (["customer", "spend"],
     ["pareto", "{}", "--id", "customer", "--value", "spend", "--currency", "EUR"]),
    (["customer", "spend"],
     ["abc", "{}", "--id", "customer", "--value", "spend", "--format", "csv"]),
    (
        ["customer", "date", "amount"],
        ["rfm", "{}", "--customer", "customer", "--date", "date", "--amount", "amount",
         "--currency", "EUR", "--as-of", "2030-12-31"],
    ),
]  # fmt: skip


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.integers(0, len(COMMANDS) - 1))
def test_csv_commands_on_hostile_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject, which: int
) -> None:
    header, template = COMMANDS[which]
    path = tmp_path / "input.csv"
    path.write_bytes(data.draw(csv_bytes(header), label="file"))
    _run(capsys, [str(path) if a == "{}" else a for a in template])


@settings(max_examples=EXAMPLES // 3, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TOML)
def test_vendors_on_hostile_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "input.toml"
    path.write_text(text, encoding="utf-8")
    _run(capsys, ["vendors", str(path)])


@pytest.mark.parametrize("target", ["", ".", "/proc/self/nope", "dir"])
def test_odd_inputs_and_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    (tmp_path / "dir").mkdir()
    good = tmp_path / "good.csv"
    good.write_text("customer,spend\nc1,5\n", encoding="utf-8")
    for source in (str(tmp_path / "dir"), "/dev/null", str(tmp_path / "missing.csv")):
        _run(capsys, ["abc", source, "--id", "customer", "--value", "spend"])
    output = str(tmp_path / target) if target == "dir" else target
    _run(capsys, ["abc", str(good), "--id", "customer", "--value", "spend", "--output", output])
    _run(capsys, ["pareto", str(good), "--id", "customer", "--value", "spend", "--chart", output])
