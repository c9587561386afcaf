"""Laws of the retention formula and of the BG/NBD predictions."""

import math
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.analytics import lifetime_value
from crmcore.analytics.btyd import BetaGeo

RATES = st.fractions(min_value=0, max_value=1, max_denominator=1000)
DISCOUNTS = st.fractions(min_value=0, max_value=2, max_denominator=1000)
MARGINS = st.integers(min_value=1, max_value=10**6).map(lambda n: Money.of(n, "EUR"))
TIMINGS = st.sampled_from(["end", "start"])


def _converges(r: Fraction, d: Fraction) -> bool:
    return r < 1 + d


@given(MARGINS, RATES, DISCOUNTS, TIMINGS, st.integers(min_value=1, max_value=200))
def test_the_closed_form_is_the_limit_of_the_finite_sum(
    m: Money, r: Fraction, d: Fraction, timing: str, periods: int
) -> None:
    assume(_converges(r, d))
    infinite = lifetime_value(margin=m, retention=r, discount_rate=d, timing=timing)
    finite = lifetime_value(margin=m, retention=r, discount_rate=d, timing=timing, periods=periods)
    q = r / (1 + d)
    # what is left after T periods is the whole series scaled by q^T: the sums converge to it
    assert infinite.exact - finite.exact == q**periods * infinite.exact
    assert finite.exact <= infinite.exact


@given(MARGINS, RATES, DISCOUNTS, TIMINGS, st.integers(min_value=1, max_value=50))
def test_the_finite_value_is_the_sum_of_its_terms(
    m: Money, r: Fraction, d: Fraction, timing: str, periods: int
) -> None:
    result = lifetime_value(margin=m, retention=r, discount_rate=d, timing=timing, periods=periods)
    q = r / (1 + d)
    powers = range(periods) if timing == "start" else range(1, periods + 1)
    assert result.exact == sum(Fraction(m.amount) * q**t for t in powers)
    assert len(result.terms) == periods


@given(MARGINS, MARGINS, RATES, DISCOUNTS, TIMINGS)
def test_value_increases_with_margin(
    m1: Money, m2: Money, r: Fraction, d: Fraction, timing: str
) -> None:
    assume(_converges(r, d) and m1 != m2)
    low, high = sorted([m1, m2], key=lambda m: m.amount)
    v_low = lifetime_value(margin=low, retention=r, discount_rate=d, timing=timing).exact
    v_high = lifetime_value(margin=high, retention=r, discount_rate=d, timing=timing).exact
    assert v_low <= v_high
    if r > 0 or timing == "start":
        assert v_low < v_high


@given(MARGINS, RATES, RATES, DISCOUNTS, TIMINGS)
def test_value_increases_with_retention(
    m: Money, r1: Fraction, r2: Fraction, d: Fraction, timing: str
) -> None:
    low, high = sorted([r1, r2])
    assume(low != high and _converges(high, d))
    v_low = lifetime_value(margin=m, retention=low, discount_rate=d, timing=timing).exact
    v_high = lifetime_value(margin=m, retention=high, discount_rate=d, timing=timing).exact
    assert v_low < v_high


@given(MARGINS, RATES, DISCOUNTS, DISCOUNTS, TIMINGS)
def test_value_decreases_with_the_discount_rate(
    m: Money, r: Fraction, d1: Fraction, d2: Fraction, timing: str
) -> None:
    low, high = sorted([d1, d2])
    assume(low != high and _converges(r, low))
    v_low = lifetime_value(margin=m, retention=r, discount_rate=low, timing=timing).exact
    v_high = lifetime_value(margin=m, retention=r, discount_rate=high, timing=timing).exact
    if r > 0:
        assert v_low > v_high
    else:
        assert v_low == v_high


@given(MARGINS, RATES, DISCOUNTS)
def test_start_minus_end_is_one_margin(m: Money, r: Fraction, d: Fraction) -> None:
    assume(_converges(r, d))
    start = lifetime_value(margin=m, retention=r, discount_rate=d, timing="start")
    end = lifetime_value(margin=m, retention=r, discount_rate=d, timing="end")
    assert start.exact - end.exact == Fraction(m.amount)


# BG/NBD ---------------------------------------------------------------------------------

PARAMS = st.builds(
    BetaGeo,
    r=st.floats(min_value=0.05, max_value=5),
    alpha=st.floats(min_value=0.5, max_value=50),
    a=st.floats(min_value=0.1, max_value=5).filter(lambda a: abs(a - 1) > 1e-3),
    b=st.floats(min_value=0.1, max_value=5),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, float, float]:
    T = draw(st.floats(min_value=0, max_value=100))
    x = draw(st.integers(min_value=0, max_value=300))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0, max_value=T))
    return x, t_x, T


@given(PARAMS, histories())
def test_probability_alive_is_a_probability(
    model: BetaGeo, history: tuple[int, float, float]
) -> None:
    p = model.probability_alive(*history)
    assert 0 <= p <= 1


@given(
    PARAMS,
    histories(),
    st.floats(min_value=0, max_value=50),
    st.floats(min_value=0.01, max_value=50),
)
def test_expected_purchases_increase_with_time(
    model: BetaGeo, history: tuple[int, float, float], t: float, more: float
) -> None:
    before = model.expected_purchases(t, *history)
    after = model.expected_purchases(t + more, *history)
    assert 0 <= before <= after * (1 + 1e-9) + 1e-12
    population_before = model.expected_purchases_population(t)
    assert population_before <= model.expected_purchases_population(t + more) * (1 + 1e-9) + 1e-12


@given(PARAMS, st.floats(min_value=0, max_value=20))
def test_the_purchase_count_distribution_sums_to_one(model: BetaGeo, t: float) -> None:
    total = 0.0
    for n in range(2000):
        p = model.probability_of_purchases(n, t)
        assert 0 <= p <= 1 + 1e-12
        total += p
        if n > 10 and p < 1e-16:
            break
    assert math.isclose(total, 1.0, abs_tol=1e-6)
