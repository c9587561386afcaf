"""Prints and saves what the fuzz suite ran: entry points, examples, calls."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz import stats


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand this worker's counts to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fuzz_stats"] = json.dumps([dict(stats.examples), stats.calls, stats.errors])


def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: add up the workers' counts."""
    found = getattr(node, "workeroutput", {}).get("fuzz_stats")
    if found:
        examples, calls, errors = json.loads(found)
        stats.examples.update(examples)
        stats.calls += calls
        stats.errors += errors


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
