"""Attribute segmenters: bands, categories, their combinations, and the sources' presets
(spend, age, industry, occupation, customer type)."""

import datetime as _dt
import enum
import itertools
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs

from crmcore.domain.customers import Customer, CustomerType, Industry, Occupation
from crmcore.domain.fields import items_of, validates
from crmcore.domain.money import Money
from crmcore.domain.numbers import round_fraction, to_fraction
from crmcore.domain.times import to_date
from crmcore.errors import ValidationError

# Bands and categories -----------------------------------------------------------------

Key = str | Callable[[Any], Any]


def _check_key(value: object, field: str) -> Key:
    if isinstance(value, str) or callable(value):
        return value
    raise ValidationError(
        field,
        f"must be a name or a function, not {type(value).__name__}",
        allowed="an attribute or mapping key name, or a function of the record",
    )


def _read(record: object, key: Key) -> Any:
    if callable(key):
        return key(record)
    if isinstance(record, Mapping):
        return record.get(key)
    return getattr(record, key, None)


def _number(value: object) -> Fraction | None:
    if isinstance(value, Money):
        return Fraction(value.amount)
    if type(value) is int or (isinstance(value, Decimal) and value.is_finite()):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    return None


def _edges(value: object) -> tuple[Fraction, ...]:
    allowed = "strictly increasing finite numbers (ints, Decimals or numeric strings)"
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list) or not value:
        raise ValidationError("edges", "must be a non-empty sequence", allowed=allowed)
    parsed = tuple(to_fraction(v, "edges", allowed=allowed) for v in value)
    if any(a >= b for a, b in itertools.pairwise(parsed)):
        raise ValidationError("edges", "are not strictly increasing", allowed=allowed)
    return parsed


def _show(number: Fraction) -> str:
    return str(number.numerator) if number.denominator == 1 else str(round_fraction(number))


def _band_labels(value: object, bands: Any) -> tuple[str, ...]:
    if value is None:
        shown = [_show(e) for e in bands.edges]
        made = [f"below {shown[0]}"]
        made += [f"{a}-{b}" for a, b in itertools.pairwise(shown)]
        made.append(f"{shown[-1]} and above")
        return tuple(made)
    labels = tuple(value) if isinstance(value, tuple | list) else ()
    if (
        len(labels) != len(bands.edges) + 1
        or len(set(labels)) != len(labels)
        or not all(isinstance(label, str) for label in labels)
    ):
        raise ValidationError(
            "labels",
            "must be one distinct label per band",
            allowed=f"{len(bands.edges) + 1} labels",
        )
    return labels


@attrs.frozen
class Bands:
    """Half-open numeric bands [lo, hi) over ``key``: below the first edge,
    between edges, and from the last edge up.

    Args:
        key: an attribute or mapping key name, or a function of the record.
        edges: n strictly increasing edges give n + 1 bands.
        labels: n + 1 labels; default "below e1", "e1-e2", ..., "en and above".
    """

    key: Key = attrs.field(eq=False, validator=validates(_check_key))
    edges: tuple[Fraction, ...] = attrs.field(converter=_edges)
    labels: tuple[str, ...] = attrs.field(
        default=None,
        converter=attrs.Converter(_band_labels, takes_self=True),  # type: ignore[misc]
    )

    def label(self, record_id: str, record: object) -> str:
        """The band of one record."""
        number = _number(_read(record, self.key))
        if number is None:
            raise ValidationError(
                "record",
                f"of customer {record_id!r} has no numeric value for these bands",
                allowed="Money, a Decimal or an int",
            )
        return self.labels[sum(1 for edge in self.edges if number >= edge)]


def _allowed(value: object) -> Mapping[Any, str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("allowed", "must be values or a mapping to labels", allowed="values")
    try:
        if isinstance(value, Mapping):
            table = {k: str(v) for k, v in value.items()}
        else:
            table = {v: str(v.value) if isinstance(v, enum.Enum) else str(v) for v in value}
    except Exception:  # unhashable, or a hash or str() that fails (a broken time zone)
        raise ValidationError(
            "allowed", "must contain only hashable values with labels", allowed="values"
        ) from None
    if not table:
        raise ValidationError("allowed", "must not be empty", allowed="at least one value")
    return MappingProxyType(table)


@attrs.frozen
class Categories:
    """Categories over ``key``: each allowed value is its own label.

    Args:
        key: an attribute or mapping key name, or a function of the record.
        allowed: the allowed values, or a mapping value → label. Enum members
            are labelled by their value.
    """

    key: Key = attrs.field(eq=False, validator=validates(_check_key))
    allowed: Mapping[Any, str] = attrs.field(converter=_allowed)

    def label(self, record_id: str, record: object) -> str:
        """The category of one record."""
        value = _read(record, self.key)
        try:
            return self.allowed[value]
        except Exception:  # not a category, unhashable, or a failing hash
            raise ValidationError(
                "record",
                f"of customer {record_id!r} has a value outside every category",
                allowed=", ".join(self.allowed.values()),
            ) from None


def _check_parts(value: object) -> tuple[Any, ...]:
    parts = items_of(value, "parts", "Bands, Categories or Combined")
    if not parts or not all(isinstance(s, Bands | Categories | Combined) for s in parts):
        raise ValidationError(
            "parts", "must be Bands, Categories or Combined", allowed="one or more"
        )
    return parts


@attrs.frozen
class Combined:
    """The cross product of several segmenters: a label is a tuple of labels."""

    parts: tuple[Any, ...] = attrs.field(converter=_check_parts)

    def label(self, record_id: str, record: object) -> tuple[str, ...]:
        """The combined label of one record."""
        return tuple(part.label(record_id, record) for part in self.parts)


def combine(*segmenters: Bands | Categories | Combined) -> Combined:
    """Combine segmenters freely (the sources: "细分模型可以随意组合")."""
    if not segmenters or not all(isinstance(s, Bands | Categories | Combined) for s in segmenters):
        raise ValidationError(
            "segmenters", "must be Bands, Categories or Combined", allowed="one or more"
        )
    return Combined(segmenters)


@attrs.frozen
class Segmentation:
    """Each record's label and the number of records per label."""

    labels: Mapping[str, Any]
    counts: Mapping[Any, int]


def segment(records: Mapping[str, Any], segmenter: Bands | Categories | Combined) -> Segmentation:
    """Label every record (customer id → record) with ``segmenter``.

    Raises:
        ValidationError: a record outside every band or category, named by its
            customer id (never by personal data).
    """
    if not isinstance(records, Mapping):
        raise ValidationError("records", "must map customer ids to records", allowed="a dict")
    if not isinstance(segmenter, Bands | Categories | Combined):
        raise ValidationError(
            "segmenter", "must be Bands, Categories or Combined", allowed="a segmenter"
        )
    labels = {}
    for record_id, record in records.items():
        try:
            labels[record_id] = segmenter.label(record_id, record)
        except ValidationError as error:  # named by its place in ``records``
            raise ValidationError(
                f"records[{record_id!r}]", error.problem, allowed=error.allowed
            ) from None
    counts: dict[Any, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return Segmentation(labels=MappingProxyType(labels), counts=MappingProxyType(counts))


SPEND_BANDS = Bands(
    "spend",
    (100, 150, 250, 500),
    labels=("below 100", "100-150", "150-250", "250-500", "500 and above"),
)
"""The sources' consumption-per-period bands, over a ``spend`` figure per customer."""


def age_bands(*, as_of: _dt.date) -> Bands:
    """The sources' age bands (22 and under, 23-35, 36-55, over 55), in whole
    years from each `Customer`'s profile birth date at ``as_of``."""
    day = to_date(as_of, "as_of")

    def age(customer: object) -> int | None:
        if not isinstance(customer, Customer):
            raise ValidationError(
                "records", "must be Customers for age bands", allowed="Customer values"
            )
        return customer.profile.age(on=day)

    return Bands(
        age,
        (23, 36, 56),
        labels=("22 and under", "23-35", "36-55", "over 55"),
    )


INDUSTRY = Categories(lambda customer: customer.profile.industry, list(Industry))
"""The sources' industry segments, over `Customer` records."""
OCCUPATION = Categories(lambda customer: customer.profile.occupation, list(Occupation))
"""The sources' occupation segments, over `Customer` records."""
CUSTOMER_TYPE = Categories(lambda customer: customer.profile.customer_type, list(CustomerType))
"""The sources' customer types, over `Customer` records."""
