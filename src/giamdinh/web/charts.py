"""Charts drawn on the server as SVG, readable without colour.

Each series has a colour *and* a pattern (solid, hatched, dotted, cross-hatched,
…) and its name in the legend; every bar carries its value as a ``<title>`` (shown
on hover and read by screen readers); every chart goes with a table of the same
numbers in the page. No script, no inline CSS (the pages' security policy allows
neither): only SVG presentation attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from markupsafe import Markup

from giamdinh.domain.money import format_dong

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Colours chosen to differ also in lightness (for grey-scale printing).
COLOURS = ("#0b5d57", "#d08c00", "#a4161a", "#2b4fa0", "#6b6b6b", "#7a3e9d")
PATTERNS = ("solid", "hatch", "dots", "cross", "vertical", "horizontal")


@dataclass(frozen=True, slots=True)
class Series:
    """A named series of values, one per category."""

    name: str
    values: Sequence[Decimal | float | int]


def _defs(prefix: str) -> str:
    parts = []
    for i, colour in enumerate(COLOURS):
        pid = f"{prefix}-p{i}"
        kind = PATTERNS[i]
        if kind == "solid":
            body = f'<rect width="8" height="8" fill="{colour}"/>'
        elif kind == "hatch":
            body = (
                f'<rect width="8" height="8" fill="#fff"/>'
                f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{colour}" '
                'stroke-width="2.2"/>'
            )
        elif kind == "dots":
            body = (
                f'<rect width="8" height="8" fill="{colour}" fill-opacity="0.25"/>'
                f'<circle cx="4" cy="4" r="1.8" fill="{colour}"/>'
            )
        elif kind == "cross":
            body = (
                f'<rect width="8" height="8" fill="#fff"/>'
                f'<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{colour}" stroke-width="1.6"/>'
            )
        elif kind == "vertical":
            body = (
                f'<rect width="8" height="8" fill="#fff"/>'
                f'<path d="M2,0 v8 M6,0 v8" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            body = (
                f'<rect width="8" height="8" fill="#fff"/>'
                f'<path d="M0,2 h8 M0,6 h8" stroke="{colour}" stroke-width="2"/>'
            )
        parts.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f"{body}</pattern>"
        )
    return "<defs>" + "".join(parts) + "</defs>"


#: Axis units in Vietnamese: tỷ (10⁹), triệu (10⁶), nghìn (10³).
_UNITS = ((1e9, "tỷ"), (1e6, "tr"), (1e3, "N"))


def _short(value: float) -> str:
    """Return an axis label: 1,2 tỷ / 1,5 tr / 350 tr / 12 N / 900.

    One decimal at most, and none when it is zero, so that neighbouring ticks
    (1 tr, 1,5 tr, 2 tr) never read the same.
    """
    v = abs(value)
    for scale, unit in _UNITS:
        if v >= scale:
            text = f"{value / scale:.1f}".removesuffix(".0")
            return f"{text} {unit}".replace(".", ",")
    return f"{value:.0f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    stacked: bool = False,
    width: int = 760,
    height: int = 320,
    chart_id: str = "c",
) -> Markup:
    """Return an SVG bar chart (grouped, or stacked) of ``series`` by category."""
    left, right, top, bottom = 70, 10, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(categories), 1)
    if stacked:
        totals = [
            sum(float(s.values[i]) for s in series if float(s.values[i]) > 0)
            for i in range(len(categories))
        ]
        peak = max(totals, default=0.0)
    else:
        peak = max((float(v) for s in series for v in s.values), default=0.0)
    ymax = _nice_max(peak)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        _defs(chart_id),
    ]
    for k in range(5):
        value = ymax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d5dde0" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6a70">{_short(value)}</text>'
        )
    slot = plot_w / n
    group = slot * 0.78
    for i, category in enumerate(categories):
        x0 = left + slot * i + (slot - group) / 2
        base = 0.0
        for j, s in enumerate(series):
            value = float(s.values[i])
            h = plot_h * max(value, 0.0) / ymax
            fill = f"url(#{chart_id}-p{j % len(COLOURS)})"
            stroke = COLOURS[j % len(COLOURS)]
            label = f"{s.name} — {category}: {format_dong(Decimal(str(s.values[i])))}"
            if stacked:
                y = top + plot_h - plot_h * base / ymax - h
                x, w = x0, group
                base += max(value, 0.0)
            else:
                w = group / max(len(series), 1)
                x = x0 + w * j
                y = top + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1">'
                f"<title>{escape(label)}</title></rect>"
            )
        out.append(
            f'<text x="{x0 + group / 2:.1f}" y="{top + plot_h + 16}" '
            f'text-anchor="middle" font-size="11" fill="#1c2326">'
            f"{escape(category)}</text>"
        )
    lx = left
    for j, s in enumerate(series):
        out.append(
            f'<rect x="{lx}" y="{height - 22}" width="14" height="14" '
            f'fill="url(#{chart_id}-p{j % len(COLOURS)})" '
            f'stroke="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{lx + 19}" y="{height - 11}" font-size="12" fill="#1c2326">'
            f"{escape(s.name)}</text>"
        )
        lx += 26 + 7 * len(s.name)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped


def line_chart(
    xs: Sequence[float],
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    width: int = 760,
    height: int = 300,
) -> Markup:
    """Return an SVG line chart; each series has its own dash pattern and markers."""
    left, right, top, bottom = 70, 14, 24, 62
    plot_w, plot_h = width - left - right, height - top - bottom
    xmin, xmax = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (xmax - xmin) or 1.0
    ymax = _nice_max(max((float(v) for s in series for v in s.values), default=0.0))
    dashes = ("", "6 4", "2 3", "10 3 2 3")
    markers = ("circle", "square", "diamond", "triangle")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d5dde0"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6a70">{_short(ymax * k / 4)}</text>'
        )
    for k in range(5):
        xv = xmin + span * k / 4
        x = left + plot_w * k / 4
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11" fill="#5b6a70">{_short(xv)}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 32}" '
        f'text-anchor="middle" font-size="12" fill="#1c2326">{escape(x_label)}</text>'
    )

    def point(x: float, v: float) -> tuple[float, float]:
        return (
            left + plot_w * (x - xmin) / span,
            top + plot_h - plot_h * max(v, 0.0) / ymax,
        )

    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        pts = [point(float(x), float(v)) for x, v in zip(xs, s.values, strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash = dashes[j % len(dashes)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2.2"{dash_attr}/>'
        )
        marker = markers[j % len(markers)]
        for (x, y), xv, v in zip(pts, xs, s.values, strict=True):
            label = escape(
                f"{s.name} — {_short(float(xv))}: {format_dong(Decimal(str(v)))}"
            )
            if marker == "circle":
                shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}">'
                end = "</circle>"
            elif marker == "square":
                shape = (
                    f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" '
                    f'fill="{colour}">'
                )
                end = "</rect>"
            elif marker == "diamond":
                shape = (
                    f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} '
                    f'{x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}" fill="{colour}">'
                )
                end = "</polygon>"
            else:
                shape = (
                    f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} '
                    f'{x - 4:.1f},{y + 3:.1f}" fill="{colour}">'
                )
                end = "</polygon>"
            out.append(f"{shape}<title>{label}</title>{end}")
    lx = left
    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        dash = dashes[j % len(dashes)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{height - 14}" y2="{height - 14}" '
            f'stroke="{colour}" stroke-width="2.2"{dash_attr}/>'
            f'<text x="{lx + 30}" y="{height - 10}" font-size="12" fill="#1c2326">'
            f"{escape(s.name)}</text>"
        )
        lx += 40 + 7 * len(s.name)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped


__all__ = ["COLOURS", "PATTERNS", "Series", "bar_chart", "line_chart"]
