"""Writing a comparison to CSV and XLSX, including hostile names from IFC files."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from ifc_desktop.core.diff import ROW_HEADERS, DiffResult, diff_elements
from ifc_desktop.core.diff_export import write_csv, write_xlsx
from ifc_desktop.core.snapshot import Element, PropertySet


def element(gid: str, **changes) -> Element:
    base = Element(
        global_id=gid,
        ifc_class="IfcWall",
        step_id=1,
        name="Wand Ä",
        storey_global_id="S",
        property_sets=[PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"NetVolume": 2.5})],
        placement=(0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        content_hash=f"h{gid}",
    )
    return replace(base, **changes)


@pytest.fixture
def result() -> DiffResult:
    storey = Element(global_id="S", ifc_class="IfcBuildingStorey", step_id=9, name="Erdgeschoss", content_hash="s")
    old = [storey, element("A"), element("B"), element("C")]
    new = [
        storey,
        element("A", name='=HYPERLINK("http://x")', content_hash="x"),
        element("C", placement=(1.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0)),
        element("D", name="bell\x07 and tab\tinside", ifc_class="IfcSlab"),
    ]
    return diff_elements(old, new, old_label="v1", new_label="v2")


def test_csv_has_one_row_per_change_and_no_formulas(result: DiffResult, tmp_path: Path) -> None:
    path = tmp_path / "Vergleich v1–v2.csv"
    write_csv(result, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == ROW_HEADERS
    assert len(rows) == 1 + len(result.rows())
    by_field = {(r[1], r[5]): r for r in rows[1:]}
    assert by_field[("A", "Name")][6:8] == ["Wand Ä", '\'=HYPERLINK("http://x")']
    assert by_field[("A", "Name")][3] == '\'=HYPERLINK("http://x")'
    assert by_field[("C", "Placement")][6:] == ["(0, 0, 0)", "(1.5, 0, 0)", "moved 1.5 m"]
    assert by_field[("B", "")][0] == "removed"


def test_xlsx_has_summary_and_filterable_changes(result: DiffResult, tmp_path: Path) -> None:
    path = tmp_path / "Vergleich v1–v2.xlsx"
    write_xlsx(result, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Changes"]

    changes = book["Changes"]
    values = [[cell.value for cell in row] for row in changes.iter_rows()]
    assert tuple(values[0]) == ROW_HEADERS
    assert len(values) == 1 + len(result.rows())
    assert changes.auto_filter.ref == f"A1:I{len(values)}"
    assert changes.freeze_panes == "A2"
    name_cell = next(row[3] for row in changes.iter_rows(min_row=2) if row[1].value == "A")
    assert name_cell.value == '=HYPERLINK("http://x")' and name_cell.data_type == "s"  # text, not a formula
    slab = next(row for row in values if row[1] == "D")
    assert slab[3] == "bell and tab\tinside"  # the control character XLSX cannot hold is dropped

    summary = {row[0].value: [c.value for c in row[1:]] for row in book["Summary"].iter_rows() if row[0].value}
    assert summary["Comparison"][0] == "v1 → v2"
    assert (summary["Added"][0], summary["Removed"][0], summary["Changed"][0]) == (1, 1, 2)
    assert summary["IfcWall"][:3] == [0, 1, 2]
    assert summary["Erdgeschoss"][:3] == [1, 1, 2]
    model_totals = [r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Model"]
    assert model_totals == [("Model", None, "NetVolume", "m³", 7.5, 7.5, 0.0)]


def test_empty_comparison_writes_valid_files(tmp_path: Path) -> None:
    same = [element("A")]
    result = diff_elements(same, same)
    write_csv(result, tmp_path / "a.csv")
    write_xlsx(result, tmp_path / "a.xlsx")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8-sig").strip() == ",".join(ROW_HEADERS)
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["Changes"].max_row == 1


def test_quantity_totals_are_written_without_floating_point_noise(tmp_path: Path) -> None:
    def with_volume(gid: str, volume: float) -> Element:
        qto = PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"NetVolume": volume})
        return element(gid, property_sets=[qto])

    old = [with_volume("A", 0.1), with_volume("B", 0.2)]
    new = [with_volume("A", 0.1), replace(with_volume("B", 0.3), content_hash="edited")]
    result = diff_elements(old, new)
    assert result.summary.quantities["NetVolume"].before == 0.1 + 0.2 != 0.3
    path = tmp_path / "totals.xlsx"
    write_xlsx(result, path)
    rows = [r for r in openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True) if r[0] == "Model"]
    assert rows == [("Model", None, "NetVolume", "m³", 0.3, 0.4, 0.1)]
