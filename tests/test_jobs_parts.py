"""The job engine's small parts: snapshots, locks, ids, paths, exit messages."""

from __future__ import annotations

import json
import pickle
import signal
import time
from datetime import timedelta

from ifc_desktop.jobs import JobInfo, JobState
from ifc_desktop.jobs.ids import IdAllocator
from ifc_desktop.jobs.info import utcnow
from ifc_desktop.jobs.locks import FileLock, is_locked
from ifc_desktop.jobs.memory import content_size, expected_peak
from ifc_desktop.jobs.paths import expand_paths
from ifc_desktop.jobs.pool import describe_exit
from tests.conftest import sample


def test_job_info_pickles_and_serialises():
    start = utcnow()
    job = JobInfo(
        id=7,
        path="C:\\Projekte\\Büro Haus.ifc",
        state=JobState.SUCCESS,
        started_at=start,
        finished_at=start + timedelta(seconds=2.5),
        stage_durations={"Saving": 0.5},
    )
    again = pickle.loads(pickle.dumps(job))
    assert again == job
    assert again.is_terminal and again.elapsed == 2.5
    assert again.file_name == "Büro Haus.ifc"
    data = json.loads(json.dumps(job.to_dict()))
    assert data["state"] == "SUCCESS" and data["elapsed"] == 2.5 and data["stage_durations"] == {"Saving": 0.5}
    assert not JobInfo(id=1, path="x").is_terminal
    assert JobInfo(id=1, path="x").elapsed is None


def test_file_lock_is_exclusive_and_released(tmp_path):
    path = tmp_path / "verrou é" / "a.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire(timeout=0)
    assert is_locked(path)
    assert not second.acquire(timeout=0.1)
    first.release()
    assert not is_locked(path)
    assert second.acquire(timeout=0)
    second.release()


def test_id_allocators_sharing_a_folder_never_repeat(tmp_path):
    one, two = IdAllocator(tmp_path, floor=5), IdAllocator(tmp_path, floor=0)
    ids = one.allocate(3) + two.allocate(2) + one.allocate(1)
    assert ids == [6, 7, 8, 9, 10, 11]
    assert IdAllocator(tmp_path, floor=100).allocate(1) == [101]
    assert one.allocate(0) == []


def test_expand_paths_finds_ifc_files_in_folders(tmp_path):
    folder = tmp_path / "Modèles"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.ifc", "A.IFCZIP", "sub/c.ifcXML", "notes.txt"):
        (folder / name).write_bytes(b"x")
    missing = tmp_path / "missing.ifc"
    found = list(expand_paths([folder, missing]))
    assert [p.name for p in found] == ["A.IFCZIP", "b.ifc", "c.ifcXML", "missing.ifc"]
    assert list(expand_paths(str(missing))) == [missing]


def test_a_folders_files_are_queued_as_a_file_manager_lists_them(tmp_path):
    names = ("Plan 10.ifc", "plan 9.ifc", "Plan 1.ifc", "Plan 1b.ifc", "Plan 02.ifc", "Plan.ifc", "Plan.ifc4.ifc")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    found = [p.name for p in expand_paths(tmp_path)]
    # "Plan.ifc" is a prefix of "Plan.ifc4.ifc": the shorter name first, not text compared with a number.
    assert found == ["Plan 1.ifc", "Plan 1b.ifc", "Plan 02.ifc", "plan 9.ifc", "Plan 10.ifc", *names[-2:]]


def test_expected_peak_reads_the_zip_member_size():
    zipped = sample("ifc4_revit2017_product_data_nested_lists.ifczip")
    inner = content_size(zipped, zipped.stat().st_size)
    assert inner > zipped.stat().st_size  # the IFC text compresses well
    assert expected_peak(inner) == 8 * inner


def test_exit_descriptions_name_the_cause():
    assert "segmentation fault" in describe_exit(-signal.SIGSEGV)
    assert "memory runs out, or by another program" in describe_exit(-signal.SIGKILL)
    assert "exit code 3" in describe_exit(3)
    assert "access violation" in describe_exit(0xC0000005)


def test_failures_of_the_machine_rather_than_the_file_are_told_in_plain_words(tmp_path):
    import sqlite3

    from ifc_desktop.core.errors import as_import_failure
    from ifc_desktop.store.blobs import BlobStore

    source = tmp_path / "plan.ifc"
    source.write_bytes(b"ISO-10303-21; edited after hashing")
    try:
        BlobStore(tmp_path / "data").put_file(source, "0" * 64)
    except Exception as exc:
        changed = as_import_failure(exc)
    assert changed.message.startswith("The file changed while it was being imported") and not changed.permanent
    read_only = as_import_failure(sqlite3.OperationalError("attempt to write a readonly database"))
    assert read_only.message == "The data folder is read-only: IFC Desktop cannot save the version there."


def test_save_turns_follow_the_queue_within_a_model_and_never_across_models():
    from ifc_desktop.jobs.save_order import RunningJob, SaveOrder

    def job(job_id: int, name: str, new_model: bool = False) -> RunningJob:  # the name says what the file is
        return RunningJob(job_id, (job_id,), new_model)

    order = SaveOrder()
    running = [job(1, "tower.ifc"), job(2, "tower rev2.ifc"), job(3, "school.ifc"), job(4, "TOWER.IFC")]
    order.request(2)
    assert order.grant(running) == []  # job 1 has not said which project it holds yet
    order.identify(1, "TOWER")
    order.identify(2, "TOWER")
    assert order.grant(running) == []  # job 1 is the same project: it saves first
    order.identify(3, "SCHOOL")
    order.request(3)
    assert order.grant(running) == [3]  # another project: it waits for nobody
    order.identify(4, None)
    order.request(4)
    assert order.grant(running) == []  # no project: it may join any model by its file name
    order.forget(1)
    order.forget(3)
    running = [running[1], running[3]]
    assert order.grant(running) == [2]  # jobs 1 and 3 are done: job 2's turn; job 4 still waits for it
    order.forget(2)
    running = running[1:]
    assert order.grant(running) == [4]
    assert order.grant(running) == []  # a turn is granted once

    forced = SaveOrder()
    forced.request(2)
    assert forced.grant([job(1, "a.ifc"), job(2, "a.ifc", new_model=True)]) == [2]  # a model of its own


def test_a_job_waiting_for_its_turn_to_save_lets_go_of_the_parsed_file(tmp_path):
    import threading
    import weakref
    from multiprocessing import Pipe

    from ifc_desktop.jobs.worker import _run_one

    class Parsed:
        pass

    parsed_ref: list[weakref.ref] = []

    def run_import(request, report, *, retain, identified, wait_turn):
        parsed = Parsed()
        retain(parsed)
        parsed_ref.append(weakref.ref(parsed))
        del parsed
        wait_turn()
        return "outcome"

    main, worker = Pipe()
    (tmp_path / "jobs").mkdir()
    thread = threading.Thread(target=_run_one, args=(worker, str(tmp_path), 7, {}, run_import))
    thread.start()
    assert main.recv() == ("started", 7)
    assert main.recv() == ("save_ready", 7)
    time.sleep(0.5)  # an earlier file of its model is still being read
    assert parsed_ref[0]() is None, "the parsed file was held through the wait"
    main.send(("save", 7))
    assert main.recv() == ("done", 7, "outcome")
    thread.join(10)


def test_jobs_waiting_for_their_turn_leave_the_set_number_of_jobs_to_run_beside_them(tmp_path):
    from ifc_desktop.jobs.pool import Worker, WorkerPool

    pool = WorkerPool(tmp_path, lambda *_args: None, lambda *_args: None)
    pool.set_size(2)

    def worker(number: int, job_id: int | None = None, waiting: bool = False) -> Worker:
        return Worker(process=None, conn=None, number=number, ready=True, job_id=job_id, waiting=waiting)

    # Two running, one free: nothing more starts.
    pool._workers[:] = [worker(1, 10), worker(2, 11), worker(3)]
    assert pool.idle() == []
    # One of the two waits for its turn: one more may start, on one of the free workers.
    pool._workers[:] = [worker(1, 10, waiting=True), worker(2, 11), worker(3), worker(4)]
    assert [w.number for w in pool.idle()] == [3]
    assert pool.can_take_job()
