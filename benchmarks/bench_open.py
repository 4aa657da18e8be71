"""Generate (or reuse) the 1 / 10 / 100 MB synthetic models and time a plain ifcopenshell.open.

    python -m benchmarks.bench_open [--sizes 1MB 10MB 100MB] [--repeat 3] [--regenerate]

Prints, per size: generation time and speed, file size, product count, best-of-N
open wall time (each run in a fresh process) and that process's peak RSS, with
the RSS after imports alongside so the open's own share is visible.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import MB, SIZES, ensure_model_info, measure_best, size_argument


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", type=size_argument, default=list(SIZES), help="size names: " + ", ".join(SIZES)
    )
    parser.add_argument("--repeat", type=int, default=3, help="open runs per size; the best is reported")
    parser.add_argument("--regenerate", action="store_true", help="ignore cached models")
    args = parser.parse_args(argv)

    print(
        f"{'size':>6} {'products':>9} {'file MB':>8} {'gen s':>7} {'gen MB/s':>9} "
        f"{'open s':>7} {'open MB/s':>10} {'peak RSS MB':>12} {'after imports':>14}"
    )
    for size in args.sizes:
        model = ensure_model_info(size, regenerate=args.regenerate)
        opened = measure_best("benchmarks.probes:open_only", str(model.path), repeat=args.repeat)
        best, peak, baseline = opened.seconds, opened.peak_rss or 0, opened.baseline_rss or 0
        cached = " (cached)" if model.reused else ""
        size_mb, gen_s, name = model.bytes / MB, model.generation_seconds, model.size_name
        print(
            f"{name:>6} {model.elements:>9,} {size_mb:>8.1f} {gen_s:>7.2f} {size_mb / gen_s:>9.1f} "
            f"{best:>7.2f} {size_mb / best:>10.1f} {peak / MB:>12.0f} {baseline / MB:>14.0f}{cached}"
        )
        print(f"{'':>6} open runs: {', '.join(f'{t:.2f}' for t in opened.runs)} s  file: {model.path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
