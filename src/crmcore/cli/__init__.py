"""The command line: ``crmcore`` and ``python -m crmcore``.

The only code in the package that touches files or the terminal. Exit
status 0 on success, 2 for bad input (one line on stderr naming the file,
line and column, never a traceback), 1 only for a bug.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, NoReturn

from crmcore.adapters import engines
from crmcore.analytics import Transaction, abc_classes, lifetime_value, pareto, plans, rfm
from crmcore.analytics.btyd import RfmSummaries, rfm_summary
from crmcore.analytics.vendors import Ability, Priority, Requirement, score_vendors
from crmcore.cli import inputs
from crmcore.cli.output import CliError, Report, Table, ratio, write, write_file
from crmcore.cli.svg import pareto_svg
from crmcore.domain.campaigns import DEFAULT_STATUSES
from crmcore.domain.fields import member
from crmcore.domain.money import Money
from crmcore.domain.numbers import percent
from crmcore.domain.pipeline import DEFAULT_PIPELINE
from crmcore.errors import CrmError, ValidationError
from crmcore.rendering import lifecycle_mermaid, pipeline_mermaid, vendor_table

if TYPE_CHECKING:
    from crmcore.cli.engine import CsvTable

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("crmcore").strip()
        where = f"{command}: " if command else ""
        raise CliError(f"{where}{message} (see {self.prog} --help)")


def _count(text: str) -> int:
    """An option's whole number: up to 9 digits, so that a huge value is refused
    without being parsed or echoed."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise argparse.ArgumentTypeError("expected a whole number of 0 or more, at most 9 digits")
    return int(text)


def _formats(parser: argparse.ArgumentParser, *, table: bool) -> None:
    choices = ["table", "json", "csv"] if table else ["table", "json"]
    parser.add_argument("--format", choices=choices, default="table", help="output format")
    parser.add_argument(
        "--output", metavar="FILE", help="write to FILE (all at once) instead of stdout"
    )


def _engine_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--engine",
        choices=["python", "duckdb"],
        default="python",
        help="where to read and analyse the file: in Python (default), or inside DuckDB "
        "(the engines extra), for files of millions of rows",
    )


def _parser() -> _Parser:
    parser = _Parser(prog="crmcore", description="crmcore: CRM analytics and the tour.")
    parser.add_argument("--version", action="version", version=f"crmcore {version('crmcore')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    tour = commands.add_parser("tour", help="the deterministic walkthrough (start here)")
    tour.add_argument(
        "--store",
        metavar="URL",
        help="run on an empty SQL database instead of the in-memory store, e.g. "
        "sqlite:///tour.db (needs the sql extra)",
    )
    _formats(tour, table=False)

    for name, text in (("abc", "ABC classes"), ("pareto", "the 20/80 split")):
        command = commands.add_parser(name, help=f"{text} of a CSV of customer values")
        command.add_argument(
            "file", metavar="FILE.csv", help="a CSV file with a header row (UTF-8)"
        )
        command.add_argument("--id", required=True, metavar="COLUMN", help="the customer id column")
        command.add_argument("--value", required=True, metavar="COLUMN", help="the value column")
        command.add_argument("--currency", metavar="CODE", help="values are money in CODE")
        _engine_option(command)
        if name == "abc":
            command.add_argument(
                "--thresholds",
                default="0.8,0.95",
                help="cumulative shares of value that close classes A, B, ... (default 0.8,0.95)",
            )
            command.add_argument(
                "--boundary",
                choices=["covering", "inclusive"],
                default="covering",
                help="who gets the class a threshold falls in: the customers covering it "
                "(default) or only those wholly inside it (SAP's rule)",
            )
        else:
            command.add_argument("--share", default="0.8", help="the vital few's share of value")
            command.add_argument("--chart", metavar="OUT.svg", help="draw the Pareto chart")
        _formats(command, table=True)

    vendors = commands.add_parser("vendors", help="score CRM packages from a TOML file")
    vendors.add_argument(
        "file", metavar="FILE.toml", help="requirements and vendors' abilities (see docs/cli.md)"
    )
    _formats(vendors, table=True)

    clv = commands.add_parser("clv", help="retention-based customer lifetime value")
    clv.add_argument("--margin", required=True, help="the margin per period, e.g. 100")
    clv.add_argument("--currency", required=True, metavar="CODE", help="the margin's currency")
    clv.add_argument(
        "--retention", required=True, help="the share kept each period, from 0 to 1, e.g. 0.8"
    )
    clv.add_argument(
        "--discount", required=True, help="the discount rate per period, 0 or more, e.g. 0.1"
    )
    clv.add_argument(
        "--periods", type=_count, help="a finite horizon of N periods (default: no end)"
    )
    clv.add_argument(
        "--timing",
        choices=["end", "start"],
        default="end",
        help="margins at the end of each period (default) or from the start",
    )
    clv.add_argument(
        "--acquisition-cost",
        dest="cost",
        metavar="AMOUNT",
        help="what winning the customer cost, subtracted from the value",
    )
    _formats(clv, table=True)

    rfm_command = commands.add_parser("rfm", help="RFM scores from a CSV of transactions")
    _transaction_columns(rfm_command)
    rfm_command.add_argument(
        "--as-of", required=True, metavar="DATE", help="the day of the analysis (YYYY-MM-DD)"
    )
    _engine_option(rfm_command)
    _formats(rfm_command, table=True)

    summary = commands.add_parser(
        "rfm-summary", help="the BTYD models' per-customer inputs from a CSV of transactions"
    )
    _transaction_columns(summary)
    summary.add_argument(
        "--end", required=True, metavar="DATE", help="the observation end (YYYY-MM-DD)"
    )
    summary.add_argument(
        "--unit", choices=["day", "week", "month"], default="week", help="the unit of time"
    )
    _engine_option(summary)
    _formats(summary, table=True)

    holdout = commands.add_parser(
        "holdout", help="a purchase model's predicted against actual holdout purchases"
    )
    _transaction_columns(holdout)
    holdout.add_argument(
        "--calibration-end", required=True, metavar="DATE", help="the last day the model sees"
    )
    holdout.add_argument(
        "--observation-end", required=True, metavar="DATE", help="the last day of the holdout"
    )
    holdout.add_argument(
        "--model",
        choices=["bgnbd", "mbgnbd", "pareto"],
        default="bgnbd",
        help="BG/NBD (default), MBG/NBD or Pareto/NBD",
    )
    holdout.add_argument(
        "--unit", choices=["day", "week", "month"], default="week", help="the unit of time"
    )
    holdout.add_argument(
        "--max-frequency",
        type=_count,
        default=7,
        metavar="N",
        help="the last, open-ended bin of calibration frequencies (default 7)",
    )
    holdout.add_argument("--chart", metavar="OUT.svg", help="draw the chart (predicted, actual)")
    _formats(holdout, table=True)

    campaign = commands.add_parser(
        "campaign", help="response rates and ROI of campaigns from CSV files"
    )
    campaign.add_argument(
        "file",
        metavar="MEMBERS.csv",
        help="campaign,customer rows: who was on each campaign's list (UTF-8, with a header)",
    )
    campaign.add_argument(
        "--responses",
        metavar="FILE.csv",
        help="campaign,customer,status rows in time order; statuses: "
        + ", ".join(DEFAULT_STATUSES.names),
    )
    campaign.add_argument(
        "--results", metavar="FILE.csv", help="campaign,cost,won rows: what each cost and won"
    )
    campaign.add_argument(
        "--currency", required=True, metavar="CODE", help="the currency of costs and won amounts"
    )
    _formats(campaign, table=True)

    quota = commands.add_parser("quota", help="quota attainment from CSV files")
    quota.add_argument(
        "file",
        metavar="QUOTAS.csv",
        help="owner,period,target rows (period: 2030, 2030-Q1, 2030-03)",
    )
    quota.add_argument(
        "deals", metavar="DEALS.csv", help="deal,owner,won_on,amount rows: won deals"
    )
    quota.add_argument(
        "--currency", required=True, metavar="CODE", help="the currency of targets and amounts"
    )
    _formats(quota, table=True)

    commission = commands.add_parser("commission", help="commissions from a CSV of deal events")
    commission.add_argument(
        "file",
        metavar="EVENTS.csv",
        help="deal,owner,date,event,amount rows in time order; events: signed (first), "
        "payment, refund, cancellation",
    )
    commission.add_argument(
        "--period", required=True, metavar="PERIOD", help="the period paid: 2030, 2030-Q1, 2030-03"
    )
    commission.add_argument("--rate", metavar="RATE", help="one rate on the whole base, e.g. 0.05")
    commission.add_argument(
        "--tiers",
        metavar="TIERS",
        help="UPPER:RATE,...,:RATE, each tier up to UPPER, the last open-ended "
        "(e.g. 50000:0.02,100000:0.04,:0.06)",
    )
    commission.add_argument(
        "--mode", choices=["marginal", "whole"], default="marginal", help="how tier rates apply"
    )
    commission.add_argument(
        "--earned-on",
        choices=["signing", "payment"],
        default="signing",
        help="commission earned when a deal is signed, or as payments arrive",
    )
    commission.add_argument(
        "--currency", required=True, metavar="CODE", help="the currency of the amounts"
    )
    _formats(commission, table=True)

    diagram = commands.add_parser("diagram", help="Mermaid diagrams")
    diagram.add_argument(
        "which", choices=["pipeline", "lifecycle"], help="the default pipeline or the lifecycle"
    )
    _formats(diagram, table=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        arguments = _parser().parse_args(argv)
        report, files = _run(arguments)
        write(report.render(arguments.format), arguments.output, inputs=files)
    except CliError as error:
        print(f"crmcore: {error}", file=sys.stderr)
        return 2
    except CrmError as error:
        print(f"crmcore: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - the reader went away
        return 0
    return 0


def _run(arguments: argparse.Namespace) -> tuple[Report, list[str]]:
    command = arguments.command
    if command == "tour":
        from crmcore.cli.tour import run, sql_unit_of_work

        if arguments.store is None:
            return run(), []
        uow = sql_unit_of_work(arguments.store)
        try:
            return run(uow), []
        finally:
            uow.store.engine.dispose()
    if command == "diagram":
        text = (
            pipeline_mermaid(DEFAULT_PIPELINE)
            if arguments.which == "pipeline"
            else lifecycle_mermaid()
        )
        return Report((text.rstrip(),), {"diagram": arguments.which, "mermaid": text}), []
    if command == "clv":
        return _clv(arguments), []
    if command == "vendors":
        return _vendors(arguments.file), [arguments.file]
    if command == "rfm":
        return _rfm(arguments), [arguments.file]
    if command == "rfm-summary":
        return _rfm_summary(arguments), [arguments.file]
    if command == "campaign":
        from crmcore.cli import campaigns

        return campaigns.run(arguments)
    if command == "holdout":
        from crmcore.cli import models

        return models.holdout(arguments, _transactions(arguments)), [arguments.file]
    if command in ("quota", "commission"):
        from crmcore.cli import sales

        return sales.quota(arguments) if command == "quota" else sales.commission(arguments)
    return _segments(arguments), [arguments.file]


def _fraction(text: str, option: str) -> Fraction:
    value = inputs.finite(text)
    if value is None:
        raise CliError(
            f"{option}: expected a plain decimal number like 0.8 "
            "(no exponent, at most 60 characters)"
        )
    return Fraction(value)


def _values(arguments: argparse.Namespace) -> tuple[dict[str, Any], list[tuple[str, Decimal]]]:
    code = inputs.currency(arguments.currency)
    rows = inputs.Rows(arguments.file, {"--id": arguments.id, "--value": arguments.value})
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for line, row in rows:
        key = row[arguments.id]
        if not key:
            raise rows.fail(line, arguments.id, "expected a customer id, got an empty cell")
        if key in seen:
            # The id itself is not repeated: ids in a user's file are often names.
            raise rows.fail(line, arguments.id, f"duplicate id (the same as on line {seen[key]})")
        seen[key] = line
        number = rows.number(line, arguments.value, row[arguments.value])
        try:
            values[key] = number if code is None else Money.of(number, code)
        except CrmError as error:
            raise rows.fail(line, arguments.value, str(error)) from None
    if not values:
        raise CliError(f"{arguments.file}: no data rows after the header")
    return values, _ordered(values)


def _ordered(values: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return sorted(
        ((k, v.amount if isinstance(v, Money) else v) for k, v in values.items()),
        key=lambda kv: (-kv[1], kv[0]),
    )


def _engine_values(arguments: argparse.Namespace) -> tuple["CsvTable", dict[str, Any]]:
    """The --id and --value columns read by DuckDB, as table ``data(k, v)`` and
    as the Python reader gives them (for the report)."""
    from crmcore.cli.engine import CsvTable

    code = inputs.currency(arguments.currency)
    table = CsvTable(arguments.file, {"--id": arguments.id, "--value": arguments.value})
    try:
        table.ids(arguments.id, unique=True)
        table.create(
            "data",
            {
                "k": f'"{arguments.id.replace(chr(34), chr(34) * 2)}"',
                "v": table.numbers(arguments.value),
            },
        )
        values: dict[str, Any] = {}
        for line, key, text in table.cells(arguments.id, arguments.value):
            try:
                values[key] = Decimal(text) if code is None else Money.of(Decimal(text), code)
            except CrmError as error:
                raise CliError(
                    f"{inputs._where(arguments.file, int(line), arguments.value)}: {error}"
                ) from None
    except BaseException:
        table.close()
        raise
    return table, values


def _amount(value: Money | Decimal) -> Decimal:
    """The number of an amount, for CSV and JSON (its currency goes in a column of its own)."""
    return value.amount if isinstance(value, Money) else value


def _option_error(option: str, error: ValidationError, allowed: str) -> CliError:
    return CliError(f"{option}: {error.problem} (accepted: {allowed})")


def _segments(arguments: argparse.Namespace) -> Report:
    if arguments.engine == "python":
        return _segment(arguments, *_values(arguments), None)
    table, values = _engine_values(arguments)
    try:
        return _segment(arguments, values, _ordered(values), table.connection)
    finally:
        table.close()


def _segment(
    arguments: argparse.Namespace,
    values: dict[str, Any],
    ordered: list[tuple[str, Decimal]],
    connection: object,
) -> Report:
    """The abc or pareto report; with a DuckDB ``connection``, computed there."""
    code = inputs.currency(arguments.currency)

    def cells(key: str) -> tuple[str, ...]:
        value = values[key]
        if isinstance(value, Money):
            return (key, str(value.amount), value.currency)
        return (key, str(value))

    value_columns = ("customer", "value", "currency") if code else ("customer", "value")
    if arguments.command == "abc":
        thresholds = tuple(
            _fraction(t.strip(), "--thresholds") for t in arguments.thresholds.split(",")
        )
        try:
            if connection is None:
                result = abc_classes(values, thresholds=thresholds, boundary=arguments.boundary)
            else:
                plan = plans.abc_plan(
                    "data",
                    key="k",
                    value="v",
                    thresholds=thresholds,
                    boundary=arguments.boundary,
                    currency=code,
                )
                result = engines.run(plan, connection)
        except ValidationError as error:
            if error.field != "thresholds":
                raise
            raise _option_error(
                "--thresholds",
                error,
                "1 to 25 comma-separated numbers in (0, 1], strictly increasing, e.g. 0.8,0.95",
            ) from None
        classes = Table(
            f"ABC classes ({arguments.boundary})",
            ("class", "customers", "share", "value", "of value"),
            tuple(
                (
                    c.label,
                    str(c.count),
                    percent(c.customer_share),
                    str(c.value),
                    percent(c.value_share),
                )
                for c in result.classes.values()
            ),
            frozenset({1, 2, 3, 4}),
        )
        customers = Table(
            "Customers by value",
            (*value_columns, "class"),
            tuple((*cells(k), result[k]) for k, _ in ordered),
            frozenset({1}),
        )
        data = {
            "currency": code,
            "boundary": arguments.boundary,
            "thresholds": [ratio(t) for t in thresholds],
            "classes": {
                c.label: {
                    "customers": c.count,
                    "customer_share": ratio(c.customer_share),
                    # The command line reads Decimal or Money values only.
                    "value": _amount(c.value),  # type: ignore[arg-type]
                    "value_share": ratio(c.value_share),
                }
                for c in result.classes.values()
            },
            "customers": {k: result[k] for k, _ in ordered},
        }
        return Report((classes, customers), data, main=customers)
    share = _fraction(arguments.share, "--share")
    try:
        if connection is None:
            result_p = pareto(values, share=share)
        else:
            plan_p = plans.pareto_plan("data", key="k", value="v", share=share, currency=code)
            result_p = engines.run(plan_p, connection)
    except ValidationError as error:
        if error.field not in ("share", "thresholds"):
            raise
        raise CliError(
            "--share: is out of range (accepted: a number above 0 and at most 1, e.g. 0.8)"
        ) from None
    if arguments.chart:
        write_file(
            arguments.chart,
            pareto_svg(ordered, share=share, title=f"Pareto: {result_p.summary}"),
            inputs=[arguments.file],
        )
    table = Table(
        "Customers by value",
        (*value_columns, "group"),
        tuple(
            (*cells(k), "vital few" if k in result_p.vital_few else "trivial many")
            for k, _ in ordered
        ),
        frozenset({1}),
    )
    data = {
        "summary": result_p.summary,
        "share": ratio(share),
        "vital_few": sorted(str(k) for k in result_p.vital_few),
        "trivial_many": sorted(str(k) for k in result_p.trivial_many),
    }
    return Report((f"20/80: {result_p.summary}.", table), data, main=table)


def _rfm_summary(arguments: argparse.Namespace) -> Report:
    end = _day_option(arguments.end, "--end")
    result: RfmSummaries
    if arguments.engine == "python":
        result = rfm_summary(_transactions(arguments), observation_end=end, unit=arguments.unit)
    else:
        result = _on_duckdb(
            arguments,
            lambda columns: plans.rfm_summary_plan(
                "tx", **columns, observation_end=end, unit=arguments.unit
            ),
        )
    table_out = Table(
        f"BTYD inputs at {end.isoformat()} (in {arguments.unit}s)",
        ("customer", "frequency", "recency", "T", "monetary", "currency", "first", "last"),
        tuple(
            (
                s.customer_id,
                str(s.frequency),
                str(s.recency),
                str(s.T),
                str(s.monetary_value.amount),
                s.monetary_value.currency,
                s.first_purchase.isoformat(),
                s.last_purchase.isoformat(),
            )
            for s in result.values()
        ),
        frozenset({1, 2, 3, 4}),
    )
    data = {
        s.customer_id: {
            "frequency": s.frequency,
            "recency": ratio(s.recency),
            "T": ratio(s.T),
            "monetary_value": s.monetary_value.amount,
            "currency": s.monetary_value.currency,
            "first_purchase": s.first_purchase.isoformat(),
            "last_purchase": s.last_purchase.isoformat(),
        }
        for s in result.values()
    }
    return Report((table_out,), data, main=table_out)


_CLV_OPTIONS = {
    "margin": "--margin",
    "retention": "--retention",
    "discount_rate": "--discount",
    "periods": "--periods",
    "acquisition_cost": "--acquisition-cost",
}


def _transactions(arguments: argparse.Namespace) -> list[Transaction]:
    """The transactions of ``arguments.file``: its --customer, --date and
    --amount columns, in --currency."""
    code = inputs.currency(arguments.currency)
    assert code is not None
    rows = inputs.Rows(
        arguments.file,
        {"--customer": arguments.customer, "--date": arguments.date, "--amount": arguments.amount},
    )
    transactions = []
    for line, row in rows:
        customer = row[arguments.customer]
        if not customer:
            raise rows.fail(line, arguments.customer, "expected a customer id, got an empty cell")
        day = rows.date(line, arguments.date, row[arguments.date])
        amount = rows.number(line, arguments.amount, row[arguments.amount])
        try:
            transactions.append(Transaction(customer, day, Money.of(amount, code)))
        except CrmError as error:
            raise rows.fail(line, arguments.customer, str(error)) from None
    if not transactions:
        raise CliError(f"{arguments.file}: no data rows after the header")
    return transactions


def _transaction_columns(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "file", metavar="FILE.csv", help="a CSV of transactions with a header row (UTF-8)"
    )
    command.add_argument(
        "--customer", required=True, metavar="COLUMN", help="the customer id column"
    )
    command.add_argument(
        "--date", required=True, metavar="COLUMN", help="the date column (YYYY-MM-DD)"
    )
    command.add_argument("--amount", required=True, metavar="COLUMN", help="the amount column")
    command.add_argument("--currency", required=True, metavar="CODE", help="the amounts' currency")


def _clv(arguments: argparse.Namespace) -> Report:
    code = inputs.currency(arguments.currency)
    assert code is not None
    money = {}
    for option, text in (("--margin", arguments.margin), ("--acquisition-cost", arguments.cost)):
        if text is not None:
            try:
                money[option] = Money.from_exact(_fraction(text, option), code)
            except ValidationError as error:
                raise CliError(
                    f"{option}: {error.problem} (accepted: a plain decimal number with at most "
                    "18 digits before the point)"
                ) from None
    try:
        result = lifetime_value(
            margin=money["--margin"],
            retention=_fraction(arguments.retention, "--retention"),
            discount_rate=_fraction(arguments.discount, "--discount"),
            periods=arguments.periods,
            timing=arguments.timing,
            acquisition_cost=money.get("--acquisition-cost"),
        )
    except ValidationError as error:
        option = _CLV_OPTIONS.get(error.field, error.field)
        raise CliError(f"{option}: {error.problem} (accepted: {error.allowed})") from None
    rows = tuple(
        (str(t), str(term.rounded().amount), code) for t, term in enumerate(result.terms, start=1)
    )
    table = Table(
        "Discounted margin per period", ("period", "value", "currency"), rows, frozenset({0, 1})
    )
    sections: list[Table | str] = [
        f"Customer lifetime value: {result.value.rounded()}\n{result.formula}"
    ]
    if rows:
        sections.append(table)
    data = {
        "currency": code,
        "value": result.value.amount,
        "rounded": result.value.rounded().amount,
        "formula": result.formula,
        "timing": result.timing,
        "periods": result.periods,
        "terms": [t.amount for t in result.terms],
    }
    return Report(tuple(sections), data, main=table if rows else None)


def _vendors(path: str) -> Report:
    document, text = inputs.read_toml(path)

    def at(needle: str | tuple[str, ...], problem: str, after: str | None = None) -> CliError:
        """The problem, at the first place in the file where a needle is written."""
        needles = (needle,) if isinstance(needle, str) else needle
        line, column = inputs.locate(text, *needles, after=after)
        return CliError(f"{path}, line {line}, column {column}: {problem}")

    raw = document.get("requirement")
    if not isinstance(raw, list) or not raw:
        raise CliError(f"{path}, line 1: expected [[requirement]] tables with name and priority")
    requirements = []
    for entry in raw:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise at("[[requirement]]", "a requirement needs a name")
        priority = entry.get("priority")
        try:
            level = member(Priority, priority, "priority")
        except ValidationError:
            raise at(
                f"{priority}" if priority else name,
                f"unknown priority {priority!r} for {name!r}; expected high, medium or low",
            ) from None
        must = entry.get("must_have", False)
        if type(must) is not bool:
            raise at(
                "must_have",
                f"must_have of {name!r} must be true or false (a TOML boolean, no quotes)",
                after=f'"{name}"',
            )
        try:
            requirements.append(Requirement(name, level, must_have=must))
        except CrmError as error:
            raise at(name, str(error)) from None
    vendors = document.get("vendors")
    if not isinstance(vendors, dict) or not vendors:
        raise CliError(f"{path}, line 1: expected a [vendors.NAME] table per vendor")
    abilities = {a.value for a in Ability}
    ratings: dict[str, dict[str, Ability]] = {}
    for vendor, rated in vendors.items():
        if not isinstance(rated, dict):
            raise at(vendor, f"{vendor!r} must be a table")
        ratings[vendor] = {}
        for requirement, ability in rated.items():
            try:
                ratings[vendor][requirement] = member(Ability, ability, "ability")
            except ValidationError:
                raise at(
                    f"{ability}",
                    f"unknown ability {ability!r} for {vendor!r}; "
                    f"expected {', '.join(sorted(abilities))}",
                ) from None
    try:
        ranking = score_vendors(requirements, ratings)
    except ValidationError as error:
        problem = error.problems[0] if error.problems else error.problem
        quoted = problem.split("'")
        if len(quoted) > 4 and "unknown requirement" in problem:  # vendor 'A' rates ... 'z'
            vendor, requirement = quoted[1], quoted[3]
            raise at(
                (f"{requirement} =", f'"{requirement}" ='), problem, after=f"vendors.{vendor}"
            ) from None
        if len(quoted) > 2 and problem.startswith("vendor "):  # vendor 'A' ... 'b'
            vendor = quoted[1]
            raise at(
                (f"[vendors.{vendor}]", f'[vendors."{vendor}"]', f"vendors.{vendor}", vendor),
                problem,
            ) from None
        raise at(f'"{quoted[1]}"' if len(quoted) > 2 else problem, problem) from None
    table = Table(
        "Vendor ranking",
        ("vendor", "total", "maximum", "fit", "rank"),
        tuple(
            (
                s.vendor,
                str(s.total),
                str(s.maximum),
                percent(s.fit),
                "out" if s.rank is None else str(s.rank),
            )
            for s in ranking.values()
        ),
        frozenset({1, 2, 3, 4}),
    )
    data = {
        s.vendor: {
            "total": s.total,
            "maximum": s.maximum,
            "fit": ratio(s.fit),
            "rank": s.rank,
            "knocked_out_by": list(s.knocked_out_by),
        }
        for s in ranking.values()
    }
    return Report((vendor_table(ranking).rstrip(),), data, main=table)


def _day_option(text: str, option: str) -> Any:
    day = inputs.iso_date(text)
    if day is None:
        raise CliError(f"{option}: expected a date like 2030-01-31")
    return day


def _engine_transactions(arguments: argparse.Namespace) -> "CsvTable":
    """The transactions' columns read by DuckDB, as table ``tx(c, d, a)``."""
    from crmcore.cli.engine import CsvTable

    inputs.currency(arguments.currency)
    columns = {
        "--customer": arguments.customer,
        "--date": arguments.date,
        "--amount": arguments.amount,
    }
    table = CsvTable(arguments.file, columns)
    try:
        table.ids(arguments.customer, unique=False)
        day = table.dates(arguments.date)
        amount = table.numbers(arguments.amount)
        table.create(
            "tx",
            {
                "c": f'trim("{arguments.customer.replace(chr(34), chr(34) * 2)}")',
                "d": day,
                "a": amount,
            },
        )
    except BaseException:
        table.close()
        raise
    return table


def _on_duckdb(arguments: argparse.Namespace, plan_of: Callable[[dict[str, Any]], Any]) -> Any:
    """The result of the plan ``plan_of(columns)`` builds over the file's
    transactions, read into DuckDB as table ``tx``."""
    table = _engine_transactions(arguments)
    try:
        columns = {"customer": "c", "at": "d", "amount": "a", "currency": arguments.currency}
        return engines.run(plan_of({**columns, "at_type": "date"}), table.connection)
    finally:
        table.close()


def _rfm(arguments: argparse.Namespace) -> Report:
    as_of = _day_option(arguments.as_of, "--as-of")
    if arguments.engine == "python":
        result = rfm(_transactions(arguments), as_of=as_of)
    else:
        result = _on_duckdb(arguments, lambda columns: plans.rfm_plan("tx", **columns, as_of=as_of))
    if not result:
        # Exit 0: an empty result is an answer, not an error; the note says why.
        print(
            f"crmcore: note: no transaction in {arguments.file} is on or before "
            f"{as_of.isoformat()}; nothing to score",
            file=sys.stderr,
        )
    table = Table(
        f"RFM scores as of {as_of.isoformat()}",
        ("customer", "recency", "frequency", "monetary", "currency", "R", "F", "M", "segment"),
        tuple(
            (
                s.customer_id,
                str(s.recency_days),
                str(s.frequency),
                str(s.monetary.amount),
                s.monetary.currency,
                str(s.r),
                str(s.f),
                str(s.m),
                s.segment or "",
            )
            for s in result.values()
        ),
        frozenset({1, 2, 3, 5, 6, 7}),
    )
    data = {
        s.customer_id: {
            "recency_days": s.recency_days,
            "frequency": s.frequency,
            "monetary": s.monetary.amount,
            "currency": s.monetary.currency,
            "r": s.r,
            "f": s.f,
            "m": s.m,
            "segment": s.segment,
        }
        for s in result.values()
    }
    return Report((table,), data, main=table)
