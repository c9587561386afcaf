"""Arguments for the fuzz suite: hostile values, and plausible ones by parameter name.

Every parameter of every entry point draws from `argument(name)`: most of the
time a hostile value (wrong type, None, NaN, huge or tiny numbers, empty and
enormous strings, unicode, naive and far-future datetimes, foreign currencies,
containers of the above), otherwise a value of the right shape for that
parameter name, so that calls also get past the first check and reach the
deeper ones.
"""

import datetime as _dt
import enum
import functools
import zoneinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
from hypothesis import strategies as st

from crmcore import (
    DEFAULT_PIPELINE,
    HUBSPOT_PIPELINE,
    SALESFORCE_PIPELINE,
    Actor,
    Customer,
    Money,
    Opportunity,
    Profile,
    Role,
    commands,
    services,
)
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.analytics import Transaction
from crmcore.analytics.btyd import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    RfmSummaries,
    rfm_summary,
)
from crmcore.policy import DEFAULT_POLICY
from crmcore.testing import SequentialIds
from crmcore.testing import strategies as crm
from tests.clocks import LATER
from tests.zones import DayLongZone, FailingZone

HUGE_TEXT = "x" * 1_000_000
HUGE_INT = 10**4000
FAR_FUTURE = pendulum.datetime(9999, 12, 31, 23, 59, 59, tz="UTC")
T0 = pendulum.datetime(2030, 1, 1, 9, tz="UTC")


def _enum_members() -> list[enum.Enum]:
    import crmcore
    import crmcore.analytics.vendors as vendors
    import crmcore.policy as policy

    found: list[enum.Enum] = []
    for module in (crmcore, vendors, policy):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, enum.Enum):
                found.extend(value)
    return found


@functools.cache
def _zones() -> st.SearchStrategy[zoneinfo.ZoneInfo]:
    """Every zone of the tz database, listed once (`st.timezones()` lists the
    database's directory again every time it is built: 6 of 10 seconds)."""
    return st.sampled_from(sorted(zoneinfo.available_timezones())).map(zoneinfo.ZoneInfo)


_EDGE_ZONES = [
    zoneinfo.ZoneInfo(name)
    for name in ("Atlantic/Azores", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu")
]
ODD_TIMES = [
    *(_dt.datetime(1921, 6, 1, 12, tzinfo=zone) for zone in _EDGE_ZONES),
    *(_dt.datetime.min.replace(tzinfo=zone) for zone in _EDGE_ZONES),
    *(_dt.datetime.max.replace(tzinfo=zone) for zone in _EDGE_ZONES),
    _dt.datetime(2030, 1, 1, tzinfo=FailingZone()),
    _dt.datetime(2030, 1, 1, tzinfo=DayLongZone()),
    _dt.datetime.min.replace(tzinfo=_dt.timezone(_dt.timedelta(hours=23, minutes=59))),
    _dt.datetime.max.replace(tzinfo=_dt.timezone(-_dt.timedelta(hours=23, minutes=59))),
]
"""Far and odd instants: historic offsets, the calendar's ends in far zones,
time zones that fail or give offsets of a day or more."""


@functools.cache
def scalars() -> st.SearchStrategy[Any]:
    """One hostile scalar."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, 1, -1, 2**63, -(2**63), 10**30, HUGE_INT, -HUGE_INT]),
        st.floats(),
        st.sampled_from([float("nan"), float("inf"), -float("inf"), 5e-324, 1e308, -0.0]),
        st.decimals(),
        st.sampled_from(
            [
                Decimal("NaN"),
                Decimal("sNaN"),
                Decimal("-Infinity"),
                Decimal("-0"),
                Decimal("1E+999999"),
                Decimal("1E-999999"),
                # Between "obviously huge" and ordinary: 5,000 digits pass simple
                # checks and then hit Python's 4,300-digit str() limit.
                Decimal("1E+5000"),
                Decimal("1E-5000"),
                Decimal("7E-3000000"),
                Decimal("0.1234567890123456789012345678901234567890"),
            ]
        ),
        st.fractions(),
        st.just(Fraction(1, 3)),
        st.text(max_size=30),
        st.sampled_from(["", " ", "\x00", "EUR", "eur", "XXX", "🙂", "a" * 101, HUGE_TEXT]),
        st.sampled_from(["1e-99999999", "1e99999999", "1E+5000", "1E-5000"]),
        st.sampled_from([10**400, -(10**400), 10**1000]),
        st.binary(max_size=10),
        st.datetimes(),
        st.datetimes(timezones=_zones()),
        st.sampled_from([FAR_FUTURE, _dt.datetime.max, _dt.datetime.min, T0]),
        # by position: Hypothesis hashes what it samples, and some of these cannot be hashed
        st.sampled_from(range(len(ODD_TIMES))).map(ODD_TIMES.__getitem__),
        st.dates(),
        st.timedeltas(),
        crm.money(),
        st.sampled_from(_enum_members()),
        st.builds(object),
    )


def seeded_unit_of_work() -> InMemoryUnitOfWork:
    """A store with one record of each kind (their ids are `SEEDED_IDS`)."""
    uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    customer = services.handle(uow, commands.RegisterProspect(name="Fuzz Customer", at=T0))
    opportunity = services.handle(
        uow,
        commands.OpenOpportunity(
            customer_id=customer, title="deal", amount=Money.of("100", "EUR"), at=T0
        ),
    )
    contract = services.handle(
        uow, commands.WinOpportunity(opportunity_id=opportunity, at=T0.add(days=1))
    )
    services.handle(uow, commands.RecordDelivery(contract_id=contract, at=T0.add(days=2)))
    services.handle(
        uow,
        commands.StartServiceContract(
            customer_id=customer,
            starts=T0.date(),
            term_months=12,
            auto_renew=True,
            notice_days=30,
            price=Money.of("10", "EUR"),
            at=T0.add(days=2),
        ),
    )
    services.handle(
        uow,
        commands.FileComplaint(
            customer_id=customer,
            channel="e-mail",
            level="high",
            complainant_type="rational",
            subject="late",
            at=T0.add(days=3),
        ),
    )
    campaign = services.handle(
        uow,
        commands.PlanCampaign(
            name="Fuzz mailing",
            channel="e-mail",
            period=(T0.date(), T0.date().add(days=30)),
            budget=Money.of("100", "EUR"),
            at=T0.add(days=3),
        ),
    )
    services.handle(
        uow,
        commands.AddCampaignMembers(
            campaign_id=campaign, customer_ids=(customer,), at=T0.add(days=3)
        ),
    )
    uow.collect_events()
    return uow


@functools.cache
def _pool() -> tuple[Any, ...]:
    """Valid crmcore values of every kind, built once."""
    snapshot = seeded_unit_of_work().store.snapshot()
    records = [aggregate for table in snapshot.values() for _, aggregate in table.values()]
    _open = Opportunity.open(
        opportunity_id="opp-9",
        customer_id="cust-9",
        title="other deal",
        amount=Money.of("7", "USD"),
        at=T0,
    )
    return (
        *records,
        Customer.prospect(customer_id="cust-9", name="Other", at=T0).lose(
            at=T0.add(days=9), reason="moved away"
        ),
        _open.move_to("Proposal", at=T0.add(hours=1)),
        _open.lose(at=T0.add(hours=2), reason="price"),
        Money.of("0.01", "EUR"),
        Money.of("-5", "USD"),
        Money.of("123456789012345678", "JPY"),
        DEFAULT_PIPELINE,
        HUBSPOT_PIPELINE,
        SALESFORCE_PIPELINE,
        DEFAULT_PIPELINE.stages[0],
        Actor(user_id="user-1", role=Role.SALES_REP, teams=frozenset({"team-1"})),
        Actor(user_id="user-2", role=Role.ADMIN),
        Profile(),
        Transaction(customer_id="cust-1", at=T0, amount=Money.of("20", "EUR")),
        Transaction(customer_id="cust-1", at=T0.add(weeks=3), amount=Money.of("35", "EUR")),
        DEFAULT_POLICY,
        BetaGeo(r=0.24, alpha=4.41, a=0.79, b=2.43),
        GammaGamma(p=6.25, q=3.74, v=15.44),
        ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        ParetoNBD(r=0.553, alpha=10.58, s=0.606, beta=11.67),
        BetaGeoBetaBinom(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783),
    )


def domain_values() -> st.SearchStrategy[Any]:
    """One valid crmcore value of any kind."""
    return st.sampled_from(_pool())


def transactions() -> st.SearchStrategy[Transaction]:
    return st.builds(
        Transaction,
        customer_id=crm.ids(prefix="cust-"),
        at=crm.aware_datetimes(),
        amount=crm.money(currency="EUR", min_value=0, max_value=10**6),
    )


def rfm_summaries() -> st.SearchStrategy[RfmSummaries]:
    return st.lists(transactions(), max_size=8).map(
        lambda found: rfm_summary(found, observation_end=_dt.date(9999, 1, 1))
    )


def anything(depth: int = 1) -> st.SearchStrategy[Any]:
    """A hostile scalar, a valid domain value, or a small container of those."""
    leaf = st.one_of(scalars(), domain_values())
    if depth == 0:
        return leaf
    inner = anything(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=8), crm.ids()), inner, max_size=4),
        st.lists(domain_values(), min_size=2, max_size=4).map(lambda xs: xs + xs),  # duplicates
    )


def fresh_unit_of_work() -> st.SearchStrategy[InMemoryUnitOfWork]:
    return st.builds(lambda: InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER))


def _ids() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SEEDED_IDS), crm.ids(prefix="cust-"))


# Ids that `seeded_unit_of_work` creates (SequentialIds numbers them in order).
SEEDED_IDS = [
    "cust-000001",
    "opp-000001",
    "ctr-000001",
    "svc-000001",
    "cmp-000001",
    "camp-000001",
]

_PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "at": crm.aware_datetimes(),
    "start": crm.aware_datetimes(),
    "end": crm.aware_datetimes(),
    "as_of": crm.aware_datetimes(),
    "amount": crm.money(),
    "value": crm.money(),
    "currency": crm.currencies(),
    "name": crm.names(),
    "title": crm.texts(),
    "subject": crm.texts(),
    "reason": crm.texts(),
    "stage": st.sampled_from(["Proposal", "Negotiation", "Qualification", "Won", "Lost"]),
    "pipeline": crm.pipelines(),
    "actor": crm.actors(),
    "profile": crm.profiles(),
    "customers": st.lists(crm.customers(), max_size=4),
    "opportunities": st.lists(crm.opportunities(), max_size=4),
    "transactions": st.lists(transactions(), max_size=6),
    "summary": rfm_summaries(),
    "values": st.dictionaries(crm.ids(prefix="cust-"), crm.money(), max_size=6),
    "probability": crm.probabilities(),
    "n": st.integers(0, 10),
    "t": st.floats(0, 100),
    "periods": st.integers(0, 50),
    "customer_id": _ids(),
    "owner": crm.owners(),
    "team": crm.teams(),
    "channel": st.sampled_from(["phone", "email", "meeting"]),
    "direction": st.sampled_from(["in", "out"]),
    "policy": st.just(DEFAULT_POLICY),
    # Service levels, contact centres, staffing, satisfaction
    "complaint": crm.complaints(),
    "complaints": st.lists(crm.complaints(), max_size=4),
    "contacts": st.lists(crm.contact_records(), max_size=6, unique_by=lambda c: c.contact_id),
    "answers": st.lists(crm.survey_answers(), max_size=6),
    "calendar": crm.business_calendars(),
    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
    "duration": st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(days=30)),
    "period": st.one_of(
        crm.periods(),
        st.timedeltas(min_value=_dt.timedelta(seconds=1), max_value=_dt.timedelta(hours=2)),
    ),
    "arrivals": st.integers(0, 10_000),
    "handle_time": st.timedeltas(
        min_value=_dt.timedelta(seconds=1), max_value=_dt.timedelta(hours=1)
    ),
    "agents": st.integers(1, 2_000),
    "target_answer": st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(minutes=5)),
    "service_level_target": st.timedeltas(
        min_value=_dt.timedelta(0), max_value=_dt.timedelta(minutes=5)
    ),
    "target_level": st.sampled_from(["0.5", "0.8", "0.95", "0.999"]),
    "shrinkage": st.sampled_from(["0", "0.3", "0.5"]),
    "seats": st.integers(-5, 500),
    "ratings": st.lists(st.integers(0, 6), max_size=8),
    "scores": st.lists(st.integers(-1, 11), max_size=8),
    # Sales management
    "territories": crm.territories(),
    "territory": st.none() | crm.ids(prefix="terr-"),
    "rules": st.lists(crm.assignment_rules(), max_size=3),
    "conditions": st.lists(crm.conditions(), min_size=1, max_size=3),
    "attributes": st.fixed_dictionaries({"spend_band": st.sampled_from("ABC")}),
    "quota": crm.quotas(targets=crm.quota_targets(currency="EUR")),
    "parts": st.lists(crm.quotas(), max_size=4),
    "target": crm.quota_targets(),
    "plan": crm.commission_plans(),
    "tiers": st.lists(crm.tiers(), max_size=4),
    "rate": crm.probabilities(),
    "contracts": st.lists(crm.contracts(owner=crm.user_ids()), max_size=4),
    "teams": st.frozensets(crm.team_ids(), max_size=3),
}


def argument(name: str) -> st.SearchStrategy[Any]:
    """A value for a parameter called ``name``: hostile, or plausible for that name."""
    plausible = _PLAUSIBLE.get(name)
    if plausible is None and name.endswith("_id"):
        plausible = _ids()
    if plausible is None:
        return anything()
    return st.one_of(anything(), plausible, plausible)
