"""The value plans (ABC, Pareto, Gini, Lorenz), run on every engine, equal the
pure functions on the same data.

Inputs are built to hit ties (values from small pools, zeros, all-zero
totals, one customer, none), thresholds in both boundary modes up to 1, and
values scaled by 10**k. Tables are loaded in random order (a table has
none); the pure function is given its input in key order, the order the
results iterate in."""

from decimal import Decimal
from fractions import Fraction
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.engines import run
from crmcore.analytics import abc_classes, gini, lorenz_curve, pareto
from crmcore.analytics.plans import (
    abc_plan,
    gini_plan,
    lorenz_plan,
    pareto_plan,
)
from crmcore.domain.money import Money
from tests.engines.tables import ENGINES, EXAMPLES, Loaded, close, load

KEYS = st.text(alphabet="abZé1", min_size=1, max_size=3)
POOL = [Decimal(0), Decimal(1), Decimal("2.5"), Decimal(3), Decimal("10.25"), Decimal(40)]
VALUES = st.dictionaries(KEYS, st.sampled_from(POOL), max_size=10)
CUTS = [
    Fraction(1, 5),
    Fraction(1, 3),
    Fraction(1, 2),
    Fraction(4, 5),
    Fraction(19, 20),
    Fraction(1),
]
THRESHOLDS = st.lists(st.sampled_from(CUTS), min_size=1, max_size=3, unique=True).map(
    lambda cuts: tuple(sorted(cuts))
)
ZONES = st.sampled_from(
    ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "America/St_Johns"]
)
VALUE_COLUMNS = [("order", "text"), ("at", "decimal")]


def _values(
    engine: str, values: dict[str, Decimal], k: int, rnd: st.DataObject
) -> tuple[dict[str, Decimal], Loaded]:
    scaled = {key: value.scaleb(k) for key, value in values.items()}
    rows = rnd.draw(st.permutations(sorted(scaled.items())))
    return scaled, load(engine, VALUE_COLUMNS, rows)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES)
@given(
    values=VALUES,
    k=st.integers(0, 6),
    thresholds=THRESHOLDS,
    boundary=st.sampled_from(["covering", "inclusive"]),
    money=st.booleans(),
    rnd=st.data(),
)
def test_abc_plan_equals_abc_classes(
    engine: str,
    values: dict[str, Decimal],
    k: int,
    thresholds: tuple[Fraction, ...],
    boundary: Literal["covering", "inclusive"],
    money: bool,
    rnd: st.DataObject,
) -> None:
    scaled, loaded = _values(engine, values, k, rnd)
    currency = "EUR" if money else None
    try:
        plan = abc_plan(
            loaded.table,
            key="order",
            value="at",
            thresholds=thresholds,
            boundary=boundary,
            currency=currency,
        )
        got = run(plan, loaded.connection)
    finally:
        close(loaded)
    given_ = {key: Money(v, "EUR") if money else v for key, v in sorted(scaled.items())}
    expected = abc_classes(given_, thresholds=thresholds, boundary=boundary)
    assert list(got.items()) == list(expected.items())
    if money and not values:  # abc_classes cannot know the currency of no values; a plan can
        assert got.total == Money(0, "EUR")
        assert [c.count for c in got.classes.values()] == [0] * (len(thresholds) + 1)
        return
    assert got.classes == expected.classes
    assert got.crossings == expected.crossings
    assert got.total == expected.total
    assert (got.thresholds, got.boundary) == (expected.thresholds, expected.boundary)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES)
@given(values=VALUES, k=st.integers(0, 6), share=st.sampled_from(CUTS), rnd=st.data())
def test_pareto_gini_and_lorenz_plans_equal_the_pure_functions(
    engine: str, values: dict[str, Decimal], k: int, share: Fraction, rnd: st.DataObject
) -> None:
    scaled, loaded = _values(engine, values, k, rnd)
    try:
        table, connection = loaded.table, loaded.connection
        got_pareto = run(pareto_plan(table, key="order", value="at", share=share), connection)
        got_gini = run(gini_plan(table, key="order", value="at"), connection)
        got_lorenz = run(lorenz_plan(table, key="order", value="at"), connection)
    finally:
        close(loaded)
    assert got_pareto == pareto(scaled, share=share)
    assert got_gini == gini(scaled)
    assert got_lorenz == lorenz_curve(scaled)
