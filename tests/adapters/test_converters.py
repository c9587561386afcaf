import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    Complaint,
    Contract,
    Customer,
    Interaction,
    Money,
    Opportunity,
    Pipeline,
    Profile,
    ServiceContract,
    Stage,
    ValidationError,
)
from crmcore.adapters.converters import make_converter
from crmcore.testing import strategies

CONVERTER = make_converter()
CASES: list[tuple[st.SearchStrategy[Any], type[Any]]] = [
    (strategies.money(), Money),
    (strategies.stages(), Stage),
    (strategies.pipelines(), Pipeline),
    (strategies.opportunities(), Opportunity),
    (strategies.customers(), Customer),
    (strategies.profiles(), Profile),
    (strategies.interactions(), Interaction),
    (strategies.contracts(), Contract),
    (strategies.service_contracts(), ServiceContract),
    (strategies.complaints(), Complaint),
]


@pytest.mark.parametrize(("strategy", "cls"), CASES, ids=[c.__name__ for _, c in CASES])
def test_every_value_round_trips_through_json(
    strategy: st.SearchStrategy[Any], cls: type[Any]
) -> None:
    @given(strategy)
    def round_trip(value: Any) -> None:
        text = json.dumps(CONVERTER.unstructure(value))
        back = CONVERTER.structure(json.loads(text), cls)
        assert back == value
        assert repr(back) == repr(value)

    round_trip()


def test_formats() -> None:
    assert CONVERTER.unstructure(Money.of("9.99", "EUR")) == {"amount": "9.99", "currency": "EUR"}
    assert CONVERTER.unstructure(pendulum.datetime(2030, 1, 1, 9, tz="Asia/Taipei")) == (
        "2030-01-01T09:00:00+08:00"
    )
    customer = Customer.prospect(
        customer_id="c", name="n", at=pendulum.datetime(2030, 1, 1, 9, tz="Asia/Taipei")
    )
    data = CONVERTER.unstructure(customer)
    assert data["changed_at"] == "2030-01-01T01:00:00+00:00"
    assert "version" not in data
    assert "pending_events" not in data
    assert CONVERTER.unstructure(dt.timedelta(days=1)) == 86_400_000_000
    assert CONVERTER.unstructure(Fraction(1, 3)) == "1/3"
    assert CONVERTER.structure("1/3", Fraction) == Fraction(1, 3)
    assert CONVERTER.unstructure(Decimal("1E+2")) == "100"


def test_fresh_converters_are_independent() -> None:
    assert make_converter() is not make_converter()


@pytest.mark.parametrize(
    ("data", "cls", "fragment"),
    [
        ({"amount": "1", "currency": "EUR", "x": 1}, Money, "exactly the keys"),
        ({"amount": 1, "currency": "EUR"}, Money, "must be a string"),
        ({"amount": "1", "currency": "eur"}, Money, "currency"),
        ("2030-13-01", pendulum.Date, "ISO 8601"),
        (20300101, pendulum.Date, "ISO 8601"),
        ("yesterday", pendulum.DateTime, "ISO 8601"),
        (5, pendulum.DateTime, "ISO 8601"),
        ("2030-01-01T00:00:00", pendulum.DateTime, "naive"),
        ("1.5", dt.timedelta, "microseconds"),
        (10**30, dt.timedelta, "out of range"),
        (3, Fraction, "string"),
        ("1/0", Fraction, "fraction"),
        ({"name": "x"}, Pipeline, "exactly the keys"),
        ({"name": "x", "stages": "Won"}, Pipeline, "list"),
        ({"name": "Lead", "probability": "0.5", "oops": 1}, Stage, "unknown keys"),
        ({"name": "Lead"}, Stage, "misses the key"),
        (
            {"name": "Lead", "probability": "0.5", "kind": "open", "forecast_category": ["x"]},
            Stage,
            "not a known value",
        ),
        ("not a dict", Stage, "malformed"),
    ],
)
def test_bad_data_raises_validation_errors(data: Any, cls: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        CONVERTER.structure(data, cls)


def test_unknown_keys_in_aggregates_are_rejected() -> None:
    customer = Customer.prospect(
        customer_id="c", name="n", at=pendulum.datetime(2030, 1, 1, tz="UTC")
    )
    data = CONVERTER.unstructure(customer) | {"nickname": "x"}
    with pytest.raises(ValidationError, match=r"unknown keys \['nickname'\]"):
        CONVERTER.structure(data, Customer)


def test_domain_rules_are_checked_when_rebuilding() -> None:
    customer = Customer.prospect(
        customer_id="c", name="n", at=pendulum.datetime(2030, 1, 1, tz="UTC")
    )
    data = CONVERTER.unstructure(customer) | {"phase": "contract"}
    with pytest.raises(ValidationError, match="open_contracts"):
        CONVERTER.structure(data, Customer)
