"""Time comparing two 50,000-element versions with 5% of the elements changed.

    python -m benchmarks.bench_diff [--elements 50000] [--changed 0.05] [--repeat 3] [--no-store]

The two versions are built in Python with realistic content: 20 storeys, the
usual building classes, a type per element with shared type property sets,
three occurrence property sets (common, identity, base quantities), materials,
a classification and a world placement. The newer version renumbers every STEP
id and changes 5% of the elements (renames, property and quantity edits, moves,
storey changes, material changes), removes 0.5% and adds 0.5%.

Prints best-of-N wall times of the core diff (``diff_elements``), the fast
counts (``count_changes``) and the text/rows/CSV/XLSX outputs; then, when the
store is available, saves both versions in a temporary data folder and times
``compare_versions`` (loading both versions from SQLite included) and
``change_counts_against_previous``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ifc_desktop.core.diff import count_changes, diff_elements
from ifc_desktop.core.diff_export import write_csv, write_xlsx
from ifc_desktop.core.snapshot import (
    Classification,
    Element,
    HeaderInfo,
    ProjectInfo,
    PropertySet,
    Snapshot,
    UnitInfo,
)
from ifc_desktop.core.values import element_hash, properties_digest

CLASSES = [  # (class, share, quantity set)
    ("IfcWall", 0.30, "Qto_WallBaseQuantities"),
    ("IfcSlab", 0.06, "Qto_SlabBaseQuantities"),
    ("IfcDoor", 0.08, "Qto_DoorBaseQuantities"),
    ("IfcWindow", 0.12, "Qto_WindowBaseQuantities"),
    ("IfcColumn", 0.06, "Qto_ColumnBaseQuantities"),
    ("IfcBeam", 0.06, "Qto_BeamBaseQuantities"),
    ("IfcFurniture", 0.14, None),
    ("IfcSpace", 0.06, "Qto_SpaceBaseQuantities"),
    ("IfcCovering", 0.06, "Qto_CoveringBaseQuantities"),
    ("IfcBuildingElementProxy", 0.06, None),
]
STOREYS = 20
UNITS = [
    UnitInfo("LENGTHUNIT", "metre", "m", 1.0),
    UnitInfo("AREAUNIT", "square metre", "m2", 1.0),
    UnitInfo("VOLUMEUNIT", "cubic metre", "m3", 1.0),
]
_GUID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"


def guid(rng: random.Random) -> str:
    return "".join(rng.choice(_GUID_CHARS) for _ in range(22))


def content_hash(element: Element) -> str:
    """The hash the extractor writes, by which the diff tells a changed element from an unchanged one."""
    pset_hashes = [properties_digest(p.name, p.kind, p.source, p.properties) for p in element.property_sets]
    return element_hash(element, pset_hashes)


def build_version(count: int, seed: int = 1) -> list[Element]:
    rng = random.Random(seed)
    storeys = [
        Element(
            global_id=guid(rng),
            ifc_class="IfcBuildingStorey",
            step_id=10 + i,
            name=f"Level {i}",
            placement=(0.0, 0.0, 3.5 * i, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        )
        for i in range(STOREYS)
    ]
    types: dict[tuple[str, int], tuple[str, list[PropertySet]]] = {}
    elements = list(storeys)
    weights = [share for _, share, _ in CLASSES]
    for index in range(count - STOREYS):
        ifc_class, _, qto_name = rng.choices(CLASSES, weights)[0]
        storey = storeys[index % STOREYS]
        variant = rng.randrange(12)
        type_name, type_psets = types.setdefault(
            (ifc_class, variant),
            (
                f"{ifc_class[3:]} type {variant}",
                [
                    PropertySet(
                        f"Pset_{ifc_class[3:]}Common",
                        "pset",
                        "type",
                        {"FireRating": f"REI {30 * (variant % 4 + 1)}", "IsExternal": variant % 2 == 0},
                    ),
                    PropertySet(
                        "Manufacturer",
                        "pset",
                        "type",
                        {f"Attribute {k}": f"value {variant}-{k}" for k in range(10)},
                    ),
                ],
            ),
        )
        length, height, width = rng.uniform(0.5, 8.0), rng.uniform(2.0, 3.5), rng.uniform(0.1, 0.4)
        psets = [
            *type_psets,
            PropertySet(
                f"Pset_{ifc_class[3:]}Common",
                "pset",
                "occurrence",
                {"Reference": f"R-{index}", "LoadBearing": rng.random() < 0.3, "AcousticRating": "45 dB"},
            ),
            PropertySet(
                "Identity Data",
                "pset",
                "occurrence",
                {"Mark": str(index), "Comments": "", "Phase Created": "New Construction", "Workset": "Shell"},
            ),
        ]
        if qto_name:
            psets.append(
                PropertySet(
                    qto_name,
                    "qto",
                    "occurrence",
                    {
                        "Length": length,
                        "Height": height,
                        "Width": width,
                        "GrossSideArea": length * height,
                        "NetSideArea": length * height * 0.9,
                        "GrossVolume": length * height * width,
                        "NetVolume": length * height * width * 0.9,
                    },
                )
            )
        angle = rng.choice((0.0, 0.5, 1.0, 1.5)) * 3.141592653589793
        cos, sin = round(math.cos(angle), 15), round(math.sin(angle), 15)
        element = Element(
            global_id=guid(rng),
            ifc_class=ifc_class,
            step_id=1000 + index * 7,
            predefined_type="NOTDEFINED",
            name=f"{ifc_class[3:]}:{type_name}:{index}",
            object_type=type_name,
            tag=str(100000 + index),
            type_global_id=f"T{ifc_class}{variant}",
            type_class=f"{ifc_class}Type",
            type_name=type_name,
            container_global_id=storey.global_id,
            storey_global_id=storey.global_id,
            materials=["Concrete", "Insulation"] if ifc_class in ("IfcWall", "IfcSlab") else ["Steel"],
            classifications=[Classification("Uniclass 2015", f"Ss_{variant:02d}", f"{ifc_class[3:]} systems")],
            property_sets=psets,
            placement=(rng.uniform(0, 200), rng.uniform(0, 200), 3.5 * (index % STOREYS), cos, sin, 0.0, 0, 0, 1.0),
        )
        element.content_hash = content_hash(element)
        elements.append(element)
    for storey in storeys:
        storey.content_hash = content_hash(storey)
    return elements


def edit_version(old: list[Element], changed: float, seed: int = 2) -> tuple[list[Element], dict[str, int]]:
    """A newer version: every STEP id renumbered, ``changed`` of the elements edited, some removed and added."""
    rng = random.Random(seed)
    storeys = [e for e in old if e.ifc_class == "IfcBuildingStorey"]
    storey_index = {s.global_id: i for i, s in enumerate(storeys)}
    products = [e for e in old if e.ifc_class != "IfcBuildingStorey"]
    to_change = set(rng.sample(range(len(products)), int(len(old) * changed)))
    to_remove = set(rng.sample(sorted(set(range(len(products))) - to_change), int(len(old) * 0.005)))
    tally = {"renamed": 0, "property": 0, "quantity": 0, "moved": 0, "storey": 0, "material": 0}
    new: list[Element] = [replace(s, step_id=s.step_id + 500_000) for s in storeys]
    for index, element in enumerate(products):
        if index in to_remove:
            continue
        element = replace(element, step_id=element.step_id + 500_000)
        if index in to_change:
            what = list(tally)[index % len(tally)]
            tally[what] += 1
            if what == "renamed":
                element.name = element.name + " (rev B)"
            elif what == "property":
                element.property_sets = [_edited(p, "Reference", "changed") for p in element.property_sets]
            elif what == "quantity":
                element.property_sets = [_edited(p, "NetVolume", 1.234) for p in element.property_sets]
            elif what == "moved":
                p = element.placement
                element.placement = (p[0] + 0.25, *p[1:])
            elif what == "storey":
                target = storeys[(storey_index[element.storey_global_id] + 1) % STOREYS]
                element.container_global_id = element.storey_global_id = target.global_id
            else:
                element.materials = ["Timber"]
            element.content_hash = content_hash(element)
        new.append(element)
    added = build_version(int(len(old) * 0.005) + STOREYS, seed=seed + 100)[STOREYS:]
    for element in added:
        element.container_global_id = element.storey_global_id = storeys[0].global_id
        element.content_hash = content_hash(element)
    new += added
    rng.shuffle(new)  # file order means nothing
    tally["removed"], tally["added"] = len(to_remove), len(added)
    return new, tally


def _edited(pset: PropertySet, name: str, value: Any) -> PropertySet:
    if pset.source != "occurrence" or name not in pset.properties:
        return pset
    return replace(pset, properties={**pset.properties, name: value})


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def snapshot(elements: list[Element], name: str) -> Snapshot:
    project = ProjectInfo(global_id="0BENCHMARKPROJECT00000", name="Benchmark tower", units=UNITS)
    return Snapshot(HeaderInfo("IFC4", "IFC4", application="bench_diff"), project, elements, source_name=name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.05, help="share of elements changed (default 0.05)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    parser.add_argument("--no-store", action="store_true", help="skip the database measurement")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    old = build_version(args.elements)
    new, tally = edit_version(old, args.changed)
    print(f"built {len(old):,} → {len(new):,} elements in {time.perf_counter() - start:.1f} s; edits: {tally}")

    seconds, result = best_of(args.repeat, lambda: diff_elements(old, new, old_units=UNITS, new_units=UNITS))
    c = result.counts
    print(f"diff_elements          {seconds:7.3f} s   +{c.added} −{c.removed} ~{c.changed}  (target ≤ 2 s)")
    seconds, counts = best_of(args.repeat, lambda: count_changes(old, new))
    print(f"count_changes          {seconds:7.3f} s   {counts.as_tuple()}")
    for label, run in (
        ("result.rows()", result.rows),
        ("result.to_dict()", result.to_dict),
        ("result.format_text()", result.format_text),
    ):
        seconds, _ = best_of(args.repeat, run)
        print(f"{label:<22} {seconds:7.3f} s")
    with tempfile.TemporaryDirectory() as folder:
        seconds, _ = best_of(1, lambda: write_csv(result, Path(folder) / "diff.csv"))
        print(f"write_csv              {seconds:7.3f} s   {len(result.rows()):,} rows")
        seconds, _ = best_of(1, lambda: write_xlsx(result, Path(folder) / "diff.xlsx"))
        print(f"write_xlsx             {seconds:7.3f} s")
    if not args.no_store:
        bench_store(old, new, args.repeat)
    return 0


def bench_store(old: list[Element], new: list[Element], repeat: int) -> None:
    try:
        from ifc_desktop.store import Store
        from ifc_desktop.store.compare import change_counts_against_previous, compare_versions
    except ImportError as exc:
        print(f"store not available ({exc}); database timings skipped")
        return
    with tempfile.TemporaryDirectory(prefix="bench diff ") as folder:
        data_dir = Path(folder)
        store = Store.open(data_dir / "data")
        try:
            model_id = None
            for number, elements in ((1, old), (2, new)):
                source = data_dir / f"version {number}.ifc"
                source.write_bytes(f"stand-in source of version {number}\n".encode())
                digest = hashlib.sha256(source.read_bytes()).hexdigest()
                start = time.perf_counter()
                info = store.save_version(
                    snapshot(elements, source.name), source_path=source, sha256=digest, size=source.stat().st_size
                )
                model_id = info.model_id
                print(f"save_version v{number}        {time.perf_counter() - start:7.3f} s")
            v2 = store.get_version(model_id, 2)
            seconds, _ = best_of(repeat, lambda: store.load_elements(v2.id, with_psets=False))
            print(f"load_elements          {seconds:7.3f} s   one version, without property sets")
            seconds, _ = best_of(repeat, lambda: store.load_elements(v2.id, with_psets=True))
            print(f"load_elements (psets)  {seconds:7.3f} s   one version, with property sets")
            seconds, result = best_of(repeat, lambda: compare_versions(store, model_id, 1, 2))
            c = result.counts
            print(f"compare_versions       {seconds:7.3f} s   +{c.added} −{c.removed} ~{c.changed}  (loads both)")
            seconds, counts = best_of(repeat, lambda: change_counts_against_previous(store, model_id))
            print(f"change_counts_against_previous {seconds:7.3f} s   {counts}")
        finally:
            store.close()


if __name__ == "__main__":
    raise SystemExit(main())
