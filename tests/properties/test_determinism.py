"""Results do not depend on global state: the `decimal` context, the time zone,
pendulum's locale, or the hash seed.

The hostile `decimal` context keeps one significant digit and traps every
signal, so any arithmetic that used the caller's context instead of
crmcore's own raises here (and would round silently in a user's program).
"""

import decimal
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, commands, services
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.analytics import (
    CashFlow,
    Transaction,
    abc_classes,
    coverage,
    forecast,
    gini,
    historical_value,
    lifetime_value,
    lorenz_curve,
    pareto,
    rfm,
    sales_cycle,
    sales_velocity,
    stage_conversion,
    stale,
    time_in_stage,
    weighted_pipeline,
    win_rate,
)
from crmcore.analytics.btyd import BetaGeo, GammaGamma, clv, rfm_summary
from crmcore.analytics.vendors import Requirement, score_vendors
from crmcore.cli import tour
from crmcore.domain.pipeline import DEFAULT_PIPELINE
from crmcore.testing import SequentialIds
from crmcore.testing import strategies as crm
from tests.clocks import LATER

HOSTILE = decimal.Context(
    prec=1,
    rounding=decimal.ROUND_UP,
    Emin=-3,
    Emax=3,
    traps=[
        decimal.Inexact,
        decimal.Rounded,
        decimal.FloatOperation,
        decimal.Clamped,
        decimal.Subnormal,
        decimal.Underflow,
        decimal.Overflow,
        decimal.DivisionByZero,
        decimal.InvalidOperation,
    ],
)
AS_OF = pendulum.datetime(2100, 1, 1, tz="UTC")


def under_hostile_context(work: Callable[[], Any]) -> Any:
    with decimal.localcontext(HOSTILE):
        return work()


def plain(value: Any) -> Any:
    """``value`` as nested builtins, so that results without ``==`` compare too."""
    if attrs.has(type(value)):
        return (
            type(value).__name__,
            {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))},
        )
    if isinstance(value, Mapping):
        return (type(value).__name__, {plain(k): plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def the_same_everywhere(work: Callable[[], Any]) -> None:
    expected = plain(work())
    assert plain(under_hostile_context(work)) == expected


BIG = crm.money(currency="EUR", min_value=Decimal("1000.01"), max_value=10**12)


@given(
    opportunities=st.lists(crm.opportunities(), max_size=6),
    values=st.dictionaries(crm.ids(prefix="c"), BIG, min_size=1, max_size=8),
)
def test_pipeline_and_segmentation_ignore_the_decimal_context(
    opportunities: list[Any], values: dict[str, Money]
) -> None:
    def work() -> Any:
        eur = [o for o in opportunities if o.amount.currency == "EUR"]
        return (
            weighted_pipeline(opportunities),
            forecast(opportunities),
            win_rate(opportunities),
            sales_cycle(opportunities),
            sales_velocity(opportunities, as_of=AS_OF),
            stale(opportunities, as_of=AS_OF),
            dict(time_in_stage(opportunities, as_of=AS_OF)),
            stage_conversion(opportunities, DEFAULT_PIPELINE),
            coverage(eur, Money.of("1234567.89", "EUR")),
            pareto(values),
            abc_classes(values),
            gini(values),
            lorenz_curve(values),
        )

    the_same_everywhere(work)


@given(
    amounts=st.lists(BIG, min_size=1, max_size=8),
    retention=st.decimals("0.01", "0.99", places=4),
    discount=st.decimals("0.01", "0.5", places=4),
)
def test_customer_value_ignores_the_decimal_context(
    amounts: list[Money], retention: Decimal, discount: Decimal
) -> None:
    start = pendulum.datetime(2030, 1, 1, tz="UTC")
    transactions = [
        Transaction(customer_id=f"c{i % 3}", at=start.add(days=17 * i), amount=amount)
        for i, amount in enumerate(amounts)
    ]

    def work() -> Any:
        summary = rfm_summary(transactions, observation_end=pendulum.Date(2031, 1, 1))
        return (
            lifetime_value(
                margin=amounts[0], retention=retention, discount_rate=discount, periods=12
            ),
            lifetime_value(margin=amounts[0], retention=retention, discount_rate=discount),
            historical_value(
                [CashFlow(on=t.day, revenue=t.amount, cost=t.amount / 3) for t in transactions],
                as_of=pendulum.Date(2032, 6, 1),
                annual_discount_rate="0.07",
            ),
            rfm(transactions, as_of=pendulum.Date(2031, 1, 1)),
            summary,
            clv(
                BetaGeo(r=0.24, alpha=4.41, a=0.79, b=2.43),
                GammaGamma(p=6.25, q=3.74, v=15.44),
                summary,
                months=12,
                monthly_discount_rate="0.01",
            ),
            sum(amounts[1:], amounts[0]),
            amounts[0].rounded() * Decimal("1.2345"),
            amounts[0] / 7,
            amounts[0].rounded().allocate([1, 2, 3]),
            score_vendors(
                [Requirement("a", "high"), Requirement("b", "low")],
                {
                    "X": {"a": "out of the box", "b": "not available"},
                    "Y": {"a": "not available", "b": "out of the box"},
                },
            ),
        )

    the_same_everywhere(work)


def test_services_ignore_the_decimal_context() -> None:
    def work() -> Any:
        uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
        at = pendulum.datetime(2030, 1, 1, tz="UTC")
        customer = services.handle(uow, commands.RegisterProspect(name="N", at=at))
        deal = services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=customer, title="t", amount=Money.of("123456.78", "EUR"), at=at
            ),
        )
        contract = services.handle(
            uow, commands.WinOpportunity(opportunity_id=deal, at=at.add(days=1))
        )
        services.handle(
            uow,
            commands.RecordPayment(
                contract_id=contract, amount=Money.of("23456.78", "EUR"), at=at.add(days=2)
            ),
        )
        return uow.store.snapshot()

    the_same_everywhere(work)


def test_the_tour_ignores_the_decimal_context_and_pendulum_locale() -> None:
    expected = tour.run().render("text")
    assert under_hostile_context(lambda: tour.run().render("text")) == expected
    locale = pendulum.get_locale()
    pendulum.set_locale("de")
    try:
        assert tour.run().render("text") == expected
    finally:
        pendulum.set_locale(locale)


def _tour(**env: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "crmcore", "tour"],
        capture_output=True,
        check=True,
        env={**os.environ, **env},
    )
    return done.stdout


@pytest.mark.skipif(not hasattr(__import__("time"), "tzset"), reason="needs time.tzset")
def test_two_tours_are_identical_bytes_in_any_time_zone_and_hash_seed() -> None:
    first = _tour(TZ="UTC", PYTHONHASHSEED="1")
    assert first
    assert _tour(TZ="Pacific/Kiritimati", PYTHONHASHSEED="2") == first
    assert _tour(TZ="America/St_Johns", PYTHONHASHSEED="3", LC_ALL="de_DE.UTF-8") == first
