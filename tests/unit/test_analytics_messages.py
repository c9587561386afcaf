# mypy: disable-error-code="arg-type, call-overload, dict-item, list-item"
"""Analytics refusals word for word, and details of results that mutation
testing found unread (docs/quality.md): exact ties at an ABC threshold, the
classes an ABC result has, RFM cutoffs, stage conversion of an opportunity
that comes back to a stage, a missing attribute in segmentation."""

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pendulum
import pytest

from crmcore import DEFAULT_PIPELINE, Customer, Money, Opportunity, Profile, ValidationError
from crmcore import analytics as a
from crmcore.analytics import Bands, Categories, Combined, Crossing, Transaction, btyd, segment
from crmcore.analytics._results import Columns, text_table
from crmcore.analytics.btyd._numbers import MAX_PURCHASES
from crmcore.analytics.vendors import Scale
from tests.records import T0, T1

BG = btyd.BetaGeo(0.243, 4.414, 0.793, 2.426)
DAY = pendulum.date(2030, 1, 1)
NOT_A_DATE = (
    "must be a calendar date, not str (accepted: a calendar date (pendulum.Date or "
    "datetime.date; not a datetime))"
)
TRIPLES = "(x, t_x, T, count) tuples: count customers with that x, t_x and T"
THRESHOLDS = "1 to 25 strictly increasing numbers in (0, 1], e.g. (Decimal('0.8'), Decimal('0.95'))"
VALUES = "Money, a finite Decimal, an int or a Fraction, zero or more"
PERIOD = "None or a (start, end) pair of aware datetimes with start <= end"
EDGES = "strictly increasing finite numbers (ints, Decimals or numeric strings)"
DECIMAL = "is not a decimal number of at most 100 significant digits"

VALIDATION: list[tuple[str, Callable[[], object], str]] = [
    ("thresholds as text", lambda: a.abc_classes({"a": 1}, thresholds="x"),
     f"thresholds: must be a sequence (accepted: {THRESHOLDS})"),
    ("thresholds as a set", lambda: a.abc_classes({"a": 1}, thresholds={Decimal("0.8")}),
     f"thresholds: must be a sequence (accepted: {THRESHOLDS})"),
    ("a threshold as text", lambda: a.abc_classes({"a": 1}, thresholds=("x",)),
     f"thresholds: {DECIMAL} (accepted: {THRESHOLDS})"),
    ("thresholds decreasing", lambda: a.abc_classes(
        {"a": 1}, thresholds=(Decimal("0.9"), Decimal("0.8"))),
     f"thresholds: are not strictly increasing in (0, 1] (accepted: {THRESHOLDS})"),
    ("a float value", lambda: a.abc_classes({"a": 1.5}),
     f"values['a']: is a float: floats are not exact (use Decimal) (accepted: {VALUES})"),
    ("a NaN value", lambda: a.abc_classes({"a": Decimal("NaN")}),
     f"values['a']: is a Decimal that is not finite (accepted: {VALUES})"),
    ("a text value", lambda: a.abc_classes({"a": "5"}),
     f"values['a']: is a str, not a number (accepted: {VALUES})"),
    ("a period that is no pair", lambda: a.forecast([], closed_between="x"),
     f"closed_between: must be a (start, end) pair (accepted: {PERIOD})"),
    ("a period backwards", lambda: a.forecast([], closed_between=(T1, T0)),
     f"closed_between: ends before it starts (accepted: {PERIOD})"),
    ("not an opportunity", lambda: a.weighted_pipeline([object()]),
     "opportunities[0]: must be an Opportunity, not object (accepted: an Opportunity)"),
    ("not an opportunity either", lambda: a.forecast([1]),
     "opportunities[0]: must be an Opportunity, not int (accepted: an Opportunity)"),
    ("a band key", lambda: Bands(key=1, edges=(1,)),
     "key: must be a name or a function, not int (accepted: an attribute or mapping key "
     "name, or a function of the record)"),
    ("band edges as a set", lambda: Bands(key="x", edges={1, 2}),
     f"edges: must be a non-empty sequence (accepted: {EDGES})"),
    ("a band edge as text", lambda: Bands(key="x", edges=("x",)),
     f"edges: {DECIMAL} (accepted: {EDGES})"),
    ("band edges decreasing", lambda: Bands(key="x", edges=(2, 1)),
     f"edges: are not strictly increasing (accepted: {EDGES})"),
    ("parts as text", lambda: Combined(parts="x"),
     "parts: must be an iterable of Bands, Categories or Combined, not str (accepted: Bands, "
     "Categories or Combined)"),
    ("age bands' day", lambda: a.age_bands(as_of="x"),
     "as_of: must be a calendar date, not str (accepted: a calendar date (pendulum.Date or "
     "datetime.date; not a datetime))"),
    ("a value outside every category", lambda: segment(
        {"r1": {"n": 3}}, Categories(key="n", allowed=[1, 2])),
     "records['r1']: of customer 'r1' has a value outside every category (accepted: 1, 2)"),
    ("no value for a combined band", lambda: segment(
        {"r9": {"x": "a"}}, Combined(parts=(Bands(key="x", edges=(3,)),))),
     "records['r9']: of customer 'r9' has no numeric value for these bands (accepted: Money, "
     "a Decimal or an int)"),
    ("a scale without every priority", lambda: Scale(priorities={}, abilities={}),
     "priorities: must give points for every Priority (accepted: a mapping from every "
     "Priority to a non-negative int)"),
    ("cash flows as text", lambda: a.historical_value("x", as_of=pendulum.date(2030, 1, 1)),
     "cash_flows: must be an iterable of CashFlow values, not str (accepted: CashFlow values)"),
    ("a holdout's end", lambda: btyd.calibration_and_holdout(
        [], calibration_end=DAY, observation_end="x"), f"observation_end: {NOT_A_DATE}"),
    ("a calibration's end", lambda: btyd.calibration_and_holdout(
        [], calibration_end="x", observation_end=DAY), f"calibration_end: {NOT_A_DATE}"),
    ("a holdout's transaction", lambda: btyd.calibration_and_holdout(
        ["x"], calibration_end=DAY, observation_end=DAY.add(days=9)),
     "transactions[0]: must be of type Transaction, not str (accepted: Transaction values)"),
    ("purchases past the sum's bound", lambda: BG.probability_of_purchases(
        np.array([MAX_PURCHASES + 1]), np.array([39.0])),
     "n[0]: is too large to sum over (accepted: at most 1,000,000)"),
    ("a fractional purchase count", lambda: BG.probability_of_purchases(
        np.array([1.5]), np.array([39.0])),
     "n[0]: is not a whole number (accepted: a whole number from 0 to 1,000,000,000: an int, "
     "a numpy integer, or an integral float such as 2.0 (what a pandas column holds))"),
    ("a negative span", lambda: BG.probability_of_purchases(np.array([1]), np.array([-1.0])),
     "t[0]: must be finite and 0 or more (accepted: times of 0 or more)"),
    ("a last purchase after T", lambda: BG.probability_alive(
        np.array([2, 3]), np.array([5.0, 9.0]), np.array([6.0, 8.0])),
     "t_x[1]: is after T (accepted: 0 <= t_x <= T)"),
    ("a last purchase without repeats", lambda: BG.probability_alive(
        np.array([0]), np.array([1.0]), np.array([6.0])),
     "t_x[0]: must be 0 without repeat purchases (accepted: 0)"),
    ("a negative last purchase", lambda: BG.probability_alive(
        np.array([1]), np.array([-1.0]), np.array([6.0])),
     "t_x[0]: must be finite and 0 or more (accepted: times of 0 or more)"),
    ("last purchases as text", lambda: BG.probability_alive(
        np.array([1]), np.array(["a"]), np.array([6.0])),
     "t_x: must be an array of numbers, not of <U1 (accepted: times of 0 or more)"),
    ("customers' shapes", lambda: BG.probability_alive(
        np.array([1, 2]), np.array([1.0, 2.0, 3.0]), np.array([6.0])),
     "x: (x, t_x, T) have shapes that do not broadcast (accepted: one shape)"),
    ("spans' shapes", lambda: BG.expected_purchases(
        np.array([1.0, 2.0]), np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]), np.full(3, 6.0)),
     "t: (t, x, t_x, T) have shapes that do not broadcast (accepted: one shape)"),
    ("triples as text", lambda: btyd.BetaGeo.fit_counts("x"),
     f"rows: must be an iterable of {TRIPLES}, not str (accepted: {TRIPLES})"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "message"), VALIDATION, ids=[c for c, _, _ in VALIDATION])
def test_an_analytics_refusal_reads_as_documented(
    case: str, call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert str(caught.value) == message


def test_values_exactly_at_a_threshold() -> None:
    values = {"a": 80, "b": 15, "c": 5}
    covering = a.abc_classes(values)  # b starts exactly at 80 %: not needed to cover it
    assert list(covering.classes) == ["A", "B", "C"]
    assert dict(covering) == {"a": "A", "b": "B", "c": "C"}
    inclusive = a.abc_classes(values, boundary="inclusive")  # a ends exactly at 80 %
    assert dict(inclusive) == {"a": "A", "b": "B", "c": "C"}
    assert inclusive.crossings == (
        Crossing(threshold=Fraction(4, 5), value=80, customers=1, label="A"),
        Crossing(threshold=Fraction(19, 20), value=15, customers=1, label="B"),
    )
    one = a.abc_classes({"a": 4, "b": 1}, thresholds=(Decimal("0.8"),))
    assert list(one.classes) == ["A", "B"]


def test_rfm_cutoffs_are_the_spans_of_each_score() -> None:
    day = pendulum.date(2030, 1, 1)
    eur = Money.of

    def bought(customer: str, after: int, amount: str) -> Transaction:
        return Transaction(customer, day.add(days=after), eur(amount, "EUR"))

    result = a.rfm(
        [bought("c1", 0, "10"), bought("c2", 5, "30"), bought("c2", 6, "30"), bought("c3", 9, "5")],
        as_of=day.add(days=10),
        bins=2,
    )
    assert {k: dict(v) for k, v in result.cutoffs.items()} == {
        "recency_days": {1: (4, 10), 2: (1, 1)},
        "frequency": {1: (1, 1), 2: (2, 2)},
        "monetary": {1: (eur("5", "EUR"), eur("10", "EUR")), 2: (eur("60", "EUR"),) * 2},
    }


def test_coming_back_to_a_stage_is_not_advancing_from_it() -> None:
    opp = Opportunity.open(
        opportunity_id="o1", customer_id="c1", title="t", amount=Money.of("1", "EUR"), at=T0
    )
    opp = opp.move_to("Contact", at=T1).move_to("Research", at=T1).move_to("Contact", at=T1)
    steps = a.stage_conversion([opp], DEFAULT_PIPELINE).steps
    assert (steps["Research"].entered, steps["Research"].advanced) == (1, 1)
    assert (steps["Contact"].entered, steps["Contact"].advanced) == (1, 0)


def test_a_record_without_the_attribute_is_refused_not_crashed() -> None:
    class Bare:
        pass

    with pytest.raises(ValidationError, match="has no numeric value for these bands"):
        segment({"r1": Bare()}, Bands(key="x", edges=(3,)))


def test_a_table_drops_the_spaces_an_empty_last_cell_leaves() -> None:
    assert text_table(("a", "b"), [("x", "")]) == "a  b\n-  -\nx\n"
    assert text_table(("a",), [("long",)]) == "a\n----\nlong\n"


def test_categories_of_plain_values_are_labelled_by_their_text() -> None:
    records = {"r1": {"n": 1}, "r2": {"n": 2}}
    assert dict(segment(records, Categories(key="n", allowed=[1, 2])).labels) == {
        "r1": "1",
        "r2": "2",
    }


def test_36_is_the_first_age_of_the_36_to_55_band() -> None:
    born = Profile(birth_date=pendulum.date(1994, 1, 1))
    c = Customer.prospect(customer_id="c1", name="A", at=T0).update_profile(born, at=T0)
    bands = a.age_bands(as_of=pendulum.date(2030, 1, 1))
    assert dict(segment({"c1": c}, bands).labels) == {"c1": "36-55"}
    assert dict(segment({"c1": c}, a.age_bands(as_of=pendulum.date(2029, 12, 31))).labels) == {
        "c1": "23-35"
    }


def test_columns_are_a_mapping_in_their_order() -> None:
    columns = Columns(["b", "a", "c"], ["B", "A", "C"])
    assert list(columns) == ["b", "a", "c"]
    assert list(columns.values()) == ["B", "A", "C"]
    assert list(columns.items()) == [("b", "B"), ("a", "A"), ("c", "C")]
    assert ("a" in columns, "z" in columns) == (True, False)
    assert (columns["c"], len(columns)) == ("C", 3)
