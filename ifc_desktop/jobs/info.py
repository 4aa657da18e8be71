"""What the engine tells the outside world: job snapshots and the listener interface."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ifc_desktop.core.progress import Progress
from ifc_desktop.store.models import JobState

if TYPE_CHECKING:
    from ifc_desktop.jobs.task import ImportOutcome


TERMINAL_STATES = frozenset({JobState.SUCCESS, JobState.FAILURE, JobState.CANCELLED})
RUNNING_STATES = frozenset({JobState.STARTED, JobState.PROGRESS})
WAITING_STATES = frozenset({JobState.PENDING, JobState.RETRY})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobInfo:
    """An immutable snapshot of one job row (times are timezone-aware UTC)."""

    id: int
    path: str
    size: int = 0
    sha256: str | None = None
    state: JobState = JobState.PENDING
    stage_index: int = 0
    stage_count: int = 0
    stage_name: str = ""
    progress: float = 0.0  # fraction of the whole job, 0..1
    attempts: int = 0
    max_attempts: int = 3
    queued_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    next_attempt_at: datetime | None = None
    stage_durations: dict[str, float] = field(default_factory=dict)
    error_message: str | None = None
    error_details: str | None = None
    error_permanent: bool = False
    new_model: bool = False
    time_limit: float | None = None
    cancel_requested: bool = False
    worker_pid: int | None = None
    model_id: int | None = None
    version_id: int | None = None
    version_number: int | None = None  # of version_id, within its model
    updated_at: datetime = field(default_factory=utcnow)
    warnings: list[str] = field(default_factory=list)  # what a finished import warned about
    reused: bool = False  # finished without a new version: the bytes were already one

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def file_name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def elapsed(self) -> float | None:
        """Seconds the current (or last) attempt has run, None before the first start."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else utcnow()
        return max(0.0, (end - self.started_at).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (ISO times), for the CLI and logs."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, enum.Enum):
                value = value.value
            out[f.name] = value
        out["elapsed"] = self.elapsed
        return out


COLUMNS = tuple(f.name for f in fields(JobInfo))


class JobListener:
    """Receives engine events; override what you need.

    Called from one engine thread, in the order things happened; keep each call
    quick (hand the event over to your own thread or event loop).
    """

    def on_job_added(self, job: JobInfo) -> None:
        pass

    def on_state_changed(self, job: JobInfo) -> None:
        pass

    def on_progress(self, job_id: int, progress: Progress) -> None:
        pass

    def on_finished(self, job: JobInfo, outcome: ImportOutcome) -> None:
        pass

    def on_failed(self, job: JobInfo, message: str) -> None:
        pass
