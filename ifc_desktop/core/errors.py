"""Import failures, classified.

Bad input is *permanent*: retrying cannot help, so the job fails at once.
Everything else (a crashed worker, a busy database, a full disk that may be
freed) is *transient* and may be retried. Messages are written for the person
who dropped the file; technical details go to the log and the job's details.
"""

from __future__ import annotations

import errno
import traceback


class ImportFailure(Exception):
    """An import that did not produce a version."""

    permanent: bool = False

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self):  # keep message and details when pickled across processes
        return (type(self), (self.message, self.details))


class BadInput(ImportFailure):
    """The file itself is the problem: not retried."""

    permanent = True


class UnsupportedFormat(BadInput):
    """A readable file in a schema or format the app does not read."""


class TransientFailure(ImportFailure):
    """Something around the file went wrong; trying again may work."""

    permanent = False


def describe_os_error(exc: OSError) -> str:
    """An operating-system error in a sentence for a person, naming the file when it is known."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"The disk is full{where}: free some space and try again."
    if exc.errno == errno.EROFS:
        return f"The disk is read-only{where}."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Permission denied{where}."
    if exc.errno == errno.ENOENT:
        return f"Not found{where}."
    if exc.errno == errno.ENOTDIR:
        return f"A file stands where a folder belongs{where}."
    return f"{exc.strerror or exc}{where}."


def describe_exception(exc: BaseException) -> str:
    """Exception type, message and traceback, for the log and the details pane."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


# What SQLite's own messages (and the OS's) say when the database cannot be written.
READ_ONLY, BUSY, DISK_FULL = "read-only", "busy", "disk full"


def database_problem(exc: BaseException) -> str | None:
    """READ_ONLY, BUSY or DISK_FULL when ``exc`` (or the driver error it wraps) says so, else None."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "readonly database" in text or "read-only file system" in text:
        return READ_ONLY
    if "database is locked" in text or "database is busy" in text:
        return BUSY
    if "disk is full" in text:  # also SQLite's "database or disk is full"
        return DISK_FULL
    return None


def describe_database_error(exc: BaseException) -> str | None:
    """Plain words for a command that met one of the ``database_problem``s; None for any other error."""
    return {
        READ_ONLY: (
            "The history database is read-only, so nothing was changed: "
            "choose a data folder you can write to (--data-dir or IFC_DESKTOP_DATA_DIR)."
        ),
        BUSY: "The history database stayed busy (another program is writing to it); nothing was changed. Try again.",
        DISK_FULL: "The disk is full, so nothing was changed: free some space and try again.",
    }.get(database_problem(exc))


def as_import_failure(exc: BaseException) -> ImportFailure:
    """Classify any exception raised while importing.

    Known bad-input errors are raised as ``BadInput`` by the opener and the
    extractor; whatever reaches here unclassified is transient unless it is
    clearly about the disk being full, which is transient too but deserves a
    plain message.
    """
    if isinstance(exc, ImportFailure):
        return exc
    details = describe_exception(exc)
    if isinstance(exc, MemoryError):
        return TransientFailure("The computer ran out of memory while reading this file.", details)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return TransientFailure("The disk is full: free some space and retry.", details)
    problem = database_problem(exc)
    if problem == BUSY:
        return TransientFailure("The history database was busy; the import will be retried.", details)
    if problem == DISK_FULL:
        return TransientFailure("The disk is full: free some space and retry.", details)
    if problem == READ_ONLY:
        return TransientFailure("The data folder is read-only: IFC Desktop cannot save the version there.", details)
    if "changed while it was being stored" in str(exc):  # store.blobs: its SHA-256 moved under the copy
        return TransientFailure(
            "The file changed while it was being imported (is it still being saved or copied?); it will be read again.",
            details,
        )
    return TransientFailure(f"Unexpected error while importing: {type(exc).__name__}: {exc}", details)
