"""Compare two versions of a model: what was added, removed and changed, and how.

Elements are matched by GlobalId. For a matched pair, the extractor's content
hash decides whether the attributes, relations and property sets need to be
compared at all (equal hash: they are equal); placement and storey are not
part of that hash and are always compared.

What never counts as a change:

- STEP ids and entity order (never compared; classifications, materials from
  multiple associations and same-named property sets are compared in an
  order-independent way);
- owner history (not extracted);
- floating-point noise: numbers equal to 9 significant digits, or within a
  relative 1e-9, are equal; placements within ``tolerance`` (default 1 mm) and
  ``angular_tolerance`` (default 1e-4 rad, i.e. 1 mm over 10 m) are equal;
- a change of project length unit: placements are compared in metres, and a
  number that differs exactly by the unit ratio (e.g. 2.5 m written as 2500 mm)
  is the same length written in the new unit.

Property values are compared as the element shows them: type property sets
first, occurrence property sets of the same name on top (the view of
``ifcopenshell.util.element.get_psets``). A property that moves from the type to
the occurrence with the same value is therefore not a change.

The type object is compared by class and name (what the content hash covers),
not by its GlobalId, which some exporters regenerate on every export.

Duplicate GlobalIds never stop a comparison. Within a GlobalId used more than
once in either version, identical elements (same content hash, storey and
placement) are paired first; the rest are paired in a stable order (class,
name, content, placement - never file order), and any surplus is reported as
added or removed. Every such GlobalId is listed in ``DiffResult.duplicates``
and its changes carry ``duplicate=True``.

No Qt, no database, no ifcopenshell: this module runs on plain ``Element`` lists.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .diff_result import (
    ADDED,
    ATTRIBUTE,
    CHANGED,
    KIND_ORDER,
    NO_STOREY_LABEL,
    PLACEMENT,
    PROPERTY,
    QUANTITY,
    RELATION,
    REMOVED,
    ROW_HEADERS,
    ChangeCounts,
    DiffResult,
    DiffSummary,
    DuplicateGlobalId,
    ElementChange,
    FieldChange,
    QuantityTotal,
    cell_value,
    format_number,
    format_value,
    noise_equal_number,
)
from .snapshot import KIND_QTO, SOURCE_TYPE, Element, PropertySet, UnitInfo
from .wording import count_of

__all__ = [
    "ADDED",
    "BASE_QUANTITIES",
    "CHANGED",
    "REMOVED",
    "ROW_HEADERS",
    "ChangeCounts",
    "DiffResult",
    "DiffSummary",
    "DuplicateGlobalId",
    "ElementChange",
    "FieldChange",
    "QuantityTotal",
    "base_quantities",
    "cell_value",
    "count_changes",
    "diff_elements",
    "effective_psets",
    "format_number",
    "format_value",
    "match_elements",
]

# Default placement tolerance: 1 mm, whatever the model's unit.
DEFAULT_TOLERANCE_M = 0.001
# Default rotation tolerance in radians (about 0.0057°: 1 mm at 10 m from the origin).
DEFAULT_ANGULAR_TOLERANCE = 1e-4

# Field names of the element's own attributes, in report order.
ATTRIBUTE_FIELDS = (
    ("Class", "ifc_class"),
    ("PredefinedType", "predefined_type"),
    ("Name", "name"),
    ("Description", "description"),
    ("ObjectType", "object_type"),
    ("Tag", "tag"),
    ("LongName", "long_name"),
)

# Common base quantities totalled in the summary, by dimension: those whose sum means
# something (wall length, skirting perimeter, areas, volumes), not widths or heights.
LENGTH, AREA, VOLUME = "length", "area", "volume"
BASE_QUANTITIES: dict[str, str] = {
    "Length": LENGTH,
    "Perimeter": LENGTH,
    "Area": AREA,
    "NetArea": AREA,
    "GrossArea": AREA,
    "NetSideArea": AREA,
    "GrossSideArea": AREA,
    "NetFootprintArea": AREA,
    "GrossFootprintArea": AREA,
    "NetFloorArea": AREA,
    "GrossFloorArea": AREA,
    "NetCeilingArea": AREA,
    "GrossCeilingArea": AREA,
    "NetWallArea": AREA,
    "GrossWallArea": AREA,
    "NetSurfaceArea": AREA,
    "GrossSurfaceArea": AREA,
    "OuterSurfaceArea": AREA,
    "Volume": VOLUME,
    "NetVolume": VOLUME,
    "GrossVolume": VOLUME,
}
_LENGTH_SYMBOLS = {
    "metre": "m",
    "meter": "m",
    "millimetre": "mm",
    "millimeter": "mm",
    "centimetre": "cm",
    "centimeter": "cm",
    "decimetre": "dm",
    "kilometre": "km",
    "foot": "ft",
    "inch": "in",
    "yard": "yd",
    "us survey foot": "US ft",
}
_NUMBER_TYPES = (float, int)
_UNIT_TYPE = {LENGTH: "LENGTHUNIT", AREA: "AREAUNIT", VOLUME: "VOLUMEUNIT"}


def is_base_quantity_set(pset: PropertySet) -> bool:
    """Standard base quantity sets: ``Qto_*`` (IFC4+) and ``BaseQuantities`` (IFC2X3 and many exporters)."""
    return pset.kind == KIND_QTO and (pset.name.startswith("Qto_") or pset.name == "BaseQuantities")


# -- entry points ----------------------------------------------------------------------


def diff_elements(
    old: Sequence[Element],
    new: Sequence[Element],
    *,
    tolerance: float | None = None,
    angular_tolerance: float = DEFAULT_ANGULAR_TOLERANCE,
    length_unit: str = "metre",
    old_length_scale: float = 1.0,
    new_length_scale: float = 1.0,
    old_units: Iterable[UnitInfo] = (),
    new_units: Iterable[UnitInfo] = (),
    storey_names: dict[str, str] | None = None,
    old_label: str = "old",
    new_label: str = "new",
) -> DiffResult:
    """Compare two versions' elements.

    ``tolerance`` is the placement tolerance in ``length_unit``, the newer
    version's length unit (``new_length_scale`` metres each); None means 1 mm.
    Placements are given in each version's own unit (``old_length_scale`` /
    ``new_length_scale`` metres per unit) and reported in ``length_unit``.
    ``old_units``/``new_units`` (the versions' declared units) let quantity
    totals be converted when area or volume units differ; without them, area
    and volume units are assumed to follow the length unit. ``storey_names``
    (storey GlobalId -> name) overrides the names found among the elements.
    """
    old_units, new_units = list(old_units), list(new_units)
    comparer = _Comparer(
        tolerance=tolerance,
        angular_tolerance=angular_tolerance,
        length_unit=length_unit,
        old_scale=old_length_scale,
        new_scale=new_length_scale,
        old_units=old_units,
        new_units=new_units,
    )
    pairs, removed, added, duplicates = match_elements(old, new)
    labels = _Labels(old, new, storey_names)

    changes: list[ElementChange] = []
    duplicate_ids = {d.global_id for d in duplicates}
    for element in added:
        changes.append(_whole(ADDED, element, labels, element.global_id in duplicate_ids))
    for element in removed:
        changes.append(_whole(REMOVED, element, labels, element.global_id in duplicate_ids))
    for o, n in pairs:
        fields = comparer.compare(o, n, labels)
        if fields:
            changes.append(
                ElementChange(
                    kind=CHANGED,
                    global_id=n.global_id,
                    ifc_class=n.ifc_class,
                    name=n.name,
                    storey=labels.storey(_storey_of(n)),
                    fields=fields,
                    old_step_id=o.step_id,
                    new_step_id=n.step_id,
                    duplicate=n.global_id in duplicate_ids,
                    old=o,
                    new=n,
                )
            )
    changes.sort(key=lambda c: (KIND_ORDER[c.kind], c.ifc_class, c.name or "", c.global_id, c.new_step_id or 0))

    scales = _QuantityScales(old_length_scale, new_length_scale, old_units, new_units, length_unit)
    summary = _summarise(old, new, changes, labels, scales)
    warnings = []
    if not noise_equal_number(old_length_scale, new_length_scale):
        old_unit = next((u.name for u in old_units if u.unit_type == "LENGTHUNIT"), None)
        warnings.append(
            f"The length unit changed ({old_unit or f'{old_length_scale:g} m'} → {length_unit}); placements are "
            f"compared in metres and numbers that differ exactly by the unit ratio count as unchanged."
        )
    if duplicates:
        warnings.append(
            f"{count_of(len(duplicates), 'GlobalId')} {'is' if len(duplicates) == 1 else 'are'} used by more than "
            "one element; those elements are paired by content."
        )
    return DiffResult(
        changes=changes,
        summary=summary,
        duplicates=duplicates,
        length_unit=length_unit,
        tolerance=comparer.tolerance,
        angular_tolerance=angular_tolerance,
        old_label=old_label,
        new_label=new_label,
        warnings=warnings,
    )


def count_changes(
    old: Sequence[Element],
    new: Sequence[Element],
    *,
    tolerance: float | None = None,
    angular_tolerance: float = DEFAULT_ANGULAR_TOLERANCE,
    old_length_scale: float = 1.0,
    new_length_scale: float = 1.0,
    old_units: Iterable[UnitInfo] = (),
    new_units: Iterable[UnitInfo] = (),
    in_full: Callable[[list[str]], tuple[Sequence[Element], Sequence[Element]]] | None = None,
) -> ChangeCounts:
    """Added / removed / changed counts from content hashes, storeys and placements.

    Property sets are not needed (elements loaded without them are fine): an
    element counts as changed when its storey differs, it moved or turned
    beyond the tolerances, or its content hash differs. A differing hash is
    not always a change ``diff_elements`` reports (floating-point noise, the
    same classifications in another order, a type's property set written on
    the occurrence, every length after a unit change), so with ``in_full``
    such pairs are compared in full: it is given their GlobalIds and returns
    those elements of the older and the newer version with their property
    sets (or simply ``old, new`` when these carry them). The counts are then
    exactly those of ``diff_elements``; without it, every such pair counts.
    """
    comparer = _Comparer(
        tolerance=tolerance,
        angular_tolerance=angular_tolerance,
        length_unit="",
        old_scale=old_length_scale,
        new_scale=new_length_scale,
        old_units=old_units,
        new_units=new_units,
    )
    pairs, removed, added, duplicates = match_elements(old, new)
    labels = _Labels(old, new, None)
    changed = 0
    unsure: list[tuple[Element, Element]] = []
    for o, n in pairs:
        if o.storey_global_id != n.storey_global_id or comparer.placement_change(o.placement, n.placement):
            changed += 1
        elif o.content_hash != n.content_hash or not o.content_hash:
            unsure.append((o, n))
    if in_full is not None and unsure:
        shared = {d.global_id for d in duplicates}  # paired by content: no GlobalId names one element
        changed += sum(1 for o, _ in unsure if o.global_id in shared)
        wanted = sorted({o.global_id for o, _ in unsure} - shared)
        old_full, new_full = ({e.global_id: e for e in side} for side in in_full(wanted))
        for global_id in wanted:
            o, n = old_full.get(global_id), new_full.get(global_id)
            changed += 1 if o is None or n is None or comparer.compare(o, n, labels) else 0
    else:
        changed += len(unsure)
    return ChangeCounts(len(added), len(removed), changed)


def match_elements(
    old: Sequence[Element], new: Sequence[Element]
) -> tuple[list[tuple[Element, Element]], list[Element], list[Element], list[DuplicateGlobalId]]:
    """Pair elements by GlobalId: (pairs, removed, added, duplicates). See the module notes on duplicates."""
    old_index = {e.global_id: e for e in old}
    new_index = {e.global_id: e for e in new}
    old_multi = _multiples(old, old_index)
    new_multi = _multiples(new, new_index)
    multi_ids = old_multi.keys() | new_multi.keys()

    pairs: list[tuple[Element, Element]] = []
    removed: list[Element] = []
    added: list[Element] = []
    for gid, o in old_index.items():
        if gid in multi_ids:
            continue
        n = new_index.get(gid)
        if n is None:
            removed.append(o)
        else:
            pairs.append((o, n))
    for gid, n in new_index.items():
        if gid not in multi_ids and gid not in old_index:
            added.append(n)

    duplicates: list[DuplicateGlobalId] = []
    for gid in sorted(multi_ids):
        olds = old_multi.get(gid) or ([old_index[gid]] if gid in old_index else [])
        news = new_multi.get(gid) or ([new_index[gid]] if gid in new_index else [])
        group_pairs, group_removed, group_added = _pair_group(olds, news)
        pairs += group_pairs
        removed += group_removed
        added += group_added
        classes = sorted({e.ifc_class for e in (*olds, *news)})
        duplicates.append(DuplicateGlobalId(gid, len(olds), len(news), classes))
    return pairs, removed, added, duplicates


# -- matching --------------------------------------------------------------------------


def _multiples(elements: Sequence[Element], index: dict[str, Element]) -> dict[str, list[Element]]:
    """GlobalIds used more than once (and the empty GlobalId), with all their elements."""
    if len(index) == len(elements) and "" not in index:
        return {}
    groups: dict[str, list[Element]] = {}
    for element in elements:
        groups.setdefault(element.global_id, []).append(element)
    return {gid: group for gid, group in groups.items() if len(group) > 1 or gid == ""}


def _stable_key(element: Element) -> tuple:
    placement = tuple(round(v, 6) for v in element.placement) if element.placement else ()
    return (
        element.ifc_class,
        element.name or "",
        element.content_hash,
        element.storey_global_id or "",
        element.type_global_id or "",
        placement,
    )


def _pair_group(
    olds: list[Element], news: list[Element]
) -> tuple[list[tuple[Element, Element]], list[Element], list[Element]]:
    olds = sorted(olds, key=_stable_key)
    news = sorted(news, key=_stable_key)
    # Identical elements first, so unchanged duplicates never show up as changes.
    waiting: dict[tuple, list[Element]] = {}
    for o in olds:
        waiting.setdefault(_stable_key(o), []).append(o)
    pairs: list[tuple[Element, Element]] = []
    unmatched_new: list[Element] = []
    for n in news:
        bucket = waiting.get(_stable_key(n))
        if bucket:
            pairs.append((bucket.pop(0), n))
        else:
            unmatched_new.append(n)
    unmatched_old = [o for bucket in waiting.values() for o in bucket]
    unmatched_old.sort(key=_stable_key)
    count = min(len(unmatched_old), len(unmatched_new))
    pairs += list(zip(unmatched_old[:count], unmatched_new[:count], strict=True))
    return pairs, unmatched_old[count:], unmatched_new[count:]


# -- comparison ------------------------------------------------------------------------


class _Labels:
    """Readable names for storeys, containers and parents, looked up in either version."""

    def __init__(self, old: Sequence[Element], new: Sequence[Element], storey_names: dict[str, str] | None):
        self._old = old
        self._new = new
        self._storey_names = storey_names or {}
        self._storey_labels: dict[str | None, str] | None = None
        self._old_storey_names: dict[str, str | None] | None = None
        self._names: dict[str, str] | None = None
        self._storey_ranks: dict[str, tuple[float, float]] | None = None

    def _element_names(self) -> dict[str, str]:
        if self._names is None:
            names: dict[str, str] = {}
            for element in (*self._old, *self._new):  # newer names win
                names[element.global_id] = element.name or element.long_name or element.ifc_class
            self._names = names
        return self._names

    def storey(self, global_id: str | None) -> str:
        if self._storey_labels is None:
            self._storey_labels = self._build_storey_labels()
        label = self._storey_labels.get(global_id)
        if label is None:
            label = self._storey_names.get(global_id) or global_id or NO_STOREY_LABEL
            self._storey_labels[global_id] = label
        return label

    def old_storey(self, global_id: str | None) -> str:
        """The storey's label as the older version named it (a storey renamed since keeps its old
        name on the old side of a change), else as ``storey`` gives it."""
        label = self.storey(global_id)
        if global_id is None or global_id in self._storey_names:
            return label
        if self._old_storey_names is None:
            self._old_storey_names = {e.global_id: e.name for e in self._old if e.ifc_class == "IfcBuildingStorey"}
        old_name = self._old_storey_names.get(global_id)
        new_name = self._element_names().get(global_id)
        if not old_name or old_name == new_name:
            return label
        return f"{old_name} [{global_id}]" if label.endswith(f" [{global_id}]") else old_name

    def _build_storey_labels(self) -> dict[str | None, str]:
        ids = {e.storey_global_id for e in (*self._old, *self._new) if e.storey_global_id is not None}
        ids |= {e.global_id for e in (*self._old, *self._new) if e.ifc_class == "IfcBuildingStorey"}
        names = self._element_names()
        chosen = {gid: self._storey_names.get(gid) or names.get(gid) or gid for gid in ids}
        taken: dict[str, int] = {}
        for name in chosen.values():
            taken[name] = taken.get(name, 0) + 1
        labels: dict[str | None, str] = {None: NO_STOREY_LABEL}
        for gid, name in chosen.items():
            labels[gid] = name if taken[name] == 1 and name != NO_STOREY_LABEL else f"{name} [{gid}]"
        return labels

    def storey_order(self, item: tuple[str, Any]) -> tuple[bool, float, float, str]:
        """Sort key for (storey label, value) items: storeys bottom up (by the height of their
        placement, else as the files list them, the newer first), elements not on a storey last."""
        if self._storey_ranks is None:
            ranks: dict[str, tuple[float, float]] = {}
            storeys = (e for e in (*self._new, *self._old) if e.ifc_class == "IfcBuildingStorey")
            for index, storey in enumerate(storeys):
                height = storey.placement[2] if storey.placement else math.inf
                ranks.setdefault(self.storey(storey.global_id), (height, index))
            self._storey_ranks = ranks
        label = item[0]
        height, index = self._storey_ranks.get(label, (math.inf, math.inf))
        return (label == NO_STOREY_LABEL, height, index, label)

    def reference(self, global_id: str | None) -> str | None:
        if global_id is None:
            return None
        return self._element_names().get(global_id, global_id)


class _Comparer:
    def __init__(
        self,
        *,
        tolerance: float | None,
        angular_tolerance: float,
        length_unit: str,
        old_scale: float,
        new_scale: float,
        old_units: Iterable[UnitInfo] = (),
        new_units: Iterable[UnitInfo] = (),
    ):
        self.old_scale = float(old_scale or 1.0)
        self.new_scale = float(new_scale or 1.0)
        self.length_unit = length_unit
        self.tolerance = DEFAULT_TOLERANCE_M / self.new_scale if tolerance is None else float(tolerance)
        self._tolerance_m_sq = (self.tolerance * self.new_scale) ** 2
        self.angular_tolerance = angular_tolerance
        # Two unit vectors are within the angle when their dot product is at least this.
        self._min_dot = math.cos(angular_tolerance)
        # Old value × factor = new value, by dimension; only the factors of units that changed.
        factors = unit_factors(self.old_scale, self.new_scale, old_units, new_units)
        self.unit_factors = {d: f for d, f in factors.items() if not noise_equal_number(f, 1.0)}

    # -- per element

    def compare(self, o: Element, n: Element, labels: _Labels) -> list[FieldChange]:
        fields: list[FieldChange] = []
        if o.content_hash != n.content_hash or not o.content_hash:
            self._attributes(o, n, fields)
            self._relations(o, n, labels, fields)
            self._property_sets(o, n, fields)
        if o.storey_global_id != n.storey_global_id:
            fields.append(
                FieldChange(
                    "Storey", labels.old_storey(o.storey_global_id), labels.storey(n.storey_global_id), RELATION
                )
            )
        placement = self.placement_change(o.placement, n.placement)
        if placement is not None:
            fields.append(placement)
        return fields

    def _attributes(self, o: Element, n: Element, fields: list[FieldChange]) -> None:
        for name, attribute in ATTRIBUTE_FIELDS:
            a, b = getattr(o, attribute), getattr(n, attribute)
            if a != b:
                fields.append(FieldChange(name, a, b, ATTRIBUTE))

    def _relations(self, o: Element, n: Element, labels: _Labels, fields: list[FieldChange]) -> None:
        if (o.type_class, o.type_name) != (n.type_class, n.type_name):
            fields.append(FieldChange("Type", _type_label(o), _type_label(n), RELATION))
        if o.container_global_id != n.container_global_id and not (
            o.container_global_id == o.storey_global_id and n.container_global_id == n.storey_global_id
        ):
            # A container that is simply the storey is reported once, as "Storey".
            fields.append(
                FieldChange(
                    "Container",
                    *_distinct_labels(labels, o.container_global_id, n.container_global_id),
                    RELATION,
                )
            )
        if o.parent_global_id != n.parent_global_id:
            fields.append(
                FieldChange("Parent", *_distinct_labels(labels, o.parent_global_id, n.parent_global_id), RELATION)
            )
        if o.materials != n.materials:
            fields.append(FieldChange("Materials", list(o.materials), list(n.materials), RELATION))
        old_refs = sorted(_classification_text(c) for c in o.classifications)
        new_refs = sorted(_classification_text(c) for c in n.classifications)
        if old_refs != new_refs:
            fields.append(FieldChange("Classifications", old_refs, new_refs, RELATION))

    def _property_sets(self, o: Element, n: Element, fields: list[FieldChange]) -> None:
        old_sets = effective_psets(o.property_sets)
        new_sets = effective_psets(n.property_sets)
        for name in _ordered_union(old_sets, new_sets):
            before, after = old_sets.get(name), new_sets.get(name)
            if before is None:
                kind, props = after
                fields.append(FieldChange(name, None, props, _category(kind), ADDED))
                continue
            if after is None:
                kind, props = before
                fields.append(FieldChange(name, props, None, _category(kind), REMOVED))
                continue
            category = _category(after[0])
            old_props, new_props = before[1], after[1]
            for prop in _ordered_union(old_props, new_props):
                key = f"{name}.{prop}"
                if prop not in new_props:
                    change = FieldChange(key, old_props[prop], None, category, REMOVED)
                elif prop not in old_props:
                    change = FieldChange(key, None, new_props[prop], category, ADDED)
                elif not self.values_equal(old_props[prop], new_props[prop], prop):
                    change = FieldChange(key, old_props[prop], new_props[prop], category)
                else:
                    continue
                change.note = _type_note(o, n, name, prop)
                fields.append(change)

    # -- values

    def values_equal(self, a: Any, b: Any, name: str = "") -> bool:
        """Equal, or equal once converted to the newer version's units (an area or volume by
        its name, any other number as a length)."""
        kind = type(a)
        if kind is type(b) and kind is not list and kind is not dict and a == b:
            return True  # the common case; containers go below, where True and 1 differ
        if _noise_equal(a, b):
            return True
        factor = self.unit_factors.get(dimension_of(name)) if self.unit_factors else None
        return factor is not None and _noise_equal(_scaled(a, factor), b)

    # -- placement

    def placement_change(self, a: tuple[float, ...] | None, b: tuple[float, ...] | None) -> FieldChange | None:
        if a is None or b is None:
            if a is None and b is None:
                return None
            old, new = self._placement_value(a, self.old_scale), self._placement_value(b, self.new_scale)
            note = "position now known" if a is None else "position no longer known"
            return FieldChange("Placement", old, new, PLACEMENT, note=note)
        so, sn = self.old_scale, self.new_scale
        dx = b[0] * sn - a[0] * so
        dy = b[1] * sn - a[1] * so
        dz = b[2] * sn - a[2] * so
        distance_sq = dx * dx + dy * dy + dz * dz
        moved = distance_sq > self._tolerance_m_sq
        x_dot = a[3] * b[3] + a[4] * b[4] + a[5] * b[5]
        z_dot = a[6] * b[6] + a[7] * b[7] + a[8] * b[8]
        turned = min(x_dot, z_dot) < self._min_dot
        if not moved and not turned:
            return None
        notes = []
        if moved:
            unit = _LENGTH_SYMBOLS.get(self.length_unit.lower(), self.length_unit)
            notes.append(f"moved {format_number(math.sqrt(distance_sq) / sn)} {unit}".rstrip())
        if turned:
            angle = math.degrees(math.acos(max(-1.0, min(1.0, min(x_dot, z_dot)))))
            notes.append(f"turned {format_number(round(angle, 3))}°")
        return FieldChange(
            "Placement",
            self._placement_value(a, so),
            self._placement_value(b, sn),
            PLACEMENT,
            note=", ".join(notes),
        )

    def _placement_value(self, p: tuple[float, ...] | None, scale: float) -> dict[str, list[float]] | None:
        if p is None:
            return None
        factor = scale / self.new_scale
        return {
            "origin": [p[0] * factor, p[1] * factor, p[2] * factor],
            "x_axis": list(p[3:6]),
            "z_axis": list(p[6:9]),
        }


def _type_note(old: Element, new: Element, set_name: str, prop: str) -> str | None:
    """ "from type …" when both versions of the element show this property from the type object,
    not from a set of their own: one edit of a type changes every element of the type."""
    sets = [p for element in (old, new) for p in element.property_sets if p.name == set_name]
    if any(p.source != SOURCE_TYPE and prop in p.properties for p in sets):
        return None
    if not any(p.source == SOURCE_TYPE and prop in p.properties for p in sets):
        return None
    type_name = new.type_name or old.type_name
    return f"from type {type_name}" if type_name else "from its type"


def effective_psets(property_sets: Iterable[PropertySet]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Property sets by name as the element shows them: (kind, properties).

    Type sets first, occurrence sets of the same name on top; sets of the same
    name and source are merged in content order, never file order.
    """
    merged: dict[str, tuple[str, dict[str, Any]]] = {}
    for from_type in (True, False):
        group = [p for p in property_sets if (p.source == SOURCE_TYPE) == from_type]
        if len({p.name for p in group}) != len(group):
            group.sort(key=lambda p: (p.name, _content_key(p.properties)))
        for pset in group:
            entry = merged.get(pset.name)
            merged[pset.name] = (pset.kind, pset.properties if entry is None else {**entry[1], **pset.properties})
    return merged


def base_quantities(element: Element) -> dict[str, float]:
    """The element's common base quantities (see ``BASE_QUANTITIES``) from its standard quantity sets.

    When two sets give the same quantity, the first one counts.
    """
    return _base_values(element.property_sets)


def _base_values(property_sets: Iterable[PropertySet]) -> dict[str, float]:
    found: dict[str, float] = {}
    for pset in property_sets:
        if is_base_quantity_set(pset):
            for name, value in pset.properties.items():
                if name in BASE_QUANTITIES and name not in found and type(value) in _NUMBER_TYPES:
                    found[name] = float(value)
    return found


QuantitySums = dict[tuple[str, str | None], dict[str, list[float]]]


def _before_and_after_sums(
    old: Sequence[Element], new: Sequence[Element], changes: list[ElementChange], scales: _QuantityScales
) -> tuple[QuantitySums, QuantitySums]:
    """Base quantity sums by (class, storey GlobalId) of both versions.

    Elements the diff found unchanged have the same class, storey and
    quantities in both versions, so they are summed once and shared; only
    changed, added and removed elements are summed per version. Across a unit
    change the two versions are summed separately.
    """
    if any(factor != 1.0 for factor in scales.factor.values()):
        return _quantity_sums(old), _quantity_sums(new)
    touched = {id(c.old) for c in changes if c.old is not None}
    shared = _quantity_sums([e for e in old if id(e) not in touched])
    before = _quantity_sums([c.old for c in changes if c.old is not None])
    after = _quantity_sums([c.new for c in changes if c.new is not None])
    return _merged_sums(shared, before), _merged_sums(shared, after)


def _merged_sums(a: QuantitySums, b: QuantitySums) -> QuantitySums:
    merged = {key: {name: list(entry) for name, entry in sums.items()} for key, sums in a.items()}
    for key, sums in b.items():
        target = merged.setdefault(key, {})
        for name, (value, count) in sums.items():
            entry = target.get(name)
            if entry is None:
                target[name] = [value, count]
            else:
                entry[0] += value
                entry[1] += count
    return merged


def _quantity_sums(elements: Sequence[Element]) -> QuantitySums:
    """Base quantity [sum, count] by (class, storey GlobalId); ``base_quantities`` per element, inlined for speed."""
    groups: QuantitySums = {}
    names = BASE_QUANTITIES
    for element in elements:
        psets = element.property_sets
        if not psets:
            continue
        sums = None
        taken: set[str] | None = None  # only needed when a second base set turns up
        for position, pset in enumerate(psets):
            if not is_base_quantity_set(pset):
                continue
            if sums is None:
                key = (element.ifc_class, _storey_of(element))
                sums = groups.get(key)
                if sums is None:
                    sums = groups[key] = {}
            elif taken is None:
                taken = set(_base_values(psets[:position]))
            for name, value in pset.properties.items():
                if name in names and type(value) in _NUMBER_TYPES:
                    if taken is not None:
                        if name in taken:
                            continue
                        taken.add(name)
                    entry = sums.get(name)
                    if entry is None:
                        sums[name] = [value, 1]
                    else:
                        entry[0] += value
                        entry[1] += 1
    return groups


# -- summary ---------------------------------------------------------------------------


class _QuantityScales:
    """Factors that turn an older quantity value into the newer version's unit, and unit labels."""

    def __init__(
        self,
        old_scale: float,
        new_scale: float,
        old_units: Iterable[UnitInfo],
        new_units: Iterable[UnitInfo],
        length_unit: str,
    ):
        new_units = list(new_units)
        self.factor = unit_factors(old_scale, new_scale, old_units, new_units)
        self.label: dict[str, str] = {}
        for dimension, power in ((LENGTH, 1), (AREA, 2), (VOLUME, 3)):
            unit_type = _UNIT_TYPE[dimension]
            symbol = _LENGTH_SYMBOLS.get(length_unit.lower(), length_unit)
            self.label[dimension] = _unit_label(new_units, unit_type) or (symbol + ("", "", "²", "³")[power])


def _summarise(
    old: Sequence[Element],
    new: Sequence[Element],
    changes: list[ElementChange],
    labels: _Labels,
    scales: _QuantityScales,
) -> DiffSummary:
    counts = ChangeCounts()
    by_class: dict[str, ChangeCounts] = {}
    by_storey: dict[str, ChangeCounts] = {}
    by_field: dict[str, int] = {}
    for change in changes:
        groups = (
            counts,
            by_class.setdefault(change.ifc_class, ChangeCounts()),
            by_storey.setdefault(change.storey_group, ChangeCounts()),
        )
        for group in groups:
            setattr(group, change.kind, getattr(group, change.kind) + 1)
        for f in change.fields:
            by_field[f.field] = by_field.get(f.field, 0) + 1

    totals: dict[str, QuantityTotal] = {}
    totals_by_class: dict[str, dict[str, QuantityTotal]] = {}
    totals_by_storey: dict[str, dict[str, QuantityTotal]] = {}
    for after, groups in zip((False, True), _before_and_after_sums(old, new, changes, scales), strict=True):
        for (ifc_class, storey_id), sums in groups.items():
            targets = (
                totals,
                totals_by_class.setdefault(ifc_class, {}),
                totals_by_storey.setdefault(labels.storey(storey_id), {}),
            )
            for name, (value, count) in sums.items():
                dimension = BASE_QUANTITIES[name]
                for target in targets:
                    total = target.get(name)
                    if total is None:
                        total = target[name] = QuantityTotal(name, scales.label[dimension])
                    if after:
                        total.after += value
                        total.count_after += count
                    else:
                        total.before += value * scales.factor[dimension]
                        total.count_before += count

    order = list(BASE_QUANTITIES)
    return DiffSummary(
        old_count=len(old),
        new_count=len(new),
        counts=counts,
        unchanged=len(new) - counts.added - counts.changed,
        by_class=dict(sorted(by_class.items())),
        by_storey=dict(sorted(by_storey.items(), key=labels.storey_order)),
        by_field=dict(sorted(by_field.items(), key=lambda kv: (-kv[1], kv[0]))),
        quantities=_sorted_totals(totals, order),
        quantities_by_class={k: _sorted_totals(v, order) for k, v in sorted(totals_by_class.items())},
        quantities_by_storey={
            k: _sorted_totals(v, order) for k, v in sorted(totals_by_storey.items(), key=labels.storey_order)
        },
    )


# -- helpers ---------------------------------------------------------------------------


def _whole(kind: str, element: Element, labels: _Labels, duplicate: bool) -> ElementChange:
    return ElementChange(
        kind=kind,
        global_id=element.global_id,
        ifc_class=element.ifc_class,
        name=element.name,
        storey=labels.old_storey(_storey_of(element)) if kind == REMOVED else labels.storey(_storey_of(element)),
        group=labels.storey(_storey_of(element)),
        old_step_id=element.step_id if kind == REMOVED else None,
        new_step_id=element.step_id if kind == ADDED else None,
        duplicate=duplicate,
        old=element if kind == REMOVED else None,
        new=element if kind == ADDED else None,
    )


def _category(kind: str) -> str:
    return QUANTITY if kind == KIND_QTO else PROPERTY


def _type_label(element: Element) -> str | None:
    if element.type_class is None and element.type_name is None:
        return None
    return f"{element.type_name or '(unnamed)'} ({element.type_class})"


def _storey_of(element: Element) -> str | None:
    """The storey an element is listed under: its storey, and a storey itself under its own name."""
    if element.storey_global_id is None and element.ifc_class == "IfcBuildingStorey":
        return element.global_id
    return element.storey_global_id


def _distinct_labels(labels: _Labels, old: str | None, new: str | None) -> tuple[str | None, str | None]:
    a, b = labels.reference(old), labels.reference(new)
    if a == b and a is not None:  # same name, different object: show which
        a, b = f"{a} [{old}]", f"{b} [{new}]"
    return a, b


def _classification_text(c: Any) -> str:
    parts = [p for p in (c.identification, c.name) if p]
    text = " ".join(parts)
    return f"{c.system}: {text}" if c.system and text else (c.system or text)


def _ordered_union(a: dict, b: dict) -> list:
    keys = list(a)
    keys += [k for k in b if k not in a]
    return keys


def _content_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _noise_equal(a: Any, b: Any) -> bool:
    """Equal apart from float noise; bool and numbers are never confused."""
    ta, tb = type(a), type(b)
    if ta in (float, int) and tb in (float, int):
        return noise_equal_number(float(a), float(b))
    if ta is not tb:
        return False
    if ta is list or ta is tuple:
        return len(a) == len(b) and all(_noise_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict:
        return a.keys() == b.keys() and all(_noise_equal(a[k], b[k]) for k in a)
    return a == b


def _scaled(value: Any, factor: float) -> Any:
    kind = type(value)
    if kind is float or kind is int:
        return value * factor
    if kind is list or kind is tuple:
        return [_scaled(v, factor) for v in value]
    if kind is dict:
        return {k: _scaled(v, factor) for k, v in value.items()}
    return value


def unit_factors(
    old_length_scale: float, new_length_scale: float, old_units: Iterable[UnitInfo], new_units: Iterable[UnitInfo]
) -> dict[str, float]:
    """Old value × factor = the value in the newer version's unit, for lengths, areas and volumes.

    Areas and volumes use the declared area and volume units (Revit declares millimetres
    with square and cubic metres), else the square and cube of the length unit.
    """
    old_units, new_units = list(old_units), list(new_units)
    factors = {}
    for dimension, power in ((LENGTH, 1), (AREA, 2), (VOLUME, 3)):
        unit_type = _UNIT_TYPE[dimension]
        old_si = _unit_scale(old_units, unit_type) or (old_length_scale or 1.0) ** power
        new_si = _unit_scale(new_units, unit_type) or (new_length_scale or 1.0) ** power
        factors[dimension] = old_si / new_si
    return factors


def dimension_of(name: str) -> str:
    """The dimension of a numeric property, by its name: areas and volumes are named so
    ("NetSideArea", "Fläche", "Volume"); any other number is compared as a length."""
    folded = name.casefold()
    if any(word in folded for word in ("volume", "volumen", "rauminhalt")):
        return VOLUME
    if any(word in folded for word in ("area", "fläche", "flaeche", "surface")):
        return AREA
    return LENGTH


def _unit_scale(units: list[UnitInfo], unit_type: str) -> float | None:
    for unit in units:
        if unit.unit_type == unit_type and unit.scale_to_si:
            return float(unit.scale_to_si)
    return None


def _unit_label(units: list[UnitInfo], unit_type: str) -> str | None:
    for unit in units:
        if unit.unit_type == unit_type:
            symbol = unit.symbol if unit.symbol and "?" not in unit.symbol else None
            return symbol or unit.name
    return None


def _sorted_totals(totals: dict[str, QuantityTotal], order: list[str]) -> dict[str, QuantityTotal]:
    return {name: totals[name] for name in order if name in totals}
