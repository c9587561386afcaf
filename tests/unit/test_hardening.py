# mypy: disable-error-code="arg-type, dict-item, list-item, operator, call-overload, misc"
"""The refusals the fuzz suite asked for, one example each (the fuzz suite
itself is random; these keep every branch covered deterministically)."""

import datetime as _dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import (
    Actor,
    Channel,
    Money,
    RecordKind,
    Role,
    Stage,
    ValidationError,
    commands,
    services,
)
from crmcore.adapters.converters import CrmConverter, make_converter
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.analytics import Categories, Combined, DurationStats, age_bands, segment
from crmcore.analytics.btyd import BetaGeo, ClvPredictions, GammaGamma, rfm_summary
from crmcore.analytics.rfm import SegmentMap
from crmcore.analytics.vendors import DEFAULT_SCALE, VendorRanking
from crmcore.domain.contracts import MAX_TERMS, ServiceContract
from crmcore.domain.money import check_currency
from crmcore.policy import DEFAULT_POLICY, Action, Scope, TablePolicy
from tests.clocks import LATER

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def field_of(call: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.field


def test_enums_refuse_unknown_values_with_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="Channel: is not a known value") as caught:
        Channel("pigeon")
    assert "'phone'" in str(caught.value)
    assert Channel("phone") is Channel.PHONE
    assert field_of(lambda: Channel([1])) == "Channel"


def test_iterables_of_the_right_kind() -> None:
    assert field_of(lambda: rfm_summary(True, observation_end=T0.date())) == "transactions"
    assert field_of(lambda: rfm_summary("abc", observation_end=T0.date())) == "transactions"
    assert field_of(lambda: Combined(5)) == "parts"
    assert field_of(lambda: Combined([])) == "parts"
    assert field_of(lambda: DurationStats.of(5)) == "durations"
    assert field_of(lambda: DurationStats.of([1])) == "durations"
    assert DurationStats.of([_dt.timedelta(days=2)]).count == 1


def test_services_need_a_unit_of_work() -> None:
    assert field_of(lambda: services.handle(5, commands.RegisterProspect(name="n", at=T0))) == "uow"
    assert field_of(lambda: services.find(None, "customer")) == "uow"


def test_the_in_memory_store_checks_its_arguments() -> None:
    assert field_of(lambda: InMemoryUnitOfWork(ids=5, clock=LATER)) == "ids"
    assert field_of(lambda: InMemoryUnitOfWork(store=5, clock=LATER)) == "store"
    store = InMemoryStore()
    assert field_of(lambda: store.fetch("customers", "x")) == "kind"
    assert field_of(lambda: store.fetch(5, "x")) == "kind"
    assert field_of(lambda: store.fetch(RecordKind.CUSTOMER, 5)) == "record_id"
    assert field_of(lambda: store.fetch_where("nope", {}, limit=None, after=None)) == "kind"
    assert (
        field_of(lambda: store.fetch_where(RecordKind.CUSTOMER, {"x": 1}, limit=None, after=None))
        == "where"
    )
    assert (
        field_of(lambda: store.fetch_where(RecordKind.CUSTOMER, {}, limit=0, after=None)) == "limit"
    )
    assert (
        field_of(lambda: store.fetch_where(RecordKind.CUSTOMER, {}, limit=None, after=""))
        == "after"
    )
    assert field_of(lambda: store.apply(None, {})) == "expected"
    assert field_of(lambda: store.apply({}, None)) == "writes"
    assert field_of(lambda: store.apply({("nope", "x"): None}, {})) == "kind"
    assert field_of(lambda: store.apply({("customers", "x"): None}, {})) == "kind"
    assert field_of(lambda: store.apply({(RecordKind.CUSTOMER, 1): None}, {})) == "expected"
    assert field_of(lambda: store.apply({"customers": None}, {})) == "expected"
    assert field_of(lambda: store.apply({(RecordKind.CUSTOMER, "x"): "1"}, {})) == "expected"
    assert field_of(lambda: store.apply({}, {(RecordKind.CUSTOMER, "x"): (1,)})) == "writes"
    assert field_of(lambda: store.apply({}, {(RecordKind.CUSTOMER, "x"): ("1", None)})) == "writes"
    store.apply({(RecordKind.CUSTOMER, "x"): None}, {(RecordKind.CUSTOMER, "x"): None})
    assert store.fetch(RecordKind.CUSTOMER, "x") is None


def test_the_converter() -> None:
    assert isinstance(CrmConverter(), CrmConverter)
    assert field_of(lambda: make_converter().structure({}, _dt.timedelta(days=1))) == "cl"


def test_btyd_numbers() -> None:
    assert field_of(lambda: BetaGeo(r=Decimal("sNaN"), alpha=1, a=2, b=1)) == "r"
    assert field_of(lambda: GammaGamma(p=10**400, q=1, v=1)) == "p"
    model = BetaGeo(r=1, alpha=2, a=2, b=1)
    assert field_of(lambda: model.expected_purchases_population(10**400)) == "t"
    assert field_of(lambda: ClvPredictions({}, unit="year", months=1)) == "unit"
    assert field_of(lambda: ClvPredictions({}, unit=["week"], months=1)) == "unit"
    assert ClvPredictions({}, unit="week", months=1).units_per_month == Fraction(30, 7)


def test_validation_errors_keep_only_lists_of_problems() -> None:
    assert ValidationError("f", "p", problems=5).problems == ()
    error = ValidationError("f", "p", problems=["a", 1])
    assert error.problems == ("a", "1")
    assert str(error) == "f: p\n  - a\n  - 1"


def test_vendor_rankings_are_built_from_checked_parts() -> None:
    assert field_of(lambda: VendorRanking((), {}, None)) == "ratings"
    assert field_of(lambda: VendorRanking((), {"v": {"a": 1}}, DEFAULT_SCALE)) == "ratings"
    assert field_of(lambda: VendorRanking((), {"v": 1}, DEFAULT_SCALE)) == "ratings"
    assert field_of(lambda: VendorRanking([1], {}, DEFAULT_SCALE)) == "requirements"


def test_segmenters() -> None:
    assert field_of(lambda: Categories(5, allowed=["a"])) == "key"
    assert field_of(lambda: Categories("k", allowed=[[1]])) == "allowed"
    assert field_of(lambda: SegmentMap(bins=2, cells={"a": 5})) == "cells"
    bands = age_bands(as_of=T0.date())
    assert field_of(lambda: segment({"x": 5}, bands)) == "records['x']"


def test_money_constructors() -> None:
    assert field_of(lambda: Money.from_fraction("1/3", "EUR")) == "value"
    assert Money.from_fraction(3, "EUR") == Money.of("3", "EUR")
    assert field_of(lambda: Money.from_minor_units(1.5, "EUR")) == "units"
    assert field_of(lambda: Money.from_minor_units(True, "EUR")) == "units"
    assert Money.from_minor_units(-5, "JPY") == Money.of("-5", "JPY")
    # too many units is the caller's units, not an "amount" they never passed (fuzz)
    assert field_of(lambda: Money.from_minor_units(10**20, "EUR")) == "units"
    assert Money.from_minor_units(10**20 - 1, "EUR").amount == Decimal("999999999999999999.99")
    assert Money.from_minor_units(12345, "BHD") == Money.of("12.345", "BHD")


def test_unknown_currencies_are_echoed_only_when_they_look_like_codes() -> None:
    with pytest.raises(ValidationError, match="'EUX' is not a known currency code"):
        check_currency("EUX")
    for value in ("eu", "Anna", "Thu Phạm", "E1R"):
        with pytest.raises(ValidationError) as caught:
            check_currency(value)
        assert value not in str(caught.value)
        assert caught.value.value is None


def test_service_contract_terms_stay_in_the_calendar() -> None:
    late = ServiceContract.start(
        contract_id="svc-1",
        customer_id="cust-1",
        starts=pendulum.Date(9990, 1, 1),
        term_months=12,
        auto_renew=True,
        notice_days=0,
        price=Money.of("1", "EUR"),
        at=T0,
    )
    assert late.term_end(0) == pendulum.Date(9990, 1, 1)
    assert late.term_end(1) == pendulum.Date(9991, 1, 1)
    with pytest.raises(ValidationError, match="term: takes the date outside the calendar"):
        late.term_end(MAX_TERMS)
    assert field_of(lambda: late.term_end(MAX_TERMS + 1)) == "term"
    assert field_of(lambda: late.term_end(None)) == "term"


def test_the_policy_table_takes_members_or_values() -> None:
    assert DEFAULT_POLICY.scope("admin", "customer", "read") is Scope.ALL
    assert field_of(lambda: DEFAULT_POLICY.scope([1], "customer", "read")) == "role"
    assert field_of(lambda: DEFAULT_POLICY.scope("admin", {}, "read")) == "kind"
    assert field_of(lambda: DEFAULT_POLICY.scope("admin", "customer", "fly")) == "action"
    changed = DEFAULT_POLICY.replace("admin", "customer", "read", "none")
    assert changed.scope(Role.ADMIN, "customer", Action.READ) is Scope.NONE
    assert field_of(lambda: DEFAULT_POLICY.replace("admin", "customer", "read", "x")) == "scope"
    assert field_of(lambda: TablePolicy.from_rows(5)) == "rows"
    rows = [("admin", "customer", *[Scope.ALL] * len(Action))]
    assert TablePolicy.from_rows(rows).scope(Role.ADMIN, "customer", "update") is Scope.ALL
    assert field_of(lambda: TablePolicy.from_rows([("boss", "customer", *[Scope.ALL] * 6)])) == (
        "role"
    )


def test_in_team_is_false_for_anything_but_a_team_name() -> None:
    actor = Actor("u", Role.SALES_REP, frozenset({"t"}))
    assert actor.in_team("t")
    assert not actor.in_team({})
    assert not actor.in_team(None)


@pytest.mark.parametrize("probability", ["1e-99999999", Decimal("1E-99999999"), "1E-19"])
def test_a_probability_with_a_huge_negative_exponent_is_refused_at_once(
    probability: object,
) -> None:
    # Fraction(value) * 10**18 took 8 minutes for 1E-99999999 (found by the fuzz suite)
    with pytest.raises(ValidationError, match="more than 18 digits") as caught:
        Stage("Proposal", probability)
    assert caught.value.field == "probability"


@pytest.mark.parametrize(
    ("value", "digits"),
    [("0", 0), ("0E-30", 0), ("0.5", 1), ("0.50", 1), ("1E-18", 18), ("1E-19", 19),
     ("1.000000000000000000000", 0), ("100", 0), ("1E+5", 0), ("1E-99999999", 99999999)],
)  # fmt: skip
def test_fraction_digits(value: str, digits: int) -> None:
    from crmcore.domain.numbers import fraction_digits

    assert fraction_digits(Decimal(value)) == digits
