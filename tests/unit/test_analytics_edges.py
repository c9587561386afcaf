"""Edges of the analytics that the unit tests did not sit on, found by the
mutation run of docs/quality.md: ties at the Pareto cut, integer targets too
large for a float, equal thresholds, the first negative value named, and a
cash flow exactly on ``as_of``.
"""

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import pendulum
import pytest

from crmcore import Money, ValidationError
from crmcore.analytics import CashFlow, historical_value
from crmcore.analytics.rfm import rfm
from crmcore.analytics.segmentation import abc_classes, lorenz_curve, pareto
from crmcore.analytics.vendors import DEFAULT_SCALE, Priority, Requirement, Scale, score_vendors
from tests.unit.test_vendors import MAJOR, MINOR, NA, OOB


def test_a_tie_at_the_pareto_cut_joins_the_vital_few_whole() -> None:
    result = pareto({"a": 5, "b": 5, "c": 5, "d": 1}, share="0.5")
    assert result.vital_few == frozenset("abc")
    assert (result.customer_share, result.value_share) == (Fraction(3, 4), Fraction(15, 16))
    assert result.share == Fraction(1, 2)
    assert pareto({"a": 5, "b": 4, "c": 4, "d": 4, "e": 1}, share="0.5").vital_few == frozenset(
        "abcd"
    )


def test_the_pareto_target_is_exact_beyond_a_float() -> None:
    # Half the total is 2**60 + 1, which a float rounds to 2**60: only the
    # exact ceiling puts b among the vital few.
    values = {"a": 2**60, "b": 2**59 + 2, "c": 2**59}
    assert pareto(values, share="0.5").vital_few == frozenset("ab")


@pytest.mark.parametrize("thresholds", [("0.8", "0.8"), ("0.5", "0.9", "0.9")])
def test_equal_thresholds_are_refused(thresholds: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        abc_classes({"a": 1}, thresholds=thresholds)
    assert caught.value.field == "thresholds"


def test_the_first_negative_value_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        pareto({"zero": 0, "small": 0, "negative": -1})
    assert caught.value.field == "values['negative']"


def test_a_cash_flow_on_as_of_counts_with_no_days() -> None:
    day = pendulum.date(2030, 6, 30)
    flow = CashFlow(day, Money.of("100", "EUR"), Money.of("40", "EUR"))
    result = historical_value([flow], as_of=day, annual_discount_rate=Decimal("0.1"))
    assert (result.value, result.as_of) == (Money.of("60", "EUR"), day)
    assert (result.flows[0].flow, result.flows[0].days) == (flow, 0)


def test_a_gap_of_one_point_still_needs_a_change() -> None:
    reqs = [Requirement("A", "high"), Requirement("B", "low")]
    ratings = {"a": {"A": OOB, "B": MAJOR}, "b": {"A": MINOR, "B": MINOR}}  # 13 vs 12
    flips = score_vendors(reqs, ratings).flip_points("a", "b")
    assert (flips["A"].change, flips["A"].new_points) == (-1, 2)
    assert (flips["B"].change, flips["B"].new_points) == (1, 2)


def test_lowering_a_priority_may_take_it_to_zero_but_not_below() -> None:
    only = [Requirement("A", "medium")]  # 2 points x (4 - 0): a gap of 8
    flips = score_vendors(only, {"a": {"A": OOB}, "b": {"A": NA}}).flip_points("a", "b")
    assert (flips["A"].change, flips["A"].new_points) == (-2, 0)
    reqs = [Requirement("A", "low"), Requirement("B", "high")]
    ratings = {"a": {"A": OOB, "B": OOB}, "b": {"A": MINOR, "B": NA}}  # 16 vs 3, slope 1 on A
    flips = score_vendors(reqs, ratings).flip_points("a", "b")
    assert (flips["A"].change, flips["A"].new_points) == (None, None)


def test_compounding_over_a_part_year_uses_the_exact_day_count() -> None:
    day = pendulum.date(2031, 1, 2)
    flow = CashFlow(day.subtract(days=366), Money.of("100", "EUR"), Money.of("0", "EUR"))
    ten = historical_value([flow], as_of=day, annual_discount_rate="0.1").flows[0]
    context = decimal.Context(prec=40)

    def growth(base: Decimal) -> Decimal:  # base ** (366/365) to 40 digits
        return context.exp(context.multiply(context.divide(366, 365), context.ln(base)))

    assert ten.days == 366
    assert ten.factor == growth(Decimal("1.1"))
    doubled = historical_value([flow], as_of=day, annual_discount_rate=1).flows[0]
    assert doubled.factor == growth(Decimal(2))


def test_an_empty_lorenz_curve_is_the_line_of_equality() -> None:
    assert lorenz_curve({}) == ((Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)))


def test_each_abc_class_but_the_last_keeps_its_threshold() -> None:
    result = abc_classes({"a": 80, "b": 15, "c": 5}, thresholds=("0.8", "0.95"))
    assert [c.threshold for c in result.classes.values()] == [
        Fraction(4, 5),
        Fraction(19, 20),
        None,
    ]


def test_leaving_out_the_only_requirement_names_it() -> None:
    ranking = score_vendors([Requirement("A", "high")], {"a": {"A": OOB}})
    assert ranking.leave_one_out()["A"].requirement == "A"


def test_unknown_names_of_any_type_are_listed_not_sorted_into_a_type_error() -> None:
    ranking = score_vendors([Requirement("A", "high")], {"a": {"A": OOB}})
    with pytest.raises(ValidationError, match="unknown requirements"):
        ranking.what_if(priorities={1: "high", "Nope": "high"})  # type: ignore[dict-item]


def test_a_vendor_failing_two_must_haves_lists_both() -> None:
    reqs = [Requirement("A", "high", must_have=True), Requirement("B", "low", must_have=True)]
    ranking = score_vendors(reqs, {"a": {"A": NA, "B": NA}, "b": {"A": OOB, "B": OOB}})
    assert ranking.explain("a").splitlines()[0] == "a: not qualified: fails must-have A, B"


def test_rfm_refuses_a_mapping_of_transactions() -> None:
    with pytest.raises(ValidationError) as caught:
        rfm(cast(Any, {"c1": 1}), as_of=pendulum.date(2030, 1, 1))
    assert caught.value.field == "transactions"


def test_a_vendor_failing_a_must_have_still_has_its_fit() -> None:
    reqs = [Requirement("A", "high", must_have=True), Requirement("B", "low")]
    ranking = score_vendors(reqs, {"a": {"A": NA, "B": OOB}, "b": {"A": OOB, "B": NA}})
    assert (ranking["a"].qualified, ranking["a"].total, ranking["a"].maximum) == (False, 4, 16)
    assert (ranking["a"].fit, ranking["b"].fit) == (Fraction(1, 4), Fraction(3, 4))


def test_without_points_to_win_no_vendor_has_a_fit() -> None:
    no_low = Scale(
        priorities={Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 0},
        abilities=DEFAULT_SCALE.abilities,
    )
    reqs = [Requirement("A", "low", must_have=True)]
    ranking = score_vendors(reqs, {"a": {"A": NA}, "b": {"A": OOB}}, scale=no_low)
    assert (ranking["a"].qualified, ranking["b"].qualified) == (False, True)
    assert (ranking["a"].maximum, ranking["a"].fit, ranking["b"].fit) == (0, None, None)
