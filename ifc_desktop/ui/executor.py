"""Run blocking work on one background thread and get the result back on the GUI thread.

Every database query and every job-engine command goes through a
``SerialExecutor``, so the GUI thread never waits on SQLite (a worker saving a
50k-element version holds the write lock for a while). One thread per executor
keeps the calls in order and lets a non-thread-safe object (the store) live on
that thread only.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from ..core.errors import describe_exception

log = logging.getLogger(__name__)

T = TypeVar("T")
Context = Any


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def long_lived_results() -> Iterator[None]:
    """Bulk work whose results stay in memory (a comparison, change counts).

    The cyclic garbage collector is paused while it runs, and what exists at the
    end is moved out of future collections (``gc.freeze``). Otherwise the first
    collection after a few million new objects walks them all: half a second
    holding the GIL, in whichever thread triggers it, the GUI thread included.
    Frozen objects are still freed by reference counting when dropped; only
    reference cycles among them are never collected, and these results hold
    none. Safe to nest and to use from several threads at once.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.freeze()
                if _gc_was_enabled:
                    gc.enable()


class Task(Generic[T]):
    """One submitted call; ``cancel()`` drops its callbacks (the call itself still runs if it started)."""

    def __init__(
        self,
        fn: Callable[[Context], T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ):
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.label = label
        self.cancelled = False
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def cancel(self) -> None:
        self.cancelled = True


class SerialExecutor(QObject):
    """A single worker thread with an optional context object created on that thread.

    ``context_factory`` runs on the thread before the first task (e.g. opening
    the store); its return value is passed to every task, and ``context_closer``
    runs on the thread at shutdown.
    """

    _finished = Signal(object)
    error = Signal(str, str)  # label, message: a task without its own error handler failed

    def __init__(
        self,
        name: str,
        context_factory: Callable[[], Context] | None = None,
        context_closer: Callable[[Context], None] | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._name = name
        self._factory = context_factory
        self._closer = context_closer
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._finished.connect(self._deliver)

    def submit(
        self,
        fn: Callable[[Context], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        label: str = "",
    ) -> Task[T]:
        task: Task[T] = Task(fn, on_done, on_error, label or getattr(fn, "__name__", "task"))
        if self._closed:
            task.cancel()
            task.done.set()
            return task
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put(task)
        return task

    @property
    def started(self) -> bool:
        """Whether a task was ever submitted, i.e. the thread and its context exist."""
        return self._thread is not None

    def pending(self) -> int:
        return self._queue.qsize()

    def shutdown(self, timeout: float | None = 30.0) -> bool:
        """Run what is queued, close the context and stop the thread; True when it stopped in time.

        Callbacks of tasks that finish after this call are not delivered.
        """
        self._closed = True
        if self._thread is None:
            return True
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        context: Context = None
        context_error: BaseException | None = None
        if self._factory is not None:
            try:
                context = self._factory()
            except BaseException as exc:  # reported to every task below
                log.exception("%s: could not start", self._name)
                context_error = exc
        while True:
            task = self._queue.get()
            if task is None:
                break
            if context_error is not None:
                task.error = context_error
            else:
                try:
                    task.result = task.fn(context)
                except BaseException as exc:
                    log.error("%s: %s failed\n%s", self._name, task.label, describe_exception(exc))
                    task.error = exc
            task.done.set()
            self._finished.emit(task)
        if context is not None and self._closer is not None:
            try:
                self._closer(context)
            except Exception:
                log.exception("%s: closing failed", self._name)

    @Slot(object)
    def _deliver(self, task: Task) -> None:
        if task.cancelled or self._closed:
            return
        if task.error is not None:
            if task.on_error is not None:
                task.on_error(task.error)
            else:
                self.error.emit(task.label, str(task.error) or type(task.error).__name__)
        elif task.on_done is not None:
            task.on_done(task.result)
