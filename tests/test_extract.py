"""Extraction of every real sample, checked against ifcopenshell's own answers."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell
import ifcopenshell.guid
import ifcopenshell.util.element
import ifcopenshell.util.placement
import pytest

from ifc_desktop.core.errors import BadInput, ImportFailure, UnsupportedFormat
from ifc_desktop.core.extract import extract
from ifc_desktop.core.opener import prepare
from ifc_desktop.core.progress import Progress, StageReporter
from ifc_desktop.core.snapshot import SOURCE_TYPE, Snapshot, merged_psets
from ifc_desktop.core.values import digest, plain, properties_digest
from ifc_desktop.jobs.task import STAGES

from .conftest import sample, sample_files

# Files the corpus marks as unreadable, and the words the message must use.
EXPECTED_FAILURES = {
    "bad_ifc2x3_archicad18_no_file_name_cp1251_escapes.ifc": (BadInput, "header"),
    "bad_ifc2x3_header_order_and_unescaped_backslash.ifc": (BadInput, "header"),
    "bad_ifc4_illegal_char_and_INF_reals.ifc": (BadInput, "line 21"),
    "ifc4x3rc2_sketchup2015_kit_simple_road_UNSUPPORTED_SCHEMA.ifc": (UnsupportedFormat, "IFC4X3_RC2"),
    "ifcxml_ikea_kitchen_cabinets.ifcXML": (UnsupportedFormat, "ifcXML"),
    "ifczip_containing_ifcxml_hello_wall.ifczip": (UnsupportedFormat, "ifcXML"),
}
# Readable only through a schema alias: they must carry a warning saying so.
ALIASED = {
    "ifc2x3final_revit2017_wall_UNSUPPORTED_SCHEMA.ifc": ("IFC2X3_FINAL", "IFC2X3"),
    "ifc4x3add1_sogelink_covadis_terrain_UNSUPPORTED_SCHEMA.ifc": ("IFC4X3_ADD1", "IFC4X3_ADD2"),
    "ifc4x3final_acca_usbim_railway_UNSUPPORTED_SCHEMA.ifc": ("IFC4X3", "IFC4X3_ADD2"),
}
READABLE = [p for p in sample_files() if p.name not in EXPECTED_FAILURES]
# Readable, but the reader skipped damaged entities: the version must say what it lacks.
DAMAGED = {"bad_ifc4_entity_from_other_schema.ifc": "IFCBUILTELEMENT"}


def run_extract(path: Path, tmp_path: Path, events: list[Progress] | None = None):
    prepared = prepare(path, tmp_path / "tmp")
    try:
        return extract(prepared, StageReporter(STAGES, events.append if events is not None else None))
    finally:
        prepared.cleanup()


def open_for_reference(path: Path, tmp_path: Path) -> ifcopenshell.file:
    """ifcopenshell's own view of the file (through the same alias copy for aliased schemas)."""
    prepared = prepare(path, tmp_path / "ref")
    ifc = ifcopenshell.open(str(prepared.readable_path))
    return ifc


def extracted_by_step_id(path: Path, tmp_path: Path) -> tuple[Snapshot, dict, ifcopenshell.file]:
    """The snapshot, its elements by STEP id, and ifcopenshell's own view of the same file."""
    snapshot = run_extract(path, tmp_path)
    by_step_id = {e.step_id: e for e in snapshot.elements}
    assert len(by_step_id) == len(snapshot.elements)  # one element per entity
    return snapshot, by_step_id, open_for_reference(path, tmp_path)


def reference_psets(product) -> dict:
    psets = ifcopenshell.util.element.get_psets(product)
    # A set or property without a name is kept under "" (JSON and sorting need text).
    return {(name or ""): {(k or ""): plain(v) for k, v in props.items() if k != "id"} for name, props in psets.items()}


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_every_product_becomes_an_element_with_the_psets_ifcopenshell_reports(path, tmp_path):
    _, by_step_id, ifc = extracted_by_step_id(path, tmp_path)
    products = ifc.by_type("IfcProduct")
    assert len(by_step_id) == len(products)
    for product in products:
        element = by_step_id[product.id()]
        assert element.global_id == product.GlobalId
        assert element.ifc_class == product.is_a()
        assert merged_psets(element.property_sets) == reference_psets(product), product


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_types_containers_and_hashes_match_the_file(path, tmp_path):
    snapshot, by_step_id, ifc = extracted_by_step_id(path, tmp_path)
    for product in ifc.by_type("IfcProduct"):
        element = by_step_id[product.id()]
        element_type = ifcopenshell.util.element.get_type(product)
        assert element.type_global_id == (element_type.GlobalId if element_type else None)
        assert element.type_name == ((element_type.Name or None) if element_type else None)
        containment = [
            rel
            for rel in ifc.get_inverse(product)
            if rel.is_a("IfcRelContainedInSpatialStructure") and product in rel.RelatedElements
        ]
        container = containment[0].RelatingStructure if containment else None
        assert element.container_global_id == (container.GlobalId if container else None)
        assert len(element.content_hash) == 32
    assert snapshot.header.schema_read in ("IFC2X3", "IFC4", "IFC4X3_ADD2")


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_world_placements_match_ifcopenshell_placement_helper(path, tmp_path):
    _, by_step_id, ifc = extracted_by_step_id(path, tmp_path)
    compared = 0
    for product in ifc.by_type("IfcProduct"):
        placement = product.ObjectPlacement
        if placement is None or not placement.is_a("IfcLocalPlacement"):
            continue
        matrix = ifcopenshell.util.placement.get_local_placement(placement)
        expected = [*matrix[:3, 3], *matrix[:3, 0], *matrix[:3, 2]]  # origin, x axis, z axis
        actual = by_step_id[product.id()].placement
        assert actual is not None, product
        # Exporters write axes that are not quite perpendicular; orthogonalising them
        # differently moves the x axis by ~1e-7 (the diff tolerates 1e-4 rad).
        assert actual == pytest.approx(expected, rel=1e-6, abs=1e-6), product
        compared += 1
    assert compared or not ifc.by_type("IfcLocalPlacement")


@pytest.mark.parametrize(
    ("axis", "ref_direction", "x_axis"),
    [
        ((0.0, 0.0, 1.0), None, (1.0, 0.0, 0.0)),
        ((0.0, 0.0, -1.0), None, (1.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), None, (0.0, 1.0, 0.0)),  # IfcFirstProjAxis: y when the axis is x
        ((2.0, 0.0, 0.0), None, (0.0, 1.0, 0.0)),  # the axis is compared once normalised
        ((-1.0, 0.0, 0.0), None, (0.0, 1.0, 0.0)),  # x would be parallel: y instead
        ((0.0, 1.0, 0.0), (0.0, 3.0, 0.0), (1.0, 0.0, 0.0)),  # RefDirection parallel (invalid): the default
        ((0.0, 0.0, 1.0), (1.0, 1.0, 5.0), (2**-0.5, 2**-0.5, 0.0)),  # made perpendicular to the axis
    ],
)
def test_axis_placement_follows_the_schema_defaults(axis, ref_direction, x_axis):
    from ifc_desktop.core.placement import axis_placement

    ifc = ifcopenshell.file(schema="IFC4")
    placement = ifc.createIfcAxis2Placement3D(
        ifc.createIfcCartesianPoint((1.0, 2.0, 3.0)),
        ifc.createIfcDirection(axis),
        ifc.createIfcDirection(ref_direction) if ref_direction else None,
    )
    m = axis_placement(placement)
    assert (m[0], m[3], m[6]) == pytest.approx(x_axis)
    z = [c / sum(a * a for a in axis) ** 0.5 for c in axis]
    assert (m[2], m[5], m[8]) == pytest.approx(z)
    assert m[9:] == (1.0, 2.0, 3.0)


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_unreadable_samples_fail_with_a_message_naming_the_problem(name, tmp_path):
    error_type, words = EXPECTED_FAILURES[name]
    with pytest.raises(ImportFailure) as caught:
        run_extract(sample(name), tmp_path)
    assert isinstance(caught.value, error_type)
    assert caught.value.permanent
    assert words in caught.value.message
    assert name in caught.value.message


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_samples_the_reader_reads_past_damage_in_are_imported_with_a_warning_naming_it(name, tmp_path):
    snapshot = run_extract(sample(name), tmp_path)
    assert len(snapshot.elements) == len(open_for_reference(sample(name), tmp_path).by_type("IfcProduct"))
    assert any(DAMAGED[name] in warning and "lacks" in warning for warning in snapshot.warnings)


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_aliased_schemas_are_read_and_say_so(name, tmp_path):
    declared, read_as = ALIASED[name]
    snapshot = run_extract(sample(name), tmp_path)
    assert (snapshot.header.schema_declared, snapshot.header.schema_read) == (declared, read_as)
    assert any(declared in w and read_as in w for w in snapshot.warnings)
    assert snapshot.elements


def test_values_the_reader_could_not_read_are_counted_with_how_often_each_problem_came_up(tmp_path):
    snapshot = run_extract(sample("ifc4x3final_acca_usbim_railway_UNSUPPORTED_SCHEMA.ifc"), tmp_path)
    warning = next(w for w in snapshot.warnings if "could not be read and" in w)
    assert warning.startswith("22 values in the file could not be read and were left empty (the IFC reader said: ")
    assert "'TRACKSTRUCTUREPART' is not valid for type 'IfcRailwayPartTypeEnum' (21 times)" in warning


def test_progress_goes_through_the_stages_in_order(tmp_path):
    events: list[Progress] = []
    run_extract(sample("ifc2x3_tekla2019_mini_project_steel.ifc"), tmp_path, events)
    stages = [e.stage_index for e in events]
    assert stages == sorted(stages)
    assert {e.stage_name for e in events} == set(STAGES[1:6])
    assert all(e.stage_count == len(STAGES) and 0.0 <= e.fraction <= 1.0 for e in events)


def test_the_authoring_application_falls_back_from_ifcapplication_to_the_header(tmp_path):
    renga = run_extract(sample("ifc2x3_renga_house.ifc"), tmp_path).header
    assert renga.application_source == "IfcApplication" and "Renga" in renga.application
    bonsai = run_extract(sample("ifc4_bonsai_tutorial_walls_openings.ifc"), tmp_path).header
    assert bonsai.application_source in ("originating_system", "preprocessor_version")
    assert "Bonsai" in bonsai.application


def test_non_ascii_storey_names_and_storeys_of_elements(tmp_path):
    snapshot = run_extract(sample("ifc2x3_renga_house.ifc"), tmp_path)
    storeys = {e.global_id: e.name for e in snapshot.elements if e.ifc_class == "IfcBuildingStorey"}
    assert any(name and "Уровень" in name for name in storeys.values())
    walls = [e for e in snapshot.elements if e.ifc_class.startswith("IfcWall")]
    assert walls and all(w.storey_global_id in storeys for w in walls)


def test_imperial_units_are_reported(tmp_path):
    project = run_extract(sample("ifc4x3add2_revit2026_wall_door_column.ifc"), tmp_path).project
    assert project.length_unit == "foot"  # conversion-based units are named in capitals in the file
    assert project.length_scale == pytest.approx(0.3048)


def test_list_valued_properties_keep_their_list(tmp_path):
    snapshot = run_extract(sample("bad_ifc4_pset_property_wrong_datatype.ifc"), tmp_path)
    (element,) = snapshot.elements
    assert merged_psets(element.property_sets)["Pset_WallCommon"]["Status"] == ["EXISTING", "CustomStatus"]


def test_type_properties_are_marked_as_inherited(tmp_path):
    snapshot = run_extract(sample("ifc4_archicad20_fzk_haus.ifc"), tmp_path)
    inherited = [p for e in snapshot.elements for p in e.property_sets if p.source == SOURCE_TYPE]
    typed = [e for e in snapshot.elements if e.type_global_id]
    assert typed
    if inherited:
        assert all(p.properties is not None for p in inherited)


def test_duplicate_global_ids_are_kept_and_warned_about(tmp_path):
    text = sample("ifc2x3_revit2021_simple_wall.ifc").read_text(encoding="utf-8", errors="surrogateescape")
    ifc = ifcopenshell.file.from_string(text)
    wall = ifc.by_type("IfcWall")[0]
    door = ifc.by_type("IfcDoor")[0]
    door.GlobalId = wall.GlobalId
    path = tmp_path / "duplicate ids.ifc"
    ifc.write(str(path))
    snapshot = run_extract(path, tmp_path)
    assert sum(1 for e in snapshot.elements if e.global_id == wall.GlobalId) == 2
    assert any("more than one element" in w for w in snapshot.warnings)


def test_positions_that_cannot_be_computed_are_warned_about_and_grid_placements_named(tmp_path):
    text = sample("ifc2x3_revit2021_simple_wall.ifc").read_text(encoding="utf-8", errors="surrogateescape")
    ifc = ifcopenshell.file.from_string(text)
    wall, door = ifc.by_type("IfcWall")[0], ifc.by_type("IfcDoor")[0]
    axes = [
        ifc.createIfcGridAxis(tag, ifc.createIfcPolyline([ifc.createIfcCartesianPoint(p) for p in line]), True)
        for tag, line in (("A", ((0.0, 0.0), (0.0, 10.0))), ("1", ((0.0, 0.0), (10.0, 0.0))))
    ]
    intersection = ifc.createIfcVirtualGridIntersection(axes, (0.0, 0.0))
    door.ObjectPlacement = ifc.createIfcGridPlacement(intersection, None)
    looped = ifc.createIfcLocalPlacement(None, wall.ObjectPlacement.RelativePlacement)
    looped.PlacementRelTo = looped
    wall.ObjectPlacement = looped
    path = tmp_path / "grid and loop.ifc"
    ifc.write(str(path))
    snapshot = run_extract(path, tmp_path)
    by_id = {e.global_id: e for e in snapshot.elements}
    assert by_id[door.GlobalId].placement is None and by_id[wall.GlobalId].placement is None
    assert "1 element is placed on a design grid (IfcGridPlacement)" in " ".join(snapshot.warnings)
    assert "The position of 1 element could not be computed" in " ".join(snapshot.warnings)


def test_elements_that_are_parts_of_each_other_in_a_loop_are_imported_and_warned_about(tmp_path):
    text = sample("ifc2x3_revit2021_simple_wall.ifc").read_text(encoding="utf-8", errors="surrogateescape")
    ifc = ifcopenshell.file.from_string(text)
    history = ifc.by_type("IfcOwnerHistory")[0]
    space_a, space_b = (
        ifc.createIfcSpace(ifcopenshell.guid.new(), history, name, None, None, None, None, None, "ELEMENT")
        for name in ("Space A", "Space B")
    )
    ifc.createIfcRelAggregates(ifcopenshell.guid.new(), history, None, None, space_a, [space_b])
    ifc.createIfcRelAggregates(ifcopenshell.guid.new(), history, None, None, space_b, [space_a])
    path = tmp_path / "loop.ifc"
    ifc.write(str(path))
    snapshot = run_extract(path, tmp_path)
    by_id = {e.global_id: e for e in snapshot.elements}
    assert by_id[space_a.GlobalId].parent_global_id == space_b.GlobalId
    assert by_id[space_b.GlobalId].parent_global_id == space_a.GlobalId
    assert len(snapshot.elements) == len(ifc.by_type("IfcProduct"))
    [warning] = [w for w in snapshot.warnings if "loop" in w]
    assert warning.startswith("2 elements are parts of themselves")
    assert "(IfcSpace 'Space B' in IfcSpace 'Space A' in IfcSpace 'Space B')" in warning


def test_the_same_content_hashes_the_same_and_an_edit_changes_it(tmp_path):
    path = sample("ifc2x3_revit2021_simple_wall.ifc")
    first = {e.global_id: e.content_hash for e in run_extract(path, tmp_path).elements}
    ifc = ifcopenshell.open(str(path))
    wall = ifc.by_type("IfcWall")[0]
    wall.Name = "Renamed wall"
    edited = tmp_path / "edited.ifc"
    ifc.write(str(edited))
    second = {e.global_id: e.content_hash for e in run_extract(edited, tmp_path).elements}
    changed = {gid for gid in first if first[gid] != second.get(gid)}
    assert changed == {wall.GlobalId}


@pytest.mark.parametrize("name", ["ifc2x3_tekla2019_mini_project_steel.ifc", "ifc4_archicad20_fzk_haus.ifc"])
def test_content_hash_is_the_digest_of_every_compared_field(name, tmp_path):
    # The hash is written out for speed; it must stay the plain digest of the fields the diff relies on.
    snapshot = run_extract(sample(name), tmp_path)
    for element in snapshot.elements:
        hashes = [properties_digest(p.name, p.kind, p.source, p.properties) for p in element.property_sets]
        fields = [
            element.ifc_class,
            element.predefined_type,
            element.name,
            element.description,
            element.object_type,
            element.tag,
            element.long_name,
            element.type_class,
            element.type_name,
            element.container_global_id,
            element.parent_global_id,
            element.materials,
            [[c.system, c.identification, c.name] for c in element.classifications],
            sorted(hashes),
        ]
        assert element.content_hash == digest(fields), element.global_id


DEFINITION_SET_MODEL = """ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('definition set.ifc','2024-01-01T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'p',$,$,$,$,$,$);
#2=IFCWALL('1YvctVUKr0kugbFTf53O9L',$,'w',$,$,$,$,$,$);
#3=IFCPROPERTYSINGLEVALUE('x',$,IFCLABEL('1'),$);
#4=IFCPROPERTYSINGLEVALUE('y',$,IFCLENGTHMEASURE(2.5),$);
#5=IFCPROPERTYSET('2YvctVUKr0kugbFTf53O9L',$,'A',$,(#3));
#6=IFCPROPERTYSET('3YvctVUKr0kugbFTf53O9L',$,'B',$,(#4));
#7=IFCRELDEFINESBYPROPERTIES('0ZvctVUKr0kugbFTf53O9L',$,$,$,(#2),IFCPROPERTYSETDEFINITIONSET((#5,#6)));
ENDSEC;
END-ISO-10303-21;
"""


def test_property_sets_given_together_in_one_relationship_are_all_read(tmp_path):
    # IFC4 lets one IfcRelDefinesByProperties carry several sets (IfcPropertySetDefinitionSet).
    path = tmp_path / "Definitionsmenge ü.ifc"
    path.write_text(DEFINITION_SET_MODEL, encoding="ascii")
    snapshot = run_extract(path, tmp_path)
    (wall,) = [e for e in snapshot.elements if e.ifc_class == "IfcWall"]
    assert merged_psets(wall.property_sets) == {"A": {"x": "1"}, "B": {"y": 2.5}}
    reference = ifcopenshell.open(str(path))  # kept in a name: its entities do not keep it alive
    assert merged_psets(wall.property_sets) == reference_psets(reference.by_type("IfcWall")[0])


def _model_with_every_kind_of_property(schema: str) -> ifcopenshell.file:
    """A wall whose sets hold each kind of property and quantity the schema has, plus a type set
    that the occurrence overrides and a second occurrence set of the same name."""
    f = ifcopenshell.file(schema=schema)
    ifc4 = schema != "IFC2X3"
    gid = ifcopenshell.guid.new
    project = f.createIfcProject(gid(), None, "Every kind", None, None, None, None, None, None)
    wall = f.createIfcWall(gid(), None, "Wall", None, None, None, None, None)
    wall_type = f.createIfcWallType(gid(), None, "Type", None, None, None, None, None, None, "STANDARD")
    f.createIfcRelAggregates(gid(), None, None, None, project, [wall])
    f.createIfcRelDefinesByType(gid(), None, None, None, [wall], wall_type)

    def single(name: str, value: ifcopenshell.entity_instance | None) -> ifcopenshell.entity_instance:
        return f.createIfcPropertySingleValue(name, None, value, None)

    wall_type.HasPropertySets = [
        f.createIfcPropertySet(
            gid(),
            None,
            "Pset_WallCommon",
            None,
            [single("FireRating", f.createIfcLabel("REI 30")), single("IsExternal", f.createIfcBoolean(True))],
        )
    ]
    referenced = f.createIfcPerson(None, "Doe", "Jane") if ifc4 else f.createIfcMaterial("Steel")
    enumeration = f.createIfcPropertyEnumeration("E", [f.createIfcLabel(x) for x in "ABC"], None)
    properties = [
        single("Empty", None),
        single("Logical", f.createIfcLogical("UNKNOWN")),
        single("Flag", f.createIfcBoolean(False)),
        single("Count", f.createIfcInteger(7)),
        single("Length", f.createIfcLengthMeasure(1.2345678901234)),
        single("Text ü", f.createIfcText("Ωmega – “quoted”")),
        single(None, f.createIfcLabel("a property without a name")),
        f.createIfcPropertyBoundedValue(
            "Bounded",
            None,
            f.createIfcReal(10.0),
            f.createIfcReal(1.0),
            None,
            *([f.createIfcReal(5.0)] if ifc4 else []),
        ),
        f.createIfcPropertyEnumeratedValue(
            "Enumerated", None, [f.createIfcLabel("A"), f.createIfcLabel("B")], enumeration
        ),
        f.createIfcPropertyListValue("List", None, [f.createIfcInteger(1), f.createIfcInteger(2)], None),
        f.createIfcPropertyTableValue(
            "Table", None, [f.createIfcReal(1.0)], [f.createIfcLabel("x")], None, None, None, *([None] if ifc4 else [])
        ),
        f.createIfcPropertyReferenceValue("Reference", None, None, referenced),
        f.createIfcComplexProperty("Complex", None, "usage", [single("Inner", f.createIfcLabel("in"))]),
    ]
    quantity_tail = [None] if ifc4 else []
    quantities = [
        f.createIfcQuantityLength("Length", None, None, 3.0, *quantity_tail),
        f.createIfcQuantityCount("Count", None, None, 4, *quantity_tail),
        f.createIfcPhysicalComplexQuantity(
            "Layer", None, [f.createIfcQuantityArea("Area", None, None, 1.5, *quantity_tail)], "LAYER", None, None
        ),
    ]
    for definition in (
        f.createIfcPropertySet(
            gid(), None, "Pset_WallCommon", None, [single("FireRating", f.createIfcLabel("REI 90"))]
        ),
        f.createIfcPropertySet(gid(), None, "Odd", None, properties),
        f.createIfcPropertySet(gid(), None, "Odd", None, [single("Second", f.createIfcLabel("2"))]),
        f.createIfcElementQuantity(gid(), None, "Qto_Wall", None, None, quantities),
    ):
        f.createIfcRelDefinesByProperties(gid(), None, None, None, [wall], definition)
    return f


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4"])
def test_every_kind_of_property_and_quantity_reads_as_get_psets_reads_it(schema, tmp_path):
    path = tmp_path / f"every kind {schema}.ifc"
    _model_with_every_kind_of_property(schema).write(str(path))
    snapshot = run_extract(path, tmp_path)
    (wall,) = [e for e in snapshot.elements if e.ifc_class == "IfcWall"]
    reference = ifcopenshell.open(str(path))
    expected = reference_psets(reference.by_type("IfcWall")[0])
    assert merged_psets(wall.property_sets) == expected
    # The checks above would pass on two empty answers: these say the model holds what it should.
    assert expected["Pset_WallCommon"] == {"FireRating": "REI 90", "IsExternal": True}
    assert expected["Odd"]["Bounded"]["UpperBoundValue"] == 10.0
    assert expected["Odd"]["Second"] == "2"
    assert expected["Odd"][""] == "a property without a name"
    from ifc_desktop.store.rows import prepare_rows

    assert prepare_rows(snapshot).psets  # the store encodes every set (sorted keys: all text)
    assert expected["Qto_Wall"]["Layer"]["properties"] == {"Area": 1.5}
    # ifcopenshell reads no IfcPropertyReferenceValue: it is left out, not shown as empty.
    assert "Reference" not in expected["Odd"]
    (odd,) = [p for p in wall.property_sets if p.name == "Odd" and "Empty" in p.properties]
    assert "Reference" not in odd.properties and odd.properties["Empty"] is None


def _storey_by_ifcopenshell(product) -> str | None:
    current = product
    for _ in range(32):
        above = ifcopenshell.util.element.get_container(current) or ifcopenshell.util.element.get_aggregate(current)
        if above is None:
            return None
        if above.is_a("IfcBuildingStorey"):
            return above.GlobalId
        current = above
    return None


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_openings_are_on_the_storey_of_the_element_they_cut(path, tmp_path):
    _, by_step_id, ifc = extracted_by_step_id(path, tmp_path)
    for opening in ifc.by_type("IfcOpeningElement"):
        assert by_step_id[opening.id()].storey_global_id == _storey_by_ifcopenshell(opening), opening


def test_an_ifc2x3_classification_notation_gives_its_code(tmp_path):
    f = ifcopenshell.file(schema="IFC2X3")
    f.createIfcProject(ifcopenshell.guid.new(), None, "P")
    wall = f.createIfcWall(ifcopenshell.guid.new(), None, "Wall")
    facets = [f.createIfcClassificationNotationFacet("04 21"), f.createIfcClassificationNotationFacet("13")]
    notation = f.createIfcClassificationNotation(facets)
    f.createIfcRelAssociatesClassification(ifcopenshell.guid.new(), None, None, None, [wall], notation)
    path = tmp_path / "notation.ifc"
    f.write(str(path))
    (element,) = [e for e in run_extract(path, tmp_path).elements if e.ifc_class == "IfcWall"]
    assert [(c.system, c.identification, c.name) for c in element.classifications] == [(None, "04 21 13", None)]


def test_an_element_aggregated_into_something_without_a_global_id_has_no_parent(tmp_path):
    # Invalid, seen in validation suites: a building as a part of an IfcPerson.
    f = ifcopenshell.file(schema="IFC4")
    f.createIfcProject(ifcopenshell.guid.new(), None, "P")
    building = f.createIfcBuilding(ifcopenshell.guid.new(), None, "B")
    path = tmp_path / "odd parent.ifc"
    f.write(str(path))
    text = path.read_text().replace(
        "ENDSEC;\nEND-ISO-10303-21;",
        f"#900=IFCPERSON('Jon','Doe',$,$,$,$,$,$);\n"
        f"#901=IFCRELAGGREGATES('{ifcopenshell.guid.new()}',$,$,$,#900,(#{building.id()}));\n"
        "ENDSEC;\nEND-ISO-10303-21;",
    )
    path.write_text(text)
    (element,) = [e for e in run_extract(path, tmp_path).elements if e.ifc_class == "IfcBuilding"]
    assert element.parent_global_id is None
