"""The model history: the one API the rest of the app uses to read and write the store.

Every version is written in one ``BEGIN IMMEDIATE`` transaction (all or nothing).
History is append-only: a revert only moves the model's current version and
records the event. Everything returned is a frozen plain record (``records``),
never an ORM object, so results can cross threads and processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, exc, func, select
from sqlalchemy.orm import Session

from ifc_desktop.core import snapshot as snap
from ifc_desktop.core.errors import READ_ONLY, database_problem
from ifc_desktop.core.gcpause import gc_paused
from ifc_desktop.store import db, elements, reader, writer
from ifc_desktop.store.blobs import BlobError, BlobStore
from ifc_desktop.store.models import Job, Model, SourceFile, Version
from ifc_desktop.store.records import ElementRow, EventInfo, ModelInfo, VersionInfo
from ifc_desktop.store.rows import prepare_rows
from ifc_desktop.store.writer import ProgressFn


class Store:
    """The history database and the stored source files in one data folder."""

    def __init__(self, data_dir: Path, engine: Engine):
        self.data_dir = Path(data_dir)
        self.db_path = db.database_path(self.data_dir)
        self.engine = engine
        self.blobs = BlobStore(self.data_dir)

    # -- opening and connections -------------------------------------------------

    @classmethod
    def open(
        cls, data_dir: Path, *, migrate: bool = True, busy_timeout: float = 60.0, checkpoint: bool = True
    ) -> Store:
        """Open (and create, and migrate) the store in ``data_dir``.

        ``migrate=False`` is for worker processes opening a store the main process has
        already opened (and so migrated); it skips the schema check and the temp file sweep.
        ``busy_timeout`` is how long a writer waits for another writer, in seconds.
        ``checkpoint=False`` leaves copying the write-ahead log into the database to the
        other connections (see ``db.create_store_engine``).

        Raises ``StoreCorrupt`` naming the file when it is not a usable SQLite database
        (nothing is moved or deleted unless ``quarantine`` is called), and ``StoreError``
        naming it when it cannot be opened at all.
        """
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path = db.database_path(data_dir)
        engine = db.create_store_engine(db_path, busy_timeout=busy_timeout, checkpoint=checkpoint)
        try:
            db.check_opens(engine, db_path)
            if migrate:
                db.migrate(engine, db_path)
        except exc.DBAPIError as error:
            engine.dispose()
            reason = str(getattr(error, "orig", error))
            if db.is_corruption_error(error):
                raise db.StoreCorrupt(db_path, reason) from error
            if database_problem(error) == READ_ONLY:
                raise db.StoreError(
                    f"The history database {db_path} is read-only: IFC Desktop needs to write in its data folder "
                    "(choose another with --data-dir or IFC_DESKTOP_DATA_DIR)."
                ) from error
            raise db.StoreError(f"The history database {db_path} cannot be opened: {reason}") from error
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

    def remove_unused_sources(self) -> int:
        """Delete stored source files no version uses, once a day old (see ``BlobStore.remove_unused``).

        Only files written since this history began: files older than its first model and
        first job belong to a history that was lost or set aside (a damaged database moved
        away), whose only copies of the imported files they are.
        """
        began = self.history_began()
        if began is None:
            return 0

        def used() -> set[str]:
            with self.read() as conn:
                return set(conn.scalars(select(SourceFile.sha256)))

        def is_used(sha256: str) -> bool:
            with self.read() as conn:
                return conn.scalar(select(SourceFile.sha256).where(SourceFile.sha256 == sha256)) is not None

        try:
            return self.blobs.remove_unused(used, is_used, written_after=began.timestamp())
        except (OSError, exc.SQLAlchemyError):
            return 0  # housekeeping: never a reason not to open the store

    def versions_without_source(self) -> list[tuple[str, int]]:
        """(model name, version number) of every version whose stored source file is missing or cut
        short (a quick check: see ``BlobStore.looks_intact``)."""
        with self.read() as conn:
            rows = conn.execute(
                select(Model.name, Version.number, Version.source_sha256, Version.source_size)
                .join(Model, Model.id == Version.model_id)
                .order_by(Model.name, Version.number)
            ).all()
        return [(name, number) for name, number, sha256, size in rows if not self.blobs.looks_intact(sha256, size)]

    def history_began(self) -> datetime | None:
        """When this database's first model or first job (still listed) was made; None when it has neither."""
        with self.read() as conn:
            first_model = conn.scalar(select(func.min(Model.created_at)))
            first_job = conn.scalar(select(func.min(Job.queued_at)))
        known = [moment for moment in (first_model, first_job) if moment is not None]
        return min(known) if known else None

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
        content_sha256: str | None = None,
        job_id: int | None = None,
        new_model: bool = False,
        progress: ProgressFn | None = None,
    ) -> VersionInfo:
        """Write ``snapshot`` as the new current version of its model, all or nothing.

        ``content_sha256`` is the hash of the IFC file inside a zipped source (see ``PreparedFile``).
        Returns the existing version (``created=False``) when this job already saved
        one, or when the model already has a version with this content. The source file
        is stored first (skipped when ``store_source`` already did it), and the rows are
        prepared before the write lock is taken, so the lock is held only for the inserts.
        """
        source_path = Path(source_path)
        source_name = snapshot.source_name or source_path.name
        with self.read() as conn:
            existing = writer.existing_version_id(
                conn, snapshot, source_name, sha256, content_sha256, job_id, new_model
            )
            if existing is not None:
                return _found(reader.version_info(conn, existing), job_id)
            warning = None if new_model else writer.foreign_project_warning(conn, snapshot, source_name)
            if warning is not None:
                snapshot = replace(snapshot, warnings=[*snapshot.warnings, warning])

        blob = self.blobs.put_file(source_path, sha256)
        if blob.size != size:
            raise BlobError(f"{source_path} is {blob.size} bytes, not the {size} bytes expected.")
        # Preparing and inserting hundreds of thousands of rows allocates far more than it frees:
        # without the pause, the collector would rescan the whole snapshot again and again.
        with gc_paused():
            rows = prepare_rows(snapshot)
            with self.write() as conn:
                # Checked again under the write lock: another process may have saved it meanwhile.
                existing = writer.existing_version_id(
                    conn, snapshot, source_name, sha256, content_sha256, job_id, new_model
                )
                if existing is not None:
                    return _found(reader.version_info(conn, existing), job_id)
                version_id = writer.write_version(
                    conn,
                    snapshot,
                    rows,
                    source_name=source_name,
                    source_path=source_path,
                    sha256=sha256,
                    content_sha256=content_sha256,
                    size=size,
                    blob_key=blob.key,
                    compressed_size=blob.compressed_size,
                    job_id=job_id,
                    new_model=new_model,
                    progress=progress,
                )
        with self.read() as conn:
            return replace(reader.version_info(conn, version_id), created=True)

    def revert(self, model_id: int, number: int) -> VersionInfo:
        """Make version ``number`` current again; records the event, deletes nothing.

        Reverting to the version that is already current changes and records nothing.
        """
        with self.write() as conn:
            target = reader.version_id_by_number(conn, model_id, number)
            if target is None:
                raise LookupError(reader.missing_version_message(conn, model_id, number))
            writer.record_revert(conn, model_id, target, number)
            return reader.version_info(conn, target)

    def rename_model(self, model_id: int, name: str) -> ModelInfo:
        """Give a model another name; recorded in its history. Raises ``InvalidName`` for an
        empty name or one another model has (whatever its case)."""
        with self.write() as conn:
            writer.rename_model(conn, model_id, name)
        return self.get_model(model_id)

    # -- reading: models and versions ---------------------------------------------

    def find_version_by_sha(
        self, sha256: str, content_sha256: str | None = None, *, job_id: int | None = None
    ) -> VersionInfo | None:
        """The newest version (of any model) made from the same IFC content: these bytes, or the
        same IFC file zipped or not (``content_sha256``: the IFC inside a zip, else None).

        ``created`` is set when job ``job_id`` made it (see ``_found``)."""
        with self.read() as conn:
            version_id = conn.scalar(
                select(Version.id)
                .where(writer.same_content(sha256, content_sha256))
                .order_by(Version.id.desc())
                .limit(1)
            )
            return None if version_id is None else _found(reader.version_info(conn, version_id), job_id)

    def list_models(self) -> list[ModelInfo]:
        """Every model with its current version's schema, number and element count, by name."""
        with self.read() as conn:
            return reader.models(conn)

    def get_model(self, model_id: int) -> ModelInfo:
        with self.read() as conn:
            found = reader.models(conn, model_id)
        if not found:
            raise LookupError(f"There is no model with id {model_id}.")
        return found[0]

    def resolve_model(self, name_or_id: str | int) -> ModelInfo:
        """A model by id or name: exact name, else id, else case-insensitive name.

        ``#N`` always means the id N. A number that is the name of one model and the id
        of another is refused as ambiguous rather than guessed.
        """
        models = self.list_models()
        if isinstance(name_or_id, int):
            matches = [m for m in models if m.id == name_or_id]
        else:
            text = name_or_id.strip()
            reference = writer.model_id_reference(text)
            if reference is not None:
                matches = [m for m in models if m.id == reference]
            else:
                # Names from before they were stripped may start or end with a space.
                matches = [m for m in models if m.name.strip() == text]
                numbered = [m for m in models if m.id == int(text)] if text.isdigit() else []
                if matches and numbered and numbered[0] not in matches:
                    raise LookupError(
                        f"{text!r} is the name of model id {matches[0].id} and the id of model "
                        f"{numbered[0].name!r}: give #{matches[0].id} or #{numbered[0].id}."
                    )
                matches = matches or numbered
            if not matches:
                matches = [m for m in models if m.name.strip().casefold() == text.casefold()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            named = ", ".join(f"{m.name!r} (#{m.id})" for m in matches)
            raise LookupError(f"{name_or_id!r} could be any of {named}: give the exact name or the #id.")
        known = ", ".join(f"{m.name!r} (id {m.id})" for m in models[:20]) or "none yet"
        raise LookupError(f"No model named or numbered {name_or_id!r}. Known models: {known}.")

    def list_versions(self, model_id: int) -> list[VersionInfo]:
        """The model's versions, oldest first; ``is_current`` marks the current one."""
        with self.read() as conn:
            return reader.versions_of_model(conn, model_id)

    def get_version(self, model_id: int, number: int | None = None) -> VersionInfo:
        """Version ``number`` of the model, or its current version when ``number`` is None."""
        with self.read() as conn:
            version_id = reader.version_id_by_number(conn, model_id, number)
            if version_id is None:
                raise LookupError(reader.missing_version_message(conn, model_id, number))
            return reader.version_info(conn, version_id)

    def version(self, version_id: int) -> VersionInfo:
        with self.read() as conn:
            return reader.version_info(conn, version_id)

    def export_source(self, version_id: int, out_path: Path) -> None:
        """Write the version's original file, byte for byte, to ``out_path``."""
        info = self.version(version_id)
        self.blobs.export(info.blob_key, Path(out_path), sha256=info.source_sha256)

    def history_events(self, model_id: int) -> list[EventInfo]:
        """The model's events (imports, reverts), oldest first."""
        with self.read() as conn:
            return reader.history_events(conn, model_id)

    def count_by_class(self, version_id: int) -> dict[str, int]:
        """Element counts by IFC class, most frequent first."""
        with self.read() as conn:
            return reader.version_counts(conn, version_id, Version.counts_by_class)

    def count_by_storey(self, version_id: int) -> dict[str, int]:
        """Element counts keyed by storey name (made unique), elements on no storey last."""
        with self.read() as conn:
            return reader.version_counts(conn, version_id, Version.counts_by_storey)

    # -- reading: elements ---------------------------------------------------------

    def spatial_tree(self, version_id: int) -> list[ElementRow]:
        """Spatial elements (site, building, storey, space, facility parts, any container),
        in file order; ``parent_global_id`` and ``container_global_id`` give the tree."""
        with self.read() as conn:
            return elements.spatial_tree(conn, version_id)

    def count_by_tree_node(self, version_id: int) -> dict[str, int]:
        """How many elements hang directly below each node of the spatial tree, by its GlobalId
        (one grouped query): those it contains, and those on a storey that no container holds
        (openings, their doors and windows); ``elements.NOT_PLACED`` counts the elements on no storey."""
        with self.read() as conn:
            return elements.count_by_tree_node(conn, version_id)

    def elements(
        self,
        version_id: int,
        *,
        search: str | None = None,
        ifc_class: str | None = None,
        tree_node: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        after_id: int | None = None,
    ) -> list[ElementRow]:
        """Elements of a version in file order, filtered and paged; ``tree_node`` as in ``count_by_tree_node``;
        ``after_id``: only the elements after that one (the next page, found without counting off the first).

        ``search`` (case-insensitive) matches name, GlobalId, class, tag, object
        type, type name, long name, and the names and values of the element's property sets.
        """
        with self.read() as conn:
            return elements.element_rows(
                conn,
                version_id,
                search=search,
                ifc_class=ifc_class,
                tree_node=tree_node,
                offset=offset,
                limit=limit,
                after_id=after_id,
            )

    def count_elements(
        self,
        version_id: int,
        *,
        search: str | None = None,
        ifc_class: str | None = None,
        tree_node: str | None = None,
    ) -> int:
        """How many elements ``elements`` would return without offset and limit."""
        with self.read() as conn:
            return elements.count_elements(conn, version_id, search=search, ifc_class=ifc_class, tree_node=tree_node)

    def element_rows(self, version_id: int, global_ids: list[str]) -> dict[str, ElementRow]:
        """Elements of a version by GlobalId (where an element stands: its storey, container, whole)."""
        if not global_ids:
            return {}
        with self.read() as conn:
            return elements.rows_by_global_id(conn, version_id, global_ids)

    def element_detail(self, element_id: int) -> snap.Element:
        """One element with its property sets (each marked occurrence or type)."""
        with self.read() as conn:
            return elements.element_detail(conn, element_id)

    def load_elements(
        self, version_id: int, *, with_psets: bool = True, global_ids: list[str] | None = None
    ) -> list[snap.Element]:
        """Every element of a version (or those with the given GlobalIds), in file order (for comparing versions).

        Elements with the same property set share one properties dict: treat them as read-only.
        """
        with self.read() as conn:
            return elements.load_elements(conn, version_id, with_psets=with_psets, global_ids=global_ids)


def _found(version: VersionInfo, job_id: int | None) -> VersionInfo:
    """A version found instead of saved: made by this very job (its worker stopped after the commit,
    and the retry finds it), or one the job's content duplicates."""
    return replace(version, created=job_id is not None and version.job_id == job_id)
