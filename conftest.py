"""Test configuration: Hypothesis profiles and docs-as-tests (Sybil).

Profiles, chosen by the HYPOTHESIS_PROFILE environment variable:
- ``dev`` (default): quick, randomised;
- ``ci`` (``make test``): derandomised, no deadline, sized for the 10-minute budget;
- ``deep``: many examples, for long runs (``make fuzz``);
- ``mutation``: few, derandomised examples, so that each of thousands of
  mutants is tested in seconds (``make mutation``).
"""

import os

from hypothesis import HealthCheck, settings
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.typing import Parser

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

_parsers: list[Parser] = [PythonCodeBlockParser(), SkipParser()]
pytest_collect_file = (
    Sybil(parsers=_parsers, filenames=["README.md"], path=".")
    + Sybil(parsers=_parsers, patterns=["*.md"], path="docs")
).pytest()
