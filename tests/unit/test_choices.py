import datetime as dt

import pytest

from crmcore import Channel, ComplaintLevel, ComplaintStep, LifecyclePhase, ValidationError
from crmcore.analytics.vendors import Ability, Priority, Requirement
from crmcore.domain.fields import Choice, fold, member
from tests.zones import FailingZone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e-mail", Channel.EMAIL),
        ("E-Mail", Channel.EMAIL),
        ("email", Channel.EMAIL),
        ("EMAIL", Channel.EMAIL),
        ("sms", Channel.SMS),
        ("Phone", Channel.PHONE),
        ("telephone", Channel.PHONE),
        ("call center", Channel.CALL_CENTRE),
        ("Call  Centre", Channel.CALL_CENTRE),
        ("CALL_CENTRE", Channel.CALL_CENTRE),
        ("face-to-face", Channel.FACE_TO_FACE),
    ],
)
def test_channels_are_read_forgivingly(text: str, expected: Channel) -> None:
    assert member(Channel, text, "channel") is expected
    assert Channel(text) is expected


def test_levels_priorities_and_abilities() -> None:
    assert member(ComplaintLevel, "Medium", "level") is ComplaintLevel.NORMAL
    assert member(ComplaintLevel, "URGENT", "level") is ComplaintLevel.URGENT
    assert Requirement("crm", "Low").priority is Priority.LOW
    assert member(Priority, "normal", "priority") is Priority.MEDIUM
    assert member(Ability, "Minor customisation", "ability") is Ability.MINOR_CUSTOMIZATION
    assert member(LifecyclePhase, "After Sales", "phase") is LifecyclePhase.AFTER_SALES


@pytest.mark.parametrize("text", ["pigeon", "", "e mail x", "x" * 200, "critical"])
def test_unknown_spellings_are_still_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=r"^level: is not a known value"):
        member(ComplaintLevel, text, "level")
    with pytest.raises(ValidationError, match=r"^ComplaintLevel: "):
        ComplaintLevel(text)


def test_non_text_values_are_not_folded() -> None:
    with pytest.raises(ValidationError):
        member(Channel, 5, "channel")
    with pytest.raises(ValidationError):
        Channel(None)


def test_fold() -> None:
    assert fold("  Call_Centre - x ") == "call centre x"
    assert Choice.aliases() == {}


ALIASES: dict[type[Choice], dict[str, str]] = {
    Channel: {
        "email": "e-mail",
        "mail": "e-mail",
        "telephone": "phone",
        "call": "phone",
        "call center": "call centre",
        "contact centre": "call centre",
        "contact center": "call centre",
        "text": "SMS",
        "text message": "SMS",
        "post": "letter",
        "in person": "face to face",
        "website": "web",
        "trade fair": "event",
        "seminar": "event",
    },
    ComplaintLevel: {"medium": "normal"},
    Priority: {"normal": "medium"},
    Ability: {
        "minor customisation": "minor customization",
        "major customisation": "major customization",
        "n/a": "not available",
        "none": "not available",
    },
}
"""Every documented alias (docs/lifecycle.md, "Text values"), one by one."""


def test_the_alias_tables_are_the_documented_ones() -> None:
    for kind, table in ALIASES.items():
        assert kind.aliases() == table, kind.__name__


@pytest.mark.parametrize(
    ("kind", "alias", "value"),
    [(kind, alias, value) for kind, table in ALIASES.items() for alias, value in table.items()],
)
def test_each_alias_reads_as_its_member(kind: type[Choice], alias: str, value: str) -> None:
    expected = kind(value)
    assert expected.value == value
    assert kind(alias) is expected
    assert kind(alias.upper()) is expected
    assert member(kind, alias, "field") is expected


@pytest.mark.parametrize(
    "value", [5, None, [1], {"a": 1}, dt.datetime(2030, 1, 1, tzinfo=FailingZone())]
)
def test_a_lookup_by_something_that_is_not_text_is_a_validation_error(value: object) -> None:
    """Every value is text: anything else is refused without being hashed
    (a datetime whose time zone fails raises from its hash)."""
    with pytest.raises(ValidationError, match=r"^ComplaintStep: is not a known value"):
        ComplaintStep(value)
    assert ComplaintStep(ComplaintStep.CALMED) is ComplaintStep.CALMED
    # and an enum field's check compares such a value, never hashes it
    with pytest.raises(ValidationError, match=r"^step: is not a known value"):
        member(ComplaintStep, value, "step")


def test_enums_functional_api_is_left_to_python() -> None:
    """With more than a value, a Choice call is Python's functional enum API,
    which refuses to extend an enum that has members, as for any Enum."""
    from typing import Any

    channel: Any = Channel
    for args, kwargs in (
        ((1, "x"), {}),  # a non-text value with names: not a lookup
        (("phone", "x"), {}),
        (("phone",), {"names": "x"}),
    ):
        with pytest.raises(TypeError, match="cannot extend"):
            channel(*args, **kwargs)


def test_a_value_equal_to_a_members_but_not_plain_text_is_still_found() -> None:
    class Text(str):
        """A str subclass (numpy's str_ is one): equal to the value, not of type str."""

    assert member(Channel, Text("phone"), "channel") is Channel.PHONE
