"""Turning a Snapshot into database rows, and rows back into snapshot objects.

All the per-element Python work (JSON encoding, property set hashing and
deduplication) happens in ``prepare_rows`` before the write transaction starts,
so the database write lock is held only for the bulk inserts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ifc_desktop.core.snapshot import (
    Classification,
    Element,
    PropertySet,
    Snapshot,
    UnitInfo,
)
from ifc_desktop.store.models import PSET_SOURCE_CODES, PSET_SOURCE_NAMES

# Column order of the bulk element insert; ``psets`` is filled in inside the transaction.
ELEMENT_COLUMNS = (
    "version_id",
    "global_id",
    "ifc_class",
    "step_id",
    "predefined_type",
    "name",
    "description",
    "object_type",
    "tag",
    "long_name",
    "type_global_id",
    "type_class",
    "type_name",
    "parent_global_id",
    "container_global_id",
    "storey_global_id",
    "materials",
    "classifications",
    "placement",
    "content_hash",
    "psets",
)
INSERT_ELEMENT_SQL = (
    f"INSERT INTO elements ({', '.join(ELEMENT_COLUMNS)}) VALUES ({', '.join('?' * len(ELEMENT_COLUMNS))})"
)
INSERT_PSET_SQL = "INSERT INTO property_sets (id, hash, name, kind, properties) VALUES (?, ?, ?, ?, ?)"

NO_STOREY_LABEL = "(not on a storey)"


def dumps(value: Any) -> str:
    """Compact JSON that keeps non-ASCII text readable (and searchable with LIKE)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_properties(properties: dict[str, Any]) -> str:
    """The properties as canonical JSON: sorted keys, compact. Equal content, equal text."""
    return json.dumps(properties, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def pset_hash(name: str, kind: str, properties_json: str) -> bytes:
    data = b"\x00".join((name.encode(), kind.encode(), properties_json.encode()))
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(slots=True)
class PreparedRows:
    # Distinct property sets: (hash, name, kind, canonical properties JSON).
    psets: list[tuple[bytes, str, str, str]]
    # One tuple per element: every column of ELEMENT_COLUMNS except version_id and psets.
    elements: list[tuple[Any, ...]]
    # Per element: [(index into psets, source code), ...].
    refs: list[list[tuple[int, str]]]
    counts_by_class: dict[str, int]
    counts_by_storey: dict[str, int]


def _storey_labels(snapshot: Snapshot) -> dict[str | None, str]:
    """A unique, readable label for every storey GlobalId the elements refer to."""
    storey_ids = {e.storey_global_id for e in snapshot.elements if e.storey_global_id is not None}
    names: dict[str, str] = {}
    for element in snapshot.elements:
        if element.global_id in storey_ids and element.global_id not in names:
            names[element.global_id] = element.name or element.long_name or element.global_id
    for global_id in storey_ids - names.keys():
        names[global_id] = global_id  # refers to a storey that is not an element of its own
    labels: dict[str | None, str] = {None: NO_STOREY_LABEL}
    taken: dict[str, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    for global_id, name in names.items():
        labels[global_id] = name if taken[name] == 1 and name != NO_STOREY_LABEL else f"{name} [{global_id}]"
    return labels


def storey_counts(snapshot: Snapshot) -> dict[str, int]:
    """Element counts by storey label, storeys in the order they first appear, none last."""
    labels = _storey_labels(snapshot)
    raw = snapshot.counts_by_storey()
    counts = {labels[g]: n for g, n in raw.items() if g is not None}
    if None in raw:
        counts[NO_STOREY_LABEL] = raw[None]
    return counts


def prepare_rows(snapshot: Snapshot) -> PreparedRows:
    psets: list[tuple[bytes, str, str, str]] = []
    index_by_hash: dict[bytes, int] = {}
    # The extractor shares one properties dict between the elements of a type:
    # remember dicts already seen so each is encoded once.
    index_by_object: dict[tuple[str, str, int], int] = {}
    elements: list[tuple[Any, ...]] = []
    refs: list[list[tuple[int, str]]] = []
    source_codes = PSET_SOURCE_CODES

    for element in snapshot.elements:
        element_refs: list[tuple[int, str]] = []
        for pset in element.property_sets:
            object_key = (pset.name, pset.kind, id(pset.properties))
            index = index_by_object.get(object_key)
            if index is None:
                properties_json = canonical_properties(pset.properties)
                digest = pset_hash(pset.name, pset.kind, properties_json)
                index = index_by_hash.get(digest)
                if index is None:
                    index = len(psets)
                    index_by_hash[digest] = index
                    psets.append((digest, pset.name, pset.kind, properties_json))
                index_by_object[object_key] = index
            element_refs.append((index, source_codes[pset.source]))
        refs.append(element_refs)
        classifications = element.classifications
        elements.append(
            (
                element.global_id,
                element.ifc_class,
                element.step_id,
                element.predefined_type,
                element.name,
                element.description,
                element.object_type,
                element.tag,
                element.long_name,
                element.type_global_id,
                element.type_class,
                element.type_name,
                element.parent_global_id,
                element.container_global_id,
                element.storey_global_id,
                dumps(element.materials) if element.materials else None,
                dumps([[c.system, c.identification, c.name] for c in classifications]) if classifications else None,
                dumps(list(element.placement)) if element.placement is not None else None,
                element.content_hash,
            )
        )
    return PreparedRows(
        psets=psets,
        elements=elements,
        refs=refs,
        counts_by_class=snapshot.counts_by_class(),
        counts_by_storey=storey_counts(snapshot),
    )


def refs_json(element_refs: list[tuple[int, str]], pset_ids: Sequence[int]) -> str | None:
    if not element_refs:
        return None
    return "[" + ",".join(f'[{pset_ids[i]},"{code}"]' for i, code in element_refs) + "]"


def units_json(units: list[UnitInfo]) -> list[list[Any]]:
    return [[u.unit_type, u.name, u.symbol, u.scale_to_si] for u in units]


def units_from_json(value: list[list[Any]] | None) -> tuple[UnitInfo, ...]:
    return tuple(UnitInfo(*item) for item in value or ())


# Column order used when reading elements back (see ``element_from_row``).
ELEMENT_READ_COLUMNS = (
    "global_id",
    "ifc_class",
    "step_id",
    "predefined_type",
    "name",
    "description",
    "object_type",
    "tag",
    "long_name",
    "type_global_id",
    "type_class",
    "type_name",
    "parent_global_id",
    "container_global_id",
    "storey_global_id",
    "materials",
    "classifications",
    "placement",
    "content_hash",
    "psets",
)
_ATTRIBUTE_COLUMNS = ELEMENT_READ_COLUMNS[:15]


def element_from_row(row: Sequence[Any], psets_by_id: dict[int, tuple[str, str, dict[str, Any]]] | None) -> Element:
    """An Element from a row in ELEMENT_READ_COLUMNS order; property sets when given their table."""
    (*attributes, materials, classifications, placement, content_hash, refs) = row
    property_sets: list[PropertySet] = []
    if psets_by_id is not None and refs:
        for pset_id, code in json.loads(refs):
            name, kind, properties = psets_by_id[pset_id]
            property_sets.append(PropertySet(name, kind, PSET_SOURCE_NAMES[code], properties))
    return Element(
        **dict(zip(_ATTRIBUTE_COLUMNS, attributes, strict=True)),
        materials=json.loads(materials) if materials else [],
        classifications=[Classification(*c) for c in json.loads(classifications)] if classifications else [],
        property_sets=property_sets,
        placement=tuple(json.loads(placement)) if placement else None,
        content_hash=content_hash,
    )
