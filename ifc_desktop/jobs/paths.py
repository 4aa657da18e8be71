"""Which files a drop of paths means."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

IFC_SUFFIXES = (".ifc", ".ifczip", ".ifcxml")


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as given, and the IFC files inside given folders (recursively, sorted).

    Paths that do not exist are kept: their job fails with a clear reason
    instead of the drop silently doing nothing.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.suffix.lower() in IFC_SUFFIXES and p.is_file()]
            yield from sorted(found, key=lambda p: str(p).lower())
        else:
            yield path
