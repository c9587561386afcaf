"""The models' inputs: RFM summaries and calibration/holdout splits."""

import contextlib
import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import pendulum

from crmcore.analytics._results import MappingResult
from crmcore.analytics.btyd._numbers import (
    SCALAR,
    _arrays,
    _check_customer,
    _check_customers,
    _finite,
    _finite_array,
    _is_array,
    _numpy,
)
from crmcore.analytics.transactions import Transaction
from crmcore.domain.fields import instances_of, items_of
from crmcore.domain.money import Money
from crmcore.domain.times import to_date
from crmcore.errors import (
    CurrencyMismatchError,
    ValidationError,
)

UNITS: Mapping[str, int] = {"day": 1, "week": 7, "month": 30}
"""Days per unit of time."""

DAYS_PER_MONTH = 30


# The summary -------------------------------------------------------------------------


@attrs.frozen
class RfmSummary:
    """One customer's BTYD inputs, in the unit named by ``unit``.

    Attributes:
        frequency: repeat purchases (purchase days − 1).
        recency: first to last purchase day, in units (exact).
        T: first purchase day to the end of observation, in units (exact).
        monetary_value: mean amount of the repeat purchase days (zero if none).
    """

    customer_id: str
    frequency: int
    recency: Fraction
    T: Fraction
    monetary_value: Money
    unit: str
    first_purchase: pendulum.Date
    last_purchase: pendulum.Date


class RfmSummaries(MappingResult[str, RfmSummary]):
    """Customer id → `RfmSummary`, ordered by id; ``unit`` and ``observation_end`` stated."""

    __slots__ = ("_by_id", "observation_end", "unit")

    def __init__(
        self, by_id: dict[str, RfmSummary], *, unit: str, observation_end: pendulum.Date
    ) -> None:
        self._by_id = by_id
        self.unit = unit
        self.observation_end = observation_end

    def _mapped(self) -> Mapping[str, RfmSummary]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"RfmSummaries({len(self)} customers, unit={self.unit!r}, "
            f"observation_end={self.observation_end.isoformat()})"
        )


def _check_unit(unit: object) -> str:
    if not isinstance(unit, str) or unit not in UNITS:
        raise ValidationError("unit", "is not a known unit", allowed="'day', 'week' or 'month'")
    return str(unit)


def rfm_summary(
    transactions: Iterable[Transaction], *, observation_end: _dt.date, unit: str = "week"
) -> RfmSummaries:
    """Summarise transactions for the BG/NBD and Gamma-Gamma models.

    Only transactions on or before ``observation_end`` count. See the module
    documentation for the conventions.

    Raises:
        ValidationError: not a Transaction, an unknown unit.
        CurrencyMismatchError: amounts in more than one currency.
    """
    end = to_date(observation_end, "observation_end")
    chosen = _check_unit(unit)
    per_unit = UNITS[chosen]
    days: dict[str, dict[pendulum.Date, Fraction]] = {}
    currency: str | None = None
    for transaction in items_of(transactions, "transactions", "Transaction values"):
        if not isinstance(transaction, Transaction):
            raise ValidationError(
                "transactions", "must contain only Transaction", allowed="Transaction values"
            )
        amount = transaction.amount
        if currency is None:
            currency = amount.currency
        elif amount.currency != currency:
            raise CurrencyMismatchError(currency, amount.currency, operation="summarise")
        day = transaction.day
        if day > end:
            continue
        spent = days.setdefault(transaction.customer_id, {})
        spent[day] = spent.get(day, Fraction(0)) + Fraction(amount.amount)  # exact
    summaries: dict[str, RfmSummary] = {}
    for customer_id in sorted(days):
        spent = days[customer_id]
        ordered = sorted(spent)
        first, last = ordered[0], ordered[-1]
        repeats = [spent[d] for d in ordered[1:]]
        mean = sum(repeats, Fraction(0)) / len(repeats) if repeats else Fraction(0)
        assert currency is not None
        summaries[customer_id] = RfmSummary(
            customer_id=customer_id,
            frequency=len(ordered) - 1,
            recency=Fraction((last - first).days, per_unit),
            T=Fraction((end - first).days, per_unit),
            monetary_value=Money.from_exact(mean, currency),
            unit=chosen,
            first_purchase=first,
            last_purchase=last,
        )
    return RfmSummaries(summaries, unit=chosen, observation_end=end)


Summaries = Mapping[str, RfmSummary] | Sequence[RfmSummary]
"""A model's data: `rfm_summary`'s result (any mapping from customer id to
`RfmSummary`), or a sequence of `RfmSummary` values (keyed by their ids)."""

_SUMMARIES = "the result of rfm_summary, or a sequence of RfmSummary values"


def _summaries(summary: object, field: str = "summary") -> Mapping[str, RfmSummary]:
    """Customer id → summary, from a mapping or a sequence of summaries (one
    per customer, in one unit)."""
    if isinstance(summary, Mapping):
        found = summary
        if not all(isinstance(s, RfmSummary) for s in found.values()):
            raise ValidationError(field, "must map customer ids to RfmSummary", allowed=_SUMMARIES)
    elif isinstance(summary, list | tuple):
        if not all(isinstance(s, RfmSummary) for s in summary):
            raise ValidationError(field, "must contain only RfmSummary", allowed=_SUMMARIES)
        found = {s.customer_id: s for s in summary}
        if len(found) != len(summary):
            raise ValidationError(field, "has two summaries of one customer", allowed=_SUMMARIES)
    else:
        raise ValidationError(
            field, f"must be summaries, not {type(summary).__name__}", allowed=_SUMMARIES
        )
    if not found:
        raise ValidationError(field, "is empty", allowed="at least one customer")
    if len({s.unit for s in found.values()}) > 1:
        raise ValidationError(field, "mixes units", allowed="summaries in one unit")
    return found


def _rows(summary: object) -> list[tuple[int, float, float]]:
    return [(s.frequency, float(s.recency), float(s.T)) for s in _summaries(summary).values()]


def _unpack(x: object, t_x: object, T: object) -> tuple[object, object, object]:
    """A prediction's customer inputs: ``(x, t_x, T)`` as given, or taken from
    one `RfmSummary` (scalars) or from several (numpy arrays, in their order)."""
    if t_x is None and T is None:
        if isinstance(x, RfmSummary):
            return x.frequency, float(x.recency), float(x.T)
        if isinstance(x, Mapping | list | tuple):
            given = list(_summaries(x, "x").values()) if x else []
            np = _numpy()
            return (
                np.array([s.frequency for s in given], dtype=float),
                np.array([float(s.recency) for s in given], dtype=float),
                np.array([float(s.T) for s in given], dtype=float),
            )
        raise ValidationError(
            "t_x",
            "is missing",
            allowed="x, t_x and T; or one RfmSummary, or several, in place of x",
        )
    if t_x is None or T is None:
        raise ValidationError(
            "t_x" if t_x is None else "T", "is missing", allowed="x, t_x and T together"
        )
    return x, t_x, T


def _customers(x: object, t_x: object, T: object) -> tuple[Any, Any, Any, Any, bool]:
    """The evaluator and the checked ``(x, t_x, T)`` of a prediction, and
    whether they are arrays (see `_unpack` for what is accepted)."""
    x, t_x, T = _unpack(x, t_x, T)
    if _is_array(x) or _is_array(t_x) or _is_array(T):
        _, count, recency, age = _check_customers(x, t_x, T)
        return _arrays(), count, recency, age, True
    count, recency, age = _check_customer(x, t_x, T)
    return SCALAR, count, recency, age, False


def _quiet(many: bool) -> contextlib.AbstractContextManager[Any]:
    """numpy's floating-point warnings off while an array prediction runs (an
    overflow is inf, which `_answer` refuses); nothing to switch for scalars."""
    return _numpy().errstate(all="ignore") if many else contextlib.nullcontext()


def _answer(value: Any, many: bool) -> Any:
    """A prediction, refused where floats gave no finite answer."""
    return _finite_array(_numpy(), value) if many else _finite(value)


# Calibration and holdout ------------------------------------------------------------------


@attrs.frozen
class HoldoutRow:
    """One customer in a calibration/holdout split.

    Attributes:
        summary: the customer's summary over the calibration period.
        purchases: purchase days in the holdout period.
    """

    summary: RfmSummary
    purchases: int


class CalibrationHoldout(MappingResult[str, HoldoutRow]):
    """Customer id → `HoldoutRow`, for the customers who bought in the
    calibration period; with the split's dates, unit and holdout length."""

    __slots__ = ("_by_id", "calibration", "calibration_end", "duration", "observation_end")

    def __init__(
        self,
        by_id: dict[str, HoldoutRow],
        *,
        calibration: RfmSummaries,
        calibration_end: pendulum.Date,
        observation_end: pendulum.Date,
        duration: Fraction,
    ) -> None:
        self._by_id = by_id
        self.calibration = calibration
        self.calibration_end = calibration_end
        self.observation_end = observation_end
        self.duration = duration

    def _mapped(self) -> Mapping[str, HoldoutRow]:
        return self._by_id

    def __repr__(self) -> str:
        return (
            f"CalibrationHoldout({len(self)} customers, unit={self.calibration.unit!r}, "
            f"calibration_end={self.calibration_end.isoformat()}, "
            f"observation_end={self.observation_end.isoformat()})"
        )


def calibration_and_holdout(
    transactions: Iterable[Transaction],
    *,
    calibration_end: _dt.date,
    observation_end: _dt.date,
    unit: str = "week",
) -> CalibrationHoldout:
    """Split transactions for validating a model: the calibration summary of
    every customer who bought on or before ``calibration_end``, and the
    number of days each of them bought in the holdout period
    (``calibration_end``, ``observation_end``]. Customers whose first
    purchase falls in the holdout period are left out (the model knows
    nothing of them), as in Fader, Hardie & Lee (2005).

    Raises:
        ValidationError: not Transaction values, an unknown unit, or a
            calibration end not before the observation end.
        CurrencyMismatchError: amounts in more than one currency.
    """
    end = to_date(observation_end, "observation_end")
    split = to_date(calibration_end, "calibration_end")
    if split >= end:
        raise ValidationError(
            "calibration_end",
            "is not before observation_end",
            allowed="a day before the end of observation",
        )
    given = instances_of(Transaction, transactions, "transactions", "Transaction values")
    calibration = rfm_summary(given, observation_end=split, unit=unit)
    holdout_days: dict[str, set[pendulum.Date]] = {}
    for transaction in given:
        day = transaction.day
        if split < day <= end and transaction.customer_id in calibration:
            holdout_days.setdefault(transaction.customer_id, set()).add(day)
    rows = {
        customer_id: HoldoutRow(summary, len(holdout_days.get(customer_id, ())))
        for customer_id, summary in calibration.items()
    }
    duration = Fraction((end - split).days, UNITS[calibration.unit])
    return CalibrationHoldout(
        rows,
        calibration=calibration,
        calibration_end=split,
        observation_end=end,
        duration=duration,
    )
