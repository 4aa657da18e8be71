"""``ifc-desktop selftest``: is this installation able to do its job?

Checks the data folder, the database and its migrations, and parses a built-in
tiny model in a spawned worker process (as real imports run), then prints the
versions of the parts the app is made of.
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import __version__
from .core.wording import count_of


def parse_builtin_model() -> dict:
    """Runs in a worker: write the built-in model to a temporary file and extract it."""
    from .core.extract import extract
    from .core.opener import prepare
    from .core.progress import StageReporter
    from .core.synthetic import sample_model_text
    from .jobs.task import STAGES

    with tempfile.TemporaryDirectory(prefix="ifc-desktop-selftest-") as folder:
        path = Path(folder) / "selftest model.ifc"
        path.write_text(sample_model_text(), encoding="utf-8")
        prepared = prepare(path, Path(folder))
        snapshot = extract(prepared, StageReporter(STAGES, None))
        prepared.cleanup()
    import os

    return {
        "elements": len(snapshot.elements),
        "schema": snapshot.header.schema_read,
        "worker_pid": os.getpid(),
    }


def component_versions() -> dict[str, str]:
    versions = {
        "IFC Desktop": __version__,
        "Python": f"{platform.python_version()} ({platform.architecture()[0]}, {sys.platform})",
        "SQLite": sqlite3.sqlite_version,
    }
    try:
        import ifcopenshell

        versions["ifcopenshell"] = ifcopenshell.version
    except Exception as exc:  # reported, not fatal to the report itself
        versions["ifcopenshell"] = f"unavailable ({exc})"
    try:
        import sqlalchemy

        versions["SQLAlchemy"] = sqlalchemy.__version__
    except Exception as exc:
        versions["SQLAlchemy"] = f"unavailable ({exc})"
    try:
        import PySide6
        from PySide6 import QtCore

        versions["Qt"] = f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})"
    except Exception as exc:
        versions["Qt"] = f"unavailable ({exc})"
    return versions


class CheckFailed(Exception):
    """A check found something wrong, said in plain words."""


def run_selftest(data_dir: Path, *, as_json: bool = False) -> int:
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, fn) -> None:
        started = time.perf_counter()
        try:
            detail = fn()
            checks.append((name, True, f"{detail} ({time.perf_counter() - started:.2f} s)"))
        except CheckFailed as failed:
            checks.append((name, False, str(failed)))
        except Exception as exc:
            checks.append((name, False, f"{type(exc).__name__}: {exc}"))

    def data_folder() -> str:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".selftest-write"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
        return str(data_dir)

    def database() -> str:
        from .store import Store

        with Store.open(data_dir) as store:
            models = store.list_models()
        return f"migrations at head, {count_of(len(models), 'model')}"

    def source_files() -> str:
        from .store import Store

        with Store.open(data_dir) as store:
            missing = store.versions_without_source()
        if missing:
            listed = ", ".join(f"{name} v{number}" for name, number in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise CheckFailed(
                f"the stored file of {count_of(len(missing), 'version')} is missing or damaged ({listed}{more}); "
                "importing the original file again stores it again"
            )
        return "every version's file is stored"

    def worker() -> str:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            result = pool.submit(parse_builtin_model).result(timeout=120)
        return f"{result['elements']} elements ({result['schema']}) parsed in worker pid {result['worker_pid']}"

    check("data folder", data_folder)
    check("database", database)
    check("stored source files", source_files)
    check("spawned worker parses a model", worker)
    versions = component_versions()
    ok = all(passed for _, passed, _ in checks)
    if as_json:
        print(
            json.dumps(
                {
                    "ok": ok,
                    "checks": [{"name": n, "ok": p, "detail": d} for n, p, d in checks],
                    "versions": versions,
                },
                indent=2,
            )
        )
    else:
        for name, passed, detail in checks:
            print(f"[{'ok' if passed else 'FAIL'}] {name}: {detail}")
        for name, version in versions.items():
            print(f"{name}: {version}")
        print("selftest passed" if ok else "selftest FAILED")
    return 0 if ok else 1
