"""Element queries: the spatial tree, filtered and searched lists, full elements back.

Bulk reads use ``exec_driver_sql`` with explicit column lists and decode the
store's own compact JSON directly (see ``rows.ElementDecoder``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from ifc_desktop.core.gcpause import gc_paused
from ifc_desktop.core.snapshot import Element
from ifc_desktop.store.records import ElementRow
from ifc_desktop.store.rows import ELEMENT_READ_COLUMNS, ElementDecoder, PsetsById, loads

# Classes shown in the spatial tree (IfcSpatialElement and its subtypes across schemas);
# any element that contains others is shown too.
SPATIAL_CLASSES = frozenset(
    {
        "IfcSite",
        "IfcBuilding",
        "IfcBuildingStorey",
        "IfcSpace",
        "IfcExternalSpatialElement",
        "IfcSpatialZone",
        "IfcSpatialElement",
        "IfcSpatialStructureElement",
        "IfcFacility",
        "IfcFacilityPart",
        "IfcFacilityPartCommon",
        "IfcBridge",
        "IfcBridgePart",
        "IfcBuildingSystem",
        "IfcRoad",
        "IfcRoadPart",
        "IfcRailway",
        "IfcRailwayPart",
        "IfcMarineFacility",
        "IfcMarinePart",
    }
)

# Text columns a search looks in (besides property set names and values).
SEARCH_COLUMNS = ("name", "global_id", "ifc_class", "tag", "object_type", "type_name", "long_name")
FEW_PSET_HITS = 16  # up to this many matching property sets, test references with instr()

_ROW_SELECT = ", ".join(f"e.{name}" for name in ElementRow.__dataclass_fields__)
_READ_SELECT = ", ".join(ELEMENT_READ_COLUMNS)


def like_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') that matches ``text`` literally anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def spatial_tree(conn: Connection, version_id: int) -> list[ElementRow]:
    classes = sorted(SPATIAL_CLASSES)
    sql = (
        f"SELECT {_ROW_SELECT} FROM elements e "
        f"WHERE e.version_id = ? AND e.ifc_class IN ({','.join('?' * len(classes))}) "
        f"UNION SELECT {_ROW_SELECT} FROM elements e WHERE e.version_id = ? AND e.global_id IN ("
        "SELECT container_global_id FROM elements WHERE version_id = ? AND container_global_id IS NOT NULL) "
        "ORDER BY 1"
    )
    rows = conn.exec_driver_sql(sql, (version_id, *classes, version_id, version_id))
    return [ElementRow(*r) for r in rows]


# Where an element hangs in the spatial tree: its container; else, for an element that is
# in no container (an opening, a door in it, a part of an aggregate), its storey; else the
# NOT_PLACED node. Spatial elements and elements holding others are the tree's own nodes
# (see ``spatial_tree``), never rows below one, even when contained (a zone in a building).
NOT_PLACED = ""
_SPATIAL_LIST = ", ".join(f"'{name}'" for name in sorted(SPATIAL_CLASSES))
_TREE_NODE = (
    f"CASE WHEN e.ifc_class NOT IN ({_SPATIAL_LIST}) AND NOT EXISTS ("
    "SELECT 1 FROM elements c WHERE c.version_id = e.version_id AND c.container_global_id = e.global_id"
    f") THEN COALESCE(e.container_global_id, e.storey_global_id, '{NOT_PLACED}') END"
)


def count_by_tree_node(conn: Connection, version_id: int) -> dict[str, int]:
    """How many elements hang directly below each node of the spatial tree (see ``_TREE_NODE``)."""
    sql = (
        f"SELECT {_TREE_NODE} AS node, count(*) FROM elements e "
        "WHERE e.version_id = ? GROUP BY node HAVING node IS NOT NULL"
    )
    return dict(conn.exec_driver_sql(sql, (version_id,)).all())


def element_rows(
    conn: Connection,
    version_id: int,
    *,
    search: str | None,
    ifc_class: str | None,
    tree_node: str | None,
    offset: int,
    limit: int | None,
    after_id: int | None = None,
) -> list[ElementRow]:
    where, params = element_filter(conn, version_id, search, ifc_class, tree_node)
    if after_id is not None:  # the next page starts where the last ended: no rows skipped one by one
        where, params = f"{where} AND e.id > ?", (*params, after_id)
    sql = f"SELECT {_ROW_SELECT} FROM elements e WHERE {where} ORDER BY e.id LIMIT ? OFFSET ?"
    rows = conn.exec_driver_sql(sql, (*params, -1 if limit is None else limit, offset))
    return [ElementRow(*r) for r in rows]


def rows_by_global_id(conn: Connection, version_id: int, global_ids: list[str]) -> dict[str, ElementRow]:
    """The rows of the elements with these GlobalIds (the first of each, when one is used twice)."""
    sql = (
        f"SELECT {_ROW_SELECT} FROM elements e WHERE e.version_id = ? "
        "AND e.global_id IN (SELECT value FROM json_each(?)) ORDER BY e.id DESC"
    )
    rows = conn.exec_driver_sql(sql, (version_id, json.dumps(global_ids)))
    return {row.global_id: row for row in (ElementRow(*r) for r in rows)}


def count_elements(
    conn: Connection,
    version_id: int,
    *,
    search: str | None,
    ifc_class: str | None,
    tree_node: str | None,
) -> int:
    where, params = element_filter(conn, version_id, search, ifc_class, tree_node)
    return conn.exec_driver_sql(f"SELECT count(*) FROM elements e WHERE {where}", params).scalar()


def element_filter(
    conn: Connection,
    version_id: int,
    search: str | None,
    ifc_class: str | None,
    tree_node: str | None,
) -> tuple[str, tuple[Any, ...]]:
    """WHERE clause over ``elements e`` and its parameters; ``tree_node``: the elements
    directly below that node of the spatial tree (a GlobalId, or ``NOT_PLACED``)."""
    clauses = ["e.version_id = ?"]
    params: list[Any] = [version_id]
    if search:
        if search.isascii():
            # LIKE ignores the case of ASCII letters, and is fast.
            test, needle = "{} LIKE ? ESCAPE '\\'", like_pattern(search)
        else:
            # "étage" finds "Étage": both sides case-folded (a Python function, so only when needed).
            test, needle = "instr(casefold({}), ?) > 0", search.casefold()
        matches = [test.format(f"e.{column}") for column in SEARCH_COLUMNS]
        params += [needle] * len(SEARCH_COLUMNS)
        # Property sets are shared between versions: find the matching ones first (one
        # scan of their JSON text), then the elements that refer to them.
        hits = (
            conn.exec_driver_sql(
                f"SELECT id FROM property_sets WHERE {test.format('properties')} OR {test.format('name')}",
                (needle, needle),
            )
            .scalars()
            .all()
        )
        if 0 < len(hits) <= FEW_PSET_HITS:
            # References are written as [id,"o"]: "[<id>," cannot match another id.
            matches += ["instr(e.psets, ?) > 0"] * len(hits)
            params += [f"[{pset_id}," for pset_id in hits]
        elif hits:
            matches.append(
                "(e.psets IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(e.psets) j "
                "WHERE json_extract(j.value, '$[0]') IN (SELECT value FROM json_each(?))))"
            )
            params.append(json.dumps(hits))
        clauses.append(f"({' OR '.join(matches)})")
    if ifc_class is not None:
        clauses.append("e.ifc_class = ?")
        params.append(ifc_class)
    if tree_node is not None:
        clauses.append(f"{_TREE_NODE} = ?")
        params.append(tree_node)
    return " AND ".join(clauses), tuple(params)


def element_detail(conn: Connection, element_id: int) -> Element:
    row = conn.exec_driver_sql(f"SELECT {_READ_SELECT} FROM elements WHERE id = ?", (element_id,)).first()
    if row is None:
        raise LookupError(f"There is no element with id {element_id}.")
    refs = loads(row[-1]) if row[-1] else []
    return ElementDecoder(property_sets(conn, {pset_id for pset_id, _ in refs}))(row, refs)


def load_elements(
    conn: Connection, version_id: int, *, with_psets: bool, global_ids: list[str] | None = None
) -> list[Element]:
    with gc_paused():
        return _load_elements(conn, version_id, with_psets=with_psets, global_ids=global_ids)


def _load_elements(
    conn: Connection, version_id: int, *, with_psets: bool, global_ids: list[str] | None
) -> list[Element]:
    if global_ids is None:
        sql, params = f"SELECT {_READ_SELECT} FROM elements WHERE version_id = ? ORDER BY id", (version_id,)
    else:
        sql = (
            f"SELECT {_READ_SELECT} FROM elements WHERE version_id = ? "
            "AND global_id IN (SELECT value FROM json_each(?)) ORDER BY id"
        )
        params = (version_id, json.dumps(global_ids))
    rows = conn.exec_driver_sql(sql, params).all()
    if not with_psets:
        decode = ElementDecoder(None)
        return [decode(row, None) for row in rows]
    refs = [loads(row[-1]) if row[-1] else [] for row in rows]
    decode = ElementDecoder(property_sets(conn, {pset_id for element in refs for pset_id, _ in element}))
    return [decode(row, element_refs) for row, element_refs in zip(rows, refs, strict=True)]


def property_sets(conn: Connection, pset_ids: set[int]) -> PsetsById:
    """(name, kind, properties) by id; each set is decoded once per call."""
    if not pset_ids:
        return {}
    # One query with the ids as a JSON array parameter: about 4x faster than chunked IN lists.
    rows = conn.exec_driver_sql(
        "SELECT id, name, kind, properties FROM property_sets WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(pset_ids)),),
    )
    return {pset_id: (name, kind, loads(properties)) for pset_id, name, kind, properties in rows.all()}
