"""What a drop (or a launch argument, or a folder pick) means: which IFC files to import.

Folders are searched recursively for ``.ifc`` and ``.ifczip`` (any case);
anything else is refused with its name, so the window can say why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ifc_desktop.jobs.paths import name_order

IFC_SUFFIXES = (".ifc", ".ifczip")


@dataclass
class DropResult:
    files: list[str] = field(default_factory=list)  # IFC files to import, in order, no duplicates
    refused: list[str] = field(default_factory=list)  # dropped files that are not IFC
    missing: list[str] = field(default_factory=list)  # paths that do not exist
    empty_folders: list[str] = field(default_factory=list)  # folders without any IFC file


def is_ifc_path(path: str | Path) -> bool:
    return str(path).lower().endswith(IFC_SUFFIXES)


def collect_ifc_files(paths: Iterable[str | Path]) -> DropResult:
    result = DropResult()
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.normcase(str(path.resolve()))
        if key not in seen:
            seen.add(key)
            result.files.append(str(path))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = list(_walk_ifc(path))  # in name order with the rest, below
            if not found:
                result.empty_folders.append(str(path))
            for file in found:
                add(file)
        elif path.is_file():
            if is_ifc_path(path):
                add(path)
            else:
                result.refused.append(str(path))
        else:
            result.missing.append(str(path))
    # The order a drop lists its files in is the file manager's (the file under the pointer
    # first): by name they become versions in the order their names say.
    result.files.sort(key=name_order)
    return result


def _walk_ifc(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if is_ifc_path(name):
                yield Path(root) / name


def refusal_message(result: DropResult) -> str:
    """One sentence for the status bar / notice, or "" when nothing was refused."""
    parts = []
    ifc_xml = [p for p in result.refused if p.lower().endswith(".ifcxml")]
    others = [p for p in result.refused if p not in ifc_xml]
    if ifc_xml:
        verb = "is" if len(ifc_xml) == 1 else "are"
        parts.append(
            f"{_names(ifc_xml)} {verb} ifcXML, which IFC Desktop does not read: export the model as .ifc or .ifczip."
        )
    if others:
        noun = "is not an IFC file" if len(others) == 1 else "are not IFC files"
        verb = "was" if len(others) == 1 else "were"
        parts.append(f"{_names(others)} {noun} (.ifc or .ifczip) and {verb} not imported.")
    if result.empty_folders:
        names = ", ".join(Path(p).name or p for p in result.empty_folders[:3])
        parts.append(f"No IFC files found in {names}.")
    if result.missing:
        names = ", ".join(Path(p).name or p for p in result.missing[:3])
        parts.append(f"Not found: {names}.")
    return " ".join(parts)


def _names(paths: list[str]) -> str:
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return ", ".join(Path(p).name for p in paths[:3]) + more
