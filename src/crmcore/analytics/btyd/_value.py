"""Customer lifetime value from a purchase model and a spend model, and the
holdout comparison of a purchase model."""

import itertools
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from crmcore.analytics._results import MappingResult
from crmcore.analytics.btyd._bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.analytics.btyd._numbers import _FLOAT_MAX, _finite, _float, _model_rate
from crmcore.analytics.btyd._pareto import ParetoNBD
from crmcore.analytics.btyd._spend import GammaGamma, _money
from crmcore.analytics.btyd._summary import (
    DAYS_PER_MONTH,
    UNITS,
    CalibrationHoldout,
    RfmSummary,
    Summaries,
    _check_unit,
    _summaries,
)
from crmcore.domain.money import Money
from crmcore.errors import (
    ValidationError,
)

# CLV ------------------------------------------------------------------------------------


@attrs.frozen
class ClvPrediction:
    """One customer's predicted CLV and its parts.

    ``value`` = margin × ``expected_spend`` × Σ_m ``purchases_by_month``[m] / (1 + d)^m.
    """

    customer_id: str
    value: Money
    expected_spend: Money
    purchases_by_month: tuple[float, ...]
    probability_alive: float


class ClvPredictions(MappingResult[str, ClvPrediction]):
    """Customer id → `ClvPrediction`; ``unit`` and ``units_per_month`` stated."""

    __slots__ = ("_by_id", "months", "unit", "units_per_month")

    def __init__(self, by_id: dict[str, ClvPrediction], *, unit: str, months: int) -> None:
        self._by_id = by_id
        self.unit = _check_unit(unit)
        self.months = months
        self.units_per_month = Fraction(DAYS_PER_MONTH, UNITS[self.unit])

    def _mapped(self) -> Mapping[str, ClvPrediction]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"ClvPredictions({len(self)} customers, {self.months} months of 30 days "
            f"= {self.units_per_month} {self.unit}s each)"
        )


PurchaseModel = BetaGeo | ModifiedBetaGeo | ParetoNBD
"""A continuous-time purchase model: what `clv` and `holdout_comparison` take."""

_PURCHASE_MODELS = (BetaGeo, ModifiedBetaGeo, ParetoNBD)
_A_PURCHASE_MODEL = "a fitted BetaGeo, ModifiedBetaGeo or ParetoNBD"


def _optional_numpy() -> Any:
    """numpy where it is installed (the models extra), else None: the
    predictions below then run one customer at a time in pure Python."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _columns(np: Any, summaries: Iterable[RfmSummary]) -> tuple[Any, Any, Any]:
    given = list(summaries)
    return (
        np.array([s.frequency for s in given], dtype=float),
        np.array([float(s.recency) for s in given], dtype=float),
        np.array([float(s.T) for s in given], dtype=float),
    )


GRID_ELEMENTS = 1 << 20
"""At most this many (time, customer) pairs per array evaluation (the series
keeps a few arrays of that size alive): a long horizon for many customers is
evaluated in blocks of times."""


def _purchases_and_alive(
    model: PurchaseModel, summaries: list[RfmSummary], times: list[float]
) -> tuple[list[list[float]], list[float]]:
    """Per customer, E[purchases by each of ``times``] and P(alive): in numpy,
    every customer at every time in one evaluation (a times × customers
    grid), where it is installed; else one at a time."""
    np = _optional_numpy()
    if np is not None and summaries:
        x, t_x, T = _columns(np, summaries)
        rows = max(1, GRID_ELEMENTS // len(summaries))  # times per evaluation, memory bounded
        grid = np.asarray(times, dtype=float)[:, None]
        expected = np.concatenate(
            [
                np.asarray(model.expected_purchases(grid[i : i + rows], x, t_x, T))
                for i in range(0, len(times), rows)
            ]
        )
        alive = np.asarray(model.probability_alive(x, t_x, T)).tolist()
        return expected.T.tolist(), alive
    expected, alive = [], []
    for s in summaries:
        x, t_x, T = s.frequency, float(s.recency), float(s.T)
        expected.append([model.expected_purchases(t, x, t_x, T) for t in times])
        alive.append(model.probability_alive(x, t_x, T))
    return expected, alive


def clv(
    model: PurchaseModel,
    gamma_gamma: GammaGamma,
    summary: Summaries,
    *,
    months: int,
    monthly_discount_rate: Decimal | int | str | Fraction | float,
    margin: Decimal | int | str | Fraction | float = 1,
) -> ClvPredictions:
    """Each customer's discounted expected value over the next ``months`` months.

    Σ_{m=1..months} margin × E[spend] × (E[X(m·30 days)] − E[X((m−1)·30 days)]) / (1 + d)^m,
    with E[X] the purchase model's conditional expectation (BG/NBD, MBG/NBD
    or Pareto/NBD) and months of 30 days converted into the summary's unit
    (stated in the result). ``summary`` is `rfm_summary`'s result or a
    sequence of `RfmSummary` values. With numpy installed the expectations
    are computed for all customers at once (the same floats as one at a
    time, to about 1e-15).

    The model layer is floating point: the rate and the margin may be floats
    (numpy ones too), taken at their exact binary value; Decimals, ints,
    Fractions and numeric strings are read exactly, as everywhere.

    Raises:
        ValidationError: not a purchase model and a GammaGamma, months
            outside 1 to 1200, a negative or non-finite rate or margin.
    """
    if not isinstance(model, _PURCHASE_MODELS):
        raise ValidationError(
            "model", "must be a continuous-time purchase model", allowed=_A_PURCHASE_MODEL
        )
    if not isinstance(gamma_gamma, GammaGamma):
        raise ValidationError("gamma_gamma", "must be a GammaGamma", allowed="a fitted GammaGamma")
    given = _summaries(summary)
    if type(months) is not int or not 1 <= months <= 1200:
        raise ValidationError("months", "is out of range", allowed="an int from 1 to 1200")
    rate = _model_rate(monthly_discount_rate, "monthly_discount_rate")
    share = _model_rate(margin, "margin")
    if rate < 0:
        raise ValidationError("monthly_discount_rate", "must not be negative", allowed="0 or more")
    if share < 0:
        raise ValidationError("margin", "must not be negative", allowed="0 or more")
    unit = next(iter(given.values())).unit
    step = DAYS_PER_MONTH / UNITS[unit]
    # exp(-m·log(1+d)) rather than 1/(1+d)**m: a huge rate underflows to 0
    # instead of overflowing.
    discount_log = math.log1p(_float(rate)) if rate < _FLOAT_MAX else math.inf
    discounts = [math.exp(-m * discount_log) for m in range(1, months + 1)]
    rows = list(given.values())
    cumulative, alive = _purchases_and_alive(model, rows, [m * step for m in range(months + 1)])
    predictions: dict[str, ClvPrediction] = {}
    for s, expected, chance in zip(rows, cumulative, alive, strict=True):
        by_month = tuple(b - a for a, b in itertools.pairwise(expected))
        spend = gamma_gamma.expected_spend(s.frequency, s.monetary_value)
        total = (
            float(share)
            * float(spend.amount)
            * math.fsum(p * d for p, d in zip(by_month, discounts, strict=True))
        )
        try:
            value = _money(_finite(total), spend.currency)
        except ValidationError:
            raise ValidationError(
                "margin",
                "makes a customer's value exceed the range of Money",
                allowed="a margin that keeps values below 10**18",
            ) from None
        predictions[s.customer_id] = ClvPrediction(
            customer_id=s.customer_id,
            value=value,
            expected_spend=spend,
            purchases_by_month=by_month,
            probability_alive=chance,
        )
    return ClvPredictions(predictions, unit=unit, months=months)


@attrs.frozen
class HoldoutBin:
    """Customers with one calibration frequency (the last bin: that many or more).

    Attributes:
        frequency: the calibration frequency (repeat purchases).
        customers: how many customers.
        actual: their mean purchases in the holdout period.
        predicted: the model's mean conditional expectation for the holdout period.
        open_ended: whether the bin holds every larger frequency too.
    """

    frequency: int
    customers: int
    actual: float
    predicted: float
    open_ended: bool


def holdout_comparison(
    model: PurchaseModel, data: CalibrationHoldout, *, max_frequency: int = 7
) -> tuple[HoldoutBin, ...]:
    """Predicted against actual holdout purchases per calibration frequency,
    as in the conditional-expectation chart of Fader, Hardie & Lee (2005):
    frequencies 0 to ``max_frequency``, the last bin open-ended; empty bins
    are left out.

    Raises:
        ValidationError: not a purchase model (BG/NBD, MBG/NBD or
            Pareto/NBD), not a `CalibrationHoldout`, or a ``max_frequency``
            outside 0 to 100.
    """
    if not isinstance(model, _PURCHASE_MODELS):
        raise ValidationError(
            "model", "must be a continuous-time purchase model", allowed=_A_PURCHASE_MODEL
        )
    if not isinstance(data, CalibrationHoldout):
        raise ValidationError(
            "data", "must be a CalibrationHoldout", allowed="the result of calibration_and_holdout"
        )
    if type(max_frequency) is not int or not 0 <= max_frequency <= 100:
        raise ValidationError("max_frequency", "is out of range", allowed="an int from 0 to 100")
    rows = list(data.values())
    expected, _ = _purchases_and_alive(model, [row.summary for row in rows], [float(data.duration)])
    actual: dict[int, list[int]] = {}
    predicted: dict[int, list[float]] = {}
    for row, (value,) in zip(rows, expected, strict=True):
        key = min(row.summary.frequency, max_frequency)
        actual.setdefault(key, []).append(row.purchases)
        predicted.setdefault(key, []).append(value)
    return tuple(
        HoldoutBin(
            frequency=key,
            customers=len(actual[key]),
            actual=math.fsum(actual[key]) / len(actual[key]),
            predicted=math.fsum(predicted[key]) / len(predicted[key]),
            open_ended=key == max_frequency,
        )
        for key in sorted(actual)
    )
