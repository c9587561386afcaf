"""The record-kind registry: the one place that says what each kind of record is.

Each `RecordKind` member carries, through its `KindSpec`: the aggregate
class, a label for messages, the field that holds the id, the fields storage
can filter on (its *indexed fields*) and the name of its repository on a unit
of work. The tracking unit of work, the storage adapters, the contract kit,
the permission checks, the converter and the command line all read this
table; nothing else in crmcore restates it (``tests/tooling`` proves it).

Adding a kind of record is one `RecordKind` member and one entry in
`REGISTRY` (plus the aggregate's module and its commands); see
``docs/architecture.md``.
"""

import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from crmcore.domain.fields import Choice, check_bool
from crmcore.domain.ids import check_id, check_optional_id
from crmcore.errors import ValidationError

if TYPE_CHECKING:
    from crmcore.domain.events import Aggregate

A = TypeVar("A", bound="Aggregate")

IndexValue = str | bool | None
"""What an indexed field holds: a string (ids, enum values, stage names), a bool, or None."""


class RecordKind(Choice):
    """The kinds of record crmcore stores; each has an owner, a team and a territory.

    ``kind.spec`` is its `KindSpec` (aggregate class, label, id field,
    indexed fields, repository name).
    """

    CUSTOMER = "customer"
    OPPORTUNITY = "opportunity"
    CONTRACT = "contract"
    SERVICE_CONTRACT = "service_contract"
    COMPLAINT = "complaint"
    CAMPAIGN = "campaign"
    TERRITORY = "territory"
    QUOTA = "quota"
    COMMISSION_PLAN = "commission_plan"

    @property
    def spec(self) -> "KindSpec[Any]":
        """This kind's entry in the registry."""
        return _registry()[self]

    @property
    def label(self) -> str:
        """The kind as words, for messages (``"service contract"``)."""
        return self.value.replace("_", " ")


def _check_text_value(value: object, field: str) -> str:
    if type(value) is not str or not value:
        raise ValidationError(field, "must be a non-empty string", allowed="a string")
    return value


@attrs.frozen
class IndexedField:
    """A field storage can filter on: how to read it from an aggregate and
    how to check a value a query compares it with.

    Attributes:
        name: the field's name in queries (and the column name in SQL stores).
        read: the value of the field for one aggregate.
        check: turns a query value into the stored form (an enum member into
            its value) or raises `ValidationError` naming the field.
        type: ``"text"`` or ``"bool"`` (SQL stores choose the column type by it).
    """

    name: str
    read: Callable[[Any], IndexValue]
    check: Callable[[object, str], IndexValue]
    type: str = "text"


def id_index(name: str, *, optional: bool = False) -> IndexedField:
    """An index on an id attribute (``optional``: it may be None)."""
    check = check_optional_id if optional else check_id
    return IndexedField(name, _attribute(name), check)


def enum_index(name: str, enum_type: type[enum.Enum], attribute: str | None = None) -> IndexedField:
    """An index on an enum attribute (``attribute``, by default ``name``),
    stored as the member's value."""
    source = name if attribute is None else attribute

    def read(aggregate: Any) -> IndexValue:
        value: str = getattr(aggregate, source).value
        return value

    def check(value: object, field: str) -> IndexValue:
        if isinstance(value, enum_type):
            stored: str = value.value
            return stored
        for member in enum_type:
            if value == member.value:
                found: str = member.value
                return found
        allowed = ", ".join(repr(m.value) for m in enum_type)
        raise ValidationError(
            field, "is not a known value", allowed=f"{enum_type.__name__} or one of {allowed}"
        )

    return IndexedField(name, read, check)


def text_index(name: str, read: Callable[[Any], str]) -> IndexedField:
    """An index on a derived string (a stage name, say)."""
    return IndexedField(name, read, _check_text_value)


def bool_index(name: str) -> IndexedField:
    """An index on a bool attribute or property."""
    return IndexedField(name, _attribute(name), check_bool, "bool")


def _attribute(name: str) -> Callable[[Any], IndexValue]:
    def read(aggregate: Any) -> IndexValue:
        value: IndexValue = getattr(aggregate, name)
        return value

    return read


OWNERSHIP_INDEXES = (
    id_index("owner", optional=True),
    id_index("team", optional=True),
    id_index("territory", optional=True),
)
"""Every kind is indexed by owner, team and territory (permission scopes are
pushed down on them)."""


@attrs.frozen
class KindSpec(Generic[A]):
    """One kind of record.

    Attributes:
        kind: the `RecordKind` member.
        aggregate: the aggregate class.
        id_field: the attribute holding the record's id.
        indexed: the fields storage can filter on, by name (``id`` is not
            one of them: queries always order and page by id).
        repository: the name of the kind's repository on a unit of work.
    """

    kind: RecordKind
    aggregate: type[A]
    id_field: str
    indexed: Mapping[str, IndexedField]
    repository: str

    @property
    def label(self) -> str:
        """The kind as words, for messages."""
        return self.kind.label

    def record_id(self, aggregate: A) -> str:
        """The aggregate's id."""
        value: str = getattr(aggregate, self.id_field)
        return value

    def index_values(self, aggregate: A) -> dict[str, IndexValue]:
        """The values of every indexed field of ``aggregate``."""
        return {name: field.read(aggregate) for name, field in self.indexed.items()}

    def check_where(self, where: object) -> dict[str, frozenset[IndexValue]]:
        """A query's filters, checked: field → the accepted values.

        ``where`` maps indexed field names to a value (equality) or to a
        set, frozenset, list or tuple of values (membership; an empty
        collection matches nothing).

        Raises:
            ValidationError: not a mapping, an unknown field, or a bad value.
        """
        if where is None:
            return {}
        if not isinstance(where, Mapping):
            raise ValidationError(
                "where",
                f"must be a mapping, not {type(where).__name__}",
                allowed="indexed field → value or collection of values",
            )
        checked: dict[str, frozenset[IndexValue]] = {}
        for name, wanted in where.items():
            field = self.indexed.get(name) if isinstance(name, str) else None
            if field is None:
                raise ValidationError(
                    "where",
                    f"filters on a field that is not indexed for {self.label} records",
                    allowed=", ".join(self.indexed),
                )
            values: Iterable[object] = (
                wanted if isinstance(wanted, set | frozenset | list | tuple) else (wanted,)
            )
            checked[name] = frozenset(field.check(value, name) for value in values)
        return checked

    def matches(self, aggregate: A, where: Mapping[str, frozenset[IndexValue]]) -> bool:
        """Whether ``aggregate`` passes checked filters (from `check_where`)."""
        return all(self.indexed[name].read(aggregate) in values for name, values in where.items())


@functools.cache
def _registry() -> Mapping[RecordKind, KindSpec[Any]]:
    # The aggregate modules import this module (for RecordKind), so the table
    # is built on first use, when they are all loaded.
    from crmcore.domain.campaigns import Campaign, CampaignStatus
    from crmcore.domain.channels import Channel
    from crmcore.domain.commissions import CommissionPlanRecord
    from crmcore.domain.complaints import Complaint, ComplaintStep
    from crmcore.domain.contracts import Contract
    from crmcore.domain.customers import Customer, LifecyclePhase
    from crmcore.domain.opportunities import Opportunity
    from crmcore.domain.periods import Period
    from crmcore.domain.quotas import Quota, QuotaFor
    from crmcore.domain.service_contracts import ServiceContract
    from crmcore.domain.territories import Territory

    def spec(
        kind: RecordKind,
        aggregate: type[Any],
        id_field: str,
        repository: str,
        *indexes: IndexedField,
    ) -> KindSpec[Any]:
        fields = {f.name: f for f in (*OWNERSHIP_INDEXES, *indexes)}
        return KindSpec(kind, aggregate, id_field, MappingProxyType(fields), repository)

    def stage_name(opportunity: Any) -> str:
        name: str = opportunity.stage.name
        return name

    def complaint_is_open(complaint: Any) -> bool:
        return not complaint.is_closed

    def quota_period(quota: Any) -> str:
        return str(quota.period)

    def check_period(value: object, field: str) -> str:
        if isinstance(value, Period):
            return str(value)
        try:
            return str(Period.parse(value))  # type: ignore[arg-type]  # checked by parse
        except ValidationError as error:
            raise ValidationError(field, error.problem, allowed=error.allowed) from None

    entries = (
        spec(
            RecordKind.CUSTOMER,
            Customer,
            "customer_id",
            "customers",
            enum_index("phase", LifecyclePhase),
        ),
        spec(
            RecordKind.OPPORTUNITY,
            Opportunity,
            "opportunity_id",
            "opportunities",
            id_index("customer_id"),
            text_index("stage", stage_name),
            bool_index("is_open"),
            id_index("campaign_id", optional=True),
        ),
        spec(
            RecordKind.CONTRACT,
            Contract,
            "contract_id",
            "contracts",
            id_index("customer_id"),
            id_index("opportunity_id"),
            bool_index("is_open"),
        ),
        spec(
            RecordKind.SERVICE_CONTRACT,
            ServiceContract,
            "contract_id",
            "service_contracts",
            id_index("customer_id"),
        ),
        spec(
            RecordKind.COMPLAINT,
            Complaint,
            "complaint_id",
            "complaints",
            id_index("customer_id"),
            enum_index("step", ComplaintStep, "current_step"),
            IndexedField("is_open", complaint_is_open, check_bool, "bool"),
        ),
        spec(
            RecordKind.CAMPAIGN,
            Campaign,
            "campaign_id",
            "campaigns",
            enum_index("status", CampaignStatus),
            enum_index("channel", Channel),
        ),
        spec(
            RecordKind.TERRITORY,
            Territory,
            "territory_id",
            "territories",
            id_index("parent_id", optional=True),
        ),
        spec(
            RecordKind.QUOTA,
            Quota,
            "quota_id",
            "quotas",
            IndexedField("period", quota_period, check_period),
            enum_index("quota_for", QuotaFor),
        ),
        spec(RecordKind.COMMISSION_PLAN, CommissionPlanRecord, "plan_id", "commission_plans"),
    )
    return MappingProxyType({entry.kind: entry for entry in entries})


class _Registry(Mapping[RecordKind, "KindSpec[Any]"]):
    """`REGISTRY`: a read-only mapping that fills itself on first use."""

    def __getitem__(self, kind: RecordKind) -> "KindSpec[Any]":
        return _registry()[kind]

    def __iter__(self) -> Any:
        return iter(_registry())

    def __len__(self) -> int:
        return len(_registry())

    def __repr__(self) -> str:
        return f"REGISTRY({', '.join(k.value for k in self)})"


REGISTRY: Mapping[RecordKind, KindSpec[Any]] = _Registry()
"""Every kind of record, in `RecordKind` order."""


def spec_of(kind: object, field: str = "kind") -> KindSpec[Any]:
    """The spec of a `RecordKind` (or its value, ``"customer"``).

    Raises:
        ValidationError: not a kind of record.
    """
    if isinstance(kind, RecordKind):
        return _registry()[kind]
    for member in RecordKind:
        if kind == member.value:
            return _registry()[member]
    raise ValidationError(
        field,
        "is not a kind of record",
        allowed="RecordKind or one of " + ", ".join(repr(k.value) for k in RecordKind),
    )


def kind_of(aggregate: object) -> KindSpec[Any]:
    """The spec of the kind ``aggregate`` (an instance or a class) belongs to.

    Raises:
        ValidationError: not an aggregate crmcore stores.
    """
    by_type = _by_type()
    found = by_type.get(type(aggregate))
    if found is not None:  # an instance of an aggregate class itself: the common case
        return found
    cls = aggregate if isinstance(aggregate, type) else type(aggregate)
    for klass in cls.__mro__:
        found = by_type.get(klass)
        if found is not None:
            return found
    raise ValidationError(
        "record",
        f"must be a record crmcore stores, not {cls.__name__}",
        allowed=", ".join(s.aggregate.__name__ for s in _registry().values()),
    )


@functools.cache
def _by_type() -> Mapping[type, KindSpec[Any]]:
    return MappingProxyType({s.aggregate: s for s in _registry().values()})
