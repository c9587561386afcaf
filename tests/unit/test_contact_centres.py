import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest

from crmcore import ValidationError
from crmcore.analytics import (
    ContactRecord,
    ServiceLevelVariant,
    agents_needed,
    centre_size,
    contact_centre_report,
    erlang_c,
)

S = dt.timedelta(seconds=1)
HALF_HOUR = dt.timedelta(minutes=30)
T0 = pendulum.datetime(2030, 1, 7, 9, tz="UTC")

# Erlang C --------------------------------------------------------------------------------


def test_the_reference_case() -> None:
    figures = erlang_c(
        arrivals=100, period=HALF_HOUR, handle_time=180 * S, agents=14, target_answer=20 * S
    )
    assert figures.traffic == 10
    assert figures.probability_of_waiting == pytest.approx(0.1741, abs=5e-5)
    assert figures.service_level == pytest.approx(0.8884, abs=5e-5)
    assert figures.average_speed_of_answer.total_seconds() == pytest.approx(7.84, abs=5e-3)
    assert figures.occupancy == Fraction(5, 7)
    staffing = agents_needed(
        arrivals=100,
        period=HALF_HOUR,
        handle_time=180 * S,
        target_answer=20 * S,
        target_level=Decimal("0.8"),
        shrinkage=Decimal("0.3"),
    )
    assert (staffing.agents, staffing.agents_with_shrinkage) == (14, 20)
    assert staffing.exact_with_shrinkage == 20
    assert staffing.figures == figures
    assert staffing.shrinkage == Fraction(3, 10)
    fewer = erlang_c(
        arrivals=100, period=HALF_HOUR, handle_time=180 * S, agents=13, target_answer=20 * S
    )
    assert fewer.service_level is not None
    assert fewer.service_level < 0.8


def test_every_share_type_gives_the_same_answer() -> None:
    counts = {
        agents_needed(
            arrivals=100,
            period=HALF_HOUR,
            handle_time=180 * S,
            target_answer=20 * S,
            target_level=level,
            shrinkage=shrinkage,
        ).agents_with_shrinkage
        for level, shrinkage in (
            (Decimal("0.8"), Decimal("0.3")),
            (Fraction(4, 5), Fraction(3, 10)),
            ("0.8", "0.3"),
            (0.8, 0.3),
        )
    }
    assert counts == {20}


def test_fractional_staffing_before_rounding() -> None:
    staffing = agents_needed(
        arrivals=100,
        period=HALF_HOUR,
        handle_time=180 * S,
        target_answer=20 * S,
        target_level="0.8",
        shrinkage="0.25",
    )
    assert staffing.exact_with_shrinkage == Fraction(56, 3)
    assert staffing.agents_with_shrinkage == 19


def test_no_traffic_and_no_target() -> None:
    idle = erlang_c(arrivals=0, period=HALF_HOUR, handle_time=180 * S, agents=1)
    assert idle.probability_of_waiting == 0.0
    assert idle.service_level is None
    assert idle.occupancy == 0
    assert idle.average_speed_of_answer == dt.timedelta(0)
    assert (
        agents_needed(
            arrivals=0, period=HALF_HOUR, handle_time=S, target_answer=0 * S, target_level="0.99"
        ).agents
        == 1
    )


def test_large_traffic_stays_finite() -> None:
    big = erlang_c(
        arrivals=100_000, period=HALF_HOUR, handle_time=180 * S, agents=10_050, target_answer=20 * S
    )
    assert 0 <= big.probability_of_waiting <= 1
    assert big.service_level is not None
    assert 0 <= big.service_level <= 1
    staffing = agents_needed(
        arrivals=100_000,
        period=HALF_HOUR,
        handle_time=180 * S,
        target_answer=20 * S,
        target_level="0.8",
    )
    assert 10_000 < staffing.agents < 10_100
    below = erlang_c(
        arrivals=100_000,
        period=HALF_HOUR,
        handle_time=180 * S,
        agents=staffing.agents - 1,
        target_answer=20 * S,
    )
    assert below.service_level is not None
    assert below.service_level < 0.8


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"agents": 10}, "agents"),
        ({"agents": 9}, "agents"),
        ({"agents": 0}, "agents"),
        ({"agents": True}, "agents"),
        ({"agents": 2_000_000}, "agents"),
        ({"arrivals": -1}, "arrivals"),
        ({"arrivals": 1.5}, "arrivals"),
        ({"period": dt.timedelta(0)}, "period"),
        ({"period": 1800}, "period"),
        ({"handle_time": -S}, "handle_time"),
        ({"target_answer": -S}, "target_answer"),
    ],
)
def test_erlang_c_refuses(arguments: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "arrivals": 100,
        "period": HALF_HOUR,
        "handle_time": 180 * S,
        "agents": 14,
    }
    with pytest.raises(ValidationError) as caught:
        erlang_c(**(base | arguments))  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"target_level": 1}, "target_level"),
        ({"target_level": 0}, "target_level"),
        ({"target_level": float("nan")}, "target_level"),
        ({"target_level": True}, "target_level"),
        ({"target_level": "high"}, "target_level"),
        ({"shrinkage": 1}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"arrivals": 10**9, "target_level": "0.5"}, "target_level"),
    ],
)
def test_agents_needed_refuses(arguments: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "arrivals": 100,
        "period": HALF_HOUR,
        "handle_time": 180 * S,
        "target_answer": 20 * S,
        "target_level": "0.8",
    }
    with pytest.raises(ValidationError) as caught:
        agents_needed(**(base | arguments))  # type: ignore[arg-type]
    assert caught.value.field == field


# Contact-centre metrics ---------------------------------------------------------------


def answered(
    n: int, wait: int, agent: str = "a1", handle: int = 120, **kw: object
) -> ContactRecord:
    return ContactRecord(
        contact_id=f"call-{n}",
        offered_at=T0,
        answered_at=T0 + wait * S,
        agent=agent,
        handle_time=handle * S,
        **kw,  # type: ignore[arg-type]
    )


def abandoned(n: int, wait: int) -> ContactRecord:
    return ContactRecord(contact_id=f"call-{n}", offered_at=T0, abandoned_at=T0 + wait * S)


LOG = [
    answered(1, 10),
    answered(2, 20, transferred=True),
    answered(3, 40, agent="a2", handle=300),
    answered(4, 0, agent="a2", handle=60),
    abandoned(5, 3),
    abandoned(6, 15),
    abandoned(7, 90),
]


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("answered", Fraction(3, 4)),
        ("offered", Fraction(3, 7)),
        ("short abandons excluded", Fraction(3, 6)),
        ("abandons within target excluded", Fraction(3, 5)),
        (ServiceLevelVariant.ABANDONS_WITHIN_TARGET_MET, Fraction(5, 7)),
    ],
)
def test_service_level_variants(variant: str, expected: Fraction) -> None:
    report = contact_centre_report(LOG, service_level_target=20 * S, variant=variant)
    assert report.service_level == expected
    assert report.variant is ServiceLevelVariant(variant)


def test_the_other_figures() -> None:
    report = contact_centre_report(
        LOG,
        service_level_target=20 * S,
        available={"a1": dt.timedelta(minutes=12), "a3": dt.timedelta(hours=1)},
        agent_targets={"a1": 4, "a2": 0},
    )
    assert (report.offered, report.answered, report.abandoned) == (7, 4, 3)
    assert (report.short_abandons, report.answered_within_target) == (1, 3)
    assert report.abandoned_within_target == 2
    assert report.average_speed_of_answer == dt.timedelta(seconds=17.5)
    assert report.abandonment_rate == Fraction(3, 7)
    assert report.average_handle_time == dt.timedelta(seconds=150)
    assert report.transfer_rate == Fraction(1, 4)
    assert report.longest_wait == 90 * S
    a1, a2, a3 = report.agents["a1"], report.agents["a2"], report.agents["a3"]
    assert (a1.handled, a1.handle_time, a1.occupancy) == (2, 240 * S, Fraction(1, 4))
    assert (a1.target, a1.against_target) == (4, Fraction(1, 2))
    assert (a2.occupancy, a2.against_target, a2.available) == (None, None, None)
    assert (a3.handled, a3.occupancy) == (0, Fraction(0))
    assert list(report.agents) == ["a1", "a2", "a3"]


def test_an_empty_log() -> None:
    report = contact_centre_report([], service_level_target=20 * S)
    assert report.offered == 0
    assert report.service_level is None
    assert report.abandonment_rate is None
    assert report.average_speed_of_answer is None
    assert report.longest_wait is None
    zero = contact_centre_report([], service_level_target=20 * S, available={"a1": dt.timedelta(0)})
    assert zero.agents["a1"].occupancy is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "answered_at"),
        ({"answered_at": T0, "abandoned_at": T0, "agent": "a1"}, "answered_at"),
        ({"answered_at": T0 - S, "agent": "a1"}, "answered_at"),
        ({"abandoned_at": T0 - S}, "abandoned_at"),
        ({"answered_at": T0}, "agent"),
        ({"abandoned_at": T0, "agent": "a1"}, "abandoned_at"),
        ({"abandoned_at": T0, "handle_time": S}, "abandoned_at"),
        ({"abandoned_at": T0, "transferred": True}, "abandoned_at"),
        ({"answered_at": T0, "agent": "a1", "handle_time": -S}, "handle_time"),
        ({"answered_at": T0, "agent": "a1", "transferred": 1}, "transferred"),
    ],
)
def test_bad_contact_records(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ContactRecord(contact_id="call-1", offered_at=T0, **fields)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"contacts": ["call-1"]}, "contacts"),
        ({"contacts": [answered(1, 1), answered(1, 2)]}, "contacts"),
        ({"service_level_target": -S}, "service_level_target"),
        ({"short_abandon": 5}, "short_abandon"),
        ({"variant": "asa"}, "variant"),
        ({"available": [("a1", S)]}, "available"),
        ({"available": {1: S}}, "available"),
        ({"available": {"a1": -S}}, "available"),
        ({"agent_targets": {"a1": -1}}, "agent_targets"),
        ({"agent_targets": {"a1": "4"}}, "agent_targets"),
    ],
)
def test_bad_report_arguments(arguments: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"contacts": LOG, "service_level_target": 20 * S}
    with pytest.raises(ValidationError) as caught:
        contact_centre_report(**(base | arguments))  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("seats", "size"),
    [(1, "small"), (49, "small"), (50, "medium"), (100, "medium"), (101, "large")],
)
def test_centre_size(seats: int, size: str) -> None:
    assert centre_size(seats) == size


@pytest.mark.parametrize("seats", [0, -5, True, 50.0, "50"])
def test_centre_size_refuses(seats: object) -> None:
    with pytest.raises(ValidationError, match=r"^seats: "):
        centre_size(seats)  # type: ignore[arg-type]


def test_boundaries_of_the_counts_and_the_longest_wait() -> None:
    log = [
        abandoned(1, 5),  # a short abandon: at most 5 s
        abandoned(2, 20),  # abandoned exactly at the target: within it
        answered(3, 90),
        answered(4, 20),  # answered exactly at the target: within it
        abandoned(5, 6),
    ]
    report = contact_centre_report(log, service_level_target=20 * S)
    assert (report.short_abandons, report.abandoned_within_target) == (1, 3)
    assert report.answered_within_target == 1
    assert report.longest_wait == 90 * S  # not the last contact's wait
    assert report.service_level_target == 20 * S
    loads = contact_centre_report(
        log, service_level_target=20 * S, available={"a1": dt.timedelta(minutes=1)}
    )
    assert loads.agents["a1"].agent == "a1"
    assert loads.agents["a1"].available == dt.timedelta(minutes=1)


def test_asa_is_exact_to_the_microsecond_and_one_erlang_waits() -> None:
    figures = erlang_c(
        arrivals=100, period=HALF_HOUR, handle_time=180 * S, agents=14, target_answer=20 * S
    )
    assert figures.average_speed_of_answer == dt.timedelta(seconds=7, microseconds=835937)
    one = erlang_c(arrivals=10, period=HALF_HOUR, handle_time=180 * S, agents=2)
    assert one.traffic == 1
    assert one.probability_of_waiting == pytest.approx(1 / 3, abs=1e-12)


def test_report_refusals_read_as_documented() -> None:
    base: dict[str, object] = {"contacts": LOG, "service_level_target": 20 * S}
    for arguments, message in (
        ({"contacts": "x"}, "contacts: must be an iterable of ContactRecord values, not str "
         "(accepted: ContactRecord values)"),
        ({"agent_targets": "x"}, "agent_targets: is not a mapping from agent ids (accepted: a "
         "mapping from str)"),
    ):  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            contact_centre_report(**(base | arguments))  # type: ignore[arg-type]
        assert str(caught.value) == message


def test_an_agent_without_a_target_is_not_measured_against_one() -> None:
    report = contact_centre_report(
        LOG, service_level_target=20 * S, agent_targets={"a2": 1}, available={"a3": S}
    )
    a1, a3 = report.agents["a1"], report.agents["a3"]
    assert (a1.handled, a1.target, a1.against_target) == (2, None, None)
    assert (a3.handled, a3.target, a3.against_target) == (0, None, None)
    assert report.agents["a2"].against_target == Fraction(2)
