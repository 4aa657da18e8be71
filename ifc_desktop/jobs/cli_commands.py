"""The job commands of ``ifc-desktop``: process, jobs, retry, cancel.

``process`` and ``retry`` run an engine in this process (or, when the window
or another command already runs the jobs of the data folder, queue through it
and follow along). ``jobs`` and ``cancel`` only touch the jobs table, so they
work while another process is importing.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ifc_desktop.core.progress import Progress
from ifc_desktop.core.wording import count_of
from ifc_desktop.jobs import repository
from ifc_desktop.jobs.engine import JobEngine, runner_lock_path
from ifc_desktop.jobs.info import TERMINAL_STATES, WAITING_STATES, JobInfo, JobListener, JobState, utcnow
from ifc_desktop.jobs.locks import is_locked

EXIT_OK, EXIT_FAILED = 0, 1
# How long ``cancel`` waits to see a running job stopped by the process that runs it.
CANCEL_WAIT = 5.0


class ProgressPrinter(JobListener):
    """One line per job event worth a person's attention: start, each stage, retry, result."""

    def __init__(self, out: TextIO, jobs: Iterable[int] | None = None):
        self._out = out
        self._lock = threading.Lock()
        self._watch = None if jobs is None else set(jobs)
        self._stage: dict[int, str] = {}
        self._names: dict[int, str] = {}

    def watch(self, jobs: Iterable[JobInfo]) -> None:
        with self._lock:
            for job in jobs:
                if self._watch is not None:
                    self._watch.add(job.id)
                self._names[job.id] = job.file_name

    def _wanted(self, job_id: int) -> bool:
        return self._watch is None or job_id in self._watch

    def _line(self, job_id: int, text: str) -> None:
        name = self._names.get(job_id, "")
        with self._lock:
            print(f"[job {job_id}] {name}: {text}", file=self._out, flush=True)

    def on_state_changed(self, job: JobInfo) -> None:
        if not self._wanted(job.id):
            return
        self._names.setdefault(job.id, job.file_name)
        if job.state == JobState.STARTED:
            attempt = f" (attempt {job.attempts} of {job.max_attempts})" if job.attempts > 1 else ""
            self._line(job.id, f"started{attempt}")
        elif job.state == JobState.RETRY:
            wait = ""
            if job.next_attempt_at is not None:
                wait = f"; trying again in {max(0.0, (job.next_attempt_at - utcnow()).total_seconds()):.1f} s"
            self._line(job.id, f"attempt {job.attempts} failed: {job.error_message}{wait}")
        elif job.state == JobState.CANCELLED:
            self._line(job.id, "cancelled")

    def on_progress(self, job_id: int, progress: Progress) -> None:
        if not self._wanted(job_id) or self._stage.get(job_id) == progress.stage_name:
            return
        self._stage[job_id] = progress.stage_name
        self._line(job_id, f"{progress.stage_name} ({progress.stage_index + 1}/{progress.stage_count})")

    def on_finished(self, job: JobInfo, outcome: Any) -> None:
        if not self._wanted(job.id):
            return
        took = f" in {job.elapsed:.1f} s" if job.elapsed is not None else ""
        what = (
            f"model '{outcome.model_name}' version {outcome.version_number} "
            f"({count_of(outcome.element_count, 'element')})"
        )
        if outcome.created:
            self._line(job.id, f"done: {what}{took}")
        elif outcome.current_version_number not in (None, outcome.version_number):
            current = outcome.current_version_number
            self._line(job.id, f"done: already stored as {what}, not the current version (version {current} is)")
        else:
            self._line(job.id, f"done: already stored as {what}")
        for warning in outcome.warnings:
            self._line(job.id, f"warning: {warning}")

    def on_failed(self, job: JobInfo, message: str) -> None:
        if self._wanted(job.id):
            tries = f" after {job.attempts} attempts" if job.attempts > 1 else ""
            self._line(job.id, f"FAILED{tries}: {message}")


# How the summary line of ``process`` names each state's count.
_STATE_WORDS = {"success": "imported", "failure": "failed"}


def process(
    paths: Iterable[str | os.PathLike[str]],
    data_dir: Path,
    workers: int | None = None,
    as_json: bool = False,
    *,
    max_attempts: int = 3,
    time_limit: float | None = None,
    new_model: bool = False,
    fault: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Import files through the job engine, printing progress; 0 when every file succeeded."""
    out = out or sys.stdout
    engine = JobEngine(Path(data_dir), workers=workers, max_attempts=max_attempts, time_limit=time_limit)
    printer = ProgressPrinter(sys.stderr if as_json else out, jobs=[])
    engine.add_listener(printer)
    engine.start()
    try:
        if not engine.is_runner:
            print(
                "Another IFC Desktop is running imports in this data folder; it will run these.",
                file=sys.stderr,
            )
        resumed = _resume(engine, printer, sys.stderr if as_json else out)
        jobs = engine.submit(paths, new_model=new_model, fault=fault)
        if not jobs:
            print("No IFC files found.", file=sys.stderr)
            return EXIT_FAILED
        printer.watch(jobs)
        return _follow(engine, [job.id for job in jobs], as_json, out, resumed)
    except KeyboardInterrupt:
        print("Interrupted: unfinished jobs resume at the next start.", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.shutdown()


def retry(
    data_dir: Path,
    job_id: int | None = None,
    failed: bool = False,
    workers: int | None = None,
    *,
    time_limit: float | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
) -> int:
    """Queue a failed or cancelled job (or every failed one) again and follow it to the end.

    The job gets ``time_limit`` (None: no limit), not the limit it was queued with."""
    out = out or sys.stdout
    engine = JobEngine(Path(data_dir), workers=workers, time_limit=time_limit)
    printer = ProgressPrinter(sys.stderr if as_json else out, jobs=[])
    engine.add_listener(printer)
    engine.start()
    try:
        resumed = _resume(engine, printer, sys.stderr if as_json else out)
        if failed:
            jobs = engine.retry_failed()
            if not jobs:
                if not resumed:
                    print("No failed jobs.", file=out)
                    return EXIT_OK
                # No job failed, but an earlier run left some unfinished: those are completed and summed up.
                return _follow(engine, resumed, as_json, out, [])
        else:
            if job_id is None:
                raise LookupError("give a job id or --failed")
            try:
                current = engine.get(job_id)
            except KeyError:
                raise LookupError(f"no job {job_id}") from None
            if job_id in resumed:
                jobs = [current]
            elif current.state not in (JobState.FAILURE, JobState.CANCELLED, JobState.RETRY):
                print(f"Job {job_id} is {current.state.value}: only failed or cancelled jobs are retried.", file=out)
                return EXIT_FAILED
            else:
                jobs = [engine.retry(job_id)]
        printer.watch(jobs)
        for job in jobs:
            print(f"[job {job.id}] {job.file_name}: queued again", file=sys.stderr if as_json else out, flush=True)
        return _follow(engine, [job.id for job in jobs], as_json, out, resumed)
    except KeyboardInterrupt:
        print("Interrupted: unfinished jobs resume at the next start.", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.shutdown()


def _resume(engine: JobEngine, printer: ProgressPrinter, out: TextIO) -> list[int]:
    """Jobs an earlier run left unfinished, which this run completes too (when it runs the jobs)."""
    if not engine.is_runner:
        return []
    unfinished = [job for job in engine.jobs() if not job.is_terminal]
    printer.watch(unfinished)
    for job in unfinished:
        print(f"[job {job.id}] {job.file_name}: resumed (left unfinished by an earlier run)", file=out, flush=True)
    return [job.id for job in unfinished]


def _follow(engine: JobEngine, job_ids: list[int], as_json: bool, out: TextIO, resumed: list[int]) -> int:
    """Wait for the jobs asked for and the resumed ones; the exit code and summary are about the former."""
    engine.wait([*job_ids, *resumed])
    jobs = [engine.get(job_id) for job_id in job_ids]
    if as_json:
        json.dump([job.to_dict() for job in jobs], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        counts: dict[str, int] = {}
        for job in jobs:
            state = "already stored" if job.state == JobState.SUCCESS and job.reused else job.state.value.lower()
            counts[state] = counts.get(state, 0) + 1
        summary = ", ".join(f"{count} {_STATE_WORDS.get(state, state)}" for state, count in sorted(counts.items()))
        print(f"{count_of(len(jobs), 'file')}: {summary}", file=out, flush=True)
    return EXIT_OK if all(job.state == JobState.SUCCESS for job in jobs) else EXIT_FAILED


def list_jobs(data_dir: Path, state: str | None = None, as_json: bool = False, *, out: TextIO | None = None) -> int:
    """Print the job history (newest last) with attempts, durations and results."""
    out = out or sys.stdout
    wanted = _parse_state(state)
    jobs, labels = _load_jobs(Path(data_dir))
    if wanted is not None:
        jobs = [job for job in jobs if job.state == wanted]
    if as_json:
        json.dump([job.to_dict() for job in jobs], out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    if not jobs:
        print("No jobs." if wanted is None else f"No {wanted.value} jobs.", file=out)
        return EXIT_OK
    # Unfinished jobs with nobody running them were interrupted (the app or a command was stopped).
    runner_alive = is_locked(runner_lock_path(Path(data_dir)))
    rows = [("ID", "STATE", "TRIES", "QUEUED", "TIME", "FILE", "DETAIL")]
    for job in jobs:
        interrupted = not runner_alive and not job.is_terminal
        rows.append(
            (
                str(job.id),
                job.state.value,
                f"{job.attempts}/{job.max_attempts}",
                _local_time(job.queued_at),
                f"{job.elapsed:.1f}s" if job.elapsed is not None and not interrupted else "-",
                job.file_name,
                _INTERRUPTED if interrupted else _detail(job, labels),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip(), file=out)
    return EXIT_OK


def cancel(data_dir: Path, job_id: int, *, out: TextIO | None = None) -> int:
    """Cancel a job through the table; the process running it stops its worker within a second."""
    out = out or sys.stdout
    data_dir = Path(data_dir)
    store = _open_store(data_dir)
    try:
        from ifc_desktop.store.db import read_connection, write_connection

        with read_connection(store.engine) as conn:
            job = repository.load_one(conn, job_id)
        if job is None:
            raise LookupError(f"no job {job_id}")
        if job.state in TERMINAL_STATES:
            print(f"Job {job_id} is already {job.state.value}.", file=out)
            return EXIT_FAILED
        runner_alive = is_locked(runner_lock_path(data_dir))
        now = utcnow()
        fields: dict[str, Any] = {"cancel_requested": True, "updated_at": now}
        if not runner_alive:
            # Nobody runs jobs here right now: it is cancelled as of this moment.
            fields.update(state=JobState.CANCELLED.value, finished_at=now, next_attempt_at=None, worker_pid=None)
        active = [state.value for state in (*WAITING_STATES, JobState.STARTED, JobState.PROGRESS)]
        with write_connection(store.engine) as conn:
            changed = repository.update_where_state(conn, job_id, active, fields)
        if not changed:
            print(f"Job {job_id} finished before it could be cancelled.", file=out)
            return EXIT_FAILED
        if not runner_alive:
            print(f"Job {job_id} cancelled.", file=out)
            return EXIT_OK
        deadline = time.monotonic() + CANCEL_WAIT
        while time.monotonic() < deadline:
            with read_connection(store.engine) as conn:
                current = repository.load_one(conn, job_id)
            if current is not None and current.is_terminal:
                if current.state == JobState.CANCELLED:
                    print(f"Job {job_id} cancelled.", file=out)
                    return EXIT_OK
                print(f"Job {job_id} finished as {current.state.value} before it could be stopped.", file=out)
                return EXIT_FAILED
            time.sleep(0.1)
        print(f"Cancel of job {job_id} requested; the app running it will stop it.", file=out)
        return EXIT_OK
    finally:
        store.close()


# -- helpers ------------------------------------------------------------------------------------


def _open_store(data_dir: Path) -> Any:
    from ifc_desktop.store import Store

    return Store.open(data_dir, migrate=True)


def _load_jobs(data_dir: Path) -> tuple[list[JobInfo], dict[int, str]]:
    """The jobs, and a label ("model 'X' version N") for each version they produced."""
    from ifc_desktop.store.db import read_connection

    store = _open_store(data_dir)
    try:
        with read_connection(store.engine) as conn:
            jobs = repository.load_all(conn)
            labels = repository.version_labels(conn, [job.version_id for job in jobs if job.version_id])
        return jobs, labels
    finally:
        store.close()


def _parse_state(state: str | None) -> JobState | None:
    if not state:
        return None
    try:
        return JobState(state.strip().upper())
    except ValueError:
        known = ", ".join(s.value for s in JobState)
        raise LookupError(f"unknown job state {state!r}; one of {known}") from None


def _local_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


_INTERRUPTED = "interrupted: resumes when the window or a process command next runs"


def _detail(job: JobInfo, labels: dict[int, str]) -> str:
    if job.state == JobState.SUCCESS and job.version_id is not None:
        label = labels.get(job.version_id, f"version id {job.version_id}")
        if job.reused:
            return f"already stored as {label}"
        count = len(job.warnings)
        return f"{label}, {count_of(count, 'warning')}" if count else label
    if job.state in (JobState.FAILURE, JobState.RETRY) and job.error_message:
        return job.error_message
    if job.state in (JobState.STARTED, JobState.PROGRESS) and job.stage_name:
        return f"{job.stage_name} ({job.stage_index + 1}/{job.stage_count}), {job.progress:.0%}"
    return ""
