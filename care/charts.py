"""Small server-side SVG charts for the KPI page: a line chart over days and a horizontal bar chart.

No JavaScript and no chart library: the page stays light, prints, and reads without scripts. Each
chart is an `<svg role="img">` with a `<title>` and a `<desc>` that say what it shows, axes with
labels, and a fixed view box that scales to the column it sits in (text stays legible at a phone's
width because the box is narrow). The figures behind every chart are in a table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Narrow enough that a phone draws it near 1:1, so its 12.5-unit text reads as 12.5 px there.
WIDTH = 320
FONT = 12.5
# Colour-blind-safe (Okabe–Ito), dark enough on white for lines and bars.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top` (0, 5, 10, 15…; 0, 0.5, 1…)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _label_indices(n: int, most: int = 4) -> list[int]:
    """Which days get a label: at most `most`, evenly spaced, the last day always, none crowding it."""
    if n == 0:
        return []
    step = max(1, math.ceil(n / most))
    shown = list(range(0, n, step))
    if shown[-1] != n - 1:
        if n - 1 - shown[-1] < step * 0.6 and len(shown) > 1:
            shown[-1] = n - 1
        else:
            shown.append(n - 1)
    return shown


def _ids(chart_id: str) -> tuple[str, str]:
    return f"{chart_id}-title", f"{chart_id}-desc"


def line_chart(*, chart_id: str, title: str, desc: str, x_labels: list[str], series: list[Series], y_label: str,
               y_max: float | None = None) -> SafeString:
    """Values per day as lines with dots; a missing value (None) breaks its line."""
    height, left, right, top, bottom = 200, 42, 14, 12, 48
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    found = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(y_max if y_max is not None else max(found, default=0))
    y_top = ticks[-1]
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def y(v: float) -> float:
        return top + plot_h - (v / y_top) * plot_h

    title_id, desc_id = _ids(chart_id)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    for tick in ticks:
        parts.append(f'<line class="chart-grid" x1="{left}" x2="{WIDTH - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_number(tick)}</text>')
    for i in _label_indices(n):
        # The last label ends at its point, so it never runs off the right edge.
        anchor = "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{x(i) + (4 if anchor == "end" else 0):.1f}" y="{top + plot_h + 18}" '
                     f'text-anchor="{anchor}">{escape(x_labels[i])}</text>')
    parts.append(f'<line class="chart-axis" x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    parts.append(f'<text class="chart-axis-label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                 f'{escape("Day")}</text>')
    parts.append(f'<text class="chart-axis-label" transform="translate(13 {top + plot_h / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        path, pen_down = [], False
        for i, value in enumerate(line.values):
            if value is None:
                pen_down = False
                continue
            path.append(f'{"L" if pen_down else "M"}{x(i):.1f} {y(value):.1f}')
            pen_down = True
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5" '
                         f'stroke-linejoin="round"/>')
        for i, value in enumerate(line.values):
            if value is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}">'
                             f'<title>{escape(line.name)}, {escape(x_labels[i])}: {_number(value)}</title></circle>')
    if not found:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                     f'class="chart-empty">{escape("Nothing recorded in this period")}</text>')
    parts.append("</svg>")
    legend = ""
    if len(series) > 1:
        legend = '<ul class="chart-legend">' + "".join(
            f'<li><span class="chart-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{escape(s.name)}</li>'
            for i, s in enumerate(series)) + "</ul>"
    return mark_safe("".join(parts) + legend)  # noqa: S308 - every value above is escaped or a number


def bar_chart(*, chart_id: str, title: str, desc: str, labels: list[str], values: list[float], value_labels: list[str],
              x_label: str) -> SafeString:
    """One horizontal bar per label, its name above it and its figure at its end: long names fit a phone."""
    row, left, right, top = 38, 4, 62, 6
    height = top + max(len(labels), 1) * row + 34
    plot_w = WIDTH - left - right
    peak = max(values, default=0) or 1
    title_id, desc_id = _ids(chart_id)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    for i, (label, value, shown) in enumerate(zip(labels, values, value_labels, strict=True)):
        y0 = top + i * row
        width = max(value / peak * plot_w, 2 if value else 0)
        parts.append(f'<text x="{left}" y="{y0 + 13}">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y0 + 18}" width="{width:.1f}" height="14" rx="2" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)}: {escape(shown)}</title></rect>'
                     f'<text x="{left + width + 6:.1f}" y="{y0 + 30}" class="chart-value">{escape(shown)}</text>')
    if not labels:
        parts.append(f'<text x="{WIDTH / 2}" y="{top + 24}" text-anchor="middle" class="chart-empty">'
                     f'{escape("Nothing recorded in this period")}</text>')
    axis_y = top + max(len(labels), 1) * row + 4
    parts.append(f'<line class="chart-axis" x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}"/>'
                 f'<text class="chart-axis-label" x="{left + plot_w / 2:.1f}" y="{axis_y + 22}" text-anchor="middle">'
                 f'{escape(x_label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a number
