"""Column charts drawn on the server as SVG: no script, and no style attributes (the CSP forbids inline styles),
only SVG presentation attributes in GOV.UK colours. Each chart carries a text alternative (its title and a
description of the highest, lowest and latest values); the page puts the full figures in a table beneath it."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 16, 40
COLOUR = "#1d70b8"  # GOV.UK blue: a month read from a snapshot
LIVE_COLOUR = "#5694ca"  # GOV.UK light blue: a month computed now, which may still change
AXIS_COLOUR = "#505a5f"
GRID_COLOUR = "#b1b4b6"
TEXT_COLOUR = "#0b0c0c"


@dataclass(frozen=True)
class ChartPoint:
    label: str  # under the column, short: "Oct 26"
    name: str  # in the description: "October 2026"
    value: float | None  # None: no figure for the month
    live: bool = False


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str
    label_x: float
    tooltip: str
    missing: bool  # no figure for the month: a dash is drawn instead of a column


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    columns: list[Column]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - BOTTOM + 20


def value_text(value: float | None, *, unit: str, average_of: str = "") -> str:
    """A value as a person reads it: 12, 45.5%, 9.5 days; "no figure" when there is none."""
    if value is None:
        return "no figure"
    number = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if unit == "percent":
        return f"{number}%"
    if unit == "average" and average_of:
        return f"{number} {average_of}"
    return number


def _scale(highest: float, unit: str) -> tuple[float, int]:
    """A round top for the scale at or above the highest value (100 for percentages, else 1, 2, 4 or 5 times a
    power of ten, at least 4 for counts so the gridlines are whole numbers) and how many gridlines divide it."""
    if unit == "percent":
        return 100.0, 5
    highest = max(highest, 4 if unit == "count" else 1)
    power = 10 ** math.floor(math.log10(highest))
    leading = next(step for step in (1, 2, 4, 5, 10) if step * power >= highest)
    return leading * power, 5 if leading in (1, 5, 10) else 4


def _description(points: list[ChartPoint], *, unit: str, average_of: str) -> str:
    known = [point for point in points if point.value is not None]
    span = f"From {points[0].name} to {points[-1].name}" if points else ""
    if not known:
        return f"{span}: no figures. The table below the chart gives each month."
    highest = max(known, key=lambda point: point.value)
    lowest = min(known, key=lambda point: point.value)

    def said(point: ChartPoint) -> str:
        return f"{value_text(point.value, unit=unit, average_of=average_of)} in {point.name}"

    return (
        f"{span}. Latest {said(known[-1])}; highest {said(highest)}; lowest {said(lowest)}. "
        "The table below the chart gives each month."
    )


def column_chart(*, title: str, points: list[ChartPoint], unit: str, average_of: str = "") -> Chart:
    """One column per point, oldest on the left, on a scale from zero to a round number."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top, divisions = _scale(max((p.value for p in points if p.value is not None), default=0), unit)
    slot = plot_width / max(len(points), 1)
    columns = []
    for index, point in enumerate(points):
        height = plot_height * (point.value or 0) / top
        columns.append(
            Column(
                x=round(LEFT + index * slot + slot * 0.15, 1),
                y=round(TOP + plot_height - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                fill=LIVE_COLOUR if point.live else COLOUR,
                label=point.label,
                label_x=round(LEFT + index * slot + slot / 2, 1),
                tooltip=f"{point.name}: {value_text(point.value, unit=unit, average_of=average_of)}",
                missing=point.value is None,
            )
        )
    ticks = [
        Tick(
            y=round(TOP + plot_height * (1 - step / divisions), 1),
            label=value_text(top * step / divisions, unit="percent" if unit == "percent" else "count"),
        )
        for step in range(divisions + 1)
    ]
    return Chart(
        title=title,
        description=_description(points, unit=unit, average_of=average_of),
        columns=columns,
        ticks=ticks,
    )
