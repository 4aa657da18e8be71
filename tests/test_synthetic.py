"""The synthetic model generator: valid, complete, deterministic IFC."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.guid
import ifcopenshell.util.element as element_util
import ifcopenshell.validate
import pytest

from ifc_desktop.core.synthetic import (
    DEFAULT_BYTES_PER_ELEMENT,
    GENERATOR_NAME,
    SAMPLE_ELEMENTS,
    compress_guid,
    sample_model_text,
    step_string,
    write_model,
)

COMMON_PSETS = {
    "IfcWall": "Pset_WallCommon",
    "IfcSlab": "Pset_SlabCommon",
    "IfcColumn": "Pset_ColumnCommon",
    "IfcBeam": "Pset_BeamCommon",
    "IfcDoor": "Pset_DoorCommon",
    "IfcWindow": "Pset_WindowCommon",
    "IfcCovering": "Pset_CoveringCommon",
    "IfcFurniture": "Pset_FurnitureTypeCommon",
    "IfcMember": "Pset_MemberCommon",
    "IfcPlate": "Pset_PlateCommon",
    "IfcRailing": "Pset_RailingCommon",
}
QUANTITIES = {"Length", "Width", "Height", "NetArea", "NetVolume", "GrossVolume"}


@pytest.fixture(scope="module")
def model_500(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("synthetic") / "tower 500.ifc"
    info = write_model(path, elements=500, seed=7)
    return info, ifcopenshell.open(str(path))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("elements", [50, 500])
def test_product_count_is_exact(tmp_path: Path, elements: int) -> None:
    info = write_model(tmp_path / "m.ifc", elements=elements, seed=1)
    f = ifcopenshell.open(str(info.path))
    assert info.elements == elements == len(f.by_type("IfcProduct"))
    assert len(f.by_type("IfcBuildingStorey")) == info.storeys
    assert info.bytes_written == info.path.stat().st_size
    assert f.schema == "IFC4"


def test_header_and_project(model_500) -> None:
    info, f = model_500
    assert f.header.file_name.originating_system == GENERATOR_NAME
    assert f.by_type("IfcApplication")[0].ApplicationFullName == GENERATOR_NAME
    (project,) = f.by_type("IfcProject")
    assert project.GlobalId == info.project_global_id
    assert project.Name == "Synthetic tower"
    units = {(u.UnitType, u.Name) for u in project.UnitsInContext.Units}
    assert units == {
        ("LENGTHUNIT", "METRE"),
        ("AREAUNIT", "SQUARE_METRE"),
        ("VOLUMEUNIT", "CUBIC_METRE"),
        ("PLANEANGLEUNIT", "RADIAN"),
    }
    assert project.RepresentationContexts[0].is_a("IfcGeometricRepresentationContext")


def test_spatial_tree_and_containment(model_500) -> None:
    info, f = model_500
    (project,) = f.by_type("IfcProject")
    (site,) = element_util.get_decomposition(project, is_recursive=False)
    (building,) = element_util.get_decomposition(site, is_recursive=False)
    storeys = element_util.get_decomposition(building, is_recursive=False)
    assert [s.is_a() for s in storeys] == ["IfcBuildingStorey"] * info.storeys
    rels = f.by_type("IfcRelContainedInSpatialStructure")
    assert len(rels) == info.storeys  # one per storey
    for element in f.by_type("IfcElement"):
        storey = element_util.get_container(element)
        assert storey is not None and storey.is_a("IfcBuildingStorey")
        # Placed relative to its storey.
        assert element.ObjectPlacement.PlacementRelTo == storey.ObjectPlacement
    for product in f.by_type("IfcProduct"):
        assert product.ObjectPlacement is not None


def test_elements_have_types_materials_and_mixed_classes(model_500) -> None:
    _, f = model_500
    elements = f.by_type("IfcElement")
    classes = {e.is_a() for e in elements}
    assert {"IfcWall", "IfcSlab", "IfcColumn", "IfcBeam", "IfcDoor", "IfcWindow", "IfcCovering"} <= classes
    for element in elements:
        element_type = element_util.get_type(element)
        assert element_type is not None and element.ObjectType == element_type.Name
        material = element_util.get_material(element)
        if element.is_a() in ("IfcWall", "IfcSlab"):
            assert material.is_a("IfcMaterialLayerSetUsage")
            assert len(material.ForLayerSet.MaterialLayers) >= 1
        else:
            assert material.is_a("IfcMaterial")
    refs = f.by_type("IfcClassificationReference")
    assert refs and all(r.ReferencedSource.is_a("IfcClassification") for r in refs)
    classified = {e for rel in f.by_type("IfcRelAssociatesClassification") for e in rel.RelatedObjects}
    assert {e.is_a() for e in classified} >= {"IfcWall", "IfcSlab", "IfcDoor"}
    assert any(e.Name == "Béton C30/37" for e in f.by_type("IfcMaterial"))


def test_property_sets_and_quantities(model_500) -> None:
    _, f = model_500
    shared_phasing = 0
    for element in f.by_type("IfcElement"):
        own = [
            rel.RelatingPropertyDefinition
            for rel in element.IsDefinedBy
            if rel.RelatingPropertyDefinition.is_a("IfcPropertySet")
        ]
        assert 2 <= len(own) <= 3
        shared_phasing += any(len(p.DefinesOccurrence[0].RelatedObjects) > 1 for p in own)

        psets = element_util.get_psets(element)
        common = psets[COMMON_PSETS[element.is_a()]]
        assert common["Reference"] == psets["Identity Data"]["Mark"]
        assert "Pset_ManufacturerTypeInformation" in psets  # inherited from the type
        if element.is_a("IfcWall"):
            assert isinstance(common["IsExternal"], bool)
            assert isinstance(common["LoadBearing"], bool)
            assert isinstance(common["FireRating"], str)
            assert isinstance(common["ThermalTransmittance"], float)
            assert "AcousticRating" in common  # merged in from the type's share of the set

        qtos = element_util.get_psets(element, qtos_only=True)
        (qto,) = qtos.values()
        assert set(qto) >= QUANTITIES
        assert qto["GrossVolume"] == pytest.approx(qto["Length"] * qto["Width"] * qto["Height"], rel=1e-3, abs=1e-4)
        assert 0 < qto["NetVolume"] <= qto["GrossVolume"]
    assert shared_phasing > 0
    lists = [p for p in f.by_type("IfcPropertyListValue") if p.Name == "Tags"]
    assert lists
    holder = lists[0].PartOfPset[0].DefinesOccurrence[0].RelatedObjects[0]
    tags = element_util.get_psets(holder)["Identity Data"]["Tags"]
    assert isinstance(tags, list | tuple) and len(tags) >= 2


def test_geometry_matches_quantities(model_500) -> None:
    _, f = model_500
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    for cls in ("IfcWall", "IfcSlab", "IfcColumn", "IfcBeam", "IfcDoor", "IfcMember"):
        element = f.by_type(cls)[0]
        (body,) = [r for r in element.Representation.Representations if r.RepresentationIdentifier == "Body"]
        assert body.Items[0].is_a("IfcExtrudedAreaSolid")
        assert body.Items[0].SweptArea.is_a("IfcRectangleProfileDef")
        verts = ifcopenshell.geom.create_shape(settings, element).geometry.verts
        extents = [max(verts[i::3]) - min(verts[i::3]) for i in range(3)]
        qto = next(iter(element_util.get_psets(element, qtos_only=True).values()))
        expected = [qto["Length"], qto["Width"], qto["Height"]]
        assert sorted(extents) == pytest.approx(sorted(expected), abs=1e-3), cls


def test_global_ids_are_valid_and_unique(model_500) -> None:
    _, f = model_500
    ids = [e.GlobalId for e in f.by_type("IfcRoot")]
    assert len(ids) == len(set(ids))
    for gid in ids:
        assert re.fullmatch(r"[0-3][0-9A-Za-z_$]{21}", gid)
        assert ifcopenshell.guid.compress(ifcopenshell.guid.expand(gid)) == gid


def test_entity_ids_are_sequential_in_file_order(model_500) -> None:
    info, _ = model_500
    text = info.path.read_text(encoding="ascii")
    ids = [int(m) for m in re.findall(r"^#(\d+)=", text, flags=re.MULTILINE)]
    assert ids == list(range(1, len(ids) + 1))
    # Each entity refers only to entities written before it.
    for line in text.splitlines()[:3000]:
        if line.startswith("#"):
            own, body = line.split("=", 1)
            assert all(int(ref) < int(own[1:]) for ref in re.findall(r"#(\d+)", body))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_model(tmp_path / "a.ifc", elements=300, seed=3)
    (tmp_path / "elsewhere").mkdir()
    b = write_model(tmp_path / "elsewhere" / "b.ifc", elements=300, seed=3)  # the path is not in the file
    c = write_model(tmp_path / "c.ifc", elements=300, seed=4)
    assert sha256(a.path) == sha256(b.path)
    assert sha256(a.path) != sha256(c.path)
    guids_a = {e.GlobalId for e in ifcopenshell.open(str(a.path)).by_type("IfcProduct")}
    guids_c = {e.GlobalId for e in ifcopenshell.open(str(c.path)).by_type("IfcProduct")}
    assert not guids_a & guids_c


def test_project_global_id_can_be_shared_across_seeds(tmp_path: Path) -> None:
    gid = compress_guid(bytes(range(16)))
    one = write_model(tmp_path / "one.ifc", elements=60, seed=1, project_global_id=gid)
    two = write_model(tmp_path / "two.ifc", elements=60, seed=2, project_global_id=gid)
    for info in (one, two):
        assert ifcopenshell.open(str(info.path)).by_type("IfcProject")[0].GlobalId == gid


def test_product_global_ids_do_not_depend_on_padding(tmp_path: Path) -> None:
    plain = write_model(tmp_path / "plain.ifc", elements=120, seed=5, target_bytes=0)
    padded = write_model(tmp_path / "padded.ifc", elements=120, seed=5, target_bytes=1_000_000)
    order = [[e.GlobalId for e in ifcopenshell.open(str(i.path)).by_type("IfcProduct")] for i in (plain, padded)]
    assert sorted(order[0]) == sorted(order[1])


@pytest.mark.parametrize(
    ("elements", "target"),
    [(500, None), (200, 1_000_000), (200, 3_000_000)],
)
def test_size_follows_target(tmp_path: Path, elements: int, target: int | None) -> None:
    info = write_model(tmp_path / "m.ifc", elements=elements, target_bytes=target)
    wanted = target if target is not None else elements * DEFAULT_BYTES_PER_ELEMENT
    assert info.bytes_written == pytest.approx(wanted, rel=0.05)
    assert len(ifcopenshell.open(str(info.path)).by_type("IfcProduct")) == elements


def test_padding_off_and_geometry_off_make_smaller_files(tmp_path: Path) -> None:
    full = write_model(tmp_path / "full.ifc", elements=200, target_bytes=0)
    bare = write_model(tmp_path / "bare.ifc", elements=200, target_bytes=0, geometry=False)
    assert bare.bytes_written < full.bytes_written
    f = ifcopenshell.open(str(bare.path))
    assert len(f.by_type("IfcProduct")) == 200
    assert all(e.Representation is None for e in f.by_type("IfcElement"))


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4", "IFC4X3_ADD2"])
def test_schemas_validate(tmp_path: Path, schema: str) -> None:
    info = write_model(tmp_path / "m.ifc", elements=60, schema=schema, storeys=2)
    f = ifcopenshell.open(str(info.path))
    assert f.schema_identifier == schema
    assert len(f.by_type("IfcProduct")) == 60
    logger = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(f, logger, express_rules=True)
    assert logger.statements == []
    wall = f.by_type("IfcWall")[0]
    assert {"Pset_WallCommon", "Identity Data", "Qto_WallBaseQuantities"} <= set(element_util.get_psets(wall))


def test_sample_model_text_parses() -> None:
    text = sample_model_text()
    assert text == sample_model_text()
    f = ifcopenshell.file.from_string(text)
    assert len(f.by_type("IfcProduct")) == SAMPLE_ELEMENTS
    assert f.by_type("IfcProject")[0].Name == "Sample house"
    assert all(element_util.get_container(e) for e in f.by_type("IfcElement"))


def test_path_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    folder = tmp_path / "Projekte Zürich" / "東京 tower"
    folder.mkdir(parents=True)
    name = "Tour Ève – 'Bâtiment A' \\ 東京 𝔸"
    info = write_model(folder / "modèle façade.ifc", elements=40, project_name=name)
    assert info.path.exists() and not list(folder.glob("*.part"))
    f = ifcopenshell.open(str(info.path))
    assert f.by_type("IfcProject")[0].Name == name
    assert len(f.by_type("IfcProduct")) == 40


def test_invalid_arguments_leave_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        write_model(tmp_path / "m.ifc", elements=4, storeys=3)
    with pytest.raises(ValueError, match="schema"):
        write_model(tmp_path / "m.ifc", elements=40, schema="IFC5")
    with pytest.raises(ValueError, match="GlobalId"):
        write_model(tmp_path / "m.ifc", elements=40, project_global_id="short")
    assert os.listdir(tmp_path) == []


def test_compress_guid_matches_ifcopenshell() -> None:
    for raw in (bytes(16), b"\xff" * 16, bytes(range(16)), hashlib.md5(b"x").digest()):
        assert compress_guid(raw) == ifcopenshell.guid.compress(raw.hex())


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("Plain", "'Plain'"),
        ("It's", "'It''s'"),
        ("a\\b", "'a\\\\b'"),
        ("Béton", "'B\\X2\\00E9\\X0\\ton'"),
        ("𝔸", "'\\X4\\0001D538\\X0\\'"),
    ],
)
def test_step_string(text: str, literal: str) -> None:
    assert step_string(text) == literal
