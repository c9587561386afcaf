"""Customer lifetime value: the retention formula and the sources' historical value.

The sources define CLV as the value of a customer over the whole
relationship: the revenue the customer brings minus the cost of serving
them. Two ways to put a number on it live here, each with every convention
stated:

- `lifetime_value`: the standard retention-based formula, for a constant
  margin per period, a retention rate and a discount rate (finite or infinite
  horizon, margin at the end or at the start of each period);
- `historical_value`: the value of the relationship so far, from the
  customer's dated cash flows, compounded forward to a date.

The probabilistic models (BG/NBD and Gamma-Gamma) are in
`crmcore.analytics.btyd`.
"""

import datetime as _dt
import decimal
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import attrs
import pendulum

from crmcore.domain.fields import bounded_int, items_of, validates
from crmcore.domain.money import Money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.times import to_date
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = [
    "CashFlow",
    "ClvResult",
    "FlowValue",
    "HistoricalValue",
    "historical_value",
    "lifetime_value",
]

MAX_PERIODS = 10_000
MAX_TERM_BITS = 200_000
"""The largest exact term a finite horizon may need, in bits of numerator or
denominator: ``periods`` times the size of r/(1+d). Ordinary rates (0.8 and
0.1: 4 bits) allow all 10,000 periods; rates with many digits allow fewer."""


def _check_work(periods: int, q: Fraction) -> None:
    """Refuse up front a horizon whose exact terms would take unbounded time."""
    bits = max(q.numerator.bit_length(), q.denominator.bit_length(), 1)
    if periods * bits > MAX_TERM_BITS:
        raise ValidationError(
            "periods",
            "is too many for rates with this many digits (each term is computed exactly)",
            allowed=f"at most {MAX_TERM_BITS // bits} periods with these rates, "
            "or rates with fewer digits",
        )


_TIMINGS = ("end", "start")


def _short(value: Fraction) -> str:
    """A fraction's repr, or its size where writing it out would take thousands of digits."""
    bits = max(value.numerator.bit_length(), value.denominator.bit_length())
    if bits <= _SHORT_BITS:
        return repr(value)
    return f"Fraction(<numerator and denominator of about {int(bits * 0.30103):,} digits>)"


_SHORT_BITS = 3000  # about 900 digits


@attrs.frozen
class ClvResult:
    """The retention-based lifetime value and how it was computed.

    Attributes:
        value: the value, exact when it fits in 18 fractional digits, else
            rounded once at the 18th (``value.rounded()`` for display).
        exact: the exact rational value.
        formula: the formula used, in words.
        timing: ``"end"`` or ``"start"``.
        periods: the horizon, ``None`` for infinite.
        margin, retention, discount_rate, acquisition_cost: the inputs.
        terms: for a finite horizon, the discounted margin of each period
            (before the acquisition cost), in order; empty for an infinite one.
    """

    value: Money
    exact: Fraction = attrs.field(repr=_short)
    formula: str
    timing: str
    periods: int | None
    margin: Money
    retention: Fraction
    discount_rate: Fraction
    acquisition_cost: Money | None
    terms: tuple[Money, ...]


def _check_money(value: object, field: str) -> Money:
    if not isinstance(value, Money):
        raise ValidationError(field, f"must be Money, not {type(value).__name__}", allowed="Money")
    return value


def lifetime_value(
    *,
    margin: Money,
    retention: Decimal | int | str | Fraction,
    discount_rate: Decimal | int | str | Fraction,
    periods: int | None = None,
    timing: str = "end",
    acquisition_cost: Money | None = None,
) -> ClvResult:
    """The retention-based CLV of a customer with a constant margin per period.

    With ``q = r / (1 + d)``:

    - ``timing="end"`` (the customer must survive a period to yield its
      margin): Σ_{t=1..T} m·r^t/(1+d)^t; infinite horizon m·r/(1+d−r);
    - ``timing="start"`` (the first margin is received now):
      Σ_{t=0..T−1} m·r^t/(1+d)^t; infinite horizon m·(1+d)/(1+d−r).

    The acquisition cost, if given, is subtracted. Everything is computed
    from exact rationals and rounded once.

    Args:
        margin: the margin per period (any sign).
        retention: the share of customers kept from one period to the next, in [0, 1].
        discount_rate: the discount rate per period, 0 or more.
        periods: the horizon in periods, 1 to 10,000; ``None`` for infinite.
        timing: ``"end"`` or ``"start"``, see above.
        acquisition_cost: subtracted from the value; same currency as the margin.

    Raises:
        ValidationError: a float or out-of-range rate, a bad horizon or
            timing, or an infinite horizon that does not converge (r = 1, d = 0).
        CurrencyMismatchError: the acquisition cost is in another currency.
    """
    m = _check_money(margin, "margin")
    r = to_fraction(retention, "retention")
    d = to_fraction(discount_rate, "discount_rate")
    if not 0 <= r <= 1:
        raise ValidationError("retention", "must be between 0 and 1", allowed="0 <= r <= 1")
    if d < 0:
        raise ValidationError("discount_rate", "must not be negative", allowed="0 or more")
    if timing not in _TIMINGS:
        raise ValidationError("timing", "is not a known timing", allowed="'end' or 'start'")
    if periods is not None:
        bounded_int(periods, "periods", 1, MAX_PERIODS)
    cost = None if acquisition_cost is None else _check_money(acquisition_cost, "acquisition_cost")
    if cost is not None and cost.currency != m.currency:
        raise CurrencyMismatchError(m.currency, cost.currency, operation="subtract")
    amount = Fraction(m.amount)
    q = r / (1 + d)
    if periods is not None:
        _check_work(periods, q)
    terms: tuple[Money, ...] = ()
    if periods is None:
        if r == 1 + d:
            raise ValidationError(
                "periods",
                "an infinite horizon does not converge with retention 1 and discount rate 0",
                allowed="a finite number of periods, retention below 1 or a positive rate",
            )
        if timing == "end":
            exact = amount * r / (1 + d - r)
            formula = "m·r/(1+d−r): margin at the end of each period, infinite horizon"
        else:
            exact = amount * (1 + d) / (1 + d - r)
            formula = "m·(1+d)/(1+d−r): margin at the start of each period, infinite horizon"
    else:
        first = q if timing == "end" else Fraction(1)
        factors = [first]
        for _ in range(periods - 1):
            factors.append(factors[-1] * q)
        terms = tuple(Money.from_exact(amount * f, m.currency) for f in factors)
        # the geometric sum in closed form: exactly the sum of the terms
        total = Fraction(periods) if q == 1 else (1 - q**periods) / (1 - q)
        exact = amount * first * total
        span = "t=1..T" if timing == "end" else "t=0..T−1"
        when = "end" if timing == "end" else "start"
        formula = (
            f"Σ_{{{span}}} m·r^t/(1+d)^t with T = {periods}: margin at the {when} of each period"
        )
    if cost is not None:
        exact -= Fraction(cost.amount)
        formula += ", minus the acquisition cost"
    return ClvResult(
        value=Money.from_exact(exact, m.currency),
        exact=exact,
        formula=formula,
        timing=timing,
        periods=periods,
        margin=m,
        retention=r,
        discount_rate=d,
        acquisition_cost=cost,
        terms=terms,
    )


# Historical value ---------------------------------------------------------------


def _non_negative(value: object, field: str) -> None:
    if not isinstance(value, Money) or value.is_negative():
        raise ValidationError(field, "must be Money of zero or more", allowed="Money >= 0")


def _to_day(value: object) -> pendulum.Date:
    return to_date(value, "on")


@attrs.frozen
class CashFlow:
    """What a customer brought and cost on one day (both zero or more, one currency)."""

    on: pendulum.Date = attrs.field(converter=_to_day)
    revenue: Money = attrs.field(validator=validates(_non_negative))
    cost: Money = attrs.field(validator=validates(_non_negative))

    def __attrs_post_init__(self) -> None:
        if self.revenue.currency != self.cost.currency:
            raise CurrencyMismatchError(self.revenue.currency, self.cost.currency, operation="net")

    @property
    def net(self) -> Money:
        """Revenue minus cost."""
        return self.revenue - self.cost


@attrs.frozen
class FlowValue:
    """One cash flow compounded forward to the valuation date.

    ``factor`` is (1 + rate)^(days/365), to 40 significant digits (exact when
    ``days`` is a multiple of 365 or the rate is zero).
    """

    flow: CashFlow
    days: int
    factor: Decimal
    value: Money


@attrs.frozen
class HistoricalValue:
    """The value of a relationship at a date: Σ (revenue − cost) × (1 + rate)^(days/365)."""

    value: Money
    as_of: pendulum.Date
    annual_discount_rate: Fraction
    flows: tuple[FlowValue, ...]
    revenue: Money
    cost: Money


_PRECISION = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-(10**6))


def _factor(rate: Fraction, days: int) -> Fraction:
    """(1 + rate)^(days/365): exact for whole years, else to 40 significant digits."""
    years, rest = divmod(days, 365)
    growth = 1 + rate
    if rest == 0 or rate == 0:
        return growth**years
    context = _PRECISION
    base = context.divide(Decimal(growth.numerator), Decimal(growth.denominator))
    power = context.exp(
        context.multiply(context.divide(Decimal(days), Decimal(365)), context.ln(base))
    )
    return Fraction(power)


def historical_value(
    cash_flows: Iterable[CashFlow],
    *,
    as_of: _dt.date,
    annual_discount_rate: Decimal | int | str | Fraction = Decimal(0),
) -> HistoricalValue:
    """The value of the relationship so far (the sources' definition of CLV at a
    point in time): each flow's revenue minus cost, compounded forward from its
    day to ``as_of`` at the annual rate, actual/365 day count.

    The total is computed from the per-flow values at full precision and
    rounded once (at the 18th fractional digit); each flow's ``value`` is
    rounded the same way for display.

    Raises:
        ValidationError: no flows, a flow after ``as_of``, a float or negative rate.
        CurrencyMismatchError: flows in more than one currency.
    """
    day = to_date(as_of, "as_of")
    rate = to_fraction(annual_discount_rate, "annual_discount_rate")
    if rate < 0:
        raise ValidationError("annual_discount_rate", "must not be negative", allowed="0 or more")
    given = items_of(cash_flows, "cash_flows", "CashFlow values")
    if not given:
        raise ValidationError("cash_flows", "is empty", allowed="at least one CashFlow")
    flows = tuple(f for f in given if isinstance(f, CashFlow))
    if len(flows) != len(given):
        raise ValidationError("cash_flows", "must contain only CashFlow", allowed="CashFlow values")
    currency = flows[0].revenue.currency
    for flow in flows:
        if flow.revenue.currency != currency:
            raise CurrencyMismatchError(currency, flow.revenue.currency, operation="add")
        if flow.on > day:
            raise ValidationError(
                "cash_flows",
                f"has a flow on {flow.on.isoformat()}, after as_of",
                allowed="flows on or before as_of",
            )
    total = Fraction(0)
    values = []
    for flow in flows:
        days = (day - flow.on).days
        factor = _factor(rate, days)
        compounded = Fraction(flow.net.amount) * factor
        total += compounded
        values.append(
            FlowValue(
                flow=flow,
                days=days,
                factor=_PRECISION.divide(Decimal(factor.numerator), Decimal(factor.denominator)),
                value=Money.from_exact(compounded, currency),
            )
        )
    return HistoricalValue(
        value=Money.from_exact(total, currency),
        as_of=day,
        annual_discount_rate=rate,
        flows=tuple(values),
        revenue=sum((f.revenue for f in flows), Money.zero(currency)),
        cost=sum((f.cost for f in flows), Money.zero(currency)),
    )
