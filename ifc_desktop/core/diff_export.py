"""A comparison written to CSV (one row per change) or XLSX (summary and changes sheets).

Names and values come from the IFC files, so they are treated as hostile text:
a cell that starts like a spreadsheet formula is written as text (quoted with
an apostrophe in CSV, typed as a string in XLSX), and characters XLSX cannot
hold are dropped.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from .diff_result import ROW_HEADERS, DiffResult, QuantityTotal, format_number

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 (and so XLSX) cannot contain.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_csv(result: DiffResult, path: Path) -> None:
    """One row per changed field (and per added/removed element), UTF-8 with a BOM so Excel reads it right."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROW_HEADERS)
        for row in result.rows():
            writer.writerow([_csv_cell(value) for value in row])


def write_xlsx(result: DiffResult, path: Path) -> None:
    """A workbook with a "Summary" sheet and a filterable "Changes" sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    bold = Font(bold=True)

    summary = workbook.active
    summary.title = "Summary"
    for row in _summary_rows(result):
        summary.append([_xlsx_value(v) for v in row])
        if row and row[0] in _HEADINGS:
            for cell in summary[summary.max_row]:
                cell.font = bold
    _mark_text_cells(summary)
    summary.column_dimensions["A"].width = 28
    for column in "BCDEFG":
        summary.column_dimensions[column].width = 16

    changes = workbook.create_sheet("Changes")
    changes.append(list(ROW_HEADERS))
    for cell in changes[1]:
        cell.font = bold
    for row in result.rows():
        changes.append([_xlsx_value(v) for v in row])
    _mark_text_cells(changes, first_row=2)
    changes.freeze_panes = "A2"
    last = get_column_letter(len(ROW_HEADERS))
    changes.auto_filter.ref = f"A1:{last}{max(changes.max_row, 1)}"
    for index, width in enumerate((10, 24, 24, 32, 20, 36, 28, 28, 24), start=1):
        changes.column_dimensions[get_column_letter(index)].width = width

    workbook.save(path)


_HEADINGS = ("Comparison", "By class", "By storey", "Changed fields", "Quantities", "Duplicate GlobalIds")


def _summary_rows(result: DiffResult) -> list[list[Any]]:
    s = result.summary
    c = s.counts
    rows: list[list[Any]] = [
        ["Comparison", f"{result.old_label} → {result.new_label}"],
        ["Elements before", s.old_count],
        ["Elements after", s.new_count],
        ["Added", c.added],
        ["Removed", c.removed],
        ["Changed", c.changed],
        ["Unchanged", s.unchanged],
        ["Placement tolerance", f"{format_number(result.tolerance)} {result.length_unit}"],
    ]
    rows += [["Warning", warning] for warning in result.warnings]
    rows += [[], ["By class", "Added", "Removed", "Changed"]]
    rows += [[name, n.added, n.removed, n.changed] for name, n in s.by_class.items()]
    rows += [[], ["By storey", "Added", "Removed", "Changed"]]
    rows += [[name, n.added, n.removed, n.changed] for name, n in s.by_storey.items()]
    if s.by_field:
        rows += [[], ["Changed fields", "Elements"]]
        rows += [[name, n] for name, n in s.by_field.items()]
    if s.quantities:
        rows += [[], ["Quantities", "Group", "Quantity", "Unit", "Before", "After", "Change"]]
        rows += [_total_row("Model", "", t) for t in s.quantities.values()]
        rows += [_total_row("Class", g, t) for g, totals in s.quantities_by_class.items() for t in totals.values()]
        rows += [_total_row("Storey", g, t) for g, totals in s.quantities_by_storey.items() for t in totals.values()]
    if result.duplicates:
        rows += [[], ["Duplicate GlobalIds", "Before", "After", "Classes"]]
        rows += [[d.global_id, d.old_count, d.new_count, ", ".join(d.ifc_classes)] for d in result.duplicates]
    return rows


def _total_row(level: str, group: str, total: QuantityTotal) -> list[Any]:
    # Sums of many values carry floating-point noise (-1.199999999999989): ten digits are plenty.
    before, after, delta = (float(f"{value:.10g}") for value in (total.before, total.after, total.delta))
    return [level, group, total.quantity, total.unit, before, after, delta]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


def _mark_text_cells(sheet: Any, first_row: int = 1) -> None:
    """Strings that look like formulas stay strings."""
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
