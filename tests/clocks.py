"""The clock of the tests' units of work: the tests live in 2030 (and a few
years after), so `crmcore.services.handle` compares their commands with a
fixed now on 2100-01-01, not with the system clock."""

import pendulum

from crmcore.testing import FixedClock

LATER = FixedClock(pendulum.datetime(2100, 1, 1, tz="UTC"))
