"""Job engine figures: throughput with 2 workers vs 1, and submit-to-STARTED latency.

    python benchmarks/bench_jobs.py [--files 8] [--elements 3000] [--runs 10]

Medium files come from ``ifc_desktop.core.synthetic`` when it is available,
else from copies of a real sample with distinct bytes. Figures are printed,
not asserted (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ifc_desktop.jobs import JobEngine, JobInfo, JobListener, JobState

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
MEDIUM_SAMPLE = SAMPLES / "ifc4_archicad20_fzk_haus.ifc"
SMALL_SAMPLE = SAMPLES / "ifc2x3_revit2021_simple_wall.ifc"


class Clock(JobListener):
    """Times when each job reached each state, as a listener sees it."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, str], float] = {}
        self._changed = threading.Condition()

    def on_state_changed(self, job: JobInfo) -> None:
        with self._changed:
            self.seen.setdefault((job.id, job.state.value), time.perf_counter())
            self._changed.notify_all()

    def wait(self, job_id: int, state: str, timeout: float = 120.0) -> float:
        with self._changed:
            self._changed.wait_for(lambda: (job_id, state) in self.seen, timeout)
            return self.seen[(job_id, state)]


def medium_files(folder: Path, count: int, elements: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from ifc_desktop.core.synthetic import write_model
    except ImportError:
        write_model = None
    files = []
    for index in range(count):
        path = folder / f"medium {index}.ifc"
        if write_model is not None:
            write_model(path, elements=elements, seed=index, project_global_id=None)
        else:
            path.write_bytes(MEDIUM_SAMPLE.read_bytes() + f"/* copy {index} */\n".encode())
        files.append(path)
    return files


def throughput(files: list[Path], workers: int, root: Path) -> float:
    data_dir = root / f"data {workers} workers"
    with JobEngine(data_dir, workers=workers) as engine:
        engine.wait_ready(120)
        start, cpu = time.perf_counter(), time.process_time()
        jobs = engine.submit(files)
        engine.wait([job.id for job in jobs])
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        finished = [engine.get(job.id) for job in jobs]
        if {job.state for job in finished} != {JobState.SUCCESS}:
            raise SystemExit(f"not every job succeeded: {[job.error_message for job in finished]}")
    stages: dict[str, list[float]] = {}
    for job in finished:
        for stage, seconds in job.stage_durations.items():
            stages.setdefault(stage, []).append(seconds)
    means = ", ".join(f"{stage} {statistics.mean(values):.2f}" for stage, values in stages.items())
    print(f"  {workers} worker(s), mean s per stage: {means}")
    print(f"  {workers} worker(s), CPU used by the app's own process meanwhile: {cpu:.2f} s")
    return elapsed


def start_latency(root: Path, runs: int) -> list[float]:
    clock = Clock()
    delays = []
    with JobEngine(root / "data latency", workers=1) as engine:
        engine.add_listener(clock)
        engine.wait_ready(120)
        for index in range(runs):
            path = root / f"small {index}.ifc"
            path.write_bytes(SMALL_SAMPLE.read_bytes() + f"/* {index} */\n".encode())
            submitted = time.perf_counter()
            (job,) = engine.submit([path])
            delays.append(clock.wait(job.id, "STARTED") - submitted)
            engine.wait([job.id])
            engine.wait_ready(120)
    return delays


def cancel_latency(root: Path, runs: int) -> list[float]:
    os.environ["IFC_DESKTOP_ENABLE_FAULTS"] = "1"
    clock = Clock()
    delays = []
    with JobEngine(root / "data cancel", workers=1) as engine:
        engine.add_listener(clock)
        for index in range(runs):
            engine.wait_ready(120)
            path = root / f"hang {index}.ifc"
            path.write_bytes(SMALL_SAMPLE.read_bytes() + f"/* hang {index} */\n".encode())
            (job,) = engine.submit([path], fault="hang:Opening file")
            clock.wait(job.id, "PROGRESS")
            time.sleep(0.2)
            asked = time.perf_counter()
            engine.cancel(job.id)
            delays.append(clock.wait(job.id, "CANCELLED") - asked)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--elements", type=int, default=3000, help="elements per synthetic file")
    parser.add_argument("--runs", type=int, default=10, help="latency samples")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="bench jobs é ") as tmp:
        root = Path(tmp)
        files = medium_files(root / "medium", args.files, args.elements)
        size = sum(f.stat().st_size for f in files) / len(files) / 1e6
        print(f"{len(files)} medium files, {size:.1f} MB each")
        one = throughput(files, 1, root)
        two = throughput(files, 2, root)
        print(f"throughput 1 worker : {one:6.2f} s  ({len(files) / one:.2f} files/s)")
        print(f"throughput 2 workers: {two:6.2f} s  ({len(files) / two:.2f} files/s)")
        print(f"speed-up 2 vs 1     : {one / two:.2f}x")
        delays = [d * 1000 for d in start_latency(root, args.runs)]
        print(
            f"submit -> STARTED (warm pool, {len(delays)} runs): median {statistics.median(delays):.1f} ms, "
            f"min {min(delays):.1f} ms, max {max(delays):.1f} ms"
        )
        cancels = [d * 1000 for d in cancel_latency(root, max(3, args.runs // 3))]
        print(
            f"cancel -> CANCELLED (running job, {len(cancels)} runs): median {statistics.median(cancels):.1f} ms, "
            f"max {max(cancels):.1f} ms"
        )


if __name__ == "__main__":
    main()
