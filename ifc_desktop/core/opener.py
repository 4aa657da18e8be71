"""Check a dropped file and hand ifcopenshell something it can read.

Everything that can be decided from the bytes alone is decided here, before
the parser runs: whether the path is readable, whether it is STEP, ifcXML, a
zip or something else entirely, which schema it declares, and whether the file
is complete. ifcopenshell reads a truncated file silently, so completeness is
checked here or an incomplete version would be saved.

The user's file is never modified. Zipped files and files whose schema name
is an alias of a supported schema are copied to a temporary file that the
caller removes.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput, UnsupportedFormat

SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3_ADD2")

# Schema names real exporters write that read correctly as a supported schema.
SCHEMA_ALIASES = {
    "IFC2X3_FINAL": "IFC2X3",
    "IFC2X3_TC1": "IFC2X3",
    "IFC4_ADD1": "IFC4",
    "IFC4_ADD2": "IFC4",
    "IFC4_ADD2_TC1": "IFC4",
    "IFC4_TC1": "IFC4",
    "IFC4X3": "IFC4X3_ADD2",
    "IFC4X3_ADD1": "IFC4X3_ADD2",
    "IFC4X3_TC1": "IFC4X3_ADD2",
    "IFC4X3_ADD2_TC1": "IFC4X3_ADD2",
}

HEADER_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024 * 1024
TAIL_BYTES = 4096
SCAN_CHUNK = 4 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_PADDING = b" \t\r\n\x00\x1a"
_ASCII = bytes(range(128))
# A zipped IFC rarely compresses better than 30:1; far beyond that is a zip bomb.
MAX_ZIP_RATIO = 200
MAX_ZIP_UNPACKED = 8 * 1024**3

_DATA_KEYWORD_RE = re.compile(rb"[\r\n;]\s*DATA\s*;")
_SCHEMA_RE = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'", re.IGNORECASE)
_END_MARKER = b"END-ISO-10303-21;"
_END_RE = re.compile(rb"ENDSEC\s*;\s*END-ISO-10303-21\s*;\s*\Z", re.IGNORECASE)
_COMMENT_RE = re.compile(rb"/\*.*?\*/", re.DOTALL)
# A STEP text up to (not with) its closing quote: '' is a quote in it, and \S\ takes the next
# character, a quote included (the parser reads it so, and exporters write it).
STEP_TEXT_OPEN = rb"'[^'\\]*(?:(?:''|\\S\\.|\\(?!S\\))[^'\\]*)*"
# What a header holds around its FILE_SCHEMA: texts and comments (either may be cut off where the
# bytes read end), and the FILE_SCHEMA entry itself.
_HEADER_TOKEN_RE = re.compile(
    rb"(?P<text>" + STEP_TEXT_OPEN + rb"'?)|(?P<comment>/\*.*?(?:\*/|\Z))|(?P<schema>FILE_SCHEMA\s*\(\s*\(\s*')",
    re.DOTALL | re.IGNORECASE,
)

_SIGNATURES = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"BM", None),  # too short to be sure; only used with the extension check below
    (b"\xd0\xcf\x11\xe0", "a Microsoft Office document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
]


@dataclass(slots=True)
class PreparedFile:
    """A file ready for ``ifcopenshell.open``."""

    original: Path
    readable_path: Path  # the original, or a temporary copy
    schema_declared: str
    schema_read: str
    size: int
    warnings: list[str] = field(default_factory=list)
    temporary: bool = False
    # SHA-256 of the IFC file inside a zip archive: the same model may arrive zipped or not.
    # None when the original is the IFC file itself.
    content_sha256: str | None = None

    def cleanup(self) -> None:
        if self.temporary:
            self.readable_path.unlink(missing_ok=True)


def check_readable(path: Path) -> int:
    """Size of a regular, readable, non-empty file; BadInput otherwise."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BadInput(f"The file {path.name!r} does not exist in {path.parent}.") from None
    except OSError as exc:
        raise BadInput(f"The file {path.name!r} cannot be reached: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{path.name!r} is a folder, not an IFC file.")
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{path.name!r} is not a regular file.")
    if info.st_size == 0:
        raise BadInput(f"The file {path.name!r} is empty (0 bytes).")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except PermissionError:
        raise BadInput(f"You do not have permission to read {path.name!r}.") from None
    except OSError as exc:
        raise BadInput(f"The file {path.name!r} cannot be read: {exc.strerror or exc}.") from None
    return info.st_size


def prepare(path: Path, temp_dir: Path) -> PreparedFile:
    """Check ``path`` and return something ``ifcopenshell.open`` can read.

    Raises ``BadInput`` (or ``UnsupportedFormat``) with a message for a person.
    """
    path = Path(path)
    size = check_readable(path)
    head = _read_head(path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _prepare_zip(path, size, temp_dir)
    if path.suffix.lower() == ".ifczip":
        raise BadInput(f"{path.name!r} is named .ifczip but is not a zip archive.")
    return _prepare_step(path, path, size, head, temp_dir)


def _read_head(path: Path) -> bytes:
    """The start of the file, up to its FILE_SCHEMA: ``HEADER_BYTES``, or up to ``MAX_HEADER_BYTES``
    when no FILE_SCHEMA (outside comments) nor DATA section is in the first part."""
    with open(path, "rb") as handle:
        head = handle.read(HEADER_BYTES)
        if len(head) == HEADER_BYTES and not _DATA_KEYWORD_RE.search(head) and not _schema_outside_comments(head):
            head += handle.read(MAX_HEADER_BYTES - HEADER_BYTES)
    return head


def _describe_foreign(head: bytes) -> str | None:
    for signature, what in _SIGNATURES:
        if what and head.startswith(signature):
            return what
    return None


def _schema_outside_comments(head: bytes) -> re.Match[bytes] | None:
    """The FILE_SCHEMA entry of the header: not one quoted in a /* comment */ (nor in a comment
    still open where ``head`` ends), nor in a text."""
    for token in _HEADER_TOKEN_RE.finditer(head):
        if token.lastgroup == "schema":
            return _SCHEMA_RE.match(head, token.start())
    return None


def _skip_leading_comments(head: bytes) -> bytes:
    """``head`` from its first keyword: some exporters put a /* comment */ before ISO-10303-21."""
    text = head.lstrip(_BOM + b" \t\r\n")
    while text.startswith(b"/*"):
        end = text.find(b"*/", 2)
        if end < 0:
            break
        text = text[end + 2 :].lstrip(b" \t\r\n")
    return text


def _looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(_BOM + b" \t\r\n")
    return text.startswith(b"<?xml") or text.startswith(b"<")


def _prepare_step(original: Path, readable: Path, size: int, head: bytes, temp_dir: Path) -> PreparedFile:
    name = original.name
    stripped = _skip_leading_comments(head)
    if _looks_like_xml(head):
        raise UnsupportedFormat(
            f"{name!r} is an ifcXML file. IFC Desktop reads IFC STEP files (.ifc) and zipped STEP "
            "files (.ifczip); export the model as .ifc instead."
        )
    if not stripped.upper().startswith(b"ISO-10303-21"):
        foreign = _describe_foreign(head)
        if foreign:
            raise BadInput(f"{name!r} is {foreign}, not an IFC file.")
        if _is_utf16(head):
            raise BadInput(
                f"{name!r} is saved as UTF-16 text, which IFC readers do not accept: IFC files are plain "
                "ASCII. Export it again, or save it as UTF-8 or ANSI in a text editor."
            )
        if b"\x00" in head[:1024]:
            raise BadInput(f"{name!r} is not an IFC file: it contains binary data.")
        raise BadInput(f"{name!r} is not an IFC file: it does not start with ISO-10303-21.")
    match = _schema_outside_comments(head)
    if not match:
        raise BadInput(f"{name!r} has no FILE_SCHEMA in its header, so its IFC version is unknown.")
    written = match.group(1).decode("ascii", "replace")
    declared = written.strip()
    schema_read = _schema_to_read(declared, name)
    # The parser rejects a UTF-8 byte order mark as a damaged header; it is dropped in the copy.
    bom = head.startswith(_BOM)
    content_end, trailing = _check_complete(readable, name)
    warnings = _scan_bytes(readable, name, start=len(_BOM) if bom else 0, end=content_end)
    if trailing:
        warnings.insert(
            0,
            "The file goes on after its end (END-ISO-10303-21;). The IFC reader reads what follows too, so this "
            "version may hold entities that do not belong to the model; a clean export avoids that.",
        )
    # The parser takes the name as written: spaces around it, or small letters, make it unknown there.
    renamed = written != schema_read
    if declared.upper() != schema_read:
        warnings.append(
            f"The file declares schema {declared}, which IFC Desktop reads as {schema_read} "
            "(the file itself is not changed)."
        )
    prepared = PreparedFile(original, readable, declared, schema_read, size, warnings, temporary=readable != original)
    if renamed or bom:
        prepared.readable_path = _rewrite_schema(readable, match, schema_read, temp_dir, skip=len(_BOM) if bom else 0)
        if readable != original:  # already a temporary copy: drop the intermediate one
            readable.unlink(missing_ok=True)
        prepared.temporary = True
    return prepared


def _schema_to_read(declared: str, name: str) -> str:
    upper = declared.upper()
    if upper in SUPPORTED_SCHEMAS:
        return upper
    if upper in SCHEMA_ALIASES:
        return SCHEMA_ALIASES[upper]
    supported = ", ".join(SUPPORTED_SCHEMAS)
    if re.fullmatch(r"IFC4X3_?RC\d*|IFC4X[12](_.*)?|IFC4_?RC\d*", upper):
        release = "IFC4" if upper.startswith("IFC4_") or upper.startswith("IFC4RC") else "IFC4X3_ADD2"
        raise UnsupportedFormat(
            f"{name!r} uses the pre-release schema {declared}, which is not supported "
            f"(supported: {supported}). Export it again as {release}."
        )
    if not declared:
        raise BadInput(f"{name!r} declares an empty FILE_SCHEMA, so its IFC version is unknown.")
    raise UnsupportedFormat(f"{name!r} uses the schema {declared}, which is not supported (supported: {supported}).")


def _is_utf16(head: bytes) -> bool:
    """UTF-16 (a Windows editor's "Unicode"): a byte order mark, or ISO-10303-21 with a zero byte after each letter."""
    return (
        head.startswith((b"\xff\xfe", b"\xfe\xff"))
        or b"I\x00S\x00O\x00-\x00" in head[:64]
        or b"\x00I\x00S\x00O\x00-" in head[:64]
    )


def _check_complete(path: Path, name: str) -> tuple[int, bool]:
    """A STEP file must end with ENDSEC; END-ISO-10303-21; - otherwise it was cut off.

    Returns where the content ends (the file size less the padding after it), and whether
    more data follows a complete file's end marker.
    """
    with open(path, "rb") as handle:
        content_end = handle.seek(0, os.SEEK_END)
        while content_end > 0:  # back past the padding, however long
            handle.seek(max(0, content_end - TAIL_BYTES))
            block = handle.read(content_end - max(0, content_end - TAIL_BYTES))
            content_end -= len(block) - len(block.rstrip(_PADDING))
            if block.rstrip(_PADDING):
                break
        handle.seek(max(0, content_end - TAIL_BYTES))
        raw_tail = handle.read(content_end - max(0, content_end - TAIL_BYTES))
    tail = _COMMENT_RE.sub(b"", raw_tail).rstrip(_PADDING)
    if not _END_RE.search(tail):
        if tail.upper().endswith(_END_MARKER):
            raise BadInput(f"{name!r} is damaged: the DATA section is not closed (ENDSEC; is missing).")
        end = tail.upper().rfind(_END_MARKER)
        if (end >= 0 and _END_RE.search(tail[: end + len(_END_MARKER)])) or _ends_before(path):
            return content_end, True
        raise BadInput(
            f"{name!r} is incomplete: it does not end with END-ISO-10303-21; - it was probably cut off "
            "while being exported, downloaded or copied. Get a complete copy and import it again."
        )
    return content_end, False


_CLOSED_RE = re.compile(rb"ENDSEC\s*;\s*END-ISO-10303-21\s*;", re.IGNORECASE)


def _ends_before(path: Path) -> bool:
    """Whether the file's model ends (ENDSEC; END-ISO-10303-21;) somewhere before more data follows.

    Read only for files whose last bytes do not end it: a long tail after the end, or a cut-off file.
    """
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _CLOSED_RE.search(data) is not None
    except (OSError, ValueError):
        return False


def _scan_bytes(path: Path, name: str, *, start: int, end: int) -> list[str]:
    """Bytes the parser would mishandle without a word: NUL (refused) and raw non-ASCII text (a warning).

    STEP text is ASCII, other characters being written as escapes (\\X2\\...\\X0\\).
    ifcopenshell drops raw non-ASCII bytes from strings, and a NUL byte between
    entities makes it skip the entity that follows. One streaming pass over bytes
    ``start:end`` (after any byte order mark, before the padding that follows the
    end marker), mostly in C.
    """
    position, line, ends, carry = start, 1, 0, b""
    first_non_ascii: int | None = None
    with open(path, "rb") as handle:
        handle.seek(position)
        while position < end and (chunk := handle.read(min(SCAN_CHUNK, end - position))):
            ends += (carry + chunk).count(_END_MARKER)  # ``carry``: a marker split between two chunks
            carry = chunk[-(len(_END_MARKER) - 1) :]
            if b"\x00" in chunk:
                at = line + chunk.count(b"\n", 0, chunk.index(b"\x00"))
                raise BadInput(
                    f"{name!r} is damaged: it contains NUL (zero) bytes, the first on line {at}. It was probably "
                    "corrupted while being saved or copied; export it again."
                )
            if first_non_ascii is None and not chunk.isascii():
                first_non_ascii = line + chunk.count(b"\n", 0, len(chunk) - len(chunk.lstrip(_ASCII)))
            line += chunk.count(b"\n")
            position += len(chunk)
    warnings = []
    if ends > 1:
        warnings.append(
            f"The file holds {ends} IFC files one after the other (END-ISO-10303-21; occurs {ends} times); the IFC "
            "reader reads them as one model, so this version may mix them. Import them as separate files."
        )
    if first_non_ascii is not None:
        warnings.append(
            f"Some texts contain characters that are not written as IFC escapes (the first on line "
            f"{first_non_ascii}); the IFC reader leaves such characters out, so those names and texts are incomplete."
        )
    return warnings


def _rewrite_schema(source: Path, match: re.Match[bytes], schema: str, temp_dir: Path, skip: int = 0) -> Path:
    """Copy ``source`` without its first ``skip`` bytes and with its FILE_SCHEMA name replaced."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    target = _temp_path(temp_dir, ".ifc")
    start, stop = match.span(1)
    with open(source, "rb") as src, open(target, "wb") as dst:
        head = src.read(stop)
        dst.write(head[skip:start] + schema.encode("ascii") + head[stop:])
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return target


def _temp_path(temp_dir: Path, suffix: str) -> Path:
    import tempfile

    handle, name = tempfile.mkstemp(prefix=f"import-{os.getpid()}-", suffix=suffix, dir=temp_dir)
    os.close(handle)
    return Path(name)


def _is_mac_metadata(filename: str) -> bool:
    """Entries macOS adds to the zips it makes (``__MACOSX/``, ``._name`` resource forks): not content."""
    parts = filename.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith("._")


def _prepare_zip(path: Path, size: int, temp_dir: Path) -> PreparedFile:
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput(f"{name!r} is a damaged zip archive: {exc}.") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _is_mac_metadata(info.filename)]
        for info in members:
            parts = info.filename.replace("\\", "/").split("/")
            if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise BadInput(f"{name!r} contains an unsafe path ({info.filename!r}); it was not opened.")
        ifc = [m for m in members if m.filename.lower().endswith(".ifc")]
        xml = [m for m in members if m.filename.lower().endswith((".ifcxml", ".xml"))]
        if not ifc:
            if xml:
                raise UnsupportedFormat(
                    f"{name!r} contains an ifcXML file ({xml[0].filename}). IFC Desktop reads IFC STEP "
                    "files; export the model as .ifc or .ifczip with a .ifc inside."
                )
            raise BadInput(f"{name!r} is a zip archive with no .ifc file inside.")
        if len(ifc) > 1:
            names = ", ".join(m.filename for m in ifc[:5])
            raise BadInput(
                f"{name!r} contains {len(ifc)} IFC files ({names}); an .ifczip must hold exactly one. "
                "Unzip it and import the files one by one."
            )
        member = ifc[0]
        if member.flag_bits & 0x1:
            raise BadInput(
                f"{name!r} is password-protected, which IFC Desktop cannot open. Unzip it with its password "
                "and import the .ifc file inside."
            )
        compressed = max(member.compress_size, 1)
        if member.file_size > MAX_ZIP_UNPACKED or (
            member.file_size > 64 * 1024**2 and member.file_size / compressed > MAX_ZIP_RATIO
        ):
            raise BadInput(
                f"{name!r} claims to unpack to {member.file_size / 1024**3:.1f} GB from "
                f"{member.compress_size / 1024**2:.1f} MB; it was not unpacked (possible zip bomb)."
            )
        temp_dir.mkdir(parents=True, exist_ok=True)
        target = _temp_path(temp_dir, ".ifc")
        try:
            content_sha256 = _extract_capped(archive, member, target, name)
            head = _read_head(target)
            if not head:
                raise BadInput(f"The IFC file inside {name!r} is empty.")
            prepared = _prepare_step(path, target, size, head, temp_dir)
            prepared.content_sha256 = content_sha256
            return prepared
        except BaseException:
            target.unlink(missing_ok=True)
            raise


def _extract_capped(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, name: str) -> str:
    """Unpack one member, never writing more than it declares (zip headers can lie); returns its SHA-256."""
    limit = member.file_size
    written = 0
    digest = hashlib.sha256()
    try:
        with archive.open(member) as src, open(target, "wb") as dst:
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    raise BadInput(f"{name!r} unpacks to more data than it declares; it was not opened.")
                digest.update(chunk)
                dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise
        raise BadInput(f"{name!r} is a damaged zip archive: {exc}.") from None
    return digest.hexdigest()
