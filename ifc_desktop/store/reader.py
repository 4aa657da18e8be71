"""Reading models, versions and history events into plain records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from ifc_desktop.store.models import HistoryEvent, Model, Version
from ifc_desktop.store.records import EventInfo, ModelInfo, VersionInfo
from ifc_desktop.store.rows import units_from_json


def _versions_query() -> Select:
    return select(Version.__table__, Model.name.label("model_name"), Model.current_version_id).join(
        Model, Model.id == Version.model_id
    )


def version_info(conn: Connection, version_id: int) -> VersionInfo:
    row = conn.execute(_versions_query().where(Version.id == version_id)).first()
    if row is None:
        raise LookupError(f"There is no version with id {version_id}.")
    return _version_record(row._mapping)


def versions_of_model(conn: Connection, model_id: int) -> list[VersionInfo]:
    rows = conn.execute(_versions_query().where(Version.model_id == model_id).order_by(Version.number))
    return [_version_record(row._mapping) for row in rows]


def _version_record(m: Any) -> VersionInfo:
    return VersionInfo(
        id=m["id"],
        model_id=m["model_id"],
        model_name=m["model_name"],
        number=m["number"],
        created_at=m["created_at"],
        is_current=m["current_version_id"] == m["id"],
        job_id=m["job_id"],
        source_name=m["source_name"],
        source_path=m["source_path"],
        source_sha256=m["source_sha256"],
        source_size=m["source_size"],
        blob_key=m["blob_key"],
        schema_declared=m["schema_declared"],
        schema_read=m["schema_read"],
        application=m["application"],
        application_source=m["application_source"],
        header_timestamp=m["header_timestamp"],
        header_file_name=m["header_file_name"],
        header_description=m["header_description"],
        header_author=m["header_author"],
        header_organization=m["header_organization"],
        project_name=m["project_name"],
        project_global_id=m["project_global_id"],
        length_unit=m["length_unit"],
        length_scale=m["length_scale"],
        units=units_from_json(m["units"]),
        element_count=m["element_count"],
        warnings=tuple(m["warnings"] or ()),
    )


def version_id_by_number(conn: Connection, model_id: int, number: int | None) -> int | None:
    """Id of version ``number`` of the model, or of its current version when ``number`` is None."""
    if number is None:
        return conn.scalar(select(Model.current_version_id).where(Model.id == model_id))
    return conn.scalar(select(Version.id).where(Version.model_id == model_id, Version.number == number))


def missing_version_message(conn: Connection, model_id: int, number: int | None) -> str:
    name = conn.scalar(select(Model.name).where(Model.id == model_id))
    if name is None:
        return f"There is no model with id {model_id}."
    if number is None:
        return f"Model {name!r} has no current version."
    numbers = sorted(conn.scalars(select(Version.number).where(Version.model_id == model_id)))
    listed = ", ".join(str(n) for n in numbers) or "none"
    return f"Model {name!r} has no version {number} (versions: {listed})."


def models(conn: Connection, model_id: int | None = None) -> list[ModelInfo]:
    """All models (or one), ordered by name whatever its case, with their current version's summary."""
    current = Version.__table__.alias("current")
    stats = (
        select(
            Version.model_id,
            func.count(Version.id).label("version_count"),
            func.max(Version.created_at).label("updated_at"),
        )
        .group_by(Version.model_id)
        .subquery()
    )
    query = (
        select(
            Model.id,
            Model.name,
            Model.project_global_id,
            Model.created_at,
            Model.current_version_id,
            current.c.number,
            current.c.schema_read,
            current.c.element_count,
            stats.c.version_count,
            stats.c.updated_at,
        )
        .outerjoin(current, current.c.id == Model.current_version_id)
        .outerjoin(stats, stats.c.model_id == Model.id)
        .order_by(Model.id)
    )
    if model_id is not None:
        query = query.where(Model.id == model_id)
    found = [
        ModelInfo(
            id=r.id,
            name=r.name,
            project_global_id=r.project_global_id,
            created_at=r.created_at,
            version_count=r.version_count or 0,
            current_version_id=r.current_version_id,
            current_version_number=r.number,
            schema=r.schema_read,
            element_count=r.element_count,
            updated_at=_utc(r.updated_at),
        )
        for r in conn.execute(query)
    ]
    return sorted(found, key=lambda model: model.name.casefold())  # stable: equal names by id


def _utc(value: Any) -> datetime | None:
    # max() over a column loses its type: SQLite hands back the stored naive UTC text.
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def history_events(conn: Connection, model_id: int) -> list[EventInfo]:
    rows = conn.execute(
        select(HistoryEvent, Version.number)
        .outerjoin(Version, Version.id == HistoryEvent.version_id)
        .where(HistoryEvent.model_id == model_id)
        .order_by(HistoryEvent.id)
    )
    return [
        EventInfo(
            id=r.id,
            model_id=r.model_id,
            version_id=r.version_id,
            version_number=r.number,
            kind=r.kind,
            created_at=r.created_at,
            detail=r.detail or {},
        )
        for r in rows
    ]


def version_counts(conn: Connection, version_id: int, column: Any) -> dict[str, int]:
    row = conn.execute(select(column).where(Version.id == version_id)).first()
    if row is None:
        raise LookupError(f"There is no version with id {version_id}.")
    return dict(row[0])
