"""The shipped test kit: deterministic clocks and ids, Hypothesis strategies
(`crmcore.testing.strategies`) and repository contract tests.

The strategies need the ``testing`` extra (``pip install "crmcore[testing]"``).
"""

from crmcore.adapters.clock import FixedClock, SteppingClock
from crmcore.adapters.ids import SequentialIds

__all__ = ["FixedClock", "SequentialIds", "SteppingClock"]
