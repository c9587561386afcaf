"""Purchase transactions, shared by RFM and the CLV models."""

import datetime as _dt

import attrs
import pendulum

from crmcore.domain.fields import validates
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money
from crmcore.domain.times import to_date, to_utc
from crmcore.errors import ValidationError


def _when(value: object) -> pendulum.Date | pendulum.DateTime:
    if isinstance(value, _dt.datetime):
        return to_utc(value, "at")
    return to_date(value, "at")


def _check_amount(value: object, field: str) -> None:
    if not isinstance(value, Money) or value.is_negative():
        raise ValidationError(field, "must be Money of zero or more", allowed="Money >= 0")


@attrs.frozen
class Transaction:
    """One purchase: who, when (a date, or an aware datetime counted on its UTC
    calendar day) and how much (Money, zero or more)."""

    customer_id: str = attrs.field(validator=validates(check_id))
    at: pendulum.Date | pendulum.DateTime = attrs.field(converter=_when)
    amount: Money = attrs.field(validator=validates(_check_amount))

    @property
    def day(self) -> pendulum.Date:
        """The calendar day of the purchase (UTC for datetimes)."""
        if isinstance(self.at, pendulum.DateTime):
            return pendulum.Date(self.at.year, self.at.month, self.at.day)
        return self.at
