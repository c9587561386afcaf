from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from crmcore import CurrencyMismatchError, Money, ValidationError
from crmcore.analytics.segmentation import abc_classes, gini, lorenz_curve, pareto

VALUES = {"a": 100, "b": 50, "c": 30, "d": 10, "e": 10}


def test_covering_rule_worked_example() -> None:
    result = abc_classes(VALUES)
    assert dict(result) == {"a": "A", "b": "A", "c": "A", "d": "B", "e": "B"}
    a = result.classes["A"]
    assert (a.count, a.value, a.customer_share, a.value_share) == (
        3,
        180,
        Fraction(3, 5),
        Fraction(9, 10),
    )
    assert result.classes["C"].count == 0
    assert result.classes["C"].threshold is None
    assert [(c.threshold, c.value, c.customers, c.label) for c in result.crossings] == [
        (Fraction(4, 5), 30, 1, "A"),
        (Fraction(19, 20), 10, 2, "B"),
    ]
    assert result.total == 200
    assert (result.boundary, result.thresholds) == ("covering", (Fraction(4, 5), Fraction(19, 20)))
    assert repr(result) == "AbcResult(A: 3, B: 2, C: 0)"
    assert len(result) == 5


def test_inclusive_rule_drops_the_crossing_group() -> None:
    assert dict(abc_classes(VALUES, boundary="inclusive")) == {
        "a": "A",
        "b": "A",
        "c": "B",
        "d": "C",
        "e": "C",
    }
    # a customer holding more than the first threshold alone lands below A
    assert abc_classes({"whale": 90, "x": 10}, boundary="inclusive")["whale"] == "B"


def test_ties_share_a_class_and_zero_total_gives_the_last_class() -> None:
    assert set(abc_classes({"a": 5, "b": 5, "c": 5}).values()) == {"A"}
    assert set(abc_classes({"a": 0, "b": 0}).values()) == {"C"}
    assert abc_classes({"a": 0}).crossings == ()
    assert dict(abc_classes({})) == {}


def test_money_and_decimal_values_stay_exact() -> None:
    money = abc_classes(
        {"x": Money.of("0.10", "EUR"), "y": Money.of("0.20", "EUR")}, thresholds=(Decimal("0.5"),)
    )
    assert money.total == Money.of("0.30", "EUR")
    assert money.classes["A"].value == Money.of("0.20", "EUR")
    decimals = abc_classes(
        {"x": Decimal("0.1"), "y": Decimal("0.25")}, thresholds=(Decimal("0.5"),)
    )
    assert decimals.classes["B"].value == Decimal("0.1")
    assert dict(decimals) == {"y": "A", "x": "B"}


def test_many_thresholds() -> None:
    cuts = tuple(Fraction(i, 26) for i in range(1, 26))
    result = abc_classes({str(i): 1 for i in range(26)}, thresholds=cuts)
    assert sorted(result.classes) == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"a": 1.5}, "values['a']"),
        ({"a": -1}, "values['a']"),
        ({"a": 1, "b": -1}, "values['b']"),
        ({"a": Decimal("-0.5")}, "values['a']"),
        ({"a": Money.of("-1", "EUR")}, "values['a']"),
        ({"a": Decimal("NaN")}, "values['a']"),
        ({"a": True}, "values['a']"),
        ({"a": "5"}, "values['a']"),
        ({"a": 1, "b": Money.of(1, "EUR")}, "values"),
        ([("a", 1)], "values"),
        ({"a": Decimal("1E-61")}, "values"),
    ],
)
def test_bad_values(values: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        abc_classes(values)
    assert caught.value.field == field


def test_mixed_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        abc_classes({"a": Money.of(1, "EUR"), "b": Money.of(1, "USD")})


def test_long_keys_are_shortened_in_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        abc_classes({"k" * 100: -1})
    assert caught.value.field.endswith("...]")


@pytest.mark.parametrize(
    "thresholds",
    [
        (),
        (Decimal("0.9"), Decimal("0.8")),
        (Decimal(0),),
        (Decimal("1.1"),),
        (0.8,),
        "0.8",
        tuple(Fraction(i, 30) for i in range(1, 27)),
    ],
)
def test_bad_thresholds(thresholds: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        abc_classes(VALUES, thresholds=thresholds)
    assert caught.value.field == "thresholds"


def test_bad_boundary() -> None:
    with pytest.raises(ValidationError) as caught:
        abc_classes(VALUES, boundary="between")  # type: ignore[arg-type]
    assert caught.value.field == "boundary"


def test_pareto() -> None:
    result = pareto({"a": 80, "b": 10, "c": 5, "d": 5, "e": 0})
    assert result.vital_few == frozenset({"a"})
    assert result.trivial_many == frozenset("bcde")
    assert (result.customer_share, result.value_share) == (Fraction(1, 5), Fraction(4, 5))
    assert result.summary == "20.0 % of customers make 80.0 % of value"
    assert pareto({}).summary == "no value to analyse"
    assert pareto({"a": 0}).value_share is None
    assert pareto({"a": 2, "b": 1}, share="0.5").vital_few == frozenset({"a"})


def test_gini_and_lorenz() -> None:
    assert gini({"a": 1, "b": 1}) == 0
    assert gini({"a": 0, "b": 0}) == 0
    assert gini({"a": 0, "b": 10}) == Fraction(1, 2)
    assert gini({}) is None
    assert lorenz_curve({"a": 1, "b": 3}) == (
        (Fraction(0), Fraction(0)),
        (Fraction(1, 2), Fraction(1, 4)),
        (Fraction(1), Fraction(1)),
    )
    assert lorenz_curve({})[-1] == (Fraction(1), Fraction(1))
    assert lorenz_curve({"a": 0, "b": 0})[1] == (Fraction(1, 2), Fraction(1, 2))


def test_numbers_of_different_types_mix_freely() -> None:
    from fractions import Fraction

    from crmcore.analytics import abc_classes, gini

    mixed = pareto({"a": Decimal("5"), "b": 1})
    plain = pareto({"a": 5, "b": 1})
    assert (mixed.vital_few, mixed.value_share) == (plain.vital_few, plain.value_share)
    thirds = abc_classes({"a": Fraction(1, 3), "b": Decimal("0.5"), "c": 2})
    assert thirds.classes["A"].value == Fraction(5, 2)  # 2 + 1/2: exact, as a Fraction
    assert thirds.classes["B"].value == Fraction(1, 3)
    assert thirds.total == Fraction(17, 6)
    assert gini({"a": Fraction(1, 3), "b": 1}) == gini({"a": 1, "b": 3})
    with pytest.raises(ValidationError, match="mixes Money with numbers"):
        pareto({"a": Money.of("1", "EUR"), "b": 1})
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73]
    with pytest.raises(ValidationError, match="common denominator"):
        pareto({str(p): Fraction(1, p**3) for p in primes})


def test_values_of_10_to_the_1000_or_more_are_refused_unless_all_ints() -> None:
    with pytest.raises(ValidationError, match=r"^values\['a'\]: is out of range: 10\*\*1000"):
        abc_classes({"a": Decimal("1E+5000"), "b": Decimal("0.5")})
    with pytest.raises(ValidationError, match=r"^values\['a'\]: is out of range"):
        abc_classes({"a": 10**1000, "b": Decimal("0.5")})
    assert abc_classes({"a": Decimal("9E+999"), "b": Decimal("0.5")})["a"] == "A"
    assert abc_classes({"a": 10**5000, "b": 1})["a"] == "A"  # ints only: no conversion, no limit
