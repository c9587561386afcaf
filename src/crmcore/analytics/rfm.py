"""RFM: recency, frequency and monetary scores, with an order-independent rule.

Conventions (they differ on purpose from the BTYD summary, which follows
that literature): recency is whole days from the last purchase day to
``as_of``; frequency is the number of distinct purchase days; monetary is the
exact sum of all purchases. Each score is ``1 + floor(bins × worse / n)``
where ``worse`` is the number of customers strictly worse on that dimension
(recency: more days; frequency and monetary: less), so the best get
``bins``, ties share a score, and the input order never matters.
"""

import bisect
import datetime as _dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs
import pendulum

from crmcore.analytics._results import MappingResult
from crmcore.analytics.transactions import Transaction
from crmcore.domain.ids import check_id
from crmcore.domain.money import Money
from crmcore.domain.times import to_date
from crmcore.errors import CurrencyMismatchError, ValidationError

__all__ = ["DEFAULT_SEGMENT_MAP", "RfmResult", "RfmScore", "SegmentMap", "rfm"]


def _cells(value: object) -> Mapping[str, frozenset[tuple[int, int]]]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError("cells", "must map segment names to (R, F) cells", allowed="a dict")
    try:
        return MappingProxyType({str(k): frozenset(v) for k, v in value.items()})
    except TypeError:
        raise ValidationError(
            "cells", "must map segment names to sets of (R, F) cells", allowed="a dict"
        ) from None


@attrs.frozen
class SegmentMap:
    """Segment names over the (R, F) grid, checked to cover every cell exactly once.

    Raises:
        ValidationError: a cell outside the grid, covered twice, or not covered.
    """

    bins: int
    cells: Mapping[str, frozenset[tuple[int, int]]] = attrs.field(converter=_cells, eq=False)
    _lookup: dict[tuple[int, int], str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if type(self.bins) is not int or not 1 <= self.bins <= 100:
            raise ValidationError("bins", "is out of range", allowed="an int from 1 to 100")
        grid = {(r, f) for r in range(1, self.bins + 1) for f in range(1, self.bins + 1)}
        seen: dict[tuple[int, int], str] = {}
        problems = []
        for name, cells in self.cells.items():
            for cell in sorted(cells):
                if cell not in grid:
                    problems.append(
                        f"{name!r} names {cell}, outside the {self.bins}x{self.bins} grid"
                    )
                elif cell in seen:
                    problems.append(f"{cell} is in both {seen[cell]!r} and {name!r}")
                else:
                    seen[cell] = name
        problems += [f"{cell} is in no segment" for cell in sorted(grid - set(seen))]
        if problems:
            raise ValidationError(
                "cells", "must cover every (R, F) cell exactly once", problems=tuple(problems)
            )
        object.__setattr__(self, "_lookup", seen)

    def segment(self, r: int, f: int) -> str:
        """The segment of cell (R, F)."""
        return self._lookup[(r, f)]


def _block(rs: range, fs: range) -> set[tuple[int, int]]:
    return {(r, f) for r in rs for f in fs}


DEFAULT_SEGMENT_MAP = SegmentMap(
    5,
    {
        "Champions": _block(range(4, 6), range(4, 6)),
        "Loyal": _block(range(3, 4), range(4, 6)),
        "Potential loyalist": _block(range(4, 6), range(2, 4)),
        "New": _block(range(5, 6), range(1, 2)),
        "Promising": _block(range(4, 5), range(1, 2)),
        "Need attention": _block(range(3, 4), range(3, 4)),
        "About to sleep": _block(range(3, 4), range(1, 3)),
        "At risk": _block(range(1, 3), range(3, 5)),
        "Can't lose them": _block(range(1, 3), range(5, 6)),
        "Hibernating": _block(range(1, 3), range(1, 3)),
    },
)
"""The default segments over (R, F) for five bins (R rows, F columns)."""


@attrs.frozen
class RfmScore:
    """One customer's figures and scores (5 best, recency inverted)."""

    customer_id: str
    recency_days: int
    frequency: int
    monetary: Money
    r: int
    f: int
    m: int
    segment: str | None


class RfmResult(MappingResult[str, RfmScore]):
    """Customer id → `RfmScore`, ordered by id.

    Attributes:
        cutoffs: dimension ("recency_days", "frequency", "monetary") → score →
            (lowest, highest) value with that score.
        inactive: ids given in ``customers`` with no purchase up to ``as_of``.
        as_of: the evaluation date; bins: the number of scores.
    """

    def __init__(
        self,
        scores: dict[str, RfmScore],
        cutoffs: Mapping[str, Mapping[int, tuple[Any, Any]]],
        inactive: frozenset[str],
        as_of: pendulum.Date,
        bins: int,
    ) -> None:
        self._scores = scores
        self.cutoffs = cutoffs
        self.inactive = inactive
        self.as_of = as_of
        self.bins = bins

    def _mapped(self) -> Mapping[str, RfmScore]:
        return self._scores


def _scores(values: dict[str, Any], bins: int, *, lower_is_better: bool) -> dict[str, int]:
    """1 + floor(bins × (customers strictly worse) / n), for every customer."""
    n = len(values)
    ordered = sorted(values.values())
    result = {}
    for key, value in values.items():
        if lower_is_better:
            worse = n - bisect.bisect_right(ordered, value)
        else:
            worse = bisect.bisect_left(ordered, value)
        result[key] = 1 + (bins * worse) // n
    return result


def _cutoffs(values: dict[str, Any], scores: dict[str, int]) -> Mapping[int, tuple[Any, Any]]:
    spans: dict[int, tuple[Any, Any]] = {}
    for key, value in values.items():
        low, high = spans.get(scores[key], (value, value))
        spans[scores[key]] = (min(low, value), max(high, value))
    return MappingProxyType(dict(sorted(spans.items())))


def rfm(
    transactions: Iterable[Transaction],
    *,
    as_of: _dt.date,
    bins: int = 5,
    customers: Iterable[str] | None = None,
    segments: SegmentMap | None = None,
) -> RfmResult:
    """RFM scores per customer at ``as_of``; transactions after it are ignored.

    Args:
        transactions: the purchases (one currency).
        as_of: the evaluation date.
        bins: the number of scores, 1 to 100.
        customers: ids to report as inactive when they bought nothing.
        segments: the (R, F) segment map; the default map for 5 bins, none otherwise.

    Raises:
        ValidationError: bad arguments, or a segment map for another bin count.
        CurrencyMismatchError: purchases in several currencies.
    """
    day = to_date(as_of, "as_of")
    if type(bins) is not int or not 1 <= bins <= 100:
        raise ValidationError("bins", "is out of range", allowed="an int from 1 to 100")
    chosen = segments if segments is not None else (DEFAULT_SEGMENT_MAP if bins == 5 else None)
    if chosen is not None and (not isinstance(chosen, SegmentMap) or chosen.bins != bins):
        raise ValidationError(
            "segments", f"must be a SegmentMap for {bins} bins", allowed="a matching SegmentMap"
        )
    if isinstance(transactions, str | bytes | Mapping) or not isinstance(transactions, Iterable):
        raise ValidationError(
            "transactions", "must be an iterable of Transaction", allowed="Transactions"
        )
    days: dict[str, set[pendulum.Date]] = {}
    spent: dict[str, Fraction] = {}
    currency: str | None = None
    for position, transaction in enumerate(transactions):
        if not isinstance(transaction, Transaction):
            raise ValidationError(
                f"transactions[{position}]",
                f"is a {type(transaction).__name__}",
                allowed="a Transaction",
            )
        if transaction.day > day:
            continue
        if currency is not None and transaction.amount.currency != currency:
            raise CurrencyMismatchError(currency, transaction.amount.currency, operation="sum")
        currency = transaction.amount.currency
        days.setdefault(transaction.customer_id, set()).add(transaction.day)
        spent[transaction.customer_id] = spent.get(transaction.customer_id, Fraction(0)) + Fraction(
            transaction.amount.amount
        )
    recency = {c: (day - max(d)).days for c, d in days.items()}
    frequency = {c: len(d) for c, d in days.items()}
    r = _scores(recency, bins, lower_is_better=True)
    f = _scores(frequency, bins, lower_is_better=False)
    m = _scores(spent, bins, lower_is_better=False)
    scores = {
        c: RfmScore(
            customer_id=c,
            recency_days=recency[c],
            frequency=frequency[c],
            monetary=Money.from_exact(spent[c], currency),  # type: ignore[arg-type]
            r=r[c],
            f=f[c],
            m=m[c],
            segment=None if chosen is None else chosen.segment(r[c], f[c]),
        )
        for c in sorted(days)
    }
    wanted = set() if customers is None else {check_id(c, "customers") for c in customers}
    cutoffs = MappingProxyType(
        {
            "recency_days": _cutoffs(recency, r),
            "frequency": _cutoffs(frequency, f),
            "monetary": _cutoffs({c: s.monetary for c, s in scores.items()}, m),
        }
    )
    return RfmResult(scores, cutoffs, frozenset(wanted - set(days)), day, bins)
