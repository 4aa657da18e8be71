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


def open_and_read(path: str) -> dict[str, float]:
    """``ifcopenshell.open`` plus the attribute reads an import cannot avoid, and nothing else.

    Reads what the extractor reads (product attributes, every property set, property
    and quantity, every placement chain) without building, hashing or saving anything:
    the floor of an import that uses ifcopenshell's Python API.
    """
    import gc
    import time

    gc.disable()
    started = time.perf_counter()
    model = ifcopenshell.open(path)
    opened = time.perf_counter()
    products = model.by_type("IfcProduct")
    for product in products:
        product.id(), product.is_a(), [product.get_argument(i) for i in (0, 2, 3, 4)]
        placement = product.get_argument(5)
        while placement is not None and placement.is_a("IfcLocalPlacement"):
            relative = placement.get_argument(1)
            location = relative.get_argument(0)
            location.get_argument(0), relative.get_argument(1), relative.get_argument(2)
            placement = placement.get_argument(0)
    for rel in model.by_type("IfcRelDefinesByProperties"):
        definition = rel.get_argument(5)
        [related.id() for related in rel.get_argument(4)]
        kind = definition.is_a()
        if kind not in ("IfcPropertySet", "IfcElementQuantity"):
            continue
        definition.get_argument(2)
        for item in definition.get_argument(4 if kind == "IfcPropertySet" else 5) or ():
            item_kind = item.is_a()
            item.get_argument(0)
            if item_kind == "IfcPropertySingleValue":
                value = item.get_argument(2)
                if value is not None:
                    value.get_argument(0)
            elif item_kind.startswith("IfcQuantity"):
                item.get_argument(3)
    return {"open": opened - started, "reads": time.perf_counter() - opened}
