"""`crmcore tour`: a deterministic walkthrough of the whole library on the embedded store
(or, with ``--store URL``, on an empty SQL database).

Everything is fixed: the sample, the times (from 2030-01-07 09:00 UTC), the
ids (`SequentialIds`). The same bytes come out on every run, on every store.
"""

import collections
import datetime as _dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pendulum

import crmcore.commands as c
from crmcore.adapters.clock import FixedClock
from crmcore.adapters.ids import SequentialIds
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.adapters.tracking import TrackingUnitOfWork
from crmcore.analytics import abc_classes, forecast, lifetime_value, pareto, weighted_pipeline
from crmcore.analytics.campaigns import CampaignReport, campaign_report
from crmcore.analytics.compensation import commissions
from crmcore.analytics.forecast import sales_velocity, win_rate
from crmcore.analytics.quotas import attainment
from crmcore.analytics.service_levels import SlaPolicy, SlaTarget, sla_status
from crmcore.analytics.vendors import Ability, Priority, Requirement, score_vendors
from crmcore.cli.output import CliError, Report, Table, ratio
from crmcore.domain.calendars import BusinessCalendar
from crmcore.domain.commissions import CommissionPlan, Tier
from crmcore.domain.complaints import ComplainantType, ComplaintLevel, ComplaintStep
from crmcore.domain.contracts import Contract
from crmcore.domain.customers import Channel, LifecyclePhase
from crmcore.domain.kinds import RecordKind
from crmcore.domain.money import Money
from crmcore.domain.numbers import percent, round_fraction
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.periods import Period
from crmcore.domain.pipeline import DEFAULT_PIPELINE, ForecastCategory
from crmcore.domain.quotas import Quota
from crmcore.errors import CrmError
from crmcore.ports import MAX_PAGE
from crmcore.rendering import vendor_table
from crmcore.services import Session

if TYPE_CHECKING:  # the sql extra is imported only when --store is given
    from crmcore.adapters.sql import SqlUnitOfWork

T0 = pendulum.datetime(2030, 1, 7, 9, tz="UTC")
CLOCK = FixedClock(T0.add(years=5))
"""The tour lives in 2030: its units of work read this clock, not the system's."""
CURRENCY = "USD"
TOUR_SLA = SlaPolicy(
    targets=(
        SlaTarget(milestone="first response", within=_dt.timedelta(hours=2)),
        SlaTarget(milestone="resolution", within=_dt.timedelta(hours=8)),
    ),
    calendar=BusinessCalendar.weekdays("UTC", _dt.time(9), _dt.time(17)),
)
"""The tour's service-level agreement: a first response within 2 working hours,
a resolution within one working day."""

NAMES = (
    "Acme Tools", "Bắc Hà Foods", "Cobalt Labs", "Delta Freight", "Elbe Optik",
    "Fjord Fisheries", "Granite Bank", "Hanami Tea", "Iris Clinics", "Jade Motors",
    "Kiwi Sports", "Lumen Energy", "Mosaic Media", "Nordic Wood", "Orchid Hotels",
    "Pampas Wines", "Quartz Glass", "Rhine Chemicals", "Saffron Foods", "Tundra Gear",
    "Umber Paints", "Vesta Homes", "Willow Care", "Xenon Lighting", "Yuzu Design",
    "Zephyr Air", "Aurora Print", "Basalt Mining", "Cedar Schools", "Dune Logistics",
)  # fmt: skip
"""30 sample companies (fictional)."""

OPEN_STAGES = [s.name for s in DEFAULT_PIPELINE.open_stages]
REPS = ("rep-1", "rep-2")
"""The two sales reps of team ``sales`` who own the tour's deals, turn about."""
TIERS = (Tier(0, 10_000, Decimal("0.02")), Tier(10_000, None, Decimal("0.04")))
"""The tour's commission plan: 2 % up to 10,000 USD a quarter, 4 % above."""


def _id(result: str | None) -> str:
    """The id a creating command returned."""
    assert result is not None
    return result


def _amount(i: int) -> Money:
    """A spread of deal sizes: a few large, many small (a 20/80 shape)."""
    size = 400 + (i * 37) % 23 * 150 + (12000 if i % 11 == 0 else 0) + (4000 if i % 7 == 0 else 0)
    return Money.of(size, CURRENCY)


def sql_unit_of_work(url: str) -> "SqlUnitOfWork":
    """A unit of work on the empty SQL database at ``url`` (its tables are
    created if missing); dispose of ``uow.store.engine`` after.

    Raises:
        CliError: ``url`` is not a database URL of a supported database, or
            the database already holds records (the tour's ids would clash).
        MissingExtraError: the ``sql`` extra is not installed.
    """
    import sqlalchemy as sa

    from crmcore.adapters.sql import SqlStore, SqlUnitOfWork  # MissingExtraError without sql

    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError):
        raise CliError(
            "tour: --store: not a database URL crmcore supports "
            "(e.g. sqlite:///tour.db or postgresql+psycopg://user@host/db)"
        ) from None
    except ImportError as missing:
        raise CliError(
            f"tour: --store: the database driver {missing.name} is not installed"
        ) from None
    try:
        store = SqlStore(engine, create=True)
    except CrmError:  # another dialect, another schema version, no server
        engine.dispose()
        raise
    uow = SqlUnitOfWork(store, ids=SequentialIds(), clock=CLOCK)
    with uow:
        occupied = [kind.label for kind in RecordKind if uow.select(kind, limit=1)]
    if occupied:
        engine.dispose()
        raise CliError(
            f"tour: --store: the database already holds {occupied[0]} records; "
            "the tour needs an empty one (delete the file or use another database)"
        )
    return uow


def run(uow: TrackingUnitOfWork | None = None) -> Report:
    """Run the story on ``uow`` (a new in-memory store by default) and report on it."""
    if uow is None:
        uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=CLOCK)
    session = Session(uow)
    handle = session.handle
    customers = [
        _id(handle(c.RegisterProspect(name=name, at=T0.add(hours=i))))
        for i, name in enumerate(NAMES)
    ]
    # a mailing to the first 20 customers; every fourth deal comes from it
    mailing = _id(
        handle(
            c.PlanCampaign(
                name="New year mailing",
                channel=Channel.EMAIL,
                period=(T0.date(), T0.add(days=30).date()),
                budget=Money.of("2000", CURRENCY),
                expected_response=Fraction(1, 4),
                at=T0.add(hours=30),
            )
        )
    )
    handle(
        c.AddCampaignMembers(
            campaign_id=mailing, customer_ids=tuple(customers[:20]), at=T0.add(hours=30)
        )
    )
    handle(c.ActivateCampaign(campaign_id=mailing, at=T0.add(hours=31)))
    opportunities = []
    for i in range(60):
        customer = customers[i % 30]
        opened = T0.add(days=1 + i % 10, hours=i)
        opp = _id(
            handle(
                c.OpenOpportunity(
                    customer_id=customer,
                    title=f"Deal {i + 1}",
                    amount=_amount(i),
                    at=opened,
                    expected_close=opened.add(days=60).date(),
                    campaign_id=mailing if i % 4 == 0 else None,
                    owner=REPS[i % 2],
                    team="sales",
                )
            )
        )
        opportunities.append(opp)
        # outcome by position: 0-4 stay in an open stage, 5 is won, 6 is lost
        outcome = i % 7
        reached = min(outcome, len(OPEN_STAGES) - 1) if outcome < 5 else 2 + i % 3
        at = opened
        for stage in OPEN_STAGES[1 : reached + 1]:
            at = at.add(days=4 + i % 5)
            handle(c.MoveOpportunity(opportunity_id=opp, stage=stage, at=at))
        if outcome == 5:
            contract = _id(handle(c.WinOpportunity(opportunity_id=opp, at=at.add(days=6))))
            delivered = at.add(days=10)
            handle(c.RecordDelivery(contract_id=contract, at=delivered))
            amount = _amount(i)
            if i % 3 == 0:  # paid in two parts
                half = amount.allocate([1, 1])
                handle(
                    c.RecordPayment(contract_id=contract, amount=half[0], at=delivered.add(days=5))
                )
                handle(
                    c.RecordPayment(contract_id=contract, amount=half[1], at=delivered.add(days=35))
                )
            elif i % 3 == 1:  # paid in full
                handle(
                    c.RecordPayment(contract_id=contract, amount=amount, at=delivered.add(days=20))
                )
            # i % 3 == 2: delivered, not paid yet
        elif outcome == 6:
            handle(
                c.LoseOpportunity(
                    opportunity_id=opp, reason="chose a competitor", at=at.add(days=8)
                )
            )
    end = T0.add(days=120)
    responses = [(k, "responded") for k in range(8)] + [(0, "converted"), (1, "converted")]
    for k, status in [*responses, (18, "bounced"), (19, "bounced")]:
        handle(
            c.SetCampaignMemberStatus(
                campaign_id=mailing, customer_id=customers[k], status=status, at=T0.add(days=12)
            )
        )
    handle(c.RecordCampaignCost(campaign_id=mailing, amount=Money.of("2400", CURRENCY),
                                at=T0.add(days=20)))  # fmt: skip
    handle(c.CompleteCampaign(campaign_id=mailing, at=T0.add(days=31)))

    # after-sales: a complaint through the six handling steps, a service contract
    after_sales = [
        customer.customer_id
        for customer in session.find(
            RecordKind.CUSTOMER, phase=LifecyclePhase.AFTER_SALES, limit=MAX_PAGE
        ).items
    ]
    complainant = after_sales[0]
    complaint = _id(
        handle(
            c.FileComplaint(
                customer_id=complainant,
                channel=Channel.PHONE,
                level=ComplaintLevel.HIGH,
                complainant_type=ComplainantType.NEGOTIATOR,
                subject="late delivery",
                at=end.subtract(days=20),
            )
        )
    )
    steps = [ComplaintStep(s) for s in ("calmed", "clarified", "solution proposed", "action taken")]
    for hours, step in enumerate(steps, start=1):
        at = end.subtract(days=20).add(hours=hours)
        handle(c.AdvanceComplaint(complaint_id=complaint, step=step, at=at))
    handle(
        c.CompensateComplaint(
            complaint_id=complaint, amount=Money.of("150", CURRENCY), at=end.subtract(days=19)
        )
    )
    handle(c.CloseComplaint(complaint_id=complaint, satisfaction=4, at=end.subtract(days=19)))
    handle(
        c.StartServiceContract(
            customer_id=complainant,
            starts=end.subtract(days=18).date(),
            term_months=12,
            auto_renew=True,
            notice_days=30,
            price=Money.of("1200", CURRENCY),
            at=end.subtract(days=18),
        )
    )
    # one customer churns and is won back
    churned = after_sales[-1]
    handle(c.LoseCustomer(customer_id=churned, reason="moved to a rival", at=end.subtract(days=10)))
    handle(c.WinBackCustomer(customer_id=churned, at=end.subtract(days=2)))
    quarter = Period.containing(T0, "quarter")
    for rep in REPS:
        handle(
            c.SetQuota(
                target=Money.of("15000", CURRENCY), period=quarter, owner=rep, team="sales",
                at=T0,
            )
        )  # fmt: skip
    session.collect_events()

    with uow:
        all_customers = uow.customers.list()
        all_opportunities = uow.opportunities.list()
        contracts = uow.contracts.list()
        closed_complaint = uow.complaints.get(complaint)
        campaign = uow.campaigns.get(mailing)
        quotas = uow.quotas.list()
    report = _report(all_customers, all_opportunities, contracts, closed_complaint, end, churned)
    report = _with_campaign(report, campaign_report(campaign, all_opportunities))
    return _with_sales(report, quotas, all_opportunities, contracts)


def _with_sales(
    report: Report,
    quotas: Sequence[Quota],
    opportunities: Sequence[Opportunity],
    contracts: Sequence[Contract],
) -> Report:
    plan = CommissionPlan(CURRENCY, TIERS, earned_on="payment")
    period = quotas[0].period
    statement = commissions(plan, contracts, period)
    rows, data = [], {}
    for quota in sorted(quotas, key=lambda q: str(q.owner)):
        reached = attainment(quota, opportunities)
        owner = str(quota.owner)
        base = statement.bases.get(owner, Money.zero(CURRENCY))
        earned = statement.get(owner, Money.zero(CURRENCY))
        won = reached.won
        assert isinstance(won, Money)  # the tour's quotas are Money
        rows.append((owner, _money(won), percent(reached.ratio), _money(base), _money(earned)))
        data[owner] = {
            "won": _number(won),
            "attained": ratio(reached.ratio),
            "paid_base": _number(base),
            "commission": _number(earned),
        }
    table = Table(
        f"8. Quotas and commissions, {period}",
        ("rep", "won", "attained", "paid in", "commission"),
        tuple(rows),
        frozenset({1, 2, 3, 4}),
    )
    terms = (
        f"A quota of 15000.00 {CURRENCY} each; commission on payments received:\n"
        f"2 % up to 10000.00 {CURRENCY} a quarter, 4 % above (marginal)."
    )
    merged = dict(report.data)
    merged["quotas"] = {"period": str(period), "reps": data}
    return Report((*report.sections, table, terms), merged)


def _with_campaign(report: Report, found: CampaignReport) -> Report:
    rows = (
        ("members (reached)", f"{found.members} ({found.reached})"),
        ("responders", str(found.responders)),
        ("response rate", percent(found.response_rate)),
        ("members with a sourced deal", f"{found.converted} ({percent(found.conversion_rate)})"),
        ("won", _money(found.won.get(CURRENCY))),
        ("cost (budget)", f"{_money(found.cost)} ({_money(found.budget)})"),
        ("ROI", percent(found.roi)),
    )
    table = Table(f"7. Campaign {found.campaign_id}", ("figure", "value"), rows, frozenset({1}))
    data = dict(report.data)
    data["campaign"] = {
        "id": found.campaign_id,
        "members": found.members,
        "reached": found.reached,
        "responders": found.responders,
        "response_rate": ratio(found.response_rate),
        "won": _number(found.won.get(CURRENCY)),
        "cost": _number(found.cost),
        "roi": ratio(found.roi),
    }
    return Report((*report.sections, table), data)


def _hours(duration: _dt.timedelta) -> str:
    """A duration in hours, one decimal (exact: durations here are whole minutes)."""
    return (
        f"{round_fraction(Fraction(duration // _dt.timedelta(minutes=1), 60), min_exponent=-1):.1f}"
    )


def _money(value: Money | None) -> str:
    return "-" if value is None else str(value.rounded())


def _number(value: Money | None) -> Decimal | None:
    """An amount for JSON: its rounded number (the currency is the tour's, stated once)."""
    return None if value is None else value.rounded().amount


def _report(
    customers: Any, opportunities: Any, contracts: Any, complaint: Any, end: Any, churned: str
) -> Report:
    sections: list[Table | str] = [
        "crmcore tour: 30 customers and 60 opportunities on the default pipeline;\n"
        f"{len(contracts)} contracts signed, delivered and (mostly) paid; a complaint handled\n"
        f"in six steps; one customer ({churned}) lost and won back; a mailing campaign.\n"
        f"Figures as of {end.to_iso8601_string()}."
    ]
    data: dict[str, Any] = {"as_of": end.to_iso8601_string(), "currency": CURRENCY}

    phases = collections.Counter(c.phase for c in customers)
    lifecycle = Table(
        "1. Lifecycle phases",
        ("phase", "customers"),
        tuple((p.name.lower(), str(phases.get(p, 0))) for p in LifecyclePhase),
        numeric=frozenset({1}),
    )
    sections.append(lifecycle)
    data["lifecycle"] = {p.name.lower(): phases.get(p, 0) for p in LifecyclePhase}

    weighted = weighted_pipeline(opportunities)
    outlook = forecast(opportunities)
    rows = [("weighted pipeline", _money(weighted.get(CURRENCY)))]
    rows += [(name, _money(totals.get(CURRENCY))) for name, totals in outlook.rollups.items()]
    sections.append(
        Table("2. Pipeline and forecast (USD)", ("view", "amount"), tuple(rows), frozenset({1}))
    )
    sections.append(
        "Best case, commit and closed add up the deals in those forecast categories\n"
        "and the ones above them. The default pipeline puts every open stage in the\n"
        '"pipeline" category, so here all three are the won amount; a stage built\n'
        'with forecast_category="commit" or "best case" moves its deals up.'
    )
    data["pipeline"] = {"weighted pipeline": _number(weighted.get(CURRENCY))} | {
        name: _number(totals.get(CURRENCY)) for name, totals in outlook.rollups.items()
    }
    data["forecast_counts"] = {c.value: outlook.counts.get(c, 0) for c in ForecastCategory}

    rate = win_rate(opportunities)
    velocity = sales_velocity(opportunities, as_of=end)
    inputs = velocity.inputs[CURRENCY]
    rows = [
        ("won / lost", f"{rate.won} / {rate.lost}"),
        ("win rate by count", percent(rate.by_count)),
        ("open opportunities", str(inputs.open_opportunities)),
        ("average won amount", _money(inputs.average_won_amount)),
        ("average cycle (days)", f"{float(inputs.average_cycle_days or 0):.1f}"),
        ("sales velocity per day", _money(velocity[CURRENCY])),
    ]
    sections.append(
        Table("3. Win rate and sales velocity", ("measure", "value"), tuple(rows), frozenset({1}))
    )
    data["sales"] = {
        "won": rate.won,
        "lost": rate.lost,
        "win_rate_by_count": ratio(rate.by_count),
        "open_opportunities": inputs.open_opportunities,
        "average_won_amount": _number(inputs.average_won_amount),
        "average_cycle_days": (
            None
            if inputs.average_cycle_days is None
            else round_fraction(inputs.average_cycle_days, min_exponent=-1)
        ),
        "sales_velocity_per_day": _number(velocity[CURRENCY]),
    }

    paid = {c.customer_id: Money.zero(CURRENCY) for c in customers}
    for contract in contracts:
        paid[contract.customer_id] = paid[contract.customer_id] + contract.paid
    classes = abc_classes(paid)
    split = pareto(paid)
    abc_rows = [
        (
            c.label,
            str(c.count),
            percent(c.customer_share),
            _money(c.value if isinstance(c.value, Money) else None),
            percent(c.value_share),
        )
        for c in classes.classes.values()
    ]
    sections.append(
        Table(
            "4. ABC classes of customers by payments received",
            ("class", "customers", "share", "paid", "of value"),
            tuple(abc_rows),
            frozenset({1, 2, 3, 4}),
        )
    )
    sections.append(f"20/80: {split.summary}.")
    data["abc"] = [
        {
            "class": c.label,
            "customers": c.count,
            "share": ratio(c.customer_share),
            "paid": _number(c.value if isinstance(c.value, Money) else None),
            "of_value": ratio(c.value_share),
        }
        for c in classes.classes.values()
    ]
    data["pareto"] = split.summary

    requirements = [
        Requirement("Contact management", Priority.HIGH, must_have=True),
        Requirement("Opportunity pipeline", Priority.HIGH),
        Requirement("Complaint handling", Priority.MEDIUM),
        Requirement("Email marketing", Priority.MEDIUM),
        Requirement("Mobile app", Priority.LOW),
        Requirement("Vietnamese interface", Priority.LOW),
    ]
    o, mi, ma, na = (
        Ability.OUT_OF_THE_BOX,
        Ability.MINOR_CUSTOMIZATION,
        Ability.MAJOR_CUSTOMIZATION,
        Ability.NOT_AVAILABLE,
    )
    names = [r.name for r in requirements]
    ratings = {
        "Package A": dict(zip(names, [o, o, mi, ma, o, na], strict=True)),
        "Package B": dict(zip(names, [o, mi, o, o, mi, mi], strict=True)),
        "Package C": dict(zip(names, [mi, o, o, na, o, o], strict=True)),
    }
    ranking = score_vendors(requirements, ratings)
    sections.append(
        "5. Vendor scoring (priority points x ability points)\n" + vendor_table(ranking).rstrip()
    )
    data["vendors"] = {
        name: {"total": s.total, "fit": ratio(s.fit), "rank": s.rank} for name, s in ranking.items()
    }

    margin = Money.of("100", CURRENCY)
    clv_rows: list[tuple[str, ...]] = []
    data["clv"] = []
    for retention in ("0.6", "0.7", "0.8", "0.9"):
        end_value = lifetime_value(margin=margin, retention=retention, discount_rate=Decimal("0.1"))
        start_value = lifetime_value(
            margin=margin, retention=retention, discount_rate=Decimal("0.1"), timing="start"
        )
        five = lifetime_value(margin=margin, retention=retention, discount_rate="0.1", periods=5)
        clv_rows.append(
            (retention, _money(five.value), _money(end_value.value), _money(start_value.value))
        )
        data["clv"].append(
            {
                "retention": Decimal(retention),
                "five_years": _number(five.value),
                "lifetime_end": _number(end_value.value),
                "lifetime_start": _number(start_value.value),
            }
        )
    sections.append(
        Table(
            "6. Customer lifetime value: margin 100 USD a year, discount rate 10 %",
            ("retention", "5 years", "lifetime (end)", "lifetime (start)"),
            tuple(clv_rows),
            frozenset({0, 1, 2, 3}),
        )
    )
    sections.append(
        f"Complaint {complaint.complaint_id}: {len(complaint.steps)} steps, satisfaction "
        f"{complaint.satisfaction}/5, resolved in "
        f"{complaint.time_to_resolution.total_seconds() / 3600:.0f} hours."
    )
    sla = sla_status(complaint, TOUR_SLA, as_of=end)
    milestones = [
        f"{m.value} {_hours(s.elapsed)} of {_hours(s.target)} h {s.state.value}"
        for m, s in sla.milestones.items()
    ]
    sections.append(
        "Service level, in working hours (Mon-Fri 09:00-17:00 UTC):\n" + "; ".join(milestones) + "."
    )
    data["complaint"] = {
        "id": complaint.complaint_id,
        "steps": [s.step.value for s in complaint.steps],
        "satisfaction": complaint.satisfaction,
        "service_level": {
            m.value: {"state": s.state.value, "elapsed_hours": Decimal(_hours(s.elapsed))}
            for m, s in sla.milestones.items()
        },
    }
    return Report(tuple(sections), data)
