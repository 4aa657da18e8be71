"""Hostile input, run in spawned worker processes: every case ends classified, nothing leaks.

The corpus (tests/hostile_corpus.py) is built once per module. It goes through
two paths, each in a pool of spawned processes so a parser crash would take
down one worker and show up as ``crashed`` rather than killing the test run:

- ``probe``: the opener and the extractor alone, as the import task calls them;
- ``run_import``: the whole import task against one shared data folder, with
  good real samples imported in the same pool at the same time.
"""

from __future__ import annotations

import os
import stat
import tempfile
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pebble
import pytest

from ifc_desktop.jobs.task import TEMP_FOLDER
from ifc_desktop.store import Store

from . import hostile_corpus as hc
from .conftest import sample

CASE_TIMEOUT = 180.0


def gather(futures: dict) -> dict[str, dict]:
    """Results of scheduled pebble futures; a dead or hung worker is a result, not an error."""
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result()
        except pebble.ProcessExpired as exc:
            results[name] = {"outcome": "crashed", "exitcode": exc.exitcode, "message": str(exc)}
        except FutureTimeout:
            results[name] = {"outcome": "hung", "message": f"no answer in {CASE_TIMEOUT:.0f} s"}
    return results


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile corpus ü")
    return hc.build(root / "files")


@pytest.fixture(scope="module")
def probed(corpus, tmp_path_factory) -> tuple[dict[str, dict], list[Path]]:
    work = tmp_path_factory.mktemp("probe")
    temp_dirs = [work / "import temp", work / "system temp"]
    with hc.probe_pool(temp_dirs[1]) as pool:
        futures = {
            name: pool.schedule(hc.probe, args=(str(path), str(temp_dirs[0])), timeout=CASE_TIMEOUT)
            for name, path in corpus.items()
        }
        results = gather(futures)
    return results, hc.leftovers(*temp_dirs)


@pytest.fixture(scope="module")
def imported(corpus, tmp_path_factory) -> tuple[dict[str, dict], dict[str, dict], Path, list[Path]]:
    """The corpus and the good samples imported into one data folder by two spawned workers at once."""
    work = tmp_path_factory.mktemp("import")
    data_dir = work / "Données été"
    Store.open(data_dir, migrate=True).close()
    system_temp = work / "system temp"
    with hc.probe_pool(system_temp) as pool:
        good = {
            name: pool.schedule(hc.import_result, args=(str(sample(name)), str(data_dir))) for name in hc.GOOD_SAMPLES
        }
        bad = {
            name: pool.schedule(hc.import_result, args=(str(path), str(data_dir)), timeout=CASE_TIMEOUT)
            for name, path in corpus.items()
        }
        results, good_results = gather(bad), gather(good)
    return results, good_results, data_dir, hc.leftovers(data_dir / TEMP_FOLDER, system_temp)


def test_the_corpus_has_at_least_thirty_cases():
    assert len(hc.CASES) >= 30
    assert sum(case.expect.outcome == hc.FAILURE for case in hc.CASES) >= 30


@pytest.mark.parametrize("name", [case.name for case in hc.CASES])
def test_open_and_extract_classify_each_case(name, probed, corpus):
    results, _ = probed
    assert hc.check(hc.BY_NAME[name], results[name], corpus[name]) == []


def test_open_and_extract_leave_no_temporary_files(probed):
    _, leftovers = probed
    assert leftovers == []


@pytest.mark.parametrize("name", [case.name for case in hc.CASES])
def test_the_import_task_classifies_each_case(name, imported, corpus):
    results = imported[0]
    assert hc.check(hc.BY_NAME[name], results[name], corpus[name]) == []


def test_good_files_imported_alongside_the_corpus_are_unaffected(imported):
    _, good, _, _ = imported
    for name, products in hc.GOOD_SAMPLES.items():
        assert good[name]["outcome"] == hc.SUCCESS, good[name]
        assert good[name]["elements"] == products, name


def test_the_import_task_leaves_no_temporary_files(imported):
    assert imported[3] == []


def test_the_history_holds_exactly_the_successful_imports(imported, corpus):
    """One version per distinct successful file, each with all its element rows; the database is sound."""
    results, good, data_dir, _ = imported
    successes = [r for r in [*results.values(), *good.values()] if r["outcome"] == hc.SUCCESS]
    assert hc.integrity(data_dir) == [("ok",)]
    _, versions = hc.jobs_and_versions(data_dir)
    assert {version_id for version_id, _, _ in versions} == {r["version_id"] for r in successes}
    assert hc.partial_versions(data_dir) == []


def _world_readable_dir() -> Path:
    """A folder under the system temp dir that an unprivileged user can reach."""
    folder = Path(tempfile.mkdtemp(prefix="ifc desktop permission "))
    folder.chmod(0o777)
    return folder


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_file_without_read_permission_names_the_problem(tmp_path):
    """Run as root the worker drops to user 'nobody' first (root reads any file whatever its mode)."""
    uid = 65534 if os.geteuid() == 0 else None
    folder = _world_readable_dir() if uid is not None else tmp_path
    try:
        path = folder / "locked – ß.ifc"
        path.write_bytes(hc.sample_bytes(hc.WALL))
        path.chmod(0)
        data_dir = folder / "data"
        data_dir.mkdir()
        data_dir.chmod(0o777)
        with hc.probe_pool(folder / "system temp", workers=1, uid=uid) as pool:
            probe = pool.schedule(hc.probe, args=(str(path), str(data_dir / TEMP_FOLDER))).result()
            task = pool.schedule(hc.import_into_new_store, args=(str(path), str(data_dir))).result()
        for result in (probe, task):
            assert result["outcome"] == hc.FAILURE
            assert result["permanent"]
            assert "permission" in result["message"] and path.name in result["message"]
    finally:
        for item in sorted(folder.rglob("*"), reverse=True):
            item.chmod(stat.S_IRWXU)
            item.rmdir() if item.is_dir() else item.unlink()
        folder.rmdir()


def test_a_file_deleted_between_drop_and_processing(tmp_path):
    """The job is queued with the path; the worker finds it gone when it gets there."""
    data_dir = tmp_path / "data"
    Store.open(data_dir, migrate=True).close()
    path = tmp_path / "dropped then deleted.ifc"
    path.write_bytes(hc.sample_bytes(hc.WALL))
    with hc.probe_pool(tmp_path / "system temp", workers=1) as pool:
        future = pool.schedule(hc.import_result, args=(str(path), str(data_dir), "slow:Checking file"))
        path.unlink()
        result = future.result()
    assert result["outcome"] == hc.FAILURE and result["permanent"]
    assert "does not exist" in result["message"] and path.name in result["message"]
