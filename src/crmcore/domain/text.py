"""Free-text fields: names, titles, reasons."""

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
