"""A customer's profile: what the sources segment customers by, plus contact details.

Personal data (birth date, e-mail, phone, region) stays out of ``repr``.
"""

import datetime as _dt
import enum
import re

import attrs
import pendulum

from crmcore.domain.channels import Channel
from crmcore.domain.fields import Choice, check_text, optional_member
from crmcore.domain.times import to_date
from crmcore.errors import ValidationError


class Industry(Choice):
    """The sources' industry segments."""

    GOVERNMENT = "government"
    PRIVATE_ENTERPRISE = "private enterprise"
    STATE_OWNED_ENTERPRISE = "state-owned enterprise"
    FOREIGN_ENTERPRISE = "foreign enterprise"
    OTHER = "other"


class CustomerType(Choice):
    """The sources' customer types."""

    ORDINARY = "ordinary"
    INDIVIDUAL_VIP = "individual VIP"
    CORPORATE = "corporate"


class Occupation(Choice):
    """The sources' occupation segments."""

    OWNER = "owner"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    STAFF = "staff"
    SALES = "sales"


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,31}")


def _email(value: object) -> str | None:
    if value is None:
        return None
    allowed = "an address like name@example.com (at most 254 characters)"
    if type(value) is not str or len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValidationError("email", "is not an e-mail address", allowed=allowed)
    return value


def _phone(value: object) -> str | None:
    if value is None:
        return None
    allowed = "digits with optional +, spaces, ( ) . / -, 3 to 32 characters, at least 3 digits"
    if type(value) is not str or not _PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 3:
        raise ValidationError("phone", "is not a phone number", allowed=allowed)
    return value


def _region(value: object) -> str | None:
    return None if value is None else check_text(value, "region")


def _birth_date(value: object) -> pendulum.Date | None:
    return None if value is None else to_date(value, "birth_date")


_HIDDEN = "<hidden>"


def _to_industry(value: object) -> Industry | None:
    return optional_member(Industry, value, "industry")


def _to_customer_type(value: object) -> CustomerType | None:
    return optional_member(CustomerType, value, "customer_type")


def _to_preferred_channel(value: object) -> Channel | None:
    return optional_member(Channel, value, "preferred_channel")


def _to_occupation(value: object) -> Occupation | None:
    return optional_member(Occupation, value, "occupation")


@attrs.frozen(repr=False)
class Profile:
    """What the sources segment customers by, plus contact details.

    Every attribute is optional. E-mail and phone are validated lightly.
    ``repr`` hides the personal ones (birth date, region, e-mail, phone).
    """

    industry: Industry | None = attrs.field(default=None, converter=_to_industry)
    customer_type: CustomerType | None = attrs.field(default=None, converter=_to_customer_type)
    occupation: Occupation | None = attrs.field(default=None, converter=_to_occupation)
    birth_date: pendulum.Date | None = attrs.field(default=None, converter=_birth_date)
    region: str | None = attrs.field(default=None, converter=_region)
    preferred_channel: Channel | None = attrs.field(default=None, converter=_to_preferred_channel)
    email: str | None = attrs.field(default=None, converter=_email)
    phone: str | None = attrs.field(default=None, converter=_phone)

    def __repr__(self) -> str:
        shown = []
        for field in attrs.fields(Profile):
            value = getattr(self, field.name)
            if value is None:
                continue
            if field.name in ("birth_date", "region", "email", "phone"):
                shown.append(f"{field.name}={_HIDDEN}")
            else:
                shown.append(
                    f"{field.name}={value.value if isinstance(value, enum.Enum) else value!r}"
                )
        return f"Profile({', '.join(shown)})"

    def age(self, *, on: _dt.date) -> int | None:
        """Age in whole years on ``on`` (``None`` without a birth date).

        A birthday on 29 February counts on 28 February in common years.

        Raises:
            ValidationError: ``on`` is before the birth date.
        """
        day = to_date(on, "on")
        if self.birth_date is None:
            return None
        if day < self.birth_date:
            raise ValidationError("on", "is before the birth date", allowed="a date on or after it")
        years = day.year - self.birth_date.year
        birthday = self.birth_date.add(years=years)  # clamps 29 February
        return years if day >= birthday else years - 1


_EMPTY_PROFILE = Profile()
"""Shared by every customer without a profile (profiles are immutable)."""


def profile_or_empty(value: object) -> Profile:
    """``value`` if it is a Profile, the shared empty profile for None, else an error."""
    if value is None:
        return _EMPTY_PROFILE
    if not isinstance(value, Profile):
        raise ValidationError(
            "profile", f"must be a Profile, not {type(value).__name__}", allowed="a Profile or None"
        )
    return value
