"""Store: elements and their property sets, stored compactly and read back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifc_desktop.core.snapshot import (
    KIND_PSET,
    KIND_QTO,
    SOURCE_OCCURRENCE,
    SOURCE_TYPE,
    Classification,
    Element,
    PropertySet,
)
from ifc_desktop.store import Store
from tests.store_helpers import gid, make_snapshot, write_source


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as store:
        yield store


def save(store: Store, folder: Path, snapshot, name: str = "model.ifc"):
    path, sha, size = write_source(folder, name)
    return store.save_version(snapshot, source_path=path, sha256=sha, size=size)


def pset_rows(store: Store) -> int:
    with store.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM property_sets").scalar()


def awkward_element() -> Element:
    return Element(
        global_id="3cUkl32yn9qRSPvBJVyWYp",
        ifc_class="IfcDoor",
        step_id=4711,
        predefined_type="DOOR",
        name="Tür «Eingang» 門",
        description="",
        object_type=None,
        tag="T-01",
        long_name=None,
        type_global_id=gid("dtyp", 1),
        type_class="IfcDoorType",
        type_name="Tür 1-flüglig",
        parent_global_id=None,
        container_global_id=gid("sto", 0),
        storey_global_id=gid("sto", 0),
        materials=["Holz", "Glas ÄÖÜ"],
        classifications=[Classification(None, "Ss_25", None), Classification("OmniClass", None, "Doors")],
        property_sets=[
            PropertySet(
                "Pset_DoorCommon",
                KIND_PSET,
                SOURCE_OCCURRENCE,
                {
                    "FireRating": "T30",
                    "Nothing": None,
                    "Enumerated": ["OPEN", "CLOSED"],
                    "Nested": [[1, 2.5], ["a", None]],
                    "Bounded": {"UpperBoundValue": 2.0, "LowerBoundValue": -0.0, "SetPointValue": None},
                    "Table": {"DefiningValues": [1, 2, 3], "DefinedValues": [0.1, 0.2, 0.30000000000000004]},
                    "Tiny": 1e-300,
                    "Huge": 1.7976931348623157e308,
                    "Int": 2**53 + 1,
                    "FloatLikeInt": 3.0,
                    "Flag": False,
                    "Text mit Ümlaut 名前": 'Wert\nmit Zeilenumbruch und "Anführung" \\ und \'',
                },
            ),
            PropertySet("Qto_DoorBaseQuantities", KIND_QTO, SOURCE_OCCURRENCE, {"Width": 0.885, "Height": 2.01}),
            PropertySet("Pset_DoorCommon", KIND_PSET, SOURCE_TYPE, {"FireRating": "T90", "IsExternal": True}),
            PropertySet("Pset_Empty", KIND_PSET, SOURCE_TYPE, {}),
        ],
        placement=(1.5, -2.25, 1e-9, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        content_hash="c0ffee",
    )


def test_element_detail_round_trips_property_sets_exactly(store: Store, tmp_path: Path) -> None:
    snapshot = make_snapshot(walls=2)
    door = awkward_element()
    snapshot.elements.append(door)
    version = save(store, tmp_path, snapshot)
    [row] = store.elements(version.id, ifc_class="IfcDoor")
    detail = store.element_detail(row.id)
    assert detail == door
    # Equality of floats and ints is not enough: types must survive too.
    properties = detail.property_sets[0].properties
    assert type(properties["FloatLikeInt"]) is float and type(properties["Int"]) is int
    assert type(properties["Flag"]) is bool
    assert str(properties["Bounded"]["LowerBoundValue"]) == "-0.0"
    assert [p.source for p in detail.property_sets] == ["occurrence", "occurrence", "type", "type"]
    with pytest.raises(LookupError):
        store.element_detail(10**9)


def test_load_elements_equals_snapshot(store: Store, tmp_path: Path) -> None:
    snapshot = make_snapshot(walls=7)
    snapshot.elements.append(awkward_element())
    version = save(store, tmp_path, snapshot)
    assert store.load_elements(version.id) == snapshot.elements
    bare = store.load_elements(version.id, with_psets=False)
    assert [e.global_id for e in bare] == [e.global_id for e in snapshot.elements]
    assert all(e.property_sets == [] for e in bare)
    assert bare[-1].materials == ["Holz", "Glas ÄÖÜ"]


def test_identical_property_sets_are_stored_once(store: Store, tmp_path: Path) -> None:
    v1 = save(store, tmp_path, make_snapshot(walls=50), "v1.ifc")
    # 50 distinct occurrence sets (one Mark each) + 50 quantity sets + 1 shared type set.
    assert pset_rows(store) == 101
    v2 = save(store, tmp_path, make_snapshot(walls=50), "v2.ifc")
    assert v2.number == 2 and v2.model_id == v1.model_id
    assert pset_rows(store) == 101  # an unchanged re-import adds no property set rows
    save(store, tmp_path, make_snapshot(walls=50, edit="W-neu"), "v3.ifc")
    assert pset_rows(store) == 102  # one edited set, one new row
    with store.read() as conn:
        refs = conn.exec_driver_sql(
            "SELECT psets FROM elements WHERE global_id = ? ORDER BY version_id", (gid("wall", 3),)
        ).scalars()
        assert len(set(refs)) == 1  # the same element points to the same rows in every version


def test_spatial_tree(store: Store, tmp_path: Path) -> None:
    snapshot = make_snapshot(walls=3)
    # A container of an unlisted spatial class still appears in the tree.
    snapshot.elements.append(Element(gid("zone", 1), "IfcFutureSpatialThing", 900, name="Zone"))
    snapshot.elements[-2].container_global_id = gid("zone", 1)
    version = save(store, tmp_path, snapshot)
    tree = store.spatial_tree(version.id)
    assert [(e.ifc_class, e.name) for e in tree] == [
        ("IfcSite", "Grundstück"),
        ("IfcBuilding", "Haus"),
        ("IfcBuildingStorey", "EG"),
        ("IfcBuildingStorey", "OG"),
        ("IfcFutureSpatialThing", "Zone"),
    ]
    assert tree[2].parent_global_id == gid("bldg", 1)
    # What each container directly holds, in one query, as counted one container at a time.
    held: dict[str, int] = {}
    for element in snapshot.elements:
        if element.container_global_id:
            held[element.container_global_id] = held.get(element.container_global_id, 0) + 1
    counts = store.count_by_tree_node(version.id)
    assert counts == held and counts[gid("zone", 1)] == 1
    assert counts == {c: store.count_elements(version.id, tree_node=c) for c in counts}


def test_element_filters_and_search(store: Store, tmp_path: Path) -> None:
    snapshot = make_snapshot(walls=12)
    snapshot.elements.append(awkward_element())
    version = save(store, tmp_path, snapshot)
    vid = version.id

    def names(**kw) -> list[str | None]:
        return [e.name for e in store.elements(vid, **kw)]

    assert len(store.elements(vid)) == 17 == store.count_elements(vid)
    assert names(ifc_class="IfcWall", offset=2, limit=3) == ["Wand 2", "Wand 3", "Wand 4"]
    assert len(store.elements(vid, tree_node=gid("sto", 1))) == 6
    assert names(search="wand 1") == ["Wand 1", "Wand 10", "Wand 11"]  # name, case-insensitive
    assert names(search=gid("wall", 7)) == ["Wand 7"]  # GlobalId
    assert names(search="IfcDoor") == ["Tür «Eingang» 門"]  # class
    assert names(search="W005") == ["Wand 5"]  # an occurrence property value
    assert len(store.elements(vid, search="F90")) == 12  # a type property value
    assert names(search="T30") == ["Tür «Eingang» 門"]
    assert names(search="名前") == ["Tür «Eingang» 門"]  # non-ASCII property name
    assert names(search="門") == ["Tür «Eingang» 門"]
    # Letters beyond ASCII match in any case, in names and in property names and values.
    assert names(search="TÜR «EINGANG»") == ["Tür «Eingang» 門"]
    assert names(search="TEXT MIT üMLAUT") == ["Tür «Eingang» 門"]
    assert names(search="ANFÜHRUNG") == ["Tür «Eingang» 門"]
    assert store.count_elements(vid, search="tür", tree_node=gid("sto", 0)) == 1
    assert names(search="Wand", ifc_class="IfcDoor") == []
    assert store.count_elements(vid, search="F90", tree_node=gid("sto", 0)) == 6
    # LIKE wildcards in the search text are taken literally.
    assert names(search="%") == [] and names(search="W_05") == []
    assert names(search="nothing like this") == []


def test_search_only_sees_property_sets_of_its_version(store: Store, tmp_path: Path) -> None:
    v1 = save(store, tmp_path, make_snapshot(walls=3, edit="Alt"), "a.ifc")
    v2 = save(store, tmp_path, make_snapshot(walls=3, edit="Neu"), "b.ifc")
    assert [e.global_id for e in store.elements(v1.id, search="Alt")] == [gid("wall", 0)]
    assert store.elements(v2.id, search="Alt") == []


@pytest.mark.parametrize("few_hits", [0, 1000], ids=["json_each", "instr"])
def test_search_by_property_finds_the_same_with_many_or_few_matching_sets(
    store: Store, tmp_path: Path, monkeypatch, few_hits: int
) -> None:
    import ifc_desktop.store.elements as elements

    monkeypatch.setattr(elements, "FEW_PSET_HITS", few_hits)
    version = save(store, tmp_path, make_snapshot(walls=40))
    # "W0" is in the Mark of all 40 occurrence sets (40 distinct sets), and in no name.
    found = store.elements(version.id, search="W0")
    assert [e.global_id for e in found] == [gid("wall", i) for i in range(40)]
    assert store.count_elements(version.id, search="W03") == 10
    assert store.elements(version.id, search="W03", offset=8) == found[38:40]
    assert store.elements(version.id, search="W0", after_id=found[20].id, limit=5) == found[21:26]


def test_garbage_collector_is_running_again_after_bulk_work(store: Store, tmp_path: Path) -> None:
    import gc

    snapshot = make_snapshot(walls=3)
    version = save(store, tmp_path, snapshot)
    store.load_elements(version.id)
    assert gc.isenabled()
    snapshot.elements[-1].property_sets[0].source = "neither occurrence nor type"
    with pytest.raises(KeyError):
        save(store, tmp_path, snapshot, "other.ifc")
    assert gc.isenabled()


@pytest.mark.parametrize("sort_keys", [False, True])
def test_the_stores_json_encoder_writes_what_the_standard_encoder_writes(sort_keys):
    import json

    from ifc_desktop.store.rows import compact_json_encoder

    encode = compact_json_encoder(sort_keys=sort_keys)
    values = [
        {"Name": "Tür ⌀ 90", "Width": 0.9, "Count": 3, "IsExternal": True, "Note": None},
        {"z": [1, [2.5, "x"], {"b": 1, "a": '\u2028"quoted"\\'}], "a": -0.0, "e": 1e-300, "i": float("inf")},
        ["list", 1, 2.0, None, False],
        "plain text",
        12.345678901234567,
        {},
    ]
    for value in values:
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        assert encode(value) == expected


@pytest.mark.parametrize(
    "name",
    [
        "ifc4_archicad20_fzk_haus.ifc",
        "ifc4_sketchup_ifcmanager_pcert_building_architecture.ifc",  # a spatial zone in a building
        "ifc2x3_revit2011_duplex_apartment_A.ifc",
        "ifc4x3add2_acca_usbim_rail_sleepers_linear_placement.ifc",
    ],
)
def test_every_element_of_a_real_model_is_once_in_the_spatial_tree(tmp_path: Path, name: str) -> None:
    """A node of the tree (spatial structure, or an element holding others), or a row below one."""
    from ifc_desktop.jobs.task import ImportRequest, run_import
    from ifc_desktop.store.elements import NOT_PLACED

    from .conftest import sample

    data_dir = tmp_path / "data"
    Store.open(data_dir).close()
    outcome = run_import(ImportRequest(job_id=None, path=str(sample(name)), data_dir=str(data_dir)))
    with Store.open(data_dir) as store:
        everything = store.elements(outcome.version_id)
        counts = store.count_by_tree_node(outcome.version_id)
        rows = [row.id for node in counts for row in store.elements(outcome.version_id, tree_node=node)]
        tree = store.spatial_tree(outcome.version_id)
    nodes = {row.id for row in tree}
    listed = set(rows)
    assert len(rows) == len(listed) == sum(counts.values())  # no element below two nodes
    assert not listed & nodes  # nor both a node and a row
    assert listed | nodes == {row.id for row in everything}
    assert set(counts) - {NOT_PLACED} <= {row.global_id for row in tree}
    if name.startswith("ifc4_archicad20"):
        # Openings are in no container: they hang below the storey of the wall they cut.
        openings = [row for row in everything if row.ifc_class == "IfcOpeningElement"]
        assert openings and all(row.container_global_id is None for row in openings)
        assert {row.storey_global_id for row in openings} <= {row.global_id for row in tree}
