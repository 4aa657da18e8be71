"""The job engine: a persistent queue in the jobs table, run by a pool of worker processes.

Threads in the main process:

- the caller's (the window's or the CLI's): ``submit``, ``cancel``, ``retry``,
  ``jobs`` ... work on an in-memory mirror of the jobs table and return at once;
- the scheduler: starts jobs on idle workers, reads their messages, enforces
  time limits and cancels, retries with backoff;
- the writer: applies job-row writes in order and polls the table for what
  other processes changed (a ``cancel`` from the CLI, jobs queued by another
  window);
- the event dispatcher: calls the listeners, in order.

One engine per data folder runs jobs (it holds ``jobs/runner.lock``, an OS
lock released when its process dies). Another engine on the same folder is a
*standby*: it queues, cancels and retries through the table, mirrors what the
runner does, and takes over, resuming interrupted jobs, when the runner is gone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ifc_desktop.core.progress import Progress
from ifc_desktop.jobs import memory, repository
from ifc_desktop.jobs.events import EventDispatcher
from ifc_desktop.jobs.ids import IdAllocator
from ifc_desktop.jobs.info import (
    RUNNING_STATES,
    TERMINAL_STATES,
    WAITING_STATES,
    JobInfo,
    JobListener,
    JobState,
    utcnow,
)
from ifc_desktop.jobs.locks import FileLock
from ifc_desktop.jobs.outcome import outcome_from_version
from ifc_desktop.jobs.paths import expand_paths
from ifc_desktop.jobs.pool import Worker, WorkerPool, describe_exit
from ifc_desktop.jobs.save_order import RunningJob, SaveOrder
from ifc_desktop.jobs.task import STAGE_WAITING
from ifc_desktop.jobs.worker import job_lock_path
from ifc_desktop.jobs.writer import JobWriter
from ifc_desktop.store.db import read_connection

log = logging.getLogger(__name__)

# Listeners get in-stage progress at most this often per job (stage changes always).
PROGRESS_EVENT_INTERVAL = 0.1
# How far back each poll of the table looks, to catch rows committed late by other processes.
POLL_LOOKBACK = timedelta(seconds=5)
# The IFC parser never gives back the memory of a file it has read (measured with
# ifcopenshell 0.9: about four times the file size per file, for the life of the
# process). A worker is therefore replaced once the expected peaks of the jobs it
# ran add up to this, which bounds what a worker keeps to a few hundred megabytes.
RECYCLE_AFTER_PEAK = 512 << 20
# The scheduler wakes at least this often (memory may have been freed, retries fall due).
SCHEDULER_TICK = 0.5


def runner_lock_path(data_dir: Path) -> Path:
    """Held by the engine that runs the jobs of ``data_dir``."""
    return Path(data_dir) / "jobs" / "runner.lock"


def processor_count() -> int:
    return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    return min(4, processor_count())


def usable_workers(requested: int) -> int:
    """At least one worker and no more than the processor count: parsing is CPU-bound,
    and each extra worker only adds its memory (and start-up time) to the machine's load."""
    return max(1, min(requested, processor_count()))


# Worker processes that exit before they are ready, in a row, before queued jobs are failed.
FAILED_STARTS_BEFORE_GIVING_UP = 4


@dataclass
class _Extra:
    """What the engine keeps about a job beyond its row."""

    mtime: float | None = None
    fault: str | None = None
    peak: int | None = None
    stage_started: float | None = None
    last_progress_event: float = 0.0
    durations: dict[str, float] = field(default_factory=dict)
    # Waiting for its turn to save (``jobs.save_order``) is not the job's own time: the time
    # limit leaves it out, so a small file behind a large one of its model is not stopped.
    waiting_since: float | None = None  # time.monotonic() when it began to wait
    waited: float = 0.0  # seconds this attempt has waited


class JobEngine:
    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int | None = None,
        max_attempts: int = 3,
        time_limit: float | None = None,
        backoff_base: float = 1.0,
        memory_budget: int | None = None,
        recycle_after: int = RECYCLE_AFTER_PEAK,
    ):
        self.data_dir = Path(data_dir)
        self._workers = usable_workers(workers) if workers and workers > 0 else default_workers()
        self._max_attempts = max(1, max_attempts)
        self._time_limit = time_limit if time_limit and time_limit > 0 else None  # as set_time_limit
        self._backoff_base = backoff_base
        self._memory_budget = memory_budget
        self._recycle_after = recycle_after

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: dict[int, JobInfo] = {}
        self._extra: dict[int, _Extra] = {}
        self._assigned: dict[int, Worker] = {}  # job id -> worker, for jobs handed to a worker
        self._save_order = SaveOrder()  # scheduler thread only
        self._calls: deque[Callable[[], None]] = deque()  # run on the scheduler thread
        self._events = EventDispatcher()
        self._runner_lock = FileLock(runner_lock_path(self.data_dir))
        self._is_runner = False
        self._started = False
        self._closing = False
        self._poll_since = utcnow()
        self._ready_workers = 0
        # Jobs that were due but left queued by the last dispatch, for want of memory beside the running ones.
        self._held_by_memory: set[int] = set()
        self._dirty: dict[int, int] = {}  # job id -> sequence number of our latest write of it

        self._store: Any = None
        self._writer: JobWriter | None = None
        self._ids: IdAllocator | None = None
        self._pool: WorkerPool | None = None
        self._scheduler = threading.Thread(target=self._schedule_loop, name="ifc-desktop-jobs", daemon=True)

    # == public API ===========================================================================

    @property
    def is_runner(self) -> bool:
        """True when this engine runs the jobs of its data folder (False: standby)."""
        return self._is_runner

    def start(self) -> None:
        """Open (and migrate) the database, resume interrupted jobs, start warm workers."""
        if self._started:
            return
        from ifc_desktop.store import Store

        self._store = Store.open(self.data_dir, migrate=True)
        # Once per app or import run (not per window or read command): copies a failed import left.
        self._store.remove_unused_sources()
        engine = self._store.engine
        with read_connection(engine) as conn:
            loaded = repository.load_all(conn)
            floor = repository.max_id(conn)
        self._ids = IdAllocator(self._jobs_dir, floor)
        with self._lock:
            self._jobs = {job.id: job for job in loaded}
            self._extra = {job.id: _Extra() for job in loaded}
        self._writer = JobWriter(engine, poll=self._poll_table)
        self._pool = WorkerPool(self.data_dir, self._on_worker_message, self._on_worker_exit)
        self._events.start()
        self._writer.start()
        with self._lock:
            if self._runner_lock.acquire(timeout=0):
                self._become_runner_locked()
        self._started = True
        self._scheduler.start()

    def add_listener(self, listener: JobListener) -> None:
        self._events.add(listener)

    def remove_listener(self, listener: JobListener) -> None:
        self._events.remove(listener)

    def submit(
        self, paths: Iterable[str | os.PathLike[str]], *, new_model: bool = False, fault: str | None = None
    ) -> list[JobInfo]:
        """Queue one job per file (folders are expanded to the IFC files in them).

        A file that is still queued or running (same resolved path, size and
        modification time) is not queued twice: its existing job is returned.
        ``fault`` is for tests only (see ``ImportRequest.fault``; honoured only
        with IFC_DESKTOP_ENABLE_FAULTS=1) and is not stored in the table.
        """
        self._require_started()
        assert self._ids is not None and self._writer is not None
        candidates = [_stat(path) for path in expand_paths(paths)]
        result: list[JobInfo] = []
        with self._lock:
            fresh: list[tuple[str, int, float | None]] = []
            seen: dict[tuple[str, int, float | None], JobInfo | None] = {}
            for path, size, mtime in candidates:
                key = (path, size, mtime)
                if key in seen:  # the same file given twice in one call
                    continue
                seen[key] = self._find_active(path, size, mtime)
                if seen[key] is None:
                    fresh.append(key)
            ids = self._ids.allocate(len(fresh))
            now = utcnow()
            created: dict[tuple[str, int, float | None], JobInfo] = {}
            unnamed: list[JobInfo] = []
            for job_id, (path, size, mtime) in zip(ids, fresh, strict=True):
                shown = _text_path(path)
                job = JobInfo(
                    id=job_id,
                    path=shown,
                    size=size,
                    state=JobState.PENDING,
                    max_attempts=self._max_attempts,
                    time_limit=self._time_limit,
                    new_model=new_model,
                    queued_at=now,
                    updated_at=now,
                    stage_durations={},
                )
                self._jobs[job_id] = job
                self._extra[job_id] = _Extra(mtime=mtime, fault=fault)
                created[(path, size, mtime)] = job
                if shown != path:
                    unnamed.append(job)
            if created:
                seq = self._writer.insert(list(created.values()))
                self._dirty.update((job.id, seq) for job in created.values())
                for job in created.values():
                    self._events.emit("on_job_added", job)
            for job in unnamed:
                message = (
                    f"The name of {job.file_name!r} is not text IFC Desktop can keep (its bytes are not UTF-8, "
                    "as old archives and network shares sometimes leave them). Rename the file, then import it again."
                )
                self._finish_failed(job.id, message, error_details=None, error_permanent=True)
            for path, size, mtime in candidates:
                key = (path, size, mtime)
                job = created.get(key) or seen.get(key)
                if job is not None and all(job.id != other.id for other in result):
                    result.append(job)
            self._changed.notify_all()
        self._wake()
        return result

    def cancel(self, job_id: int) -> None:
        """Cancel a job: a waiting one never starts, a running one's worker is stopped."""
        self._require_started()
        with self._lock:
            job = self._get_locked(job_id)
            if job.is_terminal:
                return
            if not self._is_runner:
                self._set(job_id, cancel_requested=True)
                return
            if job_id in self._assigned:
                self._set(job_id, cancel_requested=True)
                self._call_soon(lambda: self._kill_job(job_id, "cancel"))
            else:
                self._finish_cancelled(job_id)
        self._wake()

    def retry(self, job_id: int) -> JobInfo:
        """Queue a failed or cancelled job again, with a fresh attempt count."""
        self._require_started()
        with self._lock:
            job = self._get_locked(job_id)
            if job.state == JobState.RETRY:
                job = self._set(job_id, next_attempt_at=utcnow())
            elif job.state in (JobState.FAILURE, JobState.CANCELLED):
                job = self._requeue(job)
            else:
                raise ValueError(f"job {job_id} is {job.state.value}; only failed or cancelled jobs are retried")
        self._wake()
        return job

    def retry_failed(self) -> list[JobInfo]:
        self._require_started()
        with self._lock:
            failed = [job for job in self._jobs.values() if job.state == JobState.FAILURE]
            result = [self._requeue(job) for job in sorted(failed, key=lambda j: j.id)]
        self._wake()
        return result

    def clear_finished(self) -> int:
        """Delete finished jobs (SUCCESS, FAILURE, CANCELLED) from the list and the table.

        The versions they produced are the lasting record (each keeps its job id);
        keeping cleared rows would need a column to hide them by.
        """
        self._require_started()
        assert self._writer is not None
        with self._lock:
            finished = [job_id for job_id, job in self._jobs.items() if job.is_terminal]
            for job_id in finished:
                del self._jobs[job_id]
                self._extra.pop(job_id, None)
            # Only delete rows still finished: another process may have retried one meanwhile.
            self._writer.call(lambda conn: _delete_finished(conn, finished))
            self._changed.notify_all()
        for job_id in finished:
            try:
                job_lock_path(self.data_dir, job_id).unlink(missing_ok=True)
            except OSError:
                pass
        return len(finished)

    def jobs(self, state: str | None = None) -> list[JobInfo]:
        with self._lock:
            found = sorted(self._jobs.values(), key=lambda job: job.id)
        if state is not None:
            wanted = JobState(state.upper())
            found = [job for job in found if job.state == wanted]
        return found

    def get(self, job_id: int) -> JobInfo:
        with self._lock:
            return self._get_locked(job_id)

    def wait(self, job_ids: Iterable[int] | None = None, timeout: float | None = None) -> bool:
        """Block until the jobs (default: all) are finished and their events delivered."""
        deadline = None if timeout is None else time.monotonic() + timeout
        wanted = None if job_ids is None else list(job_ids)
        with self._changed:
            while True:
                ids = list(self._jobs) if wanted is None else wanted
                if all(job_id not in self._jobs or self._jobs[job_id].is_terminal for job_id in ids):
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(SCHEDULER_TICK if remaining is None else min(remaining, SCHEDULER_TICK))
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._events.drain(remaining)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job change made so far is written to the table."""
        return self._writer.flush(timeout) if self._writer is not None else False

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every worker has started and loaded the parser (the pool is warm)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not (self._is_runner and self._ready_workers >= self._workers):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(SCHEDULER_TICK if remaining is None else min(remaining, SCHEDULER_TICK))
        return True

    def set_workers(self, n: int) -> None:
        self._workers = usable_workers(n)
        if self._is_runner and self._pool is not None:
            self._call_soon(lambda: self._pool.set_size(self._workers) if self._pool else None)
            self._wake()

    def set_max_attempts(self, n: int) -> None:
        """Applies to new jobs and to jobs not finished yet."""
        self._max_attempts = max(1, n)
        with self._lock:
            for job in list(self._jobs.values()):
                if not job.is_terminal and job.max_attempts != self._max_attempts:
                    self._set(job.id, max_attempts=self._max_attempts)

    def set_time_limit(self, seconds: float | None) -> None:
        """Applies to new jobs and to jobs not finished yet (a running one counts from its start)."""
        self._time_limit = seconds if seconds and seconds > 0 else None
        with self._lock:
            for job in list(self._jobs.values()):
                if not job.is_terminal and job.time_limit != self._time_limit:
                    self._set(job.id, time_limit=self._time_limit)
        self._call_soon(self._refresh_deadlines)
        self._wake()

    def shutdown(self, *, timeout: float = 5.0) -> None:
        """Stop the workers; jobs that were running are queued again for the next start."""
        if not self._started or self._closing:
            return
        with self._lock:
            self._closing = True
        self._wake()
        self._scheduler.join(timeout + 2.0)
        assert self._writer is not None
        self._writer.stop(timeout)
        self._events.stop(timeout)
        self._runner_lock.release()
        self._is_runner = False
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> JobEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # == state changes (all under self._lock) =================================================

    @property
    def _jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("the job engine is not started")

    def _get_locked(self, job_id: int) -> JobInfo:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise KeyError(f"no job {job_id}") from None

    def _set(self, job_id: int, *, persist: str = "now", **fields: Any) -> JobInfo:
        """Change a job in the mirror and hand the change to the writer, in one step."""
        assert self._writer is not None
        with self._lock:
            now = utcnow()
            job = replace(self._jobs[job_id], **fields, updated_at=now)
            self._jobs[job_id] = job
            row = {**fields, "updated_at": now}
            if "state" in row:
                row["state"] = row["state"].value
            if persist == "progress":
                self._dirty[job_id] = self._writer.update_progress(job_id, row)
            elif persist == "now":
                self._dirty[job_id] = self._writer.update(job_id, row)
            self._changed.notify_all()
            return job

    def _requeue(self, job: JobInfo) -> JobInfo:
        # The file may have been repaired or exported again since: its size (and the memory its
        # import is expected to need) are the file's as it is now.
        _path, size, mtime = _stat(job.path)
        extra = self._extra.setdefault(job.id, _Extra())
        extra.mtime, extra.peak = mtime, None
        fields: dict[str, Any] = {
            "state": JobState.PENDING,
            "size": size if mtime is not None else job.size,
            "attempts": 0,
            "max_attempts": self._max_attempts,
            # Today's limit: a job stopped by the limit it was queued with would only be stopped again.
            "time_limit": self._time_limit,
            "queued_at": utcnow(),
            "started_at": None,
            "finished_at": None,
            "next_attempt_at": None,
            "stage_index": 0,
            "stage_count": 0,
            "stage_name": "",
            "progress": 0.0,
            "stage_durations": {},
            "error_message": None,
            "error_details": None,
            "error_permanent": False,
            "cancel_requested": False,
            "worker_pid": None,
            "model_id": None,
            "version_id": None,
        }
        extra.fault = None
        if self._is_runner:
            updated = self._set(job.id, **fields)
        else:
            # Through the table only while still finished: the runner may have changed it.
            updated = self._set(job.id, persist="none", **fields)
            row = {**fields, "state": JobState.PENDING.value, "updated_at": updated.updated_at}
            assert self._writer is not None
            self._dirty[job.id] = self._writer.call(
                lambda conn: repository.update_where_state(
                    conn, job.id, (JobState.FAILURE.value, JobState.CANCELLED.value), row
                )
            )
        self._events.emit("on_state_changed", updated)
        return updated

    def _finish_cancelled(self, job_id: int) -> None:
        job = self._set(
            job_id,
            state=JobState.CANCELLED,
            cancel_requested=True,
            finished_at=utcnow(),
            next_attempt_at=None,
            worker_pid=None,
        )
        self._events.emit("on_state_changed", job)

    def _find_active(self, path: str, size: int, mtime: float | None) -> JobInfo | None:
        for job in self._jobs.values():
            if job.is_terminal or job.path != path or job.size != size:
                continue
            known = self._extra.get(job.id, _Extra()).mtime
            if known is None or mtime is None or known == mtime:
                return job
        return None

    def _become_runner_locked(self) -> None:
        """This engine now runs the folder's jobs: queue again what a dead runner left running."""
        self._is_runner = True
        for job in sorted(self._jobs.values(), key=lambda j: j.id):
            if job.is_terminal:
                continue
            if job.cancel_requested:
                self._finish_cancelled(job.id)
            elif job.state in RUNNING_STATES:
                resumed = self._set(
                    job.id,
                    state=JobState.PENDING,
                    worker_pid=None,
                    stage_index=0,
                    stage_name="",
                    progress=0.0,
                )
                self._events.emit("on_state_changed", resumed)
            if job.id in self._jobs and self._extra.get(job.id) is None:
                self._extra[job.id] = _Extra()
            if job.id in self._jobs and self._extra[job.id].mtime is None:
                self._extra[job.id].mtime = _stat(job.path)[2]
        assert self._pool is not None
        self._call_soon(lambda: self._pool.set_size(self._workers) if self._pool else None)
        self._call_soon(self._sweep_temp)

    def _sweep_temp(self) -> None:
        """Remove temporary files of workers killed mid-import (by a crash of the app, say)."""
        from ifc_desktop.jobs.task import sweep_temp

        try:
            sweep_temp(self.data_dir)
        except OSError as error:
            log.warning("could not clean temporary import files: %s", error)

    # == the scheduler thread =================================================================

    def _call_soon(self, call: Callable[[], None]) -> None:
        with self._lock:
            self._calls.append(call)
        self._wake()

    def _wake(self) -> None:
        if self._pool is not None:
            try:
                self._pool.wake()
            except OSError:
                pass  # closed: the scheduler has stopped

    def _schedule_loop(self) -> None:
        assert self._pool is not None
        pool = self._pool
        try:
            while True:
                with self._lock:
                    calls = list(self._calls)
                    self._calls.clear()
                    closing = self._closing
                for call in calls:
                    call()
                if closing:
                    break
                pool.ensure_size()
                self._dispatch()
                if self._save_order.any_waiting():
                    self._grant_save_turns()  # a job it waited for may have been cancelled or cleared meanwhile
                self._enforce_deadlines()
                pool.poll(self._next_wakeup())
                if pool.failed_starts >= FAILED_STARTS_BEFORE_GIVING_UP:
                    self._fail_waiting_jobs(pool.failed_starts)
                ready = sum(1 for worker in pool.workers if worker.ready and not worker.retire)
                if ready != self._ready_workers:
                    with self._lock:
                        self._ready_workers = ready
                        self._changed.notify_all()
        except Exception:
            log.exception("the job scheduler stopped")
        finally:
            self._stop_workers()

    def _fail_waiting_jobs(self, failed_starts: int) -> None:
        """No worker process can start (a damaged installation, a security tool blocking it):
        the queued jobs fail with a message saying so, rather than wait forever."""
        if not self._is_runner:
            return
        message = (
            f"IFC Desktop could not start the processes that read IFC files ({failed_starts} attempts in a row; "
            "the log has the details). Run 'ifc-desktop selftest' to check the installation, then retry."
        )
        with self._lock:
            waiting = [
                job.id
                for job in self._jobs.values()
                if job.state in WAITING_STATES and job.id not in self._assigned and not job.cancel_requested
            ]
            for job_id in waiting:
                self._finish_failed(job_id, message, error_details=None, error_permanent=False)

    def _stop_workers(self) -> None:
        assert self._pool is not None
        for worker in self._pool.busy():
            self._pool.kill(worker, "shutdown")
        self._pool.close(timeout=2.0)

    def _next_wakeup(self) -> float:
        now = time.monotonic()
        wakeup = now + SCHEDULER_TICK
        assert self._pool is not None
        for worker in self._pool.busy():
            if worker.deadline is not None:
                wakeup = min(wakeup, worker.deadline)
        with self._lock:
            due = [j.next_attempt_at for j in self._jobs.values() if j.state == JobState.RETRY and j.next_attempt_at]
        if due:
            wakeup = min(wakeup, now + max(0.0, (min(due) - utcnow()).total_seconds()))
        return max(0.0, wakeup - now)

    def _dispatch(self) -> None:
        assert self._pool is not None
        if not self._is_runner or self._closing:
            return
        self._held_by_memory.clear()
        idle = self._pool.idle()
        if not idle:
            return
        now = utcnow()
        with self._lock:
            candidates = [
                job
                for job in self._jobs.values()
                if job.id not in self._assigned
                and not job.cancel_requested
                and (
                    job.state == JobState.PENDING
                    or (job.state == JobState.RETRY and (job.next_attempt_at is None or job.next_attempt_at <= now))
                )
            ]
        if not candidates:
            return
        candidates.sort(key=lambda job: (job.queued_at, job.id))
        peaks = {job.id: self._peak(job) for job in candidates}
        with self._lock:
            reserved = sum(self._peak(self._jobs[job_id]) for job_id in self._assigned if job_id in self._jobs)
            capacity = self._capacity(reserved)
            for candidate in candidates:
                if not idle:
                    break
                job = self._jobs.get(candidate.id)
                if job is None or job.id in self._assigned or job.state not in WAITING_STATES or job.cancel_requested:
                    continue
                peak = peaks[job.id]
                if capacity is not None and self._assigned and reserved + peak > capacity:
                    self._held_by_memory.add(job.id)
                    if peak > capacity:
                        break  # needs the machine to itself: wait for the running jobs, start nothing after it
                    continue
                worker = idle.pop(0)
                extra = self._extra.setdefault(job.id, _Extra())
                request = {
                    "job_id": job.id,
                    "path": job.path,
                    "data_dir": str(self.data_dir),
                    "new_model": job.new_model,
                    "fault": extra.fault,
                }
                self._assigned[job.id] = worker
                reserved += peak
                if not self._pool.assign(worker, job.id, request):
                    self._assigned.pop(job.id, None)

    def _capacity(self, reserved: int) -> int | None:
        if self._memory_budget is not None:
            return self._memory_budget
        available = memory.available_memory()
        return None if available is None else available + reserved

    def _peak(self, job: JobInfo) -> int:
        extra = self._extra.setdefault(job.id, _Extra())
        if extra.peak is None:
            extra.peak = memory.expected_peak(memory.content_size(Path(job.path), job.size))
        return extra.peak

    def _enforce_deadlines(self) -> None:
        assert self._pool is not None
        now = time.monotonic()
        for worker in self._pool.busy():
            if worker.deadline is not None and now >= worker.deadline and worker.kill_reason is None:
                self._pool.kill(worker, "timeout")

    def _refresh_deadlines(self) -> None:
        assert self._pool is not None
        for worker in self._pool.busy():
            if worker.job_id is None or not worker.started:
                continue
            extra = self._extra.get(worker.job_id)
            if extra is not None and extra.waiting_since is not None:
                continue  # waiting for its turn: the deadline is set when the turn comes
            worker.deadline = self._deadline(worker.job_id)

    def _deadline(self, job_id: int) -> float | None:
        """When the job's attempt reaches its time limit (time.monotonic()), the time it waited
        for its turn to save left out; None without a limit."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.started_at is None or not job.time_limit:
            return None
        waited = self._extra[job_id].waited if job_id in self._extra else 0.0
        elapsed = (utcnow() - job.started_at).total_seconds() - waited
        return time.monotonic() + job.time_limit - elapsed

    def _kill_job(self, job_id: int, reason: str) -> None:
        assert self._pool is not None
        worker = self._pool.worker_for(job_id)
        if worker is not None:
            self._pool.kill(worker, reason)

    # -- worker messages (scheduler thread) ----------------------------------------------------

    def _on_worker_message(self, worker: Worker, message: tuple[Any, ...]) -> None:
        kind, job_id = message[0], message[1]
        if worker.job_id != job_id or job_id not in self._jobs:
            return
        if kind == "started":
            self._on_started(worker, job_id)
        elif kind == "progress":
            self._on_progress(job_id, Progress(*message[2:6]))
        elif kind == "done":
            self._on_done(worker, job_id, message[2])
        elif kind == "failed":
            _, _, text, details, permanent = message
            self._fail_attempt(job_id, text, details, permanent)  # first: a job to be retried keeps its place
            self._release(worker, job_id)
        elif kind == "identity":
            self._save_order.identify(job_id, message[2])
            self._grant_save_turns()
        elif kind == "save_ready":
            self._save_order.request(job_id)
            if job_id not in self._grant_save_turns():
                self._extra.setdefault(job_id, _Extra()).waiting_since = time.monotonic()
                worker.deadline = None  # its own time stands still while it waits
                worker.waiting = True  # another worker may start beside it (``WorkerPool.ensure_size``)
                job = self._jobs[job_id]  # its stage is Saving: show what it waits for instead
                self._on_progress(job_id, Progress(job.stage_index, job.stage_count, STAGE_WAITING, 0.0))

    def _grant_save_turns(self) -> list[int]:
        """Let waiting workers save, so that each model's versions follow the queue (``jobs.save_order``).

        Returns the jobs that may save now.
        """
        assert self._pool is not None
        with self._lock:
            running = [
                RunningJob(job.id, (job.queued_at, job.id), job.new_model)
                for job_id in self._assigned
                if (job := self._jobs.get(job_id)) is not None
            ]
            between = [
                RunningJob(job.id, (job.queued_at, job.id), job.new_model)
                for job in self._jobs.values()
                if job.state == JobState.RETRY and job.id not in self._assigned and not job.cancel_requested
            ]
        granted = self._save_order.grant(running + between)
        all_wait = self._save_order.waiting([job.job_id for job in running])
        if (
            not granted
            and between
            and all_wait
            and (not self._pool.can_take_job() or any(job.job_id in self._held_by_memory for job in between))
        ):
            # Every running job waits, and the retry of an earlier file cannot start: no worker can take it,
            # or the memory the waiting jobs hold leaves too little for it. The queue gives way.
            granted = self._save_order.grant(running)
        for job_id in granted:
            worker = self._pool.worker_for(job_id)
            if worker is not None:
                extra = self._extra.get(job_id)
                if extra is not None and extra.waiting_since is not None:
                    extra.waited += time.monotonic() - extra.waiting_since
                    extra.waiting_since = None
                    worker.deadline = self._deadline(job_id)
                worker.waiting = False
                self._pool.send(worker, ("save", job_id))
        return granted

    def _on_started(self, worker: Worker, job_id: int) -> None:
        with self._lock:
            job = self._jobs[job_id]
            extra = self._extra.setdefault(job_id, _Extra())
            extra.stage_started, extra.durations, extra.last_progress_event = None, {}, 0.0
            extra.waiting_since, extra.waited = None, 0.0
            job = self._set(
                job_id,
                state=JobState.STARTED,
                attempts=job.attempts + 1,
                started_at=utcnow(),
                finished_at=None,
                next_attempt_at=None,
                worker_pid=worker.pid,
                stage_index=0,
                stage_count=0,
                stage_name="",
                progress=0.0,
                stage_durations={},
            )
            self._events.emit("on_state_changed", job)
        if job.time_limit:
            worker.deadline = time.monotonic() + job.time_limit

    def _on_progress(self, job_id: int, progress: Progress) -> None:
        now = time.monotonic()
        with self._lock:
            job = self._jobs[job_id]
            extra = self._extra.setdefault(job_id, _Extra())
            stage_changed = progress.stage_name != job.stage_name or progress.stage_index != job.stage_index
            fields: dict[str, Any] = {
                "stage_index": progress.stage_index,
                "stage_count": progress.stage_count,
                "stage_name": progress.stage_name,
                "progress": progress.overall,
            }
            if stage_changed:
                if job.stage_name and extra.stage_started is not None:
                    extra.durations[job.stage_name] = now - extra.stage_started
                    fields["stage_durations"] = dict(extra.durations)
                extra.stage_started = now
            if job.state == JobState.STARTED:
                job = self._set(job_id, state=JobState.PROGRESS, **fields)
                self._events.emit("on_state_changed", job)
            else:
                job = self._set(job_id, persist="progress", **fields)
            if stage_changed or now - extra.last_progress_event >= PROGRESS_EVENT_INTERVAL:
                extra.last_progress_event = now
                self._events.emit("on_progress", job_id, progress)

    def _on_done(self, worker: Worker, job_id: int, outcome: Any) -> None:
        self._release(worker, job_id)
        sha256 = self._version_sha256(outcome.version_id)
        with self._lock:
            job = self._jobs[job_id]
            durations = dict(getattr(outcome, "stage_durations", None) or self._extra[job_id].durations)
            job = self._set(
                job_id,
                state=JobState.SUCCESS,
                finished_at=utcnow(),
                progress=1.0,
                stage_index=max(job.stage_index, job.stage_count - 1),
                stage_durations=durations,
                model_id=outcome.model_id,
                version_id=outcome.version_id,
                version_number=outcome.version_number,
                warnings=list(outcome.warnings),
                reused=not outcome.created,
                sha256=sha256 or job.sha256,
                worker_pid=None,
                error_message=None,
                error_details=None,
                error_permanent=False,
                next_attempt_at=None,
            )
            self._events.emit("on_state_changed", job)
            self._events.emit("on_finished", job, outcome)

    def _fail_attempt(self, job_id: int, message: str, details: str | None, permanent: bool) -> None:
        with self._lock:
            job = self._jobs[job_id]
            extra = self._extra.setdefault(job_id, _Extra())
            durations = dict(extra.durations)
            if job.stage_name and extra.stage_started is not None:
                durations[job.stage_name] = time.monotonic() - extra.stage_started
            if job.cancel_requested:
                self._finish_cancelled(job_id)
                return
            common = {
                "error_message": message,
                "error_details": details,
                "error_permanent": permanent,
                "worker_pid": None,
                "stage_durations": durations,
            }
            if permanent or job.attempts >= job.max_attempts:
                self._finish_failed(job_id, **common)
            else:
                delay = self._backoff_base * (2 ** max(0, job.attempts - 1))
                job = self._set(
                    job_id, state=JobState.RETRY, next_attempt_at=utcnow() + timedelta(seconds=delay), **common
                )
                self._events.emit("on_state_changed", job)

    def _finish_failed(self, job_id: int, error_message: str, **fields: Any) -> None:
        """The job fails for good (until the user retries it); the caller holds the lock."""
        job = self._set(
            job_id,
            state=JobState.FAILURE,
            finished_at=utcnow(),
            next_attempt_at=None,
            error_message=error_message,
            **fields,
        )
        self._events.emit("on_state_changed", job)
        self._events.emit("on_failed", job, error_message)

    def _release(self, worker: Worker, job_id: int) -> None:
        assert self._pool is not None
        with self._lock:
            self._assigned.pop(job_id, None)
            worker.load += self._extra.get(job_id, _Extra()).peak or 0
        self._pool.release(worker, recycle=worker.load > self._recycle_after)
        job = self._jobs.get(job_id)
        self._save_order.forget(job_id, retried=job is not None and job.state == JobState.RETRY)
        self._grant_save_turns()

    def _on_worker_exit(self, worker: Worker, exitcode: int | None) -> None:
        job_id = worker.job_id
        if job_id is None:
            return
        try:
            self._end_attempt_on_exit(worker, job_id, exitcode)
        finally:
            job = self._jobs.get(job_id)
            self._save_order.forget(job_id, retried=job is not None and job.state == JobState.RETRY)
            self._grant_save_turns()

    def _end_attempt_on_exit(self, worker: Worker, job_id: int, exitcode: int | None) -> None:
        with self._lock:
            self._assigned.pop(job_id, None)
            if job_id not in self._jobs:
                return
            job = self._jobs[job_id]
            reason = worker.kill_reason
            if not worker.started and reason is None:
                job = self._set(job_id, attempts=job.attempts + 1)  # it died starting this job
            if reason == "shutdown":
                if job.state in RUNNING_STATES:
                    resumed = self._set(
                        job_id,
                        state=JobState.PENDING,
                        attempts=max(0, job.attempts - 1),  # not the file's fault
                        worker_pid=None,
                        stage_index=0,
                        stage_name="",
                        progress=0.0,
                    )
                    self._events.emit("on_state_changed", resumed)
                return
            committed = self._committed_version(job_id) if reason in ("cancel", "timeout") else None
            if committed is not None:
                self._finish_from_version(job_id, committed)
            elif reason == "cancel" or job.cancel_requested:
                self._finish_cancelled(job_id)
            elif reason == "timeout":
                limit = job.time_limit or 0
                self._fail_attempt(
                    job_id,
                    f"The import took longer than {limit:g} s (the time limit) and was stopped.",
                    f"time limit {limit:g} s exceeded; worker pid {worker.pid} killed",
                    True,
                )
            else:
                self._fail_attempt(
                    job_id,
                    describe_exit(exitcode),
                    f"worker pid {worker.pid} exit code {exitcode}",
                    False,
                )

    def _version_sha256(self, version_id: int) -> str | None:
        try:
            with read_connection(self._store.engine) as conn:
                return repository.version_sha256(conn, version_id)
        except Exception:
            log.exception("could not read the checksum of version %s", version_id)
            return None

    def _committed_version(self, job_id: int) -> tuple[int, int] | None:
        """A version the worker committed just before it was stopped (a cancel that came too late)."""
        try:
            with read_connection(self._store.engine) as conn:
                return repository.version_of_job(conn, job_id)
        except Exception:
            log.exception("could not look up the version of job %s", job_id)
            return None

    def _finish_from_version(self, job_id: int, version: tuple[int, int]) -> None:
        version_id, model_id = version
        with read_connection(self._store.engine) as conn:
            outcome = outcome_from_version(conn, version_id, self._jobs[job_id].stage_durations)
        job = self._set(
            job_id,
            state=JobState.SUCCESS,
            finished_at=utcnow(),
            progress=1.0,
            model_id=model_id,
            version_id=version_id,
            version_number=outcome.version_number if outcome is not None else None,
            warnings=list(outcome.warnings) if outcome is not None else [],
            worker_pid=None,
            cancel_requested=False,
        )
        self._events.emit("on_state_changed", job)
        if outcome is not None:
            self._events.emit("on_finished", job, outcome)

    # == the table poll (writer thread) =======================================================

    def _poll_table(self, conn: Connection) -> None:
        """Take in what other processes changed, and take over from a runner that is gone."""
        if self._closing:
            return
        took_over = not self._is_runner and self._runner_lock.acquire(timeout=0)
        with self._lock:
            watched = [job_id for job_id, job in self._jobs.items() if not job.is_terminal]
            newest = max(self._jobs, default=0)
        since = utcnow() - POLL_LOOKBACK
        if took_over:
            rows = repository.load_all(conn)
        else:
            rows = repository.load_for_poll(conn, watched, since=min(since, self._poll_since), above_id=newest)
        self._poll_since = since
        wake = False
        with self._lock:
            for row in rows:
                wake = self._apply_external(conn, row) or wake
            if took_over:
                self._become_runner_locked()
        if wake or took_over:
            self._wake()

    def _apply_external(self, conn: Connection, row: JobInfo) -> bool:
        """Mirror a row another process wrote; True when the scheduler has something new."""
        assert self._writer is not None
        cached = self._jobs.get(row.id)
        if cached is None:
            self._jobs[row.id] = row
            self._extra[row.id] = _Extra(mtime=_stat(row.path)[2])
            self._events.emit("on_job_added", row)
            self._changed.notify_all()
            return True
        running_here = self._is_runner and row.id in self._assigned
        if running_here or not self._writer.settled(self._dirty.get(row.id, 0), row.id):
            # Ours is newer than the row; the one thing another process may add is a cancel.
            if running_here and row.cancel_requested and not cached.cancel_requested and not row.is_terminal:
                self._set(row.id, cancel_requested=True)
                self._call_soon(lambda: self._kill_job(row.id, "cancel"))
            return False
        if replace(row, updated_at=cached.updated_at) == cached:
            return False
        self._jobs[row.id] = row
        self._changed.notify_all()
        if self._is_runner and row.cancel_requested and not row.is_terminal:
            self._finish_cancelled(row.id)
            return False
        if row.state != cached.state:
            self._events.emit("on_state_changed", row)
            if row.state == JobState.SUCCESS and row.version_id is not None:
                outcome = outcome_from_version(conn, row.version_id, row.stage_durations, created=not row.reused)
                if outcome is not None:
                    self._events.emit("on_finished", row, outcome)
            elif row.state == JobState.FAILURE:
                self._events.emit("on_failed", row, row.error_message or "")
        elif (row.stage_index, row.stage_name, row.progress) != (
            cached.stage_index,
            cached.stage_name,
            cached.progress,
        ) and row.state in RUNNING_STATES:
            self._events.emit("on_progress", row.id, _overall_progress(row))
        return row.state in WAITING_STATES


def _overall_progress(job: JobInfo) -> Progress:
    """A Progress for a job known only by its row (overall fraction, current stage)."""
    count = max(1, job.stage_count)
    fraction = max(0.0, min(1.0, job.progress * count - job.stage_index))
    return Progress(job.stage_index, job.stage_count, job.stage_name, fraction)


def _delete_finished(conn: Connection, job_ids: list[int]) -> None:
    from sqlalchemy import delete

    table = repository.JOBS
    terminal = [state.value for state in TERMINAL_STATES]
    conn.execute(delete(table).where(table.c.id.in_(job_ids), table.c.state.in_(terminal)))


def _text_path(path: str) -> str:
    """``path`` as text the database can hold: a name whose bytes are not UTF-8 (held by Python as
    lone surrogates) has them replaced, for showing; such a job fails at once (see ``submit``)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def _stat(path: str | os.PathLike[str]) -> tuple[str, int, float | None]:
    """(absolute path, size, mtime) — size 0 and no mtime for a file that cannot be read.

    A path that cannot be resolved or read keeps the name it was dropped with (not a
    dangling link's target), so its job's message names what the user dropped.
    """
    given = Path(path).expanduser().absolute()
    try:
        resolved = given.resolve()
        info = resolved.stat()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return str(given), 0, None
    return str(resolved), int(info.st_size), info.st_mtime
