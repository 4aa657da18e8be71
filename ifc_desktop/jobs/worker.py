"""The worker process: runs imports one at a time and reports over its own pipe.

Each worker has a private pipe to the main process, so killing one worker
(cancel, time limit, crash) can never leave a shared queue or lock half-held
for the others. The worker dies with the main process, so an app that is
killed never leaves a worker writing on behalf of a job that a new start
resumes; a per-job lock file is the second guard against two runs of a job.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ifc_desktop.jobs.locks import FileLock

_PR_SET_PDEATHSIG = 1


def job_lock_path(data_dir: str | Path, job_id: int) -> Path:
    return Path(data_dir) / "jobs" / f"job-{job_id}.lock"


def worker_main(conn: Connection, parent_pid: int, data_dir: str) -> None:
    """Entry point of a spawned worker (must stay importable without side effects)."""
    _die_with_parent(parent_pid)
    # Ctrl+C in a console reaches the whole process group; the main process decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _silence_stdout()
    from ifc_desktop.jobs.task import ImportRequest, run_import

    _preload()

    try:
        conn.send(("ready", os.getpid()))
        while True:
            message = conn.recv()
            if message[0] == "stop":
                return
            _, job_id, request_fields = message
            _run_one(conn, data_dir, job_id, ImportRequest(**request_fields), run_import)
    except (EOFError, OSError, KeyboardInterrupt, _ParentGone):
        return  # the main process is gone or closed our pipe


def _silence_stdout() -> None:
    """Send the worker's standard output to the null device.

    ifcopenshell's geometry kernel prints debugging lines from C++ (e.g. while
    resolving linear placements), which would land in the middle of the CLI's
    progress output. Workers report through their pipe only; stderr stays for
    crash reports.
    """
    try:
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass  # no usable stdout (e.g. the windowed Windows app): nothing to silence


def _preload() -> None:
    """Import the parser and the store now, so that the first job does not pay for it."""
    try:
        import ifcopenshell  # noqa: F401

        import ifc_desktop.core.extract
        import ifc_desktop.core.opener
        import ifc_desktop.store  # noqa: F401
    except Exception:
        pass  # each job then reports what is missing, as an import failure


# How long a job ready to save waits for its turn before it lets go of the parsed file.
TURN_AT_ONCE = 0.05


def _run_one(conn: Connection, data_dir: str, job_id: int, request: Any, run_import: Any) -> None:
    from ifc_desktop.core.errors import as_import_failure, describe_exception

    conn.send(("started", job_id))
    lock = FileLock(job_lock_path(data_dir, job_id))
    lock.acquire(timeout=None)  # waits only while a stray earlier run of this job still lives
    try:

        def report(progress: Any) -> None:
            message = (
                "progress",
                job_id,
                progress.stage_index,
                progress.stage_count,
                progress.stage_name,
                progress.fraction,
            )
            try:
                conn.send(message)
            except (OSError, EOFError) as error:
                raise _ParentGone from error

        def identified(project_global_id: str | None) -> None:
            try:
                conn.send(("identity", job_id, project_global_id))
            except (OSError, EOFError) as error:
                raise _ParentGone from error

        def wait_turn() -> None:
            """Returns once the main process lets this job save (see ``jobs.save_order``)."""
            try:
                conn.send(("save_ready", job_id))
                if not conn.poll(TURN_AT_ONCE):
                    # It waits for an earlier file of its model: the parsed file is no longer needed
                    # and is destroyed meanwhile, rather than held through the wait.
                    retained.clear()
                answer = conn.recv()
            except (OSError, EOFError) as error:
                raise _ParentGone from error
            if answer != ("save", job_id):
                raise RuntimeError(f"unexpected answer from the main process: {answer!r}")

        retained: list[Any] = []
        try:
            outcome = run_import(request, report, retain=retained.append, identified=identified, wait_turn=wait_turn)
        except Exception as error:
            failure = as_import_failure(error)
            details = failure.details or describe_exception(error)
            conn.send(("failed", job_id, failure.message, details, failure.permanent))
        else:
            conn.send(("done", job_id, outcome))
        # Destroying a large parsed file takes a while: the outcome is out before it starts.
        retained.clear()
    finally:
        lock.release()


class _ParentGone(BaseException):
    """Raised through the import when the main process can no longer be told anything."""


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)
        return
    # Elsewhere the main process also puts workers in a kill-on-close job object (Windows);
    # this watchdog is the fallback.
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    if sys.platform == "win32":
        synchronize = 0x00100000
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(synchronize, False, parent_pid)
        if handle:
            kernel32.WaitForSingleObject(handle, 0xFFFFFFFF)
        os._exit(1)
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)
