"""Stored source files: content-addressed, compressed, written atomically, exported exactly."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
from pathlib import Path

import pytest

from ifc_desktop.store.blobs import BlobError, BlobStore, blob_key, file_sha256

DAY = 24 * 3600.0


def make_file(folder: Path, name: str, data: bytes) -> tuple[Path, str]:
    path = folder / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def leftovers(store: BlobStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file() and p.name.startswith(".tmp-")]


def test_round_trip_of_large_file_streamed_in_chunks(tmp_path: Path) -> None:
    # Text-like content larger than several chunks, plus random bytes.
    data = b"#12=IFCWALL('2O2Fr$t4X7Zf8NOew3FLOH',$,'Wand',$);\n" * 60000 + os.urandom(100000)
    source, sha = make_file(tmp_path, "Entwurf mit Leerzeichen ä.ifc", data)
    store = BlobStore(tmp_path / "data")
    info = store.put_file(source, sha)
    assert info.key == blob_key(sha) == f"{sha[:2]}/{sha}.ifc.gz"
    assert info.size == len(data) and info.compressed_size < len(data) / 5
    blob = store.path_for(info.key)
    assert gzip.decompress(blob.read_bytes()) == data  # a standard gzip file
    out = tmp_path / "zurück.ifc"
    store.export(info.key, out, sha256=sha)
    assert out.read_bytes() == data and file_sha256(out) == sha
    assert leftovers(store) == []


def test_same_content_is_stored_once_and_not_read_again(tmp_path: Path) -> None:
    data = os.urandom(5000)
    source, sha = make_file(tmp_path, "a.ifc", data)
    store = BlobStore(tmp_path / "data")
    first = store.put_file(source, sha)
    blob = store.path_for(first.key)
    stored = blob.read_bytes()
    os.utime(blob, (1, 1))
    source.unlink()  # gone: a second store must not need to read it
    second = store.put_file(source, sha)
    assert second.key == first.key and second.size == len(data)
    assert blob.read_bytes() == stored
    assert blob.stat().st_mtime > 1  # touched: in use again, so a sweep of unused blobs keeps it


def test_changed_file_is_refused_and_leaves_no_blob(tmp_path: Path) -> None:
    source, sha = make_file(tmp_path, "a.ifc", b"original content")
    source.write_bytes(b"edited after hashing")
    store = BlobStore(tmp_path / "data")
    with pytest.raises(BlobError, match="changed while it was being stored"):
        store.put_file(source, sha)
    assert not store.has(sha)
    assert leftovers(store) == []


def test_damaged_blob_is_reported_and_output_untouched(tmp_path: Path) -> None:
    data = os.urandom(200000)
    source, sha = make_file(tmp_path, "a.ifc", data)
    store = BlobStore(tmp_path / "data")
    info = store.put_file(source, sha)
    blob = store.path_for(info.key)
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])  # truncated
    out = tmp_path / "out.ifc"
    out.write_bytes(b"keep me")
    with pytest.raises(BlobError, match=r"truncated|damaged"):
        store.export(info.key, out, sha256=sha)
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_keys_must_be_sha256(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ABC", "a" * 63, "A" * 64):
        with pytest.raises(ValueError):
            store.put_file(tmp_path / "x", bad)


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    folder = store.root / "ab"
    folder.mkdir(parents=True)
    old = folder / ".tmp-old.part"
    fresh = folder / ".tmp-fresh.part"
    for path in (old, fresh):
        path.write_bytes(b"half")
    os.utime(old, (1, 1))
    assert store.remove_stale_temp_files() == 1
    assert not old.exists() and fresh.exists()


def stored_blob(store: BlobStore, folder: Path, name: str, *, age: float) -> tuple[Path, str]:
    source, sha = make_file(folder, name, os.urandom(3000))
    blob = store.path_for(store.put_file(source, sha).key)
    moment = time.time() - age
    os.utime(blob, (moment, moment))
    return blob, sha


def test_unused_blobs_are_removed_once_a_day_old_and_used_ones_kept(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "data")
    used_old, used_sha = stored_blob(store, tmp_path, "used.ifc", age=10 * DAY)
    unused_old, _ = stored_blob(store, tmp_path, "failed.ifc", age=2 * DAY)
    unused_new, _ = stored_blob(store, tmp_path, "running.ifc", age=60)
    in_use = {used_sha}
    assert store.remove_unused(lambda: set(in_use), in_use.__contains__) == 1
    assert used_old.exists() and unused_new.exists() and not unused_old.exists()
    assert list(store.root.rglob(".orphan-*")) == []


def test_a_blob_saved_by_an_import_during_the_sweep_is_put_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "data")
    blob, sha = stored_blob(store, tmp_path, "a.ifc", age=2 * DAY)
    data = blob.read_bytes()
    # Unused when the sweep lists the blobs, used by the time it asks again.
    assert store.remove_unused(set, lambda asked: asked == sha) == 0
    assert blob.read_bytes() == data
    assert list(store.root.rglob(".orphan-*")) == []


def test_an_import_reusing_a_blob_being_swept_writes_it_anew(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "data")
    blob, sha = stored_blob(store, tmp_path, "a.ifc", age=2 * DAY)
    source = tmp_path / "again.ifc"
    source.write_bytes(gzip.decompress(blob.read_bytes()))

    def is_used(asked: str) -> bool:
        store.put_file(source, sha)  # an import stores the same file while the blob is set aside
        return True

    assert store.remove_unused(set, is_used) == 0
    assert gzip.decompress(blob.read_bytes()) == source.read_bytes()
    assert list(store.root.rglob(".orphan-*")) == []


def test_a_blob_left_aside_by_a_crash_is_put_back_when_used(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "data")
    used_blob, used_sha = stored_blob(store, tmp_path, "used.ifc", age=2 * DAY)
    unused_blob, _ = stored_blob(store, tmp_path, "unused.ifc", age=2 * DAY)
    for blob in (used_blob, unused_blob):
        blob.rename(blob.with_name(".orphan-" + blob.name))
    assert store.remove_unused(lambda: {used_sha}, {used_sha}.__contains__) == 1
    assert used_blob.exists() and not unused_blob.exists()
    assert list(store.root.rglob(".orphan-*")) == []


def test_source_files_of_a_history_set_aside_are_never_swept(tmp_path: Path) -> None:
    # A damaged database is moved aside and a new, empty one made: the stored files are then
    # the only copies of the old history's imports, though the new one uses none of them.
    from ifc_desktop.store import Store
    from tests.store_helpers import make_snapshot, write_source

    data = tmp_path / "data"
    with Store.open(data) as store:
        path, sha, size = write_source(tmp_path, "old.ifc")
        old_version = store.save_version(make_snapshot(), source_path=path, sha256=sha, size=size)
        old_blob = store.blobs.path_for(old_version.blob_key)
    os.utime(old_blob, (time.time() - 5 * DAY,) * 2)
    (data / "history.sqlite").rename(data / "history.damaged.sqlite")

    with Store.open(data) as store:
        assert store.history_began() is None
        assert store.remove_unused_sources() == 0  # nothing was imported into this history yet
        path, sha, size = write_source(tmp_path, "new.ifc")
        store.save_version(make_snapshot(project_global_id=None), source_path=path, sha256=sha, size=size)
        assert store.remove_unused_sources() == 0
        assert old_blob.exists()

        # The new history's own unused files are still swept once a day old.
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE models SET created_at = datetime('now', '-3 days')")
        failed_blob, _ = stored_blob(store.blobs, tmp_path, "failed.ifc", age=2 * DAY)
        assert store.remove_unused_sources() == 1
        assert not failed_blob.exists() and old_blob.exists()
