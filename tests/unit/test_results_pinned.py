"""Every field of a few analytics results, pinned (mutation testing found
fields, formulas and limits that no test read)."""

from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest

from crmcore import Money, ValidationError
from crmcore.analytics import Bands, Transaction, abc_classes, lifetime_value, pareto
from crmcore.analytics.btyd import BetaGeo, GammaGamma, clv, rfm_summary

EUR = Money.of("100", "EUR")


@pytest.mark.parametrize(
    ("timing", "periods", "formula"),
    [
        ("end", None, "m·r/(1+d−r): margin at the end of each period, infinite horizon"),
        ("start", None, "m·(1+d)/(1+d−r): margin at the start of each period, infinite horizon"),
        ("end", 3, "Σ_{t=1..T} m·r^t/(1+d)^t with T = 3: margin at the end of each period"),
        ("start", 3, "Σ_{t=0..T−1} m·r^t/(1+d)^t with T = 3: margin at the start of each period"),
    ],
)
def test_lifetime_value_states_its_formula_and_inputs(
    timing: str, periods: int | None, formula: str
) -> None:
    cost = Money.of("30", "EUR")
    result = lifetime_value(
        margin=EUR,
        retention="0.8",
        discount_rate="0.1",
        periods=periods,
        timing=timing,
        acquisition_cost=cost,
    )
    assert result.formula == formula + ", minus the acquisition cost"
    assert (result.timing, result.periods) == (timing, periods)
    assert (result.margin, result.acquisition_cost) == (EUR, cost)
    assert (result.retention, result.discount_rate) == (Fraction(4, 5), Fraction(1, 10))
    plain = lifetime_value(
        margin=EUR, retention="0.8", discount_rate="0.1", periods=periods, timing=timing
    )
    assert plain.formula == formula
    assert plain.acquisition_cost is None
    assert result.exact == plain.exact - 30


def test_btyd_clv_states_its_inputs() -> None:
    start = pendulum.Date(2030, 1, 1)
    transactions = [
        Transaction(customer_id="c1", at=start.add(weeks=w), amount=Money.of(10 + w, "EUR"))
        for w in (0, 3, 7)
    ]
    summary = rfm_summary(transactions, observation_end=pendulum.Date(2030, 6, 1))
    models = BetaGeo(r=0.24, alpha=4.41, a=0.79, b=2.43), GammaGamma(p=6.25, q=3.74, v=15.44)
    result = clv(*models, summary, months=1200, monthly_discount_rate="0.01")
    assert (result.months, result.unit) == (1200, "week")
    prediction = result["c1"]
    assert prediction.customer_id == "c1"
    c1 = summary["c1"]
    assert prediction.expected_spend == models[1].expected_spend(c1.frequency, c1.monetary_value)
    assert len(prediction.purchases_by_month) == 1200
    free = clv(*models, summary, months=12, monthly_discount_rate="0.01", margin=0)
    assert free["c1"].value == Money.of(0, "EUR")
    half = clv(*models, summary, months=12, monthly_discount_rate="0.01", margin="0.5")
    full = clv(*models, summary, months=12, monthly_discount_rate="0.01")
    # the model layer is floating point: a margin of 0.5 halves the float exactly,
    # and each Money is that float's shortest decimal
    assert float(half["c1"].value.amount) == float(full["c1"].value.amount) / 2
    with pytest.raises(ValidationError, match="margin"):
        clv(*models, summary, months=12, monthly_discount_rate="0.01", margin=-1)
    with pytest.raises(ValidationError, match="months"):
        clv(*models, summary, months=1201, monthly_discount_rate="0.01")


def test_segmentation_values_may_be_zero_but_not_negative() -> None:
    assert pareto({"a": 0, "b": 5}).vital_few == frozenset({"b"})
    assert abc_classes({"a": Money.of(0, "EUR"), "b": EUR})["a"] == "C"
    with pytest.raises(ValidationError, match="values"):
        pareto({"a": -1, "b": 5})
    with pytest.raises(ValidationError, match="values"):
        pareto({"a": Decimal("-0.01"), "b": 5})
    assert pareto({"a": Decimal("0.25"), "b": Decimal("1.25")}).vital_few == frozenset({"b"})


def test_band_edges_must_increase_strictly() -> None:
    assert Bands("x", (1, 2)).edges == (Fraction(1), Fraction(2))
    with pytest.raises(ValidationError, match="edges"):
        Bands("x", (1, 1))
    with pytest.raises(ValidationError, match="edges"):
        Bands("x", (1, "x"))
    with pytest.raises(ValidationError, match="edges"):
        Bands("x", "12")
