"""The Pareto chart as a standalone SVG, made with the standard library only."""

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from xml.sax.saxutils import escape

MAX_BARS = 200
"""Beyond this many customers, the chart shows the first 200 bars (the line covers everyone)."""

_W, _H = 800, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 60, 40, 50


def pareto_svg(values: Sequence[tuple[str, Decimal]], *, share: Fraction, title: str) -> str:
    """Bars of customer value in descending order, the cumulative share line,
    and the threshold marked; ``values`` must be sorted by value, descending."""
    total = sum((v for _, v in values), Decimal(0))
    shown = list(values[:MAX_BARS])
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    top = max((v for _, v in shown), default=Decimal(0)) or Decimal(1)
    count = max(len(shown), 1)
    step = plot_w / count
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2:.1f}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
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
        f'<text x="{_W - _RIGHT + 4}" y="{y_share + 4:.2f}">{float(share):.0%}</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="black"/>',
        f'<text x="{_W / 2:.1f}" y="{_H - 15}" text-anchor="middle">customers by value, '
        f"descending ({len(values)} customers"
        + (f", first {MAX_BARS} drawn" if len(values) > MAX_BARS else "")
        + ")</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
