"""A collaborator's ledger: the workbook a held figure is computed from.

A held figure (an approved budget, a contingency reserve, committed spend) is never a
number its holder states: it is the total of one column of their ledger over the rows of
one status (:class:`synthcomp.agents.truth.Ledger`). The ledger holds tens of rows, and
the rows of the other statuses (proposed lines, closed risks, cancelled orders), a prior
year's sheet with the same columns and a notes sheet sit beside the ones that count, so
the figure is found only by filtering and summing the right rows. The counted rows split
the figure's value exactly, in its precision; everything is drawn from a seed of the
figure's own, so the same truth writes the same workbook.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from openpyxl import Workbook

from synthcomp.agents.truth import Figure, Ledger
from synthcomp.models import Column, Sheet, WorkbookContent

_DETAILS: dict[str, tuple[str, str, str, tuple[str, ...], str, tuple[str, ...]]] = {
    "Budget lines": ("Line", "BL-", "Workstream", ("Delivery", "Change management", "Data migration", "Testing", "Training",
                                     "Programme office", "Infrastructure", "Vendor services"),
                     "Cost category", ("Staff", "Contractors", "Licences", "Hardware", "Travel", "Consultancy")),
    "Risk register": ("Risk ID", "R-", "Risk", ("Supplier delay", "Key person dependency", "Scope creep", "Data quality",
                                        "Regulatory change", "Integration defects", "Budget overrun", "Site access"),
                      "Owner", ("Project manager", "Finance lead", "Technical lead", "Sponsor", "Procurement")),
    "Purchase orders": ("PO number", "PO-", "Supplier", ("Northwind Services", "Contoso Ltd", "Fabrikam Group", "Tailspin Partners",
                                             "Adatum Consulting", "Litware Systems", "Proseware Inc"),
                        "Raised on", ()),
}
"""Per ledger sheet: (id column, id prefix, first detail column, its values, second detail
column, its values; none means a date)."""
COUNTED_ROWS = (16, 36)
OTHER_ROWS = (8, 24)
PRIOR_ROWS = (10, 20)


def workbook(figure: Figure, holder: str, project_name: str, statement: str, today: date) -> WorkbookContent:
    """The ledger of a held figure (``figure.ledger`` must be set) as its holder keeps it."""
    ledger = figure.ledger
    assert ledger is not None
    rng = random.Random(f"ledger:{figure.project}:{figure.id}:{figure.value}")
    counted = _split(figure.value, figure.decimals, rng.randint(*COUNTED_ROWS), rng)
    low, high = min(counted), max(counted)
    others = [(round(rng.uniform(low, high), figure.decimals), rng.choice(ledger.others))
              for _ in range(rng.randint(*OTHER_ROWS))]
    current = [(amount, ledger.status) for amount in counted] + others
    rng.shuffle(current)
    prior = [(round(rng.uniform(low, high), figure.decimals), rng.choice([ledger.status, *ledger.others]))
             for _ in range(rng.randint(*PRIOR_ROWS))]
    columns = _columns(ledger)
    return WorkbookContent(title=ledger.file, author=holder, sheets=[
        Sheet(name=ledger.sheet, columns=columns, rows=_rows(ledger, current, today, rng, first=101)),
        Sheet(name=f"{ledger.sheet} (prior year)", columns=columns,
              rows=_rows(ledger, prior, today - timedelta(days=365), rng, first=1)),
        Sheet(name="Notes", columns=[Column(name="Item", type="text"), Column(name="Note", type="text")], rows=[
            ["Project", project_name], ["Kept by", holder], ["How to read", statement],
            ["Prior year", f"The prior year sheet is closed and kept for reference; it does not count towards "
                           f"the {figure.name.lower()}."]]),
    ])


def total(book: Workbook, ledger: Ledger) -> float | None:
    """The figure the ledger keeps, read back: the counted rows' amounts summed (None when
    the sheet or its columns are missing)."""
    if ledger.sheet not in book.sheetnames:
        return None
    rows = list(book[ledger.sheet].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]] if rows else []
    if ledger.status_column not in header or ledger.amount not in header:
        return None
    status, amount = header.index(ledger.status_column), header.index(ledger.amount)
    return round(sum(float(r[amount]) for r in rows[1:] if r[status] == ledger.status), 2)


def _split(value: float, decimals: int, parts: int, rng: random.Random) -> list[float]:
    """``parts`` positive amounts in ``decimals`` places that add up to ``value`` exactly."""
    units = round(value * 10 ** decimals)
    parts = max(1, min(parts, units))
    cuts = sorted(rng.sample(range(1, units), parts - 1))
    return [round((b - a) / 10 ** decimals, decimals) for a, b in zip([0, *cuts], [*cuts, units])]


def _columns(ledger: Ledger) -> list[Column]:
    ident, _, first, _, second, values = _DETAILS[ledger.sheet]
    return [Column(name=ident, type="text"), Column(name=first, type="text"),
            Column(name=second, type="text" if values else "date"), Column(name=ledger.status_column, type="text"),
            Column(name=ledger.amount, type="currency")]


def _rows(ledger: Ledger, entries: list[tuple[float, str]], until: date, rng: random.Random,
          first: int) -> list[list[str | float]]:
    _, prefix, _, firsts, _, seconds = _DETAILS[ledger.sheet]
    return [[f"{prefix}{first + i:03d}", rng.choice(firsts),
             rng.choice(seconds) if seconds else (until - timedelta(days=rng.randint(1, 120))).isoformat(),
             status, amount] for i, (amount, status) in enumerate(entries)]
