"""Worker processes, each with a private pipe; driven by the engine's scheduler thread.

Only the scheduler thread touches the pool (``wake`` excepted), and it also
spawns the workers: on Linux a worker is told to die with the thread that
started it, so that must be a thread that lives as long as the pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ifc_desktop.jobs.worker import worker_main

log = logging.getLogger(__name__)

# A worker that dies before it is ready (a broken install, say) is not respawned in a tight loop.
RESPAWN_DELAY = 1.0  # after a worker died starting, doubled for each failure in a row
MAX_RESPAWN_DELAY = 30.0
# How long a worker left over beyond the pool's size stays, idle, before it is retired.
IDLE_GRACE = 10.0


@dataclass(eq=False)
class Worker:
    process: BaseProcess
    conn: Connection
    number: int
    ready: bool = False
    job_id: int | None = None
    started: bool = False  # the worker acknowledged the current job
    deadline: float | None = None  # time.monotonic() after which the job is stopped
    kill_reason: str | None = None
    retire: bool = False  # exit once the current job is over
    load: int = 0  # expected peak memory of the jobs it ran, added up (see RECYCLE_AFTER_PEAK)
    # Its job waits for its turn to save (``jobs.save_order``) and uses no processor meanwhile.
    waiting: bool = False
    # time.monotonic() since when it has had no job (from its start); None while it has one.
    idle_since: float | None = None
    dead: bool = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def idle(self) -> bool:
        return self.ready and self.job_id is None and not self.retire and self.kill_reason is None


class WorkerPool:
    def __init__(
        self,
        data_dir: Path,
        on_message: Callable[[Worker, tuple[Any, ...]], None],
        on_exit: Callable[[Worker, int | None], None],
    ):
        self._data_dir = str(data_dir)
        self._on_message = on_message
        self._on_exit = on_exit
        self._context = multiprocessing.get_context("spawn")
        self._wake_reader, self._wake_writer = self._context.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._wake_pending = False
        self._workers: list[Worker] = []
        self._target = 0
        self._numbers = 0
        self._spawn_not_before = 0.0
        self.failed_starts = 0  # workers in a row that exited before they were ready
        self._job_object = _kill_on_close_job() if sys.platform == "win32" else None

    @property
    def workers(self) -> list[Worker]:
        return list(self._workers)

    def wake(self) -> None:
        """Interrupt ``poll`` (callable from any thread)."""
        with self._wake_lock:
            if self._wake_pending:
                return
            self._wake_pending = True
            self._wake_writer.send_bytes(b"w")

    def set_size(self, size: int) -> None:
        self._target = max(0, size)

    def ensure_size(self) -> None:
        """Spawn or retire workers so that ``size`` of them serve new jobs.

        A worker whose job waits for its turn to save does not count: files of other models
        need not queue behind it. Workers stand in for at most ``size`` such ones (at most
        twice ``size`` processes live, those still exiting included), and a worker left over
        when a wait ends is retired only once it has been idle for ``IDLE_GRACE``: the next
        wait would otherwise start a process again.
        """
        alive = self._alive()
        serving = [w for w in alive if not w.retire]
        active = [w for w in serving if not w.waiting]
        surplus = len(active) - self._target
        if surplus > 0:
            now = time.monotonic()
            idle = sorted((w for w in active if w.job_id is None), key=lambda w: w.idle_since or now)
            for worker in idle[:surplus]:
                if self._target == 0 or now - (worker.idle_since or now) >= IDLE_GRACE:
                    self.retire(worker)
        missing = min(self._target - len(active), 2 * self._target - len(alive))
        if missing > 0 and time.monotonic() >= self._spawn_not_before:
            for _ in range(missing):
                self._spawn()

    def can_take_job(self) -> bool:
        """Whether a job could start now or soon: a worker without a job (or starting), or room for one."""
        alive = self._alive()
        return any(w.job_id is None and not w.retire for w in alive) or len(alive) < 2 * self._target

    def _alive(self) -> list[Worker]:
        """Worker processes not being killed, those retiring included (they count until they exit)."""
        return [w for w in self._workers if w.kill_reason is None]

    def idle(self) -> list[Worker]:
        """Workers that may take a job now: at most ``size`` jobs run at a time, waiting ones aside."""
        running = sum(1 for w in self._workers if w.job_id is not None and not w.waiting and w.kill_reason is None)
        return [w for w in self._workers if w.idle][: max(0, self._target - running)]

    def busy(self) -> list[Worker]:
        return [w for w in self._workers if w.job_id is not None]

    def worker_for(self, job_id: int) -> Worker | None:
        return next((w for w in self._workers if w.job_id == job_id), None)

    def assign(self, worker: Worker, job_id: int, request: dict[str, Any]) -> bool:
        worker.job_id = job_id
        worker.idle_since = None
        worker.started = False
        worker.deadline = None
        try:
            worker.conn.send(("run", job_id, request))
        except OSError:
            self.kill(worker, "broken pipe")
            return False
        return True

    def send(self, worker: Worker, message: tuple[Any, ...]) -> None:
        """A message to a busy worker; a broken pipe kills it (its exit then fails the job)."""
        try:
            worker.conn.send(message)
        except OSError:
            self.kill(worker, "broken pipe")

    def release(self, worker: Worker, *, recycle: bool = False) -> None:
        """The worker's job is over; it serves the next one unless it should retire."""
        worker.job_id = None
        worker.started = False
        worker.deadline = None
        worker.waiting = False
        worker.idle_since = time.monotonic()
        if recycle or worker.retire:
            self.retire(worker)

    def retire(self, worker: Worker) -> None:
        worker.retire = True
        if worker.job_id is None and worker.kill_reason is None:
            try:
                worker.conn.send(("stop",))
            except OSError:
                self.kill(worker, "retire")

    def kill(self, worker: Worker, reason: str) -> None:
        """Stop the worker now (SIGKILL / TerminateProcess); its exit is reported by ``poll``."""
        if worker.kill_reason is None:
            worker.kill_reason = reason
        try:
            worker.process.kill()
        except (OSError, ValueError, AttributeError):
            pass

    def poll(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` for messages or exits and hand them to the callbacks."""
        waitables: list[Any] = [self._wake_reader]
        for worker in self._workers:
            waitables.append(worker.conn)
            waitables.append(worker.process.sentinel)
        ready = set(wait(waitables, timeout))
        if self._wake_reader in ready:
            with self._wake_lock:
                while self._wake_reader.poll():
                    self._wake_reader.recv_bytes()
                self._wake_pending = False
        for worker in list(self._workers):
            if worker.conn in ready:
                self._drain(worker)
            if worker.process.sentinel in ready or worker.dead:
                self._reap(worker)

    def close(self, timeout: float) -> None:
        """Stop every worker: idle ones are asked, busy ones were killed by the caller."""
        self._target = 0
        for worker in list(self._workers):
            if worker.job_id is None:
                self.retire(worker)
        deadline = time.monotonic() + timeout
        while self._workers and time.monotonic() < deadline:
            self.poll(min(0.1, max(0.0, deadline - time.monotonic())))
        for worker in list(self._workers):
            self.kill(worker, worker.kill_reason or "shutdown")
            worker.process.join(1.0)
            self._reap(worker)
        self._wake_reader.close()
        self._wake_writer.close()

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        self._numbers += 1
        process = self._context.Process(
            target=worker_main,
            args=(child_conn, os.getpid(), self._data_dir),
            name=f"ifc-desktop-worker-{self._numbers}",
            daemon=True,
        )
        process.start()
        child_conn.close()
        if self._job_object is not None and process.pid is not None:
            _assign_to_job(self._job_object, process.pid)
        self._workers.append(
            Worker(process=process, conn=parent_conn, number=self._numbers, idle_since=time.monotonic())
        )

    def _drain(self, worker: Worker) -> None:
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "ready":
                    worker.ready = True
                    self.failed_starts = 0
                    continue
                if message[0] == "started":
                    worker.started = True
                self._on_message(worker, message)
        except (EOFError, OSError):
            worker.dead = True  # it exited (or is exiting); the sentinel confirms below

    def _reap(self, worker: Worker) -> None:
        if worker not in self._workers:
            return
        self._drain(worker)  # a result sent just before exiting still counts
        worker.process.join(5.0)
        if worker.process.exitcode is None:
            self.kill(worker, worker.kill_reason or "unresponsive")
            worker.process.join(5.0)
        self._workers.remove(worker)
        worker.conn.close()
        if not worker.ready and worker.kill_reason is None:
            log.error("a worker process exited before it was ready (exit code %s)", worker.process.exitcode)
            self.failed_starts += 1
            delay = min(MAX_RESPAWN_DELAY, RESPAWN_DELAY * 2 ** (self.failed_starts - 1))
            self._spawn_not_before = time.monotonic() + delay
        self._on_exit(worker, worker.process.exitcode)
        worker.process.close()


def describe_exit(exitcode: int | None) -> str:
    """A sentence about how a worker died, for the job's error message."""
    if exitcode is None:
        return "The import process stopped responding."
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGSEGV":
            return "The import process crashed (segmentation fault) while reading this file."
        if name == "SIGKILL":
            return "The import process was killed: by the system when memory runs out, or by another program or person."
        if name == "SIGABRT":
            return "The import process aborted while reading this file."
        return f"The import process was stopped by {name}."
    windows_codes = {
        0xC0000005: "crashed (access violation)",
        0xC00000FD: "crashed (stack overflow)",
        0xC0000017: "ran out of memory",
        0xC0000409: "crashed (stack buffer overrun)",
    }
    if exitcode in windows_codes:
        return f"The import process {windows_codes[exitcode]} while reading this file."
    return f"The import process exited unexpectedly (exit code {exitcode})."


# -- Windows: workers die with the app ------------------------------------------------------------


def _kill_on_close_job() -> Any:
    """A job object whose processes are killed when the app's last handle to it closes."""
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

        class IoCounters(ctypes.Structure):
            _fields_ = [(n, ctypes.c_ulonglong) for n in ("r_ops", "w_ops", "o_ops", "r_b", "w_b", "o_b")]

        class BasicLimits(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", BasicLimits),
                ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            return None
        limits = ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        extended_limit_information = 9
        if not kernel32.SetInformationJobObject(
            wintypes.HANDLE(job), extended_limit_information, ctypes.byref(limits), ctypes.sizeof(limits)
        ):
            kernel32.CloseHandle(wintypes.HANDLE(job))
            return None
        return job
    except (OSError, AttributeError):
        return None


def _assign_to_job(job: Any, pid: int) -> None:
    try:
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        process_set_quota, process_terminate = 0x0100, 0x0001
        handle = kernel32.OpenProcess(process_set_quota | process_terminate, False, pid)
        if handle:
            kernel32.AssignProcessToJobObject(wintypes.HANDLE(job), wintypes.HANDLE(handle))
            kernel32.CloseHandle(wintypes.HANDLE(handle))
    except (OSError, AttributeError):
        pass
