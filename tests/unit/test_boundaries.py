"""The edges of every limit: the last accepted value and the first refused one.

Mutation testing (docs/quality.md) showed that `<` and `<=` could be swapped
at these limits without a test noticing; each test here pins one edge.
"""

from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest

from crmcore import InvalidTransitionError, LifecyclePhase, Money, ValidationError
from crmcore.domain.complaints import MAX_NOTE_LENGTH
from crmcore.domain.contracts import MAX_REASON_LENGTH as CONTRACT_REASON
from crmcore.domain.customers import MAX_NAME_LENGTH, Profile
from crmcore.domain.fields import check_text
from crmcore.domain.money import MAX_RATIOS
from crmcore.domain.numbers import parse_decimal, percent, round_fraction
from tests.records import T0, complaint, contract, customer
from tests.unit.test_error_contract import LATER, _interaction, _ready_to_close, service

EUR = Money.of("10", "EUR")


def test_text_may_be_exactly_as_long_as_allowed() -> None:
    assert check_text("x" * 5, "f", max_length=5) == "xxxxx"
    with pytest.raises(ValidationError, match=r"^f: is 6 characters long"):
        check_text("x" * 6, "f", max_length=5)
    # exactly as long as allowed, but with a leading space: that is what is wrong
    with pytest.raises(ValidationError, match=r"^f: has leading or trailing whitespace"):
        check_text(" xxxx", "f", max_length=5)
    assert customer().rename("n" * MAX_NAME_LENGTH, at=LATER).name == "n" * MAX_NAME_LENGTH
    with pytest.raises(ValidationError, match="name"):
        customer().rename("n" * (MAX_NAME_LENGTH + 1), at=LATER)


def test_e_mail_addresses_up_to_254_characters() -> None:
    address = "a" * 64 + "@" + "b" * 185 + ".com"
    assert len(address) == 254
    assert Profile(email=address).email == address
    with pytest.raises(ValidationError, match="email"):
        Profile(email="a" + address)


def test_phone_numbers_need_three_digits() -> None:
    assert Profile(phone="123").phone == "123"
    with pytest.raises(ValidationError, match="phone"):
        Profile(phone="12")
    with pytest.raises(ValidationError, match="phone"):
        Profile(phone=123)


def test_satisfaction_runs_from_1_to_5() -> None:
    assert _ready_to_close().close(at=T0, satisfaction=1).satisfaction == 1
    assert _ready_to_close().close(at=T0, satisfaction=5).satisfaction == 5
    for score in (0, 6):
        with pytest.raises(ValidationError, match="satisfaction"):
            _ready_to_close().close(at=T0, satisfaction=score)


def test_notes_up_to_the_limit() -> None:
    note = "n" * MAX_NOTE_LENGTH
    assert complaint().advance("calmed", at=T0, note=note).steps[-1].note == note
    with pytest.raises(ValidationError, match="note"):
        complaint().advance("calmed", at=T0, note=note + "n")


def test_the_thanked_step_is_only_reached_by_closing() -> None:
    with pytest.raises(InvalidTransitionError, match="close"):
        _ready_to_close().advance("thanked", at=T0)


def test_compensation_and_payments_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        complaint().compensate(Money.of("0", "EUR"), at=T0)
    assert complaint().compensate(Money.of("0.01", "EUR"), at=T0).total_compensation == Money.of(
        "0.01", "EUR"
    )
    with pytest.raises(ValidationError):
        contract().pay(Money.of("0", "EUR"), at=LATER)


def test_cancel_reasons_up_to_the_limit() -> None:
    reason = "r" * CONTRACT_REASON
    assert contract().cancel(at=LATER, reason=reason).cancel_reason == reason
    with pytest.raises(ValidationError, match="reason"):
        contract().cancel(at=LATER, reason=reason + "r")


def test_a_service_covers_its_first_day_and_not_its_end() -> None:
    svc = service()
    assert svc.covers(svc.current_term_starts)
    assert not svc.covers(svc.ends)
    assert not svc.covers(svc.current_term_starts.subtract(days=1))


def test_churn_risk_limits_and_activity_at_the_instant() -> None:
    c = customer().log_interaction(_interaction())
    assert c.churn_risk(as_of=LATER, quiet_days=1).quiet_days == 1
    assert c.churn_risk(as_of=LATER, quiet_days=36_500).quiet_days == 36_500
    risk = c.churn_risk(as_of=LATER, quiet_days=1)
    assert risk.last_activity == LATER  # an interaction at as_of counts
    assert risk.quiet_for == pendulum.duration()
    assert not risk.at_risk


def test_time_in_phase_counts_up_to_as_of() -> None:
    c = customer()
    assert c.time_in_phase(LifecyclePhase.ACQUISITION, as_of=T0) == pendulum.duration()
    assert c.time_in_phase(LifecyclePhase.ACQUISITION, as_of=LATER) == pendulum.duration(days=1)


def test_profile_age_on_the_birthday() -> None:
    profile = Profile(birth_date=pendulum.Date(2000, 3, 1))
    assert profile.age(on=pendulum.Date(2000, 3, 1)) == 0
    assert profile.age(on=pendulum.Date(2001, 3, 1)) == 1
    assert profile.age(on=pendulum.Date(2001, 2, 28)) == 0
    with pytest.raises(ValidationError, match="on"):
        profile.age(on=pendulum.Date(2000, 2, 29))


def test_amounts_keep_18_fraction_digits_and_drop_zeros_beyond() -> None:
    eighteen = "0." + "0" * 17 + "1"
    assert Money.of(eighteen, "EUR").amount == Decimal(eighteen)
    assert Money.of("1." + "0" * 25, "EUR").amount == Decimal(1)
    assert Money.of("0." + "0" * 30, "EUR").amount == Decimal(0)
    assert Money.of(eighteen + "000", "EUR").amount == Decimal(eighteen)
    with pytest.raises(ValidationError, match="after the decimal point"):
        Money.of("0." + "0" * 18 + "1", "EUR")
    with pytest.raises(ValidationError, match="after the decimal point"):
        Money.of("1." + "0" * 18 + "10", "EUR")


def test_allocation_ratios() -> None:
    assert Money.of("1", "EUR").allocate([0, 1]) == (Money.of("0", "EUR"), Money.of("1", "EUR"))
    assert len(Money.of("1", "EUR").allocate([1] * MAX_RATIOS)) == MAX_RATIOS
    with pytest.raises(ValidationError, match="too many"):
        Money.of("1", "EUR").allocate([1] * (MAX_RATIOS + 1))
    for bad in ([], [0, 0], [-1, 2], [1.5], [Decimal("NaN")]):
        with pytest.raises(ValidationError, match="ratios"):
            Money.of("1", "EUR").allocate(bad)  # type: ignore[arg-type]


def test_rounding_to_minor_units_is_half_even() -> None:
    assert Money.of("2.345", "EUR").rounded() == Money.of("2.34", "EUR")
    assert Money.of("2.355", "EUR").rounded() == Money.of("2.36", "EUR")
    assert Money.of("-2.345", "EUR").rounded() == Money.of("-2.34", "EUR")
    assert Money.of("2.5", "JPY").rounded() == Money.of("2", "JPY")


def test_percent_and_rounding() -> None:
    assert percent(Fraction(1, 3)) == "33.3 %"
    assert percent(Fraction(2, 3)) == "66.7 %"
    assert percent(Fraction(1, 2000)) == "0.0 %"
    assert percent(Fraction(1)) == "100.0 %"
    assert round_fraction(Fraction(-1, 3), significant=2) == Decimal("-0.33")
    assert round_fraction(Fraction(0)) == Decimal(0)
    assert round_fraction(Fraction(1000)) == Decimal(1000)
    assert round_fraction(Fraction(12345), significant=2) == Decimal("1.2E+4")
    assert round_fraction(Fraction(1, 10)) == Decimal("0.1")
    assert round_fraction(Fraction(999, 1000), significant=2) == Decimal("1.0")
    assert round_fraction(Fraction(5, 4), min_exponent=0) == Decimal(1)
    assert round_fraction(Fraction(1, 100), min_exponent=-2) == Decimal("0.01")
    assert round_fraction(10**30) == Decimal(10**30)


def test_numeric_text_up_to_200_characters() -> None:
    padded = " " * 150 + "1" * 50
    assert len(padded) == 200
    assert parse_decimal(padded, "f", allowed="a") == Decimal("1" * 50)
    with pytest.raises(ValidationError, match="f"):
        parse_decimal(" " + padded, "f", allowed="a")


def test_an_interaction_logged_late_is_put_in_order() -> None:
    c = customer()
    later = c.log_interaction(_interaction())
    earlier = later.log_interaction(_interaction(subject="first"))
    assert [i.subject for i in earlier.interactions] == ["s", "first"]
    c2 = later.log_interaction(
        _interaction(subject="early").__class__(
            channel="phone", direction="in", at=T0.add(hours=1), subject="early"
        )
    )
    assert [i.subject for i in c2.interactions] == ["early", "s"]


def test_rfm_takes_up_to_100_bins() -> None:
    from crmcore.analytics import Transaction, rfm
    from crmcore.analytics.rfm import SegmentMap

    day = pendulum.Date(2030, 1, 1)
    bought = [Transaction("c1", day, EUR)]
    assert rfm(bought, as_of=day, bins=100).bins == 100
    with pytest.raises(ValidationError, match="bins"):
        rfm(bought, as_of=day, bins=101)
    grid = frozenset((r, f) for r in range(1, 101) for f in range(1, 101))
    assert SegmentMap(100, {"all": grid}).bins == 100
    with pytest.raises(ValidationError, match="bins"):
        SegmentMap(101, {"all": grid})


def test_segmentation_limits() -> None:
    from crmcore.analytics import pareto

    tiny = Decimal("1E-60")
    assert pareto({"a": tiny, "b": Decimal(1)}).value_share == Fraction(10**60, 10**60 + 1)
    with pytest.raises(ValidationError, match="more than 60 fractional digits"):
        pareto({"a": Decimal("1E-61"), "b": Decimal(1)})
    key = "k" * 38  # its repr, with the quotes, is 40 characters: shown whole
    with pytest.raises(ValidationError) as caught:
        pareto({key: -1})
    assert caught.value.field == f"values[{key!r}]"
    with pytest.raises(ValidationError) as caught:
        pareto({key + "k": -1})
    assert caught.value.field == f"values[{repr(key + 'k')[:37]}...]"
