"""Test configuration: Hypothesis profiles and docs-as-tests (Sybil).

Profiles, chosen by the HYPOTHESIS_PROFILE environment variable:
- ``dev`` (default): quick, randomised;
- ``ci`` (``make test``): derandomised, no deadline, sized for the 10-minute budget;
- ``deep``: many examples, for long runs (``make fuzz``);
- ``mutation``: few, derandomised examples, so that each of thousands of
  mutants is tested in seconds (``make mutation``).
"""

import os
from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.typing import Parser

from crmcore.domain.events import Aggregate

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
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

_parsers: list[Parser] = [PythonCodeBlockParser(), SkipParser()]
pytest_collect_file = (
    Sybil(parsers=_parsers, filenames=["README.md"], path=".")
    + Sybil(parsers=_parsers, patterns=["*.md"], path="docs")
).pytest()
