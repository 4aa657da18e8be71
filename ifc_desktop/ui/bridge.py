"""Job-engine events as Qt signals on the GUI thread.

The engine calls its listeners from its own thread. State changes are handed
over through a queued signal, in order. Progress events are far more frequent,
so only the latest one per job is kept and flushed ten times a second: a burst
of progress from several workers costs the GUI one repaint per flush.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

FLUSH_INTERVAL_MS = 100


class EngineBridge(QObject):
    job_added = Signal(object)  # JobInfo
    job_changed = Signal(object)  # JobInfo
    job_finished = Signal(object, object)  # JobInfo, ImportOutcome
    job_failed = Signal(object, str)  # JobInfo, message
    progress = Signal(object)  # dict {job_id: Progress}, latest per job since the last flush
    engine_failed = Signal(str)  # the engine could not start
    store_damaged = Signal(str, str)  # path of the damaged history database, reason

    _event = Signal(str, tuple)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending_progress: dict[int, Any] = {}
        # post() kinds -> the signal they are re-emitted as on the GUI thread.
        self._signals = {
            "added": self.job_added,
            "changed": self.job_changed,
            "finished": self.job_finished,
            "failed": self.job_failed,
            "engine_failed": self.engine_failed,
            "store_damaged": self.store_damaged,
        }
        self._event.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush_progress)
        self._timer.start()

    def create_listener(self):
        """A ``JobListener`` feeding this bridge (imports the engine, so call it off the GUI thread)."""
        return _listener_class()(self)

    # -- called on the engine thread --------------------------------------------------

    def post(self, kind: str, *args: Any) -> None:
        self._event.emit(kind, args)

    def post_progress(self, job_id: int, progress: Any) -> None:
        with self._lock:
            self._pending_progress[job_id] = progress

    # -- GUI thread ---------------------------------------------------------------------

    @Slot()
    def flush_progress(self) -> None:
        with self._lock:
            if not self._pending_progress:
                return
            batch, self._pending_progress = self._pending_progress, {}
        self.progress.emit(batch)

    def stop(self) -> None:
        self._timer.stop()

    @Slot(str, tuple)
    def _dispatch(self, kind: str, args: tuple) -> None:
        self._signals[kind].emit(*args)


def _listener_class():
    from ..jobs.engine import JobListener

    class BridgeListener(JobListener):
        """The engine-side half: every method is called on an engine thread and returns at once."""

        def __init__(self, bridge: EngineBridge):
            self._bridge = bridge

        def on_job_added(self, job) -> None:
            self._bridge.post("added", job)

        def on_state_changed(self, job) -> None:
            self._bridge.post("changed", job)

        def on_progress(self, job_id: int, progress) -> None:
            self._bridge.post_progress(job_id, progress)

        def on_finished(self, job, outcome) -> None:
            self._bridge.post("finished", job, outcome)

        def on_failed(self, job, message: str) -> None:
            self._bridge.post("failed", job, message)

    return BridgeListener
