"""`crmcore campaign`: response rates and returns of campaigns, from CSV files.

MEMBERS.csv has the columns ``campaign`` and ``customer`` (who was on each
list); ``--responses`` a CSV with ``campaign``, ``customer`` and ``status``
(one row per event, in time order, statuses from `DEFAULT_STATUSES`);
``--results`` a CSV with ``campaign``, ``cost`` and ``won`` (what each
campaign cost and the amount of the deals it won). Campaign names and
customer ids are the user's own text: errors name the file, line and column,
never the cell.
"""

import argparse

import pendulum

from crmcore.analytics.campaigns import campaign_report, compare_campaigns
from crmcore.cli import inputs
from crmcore.cli.output import CliError, Report, Table, ratio
from crmcore.domain.campaigns import DEFAULT_STATUSES, Campaign
from crmcore.domain.money import Money
from crmcore.domain.numbers import percent
from crmcore.domain.opportunities import Opportunity
from crmcore.errors import CrmError

T0 = pendulum.datetime(2000, 1, 1, tz="UTC")
"""The campaigns' synthetic clock: rows are events one second apart, in file order."""


def _members(path: str) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Campaign name → its members' texts, in file order; and where each campaign first appears."""
    rows = inputs.Rows(path, {"campaign": "campaign", "customer": "customer"})
    lists: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    first: dict[str, int] = {}
    for line, row in rows:
        name, customer = row["campaign"], row["customer"]
        for column, value in (("campaign", name), ("customer", customer)):
            if not value:
                raise rows.fail(line, column, f"expected a {column}, got an empty cell")
        if (name, customer) in seen:
            raise rows.fail(
                line, "customer", f"duplicate member (the same as on line {seen[name, customer]})"
            )
        seen[name, customer] = line
        first.setdefault(name, line)
        lists.setdefault(name, []).append(customer)
    if not lists:
        raise CliError(f"{path}: no data rows after the header")
    return lists, first


def run(arguments: argparse.Namespace) -> tuple[Report, list[str]]:
    """The comparison table of the campaigns in the files."""
    code = inputs.currency(arguments.currency)
    assert code is not None
    lists, _ = _members(arguments.file)
    ids = {name: f"camp-{n}" for n, name in enumerate(lists, start=1)}
    names = {v: k for k, v in ids.items()}
    customer_ids: dict[str, str] = {}

    def customer_id(text: str) -> str:
        return customer_ids.setdefault(text, f"cust-{len(customer_ids) + 1}")

    campaigns: dict[str, Campaign] = {}
    for name, members in lists.items():
        planned = Campaign.plan(
            campaign_id=ids[name],
            name="campaign",
            channel="e-mail",
            period=(T0.date(), T0.date()),
            budget=Money.zero(code),
            at=T0,
        )
        campaigns[name] = planned.add_members([customer_id(m) for m in members], at=T0).activate(
            at=T0
        )
    files = [arguments.file]
    clock = T0
    if arguments.responses is not None:
        files.append(arguments.responses)
        clock = _responses(arguments.responses, campaigns, customer_ids, clock)
    opportunities: list[Opportunity] = []
    if arguments.results is not None:
        files.append(arguments.results)
        _results(arguments.results, campaigns, opportunities, code, clock)
    reports = [campaign_report(c, opportunities) for c in campaigns.values()]
    table_rows = compare_campaigns(reports).rows
    table = Table(
        f"Campaigns, best return first ({code})",
        ("campaign", "members", "reached", "responders", "response", "cost", "won", "ROI"),
        tuple(
            (
                names[r.campaign_id],
                str(r.members),
                str(r.reached),
                str(r.responders),
                percent(r.response_rate),
                f"{r.cost.amount:f}",
                f"{r.won.get(code, Money.zero(code)).amount:f}",
                percent(r.roi),
            )
            for r in table_rows
        ),
        frozenset({1, 2, 3, 4, 5, 6, 7}),
    )
    data = {
        names[r.campaign_id]: {
            "members": r.members,
            "reached": r.reached,
            "responders": r.responders,
            "response_rate": ratio(r.response_rate),
            "cost": r.cost.amount,
            "won": r.won.get(code, Money.zero(code)).amount,
            "roi": ratio(r.roi),
        }
        for r in table_rows
    }

    def number(value: object) -> str:
        return "" if value is None else f"{value:f}"

    main = Table(
        table.title,
        ("campaign", "members", "reached", "responders", "response_rate", "cost", "won", "roi"),
        tuple(
            (name, *(number(v) if not isinstance(v, int) else str(v) for v in row.values()))
            for name, row in data.items()
        ),
        table.numeric,
    )
    return Report((table,), data, main=main), files


def _responses(
    path: str,
    campaigns: dict[str, Campaign],
    customer_ids: dict[str, str],
    clock: pendulum.DateTime,
) -> pendulum.DateTime:
    """Apply the responses in file order; a status behind the member's current
    one adds nothing and is skipped (logs record "opened" after "clicked")."""
    rows = inputs.Rows(path, {c: c for c in ("campaign", "customer", "status")})
    allowed = ", ".join(DEFAULT_STATUSES.names)
    for line, row in rows:
        campaign = campaigns.get(row["campaign"])
        if campaign is None:
            raise rows.fail(line, "campaign", "is not a campaign of MEMBERS.csv")
        member = campaign.member(customer_ids.get(row["customer"], "cust-none"))
        if member is None:
            raise rows.fail(line, "customer", "is not on this campaign's list in MEMBERS.csv")
        status = row["status"]
        if status not in DEFAULT_STATUSES.names:
            raise rows.fail(line, "status", f"is not a status; expected one of {allowed}")
        if DEFAULT_STATUSES.can_move(member.status, status):
            clock = clock.add(seconds=1)
            campaigns[row["campaign"]] = campaign.set_member_status(
                member.customer_id, status, at=clock
            )
    return clock


def _results(
    path: str,
    campaigns: dict[str, Campaign],
    opportunities: list[Opportunity],
    code: str,
    clock: pendulum.DateTime,
) -> None:
    rows = inputs.Rows(path, {c: c for c in ("campaign", "cost", "won")})
    seen: dict[str, int] = {}
    for line, row in rows:
        name = row["campaign"]
        campaign = campaigns.get(name)
        if campaign is None:
            raise rows.fail(line, "campaign", "is not a campaign of MEMBERS.csv")
        if name in seen:
            raise rows.fail(line, "campaign", f"given twice (the same as on line {seen[name]})")
        seen[name] = line
        cost = rows.number(line, "cost", row["cost"])
        won = rows.number(line, "won", row["won"])
        amounts = {}
        for column, number in (("cost", cost), ("won", won)):
            try:
                amounts[column] = Money.of(number, code)
            except CrmError as error:  # more digits than the currency allows, say
                raise rows.fail(line, column, str(error)) from None
        if cost > 0:
            campaigns[name] = campaign.record_cost(amounts["cost"], at=clock)
        if won > 0:
            opportunities.append(_won(campaign.campaign_id, amounts["won"], clock))


def _won(campaign_id: str, amount: Money, at: pendulum.DateTime) -> Opportunity:
    """The deals a campaign won, as one won opportunity sourced from it."""
    return Opportunity.open(
        opportunity_id=f"won-{campaign_id}",
        customer_id="cust-0",
        title="won",
        amount=amount,
        at=at,
        campaign_id=campaign_id,
    ).win(at=at)
