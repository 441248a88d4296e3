"""The replay's chart: money paid by month per option, and its change, as SVG.

Two panels share the months: above, the money paid under each option (a bar per
option); below, the change of that money against the rules in force, so that an
option moving a few million on a billion is still seen. Each option keeps its
colour in both panels, and the legend gives its title.

NOTE: written by hand rather than with a plotting library: two grouped bar panels,
a self-contained file any browser shows as is, and no plotting stack to install.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from giamdinh.domain.money import format_dong

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

PALETTE = ("#4d4d4d", "#1b6ca8", "#d1495b", "#c98a00", "#00798c", "#66a182", "#8d5a97")
WIDTH = 860
LEFT, RIGHT = 120, 20
PANEL_H = 200
LEGEND_LINE = 32


def _nice(value: Decimal) -> Decimal:
    """Return a round number at least ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(10) ** (len(str(int(value))) - 1)
    for factor in ("1", "2", "2.5", "5", "10"):
        top = step * Decimal(factor)
        if top >= value:
            return top
    return step * 10


def _panel(
    out: list[str],
    series: Mapping[str, Mapping[str, Decimal]],
    months: Sequence[str],
    *,
    top_y: int,
    title: str,
    signed: bool,
) -> None:
    options = list(series)
    values = [v for s in series.values() for v in s.values()]
    high = _nice(max((abs(v) for v in values), default=Decimal(0)))
    low = -high if signed and any(v < 0 for v in values) else Decimal(0)
    if signed and not any(v > 0 for v in values) and low < 0:
        high = Decimal(0)
    span = (high - low) or Decimal(1)
    plot_w = WIDTH - LEFT - RIGHT

    def y_of(value: Decimal) -> float:
        return top_y + float((high - value) / span) * PANEL_H

    out.append(
        f'<text x="{LEFT}" y="{top_y - 10}" font-weight="bold">{escape(title)}</text>'
    )
    for i in range(5):
        value = low + span * Decimal(i) / 4
        y = y_of(value)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#888888" if value == 0 else "#dddddd"}"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_dong(value, places=0))}</text>"
        )
    group_w = plot_w / max(len(months), 1)
    bar_w = group_w * 0.8 / max(len(options), 1)
    zero = y_of(Decimal(0))
    for g, month in enumerate(months):
        x0 = LEFT + g * group_w + group_w * 0.1
        for k, option in enumerate(options):
            value = series[option].get(month, Decimal(0))
            y = min(y_of(value), zero)
            h = abs(y_of(value) - zero)
            out.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{y:.1f}" '
                f'width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(option)} '
                f"{escape(month)}: {escape(format_dong(value, places=0))} đ"
                "</title></rect>"
            )
        out.append(
            f'<text x="{LEFT + g * group_w + group_w / 2:.1f}" '
            f'y="{top_y + PANEL_H + 16}" text-anchor="middle">{escape(month)}</text>'
        )


def money_by_month_svg(
    paid: Mapping[str, Mapping[str, Decimal]],
    change: Mapping[str, Mapping[str, Decimal]],
    *,
    titles: Mapping[str, str],
    title: str,
) -> str:
    """Return the SVG chart: money paid by month per option, and its change.

    Args:
        paid: option id → month (``YYYY-MM``) → money paid.
        change: option id → month → change of money paid against the baseline.
        titles: option id → its legend text.
        title: the chart's title.
    """
    months = sorted({m for s in paid.values() for m in s})
    legend_top = 60 + 2 * (PANEL_H + 60)
    height = legend_top + LEGEND_LINE * len(paid) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" '
        'role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    _panel(
        out,
        paid,
        months,
        top_y=60,
        title="Thanh toán / Paid (đồng)",
        signed=False,
    )
    _panel(
        out,
        change,
        months,
        top_y=60 + PANEL_H + 60,
        title="Thay đổi so với quy định hiện hành / Change against the rules in force",
        signed=True,
    )
    for k, option in enumerate(paid):
        y = legend_top + k * LEGEND_LINE
        out.append(
            f'<rect x="{LEFT}" y="{y - 10}" width="12" height="12" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        vi, _, en = titles.get(option, option).partition(" / ")
        out.append(f'<text x="{LEFT + 18}" y="{y}">{escape(f"{option}: {vi}")}</text>')
        if en:
            out.append(
                f'<text x="{LEFT + 18}" y="{y + 14}" fill="#555555">{escape(en)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"
