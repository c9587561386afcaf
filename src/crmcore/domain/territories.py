"""Sales territories: a tree of territories, and rules that put customers in them.

A `Territory` has an owner team (the team that works it), an optional parent
(territories form a tree: no cycles, checked) and assignment rules. An
`AssignmentRule` tests a customer's profile fields (region, industry,
customer type, occupation, preferred channel), the lifecycle phase, or any
attribute the caller supplies (a spend band from `crmcore.analytics.bands`,
say) with `Condition` values: a field and the values it may have
(equality is membership in one value). A rule's conditions combine as
``all`` or ``any``; a territory matches a customer when one of its rules
does.

`assign(customer, territories)` returns the *most specific* matching
territory: the deepest in the tree; among matches of the same depth, the one
that comes first in ``territories`` (the caller's rule order). A territory
with no rules matches nobody (a grouping node such as a region over its
countries).

`managed_territories(teams, territories)` gives the territories a team
manages, with their descendants: what an `Actor`'s ``territories`` should
hold for the policy's ``territory`` scope.
"""

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Self

import attrs
import pendulum

from crmcore.domain.channels import Channel
from crmcore.domain.customers import Customer, check_name
from crmcore.domain.events import DomainEvent
from crmcore.domain.fields import (
    Choice,
    checked_field,
    fold,
    identifier,
    instances_of,
    instant,
    items_of,
    member,
)
from crmcore.domain.ids import check_id, check_optional_id
from crmcore.domain.lifecycle import LifecyclePhase
from crmcore.domain.ownership import Owned
from crmcore.domain.profile import CustomerType, Industry, Occupation
from crmcore.domain.times import to_utc
from crmcore.errors import ValidationError

MAX_DEPTH = 20
"""The deepest a territory may lie below its root (a root has depth 0)."""
MAX_RULES = 50
"""The most assignment rules a territory may have."""
MAX_CONDITIONS = 20
"""The most conditions a rule may have."""
MAX_VALUES = 500
"""The most values a condition may accept."""

PROFILE_FIELDS: Mapping[str, type[Choice] | None] = {
    "region": None,
    "industry": Industry,
    "customer_type": CustomerType,
    "occupation": Occupation,
    "preferred_channel": Channel,
    "phase": LifecyclePhase,
}
"""The customer fields a condition may test, with the enum their values must
name (``None``: free text, compared case- and spacing-insensitively). Any
other field name is an attribute the caller passes to `assign`."""

_FIELD_RULE = (
    "a profile field (" + ", ".join(PROFILE_FIELDS) + ") or an attribute name passed to assign"
)


class RuleMatch(Choice):
    """How a rule's conditions combine."""

    ALL = "all"
    ANY = "any"


def _field_name(value: object) -> str:
    if type(value) is not str or not value.isidentifier() or len(value) > 50:
        raise ValidationError("field", "is not a field name", allowed=_FIELD_RULE)
    return value


def _value_set(value: Iterable[str]) -> frozenset[str]:
    """The values as given, each a short non-blank string (checked against the
    field in ``__attrs_post_init__``)."""
    allowed = f"1 to {MAX_VALUES} non-blank strings of up to 100 characters"
    found = items_of(value, "values", allowed)
    if not 1 <= len(found) <= MAX_VALUES:
        raise ValidationError("values", f"must hold 1 to {MAX_VALUES} values", allowed=allowed)
    for position, item in enumerate(found):
        if type(item) is not str or not item.strip() or len(item) > 100:
            raise ValidationError(f"values[{position}]", "is not a value", allowed=allowed)
    return frozenset(found)  # type: ignore[arg-type]  # each checked above


def _condition_values(found: frozenset[str], field_name: str) -> frozenset[str]:
    """Enum values as the members' values, free text folded."""
    enum_type = PROFILE_FIELDS.get(field_name)
    if enum_type is not None:
        return frozenset(member(enum_type, v, "values").value for v in found)
    return frozenset(fold(item) for item in found)


@attrs.frozen
class Condition:
    """A field and the values it may have: ``Condition("region", {"north"})``.

    Values of enum fields are checked (``"retail"`` must be an `Industry`) and
    kept as the members' values; free-text values are compared case- and
    spacing-insensitively (`crmcore.domain.fields.fold`).

    Raises:
        ValidationError: not a field name, no values, too many, or a value
            the field cannot have.
    """

    field: str = attrs.field(converter=_field_name)
    values: frozenset[str] = attrs.field(converter=_value_set)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "values", _condition_values(self.values, self.field))

    def matches(self, value: str | None) -> bool:
        """Whether a customer's ``value`` of the field (as stored) is accepted.

        Raises:
            ValidationError: ``value`` is neither a string nor None.
        """
        if value is None:
            return False
        if type(value) is not str:
            raise ValidationError(
                "value", f"must be a string or None, not {type(value).__name__}", allowed="a string"
            )
        if PROFILE_FIELDS.get(self.field) is None:
            return fold(value) in self.values
        return value in self.values


def _conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    allowed = f"1 to {MAX_CONDITIONS} Condition values"
    found = instances_of(Condition, value, "conditions", allowed)
    if not 1 <= len(found) <= MAX_CONDITIONS:
        raise ValidationError("conditions", "has the wrong number of conditions", allowed=allowed)
    return found


def _field_values(value: object) -> Mapping[str, str | None]:
    allowed = "field name → a string or None"
    if not isinstance(value, Mapping):
        raise ValidationError("values", "must be a mapping", allowed=allowed)
    for name, item in value.items():
        if type(name) is not str or (item is not None and type(item) is not str):
            raise ValidationError("values", "has a key or value of the wrong type", allowed=allowed)
    return value


def _to_match(value: object) -> RuleMatch:
    return member(RuleMatch, value, "match")


@attrs.frozen
class AssignmentRule:
    """Conditions on a customer, combined as ``all`` (the default) or ``any``.

    Raises:
        ValidationError: no condition, more than 20, or an unknown match.
    """

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)
    match: RuleMatch = attrs.field(default=RuleMatch.ALL, converter=_to_match)

    def matches(self, values: Mapping[str, str | None]) -> bool:
        """Whether the customer whose field values are ``values`` (field name →
        value as stored, e.g. from `field_values`) matches.

        Raises:
            ValidationError: ``values`` is not a mapping of names to strings or None.
        """
        checked = _field_values(values)
        results = (c.matches(checked.get(c.field)) for c in self.conditions)
        return all(results) if self.match is RuleMatch.ALL else any(results)


# Events ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TerritoryCreated(DomainEvent):
    """A territory was created."""

    territory_id: str
    parent_id: str | None


@attrs.frozen(kw_only=True)
class TerritoryRenamed(DomainEvent):
    """A territory got another name."""

    territory_id: str


@attrs.frozen(kw_only=True)
class TerritoryMoved(DomainEvent):
    """A territory got another parent (``None``: it became a root)."""

    territory_id: str
    previous_parent_id: str | None
    parent_id: str | None


@attrs.frozen(kw_only=True)
class TerritoryRulesChanged(DomainEvent):
    """A territory's assignment rules were replaced."""

    territory_id: str


def _rules(value: object) -> tuple[AssignmentRule, ...]:
    allowed = f"0 to {MAX_RULES} AssignmentRule values"
    found = instances_of(AssignmentRule, value, "rules", allowed)
    if len(found) > MAX_RULES:
        raise ValidationError("rules", "has too many rules", allowed=allowed)
    return found


@attrs.frozen(kw_only=True)
class Territory(Owned):
    """A sales territory: a name, an owner team, a parent and assignment rules.

    A territory record lies in itself (``territory == territory_id``), so
    that the policy's ``territory`` scope shows a manager the territories
    they manage. Its ``team`` is the owner team; ``owner`` is optional (the
    territory's manager, if one is named).

    Raises:
        ValidationError: a bad id or name, a territory that is its own
            parent, or ``territory`` other than ``territory_id``.
    """

    territory_id: str = identifier()
    name: str = checked_field(check_name, False, repr=False)  # free text
    parent_id: str | None = identifier(optional=True)
    rules: tuple[AssignmentRule, ...] = attrs.field(default=(), converter=_rules)
    changed_at: pendulum.DateTime = instant()

    def _check_holders(self, owner: str | None, team: str | None, territory: str | None) -> None:
        if territory != self.territory_id:
            raise ValidationError(
                "territory", "must be the territory's own id", allowed=repr(self.territory_id)
            )

    def __attrs_post_init__(self) -> None:
        if self.parent_id == self.territory_id:
            raise ValidationError(
                "parent_id", "is the territory itself", allowed="another territory or None"
            )
        self._check_holders(self.owner, self.team, self.territory)

    @classmethod
    def create(
        cls,
        *,
        territory_id: str,
        name: str,
        at: _dt.datetime,
        parent_id: str | None = None,
        rules: Iterable[AssignmentRule] = (),
        owner: str | None = None,
        team: str | None = None,
    ) -> Self:
        """A new territory (the caller checks that the parent exists: see `check_tree`).

        Raises:
            ValidationError: a bad id, name, rule or time.
        """
        instant_ = to_utc(at)
        territory = cls(
            territory_id=territory_id,
            name=name,
            parent_id=parent_id,
            rules=rules,
            owner=owner,
            team=team,
            territory=check_id(territory_id, "territory_id"),
            changed_at=instant_,
        )
        return territory._recorded(
            TerritoryCreated(
                occurred_at=instant_,
                territory_id=territory.territory_id,
                parent_id=territory.parent_id,
            )
        )

    def rename(self, name: str, *, at: _dt.datetime) -> Self:
        """Give the territory another name.

        Raises:
            ValidationError: a bad name, the same name, or ``at`` before the last change.
        """
        new_name = check_name(name, "name")
        instant_ = self._after_last_change(at)
        if new_name == self.name:
            raise ValidationError("name", "is the territory's name already", allowed="another name")
        event = TerritoryRenamed(occurred_at=instant_, territory_id=self.territory_id)
        return self._recorded(event, name=new_name, changed_at=instant_)

    def move(self, parent_id: str | None, *, at: _dt.datetime) -> Self:
        """Put the territory under another parent (``None``: make it a root).

        The territory alone cannot see the tree: the caller checks that the
        new parent exists and is not a descendant (the services do).

        Raises:
            ValidationError: a bad id, the territory itself, the same parent,
                or ``at`` before the last change.
        """
        new_parent = check_optional_id(parent_id, "parent_id")
        instant_ = self._after_last_change(at)
        if new_parent == self.territory_id:
            raise ValidationError(
                "parent_id", "is the territory itself", allowed="another territory or None"
            )
        if new_parent == self.parent_id:
            raise ValidationError(
                "parent_id", "is the territory's parent already", allowed="another parent"
            )
        event = TerritoryMoved(
            occurred_at=instant_,
            territory_id=self.territory_id,
            previous_parent_id=self.parent_id,
            parent_id=new_parent,
        )
        return self._recorded(event, parent_id=new_parent, changed_at=instant_)

    def set_rules(self, rules: Iterable[AssignmentRule], *, at: _dt.datetime) -> Self:
        """Replace the assignment rules (an empty list: the territory matches nobody).

        Raises:
            ValidationError: a bad rule, or ``at`` before the last change.
        """
        new_rules = _rules(rules)
        instant_ = self._after_last_change(at)
        event = TerritoryRulesChanged(occurred_at=instant_, territory_id=self.territory_id)
        return self._recorded(event, rules=new_rules, changed_at=instant_)

    def matches(self, values: Mapping[str, str | None]) -> bool:
        """Whether one of the rules matches a customer with field ``values``
        (see `AssignmentRule.matches`)."""
        checked = _field_values(values)
        return any(rule.matches(checked) for rule in self.rules)


# The tree -----------------------------------------------------------------------------


def _territories(value: object) -> tuple[Territory, ...]:
    allowed = "Territory values with unique ids"
    found = instances_of(Territory, value, "territories", allowed)
    seen: set[str] = set()
    for position, item in enumerate(found):
        if item.territory_id in seen:
            raise ValidationError(
                f"territories[{position}]", "repeats a territory id", allowed=allowed
            )
        seen.add(item.territory_id)
    return found


def depths(territories: Iterable[Territory]) -> dict[str, int]:
    """Each territory's depth (a root is 0), checking that they form a tree.

    Raises:
        ValidationError: not Territory values, a repeated id, a parent that
            is not among them, a cycle, or a tree deeper than `MAX_DEPTH`.
    """
    by_id = {t.territory_id: t for t in _territories(territories)}
    found: dict[str, int] = {}
    for start in by_id:
        chain: list[str] = []
        on_chain: set[str] = set()
        current: str | None = start
        while current is not None and current not in found:
            if current in on_chain:
                raise ValidationError(
                    "territories", "has a cycle of parents", allowed="a tree (no cycles)"
                )
            if len(chain) > MAX_DEPTH:  # a long chain is refused before it is walked whole
                raise ValidationError(
                    "territories", "is too deep", allowed=f"at most {MAX_DEPTH} levels below a root"
                )
            chain.append(current)
            on_chain.add(current)
            territory = by_id.get(current)
            if territory is None:
                raise ValidationError(
                    "territories",
                    "names a parent that is not among them",
                    allowed="every parent among the territories given",
                )
            current = territory.parent_id
        depth = -1 if current is None else found[current]
        for territory_id in reversed(chain):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError(
                    "territories", "is too deep", allowed=f"at most {MAX_DEPTH} levels below a root"
                )
            found[territory_id] = depth
    return found


def check_tree(territories: Iterable[Territory]) -> tuple[Territory, ...]:
    """``territories`` as a tuple, if they form a tree (see `depths`)."""
    checked = _territories(territories)
    depths(checked)
    return checked


def managed_territories(teams: Iterable[str], territories: Iterable[Territory]) -> frozenset[str]:
    """The ids of the territories whose owner team is one of ``teams``, and
    of all their descendants: an `Actor`'s ``territories``.

    Raises:
        ValidationError: bad team ids, or territories that are not a tree.
    """
    wanted = frozenset(check_id(team, "teams") for team in items_of(teams, "teams", "team ids"))
    checked = check_tree(territories)
    children: dict[str, list[str]] = {}
    for territory in checked:
        if territory.parent_id is not None:
            children.setdefault(territory.parent_id, []).append(territory.territory_id)
    result: set[str] = set()
    stack = [t.territory_id for t in checked if t.team in wanted]
    while stack:
        current = stack.pop()
        if current not in result:
            result.add(current)
            stack.extend(children.get(current, ()))
    return frozenset(result)


def _customer_values(customer: Customer, attributes: Mapping[str, str]) -> dict[str, str | None]:
    profile = customer.profile
    values: dict[str, str | None] = {
        "region": profile.region,
        "industry": None if profile.industry is None else profile.industry.value,
        "customer_type": None if profile.customer_type is None else profile.customer_type.value,
        "occupation": None if profile.occupation is None else profile.occupation.value,
        "preferred_channel": (
            None if profile.preferred_channel is None else profile.preferred_channel.value
        ),
        "phase": customer.phase.value,
    }
    values.update(attributes)
    return values


def _attributes(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            "attributes", "must be a mapping", allowed="attribute name → string value"
        )
    checked: dict[str, str] = {}
    for name, item in value.items():
        if type(name) is not str or name in PROFILE_FIELDS or not name.isidentifier():
            raise ValidationError(
                "attributes",
                "has a key that is not an attribute name",
                allowed="identifiers other than the profile fields " + ", ".join(PROFILE_FIELDS),
            )
        if type(item) is not str:
            raise ValidationError(
                f"attributes[{name!r}]",
                f"must be a string, not {type(item).__name__}",
                allowed="a string",
            )
        checked[name] = item
    return checked


def assign(
    customer: Customer,
    territories: Iterable[Territory],
    *,
    attributes: Mapping[str, str] | None = None,
) -> Territory | None:
    """The most specific territory whose rules match ``customer``, or ``None``.

    The deepest matching territory wins; among matches of the same depth,
    the first in ``territories`` (the caller's rule order). The result
    depends only on the customer, the territories and their order.

    Args:
        customer: the customer.
        territories: the whole tree (every parent among them).
        attributes: values of fields the profile does not hold, for rules
            that test them (``{"spend_band": "A"}``).

    Raises:
        ValidationError: ``customer`` is not a Customer, the territories are
            not a tree, bad attributes, or a rule tests a field that is
            neither a profile field nor among ``attributes``.
    """
    if not isinstance(customer, Customer):
        raise ValidationError(
            "customer", f"must be a Customer, not {type(customer).__name__}", allowed="a Customer"
        )
    checked = check_tree(territories)
    extra = _attributes(attributes)
    depth = depths(checked)
    values = _customer_values(customer, extra)
    best: Territory | None = None
    for territory in checked:
        for rule in territory.rules:
            for condition in rule.conditions:
                if condition.field not in values:
                    raise ValidationError(
                        "attributes",
                        f"has no {condition.field!r}, which a rule of territory "
                        f"{territory.territory_id!r} tests",
                        allowed="a value for every attribute the rules test",
                    )
        if territory.matches(values) and (
            best is None or depth[territory.territory_id] > depth[best.territory_id]
        ):
            best = territory
    return best
