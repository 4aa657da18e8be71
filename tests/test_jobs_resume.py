"""Resume after the app died, one runner per data folder, and engines that share a folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ifc_desktop.jobs import JobState
from ifc_desktop.jobs.locks import FileLock
from ifc_desktop.jobs.worker import job_lock_path
from tests.conftest import REPO
from tests.jobs_fixtures import (
    SMALL_GOOD,
    distinct_copy,
    engine_factory,
    job_row,
    process_alive,
    versions_of_job,
    wait_until,
)

# An app that starts one hanging import and then stays busy until it is killed.
DOOMED_APP = """
import sys, time
from pathlib import Path
from ifc_desktop.jobs import JobEngine

if __name__ == "__main__":
    engine = JobEngine(Path(sys.argv[1]), workers=1)
    engine.start()
    engine.submit([sys.argv[2]], fault="hang:Extracting elements")
    print("submitted", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def make_engine(data_dir):
    yield from engine_factory(data_dir)


def test_second_engine_resumes_a_job_after_the_first_was_killed(make_engine, data_dir, tmp_path):
    path = distinct_copy(SMALL_GOOD[0], tmp_path, "resumed")
    script = tmp_path / "doomed_app.py"
    script.write_text(DOOMED_APP, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "IFC_DESKTOP_ENABLE_FAULTS": "1"}
    app = subprocess.Popen([sys.executable, str(script), str(data_dir), str(path)], cwd=REPO, env=env)
    try:
        # Mid-job: the worker reached the stage before the one that hangs.
        wait_until(lambda: job_row(data_dir, 1).get("stage_name") == "Reading project", timeout=120, what="job running")
        worker_pid = job_row(data_dir, 1)["worker_pid"]
        assert worker_pid and process_alive(worker_pid)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(30)
    # The worker dies with the app: it cannot go on writing for a job the next start resumes.
    wait_until(lambda: not process_alive(worker_pid), timeout=10, what="worker gone")
    assert job_row(data_dir, 1)["state"] in ("STARTED", "PROGRESS")

    engine, _ = make_engine()
    assert engine.is_runner
    assert engine.get(1).state == JobState.PENDING  # queued again at start
    assert engine.wait([1], timeout=120)
    job = engine.get(1)
    assert job.state == JobState.SUCCESS
    assert job.attempts == 2  # the killed attempt counts
    assert versions_of_job(data_dir, 1) == 1


def test_a_job_waits_for_a_stray_run_of_itself(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine()
    (blocker,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "first")], fault="hang:Opening file")
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[1], tmp_path, "guarded")])
    # Something else (an older run of the same job) holds the job's lock.
    stray = FileLock(job_lock_path(data_dir, job.id))
    assert stray.acquire(timeout=0)
    try:
        engine.cancel(blocker.id)
        recorder.wait_for(lambda e: e[0] == "state" and e[1] == job.id and e[2] == JobState.STARTED)
        time.sleep(1.0)
        assert not [e for e in recorder.for_job(job.id) if e[0] == "progress"]
    finally:
        stray.release()
    assert engine.wait([job.id], timeout=120)
    assert engine.get(job.id).state == JobState.SUCCESS


def test_second_engine_on_a_busy_folder_is_a_standby(make_engine, data_dir, tmp_path):
    runner, runner_events = make_engine(workers=1)
    standby, standby_events = make_engine(workers=1)
    assert runner.is_runner and not standby.is_runner

    # Queued through the standby, run by the runner, followed by both.
    (job,) = standby.submit([distinct_copy(SMALL_GOOD[2], tmp_path, "via standby")])
    assert standby.wait([job.id], timeout=120)
    assert standby.get(job.id).state == JobState.SUCCESS
    assert runner.get(job.id).state == JobState.SUCCESS
    finished = standby_events.wait_for(lambda e: e[0] == "finished" and e[1] == job.id)
    assert finished[2].version_id == runner.get(job.id).version_id
    assert finished[2].created and finished[2].current_version_number == finished[2].version_number
    assert runner_events.wait_for(lambda e: e[0] == "added" and e[1] == job.id)

    # The same content again: the standby hears that it was already stored, not that a version was made.
    (again,) = standby.submit([distinct_copy(SMALL_GOOD[2], tmp_path / "again", "via standby")])
    assert standby.wait([again.id], timeout=120)
    reused = standby_events.wait_for(lambda e: e[0] == "finished" and e[1] == again.id)[2]
    assert not reused.created and reused.version_id == finished[2].version_id

    # A cancel asked through the standby stops the runner's worker.
    (hung,) = runner.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "hung")], fault="hang:Opening file")
    runner_events.wait_for(lambda e: e[0] == "state" and e[1] == hung.id and e[2] == JobState.STARTED)
    wait_until(lambda: any(j.id == hung.id for j in standby.jobs()), timeout=10, what="standby sees the job")
    standby.cancel(hung.id)
    assert runner.wait([hung.id], timeout=30)
    assert runner.get(hung.id).state == JobState.CANCELLED
    assert standby.wait([hung.id], timeout=30)
    assert standby.get(hung.id).state == JobState.CANCELLED


def test_standby_takes_over_when_the_runner_stops(make_engine, data_dir, tmp_path):
    runner, runner_events = make_engine(workers=1)
    standby, _ = make_engine(workers=1)
    busy, queued = runner.submit(
        [distinct_copy(SMALL_GOOD[0], tmp_path, "busy"), distinct_copy(SMALL_GOOD[1], tmp_path, "queued")],
        fault="hang:Opening file",
    )
    runner_events.wait_for_stage(busy.id, "Checking file")
    runner.shutdown()  # both jobs stay queued in the table

    wait_until(lambda: standby.is_runner, timeout=10, what="standby takes over")
    assert standby.wait([busy.id, queued.id], timeout=120)
    assert standby.get(busy.id).state == JobState.SUCCESS
    assert standby.get(queued.id).state == JobState.SUCCESS
    assert versions_of_job(data_dir, busy.id) == 1
    assert versions_of_job(data_dir, queued.id) == 1
