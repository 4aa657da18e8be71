"""Fault drills around the history database: a held write lock, a full disk, a damaged file."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ifc_desktop.cli import run_cli
from ifc_desktop.jobs import JobEngine, JobState
from ifc_desktop.store import Store, StoreCorrupt, database_path

from . import hostile_corpus as hc
from .conftest import sample
from .jobs_fixtures import distinct_copy, engine_factory

LOCK_SECONDS = 10.0


@pytest.fixture
def make_engine(data_dir):
    yield from engine_factory(data_dir)


def version_rows(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(database_path(data_dir)) as db:
        return db.execute("SELECT id, source_sha256, element_count FROM versions ORDER BY id").fetchall()


HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
print("released", time.time(), flush=True)
"""


@pytest.mark.slow
def test_a_job_waits_for_another_process_holding_the_write_lock(make_engine, data_dir, tmp_path):
    engine, _ = make_engine()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database_path(data_dir)), str(LOCK_SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        (job,) = engine.submit([distinct_copy("ifc2x3_revit2021_simple_wall.ifc", tmp_path, "behind a lock")])
        assert engine.wait([job.id], timeout=LOCK_SECONDS + 120)
        released = float(holder.stdout.readline().split()[1])
    finally:
        holder.wait(timeout=LOCK_SECONDS + 30)
    job = engine.get(job.id)
    assert job.state == JobState.SUCCESS, job.error_message
    assert job.attempts == 1  # it waited; it did not fail and retry
    assert job.finished_at.timestamp() > released
    assert [v[2] for v in version_rows(data_dir)] == [6]


@pytest.fixture
def small_disk(tmp_path):
    """A 20 MB tmpfs for the data folder (root only)."""
    mount_point = tmp_path / "small disk ü"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Write a filler file until only about ``leave`` bytes are free."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free
    with open(filler, "wb") as handle:
        remaining = max(0, free - leave)
        block = b"\0" * (1024 * 1024)
        while remaining > 0:
            try:
                handle.write(block[: min(len(block), remaining)])
                handle.flush()
            except OSError:
                break
            remaining -= min(len(block), remaining)
    return filler


@pytest.mark.slow
def test_a_full_disk_while_saving_fails_clearly_and_keeps_earlier_versions(small_disk, tmp_path):
    data_dir = small_disk / "data"
    engine = JobEngine(data_dir, workers=1, max_attempts=2, backoff_base=0.05)
    engine.start()
    try:
        (first,) = engine.submit([sample("ifc2x3_revit2021_simple_wall.ifc")])
        assert engine.wait([first.id], timeout=120)
        assert engine.get(first.id).state == JobState.SUCCESS
        before = version_rows(data_dir)

        filler = fill(small_disk, leave=600 * 1024)
        (big,) = engine.submit([sample("ifc2x3_tekla2019_mini_project_steel.ifc")])
        assert engine.wait([big.id], timeout=300)
        big = engine.get(big.id)
        assert big.state == JobState.FAILURE
        assert "disk is full" in big.error_message.lower(), big.error_message
        assert not big.error_permanent  # freeing space and retrying can work
        assert version_rows(data_dir) == before
        assert hc.integrity(data_dir) == [("ok",)]
        assert hc.partial_versions(data_dir) == []

        filler.unlink()
        engine.retry(big.id)
        assert engine.wait([big.id], timeout=300)
        assert engine.get(big.id).state == JobState.SUCCESS
        assert len(version_rows(data_dir)) == 2
    finally:
        engine.shutdown()


def scribble(path: Path, start: int, length: int) -> None:
    data = bytearray(path.read_bytes())
    for index in range(start, min(len(data), start + length)):
        data[index] = (index * 151 + 7) % 256
    path.write_bytes(bytes(data))


def fresh_history(data_dir: Path) -> Path:
    db_path = database_path(data_dir)
    with Store.open(data_dir) as store:
        assert store.db_path == db_path
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path


@pytest.mark.parametrize(
    "damage",
    ["not a database", "damaged schema page", "cut in half"],
)
def test_a_damaged_database_at_start_is_reported_and_kept_aside(data_dir, tmp_path, damage, capsys):
    imported = run_cli(
        ["process", str(sample("ifc2x3_revit2021_simple_wall.ifc")), "--data-dir", str(data_dir), "--workers", "1"]
    )
    assert imported == 0
    db_path = fresh_history(data_dir)
    if damage == "not a database":
        db_path.write_bytes(b"this is not a database " * 500)
    elif damage == "damaged schema page":
        scribble(db_path, 100, 4000)
    else:
        db_path.write_bytes(db_path.read_bytes()[: db_path.stat().st_size // 2])
    damaged_bytes = db_path.read_bytes()

    with pytest.raises(StoreCorrupt) as caught:
        JobEngine(data_dir, workers=1).start()
    assert str(db_path) in str(caught.value)
    assert db_path.read_bytes() == damaged_bytes  # reporting touches nothing

    capsys.readouterr()
    code = run_cli(["models", "--data-dir", str(data_dir)])
    message = capsys.readouterr().err
    assert code != 0
    assert "damaged" in message and str(db_path) in message
    aside = [p for p in data_dir.iterdir() if p.name.startswith("history.corrupt-") and p.suffix == ".sqlite"]
    assert len(aside) == 1 and aside[0].name in message
    assert aside[0].read_bytes() == damaged_bytes  # kept, never deleted

    # The next start begins a new history and imports again.
    assert run_cli(["process", str(sample("ifc2x3_revit2021_simple_wall.ifc")), "--data-dir", str(data_dir)]) == 0
    assert len(version_rows(data_dir)) == 1
    assert aside[0].read_bytes() == damaged_bytes
