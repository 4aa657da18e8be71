"""The import task: what one worker process does for one job.

It checks the file, recognises content that is already a version (the same
bytes, or the same IFC file zipped or not), stores the source file (compressed
on a background thread while the parser runs), extracts the snapshot and
saves it as a version in one transaction. Only plain, picklable data crosses
the process boundary: the request, progress events and the outcome or an
``ImportFailure``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ImportFailure, as_import_failure
from ..core.gcpause import gc_paused
from ..core.progress import Progress, StageReporter

if TYPE_CHECKING:
    from ..store.records import ModelInfo, VersionInfo

STAGE_CHECK = "Checking file"
STAGE_SAVE = "Saving"
# Shown (by the engine) while a job that is ready to save waits for an earlier file of its model.
STAGE_WAITING = "Waiting for an earlier file"
STAGES = [
    STAGE_CHECK,
    "Opening file",
    "Reading project",
    "Extracting elements",
    "Extracting properties",
    "Computing placements",
    STAGE_SAVE,
]

RESTORED_NOTE = (
    "The stored copy of this file was missing or damaged; it has been stored again from this file, "
    "so the version can be exported again."
)

FAULTS_ENV = "IFC_DESKTOP_ENABLE_FAULTS"
TEMP_FOLDER = "tmp"


@dataclass(frozen=True)
class ImportRequest:
    job_id: int | None
    path: str
    data_dir: str
    new_model: bool = False
    # Test-only fault injection, "<action>:<stage name>", e.g. "crash:Saving": fires on
    # the job's first attempt only ("always-crash:Saving" fires on every attempt).
    # Honoured only when the worker's environment has IFC_DESKTOP_ENABLE_FAULTS=1.
    fault: str | None = None


@dataclass(frozen=True)
class ImportOutcome:
    model_id: int
    model_name: str
    version_id: int
    version_number: int
    created: bool  # False when the bytes (or this job) were already a version
    element_count: int
    current_version_number: int | None = None  # the model's current version once the import ended
    warnings: list[str] = field(default_factory=list)
    stage_durations: dict[str, float] = field(default_factory=dict)


def run_import(
    request: ImportRequest,
    progress: Callable[[Progress], None] | None = None,
    *,
    retain: Callable[[Any], None] | None = None,
    identified: Callable[[str | None], None] | None = None,
    wait_turn: Callable[[], None] | None = None,
) -> ImportOutcome:
    """Import one file as a version. Raises ``ImportFailure`` (permanent or transient).

    ``retain`` receives the parsed file (see ``extract``): a worker destroys it only
    after it has reported the outcome. ``identified`` receives the IfcProject GlobalId
    once it is read, and ``wait_turn`` returns when this import may save: a worker
    keeps the versions of one model in queue order with them (see ``jobs.save_order``).
    """
    from ..core.extract import extract
    from ..core.identity import read_identity
    from ..core.opener import check_readable, prepare
    from ..store import Store

    timer = _StageTimer(progress, _fault_injector(request))
    reporter = StageReporter(STAGES, timer)
    path = Path(request.path)
    data_dir = Path(request.data_dir)
    store = None
    prepared = None
    try:
        reporter.start(STAGE_CHECK)
        size = check_readable(path)
        identity = read_identity(path, reporter.fraction)
        sha256 = identity.sha256
        if identified is not None and identity.project_global_id is not None:
            identified(identity.project_global_id)  # long before the parser reads it (see core.identity)
        # The main process keeps the database open and writes to it: it copies the
        # write-ahead log into the database, off the import's path.
        store = Store.open(data_dir, migrate=False, checkpoint=False)
        if not request.new_model:
            # Made by this very job when its worker stopped after the commit, else found.
            existing = store.find_version_by_sha(sha256, job_id=request.job_id)
            if existing is not None:
                reporter.start(STAGE_SAVE)
                notes = []
                if existing.source_sha256 == sha256 and store.blobs.restore(path, sha256):
                    notes.append(RESTORED_NOTE)
                return _outcome(store.resolve_model(existing.model_id), existing, timer, notes)
        # One collector pause for extracting and saving, ended only once the snapshot is
        # gone: re-enabled while it lives, the collector's next run scans every object the
        # import made (0.28 s at 50k elements, measured between extraction and saving).
        with gc_paused():
            prepared = prepare(path, data_dir / TEMP_FOLDER)
            if prepared.content_sha256 is not None and not request.new_model:
                # The IFC file inside a zip may be stored already: unzipped, or zipped another way.
                existing = store.find_version_by_sha(sha256, prepared.content_sha256, job_id=request.job_id)
                if existing is not None:
                    reporter.start(STAGE_SAVE)
                    return _outcome(store.resolve_model(existing.model_id), existing, timer)
            source_copy = _BackgroundCopy(store, path, sha256)
            try:
                snapshot = extract(prepared, reporter, source_name=path.name, retain=retain, identified=identified)
            finally:
                source_copy.join()
            reporter.start(STAGE_SAVE)
            if wait_turn is not None and not request.new_model:
                wait_turn()
            version = store.save_version(
                snapshot,
                source_path=path,
                sha256=sha256,
                content_sha256=prepared.content_sha256,
                size=size,
                job_id=request.job_id,
                new_model=request.new_model,
                progress=reporter.fraction,
            )
            del snapshot
        return _outcome(store.resolve_model(version.model_id), version, timer)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise as_import_failure(exc) from None
    finally:
        if prepared is not None:
            prepared.cleanup()
        if store is not None:
            store.close()


def sweep_temp(data_dir: Path) -> int:
    """Remove temporary files left by workers that no longer run (killed mid-import)."""
    folder = Path(data_dir) / TEMP_FOLDER
    removed = 0
    for item in folder.glob("import-*"):
        try:
            pid = int(item.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _process_alive(pid):
            item.unlink(missing_ok=True)
            removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _outcome(
    model: ModelInfo, version: VersionInfo, timer: _StageTimer, notes: list[str] | None = None
) -> ImportOutcome:
    return ImportOutcome(
        model_id=version.model_id,
        model_name=model.name,
        version_id=version.id,
        version_number=version.number,
        created=version.created,
        element_count=version.element_count,
        current_version_number=model.current_version_number,
        warnings=[*(notes or ()), *version.warnings],
        stage_durations=timer.finish(),
    )


class _BackgroundCopy:
    """Compresses the source into the store while the parser runs (zlib releases the GIL)."""

    def __init__(self, store, path: Path, sha256: str):
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(store, path, sha256), daemon=True)
        self._thread.start()

    def _run(self, store, path: Path, sha256: str) -> None:
        try:
            store.store_source(path, sha256)
        except BaseException as exc:
            self._error = exc

    def join(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


class _StageTimer:
    """Forwards progress and records how long each stage took."""

    def __init__(self, forward: Callable[[Progress], None] | None, on_stage: Callable[[str], None] | None):
        self._forward = forward
        self._on_stage = on_stage
        self._current: str | None = None
        self._started = 0.0
        self.durations: dict[str, float] = {}

    def __call__(self, progress: Progress) -> None:
        if progress.stage_name != self._current:
            now = time.perf_counter()
            if self._current is not None:
                self.durations[self._current] = now - self._started
            self._current, self._started = progress.stage_name, now
            if self._on_stage is not None:
                self._on_stage(progress.stage_name)
        if self._forward is not None:
            self._forward(progress)

    def finish(self) -> dict[str, float]:
        if self._current is not None:
            self.durations[self._current] = time.perf_counter() - self._started
            self._current = None
        return dict(self.durations)


def _fault_injector(request: ImportRequest) -> Callable[[str], None] | None:
    """Test-only: misbehave at the start of a stage. Ignored unless enabled in the environment."""
    if not request.fault or os.environ.get(FAULTS_ENV) != "1":
        return None
    action, _, stage = request.fault.partition(":")
    always = action.startswith("always-")
    action = action.removeprefix("always-")
    marker = Path(request.data_dir) / "faults" / f"job-{request.job_id}-{action}"

    def inject(stage_name: str) -> None:
        if stage_name != stage:
            return
        if not always:
            if marker.exists():
                return
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        if action == "crash":
            import ctypes

            ctypes.string_at(0)  # segmentation fault
        elif action == "exit":
            os._exit(3)
        elif action == "kill":
            import signal

            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        elif action == "hang":
            while True:
                time.sleep(0.1)
        elif action == "oom":
            raise MemoryError("injected out-of-memory")
        elif action == "raise":
            raise RuntimeError(f"injected transient fault at {stage_name}")
        elif action == "slow":
            time.sleep(2.0)

    return inject


__all__ = [
    "STAGES",
    "ImportFailure",
    "ImportOutcome",
    "ImportRequest",
    "run_import",
    "sweep_temp",
]
