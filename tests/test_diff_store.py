"""Comparing versions kept in the store: the same answer as comparing the files directly."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.root
import ifcopenshell.guid
import ifcopenshell.util.unit
import pytest

from ifc_desktop.core.diff import ADDED, CHANGED, REMOVED, diff_elements
from ifc_desktop.core.snapshot import Snapshot
from ifc_desktop.store import Store
from ifc_desktop.store.compare import change_counts_against_previous, compare_versions, project_changes
from tests.diff_support import DUPLEX, FZK_HAUS, edited_copy, move, renumber_step, snapshot_of

WALL, DOOR, OTHER_WALL = "2XPyKWY018sA1ygZKgQPtU", "1Oms875aH3Wg$9l65H2ZGw", "3PfS__Y_DBAfq5naM6zD2Z"


def save(store: Store, snapshot: Snapshot, path: Path) -> int:
    data = path.read_bytes()
    info = store.save_version(snapshot, source_path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    assert info.created
    return info.model_id


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    """Four versions of FZK-Haus: original, edited, edited re-exported, edited in millimetres."""
    folder = tmp_path_factory.mktemp("Versionen ä")
    first = folder / "FZK-Haus v1.ifc"
    first.write_bytes(FZK_HAUS.read_bytes())

    def edit(ifc: ifcopenshell.file) -> None:
        ifc.by_guid(WALL).Name = "Wand umbenannt"
        ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid(DOOR))
        move(ifc, OTHER_WALL, (1.0, 0.0, 0.0))

    second = folder / "FZK-Haus v2.ifc"
    edited_copy(first, second, edit)
    third = folder / "FZK-Haus v3 renumbered.ifc"
    renumber_step(second, third)
    fourth = folder / "FZK-Haus v4 mm.ifc"
    ifcopenshell.util.unit.convert_file_length_units(ifcopenshell.open(str(third)), "MILLIMETER").write(str(fourth))

    snapshots = [snapshot_of(path, folder) for path in (first, second, third, fourth)]
    store = Store.open(folder / "data")
    try:
        model_ids = {
            save(store, snapshot, path)
            for snapshot, path in zip(snapshots, (first, second, third, fourth), strict=True)
        }
        assert len(model_ids) == 1  # one model, four versions
        yield store, model_ids.pop(), snapshots
    finally:
        store.close()


def test_compare_versions_matches_the_diff_of_the_files(history) -> None:
    store, model_id, snapshots = history
    result = compare_versions(store, model_id, 1, 2)
    assert {(c.kind, c.global_id): c.field_names() for c in result.changes} == {
        (REMOVED, DOOR): [],
        (CHANGED, WALL): ["Name"],
        (CHANGED, OTHER_WALL): ["Placement"],
        (CHANGED, "0LM8GvGe$G3dlW4mZ4aA9R"): ["Placement"],  # the opening placed relative to that wall
    }
    assert result.old_label == "version 1 (FZK-Haus v1.ifc)"
    direct = diff_elements(
        snapshots[0].elements,
        snapshots[1].elements,
        old_units=snapshots[0].project.units,
        new_units=snapshots[1].project.units,
        old_label=result.old_label,
        new_label=result.new_label,
    )
    assert result.to_dict() == direct.to_dict()  # nothing is lost on the way through the database


def test_re_export_and_unit_change_compare_as_no_change(history) -> None:
    store, model_id, _ = history
    assert compare_versions(store, model_id, 2, 3).changes == []
    in_mm = compare_versions(store, model_id, 3, 4)
    assert in_mm.changes == [] and in_mm.length_unit == "millimetre"
    # No element changed, but the file as a whole did: the comparison says so rather than "No differences".
    assert [(f.field, f.old, f.new) for f in in_mm.project_changes] == [("Length unit", "metre", "millimetre")]
    text = in_mm.format_text()
    assert "Project:" in text and "metre" in text and "No differences" not in text
    assert in_mm.rows()[0][2:8] == ("(project)", "", "", "Length unit", "metre", "millimetre")
    assert compare_versions(store, model_id, 2, 3).project_changes == []
    # A unit name stored in capitals by an earlier release is the same unit.
    version = store.get_version(model_id, 3)
    assert project_changes(replace(version, length_unit="INCH"), replace(version, length_unit="inch")) == []
    backwards = compare_versions(store, model_id, 2, 1)
    assert {(c.kind, c.global_id) for c in backwards.changes if c.kind != CHANGED} == {(ADDED, DOOR)}


def test_tolerance_is_in_the_newer_versions_unit(history) -> None:
    store, model_id, _ = history
    assert compare_versions(store, model_id, 1, 4).tolerance == pytest.approx(1.0)  # 1 mm
    coarse = compare_versions(store, model_id, 1, 4, tolerance=1500.0)  # 1.5 m: the 1 m move disappears
    assert {c.global_id for c in coarse.changes} == {DOOR, WALL}


def test_change_counts_against_previous(history) -> None:
    store, model_id, snapshots = history
    assert change_counts_against_previous(store, model_id) == {
        1: (len(snapshots[0].elements), 0, 0),
        2: (0, 1, 3),
        3: (0, 0, 0),
        4: (0, 0, 0),
    }


def test_missing_version_is_a_lookup_error(history) -> None:
    store, model_id, _ = history
    with pytest.raises(LookupError):
        compare_versions(store, model_id, 1, 9)


def test_change_counts_reuse_a_kept_cache(history) -> None:
    store, model_id, _ = history
    cache: dict = {}
    first = change_counts_against_previous(store, model_id, cache=cache)
    loads: list[int] = []

    class CountingStore:  # the real store, with its loads counted
        def __getattr__(self, name: str):
            return getattr(store, name)

        def load_elements(self, version_id: int, **options):
            loads.append(version_id)
            return store.load_elements(version_id, **options)

    assert change_counts_against_previous(CountingStore(), model_id, cache=cache) == first
    assert loads == []
    del cache[max(cache)]  # as if the newest version had just been imported
    assert change_counts_against_previous(CountingStore(), model_id, cache=cache) == first
    # Versions 3 and 4 only: without property sets, then with them for the elements whose hashes
    # differ (all of them: the length units differ).
    assert loads == [3, 4, 3, 4]


def test_cli_diff_after_real_imports(data_dir: Path, tmp_path: Path) -> None:
    """``ifc-desktop process`` two exports, then ``ifc-desktop diff`` them: text, JSON and CSV."""
    import csv
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    first, second = tmp_path / "Haus v1.ifc", tmp_path / "Haus v2 é.ifc"
    first.write_bytes(FZK_HAUS.read_bytes())
    edited_copy(first, second, lambda ifc: setattr(ifc.by_guid(WALL), "Name", "Wand umbenannt"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ifc_desktop", *args, "--data-dir", str(data_dir)]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)

    imported = cli("process", str(first), str(second), "--workers", "1")
    assert imported.returncode == 0, imported.stderr

    text = cli("diff", "1", "1", "2")
    assert text.returncode == 0, text.stderr
    assert "+0 added  −0 removed  ~1 changed" in text.stdout
    assert "    Name: 'Wand-Int-ERDG-4' → 'Wand umbenannt'" in text.stdout

    as_json = cli("diff", "1", "1", "2", "--json")
    data = json.loads(as_json.stdout)
    assert [(c["kind"], c["global_id"]) for c in data["changes"]] == [(CHANGED, WALL)]
    assert data["old"] == "version 1 (Haus v1.ifc)"

    table = tmp_path / "Änderungen.csv"
    assert cli("diff", "1", "1", "2", "--csv", str(table)).returncode == 0
    with open(table, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:2] + rows[1][5:8] == [CHANGED, WALL, "Name", "Wand-Int-ERDG-4", "Wand umbenannt"]

    missing = cli("diff", "1", "1", "7")
    assert missing.returncode == 2 and "version" in missing.stderr.lower()


def test_history_counts_agree_with_the_compare_view_where_content_hashes_differ_but_nothing_changed(tmp_path):
    """A re-export with floating-point noise on every quantity and classifications related in
    another order: no change for the compare view, so none in the history either."""
    first = tmp_path / "Duplex.ifc"
    first.write_bytes(DUPLEX.read_bytes())

    def re_export(ifc: ifcopenshell.file) -> None:
        for quantity in ifc.by_type("IfcPhysicalSimpleQuantity"):
            if isinstance(quantity[3], float):
                quantity[3] = quantity[3] * (1 + 3e-12)
        walls = ifc.by_type("IfcWall")[:5]
        for system in ("Uniformat", "OmniClass"):
            reference = ifc.createIfcClassificationReference(None, f"{system}-1", system)
            ifc.createIfcRelAssociatesClassification(ifcopenshell.guid.new(), None, None, None, walls, reference)

    def reordered(ifc: ifcopenshell.file) -> None:
        re_export(ifc)
        for rel in ifc.by_type("IfcRelAssociatesClassification")[-2:]:  # the same two, related the other way round
            ifc.remove(rel)
        walls = ifc.by_type("IfcWall")[:5]
        for reference in reversed(ifc.by_type("IfcClassificationReference")[-2:]):
            ifc.createIfcRelAssociatesClassification(ifcopenshell.guid.new(), None, None, None, walls, reference)

    plain = tmp_path / "Duplex classified.ifc"
    edited_copy(first, plain, re_export)
    noisy = tmp_path / "Duplex re-exported.ifc"
    edited_copy(first, noisy, reordered)
    with Store.open(tmp_path / "data") as store:
        model_ids = {save(store, snapshot_of(path, tmp_path / "t"), path) for path in (plain, noisy)}
        [model_id] = model_ids
        counts = change_counts_against_previous(store, model_id)
        result = compare_versions(store, model_id, 1, 2)
    assert result.changes == []
    assert counts[2] == (0, 0, 0)
