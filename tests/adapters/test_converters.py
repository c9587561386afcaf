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


# Strict types: what structure accepts, the constructors accept ---------------------------


def _wrong_type(value: Any) -> Any:
    """A JSON value of another type than ``value``."""
    if isinstance(value, bool):
        return "false"
    if isinstance(value, int):
        return 1.9
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return {"x": 1}
    if isinstance(value, dict):
        return ["x"]
    return {"wrong": [1]}  # None: no optional field takes a dict with that key


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in unstructured data, nested fields and list items included."""
    found = [path] if path else []
    children = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in children:
        found += _paths(value, (*path, key))
    return found


@given(data=st.data())
def test_a_value_of_the_wrong_type_anywhere_is_refused(data: st.DataObject) -> None:
    """For every value type and every place in its unstructured form (nested
    fields and list items too), a value of another JSON type there is a
    ValidationError naming that place."""
    strategy, cls = data.draw(st.sampled_from(CASES[1:]))  # Money is one dict
    raw = CONVERTER.unstructure(data.draw(strategy))
    path = data.draw(st.sampled_from(_paths(raw)))
    parent = raw
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = _wrong_type(parent[path[-1]])
    with pytest.raises(ValidationError):
        CONVERTER.structure(raw, cls)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", None, r"^name: must be a string, not NoneType"),
        ("customer_id", 12345, r"^customer_id: must be a string, not int"),
        ("customer_id", ["x"], r"^customer_id: must be a string, not list"),
        ("ever_fulfilled", "false", r"^ever_fulfilled: must be true or false, not str"),
        ("open_contracts", "abc", r"^open_contracts: must be a list, not str"),
        ("open_contracts", {"k": 1}, r"^open_contracts: must be a list, not dict"),
        ("phase_history", [{}], r"^phase_history\[0\]\.phase: misses the key 'phase'"),
    ],
)
def test_loading_refuses_what_the_constructors_refuse(field: str, value: Any, message: str) -> None:
    customer = Customer.prospect(
        customer_id="c", name="n", at=pendulum.datetime(2030, 1, 1, tz="UTC")
    )
    data = CONVERTER.unstructure(customer) | {field: value}
    with pytest.raises(ValidationError, match=message):
        CONVERTER.structure(data, Customer)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("auto_renew", "false", r"^auto_renew: must be true or false, not str"),
        ("term_months", 1.9, r"^term_months: must be an int, not float"),
        ("term_months", True, r"^term_months: must be an int, not bool"),
    ],
)
def test_service_contract_fields_are_strictly_typed(field: str, value: Any, message: str) -> None:
    contract = ServiceContract.start(
        contract_id="s",
        customer_id="c",
        starts=pendulum.Date(2030, 1, 1),
        term_months=12,
        auto_renew=True,
        notice_days=30,
        price=Money.of("10", "EUR"),
        at=pendulum.datetime(2030, 1, 1, tz="UTC"),
    )
    data = CONVERTER.unstructure(contract) | {field: value}
    with pytest.raises(ValidationError, match=message):
        CONVERTER.structure(data, ServiceContract)


def test_a_crm_error_other_than_validation_inside_a_value_passes_through() -> None:
    """A hook deep inside a record raising a domain error (not a validation
    error) reaches the caller as that error, not as a cattrs error group."""
    from crmcore import CurrencyMismatchError

    converter = make_converter()

    def mixed(value: object, _: object) -> Money:
        raise CurrencyMismatchError("EUR", "USD", operation="add")

    converter.register_structure_hook(Money, mixed)
    opportunity = Opportunity.open(
        opportunity_id="o",
        customer_id="c",
        title="t",
        amount=Money.of("1", "EUR"),
        at=pendulum.datetime(2030, 1, 1, tz="UTC"),
    )
    with pytest.raises(CurrencyMismatchError, match="cannot add EUR and USD"):
        converter.structure(CONVERTER.unstructure(opportunity), Opportunity)
