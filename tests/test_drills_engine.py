"""Drills against the job engine with real spawned workers: hostile drops and killed workers.

Every job must reach a terminal state, bad input must fail once with its
reason, a killed worker must cost one attempt and never a second version, and
the engine must keep serving afterwards.
"""

from __future__ import annotations

import sqlite3
import tempfile

import pytest

from ifc_desktop.jobs import JobState
from ifc_desktop.jobs.task import STAGES, TEMP_FOLDER
from ifc_desktop.store import database_path

from . import hostile_corpus as hc
from .conftest import sample
from .jobs_fixtures import SMALL_GOOD, distinct_copy, engine_factory, versions_of_job


@pytest.fixture
def make_engine(data_dir):
    yield from engine_factory(data_dir)


def test_the_hostile_corpus_dropped_at_once_with_good_files(make_engine, data_dir, tmp_path, monkeypatch):
    corpus = hc.build(tmp_path / "corpus")
    system_temp = tmp_path / "system temp"  # the workers' temp dir, to see what they leave there
    system_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    deleted = tmp_path / "deleted after the drop.ifc"
    deleted.write_bytes(hc.wall_with(b"/* deleted after the drop */\n"))
    engine, _ = make_engine(workers=2)

    # A folder named x.ifc is a folder drop: the IFC files inside it are imported.
    folder_case = hc.BY_NAME["directory named x.ifc"]
    paths = {name: path for name, path in corpus.items() if name != folder_case.name}
    jobs = dict(zip(paths, engine.submit(list(paths.values())), strict=True))
    (folder_job,) = engine.submit([corpus[folder_case.name]])
    (deleted_job,) = engine.submit([deleted], fault="slow:Checking file")
    deleted.unlink()
    good = dict(zip(hc.GOOD_SAMPLES, engine.submit([sample(name) for name in hc.GOOD_SAMPLES]), strict=True))
    assert engine.wait(timeout=600)

    problems = {}
    for name, job in jobs.items():
        job = engine.get(job.id)
        result = hc.job_result(job, data_dir)
        found = hc.check(hc.BY_NAME[name], result, paths[name])
        if result["outcome"] == hc.FAILURE and job.attempts != 1:
            found.append(f"bad input was attempted {job.attempts} times")
        if found:
            problems[name] = found
    assert problems == {}

    assert engine.get(folder_job.id).state == JobState.SUCCESS
    deleted_job = engine.get(deleted_job.id)
    assert deleted_job.state == JobState.FAILURE and deleted_job.attempts == 1
    assert "does not exist" in deleted_job.error_message and deleted.name in deleted_job.error_message
    for name, job in good.items():
        job = engine.get(job.id)
        assert job.state == JobState.SUCCESS, (name, job.error_message)
        assert hc.job_result(job, data_dir)["elements"] == hc.GOOD_SAMPLES[name]

    assert hc.leftovers(data_dir / TEMP_FOLDER, system_temp) == []
    assert hc.integrity(data_dir) == [("ok",)]
    assert hc.partial_versions(data_dir) == []
    # Still serving.
    (after,) = engine.submit([distinct_copy(SMALL_GOOD[1], tmp_path, "after the corpus")])
    assert engine.wait([after.id], timeout=120)
    assert engine.get(after.id).state == JobState.SUCCESS


def test_a_worker_killed_in_each_stage_is_retried_into_exactly_one_version(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine(workers=2)
    jobs = {}
    for stage in STAGES:
        path = distinct_copy("ifc4_archicad20_fzk_haus.ifc", tmp_path, f"killed in {stage}")
        (jobs[stage],) = engine.submit([path], fault=f"kill:{stage}")
    assert engine.wait(timeout=600)
    for stage, job in jobs.items():
        job = engine.get(job.id)
        assert job.state == JobState.SUCCESS, (stage, job.error_message)
        assert job.attempts == 2, stage
        assert "RETRY" in recorder.states(job.id), stage
        assert versions_of_job(data_dir, job.id) == 1, stage
    with sqlite3.connect(database_path(data_dir)) as db:
        assert db.execute("SELECT count(*) FROM versions").fetchone()[0] == len(STAGES)
    assert hc.partial_versions(data_dir) == []
    assert hc.integrity(data_dir) == [("ok",)]
    assert hc.leftovers(data_dir / TEMP_FOLDER) == []


def test_a_symlink_loop_and_a_dangling_link_dropped_are_failed_jobs_not_a_broken_drop(make_engine, tmp_path):
    loop = tmp_path / "loop.ifc"
    loop.symlink_to(loop)
    dangling = tmp_path / "moved.ifc"
    dangling.symlink_to(tmp_path / "elsewhere" / "gone.ifc")
    engine, _ = make_engine()
    jobs = engine.submit([loop, dangling])
    assert len(jobs) == 2
    assert engine.wait(timeout=120)
    for job in jobs:
        job = engine.get(job.id)
        assert job.state == JobState.FAILURE and job.error_permanent and job.attempts == 1
