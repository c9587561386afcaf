"""Choosing a CRM package: the sources' vendor-scoring formula.

requirement value = priority points × ability points, summed per vendor;
the highest total wins. Default points are the sources': priority high 3,
medium 2, low ("nice to have") 1; ability out of the box 4, minor
customisation 3, major customisation 1, not available 0.
"""

import collections
import enum
from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, cast

import attrs

from crmcore.analytics._results import MappingResult, text_table
from crmcore.domain.fields import Choice, check_bool, check_text, member, tuple_of, validates
from crmcore.domain.numbers import percent
from crmcore.errors import ValidationError

__all__ = [
    "DEFAULT_SCALE",
    "Ability",
    "Comparison",
    "FlipPoint",
    "LeaveOneOut",
    "Priority",
    "Requirement",
    "Scale",
    "ScoreLine",
    "VendorRanking",
    "VendorScore",
    "score_vendors",
]

MAX_REQUIREMENTS = 10_000
MAX_VENDORS = 10_000


class Priority(Choice):
    """How much the company needs a requirement."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """``normal`` (the word complaint levels use) means ``medium``."""
        return {"normal": "medium"}

    @property
    def points(self) -> int:
        """The sources' points: high 3, medium 2, low 1."""
        return DEFAULT_SCALE.priorities[self]


class Ability(Choice):
    """How well a vendor's package meets a requirement."""

    OUT_OF_THE_BOX = "out of the box"
    MINOR_CUSTOMIZATION = "minor customization"
    MAJOR_CUSTOMIZATION = "major customization"
    NOT_AVAILABLE = "not available"

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """British spellings (``minor customisation``) and ``n/a``."""
        return {
            "minor customisation": "minor customization",
            "major customisation": "major customization",
            "n/a": "not available",
            "none": "not available",
        }

    @property
    def points(self) -> int:
        """The sources' points: 4, 3, 1, 0."""
        return DEFAULT_SCALE.abilities[self]


def _points(kind: type[enum.Enum], field: str, value: object) -> Mapping[Any, int]:
    allowed = f"a mapping from every {kind.__name__} to a non-negative int"
    if not isinstance(value, Mapping) or set(value) != set(kind):
        raise ValidationError(field, f"must give points for every {kind.__name__}", allowed=allowed)
    if any(type(p) is not int or p < 0 for p in value.values()):
        raise ValidationError(field, "must hold non-negative ints", allowed=allowed)
    return MappingProxyType(dict(value))


def _priority_points(value: object) -> Mapping[Priority, int]:
    return _points(Priority, "priorities", value)


def _ability_points(value: object) -> Mapping[Ability, int]:
    return _points(Ability, "abilities", value)


@attrs.frozen
class Scale:
    """Point tables for priorities and abilities.

    Raises:
        ValidationError: a missing member, a negative or non-int value, no
            positive priority, or a best ability worth 0.
    """

    priorities: Mapping[Priority, int] = attrs.field(converter=_priority_points, eq=False)
    abilities: Mapping[Ability, int] = attrs.field(converter=_ability_points, eq=False)

    def __attrs_post_init__(self) -> None:
        if not any(self.priorities.values()):
            raise ValidationError("priorities", "has no positive value", allowed="at least one > 0")
        if self.best_ability_points == 0:
            raise ValidationError(
                "abilities", "has no positive value", allowed="a best ability > 0"
            )

    @property
    def best_ability_points(self) -> int:
        """The points of the best ability (used for the maximum score)."""
        return max(self.abilities.values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scale):
            return NotImplemented
        return dict(self.priorities) == dict(other.priorities) and dict(self.abilities) == dict(
            other.abilities
        )

    def __hash__(self) -> int:
        return hash((tuple(self.priorities.items()), tuple(self.abilities.items())))


DEFAULT_SCALE = Scale(
    priorities={Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1},
    abilities={
        Ability.OUT_OF_THE_BOX: 4,
        Ability.MINOR_CUSTOMIZATION: 3,
        Ability.MAJOR_CUSTOMIZATION: 1,
        Ability.NOT_AVAILABLE: 0,
    },
)
"""The sources' points."""


def _to_priority(value: object) -> Priority:
    return member(Priority, value, "priority")


@attrs.frozen
class Requirement:
    """What the company needs from a CRM package, with its priority.

    A must-have requirement knocks out every vendor whose ability for it is
    worth 0 points.
    """

    name: str = attrs.field(validator=validates(check_text, max_length=200))
    priority: Priority = attrs.field(converter=_to_priority)
    must_have: bool = attrs.field(default=False, kw_only=True, validator=validates(check_bool))


@attrs.frozen
class ScoreLine:
    """One requirement's contribution: priority points × ability points."""

    requirement: str
    priority_points: int
    ability_points: int
    value: int


@attrs.frozen
class VendorScore:
    """One vendor's result, with the lines that produced it.

    Attributes:
        total: Σ line values.
        maximum: Σ priority points × the best ability's points.
        fit: total ÷ maximum (``None`` if the maximum is 0).
        rank: competition rank among qualified vendors (1, 2, 2, 4); ``None``
            for an unqualified vendor.
        qualified: False when a must-have requirement is worth 0 points.
        knocked_out_by: the must-have requirements it fails.
    """

    vendor: str
    total: int
    maximum: int
    fit: Fraction | None
    rank: int | None
    qualified: bool
    knocked_out_by: tuple[str, ...]
    lines: tuple[ScoreLine, ...]


@attrs.frozen
class Comparison:
    """How two vendors differ, requirement by requirement.

    ``difference`` is total(a) − total(b); each line is (requirement,
    value for a, value for b, difference).
    """

    a: str
    b: str
    difference: int
    lines: tuple[tuple[str, int, int, int], ...]

    def __str__(self) -> str:
        rows: list[tuple[str, ...]] = [(r, str(x), str(y), f"{d:+d}") for r, x, y, d in self.lines]
        rows.append(("total", "", "", f"{self.difference:+d}"))
        return text_table(("requirement", self.a, self.b, "difference"), rows)


@attrs.frozen
class FlipPoint:
    """The smallest change of one requirement's priority points that makes b
    overtake or tie a (``change`` is ``None`` when no change can)."""

    requirement: str
    change: int | None
    new_points: int | None


@attrs.frozen
class LeaveOneOut:
    """The winners without one requirement, whether they change, and (on
    demand) the whole ranking without it.

    Attributes:
        requirement: the requirement left out.
        best: the vendors sharing rank 1 without it (``None`` when it was
            the only requirement).
        winner_changed: whether ``best`` differs from the full ranking's, as
            a set (``None`` when it was the only requirement).
    """

    requirement: str
    best: tuple[str, ...] | None
    winner_changed: bool | None
    _source: "VendorRanking" = attrs.field(eq=False, repr=False, alias="source")

    @property
    def ranking(self) -> "VendorRanking | None":
        """The full ranking without the requirement (scored when asked for;
        ``None`` when it was the only requirement)."""
        if self.best is None:
            return None
        rest = [r for r in self._source.requirements if r.name != self.requirement]
        ratings = {
            vendor: {name: ability for name, ability in rated.items() if name != self.requirement}
            for vendor, rated in self._source.ratings.items()
        }
        return score_vendors(rest, ratings, scale=self._source.scale)


class VendorRanking(MappingResult[str, VendorScore]):
    """Vendor name → `VendorScore`, iterated in ranking order.

    Qualified vendors come first by rank, then name; unqualified vendors
    follow by total (descending), then name.
    """

    def __init__(
        self,
        requirements: tuple[Requirement, ...],
        ratings: Mapping[str, Mapping[str, Ability]],
        scale: Scale,
    ) -> None:
        self.requirements = tuple_of(Requirement, requirements, "requirements")
        if not isinstance(scale, Scale) or not isinstance(ratings, Mapping):
            raise ValidationError(
                "ratings", "must come with a Scale", allowed="use score_vendors() to rank vendors"
            )
        for rated in ratings.values():
            if not isinstance(rated, Mapping) or not all(
                isinstance(a, Ability) for a in rated.values()
            ):
                raise ValidationError(
                    "ratings", "must map each vendor to Ability ratings", allowed="Ability values"
                )
        self.ratings = MappingProxyType({v: MappingProxyType(dict(r)) for v, r in ratings.items()})
        self.scale = scale
        self._scores = _score(requirements, self.ratings, scale)

    def _mapped(self) -> Mapping[str, VendorScore]:
        return self._scores

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VendorRanking):
            return NotImplemented
        return list(self._scores.items()) == list(other._scores.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{s.vendor}: {s.total}" for s in self._scores.values())
        return f"VendorRanking({shown})"

    @property
    def best(self) -> tuple[str, ...]:
        """The vendors sharing rank 1 (empty when no vendor qualifies)."""
        return tuple(v for v, s in self._scores.items() if s.rank == 1)

    def _vendor(self, vendor: object) -> VendorScore:
        if vendor not in self._scores:
            raise ValidationError(
                "vendor", "is not in this ranking", allowed=", ".join(self._scores) or "none"
            )
        return self._scores[vendor]

    def explain(self, vendor: str) -> str:
        """The per-requirement table behind one vendor's total."""
        score = self._vendor(vendor)
        rows: list[tuple[str, ...]] = [
            (ln.requirement, str(ln.priority_points), str(ln.ability_points), str(ln.value))
            for ln in score.lines
        ]
        rows.append(("total", "", "", f"{score.total} of {score.maximum}"))
        verdict = (
            f"rank {score.rank}, fit {percent(score.fit)}"
            if score.qualified
            else f"not qualified: fails must-have {', '.join(score.knocked_out_by)}"
        )
        table = text_table(("requirement", "priority", "ability", "value"), rows)
        return f"{score.vendor}: {verdict}\n{table}"

    def compare(self, a: str, b: str) -> Comparison:
        """What separates vendor ``a`` from vendor ``b``."""
        first, second = self._vendor(a), self._vendor(b)
        lines = tuple(
            (x.requirement, x.value, y.value, x.value - y.value)
            for x, y in zip(first.lines, second.lines, strict=True)
        )
        return Comparison(a=a, b=b, difference=first.total - second.total, lines=lines)

    def what_if(
        self,
        *,
        priorities: Mapping[str, Priority | str] | None = None,
        ratings: Mapping[str, Mapping[str, Ability | str]] | None = None,
    ) -> "VendorRanking":
        """A new ranking with some priorities or ratings changed; this one is untouched.

        Args:
            priorities: requirement name → new priority.
            ratings: vendor → (requirement name → new ability).
        """
        names = {r.name for r in self.requirements}
        changed = dict(priorities or {})
        unknown = sorted(set(changed) - names, key=str)
        if unknown:
            raise ValidationError(
                "priorities",
                f"names unknown requirements {unknown}",
                allowed=", ".join(sorted(names)),
            )
        requirements = [
            attrs.evolve(r, priority=changed[r.name]) if r.name in changed else r
            for r in self.requirements
        ]
        new_ratings: dict[str, dict[str, Any]] = {v: dict(r) for v, r in self.ratings.items()}
        for vendor, updates in (ratings or {}).items():
            if vendor not in new_ratings:
                raise ValidationError(
                    "ratings", "names an unknown vendor", allowed=", ".join(new_ratings)
                )
            new_ratings[vendor].update(updates)
        return score_vendors(requirements, new_ratings, scale=self.scale)

    def flip_points(self, a: str, b: str) -> Mapping[str, FlipPoint]:
        """For each requirement, the smallest change of its priority points that
        makes ``b`` overtake or tie ``a`` (the formula only; must-haves aside).

        With D = total(a) − total(b) and the two vendors' ability points α and β
        on requirement r, changing r's priority points by Δ changes D by
        Δ·(α − β); the answer is the Δ of least size with D + Δ·(α − β) ≤ 0 that
        keeps the points non-negative, or ``None`` if there is none.
        """
        first, second = self._vendor(a), self._vendor(b)
        gap = first.total - second.total
        result: dict[str, FlipPoint] = {}
        for x, y in zip(first.lines, second.lines, strict=True):
            slope = x.ability_points - y.ability_points
            change: int | None
            if gap <= 0:
                change = 0
            elif slope == 0:
                change = None
            elif slope > 0:  # lowering this priority helps b
                change = -(-gap // slope)  # ceil(gap / slope)
                change = -change if x.priority_points - change >= 0 else None
            else:  # raising this priority helps b
                change = -(-gap // -slope)
            new = None if change is None else x.priority_points + change
            result[x.requirement] = FlipPoint(
                requirement=x.requirement, change=change, new_points=new
            )
        return MappingProxyType(result)

    def leave_one_out(self) -> Mapping[str, LeaveOneOut]:
        """For each requirement, the winners without it and whether they change.

        Linear in requirements × vendors: each vendor's total without a
        requirement is its total minus that line, and a must-have knock-out
        by that requirement alone is lifted. The full ranking without a
        requirement is scored only when its `LeaveOneOut.ranking` is read.
        With a single requirement there is nothing left to rank: its entry
        has ``best``, ``ranking`` and ``winner_changed`` set to ``None``.
        """
        best = set(self.best)
        result: dict[str, LeaveOneOut] = {}
        scores = list(self._scores.values())
        for position, requirement in enumerate(self.requirements):
            name = requirement.name
            if len(self.requirements) == 1:
                result[name] = LeaveOneOut(name, None, None, source=self)
                continue
            top: int | None = None
            leaders: list[str] = []
            for score in scores:
                if score.knocked_out_by and score.knocked_out_by != (name,):
                    continue
                total = score.total - score.lines[position].value
                if top is None or total > top:
                    top, leaders = total, [score.vendor]
                elif total == top:
                    leaders.append(score.vendor)
            winners = tuple(sorted(leaders))
            result[name] = LeaveOneOut(name, winners, set(winners) != best, source=self)
        return MappingProxyType(result)


def _score(
    requirements: tuple[Requirement, ...],
    ratings: Mapping[str, Mapping[str, Ability]],
    scale: Scale,
) -> dict[str, VendorScore]:
    maximum = sum(scale.priorities[r.priority] for r in requirements) * scale.best_ability_points
    # Lines are immutable: one per (requirement, ability), shared by every vendor.
    tables = []
    for requirement in requirements:
        p = scale.priorities[requirement.priority]
        tables.append(
            {
                ability: ScoreLine(requirement.name, p, points, p * points)
                for ability, points in scale.abilities.items()
            }
        )
    names = [r.name for r in requirements]
    must = [(i, r.name) for i, r in enumerate(requirements) if r.must_have]
    raw = []
    for vendor, rated in ratings.items():
        lines = tuple([table[rated[name]] for name, table in zip(names, tables, strict=True)])
        knocked = tuple(name for i, name in must if lines[i].ability_points == 0)
        raw.append((vendor, sum([ln.value for ln in lines]), lines, knocked))
    qualified = sorted((r for r in raw if not r[3]), key=lambda r: (-r[1], r[0]))
    unqualified = sorted((r for r in raw if r[3]), key=lambda r: (-r[1], r[0]))
    scores: dict[str, VendorScore] = {}
    for position, (vendor, total, lines_, _none) in enumerate(qualified):
        previous = qualified[position - 1] if position else None
        rank = scores[previous[0]].rank if previous and previous[1] == total else position + 1
        scores[vendor] = VendorScore(
            vendor,
            total,
            maximum,
            Fraction(total, maximum) if maximum else None,
            rank,
            True,
            (),
            lines_,
        )
    for vendor, total, lines_, knocked_ in unqualified:
        scores[vendor] = VendorScore(
            vendor,
            total,
            maximum,
            Fraction(total, maximum) if maximum else None,
            None,
            False,
            knocked_,
            lines_,
        )
    return scores


def score_vendors(
    requirements: Iterable[Requirement],
    ratings: Mapping[str, Mapping[str, Ability | str]],
    *,
    scale: Scale | None = None,
) -> VendorRanking:
    """Score CRM packages with the sources' formula.

    Args:
        requirements: the requirements, in the order the lines are reported.
        ratings: vendor name → (requirement name → `Ability`, or its value).
        scale: custom point tables; the sources' numbers by default.

    Returns:
        The `VendorRanking`.

    Raises:
        ValidationError: every problem in the input at once (in ``problems``):
            no requirements, duplicate names, no vendors, a vendor missing a
            rating ("not rated" is not 0), a rating for an unknown
            requirement, a value that is not an `Ability`.
    """
    chosen = DEFAULT_SCALE if scale is None else scale
    if not isinstance(chosen, Scale):
        raise ValidationError(
            "scale", f"must be a Scale, not {type(chosen).__name__}", allowed="a Scale"
        )
    problems: list[str] = []
    if isinstance(requirements, str | bytes | Mapping) or not isinstance(requirements, Iterable):
        raise ValidationError(
            "requirements", "must be a sequence of Requirement", allowed="Requirements"
        )
    listed = []
    given: Iterable[object] = requirements
    for position, requirement in enumerate(given):
        if position >= MAX_REQUIREMENTS:
            raise ValidationError(
                "requirements", "has too many entries", allowed=f"at most {MAX_REQUIREMENTS}"
            )
        if isinstance(requirement, Requirement):
            listed.append(requirement)
        else:
            problems.append(
                f"requirements[{position}] is a {type(requirement).__name__}, not a Requirement"
            )
    if not listed and not problems:
        problems.append("there are no requirements")
    names = [r.name for r in listed]
    counts = collections.Counter(names)
    for name in sorted(n for n, count in counts.items() if count > 1):
        problems.append(f"requirement {name!r} is listed {counts[name]} times")
    known = set(names)
    clean: dict[str, dict[str, Ability]] = {}
    if not isinstance(ratings, Mapping):
        raise ValidationError("ratings", "must be a mapping of vendor to ratings", allowed="a dict")
    if not ratings:
        problems.append("there are no vendors")
    if len(ratings) > MAX_VENDORS:
        raise ValidationError("ratings", "has too many vendors", allowed=f"at most {MAX_VENDORS}")
    given_ratings = cast(Mapping[object, object], ratings)
    for vendor, rated in given_ratings.items():
        if type(vendor) is not str or not vendor.strip() or len(vendor) > 200:
            problems.append(
                f"vendor {vendor!r} is not a name (a non-blank string of at most 200 characters)"
            )
            continue
        if not isinstance(rated, Mapping):
            problems.append(f"vendor {vendor!r}: ratings must map requirement names to abilities")
            continue
        clean[vendor] = {}
        for name in dict.fromkeys(names):
            if name not in rated:
                problems.append(
                    f"vendor {vendor!r} has no rating for {name!r} (not rated is not 0)"
                )
        for name, ability in rated.items():
            if name not in known:
                problems.append(f"vendor {vendor!r} rates unknown requirement {name!r}")
                continue
            try:
                clean[vendor][name] = member(Ability, ability, "ability")
            except ValidationError:
                problems.append(
                    f"vendor {vendor!r}, requirement {name!r}: {ability!r} is not an Ability "
                    f"({', '.join(a.value for a in Ability)})"
                )
    if problems:
        raise ValidationError(
            "score_vendors",
            f"found {len(problems)} problem{'s' if len(problems) > 1 else ''} in the input",
            problems=tuple(problems),
        )
    return VendorRanking(tuple(listed), clean, chosen)
