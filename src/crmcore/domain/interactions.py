"""Interactions: the contacts with a customer (the sources' contact management)."""

import attrs
import pendulum

from crmcore.domain.channels import Channel, Direction
from crmcore.domain.fields import instant, member, text

MAX_SUBJECT_LENGTH = 500


def _to_channel(value: object) -> Channel:
    return member(Channel, value, "channel")


def _to_direction(value: object) -> Direction:
    return member(Direction, value, "direction")


@attrs.frozen(repr=False)
class Interaction:
    """One contact with the customer (the sources' contact management).

    The subject is free text and stays out of ``repr``.
    """

    channel: Channel = attrs.field(converter=_to_channel)
    direction: Direction = attrs.field(converter=_to_direction)
    at: pendulum.DateTime = instant()
    subject: str = text(max_length=MAX_SUBJECT_LENGTH, repr=True)

    def __repr__(self) -> str:
        return (
            f"Interaction(channel={self.channel.value!r}, direction={self.direction.value!r}, "
            f"at={self.at.isoformat()})"
        )
