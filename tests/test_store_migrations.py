"""The Alembic migrations produce exactly the schema the ORM models declare."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ifc_desktop.store.db import (
    alembic_config,
    create_store_engine,
    database_path,
    head_revision,
    migrate,
    write_connection,
)
from ifc_desktop.store.models import Base


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def _index_names(engine) -> set[str]:
    inspector = inspect(engine)
    return {ix["name"] for table in inspector.get_table_names() for ix in inspector.get_indexes(table)}


@pytest.fixture
def engine(tmp_path: Path):
    engine = create_store_engine(database_path(tmp_path))
    yield engine
    engine.dispose()


def test_upgrade_head_matches_models_exactly(engine, tmp_path: Path) -> None:
    migrate(engine, database_path(tmp_path))
    assert _diff(engine) == []
    # compare_metadata covers indexes and unique constraints; check they exist at all.
    assert {
        "ix_elements_version_id_global_id",
        "ix_elements_version_id_ifc_class",
        "ix_elements_version_id_container_global_id",
        "ix_jobs_state",
    } <= _index_names(engine)
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("versions")}
    assert {("model_id", "source_sha256"), ("model_id", "number"), ("job_id",)} <= uniques


def test_empty_database_differs_from_models(engine) -> None:
    # Guards the comparison itself: with no migration applied the diff must not be empty.
    assert _diff(engine) != []


def test_downgrade_then_upgrade(engine, tmp_path: Path) -> None:
    migrate(engine, database_path(tmp_path))
    with write_connection(engine) as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    with write_connection(engine) as conn:
        command.upgrade(alembic_config(conn), "head")
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()


def test_pragmas_on_every_connection(engine, tmp_path: Path) -> None:
    migrate(engine, database_path(tmp_path))
    for _ in range(2):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
    # The mode is persistent in the file, seen by a plain sqlite3 connection too.
    plain = sqlite3.connect(database_path(tmp_path))
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()


def test_comparison_sees_a_missing_index(engine, tmp_path: Path) -> None:
    migrate(engine, database_path(tmp_path))
    with write_connection(engine) as conn:
        conn.exec_driver_sql("DROP INDEX ix_elements_version_id_ifc_class")
    diff = _diff(engine)
    assert [entry[0] for entry in diff] == ["add_index"]
    assert diff[0][1].name == "ix_elements_version_id_ifc_class"
