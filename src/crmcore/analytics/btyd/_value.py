"""Customer lifetime value from a purchase model and a spend model, and the
holdout comparison of a purchase model."""

import itertools
import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

import attrs

from crmcore.analytics._results import MappingResult
from crmcore.analytics.btyd._bgnbd import BetaGeo
from crmcore.analytics.btyd._numbers import _FLOAT_MAX, _finite, _float, _model_rate
from crmcore.analytics.btyd._spend import GammaGamma, _money
from crmcore.analytics.btyd._summary import (
    DAYS_PER_MONTH,
    UNITS,
    CalibrationHoldout,
    RfmSummary,
    _check_unit,
    _rows,
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


def clv(
    beta_geo: BetaGeo,
    gamma_gamma: GammaGamma,
    summary: Mapping[str, RfmSummary],
    *,
    months: int,
    monthly_discount_rate: Decimal | int | str | Fraction | float,
    margin: Decimal | int | str | Fraction | float = 1,
) -> ClvPredictions:
    """Each customer's discounted expected value over the next ``months`` months.

    Σ_{m=1..months} margin × E[spend] × (E[X(m·30 days)] − E[X((m−1)·30 days)]) / (1 + d)^m,
    with E[X] the BG/NBD conditional expectation and months of 30 days
    converted into the summary's unit (stated in the result).

    The model layer is floating point: the rate and the margin may be floats
    (numpy ones too), taken at their exact binary value; Decimals, ints,
    Fractions and numeric strings are read exactly, as everywhere.

    Raises:
        ValidationError: months outside 1 to 1200, a negative or non-finite
            rate or margin.
    """
    if not isinstance(beta_geo, BetaGeo) or not isinstance(gamma_gamma, GammaGamma):
        raise ValidationError(
            "beta_geo", "must be a BetaGeo and a GammaGamma", allowed="fitted models"
        )
    _rows(summary)
    if type(months) is not int or not 1 <= months <= 1200:
        raise ValidationError("months", "is out of range", allowed="an int from 1 to 1200")
    rate = _model_rate(monthly_discount_rate, "monthly_discount_rate")
    share = _model_rate(margin, "margin")
    if rate < 0:
        raise ValidationError("monthly_discount_rate", "must not be negative", allowed="0 or more")
    if share < 0:
        raise ValidationError("margin", "must not be negative", allowed="0 or more")
    units = {s.unit for s in summary.values()}
    unit = units.pop()
    if units:
        raise ValidationError("summary", "mixes units", allowed="one unit")
    step = DAYS_PER_MONTH / UNITS[unit]
    # exp(-m·log(1+d)) rather than 1/(1+d)**m: a huge rate underflows to 0
    # instead of overflowing.
    discount_log = math.log1p(_float(rate)) if rate < _FLOAT_MAX else math.inf
    discounts = [math.exp(-m * discount_log) for m in range(1, months + 1)]
    predictions: dict[str, ClvPrediction] = {}
    for customer_id, s in summary.items():
        x, t_x, T = s.frequency, float(s.recency), float(s.T)
        cumulative = [beta_geo.expected_purchases(m * step, x, t_x, T) for m in range(months + 1)]
        by_month = tuple(b - a for a, b in itertools.pairwise(cumulative))
        spend = gamma_gamma.expected_spend(x, s.monetary_value)
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
        predictions[customer_id] = ClvPrediction(
            customer_id=customer_id,
            value=value,
            expected_spend=spend,
            purchases_by_month=by_month,
            probability_alive=beta_geo.probability_alive(x, t_x, T),
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
    model: BetaGeo, data: CalibrationHoldout, *, max_frequency: int = 7
) -> tuple[HoldoutBin, ...]:
    """Predicted against actual holdout purchases per calibration frequency,
    as in the conditional-expectation chart of Fader, Hardie & Lee (2005):
    frequencies 0 to ``max_frequency``, the last bin open-ended; empty bins
    are left out.

    Raises:
        ValidationError: not a BetaGeo, not a `CalibrationHoldout`, or a
            ``max_frequency`` outside 0 to 100.
    """
    if not isinstance(model, BetaGeo):
        raise ValidationError("model", "must be a BetaGeo", allowed="a fitted BetaGeo")
    if not isinstance(data, CalibrationHoldout):
        raise ValidationError(
            "data", "must be a CalibrationHoldout", allowed="the result of calibration_and_holdout"
        )
    if type(max_frequency) is not int or not 0 <= max_frequency <= 100:
        raise ValidationError("max_frequency", "is out of range", allowed="an int from 0 to 100")
    span = float(data.duration)
    actual: dict[int, list[int]] = {}
    predicted: dict[int, list[float]] = {}
    for row in data.values():
        s = row.summary
        key = min(s.frequency, max_frequency)
        actual.setdefault(key, []).append(row.purchases)
        predicted.setdefault(key, []).append(
            model.expected_purchases(span, s.frequency, float(s.recency), float(s.T))
        )
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
