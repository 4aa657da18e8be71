"""Shared helpers for the job engine tests: recording listener, engines, files, database checks."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ifc_desktop.core.progress import Progress
from ifc_desktop.jobs import JobEngine, JobInfo, JobListener
from ifc_desktop.store import database_path
from tests.conftest import sample

SMALL_GOOD = [
    "ifc2x3_revit2021_simple_wall.ifc",
    "ifc4_bonsai_tutorial_walls_openings.ifc",
    "ifc4_revit2027_rac_basic_fragment.ifc",
    "ifc2x3_archicad24_composite_profile.ifc",
]
BAD_HEADER = "bad_ifc2x3_header_order_and_unescaped_backslash.ifc"


class Recorder(JobListener):
    """Keeps every event, in the order received; lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self._changed = threading.Condition()

    def _add(self, *event: Any) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def on_job_added(self, job: JobInfo) -> None:
        self._add("added", job.id, job.state)

    def on_state_changed(self, job: JobInfo) -> None:
        self._add("state", job.id, job.state, job)

    def on_progress(self, job_id: int, progress: Progress) -> None:
        self._add("progress", job_id, progress)

    def on_finished(self, job: JobInfo, outcome: Any) -> None:
        self._add("finished", job.id, outcome)

    def on_failed(self, job: JobInfo, message: str) -> None:
        self._add("failed", job.id, message)

    def for_job(self, job_id: int) -> list[tuple[Any, ...]]:
        with self._changed:
            return [event for event in self.events if event[1] == job_id]

    def states(self, job_id: int) -> list[str]:
        return [event[2].value for event in self.for_job(job_id) if event[0] == "state"]

    def wait_for(self, predicate: Callable[[tuple[Any, ...]], bool], timeout: float = 60.0) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"event not seen within {timeout} s; events: {self.events!r}")
                self._changed.wait(remaining)

    def wait_for_stage(self, job_id: int, stage: str, timeout: float = 60.0) -> None:
        self.wait_for(lambda e: e[0] == "progress" and e[1] == job_id and e[2].stage_name == stage, timeout)


def engine_factory(data_dir: Path) -> Iterator[Callable[..., tuple[JobEngine, Recorder]]]:
    """For a fixture: start engines on the test's data folder; all are shut down at the end."""
    engines: list[JobEngine] = []

    def make(**options: Any) -> tuple[JobEngine, Recorder]:
        options.setdefault("workers", 1)
        options.setdefault("backoff_base", 0.05)
        engine = JobEngine(data_dir, **options)
        recorder = Recorder()
        engine.add_listener(recorder)
        engine.start()
        engines.append(engine)
        return engine, recorder

    yield make
    for engine in reversed(engines):
        engine.shutdown()


def distinct_copy(name: str, folder: Path, label: str) -> Path:
    """A copy of a sample with different bytes (a trailing comment), so it is not recognised as seen."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{Path(name).stem} {label}{Path(name).suffix}"
    target.write_bytes(sample(name).read_bytes() + f"/* {label} */\n".encode())
    return target


def versions_of_job(data_dir: Path, job_id: int) -> int:
    with sqlite3.connect(database_path(data_dir)) as conn:
        return conn.execute("SELECT count(*) FROM versions WHERE job_id = ?", (job_id,)).fetchone()[0]


def version_count(data_dir: Path) -> int:
    with sqlite3.connect(database_path(data_dir)) as conn:
        return conn.execute("SELECT count(*) FROM versions").fetchone()[0]


def job_row(data_dir: Path, job_id: int) -> dict[str, Any]:
    """The job's row as the table has it ({} while there is no such row, or no table yet)."""
    with sqlite3.connect(database_path(data_dir)) as conn:
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return {}
            raise
        return dict(row) if row is not None else {}


def process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)
