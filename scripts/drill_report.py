"""Run the hostile-input corpus, the fault drills and a fuzz batch; print a table of figures.

    python scripts/drill_report.py [--kills 50] [--fuzz 2000] [--skip NAME ...]

Each drill runs the real job engine with spawned workers on a fresh data
folder under the system temp dir, with the real import task, and counts:
inputs tried, faults injected and survived (the job reached the state it
should and the history is sound), versions lost (a file that should have a
version has none, or a version misses element rows) and jobs lost (a job
missing, doubled or not finished). Exit status 1 when anything was lost or
ended other than expected. Linux (the disk-full drill mounts a tmpfs as root).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["IFC_DESKTOP_ENABLE_FAULTS"] = "1"  # the drills inject faults into the workers

from ifc_desktop.jobs import JobEngine, JobState  # noqa: E402
from ifc_desktop.jobs.task import STAGES, TEMP_FOLDER  # noqa: E402
from tests import hostile_corpus as hc  # noqa: E402
from tests.jobs_fixtures import distinct_copy  # noqa: E402


@dataclass
class Row:
    drill: str
    inputs: int = 0
    faults: int = 0
    survived: int = 0
    versions_lost: int = 0
    jobs_lost: int = 0
    unexpected: int = 0
    seconds: float = 0.0
    note: str = ""


def engine(data_dir: Path, **options) -> JobEngine:
    options.setdefault("workers", 2)
    options.setdefault("backoff_base", 0.05)
    started = JobEngine(data_dir, **options)
    started.start()
    return started


def history_losses(data_dir: Path, jobs: list, expect_version: list[bool]) -> tuple[int, int]:
    """(versions lost, jobs lost) for ``jobs`` of an engine: see the module docstring."""
    table, versions = hc.jobs_and_versions(data_dir)
    version_ids = {v[0] for v in versions}
    jobs_lost = sum(1 for job in jobs if job.id not in table or table[job.id][0] not in ("SUCCESS", "FAILURE"))
    versions_lost = len(hc.partial_versions(data_dir))
    for job, wanted in zip(jobs, expect_version, strict=True):
        versions_lost += wanted and table.get(job.id, ("", None))[1] not in version_ids
    return versions_lost, jobs_lost


def drill_corpus(work: Path) -> Row:
    row = Row("hostile corpus + good files, one drop")
    corpus = hc.build(work / "corpus")
    data_dir = work / "data"
    runner = engine(data_dir)
    try:
        folder_case = "directory named x.ifc"  # a folder drop: its IFC files are imported
        cases = [(name, path) for name, path in corpus.items() if name != folder_case]
        jobs = runner.submit([path for _, path in cases])
        good = runner.submit([hc.SAMPLES / name for name in hc.GOOD_SAMPLES])
        assert runner.wait(timeout=900)
        jobs = [runner.get(job.id) for job in jobs]
        good = [runner.get(job.id) for job in good]
    finally:
        runner.shutdown()
    row.inputs = len(jobs) + len(good)
    for (name, path), job in zip(cases, jobs, strict=True):
        result = hc.job_result(job, data_dir)
        wrong = hc.check(hc.BY_NAME[name], result, path)
        if wrong or (result["outcome"] == hc.FAILURE and job.attempts != 1):
            row.unexpected += 1
            print(f"  unexpected: {name}: {wrong or job.attempts}", file=sys.stderr)
    for job in good:
        if (
            job.state != JobState.SUCCESS
            or hc.job_result(job, data_dir)["elements"] != hc.GOOD_SAMPLES[Path(job.path).name]
        ):
            row.unexpected += 1
    expect = [hc.BY_NAME[name].expect.outcome == hc.SUCCESS for name, _ in cases] + [True] * len(good)
    row.versions_lost, row.jobs_lost = history_losses(data_dir, jobs + good, expect)
    row.unexpected += len(hc.leftovers(data_dir / TEMP_FOLDER)) + (hc.integrity(data_dir) != [("ok",)])
    return row


def drill_stage_kills(work: Path) -> Row:
    row = Row("worker SIGKILL in each stage")
    data_dir = work / "data"
    runner = engine(data_dir)
    try:
        jobs = [
            runner.submit([distinct_copy(hc.HAUS, work / "drop", stage)], fault=f"kill:{stage}")[0] for stage in STAGES
        ]
        assert runner.wait(timeout=900)
        jobs = [runner.get(job.id) for job in jobs]
    finally:
        runner.shutdown()
    row.inputs = row.faults = len(jobs)
    _, versions = hc.jobs_and_versions(data_dir)
    per_job = Counter(job_id for _, _, job_id in versions)
    row.survived = sum(
        1 for job in jobs if job.state == JobState.SUCCESS and job.attempts == 2 and per_job[job.id] == 1
    )
    row.versions_lost, row.jobs_lost = history_losses(data_dir, jobs, [True] * len(jobs))
    row.unexpected = len(jobs) - row.survived + (hc.integrity(data_dir) != [("ok",)])
    return row


def drill_app_kills(work: Path, kills: int) -> Row:
    row = Row(f"app SIGKILL while writing a version ×{kills}")
    data_dir = work / "data"
    drop = work / "drop"
    files = [distinct_copy(hc.HEAVY_SAMPLES[i % 2], drop, f"copy {i}") for i in range(max(4, kills // 3))]
    result = hc.kill_loop(
        data_dir, files, kills, lambda n: [distinct_copy(hc.HEAVY_SAMPLES[0], drop, f"more {n} {i}") for i in range(2)]
    )
    files = result["files"]
    table, versions = hc.jobs_and_versions(data_dir)
    row.inputs, row.faults = len(files), result["kills"]
    consistent = hc.integrity(data_dir) == [("ok",)] and not hc.partial_versions(data_dir)
    row.survived = result["kills"] if consistent and result["orphans"] == 0 else 0
    versions_by_sha = Counter(sha for _, sha, _ in versions)
    row.versions_lost = len(files) - len(versions_by_sha) + len(hc.partial_versions(data_dir))
    row.jobs_lost = abs(len(files) - len(table)) + sum(1 for state, _ in table.values() if state != "SUCCESS")
    row.unexpected = sum(n - 1 for n in versions_by_sha.values()) + result["orphans"]
    row.note = f"{result['interrupted']} kills landed before the commit"
    return row


def drill_lock(work: Path) -> Row:
    row = Row("write lock held 10 s by another process", inputs=1, faults=1)
    data_dir = work / "data"
    runner = engine(data_dir, workers=1)
    db = str(data_dir / "history.sqlite")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1],isolation_level=None,timeout=60); "
            "c.execute('BEGIN IMMEDIATE'); print('locked',flush=True); time.sleep(10); c.execute('COMMIT')",
            db,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        holder.stdout.readline()
        (job,) = runner.submit([distinct_copy(GOOD_SMALL, work / "drop", "behind a lock")])
        assert runner.wait([job.id], timeout=300)
        job = runner.get(job.id)
    finally:
        holder.wait(timeout=60)
        runner.shutdown()
    row.survived = int(job.state == JobState.SUCCESS and job.attempts == 1)
    row.versions_lost, row.jobs_lost = history_losses(data_dir, [job], [True])
    row.unexpected = 1 - row.survived
    return row


def drill_disk_full(work: Path) -> Row:
    row = Row("disk full while saving (20 MB tmpfs)", inputs=2, faults=1)
    mount = work / "small disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True).returncode:
        row.note = "skipped: mounting a tmpfs is not permitted here"
        return row
    try:
        data_dir = mount / "data"
        runner = engine(data_dir, workers=1, max_attempts=2)
        try:
            (first,) = runner.submit([hc.SAMPLES / GOOD_SMALL])
            assert runner.wait([first.id], timeout=300)
            before = hc.jobs_and_versions(data_dir)[1]
            filler = mount / "filler.bin"
            with open(filler, "wb", buffering=0) as handle:  # unbuffered: nothing left to fail at close
                left = shutil.disk_usage(mount).free - 600 * 1024
                while left > 0:
                    try:
                        left -= handle.write(b"\0" * min(left, 1024 * 1024))
                    except OSError:
                        break
            (big,) = runner.submit([hc.SAMPLES / "ifc2x3_tekla2019_mini_project_steel.ifc"])
            assert runner.wait([big.id], timeout=300)
            failed = runner.get(big.id)
            clear = failed.state == JobState.FAILURE and "disk is full" in (failed.error_message or "").lower()
            intact = hc.jobs_and_versions(data_dir)[1] == before and hc.integrity(data_dir) == [("ok",)]
            filler.unlink()
            runner.retry(big.id)
            assert runner.wait([big.id], timeout=300)
            jobs = [runner.get(first.id), runner.get(big.id)]
        finally:
            runner.shutdown()
        row.survived = int(clear and intact and jobs[1].state == JobState.SUCCESS)
        row.versions_lost, row.jobs_lost = history_losses(data_dir, jobs, [True, True])
        row.unexpected = 1 - row.survived
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    return row


def drill_damaged_database(work: Path) -> Row:
    from ifc_desktop.cli import run_cli

    row = Row("damaged database at start", faults=3)

    def damage(kind: str, path: Path) -> None:
        data = path.read_bytes()
        if kind == "not a database":
            path.write_bytes(b"not a database " * 500)
        elif kind == "schema page":
            path.write_bytes(data[:100] + bytes((i * 151 + 7) % 256 for i in range(4000)) + data[4100:])
        else:
            path.write_bytes(data[: len(data) // 2])

    for kind in ("not a database", "schema page", "cut in half"):
        data_dir = work / kind
        quiet = ["--data-dir", str(data_dir)]
        with quiet_output():
            run_cli(["process", str(hc.SAMPLES / GOOD_SMALL), *quiet])
        db_path = data_dir / "history.sqlite"
        db = hc.history(data_dir)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        damage(kind, db_path)
        damaged = db_path.read_bytes()
        with quiet_output() as said:
            code = run_cli(["models", *quiet])
        aside = list(data_dir.glob("history.corrupt-*.sqlite"))
        kept = len(aside) == 1 and aside[0].read_bytes() == damaged and aside[0].name in said.getvalue()
        with quiet_output():
            again = run_cli(["process", str(hc.SAMPLES / GOOD_SMALL), *quiet]) == 0
        row.inputs += 2
        row.survived += int(code != 0 and kept and again)
    row.unexpected = row.faults - row.survived
    return row


@contextlib.contextmanager
def quiet_output():
    """What a CLI command prints, captured (stdout and stderr together)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def drill_fifty(work: Path) -> Row:
    row = Row("50 files dropped at once (30 bad, 20 good)", inputs=50)
    corpus = hc.build(work / "corpus", [case for case in hc.CASES if not case.big])
    bad = [path for name, path in corpus.items() if hc.BY_NAME[name].expect.outcome == hc.FAILURE][:30]
    names = [*hc.GOOD_SAMPLES, "ifc4_bonsai_tutorial_walls_openings.ifc"]
    good = [distinct_copy(name, work / "good", f"drop {i}") for i in range(5) for name in names][:20]
    data_dir = work / "data"
    summary = hc.App(data_dir, bad + good).finish()
    states = summary["states"]
    row.jobs_lost = 50 - summary["jobs"] + 50 - states.get("SUCCESS", 0) - states.get("FAILURE", 0)
    row.versions_lost = 20 - len(hc.jobs_and_versions(data_dir)[1]) + len(hc.partial_versions(data_dir))
    growth = summary["rss_peak"] - summary["rss_started"]
    row.unexpected = int(states.get("FAILURE", 0) != 30 or summary["ifcopenshell_imported"] or growth > 64 * 1024**2)
    row.note = f"app memory {summary['rss_started'] / 2**20:.0f} MB idle, peak +{growth / 2**20:.0f} MB"
    return row


def drill_fuzz(work: Path, count: int) -> Row:
    from tests.test_fuzz_open_extract import BASES, HOSTILE_TOKENS, mutate

    row = Row(f"fuzz batch: mutated samples ×{count}", inputs=count)
    rng = random.Random(7)
    kinds = ["flip", "truncate", "duplicate line", "remove line", "swap lines", "token", "insert"]

    def mutation() -> tuple:
        kind, scope, where = rng.choice(kinds), rng.choice(["data", "data", "data", "whole file"]), rng.random()
        extra = {
            "flip": (rng.randint(1, 255),),
            "swap lines": (rng.random(),),
            "token": (rng.choice(HOSTILE_TOKENS),),
            "insert": (bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16))),),
        }.get(kind, ())
        return (kind, scope, where, *extra)

    bases = {name: hc.sample_bytes(name) for name in BASES}
    outcomes: Counter[str] = Counter()
    with hc.probe_pool(work / "system temp", workers=1) as pool:
        for _ in range(count):
            data = bases[rng.choice(BASES)]
            for _ in range(rng.randint(1, 4)):
                data = mutate(data, mutation())
            try:
                result = pool.schedule(hc.fuzz_probe, args=(data, "fuzzed.ifc"), timeout=60).result()
                outcome = result["outcome"] if not result["leftovers"] else "leftovers"
            except FutureTimeout:
                outcome = "hung"
            except Exception as exc:  # pebble.ProcessExpired: a contained worker crash
                outcome = "crashed" if type(exc).__name__ == "ProcessExpired" else "unclassified"
            outcomes[outcome] += 1
    row.unexpected = outcomes["unclassified"] + outcomes["hung"] + outcomes["leftovers"]
    row.note = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
    return row


GOOD_SMALL = "ifc2x3_revit2021_simple_wall.ifc"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10, help="app kills (the issue's full drill: 50)")
    parser.add_argument("--fuzz", type=int, default=500, help="mutated files in the fuzz batch")
    parser.add_argument("--skip", nargs="*", default=[], help="drills to leave out (by function name suffix)")
    args = parser.parse_args(argv)

    drills: list[tuple[str, Callable[[Path], Row]]] = [
        ("corpus", drill_corpus),
        ("stage_kills", drill_stage_kills),
        ("app_kills", lambda work: drill_app_kills(work, args.kills)),
        ("lock", drill_lock),
        ("disk_full", drill_disk_full),
        ("damaged_database", drill_damaged_database),
        ("fifty", drill_fifty),
        ("fuzz", lambda work: drill_fuzz(work, args.fuzz)),
    ]
    rows: list[Row] = []
    began = time.monotonic()
    for name, drill in drills:
        if name in args.skip:
            continue
        work = Path(tempfile.mkdtemp(prefix=f"drill {name} ü "))
        started = time.monotonic()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            row = drill(work)
        except Exception as exc:
            row = Row(name, unexpected=1, note=f"drill error: {type(exc).__name__}: {exc}")
        row.seconds = time.monotonic() - started
        rows.append(row)
        shutil.rmtree(work, ignore_errors=True)

    total = Row(
        "TOTAL",
        inputs=sum(r.inputs for r in rows),
        faults=sum(r.faults for r in rows),
        survived=sum(r.survived for r in rows),
        versions_lost=sum(r.versions_lost for r in rows),
        jobs_lost=sum(r.jobs_lost for r in rows),
        unexpected=sum(r.unexpected for r in rows),
        seconds=time.monotonic() - began,
    )
    print_table([*rows, total])
    return 1 if total.versions_lost or total.jobs_lost or total.unexpected else 0


def print_table(rows: list[Row]) -> None:
    headers = ("drill", "inputs", "faults", "survived", "versions lost", "jobs lost", "unexpected", "time")
    cells = [
        (r.drill, r.inputs, r.faults, r.survived, r.versions_lost, r.jobs_lost, r.unexpected, f"{r.seconds:.1f} s")
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(len(headers))]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for row, cell in zip(rows, cells, strict=True):
        if row.drill == "TOTAL":
            print("  ".join("-" * w for w in widths))
        print(line.format(*map(str, cell)))
    notes = [f"  {r.drill}: {r.note}" for r in rows if r.note]
    if notes:
        print("notes:")
        print("\n".join(notes))


if __name__ == "__main__":
    raise SystemExit(main())
