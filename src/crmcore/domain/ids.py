"""Identifiers: strings of 1 to 128 printable characters without whitespace."""

from crmcore.errors import ValidationError

MAX_ID_LENGTH = 128
ID_RULE = "a string of 1 to 128 printable characters without whitespace"


def check_id(value: object, field: str) -> str:
    """Return ``value`` if it is a valid id, else raise.

    Args:
        value: the candidate id.
        field: the argument name, for the error message.

    Returns:
        The id, unchanged.

    Raises:
        ValidationError: ``value`` is not a string of 1 to 128 printable
            characters without whitespace.
    """
    if type(value) is not str:
        raise ValidationError(
            field, f"must be a string, not {type(value).__name__}", allowed=ID_RULE
        )
    if not value:
        raise ValidationError(field, "must not be empty", allowed=ID_RULE)
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(field, f"is {len(value)} characters long", allowed=ID_RULE)
    # Of the whitespace characters only the space is printable, so these two
    # tests find every whitespace and unprintable character (a test checks it
    # over all of Unicode).
    if not value.isprintable() or " " in value:
        raise ValidationError(
            field, "contains whitespace or unprintable characters", allowed=ID_RULE
        )
    return value


def check_optional_id(value: object, field: str) -> str | None:
    """Like `check_id`, but ``None`` is accepted and returned."""
    return None if value is None else check_id(value, field)
