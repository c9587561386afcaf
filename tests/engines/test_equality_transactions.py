"""The transaction plans (RFM, the BTYD summary and its triples), run on every
engine, equal the pure functions: few customers and days, purchases on one
day, after the observation end and near midnight, given in several UTC
offsets, read in sessions whose time zone is not UTC, tables loaded in
random order."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.engines import run
from crmcore.analytics.btyd import rfm_summary
from crmcore.analytics.plans import (
    btyd_triples_plan,
    rfm_plan,
    rfm_summary_plan,
)
from crmcore.analytics.rfm import rfm
from crmcore.analytics.transactions import Transaction
from crmcore.domain.money import Money
from tests.engines.tables import ENGINES, EXAMPLES, close, load

POOL = [Decimal(0), Decimal(1), Decimal("2.5"), Decimal(3), Decimal("10.25"), Decimal(40)]
ZONES = st.sampled_from(
    ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "America/St_Johns"]
)


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
@settings(max_examples=EXAMPLES)
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
    arguments: dict[str, Any] = {
        "customer": "customer",
        "at": "at",
        "amount": "amount",
        "currency": "EUR",
        "observation_end": observation_end,
        "unit": unit,
    }
    try:
        summary = run(rfm_summary_plan(loaded.table, **arguments), loaded.connection)
        triples = run(btyd_triples_plan(loaded.table, **arguments), loaded.connection)
    finally:
        close(loaded)
    expected = rfm_summary(_transactions(rows), observation_end=observation_end, unit=unit)
    assert list(summary.items()) == list(expected.items())
    assert (summary.unit, summary.observation_end) == (expected.unit, expected.observation_end)
    counted = Counter((s.frequency, s.recency, s.T) for s in expected.values())
    assert triples == tuple(sorted((*key, n) for key, n in counted.items()))


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES)
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
@settings(max_examples=EXAMPLES)
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
