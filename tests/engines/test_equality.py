"""Every plan, run on every engine, equals the pure function on the same data.

Inputs are built to hit ties (values from small pools, zeros, all-zero
totals, one customer, none), thresholds in both boundary modes up to 1,
purchases on one day, after the observation end and near midnight in
session time zones other than UTC, values scaled by 10**k. Tables are
loaded in random order (a table has none); the pure function is given its
input in key order, the order the results iterate in.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore.adapters.engines import run
from crmcore.analytics import abc_classes, gini, lorenz_curve, pareto, weighted_pipeline
from crmcore.analytics.btyd import rfm_summary
from crmcore.analytics.plans import (
    abc_plan,
    btyd_triples_plan,
    gini_plan,
    lorenz_plan,
    pareto_plan,
    rfm_plan,
    rfm_summary_plan,
    weighted_pipeline_plan,
)
from crmcore.analytics.rfm import rfm
from crmcore.analytics.transactions import Transaction
from crmcore.domain.money import Money
from crmcore.domain.opportunities import Opportunity
from crmcore.testing.strategies import opportunities
from tests.engines.tables import ENGINES, close, load

KEYS = st.text(alphabet="abZé1", min_size=1, max_size=3)
POOL = [Decimal(0), Decimal(1), Decimal("2.5"), Decimal(3), Decimal("10.25"), Decimal(40)]
VALUES = st.dictionaries(KEYS, st.sampled_from(POOL), max_size=10)
CUTS = [Fraction(1, 5), Fraction(1, 3), Fraction(1, 2), Fraction(4, 5), Fraction(19, 20), 1]
THRESHOLDS = st.lists(st.sampled_from(CUTS), min_size=1, max_size=3, unique=True).map(
    lambda cuts: tuple(sorted(Fraction(c) for c in cuts))
)
ZONES = st.sampled_from(
    ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "America/St_Johns"]
)
VALUE_COLUMNS = [("order", "text"), ("at", "decimal")]


def _values(engine: str, values: dict[str, Decimal], k: int, rnd: st.DataObject) -> object:
    scaled = {key: value.scaleb(k) for key, value in values.items()}
    rows = rnd.draw(st.permutations(sorted(scaled.items())))
    return scaled, load(engine, VALUE_COLUMNS, rows)


@pytest.mark.parametrize("engine", ENGINES)
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
    boundary: str,
    money: bool,
    rnd: st.DataObject,
) -> None:
    scaled, loaded = _values(engine, values, k, rnd)
    currency = "EUR" if money else None
    try:
        plan = abc_plan(
            loaded.table,  # type: ignore[attr-defined]
            key="order",
            value="at",
            thresholds=thresholds,
            boundary=boundary,  # type: ignore[arg-type]
            currency=currency,
        )
        got = run(plan, loaded.connection)  # type: ignore[attr-defined]
    finally:
        close(loaded)  # type: ignore[arg-type]
    given_ = {key: Money(v, "EUR") if money else v for key, v in sorted(scaled.items())}
    expected = abc_classes(given_, thresholds=thresholds, boundary=boundary)  # type: ignore[arg-type]
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
@given(values=VALUES, k=st.integers(0, 6), share=st.sampled_from(CUTS), rnd=st.data())
def test_pareto_gini_and_lorenz_plans_equal_the_pure_functions(
    engine: str, values: dict[str, Decimal], k: int, share: Fraction, rnd: st.DataObject
) -> None:
    scaled, loaded = _values(engine, values, k, rnd)
    try:
        table, connection = loaded.table, loaded.connection  # type: ignore[attr-defined]
        got_pareto = run(pareto_plan(table, key="order", value="at", share=share), connection)
        got_gini = run(gini_plan(table, key="order", value="at"), connection)
        got_lorenz = run(lorenz_plan(table, key="order", value="at"), connection)
    finally:
        close(loaded)  # type: ignore[arg-type]
    assert got_pareto == pareto(scaled, share=share)  # type: ignore[arg-type]
    assert got_gini == gini(scaled)  # type: ignore[arg-type]
    assert got_lorenz == lorenz_curve(scaled)  # type: ignore[arg-type]


BASE = dt.datetime(2024, 3, 9, tzinfo=dt.UTC)  # US daylight saving time starts on the 10th
MINUTES = [0, 1, 59, 5 * 60 + 29, 5 * 60 + 31, 19 * 60 + 30, 23 * 60 + 59]
OFFSETS = [0, -5 * 60, 5 * 60 + 30, 14 * 60, -(3 * 60 + 30)]


@st.composite
def purchases(draw: st.DrawFn) -> list[tuple[str, dt.datetime, Decimal]]:
    """(customer, aware time in some offset, amount): few customers and days."""
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["c1", "c2", "c3", "Ω4"]),
                st.integers(-1, 8),
                st.sampled_from(MINUTES),
                st.sampled_from(OFFSETS),
                st.sampled_from(POOL),
            ),
            max_size=14,
        )
    )
    result = []
    for customer, day, minute, offset, amount in rows:
        at = BASE + dt.timedelta(days=day, minutes=minute)
        result.append((customer, at.astimezone(dt.timezone(dt.timedelta(minutes=offset))), amount))
    return result


TX_COLUMNS = [("customer", "text"), ("at", "timestamptz"), ("amount", "money")]


def _transactions(rows: list[tuple[str, dt.datetime, Decimal]]) -> list[Transaction]:
    return [Transaction(c, at, Money(a, "EUR")) for c, at, a in rows]


@pytest.mark.parametrize("engine", ENGINES)
@given(
    rows=purchases(),
    end=st.integers(-1, 8),
    unit=st.sampled_from(["day", "week", "month"]),
    zone=ZONES,
    rnd=st.data(),
)
def test_rfm_summary_plan_and_triples_equal_the_summary(
    engine: str,
    rows: list[tuple[str, dt.datetime, Decimal]],
    end: int,
    unit: str,
    zone: str,
    rnd: st.DataObject,
) -> None:
    observation_end = pendulum.date(2024, 3, 9).add(days=end)
    loaded = load(engine, TX_COLUMNS, rnd.draw(st.permutations(rows)), zone=zone)
    arguments = {
        "customer": "customer",
        "at": "at",
        "amount": "amount",
        "currency": "EUR",
        "observation_end": observation_end,
        "unit": unit,
    }
    try:
        summary = run(rfm_summary_plan(loaded.table, **arguments), loaded.connection)  # type: ignore[arg-type]
        triples = run(btyd_triples_plan(loaded.table, **arguments), loaded.connection)  # type: ignore[arg-type]
    finally:
        close(loaded)
    expected = rfm_summary(_transactions(rows), observation_end=observation_end, unit=unit)
    assert list(summary.items()) == list(expected.items())
    assert (summary.unit, summary.observation_end) == (expected.unit, expected.observation_end)
    counted = Counter((s.frequency, s.recency, s.T) for s in expected.values())
    assert triples == tuple(sorted((*key, n) for key, n in counted.items()))


@pytest.mark.parametrize("engine", ENGINES)
@given(
    rows=purchases(),
    end=st.integers(-1, 8),
    bins=st.integers(1, 7),
    named=st.lists(st.sampled_from(["c1", "c2", "c9"]), max_size=3),
    zone=ZONES,
    rnd=st.data(),
)
def test_rfm_plan_equals_rfm(
    engine: str,
    rows: list[tuple[str, dt.datetime, Decimal]],
    end: int,
    bins: int,
    named: list[str],
    zone: str,
    rnd: st.DataObject,
) -> None:
    as_of = pendulum.date(2024, 3, 9).add(days=end)
    loaded = load(engine, TX_COLUMNS, rnd.draw(st.permutations(rows)), zone=zone)
    try:
        plan = rfm_plan(
            loaded.table,
            customer="customer",
            at="at",
            amount="amount",
            currency="EUR",
            as_of=as_of,
            bins=bins,
            customers=named,
        )
        got = run(plan, loaded.connection)
    finally:
        close(loaded)
    expected = rfm(_transactions(rows), as_of=as_of, bins=bins, customers=named)
    assert list(got.items()) == list(expected.items())
    assert got.cutoffs == expected.cutoffs
    assert (got.inactive, got.as_of, got.bins) == (expected.inactive, expected.as_of, expected.bins)


@pytest.mark.parametrize("engine", ENGINES)
@given(
    days=st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 5), st.sampled_from(POOL)),
        max_size=8,
    ),
    zone=ZONES,
)
def test_date_columns_are_taken_as_they_are_in_any_session_zone(
    engine: str, days: list[tuple[str, int, Decimal]], zone: str
) -> None:
    rows = [(c, dt.date(2024, 3, 9) + dt.timedelta(days=d), a) for c, d, a in days]
    loaded = load(engine, [("c", "text"), ("d", "date"), ("a", "money")], rows, zone=zone)
    end = pendulum.date(2024, 3, 12)
    try:
        plan = rfm_summary_plan(
            loaded.table,
            customer="c",
            at="d",
            amount="a",
            currency="EUR",
            observation_end=end,
            at_type="date",
        )
        got = run(plan, loaded.connection)
    finally:
        close(loaded)
    transactions = [Transaction(c, d, Money(a, "EUR")) for c, d, a in rows]
    assert list(got.items()) == list(rfm_summary(transactions, observation_end=end).items())


@pytest.mark.parametrize("engine", ENGINES)
@given(book=st.lists(opportunities(), max_size=6), rnd=st.data())
def test_weighted_pipeline_plan_equals_weighted_pipeline(
    engine: str, book: list[Opportunity], rnd: st.DataObject
) -> None:
    rows = [
        (o.amount.amount, o.amount.currency, o.probability, o.is_open) for o in book
    ]
    assume(all(r[0].as_tuple().exponent >= -4 and r[0] < 10**14 for r in rows))  # type: ignore[operator]
    assume(all(r[2].as_tuple().exponent >= -4 for r in rows))  # type: ignore[operator]
    columns = [("amount", "money"), ("currency", "text"), ("p", "probability"), ("open", "boolean")]
    loaded = load(engine, columns, rnd.draw(st.permutations(rows)))
    try:
        plan = weighted_pipeline_plan(
            loaded.table, amount="amount", currency="currency", probability="p", is_open="open"
        )
        got = run(plan, loaded.connection)
    finally:
        close(loaded)
    expected = weighted_pipeline(book)
    assert dict(got) == dict(expected)
    assert list(got) == sorted(expected)
    assert dict(got.unweighted) == dict(expected.unweighted)
    assert dict(got.counts) == dict(expected.counts)
