"""Which files a drop of paths means."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

IFC_SUFFIXES = (".ifc", ".ifczip", ".ifcxml")
_DIGITS = re.compile(r"(\d+)")


def name_order(path: str | os.PathLike[str]) -> tuple[tuple[str | int, ...], str]:
    """Sort key putting paths in the order a file manager shows them: case ignored and
    numbers by value, so "rev2" comes before "rev10" (versions are numbered in this order)."""
    text = os.fspath(path)
    # Text and numbers alternate, text first: two keys compare text with text, number with number.
    parts = _DIGITS.split(text.casefold())
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), text


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
            yield from sorted(found, key=name_order)
        else:
            yield path
