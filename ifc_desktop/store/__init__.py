"""The model history: SQLite database (SQLAlchemy + Alembic) and stored source files.

Use ``Store``; nothing here imports Qt.
"""

from ifc_desktop.store.blobs import BlobError
from ifc_desktop.store.db import StoreCorrupt, StoreError, database_path, quarantine
from ifc_desktop.store.history import Store
from ifc_desktop.store.records import ElementRow, EventInfo, ModelInfo, VersionInfo
from ifc_desktop.store.writer import InvalidName

__all__ = [
    "BlobError",
    "ElementRow",
    "EventInfo",
    "InvalidName",
    "ModelInfo",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "VersionInfo",
    "database_path",
    "quarantine",
]
