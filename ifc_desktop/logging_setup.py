"""Logging to a rotating file in the data folder (and optionally the console)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FOLDER = "logs"
LOG_FILE = "ifc-desktop.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(processName)s %(name)s: %(message)s"


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_FOLDER


def configure_logging(data_dir: Path, *, console: bool = False, level: int = logging.INFO) -> Path | None:
    """Send the app's log records to ``<data_dir>/logs/ifc-desktop.log`` (5 files of 2 MB).

    When that file cannot be written, records are dropped rather than stopping the app,
    and None is returned instead of the log file's path.
    """
    folder = log_dir(data_dir)
    path: Path | None = folder / LOG_FILE
    root = logging.getLogger("ifc_desktop")
    root.setLevel(level)
    if not any(getattr(h, "_ifc_desktop", False) for h in root.handlers):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = _QuietFileHandler(path, maxBytes=2 * 1024**2, backupCount=5, encoding="utf-8")
        except OSError:  # a read-only data folder: the app still reads its history, without a log file
            handler = logging.NullHandler()
            path = None
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._ifc_desktop = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        if console:
            stream = logging.StreamHandler()
            stream.setFormatter(logging.Formatter(_FORMAT))
            stream._ifc_desktop = True  # type: ignore[attr-defined]
            root.addHandler(stream)
    return path


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that drops a record it cannot write (a full disk) instead of printing
    a traceback for each one on the console."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass
