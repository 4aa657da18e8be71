"""What the store hands out: frozen plain dataclasses, picklable, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ifc_desktop.core.snapshot import UnitInfo


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: int
    name: str
    project_global_id: str | None
    created_at: datetime
    version_count: int
    current_version_id: int | None
    current_version_number: int | None
    schema: str | None  # schema the current version was read as
    element_count: int | None  # of the current version
    updated_at: datetime | None  # when the newest version was added


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    model_id: int
    model_name: str
    number: int
    created_at: datetime
    is_current: bool
    job_id: int | None
    source_name: str
    source_path: str
    source_sha256: str
    source_size: int
    blob_key: str
    schema_declared: str
    schema_read: str
    application: str | None
    application_source: str | None
    header_timestamp: str | None
    header_file_name: str | None
    header_description: str | None
    header_author: str | None
    header_organization: str | None
    project_name: str | None
    project_global_id: str | None
    length_unit: str
    length_scale: float
    units: tuple[UnitInfo, ...]
    element_count: int
    warnings: tuple[str, ...]
    # True only when the save_version call that returned it wrote it.
    created: bool = False


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    model_id: int
    version_id: int | None
    version_number: int | None
    kind: str  # "import" | "revert" | ...
    created_at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ElementRow:
    """One element as listed in the browser (without its property sets)."""

    id: int
    version_id: int
    global_id: str
    ifc_class: str
    predefined_type: str | None
    name: str | None
    description: str | None
    object_type: str | None
    tag: str | None
    long_name: str | None
    type_global_id: str | None
    type_class: str | None
    type_name: str | None
    parent_global_id: str | None
    container_global_id: str | None
    storey_global_id: str | None
    content_hash: str
