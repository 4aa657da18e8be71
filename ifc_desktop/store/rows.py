"""Turning a Snapshot into database rows, and rows back into snapshot objects.

All the per-element Python work (JSON encoding, property set hashing and
deduplication) happens in ``prepare_rows`` before the write transaction starts,
so the database write lock is held only for the bulk inserts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ifc_desktop.core.diff_result import NO_STOREY_LABEL
from ifc_desktop.core.gcpause import gc_paused
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


def compact_json_encoder(*, sort_keys: bool = False) -> Callable[[Any], str]:
    """A function encoding plain data as compact JSON; non-ASCII text stays readable
    (and searchable with LIKE).

    ``JSONEncoder.encode`` sets up a new C encoder on every call, which costs more than
    encoding a small property set: saving a large model encodes hundreds of thousands
    of them. The C encoder is set up once here, checked against the standard encoder,
    and the standard one is used wherever it is unavailable or differs. Data written
    by the store holds no reference cycles, so the cycle check is left out.
    """
    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return standard.encode
    try:
        c_encoder = make_encoder(
            None, standard.default, json.encoder.encode_basestring, None, ":", ",", sort_keys, False, True
        )

        def encode(value: Any) -> str:
            return "".join(c_encoder(value, 0))

        probe = {"b": [1, 2.5, 'é\u2028"', None, True], "a": {"y": float("inf"), "x": -0.0}}
        if encode(probe) == standard.encode(probe):
            return encode
    except Exception:
        pass
    return standard.encode


_encode = compact_json_encoder()
_encode_canonical = compact_json_encoder(sort_keys=True)


def canonical_properties(properties: dict[str, Any]) -> str:
    """The properties as canonical JSON: sorted keys, compact. Equal content, equal text."""
    return _encode_canonical(properties)


def pset_hash(name: str, kind: str, properties_json: str) -> bytes:
    return hashlib.blake2b(f"{name}\x00{kind}\x00{properties_json}".encode(), digest_size=16).digest()


# The store's own JSON is compact (no surrounding whitespace): decoding it with
# raw_decode skips json.loads' wrapper and whitespace scans, twice as fast per value.
_raw_decode = json.JSONDecoder().raw_decode


def loads(text: str) -> Any:
    """Decode JSON written by this store."""
    return _raw_decode(text)[0]


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
    """Element counts by storey label: storeys from the lowest up, as an architect reads a section
    (by the height of their placement; those without one after, in the order they first appear),
    elements on no storey last."""
    labels = _storey_labels(snapshot)
    raw = snapshot.counts_by_storey()
    height = {e.global_id: e.placement[2] for e in snapshot.elements if e.global_id in raw and e.placement}
    storeys = sorted((g for g in raw if g is not None), key=lambda g: (g not in height, height.get(g, 0.0)))
    counts = {labels[g]: raw[g] for g in storeys}
    if None in raw:
        counts[NO_STOREY_LABEL] = raw[None]
    return counts


def prepare_rows(snapshot: Snapshot) -> PreparedRows:
    """All rows of a version except what only the transaction knows (ids)."""
    with gc_paused():
        return _prepare_rows(snapshot)


def _prepare_rows(snapshot: Snapshot) -> PreparedRows:
    psets: list[tuple[bytes, str, str, str]] = []
    index_by_hash: dict[bytes, int] = {}
    # The extractor shares one properties dict between the elements of a type:
    # remember dicts already seen so each is encoded once.
    index_by_object: dict[tuple[str, str, int], int] = {}
    # Many elements share the same materials and classifications: encode each list once.
    materials_cache: dict[tuple[str, ...], str] = {}
    classifications_cache: dict[tuple[tuple[str | None, ...], ...], str] = {}
    elements: list[tuple[Any, ...]] = []
    refs: list[list[tuple[int, str]]] = []
    source_codes = PSET_SOURCE_CODES
    encode = _encode

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

        materials_json = None
        if element.materials:
            key = tuple(element.materials)
            materials_json = materials_cache.get(key)
            if materials_json is None:
                materials_json = materials_cache[key] = encode(element.materials)
        classifications_json = None
        if element.classifications:
            ckey = tuple((c.system, c.identification, c.name) for c in element.classifications)
            classifications_json = classifications_cache.get(ckey)
            if classifications_json is None:
                classifications_json = classifications_cache[ckey] = encode(ckey)
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
                materials_json,
                classifications_json,
                encode(element.placement) if element.placement is not None else None,
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


# Column order used when reading elements back (see ``ElementDecoder``): all but version_id.
ELEMENT_READ_COLUMNS = ELEMENT_COLUMNS[1:]
# Elements are built positionally (the hot loop of loading a version): fail loudly
# at import if the snapshot's field order ever stops matching the columns read.
_EXPECTED_FIELDS = [
    *ELEMENT_READ_COLUMNS[:15],
    "materials",
    "classifications",
    "property_sets",
    "placement",
    "content_hash",
]
if [f.name for f in fields(Element)] != _EXPECTED_FIELDS:
    raise RuntimeError("snapshot.Element fields changed: update ifc_desktop.store.rows to match")

PsetsById = dict[int, tuple[str, str, dict[str, Any]]]


class ElementDecoder:
    """Builds snapshot Elements from rows in ELEMENT_READ_COLUMNS order.

    Materials and classification lists repeat across many elements, so each distinct
    JSON text is decoded once (the Classification objects are shared; lists are copies).
    Property sets come from ``psets_by_id``; without it elements have none.
    """

    def __init__(self, psets_by_id: PsetsById | None):
        self._psets = psets_by_id
        self._materials: dict[str, list[str]] = {}
        self._classifications: dict[str, list[Classification]] = {}

    def __call__(self, row: Sequence[Any], refs: list[list[Any]] | None) -> Element:
        """``refs`` is the decoded last column (the element's property set references)."""
        (*attributes, materials, classifications, placement, content_hash, _refs_json) = row
        property_sets: list[PropertySet] = []
        if self._psets is not None and refs:
            psets = self._psets
            for pset_id, code in refs:
                name, kind, properties = psets[pset_id]
                property_sets.append(PropertySet(name, kind, PSET_SOURCE_NAMES[code], properties))
        material_list: list[str] = []
        if materials:
            cached = self._materials.get(materials)
            if cached is None:
                cached = self._materials[materials] = loads(materials)
            material_list = list(cached)
        classification_list: list[Classification] = []
        if classifications:
            cached_c = self._classifications.get(classifications)
            if cached_c is None:
                cached_c = [Classification(*c) for c in loads(classifications)]
                self._classifications[classifications] = cached_c
            classification_list = list(cached_c)
        return Element(
            *attributes,
            material_list,
            classification_list,
            property_sets,
            tuple(loads(placement)) if placement else None,
            content_hash,
        )
