from fractions import Fraction

import pendulum
import pytest

from crmcore import Customer, Period, ValidationError
from crmcore.analytics import (
    CRM_SCORECARD,
    ScorecardQuestion,
    SurveyAnswer,
    average_rating,
    by_period,
    churn_rate,
    cohort_table,
    csat,
    nps,
    retention,
    retention_rate,
    satisfaction_by,
    scorecard,
)

Q1 = Period.quarter(2030, 1)


def at(month: int, day: int = 1, year: int = 2030) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, tz="UTC")


def test_csat_nps_average() -> None:
    assert csat([5, 4, 3, 1]) == Fraction(1, 2)
    assert csat([7, 6, 5], scale=7, satisfied_from=6) == Fraction(2, 3)
    assert csat([]) is None
    assert nps([10, 9, 8, 7, 6, 0]) == Fraction(0)
    assert nps([10, 10, 9, 3]) == 50
    assert nps([0]) == -100
    assert nps([9]) == 100
    assert nps(iter(())) is None
    assert average_rating([5, 4]) == Fraction(9, 2)
    assert average_rating([]) is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: csat([6]), "ratings"),
        (lambda: csat([0]), "ratings"),
        (lambda: csat([True]), "ratings"),
        (lambda: csat("545"), "ratings"),  # type: ignore[arg-type]
        (lambda: csat([5], scale=1), "scale"),
        (lambda: csat([5], satisfied_from=6), "satisfied_from"),
        (lambda: nps([11]), "scores"),
        (lambda: nps([-1]), "scores"),
        (lambda: nps([9.0]), "scores"),  # type: ignore[list-item]
        (lambda: average_rating([4], scale=101), "scale"),
    ],
)
def test_bad_scores(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_satisfaction_per_period_and_segment() -> None:
    answers = [
        SurveyAnswer(customer_id="c1", answered_at=at(1, 5), score=5),
        SurveyAnswer(customer_id="c2", answered_at=at(2, 5), score=2),
        SurveyAnswer(customer_id="c1", answered_at=at(4, 5), score=4),
    ]
    quarters = satisfaction_by(answers, by_period("quarter"))
    assert list(quarters) == [Q1, Period.quarter(2030, 2)]
    assert quarters[Q1].answers == 2
    assert (quarters[Q1].average, quarters[Q1].csat, quarters[Q1].nps) == (
        Fraction(7, 2),
        Fraction(1, 2),
        None,
    )
    segments = satisfaction_by(answers, lambda a: a.customer_id)
    assert segments["c1"].csat == 1
    ten = [SurveyAnswer(customer_id="c1", answered_at=at(1), score=s) for s in (10, 0, 9)]
    tens = satisfaction_by(ten, lambda a: "all", scale=10, satisfied_from=9)
    assert (tens["all"].nps, tens["all"].csat) == (Fraction(100, 3), Fraction(2, 3))
    with pytest.raises(ValidationError, match=r"^score: "):
        satisfaction_by(ten, lambda a: "all")
    with pytest.raises(ValidationError, match=r"^answers: "):
        satisfaction_by([5], lambda a: "all")  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"^unit: "):
        by_period("week")
    with pytest.raises(ValidationError, match=r"^score: "):
        SurveyAnswer(customer_id="c1", answered_at=at(1), score=11)


def customer(cid: str, *events: tuple[str, pendulum.DateTime]) -> Customer:
    record = Customer.prospect(customer_id=cid, name="Anna", at=at(1, 1, 2029))
    contract = 0
    for event, when in events:
        if event == "sign":
            contract += 1
            record = record.enter_contract(at=when, contract_id=f"{cid}-k{contract}")
        elif event in ("fulfil", "cancel"):
            record = record.end_contract(
                at=when, contract_id=f"{cid}-k{contract}", fulfilled=event == "fulfil"
            )
        else:
            record = record.lose(at=when, reason="moved away")
    return record


BASE = [
    customer("kept", ("sign", at(11, 1, 2029)), ("fulfil", at(12, 1, 2029))),
    customer("churned", ("sign", at(11, 1, 2029)), ("fulfil", at(12, 1, 2029)), ("lose", at(2))),
    customer("cancelled", ("sign", at(12, 1, 2029)), ("cancel", at(3))),
    customer("new", ("sign", at(2, 10))),
    customer("prospect"),
    customer("at-the-end", ("sign", at(4)), ("fulfil", at(4, 2))),
    customer(
        "lost-at-the-end", ("sign", at(11, 1, 2029)), ("fulfil", at(12, 1, 2029)), ("lose", at(4))
    ),
]


def test_retention_and_churn() -> None:
    result = retention(BASE, Q1)
    # A change exactly at the end instant counts: "at-the-end" is new, "lost-at-the-end"
    # churned; "cancelled" is back in acquisition, neither retained nor churned.
    assert (result.at_start, result.at_end) == (4, 3)
    assert (result.new, result.retained, result.churned) == (2, 1, 2)
    assert result.retention_rate == Fraction(1, 4)
    assert result.churn_rate == Fraction(1, 2)
    assert retention_rate(BASE, Q1) == Fraction(1, 4)
    assert churn_rate(BASE, Q1) == Fraction(1, 2)
    assert retention_rate(BASE, Period.year(2000)) is None
    assert churn_rate([], Q1) is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: retention(BASE, "2030-Q1"), "period"),  # type: ignore[arg-type]
        (lambda: retention([*BASE, "x"], Q1), "customers"),  # type: ignore[list-item]
        (lambda: retention([BASE[0], BASE[0]], Q1), "customers"),
        (lambda: cohort_table(BASE, as_of=at(5), months=-1), "months"),
        (lambda: scorecard({"ask needs": True}), "answers"),
        (lambda: scorecard(dict.fromkeys([q.key for q in CRM_SCORECARD], 1)), "answers"),  # type: ignore[arg-type]
        (lambda: ScorecardQuestion("", "Why?"), "key"),
    ],
)
def test_bad_retention_input(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_cohort_table() -> None:
    table = cohort_table(BASE, as_of=at(3, 15), months=3)
    nov, dec, feb = Period.month(2029, 11), Period.month(2029, 12), Period.month(2030, 2)
    assert list(table.sizes) == [nov, dec, feb]
    assert table.sizes == {nov: 3, dec: 1, feb: 1}
    assert table.shares[nov] == (Fraction(1), Fraction(1), Fraction(2, 3), Fraction(2, 3))
    assert table.shares[dec] == (Fraction(1), Fraction(1), Fraction(0), None)
    assert table.shares[feb] == (Fraction(1), None, None, None)
    assert table.as_of == at(3, 15)
    edge = cohort_table(
        [customer("late", ("sign", pendulum.datetime(9998, 11, 5, tz="UTC")))],
        as_of=pendulum.datetime(9999, 1, 1, tz="UTC"),
        months=2,
    )
    assert edge.shares[Period.month(9998, 11)] == (Fraction(1), Fraction(1), None)


def test_scorecard() -> None:
    answers = {q.key: True for q in CRM_SCORECARD} | {"own research": False}
    result = scorecard(answers)
    assert (result.yes, result.total, result.score) == (5, 6, Fraction(5, 6))
    assert result.to_improve == ("own research",)
    assert len(CRM_SCORECARD) == 6


def test_satisfaction_by_checks_its_key() -> None:
    answers = [SurveyAnswer(customer_id="c1", answered_at=at(1), score=5)]
    with pytest.raises(ValidationError, match=r"^key: is not callable"):
        satisfaction_by(answers, "quarter")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^key: returned a value that cannot be"):
        satisfaction_by(answers, lambda a: [a.score])  # type: ignore[type-var]


def test_the_default_scale_is_one_to_five() -> None:
    with pytest.raises(ValidationError, match=r"^ratings: "):
        average_rating([6])
    with pytest.raises(ValidationError, match=r"^ratings: "):
        csat([6])
    assert average_rating([1, 5]) == 3


def test_cohort_table_edges() -> None:
    signed = customer("edge", ("sign", at(3, 15)))
    exactly = cohort_table([signed], as_of=at(3, 15), months=0)  # signed at as_of: counted
    assert exactly.sizes == {Period.month(2030, 3): 1}
    assert exactly.shares[Period.month(2030, 3)] == (None,)  # its first month is not over
    assert len(cohort_table([signed], as_of=at(3, 15)).shares[Period.month(2030, 3)]) == 13
    assert cohort_table([signed], as_of=at(3, 15), months=1200).sizes == exactly.sizes
    with pytest.raises(ValidationError) as caught:
        cohort_table([signed], as_of=at(3, 15), months=1201)
    assert str(caught.value) == "months: is out of range (accepted: an int from 0 to 1200)"
    with pytest.raises(ValidationError, match=r"^as_of: must be a datetime, not str"):
        cohort_table([signed], as_of="x")  # type: ignore[arg-type]


def test_a_rating_scale_may_have_two_points() -> None:
    assert average_rating([1, 2], scale=2) == Fraction(3, 2)
    with pytest.raises(ValidationError, match=r"^scale: is out of range"):
        average_rating([1], scale=1)
