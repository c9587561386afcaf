"""`crmcore holdout`: a purchase model validated on a holdout period.

``crmcore holdout FILE.csv --customer C --date D --amount A --currency CODE
--calibration-end DATE --observation-end DATE [--model bgnbd|mbgnbd|pareto]``
fits the model on the transactions up to the calibration end (needs the
models extra) and compares, per calibration frequency, the mean purchases it
predicts for the holdout period with the mean its customers made (Fader,
Hardie & Lee's conditional-expectation chart); ``--chart OUT.svg`` draws it.
"""

import argparse
from decimal import Decimal

from crmcore.analytics import Transaction
from crmcore.analytics.btyd import (
    BetaGeo,
    ModifiedBetaGeo,
    ParetoNBD,
    calibration_and_holdout,
    holdout_comparison,
)
from crmcore.cli import inputs
from crmcore.cli.output import CliError, Report, Table, write_file
from crmcore.cli.svg import holdout_svg

MODELS: dict[str, type[BetaGeo] | type[ModifiedBetaGeo] | type[ParetoNBD]] = {
    "bgnbd": BetaGeo,
    "mbgnbd": ModifiedBetaGeo,
    "pareto": ParetoNBD,
}
NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto": "Pareto/NBD"}


def holdout(arguments: argparse.Namespace, transactions: list[Transaction]) -> Report:
    ends = {}
    for option, text in (
        ("--calibration-end", arguments.calibration_end),
        ("--observation-end", arguments.observation_end),
    ):
        day = inputs.iso_date(text)
        if day is None:
            raise CliError(f"{option}: expected a date like 2030-01-31")
        ends[option] = day
    if ends["--calibration-end"] >= ends["--observation-end"]:
        raise CliError("--calibration-end: must be before --observation-end")
    split = calibration_and_holdout(
        transactions,
        calibration_end=ends["--calibration-end"],
        observation_end=ends["--observation-end"],
        unit=arguments.unit,
    )
    if not split:
        raise CliError(
            f"{arguments.file}: no customer bought on or before --calibration-end; nothing to fit"
        )
    if arguments.max_frequency > 100:
        raise CliError("--max-frequency: is out of range (accepted: 0 to 100)")
    model = MODELS[arguments.model].fit(split.calibration)
    bins = holdout_comparison(model, split, max_frequency=arguments.max_frequency)
    name = NAMES[arguments.model]

    def label(frequency: int, open_ended: bool) -> str:
        return f"{frequency}+" if open_ended else str(frequency)

    title = (
        f"{name} on {len(split)} customers: holdout of {float(split.duration):.2f} "
        f"{arguments.unit}s after {split.calibration_end.isoformat()}"
    )
    if arguments.chart:
        write_file(
            arguments.chart,
            holdout_svg(
                [(label(b.frequency, b.open_ended), b.actual, b.predicted) for b in bins],
                title=title,
            ),
            inputs=[arguments.file],
        )
    table = Table(
        title,
        ("frequency", "customers", "actual", "predicted"),
        tuple(
            (
                label(b.frequency, b.open_ended),
                str(b.customers),
                f"{b.actual:.4f}",
                f"{b.predicted:.4f}",
            )
            for b in bins
        ),
        frozenset({1, 2, 3}),
    )
    parameters = {
        field: getattr(model, field)
        for field in ("r", "alpha", "a", "b", "s", "beta")
        if hasattr(model, field)
    }
    data = {
        "model": name,
        "parameters": {k: _number(v) for k, v in parameters.items()},
        "log_likelihood": _number(model.log_likelihood),
        "customers": len(split),
        "unit": arguments.unit,
        "calibration_end": split.calibration_end.isoformat(),
        "observation_end": split.observation_end.isoformat(),
        "bins": [
            {
                "frequency": b.frequency,
                "open_ended": b.open_ended,
                "customers": b.customers,
                "actual": _number(b.actual),
                "predicted": _number(b.predicted),
            }
            for b in bins
        ],
    }
    fitted = ", ".join(f"{k} {v:.4g}" for k, v in parameters.items())
    return Report((f"{name}: {fitted}.", table), data, main=table)


def _number(value: float | None) -> Decimal | None:
    """A model's float for JSON: its shortest repr, exactly, as a JSON number."""
    return None if value is None else Decimal(repr(value))
