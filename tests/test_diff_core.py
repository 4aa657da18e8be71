"""The diff engine on hand-built element lists: matching, noise, units, duplicates, result shapes."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from ifc_desktop.core.diff import (
    ADDED,
    CHANGED,
    REMOVED,
    count_changes,
    diff_elements,
    effective_psets,
    match_elements,
)
from ifc_desktop.core.snapshot import Classification, Element, PropertySet, UnitInfo

STOREY_1, STOREY_2 = "0STOREY1_______________", "0STOREY2_______________"
IDENTITY_AXES = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def storey(gid: str, name: str, step_id: int = 1) -> Element:
    return Element(global_id=gid, ifc_class="IfcBuildingStorey", step_id=step_id, name=name, content_hash=f"h-{gid}")


def wall(gid: str = "1WALL_________________", **changes) -> Element:
    base = Element(
        global_id=gid,
        ifc_class="IfcWall",
        step_id=10,
        name="Wall",
        container_global_id=STOREY_1,
        storey_global_id=STOREY_1,
        materials=["Concrete"],
        property_sets=[
            PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 60", "IsExternal": True}),
            PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"Length": 4.0, "NetVolume": 2.0}),
        ],
        placement=(1.0, 2.0, 0.0, *IDENTITY_AXES),
        content_hash="h-wall",
    )
    return replace(base, **changes)


def model(*elements: Element) -> list[Element]:
    return [storey(STOREY_1, "Ground floor"), storey(STOREY_2, "First floor", 2), *elements]


def kinds(result) -> dict[tuple[str, str], list[str]]:
    return {(c.kind, c.global_id): c.field_names() for c in result.changes}


def differ(old: Element, new: Element, **kw):
    """Diff two versions of one wall; hashes differ so every field is compared."""
    return diff_elements(model(old), model(replace(new, content_hash="h-other")), **kw)


# -- matching and fields ---------------------------------------------------------------------


def test_added_removed_changed_and_unchanged() -> None:
    old = model(wall("A"), wall("B"), wall("C"))
    new = model(wall("A"), wall("C", name="C2", content_hash="x"), wall("D"))
    result = diff_elements(old, new)
    assert kinds(result) == {(ADDED, "D"): [], (REMOVED, "B"): [], (CHANGED, "C"): ["Name"]}
    assert result.counts.as_tuple() == (1, 1, 1)
    assert result.summary.unchanged == 3  # two storeys and A
    assert result.summary.by_storey == {"Ground floor": result.counts}


def test_every_attribute_and_relation_is_compared() -> None:
    new = wall(
        ifc_class="IfcWallStandardCase",
        predefined_type="SOLIDWALL",
        name="W2",
        description="d",
        object_type="o",
        tag="t",
        long_name="l",
        type_class="IfcWallType",
        type_name="Basic 200",
        parent_global_id="0ASSEMBLY_____________",
        materials=["Concrete", "Insulation"],
        classifications=[Classification("Uniclass", "Ss_25", "Walls")],
    )
    result = differ(wall(), new)
    assert result.changes[0].field_names() == [
        "Class",
        "PredefinedType",
        "Name",
        "Description",
        "ObjectType",
        "Tag",
        "LongName",
        "Type",
        "Parent",
        "Materials",
        "Classifications",
    ]
    fields = {f.field: f for f in result.changes[0].fields}
    assert (fields["Type"].old, fields["Type"].new) == (None, "Basic 200 (IfcWallType)")
    assert fields["Classifications"].new == ["Uniclass: Ss_25 Walls"]
    assert fields["Materials"].old == ["Concrete"]


def test_storey_change_is_one_field_and_a_space_container_is_named() -> None:
    moved = differ(wall(), wall(container_global_id=STOREY_2, storey_global_id=STOREY_2))
    assert kinds(moved) == {(CHANGED, "1WALL_________________"): ["Storey"]}
    assert (moved.changes[0].fields[0].old, moved.changes[0].fields[0].new) == ("Ground floor", "First floor")

    space = Element(global_id="0SPACE", ifc_class="IfcSpace", step_id=5, name="Kitchen", storey_global_id=STOREY_2)
    into_space = diff_elements(
        [*model(wall()), space],
        [*model(wall(container_global_id="0SPACE", storey_global_id=STOREY_2, content_hash="x")), space],
    )
    change = into_space.changes[0]
    assert change.field_names() == ["Container", "Storey"]
    assert (change.fields[0].old, change.fields[0].new) == ("Ground floor", "Kitchen")


def test_property_changes_added_removed_and_whole_sets() -> None:
    new = wall(
        property_sets=[
            PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 90", "AcousticRating": "45"}),
            PropertySet("Pset_Custom", "pset", "occurrence", {"Owner": "Us"}),
        ]
    )
    change = differ(wall(), new).changes[0]
    got = {f.field: (f.kind, f.old, f.new, f.category) for f in change.fields}
    assert got == {
        "Pset_WallCommon.FireRating": (CHANGED, "REI 60", "REI 90", "property"),
        "Pset_WallCommon.IsExternal": (REMOVED, True, None, "property"),
        "Pset_WallCommon.AcousticRating": (ADDED, None, "45", "property"),
        "Qto_WallBaseQuantities": (REMOVED, {"Length": 4.0, "NetVolume": 2.0}, None, "quantity"),
        "Pset_Custom": (ADDED, None, {"Owner": "Us"}, "property"),
    }


def test_type_values_are_overridden_by_occurrence_values() -> None:
    from_type = [PropertySet("Pset_WallCommon", "pset", "type", {"FireRating": "REI 60", "Status": "New"})]
    on_occurrence = [
        PropertySet("Pset_WallCommon", "pset", "type", {"Status": "New"}),
        PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 60"}),
    ]
    assert effective_psets(from_type) == effective_psets(on_occurrence)
    assert differ(wall(property_sets=from_type), wall(property_sets=on_occurrence)).changes == []

    overridden = [*from_type, PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "EI 30"})]
    assert effective_psets(overridden)["Pset_WallCommon"][1] == {"FireRating": "EI 30", "Status": "New"}


def test_a_change_made_on_the_type_says_so_and_rows_say_what_was_added_or_removed() -> None:
    def typed(status: str, fire_rating: str | None = None) -> Element:
        sets = [PropertySet("Pset_WallCommon", "pset", "type", {"Status": status, "FireRating": "REI 60"})]
        if fire_rating is not None:
            sets.append(PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": fire_rating}))
        return wall(type_name="Basic Wall:Exterior", type_class="IfcWallType", property_sets=sets)

    change = differ(typed("New", "REI 90"), typed("Existing")).changes[0]
    notes = {f.field: (f.kind, f.note) for f in change.fields}
    assert notes == {
        "Pset_WallCommon.Status": (CHANGED, "from type Basic Wall:Exterior"),
        # The element's own value is gone; the type's shows through: an edit of the element.
        "Pset_WallCommon.FireRating": (CHANGED, None),
    }
    emptied = wall(property_sets=[PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": ""})])
    rows = diff_elements(model(wall()), model(replace(emptied, content_hash="h-other"))).rows()
    by_field = {row[5]: (row[7], row[8]) for row in rows}
    assert by_field["Pset_WallCommon.FireRating"] == ("", "")  # emptied: a change, no note
    assert by_field["Pset_WallCommon.IsExternal"] == (None, "removed")
    assert by_field["Qto_WallBaseQuantities"][1] == "removed"


def test_same_named_sets_merge_in_content_order_not_file_order() -> None:
    a = PropertySet("Pset_X", "pset", "occurrence", {"P": 1})
    b = PropertySet("Pset_X", "pset", "occurrence", {"P": 2})
    assert effective_psets([a, b]) == effective_psets([b, a])
    assert differ(wall(property_sets=[a, b]), wall(property_sets=[b, a])).changes == []


def test_classification_order_is_not_a_change() -> None:
    refs = [Classification("Uniclass", "Ss_25", "Walls"), Classification("OmniClass", "21-02", None)]
    assert differ(wall(classifications=refs), wall(classifications=refs[::-1])).changes == []


# -- noise and tolerances -----------------------------------------------------------------------


def test_float_noise_is_not_a_change_but_real_differences_are() -> None:
    noisy = wall(
        property_sets=[
            PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 60", "IsExternal": True}),
            PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"Length": 4.0000000000001, "NetVolume": 2}),
        ],
        placement=(1.0 + 1e-9, 2.0 - 1e-12, 1e-15, 1.0, 1e-13, 0.0, 0.0, 0.0, 1.0),
    )
    assert differ(wall(), noisy).changes == []

    real = wall(
        property_sets=[
            PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 60", "IsExternal": 1}),
            PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"Length": 4.0001, "NetVolume": 2.0}),
        ]
    )
    change = differ(wall(), real).changes[0]
    # A boolean is not the number 1, and 0.1 mm in 4 m is a real edit.
    assert change.field_names() == ["Pset_WallCommon.IsExternal", "Qto_WallBaseQuantities.Length"]


def test_placement_and_storey_are_checked_even_when_hashes_match() -> None:
    moved = wall(placement=(1.0, 2.0, 0.5, *IDENTITY_AXES), storey_global_id=STOREY_2)
    result = diff_elements(model(wall()), model(moved))  # same content hash
    assert kinds(result) == {(CHANGED, "1WALL_________________"): ["Storey", "Placement"]}
    assert result.changes[0].fields[1].note == "moved 0.5 m"


def test_tolerance_is_in_model_units() -> None:
    in_mm = dict(old_length_scale=0.001, new_length_scale=0.001, length_unit="millimetre")
    nudged = wall(placement=(1.0 + 0.8, 2.0, 0.0, *IDENTITY_AXES))  # 0.8 mm
    assert diff_elements(model(wall()), model(nudged), **in_mm).changes == []
    result = diff_elements(model(wall()), model(nudged), tolerance=0.5, **in_mm)
    assert result.changes[0].fields[0].note == "moved 0.8 mm"
    assert result.tolerance == 0.5


def test_rotation_beyond_the_angular_tolerance() -> None:
    turned = wall(placement=(1.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0))
    result = diff_elements(model(wall()), model(turned))
    assert result.changes[0].fields[0].note == "turned 90°"
    assert diff_elements(model(wall()), model(turned), angular_tolerance=2.0).changes == []


def test_unknown_placement_on_one_side_is_reported() -> None:
    result = diff_elements(model(wall()), model(wall(placement=None)))
    field = result.changes[0].fields[0]
    assert (field.field, field.new, field.note) == ("Placement", None, "position no longer known")


def test_unit_change_compares_lengths_not_numbers() -> None:
    in_mm = wall(
        placement=(1000.0, 2000.0, 0.0, *IDENTITY_AXES),
        property_sets=[
            PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "REI 60", "IsExternal": True}),
            PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"Length": 4000.0, "NetVolume": 2.0}),
        ],
        content_hash="h-mm",
    )
    scales = dict(old_length_scale=1.0, new_length_scale=0.001, length_unit="millimetre")
    result = diff_elements(model(wall()), model(in_mm), **scales)
    assert result.changes == []
    assert result.summary.quantities["Length"].before == pytest.approx(4000.0)
    old, new = model(wall()), model(in_mm)
    assert count_changes(old, new, in_full=lambda _ids: (old, new), old_length_scale=1.0, new_length_scale=0.001) == (
        result.counts
    )

    longer = replace(
        in_mm,
        property_sets=[
            in_mm.property_sets[0],
            replace(in_mm.property_sets[1], properties={"Length": 4100.0, "NetVolume": 2.0}),
        ],
    )
    change = diff_elements(model(wall()), model(longer), **scales).changes[0]
    assert change.field_names() == ["Qto_WallBaseQuantities.Length"]


# -- duplicates -----------------------------------------------------------------------------------


def test_duplicates_pair_identical_elements_first() -> None:
    twin_a = wall("DUP", step_id=11, name="A", content_hash="ha")
    twin_b = wall("DUP", step_id=12, name="B", content_hash="hb", placement=(5.0, 0.0, 0.0, *IDENTITY_AXES))
    old = model(twin_a, twin_b)
    new = model(replace(twin_b, step_id=99), replace(twin_a, step_id=98))  # renumbered and reordered
    result = diff_elements(old, new)
    assert result.changes == []
    assert [(d.global_id, d.old_count, d.new_count, d.ifc_classes) for d in result.duplicates] == [
        ("DUP", 2, 2, ["IfcWall"])
    ]


def test_duplicate_pairing_is_independent_of_input_order() -> None:
    rng = random.Random(4)
    old = model(*(wall("DUP", step_id=i, name=f"W{i % 3}", content_hash=f"h{i}") for i in range(6)), wall("Z"))
    new = model(
        *(wall("DUP", step_id=100 + i, name=f"W{i % 3}", content_hash=f"h{i + 2}") for i in range(5)),
        wall("Z", name="Z2", content_hash="z"),
    )

    def without_step_ids(data: dict) -> dict:  # step ids say where an element sits, not what it is
        for change in data["changes"]:
            del change["old_step_id"], change["new_step_id"]
        return data

    expected = without_step_ids(diff_elements(old, new).to_dict())
    for _ in range(5):
        rng.shuffle(old)
        rng.shuffle(new)
        assert without_step_ids(diff_elements(old, new).to_dict()) == expected
    _, removed, added, _ = match_elements(old, new)
    assert (len(removed), len(added)) == (1, 0)
    assert all(c.duplicate for c in diff_elements(old, new).changes if c.global_id == "DUP")


def test_elements_without_global_id_do_not_crash() -> None:
    blank = [wall("", name="x", content_hash="1"), wall("", name="y", content_hash="2")]
    result = diff_elements(model(*blank), model(blank[0]))
    assert result.counts.as_tuple() == (0, 1, 0)
    assert result.duplicates[0].global_id == ""


# -- result shapes ----------------------------------------------------------------------------------


def test_storey_labels_are_unique() -> None:
    old = [storey("S1", "Level"), storey("S2", "Level", 2), wall(storey_global_id="S1")]
    new = [storey("S1", "Level"), storey("S2", "Level", 2), wall(storey_global_id="S2")]
    field = diff_elements(old, new).changes[0].fields[0]
    assert (field.old, field.new) == ("Level [S1]", "Level [S2]")
    named = diff_elements(old, new, storey_names={"S1": "EG", "S2": "OG"}).changes[0].fields[0]
    assert (named.old, named.new) == ("EG", "OG")


def test_summary_rows_json_and_text() -> None:
    old = model(wall("A"), wall("B", ifc_class="IfcDoor"))
    new = model(wall("A", name="=cmd()", content_hash="x", placement=(2.0, 2.0, 0.0, *IDENTITY_AXES)), wall("C"))
    result = diff_elements(old, new, old_label="version 1", new_label="version 2")
    s = result.summary
    assert {k: v.as_tuple() for k, v in s.by_class.items()} == {"IfcDoor": (0, 1, 0), "IfcWall": (1, 0, 1)}
    assert s.by_field == {"Name": 1, "Placement": 1}
    assert s.quantities_by_class["IfcDoor"]["NetVolume"].after == 0.0
    assert s.quantities["NetVolume"].before == s.quantities["NetVolume"].after == 4.0

    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["summary"]["added"] == 1 and data["changes"][2]["fields"][0]["field"] == "Name"
    assert data["changes"][2]["fields"][1]["old"]["origin"] == [1.0, 2.0, 0.0]

    rows = result.rows()
    assert rows[0] == ("added", "C", "IfcWall", "Wall", "Ground floor", "", "", "", "")
    assert rows[2] == ("changed", "A", "IfcWall", "=cmd()", "Ground floor", "Name", "Wall", "=cmd()", "")
    assert rows[3][5:] == ("Placement", "(1, 2, 0)", "(2, 2, 0)", "moved 1 m")

    text = result.format_text()
    assert "Compare version 1 → version 2" in text
    assert "+1 added  −1 removed  ~1 changed  (2 unchanged)" in text
    assert "    Name: 'Wall' → '=cmd()'" in text
    assert "NetVolume 2 → 0 m³ (−2)" in text
    assert result.format_text(max_changes=1).endswith("... and 2 more")


def test_quantity_totals_match_a_plain_sum_over_each_version() -> None:
    from ifc_desktop.core.diff import base_quantities

    rng = random.Random(9)

    def qto(volume: float) -> list[PropertySet]:
        return [
            PropertySet("Qto_WallBaseQuantities", "qto", "occurrence", {"NetVolume": volume, "Length": 2.0}),
            PropertySet("BaseQuantities", "qto", "occurrence", {"NetVolume": 99.0, "GrossArea": 1.5}),
        ]

    old = model(*(wall(f"W{i}", property_sets=qto(rng.uniform(1, 5)), content_hash=f"h{i}") for i in range(40)))
    new = list(old[:2])  # the storeys
    for element in old[2:]:
        n = int(element.global_id[1:])
        if n % 7 == 0:
            continue  # removed
        if n % 5 == 0:
            element = replace(element, storey_global_id=STOREY_2, container_global_id=STOREY_2)
        if n % 3 == 0:
            element = replace(element, property_sets=qto(10.0), content_hash=f"h{n}x")
        new.append(element)
    new.append(wall("NEW", ifc_class="IfcSlab", property_sets=qto(7.0), storey_global_id=STOREY_2))

    summary = diff_elements(old, new).summary
    for elements, side in ((old, "before"), (new, "after")):
        expected: dict[tuple[str, str], float] = {}
        for e in elements:
            for name, value in base_quantities(e).items():
                storey_name = {STOREY_1: "Ground floor", STOREY_2: "First floor"}.get(e.storey_global_id, "")
                for key in (("model", name), (e.ifc_class, name), (storey_name, name)):
                    expected[key] = expected.get(key, 0.0) + value
        got = {("model", q): getattr(t, side) for q, t in summary.quantities.items()}
        for groups in (summary.quantities_by_class, summary.quantities_by_storey):
            got.update({(g, q): getattr(t, side) for g, totals in groups.items() for q, t in totals.items()})
        got = {k: v for k, v in got.items() if v}
        assert got == pytest.approx(expected)
    # The first base set wins: NetVolume never comes from the second set's 99.
    assert summary.quantities["NetVolume"].after < 99 * 10


def test_comparing_loads_neither_ifcopenshell_nor_openpyxl() -> None:
    """The window compares stored versions in its own process: that must stay light."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "import ifc_desktop.core.diff, ifc_desktop.core.diff_export, ifc_desktop.store.compare\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('ifcopenshell', 'openpyxl', 'PySide6')]\n"
        "assert not loaded, loaded\n"
    )
    repo = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_matching_filters_like_the_compare_table() -> None:
    old = model(wall("A"), wall("B", ifc_class="IfcDoor"), wall("E", storey_global_id=STOREY_2))
    new = model(
        wall(
            "A",
            content_hash="x",
            property_sets=[PropertySet("Pset_WallCommon", "pset", "occurrence", {"FireRating": "EI 90"})],
        ),
        wall("C", name="Façade"),
        wall("E", storey_global_id=STOREY_2, name="Stair wall", content_hash="y"),
    )
    result = diff_elements(old, new)
    ids = lambda changes: sorted(c.global_id for c in changes)  # noqa: E731
    assert ids(result.matching()) == ["A", "B", "C", "E"]
    assert ids(result.matching(kinds={CHANGED})) == ["A", "E"]
    assert ids(result.matching(classes={"IfcDoor"})) == ["B"]
    assert ids(result.matching(storeys={"First floor"})) == ["E"]
    assert ids(result.matching(text="ei 90")) == ["A"]  # an old/new value
    assert ids(result.matching(text="FAÇADE")) == ["C"]
    assert ids(result.matching(text="firerating", kinds={ADDED})) == []


def test_bounded_table_and_complex_values_read_as_their_attributes_without_class_and_name():
    from ifc_desktop.core.diff_result import format_value

    bounded = {"type": "IfcPropertyBoundedValue", "Name": "Load", "Description": None, "UpperBoundValue": 10.0}
    bounded |= {"LowerBoundValue": 1.5, "SetPointValue": None}
    assert format_value(bounded) == "UpperBoundValue=10, LowerBoundValue=1.5"
    table = {"type": "IfcPropertyTableValue", "Name": "T", "DefiningValues": [1.0, 2.0], "DefinedValues": ["x", "y"]}
    assert format_value(table) == "DefiningValues=[1; 2], DefinedValues=[x; y]"
    complex_property = {"type": "IfcComplexProperty", "UsageName": "usage", "properties": {"A": True, "B": 2.5}}
    assert format_value(complex_property) == "UsageName=usage, properties=(A=TRUE, B=2.5)"


def quantities(**values: float) -> list[PropertySet]:
    return [PropertySet("PSet_Revit_Dimensions", "pset", "occurrence", values)]


def wall_in_mm(**values: float) -> Element:
    return wall(property_sets=quantities(**values), placement=(1000.0, 2000.0, 0.0, *IDENTITY_AXES), content_hash="mm")


MM = UnitInfo("LENGTHUNIT", "millimetre", "mm", 0.001)
M = UnitInfo("LENGTHUNIT", "metre", "m", 1.0)
SQUARE_M = UnitInfo("AREAUNIT", "square metre", "m²", 1.0)
CUBIC_M = UnitInfo("VOLUMEUNIT", "cubic metre", "m³", 1.0)


def test_areas_and_volumes_are_compared_in_their_own_units_when_the_units_change() -> None:
    in_mm = wall_in_mm(Length=4000.0, Area=12e6, Volume=3e9)
    in_m = wall(property_sets=quantities(Length=4.0, Area=12.0, Volume=3.0), content_hash="m")
    mm_units = [MM, UnitInfo("AREAUNIT", "square millimetre", "mm²", 1e-6), UnitInfo("VOLUMEUNIT", "", "mm³", 1e-9)]
    scales = dict(old_length_scale=0.001, new_length_scale=1.0, old_units=mm_units, new_units=[M, SQUARE_M, CUBIC_M])
    assert diff_elements(model(in_mm), model(in_m), **scales).changes == []
    old, new = model(in_mm), model(in_m)
    assert count_changes(old, new, in_full=lambda _ids: (old, new), **scales).as_tuple() == (0, 0, 0)

    bigger = wall(property_sets=quantities(Length=4.0, Area=12.5, Volume=3.0), content_hash="m2")
    change = diff_elements(model(in_mm), model(bigger), **scales).changes[0]
    assert [(f.field, f.old, f.new) for f in change.fields] == [("PSet_Revit_Dimensions.Area", 12e6, 12.5)]


def test_revit_areas_in_square_metres_stay_equal_when_only_the_length_unit_changes() -> None:
    # Revit declares millimetres with square and cubic metres.
    in_mm = wall_in_mm(Length=4000.0, Area=12.0, Volume=3.0)
    in_m = wall(property_sets=quantities(Length=4.0, Area=12.0, Volume=3.0), content_hash="m")
    units = dict(old_units=[MM, SQUARE_M, CUBIC_M], new_units=[M, SQUARE_M, CUBIC_M])
    assert diff_elements(model(in_mm), model(in_m), old_length_scale=0.001, new_length_scale=1.0, **units).changes == []


def test_an_element_on_no_storey_is_listed_as_such_once_in_parentheses() -> None:
    loose = wall(container_global_id=None, storey_global_id=None)
    text = differ(loose, replace(loose, name="Moved wall")).format_text()
    assert "IfcWall 'Moved wall' [1WALL_________________] (not on a storey)" in text
    assert "((" not in text
    on_storey = differ(wall(), replace(wall(), name="Renamed")).format_text()
    assert "IfcWall 'Renamed' [1WALL_________________] (Ground floor)" in on_storey


def test_an_element_moved_off_a_storey_renamed_since_shows_the_old_name_on_the_old_side() -> None:
    old = [storey(STOREY_1, "1 этаж"), storey(STOREY_2, "2 этаж", 2), wall()]
    renamed = replace(storey(STOREY_1, "1 этаж (ground)"), content_hash="renamed")
    new = [renamed, storey(STOREY_2, "2 этаж", 2), wall(container_global_id=STOREY_2, storey_global_id=STOREY_2)]
    result = diff_elements(old, new)
    moved = next(c for c in result.changes if c.global_id == "1WALL_________________")
    assert [(f.field, f.old, f.new) for f in moved.fields] == [("Storey", "1 этаж", "2 этаж")]
    assert moved.storey == "2 этаж"
    assert "1 этаж" not in result.summary.by_storey  # the summary names each storey once, as it is now
    # The renamed storey is listed under its own name, not "(not on a storey)".
    storey_change = next(c for c in result.changes if c.global_id == STOREY_1)
    assert storey_change.storey == "1 этаж (ground)" and "(not on a storey)" not in result.summary.by_storey


def test_an_element_removed_from_a_storey_renamed_since_is_listed_with_the_name_it_was_on() -> None:
    old = [storey(STOREY_1, "Erdgeschoss"), wall(), wall("2WALL_________________")]
    new = [replace(storey(STOREY_1, "Erdgeschoss (neu)"), content_hash="renamed"), wall()]
    result = diff_elements(old, new)
    removed = next(c for c in result.changes if c.kind == REMOVED)
    assert removed.storey == "Erdgeschoss"  # where it was; the storey never had the new name with it
    # Counted, and found by the storey filter, under the storey's name as it is now.
    assert result.summary.by_storey == {"Erdgeschoss (neu)": result.counts}
    assert removed in result.matching(storeys={"Erdgeschoss (neu)"})
    assert [row[4] for row in result.rows() if row[0] == "removed"] == ["Erdgeschoss"]


def test_the_summary_lists_storeys_bottom_up_and_elements_on_no_storey_last():
    # Files list storeys in any order, and names sort badly as text ("Level 10" before "Level 2").
    heights = [6.0, 0.0, 30.0, 3.0, 9.0, -3.0]
    levels = [
        replace(
            storey(f"0LEVEL{i:02d}________________", f"Level {round(h / 3)}", i),
            placement=(0.0, 0.0, h, *IDENTITY_AXES),
        )
        for i, h in enumerate(heights)
    ]
    unplaced = storey("0ROOF__________________", "Roof", 99)
    storeys = [*levels, unplaced]
    old = [*storeys]
    new = [*storeys]
    for i, level in enumerate(storeys):
        gid = f"1WALL{i:02d}_______________"
        old.append(wall(gid, container_global_id=level.global_id, storey_global_id=level.global_id))
        new.append(
            wall(
                gid,
                name="Renamed",
                content_hash="h-new",
                container_global_id=level.global_id,
                storey_global_id=level.global_id,
            )
        )
    old.append(wall("1LOOSE________________", container_global_id=None, storey_global_id=None))
    result = diff_elements(old, new)
    expected = ["Level -1", "Level 0", "Level 1", "Level 2", "Level 3", "Level 10", "Roof", "(not on a storey)"]
    assert list(result.summary.by_storey) == expected
    assert list(result.summary.quantities_by_storey) == expected


def test_only_quantities_whose_sum_means_something_are_totalled():
    def sized(gid: str, length: float) -> Element:
        qto = PropertySet(
            "Qto_WallBaseQuantities",
            "qto",
            "occurrence",
            {"Length": length, "Width": 0.3, "Height": 2.5, "NetSideArea": 2.5 * length, "NetVolume": 0.75 * length},
        )
        return wall(gid, property_sets=[qto], content_hash=f"h-{gid}-{length}")

    old = model(sized("1WALLA________________", 4.0), sized("1WALLB________________", 2.0))
    new = model(sized("1WALLA________________", 5.0), sized("1WALLB________________", 2.0))
    totals = diff_elements(old, new).summary.quantities
    assert set(totals) == {"Length", "NetSideArea", "NetVolume"}
    assert (totals["Length"].before, totals["Length"].after) == (6.0, 7.0)
