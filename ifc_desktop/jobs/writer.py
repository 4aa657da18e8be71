"""The one thread that writes job rows for the main process.

Callers (the window's thread, the scheduler) hand over writes and return at
once; the writer applies them in order, batching what has piled up into one
``BEGIN IMMEDIATE`` transaction. Progress rows are coalesced and written at
most once per ``progress_interval`` per job. A busy database (a worker
committing a large version) only delays this thread; the writes are retried
until they succeed, so nobody sees "database is locked".
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ifc_desktop.jobs import repository
from ifc_desktop.jobs.info import JobInfo
from ifc_desktop.store.db import read_connection, write_connection

log = logging.getLogger(__name__)

Operation = Callable[[Connection], Any]


@dataclass
class _Flush:
    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()


class JobWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        poll: Callable[[Connection], None] | None = None,
        poll_interval: float = 0.25,
        progress_interval: float = 1.0,
    ):
        self._engine = engine
        self._poll = poll
        self._poll_interval = poll_interval
        self._progress_interval = progress_interval
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending_progress: dict[int, dict[str, Any]] = {}
        self._last_progress_write: dict[int, float] = {}
        self._next_poll = 0.0
        # Every write gets a sequence number; ``_written`` is the last one applied.
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._written = 0
        self._batch_seq = 0
        self._thread = threading.Thread(target=self._run, name="ifc-desktop-job-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    # -- called from any thread ------------------------------------------------------------

    def insert(self, jobs: list[JobInfo]) -> int:
        return self._put(lambda conn: repository.insert_jobs(conn, jobs))

    def update(self, job_id: int, fields: Mapping[str, Any]) -> int:
        return self._put(("update", job_id, dict(fields)))

    def update_progress(self, job_id: int, fields: Mapping[str, Any]) -> int:
        return self._put(("progress", job_id, dict(fields)))

    def call(self, operation: Operation) -> int:
        """Run ``operation(connection)`` in write order (inside a write transaction)."""
        return self._put(operation)

    def settled(self, seq: int, job_id: int) -> bool:
        """Whether write ``seq`` and every progress write of the job are in the table.

        Only meaningful on the writer thread (the table poll runs there).
        """
        return self._written >= seq and job_id not in self._pending_progress

    def _put(self, item: Any) -> int:
        with self._seq_lock:
            self._seq += 1
            self._queue.put((self._seq, item))
            return self._seq

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over so far, progress included, is written."""
        if not self._thread.is_alive():
            return False
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def stop(self, timeout: float | None = None) -> bool:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        running = True
        while running:
            batch, flushes, running = self._collect()
            operations = self._order(batch, final=bool(flushes) or not running)
            if operations:
                self._execute(operations)
            self._written = self._batch_seq
            for marker in flushes:
                marker.done.set()
            self._maybe_poll()

    def _collect(self) -> tuple[list[Any], list[_Flush], bool]:
        """Wait for work (or the next progress/poll deadline), then take all that is queued."""
        items: list[Any] = []
        try:
            items.append(self._queue.get(timeout=self._wait_time()))
        except queue.Empty:
            pass
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        flushes = [item for item in items if isinstance(item, _Flush)]
        running = not any(item is _STOP for item in items)
        batch = [item for item in items if isinstance(item, tuple) and len(item) == 2]
        if batch:
            self._batch_seq = max(seq for seq, _ in batch)
        return [item for _, item in batch], flushes, running

    def _wait_time(self) -> float:
        now = time.monotonic()
        deadline = self._next_poll if self._poll is not None else now + 1.0
        for job_id in self._pending_progress:
            deadline = min(deadline, self._last_progress_write.get(job_id, 0.0) + self._progress_interval)
        return max(0.005, deadline - now)

    def _order(self, batch: list[Any], *, final: bool) -> list[Operation]:
        """Turn queued items into operations, coalescing progress and keeping it ahead of later updates."""
        operations: list[Operation] = []
        for item in batch:
            if isinstance(item, tuple) and item[0] == "progress":
                _, job_id, fields = item
                self._pending_progress.setdefault(job_id, {}).update(fields)
            elif isinstance(item, tuple) and item[0] == "update":
                _, job_id, fields = item
                earlier = self._pending_progress.pop(job_id, None)
                self._last_progress_write.pop(job_id, None)
                if earlier is not None:
                    # The update supersedes the progress fields it also sets.
                    fields = {**earlier, **fields}
                operations.append(_updater(job_id, fields))
            else:
                operations.append(item)
        now = time.monotonic()
        for job_id in list(self._pending_progress):
            if final or now - self._last_progress_write.get(job_id, 0.0) >= self._progress_interval:
                operations.append(_updater(job_id, self._pending_progress.pop(job_id)))
                self._last_progress_write[job_id] = now
        return operations

    def _execute(self, operations: list[Operation]) -> None:
        delay = 0.02
        attempts = 0
        while True:
            attempts += 1
            try:
                with write_connection(self._engine) as conn:
                    for operation in operations:
                        operation(conn)
                return
            except OperationalError as error:
                # Busy beyond the busy timeout, or a transient I/O error: try again.
                log.warning("job table write failed (attempt %d), retrying: %s", attempts, error)
                time.sleep(delay)
                delay = min(1.0, delay * 2)
                if attempts >= 50:
                    log.error("giving up on %d job table writes: %s", len(operations), error)
                    return
            except Exception:
                log.exception("job table write failed; %d writes dropped", len(operations))
                return

    def _maybe_poll(self) -> None:
        if self._poll is None or time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + self._poll_interval
        try:
            with read_connection(self._engine) as conn:
                self._poll(conn)
        except OperationalError as error:
            log.warning("job table poll failed: %s", error)
        except Exception:
            log.exception("job table poll failed")


def _updater(job_id: int, fields: dict[str, Any]) -> Operation:
    return lambda conn: repository.update_job(conn, job_id, fields)
