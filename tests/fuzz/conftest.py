"""Prints and saves what the fuzz suite ran: entry points, examples, calls."""

import json
from pathlib import Path

import pytest

from tests.fuzz import stats


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not stats.examples:
        return
    summary = {
        "entry_points": len(stats.examples),
        "examples": sum(stats.examples.values()),
        "calls": stats.calls,
        "crm_errors": stats.errors,
    }
    terminalreporter.write_line(
        "fuzz: {entry_points} entry points, {examples} examples, {calls} calls "
        "({crm_errors} rejected with a CrmError)".format(**summary)
    )
    build = Path("build")
    build.mkdir(exist_ok=True)
    (build / "fuzz.json").write_text(json.dumps(summary, indent=2) + "\n")
