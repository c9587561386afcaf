"""Hypothesis strategies for crmcore's values (public API).

Strategies are plural nouns with keyword-only bounds; every one generates
valid values only, within the limits the domain enforces.
"""

import datetime as _dt
from decimal import Decimal
from fractions import Fraction

import pendulum
from hypothesis import strategies as st

from crmcore.domain.currencies import MINOR_UNITS
from crmcore.domain.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, Money
from crmcore.domain.numbers import to_fraction
from crmcore.errors import ValidationError

_LIMIT = Fraction(10**MAX_INTEGER_DIGITS)

__all__ = ["aware_datetimes", "currencies", "dates", "money"]


def currencies() -> st.SearchStrategy[str]:
    """Active ISO 4217 codes that `Money` accepts."""
    return st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def _amounts(draw: st.DrawFn, low: Fraction, high: Fraction, minor: int) -> Decimal:
    places = draw(
        st.one_of(st.just(minor), st.integers(min_value=0, max_value=MAX_FRACTION_DIGITS))
    )
    scale = 10**places
    lowest = -((-low * scale).__floor__())  # ceil(low * scale)
    highest = (high * scale).__floor__()
    units = draw(st.integers(min_value=lowest, max_value=highest))
    return Decimal(f"{units}E-{places}")


def money(
    *,
    currency: str | None = None,
    min_value: Decimal | int | str | None = None,
    max_value: Decimal | int | str | None = None,
) -> st.SearchStrategy[Money]:
    """`Money` values within the domain's bounds.

    Args:
        currency: fix the currency; by default any known code.
        min_value: the smallest amount (inclusive); default the most negative
            amount Money allows.
        max_value: the largest amount (inclusive); default the largest amount.
    """
    low = to_fraction(min_value, "min_value") if min_value is not None else -_LIMIT + 1
    high = to_fraction(max_value, "max_value") if max_value is not None else _LIMIT - 1
    if low > high:
        raise ValidationError(
            "min_value", "is greater than max_value", allowed="min_value <= max_value"
        )
    codes = st.just(currency) if currency is not None else currencies()
    return codes.flatmap(
        lambda code: _amounts(low, high, MINOR_UNITS[code]).map(lambda a: Money(a, code))
    )


_OFFSETS = [_dt.timezone(_dt.timedelta(minutes=15 * k)) for k in range(-48, 57)]


def aware_datetimes(
    *,
    # Naive bounds on purpose: Hypothesis bounds the wall time and adds the zone.
    min_value: _dt.datetime = _dt.datetime(1970, 1, 1),  # noqa: DTZ001
    max_value: _dt.datetime = _dt.datetime(2200, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[_dt.datetime]:
    """Timezone-aware datetimes (pendulum's UTC or fixed offsets from -12:00 to +14:00).

    Args:
        min_value: the earliest naive wall time.
        max_value: the latest naive wall time.
    """
    zones: st.SearchStrategy[_dt.tzinfo] = st.one_of(
        st.just(pendulum.UTC), st.sampled_from(_OFFSETS)
    )
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=zones)


def dates(
    *,
    min_value: _dt.date = _dt.date(1970, 1, 1),
    max_value: _dt.date = _dt.date(2200, 12, 31),
) -> st.SearchStrategy[pendulum.Date]:
    """Calendar dates as `pendulum.Date`."""
    return st.dates(min_value=min_value, max_value=max_value).map(
        lambda d: pendulum.Date(d.year, d.month, d.day)
    )
