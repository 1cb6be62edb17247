"""How a measure is totalled and quoted: one rule for the world, the judge and any worker.

A column is named as a person names it, its unit in brackets: ``Turbidity (NTU)``,
``Probability of default (%)``, ``Contract value (JPY)``. Amounts and counts add up
(a column total is a sum), and so does a column with no unit ('Qty'); rates, ratios,
percentages, prices, concentrations, durations and other intensive quantities do not
(their total is the mean of the rows). The workbook's
Total row, the per-project truth, the source documents and the judge all use
:func:`how_to_total`, so a report that sums a percentage column quotes a figure no file
agrees with. Money is quoted with its currency code (``EUR 12,480.00``).
"""

from __future__ import annotations

import re
from typing import Iterable, Literal

Aggregation = Literal["sum", "mean"]

CURRENCIES = frozenset({
    "AED", "ARS", "AUD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP", "EUR", "GBP", "HKD", "HUF",
    "IDR", "ILS", "INR", "JPY", "KES", "KRW", "MXN", "MYR", "NGN", "NOK", "NZD", "PHP", "PLN", "SEK", "SGD", "THB",
    "TRY", "USD", "VND", "ZAR",
})
"""ISO codes a money column is labelled with (every region of the catalog, and more)."""
WHOLE_CURRENCIES = frozenset({"JPY", "KRW", "IDR", "HUF", "CLP", "COP", "VND"})
"""Currencies quoted without minor units."""
_SUMMED_UNITS = frozenset({
    "n", "no.", "#", "count",
    "h", "min", "minutes", "MWh", "kWh", "kg", "m3", "FTE", "people", "room nights", "million reads",
})
"""Extensive units besides money and counts: hours logged, energy used, mass burnt add up."""
_NOT_COUNTS = frozenset({"days", "weeks", "months", "years", "points", "ms", "s", "Mbps"})
_MEAN_WORDS = re.compile(
    r"\b(rate|ratio|average|mean|per|score|size|time|utili[sz]ation|duration|index|level|share|margin|yield|price|unit)\b",
    re.I)
_UNIT = re.compile(r"\(([^()]*)\)\s*$")


def unit_of(label: str) -> str:
    """The unit in a label's trailing brackets ('Turbidity (NTU)' -> 'NTU'); '' if none."""
    match = _UNIT.search(label.strip())
    return match.group(1).strip() if match else ""


def name_of(label: str) -> str:
    """The label without its unit ('Turbidity (NTU)' -> 'Turbidity')."""
    return _UNIT.sub("", label.strip()).strip()


def currency_of(label: str) -> str:
    """The ISO currency code a money column is labelled with; '' for other columns."""
    unit = unit_of(label).upper()
    return unit if unit in CURRENCIES else ""


def how_to_total(label: str) -> Aggregation:
    """Whether the column's total is the sum or the mean of its rows (module docstring)."""
    unit, name = unit_of(label), name_of(label)
    if _MEAN_WORDS.search(name) and not name.lower().startswith(("total", "number of")):
        return "mean"
    if not unit or unit.upper() in CURRENCIES or unit in _SUMMED_UNITS:
        return "sum"  # an unlabelled quantity ('Qty', 'Hours') adds up, as a spreadsheet's Total row assumes
    if unit.isalpha() and unit.islower() and unit.endswith("s") and unit not in _NOT_COUNTS:
        return "sum"  # a count of things: students, claims, visitors
    if " " in unit and unit.split()[-1].endswith("s") and "per" not in unit.split():
        return "sum"  # room nights, million reads
    return "mean"


def total(values: Iterable[float], how: Aggregation) -> float:
    values = list(values)
    if not values:
        return 0.0
    return sum(values) if how == "sum" else sum(values) / len(values)


def decimals_for(values: Iterable[float], how: Aggregation, currency: str = "") -> int:
    """How many decimals a total is quoted with: none for a sum of whole numbers or of a
    currency without minor units, else two."""
    if how == "sum" and (currency in WHOLE_CURRENCIES or all(float(v).is_integer() for v in values)):
        return 0
    return 2


def quote(value: float, decimals: int, currency: str = "") -> str:
    """A figure as a report writes it: ``61,328``, ``4.87``, ``EUR 12,480.00``."""
    if round(value, decimals) == 0:
        value = 0.0  # never "-0.00"
    text = f"{value:,.{decimals}f}"
    return f"{currency} {text}" if currency else text
