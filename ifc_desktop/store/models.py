"""The history database schema, as SQLAlchemy 2 typed ORM classes.

The Alembic migrations in ``migrations/versions`` must produce exactly this
schema; ``tests/test_store_migrations.py`` compares the two.

Property sets are stored once per distinct content: ``property_sets`` rows are
keyed by a hash of (name, kind, canonical JSON of the properties) and shared by
every element and version that has the same set. Each element keeps a compact
JSON list ``[[property_set_id, "o" | "t"], ...]`` (occurrence or type), so a
re-import of a mostly unchanged model adds almost no property set rows.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so later migrations (SQLite batch mode) can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Codes for where an element's property set comes from, in ``elements.psets``.
PSET_SOURCE_CODES = {"occurrence": "o", "type": "t"}
PSET_SOURCE_NAMES = {code: name for name, code in PSET_SOURCE_CODES.items()}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC text (SQLite has no time zones), returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous here: pass a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def Json() -> JSON:
    """JSON text; Python None is SQL NULL (not the JSON text ``null``)."""
    return JSON(none_as_null=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Model(Base):
    """A building model: the versions of one IFC project over time."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    project_global_id: Mapped[str | None] = mapped_column(String(22))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL", use_alter=True)
    )


class Version(Base):
    """One imported file: the snapshot's header, project and summary."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("model_id", "number"),
        UniqueConstraint("model_id", "source_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the model
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The job that produced it; unique so a retried job can never add a second version.
    job_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    source_name: Mapped[str] = mapped_column(String)
    source_path: Mapped[str] = mapped_column(String)
    source_sha256: Mapped[str] = mapped_column(ForeignKey("source_files.sha256"))
    source_size: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String)
    # SHA-256 of the IFC file inside a zipped source (None when the source is the IFC file
    # itself): the same content zipped, or not, or zipped again, is the same version.
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    schema_declared: Mapped[str] = mapped_column(String)
    schema_read: Mapped[str] = mapped_column(String)
    application: Mapped[str | None] = mapped_column(String)
    application_source: Mapped[str | None] = mapped_column(String)
    header_timestamp: Mapped[str | None] = mapped_column(String)
    header_file_name: Mapped[str | None] = mapped_column(String)
    header_description: Mapped[str | None] = mapped_column(String)
    header_author: Mapped[str | None] = mapped_column(String)
    header_organization: Mapped[str | None] = mapped_column(String)

    project_name: Mapped[str | None] = mapped_column(String)
    project_global_id: Mapped[str | None] = mapped_column(String(22))
    length_unit: Mapped[str] = mapped_column(String)
    length_scale: Mapped[float] = mapped_column(Float)
    units: Mapped[Any] = mapped_column(Json())  # [[unit_type, name, symbol, scale_to_si], ...]

    element_count: Mapped[int] = mapped_column(Integer)
    counts_by_class: Mapped[Any] = mapped_column(Json())  # {ifc_class: count}
    counts_by_storey: Mapped[Any] = mapped_column(Json())  # {storey label: count}
    warnings: Mapped[Any] = mapped_column(Json())  # [str, ...]


class Element(Base):
    """One IfcProduct of one version."""

    __tablename__ = "elements"
    # (version_id) alone lets "all elements of a version in file order" read rows in id
    # order without a sort; the composite ones serve lookups by GlobalId, class, container.
    __table_args__ = (
        Index(None, "version_id"),
        Index(None, "version_id", "global_id"),
        Index(None, "version_id", "ifc_class"),
        Index(None, "version_id", "container_global_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    global_id: Mapped[str] = mapped_column(String)
    ifc_class: Mapped[str] = mapped_column(String)
    step_id: Mapped[int] = mapped_column(Integer)
    predefined_type: Mapped[str | None] = mapped_column(String)
    name: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(String)
    object_type: Mapped[str | None] = mapped_column(String)
    tag: Mapped[str | None] = mapped_column(String)
    long_name: Mapped[str | None] = mapped_column(String)
    type_global_id: Mapped[str | None] = mapped_column(String)
    type_class: Mapped[str | None] = mapped_column(String)
    type_name: Mapped[str | None] = mapped_column(String)
    parent_global_id: Mapped[str | None] = mapped_column(String)
    container_global_id: Mapped[str | None] = mapped_column(String)
    storey_global_id: Mapped[str | None] = mapped_column(String)
    materials: Mapped[Any] = mapped_column(Json(), nullable=True)  # [str, ...] or NULL when none
    classifications: Mapped[Any] = mapped_column(Json(), nullable=True)  # [[system, identification, name], ...] or NULL
    psets: Mapped[Any] = mapped_column(Json(), nullable=True)  # [[property_sets.id, "o" | "t"], ...] or NULL
    placement: Mapped[Any] = mapped_column(Json(), nullable=True)  # [9 floats] or NULL
    content_hash: Mapped[str] = mapped_column(String)


class PropertySet(Base):
    """One distinct property or quantity set, shared by all elements and versions that have it."""

    __tablename__ = "property_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 16-byte BLAKE2b of name, kind and the canonical properties JSON.
    hash: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    name: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String(8))  # "pset" | "qto"
    properties: Mapped[Any] = mapped_column(Json())  # canonical JSON object (sorted keys)


class HistoryEvent(Base):
    """Append-only log of what happened to a model: imports, reverts, ..."""

    __tablename__ = "history_events"
    __table_args__ = (Index(None, "model_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # "import" | "revert" | ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[Any] = mapped_column(Json())


class SourceFile(Base):
    """A stored (compressed, content-addressed) source file."""

    __tablename__ = "source_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    compressed_size: Mapped[int] = mapped_column(Integer)
    blob_path: Mapped[str] = mapped_column(String)  # relative to <data_dir>/sources
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobState(enum.StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    RETRY = "RETRY"
    CANCELLED = "CANCELLED"


JOB_STATE_TYPE = Enum(
    JobState,
    name="job_state",
    native_enum=False,
    create_constraint=False,
    length=16,
    values_callable=lambda states: [state.value for state in states],
)


class Job(Base):
    """One import request; the job engine's queue and history."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[JobState] = mapped_column(JOB_STATE_TYPE, default=JobState.PENDING)
    stage_index: Mapped[int] = mapped_column(Integer, default=0)
    stage_count: Mapped[int] = mapped_column(Integer, default=0)
    stage_name: Mapped[str] = mapped_column(String, default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_durations: Mapped[Any] = mapped_column(Json(), nullable=True)  # {stage name: seconds}
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    error_permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    new_model: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit: Mapped[float | None] = mapped_column(Float)  # seconds
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    version_number: Mapped[int | None] = mapped_column(Integer)  # of version_id, within its model
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # What a finished import said: its warnings, and whether the bytes were already a version.
    warnings: Mapped[Any] = mapped_column(Json(), nullable=True)  # [str, ...]
    reused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
