"""Analytics at scale: pure crmcore, crmcore on DuckDB and pandas, side by side.

For ABC classes (customer values) and ``rfm_summary`` (transactions: one
customer per ten rows, aware timestamps, DECIMAL amounts) at 10^5, 10^6 and
10^7 rows (``--quick``: 10^5 and 10^6), each timed once (``--case abc`` or
``--case transactions`` runs one half):

- pure crmcore: the function on Python inputs already built (building them
  is shown in parentheses: it is part of what DuckDB saves);
- DuckDB SQL: the plan's main statement executed into a table inside the
  engine (``CREATE TABLE ... AS``), nothing fetched;
- DuckDB end to end: ``run(plan, connection)``, checks, fetching and
  building the pure function's result type included;
- pandas: what a pandas user would write (float64 values for ABC; a
  groupby per customer and day for the summary), not exact.

And the BG/NBD fit at scale: ``btyd_triples_plan`` + ``BetaGeo.fit_counts``
against building the pure-Python summary. Usage:
``python benchmarks/engines.py [--quick]``; ``make bench`` runs it.
"""

import gc
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pendulum

from crmcore.adapters.engines import run
from crmcore.analytics import Transaction, abc_classes
from crmcore.analytics.btyd import BetaGeo, rfm_summary
from crmcore.analytics.plans import abc_plan, btyd_triples_plan, rfm_summary_plan
from crmcore.domain.money import Money

END = pendulum.date(2021, 12, 31)
Add = Callable[..., None]


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _values_table(con: Any, n: int) -> None:
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"CREATE OR REPLACE TABLE v AS SELECT 'k' || i AS key, "
        f"CAST(floor(random() * 1000000) / 100 AS DECIMAL(18, 2)) AS value FROM range({n}) t(i)"
    )


def _transactions_table(con: Any, n: int) -> None:
    """n purchases of about n/10 customers, skewed as a customer base is: a
    customer's share falls with its number (many buy once, a few often), and
    each buys between a first day and a last day of its own (dropout)."""
    customers = max(n // 10, 1)
    con.execute("SELECT setseed(0.42)")
    con.execute(
        "CREATE OR REPLACE TABLE tx AS SELECT 'c' || c AS customer, "
        "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(CAST(floor("
        "(birth + random() * life) * 86400) AS BIGINT)) AS at, "
        "CAST(floor(random() * 50000) / 100 AS DECIMAL(18, 2)) AS amount FROM ("
        f"SELECT c, hash(c) % 730 AS birth, hash(c * 7 + 1) % (730 - hash(c) % 730) + 1 AS life "
        f"FROM (SELECT CAST(floor({customers} * pow(random(), 3)) AS BIGINT) AS c "
        f"FROM range({n}) t(i)))"
    )


def _pandas_abc(frame: pd.DataFrame) -> pd.Series:
    ordered = frame.sort_values("value", ascending=False)
    groups = ordered.groupby("value", sort=False)["value"].agg(["sum"]).iloc[::-1]
    groups = groups.sort_index(ascending=False)
    before = groups["sum"].cumsum() - groups["sum"]
    total = groups["sum"].sum()
    labels = np.where(before < 0.8 * total, "A", np.where(before < 0.95 * total, "B", "C"))
    classes = pd.Series(labels, index=groups.index)
    return ordered["value"].map(classes)


def _pandas_summary(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[frame["day"] <= pd.Timestamp(END)]
    days = frame.groupby(["customer", "day"], sort=False)["amount"].sum().reset_index()
    per = days.groupby("customer").agg(
        first=("day", "min"), last=("day", "max"), n=("day", "size"), total=("amount", "sum")
    )
    first_spent = days.merge(per[["first"]], left_on="customer", right_index=True)
    first_spent = first_spent[first_spent["day"] == first_spent["first"]]
    per["frequency"] = per["n"] - 1
    per["recency"] = (per["last"] - per["first"]).dt.days / 7
    per["T"] = (pd.Timestamp(END) - per["first"]).dt.days / 7
    repeat = per["total"] - first_spent.set_index("customer")["amount"]
    per["monetary_value"] = (repeat / per["frequency"]).where(per["frequency"] > 0, 0.0)
    return per


def side_by_side(add: Add, quick: bool, cases: tuple[str, ...] = ("abc", "transactions")) -> None:
    sizes = (10**5, 10**6) if quick else (10**5, 10**6, 10**7)
    con = duckdb.connect()
    for n in sizes:
        if "abc" in cases:
            _abc(add, con, n)
        if "transactions" in cases:
            _transactions(add, con, n)
    con.close()


def _abc(add: Add, con: Any, n: int) -> None:
    """ABC over n customer values."""
    _values_table(con, n)
    plan = abc_plan("v", key="key", value="value")
    built, values = _timed(lambda: dict(con.execute("SELECT key, value FROM v").fetchall()))
    pure, expected = _timed(lambda values=values: abc_classes(values))
    sql, _ = _timed(
        lambda plan=plan: con.execute(f"CREATE OR REPLACE TABLE out AS {plan.sql('duckdb')}")
    )
    ours, got = _timed(lambda plan=plan: run(plan, con))
    assert got.classes == expected.classes
    frame = pd.DataFrame({"value": np.array([float(v) for v in values.values()])})
    panda, _ = _timed(lambda frame=frame: _pandas_abc(frame))
    del values, expected, got, frame
    add("ABC", n, pure=pure, built=built, sql=sql, ours=ours, pandas=panda)


def _transactions(add: Add, con: Any, n: int) -> None:
    """rfm_summary over n transactions, and the BG/NBD fit from their triples."""
    _transactions_table(con, n)
    plan_s = rfm_summary_plan(
        "tx", customer="customer", at="at", amount="amount", currency="EUR",
        observation_end=END,
    )  # fmt: skip
    rows = con.execute('SELECT customer, "at", amount FROM tx').fetchall()
    built, transactions = _timed(
        lambda rows=rows: [Transaction(c, a, Money(m, "EUR")) for c, a, m in rows]
    )
    del rows
    pure, expected = _timed(lambda t=transactions: rfm_summary(t, observation_end=END))
    sql, _ = _timed(
        lambda p=plan_s: con.execute(f"CREATE OR REPLACE TABLE out AS {p.sql('duckdb')}")
    )
    ours, got = _timed(lambda p=plan_s: run(p, con))
    assert len(got) == len(expected)
    frame = con.execute(
        "SELECT customer, CAST(timezone('UTC', \"at\") AS DATE) AS day, "
        "CAST(amount AS DOUBLE) AS amount FROM tx"
    ).df()
    frame["day"] = pd.to_datetime(frame["day"])
    panda, _ = _timed(lambda frame=frame: _pandas_summary(frame))
    add("rfm_summary", n, pure=pure, built=built, sql=sql, ours=ours, pandas=panda)

    # BG/NBD at scale: the fit from pushed-down triples vs building the summary
    triples_plan = btyd_triples_plan(
        "tx", customer="customer", at="at", amount="amount", currency="EUR",
        observation_end=END,
    )  # fmt: skip
    fit, model = _timed(lambda p=triples_plan: BetaGeo.fit_counts(run(p, con)))
    assert model == BetaGeo.fit(expected)
    add("BG/NBD fit from triples", n, pure=pure + built, built=None, sql=None, ours=fit,
        pandas=None)  # fmt: skip
    del transactions, expected, got, frame


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--case", choices=["abc", "transactions"], action="append")
    arguments = parser.parse_args()
    quick = arguments.quick
    print(
        "| case | rows | pure crmcore (inputs built) | DuckDB SQL | DuckDB end to end | pandas "
        "| SQL speed-up | end-to-end speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def add(case: str, n: int, **times: float | None) -> None:
        def cell(name: str) -> str:
            value = times[name]
            return "-" if value is None else f"{value:.2f} s"

        pure, sql, ours = times["pure"], times["sql"], times["ours"]
        assert pure is not None
        assert ours is not None
        built = "" if times["built"] is None else f" (+{times['built']:.2f} s)"
        speed = "-" if sql is None else f"{pure / sql:.0f}x"
        print(
            f"| {case} | {n:,} | {pure:.2f} s{built} | {cell('sql')} | {ours:.2f} s "
            f"| {cell('pandas')} | {speed} | {pure / ours:.1f}x |",
            flush=True,
        )

    side_by_side(add, quick, tuple(arguments.case or ("abc", "transactions")))


if __name__ == "__main__":
    main()
