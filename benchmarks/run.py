"""`make bench`: crmcore against what users would use instead, as ratios.

Each case runs crmcore and its baseline alternately, for several rounds after
a warm-up, and reports the median time of each, the median of the per-round
ratios crmcore ÷ baseline, and, where a case is measured at n and 10n, the
growth factor t(10n) ÷ t(n). Machines are shared and noisy: read the ratios,
not the absolute times. Results go to stdout as a Markdown table and to
``benchmarks/results.json``.

Usage: ``python benchmarks/run.py [--quick]`` (``--quick``: fewer rounds and
smaller sizes, for a smoke test).
"""

import argparse
import gc
import itertools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pendulum
import sqlalchemy as sa
from scipy import special

from crmcore import (
    Contract,
    Customer,
    Interaction,
    LifecyclePhase,
    Money,
    Opportunity,
    PhaseChange,
    Profile,
    RecordKind,
    commands,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.adapters.sql import SqlStore, SqlUnitOfWork
from crmcore.adapters.tracking import with_version
from crmcore.analytics import Transaction, abc_classes, lifetime_value, pareto, weighted_pipeline
from crmcore.analytics.btyd import BetaGeo, rfm_summary
from crmcore.analytics.vendors import Ability, Priority, Requirement, score_vendors
from crmcore.testing import FixedClock, SequentialIds

sys.path.insert(0, str(Path(__file__).resolve().parent))
import functions_before as before  # beside this script
from customer_base import side_by_side

from engines import side_by_side as engines_side_by_side

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
T0 = pendulum.datetime(2030, 1, 1, tz="UTC")

Record = dict[str, Any]


def _clock(function: Callable[[], object], collect: bool = True) -> float:
    if collect:
        gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def alternate(
    ours: Callable[[], object], theirs: Callable[[], object] | None, rounds: int
) -> tuple[float, float | None, float | None]:
    """Median of ours, median of theirs, median of the per-round ratios."""
    ours()
    if theirs is not None:
        theirs()
    mine, base, ratios = [], [], []
    for _ in range(rounds):
        a = _clock(ours)
        mine.append(a)
        if theirs is not None:
            b = _clock(theirs)
            base.append(b)
            ratios.append(a / b)
    if theirs is None:
        return statistics.median(mine), None, None
    return statistics.median(mine), statistics.median(base), statistics.median(ratios)


def interleaved(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int
) -> tuple[float, float, float]:
    """Median of ours, median of theirs, median of the per-round ratios, over
    many short rounds whose order switches every round: a slow patch of a
    noisy machine then hits both sides of a few rounds, not one side of a
    long run. For a small difference (the cost of `handle`) where a few long
    rounds spread by +-5 % between runs. No collection before each round
    (the stores grow over the rounds: a full collection would cost more than
    a round)."""
    ours()
    theirs()
    mine, base, ratios = [], [], []
    for n in range(rounds):
        if n % 2 == 0:
            a = _clock(ours, collect=False)
            b = _clock(theirs, collect=False)
        else:
            b = _clock(theirs, collect=False)
            a = _clock(ours, collect=False)
        mine.append(a)
        base.append(b)
        ratios.append(a / b)
    return statistics.median(mine), statistics.median(base), statistics.median(ratios)


# Data ---------------------------------------------------------------------------------------


def _ints(n: int, seed: int = 1) -> dict[str, int]:
    rnd = random.Random(seed)
    return {f"c{i}": rnd.randrange(0, 1_000_000) for i in range(n)}


def _pandas_abc(values: dict[str, int], thresholds: tuple[float, ...]) -> dict[str, str]:
    series = pd.Series(values).sort_values(ascending=False, kind="stable")
    cumulative = series.cumsum().to_numpy()
    total = cumulative[-1]
    before = cumulative - series.to_numpy()
    labels = np.full(len(series), "C", dtype=object)
    # covering rule: a customer is in A while the value before it is below 80 %
    cut_a = np.searchsorted(before, thresholds[0] * total, side="left")
    cut_b = np.searchsorted(before, thresholds[-1] * total, side="left")
    labels[:cut_a] = "A"
    labels[cut_a:cut_b] = "B"
    return dict(zip(series.index, labels, strict=True))


def _pandas_pareto(values: dict[str, int]) -> set[str]:
    series = pd.Series(values).sort_values(ascending=False, kind="stable")
    cumulative = series.cumsum().to_numpy()
    before = cumulative - series.to_numpy()
    cut = np.searchsorted(before, 0.8 * cumulative[-1], side="left")
    return set(series.index[:cut])


@attrs.frozen(kw_only=True)
class BareCustomer:
    """The same fields as `Customer`, no validation."""

    customer_id: str
    name: str
    profile: Any
    phase: Any
    open_contracts: tuple[str, ...]
    ever_fulfilled: bool
    phase_history: tuple[Any, ...]
    interactions: tuple[Any, ...]
    last_contract_at: Any
    changed_at: Any
    owner: Any
    team: Any
    version: int
    pending_events: tuple[Any, ...]


@attrs.frozen(kw_only=True)
class BareOpportunity:
    """The fields of `Opportunity` that a stage move changes, and the rest, no validation."""

    opportunity_id: str
    customer_id: str
    title: str
    amount: Any
    pipeline: Any
    stage_name: str
    history: tuple[Any, ...]
    changed_at: Any
    expected_close: Any
    probability_override: Any
    lost_reason: Any
    close_date_pushes: int
    approval: Any
    owner: Any
    team: Any
    version: int
    pending_events: tuple[Any, ...]


def _customers(n: int) -> list[Customer]:
    return [Customer.prospect(customer_id=f"c{i}", name=f"Name {i}", at=T0) for i in range(n)]


def _bare_customers(n: int) -> list[BareCustomer]:
    profile = Profile()
    return [
        BareCustomer(
            customer_id=f"c{i}",
            name=f"Name {i}",
            profile=profile,
            phase=LifecyclePhase.ACQUISITION,
            open_contracts=(),
            ever_fulfilled=False,
            phase_history=(PhaseChange(LifecyclePhase.ACQUISITION, T0, "prospected"),),
            interactions=(),
            last_contract_at=None,
            changed_at=T0,
            owner=None,
            team=None,
            version=0,
            pending_events=(),
        )
        for i in range(n)
    ]


def _opportunities(n: int) -> list[Opportunity]:
    return [
        Opportunity.open(
            opportunity_id=f"o{i}",
            customer_id=f"c{i % 1000}",
            title="deal",
            amount=Money.of(100 + i % 9000, "USD"),
            at=T0,
        )
        for i in range(n)
    ]


STAGES = ["Contact", "Proposal", "Product demonstration", "Negotiation", "Research"]


def _moves(opportunities: list[Opportunity], moves: int) -> None:
    current = list(opportunities)
    n = len(current)
    for k in range(moves):
        i = k % n
        opp = current[i]
        target = STAGES[(k // n) % len(STAGES)]
        if opp.stage_name == target:
            target = STAGES[(k // n + 1) % len(STAGES)]
        current[i] = opp.move_to(target, at=T0.add(minutes=k // n + 1))


def _bare_moves(opportunities: list[BareOpportunity], moves: int) -> None:
    current = list(opportunities)
    n = len(current)
    for k in range(moves):
        i = k % n
        opp = current[i]
        at = T0.add(minutes=k // n + 1)
        current[i] = attrs.evolve(
            opp,
            stage_name=STAGES[(k // n) % len(STAGES)],
            history=(*opp.history, (STAGES[(k // n) % len(STAGES)], at)),
            changed_at=at,
        )


def _bare_opportunities(opportunities: list[Opportunity]) -> list[BareOpportunity]:
    return [
        BareOpportunity(**{f.name: getattr(o, f.name) for f in attrs.fields(BareOpportunity)})
        for o in opportunities
    ]


def _bare_opportunity_list(n: int) -> list[BareOpportunity]:
    """What `_opportunities` builds, as bare attrs objects with the same field values."""
    pipeline = Opportunity.open(
        opportunity_id="o", customer_id="c", title="deal", amount=Money.of(1, "USD"), at=T0
    ).pipeline
    return [
        BareOpportunity(
            opportunity_id=f"o{i}",
            customer_id=f"c{i % 1000}",
            title="deal",
            amount=Money.of(100 + i % 9000, "USD"),
            pipeline=pipeline,
            stage_name="Research",
            history=(("Research", T0, None),),
            changed_at=T0,
            expected_close=None,
            probability_override=None,
            lost_reason=None,
            close_date_pushes=0,
            approval=None,
            owner=None,
            team=None,
            version=0,
            pending_events=(("opened", T0),),
        )
        for i in range(n)
    ]


def _cdnow() -> list[Transaction]:
    rows = []
    for line in (ROOT / "tests" / "data" / "cdnow_sample.txt").read_text().splitlines():
        customer, _, day, _, dollars = line.split()
        on = pendulum.date(int(day[:4]), int(day[4:6]), int(day[6:]))
        rows.append(Transaction(customer, on, Money.of(dollars, "USD")))
    return rows


def _numpy_expected(model: BetaGeo, t: float, x: Any, t_x: Any, big_t: Any) -> Any:
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    first = (
        (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
    )
    odds = (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
    return first / (1 + odds)


def _life(uow: InMemoryUnitOfWork, i: int) -> None:
    at = T0.add(hours=i)
    customer = services.handle(uow, commands.RegisterProspect(name=f"C{i}", at=at))
    services.handle(
        uow,
        commands.LogInteraction(
            customer_id=customer, channel="phone", direction="out", subject="hi", at=at
        ),
    )
    opp = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer, title="deal", amount=Money.of(1000 + i % 500, "USD"), at=at
        ),
    )
    services.handle(
        uow, commands.MoveOpportunity(opportunity_id=opp, stage="Proposal", at=at.add(days=1))
    )
    contract = services.handle(uow, commands.WinOpportunity(opportunity_id=opp, at=at.add(days=2)))
    services.handle(uow, commands.RecordDelivery(contract_id=contract, at=at.add(days=3)))
    services.handle(
        uow,
        commands.RecordPayment(
            contract_id=contract, amount=Money.of(1000 + i % 500, "USD"), at=at.add(days=4)
        ),
    )
    services.handle(
        uow, commands.LoseCustomer(customer_id=customer, reason="moved away", at=at.add(days=5))
    )
    services.handle(uow, commands.WinBackCustomer(customer_id=customer, at=at.add(days=6)))


def _direct_life(uow: InMemoryUnitOfWork, i: int) -> None:
    """The same life as `_life`, written as the use-case functions before commands
    were: one `with` block per use case, load, call the domain, save, commit."""
    at = T0.add(hours=i)
    with uow:
        customer = uow.customers.add(
            Customer.prospect(customer_id=uow.ids.new_id("cust"), name=f"C{i}", at=at)
        )
        uow.commit()
    cid = customer.customer_id
    with uow:
        c = uow.customers.get(cid)
        interaction = Interaction(channel="phone", direction="out", at=at, subject="hi")
        uow.customers.save(c.log_interaction(interaction))
        uow.commit()
    with uow:
        uow.customers.get(cid).check_can_sign()
        opp = uow.opportunities.add(
            Opportunity.open(
                opportunity_id=uow.ids.new_id("opp"),
                customer_id=cid,
                title="deal",
                amount=Money.of(1000 + i % 500, "USD"),
                at=at,
            )
        )
        uow.commit()
    oid = opp.opportunity_id
    with uow:
        uow.opportunities.save(uow.opportunities.get(oid).move_to("Proposal", at=at.add(days=1)))
        uow.commit()
    with uow:
        o = uow.opportunities.get(oid)
        c = uow.customers.get(cid)
        c.check_can_sign()
        won = o.win(at=at.add(days=2))
        contract = Contract.sign(
            contract_id=uow.ids.new_id("ctr"),
            customer_id=cid,
            opportunity_id=oid,
            amount=won.amount,
            at=at.add(days=2),
        )
        uow.opportunities.save(won)
        uow.contracts.add(contract)
        uow.customers.save(c.enter_contract(at=at.add(days=2), contract_id=contract.contract_id))
        uow.commit()
    kid = contract.contract_id
    with uow:
        uow.contracts.save(uow.contracts.get(kid).deliver(at=at.add(days=3)))
        uow.commit()
    with uow:
        paid = uow.contracts.save(
            uow.contracts.get(kid).pay(Money.of(1000 + i % 500, "USD"), at=at.add(days=4))
        )
        c = uow.customers.get(cid)
        uow.customers.save(
            c.end_contract(at=at.add(days=4), contract_id=kid, fulfilled=paid.is_fulfilled)
        )
        uow.commit()
    with uow:
        c = uow.customers.get(cid)
        uow.customers.save(c.lose(at=at.add(days=5), reason="moved away"))
        uow.commit()
    with uow:
        uow.customers.save(uow.customers.get(cid).win_back(at=at.add(days=6)))
        uow.commit()


def _before_life(uow: InMemoryUnitOfWork, i: int) -> None:
    """The same life as `_life`, through the use-case functions as they were
    before commands (`functions_before`, crmcore.services at 83479b6)."""
    at = T0.add(hours=i)
    customer = before.register_prospect(uow, name=f"C{i}", at=at)
    before.log_interaction(uow, customer, channel="phone", direction="out", subject="hi", at=at)
    opp = before.open_opportunity(
        uow, customer_id=customer, title="deal", amount=Money.of(1000 + i % 500, "USD"), at=at
    )
    before.move_opportunity(uow, opp, stage="Proposal", at=at.add(days=1))
    contract = before.win_opportunity(uow, opp, at=at.add(days=2))
    before.record_delivery(uow, contract, at=at.add(days=3))
    before.record_payment(uow, contract, amount=Money.of(1000 + i % 500, "USD"), at=at.add(days=4))
    before.lose_customer(uow, customer, reason="moved away", at=at.add(days=5))
    before.win_back_customer(uow, customer, at=at.add(days=6))


LATER = FixedClock(pendulum.datetime(2100, 1, 1, tz="UTC"))
"""The benchmarks' use cases live in 2030: their units of work read this clock."""
_FOLDER = tempfile.TemporaryDirectory(prefix="crmcore-bench-")
_DATABASES = itertools.count()


class _Databases:
    """SQL stores for the benchmarks: SQLite files, and a PostgreSQL server
    started on first use (the test suite's, `tests/sql/postgres.py`)."""

    def __init__(self) -> None:
        self.server: Any = None

    def sqlite(self) -> SqlUnitOfWork:
        path = Path(_FOLDER.name) / f"bench-{next(_DATABASES)}.sqlite3"
        store = SqlStore(sa.create_engine(f"sqlite:///{path}"), create=True)
        return SqlUnitOfWork(store, clock=LATER)

    def postgres(self) -> SqlUnitOfWork:
        if self.server is None:
            root = str(Path(__file__).resolve().parents[1])
            if root not in sys.path:
                sys.path.insert(0, root)  # the test suite's server lives beside the package
            from tests.sql.postgres import PostgresServer

            self.server = PostgresServer()
            self.engine = sa.create_engine(self.server.start())
        schema = self.server.fresh_schema(self.engine)
        return SqlUnitOfWork(SqlStore(self.engine, schema=schema, create=True), clock=LATER)

    def stop(self) -> None:
        if self.server is not None:
            self.engine.dispose()
            self.server.stop()


DATABASES = _Databases()
STORES: list[tuple[str, Callable[[], Any]]] = [
    ("in-memory", lambda: InMemoryUnitOfWork(InMemoryStore(), clock=LATER)),
    ("SQL store on SQLite", DATABASES.sqlite),
    ("SQL store on PostgreSQL", DATABASES.postgres),
]


def _lives(n: int, uow: Any = None) -> None:
    if uow is None:
        uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    for i in range(n):
        _life(uow, i)


def _query_store(n: int, uow: Any, per_customer: int = 1) -> list[str]:
    """``n`` opportunities, ``per_customer`` of each customer, stored in one
    transaction through the store's own `apply` (an import: the benchmark
    measures the queries, not the loading)."""
    at = pendulum.datetime(2030, 1, 1, tz="UTC")
    amount = Money.of("10", "EUR")
    ids = [f"cust-{i:07d}" for i in range(n // per_customer)]
    writes: dict[Any, Any] = {}
    for i, customer_id in enumerate(ids):
        customer = Customer.prospect(customer_id=customer_id, name="C", at=at)
        writes[RecordKind.CUSTOMER, customer_id] = (1, with_version(customer, 1))
        for j in range(per_customer):
            opportunity = Opportunity.open(
                opportunity_id=f"opp-{i:07d}-{j:02d}",
                customer_id=customer_id,
                title="t",
                amount=amount,
                at=at,
            )
            writes[RecordKind.OPPORTUNITY, opportunity.opportunity_id] = (
                1,
                with_version(opportunity, 1),
            )
    uow.store.apply(dict.fromkeys(writes), writes)
    return ids


def _queries(uow: Any, customer_ids: list[str], count: int, size: int = 1) -> None:
    """``count`` queries for a page of one customer's opportunities, each in
    its own block: the same number of queries at every store size (customers
    spread over the store, taken again when there are fewer than ``count``)."""
    step = max(1, len(customer_ids) // count)
    spread = customer_ids[::step]
    for n in range(count):
        customer_id = spread[n % len(spread)]
        with uow:
            found = uow.select(RecordKind.OPPORTUNITY, {"customer_id": customer_id}, limit=50)
        assert len(found) == size


def _import_time(statement: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak(build: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    kept = build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak / 2**20


# The cases ------------------------------------------------------------------------------------


def run(quick: bool) -> list[Record]:
    rounds = 3 if quick else 5
    scale = 10 if quick else 1
    records: list[Record] = []

    def add(
        case: str,
        n: int,
        mine: float,
        base: float | None,
        ratio: float | None,
        aim: str,
        growth: float | None = None,
    ) -> None:
        records.append(
            {
                "case": case,
                "n": n,
                "crmcore_s": round(mine, 4),
                "baseline_s": None if base is None else round(base, 4),
                "ratio": None if ratio is None else round(ratio, 2),
                "aim": aim,
                "growth": None if growth is None else round(growth, 2),
            }
        )
        shown = "-" if ratio is None else f"{ratio:.2f}"
        print(f"  {case} n={n}: crmcore {mine:.3f} s, ratio {shown}", file=sys.stderr, flush=True)

    # ABC and Pareto, 10^5 and 10^6
    for case, ours_fn, theirs_fn, aim in (
        ("ABC classes", lambda v: abc_classes(v), lambda v: _pandas_abc(v, (0.8, 0.95)), "<= 4x"),
        ("Pareto split", lambda v: pareto(v), _pandas_pareto, "<= 4x"),
    ):
        small = None
        for n in (10**5 // scale, 10**6 // scale):
            values = _ints(n)
            mine, base, ratio = alternate(
                lambda: ours_fn(values), lambda: theirs_fn(values), rounds
            )
            growth = None if small is None else mine / small
            small = mine
            add(case, n, mine, base, ratio, aim, growth)

    # building customers
    small = None
    for n in (10**4 // scale, 10**5 // scale):
        mine, base, ratio = alternate(lambda: _customers(n), lambda: _bare_customers(n), rounds)
        growth = None if small is None else mine / small
        small = mine
        add("building customers", n, mine, base, ratio, "<= 5x", growth)

    # stage moves
    small = None
    for opportunities_n, moves in (
        (10**3 // scale, 10**4 // scale),
        (10**4 // scale, 10**5 // scale),
    ):
        opps = _opportunities(opportunities_n)
        bare = _bare_opportunities(opps)
        mine, base, ratio = alternate(
            lambda: _moves(opps, moves), lambda: _bare_moves(bare, moves), rounds
        )
        growth = None if small is None else mine / small
        small = mine
        add("stage moves", moves, mine, base, ratio, "<= 5x", growth)

    # weighted pipeline
    small = None
    for n in (10**5 // scale, 10**6 // scale):
        opps = _opportunities(n)

        def loop(items: list[Opportunity] = opps) -> dict[str, Decimal]:
            totals: dict[str, Decimal] = {}
            for o in items:
                if o.is_open:
                    c = o.amount.currency
                    totals[c] = totals.get(c, Decimal(0)) + o.amount.amount * o.probability
            return totals

        mine, base, ratio = alternate(lambda: weighted_pipeline(opps), loop, rounds)
        growth = None if small is None else mine / small
        small = mine
        add("weighted pipeline", n, mine, base, ratio, "<= 1.5x", growth)

    # vendor scoring
    requirements = [Requirement(f"r{i}", list(Priority)[i % 3]) for i in range(1000 // scale)]
    abilities = list(Ability)
    ratings = {
        f"v{v}": {r.name: abilities[(v * 7 + i) % 4] for i, r in enumerate(requirements)}
        for v in range(100)
    }
    points = {Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}
    ability_points = {
        Ability.OUT_OF_THE_BOX: 4,
        Ability.MINOR_CUSTOMIZATION: 3,
        Ability.MAJOR_CUSTOMIZATION: 1,
        Ability.NOT_AVAILABLE: 0,
    }

    def nested() -> dict[str, int]:
        return {
            vendor: sum(points[r.priority] * ability_points[rated[r.name]] for r in requirements)
            for vendor, rated in ratings.items()
        }

    mine, base, ratio = alternate(lambda: score_vendors(requirements, ratings), nested, rounds)
    add("vendor scoring (100 vendors)", len(requirements), mine, base, ratio, "<= 3x")

    # retention CLV
    customers_n = 10**4 // scale
    margins = [Money.of(100 + i % 97, "USD") for i in range(customers_n)]

    def ours_clv() -> None:
        for m in margins:
            lifetime_value(
                margin=m, retention=Decimal("0.8"), discount_rate=Decimal("0.1"), periods=120
            )

    def fractions_clv() -> None:
        r, d = Fraction(8, 10), Fraction(1, 10)
        for m in margins:
            amount = Fraction(m.amount)
            total = Fraction(0)
            for t in range(1, 121):
                total += amount * r**t / (1 + d) ** t

    mine, base, ratio = alternate(ours_clv, fractions_clv, max(1, rounds - 2))
    add("retention CLV (120 periods)", customers_n, mine, base, ratio, "<= 2x")

    # BG/NBD
    transactions = _cdnow()
    summary = rfm_summary(transactions, observation_end=pendulum.date(1997, 9, 30))
    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    rows = [(s.frequency, float(s.recency), float(s.T)) for s in summary.values()]
    x = np.array([r[0] for r in rows], dtype=float)
    t_x = np.array([r[1] for r in rows])
    big_t = np.array([r[2] for r in rows])

    def ours_predict() -> list[float]:
        return [model.expected_purchases(39, a, b, c) for a, b, c in rows]

    mine, base, ratio = alternate(
        ours_predict, lambda: _numpy_expected(model, 39.0, x, t_x, big_t), rounds
    )
    add("BG/NBD predictions (CDNOW)", len(rows), mine, base, ratio, "report")

    replicated = {
        f"{k}-{copy}": v for copy in range(10 // scale if quick else 10) for k, v in summary.items()
    }
    fit_small, _, _ = alternate(lambda: BetaGeo.fit(summary), None, max(1, rounds // 2))
    add("BG/NBD fit", len(summary), fit_small, None, None, "growth <= 12x")
    fit_big, _, _ = alternate(lambda: BetaGeo.fit(replicated), None, max(1, rounds // 2))
    add("BG/NBD fit", len(replicated), fit_big, None, None, "growth <= 12x", fit_big / fit_small)

    # the customer-base models side by side with lifetimes (distinct customers)
    side_by_side(add, alternate, transactions, quick)

    # analytics at scale: crmcore on DuckDB against pure crmcore and pandas
    previous: dict[str, float] = {}

    def add_engine(case: str, n: int, **times: float | None) -> None:
        pure, sql, ours, pandas = times["pure"], times["sql"], times["ours"], times["pandas"]
        assert pure is not None
        assert ours is not None
        growth = None if case not in previous else ours / previous[case]
        previous[case] = ours
        if case == "BG/NBD fit from triples":
            add("BG/NBD fit from triples on DuckDB vs building the pure summary", n, ours, pure,
                ours / pure, "<= 0.1x at 10^7", growth)  # fmt: skip
            return
        add(f"{case} on DuckDB, end to end, vs pure crmcore", n, ours, pure, ours / pure,
            "<= 0.2x at 10^7", growth)  # fmt: skip
        assert sql is not None
        add(f"{case} on DuckDB, the SQL alone, vs pure crmcore", n, sql, pure, sql / pure,
            "<= 0.05x at 10^7")  # fmt: skip
        if pandas is not None:
            add(f"{case} on DuckDB, end to end, vs pandas", n, ours, pandas, ours / pandas,
                "<= 1.0x at 10^7")  # fmt: skip

    engines_side_by_side(add_engine, quick)

    # services: handle against what it replaced, life by life on stores that
    # grow over the rounds (20 lives a round on each side)
    lives_small = 10**3 // scale
    chunk, chunk_rounds = 20, 300 // scale
    baselines: list[tuple[str, Callable[[InMemoryUnitOfWork, int], None], str]] = [
        ("the use-case functions before commands", _before_life, "<= 1.1x"),
        ("bare unit-of-work code (no checks of arguments or access)", _direct_life, "report"),
    ]
    for label, baseline, aim in baselines:
        ours_uow, their_uow = (
            InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER) for _ in "ab"
        )
        ours_count, their_count = itertools.count(), itertools.count()
        mine, theirs, ratio = interleaved(
            lambda u=ours_uow, c=ours_count: [_life(u, next(c)) for _ in range(chunk)],
            lambda u=their_uow, c=their_count, f=baseline: [f(u, next(c)) for _ in range(chunk)],
            chunk_rounds,
        )
        add(
            f"customer lives: handle vs {label} ({chunk_rounds} rounds of {chunk})",
            chunk,
            mine,
            theirs,
            ratio,
            aim,
        )
    mine, _, _ = alternate(lambda: _lives(lives_small), None, max(1, rounds // 2))
    a = mine  # the per-customer growth below compares with a run at lives_small
    b, _, _ = alternate(lambda: _lives(lives_small * 10), None, max(1, rounds // 2))
    add(
        "customer lives through handle",
        lives_small * 10,
        b,
        None,
        None,
        "per-customer <= 1.3x",
        (b / 10) / a,
    )

    # use cases on each store, against the in-memory store
    lives = 200 // scale
    base_lives, _, _ = alternate(lambda: _lives(lives), None, max(1, rounds // 2))
    for store_name, make in STORES[1:]:
        took, _, _ = alternate(lambda: _lives(lives, make()), None, max(1, rounds // 2))
        add(
            f"customer lives ({store_name}; 9 use cases each)",
            lives,
            took,
            base_lives,
            took / base_lives,
            f"report: {9 * lives / took:,.0f} use cases/s "
            f"(in-memory {9 * lives / base_lives:,.0f})",
        )

    # one customer's opportunities, on a small and a large store
    for store_name, make in STORES:
        timings = []
        for n in (10**3, 10**5 // scale):
            uow = make()
            customer_ids = _query_store(n, uow)
            mine, _, _ = alternate(lambda: _queries(uow, customer_ids, 500), None, rounds)
            timings.append(mine)
            add(
                f"query one customer's opportunities ({store_name}, 500 queries)",
                n,
                mine,
                None,
                None,
                "10^5 <= 2x 10^3",
                None if len(timings) == 1 else timings[1] / timings[0],
            )

    # a page of 50 of one customer's opportunities, on a small and a large SQL store
    for store_name, make in STORES[1:]:
        timings = []
        for n in (10**3, 10**5 // scale):
            uow = make()
            customer_ids = _query_store(n, uow, per_customer=50)
            mine, _, _ = alternate(lambda: _queries(uow, customer_ids, 200, 50), None, rounds)
            timings.append(mine)
            add(
                f"a page of 50 opportunities of one customer ({store_name}, 200 pages)",
                n,
                mine,
                None,
                None,
                "10^5 <= 3x 10^3",
                None if len(timings) == 1 else timings[1] / timings[0],
            )
    DATABASES.stop()

    # import time
    runs = 5 if quick else 15
    mine = _import_time("import crmcore", runs)
    base = _import_time("import attrs, pendulum", runs)
    add("import crmcore", 1, mine, base, mine / base, "<= 1.5x")
    # names load on first use; this is the cost of loading all of them
    everything = _import_time(
        "import crmcore; [getattr(crmcore, n) for n in crmcore.__all__]", runs
    )
    add("import crmcore, every name loaded", 1, everything, base, everything / base, "report")

    # memory
    n = 10**5 // scale
    add(
        "peak MiB: customers",
        n,
        _peak(lambda: _customers(n)),
        _peak(lambda: _bare_customers(n)),
        None,
        "report",
    )
    records[-1]["ratio"] = round(records[-1]["crmcore_s"] / records[-1]["baseline_s"], 2)
    add(
        "peak MiB: opportunities",
        n,
        _peak(lambda: _opportunities(n)),
        _peak(lambda: _bare_opportunity_list(n)),
        None,
        "report",
    )
    records[-1]["ratio"] = round(records[-1]["crmcore_s"] / records[-1]["baseline_s"], 2)
    return records


def _table(records: list[Record]) -> str:
    lines = [
        "| case | n | crmcore | baseline | ratio | aim | growth |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in records:
        unit = " MiB" if r["case"].startswith("peak") else " s"
        base = "" if r["baseline_s"] is None else f"{r['baseline_s']}{unit}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']}x"
        growth = "" if r["growth"] is None else f"{r['growth']}x"
        lines.append(
            f"| {r['case']} | {r['n']:,} | {r['crmcore_s']}{unit} | {base} | {ratio} "
            f"| {r['aim']} | {growth} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    started = time.perf_counter()
    records = run(quick)
    machine = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": os.cpu_count(),
        "quick": quick,
        "seconds": round(time.perf_counter() - started, 1),
    }
    output = HERE / "results.json"
    temporary = output.with_suffix(".json.tmp")
    temporary.write_text(json.dumps({"machine": machine, "results": records}, indent=2) + "\n")
    temporary.replace(output)
    print(_table(records))
    print(
        f"Measured on {machine['system']} {machine['machine']}, {machine['cpus']} CPUs, "
        f"Python {machine['python']}; {machine['seconds']} s in all."
    )


if __name__ == "__main__":
    main()
