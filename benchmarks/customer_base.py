"""crmcore's customer-base models side by side with lifetimes 0.11.3.

The CDNOW calibration summary (2,357 customers) replicated 1, 10 and 100
times, with T jittered by a millionth of a week per copy so that every row is
distinct (a fit over distinct rows is then as costly as the data are large).
Both libraries fit the same rows and predict for them; the table reports the
medians of alternating rounds, their ratio, and how far the answers differ.
"""

import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pendulum

from crmcore.analytics.btyd import BetaGeo, ParetoNBD, RfmSummary, rfm_summary

Add = Callable[..., None]
Alternate = Callable[..., tuple[float, float | None, float | None]]


def _summaries(base: list[RfmSummary], copies: int) -> list[RfmSummary]:
    jittered = []
    for copy in range(copies):
        for s in base:
            jittered.append(
                RfmSummary(
                    customer_id=f"{s.customer_id}-{copy}",
                    frequency=s.frequency,
                    recency=s.recency,
                    T=s.T + Fraction(copy, 10**6),
                    monetary_value=s.monetary_value,
                    unit=s.unit,
                    first_purchase=s.first_purchase,
                    last_purchase=s.last_purchase,
                )
            )
    return jittered


def _columns(summaries: list[RfmSummary]) -> tuple[Any, Any, Any]:
    return (
        np.array([s.frequency for s in summaries], dtype=float),
        np.array([float(s.recency) for s in summaries]),
        np.array([float(s.T) for s in summaries]),
    )


def _relative(ours: Any, theirs: Any) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)))


def side_by_side(add: Add, alternate: Alternate, transactions: list[Any], quick: bool) -> None:
    from lifetimes import BetaGeoFitter, ParetoNBDFitter

    base = list(rfm_summary(transactions, observation_end=pendulum.date(1997, 9, 30)).values())
    sizes = (1, 10) if quick else (1, 10, 100)
    for copies in sizes:
        summaries = _summaries(base, copies)
        x, t_x, big_t = _columns(summaries)
        frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t})
        n = len(summaries)
        rounds = 3 if copies < 100 else 1
        for name, ours_cls, theirs_cls, keys in (
            ("BG/NBD", BetaGeo, BetaGeoFitter, ("r", "alpha", "a", "b")),
            ("Pareto/NBD", ParetoNBD, ParetoNBDFitter, ("r", "alpha", "s", "beta")),
        ):
            fitted: dict[str, Any] = {}

            def ours_fit(cls: Any = ours_cls) -> None:
                fitted["ours"] = cls.fit(summaries)

            def theirs_fit(cls: Any = theirs_cls) -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fitted["theirs"] = cls().fit(frame["frequency"], frame["recency"], frame["T"])

            mine, theirs, ratio = alternate(ours_fit, theirs_fit, rounds)
            ours_model, theirs_model = fitted["ours"], fitted["theirs"]
            params = _relative(
                [getattr(ours_model, k) for k in keys], [theirs_model.params_[k] for k in keys]
            )
            add(f"{name} fit vs lifetimes (params differ {params:.0e})", n, mine, theirs, ratio,
                "<= 1.0x")  # fmt: skip

            # predictions with the same parameters in both libraries
            theirs_model.params_ = pd.Series({k: getattr(ours_model, k) for k in keys})
            predicted: dict[str, Any] = {}

            def ours_predict(model: Any = ours_model) -> None:
                predicted["ours"] = (
                    model.expected_purchases(39.0, x, t_x, big_t),
                    model.probability_alive(x, t_x, big_t),
                )

            def theirs_predict(model: Any = theirs_model) -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    predicted["theirs"] = (
                        model.conditional_expected_number_of_purchases_up_to_time(
                            39.0, x, t_x, big_t
                        ),
                        model.conditional_probability_alive(x, t_x, big_t),
                    )

            mine, theirs, ratio = alternate(ours_predict, theirs_predict, rounds)
            differ = max(
                _relative(a, b) for a, b in zip(predicted["ours"], predicted["theirs"], strict=True)
            )
            add(f"{name} predictions vs lifetimes (differ {differ:.0e})", n, mine, theirs, ratio,
                "<= 1.0x")  # fmt: skip


def main() -> None:
    """Run the side-by-side cases alone: ``python benchmarks/customer_base.py [--quick]``."""
    import argparse
    import sys

    from run import _cdnow, _table, alternate  # the benchmark's own helpers

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    records: list[dict[str, Any]] = []

    def add(
        case: str, n: int, mine: float, base: float | None, ratio: float | None, aim: str
    ) -> None:
        records.append(
            {
                "case": case,
                "n": n,
                "crmcore_s": round(mine, 4),
                "baseline_s": None if base is None else round(base, 4),
                "ratio": None if ratio is None else round(ratio, 2),
                "aim": aim,
                "growth": None,
            }
        )
        print(f"  {case} n={n}: ratio {ratio}", file=sys.stderr, flush=True)

    side_by_side(add, alternate, _cdnow(), quick)
    print(_table(records))


if __name__ == "__main__":
    main()
