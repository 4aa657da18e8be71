"""The diff on edited copies of real models: every intended change is found, nothing else is reported."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.geometry
import ifcopenshell.api.material
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.util.element
import ifcopenshell.util.schema
import ifcopenshell.util.unit
import numpy as np
import pytest

from ifc_desktop.core.diff import ADDED, CHANGED, REMOVED, DiffResult, count_changes, diff_elements
from ifc_desktop.core.snapshot import Snapshot
from tests.diff_support import (
    DUPLEX,
    FZK_HAUS,
    edited_copy,
    move,
    renumber_step,
    snapshot_of,
    touch_owner_histories,
)


@dataclass(frozen=True)
class Sample:
    path: Path
    wall: str  # a wall no other placement depends on
    wall_storey: str
    other_storey: str  # GlobalId of another storey
    other_storey_name: str
    door: str
    door_pset: str  # an occurrence property set of the door used by the door alone
    door_property: str
    material_element: str
    class_element: str  # changes class from ``class_from`` to ``class_to``
    class_from: str
    class_to: str


FZK = Sample(
    path=FZK_HAUS,
    wall="2XPyKWY018sA1ygZKgQPtU",  # Wand-Int-ERDG-4
    wall_storey="Erdgeschoss",
    other_storey="273g3wqLzDtfYIl7qqkgcO",
    other_storey_name="Dachgeschoss",
    door="1Oms875aH3Wg$9l65H2ZGw",  # Innentuer-1
    door_pset="Pset_DoorCommon",
    door_property="ThermalTransmittance",
    material_element="2XPyKWY018sA1ygZKgQPtU",
    class_element="3jZHeNcfvDMf9wG$wx9XqG",  # Pfette-1-1, a purlin exported as IfcBeam
    class_from="IfcBeam",
    class_to="IfcMember",
)
DUPLEX_A = Sample(
    path=DUPLEX,
    wall="2O2Fr$t4X7Zf8NOew3FKau",  # Basic Wall:Party Wall - CMU ...
    wall_storey="Level 2",
    other_storey="1xS3BCk291UvhgP2dvNMKI",
    other_storey_name="Level 1",
    door="1hOSvn6df7F8_7GcBWlRGQ",  # M_Single-Flush:1250mm x 2010mm
    door_pset="Pset_DoorCommon",
    door_property="FireRating",
    material_element="2OrWItJ6zAwBNp0OUxK_l8",  # a steel beam
    class_element="2OrWItJ6zAwBNp0OUxK_l8",
    class_from="IfcBeam",
    class_to="IfcMember",
)
SAMPLES = [pytest.param(FZK, id="fzk_haus_ifc4"), pytest.param(DUPLEX_A, id="duplex_ifc2x3")]


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Snapshot]:
    temp = tmp_path_factory.mktemp("originals")
    return {sample.path: snapshot_of(sample.path, temp) for sample in (FZK, DUPLEX_A)}


def compare(old: Snapshot, new: Snapshot, **options) -> DiffResult:
    """The core diff, cross-checked against the fast counts the history list uses."""
    scales = {"old_length_scale": old.project.length_scale, "new_length_scale": new.project.length_scale}
    result = diff_elements(
        old.elements,
        new.elements,
        length_unit=new.project.length_unit,
        old_units=old.project.units,
        new_units=new.project.units,
        **scales,
        **options,
    )
    # As the history list counts: pairs whose hashes differ are compared in full (here the elements carry
    # their property sets already).
    fast = count_changes(
        old.elements,
        new.elements,
        tolerance=options.get("tolerance"),
        old_units=old.project.units,
        new_units=new.project.units,
        in_full=lambda _ids: (old.elements, new.elements),
        **scales,
    )
    assert fast.as_tuple() == result.counts.as_tuple()
    return result


def diff_after(
    sample: Sample, originals: dict[Path, Snapshot], tmp_path: Path, edit: Callable[[ifcopenshell.file], object], **kw
) -> tuple[DiffResult, object]:
    target = tmp_path / "edited copy é.ifc"
    outcome = edited_copy(sample.path, target, edit)
    return compare(originals[sample.path], snapshot_of(target, tmp_path), **kw), outcome


def shape(result: DiffResult) -> dict[tuple[str, str], list[str]]:
    """What the diff reports: {(kind, GlobalId): [changed fields]}."""
    return {(c.kind, c.global_id): c.field_names() for c in result.changes}


def only_change(result: DiffResult):
    assert len(result.changes) == 1
    return result.changes[0]


# -- edits --------------------------------------------------------------------------------


def own_pset(ifc: ifcopenshell.file, global_id: str, name: str) -> ifcopenshell.entity_instance:
    element = ifc.by_guid(global_id)
    for rel in element.IsDefinedBy:
        if rel.is_a("IfcRelDefinesByProperties") and rel.RelatingPropertyDefinition.Name == name:
            assert len(rel.RelatedObjects) == 1  # nobody else sees an edit of it
            return rel.RelatingPropertyDefinition
    raise LookupError(name)


# -- one edit at a time ---------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_rename_a_wall(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        wall = ifc.by_guid(sample.wall)
        old_name, wall.Name = wall.Name, "Renamed wall Ä"
        return old_name

    result, old_name = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(CHANGED, sample.wall): ["Name"]}
    field = only_change(result).fields[0]
    assert (field.old, field.new, field.category) == (old_name, "Renamed wall Ä", "attribute")
    assert result.summary.by_field == {"Name": 1}


@pytest.mark.parametrize("sample", SAMPLES)
def test_change_a_property_value_and_add_one(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        pset = own_pset(ifc, sample.door, sample.door_pset)
        old = next(p for p in pset.HasProperties if p.Name == sample.door_property)
        # A fresh property: exporters share property instances between sets.
        new = ifc.createIfcPropertySingleValue(old.Name, None, ifc.create_entity("IfcLabel", "changed ✓"), None)
        added = ifc.createIfcPropertySingleValue("AcousticRating", None, ifc.create_entity("IfcLabel", "42 dB"), None)
        pset.HasProperties = [new if p == old else p for p in pset.HasProperties] + [added]
        return old.NominalValue.wrappedValue

    result, old_value = diff_after(sample, originals, tmp_path, edit)
    changed = f"{sample.door_pset}.{sample.door_property}"
    added = f"{sample.door_pset}.AcousticRating"
    assert shape(result) == {(CHANGED, sample.door): [changed, added]}
    fields = {f.field: f for f in only_change(result).fields}
    assert (fields[changed].old, fields[changed].new, fields[changed].kind) == (old_value, "changed ✓", CHANGED)
    assert (fields[added].old, fields[added].new, fields[added].kind) == (None, "42 dB", ADDED)
    assert fields[changed].category == "property"


def test_change_a_quantity_and_remove_a_property_set(originals, tmp_path: Path) -> None:
    sample = FZK

    def edit(ifc):
        qto = own_pset(ifc, sample.wall, "BaseQuantities")
        ifcopenshell.api.pset.edit_qto(ifc, qto=qto, properties={"NetVolume": 9.5})
        ifcopenshell.api.pset.remove_pset(
            ifc, product=ifc.by_guid(sample.wall), pset=own_pset(ifc, sample.wall, "AC_Pset_Name")
        )

    result, _ = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(CHANGED, sample.wall): ["AC_Pset_Name", "BaseQuantities.NetVolume"]}
    fields = {f.field: f for f in only_change(result).fields}
    assert fields["AC_Pset_Name"].kind == REMOVED
    assert fields["AC_Pset_Name"].old == {"Name": "Wand-Int-ERDG-4"}
    assert fields["BaseQuantities.NetVolume"].category == "quantity"
    assert fields["BaseQuantities.NetVolume"].new == 9.5
    volume = result.summary.quantities_by_class["IfcWallStandardCase"]["NetVolume"]
    assert volume.delta == pytest.approx(9.5 - fields["BaseQuantities.NetVolume"].old)


@pytest.mark.parametrize("sample", SAMPLES)
def test_delete_a_door(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid(sample.door))

    result, _ = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(REMOVED, sample.door): []}
    change = only_change(result)
    assert change.ifc_class == "IfcDoor"
    assert change.old_step_id is not None and change.new_step_id is None
    assert result.summary.by_class == {"IfcDoor": result.counts}
    assert result.counts.as_tuple() == (0, 1, 0)
    door = next(e for e in originals[sample.path].elements if e.global_id == sample.door)
    doors = result.summary.quantities_by_class.get("IfcDoor", {})
    for name, total in doors.items():  # the door's own quantities leave the totals
        own = next((p.properties[name] for p in door.property_sets if p.kind == "qto" and name in p.properties), 0)
        assert total.delta == pytest.approx(-own)


@pytest.mark.parametrize("sample", SAMPLES)
def test_add_a_slab(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        storey = ifc.by_guid(sample.other_storey)
        slab = ifcopenshell.api.root.create_entity(ifc, ifc_class="IfcSlab", name="New slab", predefined_type="FLOOR")
        ifcopenshell.api.spatial.assign_container(ifc, products=[slab], relating_structure=storey)
        matrix = np.eye(4)
        matrix[:3, 3] = (1.0, 2.0, 3.0)
        ifcopenshell.api.geometry.edit_object_placement(ifc, product=slab, matrix=matrix, is_si=False)
        qto = ifcopenshell.api.pset.add_qto(ifc, product=slab, name="Qto_SlabBaseQuantities")
        ifcopenshell.api.pset.edit_qto(ifc, qto=qto, properties={"NetVolume": 3.0, "NetArea": 15.0})
        return slab.GlobalId

    result, slab_id = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(ADDED, slab_id): []}
    change = only_change(result)
    assert (change.ifc_class, change.name, change.storey) == ("IfcSlab", "New slab", sample.other_storey_name)
    assert result.summary.by_storey[sample.other_storey_name].added == 1
    slabs = result.summary.quantities_by_class["IfcSlab"]
    assert slabs["NetVolume"].delta == pytest.approx(3.0)
    assert slabs["NetArea"].delta == pytest.approx(15.0)
    assert slabs["NetVolume"].count_after == slabs["NetVolume"].count_before + 1
    assert result.summary.quantities_by_storey[sample.other_storey_name]["NetVolume"].delta == pytest.approx(3.0)


@pytest.mark.parametrize("sample", SAMPLES)
def test_move_an_element_to_another_storey(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        # Keeps the element where it is in the world (its placement is re-based on the new storey).
        ifcopenshell.api.spatial.assign_container(
            ifc, products=[ifc.by_guid(sample.wall)], relating_structure=ifc.by_guid(sample.other_storey)
        )

    result, _ = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(CHANGED, sample.wall): ["Storey"]}
    field = only_change(result).fields[0]
    assert (field.old, field.new) == (sample.wall_storey, sample.other_storey_name)
    assert only_change(result).storey == sample.other_storey_name


@pytest.mark.parametrize("sample", SAMPLES)
def test_change_a_material(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        element = ifc.by_guid(sample.material_element)
        ifcopenshell.api.material.unassign_material(ifc, products=[element])
        concrete = ifcopenshell.api.material.add_material(ifc, name="Concrete C30/37")
        ifcopenshell.api.material.assign_material(ifc, products=[element], type="IfcMaterial", material=concrete)

    result, _ = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {(CHANGED, sample.material_element): ["Materials"]}
    old = next(e for e in originals[sample.path].elements if e.global_id == sample.material_element)
    field = only_change(result).fields[0]
    assert (field.old, field.new) == (old.materials, ["Concrete C30/37"])


@pytest.mark.parametrize("sample", SAMPLES)
def test_change_a_class(sample: Sample, originals, tmp_path: Path) -> None:
    def edit(ifc):
        element = ifcopenshell.util.schema.reassign_class(ifc, ifc.by_guid(sample.class_element), sample.class_to)
        if ifc.schema != "IFC2X3":
            element.PredefinedType = "PURLIN"

    result, _ = diff_after(sample, originals, tmp_path, edit)
    expected = ["Class"] if sample.path == DUPLEX else ["Class", "PredefinedType"]
    assert shape(result) == {(CHANGED, sample.class_element): expected}
    change = only_change(result)
    assert (change.fields[0].old, change.fields[0].new) == (sample.class_from, sample.class_to)
    assert change.ifc_class == sample.class_to
    assert result.summary.by_class == {sample.class_to: result.counts}


def test_change_a_class_through_its_type(originals, tmp_path: Path) -> None:
    """ifcopenshell's reassign_class changes the type too (IFC4), and so every occurrence of that type."""
    sample = FZK

    def edit(ifc):
        element = ifc.by_guid(sample.class_element)
        siblings = [
            e.GlobalId for e in ifcopenshell.util.element.get_types(ifcopenshell.util.element.get_type(element))
        ]
        ifcopenshell.api.root.reassign_class(ifc, product=element, ifc_class="IfcMember", predefined_type="PURLIN")
        return siblings

    result, siblings = diff_after(sample, originals, tmp_path, edit)
    assert len(siblings) == 3
    assert shape(result) == {(CHANGED, gid): ["Class", "PredefinedType", "Type"] for gid in siblings}
    type_field = result.changes[0].fields[2]
    assert (type_field.old, type_field.new) == ("(unnamed) (IfcBeamType)", "(unnamed) (IfcMemberType)")


@pytest.mark.parametrize("sample", SAMPLES)
def test_move_by_one_metre_is_reported(sample: Sample, originals, tmp_path: Path) -> None:
    result, _ = diff_after(sample, originals, tmp_path, lambda ifc: move(ifc, sample.wall, (1.0, 0.0, 0.0)))
    assert shape(result) == {(CHANGED, sample.wall): ["Placement"]}
    field = only_change(result).fields[0]
    assert field.note == "moved 1 m"
    assert np.subtract(field.new["origin"], field.old["origin"]) == pytest.approx([1.0, 0.0, 0.0])
    assert field.new["x_axis"] == pytest.approx(field.old["x_axis"])


@pytest.mark.parametrize("sample", SAMPLES)
def test_move_by_a_hundredth_of_a_millimetre_is_not_reported(sample: Sample, originals, tmp_path: Path) -> None:
    target = tmp_path / "nudged.ifc"
    edited_copy(sample.path, target, lambda ifc: move(ifc, sample.wall, (0.00001, 0.0, 0.0)))
    nudged = snapshot_of(target, tmp_path)
    assert compare(originals[sample.path], nudged).changes == []
    # It did move, by less than the default 1 mm: a finer tolerance sees it.
    fine = compare(originals[sample.path], nudged, tolerance=0.000001)
    assert shape(fine) == {(CHANGED, sample.wall): ["Placement"]}
    assert fine.changes[0].fields[0].note == "moved 0.00001 m"


@pytest.mark.parametrize("sample", SAMPLES)
def test_turning_is_reported_and_rounding_is_not(sample: Sample, originals, tmp_path: Path) -> None:
    result, _ = diff_after(sample, originals, tmp_path, lambda ifc: move(ifc, sample.wall, turn=math.pi / 2))
    assert shape(result) == {(CHANGED, sample.wall): ["Placement"]}
    assert result.changes[0].fields[0].note == "turned 90°"

    result, _ = diff_after(sample, originals, tmp_path, lambda ifc: move(ifc, sample.wall, turn=1e-7))
    assert result.changes == []


def test_moving_a_wall_moves_its_opening_but_not_the_door_in_it(originals, tmp_path: Path) -> None:
    """World positions are compared: what a move carries along is reported, nothing else."""
    wall = "3PfS__Y_DBAfq5naM6zD2Z"  # Wand-Int-ERDG-2, holding the opening of Innentuer-1
    opening = "0LM8GvGe$G3dlW4mZ4aA9R"
    result, _ = diff_after(FZK, originals, tmp_path, lambda ifc: move(ifc, wall, (1.0, 0.0, 0.0)))
    assert shape(result) == {(CHANGED, wall): ["Placement"], (CHANGED, opening): ["Placement"]}


# -- all at once ------------------------------------------------------------------------------


def test_many_edits_in_one_version_are_each_found(originals, tmp_path: Path) -> None:
    sample = FZK
    renamed_door = "0pGAjlJMP3ifYPATVF5xAR"  # Innentuer-2

    def edit(ifc):
        ifc.by_guid(renamed_door).Name = "Door 2"
        ifcopenshell.api.root.remove_product(ifc, product=ifc.by_guid(sample.door))
        move(ifc, sample.wall, (0.0, 1.0, 0.0))
        ifcopenshell.api.spatial.assign_container(
            ifc, products=[ifc.by_guid(sample.wall)], relating_structure=ifc.by_guid(sample.other_storey)
        )
        element = ifcopenshell.util.schema.reassign_class(ifc, ifc.by_guid(sample.class_element), "IfcMember")
        element.PredefinedType = "PURLIN"
        slab = ifcopenshell.api.root.create_entity(ifc, ifc_class="IfcSlab", name="New slab")
        ifcopenshell.api.spatial.assign_container(
            ifc, products=[slab], relating_structure=ifc.by_guid(sample.other_storey)
        )
        touch_owner_histories(ifc)
        return slab.GlobalId

    result, slab_id = diff_after(sample, originals, tmp_path, edit)
    assert shape(result) == {
        (ADDED, slab_id): [],
        (REMOVED, sample.door): [],
        (CHANGED, renamed_door): ["Name"],
        (CHANGED, sample.wall): ["Storey", "Placement"],
        (CHANGED, sample.class_element): ["Class", "PredefinedType"],
    }
    # Added first, then removed, then changed; each group by class and name.
    assert [c.kind for c in result.changes] == [ADDED, REMOVED, CHANGED, CHANGED, CHANGED]
    assert result.counts.as_tuple() == (1, 1, 3)
    assert result.summary.unchanged == len(originals[sample.path].elements) - 1 - 3


# -- what must never count --------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_identical_file_has_no_changes(sample: Sample, originals, tmp_path: Path) -> None:
    again = snapshot_of(sample.path, tmp_path)
    result = compare(originals[sample.path], again)
    assert result.changes == [] and result.duplicates == []
    assert result.counts.as_tuple() == (0, 0, 0)
    assert result.summary.unchanged == len(again.elements)
    assert "No differences." in result.format_text()


@pytest.mark.parametrize("sample", SAMPLES)
def test_renumbered_reordered_re_export_has_no_changes(sample: Sample, originals, tmp_path: Path) -> None:
    touched = tmp_path / "touched.ifc"
    edited_copy(sample.path, touched, touch_owner_histories)
    shuffled = tmp_path / "renumbered and reordered.ifc"
    renumber_step(touched, shuffled, seed=11)
    old, new = originals[sample.path], snapshot_of(shuffled, tmp_path)

    old_ids = {e.global_id: e.step_id for e in old.elements}
    moved_ids = sum(1 for e in new.elements if old_ids[e.global_id] != e.step_id)
    assert moved_ids > 0.95 * len(new.elements)  # the rewrite really renumbered
    assert [e.global_id for e in new.elements] != [e.global_id for e in old.elements]  # and reordered

    result = compare(old, new)
    assert result.changes == []
    assert result.summary.unchanged == len(old.elements)
    # The content hashes agree too, so the fast path carried the comparison.
    assert {e.global_id: e.content_hash for e in new.elements} == {e.global_id: e.content_hash for e in old.elements}


def test_renumbering_keeps_every_reference(tmp_path: Path) -> None:
    """The STEP rewrite itself: same instances, same graph, different ids and order."""
    shuffled = tmp_path / "shuffled.ifc"
    mapping = renumber_step(FZK_HAUS, shuffled, seed=3)
    original, rewritten = ifcopenshell.open(str(FZK_HAUS)), ifcopenshell.open(str(shuffled))
    assert sum(1 for _ in rewritten) == sum(1 for _ in original) == len(mapping)
    assert sum(1 for old, new in mapping.items() if old != new) > 0.95 * len(mapping)
    for entity in original.by_type("IfcRelContainedInSpatialStructure"):
        twin = rewritten.by_id(mapping[entity.id()])
        assert twin.is_a() == entity.is_a() and twin.GlobalId == entity.GlobalId
        assert [mapping[e.id()] for e in entity.RelatedElements] == [e.id() for e in twin.RelatedElements]


def test_unit_change_alone_is_no_change(originals, tmp_path: Path) -> None:
    """The same model exported in millimetres: placements, lengths and quantities all agree."""
    sample = FZK
    target = tmp_path / "in millimetres.ifc"
    ifcopenshell.util.unit.convert_file_length_units(ifcopenshell.open(str(sample.path)), "MILLIMETER").write(
        str(target)
    )
    old, new = originals[sample.path], snapshot_of(target, tmp_path)
    assert (new.project.length_unit, new.project.length_scale) == ("millimetre", pytest.approx(0.001))
    result = compare(old, new)
    assert result.changes == []
    assert result.tolerance == pytest.approx(1.0)  # 1 mm, in the new unit
    assert any("length unit changed" in w for w in result.warnings)
    for total in result.summary.quantities.values():
        assert total.after == pytest.approx(total.before, rel=1e-9), total

    # A real move in the millimetre model is still found, and shown in millimetres.
    moved = tmp_path / "in millimetres, moved.ifc"
    edited_copy(target, moved, lambda ifc: move(ifc, sample.wall, (1000.0, 0.0, 0.0)))
    result = compare(old, snapshot_of(moved, tmp_path))
    assert shape(result) == {(CHANGED, sample.wall): ["Placement"]}
    assert result.changes[0].fields[0].note == "moved 1000 mm"


# -- duplicate GlobalIds -----------------------------------------------------------------------


def test_duplicate_global_ids_are_reported_not_fatal(originals, tmp_path: Path) -> None:
    sample = FZK
    first, second = "2XPyKWY018sA1ygZKgQPtU", "3PfS__Y_DBAfq5naM6zD2Z"

    def edit(ifc):
        ifc.by_guid(second).GlobalId = first  # a broken exporter reuses a GlobalId

    duplicated = tmp_path / "duplicated.ifc"
    edited_copy(sample.path, duplicated, edit)
    old, new = originals[sample.path], snapshot_of(duplicated, tmp_path)
    result = compare(old, new)
    assert [(d.global_id, d.old_count, d.new_count) for d in result.duplicates] == [(first, 1, 2)]
    # The unchanged wall keeps its pair; the reused id shows as the other wall removed and re-added.
    assert shape(result) == {(REMOVED, second): [], (ADDED, first): []}
    added = next(c for c in result.changes if c.kind == ADDED)
    assert added.duplicate and added.name == "Wand-Int-ERDG-2"
    assert "GlobalIds used more than once" in result.format_text()

    # The same broken model re-exported (renumbered, reordered): no changes, the duplicate still listed.
    shuffled = tmp_path / "duplicated, shuffled.ifc"
    renumber_step(duplicated, shuffled, seed=5)
    again = compare(new, snapshot_of(shuffled, tmp_path))
    assert again.changes == []
    assert [(d.global_id, d.old_count, d.new_count) for d in again.duplicates] == [(first, 2, 2)]
