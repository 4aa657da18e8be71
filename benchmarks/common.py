"""Shared benchmark helpers: cached synthetic models and measurements in a child process.

Models are generated once into ``benchmarks/out/`` (git-ignored) and reused. A
sidecar JSON file keeps the recipe (count, seed, generator version, project) and
what generation reported; a file whose recipe differs is made again, so a
changed generator never serves stale models.

``measure_in_subprocess`` runs one function, named "module:function", in a fresh
interpreter and reports its wall time and the child's peak RSS; peak memory is
only meaningful per process, and a fresh process also keeps one run's caches
out of the next.

Run as ``python -m benchmarks.common MODULE:FUNCTION ARG...`` this module is the
child side of that measurement.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # also usable as `python benchmarks/<script>.py`
    sys.path.insert(0, str(REPO_ROOT))

from ifc_desktop.core.synthetic import GENERATOR_VERSION, compress_guid, write_model  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "out"
MB = 1_000_000

# Size name -> IfcProduct count; the generator's default density makes these about 1, 10 and 100 MB.
SIZES: dict[str, int] = {"1MB": 500, "10MB": 5_000, "100MB": 50_000}
DEFAULT_SEED = 0


@dataclass(frozen=True, slots=True)
class CachedModel:
    size_name: str
    path: Path
    elements: int  # IfcProduct count
    bytes: int
    seed: int
    generation_seconds: float  # as measured when the file was made
    reused: bool  # True when this call found the file in the cache


def model_path(size_name: str, seed: int = DEFAULT_SEED) -> Path:
    return OUT_DIR / f"synthetic-{_size_key(size_name)}-seed{seed}-gen{GENERATOR_VERSION}.ifc"


def ensure_model(size_name: str, seed: int = DEFAULT_SEED) -> Path:
    """The path of the cached model of this size, generating it first if needed."""
    return ensure_model_info(size_name, seed).path


def ensure_model_info(size_name: str, seed: int = DEFAULT_SEED, regenerate: bool = False) -> CachedModel:
    key = _size_key(size_name)
    path = model_path(key, seed)
    sidecar = path.with_suffix(".json")
    # One project per size, so that importing all sizes gives separate models, not versions of one.
    recipe = {
        "elements": SIZES[key],
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "project_name": f"Synthetic tower {key}",
        "project_global_id": compress_guid(hashlib.blake2b(f"{key}:{seed}".encode(), digest_size=16).digest()),
    }
    if not regenerate and path.exists() and sidecar.exists():
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if meta.get("recipe") == recipe and meta.get("bytes") == path.stat().st_size:
            return CachedModel(key, path, meta["elements"], meta["bytes"], seed, meta["generation_seconds"], True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    info = write_model(
        path,
        elements=recipe["elements"],
        seed=seed,
        project_name=recipe["project_name"],
        project_global_id=recipe["project_global_id"],
    )
    seconds = time.perf_counter() - start
    model = CachedModel(key, path, info.elements, info.bytes_written, seed, seconds, False)
    meta = {
        "recipe": recipe,
        "elements": info.elements,
        "bytes": info.bytes_written,
        "generation_seconds": seconds,
    }
    sidecar.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return model


def size_argument(text: str) -> str:
    """argparse type for a size name: "1mb" is 1MB; an unknown size is a usage error, not a traceback."""
    try:
        return _size_key(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _size_key(size_name: str) -> str:
    for key in SIZES:
        if key.lower() == size_name.lower():
            return key
    raise ValueError(f"unknown size {size_name!r}; known: {', '.join(SIZES)}")


# --------------------------------------------------------------------------- child-process measurement


@dataclass(frozen=True, slots=True)
class ChildMeasurement:
    seconds: float  # wall time of the function call alone (no interpreter start, no imports)
    peak_rss: int | None  # bytes, whole child process; None where the platform cannot tell
    baseline_rss: int | None  # bytes, peak after importing the function's module, before the call
    result: Any  # the function's return value, through JSON


def measure_in_subprocess(fn_path: str, *args: str, timeout: float | None = None) -> ChildMeasurement:
    """Call ``fn_path`` ("package.module:function") with string ``args`` in a fresh interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.common", fn_path, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{fn_path} failed in the child (exit {done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return ChildMeasurement(**report)


@dataclass(frozen=True, slots=True)
class BestOf:
    seconds: float  # the fastest run
    runs: list[float]
    peak_rss: int | None  # the largest peak over the runs
    baseline_rss: int | None
    result: Any  # of the last run


def measure_best(fn_path: str, *args: str, repeat: int = 3, timeout: float | None = None) -> BestOf:
    """``measure_in_subprocess`` ``repeat`` times: best wall time, worst peak RSS."""
    runs = [measure_in_subprocess(fn_path, *args, timeout=timeout) for _ in range(max(1, repeat))]
    peaks = [r.peak_rss for r in runs if r.peak_rss is not None]
    baselines = [r.baseline_rss for r in runs if r.baseline_rss is not None]
    return BestOf(
        seconds=min(r.seconds for r in runs),
        runs=[r.seconds for r in runs],
        peak_rss=max(peaks) if peaks else None,
        baseline_rss=min(baselines) if baselines else None,
        result=runs[-1].result,
    )


def peak_rss_bytes() -> int | None:
    """Peak resident set size of this process so far."""
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil
        except ImportError:
            return None
        return int(psutil.Process().memory_info().peak_wset)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def _child_main(argv: list[str]) -> None:
    module_name, _, function_name = argv[0].partition(":")
    function = getattr(import_module(module_name), function_name)
    baseline = peak_rss_bytes()
    start = time.perf_counter()
    result = function(*argv[1:])
    seconds = time.perf_counter() - start
    report = {"seconds": seconds, "peak_rss": peak_rss_bytes(), "baseline_rss": baseline, "result": result}
    print(json.dumps(report))


if __name__ == "__main__":
    _child_main(sys.argv[1:])
