"""The jobs table: rows in and out as JobInfo, in SQLAlchemy Core.

Every function takes a Connection already inside a transaction; the writer
thread owns the write transactions, readers use short read transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from ifc_desktop.jobs.info import COLUMNS, JobInfo, JobState
from ifc_desktop.store.models import Job, Model, Version

JOBS = Job.__table__
VERSIONS = Version.__table__
MODELS = Model.__table__


def row_to_info(row: Mapping[str, Any]) -> JobInfo:
    values = {name: row[name] for name in COLUMNS}
    values["state"] = JobState(str(values["state"]))
    values["stage_durations"] = dict(values["stage_durations"] or {})
    values["warnings"] = list(values["warnings"] or ())
    for flag in ("error_permanent", "new_model", "cancel_requested", "reused"):
        values[flag] = bool(values[flag])
    values["size"] = int(values["size"] or 0)
    values["stage_name"] = values["stage_name"] or ""
    return JobInfo(**values)


def info_to_row(job: JobInfo) -> dict[str, Any]:
    return {name: getattr(job, name) for name in COLUMNS}


def load_all(conn: Connection) -> list[JobInfo]:
    rows = conn.execute(select(JOBS).order_by(JOBS.c.id)).mappings()
    return [row_to_info(row) for row in rows]


def load_for_poll(conn: Connection, watched: Iterable[int], *, since: datetime, above_id: int) -> list[JobInfo]:
    """Rows another process may have changed: the watched ones, recently updated ones, new ones."""
    condition = or_(JOBS.c.updated_at >= since, JOBS.c.id > above_id)
    ids = list(watched)
    if ids:
        condition = or_(condition, JOBS.c.id.in_(ids))
    rows = conn.execute(select(JOBS).where(condition).order_by(JOBS.c.id)).mappings()
    return [row_to_info(row) for row in rows]


def load_one(conn: Connection, job_id: int) -> JobInfo | None:
    row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
    return None if row is None else row_to_info(row)


def max_id(conn: Connection) -> int:
    """The largest job id ever used here: a version keeps its job's id after the job is cleared,
    and a new job with that id would be taken for the job that made it."""
    jobs = conn.execute(select(func.max(JOBS.c.id))).scalar() or 0
    versions = conn.execute(select(func.max(VERSIONS.c.job_id))).scalar() or 0
    return int(max(jobs, versions))


def insert_jobs(conn: Connection, jobs: Iterable[JobInfo]) -> None:
    rows = [info_to_row(job) for job in jobs]
    if rows:
        conn.execute(insert(JOBS), rows)


def update_job(conn: Connection, job_id: int, fields: Mapping[str, Any]) -> None:
    if fields:
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(**fields))


def update_where_state(conn: Connection, job_id: int, states: Iterable[JobState], fields: Mapping[str, Any]) -> bool:
    """Update only while the job is in one of ``states``; True when it was."""
    result = conn.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.state.in_(list(states))).values(**fields))
    return result.rowcount == 1


def delete_jobs(conn: Connection, job_ids: Iterable[int]) -> None:
    ids = list(job_ids)
    if ids:
        conn.execute(delete(JOBS).where(JOBS.c.id.in_(ids)))


def version_of_job(conn: Connection, job_id: int) -> tuple[int, int] | None:
    """(version id, model id) of the version a job committed, if any."""
    row = conn.execute(select(VERSIONS.c.id, VERSIONS.c.model_id).where(VERSIONS.c.job_id == job_id)).first()
    return None if row is None else (int(row[0]), int(row[1]))


def version_sha256(conn: Connection, version_id: int) -> str | None:
    return conn.execute(select(VERSIONS.c.source_sha256).where(VERSIONS.c.id == version_id)).scalar()


def version_summary(conn: Connection, version_id: int) -> dict[str, Any] | None:
    """What a listener in another process needs to rebuild an outcome."""
    current = VERSIONS.alias("current")
    current_number = select(current.c.number).where(current.c.id == MODELS.c.current_version_id).scalar_subquery()
    row = (
        conn.execute(
            select(
                VERSIONS.c.id,
                VERSIONS.c.number,
                VERSIONS.c.model_id,
                VERSIONS.c.element_count,
                VERSIONS.c.warnings,
                MODELS.c.name,
                current_number.label("current_number"),
            )
            .join(MODELS, MODELS.c.id == VERSIONS.c.model_id)
            .where(VERSIONS.c.id == version_id)
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def version_labels(conn: Connection, version_ids: Iterable[int]) -> dict[int, str]:
    """``{version id: "model 'Name' version N"}`` for listing jobs."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(VERSIONS.c.id, VERSIONS.c.number, MODELS.c.name)
        .join(MODELS, MODELS.c.id == VERSIONS.c.model_id)
        .where(VERSIONS.c.id.in_(ids))
    )
    return {row.id: f"model '{row.name}' version {row.number}" for row in rows}
