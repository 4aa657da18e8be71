"""Writing a version: model identity, the version row, shared property sets, elements.

Everything here runs on a connection inside one ``BEGIN IMMEDIATE`` transaction
(``Store.save_version``); the bulk rows go through the DB-API ``executemany``
with tuples, which measured as fast as plain ``sqlite3`` (see benchmarks/).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update

from ifc_desktop.core.snapshot import Snapshot
from ifc_desktop.core.wording import count_of
from ifc_desktop.store.models import Element, HistoryEvent, Model, SourceFile, Version
from ifc_desktop.store.rows import INSERT_ELEMENT_SQL, INSERT_PSET_SQL, PreparedRows, refs_json, units_json

WRITE_CHUNK = 5000  # element rows per executemany call, between progress reports
LOOKUP_CHUNK = 900  # bound parameters per IN (...) lookup (old SQLite builds allow 999)

ProgressFn = Callable[[float], None]


def now() -> datetime:
    return datetime.now(UTC)


def matching_model(conn: Connection, project_global_id: str | None, source_name: str) -> int | None:
    """The model a re-import belongs to: same IfcProject GlobalId, else same file name.

    When several models match (a model forced apart with ``new_model``), the one
    imported into most recently wins.
    """
    if project_global_id:
        condition = Version.project_global_id == project_global_id
    else:
        condition = func.lower(Version.source_name) == source_name.lower()
    return conn.scalar(select(Version.model_id).where(condition).order_by(Version.id.desc()).limit(1))


# A file joining a model by its IfcProject GlobalId that shares fewer than this share of
# its elements with the current version is probably another project started from the
# same template (one office's Revit template gives every project the same project id).
MIN_SHARED_ELEMENTS = 0.1
MIN_ELEMENTS_TO_JUDGE = 10


def foreign_project_warning(conn: Connection, snapshot: Snapshot, source_name: str) -> str | None:
    """A warning when the model this file joins by its project id shares almost none of its elements."""
    if not snapshot.project.global_id:
        return None
    model_id = matching_model(conn, snapshot.project.global_id, source_name)
    if model_id is None:
        return None
    current = conn.execute(
        select(Model.name, Version.id, Version.number, Version.element_count)
        .join(Version, Version.id == Model.current_version_id)
        .where(Model.id == model_id)
    ).first()
    if current is None:
        return None
    new_ids = {element.global_id for element in snapshot.elements}
    smaller = min(len(new_ids), current.element_count)
    if smaller < MIN_ELEMENTS_TO_JUDGE:
        return None
    old_ids = conn.scalars(select(Element.global_id).where(Element.version_id == current.id))
    shared = sum(1 for global_id in old_ids if global_id in new_ids)
    if shared >= MIN_SHARED_ELEMENTS * smaller:
        return None
    verb = "is" if shared == 1 else "are"
    return (
        f"This file has the project id of the model '{current.name}' and became its next version, but only "
        f"{count_of(shared, 'element')} of its {len(new_ids):,} {verb} in version {current.number}. If it is "
        "another project (one template gives many projects the same id), import it again as a new model."
    )


def same_content(sha256: str, content_sha256: str | None) -> ColumnElement[bool]:
    """Versions made from the same IFC content as a file with these hashes: the same bytes,
    or the same IFC file zipped or not (``content_sha256``: the IFC inside a zip, else None)."""
    content = content_sha256 or sha256
    return or_(Version.source_sha256 == sha256, Version.source_sha256 == content, Version.content_sha256 == content)


def existing_version_id(
    conn: Connection,
    snapshot: Snapshot,
    source_name: str,
    sha256: str,
    content_sha256: str | None,
    job_id: int | None,
    new_model: bool,
) -> int | None:
    """The version this save would duplicate: same job, or same content in the same model."""
    if job_id is not None:
        version_id = conn.scalar(select(Version.id).where(Version.job_id == job_id))
        if version_id is not None:
            return version_id
    if new_model:
        return None
    model_id = matching_model(conn, snapshot.project.global_id, source_name)
    if model_id is None:
        return None
    return conn.scalar(
        select(Version.id).where(Version.model_id == model_id, same_content(sha256, content_sha256)).limit(1)
    )


def model_id_reference(text: str) -> int | None:
    """The model id ``text`` names when written "#N" (wherever a model is named); None otherwise."""
    return int(text[1:]) if text.startswith("#") and text[1:].isdigit() else None


def model_name(source_name: str, project_name: str | None) -> str:
    """A new model's name: its first file's name without the extension (else the project's).

    "#N" means the model with id N wherever a model is named, so a file called "#2.ifc"
    keeps its extension: its model can be named on the command line like any other.
    """
    name = Path(source_name).stem.strip() or (project_name or "").strip() or "Model"
    if model_id_reference(name) is not None:
        name = f"{name}{Path(source_name).suffix}"
    return name


def unique_model_name(conn: Connection, base: str) -> str:
    taken = set(conn.scalars(select(Model.name).where(Model.name.like(f"{base}%"))))
    if base not in taken:
        return base
    number = 2
    while f"{base} ({number})" in taken:
        number += 1
    return f"{base} ({number})"


def write_version(
    conn: Connection,
    snapshot: Snapshot,
    rows: PreparedRows,
    *,
    source_name: str,
    source_path: Path,
    sha256: str,
    content_sha256: str | None,
    size: int,
    blob_key: str,
    compressed_size: int,
    job_id: int | None,
    new_model: bool,
    progress: ProgressFn | None,
) -> int:
    """Insert the version with its elements, make it current, record the import; returns its id."""
    header, project = snapshot.header, snapshot.project
    created = now()
    model_id = None if new_model else matching_model(conn, project.global_id, source_name)
    if model_id is None:
        # The file name is what the user recognises: project names are often numbers or
        # exporter placeholders ("0001", "// PROJECT/NUMBER //").
        name = unique_model_name(conn, model_name(source_name, project.name))
        model_id = conn.execute(
            insert(Model).values(name=name, project_global_id=project.global_id, created_at=created)
        ).inserted_primary_key[0]
    number = (conn.scalar(select(func.max(Version.number)).where(Version.model_id == model_id)) or 0) + 1

    conn.execute(
        insert(SourceFile)
        .prefix_with("OR IGNORE")
        .values(sha256=sha256, size=size, compressed_size=compressed_size, blob_path=blob_key, created_at=created)
    )
    version_id = conn.execute(
        insert(Version).values(
            model_id=model_id,
            number=number,
            created_at=created,
            job_id=job_id,
            source_name=source_name,
            source_path=str(source_path),
            source_sha256=sha256,
            content_sha256=content_sha256,
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

    pset_ids = write_property_sets(conn, rows.psets)
    write_elements(conn, version_id, rows, pset_ids, progress)

    conn.execute(update(Model).where(Model.id == model_id).values(current_version_id=version_id))
    conn.execute(
        insert(HistoryEvent).values(
            model_id=model_id,
            version_id=version_id,
            kind="import",
            created_at=created,
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


def write_property_sets(conn: Connection, psets: list[tuple[bytes, str, str, str]]) -> list[int]:
    """Ids of the given distinct property sets, inserting only the ones not stored yet."""
    id_by_hash: dict[bytes, int] = {}
    hashes = [p[0] for p in psets]
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        placeholders = ",".join("?" * len(chunk))
        found = conn.exec_driver_sql(f"SELECT hash, id FROM property_sets WHERE hash IN ({placeholders})", tuple(chunk))
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


def write_elements(
    conn: Connection, version_id: int, rows: PreparedRows, pset_ids: list[int], progress: ProgressFn | None
) -> None:
    """Bulk insert of the element rows in chunks, reporting the fraction written after each."""
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


class InvalidName(ValueError):
    """A model name that cannot be given: empty, or the name of another model."""


def rename_model(conn: Connection, model_id: int, name: str) -> str:
    """Give the model a new name (stripped) and log it; returns the old name.

    Names are told apart by case-insensitive equality (see ``Store.resolve_model``),
    so a name differing from another model's only in case is refused too.
    """
    name = name.strip()
    if not name:
        raise InvalidName("A model name cannot be empty.")
    if model_id_reference(name) is not None:
        raise InvalidName(f"{name!r} means the model with id {name[1:]} wherever a model is named: choose another.")
    old = conn.scalar(select(Model.name).where(Model.id == model_id))
    if old is None:
        raise LookupError(f"There is no model with id {model_id}.")
    for other_id, other in conn.execute(select(Model.id, Model.name).where(Model.id != model_id)):
        if other.strip().casefold() == name.casefold():
            raise InvalidName(f"Another model (#{other_id}) is called {other.strip()!r}.")
    if name == old:
        return old
    current = conn.scalar(select(Model.current_version_id).where(Model.id == model_id))
    conn.execute(update(Model).where(Model.id == model_id).values(name=name))
    conn.execute(
        insert(HistoryEvent).values(
            model_id=model_id, version_id=current, kind="rename", created_at=now(), detail={"from": old, "to": name}
        )
    )
    return old


def record_revert(conn: Connection, model_id: int, target_version_id: int, number: int) -> None:
    """Make the target version current and log it, unless it already is current."""
    current = conn.scalar(select(Model.current_version_id).where(Model.id == model_id))
    if current == target_version_id:
        return
    previous = conn.scalar(select(Version.number).where(Version.id == current))
    conn.execute(update(Model).where(Model.id == model_id).values(current_version_id=target_version_id))
    conn.execute(
        insert(HistoryEvent).values(
            model_id=model_id,
            version_id=target_version_id,
            kind="revert",
            created_at=now(),
            detail={"number": number, "from_number": previous},
        )
    )
