"""Property and quantity sets, read the way ``ifcopenshell.util.element.get_psets`` reads them.

Exporters share IfcPropertySet instances between many elements, and some share
IfcProperty instances between sets, so those are read once and cached by STEP
id (the property cache only while it pays, see ``CACHE_TRIAL``). Single, enumerated
and list values (nearly all of them) are read directly by attribute position;
the rare bounded, table and complex values go through ifcopenshell's own
helpers so their shape matches ``get_psets`` exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import ifcopenshell

from .snapshot import KIND_PSET, KIND_QTO
from .values import plain

_NAME = 2  # IfcRoot.Name on property set definitions

# The value of a property that ``get_psets`` leaves out (it reads no IfcPropertyReferenceValue,
# for one): the property is left out here too, rather than shown as empty.
LEFT_OUT = object()


# Some exporters (Tekla, Revit) share one IfcProperty between many property sets,
# others (ArchiCAD) write each property once. The per-STEP-id cache pays only for the
# first kind: after a trial of this many properties, it is dropped when fewer than
# MIN_HIT_RATE of them were repeats (dropping it took 60 MB off a 50k-element import's peak).
CACHE_TRIAL = 4096
MIN_HIT_RATE = 0.05


class PropertyReader:
    def __init__(self) -> None:
        self._properties: dict[int, tuple[str, Any]] | None = {}
        self._quantities: dict[int, tuple[str, Any]] | None = {}
        self._lookups = 0
        self._hits = 0

    def read(
        self, definition: ifcopenshell.entity_instance, ifc_class: str | None = None
    ) -> tuple[str, str, dict[str, Any]] | None:
        """(name, kind, properties) of a property set definition, or None when it holds no properties.

        ``ifc_class`` is the definition's class when the caller already asked for it.
        """
        if ifc_class is None:
            ifc_class = definition.is_a()
        name = definition.get_argument(_NAME) or ""
        if ifc_class == "IfcPropertySet":
            return name, KIND_PSET, self._read_all(definition.get_argument(4), self._properties, _read_property)
        if ifc_class == "IfcElementQuantity":
            return name, KIND_QTO, self._read_all(definition.get_argument(5), self._quantities, _read_quantity)
        if not definition.is_a("IfcPropertySetDefinition"):
            return None
        # Predefined property sets (door lining, window panel, ...) and IFC2X3 oddities.
        values = _element_util().get_property_definition(definition) or {}
        return name, KIND_PSET, {key: plain(value) for key, value in values.items() if key != "id"}

    def _read_all(
        self,
        items: Any,
        cache: dict[int, tuple[str, Any]] | None,
        read_one: Callable[[ifcopenshell.entity_instance], tuple[str, Any]],
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if cache is None:
            for item in items or ():
                name, value = read_one(item)
                if value is not LEFT_OUT:
                    result[name] = value
            return result
        lookups = hits = 0
        for item in items or ():
            key = item.id()
            entry = cache.get(key)
            lookups += 1
            if entry is None:
                entry = cache[key] = read_one(item)
            else:
                hits += 1
            if entry[1] is not LEFT_OUT:
                result[entry[0]] = entry[1]
        self._count(lookups, hits)
        return result

    def _count(self, lookups: int, hits: int) -> None:
        if self._lookups >= CACHE_TRIAL:
            return
        self._lookups += lookups
        self._hits += hits
        if self._lookups >= CACHE_TRIAL and self._hits < MIN_HIT_RATE * self._lookups:
            self._properties = self._quantities = None


def _read_property(prop: ifcopenshell.entity_instance) -> tuple[str, Any]:
    # get_argument skips the bounds check of entity_instance.__getitem__: this is the hot loop.
    ifc_class = prop.is_a()
    name = _scalar(prop.get_argument(0)) or _NO_NAME
    if ifc_class == "IfcPropertySingleValue":
        value = prop.get_argument(2)
        return name, (_scalar(value.get_argument(0)) if value is not None else None)
    if ifc_class in ("IfcPropertyEnumeratedValue", "IfcPropertyListValue"):
        values = prop.get_argument(2)
        return name, ([_scalar(v.get_argument(0)) for v in values] if values else None)
    return name, _helper_value(_element_util().get_properties([prop]), name)


def _read_quantity(quantity: ifcopenshell.entity_instance) -> tuple[str, Any]:
    name = _scalar(quantity.get_argument(0)) or _NO_NAME
    if quantity.is_a() in _SIMPLE_QUANTITIES:
        return name, _scalar(quantity.get_argument(3))
    return name, _helper_value(_element_util().get_quantities([quantity]), name)


def _helper_value(values: dict[Any, Any], name: str) -> Any:
    """The value ifcopenshell's helper read for ``name`` (it keys a property without a name by None)."""
    if name in values:
        return plain(values[name])
    if name == _NO_NAME and None in values:
        return plain(values[None])
    return LEFT_OUT


# The name a property without one ($) is kept under: stored sets are JSON with sorted keys, all text.
_NO_NAME = ""
_SIMPLE_QUANTITIES = frozenset(
    (
        "IfcQuantityLength",
        "IfcQuantityArea",
        "IfcQuantityVolume",
        "IfcQuantityCount",
        "IfcQuantityWeight",
        "IfcQuantityTime",
        "IfcQuantityNumber",
    )
)
_PLAIN_TYPES = (str, float, int, bool, type(None))


def _scalar(value: Any) -> Any:
    """A plain value; names and short texts repeat across thousands of elements, so they are interned."""
    kind = type(value)
    if kind is str:
        return sys.intern(value) if len(value) <= 64 else value
    return value if kind in _PLAIN_TYPES else plain(value)


def _element_util() -> Any:
    """ifcopenshell's element helpers, for the rare property kinds; imported on first use
    because they pull in geometry libraries (shapely) that every worker would carry."""
    import ifcopenshell.util.element

    return ifcopenshell.util.element
