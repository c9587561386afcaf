"""Field validators and converters shared by the domain values."""

import enum
import functools
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from crmcore.domain.ids import check_id
from crmcore.domain.times import to_date, to_utc
from crmcore.errors import ValidationError


def check_text(value: object, field: str, *, max_length: int = 100) -> str:
    """A short free text: a non-blank string of at most ``max_length`` characters.

    Surrounding whitespace is rejected rather than stripped, so that what is
    stored is what was given.

    Raises:
        ValidationError: not a string, blank, too long, or with surrounding spaces.
    """
    if type(value) is str and len(value) <= max_length:
        stripped = value.strip()
        if stripped and value == stripped:
            return value  # the common case: no message to build
    allowed = f"a string of 1 to {max_length} characters, not blank, without surrounding spaces"
    if type(value) is not str:
        raise ValidationError(
            field, f"must be a string, not {type(value).__name__}", allowed=allowed
        )
    if not value.strip():
        raise ValidationError(field, "must not be blank", allowed=allowed)
    if len(value) > max_length:
        raise ValidationError(field, f"is {len(value)} characters long", allowed=allowed)
    raise ValidationError(field, "has leading or trailing whitespace", allowed=allowed)


def fold(text: str) -> str:
    """A spelling reduced for matching: case-folded, hyphens and underscores as
    spaces, runs of white space as one space, no surrounding space."""
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


class _ChoiceType(enum.EnumType):
    """Looks a value up without hashing what cannot be a member's value: every
    value is text, so anything else is refused at once (a datetime whose time
    zone fails would otherwise raise from its hash)."""

    def __call__(cls, value: object, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or isinstance(value, str | enum.Enum):
            return super().__call__(value, *args, **kwargs)
        return cls._missing_(value)  # type: ignore[attr-defined]  # a Choice: refuses it


class Choice(enum.Enum, metaclass=_ChoiceType):
    """An enum that reads text forgivingly and refuses the unknown with `ValidationError`.

    A member is found by its value, or by any spelling that `fold` reduces to
    the same text as its value, its name or one of its `aliases`: ``"E-Mail"``,
    ``"email"`` and ``"EMAIL"`` are all `Channel.EMAIL`. ``Channel("pigeon")``
    names the enum and lists the accepted values, instead of the bare
    ``ValueError`` of `enum.Enum`.
    """

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """Other spellings accepted, mapped to the member's value (none by default)."""
        return {}

    @classmethod
    def _missing_(cls, value: object) -> "Choice":
        found = _folded(cls).get(fold(value)) if isinstance(value, str) else None
        if found is None:
            allowed = ", ".join(repr(m.value) for m in cls)
            raise ValidationError(cls.__name__, "is not a known value", allowed=f"one of {allowed}")
        return found


@functools.cache
def _folded(enum_type: type[Choice]) -> Mapping[str, Choice]:
    """Every accepted spelling of ``enum_type``'s members, folded."""
    table: dict[str, Choice] = {}
    for alias, value in enum_type.aliases().items():
        table[fold(alias)] = next(m for m in enum_type if m.value == value)
    for candidate in enum_type:
        table[fold(candidate.name)] = candidate
        table[fold(str(candidate.value))] = candidate
    return table


E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


def member(enum_type: type[E], value: object, field: str) -> E:
    """The member of ``enum_type`` that is ``value`` or has it as its value.

    Raises:
        ValidationError: no member matches; the message lists the values.
    """
    if isinstance(value, enum_type):
        return value
    if type(value) is str:  # the common case: one lookup, and hashing text cannot fail
        found = enum_type._value2member_map_.get(value)
        if found is not None:
            return found  # type: ignore[return-value]  # a member of enum_type
    for candidate in enum_type:  # compared, not hashed: a caller's value may fail to hash
        if value == candidate.value:
            return candidate
    if isinstance(value, str) and issubclass(enum_type, Choice) and len(value) <= 100:
        found = _folded(enum_type).get(fold(value))
        if found is not None:
            return found  # type: ignore[return-value]  # a member of enum_type
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


def instances_of(kind: type[T], value: object, field: str, what: str) -> tuple[T, ...]:
    """The items of an iterable (as `items_of`), each an instance of ``kind``.

    Raises:
        ValidationError: not such an iterable, or an item of another type
            (the error names its position: ``field[3]``).
    """
    found = items_of(value, field, what)
    for position, item in enumerate(found):
        if not isinstance(item, kind):
            raise ValidationError(
                f"{field}[{position}]",
                f"must be of type {kind.__name__}, not {type(item).__name__}",
                allowed=what,
            )
    return found  # type: ignore[return-value]  # each checked above


def distinct(items: tuple[T, ...], field: str, key: Callable[[T], Hashable], what: str) -> None:
    """Refuse two items with the same ``key`` (an id given twice would count twice).

    Raises:
        ValidationError: naming the second one's position (``field[3]``).
    """
    seen: set[Hashable] = set()
    for position, item in enumerate(items):
        found = key(item)
        if found in seen:
            raise ValidationError(
                f"{field}[{position}]", f"repeats {what}", allowed=f"each {what} once"
            )
        seen.add(found)


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


# Field helpers -------------------------------------------------------------------
#
# attrs fields whose converter knows the field's own name, so that a value
# object declares ``customer_id: str = identifier()`` instead of repeating the
# name in a lambda. Each helper checks and returns the value (or raises a
# `ValidationError` naming the field).


def _named(check: Callable[[object, str], Any], optional: bool) -> Any:
    """The converter: ``check(value, field_name)`` in one call (``optional``:
    None passes unchecked). Commands and records are built often: one frame
    per field, not a wrapper around a wrapper."""
    if optional:

        def checked_or_none(value: object, field: Any) -> Any:
            return None if value is None else check(value, field.name)

        converter = checked_or_none
    else:

        def checked(value: object, field: Any) -> Any:
            return check(value, field.name)

        converter = checked
    converter.check = check  # type: ignore[attr-defined]  # read by bound_converter
    converter.optional = optional  # type: ignore[attr-defined]
    return attrs.Converter(converter, takes_field=True)


def bound_converter(converter: object, name: str) -> Callable[[object], Any] | None:
    """The converter of a field made by a helper of this module, as a function
    of the value alone with the field's ``name`` bound (``None`` for any other
    converter): the same check, without attrs passing the field on every call.

    Used by `crmcore.commands.bind_field_names`, since commands are built on
    every use case.
    """
    made = getattr(converter, "converter", None)
    check = getattr(made, "check", None)
    if check is None:
        return None
    if getattr(made, "optional", False):

        def bound_or_none(value: object) -> Any:
            return None if value is None else check(value, name)

        return bound_or_none

    def bound(value: object) -> Any:
        return check(value, name)

    return bound


def validates(check: Callable[..., Any], **options: Any) -> Any:
    """An attrs validator that calls ``check(value, field_name, **options)``: for
    the positional classes, where a converter helper would look like a default
    to type checkers."""

    def validator(_instance: object, attribute: Any, value: object) -> None:
        check(value, attribute.name, **options)

    return validator


def checked_field(check: Callable[[object, str], Any], optional: bool, **kwargs: Any) -> Any:
    """An attrs field whose converter is ``check(value, field_name)``; ``optional``: None
    is accepted (and is the default unless one is given)."""
    if optional:
        kwargs.setdefault("default", None)
    return attrs.field(converter=_named(check, optional), **kwargs)


def identifier(*, optional: bool = False, **kwargs: Any) -> Any:
    """An id field (`crmcore.domain.ids.check_id`); ``optional``: None allowed, the default."""
    return checked_field(check_id, optional, **kwargs)


def text(*, max_length: int = 100, optional: bool = False, **kwargs: Any) -> Any:
    """A free-text field (`check_text`), kept out of ``repr`` (it may hold personal data)."""
    kwargs.setdefault("repr", False)

    def check(value: object, field: str) -> str:  # not a partial: no keyword dict per call
        return check_text(value, field, max_length=max_length)

    return checked_field(check, optional, **kwargs)


def choice(enum_type: type[E], *, optional: bool = False, **kwargs: Any) -> Any:
    """An enum field: the member, or its value, is accepted (`member`)."""
    return checked_field(functools.partial(member, enum_type), optional, **kwargs)


def instant(*, optional: bool = False, **kwargs: Any) -> Any:
    """An aware instant, stored as a UTC `pendulum.DateTime` (`to_utc`)."""
    return checked_field(to_utc, optional, **kwargs)


def calendar_date(*, optional: bool = False, **kwargs: Any) -> Any:
    """A calendar day, stored as a `pendulum.Date` (`to_date`)."""
    return checked_field(to_date, optional, **kwargs)


def whole(low: int, high: int, **kwargs: Any) -> Any:
    """An int (not a bool) from ``low`` to ``high``."""
    return checked_field(lambda v, f: bounded_int(v, f, low, high), False, **kwargs)


def flag(**kwargs: Any) -> Any:
    """A real bool (not 0/1)."""
    return checked_field(check_bool, False, **kwargs)


def of_type(kind: type[T], *, optional: bool = False, **kwargs: Any) -> Any:
    """A field that must hold an instance of ``kind``."""

    def check(value: object, field: str) -> T:
        if not isinstance(value, kind):
            raise ValidationError(
                field,
                f"must be a {kind.__name__}, not {type(value).__name__}",
                allowed=kind.__name__,
            )
        return value

    return checked_field(check, optional, **kwargs)


def items(kind: type[T], **kwargs: Any) -> Any:
    """A tuple field whose items must all be ``kind`` (`tuple_of`)."""
    return checked_field(lambda v, f: tuple_of(kind, v, f), False, **kwargs)
