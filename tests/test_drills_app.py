"""Drills on the whole app process: SIGKILL it while versions are written; drop 50 files at once.

The app is ``python -m tests.hostile_corpus`` (the job engine as the window
runs it), in its own session so a kill can take the app alone (its workers
orphaned) or the whole process group (as a power cut would).

IFC_DESKTOP_DRILL_KILLS sets the number of kills (10 by default, a CI-sized
run; the issue's full drill is 50).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ifc_desktop.jobs.task import TEMP_FOLDER
from ifc_desktop.store import database_path

from . import hostile_corpus as hc
from .conftest import REPO, sample
from .jobs_fixtures import distinct_copy
from .test_drills_engine import integrity, partial_versions

KILLS = int(os.environ.get("IFC_DESKTOP_DRILL_KILLS", "10"))
# Files whose saving takes a few hundred milliseconds, so a kill lands inside the write.
HEAVY = ["ifc2x3_tekla2019_mini_project_steel.ifc", "ifc2x3_revit2011_duplex_apartment_A.ifc"]


class App:
    """One run of the app in its own process group."""

    def __init__(self, data_dir: Path, files: list[Path] = ()):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile_corpus", str(data_dir), *map(str, files)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def next_line(self) -> str:
        return self.process.stdout.readline().strip()

    def kill(self, whole_group: bool) -> None:
        if whole_group:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.process.wait(timeout=30)

    def finish(self, timeout: float = 600) -> dict:
        """Read until ``done``; the app's summary."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.next_line()
            if line.startswith("done "):
                self.process.wait(timeout=60)
                return json.loads(line[5:])
            if not line and self.process.poll() is not None:
                raise AssertionError(f"the app exited with {self.process.returncode} before finishing")
        raise AssertionError("the app did not finish")

    def group_gone(self, timeout: float = 60) -> bool:
        """True once no process of this run's group is left (orphaned workers end on their own)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


def jobs_and_versions(data_dir: Path) -> tuple[dict[int, tuple[str, int | None]], list[tuple[int, str, int]]]:
    with sqlite3.connect(database_path(data_dir)) as db:
        jobs = {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, state, version_id FROM jobs")}
        versions = db.execute("SELECT id, source_sha256, job_id FROM versions").fetchall()
    return jobs, versions


@pytest.mark.slow
@pytest.mark.timeout(max(300, KILLS * 20))
def test_killing_the_app_while_it_writes_versions_loses_nothing(tmp_path):
    data_dir = tmp_path / "data ü"
    files = [distinct_copy(HEAVY[i % len(HEAVY)], tmp_path / "drop", f"copy {i}") for i in range(max(4, KILLS // 3))]
    rng = random.Random(20241129)
    kills = interrupted = 0
    run = App(data_dir, files)
    while kills < KILLS:
        line = run.next_line()
        if line.startswith("done "):
            # Everything was saved before enough kills landed: queue more copies and go on.
            run.process.wait(timeout=60)
            more = [distinct_copy(HEAVY[0], tmp_path / "drop", f"more {kills} {i}") for i in range(2)]
            files += more
            run = App(data_dir, more)
            continue
        if not line.startswith("saving"):
            assert line or run.process.poll() is None, f"the app exited with {run.process.returncode}"
            continue
        time.sleep(rng.uniform(0.0, 0.25))
        run.kill(whole_group=kills % 2 == 1)
        assert run.group_gone(), "worker processes outlived the killed app"
        kills += 1
        saved = jobs_and_versions(data_dir)[0].get(int(line.split()[1]), (None, None))[1]
        interrupted += saved is None  # the kill landed before the version's commit
        run = App(data_dir)

    summary = run.finish()
    assert run.group_gone()
    jobs, versions = jobs_and_versions(data_dir)
    assert integrity(data_dir) == [("ok",)]
    assert partial_versions(data_dir) == []
    assert len(jobs) == len(files) == summary["jobs"]  # no job lost, none doubled
    assert {state for state, _ in jobs.values()} == {"SUCCESS"}
    assert len(versions) == len(files)  # exactly one version per file
    assert len({sha for _, sha, _ in versions}) == len(files)
    assert {version_id for _, version_id in jobs.values()} == {v[0] for v in versions}
    assert hc.leftovers(data_dir / TEMP_FOLDER) == []
    assert interrupted >= 1, "no kill landed inside a write; the drill tested nothing"


@pytest.mark.slow
def test_fifty_files_dropped_at_once_all_finish_with_the_app_memory_bounded(tmp_path):
    corpus = hc.build(tmp_path / "corpus", [case for case in hc.CASES if not case.big])
    bad = [path for name, path in corpus.items() if hc.BY_NAME[name].expect.outcome == hc.FAILURE][:30]
    good = [distinct_copy(name, tmp_path / "good", f"drop {i}") for i in range(5) for name in GOOD_FOUR]
    good.append(sample("ifc2x3_tekla2019_mini_project_steel.ifc"))
    files = bad + good[: 50 - len(bad)]
    assert len(files) == 50
    data_dir = tmp_path / "data"
    summary = App(data_dir, files).finish()
    assert summary["jobs"] == 50
    assert set(summary["states"]) <= {"SUCCESS", "FAILURE"}
    assert summary["states"]["SUCCESS"] == 50 - len(bad)
    assert summary["states"]["FAILURE"] == len(bad)
    # The app never parses: its memory stays that of an idle engine, whatever the files weigh.
    assert not summary["ifcopenshell_imported"]
    assert summary["rss_peak"] - summary["rss_started"] < 64 * 1024**2, summary
    assert integrity(data_dir) == [("ok",)]
    assert partial_versions(data_dir) == []


GOOD_FOUR = [
    "ifc2x3_revit2021_simple_wall.ifc",
    "ifc4_bonsai_tutorial_walls_openings.ifc",
    "ifc2x3_revit2011_duplex_apartment_A.ifc",
    "ifc4_archicad20_fzk_haus.ifc",
]
