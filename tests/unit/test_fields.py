"""The field helpers' converters with the field's name bound (`bound_converter`)."""

import attrs
import pytest

from crmcore.domain.fields import bound_converter, identifier, text
from crmcore.errors import ValidationError


@attrs.frozen(kw_only=True)
class _Fields:
    required: str = identifier()
    optional: str | None = identifier(optional=True)
    note: str = text(max_length=3)
    plain: str = attrs.field(converter=str)
    untouched: str = "x"


CONVERTERS = {field.name: field.converter for field in attrs.fields(_Fields)}


def test_a_bound_converter_checks_the_value_alone_and_names_its_field() -> None:
    required = bound_converter(CONVERTERS["required"], "customer_id")
    assert required is not None
    assert required("c-1") == "c-1"
    with pytest.raises(ValidationError) as refused:
        required("c 1")
    assert refused.value.field == "customer_id"
    with pytest.raises(ValidationError):
        required(None)  # not optional: None is checked, and refused


def test_an_optional_field_lets_none_through_and_checks_the_rest() -> None:
    optional = bound_converter(CONVERTERS["optional"], "owner")
    assert optional is not None
    assert optional(None) is None
    assert optional("u-1") == "u-1"
    with pytest.raises(ValidationError) as refused:
        optional("")
    assert refused.value.field == "owner"


def test_text_keeps_its_length_limit_when_bound() -> None:
    note = bound_converter(CONVERTERS["note"], "note")
    assert note is not None
    assert note("abc") == "abc"
    with pytest.raises(ValidationError, match=r"^note: is 4 characters long"):
        note("abcd")


def test_a_converter_of_another_making_with_a_check_is_bound_as_required() -> None:
    def check(value: object, field: str) -> object:
        if value is None:
            raise ValidationError(field, "is missing", allowed="anything but None")
        return value

    def convert(value: object, field: object) -> object:
        return check(value, "unused")

    convert.check = check  # type: ignore[attr-defined]  # no `optional` flag: required
    bound = bound_converter(attrs.Converter(convert, takes_field=True), "mine")
    assert bound is not None
    assert bound(1) == 1
    with pytest.raises(ValidationError, match=r"^mine: is missing"):
        bound(None)


def test_other_converters_are_left_alone() -> None:
    assert bound_converter(CONVERTERS["plain"], "plain") is None
    assert bound_converter(CONVERTERS["untouched"], "untouched") is None
    assert bound_converter(object(), "x") is None
