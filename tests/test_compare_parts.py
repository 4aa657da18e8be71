"""Pieces of the compare view on a real comparison, without the window: table model, details, summary, GC guard."""

from __future__ import annotations

import gc
import threading

import ifcopenshell
import ifcopenshell.api.pset
import ifcopenshell.api.root
import pytest
from PySide6.QtCore import Qt

from ifc_desktop.core.diff import diff_elements
from ifc_desktop.core.diff_result import ADDED, CHANGED, REMOVED, DiffResult
from ifc_desktop.store.compare import release
from ifc_desktop.ui.compare_details import ChangeDetailsPanel
from ifc_desktop.ui.compare_models import COL_KIND, COL_NAME, COL_WHAT, ChangeFilter, ChangeTableModel, what_changed
from ifc_desktop.ui.compare_summary import CompareSummary
from ifc_desktop.ui.executor import long_lived_results
from tests.diff_support import FZK_HAUS, edited_copy, snapshot_of

pytestmark = pytest.mark.gui

WALL = "2XPyKWY018sA1ygZKgQPtU"  # Wand-Int-ERDG-4
DOORS = ["1Oms875aH3Wg$9l65H2ZGw", "0pGAjlJMP3ifYPATVF5xAR"]  # Innentuer-1, Innentuer-2


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> DiffResult:
    """FZK-Haus against a copy with two doors deleted, a wall renamed and its quantity set removed."""
    folder = tmp_path_factory.mktemp("compare parts")

    def edit(ifc: ifcopenshell.file) -> None:
        for door in DOORS:
            ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid(door))
        wall = ifc.by_guid(WALL)
        wall.Name = "Zwischenwand"
        ifcopenshell.api.pset.remove_pset(
            ifc,
            product=wall,
            pset=next(
                r.RelatingPropertyDefinition
                for r in wall.IsDefinedBy
                if r.RelatingPropertyDefinition.Name == "AC_Pset_Name"
            ),
        )

    edited = folder / "edited.ifc"
    edited_copy(FZK_HAUS, edited, edit)
    old, new = snapshot_of(FZK_HAUS, folder), snapshot_of(edited, folder)
    return diff_elements(old.elements, new.elements, old_units=old.project.units, new_units=new.project.units)


def test_the_comparison_under_test(result: DiffResult) -> None:
    assert [(c.kind, c.global_id, c.field_names()) for c in result.changes] == [
        (REMOVED, DOORS[0], []),
        (REMOVED, DOORS[1], []),
        (CHANGED, WALL, ["Name", "AC_Pset_Name"]),
    ]


def test_table_sorts_and_filters_like_matching(qapp, result: DiffResult) -> None:
    model = ChangeTableModel()
    model.set_changes(result.changes)
    assert [model.index(r, COL_KIND).data() for r in range(3)] == ["Removed", "Removed", "Changed"]
    assert model.index(2, COL_WHAT).data() == "Name, −AC_Pset_Name"
    model.sort(COL_NAME, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, COL_NAME).data() for r in range(3)] == ["Zwischenwand", "Innentuer-2", "Innentuer-1"]
    for change_filter in (
        ChangeFilter.of(kinds={REMOVED}),
        ChangeFilter.of(kinds=set()),
        ChangeFilter.of(text="ac_pset_name"),
        ChangeFilter.of(classes={"IfcDoor"}, text="2"),
    ):
        model.set_filter(change_filter)
        expected = result.matching(
            kinds=change_filter.kinds,
            classes=change_filter.classes,
            storeys=change_filter.storeys,
            text=change_filter.text,
        )
        assert sorted(id(c) for c in model.visible_changes()) == sorted(id(c) for c in expected)
    # Sorted and filtered together: the filter keeps the sort order.
    model.set_filter(ChangeFilter.of(kinds={REMOVED}))
    assert [c.global_id for c in model.visible_changes()] == [DOORS[1], DOORS[0]]


def test_details_show_a_removed_property_set_with_its_values(qapp, result: DiffResult) -> None:
    panel = ChangeDetailsPanel()
    wall = result.changes[2]
    panel.show_change(wall, "v1", "v2")
    rows = panel.rows()
    assert ("Name", "Wand-Int-ERDG-4", "Zwischenwand") in rows
    assert ("AC_Pset_Name  (set removed)", "", "") in rows
    assert ("Name  (removed)", "Wand-Int-ERDG-4", "—") in rows
    assert what_changed(wall) == "Name, −AC_Pset_Name"


def test_summary_counts_by_class_and_storey(qapp, result: DiffResult) -> None:
    summary = CompareSummary()
    summary.set_result(result)
    assert summary.cards[REMOVED].value.text() == "2"
    assert summary.cards[CHANGED].value.text() == "1"
    assert summary.cards[ADDED].value.text() == "0"
    by_class = {summary.by_class.topLevelItem(i).text(0) for i in range(summary.by_class.topLevelItemCount())}
    assert by_class == {"IfcDoor", "IfcWallStandardCase"}
    # The doors' base quantities leave the totals: of the model, of the doors and of their storey.
    rows = summary.quantity_rows()
    assert {group for group, *_ in rows} == {"Whole model", "IfcDoor", "Erdgeschoss"}
    doors = result.summary.quantities_by_class["IfcDoor"]
    shown = {quantity: (before, after, change) for group, quantity, before, after, change in rows if group == "IfcDoor"}
    assert set(shown) == set(doors)
    for name, total in doors.items():
        before, after, change = shown[name]
        assert (float(before), float(after)) == (round(total.before, 3), round(total.after, 3))
        assert change.startswith("−") and float(change[1:].split()[0]) == pytest.approx(-total.delta, abs=1e-3)


def test_release_empties_element_lists_and_keeps_what_is_still_referenced() -> None:
    items = [{"n": i} for i in range(5_001)]
    kept = items[1234]
    release(items, [])
    assert items == []
    assert kept == {"n": 1234}


def test_long_lived_results_pause_the_collector_and_restore_it_from_several_threads() -> None:
    assert gc.isenabled()
    inside: list[bool] = []
    started = threading.Barrier(2)

    def work() -> None:
        with long_lived_results():
            started.wait(timeout=10)
            inside.append(gc.isenabled())
            with long_lived_results():
                inside.append(gc.isenabled())

    threads = [threading.Thread(target=work) for _ in range(2)]
    frozen_before = gc.get_freeze_count()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert inside == [False] * 4
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before
    gc.unfreeze()
