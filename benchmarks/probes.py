"""Functions that benchmarks run in a fresh child process (see common.measure_in_subprocess).

Heavy imports happen at module level, so the child's baseline RSS includes them
and the measured call is the work alone.
"""

from __future__ import annotations

import ifcopenshell


def open_only(path: str) -> dict[str, str]:
    """A plain ``ifcopenshell.open``: the reference every import is compared with."""
    model = ifcopenshell.open(path)
    return {"schema": model.schema}


def full_import(path: str, data_dir: str) -> dict:
    """Check, parse, extract and save one file as a committed version, as a worker does.

    ``data_dir`` holds a store the caller has already created: migrations run in the
    app's main process, never in a worker.
    """
    import time

    from ifc_desktop.jobs.task import ImportRequest, run_import

    retained: list = []  # as a worker does, the parsed file is destroyed once the outcome is known
    request = ImportRequest(job_id=None, path=path, data_dir=data_dir, new_model=True)
    started = time.perf_counter()
    outcome = run_import(request, retain=retained.append)
    seconds = time.perf_counter() - started
    retained.clear()
    return {
        "seconds": seconds,
        "elements": outcome.element_count,
        "stages": outcome.stage_durations,
    }
