"""WorkbookContent -> XLSX with openpyxl: typed cells, real formulas, a usable header.

A spreadsheet user notices whether numbers are numbers (they sum, sort and right-align)
and whether totals are formulas (they recalculate when a row changes), so both are real
here: values are converted per ``Column.type`` and totals are ``=SUM(...)`` formulas that
Excel and LibreOffice compute on open.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.worksheet.worksheet import Worksheet

from synthcomp.computer.artifacts.zipnorm import normalize_ooxml
from synthcomp.measures import WHOLE_CURRENCIES, currency_of, how_to_total
from synthcomp.models import Column, DocumentStyle, Sheet, WorkbookContent

_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
}
_CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "AUD": "A$",
    "CAD": "C$", "NZD": "NZ$", "CHF": "CHF ", "SEK": "kr ", "NOK": "kr ", "DKK": "kr ",
    "ZAR": "R ", "BRL": "R$", "SGD": "S$", "HKD": "HK$", "MXN": "MX$", "KRW": "₩",
}
_CURRENCY_CODE = re.compile(r"\b(" + "|".join(_CURRENCY_SYMBOLS) + r")\b")
_DEFAULT_CURRENCY = "$"
_TOTALLED = frozenset({"int", "number", "currency", "percent"})
_INVALID_TITLE_CHARS = str.maketrans({c: "-" for c in "[]:*?/\\"})
_THIN = Side(style="thin", color="808080")


def render_xlsx(content: WorkbookContent, style: DocumentStyle, when: datetime) -> bytes:
    """The workbook as XLSX bytes; the same arguments always give the same bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in content.sheets:
        title = sheet.name.translate(_INVALID_TITLE_CHARS)
        _write_sheet(workbook.create_sheet(title), sheet, style)
    workbook.calculation.fullCalcOnLoad = True  # no cached formula results are stored

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        # what ``Workbook.save`` does, less its deflating, which ``normalize_ooxml`` would
        # undo only to deflate again (and its stamping "now" into the core properties,
        # which it replaces)
        _InMemoryWriter(workbook, archive).write_data()
    return normalize_ooxml(buffer.getvalue(), when, title=content.title, author=content.author)


class _InMemoryWriter(ExcelWriter):
    """openpyxl's workbook writer, each worksheet serialized in memory.

    openpyxl writes a worksheet to a temporary file, copies the file into the zip and
    deletes it: ~2 ms of file system work a sheet, more than a tenth of a workbook. The
    bytes are the same; this is ``ExcelWriter.write_worksheet`` (openpyxl 3.1) for the
    workbooks written here, which are never write-only.
    """

    def write_worksheet(self, ws: Worksheet) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.out.getvalue())
        self.manifest.append(ws)


def currency_format(column_name: str) -> str:
    """A currency number format, its symbol read from the column name ('Cost (EUR)',
    'Budget £'); a code without a symbol here is written as the code ('CZK 1,200.00'),
    yen and won without decimals, and '$' only when the name names no currency."""
    found = _CURRENCY_CODE.search(column_name.upper())
    code = currency_of(column_name) or (found.group(1) if found else "")
    if code:
        symbol = _CURRENCY_SYMBOLS.get(code, f"{code} ")
    else:
        symbol = next((sym for sym in "€£¥₹₩" if sym in column_name), _DEFAULT_CURRENCY)
    quoted = f'"{symbol}"'
    number = "#,##0" if code in WHOLE_CURRENCIES else "#,##0.00"
    return f"{quoted}{number};[Red]-{quoted}{number}"


def _write_sheet(worksheet: Worksheet, sheet: Sheet, style: DocumentStyle) -> None:
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=style.accent_rgb)
    formats = [_number_format(column) for column in sheet.columns]

    worksheet.append([column.name for column in sheet.columns])
    for cell in worksheet[1]:
        cell.font, cell.fill = header_font, header_fill

    _write_rows(worksheet, sheet, formats)
    last_data_row = 1 + len(sheet.rows)
    width = len(sheet.columns)
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = f"A1:{get_column_letter(width)}{last_data_row}"
    if sheet.total_row and sheet.rows:
        _write_total_row(worksheet, sheet.columns, formats, last_data_row)
    _fit_columns(worksheet, sheet)


def _write_rows(worksheet: Worksheet, sheet: Sheet, formats: list[str | None]) -> None:
    """Append the data rows, typed; each cell not holding text gets its column's format.

    Cells are addressed by row number: looking the new row up as
    ``worksheet[worksheet.max_row]`` scans every cell of the sheet twice, which made a
    sheet quadratic in its rows (20,000 rows took 68 s). A non-empty row's cells run out
    to the widest row so far, blanks included, as that lookup created them, so the same
    content keeps its bytes; an empty row has no cells.
    """
    width = len(sheet.columns)
    for row_number, values in enumerate(sheet.rows, start=2):
        typed = [_typed(col, value) for col, value in zip(sheet.columns, values)]
        worksheet.append(typed + list(values[len(sheet.columns):]))  # keep unheaded extras
        if not values:
            continue
        width = max(width, len(values))
        for column in range(1, width + 1):
            cell = worksheet.cell(row=row_number, column=column)
            number_format = formats[column - 1] if column <= len(formats) else None
            if number_format and not isinstance(cell.value, str):
                cell.number_format = number_format


def _number_format(column: Column) -> str | None:
    if column.type == "currency":
        return currency_format(column.name)
    return _FORMATS.get(column.type)


def _typed(column: Column, value: str | int | float | None) -> str | int | float | date | None:
    """``value`` as the type a user typing into this column would get; text it cannot be
    read as (say 'n/a' in a number column) stays text, as Excel would keep it."""
    if value is None or value == "":
        return None
    try:
        match column.type:
            case "int":
                return round(float(_plain_number(value)))
            case "number" | "currency":
                return float(_plain_number(value))
            case "percent":
                if isinstance(value, str) and value.strip().endswith("%"):
                    return float(_plain_number(value.strip()[:-1])) / 100
                return float(_plain_number(value))
            case "date":
                return date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return value  # a text column keeps what was typed, numbers included


def _plain_number(value: str | int | float) -> str | int | float:
    """'1,250.00' or '$ 1,250' -> '1250.00' / '1250'; numbers pass through."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch.isdigit() or ch in ".-eE")


def _write_total_row(
    worksheet: Worksheet, columns: list[Column], formats: list[str | None], last_data_row: int
) -> None:
    """'Total' plus a formula under each numeric column, ruled above: SUM for amounts and
    counts, AVERAGE for rates and other measures that do not add up (``measures.how_to_total``)."""
    total_row = last_data_row + 1
    label_index = next((i for i, col in enumerate(columns) if col.type not in _TOTALLED), None)
    bold = Font(bold=True)
    for index, column in enumerate(columns):
        cell = worksheet.cell(row=total_row, column=index + 1)
        if column.type in _TOTALLED:
            letter = get_column_letter(index + 1)
            function = "SUM" if column.type != "percent" and how_to_total(column.name) == "sum" else "AVERAGE"
            cell.value = f"={function}({letter}2:{letter}{last_data_row})"
            cell.number_format = formats[index] or "General"
        elif index == label_index:
            cell.value = "Total"
        cell.font = bold
        cell.border = Border(top=_THIN)


def _fit_columns(worksheet: Worksheet, sheet: Sheet) -> None:
    """Widths from the longest header or displayed value, as a double-click would give."""
    for index, column in enumerate(sheet.columns):
        lengths = [len(column.name) + 3]  # room for the filter button
        for row in sheet.rows:
            value = row[index] if index < len(row) else None
            if isinstance(value, float):
                lengths.append(len(f"{value:,.2f}"))
            elif value is not None:
                lengths.append(len(str(value)))
        if column.type == "date":
            lengths.append(10)
        worksheet.column_dimensions[get_column_letter(index + 1)].width = min(max(lengths) + 2, 60)
