"""Window responsiveness: the longest GUI event-loop stall while large files import, and launch time.

    python -m benchmarks.bench_ui [--size 10MB] [--launches 3] [--workers 2]

1. Event-loop stall: a 5 ms QTimer runs in the window's GUI thread while two
   large synthetic models (seeds 0 and 1, same size) are imported by real worker
   processes, and then while the bigger model's element tree is opened and
   searched. The longest gap between two ticks, minus the 5 ms interval, is the
   longest stall (target: 50 ms or less).
2. Launch to window shown: ``run_app``'s window building and ``show()`` in a
   fresh interpreter, timed from just before the child process is started to
   the moment the window is exposed (target: 1.5 s or less); the child also
   reports whether ifcopenshell got imported (it must not be).

Figures are printed, not asserted. Uses the offscreen Qt platform unless a
display is available.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import MB, REPO_ROOT, SIZES, ensure_model
from benchmarks.stall_meter import StallMeter, pump

TICK_MS = 5

LAUNCH_CHILD = """
import sys, time
started = float(sys.argv[1])
from ifc_desktop.app import create_window
app, window, _ = create_window(["--data-dir", sys.argv[2]])
window.show()
while window.windowHandle() is None or not window.windowHandle().isExposed():
    app.processEvents()
shown = time.time() - started
app.processEvents()
print(f"shown={shown:.4f}")
print(f"ifcopenshell={'ifcopenshell' in sys.modules}")
window.shutdown()
"""


def measure_stalls(size_name: str, workers: int) -> None:
    from PySide6.QtCore import QTimer

    from ifc_desktop.app import create_window
    from ifc_desktop.ui.settings import AppSettings

    paths = [ensure_model(size_name, seed) for seed in (0, 1)]
    sizes = [p.stat().st_size / MB for p in paths]
    with tempfile.TemporaryDirectory(prefix="bench ui ") as folder:
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        settings = AppSettings(data_dir)
        settings.workers = workers
        settings.sync()
        app, window, _ = create_window(["--data-dir", str(data_dir)])
        window.resize(1280, 800)
        window.show()
        window.start([])

        meter = StallMeter(TICK_MS)
        pump(app, lambda: window._jobs_known and window._models_known, 60)
        meter.start()
        started = time.monotonic()

        # The event loop runs for real (app.exec-like) through QEventLoop.
        from PySide6.QtCore import QEventLoop

        loop = QEventLoop()

        def finished() -> bool:
            jobs = window.job_model.jobs()
            return len(jobs) == 2 and all(
                str(getattr(j.state, "value", j.state)) in ("SUCCESS", "FAILURE") for j in jobs
            )

        checker = QTimer()
        checker.setInterval(50)
        checker.timeout.connect(lambda: loop.quit() if finished() else None)
        checker.start()
        window.import_paths([str(p) for p in paths])
        loop.exec()
        import_seconds = time.monotonic() - started
        import_gaps = list(meter.gaps)
        states = [str(getattr(j.state, "value", j.state)) for j in window.job_model.jobs()]

        # Browsing the big model: open its spatial tree, a class, and a search.
        meter.reset()
        browse_started = time.monotonic()
        pump(app, lambda: len(window.model_list.models()) >= 1, 30)
        window.show_tab(1)
        panel = window.elements_panel
        pump(app, lambda: panel.tree_model is not None and not panel.tree_model.is_loading(), 60)
        panel.set_mode("classes")
        pump(app, lambda: panel.tree_model.rowCount() > 0 and not panel.tree_model.is_loading(), 60)
        first = panel.tree_model.index(0, 0)
        panel.tree.expand(first)
        pump(app, lambda: panel.tree_model.rowCount(first) > 0, 60)
        panel.search.setText("Wall")
        pump(app, lambda: panel.tree_model.loaded_rows() != [] and not panel.tree_model.is_loading(), 60)
        browse_seconds = time.monotonic() - browse_started
        browse_gaps = list(meter.gaps)
        meter.stop()
        checker.stop()
        window.shutdown()
        window.close()

    def report(label: str, values: list[float]) -> None:
        if not values:
            print(f"{label}: no ticks")
            return
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"{label}: {len(values)} ticks, longest stall {max(0.0, ordered[-1] - TICK_MS):.1f} ms "
            f"(longest gap {ordered[-1]:.1f} ms, p99 gap {p99:.1f} ms, median {statistics.median(ordered):.1f} ms)"
        )

    print(f"models: 2 x {size_name} synthetic ({sizes[0]:.1f} MB, {sizes[1]:.1f} MB), {workers} workers")
    print(f"import of both: {import_seconds:.1f} s, states {states}")
    report("event loop during import", import_gaps)
    print(f"browsing (tree, class, search): {browse_seconds:.1f} s")
    report("event loop while browsing", browse_gaps)


def measure_launch(launches: int) -> None:
    times = []
    imported = set()
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for _ in range(launches):
        with tempfile.TemporaryDirectory(prefix="bench launch ") as folder:
            started = time.time()
            result = subprocess.run(
                [sys.executable, "-c", LAUNCH_CHILD, repr(started), folder],
                capture_output=True,
                text=True,
                env=env,
                cwd=REPO_ROOT,
                timeout=120,
            )
            values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
            if "shown" not in values:
                print(result.stderr[-2000:])
                raise SystemExit("launch child failed")
            times.append(float(values["shown"]))
            imported.add(values["ifcopenshell"])
    print(
        f"launch to window shown: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
        f"over {launches} fresh processes; ifcopenshell imported in the GUI process: {', '.join(sorted(imported))}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10MB", choices=list(SIZES), help="size of each of the two models")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--launches", type=int, default=3)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.launches:
        measure_launch(args.launches)
    measure_stalls(args.size, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
