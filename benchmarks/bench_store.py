"""Store write/read speed and size for a synthetic 50k-element x 20-property snapshot.

Prints figures, asserts nothing. Run from the repository root:

    python benchmarks/bench_store.py [--elements 50000]

Compares the store's bulk write (SQLAlchemy connection, DB-API executemany with
tuples) against plain ``sqlite3.executemany`` of the same rows into the same
table, and against one-row-per-property storage (the layout the shared,
deduplicated property sets replace).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from ifc_desktop.core.snapshot import (
    KIND_PSET,
    KIND_QTO,
    SOURCE_OCCURRENCE,
    SOURCE_TYPE,
    Classification,
    Element,
    HeaderInfo,
    ProjectInfo,
    PropertySet,
    Snapshot,
)
from ifc_desktop.store import Store
from ifc_desktop.store.models import Element as ElementTable
from ifc_desktop.store.rows import INSERT_ELEMENT_SQL, PreparedRows, prepare_rows, refs_json

T = TypeVar("T")
CLASSES = ["IfcWall", "IfcSlab", "IfcBeam", "IfcColumn", "IfcDoor", "IfcWindow", "IfcMember", "IfcPlate"]


def build_snapshot(count: int, seed: int = 7, storeys: int = 10, types: int = 120) -> Snapshot:
    """``count`` products with 20 properties each: 8 occurrence, 6 quantities, 6 from the type."""
    rng = random.Random(seed)
    type_psets = [
        {
            "Reference": f"Typ {t}",
            "FireRating": rng.choice(["F30", "F60", "F90", None]),
            "IsExternal": rng.random() < 0.3,
            "ThermalTransmittance": round(rng.uniform(0.1, 2.0), 3),
            "Status": ["NEW"],
            "Manufacturer": f"Hersteller {t % 17}",
        }
        for t in range(types)
    ]
    elements = [Element(f"storey{s:016d}", "IfcBuildingStorey", s + 1, name=f"Ebene {s}") for s in range(storeys)]
    for i in range(count):
        t = rng.randrange(types)
        ifc_class = CLASSES[t % len(CLASSES)]
        storey = f"storey{rng.randrange(storeys):016d}"
        occurrence = {
            "Mark": f"M-{i}",
            "LoadBearing": rng.random() < 0.5,
            "IsExternal": rng.random() < 0.3,
            "Status": "EXISTING",
            "AcousticRating": rng.choice(["R45", "R50", None]),
            "Combustible": False,
            "Compartmentation": rng.random() < 0.1,
            "Remark": f"Bauteil Nr. {i} – geprüft",
        }
        quantities = {
            "Length": round(rng.uniform(0.5, 12), 4),
            "Width": round(rng.uniform(0.1, 0.5), 4),
            "Height": round(rng.uniform(2, 4), 4),
            "GrossVolume": round(rng.uniform(0.1, 8), 6),
            "NetVolume": round(rng.uniform(0.1, 8), 6),
            "GrossSideArea": round(rng.uniform(1, 40), 4),
        }
        elements.append(
            Element(
                global_id=f"{i:022d}",
                ifc_class=ifc_class,
                step_id=1000 + i,
                predefined_type="STANDARD",
                name=f"{ifc_class[3:]} {i}",
                object_type=f"Typ {t}",
                tag=str(100000 + i),
                type_global_id=f"type{t:018d}",
                type_class=f"{ifc_class}Type",
                type_name=f"Typ {t}",
                container_global_id=storey,
                storey_global_id=storey,
                materials=["Beton C30/37", "Bewehrung"],
                classifications=[Classification("Uniclass 2015", f"Ss_{t:02d}", None)],
                property_sets=[
                    PropertySet(f"Pset_{ifc_class[3:]}Common", KIND_PSET, SOURCE_OCCURRENCE, occurrence),
                    PropertySet(f"Qto_{ifc_class[3:]}BaseQuantities", KIND_QTO, SOURCE_OCCURRENCE, quantities),
                    PropertySet(f"Pset_{ifc_class[3:]}Common", KIND_PSET, SOURCE_TYPE, type_psets[t]),
                ],
                placement=(*tuple(round(rng.uniform(-50, 50), 3) for _ in range(3)), 1, 0, 0, 0, 0, 1),
                content_hash=hashlib.sha1(str(i).encode()).hexdigest(),
            )
        )
    return Snapshot(
        header=HeaderInfo("IFC4", "IFC4", application="Benchmark"),
        project=ProjectInfo("0BenchProject000000001", "Benchmark"),
        elements=elements,
        source_name="bench.ifc",
    )


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    result, wall, _ = cpu_timed(fn)
    return result, wall


def cpu_timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Result, wall seconds, and this process's CPU seconds (apart from other load on the machine)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - start_cpu


def plain_sqlite_table(path: Path) -> sqlite3.Connection:
    """A raw sqlite3 database with the store's own ``elements`` DDL and indexes.

    Foreign keys are off by default in plain sqlite3, so the missing ``versions`` table is fine.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    table = ElementTable.__table__
    conn.execute(str(CreateTable(table).compile(dialect=sqlite_dialect.dialect())))
    for index in table.indexes:
        conn.execute(str(CreateIndex(index).compile(dialect=sqlite_dialect.dialect())))
    return conn


def checkpointed_size(store: Store) -> int:
    """Size of the database file once the WAL is folded into it."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.db_path.stat().st_size


def count_psets(store: Store) -> int:
    with store.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM property_sets").scalar()


def new_source(path: Path) -> str:
    data = os.urandom(1 << 20)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def bench_store(snapshot: Snapshot, tmp_path: Path, n_props: int) -> tuple[PreparedRows, str]:
    n = len(snapshot.elements)
    source = tmp_path / "bench.ifc"
    rows, t_prep, c_prep = cpu_timed(lambda: prepare_rows(snapshot))
    print(
        f"prepare rows (before the write transaction): {t_prep:.2f} s (CPU {c_prep:.2f} s), "
        f"{len(rows.psets):,} distinct property sets"
    )

    store = Store.open(tmp_path / "data")
    sha = new_source(source)
    marks: list[float] = []
    v1, t_save, c_save = cpu_timed(
        lambda: store.save_version(
            snapshot,
            source_path=source,
            sha256=sha,
            size=1 << 20,
            progress=lambda _: marks.append(time.perf_counter()),
        )
    )
    size_v1 = checkpointed_size(store)
    print(
        f"save_version v1: {t_save:.2f} s (CPU {c_save:.2f} s) = {n / t_save:,.0f} elements/s = "
        f"{n_props / t_save:,.0f} property values/s"
    )
    t_rows = marks[-1] - marks[0]
    print(f"  element rows inside the transaction: {t_rows:.2f} s = {n / t_rows:,.0f} rows/s")
    print(f"  database after v1: {mb(size_v1)} = {size_v1 / n:.0f} bytes/element, property sets included")

    # A re-export with one element edited: new bytes, nearly every property set already stored.
    snapshot.elements[-1].property_sets[0] = PropertySet(
        "Pset_Edited", KIND_PSET, SOURCE_OCCURRENCE, {"Mark": "edited"}
    )
    sha2 = new_source(source)
    before = count_psets(store)
    v2, t_save2, c_save2 = cpu_timed(
        lambda: store.save_version(snapshot, source_path=source, sha256=sha2, size=1 << 20)
    )
    size_v2 = checkpointed_size(store)
    print(
        f"save_version v2 (one element edited): {t_save2:.2f} s (CPU {c_save2:.2f} s) = "
        f"{n / t_save2:,.0f} elements/s, "
        f"+{count_psets(store) - before} property set rows, database +{mb(size_v2 - size_v1)} "
        f"({(size_v2 - size_v1) / n:.0f} bytes/element)"
    )

    _, t_revert = timed(lambda: store.revert(v1.model_id, 1))
    _, t_page = timed(lambda: store.elements(v2.id, offset=n * 2 // 5, limit=200))
    by_class, t_class = timed(lambda: store.elements(v2.id, ifc_class="IfcDoor"))
    hits_name, t_name = timed(lambda: store.elements(v2.id, search="Beam 4711"))
    hits_value, t_value = timed(lambda: store.elements(v2.id, search="M-4711"))
    hits_type, t_type = timed(lambda: store.count_elements(v2.id, search="Hersteller 3"))
    hits_many, t_many = timed(lambda: store.count_elements(v2.id, search="geprüft"))
    tree, t_tree = timed(lambda: store.spatial_tree(v2.id))
    some_id = store.elements(v2.id, offset=n // 2, limit=1)[0].id
    _, t_detail = timed(lambda: store.element_detail(some_id))
    loaded, t_load, c_load = cpu_timed(lambda: store.load_elements(v2.id))
    _, t_load_bare, c_load_bare = cpu_timed(lambda: store.load_elements(v2.id, with_psets=False))
    print(f"revert: {ms(t_revert)}; element detail: {ms(t_detail)}; spatial tree: {ms(t_tree)} ({len(tree)})")
    print(f"elements page of 200 at offset {n * 2 // 5:,}: {ms(t_page)}; one class: {ms(t_class)} ({len(by_class)})")
    print(
        f"search: name {ms(t_name)} ({len(hits_name)}), occurrence value {ms(t_value)} ({len(hits_value)}), "
        f"type value {ms(t_type)} ({hits_type}), value in every element {ms(t_many)} ({hits_many})"
    )
    print(
        f"load_elements ({len(loaded):,}): {t_load:.2f} s (CPU {c_load:.2f} s) with property sets, "
        f"{t_load_bare:.2f} s (CPU {c_load_bare:.2f} s) without"
    )
    store.close()
    return rows, sha2


def bench_plain(snapshot: Snapshot, rows: PreparedRows, tmp_path: Path, sha: str) -> None:
    n = len(snapshot.elements)
    pset_ids = list(range(1, len(rows.psets) + 1))
    element_rows = [(1, *rows.elements[i], refs_json(rows.refs[i], pset_ids)) for i in range(n)]

    conn = plain_sqlite_table(tmp_path / "plain.sqlite")

    def plain_write() -> None:
        conn.execute("BEGIN")
        conn.executemany(INSERT_ELEMENT_SQL, element_rows)
        conn.execute("COMMIT")

    _, t_plain, c_plain = cpu_timed(plain_write)
    conn.close()
    print(
        f"plain sqlite3.executemany, element rows only: {t_plain:.2f} s (CPU {c_plain:.2f} s) = "
        f"{n / t_plain:,.0f} rows/s"
    )

    # The same rows through the store's connection (SQLAlchemy exec_driver_sql), into a real version.
    store = Store.open(tmp_path / "data2")
    empty = Snapshot(snapshot.header, snapshot.project, [], source_name="empty.ifc")
    holder = store.save_version(empty, source_path=tmp_path / "bench.ifc", sha256=sha, size=1 << 20)
    same_rows = [(holder.id, *row[1:]) for row in element_rows]

    def store_write() -> None:
        with store.write() as sconn:
            sconn.exec_driver_sql(INSERT_ELEMENT_SQL, same_rows)

    _, t_sa, c_sa = cpu_timed(store_write)
    store.close()
    print(
        f"store connection (SQLAlchemy exec_driver_sql), same rows: {t_sa:.2f} s (CPU {c_sa:.2f} s) = "
        f"{n / t_sa:,.0f} rows/s; CPU {c_sa / c_plain:.2f}x plain (foreign keys checked)"
    )

    # The layout the shared property sets replace: one row per property value.
    conn = sqlite3.connect(tmp_path / "eav.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE properties (element_id INTEGER, pset TEXT, source TEXT, name TEXT, value TEXT)")
    conn.execute("CREATE INDEX ix_properties_element ON properties (element_id)")
    values = [
        (i, p.name, p.source, key, repr(value))
        for i, e in enumerate(snapshot.elements)
        for p in e.property_sets
        for key, value in p.properties.items()
    ]

    def eav_write() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO properties VALUES (?, ?, ?, ?, ?)", values)
        conn.execute("COMMIT")

    _, t_eav, _ = cpu_timed(eav_write)
    conn.close()
    eav_size = (tmp_path / "eav.sqlite").stat().st_size
    print(
        f"for comparison, one row per property value: {len(values):,} rows, {t_eav:.2f} s, "
        f"{mb(eav_size)} for the properties alone, again for every version"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elements", type=int, default=50_000)
    args = parser.parse_args()
    snapshot = build_snapshot(args.elements)
    n_props = sum(len(p.properties) for e in snapshot.elements for p in e.property_sets)
    print(f"snapshot: {len(snapshot.elements):,} elements, {n_props:,} property values")
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench store ") as tmp:
        rows, sha = bench_store(snapshot, Path(tmp), n_props)
        bench_plain(snapshot, rows, Path(tmp), sha)


if __name__ == "__main__":
    main()
