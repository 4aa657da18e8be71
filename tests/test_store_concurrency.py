"""Several processes write versions to one database at once, without "database is locked"."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path

from ifc_desktop.store import Store
from tests.store_helpers import PROJECT_GID, make_snapshot, write_source

VERSIONS_PER_WORKER = 6


def _worker(data_dir: str, worker: int, start, results) -> None:
    """Save versions of a model of its own and of one shared model; report errors as text."""
    try:
        folder = Path(data_dir) / f"in {worker}"
        folder.mkdir()
        with Store.open(Path(data_dir)) as store:  # all open (and migrate) at the same moment
            start.wait()
            for i in range(VERSIONS_PER_WORKER):
                own = make_snapshot(walls=300, project_global_id=f"own{worker:019d}", edit=f"{worker}-{i}")
                shared = make_snapshot(walls=300, project_global_id="shared0000000000000000", edit=f"{worker}-{i}")
                for snapshot, name in ((own, f"own {i}.ifc"), (shared, f"shared {i}.ifc")):
                    path, sha, size = write_source(folder, name)
                    store.save_version(snapshot, source_path=path, sha256=sha, size=size)
            # The same bytes saved by every worker (model PROJECT_GID) must end up as one version.
            path, sha, size = write_source(folder, "same.ifc", b"identical bytes in every worker")
            store.save_version(make_snapshot(walls=5), source_path=path, sha256=sha, size=size)
        results.put((worker, "ok"))
    except BaseException:
        results.put((worker, traceback.format_exc()))


def test_processes_write_concurrently(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(str(tmp_path), n, start, results), daemon=True) for n in range(3)]
    for process in workers:
        process.start()
    try:
        outcomes = dict(results.get(timeout=240) for _ in workers)
    finally:
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert outcomes == {0: "ok", 1: "ok", 2: "ok"}, "\n".join(outcomes.values())

    with Store.open(tmp_path) as store:
        models = {m.project_global_id: m for m in store.list_models()}
        shared = models.pop("shared0000000000000000")
        numbers = [v.number for v in store.list_versions(shared.id)]
        assert numbers == list(range(1, 3 * VERSIONS_PER_WORKER + 1))  # no gaps, no duplicates
        same = models.pop(PROJECT_GID)
        assert same.version_count == 1  # identical bytes from three workers: one version
        for model in models.values():
            assert [v.number for v in store.list_versions(model.id)] == list(range(1, VERSIONS_PER_WORKER + 1))
        with store.read() as conn:
            total = conn.exec_driver_sql("SELECT count(*) FROM elements").scalar()
        assert total == 3 * VERSIONS_PER_WORKER * 2 * 304 + 9
