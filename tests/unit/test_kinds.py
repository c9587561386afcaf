"""The record-kind registry's queries, from the unit tests (mutation testing of the
domain runs the unit tests)."""

import pendulum
import pytest

from crmcore import Customer, LifecyclePhase, RecordKind, ValidationError
from crmcore.domain.kinds import REGISTRY, kind_of, spec_of

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def prospect(cid: str = "c-1", owner: str | None = "u-1") -> Customer:
    return Customer.prospect(customer_id=cid, name="Ann", at=T0, owner=owner, team="north")


def test_check_where_takes_values_and_collections() -> None:
    spec = spec_of(RecordKind.CUSTOMER)
    checked = spec.check_where({"owner": "u-1", "phase": ["acquisition", "lost"], "team": ()})
    assert checked == {
        "owner": frozenset({"u-1"}),
        "phase": frozenset({"acquisition", "lost"}),  # enums are indexed by value
        "team": frozenset(),
    }
    assert spec.check_where(None) == {}
    assert spec.check_where({"owner": frozenset({"u-1", "u-2"})}) == {
        "owner": frozenset({"u-1", "u-2"})
    }


def test_matches_and_index_values() -> None:
    spec = kind_of(prospect())
    record = prospect()
    assert spec is REGISTRY[RecordKind.CUSTOMER]
    assert spec.record_id(record) == "c-1"
    assert spec.index_values(record) == {
        "owner": "u-1",
        "team": "north",
        "territory": None,
        "phase": "acquisition",
    }
    assert spec.check_where({"phase": LifecyclePhase.LOST}) == {"phase": frozenset({"lost"})}
    assert spec.matches(record, spec.check_where({"owner": "u-1", "phase": "acquisition"}))
    assert not spec.matches(record, spec.check_where({"owner": ["u-2", "u-3"]}))
    assert not spec.matches(record, spec.check_where({"team": []}))
    assert spec.matches(prospect(owner=None), spec.check_where({"owner": [None, "u-9"]}))


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("owner=u-1", "where"),
        ({"name": "Ann"}, "where"),
        ({1: "x"}, "where"),
        ({"phase": "sleeping"}, "phase"),
        ({"owner": "a b"}, "owner"),
    ],
)
def test_bad_filters(where: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        spec_of(RecordKind.CUSTOMER).check_where(where)
    assert caught.value.field == field
