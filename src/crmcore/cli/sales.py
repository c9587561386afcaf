"""`crmcore quota` and `crmcore commission`: attainment and commission from CSV files.

``crmcore quota QUOTAS.csv DEALS.csv --currency CODE``: QUOTAS.csv has the
columns ``owner``, ``period`` (``2030``, ``2030-Q1``, ``2030-03``) and
``target``; DEALS.csv ``deal``, ``owner``, ``won_on`` (a date) and
``amount``: the won deals. One row per quota: target, won, attainment, gap.

``crmcore commission EVENTS.csv --period P (--rate R | --tiers T) --currency
CODE``: EVENTS.csv has the columns ``deal``, ``owner``, ``date``, ``event``
and ``amount``, one row per event of a deal in time order: ``signed`` (the
first row of a deal: its amount), ``payment``, ``refund``, ``cancellation``
(amount empty). Events are read as happening at UTC midnight of their date,
one second apart in file order. Owners and deal names are the user's own
text: errors name the file, line and column, never the cell.
"""

import argparse
from decimal import Decimal

import pendulum

from crmcore.analytics.compensation import commissions
from crmcore.analytics.quotas import attainment
from crmcore.cli import inputs
from crmcore.cli.output import CliError, Report, Table, ratio
from crmcore.domain.commissions import CommissionPlan, Tier
from crmcore.domain.contracts import Contract
from crmcore.domain.money import Money
from crmcore.domain.numbers import percent
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.periods import Period
from crmcore.domain.quotas import Quota
from crmcore.errors import CrmError

EVENTS = ("signed", "payment", "refund", "cancellation")


PERIOD_RULE = "expected a period like 2030, 2030-Q1 or 2030-03"


def _period(text: str) -> Period | None:
    try:
        return Period.parse(text)
    except CrmError:
        return None


def _money(rows: inputs.Rows, line: int, column: str, text: str, code: str) -> Money:
    number = rows.number(line, column, text)
    try:
        return Money.of(number, code)
    except CrmError as error:  # more digits than the currency allows, say
        raise rows.fail(line, column, str(error)) from None


def _owner_ids(names: dict[str, str], text: str) -> str:
    """The id the domain sees for an owner's text (the text itself may be anything)."""
    return names.setdefault(text, f"user-{len(names) + 1}")


def quota(arguments: argparse.Namespace) -> tuple[Report, list[str]]:
    """Attainment of every quota in QUOTAS.csv from the won deals in DEALS.csv."""
    code = inputs.currency(arguments.currency)
    assert code is not None
    owners: dict[str, str] = {}
    rows = inputs.Rows(arguments.file, {c: c for c in ("owner", "period", "target")})
    quotas: list[tuple[str, Quota]] = []
    seen: dict[tuple[str, Period], int] = {}
    for line, row in rows:
        if not row["owner"]:
            raise rows.fail(line, "owner", "expected an owner, got an empty cell")
        period = _period(row["period"])
        if period is None:
            raise rows.fail(line, "period", PERIOD_RULE)
        if (row["owner"], period) in seen:
            raise rows.fail(
                line, "period", f"a second quota (the same as on line {seen[row['owner'], period]})"
            )
        seen[row["owner"], period] = line
        target = _money(rows, line, "target", row["target"], code)
        owner = _owner_ids(owners, row["owner"])
        quotas.append((row["owner"], Quota(f"q-{line}", target, period, owner=owner)))
    if not quotas:
        raise CliError(f"{arguments.file}: no data rows after the header")
    deals = _won_deals(arguments.deals, owners, code)
    results = [(name, attainment(q, deals)) for name, q in quotas]
    results.sort(key=lambda item: (item[1].quota.period, item[0]))
    table = Table(
        f"Quota attainment ({code})",
        ("owner", "period", "target", "won", "attained", "gap", "deals"),
        tuple(
            (
                name,
                str(a.quota.period),
                f"{a.quota.target.amount:f}",  # type: ignore[union-attr]  # Money targets
                f"{a.won.amount:f}",  # type: ignore[union-attr]
                percent(a.ratio),
                f"{a.gap.amount:f}",  # type: ignore[union-attr]
                str(len(a.deals)),
            )
            for name, a in results
        ),
        frozenset({2, 3, 4, 5, 6}),
    )
    data = {
        "currency": code,
        "quotas": [
            {
                "owner": name,
                "period": str(a.quota.period),
                "target": a.quota.target.amount,  # type: ignore[union-attr]
                "won": a.won.amount,  # type: ignore[union-attr]
                "ratio": ratio(a.ratio),
                "gap": a.gap.amount,  # type: ignore[union-attr]
                "deals": len(a.deals),
            }
            for name, a in results
        ],
    }
    return Report((table,), data, main=table), [arguments.file, arguments.deals]


def _won_deals(path: str, owners: dict[str, str], code: str) -> list[Opportunity]:
    rows = inputs.Rows(path, {c: c for c in ("deal", "owner", "won_on", "amount")})
    deals: list[Opportunity] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        for column in ("deal", "owner"):
            if not row[column]:
                raise rows.fail(line, column, f"expected a {column}, got an empty cell")
        if row["deal"] in seen:
            raise rows.fail(line, "deal", f"given twice (the same as on line {seen[row['deal']]})")
        seen[row["deal"]] = line
        day = rows.date(line, "won_on", row["won_on"])
        amount = _money(rows, line, "amount", row["amount"], code)
        if amount.is_zero():
            raise rows.fail(line, "amount", "expected an amount greater than zero")
        at = pendulum.datetime(day.year, day.month, day.day, tz="UTC")
        deals.append(
            Opportunity.open(
                opportunity_id=f"deal-{line}",
                customer_id="cust-0",
                title="deal",
                amount=amount,
                at=at,
                owner=_owner_ids(owners, row["owner"]),
            ).win(at=at)
        )
    return deals


def _plan(arguments: argparse.Namespace, code: str) -> CommissionPlan:
    if arguments.rate is None and arguments.tiers is None:
        raise CliError("commission: give --rate or --tiers")
    if arguments.rate is not None and arguments.tiers is not None:
        raise CliError("--tiers: not together with --rate; give one of them")
    options = {"mode": arguments.mode, "earned_on": arguments.earned_on}
    if arguments.rate is not None:
        return CommissionPlan(code, (Tier(0, None, _rate(arguments.rate, "--rate")),), **options)
    tiers: list[Tier] = []
    lower = Decimal(0)
    parts = arguments.tiers.split(",")
    if len(parts) > 50:
        raise CliError("--tiers: at most 50 tiers")
    for position, part in enumerate(parts):
        upper_text, colon, rate_text = part.partition(":")
        last = position == len(parts) - 1
        if not colon or (upper_text.strip() == "") != last:
            raise CliError(
                "--tiers: expected UPPER:RATE,...,:RATE (each tier up to UPPER, the last "
                "open-ended), such as 50000:0.02,100000:0.04,:0.06"
            )
        upper = None if last else inputs.finite(upper_text)
        if not last and (upper is None or upper <= lower):
            raise CliError(f"--tiers: tier {position + 1} must end above {lower:f}")
        rate = _rate(rate_text, "--tiers")
        try:
            tiers.append(Tier(lower, upper, rate))
        except CrmError as error:
            raise CliError(f"--tiers: {error}") from None
        lower = upper if upper is not None else lower
    return CommissionPlan(code, tiers, **options)


def _rate(text: str, option: str) -> Decimal:
    value = inputs.finite(text)
    if value is None or not 0 <= value <= 1:
        raise CliError(f"{option}: expected a rate from 0 to 1, such as 0.04 for 4 %")
    return value


def commission(arguments: argparse.Namespace) -> tuple[Report, list[str]]:
    """Each owner's commission for the period, with the lines that make it."""
    code = inputs.currency(arguments.currency)
    assert code is not None
    period = _period(arguments.period)
    if period is None:
        raise CliError(f"--period: {PERIOD_RULE}")
    plan = _plan(arguments, code)
    contracts, deal_names, people = _contracts(arguments.file, code)
    statement = commissions(plan, contracts, period)
    summary = Table(
        f"Commission for {period} ({code}, {plan.mode.value}, on {plan.earned_on.value})",
        ("owner", "base", "commission"),
        tuple(
            (people[o], f"{c.base.amount:f}", f"{c.commission.amount:f}")
            for o, c in statement.owners.items()
        ),
        frozenset({1, 2}),
    )
    lines = Table(
        "Lines",
        ("owner", "deal", "date", "event", "base", "commission"),
        tuple(
            (
                people[line.owner],
                deal_names[line.contract_id],
                line.at.date().isoformat(),
                line.event.value,
                f"{line.base.amount:f}",
                f"{line.commission.amount:f}",
            )
            for line in statement.lines
        ),
        frozenset({4, 5}),
    )
    data = {
        "currency": code,
        "period": str(period),
        "owners": {
            people[o]: {
                "base": c.base.amount,
                "commission": c.commission.amount,
                "lines": [
                    {
                        "deal": deal_names[line.contract_id],
                        "date": line.at.date().isoformat(),
                        "event": line.event.value,
                        "base": line.base.amount,
                        "commission": line.commission.amount,
                    }
                    for line in c.lines
                ],
            }
            for o, c in statement.owners.items()
        },
    }
    return Report((summary, lines), data, main=summary), [arguments.file]


def _contracts(
    path: str, code: str
) -> tuple[list[Contract], dict[str, str], dict[str | None, str]]:
    """The deals as contracts; contract id → deal name; owner id → owner name."""
    rows = inputs.Rows(path, {c: c for c in ("deal", "owner", "date", "event", "amount")})
    owners: dict[str, str] = {}
    deals: dict[str, Contract] = {}
    for line, row in rows:
        name, event = row["deal"], row["event"]
        if not name:
            raise rows.fail(line, "deal", "expected a deal, got an empty cell")
        if event not in EVENTS:
            raise rows.fail(line, "event", f"expected one of {', '.join(EVENTS)}")
        day = rows.date(line, "date", row["date"])
        # in file order: a microsecond per line after midnight
        at = pendulum.datetime(day.year, day.month, day.day, tz="UTC").add(microseconds=line)
        contract = deals.get(name)
        if (contract is None) != (event == "signed"):
            problem = "a deal starts with one signed row" if contract is None else "signed twice"
            raise rows.fail(line, "event", problem)
        try:
            if contract is None:
                if not row["owner"]:
                    raise rows.fail(line, "owner", "expected an owner, got an empty cell")
                deals[name] = Contract.sign(
                    contract_id=f"deal-{len(deals) + 1}",
                    customer_id="cust-0",
                    opportunity_id=f"opp-{len(deals) + 1}",
                    amount=_money(rows, line, "amount", row["amount"], code),
                    at=at,
                    owner=_owner_ids(owners, row["owner"]),
                )
            elif event == "cancellation":
                deals[name] = contract.cancel(at=at, reason="cancelled")
            elif event == "payment":
                deals[name] = contract.pay(_money(rows, line, "amount", row["amount"], code), at=at)
            else:
                deals[name] = contract.refund(
                    _money(rows, line, "amount", row["amount"], code), at=at
                )
        except CrmError as error:
            column = "date" if "earlier" in str(error) else "amount"
            raise rows.fail(line, column, str(error)) from None
    if not deals:
        raise CliError(f"{path}: no data rows after the header")
    names = {c.contract_id: name for name, c in deals.items()}
    people: dict[str | None, str] = {v: k for k, v in owners.items()}
    return list(deals.values()), names, people
