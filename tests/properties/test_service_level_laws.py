import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import BusinessCalendar, Complaint, Customer, Period
from crmcore.analytics import (
    DEFAULT_SLA_POLICY,
    ContactRecord,
    Milestone,
    ServiceLevelVariant,
    SlaPolicy,
    SlaState,
    SurveyAnswer,
    agents_needed,
    contact_centre_report,
    csat,
    erlang_c,
    nps,
    retention,
    satisfaction_by,
    sla_status,
)
from crmcore.testing.strategies import (
    aware_datetimes,
    business_calendars,
    complaints,
    contact_records,
    periods,
    survey_answers,
)

MINUTE = dt.timedelta(minutes=1)
SPANS = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=60))
INSTANTS = aware_datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1))


@given(business_calendars(), INSTANTS, SPANS, SPANS)
def test_business_time_is_additive(
    calendar: BusinessCalendar, a: dt.datetime, ab: dt.timedelta, bc: dt.timedelta
) -> None:
    b, c = a + ab, a + ab + bc
    between = calendar.business_time_between
    assert between(a, c) == between(a, b) + between(b, c)
    assert between(c, a) == -between(a, c)
    assert dt.timedelta(0) <= between(a, b) <= ab


@given(
    business_calendars(),
    INSTANTS,
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)),
)
def test_adding_then_measuring_gives_the_duration_back(
    calendar: BusinessCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    end = calendar.add_business_time(start, duration)
    assert calendar.business_time_between(start, end) == duration
    if duration:
        # The last microsecond before the result was working time: nothing closed is counted
        # at the end, and the result is the earliest such instant.
        assert calendar.is_open(end - dt.timedelta(microseconds=1))
        assert calendar.business_time_between(start, end - dt.timedelta(microseconds=1)) < duration


@given(business_calendars(), INSTANTS)
def test_only_open_time_is_counted(calendar: BusinessCalendar, at: dt.datetime) -> None:
    tick = dt.timedelta(microseconds=1)
    assert calendar.business_time_between(at, at + tick) == (
        tick if calendar.is_open(at) else dt.timedelta(0)
    )


@given(INSTANTS, SPANS)
def test_around_the_clock_business_time_is_elapsed_time(a: dt.datetime, span: dt.timedelta) -> None:
    always = BusinessCalendar.always("Europe/Berlin")
    assert always.business_time_between(a, a + span) == span
    assert always.add_business_time(a, span) == a + span


@st.composite
def policies(draw: st.DrawFn) -> SlaPolicy:
    from crmcore.testing.strategies import sla_policies

    return draw(sla_policies())


@given(complaints(), policies(), st.lists(SPANS, min_size=2, max_size=4))
def test_a_breach_never_becomes_unbreached(
    complaint: Complaint, policy: SlaPolicy, gaps: list[dt.timedelta]
) -> None:
    instant = complaint.received_at
    breached: set[Milestone] = set()
    for gap in gaps:
        instant = instant + gap
        status = sla_status(complaint, policy, as_of=instant)
        now = {m for m, s in status.milestones.items() if s.state is SlaState.BREACHED}
        assert breached <= now
        breached = now
        for outcome in status.milestones.values():
            assert (outcome.state is SlaState.BREACHED) == (outcome.elapsed > outcome.target)


@given(complaints(), SPANS)
def test_the_default_policy_reproduces_is_overdue(
    complaint: Complaint, after: dt.timedelta
) -> None:
    at = complaint.received_at + after
    first = sla_status(complaint, DEFAULT_SLA_POLICY, as_of=at).first_response
    assert first is not None
    still_received = complaint.current_step.value == "received"
    assert complaint.is_overdue(at=at) == (still_received and first.state is SlaState.BREACHED)


TRAFFIC = st.fixed_dictionaries(
    {
        "arrivals": st.integers(min_value=0, max_value=5000),
        "period": st.sampled_from(
            [dt.timedelta(minutes=15), dt.timedelta(minutes=30), dt.timedelta(hours=1)]
        ),
        "handle_time": st.timedeltas(
            min_value=dt.timedelta(seconds=10), max_value=dt.timedelta(minutes=20)
        ),
    }
)


@given(
    TRAFFIC,
    st.integers(min_value=0, max_value=60),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(minutes=2)),
)
def test_more_agents_never_lower_the_service_level(
    traffic: dict[str, Any], extra: int, answer: dt.timedelta
) -> None:
    micro = dt.timedelta(microseconds=1)
    load = Fraction(
        traffic["arrivals"] * (traffic["handle_time"] // micro), traffic["period"] // micro
    )
    agents = int(load) + 1 + extra
    fewer = erlang_c(**traffic, agents=agents, target_answer=answer)
    more = erlang_c(**traffic, agents=agents + 1, target_answer=answer)
    for figures in (fewer, more):
        assert 0 <= figures.probability_of_waiting <= 1
        assert figures.service_level is not None
        assert 0 <= figures.service_level <= 1
    assert more.service_level >= fewer.service_level  # type: ignore[operator]
    assert more.probability_of_waiting <= fewer.probability_of_waiting


@given(
    TRAFFIC,
    st.decimals(min_value=Decimal("0.05"), max_value=Decimal("0.99"), places=2),
    st.decimals(min_value=0, max_value=Decimal("0.6"), places=2),
)
def test_agents_needed_is_the_smallest_count(
    traffic: dict[str, Any], level: Decimal, shrinkage: Decimal
) -> None:
    answer = dt.timedelta(seconds=20)
    staffing = agents_needed(
        **traffic, target_answer=answer, target_level=level, shrinkage=shrinkage
    )
    assert staffing.figures.service_level is not None
    assert staffing.figures.service_level >= level
    assert staffing.agents_with_shrinkage >= staffing.agents
    assert (
        staffing.agents_with_shrinkage - 1
        < staffing.exact_with_shrinkage
        <= staffing.agents_with_shrinkage
    )
    if staffing.agents - 1 > staffing.figures.traffic:
        below = erlang_c(**traffic, agents=staffing.agents - 1, target_answer=answer)
        assert below.service_level is not None
        assert below.service_level < level


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1))
def test_nps_lies_between_minus_and_plus_one_hundred(scores: list[int]) -> None:
    score = nps(scores)
    assert score is not None
    assert -100 <= score <= 100


@st.composite
def histories(draw: st.DrawFn, cid: str, start: pendulum.DateTime) -> Customer:
    """A customer with a few lifecycle moves at random times after ``start``."""
    record = Customer.prospect(customer_id=cid, name="N", at=start)
    at = start
    contracts = 0
    for move in draw(
        st.lists(st.sampled_from(["sign", "fulfil", "cancel", "lose", "back"]), max_size=6)
    ):
        at = at + draw(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=120)))
        phase = record.phase.value
        if move == "sign" and phase in ("acquisition", "after-sales", "contract"):
            contracts += 1
            record = record.enter_contract(at=at, contract_id=f"k{contracts}")
        elif move in ("fulfil", "cancel") and record.open_contracts:
            record = record.end_contract(
                at=at, contract_id=record.open_contracts[-1], fulfilled=move == "fulfil"
            )
        elif move == "lose" and not record.open_contracts and phase != "lost":
            record = record.lose(at=at, reason="gone")
        elif move == "back" and phase == "lost":
            record = record.win_back(at=at)
    return record


@given(st.data(), periods(unit="quarter"))
def test_retention_ignores_customers_acquired_in_the_period(
    data: st.DataObject, period: Period
) -> None:
    before = period.start.subtract(days=400)
    base = [data.draw(histories(f"c{i}", before)) for i in range(data.draw(st.integers(0, 5)))]
    # Acquired in the period: first contract after the start instant (a change exactly at
    # the start makes it a customer at the start), before the end.
    first = period.start + data.draw(
        st.timedeltas(min_value=dt.timedelta(microseconds=1), max_value=dt.timedelta(days=89))
    )
    assume(period.contains(first))
    newcomer = Customer.prospect(customer_id="newcomer", name="N", at=first).enter_contract(
        at=first, contract_id="k1"
    )
    without, with_new = retention(base, period), retention([*base, newcomer], period)
    assert with_new.retention_rate == without.retention_rate
    assert with_new.churn_rate == without.churn_rate
    assert with_new.new == without.new + 1
    rates = [r for r in (without.retention_rate, without.churn_rate) if r is not None]
    assert sum(rates) <= 1


@given(
    st.lists(contact_records(), unique_by=lambda c: c.contact_id, max_size=30),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(minutes=5)),
    st.sampled_from(ServiceLevelVariant),
)
def test_contact_centre_counts_add_up(
    contacts: list[ContactRecord], target: dt.timedelta, variant: ServiceLevelVariant
) -> None:
    report = contact_centre_report(contacts, service_level_target=target, variant=variant)
    assert report.answered + report.abandoned == report.offered == len(contacts)
    assert sum(a.handled for a in report.agents.values()) == report.answered
    assert report.service_level is None or 0 <= report.service_level <= 1
    loose = contact_centre_report(contacts, service_level_target=target * 2, variant=variant)
    if variant is not ServiceLevelVariant.ABANDONS_WITHIN_TARGET_EXCLUDED:
        assert (loose.service_level or 0) >= (report.service_level or 0)


@given(st.lists(survey_answers(), max_size=20), st.lists(survey_answers(scale=10), max_size=20))
def test_grouped_satisfaction_matches_the_plain_measures(
    fives: list[SurveyAnswer], tens: list[SurveyAnswer]
) -> None:
    grouped = satisfaction_by(fives, lambda a: "all")
    assert grouped.get("all", None) is None or grouped["all"].csat == csat(a.score for a in fives)
    ten = satisfaction_by(tens, lambda a: "all", scale=10)
    assert ten.get("all", None) is None or ten["all"].nps == nps(a.score for a in tens)
