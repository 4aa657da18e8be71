"""Store: versions, model identity, idempotence, revert, export, all-or-nothing writes."""

from __future__ import annotations

import os
import pickle
import sqlite3
import time
from pathlib import Path

import pytest

from ifc_desktop.store import Store, VersionInfo
from tests.store_helpers import PROJECT_GID, make_snapshot, write_source


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as store:
        yield store


def save(store: Store, folder: Path, snapshot, name: str | None = None, payload: bytes | None = None, **kw):
    path, sha, size = write_source(folder, name or snapshot.source_name, payload)
    return store.save_version(snapshot, source_path=path, sha256=sha, size=size, **kw)


def table_counts(store: Store) -> dict[str, int]:
    tables = ("models", "versions", "elements", "property_sets", "history_events", "source_files")
    with store.read() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}


def test_save_list_get(store: Store, tmp_path: Path) -> None:
    snapshot = make_snapshot(walls=6)
    version = save(store, tmp_path, snapshot, job_id=11)

    assert version.created and version.number == 1 and version.is_current
    assert version.model_name == "Haus Süd"
    assert version.element_count == len(snapshot.elements) == 10
    assert version.job_id == 11
    assert version.schema_read == "IFC4" and version.application == "ArchiCAD 20"
    assert version.header_organization == "Büro"
    assert version.length_unit == "millimetre" and version.length_scale == 0.001
    assert version.units == tuple(snapshot.project.units)
    assert version.warnings == ("Duplicate GlobalId kept twice",)

    [model] = store.list_models()
    assert (model.name, model.schema, model.current_version_number, model.element_count) == (
        "Haus Süd",
        "IFC4",
        1,
        10,
    )
    assert model.version_count == 1 and model.project_global_id == PROJECT_GID
    assert store.get_version(model.id) == version.__class__(**{**_fields(version), "created": False})
    assert store.get_version(model.id, 1).id == version.id
    assert store.find_version_by_sha(version.source_sha256).id == version.id
    assert store.find_version_by_sha("0" * 64) is None
    assert store.count_by_class(version.id) == {
        "IfcWall": 6,
        "IfcBuildingStorey": 2,
        "IfcBuilding": 1,
        "IfcSite": 1,
    }
    assert store.count_by_storey(version.id) == {"EG": 3, "OG": 3, "(not on a storey)": 4}
    [event] = store.history_events(model.id)
    assert (event.kind, event.version_number, event.detail["job_id"]) == ("import", 1, 11)


def _fields(info: VersionInfo) -> dict:
    return {name: getattr(info, name) for name in info.__dataclass_fields__}


def test_records_are_frozen_and_picklable(store: Store, tmp_path: Path) -> None:
    version = save(store, tmp_path, make_snapshot(walls=2))
    model = store.list_models()[0]
    event = store.history_events(model.id)[0]
    row = store.elements(version.id)[0]
    for record in (version, model, event, row):
        assert pickle.loads(pickle.dumps(record)) == record
        with pytest.raises(AttributeError):
            record.id = 99  # type: ignore[misc]


def test_same_bytes_twice_is_one_version(store: Store, tmp_path: Path) -> None:
    payload = os.urandom(1000)
    first = save(store, tmp_path, make_snapshot(), payload=payload)
    again = save(store, tmp_path, make_snapshot(), payload=payload)
    assert first.created and not again.created
    assert again.id == first.id
    assert len(store.list_versions(first.model_id)) == 1
    assert len(store.history_events(first.model_id)) == 1


def test_job_id_makes_save_idempotent(store: Store, tmp_path: Path) -> None:
    first = save(store, tmp_path, make_snapshot(), payload=b"ISO-10303-21; Haus", job_id=42)
    # A retried job re-saves; even with other bytes it must not add a version. The version is still
    # the one this job made (its worker stopped after the commit), not one it found.
    retried = save(store, tmp_path, make_snapshot(edit="changed"), job_id=42)
    assert retried.created and retried.id == first.id
    other_job = save(store, tmp_path, make_snapshot(), payload=b"ISO-10303-21; Haus", job_id=43)  # job 42's bytes
    assert not other_job.created and other_job.id == first.id
    assert table_counts(store)["versions"] == 1


def test_edited_copy_becomes_version_two(store: Store, tmp_path: Path) -> None:
    v1 = save(store, tmp_path, make_snapshot())
    v2 = save(store, tmp_path, make_snapshot(edit="Wand neu", source_name="Haus Süd (2).ifc"))
    assert v2.created and v2.model_id == v1.model_id and v2.number == 2
    versions = store.list_versions(v1.model_id)
    assert [(v.number, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert store.list_models()[0].current_version_number == 2


def test_model_falls_back_to_file_name_without_project_id(store: Store, tmp_path: Path) -> None:
    a1 = save(store, tmp_path, make_snapshot(project_global_id=None, source_name="Plan.ifc"))
    a2 = save(store, tmp_path, make_snapshot(project_global_id=None, source_name="plan.IFC"))
    other = save(store, tmp_path, make_snapshot(project_global_id=None, source_name="Other.ifc"))
    assert a2.model_id == a1.model_id and a2.number == 2
    assert other.model_id != a1.model_id and other.number == 1


def test_new_model_is_forced_and_named_uniquely(store: Store, tmp_path: Path) -> None:
    payload = os.urandom(500)
    first = save(store, tmp_path, make_snapshot(), payload=payload)
    forced = save(store, tmp_path, make_snapshot(), payload=payload, new_model=True)
    assert forced.created and forced.model_id != first.model_id and forced.number == 1
    assert forced.model_name == "Haus Süd (2)"
    unnamed = save(
        store,
        tmp_path,
        make_snapshot(project_global_id="x" * 22, project_name=None, source_name="Büro 3.ifc"),
    )
    assert unnamed.model_name == "Büro 3"  # no project name: the file stem
    numbered = save(
        store,
        tmp_path,
        make_snapshot(project_global_id="z" * 22, project_name="0001", source_name="Duplex A.ifc"),
    )
    assert numbered.model_name == "Duplex A"  # Revit writes the project number as IfcProject.Name
    # No source name in the snapshot: the name of the file on disk.
    on_disk = save(
        store,
        tmp_path,
        make_snapshot(project_global_id="y" * 22, project_name=None, source_name=""),
        name="Lager.ifc",
    )
    assert (on_disk.model_name, on_disk.source_name) == ("Lager", "Lager.ifc")


def test_resolve_model(store: Store, tmp_path: Path) -> None:
    version = save(store, tmp_path, make_snapshot())
    assert store.resolve_model("Haus Süd").id == version.model_id
    assert store.resolve_model("haus süd").id == version.model_id
    assert store.resolve_model(version.model_id).name == "Haus Süd"
    assert store.resolve_model(str(version.model_id)).name == "Haus Süd"
    with pytest.raises(LookupError, match=r"No model named or numbered 'Nope'.*Haus Süd"):
        store.resolve_model("Nope")
    with pytest.raises(LookupError, match="has no version 7"):
        store.get_version(version.model_id, 7)


def test_a_file_name_with_spaces_around_it_names_a_model_that_can_be_found_by_that_name(store, tmp_path):
    version = save(store, tmp_path, make_snapshot(project_global_id=None, source_name=" Lageplan .ifc"))
    model = store.resolve_model(" Lageplan ")
    assert model.id == version.model_id and model.name == "Lageplan"
    assert store.resolve_model("lageplan").id == version.model_id


def test_a_file_named_like_a_model_id_names_a_model_that_its_name_finds(store: Store, tmp_path: Path):
    first = save(store, tmp_path, make_snapshot(project_global_id="a" * 22, source_name="Haus.ifc"))
    odd = save(store, tmp_path, make_snapshot(project_global_id="b" * 22, source_name="#1.ifc"), name="#1.ifc")
    model = store.get_model(odd.model_id)
    assert model.name == "#1.ifc"  # "#1" would mean the model with id 1
    assert store.resolve_model("#1.ifc").id == odd.model_id
    assert store.resolve_model("#1").id == first.model_id


def test_a_name_matching_several_models_but_in_case_is_refused_not_guessed(store: Store, tmp_path: Path):
    for name in ("WALL.ifc", "wall.ifc"):  # one model each: forced apart, as the same name joins a model
        save(store, tmp_path, make_snapshot(project_global_id=None, source_name=name), name=name, new_model=True)
    assert store.resolve_model("wall").name == "wall"  # the exact name first
    with pytest.raises(LookupError, match=r"'Wall' could be any of 'WALL' \(#1\), 'wall' \(#2\)"):
        store.resolve_model("Wall")


def test_a_number_that_names_one_model_and_numbers_another_is_refused_not_guessed(store: Store, tmp_path: Path):
    first = save(store, tmp_path, make_snapshot(project_global_id="a" * 22, source_name=""), name="Haus.ifc")
    named_one = save(
        store, tmp_path, make_snapshot(project_global_id="b" * 22, source_name=""), name=f"{first.model_id}.ifc"
    )
    assert named_one.model_id != first.model_id
    with pytest.raises(LookupError, match=f"give #{named_one.model_id} or #{first.model_id}"):
        store.resolve_model(str(first.model_id))
    assert store.resolve_model(f"#{first.model_id}").name == "Haus"
    assert store.resolve_model(f"#{named_one.model_id}").name == str(first.model_id)


def test_revert_is_instant_records_event_and_deletes_nothing(store: Store, tmp_path: Path) -> None:
    v1 = save(store, tmp_path, make_snapshot())
    v2 = save(store, tmp_path, make_snapshot(edit="x"), name="second.ifc")
    before = table_counts(store)

    reverted = store.revert(v1.model_id, 1)
    assert reverted.id == v1.id and reverted.is_current
    assert store.get_version(v1.model_id).id == v1.id
    assert store.get_version(v1.model_id, 2).id == v2.id  # still there
    assert store.list_models()[0].current_version_number == 1
    after = table_counts(store)
    assert after == {**before, "history_events": before["history_events"] + 1}
    kinds = [(e.kind, e.version_number) for e in store.history_events(v1.model_id)]
    assert kinds == [("import", 1), ("import", 2), ("revert", 1)]
    assert store.history_events(v1.model_id)[-1].detail == {"number": 1, "from_number": 2}

    store.revert(v1.model_id, 1)  # already current: nothing to record
    assert len(store.history_events(v1.model_id)) == 3
    with pytest.raises(LookupError):
        store.revert(v1.model_id, 9)


def test_export_gives_original_bytes(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "Projekt Ärger ü"
    folder.mkdir()
    payload = os.urandom(3 * 1024 * 1024 + 17)
    version = save(store, folder, make_snapshot(), name="Grund riss ßü.ifc", payload=payload)
    (folder / "Grund riss ßü.ifc").unlink()  # the original may be gone
    out = folder / "exportiert ö.ifc"
    store.export_source(version.id, out)
    assert out.read_bytes() == payload
    blob = store.blobs.path_for(version.blob_key)
    assert blob.is_file() and blob.name == f"{version.source_sha256}.ifc.gz"
    assert blob.parent.name == version.source_sha256[:2]


def test_an_export_never_writes_into_the_data_folder(store: Store, tmp_path: Path) -> None:
    from ifc_desktop.store.blobs import BlobError

    version = save(store, tmp_path, make_snapshot(), name="House.ifc", payload=b"ISO-10303-21;\n")
    database = store.db_path.read_bytes()
    for target in (store.db_path, store.data_dir / "House.ifc", store.blobs.path_for(version.blob_key)):
        with pytest.raises(BlobError, match="inside IFC Desktop's data folder"):
            store.export_source(version.id, target)
    assert store.db_path.read_bytes() == database
    assert store.get_model(version.model_id).version_count == 1


def test_failure_mid_write_leaves_nothing(store: Store, tmp_path: Path, monkeypatch) -> None:
    import ifc_desktop.store.writer as writer

    monkeypatch.setattr(writer, "WRITE_CHUNK", 5)
    before = table_counts(store)
    calls = []

    def progress(fraction: float) -> None:
        calls.append(fraction)
        if 0 < fraction < 1:
            raise RuntimeError("injected failure while writing elements")

    with pytest.raises(RuntimeError, match="injected"):
        save(store, tmp_path, make_snapshot(walls=20), progress=progress)
    assert calls == [0.0, 5 / 24]  # the first chunk was written before the failure
    assert table_counts(store) == before  # no model, version, element, property set, event
    assert store.list_models() == []

    # The same import then succeeds completely.
    fractions = []
    version = save(store, tmp_path, make_snapshot(walls=20), progress=fractions.append)
    assert version.created and version.element_count == 24
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert table_counts(store)["elements"] == 24


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), store.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO history_events (model_id, kind, created_at, detail) VALUES (999, 'x', '2020-01-01', '{}')"
        )


def test_writes_use_begin_immediate(store: Store, tmp_path: Path) -> None:
    # While a write transaction is open, another writer cannot even begin.
    other = sqlite3.connect(store.db_path, timeout=0, isolation_level=None)
    try:
        with store.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        # A read transaction does not block a writer (WAL).
        with store.read() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM models").scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_an_import_worker_leaves_copying_the_log_to_the_main_process(tmp_path: Path):
    from ifc_desktop.core.synthetic import write_model
    from ifc_desktop.jobs.task import ImportRequest, run_import

    data_dir = tmp_path / "data"
    model = tmp_path / "große Datei.ifc"
    write_model(model, elements=4000)  # a version of more pages than SQLite's auto-checkpoint size (1000)
    with Store.open(data_dir) as main:  # the window (or CLI) keeps the history open, as the app does
        database = main.db_path
        before = database.stat().st_size
        outcome = run_import(ImportRequest(job_id=None, path=str(model), data_dir=str(data_dir)))
        assert database.stat().st_size == before, "the worker's commit did not copy the log into the database"
        assert main.get_version(outcome.model_id).element_count == 4000  # committed and visible all the same
        assert Path(f"{database}-wal").stat().st_size > 1000 * 4096

        with main.write() as conn:  # the main process's next write copies the log
            conn.exec_driver_sql("UPDATE models SET name = name")
        assert database.stat().st_size > before
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM elements").fetchone()[0] == 4000


def test_the_same_ifc_zipped_or_not_is_one_version_and_exports_as_first_stored(tmp_path: Path):
    import zipfile

    from ifc_desktop.jobs.task import ImportRequest, run_import
    from tests.conftest import sample

    original = sample("ifc2x3_revit2021_simple_wall.ifc")
    content = original.read_bytes()

    def zipped(name: str, compression: int, payload: bytes = content) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", compression) as archive:
            archive.writestr("simple wall.ifc", payload)
        return path

    def run(path: Path, data_dir: Path):
        return run_import(ImportRequest(job_id=None, path=str(path), data_dir=str(data_dir)))

    # Zipped first, then unzipped, then zipped another way: one version, exported as the zip it came from.
    data_dir = tmp_path / "zip first"
    with Store.open(data_dir):
        pass
    first = run(zipped("wall.ifczip", zipfile.ZIP_DEFLATED), data_dir)
    again = [run(original, data_dir), run(zipped("stored.ifczip", zipfile.ZIP_STORED), data_dir)]
    assert first.created and not any(outcome.created for outcome in again)
    assert {outcome.version_id for outcome in again} == {first.version_id}
    with Store.open(data_dir) as store:
        exported = tmp_path / "exported.ifczip"
        store.export_source(first.version_id, exported)
        assert exported.read_bytes() == (tmp_path / "wall.ifczip").read_bytes()

    # Unzipped first, then zipped: the same. An edited copy, zipped, is a new version.
    data_dir = tmp_path / "plain first"
    with Store.open(data_dir):
        pass
    first = run(original, data_dir)
    again = run(zipped("later.ifczip", zipfile.ZIP_DEFLATED), data_dir)
    assert not again.created and again.version_id == first.version_id
    edited = content.replace(b"'Basic Wall:Bearing Wall:346660'", b"'Renamed wall'")
    second = run(zipped("edited.ifczip", zipfile.ZIP_DEFLATED, edited), data_dir)
    assert second.created and second.model_id == first.model_id and second.version_number == 2


def test_storeys_are_counted_from_the_lowest_up(tmp_path: Path):
    from ifc_desktop.core.extract import extract
    from ifc_desktop.core.opener import prepare
    from ifc_desktop.core.progress import StageReporter
    from ifc_desktop.jobs.task import STAGES
    from ifc_desktop.store.rows import storey_counts
    from tests.conftest import sample

    prepared = prepare(sample("ifc2x3_revit2011_duplex_apartment_A.ifc"), tmp_path / "tmp")
    snapshot = extract(prepared, StageReporter(STAGES, None))
    height = {e.name: e.placement[2] for e in snapshot.elements if e.ifc_class == "IfcBuildingStorey"}
    listed = [label for label in storey_counts(snapshot) if label in height]
    assert listed == sorted(height, key=height.get) and len(listed) > 2
    assert list(storey_counts(snapshot))[-1] == "(not on a storey)"


def test_the_source_of_a_failed_import_is_removed_a_day_later_and_every_version_still_exports(tmp_path: Path):
    from ifc_desktop.jobs.engine import JobEngine

    def start_the_job_engine() -> None:  # as the app and every import command do
        engine = JobEngine(data_dir, workers=1)
        engine.start()
        engine.shutdown()

    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        version = save(store, tmp_path, make_snapshot(), name="kept.ifc")
        failed_path, failed_sha, _ = write_source(tmp_path, "failed.ifc")
        store.store_source(failed_path, failed_sha)  # copied while parsing; the parse then failed
        blobs = [store.blobs.path_for(version.blob_key), store.blobs.path_for_sha(failed_sha)]
    start_the_job_engine()  # the next start, the same day: an import may still be running
    assert all(blob.exists() for blob in blobs)
    # Two days on (the history is older still: files older than it are never swept).
    with Store.open(data_dir) as store, store.write() as conn:
        conn.exec_driver_sql("UPDATE models SET created_at = datetime('now', '-3 days')")
    two_days_ago = time.time() - 2 * 24 * 3600
    for blob in blobs:
        os.utime(blob, (two_days_ago, two_days_ago))
    start_the_job_engine()  # a start a day later
    with Store.open(data_dir) as store:
        assert blobs[0].exists() and not blobs[1].exists()
        out = tmp_path / "exported.ifc"
        store.export_source(version.id, out)
        assert out.read_bytes() == (tmp_path / "kept.ifc").read_bytes()


def renumbered(snapshot, prefix: str):
    """The same building with other GlobalIds: another project from the same template."""
    for number, element in enumerate(snapshot.elements):
        element.global_id = f"{prefix}{number:0{22 - len(prefix)}d}"
    return snapshot


def test_a_file_sharing_only_the_project_id_joins_the_model_with_a_warning(store: Store, tmp_path: Path):
    first = save(store, tmp_path, make_snapshot(walls=30), name="Haus Süd.ifc")
    other = save(store, tmp_path, renumbered(make_snapshot(walls=30), "other"), name="Schule Nord.ifc")
    assert other.model_id == first.model_id and other.number == 2
    assert other.warnings[-1].startswith("This file has the project id of the model 'Haus Süd' and became")
    assert "only 0 elements of its 34 are in version 1" in other.warnings[-1]
    assert "import it again as a new model" in other.warnings[-1]


def test_an_edited_re_export_of_the_same_project_gets_no_such_warning(store: Store, tmp_path: Path):
    save(store, tmp_path, make_snapshot(walls=30), name="Haus Süd.ifc")
    edited = save(store, tmp_path, make_snapshot(walls=40, edit="W-neu"), name="Haus Süd 2026-11-29.ifc")
    assert edited.number == 2
    assert not any("project id" in warning for warning in edited.warnings)


def test_models_are_listed_by_name_whatever_its_case(store: Store, tmp_path: Path):
    for name in ("haus_v2.ifc", "Zebra.ifc", "bSI_sample.ifc", "Apfel.ifc"):
        save(store, tmp_path, make_snapshot(project_global_id=None, source_name=name), name=name)
    assert [m.name for m in store.list_models()] == ["Apfel", "bSI_sample", "haus_v2", "Zebra"]


def test_a_retried_job_whose_version_was_committed_reports_it_as_made_not_found(tmp_path: Path):
    """The worker stopped after its commit; the retry finds the version by its bytes."""
    from ifc_desktop.jobs.task import ImportRequest, run_import

    from .conftest import sample

    data_dir = tmp_path / "data"
    Store.open(data_dir).close()
    wall = str(sample("ifc2x3_revit2021_simple_wall.ifc"))
    first = run_import(ImportRequest(job_id=7, path=wall, data_dir=str(data_dir)))
    again = run_import(ImportRequest(job_id=7, path=wall, data_dir=str(data_dir)))
    assert first.created and again.created and again.version_id == first.version_id
    other = run_import(ImportRequest(job_id=8, path=wall, data_dir=str(data_dir)))
    assert not other.created and other.version_id == first.version_id


@pytest.mark.parametrize("damage", ["deleted", "one byte changed", "truncated"])
def test_importing_the_original_again_repairs_a_missing_or_damaged_stored_copy(tmp_path: Path, damage: str):
    from ifc_desktop.jobs.task import RESTORED_NOTE, ImportRequest, run_import
    from ifc_desktop.store.blobs import BlobError

    from .conftest import sample

    original = sample("ifc2x3_revit2021_simple_wall.ifc")
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        first = run_import(ImportRequest(job_id=None, path=str(original), data_dir=str(data_dir)))
        blob = store.blobs.path_for(store.get_version(first.version_id).blob_key)
        stored = blob.read_bytes()
        if damage == "deleted":
            blob.unlink()
        elif damage == "one byte changed":
            blob.write_bytes(stored[:200] + bytes([stored[200] ^ 0xFF]) + stored[201:])
        else:
            blob.write_bytes(stored[: len(stored) // 2])
        with pytest.raises(BlobError):
            store.export_source(first.version_id, tmp_path / "out.ifc")

        again = run_import(ImportRequest(job_id=None, path=str(original), data_dir=str(data_dir)))
        assert again.version_id == first.version_id and not again.created
        assert again.warnings[0] == RESTORED_NOTE
        store.export_source(first.version_id, tmp_path / "out.ifc")
        assert (tmp_path / "out.ifc").read_bytes() == original.read_bytes()

        # An intact copy is left as it is, and the import says nothing about it.
        third = run_import(ImportRequest(job_id=None, path=str(original), data_dir=str(data_dir)))
        assert RESTORED_NOTE not in third.warnings
