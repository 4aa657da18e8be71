"""Comparing versions in the window, with real worker processes and edited copies of a real sample."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.geometry
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import numpy as np
import pytest
from PySide6.QtCore import Qt

from ifc_desktop.core.diff_result import ADDED, CHANGED, REMOVED, ROW_HEADERS, format_value
from ifc_desktop.store import Store
from ifc_desktop.store.compare import compare_versions
from ifc_desktop.ui.compare_models import COL_GLOBAL_ID, COL_KIND, COL_NAME, COL_WHAT, ChangeFilter
from ifc_desktop.ui.compare_panel import PAGE_BUSY, PAGE_RESULT
from tests.conftest import sample
from tests.diff_support import edited_copy, move

pytest.register_assert_rewrite("tests.ui_fixtures")
from tests.ui_fixtures import drop_paths, wait_for_states  # noqa: E402

pytest_plugins = ["tests.ui_fixtures"]  # the make_window fixture

pytestmark = [pytest.mark.gui, pytest.mark.slow]

HAUS = sample("ifc4_archicad20_fzk_haus.ifc")
WALL = "2XPyKWY018sA1ygZKgQPtU"  # Wand-Int-ERDG-4, no other placement depends on it
DOOR = "1Oms875aH3Wg$9l65H2ZGw"  # Innentuer-1
OTHER_DOOR = "0pGAjlJMP3ifYPATVF5xAR"  # Innentuer-2
BASE_SLAB = "1pPHnf7cXCpPsNEnQf8_6B"  # Bodenplatte
TIMEOUT = 60_000


def rename_wall_and_delete_door(ifc: ifcopenshell.file) -> None:
    ifc.by_guid(WALL).Name = "Renamed wall Ä"
    ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid(DOOR))


def import_versions(qtbot, window, paths: list[Path]):
    """Import the files one after the other (each a new version of one model); the model, selected."""
    for path in paths:
        drop_paths(window, [path])
        wait_for_states(qtbot, window, {path.name: "SUCCESS"})
    qtbot.waitUntil(lambda: [m.version_count for m in window.model_list.models()] == [len(paths)], timeout=TIMEOUT)
    model = window.model_list.models()[0]
    window.models_panel.select_model(model.id)
    window.show_tab(2)
    qtbot.waitUntil(lambda: window.history_panel.versions.rowCount() == len(paths), timeout=TIMEOUT)
    return model


def table_rows(panel) -> list[tuple[str, str, str]]:
    model = panel.table_model
    return [
        (model.index(row, COL_KIND).data(), model.index(row, COL_GLOBAL_ID).data(), model.index(row, COL_WHAT).data())
        for row in range(model.rowCount())
    ]


def test_history_counts_compare_filter_details_and_exports(qtbot, make_window, tmp_path):
    folder = tmp_path / "Exports wöchentlich"
    folder.mkdir()
    first = folder / "FZK-Haus.ifc"
    shutil.copy(HAUS, first)
    second = folder / "FZK-Haus geändert.ifc"
    edited_copy(first, second, rename_wall_and_delete_door)
    third = folder / "FZK-Haus geändert (again).ifc"  # the same content exported again
    third.write_bytes(second.read_bytes().replace(b"\nDATA;", b"\nDATA;\n/* exported again */", 1))

    window = make_window()
    model = import_versions(qtbot, window, [first, second, third])
    history = window.history_panel
    versions = history.versions

    # Every version against the one before it, computed in the background.
    qtbot.waitUntil(lambda: versions.counts_text(3) == "+0 −0 ~0", timeout=TIMEOUT)
    assert versions.counts_text(2) == "+0 −1 ~1"
    first_count = versions.version_at(versions.row_of_number(1)).element_count
    assert versions.counts_text(1) == f"+{first_count:,} −0 ~0"

    # One version selected: Compare shows what changed since the previous one, computed off the GUI thread.
    history.select_number(2)
    assert history.compare_button.isEnabled()
    # Enter on the version list does what the button does.
    assert history.compare_key_action.isEnabled() and history.compare_key_action in history.table.actions()
    panel = window.compare_panel
    with qtbot.waitSignal(panel.comparison_shown, timeout=TIMEOUT) as shown:
        history.compare_button.click()
        assert window.is_comparing()
        assert panel.pages.currentIndex() == PAGE_BUSY and panel.is_busy()
    result = shown.args[0]
    assert panel.pages.currentIndex() == PAGE_RESULT
    assert panel.title.text() == "Compare v1 → v2"
    assert result.counts.as_tuple() == (0, 1, 1)
    assert [(c.kind, c.global_id, c.field_names()) for c in result.changes] == [
        (REMOVED, DOOR, []),
        (CHANGED, WALL, ["Name"]),
    ]
    assert table_rows(panel) == [("Removed", DOOR, ""), ("Changed", WALL, "Name")]
    # The first row is selected and its details are on screen.
    assert panel.table.selectionModel().selectedRows()[0].row() == 0
    assert panel.details.change is panel.table_model.change_at(0)
    assert panel.table_model.index(0, COL_NAME).data() == "Innentuer-1"
    assert panel.summary.cards[REMOVED].value.text() == "1"
    assert panel.summary.cards[CHANGED].value.text() == "1"
    assert panel.summary.cards[ADDED].value.text() == "0"
    # The same answer as the store gives directly.
    with Store.open(window.data_dir, migrate=False) as store:
        direct = compare_versions(store, model.id, 1, 2)
    assert direct.to_dict() == result.to_dict()

    # Filters: by kind, by text, by class; the table shows what DiffResult.matching finds.
    panel.kind_buttons[CHANGED].setChecked(False)
    assert table_rows(panel) == [("Removed", DOOR, "")]
    assert panel.shown_label.text() == "1 of 2"
    panel.clear_filters()
    assert panel.table_model.rowCount() == 2
    panel.search.setText("renamed WALL ä")
    qtbot.waitUntil(lambda: panel.table_model.rowCount() == 1)
    assert table_rows(panel) == [("Changed", WALL, "Name")]
    panel.set_filter(ifc_class="IfcDoor")
    assert table_rows(panel) == [("Removed", DOOR, "")]
    for change_filter in (
        ChangeFilter.of(kinds={REMOVED}),
        ChangeFilter.of(classes={"IfcWallStandardCase"}),
        ChangeFilter.of(storeys={"Erdgeschoss"}, text="innentuer"),
        ChangeFilter.of(text="Wand-Int-ERDG-4"),  # the old name, found in the changed field
    ):
        panel.table_model.set_filter(change_filter)
        expected = result.matching(
            kinds=change_filter.kinds,
            classes=change_filter.classes,
            storeys=change_filter.storeys,
            text=change_filter.text,
        )
        assert panel.table_model.visible_changes() == expected
    panel.clear_filters()

    # Selecting a row shows old → new in the details.
    assert panel.select_change(WALL)
    assert panel.details.change.global_id == WALL
    assert ("Name", "Wand-Int-ERDG-4", "Renamed wall Ä") in panel.details.rows()
    assert panel.details.badge.text() == "Changed"
    assert panel.select_change(DOOR)
    assert panel.details.tree.headerItem().text(1) == "In v1 only"
    assert ("Name", "Innentuer-1", "") in panel.details.rows()

    # Exports, written off the GUI thread, read back.
    asked: list[str] = []

    def ask(suggested: str, fmt: str) -> str:
        asked.append(suggested)
        return str(folder / f"Vergleich é.{fmt}")

    panel.ask_save_path = ask
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT) as csv_written:
        panel.csv_button.click()
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT) as xlsx_written:
        panel.xlsx_button.click()
    assert [Path(a).suffix for a in asked] == [".csv", ".xlsx"]
    assert all("v1 to v2" in a for a in asked)
    expected_rows = [
        ["removed", DOOR, "IfcDoor", "Innentuer-1", "Erdgeschoss", "", "", "", ""],
        [
            "changed",
            WALL,
            "IfcWallStandardCase",
            "Renamed wall Ä",
            "Erdgeschoss",
            "Name",
            "Wand-Int-ERDG-4",
            "Renamed wall Ä",
            "",
        ],
    ]
    with open(csv_written.args[0], encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [list(ROW_HEADERS), *expected_rows]
    from openpyxl import load_workbook

    workbook = load_workbook(xlsx_written.args[0], read_only=True)
    sheet_rows = [[v if v is not None else "" for v in row] for row in workbook["Changes"].iter_rows(values_only=True)]
    workbook.close()
    assert sheet_rows == [list(ROW_HEADERS), *expected_rows]
    assert "Saved the comparison" in window.notice.message()

    # Back to the list; two versions selected compare those two: the same content, no differences.
    panel.back_button.click()
    assert not window.is_comparing()
    history.table.clearSelection()
    history.select_number(2)
    history.table.selectionModel().select(
        versions.index(versions.row_of_number(3), 0),
        history.table.selectionModel().SelectionFlag.Select | history.table.selectionModel().SelectionFlag.Rows,
    )
    assert [v.number for v in history.selected_versions()] == [3, 2]
    # A refresh of the same model's history (an import or revert elsewhere) keeps both selected.
    history.set_history(history.model_id, versions.versions(), [])
    assert [v.number for v in history.selected_versions()] == [3, 2]
    with qtbot.waitSignal(panel.comparison_shown, timeout=TIMEOUT) as shown:
        history.compare_button.click()
    assert shown.args[0].changes == []
    assert panel.title.text() == "Compare v2 → v3"
    assert panel.empty_label.isVisibleTo(panel) and "same" in panel.empty_label.text()


def richer_edit(ifc: ifcopenshell.file) -> str:
    """A moved wall, a door property changed and one added, a new slab that reuses an existing GlobalId."""
    move(ifc, WALL, (1.0, 0.0, 0.0))
    door = ifc.by_guid(OTHER_DOOR)
    pset = next(
        rel.RelatingPropertyDefinition
        for rel in door.IsDefinedBy
        if rel.is_a("IfcRelDefinesByProperties") and rel.RelatingPropertyDefinition.Name == "Pset_DoorCommon"
    )
    old = next(p for p in pset.HasProperties if p.Name == "ThermalTransmittance")
    # Fresh property instances: exporters share them between doors.
    u_value = ifc.createIfcPropertySingleValue(old.Name, None, ifc.create_entity("IfcThermalTransmittanceMeasure", 1.3))
    rating = ifc.createIfcPropertySingleValue("AcousticRating", None, ifc.create_entity("IfcLabel", "32 dB"))
    pset.HasProperties = [u_value if p == old else p for p in pset.HasProperties] + [rating]
    storey = ifc.by_guid("273g3wqLzDtfYIl7qqkgcO")  # Dachgeschoss
    slab = ifcopenshell.api.root.create_entity(ifc, ifc_class="IfcSlab", name="Galerie", predefined_type="FLOOR")
    ifcopenshell.api.spatial.assign_container(ifc, products=[slab], relating_structure=storey)
    matrix = np.eye(4)
    matrix[:3, 3] = (2.0, 4.0, 2.9)
    ifcopenshell.api.geometry.edit_object_placement(ifc, product=slab, matrix=matrix, is_si=False)
    qto = ifcopenshell.api.pset.add_qto(ifc, product=slab, name="Qto_SlabBaseQuantities")
    ifcopenshell.api.pset.edit_qto(ifc, qto=qto, properties={"NetVolume": 2.16})
    slab.GlobalId = BASE_SLAB  # an exporter bug seen in the wild: two elements, one GlobalId
    return format_value(old.NominalValue.wrappedValue)


def test_details_mark_added_properties_and_moves_and_duplicates_do_not_stop_it(qtbot, make_window, tmp_path):
    first = tmp_path / "Haus v1.ifc"
    shutil.copy(HAUS, first)
    second = tmp_path / "Haus v2.ifc"
    old_u = edited_copy(first, second, richer_edit)

    window = make_window()
    model = import_versions(qtbot, window, [first, second])
    history = window.history_panel
    with Store.open(window.data_dir, migrate=False) as store:
        truth = compare_versions(store, model.id, 1, 2)
    assert [(c.kind, c.global_id, c.field_names(), c.duplicate) for c in truth.changes] == [
        (ADDED, BASE_SLAB, [], True),
        (CHANGED, OTHER_DOOR, ["Pset_DoorCommon.ThermalTransmittance", "Pset_DoorCommon.AcousticRating"], False),
        (CHANGED, WALL, ["Placement"], False),
    ]
    qtbot.waitUntil(lambda: history.versions.counts_text(2) == "+1 −0 ~2", timeout=TIMEOUT)

    # Double-click: compare with the previous version.
    row = history.versions.row_of_number(2)
    rect = history.table.visualRect(history.versions.index(row, 0))
    panel = window.compare_panel
    with qtbot.waitSignal(panel.comparison_shown, timeout=TIMEOUT) as shown:
        # As a mouse does it: a click, then the double-click (Qt opens the item on the second press).
        qtbot.mouseClick(history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    result = shown.args[0]
    assert result.to_dict() == truth.to_dict()

    # The duplicate GlobalId is reported, and its row is marked.
    assert panel.notice.isVisibleTo(panel)
    assert BASE_SLAB in panel.notice.message()
    slab_row = panel.table_model.row_of(result.changes[0])
    assert panel.table_model.index(slab_row, COL_GLOBAL_ID).data(Qt.ItemDataRole.DecorationRole) is not None

    # Property changed and property added, marked as such.
    panel.select_change(OTHER_DOOR)
    rows = panel.details.rows()
    assert ("Pset_DoorCommon", "", "") in rows
    assert ("ThermalTransmittance", old_u, "1.3") in rows
    assert ("AcousticRating  (added)", "—", "32 dB") in rows

    # A move: where it was, where it is, and how far.
    panel.select_change(WALL)
    rows = panel.details.rows()
    position = next(r for r in rows if r[0] == "Position")
    old_x = float(position[1].strip("()").split(",")[0])
    new_x = float(position[2].strip("()").split(",")[0])
    assert new_x - old_x == pytest.approx(1.0)
    assert ("↳ moved 1 m", "", "") in rows

    # The added slab: what it holds, in the newer version only.
    panel.select_change(BASE_SLAB)
    assert panel.details.tree.headerItem().text(1) == "In v2 only"
    assert ("Name", "Galerie", "") in panel.details.rows()
    assert ("NetVolume", "2.16", "") in panel.details.rows()
    # The summary's quantity totals: the slab's volume on top of the others.
    slab_volume = next(r for r in panel.summary.quantity_rows() if r[:2] == ("By class", "IfcSlab: NetVolume"))
    assert slab_volume[-1] == "+2.16 m³"

    # Swap: the other way round, the slab is removed.
    with qtbot.waitSignal(panel.comparison_shown, timeout=TIMEOUT) as swapped:
        panel.swap_button.click()
    assert swapped.args[0].counts.as_tuple() == (0, 1, 2)
    assert panel.title.text() == "Compare v2 → v1"

    # No model selected any more: the comparison of the old one closes.
    window._model_selected(None)
    assert not window.is_comparing()
