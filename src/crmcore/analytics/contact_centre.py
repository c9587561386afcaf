"""Contact-centre metrics over a log of contacts, and a centre's size class.

Each contact is offered at an instant and then either answered (by an
agent, with a handle time, perhaps transferred) or abandoned. Its *wait* is
the time from offer to answer or abandonment. "Within the target" means a
wait of at most the target (``<=``); a *short abandon* is an abandonment
with a wait of at most ``short_abandon``.
"""

import datetime as _dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal

import attrs
import pendulum

from crmcore.domain.fields import Choice, flag, identifier, instant, items_of, member
from crmcore.domain.times import elapsed
from crmcore.errors import ValidationError

_ZERO = _dt.timedelta(0)


class ServiceLevelVariant(Choice):
    """The ways contact centres define service level (A = answered, B = abandoned).

    - ``answered``: answered within T ÷ answered.
    - ``offered``: answered within T ÷ offered (offered = A + B).
    - ``short abandons excluded``: answered within T ÷ (offered − short abandons).
    - ``abandons within target excluded``: answered within T ÷ (offered −
      abandoned within T).
    - ``abandons within target met``: (answered within T + abandoned within
      T) ÷ offered.
    """

    ANSWERED = "answered"
    OFFERED = "offered"
    SHORT_ABANDONS_EXCLUDED = "short abandons excluded"
    ABANDONS_WITHIN_TARGET_EXCLUDED = "abandons within target excluded"
    ABANDONS_WITHIN_TARGET_MET = "abandons within target met"


def _handle(value: object) -> _dt.timedelta:
    if type(value) is not _dt.timedelta or value < _ZERO:
        raise ValidationError(
            "handle_time", "must be a duration of zero or more", allowed="a timedelta >= 0"
        )
    return value


@attrs.frozen(kw_only=True)
class ContactRecord:
    """One contact offered to the centre.

    Exactly one of ``answered_at`` and ``abandoned_at`` is set, not before
    ``offered_at``. An answered contact names its agent and has a handle
    time (talk plus after-contact work); an abandoned one has neither and is
    never transferred.
    """

    contact_id: str = identifier()
    offered_at: pendulum.DateTime = instant()
    answered_at: pendulum.DateTime | None = instant(optional=True)
    abandoned_at: pendulum.DateTime | None = instant(optional=True)
    agent: str | None = identifier(optional=True)
    handle_time: _dt.timedelta = attrs.field(default=_ZERO, converter=_handle)
    transferred: bool = flag(default=False)

    def __attrs_post_init__(self) -> None:
        if (self.answered_at is None) == (self.abandoned_at is None):
            raise ValidationError(
                "answered_at",
                "and abandoned_at: exactly one must be given",
                allowed="an answer instant or an abandonment instant",
            )
        if self.ended_at < self.offered_at:
            raise ValidationError(
                "answered_at" if self.answered_at else "abandoned_at",
                "is earlier than offered_at",
                allowed="an instant at or after the offer",
            )
        if self.answered_at is not None and self.agent is None:
            raise ValidationError("agent", "is missing on an answered contact", allowed="an id")
        if self.abandoned_at is not None and (
            self.agent is not None or self.handle_time or self.transferred
        ):
            raise ValidationError(
                "abandoned_at",
                "is set on a contact with an agent, a handle time or a transfer",
                allowed="no agent, zero handle time, not transferred for an abandoned contact",
            )

    @property
    def ended_at(self) -> pendulum.DateTime:
        """When the wait ended (answer or abandonment)."""
        ended = self.answered_at or self.abandoned_at
        assert ended is not None  # checked on construction
        return ended

    @property
    def wait(self) -> _dt.timedelta:
        """From offer to answer or abandonment."""
        return elapsed(self.offered_at, self.ended_at)

    @property
    def is_answered(self) -> bool:
        """Whether an agent answered."""
        return self.answered_at is not None


@attrs.frozen(kw_only=True)
class AgentLoad:
    """One agent's figures.

    Attributes:
        agent: the agent.
        handled: contacts answered.
        handle_time: their total handle time.
        available: the idle time given for the agent (``None`` if not given).
        occupancy: handle time ÷ (handle time + available) (``None``
            without available time, or when both are zero).
        target: the contacts the agent was to handle (``None`` if not given).
        against_target: handled ÷ target (``None`` without a positive target).
    """

    agent: str
    handled: int
    handle_time: _dt.timedelta
    available: _dt.timedelta | None
    occupancy: Fraction | None
    target: int | None
    against_target: Fraction | None


@attrs.frozen(kw_only=True)
class ContactCentreReport:
    """The standard contact-centre figures over a log.

    Attributes:
        offered: contacts offered.
        answered: contacts answered.
        abandoned: contacts abandoned.
        short_abandons: abandoned with a wait of at most ``short_abandon``.
        answered_within_target: answered with a wait of at most the target.
        abandoned_within_target: abandoned with a wait of at most the target.
        service_level_target: the answer-time target T.
        variant: the service-level definition used.
        service_level: by ``variant`` (``None`` when its denominator is 0).
        average_speed_of_answer: mean wait of answered contacts.
        abandonment_rate: abandoned ÷ offered.
        average_handle_time: mean handle time of answered contacts.
        transfer_rate: transferred ÷ answered.
        longest_wait: the longest wait of any contact.
        agents: per agent, sorted by agent id.
    """

    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    answered_within_target: int
    abandoned_within_target: int
    service_level_target: _dt.timedelta
    variant: ServiceLevelVariant
    service_level: Fraction | None
    average_speed_of_answer: _dt.timedelta | None
    abandonment_rate: Fraction | None
    average_handle_time: _dt.timedelta | None
    transfer_rate: Fraction | None
    longest_wait: _dt.timedelta | None
    agents: Mapping[str, AgentLoad]


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _mean(total: _dt.timedelta, count: int) -> _dt.timedelta | None:
    """The mean duration, rounded half-even to the microsecond."""
    return total / count if count else None


def _target_duration(value: object, field: str) -> _dt.timedelta:
    if type(value) is not _dt.timedelta or value < _ZERO:
        raise ValidationError(
            field, "must be a duration of zero or more", allowed="a timedelta >= 0"
        )
    return value


def _optional_mapping(value: object, field: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or any(type(key) is not str for key in value):
        raise ValidationError(
            field, "is not a mapping from agent ids", allowed="a mapping from str"
        )
    return value


def contact_centre_report(
    contacts: Iterable[ContactRecord],
    *,
    service_level_target: _dt.timedelta,
    variant: ServiceLevelVariant | str = ServiceLevelVariant.OFFERED,
    short_abandon: _dt.timedelta = _dt.timedelta(seconds=5),
    available: Mapping[str, _dt.timedelta] | None = None,
    agent_targets: Mapping[str, int] | None = None,
) -> ContactCentreReport:
    """Service level (in the named variant), speed of answer, abandonment,
    handle time, transfers and per-agent load.

    Args:
        contacts: the log.
        service_level_target: the answer-time target T (``<=`` counts).
        variant: the service-level definition (see `ServiceLevelVariant`).
        short_abandon: abandons with a wait of at most this are short.
        available: per agent, the time logged in and idle; gives occupancy.
        agent_targets: per agent, the contacts to handle; gives the
            agent-against-target ratio.

    Raises:
        ValidationError: an item that is not a `ContactRecord`, a repeated
            contact id, a negative duration, an unknown variant, a bad
            per-agent value.
    """
    target = _target_duration(service_level_target, "service_level_target")
    short = _target_duration(short_abandon, "short_abandon")
    chosen = member(ServiceLevelVariant, variant, "variant")
    idle = _optional_mapping(available, "available")
    goals = _optional_mapping(agent_targets, "agent_targets")
    seen: set[str] = set()
    answered = abandoned = shorts = answered_in = abandoned_in = transferred = 0
    waited = handled_total = _ZERO
    longest: _dt.timedelta | None = None
    per_agent: dict[str, tuple[int, _dt.timedelta]] = {}
    for contact in items_of(contacts, "contacts", "ContactRecord values"):
        if not isinstance(contact, ContactRecord):
            raise ValidationError("contacts", "holds a non-ContactRecord", allowed="ContactRecord")
        if contact.contact_id in seen:
            raise ValidationError(
                "contacts", "repeats a contact id", allowed="distinct contact ids"
            )
        seen.add(contact.contact_id)
        wait = contact.wait
        longest = wait if longest is None else max(longest, wait)
        if contact.is_answered and contact.agent is not None:
            answered += 1
            answered_in += wait <= target
            waited += wait
            handled_total += contact.handle_time
            transferred += contact.transferred
            count, total = per_agent.get(contact.agent, (0, _ZERO))
            per_agent[contact.agent] = (count + 1, total + contact.handle_time)
        else:
            abandoned += 1
            shorts += wait <= short
            abandoned_in += wait <= target
    offered = answered + abandoned
    level = {
        ServiceLevelVariant.ANSWERED: (answered_in, answered),
        ServiceLevelVariant.OFFERED: (answered_in, offered),
        ServiceLevelVariant.SHORT_ABANDONS_EXCLUDED: (answered_in, offered - shorts),
        ServiceLevelVariant.ABANDONS_WITHIN_TARGET_EXCLUDED: (answered_in, offered - abandoned_in),
        ServiceLevelVariant.ABANDONS_WITHIN_TARGET_MET: (answered_in + abandoned_in, offered),
    }[chosen]
    return ContactCentreReport(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandons=shorts,
        answered_within_target=answered_in,
        abandoned_within_target=abandoned_in,
        service_level_target=target,
        variant=chosen,
        service_level=_ratio(*level),
        average_speed_of_answer=_mean(waited, answered),
        abandonment_rate=_ratio(abandoned, offered),
        average_handle_time=_mean(handled_total, answered),
        transfer_rate=_ratio(transferred, answered),
        longest_wait=longest,
        agents=_agents(per_agent, idle, goals),
    )


def _agents(
    per_agent: dict[str, tuple[int, _dt.timedelta]],
    idle: Mapping[str, object],
    goals: Mapping[str, object],
) -> Mapping[str, AgentLoad]:
    loads = {}
    for agent in sorted({*per_agent, *idle, *goals}):
        handled, busy = per_agent.get(agent, (0, _ZERO))
        free = idle.get(agent)
        if free is not None:
            free = _target_duration(free, "available")
        goal = goals.get(agent)
        if goal is not None and (type(goal) is not int or goal < 0):
            raise ValidationError("agent_targets", "holds a bad target", allowed="an int >= 0")
        busy_us = busy // _dt.timedelta(microseconds=1)
        free_us = None if free is None else free // _dt.timedelta(microseconds=1)
        loads[agent] = AgentLoad(
            agent=agent,
            handled=handled,
            handle_time=busy,
            available=free,
            occupancy=None if free_us is None else _ratio(busy_us, busy_us + free_us),
            target=goal,
            against_target=None if goal is None else _ratio(handled, goal),
        )
    return loads


SMALL_BELOW = 50
LARGE_ABOVE = 100


def centre_size(seats: int) -> Literal["small", "medium", "large"]:
    """The sources' size class: fewer than 50 seats small, 50 to 100 medium, more large.

    Raises:
        ValidationError: ``seats`` is not an int of at least 1.
    """
    if type(seats) is not int or seats < 1:
        raise ValidationError("seats", "is not a seat count", allowed="an int >= 1")
    if seats < SMALL_BELOW:
        return "small"
    return "medium" if seats <= LARGE_ABOVE else "large"
