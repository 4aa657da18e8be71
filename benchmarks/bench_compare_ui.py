"""The compare view on two 50,000-element versions: how long it takes and how long the window ever stalls.

    python -m benchmarks.bench_compare_ui [--elements 50000] [--changed 0.05]

Both versions are built as in ``bench_diff`` (5% changed, 0.5% removed, 0.5%
added, every STEP id renumbered) and saved in a temporary data folder; the
window then opens that folder. A 5 ms QTimer ticks in the GUI thread
throughout, and for each step the wall time and the longest event-loop stall
(longest gap between two ticks, minus the 5 ms interval) are printed:

1. the history's change counts against the previous version (counts thread),
2. "Compare" until the comparison is on screen (compare thread, then the table
   filled on the GUI thread),
3. filtering by kind, by text, and sorting by name (GUI thread),
4. CSV and XLSX exports (compare thread).

Figures are printed, not asserted. Uses the offscreen Qt platform unless a
display is available.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_diff import build_version, edit_version, snapshot
from benchmarks.stall_meter import StallMeter, pump

TICK_MS = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.05)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import Qt

    from ifc_desktop.app import create_window
    from ifc_desktop.core.diff_result import CHANGED, REMOVED
    from ifc_desktop.store import Store
    from ifc_desktop.ui.compare_models import COL_NAME

    start = time.perf_counter()
    old = build_version(args.elements)
    new, tally = edit_version(old, args.changed)
    print(f"built {len(old):,} → {len(new):,} elements in {time.perf_counter() - start:.1f} s; edits: {tally}")

    with tempfile.TemporaryDirectory(prefix="bench compare ui ") as folder:
        data_dir = Path(folder) / "data"
        store = Store.open(data_dir)
        try:
            for number, elements in ((1, old), (2, new)):
                source = Path(folder) / f"version {number}.ifc"
                source.write_bytes(f"stand-in source of version {number}\n".encode())
                digest = hashlib.sha256(source.read_bytes()).hexdigest()
                info = store.save_version(
                    snapshot(elements, source.name), source_path=source, sha256=digest, size=source.stat().st_size
                )
        finally:
            store.close()
        model_id = info.model_id
        del old, new

        app, window, _ = create_window(["--data-dir", str(data_dir)])
        window.resize(1360, 840)
        window.show()
        window.start([])

        meter = StallMeter(TICK_MS)

        def wait_for(until: Callable[[], bool], timeout: float = 300) -> None:
            pump(app, until, timeout)

        def step(label: str, action: Callable[[], None], until: Callable[[], bool] = lambda: True) -> None:
            meter.reset()
            started = time.perf_counter()
            action()
            wait_for(until)
            seconds = time.perf_counter() - started
            settle = time.perf_counter() + 0.03  # the ticks that waited behind the last of it
            wait_for(lambda: time.perf_counter() > settle)
            stall = meter.longest_stall()
            print(f"{label:<44} {seconds:7.3f} s   longest stall {stall:6.1f} ms   ({len(meter.gaps)} ticks)")

        wait_for(lambda: window._jobs_known and window._models_known, 60)
        meter.start()
        history = window.history_panel
        panel = window.compare_panel

        step(
            "history: change counts of both versions",
            lambda: (window.models_panel.select_model(model_id), window.show_tab(2)),
            lambda: history.versions.counts_text(2).startswith("+"),
        )
        print(f"    v2 against v1: {history.versions.counts_text(2)}")
        step(
            "compare v1 → v2, until on screen",
            lambda: window.show_comparison(model_id, 1, 2),
            lambda: panel.result is not None and not panel.is_busy(),
        )
        c = panel.result.counts
        print(f"    +{c.added:,} −{c.removed:,} ~{c.changed:,}; {panel.table_model.rowCount():,} rows")
        step("filter: changed only", lambda: panel.set_filter(kinds={CHANGED}))
        step("filter: removed only", lambda: panel.set_filter(kinds={REMOVED}))
        step("filter: text 'rev b' (every change searched)", lambda: panel.set_filter(text="rev b"))
        print(f"    {panel.table_model.rowCount():,} rows")
        step("filter: cleared", panel.clear_filters)
        step("sort by name", lambda: panel.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder))
        exported: list[str] = []
        panel.exported.connect(exported.append)
        step(
            "export CSV (compare thread)",
            lambda: panel.export("csv", str(Path(folder) / "changes.csv")),
            lambda: len(exported) == 1,
        )
        step(
            "export XLSX (compare thread)",
            lambda: panel.export("xlsx", str(Path(folder) / "changes.xlsx")),
            lambda: len(exported) == 2,
        )
        meter.stop()
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
