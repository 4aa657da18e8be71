"""An ImportOutcome rebuilt from the database, for a job finished out of sight.

That happens when another process ran the job (this engine is a standby) or
when a worker committed its version just before it was stopped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ifc_desktop.jobs import repository


def outcome_from_version(
    conn: Connection, version_id: int, stage_durations: dict[str, float], *, created: bool = True
) -> Any:
    """``created`` is False when the job found its content already stored (the job row's ``reused``)."""
    from ifc_desktop.jobs.task import ImportOutcome

    summary = repository.version_summary(conn, version_id)
    if summary is None:
        return None
    return ImportOutcome(
        model_id=summary["model_id"],
        model_name=summary["name"],
        version_id=summary["id"],
        version_number=summary["number"],
        created=created,
        element_count=summary["element_count"] or 0,
        current_version_number=summary["current_number"],
        warnings=list(summary["warnings"] or []),
        stage_durations=dict(stage_durations or {}),
    )
