"""BTYD: the summary, BG/NBD and Gamma-Gamma, validated on the CDNOW sample."""

import csv
import math
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special

from crmcore import CurrencyMismatchError, Money, ValidationError
from crmcore.analytics import Transaction, btyd
from crmcore.analytics.btyd import (
    BetaGeo,
    GammaGamma,
    RfmSummaries,
    _bgnbd,
    _fitting,
    _numbers,
    _spend,
    clv,
    rfm_summary,
)
from crmcore.errors import ConvergenceError, MissingExtraError, ModelError

DATA = Path(__file__).resolve().parents[1] / "data"
END = pendulum.date(1997, 9, 30)
D = pendulum.date


def _cdnow() -> list[Transaction]:
    rows = []
    for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
        fields = line.split()
        day = fields[2]
        rows.append(
            Transaction(
                fields[0],
                pendulum.date(int(day[:4]), int(day[4:6]), int(day[6:])),
                Money.of(fields[4], "USD"),
            )
        )
    return rows


@pytest.fixture(scope="module")
def summary() -> RfmSummaries:
    return rfm_summary(_cdnow(), observation_end=END, unit="week")


@pytest.fixture(scope="module")
def beta_geo(summary: RfmSummaries) -> BetaGeo:
    return BetaGeo.fit(summary)


@pytest.fixture(scope="module")
def gamma_gamma(summary: RfmSummaries) -> GammaGamma:
    return GammaGamma.fit(summary)


# The summary ---------------------------------------------------------------------------


def test_the_summary_conventions() -> None:
    t = [
        Transaction("a", D(2030, 1, 1), Money.of("10", "EUR")),
        Transaction("a", D(2030, 1, 1), Money.of("5", "EUR")),  # same day: one purchase
        Transaction("a", D(2030, 1, 8), Money.of("20", "EUR")),
        Transaction("a", pendulum.datetime(2030, 1, 15, 23, tz="UTC"), Money.of("40", "EUR")),
        Transaction("a", D(2030, 3, 1), Money.of("99", "EUR")),  # after the end: ignored
        Transaction("b", D(2030, 1, 29), Money.of("7", "EUR")),
    ]
    weeks = rfm_summary(t, observation_end=D(2030, 1, 29))
    a = weeks["a"]
    assert (a.frequency, a.recency, a.T, a.unit) == (2, Fraction(2), Fraction(4), "week")
    assert a.monetary_value == Money.of("30", "EUR")  # mean of the repeat days 20 and 40
    assert (a.first_purchase, a.last_purchase) == (D(2030, 1, 1), D(2030, 1, 15))
    b = weeks["b"]
    assert (b.frequency, b.recency, b.T) == (0, Fraction(0), Fraction(0))
    assert b.monetary_value == Money.of("0", "EUR")
    assert list(weeks) == ["a", "b"]
    assert weeks.unit == "week"
    assert "unit='week'" in repr(weeks)
    days = rfm_summary(t, observation_end=D(2030, 1, 29), unit="day")
    assert (days["a"].recency, days["a"].T) == (Fraction(14), Fraction(28))
    months = rfm_summary(t, observation_end=D(2030, 1, 31), unit="month")
    assert Fraction(30, 30) == months["a"].T
    assert rfm_summary([], observation_end=END) == {}


def test_the_summary_rejects_bad_input() -> None:
    with pytest.raises(ValidationError) as caught:
        rfm_summary([], observation_end=END, unit="fortnight")
    assert caught.value.field == "unit"
    with pytest.raises(ValidationError) as caught:
        rfm_summary(["a"], observation_end=END)  # type: ignore[list-item]
    assert caught.value.field == "transactions"
    with pytest.raises(CurrencyMismatchError):
        rfm_summary(
            [
                Transaction("a", D(1997, 1, 1), Money.of("1", "USD")),
                Transaction("a", D(1997, 1, 2), Money.of("1", "EUR")),
            ],
            observation_end=END,
        )


def test_the_cdnow_summary_matches_the_published_one(summary: RfmSummaries) -> None:
    with (DATA / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        published = list(csv.DictReader(handle))
    # the published rows are in the order of the sample's second column, the sample id
    sample_id = {}
    for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
        master, sample, *_ = line.split()
        sample_id[master] = int(sample)
    ordered = sorted(summary.values(), key=lambda s: sample_id[s.customer_id])
    assert len(summary) == len(published) == 2357
    for ours, theirs in zip(ordered, published, strict=True):
        assert ours.frequency == int(theirs["x"])
        assert abs(float(ours.recency) - float(theirs["t_x"])) <= 0.005 + 1e-9
        assert abs(float(ours.T) - float(theirs["T"])) <= 0.005 + 1e-9
        assert abs(float(ours.monetary_value.amount) - float(theirs["zbar"])) <= 0.005 + 1e-9


# Fitting: the published values -----------------------------------------------------------


def _close(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=1e-3)


Z90 = 1.6448536269514722
"""The standard normal quantile of 0.95: a 90 % interval is the estimate ± Z90 · se."""


def pin_fit(
    model: Any,
    parameters: dict[str, float],
    standard_errors: dict[str, float],
    log_likelihood: float,
    customers: int,
) -> None:
    """Everything a fit gives, pinned to this suite's full-precision values.

    mutmut credits a module-scoped fixture (a model fitted once per test
    module) to the first test that uses it, so a mutant of the fitting code
    meets that test only: each fixture's first test calls this.
    """
    for name, value in parameters.items():
        assert math.isclose(getattr(model, name), value, rel_tol=1e-6), name
    assert model.log_likelihood is not None
    assert math.isclose(model.log_likelihood, log_likelihood, rel_tol=1e-9)
    assert (model.customers, model.converged) == (customers, True)
    info = model.fit_info
    assert (info.converged, info.method) == (True, "BFGS")
    assert 0 < info.iterations <= info.evaluations < 100
    assert model.standard_errors is not None
    assert set(model.standard_errors) == set(parameters)
    intervals = model.confidence_intervals(0.9)
    for name, value in standard_errors.items():
        assert math.isclose(model.standard_errors[name], value, rel_tol=1e-4), name
        estimate, spread = getattr(model, name), Z90 * model.standard_errors[name]
        low, high = intervals[name]
        # log-scale intervals: estimate · exp(∓ z · se / estimate)
        assert math.isclose(low, estimate * math.exp(-spread / estimate), rel_tol=1e-9), name
        assert math.isclose(high, estimate * math.exp(spread / estimate), rel_tol=1e-9), name


def test_bgnbd_fit_on_cdnow(beta_geo: BetaGeo) -> None:
    pin_fit(
        beta_geo,
        {"r": 0.24259452, "alpha": 4.4136020, "a": 0.79292202, "b": 2.4259068},
        {"r": 0.012557378, "alpha": 0.37822406, "a": 0.18573382, "b": 0.70541427},
        -9582.4292066739,
        2357,
    )
    assert _close(beta_geo.r, 0.24259)
    assert _close(beta_geo.alpha, 4.41360)
    assert _close(beta_geo.a, 0.79292)
    assert _close(beta_geo.b, 2.42589)
    assert beta_geo.log_likelihood is not None
    assert _close(beta_geo.log_likelihood, -9582.429)
    assert (beta_geo.customers, beta_geo.converged) == (2357, True)
    # and within rounding of the published table (Fader, Hardie & Lee 2005)
    assert (round(beta_geo.r, 3), round(beta_geo.alpha, 3)) == (0.243, 4.414)
    assert (round(beta_geo.a, 3), round(beta_geo.b, 3)) == (0.793, 2.426)


def test_gamma_gamma_fit_on_cdnow(gamma_gamma: GammaGamma) -> None:
    pin_fit(
        gamma_gamma,
        {"p": 6.2495723, "q": 3.7442247, "v": 15.443521},
        {"p": 1.1900553, "q": 0.29013307, "v": 4.1594228},
        -4055.9176948019,
        946,
    )
    assert _close(gamma_gamma.p, 6.24957)
    assert _close(gamma_gamma.q, 3.74422)
    assert _close(gamma_gamma.v, 15.44352)
    assert gamma_gamma.log_likelihood is not None
    assert _close(gamma_gamma.log_likelihood, -4055.918)
    assert (gamma_gamma.customers, gamma_gamma.converged) == (946, True)
    assert (round(gamma_gamma.p, 2), round(gamma_gamma.q, 2)) == (6.25, 3.74)


def test_the_log_likelihood_is_the_sum_over_customers(
    beta_geo: BetaGeo, summary: RfmSummaries
) -> None:
    total = math.fsum(
        beta_geo.customer_log_likelihood(s.frequency, float(s.recency), float(s.T))
        for s in summary.values()
    )
    assert math.isclose(total, beta_geo.total_log_likelihood(summary), rel_tol=1e-12)


# Predictions: cross-checked with the textbook formulas and scipy's hyp2f1 ----------------


def _textbook_expected(model: BetaGeo, t: float, x: int, t_x: float, T: float) -> float:
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    odds = (x > 0) * a / (b + max(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return float(first / (1 + odds))


def test_predictions_match_the_textbook_formulas(beta_geo: BetaGeo, summary: RfmSummaries) -> None:
    for s in list(summary.values())[:300]:
        x, t_x, T = s.frequency, float(s.recency), float(s.T)
        for t in (1.0, 39.0, 52.0):
            ours = beta_geo.expected_purchases(t, x, t_x, T)
            assert math.isclose(ours, _textbook_expected(beta_geo, t, x, t_x, T), rel_tol=1e-9)
    population = _textbook_expected(beta_geo, 39.0, 0, 0.0, 0.0)
    assert math.isclose(beta_geo.expected_purchases_population(39.0), population, rel_tol=1e-9)
    # the customer of the published example: 2 repeat purchases, last at 30.43, T 38.86
    assert math.isclose(beta_geo.probability_alive(2, 30.43, 38.86), 0.7266, abs_tol=1e-3)
    assert beta_geo.expected_purchases(0, 2, 30.43, 38.86) == 0
    assert beta_geo.probability_alive(0, 0, 38.86) == 1


def test_hundreds_of_purchases_do_not_overflow() -> None:
    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    assert 0 <= model.probability_alive(900, 10.0, 500.0) < 1e-30
    assert 0 < model.probability_alive(900, 499.0, 500.0) <= 1
    assert math.isfinite(model.expected_purchases(52, 900, 499.0, 500.0))
    assert model.expected_purchases(52, 900, 499.0, 500.0) > 50
    assert 0 <= model.probability_of_purchases(400, 1000) <= 1


def test_the_purchase_distribution_of_a_new_customer() -> None:
    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    assert model.probability_of_purchases(0, 0) == 1
    assert model.probability_of_purchases(3, 0) == 0
    total = math.fsum(model.probability_of_purchases(n, 39) for n in range(400))
    assert math.isclose(total, 1, abs_tol=1e-6)
    mean = math.fsum(n * model.probability_of_purchases(n, 39) for n in range(400))
    assert math.isclose(mean, model.expected_purchases_population(39), rel_tol=1e-4)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((0, 4.4, 0.79, 2.4), "r"),
        ((-1.0, 4.4, 0.79, 2.4), "r"),
        ((0.2, math.nan, 0.79, 2.4), "alpha"),
        ((0.2, 4.4, math.inf, 2.4), "a"),
        ((0.2, 4.4, 0.79, True), "b"),
        ((0.2, 4.4, 0.79, "2.4"), "b"),
        ((0.2, 4.4, 10**400, 2.4), "a"),  # beyond the floats
        ((0.2, Decimal("sNaN"), 0.79, 2.4), "alpha"),  # no float at all
    ],
)
def test_model_parameters_are_validated(arguments: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BetaGeo(*arguments)
    assert caught.value.field == field
    bad = arguments[("r", "alpha", "a", "b").index(field)]
    with pytest.raises(ValidationError):
        GammaGamma(1.0, 2.0, bad)


def test_parameters_may_be_given_exactly_and_are_kept_as_floats() -> None:
    model = BetaGeo(Decimal("0.243"), 4, Fraction(793, 1000), 2.426)
    assert model == BetaGeo(0.243, 4.0, 0.793, 2.426)
    assert all(type(v) is float for v in (model.r, model.alpha, model.a, model.b))
    assert type(GammaGamma(6, Decimal("3.74"), 15.44).q) is float


def test_prediction_arguments_are_validated() -> None:
    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    with pytest.raises(ValidationError) as caught:
        model.probability_alive(2, 40.0, 38.0)
    assert caught.value.field == "t_x"
    with pytest.raises(ValidationError) as caught:
        model.probability_alive(0, 1.0, 38.0)
    assert caught.value.field == "t_x"
    with pytest.raises(ValidationError) as caught:
        model.probability_alive(-1, 0, 38.0)
    assert caught.value.field == "x"
    with pytest.raises(ValidationError) as caught:
        model.expected_purchases(-1.0, 1, 1.0, 2.0)
    assert caught.value.field == "t"
    with pytest.raises(ValidationError) as caught:
        model.expected_purchases("1", 1, 1.0, 2.0)  # type: ignore[call-overload]
    assert caught.value.field == "t"
    with pytest.raises(ValidationError) as caught:
        model.probability_of_purchases(True, 1.0)
    assert caught.value.field == "n"
    with pytest.raises(ValidationError) as caught:
        BetaGeo(0.2, 4.0, 1.0, 2.0).expected_purchases(5.0, 1, 1.0, 2.0)
    assert caught.value.field == "a"
    assert model.expected_purchases(Fraction(1, 2), 1, Decimal(1), 2) > 0


def test_pandas_and_numpy_inputs_are_accepted_and_fractional_counts_refused() -> None:
    """What a pandas column holds: numpy integers, integral floats, numpy floats."""
    import numpy as np

    model = BetaGeo(np.float64(0.243), np.float32(4.414), 0.793, np.int64(2))
    assert (model.alpha, model.b) == (float(np.float32(4.414)), 2.0)
    expected = model.probability_alive(2, 30.0, 38.0)
    for x in (np.int64(2), np.int32(2), 2.0, np.float64(2.0), Decimal("2.00")):
        assert model.probability_alive(x, np.float64(30.0), np.int64(38)) == expected
    assert model.expected_purchases(np.float32(4.0), np.uint8(2), 30.0, 38.0) == (
        model.expected_purchases(4.0, 2, 30.0, 38.0)
    )
    for bad in (2.5, np.float64(2.5), Decimal("2.5"), Decimal("1E+999999999"), Decimal(-1),
                True, np.bool_(True), math.nan,
                Decimal("sNaN"), math.inf, -1.0, 10.0**10, "2"):  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            model.probability_alive(bad, 30.0, 38.0)  # type: ignore[arg-type]
        assert caught.value.field == "x", bad
    with pytest.raises(ValidationError) as caught:
        model.expected_purchases(np.bool_(True), 2, 30.0, 38.0)
    assert caught.value.field == "t"


def test_clv_takes_float_rates_at_their_binary_value(
    beta_geo: BetaGeo, gamma_gamma: GammaGamma, summary: RfmSummaries
) -> None:
    import numpy as np

    some = {k: summary[k] for k in list(summary)[:3]}
    by_float = clv(beta_geo, gamma_gamma, some, months=6, monthly_discount_rate=0.01, margin=0.3)
    exact = clv(beta_geo, gamma_gamma, some, months=6, monthly_discount_rate=Fraction(0.01),
                margin=Fraction(0.3))  # fmt: skip
    numpy_rates = clv(beta_geo, gamma_gamma, some, months=6,
                      monthly_discount_rate=np.float64(0.01), margin=np.float64(0.3))  # fmt: skip
    assert by_float == exact == numpy_rates


def test_a_horizon_too_long_for_the_series_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_numbers, "MAX_SERIES_TERMS", 5)
    with pytest.raises(ModelError, match="did not converge"):
        BetaGeo(0.243, 4.414, 0.793, 2.426).expected_purchases_population(10_000)
    import numpy as np

    with pytest.raises(ModelError, match="did not converge"):  # the same on the array path
        BetaGeo(0.243, 4.414, 0.793, 2.426).expected_purchases(
            np.array([10_000.0]), np.array([0]), np.array([0.0]), np.array([0.0])
        )


def test_probability_of_purchases_sums_at_most_a_million_terms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = BetaGeo(0.24, 4.41, 0.79, 2.43)
    assert _numbers.MAX_PURCHASES == 1_000_000
    monkeypatch.setattr(_numbers, "MAX_PURCHASES", 1_000)
    assert 0 < model.probability_of_purchases(1_000, 10**9) < 1
    with pytest.raises(ValidationError, match=r"n: is too large .*at most 1,000\)"):
        model.probability_of_purchases(1_001, 10**9)
    with pytest.raises(ValidationError, match=r"n: is out of range .*0 to 1,000,000,000"):
        model.probability_of_purchases(10**18, 10)


def test_a_horizon_that_dwarfs_alpha_is_a_clear_error() -> None:
    model = BetaGeo(0.24, 4.41, 0.79, 2.43)
    with pytest.raises(ModelError, match=r"rounds to 1; the time horizon is too long"):
        model.expected_purchases_population(2**56)
    with pytest.raises(ModelError, match="rounds to 1"):
        model.expected_purchases(2**56, 1, 1.0, 2.0)


# Gamma-Gamma ---------------------------------------------------------------------------


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    model = GammaGamma(6.25, 3.74, 15.44)
    population = model.expected_spend(0, Money.of("0", "USD"))
    assert math.isclose(float(population.amount), 6.25 * 15.44 / 2.74, rel_tol=1e-12)
    own = model.expected_spend(2, Money.of("22.35", "USD"))
    expected = (6.25 * 15.44 + 6.25 * 2 * 22.35) / (6.25 * 2 + 3.74 - 1)
    assert math.isclose(float(own.amount), expected, rel_tol=1e-12)
    assert own.currency == "USD"
    with pytest.raises(ValidationError) as caught:
        GammaGamma(6.25, 1.0, 15.44).expected_spend(2, Money.of("22.35", "USD"))
    assert caught.value.field == "q"
    with pytest.raises(ValidationError) as caught:
        model.expected_spend(2, Money.of("-1", "USD"))
    assert caught.value.field == "mean_spend"
    assert math.isclose(model.expected_spend(2, 22.35), expected, rel_tol=1e-12)
    assert model.expected_spend(2, Decimal("22.35")) == model.expected_spend(2, 22.35)
    with pytest.raises(ValidationError) as caught:
        model.expected_spend(2, -1.0)
    assert caught.value.field == "mean_spend"
    with pytest.raises(ValidationError) as caught:
        model.expected_spend(2, "22.35")  # type: ignore[call-overload]
    assert caught.value.field == "mean_spend"


# CLV --------------------------------------------------------------------------------------


def test_clv_follows_its_formula(
    beta_geo: BetaGeo, gamma_gamma: GammaGamma, summary: RfmSummaries
) -> None:
    some = {k: summary[k] for k in list(summary)[:25]}
    result = clv(beta_geo, gamma_gamma, some, months=12, monthly_discount_rate="0.01", margin="0.3")
    assert result.unit == "week"
    assert result.units_per_month == Fraction(30, 7)
    assert "30 days" in repr(result)
    for customer_id, s in some.items():
        x, t_x, T = s.frequency, float(s.recency), float(s.T)
        spend = float(gamma_gamma.expected_spend(x, s.monetary_value).amount)
        expected = (
            0.3
            * spend
            * math.fsum(
                (
                    beta_geo.expected_purchases(m * 30 / 7, x, t_x, T)
                    - beta_geo.expected_purchases((m - 1) * 30 / 7, x, t_x, T)
                )
                / 1.01**m
                for m in range(1, 13)
            )
        )
        prediction = result[customer_id]
        assert math.isclose(float(prediction.value.amount), expected, rel_tol=1e-9)
        assert len(prediction.purchases_by_month) == 12
        # computed for all customers at once in numpy: the scalar path's float to 1e-15
        assert math.isclose(
            prediction.probability_alive, beta_geo.probability_alive(x, t_x, T), rel_tol=1e-14
        )


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"months": 0}, "months"),
        ({"months": 1201}, "months"),
        ({"monthly_discount_rate": math.nan}, "monthly_discount_rate"),
        ({"monthly_discount_rate": "-0.01"}, "monthly_discount_rate"),
        ({"monthly_discount_rate": -0.01}, "monthly_discount_rate"),
        ({"margin": math.inf}, "margin"),
        ({"margin": "-1"}, "margin"),
    ],
)
def test_clv_rejects_bad_arguments(
    beta_geo: BetaGeo,
    gamma_gamma: GammaGamma,
    summary: RfmSummaries,
    arguments: dict[str, Any],
    field: str,
) -> None:
    values: dict[str, Any] = {"months": 12, "monthly_discount_rate": "0.01"}
    values.update(arguments)
    with pytest.raises(ValidationError) as caught:
        clv(beta_geo, gamma_gamma, summary, **values)
    assert caught.value.field == field


def test_clv_needs_models_and_one_unit(beta_geo: BetaGeo, gamma_gamma: GammaGamma) -> None:
    t = [Transaction("a", D(2030, 1, 1), Money.of("1", "EUR"))]
    weeks = rfm_summary(t, observation_end=D(2030, 2, 1))
    days = rfm_summary(t, observation_end=D(2030, 2, 1), unit="day")
    with pytest.raises(ValidationError) as caught:
        clv(gamma_gamma, gamma_gamma, weeks, months=1, monthly_discount_rate=0)  # type: ignore[arg-type]
    assert caught.value.field == "model"
    with pytest.raises(ValidationError) as caught:
        clv(beta_geo, beta_geo, weeks, months=1, monthly_discount_rate=0)  # type: ignore[arg-type]
    assert caught.value.field == "gamma_gamma"
    mixed = {"w": weeks["a"], "d": days["a"]}
    with pytest.raises(ValidationError) as caught:
        clv(beta_geo, gamma_gamma, mixed, months=1, monthly_discount_rate=0)
    assert caught.value.field == "summary"
    with pytest.raises(ValidationError) as caught:
        clv(beta_geo, gamma_gamma, {}, months=1, monthly_discount_rate=0)
    assert caught.value.field == "summary"
    with pytest.raises(ValidationError) as caught:
        clv(beta_geo, gamma_gamma, {"a": "x"}, months=1, monthly_discount_rate=0)  # type: ignore[dict-item]
    assert caught.value.field == "summary"


# Fitting failures -------------------------------------------------------------------------


def test_fitting_needs_repeat_purchases() -> None:
    t = [Transaction(c, D(2030, 1, 1), Money.of("1", "EUR")) for c in "abc"]
    once = rfm_summary(t, observation_end=D(2030, 2, 1))
    with pytest.raises(ValidationError, match="no repeat purchases"):
        BetaGeo.fit(once)
    with pytest.raises(ValidationError, match="no customer with repeat purchases"):
        GammaGamma.fit(once)


def test_fitting_without_scipy_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, summary: RfmSummaries
) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(MissingExtraError, match=r'pip install "crmcore\[models\]"') as caught:
        BetaGeo.fit(summary)
    assert caught.value.extra == "models"
    assert isinstance(caught.value, ImportError)


class _Failing:
    """An optimiser that never converges."""

    class Result:
        success = False
        fun = math.nan
        message = "iteration limit reached"
        x = (0.0, 0.0, 0.0)
        nit = nfev = 1

    @classmethod
    def minimize(cls, *_args: object, **_kwargs: object) -> "_Failing.Result":
        return cls.Result()


def _quadratic(v: Any) -> tuple[float, Any]:
    import numpy as np

    return float(np.sum((v - 1.0) ** 2)), 2 * (v - 1.0)


def test_a_fit_that_does_not_converge_raises_instead_of_returning_nan() -> None:
    import numpy as np

    with pytest.raises(ConvergenceError, match="did not converge") as caught:
        _fitting._fit(np, _Failing, _quadratic, ("p", "q", "v"), "Gamma-Gamma")
    assert caught.value.model == "Gamma-Gamma"
    assert "iteration limit" in caught.value.detail


def test_a_stalled_gradient_search_hands_over_to_nelder_mead() -> None:
    import numpy as np
    from scipy import optimize

    class Stalling:
        """BFGS always stalls; everything else is scipy's."""

        @staticmethod
        def minimize(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("method") == "BFGS" and not kwargs.get("options"):
                return optimize.minimize(*args, **kwargs)  # the polish after Nelder-Mead
            if kwargs.get("method") == "BFGS":
                return _Failing.Result()
            return optimize.minimize(*args, **kwargs)

    params, info, errors = _fitting._fit(np, Stalling, _quadratic, ("p", "q", "v"), "Gamma-Gamma")
    assert all(math.isclose(p, math.e, rel_tol=1e-6) for p in params)  # log p = 1
    assert info.method == "Nelder-Mead + BFGS"
    assert info.converged
    assert info.evaluations > _fitting.RESTARTS
    assert errors is not None


def test_standard_errors_need_a_strict_maximum() -> None:
    import numpy as np

    def saddle(v: Any) -> tuple[float, Any]:
        return float(v[0] ** 2 - v[1] ** 2), np.array([2 * v[0], -2 * v[1]])

    assert _fitting._standard_errors(np, saddle, np.zeros(2), ("p", "q"), step=1e-5) is None
    errors = _fitting._standard_errors(np, _quadratic, np.zeros(2), ("p", "q"), step=1e-5)
    assert errors is not None
    # the information of log p is 2, so se(log p) = 1/sqrt(2) and se(p) = p/sqrt(2)
    assert math.isclose(errors["p"], 1 / math.sqrt(2), rel_tol=1e-6)


def test_the_fits_report_how_they_went_and_their_uncertainty(
    beta_geo: BetaGeo, gamma_gamma: GammaGamma
) -> None:
    # the same optimum as the derivative-free search (within 1e-6 of its log-likelihood)
    assert beta_geo.log_likelihood is not None
    assert gamma_gamma.log_likelihood is not None
    assert abs(beta_geo.log_likelihood - -9582.429206674) < 1e-6
    assert abs(gamma_gamma.log_likelihood - -4055.917694802) < 1e-6
    for fitted in (beta_geo, gamma_gamma):
        assert fitted.fit_info is not None
        assert fitted.fit_info.converged
        assert fitted.fit_info.method == "BFGS"
        assert fitted.fit_info.evaluations < 100  # the derivative-free search took ~800
    # lifetimes' published standard errors for CDNOW
    published = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
    assert beta_geo.standard_errors is not None
    for name, value in published.items():
        assert math.isclose(beta_geo.standard_errors[name], value, rel_tol=1e-3), name
    assert gamma_gamma.standard_errors is not None
    for name, value in {"p": 1.189687, "q": 0.290166, "v": 4.159994}.items():
        assert math.isclose(gamma_gamma.standard_errors[name], value, rel_tol=3e-3), name
    wide, narrow = beta_geo.confidence_intervals(0.99), beta_geo.confidence_intervals(0.5)
    for name in ("r", "alpha", "a", "b"):
        low, high = wide[name]
        assert 0 < low < narrow[name][0] < getattr(beta_geo, name) < narrow[name][1] < high
        # on the log scale: symmetric around log(value)
        assert math.isclose(math.log(high) + math.log(low), 2 * math.log(getattr(beta_geo, name)))
    assert set(gamma_gamma.confidence_intervals()) == {"p", "q", "v"}


def test_confidence_intervals_need_standard_errors_and_a_level() -> None:
    given = BetaGeo(0.24, 4.4, 0.79, 2.4)
    assert given.standard_errors is None
    assert given.fit_info is None
    with pytest.raises(ModelError, match="no standard errors"):
        given.confidence_intervals()
    for level in (0, 1, 1.5, True, "0.95"):
        with pytest.raises(ValidationError) as caught:
            given.confidence_intervals(level)  # type: ignore[arg-type]
        assert caught.value.field == "level"


@settings(max_examples=30)
@given(
    st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4),
    st.lists(
        st.tuples(st.integers(0, 20), st.floats(0, 1), st.floats(0.5, 60), st.integers(1, 5)),
        min_size=1,
        max_size=8,
    ),
)
def test_the_gradients_are_the_derivatives_of_the_log_likelihoods(
    point: list[float], rows: list[tuple[int, float, float, int]]
) -> None:
    import numpy as np
    from scipy import special

    x = np.array([float(r[0]) for r in rows])
    age = np.array([r[2] for r in rows])
    t_x = np.where(x > 0, np.array([r[1] for r in rows]) * age, 0.0)
    weights = np.array([float(r[3]) for r in rows])
    means = np.array([1.0 + 10 * r[1] for r in rows])
    for objective, size in (
        (_bgnbd._bgnbd_objective(np, special, x, t_x, age, weights, 0), 4),
        (_spend._gamma_gamma_objective(np, special, np.maximum(x, 1.0), means, weights), 3),
    ):
        at = np.array(point[:size])
        value, gradient = objective(at)
        assume(math.isfinite(value))
        step = 1e-6
        for k in range(size):
            shift = np.zeros(size)
            shift[k] = step
            numeric = (objective(at + shift)[0] - objective(at - shift)[0]) / (2 * step)
            assert math.isclose(gradient[k], numeric, rel_tol=1e-4, abs_tol=1e-4 * (1 + abs(value)))


def test_the_pole_at_a_plus_b_equal_one_is_taken_as_its_limit() -> None:
    # x = 0 and a + b = 1 make the series' third parameter zero; the formula's limit is finite
    at_pole = BetaGeo(1.0, 1.0, 0.5, 0.5)
    near = BetaGeo(1.0, 1.0, 0.5, 0.5 + 1e-9)
    for t in (0.5, 1.0, 5.0, 40.0):
        assert math.isclose(
            at_pole.expected_purchases_population(t),
            near.expected_purchases_population(t),
            rel_tol=1e-6,
        )
    assert at_pole.expected_purchases(3.0, 0, 0, 2.0) > 0
    # with r = 1 the limit's series is 1 whatever its other parameters: r = 0.7 reads them
    import numpy as np

    at_pole, near = BetaGeo(0.7, 2.0, 0.3, 0.7), BetaGeo(0.7, 2.0, 0.3, 0.7 + 1e-9)
    spans = np.array([0.5, 5.0, 40.0])
    limits = at_pole.expected_purchases(spans, np.zeros(3), np.zeros(3), np.full(3, 2.0))
    for t, limit in zip(spans, limits, strict=True):
        expected = near.expected_purchases(float(t), 0, 0.0, 2.0)
        assert math.isclose(
            at_pole.expected_purchases(float(t), 0, 0.0, 2.0), expected, rel_tol=1e-6
        )
        assert math.isclose(limit, expected, rel_tol=1e-6)


def test_purchase_probabilities_survive_extreme_spans() -> None:
    # t / (alpha + t) underflowed to 0 for a subnormal t, and log(0) raised.
    model = BetaGeo(r=1, alpha=2, a=2, b=1)
    tiny = model.probability_of_purchases(0, 5e-324)
    assert tiny == 1.0
    assert model.probability_of_purchases(1, 5e-324) == 0.0
    huge = [model.probability_of_purchases(n, 1e300) for n in range(3)]
    assert huge[0] < 1e-299
    assert huge[1] == pytest.approx(2 / 3)


def test_counts_are_bounded_and_answers_are_finite() -> None:
    with pytest.raises(ValidationError, match=r"^x: is out of range .*1,000,000,000"):
        BetaGeo(1, 1, 1.5, 1).probability_alive(10**400, 1, 2)
    with pytest.raises(ValidationError, match=r"^x: is out of range"):
        GammaGamma(1, 2, 3).expected_spend(10**400, 5.0)
    assert BetaGeo(1, 1, 1.5, 1).probability_alive(10**9, 1, 2) >= 0
    with pytest.raises(ModelError, match="no finite answer"):
        BetaGeo(1, 1, 1e6, 1).expected_purchases(10, 5, 5, 10)


def test_an_infinite_log_odds_is_a_limit_not_an_error() -> None:
    # (r + x) * log((alpha + T) / (alpha + t_x)) overflows: P(alive) tends to 0.
    assert BetaGeo(1e300, 1, 1.5, 1).probability_alive(5, 1, 1e300) == 0.0


def test_clv_with_extreme_rates_and_margins(
    beta_geo: BetaGeo, gamma_gamma: GammaGamma, summary: RfmSummaries
) -> None:
    few = RfmSummaries(
        dict(list(summary.items())[:3]), unit=summary.unit, observation_end=summary.observation_end
    )
    for rate in (Decimal("1E+300"), Decimal("1E+999")):  # 1/(1+d)**m underflows to 0
        result = clv(beta_geo, gamma_gamma, few, months=12, monthly_discount_rate=rate)
        assert all(p.value.is_zero() for p in result.values())
    with pytest.raises(ValidationError, match=r"^margin: makes a customer's value exceed"):
        clv(
            beta_geo, gamma_gamma, few, months=12, monthly_discount_rate="0.01",
            margin=Decimal("1E+20"),
        )  # fmt: skip


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.floats(0, 1), st.floats(0.1, 80), st.floats(0, 200)),
        min_size=1,
        max_size=6,
    )
)
def test_the_vectorised_predictions_equal_the_scalar_ones(
    rows: list[tuple[int, float, float, float]],
) -> None:
    import numpy as np

    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    spend = GammaGamma(6.25, 3.74, 15.44)
    x = np.array([r[0] for r in rows])
    age = np.array([r[2] for r in rows])
    t_x = np.where(x > 0, np.array([r[1] for r in rows]) * age, 0.0)
    t = np.array([r[3] for r in rows])
    alive = model.probability_alive(x, t_x, age)
    expected = model.expected_purchases(t, x, t_x, age)
    means = np.array([1.0 + r[3] for r in rows])
    spent = spend.expected_spend(x, means)
    for k in range(len(rows)):
        scalar = (int(x[k]), float(t_x[k]), float(age[k]))
        assert math.isclose(alive[k], model.probability_alive(*scalar), rel_tol=1e-12)
        assert 0.0 <= alive[k] <= 1.0
        assert math.isclose(
            expected[k],
            model.expected_purchases(float(t[k]), *scalar),
            rel_tol=1e-12,
            abs_tol=1e-300,
        )
        assert math.isclose(
            spent[k], spend.expected_spend(int(x[k]), float(means[k])), rel_tol=1e-12
        )
    assert isinstance(alive, np.ndarray)
    assert alive.shape == (len(rows),)


def test_arrays_broadcast_and_huge_counts_give_no_warning() -> None:
    import warnings

    import numpy as np

    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning
        alive = np.asarray(
            model.probability_alive(np.array([0, 2, 10**6, 10**9]), np.array([0.0, 30, 1, 1]), 39.0)
        )
        assert list(alive[:1]) == [1.0]
        assert 0 <= alive[2] <= alive[1] <= 1
        assert alive[3] == 0.0
        grid = np.asarray(
            model.expected_purchases(np.array([[1.0], [52.0]]), np.array([1, 2, 3]), 10.0, 39.0)
        )
    assert grid.shape == (2, 3)
    assert np.all(grid[1] > grid[0])  # more time, more purchases
    assert np.asarray(model.expected_purchases(np.array([0.0]), 2, 30.0, 39.0))[0] == 0.0
    at_pole = np.asarray(
        BetaGeo(1.0, 1.0, 0.5, 0.5).expected_purchases(np.array([3.0]), 0, 0.0, 2.0)
    )
    assert math.isclose(at_pole[0], BetaGeo(1.0, 1.0, 0.5, 0.5).expected_purchases(3.0, 0, 0, 2.0))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m, np: m.probability_alive(np.array([1, 2.5]), 1.0, 2.0), "x[1]"),
        (lambda m, np: m.probability_alive(np.array([1, -1]), 1.0, 2.0), "x[1]"),
        (lambda m, np: m.probability_alive(np.array([[1, 1], [1, 10**10]]), 1.0, 2.0), "x[1, 1]"),
        (lambda m, np: m.probability_alive(np.array(["1"]), 1.0, 2.0), "x"),
        (lambda m, np: m.probability_alive(np.array([1, 1]), np.array([1.0, 3.0]), 2.0), "t_x[1]"),
        (lambda m, np: m.probability_alive(np.array([0]), np.array([1.0]), 2.0), "t_x[0]"),
        (lambda m, np: m.probability_alive(np.array([1]), 1.0, np.array([np.nan])), "T[0]"),
        (lambda m, np: m.probability_alive(np.array([1, 2]), np.array([1.0, 1, 1]), 2.0), "x"),
        (lambda m, np: m.expected_purchases(np.array([-1.0]), 1, 1.0, 2.0), "t[0]"),
        (lambda m, np: m.expected_purchases(np.array([True]), 1, 1.0, 2.0), "t"),
    ],
)
def test_bad_array_elements_are_named_by_position(call: Any, field: str) -> None:
    import numpy as np

    with pytest.raises(ValidationError) as caught:
        call(BetaGeo(0.243, 4.414, 0.793, 2.426), np)
    assert caught.value.field == field


def test_the_array_paths_keep_the_scalar_paths_refusals() -> None:
    import numpy as np

    with pytest.raises(ValidationError) as caught:
        BetaGeo(0.2, 4.0, 1.0, 2.0).expected_purchases(np.array([5.0]), 1, 1.0, 2.0)
    assert caught.value.field == "a"
    with pytest.raises(ModelError, match="rounds to 1"):
        BetaGeo(0.2, 1e-300, 0.5, 2.0).expected_purchases(np.array([1e300]), 0, 0.0, 0.0)
    with pytest.raises(ValidationError) as caught:
        GammaGamma(1, 0.5, 3).expected_spend(np.array([1]), np.array([5.0]))
    assert caught.value.field == "q"
    with pytest.raises(ValidationError) as caught:
        GammaGamma(1, 2, 3).expected_spend(np.array([1]), np.array([-5.0]))
    assert caught.value.field == "mean_spend[0]"
    with pytest.raises(ModelError, match="no finite answer"):
        BetaGeo(1, 1, 1e6, 1).expected_purchases(np.array([10.0]), 5, 5, 10)
    # an infinite log-odds is a limit, as on the scalar path
    limit = np.asarray(BetaGeo(1e300, 1, 1.5, 1).probability_alive(np.array([5]), 1, 1e300))
    assert limit.tolist() == [0.0]


def test_calibration_and_holdout_on_cdnow_gives_the_papers_chart() -> None:
    split = btyd.calibration_and_holdout(
        _cdnow(), calibration_end=END, observation_end=D(1998, 6, 30)
    )
    assert (len(split), split.duration, split.calibration.unit) == (2357, Fraction(39), "week")
    assert sum(row.purchases for row in split.values()) == 1882  # weeks 40-78, as published
    assert repr(split).startswith("CalibrationHoldout(2357 customers, unit='week'")
    model = BetaGeo.fit(split.calibration)
    bins = btyd.holdout_comparison(model, split)
    # Fader, Hardie & Lee (2005), the conditional expectations by calibration frequency
    assert [round(b.actual, 2) for b in bins] == [0.24, 0.70, 1.39, 1.56, 2.53, 2.95, 3.86, 6.36]
    assert [round(b.predicted, 2) for b in bins] == [0.23, 0.52, 1.04, 1.52, 2.16, 2.65, 3.50, 6.16]
    assert [b.open_ended for b in bins] == [False] * 7 + [True]
    assert sum(b.customers for b in bins) == 2357
    assert [b.frequency for b in btyd.holdout_comparison(model, split, max_frequency=0)] == [0]


def test_the_holdout_counts_purchase_days_of_calibration_customers_only() -> None:
    eur = Money.of("10", "EUR")
    transactions = [
        Transaction("a", D(2030, 1, 1), eur),
        Transaction("a", D(2030, 1, 8), eur),
        Transaction("a", D(2030, 3, 1), eur),
        Transaction("a", D(2030, 3, 1), eur),  # the same day: one purchase
        Transaction("a", D(2030, 4, 2), eur),  # after the observation end
        Transaction("b", D(2030, 1, 15), eur),
        Transaction("c", D(2030, 2, 20), eur),  # first bought in the holdout: left out
    ]
    split = btyd.calibration_and_holdout(
        transactions, calibration_end=D(2030, 1, 31), observation_end=D(2030, 3, 31), unit="day"
    )
    assert sorted(split) == ["a", "b"]
    assert (split["a"].purchases, split["b"].purchases) == (1, 0)
    assert (split["a"].summary.frequency, split.duration) == (1, Fraction(59))
    for bad, field in (
        ({"calibration_end": D(2030, 3, 31)}, "calibration_end"),
        ({"unit": "year"}, "unit"),
    ):
        arguments: dict[str, Any] = {
            "calibration_end": D(2030, 1, 31), "observation_end": D(2030, 3, 31), **bad,
        }  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            btyd.calibration_and_holdout(transactions, **arguments)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        btyd.calibration_and_holdout(
            [*transactions, "t"],  # type: ignore[list-item]
            calibration_end=D(2030, 1, 31),
            observation_end=D(2030, 3, 31),
        )
    assert caught.value.field == "transactions[7]"
    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    for args, field in (
        (("model", split), "model"),
        ((model, {}), "data"),
    ):
        with pytest.raises(ValidationError) as caught:
            btyd.holdout_comparison(*args)
        assert caught.value.field == field
    assert [b.frequency for b in btyd.holdout_comparison(model, split, max_frequency=100)] == [0, 1]
    for bad_max in (-1, 101, True):
        with pytest.raises(ValidationError) as caught:
            btyd.holdout_comparison(model, split, max_frequency=bad_max)
        assert caught.value.field == "max_frequency"


def test_an_overflowing_likelihood_is_infinite_and_never_a_fit() -> None:
    import numpy as np
    from scipy import special

    one = np.array([1.0])
    bgnbd = _bgnbd._bgnbd_objective(np, special, one, one, 2 * one, one, 0)
    spend = _spend._gamma_gamma_objective(np, special, one, 10 * one, one)
    with np.errstate(all="ignore"):
        value, gradient = bgnbd(np.array([800.0, 0.0, 0.0, 0.0]))
        assert (value, gradient.shape) == (math.inf, (4,))  # one slope per parameter
        value, gradient = spend(np.array([800.0, 0.0, 0.0]))
        assert (value, gradient.shape) == (math.inf, (3,))

    class Overflowing:
        """Reports success at a point whose parameters overflow."""

        class Result:
            success, fun, message, nit, nfev = True, 0.0, "converged", 1, 1
            x = np.array([1e6, 0.0, 0.0])

        @classmethod
        def minimize(cls, *_args: object, **_kwargs: object) -> "Overflowing.Result":
            return cls.Result()

    with pytest.raises(ConvergenceError):
        _fitting._fit(np, Overflowing, _quadratic, ("p", "q", "v"), "Gamma-Gamma")


def test_gamma_gamma_fits_repeat_buyers_with_positive_spend_only() -> None:
    day = D(1997, 3, 1)
    extra = [
        Transaction(customer, on, Money.of(amount, "USD"))
        for customer, amount in (("zero", "0"), ("half", "0.5"))
        for on in (day, day.add(days=20))
    ]
    fitted = GammaGamma.fit(rfm_summary([*_cdnow(), *extra], observation_end=END, unit="week"))
    # "zero" spent nothing on its repeat purchase; "half" spent 0.5 (under 1)
    assert fitted.customers == 946 + 1
    assert fitted.standard_errors is not None
    assert set(fitted.standard_errors) == {"p", "q", "v"}


# Gamma-Gamma's edges, each from a surviving mutant --------------------------------------


def test_gamma_gamma_names_each_bad_parameter() -> None:
    for arguments, field in (((0, 1.5, 2), "p"), ((1, -1.5, 2), "q"), ((1, 1.5, math.nan), "v")):
        with pytest.raises(ValidationError) as caught:
            GammaGamma(*arguments)
        assert caught.value.field == field


def test_gamma_gamma_spend_at_and_above_q_equal_to_one() -> None:
    import numpy as np

    p, q, v = 2.0, 1.5, 10.0  # 1 < q <= 2: the mean spend is finite
    model = GammaGamma(p, q, v)
    expected = (p * v + p * 3 * 20.0) / (p * 3 + q - 1)
    assert math.isclose(model.expected_spend(3, 20.0), expected, rel_tol=1e-12)
    arrays = model.expected_spend(np.array([3, 0]), np.array([20.0, 5.0]))
    assert np.allclose(arrays, [expected, p * v / (q - 1)], rtol=1e-12)
    # one array and one scalar broadcast, either way round
    assert np.allclose(model.expected_spend(np.array([3, 3]), 20.0), [expected] * 2, rtol=1e-12)
    assert np.allclose(model.expected_spend(3, np.array([20.0])), [expected], rtol=1e-12)  # type: ignore[call-overload]  # one array is enough
    at_one = GammaGamma(p, 1, v)  # q = 1 exactly: the mean is infinite, on both paths
    with pytest.raises(ValidationError) as caught:
        at_one.expected_spend(3, 20.0)
    assert caught.value.field == "q"
    with pytest.raises(ValidationError) as caught:
        at_one.expected_spend(np.array([3]), np.array([20.0]))
    assert caught.value.field == "q"


def test_gamma_gamma_array_refusals_name_their_field_and_overflow_quietly() -> None:
    import numpy as np

    model = GammaGamma(6.25, 3.74, 15.44)
    with pytest.raises(ValidationError) as caught:
        model.expected_spend(np.array([1.5]), np.array([20.0]))
    assert caught.value.field.startswith("x")
    # an overflow inside the formula is inf, refused as such, without a numpy warning
    with pytest.raises(ModelError, match="no finite answer"):
        model.expected_spend(np.array([10**6]), np.array([1e307]))


def test_a_gamma_gamma_fit_that_does_not_converge_names_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    monkeypatch.setattr(_spend, "_scipy", lambda: (np, _Failing, special))
    summary = rfm_summary(
        [
            Transaction("a", D(2030, 1, 1), Money.of("10", "EUR")),
            Transaction("a", D(2030, 2, 1), Money.of("20", "EUR")),
        ],
        observation_end=D(2030, 3, 1),
    )
    with pytest.raises(ConvergenceError) as caught:
        GammaGamma.fit(summary)
    assert caught.value.model == "Gamma-Gamma"


def test_a_bool_is_not_a_confidence_level() -> None:
    model = GammaGamma(1, 2, 3, standard_errors={"p": 0.1, "q": 0.1, "v": 0.1})
    with pytest.raises(ValidationError) as caught:
        model.confidence_intervals(True)
    assert (caught.value.field, caught.value.problem) == ("level", "must be a number")


def test_only_a_precision_loss_stall_counts_as_an_optimum() -> None:
    import numpy as np

    class Found:
        def __init__(self, status: int, hess_inv: Any) -> None:
            self.status, self.hess_inv, self.jac = status, hess_inv, np.zeros(2)

    assert _fitting._stalled_at_optimum(np, Found(2, np.eye(2)))
    assert not _fitting._stalled_at_optimum(np, Found(1, np.eye(2)))  # stopped for another reason
    assert not _fitting._stalled_at_optimum(np, Found(2, None))
    assert not _fitting._stalled_at_optimum(np, object())  # no status: not a stall
    # the improvement still predicted, g'H^-1 g / 2, against the tolerance (1e-8)
    tolerance = _fitting.STALL_TOLERANCE
    for squared, stalled in (
        (1.5 * tolerance, True),
        (2 * tolerance, True),
        (2.5 * tolerance, False),
    ):
        found = Found(2, np.eye(2))
        found.jac = np.array([math.sqrt(squared), 0.0])
        assert _fitting._stalled_at_optimum(np, found) is stalled, squared
    exact = Found(2, np.diag([2 * tolerance, 1.0]))
    exact.jac = np.array([1.0, 0.0])  # predicts exactly the tolerance: still a stall
    assert _fitting._stalled_at_optimum(np, exact)


def test_the_array_path_sums_up_to_its_bound_as_the_scalar_path_does() -> None:
    import numpy as np

    from crmcore.analytics.btyd._numbers import MAX_PURCHASES

    model = BetaGeo(0.243, 4.414, 0.793, 2.426)
    most = model.probability_of_purchases(np.array([MAX_PURCHASES, 2]), np.array([39.0, 39.0]))
    assert most[0] == model.probability_of_purchases(MAX_PURCHASES, 39.0)
    assert math.isclose(most[1], model.probability_of_purchases(2, 39.0), rel_tol=1e-9)


def test_fits_name_their_model_and_field_when_they_cannot_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from crmcore.analytics.btyd import ModifiedBetaGeo, _continuous

    with pytest.raises(ValidationError) as caught:
        BetaGeo.fit_counts([(0, 0.0, 5.0, 3)])
    assert (caught.value.field, caught.value.problem) == ("rows", "has no repeat purchases")
    monkeypatch.setattr(_continuous, "_scipy", lambda: (np, _Failing, special))
    for model, name in ((BetaGeo, "BG/NBD"), (ModifiedBetaGeo, "MBG/NBD")):
        with pytest.raises(ConvergenceError) as failed:
            model.fit_counts([(2, 3.0, 5.0, 3), (0, 0.0, 5.0, 2)])
        assert failed.value.model == name


def test_a_fit_counts_every_step_and_only_a_finite_success_ends_the_gradient_search() -> None:
    import numpy as np
    from scipy import optimize

    class Once:
        """Converges at once: one step, one evaluation."""

        class Result:
            success, fun, message, nit, nfev, status = True, 1.0, "converged", 1, 1, 0
            x = np.zeros(3)

        @classmethod
        def minimize(cls, *_args: object, **_kwargs: object) -> "Once.Result":
            return cls.Result()

    _, info, _ = _fitting._fit(np, Once, _quadratic, ("p", "q", "v"), "Gamma-Gamma")
    assert (info.iterations, info.evaluations, info.method) == (1, 1, "BFGS")

    class FailsFinite:
        """BFGS stops without success at a finite value (not a precision-loss stall)."""

        @staticmethod
        def minimize(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("method") == "BFGS" and kwargs.get("options"):
                result = optimize.minimize(*args, **{**kwargs, "options": {"maxiter": 1}})
                result.success, result.status = False, 1
                return result
            return optimize.minimize(*args, **kwargs)

    params, info, _ = _fitting._fit(np, FailsFinite, _quadratic, ("p", "q", "v"), "Gamma-Gamma")
    assert info.method == "Nelder-Mead + BFGS"
    assert all(math.isclose(p, math.e, rel_tol=1e-6) for p in params)


class _Scripted:
    """An optimiser that answers from a script: BFGS with options (the search)
    fails at a finite value; Nelder-Mead and the polishing BFGS give what the
    test says."""

    def __init__(self, slow: dict[str, Any], polished: dict[str, Any]) -> None:
        import numpy as np

        search = self._result(np, success=False, fun=9.0, x=np.zeros(3), nit=1, nfev=2)
        self.answers = {
            "search": search,
            "Nelder-Mead": self._result(np, **slow),
            "polish": self._result(np, **polished),
        }

    @staticmethod
    def _result(np: Any, **fields: Any) -> Any:
        result = type("Result", (), {"message": "scripted", "status": 1, "nit": 0, "nfev": 0})()
        for name, value in fields.items():
            setattr(result, name, np.asarray(value, dtype=float) if name == "x" else value)
        return result

    def minimize(self, *_args: Any, **kwargs: Any) -> Any:
        if kwargs.get("method") == "Nelder-Mead":
            return self.answers["Nelder-Mead"]
        return self.answers["search" if kwargs.get("options") else "polish"]


def test_the_derivative_free_fallback_counts_its_steps_and_keeps_the_better_answer() -> None:
    import numpy as np

    def run(slow: dict[str, Any], polished: dict[str, Any]) -> tuple[Any, Any]:
        params, info, _ = _fitting._fit(
            np, _Scripted(slow, polished), _quadratic, ("p", "q", "v"), "Gamma-Gamma"
        )
        return params, info

    one, two = [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]
    params, info = run(
        {"success": True, "fun": 5.0, "x": one, "nit": 10, "nfev": 20},
        {"success": True, "fun": 4.0, "x": two, "nit": 3, "nfev": 5},
    )
    assert params == pytest.approx([math.e**2] * 3)  # the polished answer is better
    # three searches of 1 step and 2 evaluations each, then 10 + 3 and 20 + 5
    assert (info.iterations, info.evaluations, info.method) == (16, 31, "Nelder-Mead + BFGS")
    for polished in (
        {"success": True, "fun": 6.0, "x": two},  # worse: the slow answer stays
        {"success": False, "fun": 4.0, "x": two},  # better but failed: not taken
    ):
        params, _ = run({"success": True, "fun": 5.0, "x": one}, polished)
        assert params == pytest.approx([math.e] * 3)
    params, _ = run(  # as good and converged: the polished answer
        {"success": True, "fun": 5.0, "x": one}, {"success": True, "fun": 5.0, "x": two}
    )
    assert params == pytest.approx([math.e**2] * 3)
    params, _ = run(  # Nelder-Mead gave up but the polish converged: a fit
        {"success": False, "fun": 5.0, "x": one}, {"success": True, "fun": 4.0, "x": two}
    )
    assert params == pytest.approx([math.e**2] * 3)
    with pytest.raises(ConvergenceError):  # both gave up
        run({"success": False, "fun": 5.0, "x": one}, {"success": False, "fun": 4.0, "x": two})


def test_parameters_at_the_edges_of_the_floats_are_not_a_fit() -> None:
    import numpy as np

    for x in ([_fitting._MAX_LOG, 0.0, 0.0], [-800.0, 0.0, 0.0]):  # exp: inf, and 0
        scripted = _Scripted({"success": True, "fun": 1.0, "x": x}, {"success": False, "fun": 2.0})
        with pytest.raises(ConvergenceError):
            _fitting._fit(np, scripted, _quadratic, ("p", "q", "v"), "Gamma-Gamma")


def test_the_array_series_equals_scipys_for_array_parameters_too() -> None:
    import numpy as np

    # a and b as arrays take the general path (model parameters are scalars)
    rng = np.random.default_rng(20261201)
    a = rng.uniform(-2.5, 3.0, 40)
    b = rng.uniform(-1.5, 4.0, 40)
    c = rng.uniform(0.5, 6.0, 40)
    z = rng.uniform(0.0, 0.95, 40)
    ours = _numbers._hyp2f1_array(np, a, b, c, z)
    assert np.allclose(ours, special.hyp2f1(a, b, c, z), rtol=1e-10, atol=0)
    # element by element the scalar path's floats, and shapes kept
    for i in range(40):
        assert ours[i] == _numbers._hyp2f1(float(a[i]), float(b[i]), float(c[i]), float(z[i]))
    grid = _numbers._hyp2f1_array(np, a.reshape(4, 10), 1.5, c.reshape(4, 10), z.reshape(4, 10))
    assert grid.shape == (4, 10)
    less = _numbers._hyp2f1_array(np, a, b, c, z, less_one=True)
    assert np.allclose(less, ours - 1, rtol=1e-10, atol=1e-15)
