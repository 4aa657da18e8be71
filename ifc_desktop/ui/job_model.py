"""The job list as a Qt table model, fed by engine snapshots and coalesced progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont

from ..core.wording import count_of
from . import theme
from .formatting import format_duration

COLUMNS = ("File", "Model", "State", "Stage", "Progress", "Attempt", "Elapsed")
COL_FILE, COL_MODEL, COL_STATE, COL_STAGE, COL_PROGRESS, COL_ATTEMPT, COL_ELAPSED = range(len(COLUMNS))

JobRole = Qt.ItemDataRole.UserRole + 1  # the JobInfo snapshot
StateRole = Qt.ItemDataRole.UserRole + 2  # raw state name, e.g. "FAILURE"
ProgressRole = Qt.ItemDataRole.UserRole + 3  # float 0..1 of the whole job

STATE_LABELS = {
    "PENDING": "Queued",
    "STARTED": "Starting",
    "PROGRESS": "Running",
    "SUCCESS": "Done",
    "FAILURE": "Failed",
    "RETRY": "Waiting to retry",
    "CANCELLED": "Cancelled",
}
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCELLED"})
RUNNING = frozenset({"STARTED", "PROGRESS"})


def state_name(job: Any) -> str:
    state = job.state
    return str(getattr(state, "value", state))


def short_reason(message: str, file_name: str) -> str:
    """A failure message for the row of its file: without the file name it starts with,
    which the File column already shows, so the reason itself fits."""
    first = message.splitlines()[0]
    for prefix in (f"{file_name!r} ", f"The file {file_name!r} "):
        if first.startswith(prefix) and len(first) > len(prefix):
            rest = first[len(prefix) :]
            return rest[0].upper() + rest[1:]
    return first


def success_text(job: Any, current_number: int | None = None) -> str:
    """What a finished import made: a version (with how many warnings), or nothing new; for a
    file already stored as a version that is not its model's current one, which one is."""
    if job.reused:
        number = getattr(job, "version_number", None)
        if not number:
            return "Already stored: no new version"
        if current_number is not None and current_number != number:
            return f"Already stored as version {number} (v{current_number} is current)"
        return f"Already stored as version {number}"
    count = len(job.warnings)
    return f"Imported, {count_of(count, 'warning')}" if count else "Imported"


@dataclass(frozen=True)
class JobSummary:
    total: int
    running: int
    waiting: int
    succeeded: int
    failed: int
    cancelled: int
    overall: float  # 0..1 over the listed jobs

    @property
    def active(self) -> bool:
        return self.running + self.waiting > 0


class JobTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs: list[Any] = []
        self._row_of: dict[int, int] = {}
        self._live: dict[int, Any] = {}  # job id -> latest Progress while running
        self._model_names: dict[int, str] = {}
        self._current_numbers: dict[int, int | None] = {}  # model id -> its current version's number
        # Jobs the user queued again, and those of them that failed once more: without a word
        # the row would end as it was, as if the retry had been ignored.
        self._retried: set[int] = set()
        self._failed_again: set[int] = set()
        self._bold = QFont()
        self._bold.setBold(True)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick_elapsed)
        self._ticker.start()

    # -- Qt model ---------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            if section in (COL_ATTEMPT, COL_ELAPSED):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._jobs):
            return None
        job = self._jobs[index.row()]
        col = index.column()
        state = state_name(job)
        if role == JobRole:
            return job
        if role == StateRole:
            return state
        if role == ProgressRole:
            return self._progress(job)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, state, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_FILE:
                return job.path
            if state == "FAILURE" and job.error_message:
                return job.error_message
            if state == "SUCCESS" and job.warnings and col in (COL_STATE, COL_STAGE):
                return "\n".join(job.warnings)
            if col == COL_STATE:
                return state
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if state == "FAILURE" and col in (COL_STATE, COL_STAGE):
                return QBrush(QColor(theme.FAILURE))
            if state == "SUCCESS" and col == COL_STAGE and job.warnings:
                return QBrush(QColor(theme.WARNING))
            if state == "SUCCESS" and col == COL_STATE:
                return QBrush(QColor(theme.SUCCESS))
            if state == "CANCELLED" or (col in (COL_ATTEMPT, COL_ELAPSED) and state != "FAILURE"):
                return QBrush(QColor(theme.MUTED))
            return None
        if role == Qt.ItemDataRole.BackgroundRole and state == "FAILURE":
            return QBrush(QColor(theme.FAILURE_BG))
        if role == Qt.ItemDataRole.FontRole and col == COL_STATE and state in ("FAILURE", "PROGRESS", "STARTED"):
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_ATTEMPT, COL_ELAPSED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, job: Any, state: str, col: int) -> Any:
        if col == COL_FILE:
            return job.file_name
        if col == COL_MODEL:
            return self._model_names.get(job.model_id, "") if job.model_id is not None else ""
        if col == COL_STATE:
            if state == "FAILURE" and job.id in self._failed_again:
                return "Failed again"
            return STATE_LABELS.get(state, state.title())
        if col == COL_STAGE:
            if state == "FAILURE":
                return short_reason(job.error_message or "Failed", job.file_name)
            if state == "CANCELLED":
                return ""
            if state == "SUCCESS":
                return success_text(job, self._current_numbers.get(job.model_id))
            if state == "PENDING":
                return "Waiting for a worker"
            live = self._live.get(job.id)
            name = live.stage_name if live is not None else job.stage_name
            index = live.stage_index if live is not None else job.stage_index
            count = live.stage_count if live is not None else job.stage_count
            if name and count:
                return f"{name} ({index + 1}/{count})"
            return name or ""
        if col == COL_PROGRESS:
            return f"{self._progress(job) * 100:.0f} %"
        if col == COL_ATTEMPT:
            if not job.attempts:
                return ""
            return f"{job.attempts} of {job.max_attempts}"
        if col == COL_ELAPSED:
            elapsed = job.elapsed
            return format_duration(elapsed) if elapsed is not None else ""
        return None

    def _progress(self, job: Any) -> float:
        state = state_name(job)
        if state == "SUCCESS":
            return 1.0
        live = self._live.get(job.id)
        if live is not None and state not in TERMINAL:
            return float(live.overall)
        return float(job.progress or 0.0)

    # -- updates ------------------------------------------------------------------------

    def set_jobs(self, jobs: list[Any]) -> None:
        self.beginResetModel()
        self._jobs = list(jobs)
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}
        self._live.clear()
        self.endResetModel()

    def mark_retried(self, job_ids: list[int]) -> None:
        """The user queued these jobs again (see ``failed_again``)."""
        self._retried.update(job_ids)

    def failed_again(self, job_id: int) -> bool:
        """Whether the job failed once more after the user queued it again."""
        return job_id in self._failed_again

    def upsert(self, job: Any) -> None:
        row = self._row_of.get(job.id)
        state = state_name(job)
        if state in TERMINAL or state == "PENDING":
            self._live.pop(job.id, None)
        if state in TERMINAL:
            if state == "FAILURE" and job.id in self._retried:
                self._failed_again.add(job.id)
            elif state != "FAILURE":
                self._failed_again.discard(job.id)
            self._retried.discard(job.id)
        if row is None:
            row = len(self._jobs)
            self.beginInsertRows(QModelIndex(), row, row)
            self._jobs.append(job)
            self._row_of[job.id] = row
            self.endInsertRows()
            return
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def apply_progress(self, batch: dict[int, Any]) -> None:
        rows = []
        for job_id, progress in batch.items():
            row = self._row_of.get(job_id)
            if row is None or state_name(self._jobs[row]) in TERMINAL:
                continue
            self._live[job_id] = progress
            rows.append(row)
        if rows:
            self.dataChanged.emit(self.index(min(rows), COL_STAGE), self.index(max(rows), COL_PROGRESS))

    def remove_ids(self, job_ids: set[int]) -> None:
        if not job_ids:
            return
        self.beginResetModel()
        self._jobs = [job for job in self._jobs if job.id not in job_ids]
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}
        for job_id in job_ids:
            self._live.pop(job_id, None)
        self.endResetModel()

    def set_models(self, models: list[Any]) -> None:
        """The models' names (the Model column) and current versions (what a reused file's row says)."""
        self._model_names = {m.id: m.name for m in models}
        self._current_numbers = {m.id: m.current_version_number for m in models}
        if self._jobs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._jobs) - 1, self.columnCount() - 1))

    # -- queries ------------------------------------------------------------------------

    def job_at(self, row: int) -> Any:
        return self._jobs[row]

    def row_of(self, job_id: int) -> int | None:
        return self._row_of.get(job_id)

    def jobs(self) -> list[Any]:
        return list(self._jobs)

    def summary(self) -> JobSummary:
        counts = {"running": 0, "waiting": 0, "SUCCESS": 0, "FAILURE": 0, "CANCELLED": 0}
        total_progress = 0.0
        for job in self._jobs:
            state = state_name(job)
            if state in RUNNING:
                counts["running"] += 1
            elif state in TERMINAL:
                counts[state] += 1
            else:
                counts["waiting"] += 1
            total_progress += 1.0 if state in TERMINAL else self._progress(job)
        total = len(self._jobs)
        return JobSummary(
            total=total,
            running=counts["running"],
            waiting=counts["waiting"],
            succeeded=counts["SUCCESS"],
            failed=counts["FAILURE"],
            cancelled=counts["CANCELLED"],
            overall=total_progress / total if total else 0.0,
        )

    def _tick_elapsed(self) -> None:
        rows = [row for row, job in enumerate(self._jobs) if state_name(job) in RUNNING]
        if rows:
            self.dataChanged.emit(self.index(min(rows), COL_ELAPSED), self.index(max(rows), COL_ELAPSED))
