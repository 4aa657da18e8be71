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
    project_global_id: str | None  # None: no IfcProject found in the text, or more than one


def read_identity(path: Path, fraction: Callable[[float], None] | None = None) -> FileIdentity:
    """The file's SHA-256 and, when its text names exactly one IfcProject, that project's GlobalId.

    A file naming several (an invalid file, or one with a project in a comment) gives none:
    the parser decides which is the project, and a wrong guess here could let a later file
    of the same model save first. A compressed file (.ifczip) gives no project either: its
    text is not read here.
    """
    digest = hashlib.sha256()
    total = max(Path(path).stat().st_size, 1)
    done = 0
    found: list[int] = []  # offsets of the IfcProject keyword (two are as many as it takes)
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            if len(found) < 2:
                # A keyword across the end of the last chunk, then those in this chunk.
                across = (tail + chunk[: len(_KEYWORD) - 1]).find(_KEYWORD)
                if across != -1:
                    found.append(done - len(tail) + across)
                inside = chunk.find(_KEYWORD)
                while inside != -1 and len(found) < 2:
                    found.append(done + inside)
                    inside = chunk.find(_KEYWORD, inside + 1)
                tail = chunk[-(len(_KEYWORD) - 1) :]
            done += len(chunk)
            if fraction is not None:
                fraction(done / total)
        project = _project_at(handle, found[0]) if len(found) == 1 else None
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
