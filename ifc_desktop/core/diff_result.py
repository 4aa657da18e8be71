"""What a comparison of two versions found: plain dataclasses, JSON, flat rows and text.

Built by ``ifc_desktop.core.diff``; read by the CLI, the exporters and the
compare window. No Qt, no database, no ifcopenshell.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .snapshot import Element

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
KIND_ORDER = {ADDED: 0, REMOVED: 1, CHANGED: 2}
KIND_SYMBOL = {ADDED: "+", REMOVED: "−", CHANGED: "~"}

# FieldChange.category values: what a changed field is about.
ATTRIBUTE, RELATION, PROPERTY, QUANTITY, PLACEMENT = "attribute", "relation", "property", "quantity", "placement"

# Numbers are noise-equal when they agree to this many significant digits (as the content hash rounds).
SIGNIFICANT_DIGITS = 9
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12

NO_STOREY_LABEL = "(not on a storey)"


@dataclass(slots=True)
class FieldChange:
    """One changed field of an element: ``field`` went from ``old`` to ``new``.

    ``field`` is "Class", "PredefinedType", "Name", "Description", "ObjectType",
    "Tag", "LongName", "Type", "Container", "Storey", "Parent", "Materials",
    "Classifications", "Placement", "<property set>.<property>" (a property or
    quantity present in both versions' set) or "<property set>" (a whole set
    added or removed; ``old``/``new`` is then the set's properties).
    ``kind`` is "changed", "added" (``old`` is None) or "removed" (``new`` is None).
    Relations show names (labels), not GlobalIds. ``Placement`` values are
    ``{"origin": [x, y, z], "x_axis": [...], "z_axis": [...]}`` in the result's
    length unit; ``note`` then says how far it moved and how much it turned.
    """

    field: str
    old: Any
    new: Any
    category: str  # ATTRIBUTE | RELATION | PROPERTY | QUANTITY | PLACEMENT
    kind: str = CHANGED
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"field": self.field, "kind": self.kind, "category": self.category, "old": self.old, "new": self.new}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(slots=True)
class ElementChange:
    """One element that was added, removed or changed.

    ``ifc_class``, ``name`` and ``storey`` describe the element as it is in the
    newer version (the older one for removed elements); ``storey`` is a
    readable storey label. The summary and the storey filter group changes by
    ``storey_group``: the storey's label in the newer version (a removed element
    shows the name its storey had, and is counted under the name it has now).
    ``old``/``new`` are the compared elements themselves, for a details view;
    they are not serialised.
    """

    kind: str  # ADDED | REMOVED | CHANGED
    global_id: str
    ifc_class: str
    name: str | None
    storey: str
    fields: list[FieldChange] = field(default_factory=list)
    old_step_id: int | None = None
    new_step_id: int | None = None
    duplicate: bool = False  # its GlobalId is used more than once in a version
    old: Element | None = field(default=None, repr=False, compare=False)
    new: Element | None = field(default=None, repr=False, compare=False)
    group: str | None = field(default=None, repr=False, compare=False)  # see storey_group; None: storey

    @property
    def storey_group(self) -> str:
        return self.storey if self.group is None else self.group

    def field_names(self) -> list[str]:
        return [f.field for f in self.fields]

    def search_text(self) -> str:
        """Everything a text filter looks at, case-folded."""
        parts = [self.global_id, self.ifc_class, self.name or "", self.storey]
        for f in self.fields:
            parts += [f.field, format_value(f.old), format_value(f.new), f.note or ""]
        return "\n".join(parts).casefold()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "global_id": self.global_id,
            "ifc_class": self.ifc_class,
            "name": self.name,
            "storey": self.storey,
            "old_step_id": self.old_step_id,
            "new_step_id": self.new_step_id,
            "fields": [f.to_dict() for f in self.fields],
        }
        if self.duplicate:
            data["duplicate"] = True
        return data


@dataclass(slots=True)
class ChangeCounts:
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.added, self.removed, self.changed)

    def to_dict(self) -> dict[str, int]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


@dataclass(slots=True)
class QuantityTotal:
    """Sum of one base quantity over a group of elements, in both versions (newer version's unit)."""

    quantity: str
    unit: str
    before: float = 0.0
    after: float = 0.0
    count_before: int = 0  # elements that have the quantity
    count_after: int = 0

    @property
    def delta(self) -> float:
        return self.after - self.before

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "unit": self.unit,
            "before": self.before,
            "after": self.after,
            "delta": self.delta,
            "count_before": self.count_before,
            "count_after": self.count_after,
        }


@dataclass(slots=True)
class DuplicateGlobalId:
    global_id: str
    old_count: int
    new_count: int
    ifc_classes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "global_id": self.global_id,
            "old_count": self.old_count,
            "new_count": self.new_count,
            "ifc_classes": self.ifc_classes,
        }


@dataclass(slots=True)
class DiffSummary:
    old_count: int
    new_count: int
    counts: ChangeCounts
    unchanged: int
    # Keyed by class (newer class for changed elements) and storey label (newer storey).
    by_class: dict[str, ChangeCounts]
    by_storey: dict[str, ChangeCounts]
    # How many elements changed in each field ("Name", "Placement", "Pset_WallCommon.FireRating", ...).
    by_field: dict[str, int]
    # Base quantity totals over the whole model, and by class and by storey.
    quantities: dict[str, QuantityTotal]
    quantities_by_class: dict[str, dict[str, QuantityTotal]]
    quantities_by_storey: dict[str, dict[str, QuantityTotal]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_count": self.old_count,
            "new_count": self.new_count,
            **self.counts.to_dict(),
            "unchanged": self.unchanged,
            "by_class": {k: v.to_dict() for k, v in self.by_class.items()},
            "by_storey": {k: v.to_dict() for k, v in self.by_storey.items()},
            "by_field": dict(self.by_field),
            "quantities": {k: v.to_dict() for k, v in self.quantities.items()},
            "quantities_by_class": _nested_totals(self.quantities_by_class),
            "quantities_by_storey": _nested_totals(self.quantities_by_storey),
        }


# Columns of ``DiffResult.rows()``: one row per changed field, one row per added or removed element.
ROW_HEADERS = ("Change", "GlobalId", "Class", "Name", "Storey", "Field", "Old", "New", "Note")


@dataclass(slots=True)
class DiffResult:
    changes: list[ElementChange]
    summary: DiffSummary
    duplicates: list[DuplicateGlobalId]
    length_unit: str  # unit of ``tolerance`` and of placement values
    tolerance: float  # placement tolerance in ``length_unit``
    angular_tolerance: float  # radians
    old_label: str = "old"
    new_label: str = "new"
    warnings: list[str] = field(default_factory=list)
    # What changed about the file as a whole (project name, schema, application, length unit).
    project_changes: list[FieldChange] = field(default_factory=list)

    @property
    def counts(self) -> ChangeCounts:
        return self.summary.counts

    def matching(
        self,
        *,
        kinds: Collection[str] | None = None,
        classes: Collection[str] | None = None,
        storeys: Collection[str] | None = None,
        text: str = "",
    ) -> list[ElementChange]:
        """The changes a filtered table shows: any of ``kinds``/``classes``/``storeys`` (None: all),
        and ``text`` found (case-insensitively) in the GlobalId, class, name, storey, a changed
        field's name, its old or new value, or its note.
        """
        needle = text.strip().casefold()
        found = []
        for change in self.changes:
            if kinds is not None and change.kind not in kinds:
                continue
            if classes is not None and change.ifc_class not in classes:
                continue
            if storeys is not None and change.storey_group not in storeys:
                continue
            if needle and needle not in change.search_text():
                continue
            found.append(change)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_label,
            "new": self.new_label,
            "length_unit": self.length_unit,
            "tolerance": self.tolerance,
            "angular_tolerance": self.angular_tolerance,
            "summary": self.summary.to_dict(),
            "duplicates": [d.to_dict() for d in self.duplicates],
            "warnings": list(self.warnings),
            "project_changes": [c.to_dict() for c in self.project_changes],
            "changes": [c.to_dict() for c in self.changes],
        }

    def rows(self) -> list[tuple[Any, ...]]:
        """Flat rows (see ``ROW_HEADERS``) for tables, CSV and XLSX.

        Old/New are numbers, booleans or text; lists, dicts and placements are
        rendered as text.
        """
        rows: list[tuple[Any, ...]] = [
            (f.kind, "", "(project)", "", "", f.field, cell_value(f.old), cell_value(f.new), "")
            for f in self.project_changes
        ]
        for change in self.changes:
            head = (change.kind, change.global_id, change.ifc_class, change.name or "", change.storey)
            if not change.fields:
                rows.append((*head, "", "", "", ""))
                continue
            for f in change.fields:
                rows.append((*head, f.field, cell_value(f.old), cell_value(f.new), _row_note(f)))
        return rows

    def format_text(self, *, max_changes: int | None = None) -> str:
        """A human summary followed by the list of changes (all of them unless ``max_changes``)."""
        s = self.summary
        c = s.counts
        lines = [
            f"Compare {self.old_label} → {self.new_label}",
            f"  {s.old_count} → {s.new_count} elements: +{c.added} added  −{c.removed} removed  "
            f"~{c.changed} changed  ({s.unchanged} unchanged)",
            f"  placement tolerance {format_number(self.tolerance)} {self.length_unit}, "
            f"rotation {format_number(math.degrees(self.angular_tolerance))}°",
        ]
        for warning in self.warnings:
            lines.append(f"  ! {warning}")
        if self.project_changes:
            lines += ["", "Project:", *(f"  {_field_text(f)}" for f in self.project_changes)]
        if c.total:
            lines += ["", "By class:", *_count_table(s.by_class)]
            lines += ["", "By storey:", *_count_table(s.by_storey)]
        if s.by_field:
            lines += ["", "Changed fields:"]
            for name, n in s.by_field.items():
                lines.append(f"  {name}: {n}")
        quantity_lines = []
        for title, groups in (
            ("whole model", {"": s.quantities}),
            ("by class", s.quantities_by_class),
            ("by storey", s.quantities_by_storey),
        ):
            group_lines = [
                f"  {group + ': ' if group else ''}{_total_text(q)}"
                for group, totals in groups.items()
                for q in totals.values()
                if not noise_equal_number(q.before, q.after)
            ]
            if group_lines:
                quantity_lines += [f" {title}:", *group_lines]
        if quantity_lines:
            lines += ["", "Quantities (before → after):", *quantity_lines]
        if self.duplicates:
            lines += ["", f"GlobalIds used more than once ({len(self.duplicates)}):"]
            for d in self.duplicates:
                lines.append(f"  {d.global_id or '(empty)'}: {d.old_count} before, {d.new_count} after")
        if self.changes:
            lines += ["", "Changes:"]
            shown = self.changes if max_changes is None else self.changes[:max_changes]
            for change in shown:
                name = f" {change.name!r}" if change.name else ""
                storey = change.storey if change.storey == NO_STOREY_LABEL else f"({change.storey})"
                lines.append(f"{KIND_SYMBOL[change.kind]} {change.ifc_class}{name} [{change.global_id}] {storey}")
                for f in change.fields:
                    lines.append(f"    {_field_text(f)}")
            if len(shown) < len(self.changes):
                lines.append(f"... and {len(self.changes) - len(shown)} more")
        elif not self.project_changes:
            lines += ["", "No differences."]
        return "\n".join(lines)

    def project_text(self) -> str:
        """The project-level changes in one line, or ""."""
        return "; ".join(_field_text(f) for f in self.project_changes)


def noise_equal_number(a: float, b: float) -> bool:
    """Equal apart from float noise (see ``SIGNIFICANT_DIGITS``)."""
    if a == b:
        return True
    if math.isnan(a) and math.isnan(b):
        return True
    if f"{a:.{SIGNIFICANT_DIGITS}g}" == f"{b:.{SIGNIFICANT_DIGITS}g}":
        return True
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def _nested_totals(groups: dict[str, dict[str, QuantityTotal]]) -> dict[str, dict[str, Any]]:
    return {group: {name: total.to_dict() for name, total in totals.items()} for group, totals in groups.items()}


# -- formatting ------------------------------------------------------------------------


def format_number(value: float) -> str:
    """A number for people: up to 6 decimals, no float noise, no trailing zeros."""
    if value != value or value in (math.inf, -math.inf):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if text == "0" and value != 0:
        text = f"{value:.3g}"
    return text


def format_value(value: Any) -> str:
    """Any field value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "origin" in value and "z_axis" in value:
        x, y, z = (format_number(v) for v in value["origin"])
        return f"({x}, {y}, {z})"
    if isinstance(value, (list, tuple)):
        return "; ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_nested_value(v)}" for k, v in value.items() if v is not None and k not in _UNSHOWN)
    return str(value)


# Bounded, table and complex properties arrive as dicts of their attributes (as ifcopenshell
# reads them): their class and name are already said by the property itself.
_UNSHOWN = frozenset(("type", "Name"))


def _nested_value(value: Any) -> str:
    """A value inside a dict, bracketed when it has separators of its own."""
    if isinstance(value, (list, tuple)):
        return f"[{format_value(value)}]"
    if isinstance(value, dict) and not ("origin" in value and "z_axis" in value):
        return f"({format_value(value)})"
    return format_value(value)


def cell_value(value: Any) -> Any:
    """A value for a table cell: numbers, booleans and text stay as they are; the rest becomes text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return format_value(value)


def _row_note(f: FieldChange) -> str:
    """The Note of a row: a field added or removed says so (an empty New could be an emptied value)."""
    parts = [] if f.kind == CHANGED else [f.kind]
    if f.note:
        parts.append(f.note)
    return "; ".join(parts)


def _field_text(f: FieldChange) -> str:
    if f.kind == ADDED:
        text = f"{f.field}: added {_quoted(f.new)}"
    elif f.kind == REMOVED:
        text = f"{f.field}: removed (was {_quoted(f.old)})"
    else:
        text = f"{f.field}: {_quoted(f.old)} → {_quoted(f.new)}"
    return f"{text}  [{f.note}]" if f.note else text


def _quoted(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    return format_value(value)


def _total_text(q: QuantityTotal) -> str:
    sign = "+" if q.delta >= 0 else "−"
    return (
        f"{q.quantity} {format_number(q.before)} → {format_number(q.after)} {q.unit} "
        f"({sign}{format_number(abs(q.delta))})"
    )


def _count_table(groups: dict[str, ChangeCounts]) -> list[str]:
    width = max((len(k) for k in groups), default=0)
    return [f"  {name.ljust(width)}  +{c.added}  −{c.removed}  ~{c.changed}" for name, c in groups.items()]
