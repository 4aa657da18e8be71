"""The job engine with real spawned workers, the real import task and real files."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from ifc_desktop.jobs import JobState
from ifc_desktop.jobs.engine import usable_workers
from ifc_desktop.jobs.task import STAGE_WAITING
from tests.conftest import sample
from tests.jobs_fixtures import (
    BAD_HEADER,
    SMALL_GOOD,
    distinct_copy,
    engine_factory,
    job_row,
    process_alive,
    version_count,
    versions_of_job,
)


@pytest.fixture
def make_engine(data_dir):
    yield from engine_factory(data_dir)


def test_good_file_succeeds_and_bad_file_fails_once(make_engine, data_dir):
    engine, recorder = make_engine(workers=2)
    good, bad = engine.submit([sample(SMALL_GOOD[0]), sample(BAD_HEADER)])
    assert engine.wait([good.id, bad.id], timeout=120)
    assert engine.flush(10)

    good = engine.get(good.id)
    assert good.state == JobState.SUCCESS
    assert good.attempts == 1
    assert good.version_id is not None and good.model_id is not None
    assert good.sha256 and len(good.sha256) == 64
    assert good.progress == 1.0
    assert "Saving" in good.stage_durations
    assert versions_of_job(data_dir, good.id) == 1

    bad = engine.get(bad.id)
    assert bad.state == JobState.FAILURE
    assert bad.attempts == 1
    assert bad.error_permanent
    assert "header" in bad.error_message
    assert versions_of_job(data_dir, bad.id) == 0
    assert ("failed", bad.id, bad.error_message) in recorder.for_job(bad.id)
    # What the table says is what the engine said.
    assert job_row(data_dir, bad.id)["state"] == "FAILURE"
    assert job_row(data_dir, good.id)["version_id"] == good.version_id


def test_empty_file_is_attempted_once(make_engine, tmp_path):
    empty = tmp_path / "leer Datei ü.ifc"
    empty.write_bytes(b"")
    engine, _ = make_engine()
    (job,) = engine.submit([empty])
    assert engine.wait([job.id], timeout=60)
    job = engine.get(job.id)
    assert job.state == JobState.FAILURE
    assert job.attempts == 1
    assert job.error_permanent
    assert "empty" in job.error_message.lower()


def test_missing_file_fails_with_its_reason(make_engine, tmp_path):
    engine, _ = make_engine()
    (job,) = engine.submit([tmp_path / "nowhere.ifc"])
    assert engine.wait([job.id], timeout=60)
    job = engine.get(job.id)
    assert job.state == JobState.FAILURE
    assert job.attempts == 1
    assert job.size == 0


@pytest.mark.parametrize("fault", ["crash:Extracting elements", "exit:Saving", "kill:Opening file"])
def test_crashed_attempt_is_retried_and_gives_one_version(make_engine, data_dir, tmp_path, fault):
    engine, recorder = make_engine()
    path = distinct_copy(SMALL_GOOD[1], tmp_path, "crash")
    (job,) = engine.submit([path], fault=fault)
    assert engine.wait([job.id], timeout=120)

    job = engine.get(job.id)
    assert job.state == JobState.SUCCESS
    assert job.attempts == 2
    assert job.error_message is None
    assert versions_of_job(data_dir, job.id) == 1
    assert version_count(data_dir) == 1
    states = recorder.states(job.id)
    assert "RETRY" in states
    assert states[-1] == "SUCCESS"
    retry_event = next(e for e in recorder.for_job(job.id) if e[0] == "state" and e[2] == JobState.RETRY)
    assert "import process" in retry_event[3].error_message
    assert not retry_event[3].error_permanent


def test_worker_that_always_crashes_fails_after_max_attempts(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine(max_attempts=2)
    path = distinct_copy(SMALL_GOOD[0], tmp_path, "always")
    (job,) = engine.submit([path], fault="always-crash:Opening file")
    assert engine.wait([job.id], timeout=120)
    job = engine.get(job.id)
    assert job.state == JobState.FAILURE
    assert job.attempts == 2
    assert not job.error_permanent
    assert "segmentation fault" in job.error_message
    assert recorder.states(job.id).count("RETRY") == 1
    assert versions_of_job(data_dir, job.id) == 0


def test_transient_error_in_the_task_is_retried(make_engine, data_dir, tmp_path):
    engine, _ = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[2], tmp_path, "raise")], fault="raise:Saving")
    assert engine.wait([job.id], timeout=120)
    job = engine.get(job.id)
    assert job.state == JobState.SUCCESS
    assert job.attempts == 2
    assert versions_of_job(data_dir, job.id) == 1


def test_cancel_stops_a_hung_worker_and_commits_nothing(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "hang")], fault="hang:Extracting elements")
    recorder.wait_for_stage(job.id, "Reading project")  # the next stage hangs
    pid = engine.get(job.id).worker_pid
    assert pid is not None and process_alive(pid)

    engine.cancel(job.id)
    assert engine.wait([job.id], timeout=30)
    job = engine.get(job.id)
    assert job.state == JobState.CANCELLED
    assert not process_alive(pid)
    assert versions_of_job(data_dir, job.id) == 0
    assert engine.flush(10)
    assert job_row(data_dir, job.id)["state"] == "CANCELLED"

    # The pool serves the next job with a fresh worker.
    (after,) = engine.submit([sample(SMALL_GOOD[1])])
    assert engine.wait([after.id], timeout=120)
    assert engine.get(after.id).state == JobState.SUCCESS


def test_cancelled_pending_job_never_starts(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine(workers=1)
    blocker, waiting = engine.submit(
        [distinct_copy(SMALL_GOOD[0], tmp_path, "blocker"), distinct_copy(SMALL_GOOD[1], tmp_path, "waiting")],
        fault="hang:Opening file",
    )
    recorder.wait_for_stage(blocker.id, "Checking file")
    engine.cancel(waiting.id)
    assert engine.get(waiting.id).state == JobState.CANCELLED
    engine.cancel(blocker.id)
    assert engine.wait(timeout=30)

    assert recorder.states(waiting.id) == ["CANCELLED"]
    waiting = engine.get(waiting.id)
    assert waiting.attempts == 0 and waiting.started_at is None
    assert versions_of_job(data_dir, waiting.id) == 0


def test_time_limit_kills_a_hung_worker(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine(time_limit=1.5)
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "slow")], fault="always-hang:Opening file")
    recorder.wait_for_stage(job.id, "Checking file")
    pid = engine.get(job.id).worker_pid
    assert engine.wait([job.id], timeout=60)
    job = engine.get(job.id)
    assert job.state == JobState.FAILURE
    assert "took longer than 1.5 s" in job.error_message
    assert job.attempts == 1  # the same file would take as long again: not retried
    assert job.time_limit == 1.5
    assert pid is not None and not process_alive(pid)
    assert versions_of_job(data_dir, job.id) == 0


def test_a_job_stopped_by_its_time_limit_is_retried_with_the_limit_of_today(make_engine, data_dir, tmp_path):
    engine, _recorder = make_engine(time_limit=1.5)
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "slow once")], fault="hang:Opening file")
    assert engine.wait([job.id], timeout=60)
    assert engine.get(job.id).state == JobState.FAILURE
    engine.set_time_limit(120)  # as the Settings dialog does, once the user sees why it stopped
    requeued = engine.retry(job.id)
    assert requeued.time_limit == 120
    assert engine.wait([job.id], timeout=120)
    assert engine.get(job.id).state == JobState.SUCCESS


def test_retry_of_a_failed_job(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine()
    later = tmp_path / "arrives later.ifc"
    (job,) = engine.submit([later])
    assert engine.wait([job.id], timeout=60)
    assert engine.get(job.id).state == JobState.FAILURE

    shutil.copyfile(sample(SMALL_GOOD[2]), later)
    requeued = engine.retry(job.id)
    assert requeued.state == JobState.PENDING and requeued.attempts == 0 and requeued.error_message is None
    assert engine.wait([job.id], timeout=120)
    job = engine.get(job.id)
    assert job.state == JobState.SUCCESS
    assert job.attempts == 1
    assert versions_of_job(data_dir, job.id) == 1
    assert recorder.states(job.id)[-4:] == ["PENDING", "STARTED", "PROGRESS", "SUCCESS"]

    with pytest.raises(ValueError):
        engine.retry(job.id)  # succeeded: nothing to retry


def test_retry_failed_requeues_every_failed_job(make_engine, tmp_path):
    engine, _ = make_engine(workers=2)
    first, second = tmp_path / "one.ifc", tmp_path / "two.ifc"
    jobs = engine.submit([first, second, sample(SMALL_GOOD[0])])
    assert engine.wait(timeout=120)
    assert [engine.get(j.id).state for j in jobs] == [JobState.FAILURE, JobState.FAILURE, JobState.SUCCESS]

    shutil.copyfile(sample(SMALL_GOOD[1]), first)
    shutil.copyfile(sample(SMALL_GOOD[2]), second)
    retried = engine.retry_failed()
    assert sorted(j.id for j in retried) == sorted([jobs[0].id, jobs[1].id])
    assert engine.wait(timeout=120)
    assert [engine.get(j.id).state for j in jobs] == [JobState.SUCCESS] * 3


def test_same_file_dropped_twice_while_queued_is_one_job(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine(workers=1)
    blocker = distinct_copy(SMALL_GOOD[0], tmp_path, "blocker")
    (block,) = engine.submit([blocker], fault="hang:Opening file")
    path = distinct_copy(SMALL_GOOD[1], tmp_path, "twice")
    (first,) = engine.submit([path])
    again = engine.submit([path, Path(str(path))])
    assert [job.id for job in again] == [first.id]

    engine.cancel(block.id)
    assert engine.wait(timeout=120)  # also delivers every event so far
    assert sum(1 for e in recorder.events if e[0] == "added") == 2
    assert engine.get(first.id).state == JobState.SUCCESS
    assert versions_of_job(data_dir, first.id) == 1

    # Once finished, dropping it again is a new job; the bytes are recognised as a known version.
    (later,) = engine.submit([path])
    assert later.id != first.id
    assert engine.wait([later.id], timeout=120)
    assert engine.get(later.id).state == JobState.SUCCESS
    assert version_count(data_dir) == 1


def test_listener_sees_events_in_order(make_engine, tmp_path):
    engine, recorder = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[3], tmp_path, "events")])
    assert engine.wait([job.id], timeout=120)

    events = recorder.for_job(job.id)
    kinds = [e[0] if e[0] != "state" else e[2].value for e in events]
    assert kinds[0] == "added"
    assert kinds[1:3] == ["STARTED", "PROGRESS"]
    assert kinds[-2:] == ["SUCCESS", "finished"]
    assert set(kinds[3:-2]) == {"progress"}
    stages = [e[2].stage_index for e in events if e[0] == "progress"]
    assert stages == sorted(stages)
    names = {e[2].stage_name for e in events if e[0] == "progress"}
    assert {"Checking file", "Opening file", "Saving"} <= names
    outcome = events[-1][2]
    assert outcome.version_id == engine.get(job.id).version_id
    assert outcome.created


def test_twenty_files_good_and_bad_at_once(make_engine, data_dir, tmp_path):
    engine, _ = make_engine(workers=2)
    files: list[Path] = []
    bad_names = [
        BAD_HEADER,
        "bad_ifc2x3_archicad18_no_file_name_cp1251_escapes.ifc",
        "bad_ifc4_illegal_char_and_INF_reals.ifc",
        "ifc4x3rc2_sketchup2015_kit_simple_road_UNSUPPORTED_SCHEMA.ifc",
    ]
    for index in range(20):
        if index % 5 == 4:
            path = distinct_copy(bad_names[index // 5], tmp_path, f"bad {index}")
        else:
            path = distinct_copy(SMALL_GOOD[index % len(SMALL_GOOD)], tmp_path, f"good {index}")
        files.append(path)
    jobs = engine.submit(files)
    assert len(jobs) == 20
    assert engine.wait(timeout=280)

    states = {job.id: engine.get(job.id) for job in jobs}
    assert all(job.is_terminal for job in states.values())
    failed = [job for job in states.values() if job.state == JobState.FAILURE]
    succeeded = [job for job in states.values() if job.state == JobState.SUCCESS]
    assert len(succeeded) + len(failed) == 20
    assert all(job.attempts == 1 and job.error_permanent for job in failed), [
        (job.path, job.attempts, job.error_message) for job in failed
    ]
    # No attempt of any job met a locked database (retried attempts would show as attempts > 1).
    assert all(job.attempts == 1 for job in succeeded), [(job.path, job.attempts) for job in succeeded]
    assert all("locked" not in (job.error_message or "") for job in states.values())
    assert all("locked" not in (job.error_details or "") for job in states.values())
    assert len(failed) == 4
    for job in succeeded:
        assert versions_of_job(data_dir, job.id) == 1
    assert version_count(data_dir) == len(succeeded)


def test_shutdown_leaves_a_running_job_resumable(data_dir, tmp_path, make_engine):
    engine, recorder = make_engine()
    (job,) = engine.submit([distinct_copy(SMALL_GOOD[0], tmp_path, "stop")], fault="hang:Extracting elements")
    recorder.wait_for_stage(job.id, "Reading project")
    engine.shutdown()
    assert job_row(data_dir, job.id)["state"] == "PENDING"
    assert job_row(data_dir, job.id)["attempts"] == 0
    assert versions_of_job(data_dir, job.id) == 0

    second, _ = make_engine()
    assert second.get(job.id).state == JobState.PENDING
    assert second.wait([job.id], timeout=120)
    assert second.get(job.id).state == JobState.SUCCESS
    assert versions_of_job(data_dir, job.id) == 1


def test_memory_budget_keeps_big_jobs_apart(make_engine, tmp_path):
    one = distinct_copy(SMALL_GOOD[0], tmp_path, "mem one")
    two = distinct_copy(SMALL_GOOD[0], tmp_path, "mem two")
    budget = 8 * one.stat().st_size + 1000  # room for one of them at a time
    engine, recorder = make_engine(workers=2, memory_budget=budget)
    first, second = engine.submit([one, two], fault="slow:Opening file")
    assert engine.wait(timeout=120)
    assert engine.get(first.id).state == JobState.SUCCESS
    assert engine.get(second.id).state == JobState.SUCCESS
    order = [(e[1], e[2].value) for e in recorder.events if e[0] == "state"]
    assert order.index((second.id, "STARTED")) > order.index((first.id, "SUCCESS"))

    # A job too big for the budget on its own still runs, alone.
    small, _ = make_engine(workers=2, memory_budget=10)
    (alone,) = small.submit([distinct_copy(SMALL_GOOD[1], tmp_path, "alone")])
    assert small.wait([alone.id], timeout=120)
    assert small.get(alone.id).state == JobState.SUCCESS


def test_two_workers_run_jobs_side_by_side(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    first, second = engine.submit(
        [distinct_copy(SMALL_GOOD[0], tmp_path, "side a"), distinct_copy(SMALL_GOOD[1], tmp_path, "side b")],
        fault="hang:Opening file",
    )
    recorder.wait_for_stage(first.id, "Checking file")
    recorder.wait_for_stage(second.id, "Checking file")
    assert engine.get(first.id).worker_pid != engine.get(second.id).worker_pid
    engine.cancel(first.id)
    engine.cancel(second.id)
    assert engine.wait(timeout=30)


def test_the_same_file_twice_in_one_drop_is_one_job(make_engine, tmp_path):
    engine, recorder = make_engine(workers=1)
    path = distinct_copy(SMALL_GOOD[0], tmp_path, "one drop")
    jobs = engine.submit([path, path, Path(str(path))])
    assert len(jobs) == 1
    assert engine.wait(timeout=120)
    assert [job.id for job in engine.jobs()] == [jobs[0].id]
    assert sum(1 for e in recorder.events if e[0] == "added") == 1


def test_no_more_workers_than_processors_are_started():
    cpus = os.cpu_count() or 1
    assert usable_workers(500) == cpus
    assert usable_workers(0) == 1
    assert usable_workers(1) == 1


def test_set_workers_and_settings_at_run_time(make_engine, tmp_path):
    engine, recorder = make_engine(workers=1)
    engine.set_workers(2)
    engine.set_max_attempts(5)
    engine.set_time_limit(60)
    jobs = engine.submit(
        [distinct_copy(SMALL_GOOD[0], tmp_path, "rt a"), distinct_copy(SMALL_GOOD[1], tmp_path, "rt b")],
        fault="hang:Opening file",
    )
    for job in jobs:
        recorder.wait_for_stage(job.id, "Checking file")  # both run at once: two workers now
        assert engine.get(job.id).max_attempts == 5
        assert engine.get(job.id).time_limit == 60
    for job in jobs:
        engine.cancel(job.id)
    assert engine.wait(timeout=30)


def test_clear_finished_removes_only_finished_jobs(make_engine, data_dir, tmp_path):
    engine, recorder = make_engine()
    done, _ = engine.submit([sample(SMALL_GOOD[0]), tmp_path / "missing.ifc"])
    assert engine.wait(timeout=120)
    (running,) = engine.submit([distinct_copy(SMALL_GOOD[1], tmp_path, "keep")], fault="hang:Opening file")
    recorder.wait_for_stage(running.id, "Checking file")
    assert engine.clear_finished() == 2
    assert [job.id for job in engine.jobs()] == [running.id]
    engine.cancel(running.id)
    assert engine.wait(timeout=30)
    assert engine.flush(10)
    assert job_row(data_dir, done.id) == {}
    assert job_row(data_dir, running.id)["state"] == "CANCELLED"
    assert engine.jobs(state="CANCELLED")[0].id == running.id


def test_job_ids_are_not_handed_out_again_after_cleared_jobs_and_a_lost_counter(make_engine, data_dir, tmp_path):
    # A version keeps the id of the job that made it; a new job with that id would be taken
    # for that job, and its file reported as imported without being stored.
    engine, _ = make_engine()
    (first,) = engine.submit([sample(SMALL_GOOD[0])])
    assert engine.wait(timeout=120)
    assert engine.clear_finished() == 1
    engine.shutdown()
    (data_dir / "jobs" / "last-job-id").unlink()

    engine, _ = make_engine()
    (second,) = engine.submit([sample(SMALL_GOOD[1])])
    assert second.id > first.id
    assert engine.wait(timeout=120)
    assert engine.get(second.id).state == JobState.SUCCESS
    assert versions_of_job(data_dir, second.id) == 1 and version_count(data_dir) == 2


def test_a_worker_is_replaced_once_its_jobs_add_up_to_the_recycle_limit(make_engine, tmp_path):
    # The parser keeps the memory of every file it read: workers must not live forever.
    files = [distinct_copy(SMALL_GOOD[0], tmp_path, f"recycle {n}") for n in range(3)]
    engine, recorder = make_engine(workers=1, recycle_after=8 * files[0].stat().st_size + 1)

    def worker_of(job_id: int) -> int:
        started = recorder.wait_for(lambda e: e[0] == "state" and e[1] == job_id and e[2] == JobState.STARTED)
        return started[3].worker_pid

    pids = []
    for path in files:  # one after the other, so the same single worker could serve each
        (job,) = engine.submit([path])
        assert engine.wait([job.id], timeout=120)
        assert engine.get(job.id).state == JobState.SUCCESS
        pids.append(worker_of(job.id))
    assert None not in pids
    assert pids[0] == pids[1], "one small job is below the limit: the worker serves the next one"
    assert pids[2] != pids[1], "two jobs passed the limit: a fresh worker took over"


def _one_waiting_for_a_stuck_one(engine, recorder, folder: Path) -> tuple:
    """Two weeks of a tower: week 1 hangs while it is read, week 2 is read and waits for it."""
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    (stuck,) = engine.submit([_tower(folder, "tower week 1.ifc", 1, project)], fault="hang:Computing placements")
    (waiting,) = engine.submit([_tower(folder, "tower week 2.ifc", 2, project)])
    recorder.wait_for(lambda e: e[0] == "progress" and e[1] == waiting.id and e[2].stage_name == STAGE_WAITING)
    return stuck, waiting


def _big_tower(folder: Path, project: str) -> Path:
    """Week 1 of a tower, large enough to be read well after the small later weeks."""
    from ifc_desktop.core.synthetic import write_model

    path = folder / "tower week 1.ifc"
    write_model(path, elements=3000, seed=1, project_global_id=project, geometry=False)
    return path


def _tower(folder: Path, name: str, seed: int, project: str) -> Path:
    from ifc_desktop.core.synthetic import write_model

    path = folder / name
    write_model(path, elements=60, seed=seed, project_global_id=project, geometry=False)
    return path


def test_versions_of_one_model_are_numbered_in_queue_order_whichever_worker_ends_first(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    (older,) = engine.submit([_tower(tmp_path, "tower week 1.ifc", 1, project)], fault="slow:Computing placements")
    (newer,) = engine.submit([_tower(tmp_path, "tower week 2.ifc", 2, project)])
    assert engine.wait(timeout=60)
    older, newer = engine.get(older.id), engine.get(newer.id)
    assert older.state == newer.state == JobState.SUCCESS
    from ifc_desktop.store import Store

    with Store.open(engine.data_dir) as store:
        first, second = store.version(older.version_id), store.version(newer.version_id)
    assert first.model_id == second.model_id
    assert (first.number, second.number) == (1, 2)  # the later file saved last, though its worker ended first
    assert second.is_current
    # While it waited, its job said so (and then went on saving).
    stages = [e[2].stage_name for e in recorder.for_job(newer.id) if e[0] == "progress"]
    assert STAGE_WAITING in stages and stages[-1] == "Saving"


def test_a_file_whose_worker_stopped_keeps_its_place_in_the_order_of_its_model(make_engine, tmp_path):
    engine, _recorder = make_engine(workers=2)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    # The older export is larger: the newer one is read first and waits; then the older one's
    # worker dies as it is about to save.

    big = _big_tower(tmp_path, project)
    (older,) = engine.submit([big], fault="kill:Saving")
    (newer,) = engine.submit([_tower(tmp_path, "tower week 2.ifc", 2, project)])
    assert engine.wait(timeout=120)
    older, newer = engine.get(older.id), engine.get(newer.id)
    assert older.state == newer.state == JobState.SUCCESS
    assert older.attempts == 2
    from ifc_desktop.store import Store

    with Store.open(engine.data_dir) as store:
        first, second = store.version(older.version_id), store.version(newer.version_id)
    assert (first.number, second.number) == (1, 2)  # the retried older file is still version 1
    assert second.is_current


def test_when_no_worker_can_take_a_retry_the_queue_gives_way(make_engine, tmp_path):

    # A retry a few seconds later: meanwhile the later files take the worker and the one standing
    # in for it, and wait for it: no worker is left for the retry.
    engine, _recorder = make_engine(workers=1, backoff_base=3.0)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    big = _big_tower(tmp_path, project)
    (older,) = engine.submit([big], fault="kill:Saving")
    later = engine.submit([_tower(tmp_path, f"tower week {n}.ifc", n, project) for n in (2, 3)])
    assert engine.wait(timeout=120), "a wait for a turn to save never ended"
    assert {engine.get(job.id).state for job in (older, *later)} == {JobState.SUCCESS}


def test_a_retry_that_an_idle_worker_can_take_keeps_its_place(make_engine, data_dir, tmp_path):

    engine, _recorder = make_engine(workers=2, backoff_base=1.0)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    big = _big_tower(tmp_path, project)
    (older,) = engine.submit([big], fault="kill:Computing placements")
    later = engine.submit([_tower(tmp_path, f"tower week {n}.ifc", n, project) for n in (2, 3)])
    assert engine.wait(timeout=120)
    jobs = [engine.get(job.id) for job in (older, *later)]
    assert {job.state for job in jobs} == {JobState.SUCCESS}
    from ifc_desktop.store import Store

    with Store.open(data_dir) as store:
        assert [store.version(job.version_id).number for job in jobs] == [1, 2, 3]


def test_a_retry_left_without_memory_by_later_files_waiting_for_it_lets_the_queue_give_way(make_engine, tmp_path):
    from ifc_desktop.jobs.memory import expected_peak

    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    big = _big_tower(tmp_path, project)
    small = _tower(tmp_path, "tower week 2.ifc", 2, project)
    # The big file fits alone, not beside the small one: its retry, after the small one is read and
    # waits for it, cannot start until the small one is saved.
    budget = expected_peak(big.stat().st_size) + expected_peak(small.stat().st_size) // 2
    engine, _recorder = make_engine(workers=2, backoff_base=1.0, memory_budget=budget)
    (older,) = engine.submit([big], fault="kill:Computing placements")
    (newer,) = engine.submit([small])
    assert engine.wait(timeout=120), "a wait for a turn to save never ended"
    assert engine.get(older.id).state == engine.get(newer.id).state == JobState.SUCCESS


def test_later_versions_taking_their_turns_start_no_worker_after_worker(make_engine, tmp_path):
    import multiprocessing
    import threading

    from ifc_desktop.core.synthetic import write_model

    engine, _recorder = make_engine(workers=2)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    big = tmp_path / "tower rev01.ifc"
    write_model(big, elements=4000, seed=1, project_global_id=project, geometry=False)
    seen: set[int] = set()
    most = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most
        while not done.is_set():
            alive = [p.pid for p in multiprocessing.active_children()]
            seen.update(alive)
            most = max(most, len(alive))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        engine.submit([big, *(_tower(tmp_path, f"tower rev{n:02}.ifc", n, project) for n in range(2, 12))])
        assert engine.wait(timeout=180)
    finally:
        done.set()
        watcher.join()
    assert most <= 4, "more than twice the workers lived at once"
    assert len(seen) <= 4, f"{len(seen)} worker processes started for 2 workers and 2 standing in"


def test_waiting_for_the_turn_to_save_does_not_count_against_the_time_limit(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    older, newer = _one_waiting_for_a_stuck_one(engine, recorder, tmp_path)
    time.sleep(3.5)  # waited longer than the limit set now
    engine.set_time_limit(3.0)
    assert engine.wait(timeout=60)
    assert engine.get(older.id).state == JobState.FAILURE  # its own time was up
    newer = engine.get(newer.id)
    assert newer.state == JobState.SUCCESS, newer.error_message


def test_a_job_of_another_model_does_not_wait_for_an_earlier_one(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    (stuck,) = engine.submit(
        [_tower(tmp_path, "tower.ifc", 1, "2O2Fr$t4X7Zf8NOew3FNr2")], fault="hang:Computing placements"
    )
    recorder.wait_for_stage(stuck.id, "Extracting properties")  # its project is read: it hangs at the next stage
    (other,) = engine.submit([_tower(tmp_path, "school.ifc", 2, "0K3pFQ9ZzBXu6dCGWhlYq0")])
    assert engine.wait([other.id], timeout=60)
    assert engine.get(other.id).state == JobState.SUCCESS
    assert engine.get(stuck.id).state == JobState.PROGRESS
    engine.cancel(stuck.id)
    assert engine.wait(timeout=30)


def test_a_job_waiting_for_its_turn_does_not_keep_files_of_other_models_from_a_worker(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    stuck, same = _one_waiting_for_a_stuck_one(engine, recorder, tmp_path)
    # Both workers hold a job, one of them only waiting: a file of another model still gets a worker.
    (other,) = engine.submit([_tower(tmp_path, "school.ifc", 3, "0K3pFQ9ZzBXu6dCGWhlYq0")])
    assert engine.wait([other.id], timeout=60)
    assert engine.get(other.id).state == JobState.SUCCESS
    assert engine.get(stuck.id).state == engine.get(same.id).state == JobState.PROGRESS
    engine.cancel(stuck.id)
    assert engine.wait(timeout=60)
    assert engine.get(same.id).state == JobState.SUCCESS


def test_workers_standing_in_for_waiting_ones_are_as_many_as_the_workers_at_most(make_engine, tmp_path):
    engine, recorder = make_engine(workers=2)
    project = "2O2Fr$t4X7Zf8NOew3FNr2"
    (stuck,) = engine.submit([_tower(tmp_path, "tower week 1.ifc", 1, project)], fault="hang:Computing placements")
    later = []
    for week in (2, 3, 4):  # each waits for week 1; the second and third on workers standing in
        (job,) = engine.submit([_tower(tmp_path, f"tower week {week}.ifc", week, project)])
        recorder.wait_for(lambda e, job=job: e[0] == "progress" and e[1] == job.id and e[2].stage_name == STAGE_WAITING)
        later.append(job)
    (last,) = engine.submit([_tower(tmp_path, "tower week 5.ifc", 5, project)])
    time.sleep(3.0)  # time enough for another worker to start and read a small file
    assert engine.get(last.id).state == JobState.PENDING, "more workers stood in than there are workers"
    engine.cancel(stuck.id)
    assert engine.wait(timeout=90)
    assert {engine.get(job.id).state for job in (*later, last)} == {JobState.SUCCESS}


def test_a_file_of_another_model_does_not_wait_for_an_earlier_one_still_being_parsed(make_engine, tmp_path):
    # The project of a file is found while its bytes are checked, long before the parser
    # reads it: a small file of another model need not wait for a large one being opened.
    engine, recorder = make_engine(workers=2)
    (stuck,) = engine.submit([_tower(tmp_path, "tower.ifc", 1, "2O2Fr$t4X7Zf8NOew3FNr2")], fault="hang:Opening file")
    recorder.wait_for_stage(stuck.id, "Checking file")  # then it hangs as the parser starts
    (other,) = engine.submit([_tower(tmp_path, "school.ifc", 2, "0K3pFQ9ZzBXu6dCGWhlYq0")])
    (same,) = engine.submit([_tower(tmp_path, "tower week 2.ifc", 2, "2O2Fr$t4X7Zf8NOew3FNr2")])
    assert engine.wait([other.id], timeout=60)
    assert engine.get(other.id).state == JobState.SUCCESS
    # A later file of the same model still waits for its turn.
    recorder.wait_for(lambda e: e[0] == "progress" and e[1] == same.id and e[2].stage_name == STAGE_WAITING)
    assert engine.get(stuck.id).state == JobState.PROGRESS
    engine.cancel(stuck.id)
    assert engine.wait(timeout=60)
    assert engine.get(same.id).state == JobState.SUCCESS


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux file names can be bytes that are not UTF-8")
def test_a_file_whose_name_is_not_utf8_fails_at_once_and_stays_in_the_job_list(make_engine, tmp_path):
    engine, _recorder = make_engine(workers=1)
    name = os.fsdecode(b"plan \xe9t\xe9.ifc")  # Latin-1 bytes, as an old archive leaves them
    shutil.copy(sample("ifc2x3_revit2021_simple_wall.ifc"), tmp_path / name)
    (job,) = engine.submit([tmp_path / name])
    assert engine.wait([job.id], timeout=30)
    job = engine.get(job.id)
    assert job.state == JobState.FAILURE and job.error_permanent and job.attempts == 0
    assert "Rename the file" in job.error_message
    assert engine.flush(timeout=10)
    from ifc_desktop.jobs import repository
    from ifc_desktop.store import Store
    from ifc_desktop.store.db import read_connection

    with Store.open(engine.data_dir) as store, read_connection(store.engine) as conn:
        (kept,) = repository.load_all(conn)  # in the job list for good, under a name that can be shown
    assert (kept.id, kept.state, kept.file_name) == (job.id, JobState.FAILURE, "plan \ufffdt\ufffd.ifc")


def test_a_retry_reads_the_file_as_it_is_now(make_engine, tmp_path):
    engine, _recorder = make_engine(workers=1)
    path = tmp_path / "Grundriss.ifc"
    path.write_bytes(b"ISO-10303-21;\nHEADER;\n")  # cut off: fails
    (job,) = engine.submit([path])
    assert engine.wait([job.id], timeout=60) and engine.get(job.id).state == JobState.FAILURE
    shutil.copy(sample(SMALL_GOOD[0]), path)  # exported again
    engine.retry(job.id)
    assert engine.wait([job.id], timeout=60)
    job = engine.get(job.id)
    assert job.state == JobState.SUCCESS and job.size == path.stat().st_size
