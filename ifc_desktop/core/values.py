"""Plain, comparable values: normalising ifcopenshell results and hashing them.

ifcopenshell returns defined types and entity references inside property
values (bounded, table and complex properties); these become plain values so
they can be stored as JSON and compared across files. STEP ids never survive
normalisation, because they change whenever a file is written again.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any

import ifcopenshell

if TYPE_CHECKING:
    from .snapshot import Element

# Significant digits kept when hashing floats: below this is floating-point
# noise from exporters, not a change anyone made.
HASH_DIGITS = 9
_HASH_FORMAT = f".{HASH_DIGITS}g"


def plain(value: Any) -> Any:
    """``value`` with entity instances, tuples and STEP ids turned into plain data."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, ifcopenshell.entity_instance):
        try:
            wrapped = value.wrappedValue
        except (AttributeError, RuntimeError):
            return value.is_a()
        return plain(wrapped)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "id"}
    return str(value)


def canonical(value: Any) -> Any:
    """``value`` as nested tuples with sorted keys and floats rounded to ``HASH_DIGITS`` digits."""
    kind = type(value)
    if kind is float:
        return _hashable_float(value)
    if kind is dict:
        return tuple(
            sorted(
                ((str(key), item if type(item) in _EXACT else canonical(item)) for key, item in value.items()),
                key=_first,
            )
        )
    if kind is list or kind is tuple:
        return tuple(item if type(item) in _EXACT else canonical(item) for item in value)
    return value


_EXACT = (str, int, bool, type(None))


def _hashable_float(value: float) -> float | str:
    """``value`` rounded to ``HASH_DIGITS`` significant digits; NaN and infinities as text."""
    return float(format(value, _HASH_FORMAT)) if math.isfinite(value) else repr(value)


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


def digest(value: Any) -> str:
    """Stable hex digest of a plain value (key order and float noise do not matter).

    ``repr`` of str, int, float, bool, None and tuples is the same in every
    process and Python version we run, and is several times cheaper than JSON.
    """
    return hashlib.blake2b(repr(canonical(value)).encode("utf-8"), digest_size=16).hexdigest()


def properties_digest(name: str, kind: str, source: str, properties: dict[str, Any]) -> str:
    """``digest([name, kind, source, properties])`` for a property set, with a fast path.

    Property sets are hashed by the hundred thousand; most are flat dicts of
    strings and numbers, which need no recursive walk.
    """
    try:
        items = sorted(properties.items())
    except TypeError:  # a property without a name next to named ones
        return digest([name, kind, source, properties])
    parts: list[Any] = [name, kind, source]
    for key, value in items:
        value_kind = type(value)
        if value_kind is float:  # the most common value that is not kept as it is
            value = _hashable_float(value)
        elif value_kind not in _EXACT:  # containers walked
            value = canonical(value)
        parts += (key, value)
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def element_hash(element: Element, pset_hashes: list[str]) -> str:
    """The content hash of an element: attributes, type class and name, container, parent,
    materials, classifications and property sets (GlobalIds, STEP ids, storey and
    placement are left out: the diff matches or compares those itself).

    Equal to ``digest`` of the same fields as a list, written out because it runs once
    per element: every field is text or None, so ``canonical`` would only turn the
    lists into tuples.
    """
    key = (
        element.ifc_class,
        element.predefined_type,
        element.name,
        element.description,
        element.object_type,
        element.tag,
        element.long_name,
        element.type_class,
        element.type_name,
        element.container_global_id,
        element.parent_global_id,
        tuple(element.materials),
        tuple((c.system, c.identification, c.name) for c in element.classifications),
        tuple(sorted(pset_hashes)),
    )
    return hashlib.blake2b(repr(key).encode("utf-8"), digest_size=16).hexdigest()
