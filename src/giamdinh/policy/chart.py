"""The replay's chart: money payable by month, one bar per option, as SVG.

NOTE: written by hand rather than with a plotting library: one grouped bar chart
of a few dozen bars, a self-contained file any browser and the web application
show as is, and no plotting stack to install for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from giamdinh.domain.money import format_dong

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

PALETTE = ("#4d4d4d", "#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d5a97")
WIDTH, HEIGHT = 860, 420
LEFT, RIGHT, TOP, BOTTOM = 110, 20, 50, 90


def _nice_top(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    step = Decimal(10) ** exponent
    for factor in (1, 2, 2.5, 5, 10):
        top = step * Decimal(str(factor))
        if top >= value:
            return top
    return step * 10


def money_by_month_svg(
    series: Mapping[str, Mapping[str, Decimal]],
    *,
    titles: Mapping[str, str],
    title: str,
) -> str:
    """Return an SVG grouped bar chart: per month, one bar per option.

    Args:
        series: option id → month (``YYYY-MM``) → money.
        titles: option id → its legend text.
        title: the chart's title.
    """
    options = list(series)
    months: Sequence[str] = sorted({m for s in series.values() for m in s})
    top = _nice_top(
        max((v for s in series.values() for v in s.values()), default=Decimal(0))
    )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(months), 1)
    bar_w = group_w * 0.8 / max(len(options), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12" '
        'role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    for i in range(5):
        value = top * Decimal(i) / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#dddddd"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_dong(value, places=0))}</text>"
        )
    for g, month in enumerate(months):
        x0 = LEFT + g * group_w + group_w * 0.1
        for k, option in enumerate(options):
            value = series[option].get(month, Decimal(0))
            h = float(plot_h * value / top) if top else 0.0
            x = x0 + k * bar_w
            y = TOP + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.92:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(option)} {month}: "
                f"{escape(format_dong(value, places=0))} đ</title></rect>"
            )
        out.append(
            f'<text x="{LEFT + g * group_w + group_w / 2:.1f}" y="{TOP + plot_h + 18}" '
            f'text-anchor="middle">{escape(month)}</text>'
        )
    legend_y = HEIGHT - 40
    for k, option in enumerate(options):
        x = LEFT + (k % 3) * (plot_w / 3)
        y = legend_y + (k // 3) * 16
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        label = f"{option}: {titles.get(option, option)}"
        out.append(f'<text x="{x + 18:.1f}" y="{y}">{escape(label[:60])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
