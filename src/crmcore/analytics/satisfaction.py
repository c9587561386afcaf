"""Satisfaction (CSAT, NPS, average rating), retention and churn, cohorts, the CRM scorecard.

Retention reads the phase history crmcore keeps: a customer *is a customer*
at an instant when its phase then (`Customer.phase_at`, a change exactly at
the instant counting) is contract or after-sales. For a period with start
and end instants, S are the customers at the start and E those at the end.
Retention rate = customers at both instants ÷ S (so customers won during
the period do not raise it); churn rate = customers at the start whose
phase at the end is lost ÷ S. A customer whose only contract was cancelled
drops back to acquisition and is neither retained nor churned, so the two
rates may sum to less than 1.
"""

import datetime as _dt
from collections.abc import Callable, Hashable, Iterable, Mapping
from fractions import Fraction
from typing import TypeVar

import attrs
import pendulum

from crmcore.domain.customers import Customer
from crmcore.domain.fields import (
    bounded_int,
    check_bool,
    check_text,
    identifier,
    instant,
    items_of,
    member,
    validates,
    whole,
)
from crmcore.domain.lifecycle import LifecyclePhase
from crmcore.domain.periods import Period, PeriodUnit
from crmcore.domain.times import to_utc
from crmcore.errors import ValidationError

K = TypeVar("K", bound=Hashable)

CUSTOMER_PHASES = frozenset({LifecyclePhase.CONTRACT, LifecyclePhase.AFTER_SALES})
"""The phases in which a customer counts as a customer."""


def _scores(values: Iterable[int], field: str, low: int, high: int) -> list[int]:
    return [bounded_int(v, field, low, high) for v in items_of(values, field, "ints")]


def _scale(scale: object, satisfied_from: object) -> tuple[int, int]:
    top = bounded_int(scale, "scale", 2, 100)
    return top, bounded_int(satisfied_from, "satisfied_from", 1, top)


def csat(ratings: Iterable[int], *, scale: int = 5, satisfied_from: int = 4) -> Fraction | None:
    """The share of ratings at or above ``satisfied_from`` on a 1-to-``scale`` scale.

    With the defaults: the share of 4s and 5s on a 1-5 scale. ``None`` for no ratings.

    Raises:
        ValidationError: a rating outside 1 to ``scale``; a bad scale.
    """
    top, low = _scale(scale, satisfied_from)
    values = _scores(ratings, "ratings", 1, top)
    return Fraction(sum(v >= low for v in values), len(values)) if values else None


def average_rating(ratings: Iterable[int], *, scale: int = 5) -> Fraction | None:
    """The mean rating on a 1-to-``scale`` scale, exact (``None`` for no ratings)."""
    top = bounded_int(scale, "scale", 2, 100)
    values = _scores(ratings, "ratings", 1, top)
    return Fraction(sum(values), len(values)) if values else None


def nps(scores: Iterable[int]) -> Fraction | None:
    """Net promoter score in points: % promoters (9-10) − % detractors (0-6).

    The result lies in [−100, 100], exact; ``None`` for no scores.

    Raises:
        ValidationError: a score outside 0 to 10.
    """
    values = _scores(scores, "scores", 0, 10)
    if not values:
        return None
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return Fraction(100 * (promoters - detractors), len(values))


@attrs.frozen(kw_only=True)
class SurveyAnswer:
    """One survey answer: who, when, and the score (0 to 10; the scale is the survey's)."""

    customer_id: str = identifier()
    answered_at: pendulum.DateTime = instant()
    score: int = whole(0, 10)


@attrs.frozen(kw_only=True)
class SatisfactionSummary:
    """Satisfaction figures for one group of answers.

    Attributes:
        answers: how many answers.
        average: the mean score (exact).
        csat: the share of satisfied answers.
        nps: the net promoter score, for 0-10 answers (``None`` unless the
            scale is 10).
    """

    answers: int
    average: Fraction | None
    csat: Fraction | None
    nps: Fraction | None


def satisfaction_by(
    answers: Iterable[SurveyAnswer],
    key: Callable[[SurveyAnswer], K],
    *,
    scale: int = 5,
    satisfied_from: int = 4,
) -> Mapping[K, SatisfactionSummary]:
    """Group answers by ``key`` (a period, a segment, ...) and summarise each group.

    On a 1-to-``scale`` scale the average and CSAT are given; with
    ``scale=10`` the scores are read 0 to 10 and NPS is given too. Groups
    come in the order of their first answer. `by_period` builds a key that
    groups by month, quarter or year.

    Raises:
        ValidationError: an item that is not a `SurveyAnswer`, or a score
            outside the scale.
    """
    top, low = _scale(scale, satisfied_from)
    if not callable(key):
        raise ValidationError("key", "is not callable", allowed="a function of a SurveyAnswer")
    groups: dict[K, list[int]] = {}
    for answer in items_of(answers, "answers", "SurveyAnswer values"):
        if not isinstance(answer, SurveyAnswer):
            raise ValidationError("answers", "holds a non-SurveyAnswer", allowed="SurveyAnswer")
        group = key(answer)
        try:
            hash(group)
        except TypeError:
            raise ValidationError(
                "key", "returned a value that cannot be a mapping key", allowed="hashable values"
            ) from None
        groups.setdefault(group, []).append(answer.score)
    summaries = {}
    for group, scores in groups.items():
        checked = _scores(scores, "score", 0 if top == 10 else 1, top)
        summaries[group] = SatisfactionSummary(
            answers=len(checked),
            average=Fraction(sum(checked), len(checked)),
            csat=Fraction(sum(v >= low for v in checked), len(checked)),
            nps=nps(checked) if top == 10 else None,
        )
    return summaries


def by_period(unit: PeriodUnit | str) -> Callable[[SurveyAnswer], Period]:
    """A `satisfaction_by` key: the month, quarter or year of the answer."""
    wanted = member(PeriodUnit, unit, "unit")
    return lambda answer: Period.containing(answer.answered_at, wanted)


def _customers(customers: Iterable[Customer]) -> list[Customer]:
    listed = items_of(customers, "customers", "Customer values")
    checked = [c for c in listed if isinstance(c, Customer)]
    if len(checked) != len(listed):
        raise ValidationError("customers", "holds a non-Customer", allowed="Customer values")
    if len({c.customer_id for c in checked}) != len(checked):
        raise ValidationError("customers", "repeats a customer id", allowed="distinct customers")
    return checked


def _is_customer(customer: Customer, at: _dt.datetime) -> bool:
    return customer.phase_at(at) in CUSTOMER_PHASES


@attrs.frozen(kw_only=True)
class Retention:
    """Retention over one period.

    Attributes:
        period: the period.
        at_start: S, the customers at the start instant.
        at_end: E, the customers at the end instant.
        new: customers at the end who were not customers at the start.
        retained: customers at both instants (E − new).
        churned: customers at the start whose phase at the end is lost.
    """

    period: Period
    at_start: int
    at_end: int
    new: int
    retained: int
    churned: int

    @property
    def retention_rate(self) -> Fraction | None:
        """(E − new) ÷ S (``None`` when S is 0)."""
        return Fraction(self.retained, self.at_start) if self.at_start else None

    @property
    def churn_rate(self) -> Fraction | None:
        """Churned ÷ S (``None`` when S is 0)."""
        return Fraction(self.churned, self.at_start) if self.at_start else None


def retention(customers: Iterable[Customer], period: Period) -> Retention:
    """Count the customers at the start and end of ``period``, the new, retained and churned.

    Raises:
        ValidationError: an item that is not a `Customer`, a repeated
            customer id, or ``period`` not a `Period`.
    """
    if not isinstance(period, Period):
        raise ValidationError("period", "must be a Period", allowed="a Period")
    start = end = new = retained = churned = 0
    for customer in _customers(customers):
        before = _is_customer(customer, period.start)
        after = _is_customer(customer, period.end)
        start += before
        end += after
        new += after and not before
        retained += before and after
        churned += before and customer.phase_at(period.end) is LifecyclePhase.LOST
    return Retention(
        period=period, at_start=start, at_end=end, new=new, retained=retained, churned=churned
    )


def retention_rate(customers: Iterable[Customer], period: Period) -> Fraction | None:
    """Customers at both the start and the end of ``period`` ÷ customers at its start."""
    return retention(customers, period).retention_rate


def churn_rate(customers: Iterable[Customer], period: Period) -> Fraction | None:
    """Customers at the start of ``period`` who are lost at its end ÷ customers at its start."""
    return retention(customers, period).churn_rate


@attrs.frozen(kw_only=True)
class CohortTable:
    """Customers by the month of their first contract, and the share still customers.

    ``shares[cohort][k]`` is the share of the cohort that is a customer at
    the end of the k-th month after the cohort's month (k = 0: the end of
    the cohort's own month), or ``None`` when that instant is after ``as_of``.

    Attributes:
        as_of: the instant of the data.
        sizes: per cohort month, the customers in it.
        shares: per cohort month, the shares for k = 0 to ``months``.
    """

    as_of: pendulum.DateTime
    sizes: Mapping[Period, int]
    shares: Mapping[Period, tuple[Fraction | None, ...]]


def _first_contract(customer: Customer) -> pendulum.DateTime | None:
    return next((c.at for c in customer.phase_history if c.phase is LifecyclePhase.CONTRACT), None)


def cohort_table(
    customers: Iterable[Customer], *, as_of: _dt.datetime, months: int = 12
) -> CohortTable:
    """Group customers by the month (UTC) they first entered contract, up to ``as_of``.

    Raises:
        ValidationError: as in `retention`; ``months`` not an int from 0 to 1200.
    """
    instant = to_utc(as_of, "as_of")
    span = bounded_int(months, "months", 0, 1200)
    cohorts: dict[Period, list[Customer]] = {}
    for customer in _customers(customers):
        first = _first_contract(customer)
        if first is not None and first <= instant:
            cohorts.setdefault(Period.containing(first, PeriodUnit.MONTH), []).append(customer)
    sizes, shares = {}, {}
    for month in sorted(cohorts):
        members = cohorts[month]
        row: list[Fraction | None] = []
        for k in range(span + 1):
            checked_at = _month_end(month, k)
            if checked_at is None or checked_at > instant:
                row.append(None)
            else:
                active = sum(_is_customer(c, checked_at) for c in members)
                row.append(Fraction(active, len(members)))
        sizes[month], shares[month] = len(members), tuple(row)
    return CohortTable(as_of=instant, sizes=sizes, shares=shares)


def _month_end(month: Period, k: int) -> pendulum.DateTime | None:
    try:
        return month.shifted(k).end
    except ValidationError:
        return None


@attrs.frozen
class ScorecardQuestion:
    """One yes/no question of the CRM scorecard: a short key and the question."""

    key: str = attrs.field(validator=validates(check_text, max_length=40))
    question: str = attrs.field(validator=validates(check_text, max_length=200))


CRM_SCORECARD: tuple[ScorecardQuestion, ...] = (
    ScorecardQuestion("ask needs", "Do we ask customers what products or services they will need?"),
    ScorecardQuestion("staff meet customers", "Do our production staff meet customers?"),
    ScorecardQuestion("own research", "Do we do our own market research?"),
    ScorecardQuestion(
        "detect preference changes", "Do we detect changes in product preferences quickly?"
    ),
    ScorecardQuestion("quality survey", "Do we survey customers on quality at least once a year?"),
    ScorecardQuestion(
        "influencer survey",
        "Do we survey the people who influence purchases (retailers, distributors)?",
    ),
)
"""The sources' CRM self-assessment: six yes/no questions to ask at least yearly."""


@attrs.frozen(kw_only=True)
class ScorecardResult:
    """A scorecard's answers counted.

    Attributes:
        yes: questions answered yes.
        total: questions asked.
        score: yes ÷ total.
        to_improve: the keys of the questions answered no, in scorecard order.
    """

    yes: int
    total: int
    score: Fraction
    to_improve: tuple[str, ...]


def scorecard(answers: Mapping[str, bool]) -> ScorecardResult:
    """Score the answers to `CRM_SCORECARD`, keyed by each question's ``key``.

    Raises:
        ValidationError: a missing or unknown key, or an answer that is not a bool.
    """
    keys = [q.key for q in CRM_SCORECARD]
    if not isinstance(answers, Mapping) or set(answers) != set(keys):
        raise ValidationError(
            "answers",
            "must answer each scorecard question exactly once",
            allowed="a mapping with the keys: " + ", ".join(keys),
        )
    given = {k: check_bool(answers[k], "answers") for k in keys}
    yes = sum(given.values())
    return ScorecardResult(
        yes=yes,
        total=len(keys),
        score=Fraction(yes, len(keys)),
        to_improve=tuple(k for k in keys if not given[k]),
    )
