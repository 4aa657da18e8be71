"""The SQLite engine: pragmas, write transactions, migrations, corruption checks.

Several processes (the window and the import workers) share one database file.
WAL lets readers run while one writer writes; every write transaction starts
with ``BEGIN IMMEDIATE`` so writers queue on the busy timeout up front instead
of failing with "database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL

from ifc_desktop.store.rows import compact_json_encoder

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only where migrations run: import workers open the store
# without migrating, and every megabyte of a worker's baseline counts per worker.

DB_FILENAME = "history.sqlite"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Execution option that makes a connection's next transaction BEGIN IMMEDIATE.
_IMMEDIATE = "ifc_desktop_begin_immediate"

# SQLite messages that mean the file itself is damaged.
_CORRUPTION_MARKERS = ("file is not a database", "malformed", "corrupt", "file is encrypted")


class StoreError(Exception):
    """The history store cannot do what was asked."""


class StoreCorrupt(StoreError):
    """The database file is damaged or is not a database; ``path`` says which file."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"The history database {self.path} is damaged ({reason}). "
            "It can be moved aside so that a new, empty history is started; nothing is deleted."
        )

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def create_store_engine(db_path: Path, *, busy_timeout: float = 60.0, checkpoint: bool = True) -> Engine:
    """An engine for ``db_path`` whose every connection has the pragmas this store relies on.

    With ``checkpoint=False`` a commit never copies the write-ahead log back into the
    database file. Import workers open the store this way: copying a large version's
    pages (about half a second for 50k elements) is then done by the main process's
    next write, or when the last connection closes, instead of delaying the import.
    """
    url = URL.create("sqlite", database=str(db_path))
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout},
        json_serializer=compact_json_encoder(),  # the same JSON text as the bulk rows
        json_deserializer=json.loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Autocommit at the driver level: transactions are begun explicitly below,
        # which is the SQLAlchemy-documented way to control SQLite's BEGIN.
        dbapi_connection.isolation_level = None
        # SQL's LIKE ignores the case of ASCII letters only; searches for other letters use this.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA temp_store = MEMORY")
            # The page cache stays at SQLite's default (2 MB): 16 to 64 MB measured no faster
            # for saving or loading a 50k-element version, and every import worker holds one.
            if not checkpoint:
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a ``BEGIN IMMEDIATE`` transaction, committed on success."""
    with engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a deferred (read) transaction: one consistent snapshot."""
    with engine.connect() as conn, conn.begin():
        yield conn


def is_corruption_error(error: BaseException) -> bool:
    original = getattr(error, "orig", error)
    if not isinstance(original, sqlite3.DatabaseError):
        return False
    text = str(original).lower()
    return any(marker in text for marker in _CORRUPTION_MARKERS)


def check_opens(engine: Engine, db_path: Path) -> None:
    """Open a connection and read the schema, turning corruption errors into StoreCorrupt.

    The file is never opened outside SQLite: on POSIX, closing any handle to a
    file drops every lock the process holds on it, SQLite's included, which can
    corrupt the database under another connection of the same process.
    """
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except exc.DBAPIError as error:
        if is_corruption_error(error):
            raise StoreCorrupt(db_path, str(getattr(error, "orig", error))) from error
        raise


def quick_check(engine: Engine, db_path: Path) -> None:
    """Run SQLite's ``quick_check`` (reads every page: seconds on a large history)."""
    try:
        with engine.connect() as conn:
            rows = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
    except exc.DBAPIError as error:
        if is_corruption_error(error):
            raise StoreCorrupt(db_path, str(getattr(error, "orig", error))) from error
        raise
    if rows != ["ok"]:
        raise StoreCorrupt(db_path, "integrity check failed: " + "; ".join(str(r) for r in rows[:5]))


def quarantine(db_path: Path) -> Path:
    """Move a damaged database (and its WAL/shared-memory files) aside; returns the new path.

    Nothing is deleted: ``history.sqlite`` becomes ``history.corrupt-<timestamp>.sqlite``.
    The database must not be open in this process (Windows cannot move open files).
    """
    db_path = Path(db_path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = db_path.with_name(f"{db_path.stem}.corrupt-{stamp}{db_path.suffix}")
    for suffix in ("-wal", "-shm"):
        companion = Path(str(db_path) + suffix)
        if companion.exists():
            companion.replace(Path(str(target) + suffix))
    db_path.replace(target)
    return target


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini), usable from a frozen app.

    With ``connection`` the migrations run on it, inside its transaction. ``url`` is for
    development commands, e.g. ``command.revision(alembic_config(url=...), autogenerate=True)``.
    """
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, db_path: Path) -> None:
    """Bring the schema to the newest revision; several processes may call this at once."""
    head = head_revision()
    with read_connection(engine) as conn:
        current = current_revision(conn)
    if current == head:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"The history database {db_path} was written by a newer version of IFC Desktop "
            f"(schema revision {current}); update the app to open it."
        )
    # One write transaction: a second process waits here, then finds the schema up to date.
    with write_connection(engine) as conn:
        if current_revision(conn) != head:
            command.upgrade(alembic_config(conn), "head")
