"""Hands what the fault and concurrency tests ran to the summary in the root
conftest.py (for docs/quality.md), also from pytest-xdist workers."""

import json

import pytest

from tests.services import test_concurrency, test_services


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand this worker's figures to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["service_stats"] = json.dumps(
            [test_services.FAULTS_INJECTED, test_concurrency.STATS]
        )
