"""Concentration measures: the 20/80 rule (Pareto), ABC classes, Lorenz curve and Gini.

Values are compared exactly: Money and Decimal values become integers in one
common scale, thresholds are `Fraction`s, and every comparison is an integer
cross-multiplication. Customers with equal values form one group and always
share a class; results do not depend on input order.
"""

import bisect
import itertools
import math
from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from string import ascii_uppercase
from typing import Literal, TypeVar

import attrs

from crmcore.analytics._results import MappingResult
from crmcore.domain.money import Money
from crmcore.domain.numbers import EXACT, MAX_MAGNITUDE, percent, to_fraction
from crmcore.errors import CurrencyMismatchError, ValidationError

Value = Money | Decimal | int | Fraction
K = TypeVar("K", bound=Hashable)
Boundary = Literal["covering", "inclusive"]
MAX_THRESHOLDS = 25
_TOO_LARGE = 10**MAX_MAGNITUDE


def _shown(key: object) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


@attrs.frozen
class _Amounts:
    """Values as integers in a common scale, and how to turn them back."""

    units: dict[Hashable, int]
    kind: str  # "money", "decimal", "int" or "fraction"
    currency: str | None
    exponent: int  # units are value × 10**exponent (value × scale for fractions)
    scale: int = 1

    def back(self, units: int) -> Value:
        if self.kind == "int":
            return units
        if self.kind == "fraction":
            return Fraction(units, self.scale)
        exact = Decimal(f"{units}E-{self.exponent}") if self.exponent else Decimal(units)
        if self.kind == "decimal":
            return exact
        assert self.currency is not None
        return Money.from_exact(Fraction(exact), self.currency)


def _amounts(values: object) -> _Amounts:
    if not isinstance(values, Mapping):
        raise ValidationError(
            "values",
            "must be a mapping from customer id to value",
            allowed="a dict of Money, or of numbers (int, Decimal, Fraction)",
        )
    ints = list(values.values())
    if all(type(v) is int for v in ints):
        # The common case, kept fast: no conversion needed.
        if ints and min(ints) < 0:
            key = next(k for k, v in values.items() if v < 0)
            raise ValidationError(f"values[{_shown(key)}]", "is negative", allowed="zero or more")
        return _Amounts(dict(values), "int", None, 0)
    kinds: set[str] = set()
    currency: str | None = None
    exponent = 0
    denominators: set[int] = set()
    for key, value in values.items():
        number: Decimal | Fraction
        if isinstance(value, Money):
            kind = "money"
            if currency is not None and value.currency != currency:
                raise CurrencyMismatchError(currency, value.currency, operation="segment")
            currency = value.currency
            number = value.amount
        elif type(value) is int:
            kind, number = "int", Decimal(value)
        elif isinstance(value, Decimal) and value.is_finite():
            kind, number = "decimal", value
        elif type(value) is Fraction:
            kind, number = "fraction", value
            denominators.add(value.denominator)
        else:
            problem = (
                "is a float: floats are not exact (use Decimal)"
                if isinstance(value, float)
                else "is a Decimal that is not finite"
                if isinstance(value, Decimal)
                else f"is a {type(value).__name__}, not a number"
            )
            raise ValidationError(
                f"values[{_shown(key)}]",
                problem,
                allowed="Money, a finite Decimal, an int or a Fraction, zero or more",
            )
        if number < 0:
            raise ValidationError(f"values[{_shown(key)}]", "is negative", allowed="zero or more")
        # adjusted() is the exponent of the leading digit: comparing a Decimal with
        # the 1001-digit int instead would convert that int for every value.
        too_large = (
            number.adjusted() >= MAX_MAGNITUDE
            if isinstance(number, Decimal)
            else number >= _TOO_LARGE
        )
        if too_large:
            raise ValidationError(
                f"values[{_shown(key)}]",
                f"is out of range: 10**{MAX_MAGNITUDE} or more",
                allowed=f"values below 10**{MAX_MAGNITUDE} (all-int values have no limit)",
            )
        kinds.add(kind)
        if isinstance(number, Decimal):
            tail = number.as_tuple().exponent
            assert isinstance(tail, int)
            exponent = max(exponent, -tail)
    if "money" in kinds and len(kinds) > 1:
        raise ValidationError(
            "values",
            f"mixes Money with numbers ({', '.join(sorted(kinds - {'money'}))})",
            allowed="values all Money, or all numbers (int, Decimal, Fraction, mixed freely)",
        )
    if exponent > 60:
        raise ValidationError("values", "have more than 60 fractional digits", allowed="at most 60")
    if denominators:
        scale = math.lcm(10**exponent, *denominators)
        if scale > 10**60:
            raise ValidationError(
                "values",
                "have fractions whose common denominator exceeds 10**60",
                allowed="fractions with a common denominator of at most 10**60",
            )
        fractions = {k: int(Fraction(v) * scale) for k, v in values.items()}
        return _Amounts(fractions, "fraction", None, exponent, scale)
    units = {}
    for key, value in values.items():
        number = value.amount if isinstance(value, Money) else Decimal(value)
        units[key] = int(EXACT.scaleb(number, exponent))  # exact: Inexact is trapped
    kind = "money" if "money" in kinds else ("decimal" if "decimal" in kinds else "int")
    return _Amounts(units, kind, currency, exponent)


def _thresholds(values: object) -> tuple[Fraction, ...]:
    allowed = (
        f"1 to {MAX_THRESHOLDS} strictly increasing numbers in (0, 1], "
        "e.g. (Decimal('0.8'), Decimal('0.95'))"
    )
    if isinstance(values, str | bytes) or not isinstance(values, tuple | list):
        raise ValidationError("thresholds", "must be a sequence", allowed=allowed)
    if not 1 <= len(values) <= MAX_THRESHOLDS:
        raise ValidationError("thresholds", f"has {len(values)} entries", allowed=allowed)
    parsed = tuple(to_fraction(v, "thresholds", allowed=allowed) for v in values)
    if any(not 0 < t <= 1 for t in parsed) or any(a >= b for a, b in itertools.pairwise(parsed)):
        raise ValidationError(
            "thresholds", "are not strictly increasing in (0, 1]", allowed=allowed
        )
    return parsed


@attrs.frozen
class AbcClass:
    """One class: its label, threshold (``None`` for the last), and what it holds."""

    label: str
    threshold: Fraction | None
    count: int
    value: Value
    customer_share: Fraction | None
    value_share: Fraction | None


@attrs.frozen
class Crossing:
    """The group of equal values in which the cumulative value reaches a threshold.

    ``before`` < threshold × total ≤ ``before`` + the group's value; ``label``
    is the class the group got (under "inclusive" it falls to the next class).
    """

    threshold: Fraction
    value: Value
    customers: int
    label: str


class AbcResult(MappingResult[Hashable, str]):
    """Customer → class label ("A", "B", ...), with per-class summaries.

    Attributes:
        classes: label → `AbcClass`, in label order.
        thresholds: the thresholds used.
        boundary: ``"covering"`` or ``"inclusive"``.
        crossings: the crossing group at each threshold (absent when the total is 0).
        total: Σ values.
    """

    def __init__(
        self,
        labels: Mapping[Hashable, str],
        classes: dict[str, AbcClass],
        thresholds: tuple[Fraction, ...],
        boundary: str,
        crossings: tuple[Crossing, ...],
        total: Value,
    ) -> None:
        self._labels = labels
        self.classes = classes
        self.thresholds = thresholds
        self.boundary = boundary
        self.crossings = crossings
        self.total = total

    def _mapped(self) -> Mapping[Hashable, str]:
        return self._labels

    def __repr__(self) -> str:
        counts = ", ".join(f"{c.label}: {c.count}" for c in self.classes.values())
        return f"AbcResult({counts})"


@attrs.frozen
class _Pass:
    """What one pass over the groups found."""

    labels: dict[Hashable, str]
    counts: list[int]
    sums: list[int]
    crossings: list[tuple[int, int, int, int]]  # threshold, value, customers, class index


def _classify(
    units: Mapping[Hashable, int], total: int, thresholds: tuple[Fraction, ...], boundary: str
) -> _Pass:
    """Label every customer in one pass over the groups of equal values, descending.

    Cumulative sums only grow, so the class and the next threshold to be
    crossed each move forward with a pointer; comparisons are on integers.
    """
    last = len(thresholds)
    names = ascii_uppercase[: last + 1]
    labels: dict[Hashable, str] = {}
    counts = [0] * (last + 1)
    sums = [0] * (last + 1)
    crossings: list[tuple[int, int, int, int]] = []
    targets = [(t.numerator * total, t.denominator) for t in thresholds]
    covering = boundary == "covering"
    before = current = crossed = 0
    order = sorted(units, key=units.__getitem__, reverse=True)
    for value, run in itertools.groupby(order, key=units.__getitem__):
        keys = list(run)
        through = before + value * len(keys)
        reached = crossed
        if total == 0:
            current = last
        else:
            while reached < last and targets[reached][0] <= through * targets[reached][1]:
                reached += 1
            if covering:
                while current < last and before * targets[current][1] >= targets[current][0]:
                    current += 1
            else:
                while current < last and through * targets[current][1] > targets[current][0]:
                    current += 1
        crossings.extend((i, value, len(keys), current) for i in range(crossed, reached))
        crossed = reached
        labels.update(dict.fromkeys(keys, names[current]))
        counts[current] += len(keys)
        sums[current] += value * len(keys)
        before = through
    return _Pass(labels, counts, sums, crossings)


def abc_classes(
    values: Mapping[K, Value],
    *,
    thresholds: tuple[Decimal | int | str | Fraction, ...] = (Decimal("0.80"), Decimal("0.95")),
    boundary: Boundary = "covering",
) -> AbcResult:
    """ABC classes by cumulative share of value (the 20/80 rule generalised).

    Sort the distinct values descending; equal values form one group. With
    T the total and before(g) the sum of the groups above g:

    - ``"covering"`` (default): g gets the first class whose threshold t has
      before(g) < t·T: the customers who together *make* the first t of value.
    - ``"inclusive"`` (SAP's convention): g gets the first class whose
      threshold has through(g) = before(g) + g's sum ≤ t·T: the group that
      crosses a threshold falls to the next class. A customer holding more
      than the first threshold alone, or a block of equal customers crossing
      it, lands below A.

    Groups that satisfy no threshold get the last class; if T = 0 everyone does.

    Values are all `Money` (one currency), or numbers: `int`, `Decimal` and
    `Fraction` mix freely, and sums come back as the widest kind present
    (a `Fraction` if any value is one, else a `Decimal` if any is one).

    Raises:
        ValidationError: a float, NaN or negative value (naming the key), Money
            mixed with numbers, bad thresholds, an unknown boundary.
        CurrencyMismatchError: Money in several currencies.
    """
    if boundary not in ("covering", "inclusive"):
        raise ValidationError("boundary", "is not a rule", allowed="'covering' or 'inclusive'")
    cuts = _thresholds(thresholds)
    amounts = _amounts(values)
    total = sum(amounts.units.values())
    found = _classify(amounts.units, total, cuts, boundary)
    names = ascii_uppercase[: len(cuts) + 1]
    n = len(found.labels)
    classes = {
        name: AbcClass(
            label=name,
            threshold=cuts[i] if i < len(cuts) else None,
            count=found.counts[i],
            value=amounts.back(found.sums[i]),
            customer_share=Fraction(found.counts[i], n) if n else None,
            value_share=Fraction(found.sums[i], total) if total else None,
        )
        for i, name in enumerate(names)
    }
    crossings = tuple(
        Crossing(threshold=cuts[i], value=amounts.back(value), customers=size, label=names[index])
        for i, value, size, index in found.crossings
    )
    return AbcResult(found.labels, classes, cuts, boundary, crossings, amounts.back(total))


@attrs.frozen
class ParetoResult:
    """The vital few and the trivial many.

    Attributes:
        vital_few: the groups with before(g) < share·T (the covering rule).
        trivial_many: everyone else.
        customer_share: |vital few| ÷ customers (``None`` for no customers).
        value_share: the vital few's value ÷ T (``None`` when T is 0).
        share: the share used.
    """

    vital_few: frozenset[Hashable]
    trivial_many: frozenset[Hashable]
    customer_share: Fraction | None
    value_share: Fraction | None
    share: Fraction

    @property
    def summary(self) -> str:
        """A sentence: "18.2 % of customers make 80.4 % of value"."""
        if self.customer_share is None or self.value_share is None:
            return "no value to analyse"
        customers, value = percent(self.customer_share), percent(self.value_share)
        return f"{customers} of customers make {value} of value"


def pareto(
    values: Mapping[K, Value], *, share: Decimal | int | str | Fraction = Decimal("0.80")
) -> ParetoResult:
    """The 20/80 split: who makes the first ``share`` of value.

    The same rule as class A of `abc_classes` with ``thresholds=(share,)``
    and ``boundary="covering"`` (a test checks that they agree), computed
    with one sort and a binary search.
    """
    allowed = "a number in (0, 1], e.g. Decimal('0.8')"
    cut = to_fraction(share, "share", allowed=allowed)
    if not 0 < cut <= 1:
        raise ValidationError("share", "is not in (0, 1]", allowed=allowed)
    amounts = _amounts(values)
    units = amounts.units
    order = sorted(units, key=units.__getitem__, reverse=True)
    ranked = [units[k] for k in order]
    cumulative = list(itertools.accumulate(ranked))
    total = cumulative[-1] if cumulative else 0
    size = 0
    if total:
        # before(i) = cumulative[i - 1]; the vital few are the i with before(i) < cut·T,
        # i.e. before(i) < ceil(cut·T) in integers, then the rest of the last tie group
        target = -(-cut.numerator * total // cut.denominator)
        size = min(bisect.bisect_left(cumulative, target) + 1, len(order))
        while size < len(order) and ranked[size] == ranked[size - 1]:
            size += 1
    vital_value = cumulative[size - 1] if size else 0
    return ParetoResult(
        vital_few=frozenset(order[:size]),
        trivial_many=frozenset(order[size:]),
        customer_share=Fraction(size, len(order)) if order else None,
        value_share=Fraction(vital_value, total) if total else None,
        share=cut,
    )


def lorenz_curve(values: Mapping[K, Value]) -> tuple[tuple[Fraction, Fraction], ...]:
    """The Lorenz curve: (share of customers, share of value) with customers sorted
    by value ascending, from (0, 0) to (1, 1). If the total is 0 (or there is no
    customer) the curve is the line of equality."""
    units = sorted(_amounts(values).units.values())
    n, total = len(units), sum(units)
    if n == 0:
        return ((Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)))
    points = [(Fraction(0), Fraction(0))]
    running = 0
    for i, value in enumerate(units, start=1):
        running += value
        points.append((Fraction(i, n), Fraction(running, total) if total else Fraction(i, n)))
    return tuple(points)


def gini(values: Mapping[K, Value]) -> Fraction | None:
    """The Gini coefficient, exact: G = 2·Σ i·x₍ᵢ₎ ÷ (n·Σx) − (n + 1) ÷ n, with
    x sorted ascending and i from 1. 0 for equal values (or a zero total), at
    most (n − 1)/n; ``None`` without customers."""
    units = sorted(_amounts(values).units.values())
    n, total = len(units), sum(units)
    if n == 0:
        return None
    if total == 0:
        return Fraction(0)
    weighted = sum(i * x for i, x in enumerate(units, start=1))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)
