"""How values read once they are on a page, shared by every format.

Content comes from brains (procedural or Claude), so tables can be ragged and chart
series can be shorter than their categories. Each renderer squares them up the same
way here instead of failing or silently dropping cells.
"""

from __future__ import annotations

import colorsys
from datetime import datetime

from synthcomp.models import Chart, Table

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)


def cell_text(value: str | int | float | None) -> str:
    """A cell as a reader sees it: thousands separators, two decimals for fractions."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:,.2f}"
    return value


def is_numeric(value: str | int | float | None) -> bool:
    """True for numbers, which tables align right."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def square_table(table: Table) -> tuple[list[str], list[list[str | int | float]]]:
    """Header and rows padded with blanks to one width (the widest of header and rows)."""
    width = max([len(table.columns), *(len(row) for row in table.rows)])
    header = table.columns + [""] * (width - len(table.columns))
    rows = [list(row) + [""] * (width - len(row)) for row in table.rows]
    return header, rows


def square_chart(chart: Chart) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Categories and series padded to one length: blanks for missing labels or values."""
    length = max([len(chart.categories), *(len(s.values) for s in chart.series)])
    categories = chart.categories + [""] * (length - len(chart.categories))
    series = [
        (s.name, [*s.values] + [None] * (length - len(s.values))) for s in chart.series
    ]
    return categories, series


def long_date(when: datetime) -> str:
    """'14 March 2025', spelled without the host locale (strftime %B is locale-bound)."""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """'1F4E79' -> (31, 78, 121)."""
    return int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16)


def palette(accent: str, count: int) -> list[tuple[int, int, int]]:
    """``count`` distinct series colours: the accent first, then its hue turned by the
    golden ratio each time (neighbours stay far apart however many series there are)."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(c / 255 for c in rgb(accent)))
    lightness = min(max(lightness, 0.3), 0.6)
    saturation = max(saturation, 0.35)
    colours = [rgb(accent)]
    for index in range(1, count):
        turned = colorsys.hls_to_rgb((hue + index * 0.618034) % 1.0, lightness, saturation)
        colours.append(tuple(round(c * 255) for c in turned))
    return colours


def tint(hex_colour: str, amount: float) -> tuple[int, int, int]:
    """The colour mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    return tuple(round(c + (255 - c) * amount) for c in rgb(hex_colour))


def hex_of(colour: tuple[int, int, int]) -> str:
    """(31, 78, 121) -> '1F4E79'."""
    return "".join(f"{c:02X}" for c in colour)
