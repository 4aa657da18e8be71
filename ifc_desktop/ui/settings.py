"""Persisted window settings: an INI file in the data folder.

Keeping the file in the data folder (not the registry) means a portable
install carries its settings, and tests with their own data folder never see
the user's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..jobs.engine import default_workers

SETTINGS_FILE = "settings.ini"
MAX_RECENT = 10


class AppSettings:
    """Typed access to ``<data_dir>/settings.ini``."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / SETTINGS_FILE
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        self._qs.sync()

    # -- engine ---------------------------------------------------------------------

    @property
    def workers(self) -> int:
        return _int(self._qs.value("engine/workers"), default_workers(), 1, 64)

    @workers.setter
    def workers(self, value: int) -> None:
        self._qs.setValue("engine/workers", int(value))

    @property
    def max_attempts(self) -> int:
        return _int(self._qs.value("engine/max_attempts"), 3, 1, 20)

    @max_attempts.setter
    def max_attempts(self, value: int) -> None:
        self._qs.setValue("engine/max_attempts", int(value))

    @property
    def time_limit(self) -> float | None:
        """Seconds a job may run before it is stopped; None for no limit."""
        value = _int(self._qs.value("engine/time_limit_minutes"), 0, 0, 24 * 60)
        return float(value * 60) if value > 0 else None

    @time_limit.setter
    def time_limit(self, seconds: float | None) -> None:
        minutes = 0 if not seconds else max(1, round(seconds / 60))
        self._qs.setValue("engine/time_limit_minutes", minutes)

    # -- recent files ---------------------------------------------------------------

    @property
    def recent_files(self) -> list[str]:
        value = self._qs.value("recent/files") or []
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value if v][:MAX_RECENT]

    def add_recent(self, paths: list[str]) -> None:
        recent = self.recent_files
        for path in paths:
            if path in recent:
                recent.remove(path)
            recent.insert(0, path)
        self._qs.setValue("recent/files", recent[:MAX_RECENT])

    def clear_recent(self) -> None:
        self._qs.setValue("recent/files", [])

    @property
    def last_folder(self) -> str:
        return str(self._qs.value("recent/last_folder") or "")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._qs.setValue("recent/last_folder", value)

    # -- window state ---------------------------------------------------------------

    def window_state(self, key: str) -> QByteArray | None:
        value = self._qs.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(f"window/{key}", value)

    def value(self, key: str, default: str = "") -> str:
        value = self._qs.value(key)
        return default if value is None else str(value)

    def set_value(self, key: str, value: str) -> None:
        self._qs.setValue(key, value)


def _int(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))
