"""Job ids handed out without touching the database.

``submit`` must return job ids at once, but the database may be busy for
seconds while a worker commits a large version. Ids therefore come from a tiny
counter file guarded by an OS lock that is only ever held for a read and a
write, so several processes on one data folder (the window and a CLI run)
never hand out the same id. The counter never goes below the largest id in the
database, so losing the file is harmless.
"""

from __future__ import annotations

import os
from pathlib import Path

from ifc_desktop.jobs.locks import FileLock


class IdAllocator:
    def __init__(self, folder: Path, floor: int = 0):
        self._counter = Path(folder) / "last-job-id"
        self._lock = FileLock(Path(folder) / "last-job-id.lock")
        self._floor = floor

    def raise_floor(self, floor: int) -> None:
        self._floor = max(self._floor, floor)

    def allocate(self, count: int) -> list[int]:
        if count <= 0:
            return []
        with self._lock:
            last = max(self._read(), self._floor)
            first = last + 1
            self._write(last + count)
        self._floor = last + count
        return list(range(first, first + count))

    def _read(self) -> int:
        try:
            return int(self._counter.read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _write(self, value: int) -> None:
        tmp = self._counter.with_name(self._counter.name + ".tmp")
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(f"{value}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._counter)
