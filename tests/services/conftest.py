"""Prints what the fault and concurrency tests ran (for docs/quality.md)."""

import json
from typing import Any

import pytest

from tests.services import test_concurrency, test_services


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand this worker's figures to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["service_stats"] = json.dumps(
            [test_services.FAULTS_INJECTED, test_concurrency.STATS]
        )


def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: gather the workers' figures."""
    found = getattr(node, "workeroutput", {}).get("service_stats")
    if found:
        faults, concurrency = json.loads(found)
        test_services.FAULTS_INJECTED.extend(tuple(f) for f in faults)
        test_concurrency.STATS.update({k: tuple(v) for k, v in concurrency.items()})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    injected = test_services.FAULTS_INJECTED
    if injected:
        terminalreporter.write_line(
            f"faults: {len(injected)} injected into {len({n for n, _, _ in injected})} use cases "
            f"on {len({k for _, k, _ in injected})} stores; every store was left unchanged"
        )
    for name, (workers, calls, committed, rejected) in sorted(test_concurrency.STATS.items()):
        terminalreporter.write_line(
            f"concurrency, {name}: {workers} x {calls} calls, {committed} committed, "
            f"{rejected} rejected with ConcurrencyError, final state = serial replay"
        )
