"""What a file is, read in one pass before it is parsed: its SHA-256 and its IfcProject GlobalId.

The job engine saves the versions of one model in queue order, so an import waits
for every earlier file that may be of the same model. Which model a file belongs to
is known from its IfcProject; finding the project's line while the bytes are hashed
anyway tells it seconds (for a large file, minutes) before the parser would, and a
small file of another model need not wait for a large one still being read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
_KEYWORD = b"IFCPROJECT("
_CONTEXT = 64  # bytes read around the keyword to check it starts an instance and holds a GlobalId
_INSTANCE = re.compile(rb"#\d+\s*=\s*IFCPROJECT\(\s*'([0-9A-Za-z_$]{22})'")


@dataclass(frozen=True)
class FileIdentity:
    sha256: str
    project_global_id: str | None  # None: no IfcProject found in the text


def read_identity(path: Path, fraction: Callable[[float], None] | None = None) -> FileIdentity:
    """The file's SHA-256 and the GlobalId of the first IfcProject in its text, if any.

    A valid file has one project; for an invalid one with several, the parser's answer
    (see ``core.extract``) replaces this one. A compressed file (.ifczip) gives no project:
    its text is not read here.
    """
    digest = hashlib.sha256()
    total = max(Path(path).stat().st_size, 1)
    done = 0
    found: int | None = None  # offset of the first IfcProject keyword
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            if found is None:
                # A keyword across the end of the last chunk, else one in this chunk.
                across = (tail + chunk[: len(_KEYWORD) - 1]).find(_KEYWORD)
                if across != -1:
                    found = done - len(tail) + across
                elif (inside := chunk.find(_KEYWORD)) != -1:
                    found = done + inside
                tail = chunk[-(len(_KEYWORD) - 1) :]
            done += len(chunk)
            if fraction is not None:
                fraction(done / total)
        project = _project_at(handle, found) if found is not None else None
    return FileIdentity(digest.hexdigest(), project)


def _project_at(handle: BinaryIO, offset: int) -> str | None:
    """The GlobalId of the IfcProject instance whose keyword is at ``offset``, if it is one."""
    start = max(0, offset - _CONTEXT)
    handle.seek(start)
    text = handle.read(offset - start + _CONTEXT)
    keyword = offset - start
    for match in _INSTANCE.finditer(text):
        if match.start() <= keyword and match.end() >= keyword + len(_KEYWORD):
            return match.group(1).decode("ascii")
    return None
