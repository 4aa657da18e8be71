"""Opening the store: damaged files are reported clearly and moved aside only on request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ifc_desktop.store import Store, StoreCorrupt, StoreError, database_path, quarantine
from tests.store_helpers import make_snapshot, write_source


def test_not_a_database_raises_store_corrupt_naming_the_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "Daten ü"
    data_dir.mkdir()
    db_file = database_path(data_dir)
    db_file.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreCorrupt) as caught:
        Store.open(data_dir)
    assert str(db_file) in str(caught.value)
    assert caught.value.path == db_file
    assert db_file.read_bytes().startswith(b"this is not sqlite")  # not moved, not deleted


def test_damaged_pages_raise_store_corrupt(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        path, sha, size = write_source(tmp_path, "a.ifc")
        store.save_version(make_snapshot(), source_path=path, sha256=sha, size=size)
    db_file = database_path(tmp_path)
    data = bytearray(db_file.read_bytes())
    # Keep the 100-byte header valid, wreck everything after it (schema page included).
    data[100:] = os.urandom(len(data) - 100)
    db_file.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match="damaged"):
        Store.open(tmp_path)


def test_quarantine_moves_aside_then_a_fresh_store_opens(tmp_path: Path) -> None:
    db_file = database_path(tmp_path)
    db_file.write_bytes(b"garbage" * 50)
    with pytest.raises(StoreCorrupt) as caught:
        Store.open(tmp_path)
    moved = quarantine(caught.value.path)
    assert moved.parent == tmp_path
    assert moved.name.startswith("history.corrupt-") and moved.suffix == ".sqlite"
    assert moved.read_bytes() == b"garbage" * 50
    with Store.open(tmp_path) as store:
        assert store.list_models() == []
        store.check_integrity()


def test_database_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store, store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    with pytest.raises(StoreError, match="newer version of IFC Desktop"):
        Store.open(tmp_path)


def test_open_without_migrating_uses_the_existing_schema(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    with Store.open(tmp_path, migrate=False, busy_timeout=5) as store:
        assert store.list_models() == []
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_unopenable_database_is_a_store_error_naming_it(tmp_path: Path) -> None:
    database_path(tmp_path).mkdir()  # a folder where the database file should be
    with pytest.raises(StoreError, match="cannot be opened") as caught:
        Store.open(tmp_path)
    assert str(database_path(tmp_path)) in str(caught.value)
    assert not isinstance(caught.value, StoreCorrupt)


def test_data_folder_with_url_and_config_special_characters(tmp_path: Path) -> None:
    data_dir = tmp_path / "Daten #1 %20 & ü"
    with Store.open(data_dir) as store:
        path, sha, size = write_source(tmp_path, "a.ifc")
        version = store.save_version(make_snapshot(), source_path=path, sha256=sha, size=size)
    assert database_path(data_dir).is_file()
    with Store.open(data_dir) as store:
        assert store.get_version(version.model_id).id == version.id


def test_a_read_only_history_is_named_as_such(tmp_path, monkeypatch):
    import sqlite3

    from sqlalchemy import exc

    from ifc_desktop.store import db

    def read_only(*_args, **_kwargs):
        raise exc.OperationalError("PRAGMA", {}, sqlite3.OperationalError("attempt to write a readonly database"))

    monkeypatch.setattr(db, "migrate", read_only)
    with pytest.raises(db.StoreError, match=r"history\.sqlite is read-only: IFC Desktop needs to write in its data"):
        Store.open(tmp_path / "Daten")
