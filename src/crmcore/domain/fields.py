"""Field validators and converters shared by the domain values."""

import enum
from collections.abc import Iterable, Mapping
from typing import TypeVar

from crmcore.errors import ValidationError


def check_text(value: object, field: str, *, max_length: int = 100) -> str:
    """A short free text: a non-blank string of at most ``max_length`` characters.

    Surrounding whitespace is rejected rather than stripped, so that what is
    stored is what was given.

    Raises:
        ValidationError: not a string, blank, too long, or with surrounding spaces.
    """
    allowed = f"a string of 1 to {max_length} characters, not blank, without surrounding spaces"
    if type(value) is not str:
        raise ValidationError(
            field, f"must be a string, not {type(value).__name__}", allowed=allowed
        )
    if not value.strip():
        raise ValidationError(field, "must not be blank", allowed=allowed)
    if len(value) > max_length:
        raise ValidationError(field, f"is {len(value)} characters long", allowed=allowed)
    if value != value.strip():
        raise ValidationError(field, "has leading or trailing whitespace", allowed=allowed)
    return value


class Choice(enum.Enum):
    """An enum whose lookup by an unknown value raises `ValidationError`.

    ``Channel("fax")`` names the enum and lists the accepted values, instead
    of the bare ``ValueError`` of `enum.Enum`.
    """

    @classmethod
    def _missing_(cls, value: object) -> None:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(cls.__name__, "is not a known value", allowed=f"one of {allowed}")


E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


def member(enum_type: type[E], value: object, field: str) -> E:
    """The member of ``enum_type`` that is ``value`` or has it as its value.

    Raises:
        ValidationError: no member matches; the message lists the values.
    """
    if isinstance(value, enum_type):
        return value
    for candidate in enum_type:
        if value == candidate.value:
            return candidate
    allowed = ", ".join(repr(m.value) for m in enum_type)
    raise ValidationError(
        field, "is not a known value", allowed=f"{enum_type.__name__} or one of {allowed}"
    )


def optional_member(enum_type: type[E], value: object, field: str) -> E | None:
    """``None`` stays ``None``; anything else goes through `member`."""
    return None if value is None else member(enum_type, value, field)


def tuple_of(kind: type[T], value: object, field: str) -> tuple[T, ...]:
    """``value`` as a tuple whose items must all be ``kind``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            field, f"must be a sequence of {kind.__name__}", allowed=kind.__name__
        )
    items = tuple(value)
    if not all(isinstance(item, kind) for item in items):
        raise ValidationError(field, f"must contain only {kind.__name__}", allowed=kind.__name__)
    return items


def items_of(value: object, field: str, what: str) -> tuple[object, ...]:
    """The items of an iterable (not a string, bytes or mapping) as a tuple.

    Raises:
        ValidationError: ``value`` is not such an iterable.
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            field, f"must be an iterable of {what}, not {type(value).__name__}", allowed=what
        )
    return tuple(value)


def bounded_int(value: object, field: str, low: int, high: int) -> int:
    """An int (not a bool) from ``low`` to ``high``."""
    if type(value) is not int or not low <= value <= high:
        raise ValidationError(field, "is out of range", allowed=f"an int from {low} to {high}")
    return value


def check_bool(value: object, field: str) -> bool:
    """A real bool (not 0/1)."""
    if type(value) is not bool:
        raise ValidationError(field, "must be True or False", allowed="a bool")
    return value
