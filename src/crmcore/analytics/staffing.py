"""Erlang C staffing: waiting probability, service level and agents needed.

The Erlang C model is a queue with ``N`` agents, Poisson arrivals and
exponential handle times, where callers wait rather than hang up. With
traffic ``A`` = arrivals × handle time ÷ period (in erlangs):

- P(wait) = C(N, A) = N·B / (N − A·(1 − B)), where B is the Erlang B
  blocking probability, computed by the recursion B(0) = 1,
  B(k) = A·B(k−1) / (k + A·B(k−1)) (no factorials, stable for thousands of
  agents);
- service level for a target answer time T: 1 − C·exp(−(N − A)·T ÷ handle time);
- average speed of answer: C·handle time ÷ (N − A);
- occupancy: A ÷ N.

Traffic and occupancy are exact fractions; the probabilities are floats (a
queueing model's approximation, like the customer-base models), and the
average speed of answer is a `timedelta` rounded to the microsecond. The
model describes a steady state, which exists only when A < N: a traffic at
or above the agent count is refused.
"""

import datetime as _dt
import math
from fractions import Fraction

import attrs

from crmcore.domain.numbers import to_fraction
from crmcore.errors import ValidationError

MAX_AGENTS = 1_000_000
"""The largest agent count the model is evaluated for."""

_SHARE_RULE = "a Decimal, Fraction, numeric string or float (taken at its exact value)"


def _count(value: object, field: str, low: int) -> int:
    if type(value) is not int or not low <= value <= MAX_AGENTS * 1000:
        raise ValidationError(
            field, "is out of range", allowed=f"an int from {low} to {MAX_AGENTS * 1000:,}"
        )
    return value


def _duration(value: object, field: str, *, zero: bool = False) -> Fraction:
    """A duration in seconds, exact."""
    floor = _dt.timedelta(0)
    if type(value) is not _dt.timedelta or value < floor or (value == floor and not zero):
        rule = "a datetime.timedelta >= 0" if zero else "a datetime.timedelta > 0"
        raise ValidationError(field, "must be a positive duration", allowed=rule)
    return Fraction(value // _dt.timedelta(microseconds=1), 1_000_000)


def _share(value: object, field: str, *, below_one: bool) -> Fraction:
    """A share in [0, 1) (shrinkage) or (0, 1) (a target level); floats at their exact value."""
    if type(value) is float:
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number", allowed=_SHARE_RULE)
        share = Fraction(value)
    else:
        share = to_fraction(value, field, allowed=_SHARE_RULE)
    low_ok = share >= 0 if below_one else share > 0
    if not low_ok or share >= 1:
        interval = "from 0 up to (not including) 1" if below_one else "strictly between 0 and 1"
        raise ValidationError(field, "is out of range", allowed=f"a share {interval}")
    return share


def _traffic(arrivals: int, period: Fraction, handle: Fraction) -> Fraction:
    return arrivals * handle / period


def _erlang_b(traffic: float, agents: int) -> float:
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def _waiting(traffic: Fraction, agents: int, blocking: float) -> float:
    if traffic == 0:
        return 0.0
    a = float(traffic)
    return min(1.0, agents * blocking / (agents - a * (1 - blocking)))


def _level(
    waiting: float, traffic: Fraction, agents: int, handle: Fraction, answer: Fraction
) -> float:
    return 1 - waiting * math.exp(-float((agents - traffic) * answer / handle))


@attrs.frozen(kw_only=True)
class ErlangC:
    """The Erlang C figures for one agent count.

    Attributes:
        agents: the agent count.
        traffic: offered traffic in erlangs (exact).
        probability_of_waiting: the share of contacts that wait (float).
        service_level: the share answered within the target answer time
            (float; ``None`` without a target).
        average_speed_of_answer: the mean wait over all contacts.
        occupancy: traffic ÷ agents (exact).
    """

    agents: int
    traffic: Fraction
    probability_of_waiting: float
    service_level: float | None
    average_speed_of_answer: _dt.timedelta
    occupancy: Fraction


def _figures(
    traffic: Fraction,
    agents: int,
    blocking: float,
    handle: Fraction,
    answer: Fraction | None,
) -> ErlangC:
    waiting = _waiting(traffic, agents, blocking)
    asa_seconds = Fraction(waiting) * handle / (agents - traffic)
    return ErlangC(
        agents=agents,
        traffic=traffic,
        probability_of_waiting=waiting,
        service_level=None if answer is None else _level(waiting, traffic, agents, handle, answer),
        average_speed_of_answer=_dt.timedelta(microseconds=round(asa_seconds * 1_000_000)),
        occupancy=traffic / agents,
    )


def erlang_c(
    *,
    arrivals: int,
    period: _dt.timedelta,
    handle_time: _dt.timedelta,
    agents: int,
    target_answer: _dt.timedelta | None = None,
) -> ErlangC:
    """The Erlang C figures for ``agents`` agents.

    Args:
        arrivals: contacts offered in ``period``.
        period: the interval the arrivals fall in (for example 30 minutes).
        handle_time: the average handle time (talk and after-contact work).
        agents: the agents on the phones (1 to 1,000,000).
        target_answer: the answer-time target of the service level, if any.

    Raises:
        ValidationError: a bad argument, or traffic at or above ``agents``.
    """
    count = _count(arrivals, "arrivals", 0)
    seconds = _duration(period, "period")
    handle = _duration(handle_time, "handle_time")
    answer = None if target_answer is None else _duration(target_answer, "target_answer", zero=True)
    if type(agents) is not int or not 1 <= agents <= MAX_AGENTS:
        raise ValidationError(
            "agents", "is out of range", allowed=f"an int from 1 to {MAX_AGENTS:,}"
        )
    traffic = _traffic(count, seconds, handle)
    if traffic >= agents:
        raise ValidationError(
            "agents",
            f"must exceed the traffic of {float(traffic):.4g} erlangs (no steady state otherwise)",
            allowed="more agents than arrivals x handle_time / period",
        )
    return _figures(traffic, agents, _erlang_b(float(traffic), agents), handle, answer)


@attrs.frozen(kw_only=True)
class Staffing:
    """How many agents a service-level target needs.

    Attributes:
        agents: the smallest count meeting the target (before shrinkage).
        exact_with_shrinkage: ``agents ÷ (1 − shrinkage)``, before rounding.
        agents_with_shrinkage: that figure rounded up: the agents to schedule.
        shrinkage: the share of paid time not on the phones.
        figures: the Erlang C figures at ``agents``.
    """

    agents: int
    exact_with_shrinkage: Fraction
    agents_with_shrinkage: int
    shrinkage: Fraction
    figures: ErlangC


def agents_needed(
    *,
    arrivals: int,
    period: _dt.timedelta,
    handle_time: _dt.timedelta,
    target_answer: _dt.timedelta,
    target_level: object,
    shrinkage: object = 0,
) -> Staffing:
    """The smallest agent count whose service level reaches ``target_level``.

    The search starts at the first count above the traffic and walks up,
    extending the Erlang B recursion one agent at a time. The comparison
    ``service level >= target_level`` is exact against the float the model
    gives.

    Args:
        target_level: the share to answer within ``target_answer``, strictly
            between 0 and 1 (`Decimal`, `Fraction`, numeric `str`, or a
            `float` taken at its exact binary value).
        shrinkage: the share of scheduled time agents are not available
            (breaks, training), from 0 up to 1 exclusive.

    Raises:
        ValidationError: a bad argument, or a target that needs more than
            1,000,000 agents.
    """
    count = _count(arrivals, "arrivals", 0)
    seconds = _duration(period, "period")
    handle = _duration(handle_time, "handle_time")
    answer = _duration(target_answer, "target_answer", zero=True)
    level = _share(target_level, "target_level", below_one=False)
    lost = _share(shrinkage, "shrinkage", below_one=True)
    traffic = _traffic(count, seconds, handle)
    a = float(traffic)
    blocking = 1.0
    for agents in range(1, MAX_AGENTS + 1):
        blocking = a * blocking / (agents + a * blocking)
        if agents <= traffic:
            continue
        waiting = _waiting(traffic, agents, blocking)
        if Fraction(_level(waiting, traffic, agents, handle, answer)) >= level:
            exact = agents / (1 - lost)
            return Staffing(
                agents=agents,
                exact_with_shrinkage=exact,
                agents_with_shrinkage=math.ceil(exact),
                shrinkage=lost,
                figures=_figures(traffic, agents, blocking, handle, answer),
            )
    raise ValidationError(
        "target_level",
        "needs more than 1,000,000 agents for this traffic",
        allowed="a target reachable with at most 1,000,000 agents",
    )
