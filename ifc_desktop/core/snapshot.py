"""Plain-data snapshot of one IFC file: what the store keeps as a version.

Everything here is plain Python (str, float, int, bool, None, list, dict), so a
snapshot can cross process boundaries and be written to the database without
ifcopenshell being loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where a property set comes from: the element itself, or its type object.
SOURCE_OCCURRENCE = "occurrence"
SOURCE_TYPE = "type"

# What a property set is.
KIND_PSET = "pset"
KIND_QTO = "qto"


@dataclass(slots=True)
class HeaderInfo:
    """The STEP header plus the application that wrote the file."""

    schema_declared: str  # FILE_SCHEMA as written, e.g. "IFC4X3"
    schema_read: str  # schema the file was read as: IFC2X3, IFC4 or IFC4X3_ADD2
    application: str | None = None  # best available authoring application
    application_source: str | None = None  # IfcApplication | originating_system | preprocessor_version
    timestamp: str | None = None  # FILE_NAME time_stamp as written
    file_name: str | None = None  # FILE_NAME name as written
    description: str | None = None  # FILE_DESCRIPTION description, joined
    author: str | None = None
    organization: str | None = None


@dataclass(slots=True)
class UnitInfo:
    unit_type: str  # e.g. LENGTHUNIT
    name: str  # human name, e.g. "millimetre", "foot"
    symbol: str | None = None  # e.g. "mm"
    scale_to_si: float | None = None  # factor to the SI base unit


@dataclass(slots=True)
class ProjectInfo:
    global_id: str | None
    name: str | None
    long_name: str | None = None
    description: str | None = None
    phase: str | None = None
    units: list[UnitInfo] = field(default_factory=list)
    length_unit: str = "metre"  # human name of the project length unit
    length_scale: float = 1.0  # metres per project length unit


@dataclass(slots=True)
class PropertySet:
    """One property set or quantity set attached to an element.

    ``properties`` maps each property name to its value, shaped as
    ``ifcopenshell.util.element.get_psets`` shapes it (a scalar, a list for
    enumerated/list values, a dict for bounded/table/complex values), with
    entity references replaced by plain values.
    """

    name: str
    kind: str  # KIND_PSET | KIND_QTO
    source: str  # SOURCE_OCCURRENCE | SOURCE_TYPE
    properties: dict[str, Any]


@dataclass(slots=True)
class Classification:
    system: str | None  # e.g. "Uniclass 2015"
    identification: str | None  # e.g. "Ss_25_10_30"
    name: str | None  # e.g. "Wall systems"


@dataclass(slots=True)
class Element:
    """One IfcProduct (spatial elements included)."""

    global_id: str
    ifc_class: str
    step_id: int  # position in this file only; never compared across versions
    predefined_type: str | None = None
    name: str | None = None
    description: str | None = None
    object_type: str | None = None
    tag: str | None = None
    long_name: str | None = None  # spatial elements
    type_global_id: str | None = None
    type_class: str | None = None
    type_name: str | None = None
    parent_global_id: str | None = None  # aggregating (or nesting) whole
    container_global_id: str | None = None  # spatial structure element that contains it
    storey_global_id: str | None = None  # nearest building storey up the tree
    materials: list[str] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    property_sets: list[PropertySet] = field(default_factory=list)
    # World placement in project length units: origin (3), x axis (3), z axis (3).
    placement: tuple[float, ...] | None = None
    content_hash: str = ""


@dataclass(slots=True)
class Snapshot:
    """Everything extracted from one IFC file."""

    header: HeaderInfo
    project: ProjectInfo
    elements: list[Element]
    warnings: list[str] = field(default_factory=list)
    source_name: str = ""  # file name the user imported, e.g. "House.ifc"

    def counts_by_class(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for element in self.elements:
            counts[element.ifc_class] = counts.get(element.ifc_class, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def counts_by_storey(self) -> dict[str | None, int]:
        """Element counts keyed by storey GlobalId (None: not on a storey)."""
        counts: dict[str | None, int] = {}
        for element in self.elements:
            counts[element.storey_global_id] = counts.get(element.storey_global_id, 0) + 1
        return counts


def merged_psets(property_sets: list[PropertySet]) -> dict[str, dict[str, Any]]:
    """Property sets as one dict, type values first and occurrence values on top.

    This is the view ``ifcopenshell.util.element.get_psets`` gives (without ids).
    """
    merged: dict[str, dict[str, Any]] = {}
    ordered = sorted(property_sets, key=lambda p: p.source != SOURCE_TYPE)
    for pset in ordered:
        merged.setdefault(pset.name, {}).update(pset.properties)
    return merged
