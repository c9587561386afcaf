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
from decimal import Decimal
from fractions import Fraction
from typing import Any

import cattrs
import pendulum
from cattrs.errors import ForbiddenExtraKeysError, StructureHandlerNotFoundError
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


class CrmConverter(cattrs.Converter):
    """A cattrs converter whose ``structure`` raises only `CrmError`s on bad data.

    Build one with `make_converter`, which registers crmcore's types.
    """

    def __init__(self) -> None:
        super().__init__(forbid_extra_keys=True, detailed_validation=False)

    def structure(self, obj: Any, cl: Any) -> Any:
        """Rebuild a ``cl`` from primitives, validating it.

        Raises:
            ValidationError: unknown or missing keys, wrong types, or a value
                the domain rejects (the domain's own message).
        """
        name = getattr(cl, "__name__", str(cl))
        try:
            return super().structure(obj, cl)
        except CrmError:
            raise
        except ForbiddenExtraKeysError as error:
            raise ValidationError(
                name,
                f"has unknown keys {sorted(error.extra_fields)}",
                allowed=f"only the fields of {error.cl.__name__}",
            ) from None
        except KeyError as error:
            raise ValidationError(
                name, f"misses the key {error.args[0]!r}", allowed="every field"
            ) from None
        except StructureHandlerNotFoundError:
            raise ValidationError(
                "cl", f"{name} cannot be structured", allowed="a crmcore value type"
            ) from None
        except (TypeError, ValueError, AttributeError, IndexError, ArithmeticError):
            raise ValidationError(
                name,
                "is malformed",
                allowed=f"what make_converter().unstructure() gives for {name}",
            ) from None


def make_converter() -> CrmConverter:
    """A fresh converter for every crmcore aggregate and value.

    Returns:
        A `CrmConverter` (a `cattrs.Converter`): ``unstructure(value)`` gives
        JSON-safe primitives; ``structure(data, Type)`` rebuilds and validates.
    """
    converter = CrmConverter()
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
    converter.register_unstructure_hook(_dt.timedelta, lambda d: d // _dt.timedelta(microseconds=1))
    converter.register_structure_hook(_dt.timedelta, _duration)
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
