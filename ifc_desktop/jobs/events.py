"""Delivers engine events to listeners, in order, on one thread of its own.

The scheduler never waits for a listener: a slow listener delays only the
events behind it, never the workers or the job table.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from ifc_desktop.jobs.info import JobListener

log = logging.getLogger(__name__)

_STOP = object()


class EventDispatcher:
    def __init__(self) -> None:
        self._listeners: list[JobListener] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ifc-desktop-job-events", daemon=True)

    def add(self, listener: JobListener) -> None:
        with self._lock:
            self._listeners = [*self._listeners, listener]

    def remove(self, listener: JobListener) -> None:
        with self._lock:
            self._listeners = [item for item in self._listeners if item is not listener]

    def start(self) -> None:
        self._thread.start()

    def emit(self, method: str, *args: Any) -> None:
        self._queue.put((method, args))

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every event emitted so far has been delivered."""
        if not self._thread.is_alive():
            return False
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            method, args = item
            for listener in self._listeners:
                try:
                    getattr(listener, method)(*args)
                except Exception:
                    log.exception("job listener %r failed in %s", listener, method)
