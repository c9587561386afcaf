"""Prints what the fault and concurrency tests ran (for docs/quality.md)."""

import pytest

from tests.services import test_concurrency, test_services


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
