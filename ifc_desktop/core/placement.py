"""World placement of products, in plain Python with a memo per placement.

Products in a storey share their parent placements, so each IfcLocalPlacement
is resolved once. Pure Python beats numpy here: the matrices are 3x4 and
numpy's per-call overhead dominates at this size.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections import Counter

import ifcopenshell

# A rigid transform: rotation rows (9) then translation (3).
Matrix = tuple[float, ...]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
MAX_DEPTH = 64


class PlacementResolver:
    def __init__(self) -> None:
        self._memo: dict[int, Matrix | None] = {}
        self._axes: dict[int, Matrix | None] = {}
        self.failures = 0
        self.failed_kinds: Counter[str] = Counter()  # placement class -> elements it failed for

    def world(self, object_placement: ifcopenshell.entity_instance) -> tuple[float, ...] | None:
        """Origin, x axis and z axis of ``object_placement`` in world coordinates."""
        # A damaged file may hold a plain value (.T., 'text', 1.5) where the placement belongs.
        valid = isinstance(object_placement, ifcopenshell.entity_instance)
        matrix = self._resolve(object_placement, 0) if valid else None
        if matrix is None:
            self.failures += 1
            self.failed_kinds[object_placement.is_a() if valid else "no placement"] += 1
            return None
        r = matrix
        return (r[9], r[10], r[11], r[0], r[3], r[6], r[2], r[5], r[8])

    def _resolve(self, placement: ifcopenshell.entity_instance, depth: int) -> Matrix | None:
        key = placement.id()
        if key in self._memo:
            return self._memo[key]
        if depth > MAX_DEPTH:  # a cycle or absurd nesting in a damaged file
            return None
        self._memo[key] = None  # guards against cycles while resolving
        try:
            result = self._compute(placement, depth)
        except Exception:
            result = None
        self._memo[key] = result
        return result

    def _compute(self, placement: ifcopenshell.entity_instance, depth: int) -> Matrix | None:
        kind = placement.is_a()
        if kind == "IfcLocalPlacement":  # (PlacementRelTo, RelativePlacement)
            local = self._axis(placement.get_argument(1))
            parent = placement.get_argument(0)
        elif kind == "IfcLinearPlacement" and getattr(placement, "CartesianPosition", None) is not None:
            local = self._axis(placement.CartesianPosition)
            parent = placement.PlacementRelTo
        else:
            import ifcopenshell.util.placement

            with contextlib.redirect_stdout(io.StringIO()):  # the helper prints debugging output
                m = ifcopenshell.util.placement.get_local_placement(placement)
            return (
                float(m[0][0]), float(m[0][1]), float(m[0][2]),
                float(m[1][0]), float(m[1][1]), float(m[1][2]),
                float(m[2][0]), float(m[2][1]), float(m[2][2]),
                float(m[0][3]), float(m[1][3]), float(m[2][3]),
            )  # fmt: skip
        if local is None:
            return None
        if parent is None:
            return local
        parent_matrix = self._resolve(parent, depth + 1)
        if parent_matrix is None:
            return None
        return compose(parent_matrix, local)

    def _axis(self, placement: ifcopenshell.entity_instance | None) -> Matrix | None:
        if placement is None:
            return IDENTITY
        key = placement.id()
        if key not in self._axes:
            self._axes[key] = axis_placement(placement)
        return self._axes[key]


def axis_placement(placement: ifcopenshell.entity_instance | None) -> Matrix | None:
    if placement is None:
        return IDENTITY
    # IfcAxis2Placement2D: (Location, RefDirection); 3D: (Location, Axis, RefDirection).
    # Points and directions hold their coordinates at position 0.
    location = placement.get_argument(0)
    coordinates = location.get_argument(0) if location is not None else ()
    origin = _point(coordinates)
    kind = placement.is_a()
    if kind == "IfcAxis2Placement3D":
        axis = placement.get_argument(1)
        ref = placement.get_argument(2)
        if axis is None and ref is None:  # most placements: a plain translation
            return (*IDENTITY[:9], *origin)
        z = _unit(tuple(axis.get_argument(0))) if axis is not None else (0.0, 0.0, 1.0)
        if z is None:
            return None
        x = _projected(tuple(ref.get_argument(0)), z) if ref is not None else None
        if x is None:  # no RefDirection, or one parallel to Axis (invalid): the schema's default
            x = _projected(_default_ref_direction(z), z) or _projected((0.0, 1.0, 0.0), z)
            if x is None:
                return None
    elif kind == "IfcAxis2Placement2D":
        ref = placement.get_argument(1)
        x = _unit((*ref.get_argument(0)[:2], 0.0)) if ref is not None else (1.0, 0.0, 0.0)
        if x is None:
            return None
        z = (0.0, 0.0, 1.0)
    else:  # IfcAxis2PlacementLinear and other curve-based placements are not resolved here
        return None
    y = _cross(z, x)
    return (x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2], *origin)


def _default_ref_direction(z: tuple[float, float, float]) -> tuple[float, float, float]:
    """The x direction IFC assumes without a RefDirection (IfcFirstProjAxis): x, unless the axis is x."""
    return (0.0, 1.0, 0.0) if z == (1.0, 0.0, 0.0) else (1.0, 0.0, 0.0)


def _projected(direction: tuple[float, ...], z: tuple[float, float, float]) -> tuple[float, float, float] | None:
    """``direction`` made perpendicular to ``z`` and of unit length; None when parallel to it."""
    d = (tuple(float(c) for c in direction) + (0.0, 0.0, 0.0))[:3]
    dot = d[0] * z[0] + d[1] * z[1] + d[2] * z[2]
    return _unit((d[0] - dot * z[0], d[1] - dot * z[1], d[2] - dot * z[2]))


def _point(coordinates: tuple[float, ...]) -> tuple[float, float, float]:
    """A 2D or 3D point as three floats."""
    if len(coordinates) == 3:
        x, y, z = coordinates
        return float(x), float(y), float(z)
    return (tuple(float(c) for c in coordinates) + (0.0, 0.0, 0.0))[:3]  # type: ignore[return-value]


def compose(a: Matrix, b: Matrix) -> Matrix:
    """a ∘ b: apply b, then a. Written out: this runs once per placement of a large model."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 = a
    b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11 = b
    return (
        a0 * b0 + a1 * b3 + a2 * b6, a0 * b1 + a1 * b4 + a2 * b7, a0 * b2 + a1 * b5 + a2 * b8,
        a3 * b0 + a4 * b3 + a5 * b6, a3 * b1 + a4 * b4 + a5 * b7, a3 * b2 + a4 * b5 + a5 * b8,
        a6 * b0 + a7 * b3 + a8 * b6, a6 * b1 + a7 * b4 + a8 * b7, a6 * b2 + a7 * b5 + a8 * b8,
        a0 * b9 + a1 * b10 + a2 * b11 + a9,
        a3 * b9 + a4 * b10 + a5 * b11 + a10,
        a6 * b9 + a7 * b10 + a8 * b11 + a11,
    )  # fmt: skip


def _unit(v: tuple[float, ...]) -> tuple[float, float, float] | None:
    v = (tuple(float(c) for c in v) + (0.0, 0.0, 0.0))[:3]
    length = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if length < 1e-12 or math.isnan(length) or math.isinf(length):
        return None
    return (v[0] / length, v[1] / length, v[2] / length)


def _cross(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
