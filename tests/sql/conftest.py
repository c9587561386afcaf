"""Stops the PostgreSQL server of this test process at the end of the session,
also when tests failed."""

import pytest

from tests.sql import backends


def pytest_sessionfinish(session: pytest.Session) -> None:
    backends.stop()
