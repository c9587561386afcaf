"""The Pareto chart as a standalone SVG, made with the standard library only."""

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from xml.sax.saxutils import escape

MAX_BARS = 200
"""Beyond this many customers, the chart shows the first 200 bars (the line covers everyone)."""

_W, _H = 800, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 60, 40, 50


def _opening(title: str) -> list[str]:
    """A chart's first elements: the SVG element, its title, a white page, the heading."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2:.1f}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]


def pareto_svg(values: Sequence[tuple[str, Decimal]], *, share: Fraction, title: str) -> str:
    """Bars of customer value in descending order, the cumulative share line,
    and the threshold marked; ``values`` must be sorted by value, descending."""
    total = sum((v for _, v in values), Decimal(0))
    shown = list(values[:MAX_BARS])
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    top = max((v for _, v in shown), default=Decimal(0)) or Decimal(1)
    count = max(len(shown), 1)
    step = plot_w / count
    parts = _opening(title)
    for index, (name, value) in enumerate(shown):
        height = float(value / top) * plot_h
        x = _LEFT + index * step
        y = _TOP + plot_h - height
        parts.append(
            f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{max(step * 0.85, 0.5):.2f}" '
            f'height="{height:.2f}" fill="#4e79a7"><title>{escape(name)}: {value}</title></rect>'
        )
    points = []
    running = Decimal(0)
    for index, (_, value) in enumerate(shown):
        running += value
        cumulative = float(running / total) if total else 0.0
        x = _LEFT + (index + 0.5) * step
        points.append(f"{x:.2f},{_TOP + plot_h * (1 - cumulative):.2f}")
    if points:
        parts.append(
            f'<polyline class="cumulative" points="{" ".join(points)}" fill="none" '
            'stroke="#e15759" stroke-width="2"/>'
        )
    y_share = _TOP + plot_h * (1 - float(share))
    parts += [
        f'<line class="threshold" x1="{_LEFT}" y1="{y_share:.2f}" x2="{_W - _RIGHT}" '
        f'y2="{y_share:.2f}" stroke="#59a14f" stroke-dasharray="6 4"/>',
        f'<text class="threshold-label" x="{_W - _RIGHT - 4}" y="{y_share - 6:.2f}" '
        f'text-anchor="end">{float(share):.0%} of value</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="black"/>',
        f'<line x1="{_W - _RIGHT}" y1="{_TOP}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="black"/>',
        *_ticks(top, plot_h),
        f'<text x="14" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2:.1f})">value per customer</text>',
        f'<text x="{_W - 12}" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(90 {_W - 12} {_TOP + plot_h / 2:.1f})">'
        "cumulative share of value</text>",
        f'<text x="{_W / 2:.1f}" y="{_H - 15}" text-anchor="middle">customers by value, '
        f"descending ({len(values)} customers"
        + (f", first {MAX_BARS} drawn" if len(values) > MAX_BARS else "")
        + ")</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _ticks(top: Decimal, plot_h: float) -> list[str]:
    """Value ticks on the left axis and share ticks on the right, at quarters."""
    marks = []
    for quarter in range(5):
        y = _TOP + plot_h * (1 - quarter / 4)
        value = top * quarter / 4
        shown = f"{value:,.0f}" if top >= 100 else f"{value:,.2f}"
        marks += [
            f'<line class="tick" x1="{_LEFT - 4}" y1="{y:.2f}" x2="{_LEFT}" y2="{y:.2f}" '
            'stroke="black"/>',
            f'<text class="value-tick" x="{_LEFT - 6}" y="{y + 4:.2f}" text-anchor="end" '
            f'font-size="10">{shown}</text>',
            f'<line class="tick" x1="{_W - _RIGHT}" y1="{y:.2f}" x2="{_W - _RIGHT + 4}" '
            f'y2="{y:.2f}" stroke="black"/>',
            f'<text class="share-tick" x="{_W - _RIGHT + 6}" y="{y + 4:.2f}" '
            f'font-size="10">{quarter * 25}%</text>',
        ]
    return marks


def holdout_svg(bins: Sequence[tuple[str, float, float]], *, title: str) -> str:
    """The conditional-expectation chart of a holdout validation: per
    calibration frequency (``label``), the mean actual and the mean predicted
    purchases in the holdout period, as two lines with their points."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    top = max((max(actual, predicted) for _, actual, predicted in bins), default=0.0) or 1.0
    step = plot_w / max(len(bins), 1)
    parts = _opening(title)
    for series, values, colour, dash in (
        ("actual", [row[1] for row in bins], "#4e79a7", ""),
        ("predicted", [row[2] for row in bins], "#e15759", ' stroke-dasharray="6 4"'),
    ):
        points = []
        for position, (row, value) in enumerate(zip(bins, values, strict=True)):
            x = _LEFT + (position + 0.5) * step
            y = _TOP + plot_h * (1 - value / top)
            points.append((x, y, row[0], value))
        joined = " ".join(f"{x:.2f},{y:.2f}" for x, y, _, _ in points)
        parts.append(
            f'<polyline class="{series}" points="{joined}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        parts += [
            f'<circle class="{series}-point" cx="{x:.2f}" cy="{y:.2f}" r="3" fill="{colour}">'
            f"<title>{escape(label)}: {series} {value:.3f}</title></circle>"
            for x, y, label, value in points
        ]
    for position, row in enumerate(bins):
        x = _LEFT + (position + 0.5) * step
        parts.append(
            f'<text class="frequency" x="{x:.2f}" y="{_TOP + plot_h + 16}" '
            f'text-anchor="middle">{escape(row[0])}</text>'
        )
    for quarter in range(5):
        y = _TOP + plot_h * (1 - quarter / 4)
        parts.append(
            f'<text class="value-tick" x="{_LEFT - 6}" y="{y + 4:.2f}" text-anchor="end" '
            f'font-size="10">{top * quarter / 4:.2f}</text>'
        )
    parts += [
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="black"/>',
        f'<text x="{_W - _RIGHT}" y="{_TOP + 14}" text-anchor="end" fill="#4e79a7">actual</text>',
        f'<text x="{_W - _RIGHT}" y="{_TOP + 30}" text-anchor="end" '
        'fill="#e15759">predicted</text>',
        f'<text x="14" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2:.1f})">mean holdout purchases</text>',
        f'<text x="{_W / 2:.1f}" y="{_H - 12}" text-anchor="middle">'
        "repeat purchases in the calibration period</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
