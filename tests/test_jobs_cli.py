"""The job commands, called as the CLI calls them, and once through ``python -m ifc_desktop``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ifc_desktop.jobs import JobState
from ifc_desktop.jobs.cli_commands import cancel, list_jobs, process, retry
from tests.conftest import REPO, sample
from tests.jobs_fixtures import (
    BAD_HEADER,
    SMALL_GOOD,
    distinct_copy,
    engine_factory,
    job_row,
    versions_of_job,
)


@pytest.fixture
def make_engine(data_dir):
    yield from engine_factory(data_dir)


def test_process_prints_progress_and_fails_when_a_file_fails(data_dir):
    out = io.StringIO()
    code = process([sample(SMALL_GOOD[0]), sample(BAD_HEADER)], data_dir, workers=2, out=out)
    text = out.getvalue()
    assert code == 1
    assert "simple_wall.ifc: started" in text
    assert "simple_wall.ifc: Opening file (2/7)" in text
    assert "simple_wall.ifc: done: model" in text
    assert "header_order_and_unescaped_backslash.ifc: FAILED" in text
    assert "2 files: 1 failed, 1 imported" in text


def test_process_json_and_all_good_exit_zero(data_dir, tmp_path, capsys):
    out = io.StringIO()
    files = [distinct_copy(SMALL_GOOD[1], tmp_path, "json a"), distinct_copy(SMALL_GOOD[2], tmp_path, "json b")]
    assert process(files, data_dir, workers=2, as_json=True, out=out) == 0
    jobs = json.loads(out.getvalue())
    assert [job["state"] for job in jobs] == ["SUCCESS", "SUCCESS"]
    assert all(job["version_id"] and job["attempts"] == 1 for job in jobs)
    assert "done: model" in capsys.readouterr().err  # progress goes to stderr with --json


def test_a_job_keeps_its_import_warnings_and_whether_it_made_a_new_version(data_dir, tmp_path):
    aliased = sample("ifc4x3final_acca_usbim_railway_UNSUPPORTED_SCHEMA.ifc")
    assert process([aliased], data_dir, out=io.StringIO()) == 0
    assert process([aliased], data_dir, out=io.StringIO()) == 0  # the same bytes again

    listing = io.StringIO()
    assert list_jobs(data_dir, as_json=True, out=listing) == 0
    first, again = json.loads(listing.getvalue())
    assert any("IFC4X3_ADD2" in warning for warning in first["warnings"]) and not first["reused"]
    assert again["reused"] and again["version_id"] == first["version_id"]
    table = io.StringIO()
    list_jobs(data_dir, out=table)
    lines = table.getvalue().splitlines()
    assert f"{len(first['warnings'])} warning" in lines[1] and "already stored as" in lines[2]


def test_process_retries_a_crash(data_dir, tmp_path):
    out = io.StringIO()
    path = distinct_copy(SMALL_GOOD[3], tmp_path, "cli crash")
    assert process([path], data_dir, workers=1, fault="crash:Opening file", out=out) == 0
    text = out.getvalue()
    assert "attempt 1 failed: The import process crashed" in text
    assert "started (attempt 2 of 3)" in text
    assert versions_of_job(data_dir, 1) == 1


def test_list_jobs_table_json_and_state_filter(data_dir):
    process([sample(SMALL_GOOD[0]), sample(BAD_HEADER)], data_dir, workers=2, out=io.StringIO())
    out = io.StringIO()
    assert list_jobs(data_dir, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:5] == ["ID", "STATE", "TRIES", "QUEUED", "TIME"]
    assert "SUCCESS" in lines[1] and "1/3" in lines[1] and "version 1" in lines[1]
    assert "FAILURE" in lines[2] and "header" in lines[2]

    out = io.StringIO()
    assert list_jobs(data_dir, state="failure", as_json=True, out=out) == 0
    (failed,) = json.loads(out.getvalue())
    assert failed["state"] == "FAILURE" and failed["attempts"] == 1 and failed["error_permanent"]
    assert "stage_durations" in failed

    with pytest.raises(LookupError):
        list_jobs(data_dir, state="NOPE", out=io.StringIO())


def test_cancel_without_a_running_app(data_dir, tmp_path, make_engine):
    engine, recorder = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "left")], fault="hang:Opening file")
    recorder.wait_for_stage(job.id, "Checking file")
    engine.shutdown()  # the job is left queued
    assert job_row(data_dir, job.id)["state"] == "PENDING"

    out = io.StringIO()
    assert cancel(data_dir, job.id, out=out) == 0
    assert "cancelled" in out.getvalue()
    assert job_row(data_dir, job.id)["state"] == "CANCELLED"
    assert cancel(data_dir, job.id, out=io.StringIO()) == 1  # already finished
    with pytest.raises(LookupError):
        cancel(data_dir, 999, out=io.StringIO())

    # The next start does not run it.
    second, _ = make_engine()
    assert second.get(job.id).state == JobState.CANCELLED


def test_a_job_left_unfinished_is_shown_interrupted_and_the_next_process_command_completes_it(
    data_dir, tmp_path, make_engine
):
    engine, recorder = make_engine()
    (left,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "left")], fault="hang:Opening file")
    recorder.wait_for_stage(left.id, "Checking file")
    engine.shutdown()  # as when a command is stopped mid-import

    listing = io.StringIO()
    assert list_jobs(data_dir, out=listing) == 0
    assert "interrupted: resumes" in listing.getvalue()

    out = io.StringIO()
    assert process([distinct_copy(SMALL_GOOD[1], tmp_path, "next")], data_dir, out=out) == 0
    assert f"[job {left.id}] {left.file_name}: resumed" in out.getvalue()
    assert job_row(data_dir, left.id)["state"] == "SUCCESS"
    assert versions_of_job(data_dir, left.id) == 1


def test_retry_failed_completes_jobs_left_unfinished_even_with_no_failed_job(data_dir, tmp_path, make_engine):
    engine, recorder = make_engine()
    (left,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "left")], fault="hang:Opening file")
    recorder.wait_for_stage(left.id, "Checking file")
    engine.shutdown()

    out = io.StringIO()
    assert retry(data_dir, failed=True, workers=1, out=out) == 0
    assert f"[job {left.id}] {left.file_name}: resumed" in out.getvalue()
    assert "No failed jobs." not in out.getvalue() and "1 file: 1 imported" in out.getvalue()
    assert job_row(data_dir, left.id)["state"] == "SUCCESS"


def test_cancel_from_another_process_stops_the_running_worker(data_dir, tmp_path, make_engine):
    engine, recorder = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[1], tmp_path, "cancel me")], fault="hang:Opening file")
    recorder.wait_for_stage(job.id, "Checking file")
    out = io.StringIO()
    assert cancel(data_dir, job.id, out=out) == 0
    assert f"Job {job.id} cancelled." in out.getvalue()
    assert engine.get(job.id).state == JobState.CANCELLED
    assert versions_of_job(data_dir, job.id) == 0


def test_retry_command(data_dir, tmp_path):
    missing = tmp_path / "später.ifc"
    assert process([missing], data_dir, workers=1, out=io.StringIO()) == 1
    out = io.StringIO()
    assert retry(data_dir, failed=True, workers=1, out=out) == 1  # still missing
    assert "FAILED" in out.getvalue()

    missing.write_bytes(sample(SMALL_GOOD[2]).read_bytes())
    out = io.StringIO()
    assert retry(data_dir, job_id=1, workers=1, out=out) == 0
    assert "queued again" in out.getvalue() and "done: model" in out.getvalue()
    assert retry(data_dir, job_id=1, out=io.StringIO()) == 1  # succeeded: nothing to retry
    assert retry(data_dir, failed=True, out=io.StringIO()) == 0  # no failed jobs left
    with pytest.raises(LookupError):
        retry(data_dir, job_id=42, out=io.StringIO())


def test_cli_process_and_jobs_in_a_real_process(data_dir, tmp_path):
    files = [distinct_copy(SMALL_GOOD[0], tmp_path, "cli a"), distinct_copy(SMALL_GOOD[1], tmp_path, "cli b")]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "ifc_desktop",
            "process",
            *map(str, files),
            "--data-dir",
            str(data_dir),
            "--workers",
            "2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    assert "2 files: 2 imported" in run.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "ifc_desktop", "jobs", "--data-dir", str(data_dir), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    assert [Path(job["path"]).name for job in json.loads(listing.stdout)] == [f.name for f in files]


def test_process_fails_with_a_clear_message_when_no_worker_process_can_start(data_dir, tmp_path, monkeypatch):
    # Every worker exits as it starts, as with a damaged installation or a blocked program.
    blocker = tmp_path / "blocked start"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import os, sys\nif '--multiprocessing-fork' in sys.argv: os._exit(3)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setattr("ifc_desktop.jobs.pool.RESPAWN_DELAY", 0.05)
    out = io.StringIO()
    code = process([sample(SMALL_GOOD[0])], data_dir, workers=1, out=out)
    assert code == 1
    assert "could not start the processes that read IFC files" in out.getvalue()
