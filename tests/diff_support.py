"""Helpers for the diff tests: extract real samples, write edited copies, rewrite STEP files."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.geometry
import ifcopenshell.util.placement
import numpy as np

from ifc_desktop.core.extract import extract
from ifc_desktop.core.opener import prepare
from ifc_desktop.core.progress import StageReporter
from ifc_desktop.core.snapshot import Snapshot
from ifc_desktop.jobs.task import STAGES
from tests.conftest import sample

FZK_HAUS = sample("ifc4_archicad20_fzk_haus.ifc")
DUPLEX = sample("ifc2x3_revit2011_duplex_apartment_A.ifc")


def snapshot_of(path: Path, temp_dir: Path) -> Snapshot:
    prepared = prepare(path, temp_dir)
    try:
        return extract(prepared, StageReporter(STAGES, None))
    finally:
        prepared.cleanup()


def edited_copy(source: Path, target: Path, edit: Callable[[ifcopenshell.file], object]) -> object:
    """Open ``source``, apply ``edit`` and write the result to ``target``; returns what ``edit`` returned."""
    ifc = ifcopenshell.open(str(source))
    outcome = edit(ifc)
    ifc.write(str(target))
    return outcome


def move(ifc: ifcopenshell.file, global_id: str, offset=(0.0, 0.0, 0.0), turn: float = 0.0) -> None:
    """Move (in model units) and turn (radians about the vertical) an element in world coordinates."""
    element = ifc.by_guid(global_id)
    matrix = ifcopenshell.util.placement.get_local_placement(element.ObjectPlacement)
    c, s = math.cos(turn), math.sin(turn)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    matrix[:3, :3] = rotation @ matrix[:3, :3]
    matrix[:3, 3] += offset
    ifcopenshell.api.geometry.edit_object_placement(ifc, product=element, matrix=matrix, is_si=False)


# -- STEP rewriting ---------------------------------------------------------------------

# A string literal ('' is an escaped quote), a comment, a statement end, or an instance reference.
_TOKEN = re.compile(r"'(?:[^']|'')*'|/\*.*?\*/|;|#(\d+)", re.DOTALL)
_INSTANCE = re.compile(r"\s*#(\d+)\s*=\s*(.*)", re.DOTALL)
_DATA = re.compile(r"(?m)^\s*DATA\s*;")


def split_step(text: str) -> tuple[str, list[tuple[int, str]], str]:
    """(everything up to and including "DATA;", [(id, body)], everything from the closing ENDSEC on)."""
    match = _DATA.search(text)
    if match is None:
        raise ValueError("no DATA section")
    head, position = text[: match.end()], match.end()
    instances: list[tuple[int, str]] = []
    start = position
    for token in _TOKEN.finditer(text, position):
        if token.group(0) != ";":
            continue
        statement = text[start : token.start()]
        start = token.end()
        if statement.strip().upper() == "ENDSEC":
            return head, instances, "\nENDSEC;" + text[start:]
        parsed = _INSTANCE.fullmatch(statement)
        if parsed is None:
            raise ValueError(f"not an instance: {statement[:80]!r}")
        instances.append((int(parsed.group(1)), parsed.group(2).strip()))
    raise ValueError("DATA section is not closed")


def remap_references(body: str, mapping: dict[int, int]) -> str:
    """``body`` with every #id outside string literals replaced by ``#mapping[id]``."""

    def replace(token: re.Match[str]) -> str:
        if token.group(1) is None:
            return token.group(0)
        return f"#{mapping[int(token.group(1))]}"

    return _TOKEN.sub(replace, body)


def renumber_step(source: Path, target: Path, seed: int = 7) -> dict[int, int]:
    """Write ``source`` again with every instance renumbered and the instances shuffled.

    New ids are a random permutation over a wider range, so neither the order
    nor the numbering of the original survives. Returns old id -> new id.
    """
    text = source.read_bytes().decode("latin-1")  # byte-exact round trip
    head, instances, tail = split_step(text)
    rng = random.Random(seed)
    new_ids = rng.sample(range(1, 3 * len(instances) + 10), len(instances))
    mapping = {old: new for (old, _), new in zip(instances, new_ids, strict=True)}
    rewritten = [f"#{mapping[old]}={remap_references(body, mapping)};" for old, body in instances]
    rng.shuffle(rewritten)
    target.write_bytes((head + "\n" + "\n".join(rewritten) + tail).encode("latin-1"))
    return mapping


def touch_owner_histories(ifc: ifcopenshell.file, timestamp: int = 1_900_000_000) -> None:
    """What a re-export does to owner histories: new change timestamps."""
    for history in ifc.by_type("IfcOwnerHistory"):
        history.LastModifiedDate = timestamp
        history.CreationDate = timestamp - 1000
        history.ChangeAction = "MODIFIED"
