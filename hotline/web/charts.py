"""Horizontal bar charts drawn on the server as inline SVG: no chart library, no CDN."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_ROW = 28  # px per bar
_LABEL_WIDTH = 150
_BAR_WIDTH = 360
_VALUE_WIDTH = 70


def _format(value: float, unit: str) -> str:
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown}{unit}"


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    maximum: float | None = None,
) -> Markup:
    """One bar per (label, value); the SVG is labelled for screen readers by its title."""
    top = max([maximum or 0.0, *(value for _, value in rows)]) or 1.0
    height = max(len(rows), 1) * _ROW + 8
    width = _LABEL_WIDTH + _BAR_WIDTH + _VALUE_WIDTH
    parts = [
        Markup(
            '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
            '<title id="{id}-title">{title}</title>'
        ).format(id=chart_id, w=width, h=height, title=title)
    ]
    if not rows:
        parts.append(Markup('<text x="0" y="20" class="chart-empty">暂无数据</text>'))
    for index, (label, value) in enumerate(rows):
        y = 4 + index * _ROW
        bar = round(_BAR_WIDTH * max(value, 0) / top, 1)
        parts.append(
            Markup(
                '<g class="chart-row"><text x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
                '<rect x="{bx}" y="{y}" width="{bar}" height="{bh}" rx="3"><title>{label}：{shown}</title></rect>'
                '<text x="{vx}" y="{ty}">{shown}</text></g>'
            ).format(
                lx=_LABEL_WIDTH - 8,
                ty=y + _ROW / 2 + 1,
                label=label,
                bx=_LABEL_WIDTH,
                y=y,
                bar=bar,
                bh=_ROW - 8,
                vx=_LABEL_WIDTH + bar + 6,
                shown=_format(value, unit),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(escape(part) for part in parts)
