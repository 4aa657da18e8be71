"""Saving in queue order: the versions of one model are numbered as their files were queued.

Workers extract in parallel and finish in any order, but each save makes a new
current version. Left alone, a small file queued after a large export of the
same model would become version 1, and the older export version 2 and current.
So a worker asks for its turn before saving, and gets it once no job queued
before it that may belong to the same model is still running.

Which model a job belongs to is known once its worker has found the IfcProject
GlobalId (``store.writer.matching_model``): while checking the file, when its text
names one project (``core.identity``), else when the parser reads it. So a job
waits only for earlier jobs whose project is not known yet or is the same; a file
without a project joins a model by its file name, so it waits for (and holds up)
every earlier job.

A job between two attempts (its worker stopped) keeps its place: later jobs of
its model wait for its next attempt, and it keeps the project it had read. So
that every wait ends, the engine lets the queue give way when that attempt
cannot start: when no worker can take it (every one holds a job that waits, and
no other may start beside them: see ``WorkerPool.ensure_size``), or when the
memory the waiting jobs hold leaves too little for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A job running, or between two attempts (it holds later jobs up, but never asks to save)."""

    job_id: int
    queue_key: tuple[object, ...]  # sorts as the queue does
    new_model: bool  # forced into a model of its own: no order to keep


class SaveOrder:
    """Bookkeeping for the scheduler thread: who has said which project it holds, who waits to save."""

    def __init__(self) -> None:
        self._projects: dict[int, str | None] = {}  # job id -> IfcProject GlobalId (None: the file has none)
        self._waiting: set[int] = set()

    def identify(self, job_id: int, project_global_id: str | None) -> None:
        self._projects[job_id] = project_global_id or None

    def request(self, job_id: int) -> None:
        self._waiting.add(job_id)

    def forget(self, job_id: int, *, retried: bool = False) -> None:
        """The job's attempt is over (saved, failed, killed): it no longer waits. Unless it will be
        ``retried``, it holds nobody up any more either; if it will, it keeps the project it read."""
        if not retried:
            self._projects.pop(job_id, None)
        self._waiting.discard(job_id)

    def any_waiting(self) -> bool:
        return bool(self._waiting)

    def waiting(self, job_ids: list[int]) -> bool:
        """Whether every one of these jobs waits for its turn."""
        return all(job_id in self._waiting for job_id in job_ids)

    def grant(self, running: list[RunningJob]) -> list[int]:
        """The waiting jobs that may save now; they stop waiting."""
        granted = []
        for job in sorted(running, key=lambda j: j.queue_key):
            if job.job_id not in self._waiting:
                continue
            if job.new_model or not any(
                self._may_share_model(earlier, job) for earlier in running if earlier.queue_key < job.queue_key
            ):
                granted.append(job.job_id)
        self._waiting.difference_update(granted)
        return granted

    def _may_share_model(self, earlier: RunningJob, job: RunningJob) -> bool:
        if earlier.new_model:
            return False
        if earlier.job_id not in self._projects:
            return True  # it has not read its project yet
        earlier_project, project = self._projects[earlier.job_id], self._projects.get(job.job_id)
        if earlier_project is None or project is None:
            return True  # a file without a project joins a model by file name, which may be any model
        return earlier_project == project
