"""Where the app keeps its data: the per-user folder, unless told otherwise.

Tests and portable installs point the app elsewhere with ``--data-dir`` or the
``IFC_DESKTOP_DATA_DIR`` environment variable, so they never touch the real one.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from ifc_desktop import APP_NAME
from ifc_desktop.core.errors import describe_os_error

DATA_DIR_ENV = "IFC_DESKTOP_DATA_DIR"


class DataDirError(Exception):
    """The data folder cannot be created or is not a folder."""


def default_data_dir() -> Path:
    """The platform's per-user data folder, e.g. ``%LOCALAPPDATA%\\IFC Desktop`` on Windows."""
    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """The data folder to use, created if missing.

    An explicit folder (``--data-dir``) wins over the environment variable, which
    wins over the per-user default. Empty strings count as not given.
    """
    if explicit is not None and str(explicit) != "":
        chosen = Path(explicit)
    elif os.environ.get(DATA_DIR_ENV):
        chosen = Path(os.environ[DATA_DIR_ENV])
    else:
        chosen = default_data_dir()
    chosen = chosen.expanduser().resolve()
    if chosen.exists() and not chosen.is_dir():
        raise DataDirError(f"The data folder {chosen} is a file, not a folder.")
    try:
        chosen.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"The data folder {chosen} cannot be created: {describe_os_error(exc)}") from None
    return chosen
