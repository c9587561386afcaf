"""Counts for the fuzz suite's summary line (printed by tests/fuzz/conftest.py)."""

from collections import Counter

examples: Counter[str] = Counter()
calls = 0
errors = 0
