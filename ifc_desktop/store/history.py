"""The model history: the one API the rest of the app uses to read and write the store.

Every version is written in one ``BEGIN IMMEDIATE`` transaction (all or nothing).
History is append-only: a revert only moves the model's current version and
records the event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, exc, func, insert, select, update
from sqlalchemy.orm import Session

from ifc_desktop.core import snapshot as snap
from ifc_desktop.store import db
from ifc_desktop.store.blobs import BlobError, BlobStore
from ifc_desktop.store.models import HistoryEvent, Model, SourceFile, Version
from ifc_desktop.store.records import ElementRow, EventInfo, ModelInfo, VersionInfo
from ifc_desktop.store.rows import (
    ELEMENT_READ_COLUMNS,
    INSERT_ELEMENT_SQL,
    INSERT_PSET_SQL,
    element_from_row,
    prepare_rows,
    refs_json,
    units_from_json,
    units_json,
)

# Classes shown in the spatial tree (IfcSpatialElement and its subtypes across schemas);
# any element that contains others is shown too.
SPATIAL_CLASSES = frozenset(
    {
        "IfcSite",
        "IfcBuilding",
        "IfcBuildingStorey",
        "IfcSpace",
        "IfcExternalSpatialElement",
        "IfcSpatialZone",
        "IfcSpatialElement",
        "IfcSpatialStructureElement",
        "IfcFacility",
        "IfcFacilityPart",
        "IfcFacilityPartCommon",
        "IfcBridge",
        "IfcBridgePart",
        "IfcBuildingSystem",
        "IfcRoad",
        "IfcRoadPart",
        "IfcRailway",
        "IfcRailwayPart",
        "IfcMarineFacility",
        "IfcMarinePart",
    }
)

ELEMENT_ROW_COLUMNS = (
    "id",
    "version_id",
    "global_id",
    "ifc_class",
    "predefined_type",
    "name",
    "description",
    "object_type",
    "tag",
    "long_name",
    "type_global_id",
    "type_class",
    "type_name",
    "parent_global_id",
    "container_global_id",
    "storey_global_id",
    "content_hash",
)
_ELEMENT_ROW_SELECT = ", ".join(f"e.{c}" for c in ELEMENT_ROW_COLUMNS)
_ELEMENT_READ_SELECT = ", ".join(ELEMENT_READ_COLUMNS)

WRITE_CHUNK = 5000  # element rows per executemany call, between progress reports
LOOKUP_CHUNK = 500  # bound parameters per IN (...) lookup

ProgressFn = Callable[[float], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Store:
    """The history database and the stored source files in one data folder."""

    def __init__(self, data_dir: Path, engine: Engine):
        self.data_dir = Path(data_dir)
        self.db_path = db.database_path(self.data_dir)
        self.engine = engine
        self.blobs = BlobStore(self.data_dir)

    # -- opening and connections -------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, *, migrate: bool = True, busy_timeout: float = 60.0) -> Store:
        """Open (and create, and migrate) the store in ``data_dir``.

        Raises ``StoreCorrupt`` naming the file when it is not a usable SQLite database;
        nothing is moved or deleted unless ``quarantine`` is called.
        """
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path = db.database_path(data_dir)
        db.check_header(db_path)
        engine = db.create_store_engine(db_path, busy_timeout=busy_timeout)
        try:
            db.check_opens(engine, db_path)
            if migrate:
                db.migrate(engine, db_path)
        except exc.DBAPIError as error:
            engine.dispose()
            if db.is_corruption_error(error):
                raise db.StoreCorrupt(db_path, str(getattr(error, "orig", error))) from error
            raise
        except BaseException:
            engine.dispose()
            raise
        store = cls(data_dir, engine)
        if migrate:
            store.blobs.remove_stale_temp_files()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction (one consistent view)."""
        with db.read_connection(self.engine) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a ``BEGIN IMMEDIATE`` transaction, committed when the block succeeds."""
        with db.write_connection(self.engine) as conn:
            yield conn

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """An ORM session inside a read or write transaction (committed with the block)."""
        with self.write() if write else self.read() as conn, Session(bind=conn) as session:
            yield session
            session.flush()

    def check_integrity(self) -> None:
        """Full page check of the database (slow on a big history); raises StoreCorrupt."""
        db.quick_check(self.engine, self.db_path)

    # -- writing -----------------------------------------------------------------

    def store_source(self, path: Path, sha256: str) -> str:
        """Store the source file's bytes (compressed); returns the blob key. No database access."""
        return self.blobs.put_file(Path(path), sha256).key

    def save_version(
        self,
        snapshot: snap.Snapshot,
        *,
        source_path: Path,
        sha256: str,
        size: int,
        job_id: int | None = None,
        new_model: bool = False,
        progress: ProgressFn | None = None,
    ) -> VersionInfo:
        """Write ``snapshot`` as the new current version of its model, all or nothing.

        Returns the existing version (``created=False``) when this job already saved
        one, or when the model already has a version with these bytes.
        """
        source_path = Path(source_path)
        source_name = snapshot.source_name or source_path.name
        with self.read() as conn:
            existing = self._existing_version(conn, snapshot, source_name, sha256, job_id, new_model)
        if existing is not None:
            return existing

        blob = self.blobs.put_file(source_path, sha256)
        if blob.size != size:
            raise BlobError(f"{source_path} is {blob.size} bytes, not the {size} bytes expected.")
        rows = prepare_rows(snapshot)
        with self.write() as conn:
            # Checked again under the write lock: another process may have saved it meanwhile.
            existing = self._existing_version(conn, snapshot, source_name, sha256, job_id, new_model)
            if existing is not None:
                return existing
            version_id = self._write_version(
                conn, snapshot, rows, source_name, source_path, sha256, size, blob.key,
                blob.compressed_size, job_id, new_model, progress,
            )  # fmt: skip
        with self.read() as conn:
            info = self._version_by_id(conn, version_id)
        return replace(info, created=True)

    def _existing_version(
        self,
        conn: Connection,
        snapshot: snap.Snapshot,
        source_name: str,
        sha256: str,
        job_id: int | None,
        new_model: bool,
    ) -> VersionInfo | None:
        if job_id is not None:
            version_id = conn.scalar(select(Version.id).where(Version.job_id == job_id))
            if version_id is not None:
                return self._version_by_id(conn, version_id)
        if new_model:
            return None
        model_id = self._matching_model(conn, snapshot.project.global_id, source_name)
        if model_id is None:
            return None
        version_id = conn.scalar(
            select(Version.id).where(Version.model_id == model_id, Version.source_sha256 == sha256)
        )
        return None if version_id is None else self._version_by_id(conn, version_id)

    @staticmethod
    def _matching_model(conn: Connection, project_global_id: str | None, source_name: str) -> int | None:
        """The model a re-import belongs to: same IfcProject GlobalId, else same file name."""
        if project_global_id:
            condition = Version.project_global_id == project_global_id
        else:
            condition = func.lower(Version.source_name) == source_name.lower()
        return conn.scalar(select(Version.model_id).where(condition).order_by(Version.id.desc()).limit(1))

    def _write_version(
        self,
        conn: Connection,
        snapshot: snap.Snapshot,
        rows: Any,
        source_name: str,
        source_path: Path,
        sha256: str,
        size: int,
        blob_key: str,
        compressed_size: int,
        job_id: int | None,
        new_model: bool,
        progress: ProgressFn | None,
    ) -> int:
        header, project = snapshot.header, snapshot.project
        now = _now()
        model_id = None if new_model else self._matching_model(conn, project.global_id, source_name)
        if model_id is None:
            # The file name is what the user recognises: project names are often numbers or
            # exporter placeholders ("0001", "// PROJECT/NUMBER //").
            name = self._unique_model_name(conn, Path(source_name).stem or project.name or "Model")
            model_id = conn.execute(
                insert(Model).values(name=name, project_global_id=project.global_id, created_at=now)
            ).inserted_primary_key[0]
        number = (conn.scalar(select(func.max(Version.number)).where(Version.model_id == model_id)) or 0) + 1

        conn.execute(
            insert(SourceFile)
            .prefix_with("OR IGNORE")
            .values(sha256=sha256, size=size, compressed_size=compressed_size, blob_path=blob_key, created_at=now)
        )
        version_id = conn.execute(
            insert(Version).values(
                model_id=model_id,
                number=number,
                created_at=now,
                job_id=job_id,
                source_name=source_name,
                source_path=str(source_path),
                source_sha256=sha256,
                source_size=size,
                blob_key=blob_key,
                schema_declared=header.schema_declared,
                schema_read=header.schema_read,
                application=header.application,
                application_source=header.application_source,
                header_timestamp=header.timestamp,
                header_file_name=header.file_name,
                header_description=header.description,
                header_author=header.author,
                header_organization=header.organization,
                project_name=project.name,
                project_global_id=project.global_id,
                length_unit=project.length_unit,
                length_scale=project.length_scale,
                units=units_json(project.units),
                element_count=len(snapshot.elements),
                counts_by_class=rows.counts_by_class,
                counts_by_storey=rows.counts_by_storey,
                warnings=list(snapshot.warnings),
            )
        ).inserted_primary_key[0]

        pset_ids = self._write_property_sets(conn, rows.psets)
        self._write_elements(conn, version_id, rows, pset_ids, progress)

        conn.execute(update(Model).where(Model.id == model_id).values(current_version_id=version_id))
        conn.execute(
            insert(HistoryEvent).values(
                model_id=model_id,
                version_id=version_id,
                kind="import",
                created_at=now,
                detail={
                    "number": number,
                    "source_name": source_name,
                    "sha256": sha256,
                    "job_id": job_id,
                    "element_count": len(snapshot.elements),
                },
            )
        )
        return version_id

    @staticmethod
    def _unique_model_name(conn: Connection, base: str) -> str:
        taken = set(conn.scalars(select(Model.name).where(Model.name.like(f"{base}%"))))
        if base not in taken:
            return base
        number = 2
        while f"{base} ({number})" in taken:
            number += 1
        return f"{base} ({number})"

    @staticmethod
    def _write_property_sets(conn: Connection, psets: list[tuple[bytes, str, str, str]]) -> list[int]:
        """Ids of the given distinct property sets, inserting the ones not stored yet."""
        id_by_hash: dict[bytes, int] = {}
        hashes = [p[0] for p in psets]
        for start in range(0, len(hashes), LOOKUP_CHUNK):
            chunk = hashes[start : start + LOOKUP_CHUNK]
            placeholders = ",".join("?" * len(chunk))
            found = conn.exec_driver_sql(
                f"SELECT hash, id FROM property_sets WHERE hash IN ({placeholders})", tuple(chunk)
            )
            id_by_hash.update(found.all())
        # The write lock is held (BEGIN IMMEDIATE), so ids after the current maximum are free.
        next_id = (conn.exec_driver_sql("SELECT max(id) FROM property_sets").scalar() or 0) + 1
        new_rows = []
        for digest, name, kind, properties_json in psets:
            if digest not in id_by_hash:
                id_by_hash[digest] = next_id
                new_rows.append((next_id, digest, name, kind, properties_json))
                next_id += 1
        if new_rows:
            conn.exec_driver_sql(INSERT_PSET_SQL, new_rows)
        return [id_by_hash[h] for h in hashes]

    @staticmethod
    def _write_elements(
        conn: Connection, version_id: int, rows: Any, pset_ids: list[int], progress: ProgressFn | None
    ) -> None:
        total = len(rows.elements)
        if progress is not None:
            progress(0.0)
        for start in range(0, total, WRITE_CHUNK):
            end = min(start + WRITE_CHUNK, total)
            batch = [(version_id, *rows.elements[i], refs_json(rows.refs[i], pset_ids)) for i in range(start, end)]
            conn.exec_driver_sql(INSERT_ELEMENT_SQL, batch)
            if progress is not None:
                progress(end / total)
        if progress is not None and total == 0:
            progress(1.0)

    def revert(self, model_id: int, number: int) -> VersionInfo:
        """Make version ``number`` current again; records the event, deletes nothing."""
        with self.write() as conn:
            target = conn.scalar(select(Version.id).where(Version.model_id == model_id, Version.number == number))
            if target is None:
                raise LookupError(self._missing_version_message(conn, model_id, number))
            current = conn.scalar(select(Model.current_version_id).where(Model.id == model_id))
            if current != target:
                previous = conn.scalar(select(Version.number).where(Version.id == current))
                conn.execute(update(Model).where(Model.id == model_id).values(current_version_id=target))
                conn.execute(
                    insert(HistoryEvent).values(
                        model_id=model_id,
                        version_id=target,
                        kind="revert",
                        created_at=_now(),
                        detail={"number": number, "from_number": previous},
                    )
                )
            return self._version_by_id(conn, target)

    # -- reading: models and versions ---------------------------------------------

    def find_version_by_sha(self, sha256: str) -> VersionInfo | None:
        """The newest version (of any model) made from exactly these bytes."""
        with self.read() as conn:
            version_id = conn.scalar(
                select(Version.id).where(Version.source_sha256 == sha256).order_by(Version.id.desc()).limit(1)
            )
            return None if version_id is None else self._version_by_id(conn, version_id)

    def list_models(self) -> list[ModelInfo]:
        with self.read() as conn:
            return self._models(conn)

    def get_model(self, model_id: int) -> ModelInfo:
        with self.read() as conn:
            models = self._models(conn, model_id)
        if not models:
            raise LookupError(f"There is no model with id {model_id}.")
        return models[0]

    def resolve_model(self, name_or_id: str | int) -> ModelInfo:
        """A model by id or name (exact name first, then id, then case-insensitive name)."""
        models = self.list_models()
        if isinstance(name_or_id, int):
            matches = [m for m in models if m.id == name_or_id]
        else:
            text = name_or_id.strip()
            matches = [m for m in models if m.name == text]
            if not matches and text.isdigit():
                matches = [m for m in models if m.id == int(text)]
            if not matches:
                matches = [m for m in models if m.name.casefold() == text.casefold()]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{m.name!r} (id {m.id})" for m in models[:20]) or "none yet"
        raise LookupError(f"No model named or numbered {name_or_id!r}. Known models: {known}.")

    def list_versions(self, model_id: int) -> list[VersionInfo]:
        with self.read() as conn:
            ids = conn.scalars(select(Version.id).where(Version.model_id == model_id).order_by(Version.number))
            return [self._version_by_id(conn, version_id) for version_id in ids]

    def get_version(self, model_id: int, number: int | None = None) -> VersionInfo:
        """Version ``number`` of the model, or its current version when ``number`` is None."""
        with self.read() as conn:
            if number is None:
                version_id = conn.scalar(select(Model.current_version_id).where(Model.id == model_id))
            else:
                version_id = conn.scalar(
                    select(Version.id).where(Version.model_id == model_id, Version.number == number)
                )
            if version_id is None:
                raise LookupError(self._missing_version_message(conn, model_id, number))
            return self._version_by_id(conn, version_id)

    def version(self, version_id: int) -> VersionInfo:
        with self.read() as conn:
            return self._version_by_id(conn, version_id)

    def export_source(self, version_id: int, out_path: Path) -> None:
        """Write the version's original file, byte for byte, to ``out_path``."""
        info = self.version(version_id)
        self.blobs.export(info.blob_key, Path(out_path), sha256=info.source_sha256)

    def history_events(self, model_id: int) -> list[EventInfo]:
        """The model's events, oldest first."""
        with self.read() as conn:
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

    def count_by_class(self, version_id: int) -> dict[str, int]:
        with self.read() as conn:
            return self._version_json(conn, version_id, Version.counts_by_class)

    def count_by_storey(self, version_id: int) -> dict[str, int]:
        """Element counts keyed by storey name (made unique), elements on no storey last."""
        with self.read() as conn:
            return self._version_json(conn, version_id, Version.counts_by_storey)

    def _version_json(self, conn: Connection, version_id: int, column: Any) -> dict[str, int]:
        value = conn.execute(select(column).where(Version.id == version_id)).first()
        if value is None:
            raise LookupError(f"There is no version with id {version_id}.")
        return dict(value[0])

    def _models(self, conn: Connection, model_id: int | None = None) -> list[ModelInfo]:
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
            .order_by(Model.name, Model.id)
        )
        if model_id is not None:
            query = query.where(Model.id == model_id)
        models = []
        for r in conn.execute(query):
            updated = r.updated_at
            models.append(
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
                    # func.max loses the column type: the value comes back as naive UTC text.
                    updated_at=datetime.fromisoformat(updated).replace(tzinfo=UTC)
                    if isinstance(updated, str)
                    else updated,
                )
            )
        return models

    def _version_by_id(self, conn: Connection, version_id: int) -> VersionInfo:
        row = conn.execute(
            select(Version.__table__, Model.name.label("model_name"), Model.current_version_id)
            .join(Model, Model.id == Version.model_id)
            .where(Version.id == version_id)
        ).first()
        if row is None:
            raise LookupError(f"There is no version with id {version_id}.")
        m = row._mapping
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

    @staticmethod
    def _missing_version_message(conn: Connection, model_id: int, number: int | None) -> str:
        name = conn.scalar(select(Model.name).where(Model.id == model_id))
        if name is None:
            return f"There is no model with id {model_id}."
        if number is None:
            return f"Model {name!r} has no current version."
        numbers = list(conn.scalars(select(Version.number).where(Version.model_id == model_id)))
        listed = ", ".join(str(n) for n in sorted(numbers)) or "none"
        return f"Model {name!r} has no version {number} (versions: {listed})."

    # -- reading: elements ---------------------------------------------------------

    def spatial_tree(self, version_id: int) -> list[ElementRow]:
        """Spatial elements (site, building, storey, space, facility parts, any container)."""
        classes = sorted(SPATIAL_CLASSES)
        sql = (
            f"SELECT {_ELEMENT_ROW_SELECT} FROM elements e WHERE e.version_id = ? AND ("
            f"e.ifc_class IN ({','.join('?' * len(classes))}) OR e.global_id IN ("
            "SELECT container_global_id FROM elements "
            "WHERE version_id = ? AND container_global_id IS NOT NULL))"
            " ORDER BY e.id"
        )
        with self.read() as conn:
            rows = conn.exec_driver_sql(sql, (version_id, *classes, version_id))
            return [ElementRow(*r) for r in rows]

    def elements(
        self,
        version_id: int,
        *,
        search: str | None = None,
        ifc_class: str | None = None,
        container_global_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ElementRow]:
        """Elements of a version in file order, filtered; ``search`` matches name, GlobalId,
        class, tag, type and the property names and values of the element's sets."""
        where, params, ctes = self._element_filter(version_id, search, ifc_class, container_global_id)
        sql = f"{ctes}SELECT {_ELEMENT_ROW_SELECT} FROM elements e WHERE {where} ORDER BY e.id LIMIT ? OFFSET ?"
        with self.read() as conn:
            rows = conn.exec_driver_sql(sql, (*params, -1 if limit is None else limit, offset))
            return [ElementRow(*r) for r in rows]

    def count_elements(
        self,
        version_id: int,
        *,
        search: str | None = None,
        ifc_class: str | None = None,
        container_global_id: str | None = None,
    ) -> int:
        where, params, ctes = self._element_filter(version_id, search, ifc_class, container_global_id)
        with self.read() as conn:
            return conn.exec_driver_sql(f"{ctes}SELECT count(*) FROM elements e WHERE {where}", params).scalar()

    @staticmethod
    def _element_filter(
        version_id: int, search: str | None, ifc_class: str | None, container_global_id: str | None
    ) -> tuple[str, tuple[Any, ...], str]:
        """WHERE clause over ``elements e``, its parameters, and a WITH prefix (parameters first)."""
        ctes = ""
        cte_params: list[Any] = []
        clauses = ["e.version_id = ?"]
        params: list[Any] = [version_id]
        if search:
            pattern = _like_pattern(search)
            # Property sets used by this version whose name or JSON text matches.
            ctes = (
                "WITH used(pset_id) AS (SELECT DISTINCT json_extract(j.value, '$[0]') "
                "FROM elements u, json_each(u.psets) j WHERE u.version_id = ? AND u.psets IS NOT NULL), "
                "hits(pset_id) AS (SELECT p.id FROM property_sets p JOIN used ON p.id = used.pset_id "
                "WHERE p.properties LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\') "
            )
            cte_params = [version_id, pattern, pattern]
            fields = ("name", "global_id", "ifc_class", "tag", "object_type", "type_name", "long_name")
            likes = " OR ".join(f"e.{f} LIKE ? ESCAPE '\\'" for f in fields)
            clauses.append(
                f"({likes} OR (e.psets IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(e.psets) j "
                "WHERE json_extract(j.value, '$[0]') IN (SELECT pset_id FROM hits))))"
            )
            params += [pattern] * len(fields)
        if ifc_class is not None:
            clauses.append("e.ifc_class = ?")
            params.append(ifc_class)
        if container_global_id is not None:
            clauses.append("e.container_global_id = ?")
            params.append(container_global_id)
        return " AND ".join(clauses), (*cte_params, *params), ctes

    def element_detail(self, element_id: int) -> snap.Element:
        """One element with its property sets (each marked occurrence or type)."""
        with self.read() as conn:
            row = conn.exec_driver_sql(
                f"SELECT {_ELEMENT_READ_SELECT} FROM elements WHERE id = ?", (element_id,)
            ).first()
            if row is None:
                raise LookupError(f"There is no element with id {element_id}.")
            pset_ids = [pset_id for pset_id, _ in json.loads(row[-1])] if row[-1] else []
            return element_from_row(row, self._property_sets(conn, pset_ids))

    def load_elements(self, version_id: int, *, with_psets: bool = True) -> list[snap.Element]:
        """Every element of a version, in file order (for comparing versions).

        Elements with the same property set share one properties dict: treat them as read-only.
        """
        with self.read() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {_ELEMENT_READ_SELECT} FROM elements WHERE version_id = ? ORDER BY id", (version_id,)
            ).all()
            psets = None
            if with_psets:
                pset_ids = conn.exec_driver_sql(
                    "SELECT DISTINCT json_extract(j.value, '$[0]') FROM elements e, json_each(e.psets) j "
                    "WHERE e.version_id = ? AND e.psets IS NOT NULL",
                    (version_id,),
                ).scalars()
                psets = self._property_sets(conn, list(pset_ids))
        return [element_from_row(row, psets) for row in rows]

    @staticmethod
    def _property_sets(conn: Connection, pset_ids: Sequence[int]) -> dict[int, tuple[str, str, dict[str, Any]]]:
        """(name, kind, properties) by id; each set is decoded once per call."""
        found: dict[int, tuple[str, str, dict[str, Any]]] = {}
        unique = list(dict.fromkeys(pset_ids))
        for start in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[start : start + LOOKUP_CHUNK]
            rows = conn.exec_driver_sql(
                f"SELECT id, name, kind, properties FROM property_sets WHERE id IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            for pset_id, name, kind, properties in rows:
                found[pset_id] = (name, kind, json.loads(properties))
        return found
