"""Test configuration: Hypothesis profiles and docs-as-tests (Sybil).

Profiles, chosen by the HYPOTHESIS_PROFILE environment variable:
- ``dev`` (default): quick, randomised;
- ``ci`` (``make test``): 60 derandomised examples, no deadline, sized for the 10-minute budget;
- ``deep``: many examples, for long runs (``make fuzz``);
- ``mutation``: few, derandomised examples, so that each of thousands of
  mutants is tested in seconds (``make mutation``).
"""

import json
import os
import sys
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.typing import Parser

from crmcore.domain.events import Aggregate

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "mutation",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Commands build their new states without running the constructor (it keeps
# them cheap). Under the test suite every such state is rebuilt through the
# constructor too, so an invariant the constructor enforces cannot be broken
# by a command without a test noticing.
_replaced = Aggregate._replaced


_BOOKKEEPING = frozenset({"version", "pending_events"})


def _checked_replaced(self: Aggregate, **changes: Any) -> Any:
    new = _replaced(self, **changes)
    if not _BOOKKEEPING.issuperset(changes):  # a new state, not a new version of one
        attrs.evolve(new)  # runs every converter, validator and __attrs_post_init__
    return new


Aggregate._replaced = _checked_replaced  # type: ignore[method-assign]

# The figures docs/quality.md quotes: the fault and concurrency tests record
# them; pytest-xdist workers hand theirs over (tests/services/conftest.py).
_WORKER_FAULTS: list[tuple[str, str, int]] = []
_WORKER_CONCURRENCY: dict[str, tuple[int, int, int, int]] = {}


def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: gather the workers' figures."""
    found = getattr(node, "workeroutput", {}).get("service_stats")
    if found:
        faults, concurrency = json.loads(found)
        _WORKER_FAULTS.extend((a, b, c) for a, b, c in faults)
        _WORKER_CONCURRENCY.update({k: (a, b, c, d) for k, (a, b, c, d) in concurrency.items()})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    injected = list(_WORKER_FAULTS)
    concurrency = dict(_WORKER_CONCURRENCY)
    services = sys.modules.get("tests.services.test_services")
    if services is not None:
        injected += services.FAULTS_INJECTED
    threads_and_processes = sys.modules.get("tests.services.test_concurrency")
    if threads_and_processes is not None:
        concurrency.update(threads_and_processes.STATS)
    if injected:
        terminalreporter.write_line(
            f"faults: {len(injected)} injected into {len({n for n, _, _ in injected})} use cases "
            f"on {len({k for _, k, _ in injected})} stores; every store was left unchanged"
        )
    for name, (workers, calls, committed, rejected) in sorted(concurrency.items()):
        terminalreporter.write_line(
            f"concurrency, {name}: {workers} x {calls} calls, {committed} committed, "
            f"{rejected} rejected with ConcurrencyError, final state = serial replay"
        )


_parsers: list[Parser] = [PythonCodeBlockParser(), SkipParser()]
pytest_collect_file = (
    Sybil(parsers=_parsers, filenames=["README.md"], path=".")
    + Sybil(parsers=_parsers, patterns=["*.md"], path="docs")
).pytest()
