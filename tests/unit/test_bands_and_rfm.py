import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import CurrencyMismatchError, Customer, Industry, Money, Profile, ValidationError
from crmcore.analytics import (
    CUSTOMER_TYPE,
    DEFAULT_SEGMENT_MAP,
    INDUSTRY,
    OCCUPATION,
    SPEND_BANDS,
    Bands,
    Categories,
    SegmentMap,
    Transaction,
    age_bands,
    combine,
    rfm,
    segment,
)

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
D = pendulum.Date


def person(cid: str, born: D, industry: str = "government") -> Customer:
    profile = Profile(
        birth_date=born, industry=industry, occupation="staff", customer_type="ordinary"
    )
    return Customer.prospect(customer_id=cid, name="Name", at=T0, profile=profile)


def test_spend_bands_are_half_open() -> None:
    spend = {
        "a": {"spend": 99},
        "b": {"spend": Money.of("100", "VND")},
        "c": {"spend": Decimal("249.99")},
        "d": {"spend": 250},
        "e": {"spend": 10_000},
    }
    result = segment(spend, SPEND_BANDS)
    assert dict(result.labels) == {
        "a": "below 100",
        "b": "100-150",
        "c": "150-250",
        "d": "250-500",
        "e": "500 and above",
    }
    assert result.counts["below 100"] == 1


def test_default_band_labels_and_attribute_keys() -> None:
    bands = Bands("score", ("1.5", 3))
    assert bands.labels == ("below 1.5", "1.5-3", "3 and above")

    class Record:
        score = Decimal("2")

    assert bands.label("r", Record()) == "1.5-3"
    assert Bands(lambda r: r, (0,)).label("r", 5) == "0 and above"
    assert Bands(lambda r: r, (1,)).label("r", Fraction(1, 2)) == "below 1"


def test_age_bands_from_birth_dates() -> None:
    on = dt.date(2030, 6, 1)
    people = {
        "young": person("young", D(2008, 6, 1)),  # 22
        "mid": person("mid", D(2007, 6, 1)),  # 23
        "old": person("old", D(1974, 6, 2)),  # 55
        "older": person("older", D(1974, 6, 1)),  # 56
    }
    labels = dict(segment(people, age_bands(as_of=on)).labels)
    assert labels == {"young": "22 and under", "mid": "23-35", "old": "36-55", "older": "over 55"}


def test_categories_and_combinations() -> None:
    people = {
        "a": person("a", D(1990, 1, 1), "government"),
        "b": person("b", D(1960, 1, 1), "foreign enterprise"),
    }
    assert dict(segment(people, INDUSTRY).labels) == {"a": "government", "b": "foreign enterprise"}
    combined = segment(people, combine(INDUSTRY, age_bands(as_of=dt.date(2030, 1, 1)), OCCUPATION))
    assert combined.labels["b"] == ("foreign enterprise", "over 55", "staff")
    assert segment(people, CUSTOMER_TYPE).counts == {"ordinary": 2}
    vip = Categories("tier", {"gold": "VIP", "silver": "VIP", "none": "ordinary"})
    assert segment({"x": {"tier": "gold"}}, vip).labels["x"] == "VIP"
    assert Categories("k", [Industry.OTHER]).allowed == {Industry.OTHER: "other"}


def test_values_outside_every_band_or_category_name_the_customer_id() -> None:
    nobody = {"cust-7": Customer.prospect(customer_id="cust-7", name="Hoa", at=T0)}
    with pytest.raises(ValidationError) as caught:
        segment(nobody, age_bands(as_of=dt.date(2030, 1, 1)))
    assert caught.value.field == "records['cust-7']"
    assert "Hoa" not in str(caught.value)
    with pytest.raises(ValidationError, match="outside every category"):
        segment(nobody, INDUSTRY)
    with pytest.raises(ValidationError, match="numeric"):
        segment({"x": {"spend": 1.5}}, SPEND_BANDS)
    with pytest.raises(ValidationError, match="outside every category"):
        segment({"x": {"tier": ["unhashable"]}}, Categories("tier", ["gold"]))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Bands("k", ()), "edges"),
        (lambda: Bands("k", (2, 1)), "edges"),
        (lambda: Bands("k", "12"), "edges"),
        (lambda: Bands("k", (1, 2), labels=("a", "b")), "labels"),
        (lambda: Bands("k", (1,), labels=("a", "a")), "labels"),
        (lambda: Bands("k", (1,), labels="ab"), "labels"),
        (lambda: Categories("k", []), "allowed"),
        (lambda: Categories("k", "abc"), "allowed"),
        (lambda: combine(), "segmenters"),
        (lambda: combine("INDUSTRY"), "segmenters"),  # type: ignore[arg-type]
        (lambda: segment([], INDUSTRY), "records"),  # type: ignore[arg-type]
        (lambda: segment({}, "INDUSTRY"), "segmenter"),  # type: ignore[arg-type]
    ],
)
def test_bad_segmenters(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field


# RFM ------------------------------------------------------------------------------


def tx(cid: str, day: D | pendulum.DateTime, amount: str, currency: str = "EUR") -> Transaction:
    return Transaction(cid, day, Money.of(amount, currency))


def test_rfm_worked_example() -> None:
    result = rfm(
        [
            tx("a", D(2030, 1, 1), "10"),
            tx("a", D(2030, 3, 1), "5"),
            tx("a", pendulum.datetime(2030, 3, 1, 23, tz="UTC"), "5"),  # same day
            tx("b", D(2030, 2, 1), "50"),
            tx("c", pendulum.datetime(2030, 3, 20, 23, tz="America/New_York"), "1"),  # 21 March UTC
            tx("c", D(2031, 1, 1), "1"),  # after as_of: ignored
        ],
        as_of=dt.date(2030, 4, 1),
        customers=["a", "z"],
    )
    a, b, c = result["a"], result["b"], result["c"]
    assert (a.recency_days, a.frequency, a.monetary) == (31, 2, Money.of("20", "EUR"))
    assert (c.recency_days, c.frequency) == (11, 1)
    assert [(s.r, s.f, s.m) for s in (a, b, c)] == [(2, 4, 2), (1, 1, 4), (4, 1, 1)]
    assert [s.segment for s in (a, b, c)] == ["At risk", "Hibernating", "Promising"]
    assert result.inactive == frozenset({"z"})
    assert dict(result.cutoffs["frequency"]) == {1: (1, 1), 4: (2, 2)}
    assert result.cutoffs["monetary"][4] == (Money.of("50", "EUR"), Money.of("50", "EUR"))
    assert (result.as_of, result.bins, len(result), list(result)) == (
        D(2030, 4, 1),
        5,
        3,
        ["a", "b", "c"],
    )


def test_rfm_ties_share_scores_and_other_bins_have_no_default_map() -> None:
    result = rfm(
        [tx("a", D(2030, 1, 1), "1"), tx("b", D(2030, 1, 1), "1")], as_of=D(2030, 1, 2), bins=3
    )
    assert (result["a"].r, result["a"].segment) == (result["b"].r, None)
    assert result["a"].r == 1


def test_default_segment_map_covers_the_grid() -> None:
    assert DEFAULT_SEGMENT_MAP.segment(5, 5) == "Champions"
    assert DEFAULT_SEGMENT_MAP.segment(1, 5) == "Can't lose them"
    assert sum(len(c) for c in DEFAULT_SEGMENT_MAP.cells.values()) == 25


def test_segment_maps_are_checked_when_built() -> None:
    with pytest.raises(ValidationError) as caught:
        SegmentMap(2, {"x": {(1, 1), (1, 2), (3, 3)}, "y": {(1, 1)}})
    assert caught.value.problems == (
        "'x' names (3, 3), outside the 2x2 grid",
        "(1, 1) is in both 'x' and 'y'",
        "(2, 1) is in no segment",
        "(2, 2) is in no segment",
    )
    custom = SegmentMap(1, {"all": {(1, 1)}})
    assert (
        rfm([tx("a", D(2030, 1, 1), "1")], as_of=D(2030, 1, 1), bins=1, segments=custom)[
            "a"
        ].segment
        == "all"
    )
    bad_cells: list[Any] = [{}, "cells"]
    for bad in bad_cells:
        with pytest.raises(ValidationError):
            SegmentMap(1, bad)
    with pytest.raises(ValidationError):
        SegmentMap(0, {"x": set()})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bins": 0}, "bins"),
        ({"bins": 5.0}, "bins"),
        ({"bins": 4, "segments": DEFAULT_SEGMENT_MAP}, "segments"),
        ({"as_of": T0}, "as_of"),
        ({"customers": ["a b"]}, "customers"),
    ],
)
def test_rfm_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"as_of": D(2030, 1, 1)} | kwargs
    with pytest.raises(ValidationError) as caught:
        rfm([], **arguments)
    assert caught.value.field == field


def test_rfm_bad_transactions() -> None:
    with pytest.raises(ValidationError) as caught:
        rfm([tx("a", D(2030, 1, 1), "1"), "b"], as_of=D(2030, 1, 1))  # type: ignore[list-item]
    assert caught.value.field == "transactions[1]"
    with pytest.raises(ValidationError):
        rfm("abc", as_of=D(2030, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatchError):
        rfm([tx("a", D(2030, 1, 1), "1"), tx("b", D(2030, 1, 1), "1", "USD")], as_of=D(2030, 1, 1))


def test_transaction_rules() -> None:
    assert tx("a", pendulum.datetime(2030, 1, 1, 1, tz="Asia/Tokyo"), "1").day == D(2029, 12, 31)
    with pytest.raises(ValidationError, match="naive"):
        Transaction("a", dt.datetime(2030, 1, 1), Money.of(1, "EUR"))
    with pytest.raises(ValidationError) as caught:
        Transaction("a", D(2030, 1, 1), Money.of(-1, "EUR"))
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError):
        Transaction("a b", D(2030, 1, 1), Money.of(1, "EUR"))


def test_whole_edges_are_shown_with_every_digit() -> None:
    # a whole edge is written out exactly, however many digits it has (a rounded
    # one would read "1.000000000000000000000000000E+40")
    huge = 10**40 + 1
    assert Bands("x", (huge,)).labels == (f"below {huge}", f"{huge} and above")
