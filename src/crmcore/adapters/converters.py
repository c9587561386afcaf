"""Serialization: crmcore values to JSON-safe primitives and back (extra ``serialization``).

Money becomes ``{"amount": "9.99", "currency": "EUR"}``, instants ISO 8601
strings in UTC, dates ISO dates, Decimals strings, durations whole
microseconds, enums their values. Aggregates are unstructured without their
``version`` (the storage keeps it apart) and pending events (never
persisted). Structuring goes through the constructors, so every domain rule
is checked again; unknown keys are rejected.

Needs ``pip install "crmcore[serialization]"`` (cattrs).
"""

import datetime as _dt
import re
import typing
from decimal import Decimal
from fractions import Fraction
from typing import Any

import cattrs
import pendulum
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    BaseValidationError,
    ForbiddenExtraKeysError,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.domain.events import Aggregate
from crmcore.domain.money import Money
from crmcore.domain.numbers import parse_decimal
from crmcore.domain.pipeline import Pipeline, Stage
from crmcore.domain.times import to_date, to_utc
from crmcore.errors import CrmError, ValidationError

__all__ = ["CrmConverter", "make_converter"]


def _instant(value: object, _: object) -> pendulum.DateTime:
    if not isinstance(value, str):
        raise ValidationError(
            "instant", "must be an ISO 8601 string", allowed="'2030-01-01T00:00:00+00:00'"
        )
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            "instant", "is not an ISO 8601 date-time", allowed="'2030-01-01T00:00:00+00:00'"
        ) from None
    return to_utc(parsed, "instant")


def _date(value: object, _: object) -> pendulum.Date:
    if not isinstance(value, str):
        raise ValidationError("date", "must be an ISO 8601 string", allowed="'2030-01-31'")
    try:
        parsed = _dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("date", "is not an ISO 8601 date", allowed="'2030-01-31'") from None
    return to_date(parsed, "date")


def _decimal(value: object, _: object) -> Decimal:
    if not isinstance(value, str):
        raise ValidationError("decimal", "must be a string", allowed="a decimal number as a string")
    return parse_decimal(value, "decimal", allowed="a decimal number as a string")


def _money(value: object, _: object) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValidationError(
            "money",
            "must have exactly the keys amount and currency",
            allowed='{"amount": "9.99", "currency": "EUR"}',
        )
    return Money.of(_decimal(value["amount"], None), value["currency"])


def _target(value: object, _: object) -> Money | int:
    """A quota target: Money (a mapping) or a count of deals (an int)."""
    if type(value) is int:
        return value
    return _money(value, None)


def _duration(value: object, _: object) -> _dt.timedelta:
    if type(value) is not int:
        raise ValidationError("duration", "must be whole microseconds", allowed="an int")
    try:
        return _dt.timedelta(microseconds=value)
    except OverflowError:
        raise ValidationError(
            "duration", "is out of range", allowed="at most 999999999 days"
        ) from None


def _fraction(value: object, _: object) -> Fraction:
    if not isinstance(value, str):
        raise ValidationError("fraction", "must be a string", allowed="'1/3'")
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValidationError("fraction", "is not a fraction", allowed="'1/3'") from None


class _WrongType(TypeError):
    """A primitive of the wrong JSON type (raised by the strict hooks)."""

    def __init__(self, expected: str, value: object) -> None:
        super().__init__(expected)
        self.expected = expected
        self.found = type(value).__name__


def _strict(kind: type, expected: str) -> Any:
    """A structure hook that takes only values of exactly ``kind`` (no
    ``str(12345)``, no ``int(1.9)``, no ``bool("false")``)."""

    def hook(value: object, _: object) -> Any:
        if type(value) is not kind:
            raise _WrongType(expected, value)
        return value

    return hook


def _is_frozenset(cl: Any) -> bool:
    """A frozenset type: stored as a sorted list (JSON has no sets)."""
    return cl is frozenset or typing.get_origin(cl) is frozenset


def _is_homogeneous_tuple(cl: Any) -> bool:
    args = typing.get_args(cl)
    return typing.get_origin(cl) is tuple and len(args) == 2 and args[1] is Ellipsis


def _strict_frozenset(cl: Any, converter: "CrmConverter") -> Any:
    """``frozenset[X]`` from a JSON array only, each item structured as ``X``."""
    (item,) = typing.get_args(cl) or (Any,)

    def hook(value: object, _: object) -> Any:
        if type(value) is not list:
            raise _WrongType("a list", value)
        return frozenset(converter.structure(v, item) for v in value)

    return hook


def _strict_tuple(cl: Any, converter: "CrmConverter") -> Any:
    """``tuple[X, ...]`` from a JSON array only (not from a string's
    characters or a dict's keys)."""
    base = homogenous_tuple_structure_factory(cl, converter)

    def hook(value: object, _: object) -> Any:
        if type(value) is not list:
            raise _WrongType("a list", value)
        return base(value, cl)

    return hook


_STEP = re.compile(r"@ (?:attribute|index|key) (.+)$")


def _failure(error: BaseException, path: tuple[str, ...] = ()) -> tuple[str, BaseException]:
    """The first failure in a cattrs validation error group, and where it is
    (``profile.email``, ``stages[2].name``)."""
    if isinstance(error, BaseValidationError):
        inner = error.exceptions[0]
        notes = getattr(inner, "__notes__", ())
        step = next((m.group(1) for n in notes if (m := _STEP.search(str(n)))), None)
        if step is not None:
            path = (*path, f"[{step}]" if step.isdigit() else step)
        return _failure(inner, path)
    return ".".join(path).replace(".[", "["), error


class CrmConverter(cattrs.Converter):
    """A cattrs converter whose ``structure`` raises only `CrmError`s on bad data.

    Build one with `make_converter`, which registers crmcore's types.
    Primitives are strictly typed (a string where a string is declared, an
    int for an int, a bool for a bool), and every value goes through its
    constructor, so what ``structure`` accepts the constructors accept.
    """

    def __init__(self) -> None:
        super().__init__(forbid_extra_keys=True, detailed_validation=True)

    def structure(self, obj: Any, cl: Any) -> Any:
        """Rebuild a ``cl`` from primitives, validating it.

        Raises:
            ValidationError: unknown or missing keys, wrong types, or a value
                the domain rejects; the field is named by its path in the
                data (``profile.email``), with the domain's own message.
        """
        name = cl.__name__ if isinstance(cl, type) else type(cl).__name__
        try:
            return super().structure(obj, cl)
        except CrmError:
            raise
        except StructureHandlerNotFoundError:
            raise ValidationError(
                "cl", f"{name} cannot be structured", allowed="a crmcore value type"
            ) from None
        except Exception as error:
            where, failure = _failure(error)
        field = where or "obj"  # a path in the data (profile.email), or the data itself
        if isinstance(failure, ValidationError):
            raise ValidationError(
                field if where else failure.field, failure.problem, allowed=failure.allowed
            ) from None
        if isinstance(failure, CrmError):
            raise failure
        if isinstance(failure, _WrongType):
            raise ValidationError(
                field, f"must be {failure.expected}, not {failure.found}", allowed=failure.expected
            ) from None
        if isinstance(failure, ForbiddenExtraKeysError):
            raise ValidationError(
                field,
                f"has unknown keys {sorted(failure.extra_fields)}",
                allowed=f"only the fields of {failure.cl.__name__}",
            ) from None
        if isinstance(failure, KeyError):
            raise ValidationError(
                field, f"misses the key {failure.args[0]!r}", allowed="every field"
            ) from None
        raise ValidationError(
            field, "is malformed", allowed=f"what make_converter().unstructure() gives for {name}"
        ) from None


def make_converter() -> CrmConverter:
    """A fresh converter for every crmcore aggregate and value.

    Returns:
        A `CrmConverter` (a `cattrs.Converter`): ``unstructure(value)`` gives
        JSON-safe primitives; ``structure(data, Type)`` rebuilds and validates.
    """
    converter = CrmConverter()
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "an int"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook_factory(
        _is_homogeneous_tuple, lambda cl: _strict_tuple(cl, converter)
    )
    converter.register_structure_hook_factory(
        _is_frozenset, lambda cl: _strict_frozenset(cl, converter)
    )
    converter.register_unstructure_hook(pendulum.DateTime, lambda d: d.isoformat())
    converter.register_structure_hook(pendulum.DateTime, _instant)
    converter.register_unstructure_hook(pendulum.Date, lambda d: d.isoformat())
    converter.register_structure_hook(pendulum.Date, _date)
    converter.register_unstructure_hook(Decimal, lambda d: f"{d:f}")
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_unstructure_hook(
        Money, lambda m: {"amount": f"{m.amount:f}", "currency": m.currency}
    )
    converter.register_structure_hook(Money, _money)
    converter.register_structure_hook(Money | int, _target)
    converter.register_unstructure_hook(_dt.timedelta, lambda d: d // _dt.timedelta(microseconds=1))
    converter.register_structure_hook(_dt.timedelta, _duration)
    converter.register_unstructure_hook_factory(
        _is_frozenset, lambda _: lambda values: sorted(converter.unstructure(v) for v in values)
    )
    converter.register_unstructure_hook(Fraction, str)
    converter.register_structure_hook(Fraction, _fraction)
    converter.register_unstructure_hook(
        Pipeline, lambda p: {"name": p.name, "stages": [converter.unstructure(s) for s in p.stages]}
    )
    converter.register_structure_hook(Pipeline, lambda d, _: _pipeline(converter, d))

    def aggregate_unstructure(cls: type[Any]) -> Any:
        return make_dict_unstructure_fn(
            cls, converter, version=override(omit=True), pending_events=override(omit=True)
        )

    def aggregate_structure(cls: type[Any]) -> Any:
        return make_dict_structure_fn(
            cls,
            converter,
            version=override(omit=True),
            pending_events=override(omit=True),
            _cattrs_forbid_extra_keys=True,
        )

    is_aggregate = lambda cls: isinstance(cls, type) and issubclass(cls, Aggregate)  # noqa: E731
    converter.register_unstructure_hook_factory(is_aggregate, aggregate_unstructure)
    converter.register_structure_hook_factory(is_aggregate, aggregate_structure)
    return converter


def _pipeline(converter: CrmConverter, data: object) -> Pipeline:
    if not isinstance(data, dict) or set(data) != {"name", "stages"}:
        raise ValidationError(
            "pipeline", "must have exactly the keys name and stages", allowed="a pipeline"
        )
    stages = data["stages"]
    if not isinstance(stages, list):
        raise ValidationError("pipeline", "stages must be a list", allowed="a list of stages")
    return Pipeline([converter.structure(s, Stage) for s in stages], name=data["name"])
