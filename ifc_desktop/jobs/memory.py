"""How much memory a job is expected to need, and how much the machine has free."""

from __future__ import annotations

import ctypes
import os
import sys
import zipfile
from pathlib import Path

# ifcopenshell keeps the whole instance graph in memory: about 8x the file size at peak.
PEAK_FACTOR = 8
# Python, ifcopenshell and SQLAlchemy loaded in a worker, before any file.
WORKER_BASE = 150 * 1024 * 1024


def content_size(path: Path, size: int) -> int:
    """Bytes the parser will read: the uncompressed member for .ifczip, else the file size."""
    if path.suffix.lower() == ".ifczip":
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        except (OSError, zipfile.BadZipFile):
            return size
    return size


def expected_peak(content_bytes: int) -> int:
    return PEAK_FACTOR * max(0, content_bytes)


def available_memory() -> int | None:
    """Physical memory available to new work right now, or None when unknown."""
    try:
        if sys.platform == "win32":
            return _available_windows()
        if sys.platform.startswith("linux"):
            return _available_linux()
        pages = os.sysconf("SC_AVPHYS_PAGES")
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _available_linux() -> int | None:
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def _available_windows() -> int | None:
    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
        return None
    return int(status.ullAvailPhys)
