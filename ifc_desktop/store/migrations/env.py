"""Alembic environment for the history database.

At run time the store passes an open connection (already inside a BEGIN IMMEDIATE
transaction) through ``config.attributes["connection"]``; no alembic.ini is read.
For development commands, build the configuration with
``ifc_desktop.store.db.alembic_config(url="sqlite:///path/to/history.sqlite")``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from ifc_desktop.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
