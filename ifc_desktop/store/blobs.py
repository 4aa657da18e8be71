"""Source files, stored compressed and content-addressed by SHA-256.

A blob lives at ``<data_dir>/sources/<ab>/<sha256>.ifc.gz`` (``ab`` = first two hex
digits). It is written to a temporary file in the same folder and renamed into
place, so a crash never leaves a half-written blob under its final name.

gzip level 1 was chosen by measurement on IFC text: about 155 MB/s to compress
with a ratio of 0.26, against 120 MB/s / 0.25 at level 3 and 50 MB/s / 0.22 at
level 6; decompression runs at about 350 MB/s whatever the level.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ifc_desktop.store.db import StoreError

SOURCES_DIR = "sources"
COMPRESS_LEVEL = 1
CHUNK_SIZE = 1 << 20
_GZIP_WBITS = 31  # zlib with a gzip header and trailer (mtime 0, no file name: same bytes, same blob)
_TEMP_PREFIX = ".tmp-"
_ORPHAN_PREFIX = ".orphan-"  # a blob set aside while checking that no version uses it
STALE_AFTER = 24 * 3600.0  # seconds a temporary or unused file is left alone: it may belong to a running import
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class BlobError(StoreError):
    """A stored source file is missing, damaged, or does not match its SHA-256."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str  # path relative to the sources folder, e.g. "ab/ab12...ef.ifc.gz"
    size: int  # original size in bytes
    compressed_size: int


def blob_key(sha256: str) -> str:
    """The relative path of the blob for ``sha256`` (validated: it becomes a file name)."""
    if not _SHA256_RE.match(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return f"{sha256[:2]}/{sha256}.ifc.gz"


def file_sha256(path: Path, fraction: Callable[[float], None] | None = None) -> str:
    """The file's SHA-256 (hex); ``fraction`` is told how much has been read after each chunk."""
    digest = hashlib.sha256()
    total = max(Path(path).stat().st_size, 1)
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            done += len(chunk)
            if fraction is not None:
                fraction(done / total)
    return digest.hexdigest()


def _replace_into(temp_path: Path, final_path: Path) -> None:
    try:
        os.replace(temp_path, final_path)
    except PermissionError:
        # Windows refuses to replace a file another process has open; that file
        # holds the same content (same SHA-256), so keeping it is right.
        if not final_path.exists():
            raise
        temp_path.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, data_dir: Path, *, level: int = COMPRESS_LEVEL):
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / SOURCES_DIR
        self.level = level

    def path_for(self, key: str) -> Path:
        return self.root / key

    def path_for_sha(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def has(self, sha256: str) -> bool:
        return self.path_for_sha(sha256).is_file()

    def info(self, sha256: str) -> BlobInfo:
        """Sizes of a stored blob; the original size is read from the gzip trailer."""
        path = self.path_for_sha(sha256)
        try:
            compressed_size = path.stat().st_size
            with open(path, "rb") as handle:
                handle.seek(-4, os.SEEK_END)
                size_mod_4g = int.from_bytes(handle.read(4), "little")
        except OSError as error:
            raise BlobError(f"The stored source file {path} cannot be read: {error}") from error
        return BlobInfo(blob_key(sha256), size_mod_4g, compressed_size)

    def put_file(self, source: Path, sha256: str, *, rewrite: bool = False) -> BlobInfo:
        """Store ``source`` under ``sha256``, streaming; skipped when already stored, unless ``rewrite``.

        The bytes are hashed while they are compressed: a file that changed since
        its SHA-256 was taken is refused rather than stored under the wrong key.
        """
        key = blob_key(sha256)
        final_path = self.root / key
        # Touched: the blob is about to be used again, so a sweep of unused blobs keeps it.
        if _touch(final_path) and not rewrite:
            try:
                info = self.info(sha256)
            except BlobError:
                info = None  # set aside by a sweep a moment ago: written anew below
            if info is not None:
                try:
                    return BlobInfo(key, Path(source).stat().st_size, info.compressed_size)
                except OSError:
                    return info  # the gzip trailer holds the size modulo 4 GiB
        final_path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=final_path.parent)
        temp_path = Path(temp_name)
        try:
            digest = hashlib.sha256()
            compressor = zlib.compressobj(self.level, zlib.DEFLATED, _GZIP_WBITS)
            size = 0
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                while chunk := src.read(CHUNK_SIZE):
                    size += len(chunk)
                    digest.update(chunk)
                    out.write(compressor.compress(chunk))
                out.write(compressor.flush())
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise BlobError(f"{source} changed while it was being stored (its SHA-256 is no longer {sha256}).")
            compressed_size = temp_path.stat().st_size
            _replace_into(temp_path, final_path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return BlobInfo(key, size, compressed_size)

    def is_intact(self, sha256: str) -> bool:
        """Whether the blob of ``sha256`` is there and decompresses to bytes of that SHA-256."""
        digest = hashlib.sha256()
        decompressor = zlib.decompressobj(_GZIP_WBITS)
        try:
            with open(self.path_for_sha(sha256), "rb") as src:
                while chunk := src.read(CHUNK_SIZE):
                    digest.update(decompressor.decompress(chunk))
                digest.update(decompressor.flush())
        except (OSError, zlib.error):
            return False
        return decompressor.eof and digest.hexdigest() == sha256

    def looks_intact(self, sha256: str, size: int) -> bool:
        """A quick check of the blob of a ``size``-byte file, without reading it: it is there, and
        its gzip trailer gives that size (a copy cut short does not)."""
        try:
            return self.info(sha256).size == size % 2**32
        except BlobError:
            return False

    def restore(self, source: Path, sha256: str) -> bool:
        """Store ``source`` again when the stored copy of its bytes is missing or damaged;
        True when it was (a re-import of the original repairs the store)."""
        if self.is_intact(sha256):
            return False
        self.put_file(source, sha256, rewrite=True)
        return True

    def export(self, key: str, out_path: Path, *, sha256: str | None = None) -> None:
        """Write the original bytes of blob ``key`` to ``out_path`` (replaced atomically).

        With ``sha256`` the bytes are checked while written; a mismatch raises BlobError
        and leaves ``out_path`` untouched.
        """
        blob_path = self.root / key
        if not blob_path.is_file():
            raise BlobError(f"The stored source file {blob_path} is missing.")
        out_path = _export_target(Path(out_path))
        if _is_within(out_path, self.data_dir):
            # Its database, stored files and logs: an export there could replace the history itself.
            raise BlobError(
                f"{out_path} is inside IFC Desktop's data folder ({self.data_dir}); export to another folder."
            )
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=out_path.parent)
        temp_path = Path(temp_name)
        try:
            # mkstemp makes the file private; an exported file gets the permissions of
            # the file it replaces, or those of any new file.
            _chmod(temp_path, out_path.stat().st_mode & 0o7777 if out_path.exists() else 0o666 & ~_umask())
            digest = hashlib.sha256()
            decompressor = zlib.decompressobj(_GZIP_WBITS)
            with os.fdopen(fd, "wb") as out, open(blob_path, "rb") as src:
                try:
                    while chunk := src.read(CHUNK_SIZE):
                        data = decompressor.decompress(chunk)
                        digest.update(data)
                        out.write(data)
                    data = decompressor.flush()
                except zlib.error as error:
                    raise BlobError(f"The stored source file {blob_path} is damaged: {error}") from error
                digest.update(data)
                out.write(data)
            if not decompressor.eof:
                raise BlobError(f"The stored source file {blob_path} is truncated.")
            if sha256 is not None and digest.hexdigest() != sha256:
                raise BlobError(f"The stored source file {blob_path} does not match its SHA-256 {sha256}.")
            os.replace(temp_path, out_path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise

    def remove_stale_temp_files(self, older_than: float = STALE_AFTER) -> int:
        """Delete temporary files left by a crash; recent ones may belong to a running import."""
        if not self.root.is_dir():
            return 0
        limit = time.time() - older_than
        removed = 0
        for temp_path in self.root.glob(f"*/{_TEMP_PREFIX}*"):
            try:
                if temp_path.stat().st_mtime < limit:
                    temp_path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def remove_unused(
        self,
        used: Callable[[], set[str]],
        is_used: Callable[[str], bool],
        older_than: float = STALE_AFTER,
        written_after: float = 0.0,
    ) -> int:
        """Delete blobs no version uses (a failed import's source, a zip whose content was
        already stored), once untouched for ``older_than`` seconds; returns how many. Blobs
        last written before ``written_after`` (a time stamp) are never deleted: they are older
        than the history that says it does not use them.

        Safe beside running imports: an import touches a blob it reuses before its version
        is saved, and each candidate is renamed aside before ``is_used`` is asked again, so
        an import that saves meanwhile finds the blob gone and writes it anew, or the blob
        is put back. A blob left aside by a crash is put back or deleted on the next sweep.
        ``used`` gives the SHA-256 of every blob in use, ``is_used`` asks again for one.
        """
        if not self.root.is_dir():
            return 0
        limit = time.time() - older_than
        removed = 0
        for aside in self.root.glob(f"*/{_ORPHAN_PREFIX}*"):
            removed += self._settle(aside, is_used, limit, written_after)
        in_use = used()
        for path in self.root.glob("*/*.ifc.gz"):
            sha256 = path.name.removesuffix(".ifc.gz")
            if not _SHA256_RE.match(sha256) or sha256 in in_use:
                continue
            try:
                if not written_after <= path.stat().st_mtime < limit:
                    continue
                aside = path.with_name(_ORPHAN_PREFIX + path.name)
                os.replace(path, aside)
            except OSError:
                continue
            removed += self._settle(aside, is_used, limit, written_after)
        return removed

    def _settle(self, aside: Path, is_used: Callable[[str], bool], limit: float, written_after: float) -> int:
        """Delete a blob set aside when it is still unused and untouched, else put it back."""
        final_path = aside.with_name(aside.name.removeprefix(_ORPHAN_PREFIX))
        sha256 = final_path.name.removesuffix(".ifc.gz")
        try:
            stale = written_after <= aside.stat().st_mtime < limit
            if _SHA256_RE.match(sha256) and stale and not is_used(sha256):
                aside.unlink()
                return 1
            if final_path.exists():  # written anew meanwhile: the same bytes
                aside.unlink()
            else:
                os.replace(aside, final_path)
        except OSError:
            pass
        return 0


def _touch(path: Path) -> bool:
    """Set the file's modification time to now; False when it does not exist."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return path.is_file()


def _export_target(path: Path) -> Path:
    """The file an export writes: through a link to the file it points to; never a folder or a device."""
    if path.is_symlink():
        path = path.resolve()
    if path.is_dir():
        raise BlobError(f"{path} is a folder: give the name of the file to write, e.g. {path / 'model.ifc'}.")
    if path.exists() and not path.is_file():
        raise BlobError(f"{path} is not a regular file; choose a file name to write the model to.")
    if not path.parent.is_dir():
        raise BlobError(f"The folder {path.parent} does not exist.")
    return path


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


def _umask() -> int:
    """The process's umask; read without changing it where the system says it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(current)
    return current


def _chmod(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except OSError:  # a file system without Unix permissions
        pass
