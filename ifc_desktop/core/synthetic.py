"""Seeded synthetic IFC models, written directly as STEP text.

Benchmarks need 100 MB / 50,000-element models in seconds, so this module writes
the physical file line by line instead of building it through ifcopenshell.api,
and streams each element to disk as soon as it is complete. The output is a
deterministic function of the arguments: the same seed gives the same bytes
(no clock, no path in the file), another seed gives other GlobalIds and values.

Per element the model holds: a local placement relative to its storey, an
extruded rectangle body (walls also an axis), a type object with type property
sets, two property sets of its own plus, for most elements, one shared with
others on the storey, base quantities, materials (a layer set usage for walls
and slabs, a single material otherwise) and for most classes a classification
reference. Every entity refers only to entities written before it, so the ids
run 1..N in file order.

Sizes: by default the file is padded with further realistic properties to about
``DEFAULT_BYTES_PER_ELEMENT`` bytes per product (1 MB per 500); pass
``target_bytes`` for another size, or ``target_bytes=0`` for no padding.
"""

from __future__ import annotations

import base64
import io
import math
import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3_ADD2")
DEFAULT_BYTES_PER_ELEMENT = 2_000
GENERATOR_NAME = "IFC Desktop synthetic generator"
# Bumped whenever the output for given arguments changes.
GENERATOR_VERSION = "1"
# Fixed instead of "now" so that output never depends on the clock (2024-01-01T00:00:00Z).
CREATION_TIME = 1_704_067_200
CREATION_ISO = "2024-01-01T00:00:00"
STOREY_HEIGHT = 3.5
CEILING_HEIGHT = 3.2  # storey height minus the floor slab
SAMPLE_ELEMENTS = 20


@dataclass(frozen=True, slots=True)
class SyntheticInfo:
    path: Path
    elements: int  # equals len(f.by_type("IfcProduct")) of the written file
    storeys: int
    bytes_written: int
    seed: int
    schema: str
    project_global_id: str


def write_model(
    path: Path,
    *,
    elements: int,
    seed: int = 0,
    schema: str = "IFC4",
    storeys: int | None = None,
    project_name: str = "Synthetic tower",
    project_global_id: str | None = None,
    geometry: bool = True,
    target_bytes: int | None = None,
) -> SyntheticInfo:
    """Write a synthetic model holding exactly ``elements`` IfcProducts to ``path``.

    The products are the site, the building, the storeys and building elements
    spread over the storeys. The file is written under a temporary name and
    renamed at the end, so an interrupted run never leaves a truncated model
    and concurrent writers of the same path never mix their lines.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "w", encoding="ascii", newline="\n", buffering=1 << 20) as out:
            info = _ModelWriter(
                out,
                elements=elements,
                seed=seed,
                schema=schema,
                storeys=storeys,
                project_name=project_name,
                project_global_id=project_global_id,
                geometry=geometry,
                target_bytes=target_bytes,
                file_name=_slug(project_name) + ".ifc",
            ).write()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return SyntheticInfo(
        path, info.elements, info.storeys, info.bytes_written, seed, info.schema, info.project_global_id
    )


def sample_model_text() -> str:
    """A tiny but complete IFC4 model (20 products on two storeys), as STEP text."""
    out = io.StringIO()
    _ModelWriter(
        out,
        elements=SAMPLE_ELEMENTS,
        seed=2024,
        schema="IFC4",
        storeys=2,
        project_name="Sample house",
        project_global_id=None,
        geometry=True,
        target_bytes=0,
        file_name="sample-house.ifc",
    ).write()
    return out.getvalue()


def default_storeys(elements: int) -> int:
    """A plausible storey count for a tower of this many products (at least 3 per storey)."""
    return max(1, min(60, round(math.sqrt(elements) / 5), (elements - 2) // 3))


# --------------------------------------------------------------------------- STEP text helpers

_STD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_IFC_B64 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"
_TO_IFC_B64 = bytes.maketrans(_STD_B64, _IFC_B64)


def compress_guid(raw: bytes) -> str:
    """The 22-character IFC GlobalId of a 16-byte value.

    IFC writes the 128 bits as 22 base-64 digits, most significant first (the
    first digit holds 2 bits). Standard base64 of two zero bytes followed by the
    value gives the same digits after two leading zero digits, only in another
    alphabet, which ``bytes.translate`` maps in C: far faster than a digit loop.
    """
    return base64.b64encode(b"\0\0" + raw).translate(_TO_IFC_B64)[2:].decode("ascii")


_PLAIN_STEP = re.compile(r"[ -&(-\[\]-~]*")  # printable ASCII except ' and \


def step_string(text: str) -> str:
    """A STEP string literal: quotes doubled, backslashes escaped, the rest as \\X2\\ or \\X4\\."""
    if _PLAIN_STEP.fullmatch(text):
        return f"'{text}'"
    parts: list[str] = []
    wide: list[str] = []  # pending run of characters outside printable ASCII

    def flush_wide() -> None:
        if any(ord(c) > 0xFFFF for c in wide):
            parts.append("\\X4\\" + "".join(f"{ord(c):08X}" for c in wide) + "\\X0\\")
        elif wide:
            parts.append("\\X2\\" + "".join(f"{ord(c):04X}" for c in wide) + "\\X0\\")
        wide.clear()

    for char in text:
        if " " <= char <= "~":
            flush_wide()
            parts.append("''" if char == "'" else "\\\\" if char == "\\" else char)
        else:
            wide.append(char)
    flush_wide()
    return "'" + "".join(parts) + "'"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "model"


def _refs(ids: Sequence[int]) -> str:
    return "(" + ",".join(f"#{i}" for i in ids) + ")"


class _LineWriter:
    """Numbers entities in file order and batches lines until ``flush``."""

    __slots__ = ("_buf", "_out", "bytes_written", "last_id", "pending")

    def __init__(self, out: TextIO):
        self._out = out
        self._buf: list[str] = []
        self.last_id = 0
        self.bytes_written = 0
        self.pending = 0  # bytes added since the last flush

    def add(self, body: str) -> int:
        self.last_id += 1
        line = f"#{self.last_id}={body};\n"
        self._buf.append(line)
        self.pending += len(line)
        return self.last_id

    def raw(self, text: str) -> None:
        self._buf.append(text)
        self.pending += len(text)

    def flush(self) -> None:
        self._out.write("".join(self._buf))
        self._buf.clear()
        self.bytes_written += self.pending  # all output is ASCII: characters == bytes
        self.pending = 0


# --------------------------------------------------------------------------- element kinds

Dims = tuple[float, float, float]  # length, width, height in metres


@dataclass(frozen=True, slots=True)
class _TypeSpec:
    name: str
    width: float  # wall/slab thickness, column/beam section, door/window width, ...
    layers: tuple[tuple[str, float], ...] = ()  # (material, thickness) for walls and slabs
    material: str = ""  # single material for the other classes


@dataclass(frozen=True, slots=True)
class _Kind:
    occurrence: str  # IFC4 entity names; IFC2X3 names differ for some, see _IFC2X3_NAMES
    type_entity: str
    weight: float  # share among the generated elements
    types: tuple[_TypeSpec, ...]
    dims: Callable[[random.Random, _TypeSpec], Dims]
    # "up": a length x width rectangle extruded by the height; "along": a width x
    # height section extruded along the length (beams, members).
    extrusion: str
    area: str  # NetArea: "side" = length x height, "plan" = length x width, "section" = width x height
    predefined: tuple[str, ...]
    common_pset: str
    common_props: tuple[str, ...]
    qto: str
    mark_prefix: str
    classification: str | None = None
    type_props: tuple[str, ...] = ()  # the type's share of the common set


_IFC2X3_NAMES = {
    "IFCFURNITURE": "IFCFURNISHINGELEMENT",
    "IFCDOORTYPE": "IFCDOORSTYLE",
    "IFCWINDOWTYPE": "IFCWINDOWSTYLE",
}
# IFC2X3 occurrences without a PredefinedType attribute (doors and windows are written apart).
_IFC2X3_NO_PREDEFINED = {"IFCWALL", "IFCCOLUMN", "IFCBEAM", "IFCMEMBER", "IFCPLATE", "IFCFURNISHINGELEMENT"}


def _uniform(rng: random.Random, low: float, high: float) -> float:
    return round(low + rng.random() * (high - low), 3)


_CONCRETE = "Béton C30/37"  # a non-ASCII name, as European exports have them

_KINDS: tuple[_Kind, ...] = (
    _Kind(
        occurrence="IFCWALL",
        type_entity="IFCWALLTYPE",
        weight=24,
        types=(
            _TypeSpec(
                "Basic Wall:Exterior - 300mm Concrete",
                0.3,
                layers=(("Gypsum plaster", 0.015), (_CONCRETE, 0.2), ("Mineral wool", 0.085)),
            ),
            _TypeSpec("Basic Wall:Interior - 100mm Partition", 0.1, layers=(("Gypsum board", 0.1),)),
            _TypeSpec(
                "Basic Wall:Interior - 200mm Masonry",
                0.2,
                layers=(("Gypsum plaster", 0.01), ("Brick", 0.18), ("Gypsum plaster", 0.01)),
            ),
        ),
        dims=lambda rng, t: (_uniform(rng, 1.5, 10.0), t.width, CEILING_HEIGHT),
        extrusion="up",
        area="side",
        predefined=("STANDARD",),
        common_pset="Pset_WallCommon",
        common_props=("Reference", "IsExternal", "LoadBearing", "FireRating", "ThermalTransmittance"),
        qto="Qto_WallBaseQuantities",
        mark_prefix="W",
        classification="EF_25_10",
        type_props=("AcousticRating", "Combustible"),
    ),
    _Kind(
        occurrence="IFCSLAB",
        type_entity="IFCSLABTYPE",
        weight=8,
        types=(
            _TypeSpec("Floor:Concrete 250mm", 0.25, layers=((_CONCRETE, 0.22), ("Cement screed", 0.03))),
            _TypeSpec("Floor:Timber 200mm", 0.2, layers=(("Timber (spruce)", 0.18), ("Oak parquet", 0.02))),
        ),
        dims=lambda rng, t: (_uniform(rng, 4.0, 14.0), _uniform(rng, 4.0, 12.0), t.width),
        extrusion="up",
        area="plan",
        predefined=("FLOOR",),
        common_pset="Pset_SlabCommon",
        common_props=(
            "Reference",
            "IsExternal",
            "LoadBearing",
            "FireRating",
            "ThermalTransmittance",
            "PitchAngle",
        ),
        qto="Qto_SlabBaseQuantities",
        mark_prefix="S",
        classification="EF_30_20",
        type_props=("AcousticRating", "Combustible"),
    ),
    _Kind(
        occurrence="IFCCOLUMN",
        type_entity="IFCCOLUMNTYPE",
        weight=10,
        types=(
            _TypeSpec("Concrete-Rectangular-Column:400 x 400mm", 0.4, material=_CONCRETE),
            _TypeSpec("Concrete-Rectangular-Column:300 x 300mm", 0.3, material=_CONCRETE),
        ),
        dims=lambda rng, t: (t.width, t.width, CEILING_HEIGHT),
        extrusion="up",
        area="section",
        predefined=("COLUMN",),
        common_pset="Pset_ColumnCommon",
        common_props=("Reference", "IsExternal", "LoadBearing", "FireRating", "Slope"),
        qto="Qto_ColumnBaseQuantities",
        mark_prefix="C",
        classification="EF_20_05",
    ),
    _Kind(
        occurrence="IFCBEAM",
        type_entity="IFCBEAMTYPE",
        weight=12,
        types=(
            _TypeSpec("Concrete-Rectangular Beam:300 x 600mm", 0.3, material=_CONCRETE),
            _TypeSpec("Glulam Beam:160 x 320mm", 0.16, material="Glued laminated timber GL24h"),
        ),
        dims=lambda rng, t: (_uniform(rng, 3.0, 9.0), t.width, round(t.width * 2, 3)),
        extrusion="along",
        area="section",
        predefined=("BEAM",),
        common_pset="Pset_BeamCommon",
        common_props=("Reference", "IsExternal", "LoadBearing", "FireRating", "Span"),
        qto="Qto_BeamBaseQuantities",
        mark_prefix="B",
        classification="EF_20_05",
    ),
    _Kind(
        occurrence="IFCDOOR",
        type_entity="IFCDOORTYPE",
        weight=8,
        types=(
            _TypeSpec("Single-Flush:900 x 2100mm", 0.9, material="Oak veneer"),
            _TypeSpec("Single-Flush:1000 x 2100mm", 1.0, material="Oak veneer"),
        ),
        dims=lambda rng, t: (t.width, 0.1, 2.1),
        extrusion="up",
        area="side",
        predefined=("DOOR",),
        common_pset="Pset_DoorCommon",
        common_props=(
            "Reference",
            "IsExternal",
            "FireRating",
            "ThermalTransmittance",
            "HandicapAccessible",
            "FireExit",
        ),
        qto="Qto_DoorBaseQuantities",
        mark_prefix="D",
        classification="EF_25_30",
        type_props=("AcousticRating",),
    ),
    _Kind(
        occurrence="IFCWINDOW",
        type_entity="IFCWINDOWTYPE",
        weight=10,
        types=(
            _TypeSpec("Fixed:1200 x 1500mm", 1.2, material="Glass"),
            _TypeSpec("Casement:600 x 1500mm", 0.6, material="Aluminium"),
        ),
        dims=lambda rng, t: (t.width, 0.12, 1.5),
        extrusion="up",
        area="side",
        predefined=("WINDOW",),
        common_pset="Pset_WindowCommon",
        common_props=("Reference", "IsExternal", "FireRating", "ThermalTransmittance", "GlazingAreaFraction"),
        qto="Qto_WindowBaseQuantities",
        mark_prefix="WI",
        classification="EF_25_30",
        type_props=("AcousticRating",),
    ),
    _Kind(
        occurrence="IFCCOVERING",
        type_entity="IFCCOVERINGTYPE",
        weight=8,
        types=(
            _TypeSpec("Compound Ceiling:Plasterboard 15mm", 0.015, material="Gypsum board"),
            _TypeSpec("Floor Finish:Ceramic tile 10mm", 0.01, material="Ceramic tile"),
        ),
        dims=lambda rng, t: (_uniform(rng, 2.0, 10.0), _uniform(rng, 2.0, 8.0), t.width),
        extrusion="up",
        area="plan",
        predefined=("CEILING", "FLOORING"),
        common_pset="Pset_CoveringCommon",
        common_props=("Reference", "IsExternal", "FireRating", "FlammabilityRating"),
        qto="Qto_CoveringBaseQuantities",
        mark_prefix="CV",
    ),
    _Kind(
        occurrence="IFCFURNITURE",
        type_entity="IFCFURNITURETYPE",
        weight=8,
        types=(
            _TypeSpec("Desk:1600 x 800mm", 1.6, material="Oak veneer"),
            _TypeSpec("Chair-Task:Standard", 0.6, material="Polypropylene"),
        ),
        dims=lambda rng, t: (t.width, round(t.width * 0.6, 3), 0.75),
        extrusion="up",
        area="plan",
        predefined=("DESK", "CHAIR"),
        common_pset="Pset_FurnitureTypeCommon",
        common_props=("Reference", "Style", "NominalHeight", "IsBuiltIn"),
        qto="Qto_FurnitureBaseQuantities",
        mark_prefix="F",
    ),
    _Kind(
        occurrence="IFCMEMBER",
        type_entity="IFCMEMBERTYPE",
        weight=5,
        types=(_TypeSpec("Rectangular Mullion:50 x 150mm", 0.05, material="Aluminium"),),
        dims=lambda rng, t: (_uniform(rng, 1.0, 4.0), t.width, t.width),
        extrusion="along",
        area="section",
        predefined=("MULLION",),
        common_pset="Pset_MemberCommon",
        common_props=("Reference", "IsExternal", "LoadBearing", "Span"),
        qto="Qto_MemberBaseQuantities",
        mark_prefix="M",
        classification="EF_25_10",
    ),
    _Kind(
        occurrence="IFCPLATE",
        type_entity="IFCPLATETYPE",
        weight=4,
        types=(_TypeSpec("System Panel:Glazed", 0.024, material="Glass"),),
        dims=lambda rng, t: (_uniform(rng, 0.8, 2.0), t.width, _uniform(rng, 1.0, 3.0)),
        extrusion="up",
        area="side",
        predefined=("CURTAIN_PANEL",),
        common_pset="Pset_PlateCommon",
        common_props=("Reference", "IsExternal", "LoadBearing", "ThermalTransmittance"),
        qto="Qto_PlateBaseQuantities",
        mark_prefix="P",
        classification="EF_25_10",
    ),
    _Kind(
        occurrence="IFCRAILING",
        type_entity="IFCRAILINGTYPE",
        weight=3,
        types=(_TypeSpec("Railing:Guard 1100mm", 0.05, material="Steel S235"),),
        dims=lambda rng, t: (_uniform(rng, 1.0, 6.0), t.width, 1.1),
        extrusion="up",
        area="side",
        predefined=("GUARDRAIL",),
        common_pset="Pset_RailingCommon",
        common_props=("Reference", "IsExternal", "Height"),
        qto="Qto_RailingBaseQuantities",
        mark_prefix="R",
    ),
)
_SLAB = 1  # index in _KINDS: every storey starts with its floor slab
_ROTATABLE = {"IFCWALL", "IFCBEAM", "IFCMEMBER", "IFCRAILING"}

_CLASSIFICATION_TITLES = {
    "EF_20_05": "Substructure and structure",
    "EF_25_10": "Walls",
    "EF_25_30": "Doors and windows",
    "EF_30_20": "Floors",
}
_FIRE_RATINGS = ("REI 30", "REI 60", "REI 90", "EI 30", "-")
_PHASES = ("Existing", "New Construction", "Phase 2")
_WORKSETS = ("Shell", "Interior", "Structure", "Facade")
_MANUFACTURERS = ("Acme Building Products", "Nordbau GmbH", "Constructions Dupont", "Generic")
_WORDS = (
    "check", "on", "site", "coordinate", "with", "structure", "see", "detail", "fire", "stopping",
    "required", "finish", "to", "match", "existing", "per", "spec", "section", "level", "revised",
    "by", "client", "request", "verify", "dimensions", "before", "fabrication",
)  # fmt: skip


# --------------------------------------------------------------------------- property values

_BOOLEAN_PROPS = {"IsExternal", "LoadBearing", "HandicapAccessible", "FireExit", "IsBuiltIn", "Combustible"}


def _common_value(name: str, rng: random.Random, mark: str, dims: Dims) -> str:
    """The value of a Pset_*Common property, as a typed STEP value."""
    r = rng.random()
    if name == "Reference":
        return f"IFCIDENTIFIER('{mark}')"
    if name in _BOOLEAN_PROPS:
        return "IFCBOOLEAN(.T.)" if r < 0.4 else "IFCBOOLEAN(.F.)"
    if name in ("FireRating", "FlammabilityRating"):
        return f"IFCLABEL('{_FIRE_RATINGS[int(r * len(_FIRE_RATINGS))]}')"
    if name == "ThermalTransmittance":
        return f"IFCTHERMALTRANSMITTANCEMEASURE({0.15 + r * 1.5:.3f})"
    if name in ("PitchAngle", "Slope"):
        return f"IFCPLANEANGLEMEASURE({r * 0.1:.4f})"
    if name == "Span":
        return f"IFCPOSITIVELENGTHMEASURE({dims[0]:.3f})"
    if name in ("NominalHeight", "Height"):
        return f"IFCPOSITIVELENGTHMEASURE({dims[2]:.3f})"
    if name == "GlazingAreaFraction":
        return f"IFCPOSITIVERATIOMEASURE({0.6 + r * 0.3:.2f})"
    if name == "Style":
        return f"IFCLABEL('{('Modern', 'Classic', 'Office')[int(r * 3)]}')"
    if name == "AcousticRating":
        return f"IFCLABEL('Rw {30 + int(r * 30)} dB')"
    raise ValueError(f"no value rule for property {name!r}")


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(count)).capitalize()


def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


# Extra "Identity Data" parameters as authoring tools export them, used in this
# order to pad elements towards the target size, followed by numbered parameters.
_PADDING: tuple[tuple[str, Callable[[random.Random, int], str]], ...] = (
    ("Comments", lambda rng, tag: f"IFCTEXT('{_words(rng, _int(rng, 4, 11))}')"),
    ("Workset", lambda rng, tag: f"IFCLABEL('{rng.choice(_WORKSETS)}')"),
    ("Manufacturer", lambda rng, tag: f"IFCLABEL('{rng.choice(_MANUFACTURERS)}')"),
    ("Model", lambda rng, tag: f"IFCLABEL('Series {_int(rng, 100, 999)}')"),
    ("Assembly Code", lambda rng, tag: f"IFCLABEL('B20{_int(rng, 10, 99)}.{_int(rng, 0, 8)}')"),
    ("Keynote", lambda rng, tag: f"IFCLABEL('0{_int(rng, 1, 9)} {_int(rng, 10, 99)} 00')"),
    ("Cost", lambda rng, tag: f"IFCREAL({rng.random() * 5000:.2f})"),
    ("URL", lambda rng, tag: f"IFCLABEL('https://products.example.com/item/{tag}')"),
    ("Edited by", lambda rng, tag: "IFCLABEL('')"),
    ("Design Option", lambda rng, tag: "IFCLABEL('Main Model')"),
    ("Type Comments", lambda rng, tag: f"IFCTEXT('{_words(rng, _int(rng, 3, 8))}')"),
    ("Count", lambda rng, tag: f"IFCINTEGER({_int(rng, 1, 20)})"),
    ("Install Date", lambda rng, tag: f"IFCLABEL('2024-{_int(rng, 1, 12):02d}-15')"),
    ("Warranty Years", lambda rng, tag: f"IFCINTEGER({_int(rng, 0, 25)})"),
    ("Serial Number", lambda rng, tag: f"IFCIDENTIFIER('SN-{_int(rng, 0, 99_999_999):08d}')"),
)
# Rough size of one padding property (its line plus its reference in the set).
_PADDING_BYTES = 75
# Rough size of the "Identity Data" set before padding (properties, set, relationship).
_IDENTITY_BYTES = 260


def _padding_property(index: int, rng: random.Random, tag: int) -> str:
    if index < len(_PADDING):
        name, value = _PADDING[index]
        return f"IFCPROPERTYSINGLEVALUE('{name}',$,{value(rng, tag)},$)"
    name = f"Parameter {index - len(_PADDING) + 1:03d}"
    if index % 2:
        return f"IFCPROPERTYSINGLEVALUE('{name}',$,IFCREAL({rng.random() * 100:.3f}),$)"
    return f"IFCPROPERTYSINGLEVALUE('{name}',$,IFCLABEL('{_words(rng, 2)}'),$)"


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class _Result:
    elements: int
    storeys: int
    bytes_written: int
    schema: str
    project_global_id: str


@dataclass(slots=True)
class _TypeRecord:
    """A written type object and the occurrences waiting to be related to it."""

    kind: _Kind
    spec: _TypeSpec
    entity: int
    material: int  # layer set usage or material for its occurrences
    members: list[int]


class _ModelWriter:
    def __init__(
        self,
        out: TextIO,
        *,
        elements: int,
        seed: int,
        schema: str,
        storeys: int | None,
        project_name: str,
        project_global_id: str | None,
        geometry: bool,
        target_bytes: int | None,
        file_name: str,
    ):
        self.schema = schema.upper()
        if self.schema not in SCHEMAS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMAS)}, not {schema!r}")
        self.storeys = default_storeys(elements) if storeys is None else storeys
        if self.storeys < 1:
            raise ValueError("storeys must be at least 1")
        self.building_elements = elements - 2 - self.storeys  # besides site, building, storeys
        if self.building_elements < 1:
            raise ValueError(f"{elements} products cannot hold a site, a building and {self.storeys} storeys")
        self.target_bytes = elements * DEFAULT_BYTES_PER_ELEMENT if target_bytes is None else target_bytes
        if project_global_id is not None and len(project_global_id) != 22:
            raise ValueError("project_global_id must be a 22-character IFC GlobalId")
        self.project_global_id = project_global_id or compress_guid(random.Random(f"{seed}:project").randbytes(16))
        self.project_name = project_name
        self.file_name = file_name
        self.geometry = geometry
        self.ifc2x3 = self.schema == "IFC2X3"
        # Separate streams: product GlobalIds depend on the seed and the product's
        # position only, not on how many properties or relationships precede it.
        self.rng = random.Random(f"{seed}:content")
        self._product_ids = random.Random(f"{seed}:products")
        self._other_ids = random.Random(f"{seed}:relations")
        self.w = _LineWriter(out)

    def product_guid(self) -> str:
        return compress_guid(self._product_ids.randbytes(16))

    def guid(self) -> str:
        return compress_guid(self._other_ids.randbytes(16))

    def entity_name(self, ifc4_name: str) -> str:
        return _IFC2X3_NAMES.get(ifc4_name, ifc4_name) if self.ifc2x3 else ifc4_name

    # ---------------------------------------------------------------- whole file

    def write(self) -> _Result:
        self._header()
        self._context()
        self._spatial_structure()
        self._classification()
        self._types()
        self.w.flush()
        self._plan_padding()
        done = 0
        for storey in range(self.storeys):
            count = self.building_elements // self.storeys + (storey < self.building_elements % self.storeys)
            done = self._storey(storey, count, done)
        self._closing_relationships()
        self.w.raw("ENDSEC;\nEND-ISO-10303-21;\n")
        self.w.flush()
        return _Result(
            elements=2 + self.storeys + done,
            storeys=self.storeys,
            bytes_written=self.w.bytes_written,
            schema=self.schema,
            project_global_id=self.project_global_id,
        )

    def _header(self) -> None:
        view = {"IFC2X3": "CoordinationView_V2.0", "IFC4": "ReferenceView_V1.2"}.get(self.schema, "Reference_View")
        self.w.raw(
            "ISO-10303-21;\nHEADER;\n"
            f"FILE_DESCRIPTION(('ViewDefinition [{view}]'),'2;1');\n"
            f"FILE_NAME({step_string(self.file_name)},'{CREATION_ISO}',('Synthetic'),('IFC Desktop'),"
            f"'{GENERATOR_NAME} {GENERATOR_VERSION}','{GENERATOR_NAME}','');\n"
            f"FILE_SCHEMA(('{self.schema}'));\nENDSEC;\nDATA;\n"
        )

    def _context(self) -> None:
        """Owner history, units, shared geometry and the project."""
        add = self.w.add
        person = add("IFCPERSON($,'Generator','Synthetic',$,$,$,$,$)")
        org = add("IFCORGANIZATION($,'IFC Desktop',$,$,$)")
        pao = add(f"IFCPERSONANDORGANIZATION(#{person},#{org},$)")
        app = add(f"IFCAPPLICATION(#{org},'{GENERATOR_VERSION}','{GENERATOR_NAME}','IFCDesktopSynth')")
        self.oh = add(f"IFCOWNERHISTORY(#{pao},#{app},$,.NOCHANGE.,$,$,$,{CREATION_TIME})")
        units = [
            add("IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.)"),
            add("IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.)"),
            add("IFCSIUNIT(*,.VOLUMEUNIT.,$,.CUBIC_METRE.)"),
            add("IFCSIUNIT(*,.PLANEANGLEUNIT.,$,.RADIAN.)"),
        ]
        unit_assignment = add(f"IFCUNITASSIGNMENT({_refs(units)})")
        origin = add("IFCCARTESIANPOINT((0.,0.,0.))")
        dir_x = add("IFCDIRECTION((1.,0.,0.))")
        self.dir_y = add("IFCDIRECTION((0.,1.,0.))")
        self.dir_z = add("IFCDIRECTION((0.,0.,1.))")
        origin_2d = add("IFCCARTESIANPOINT((0.,0.))")
        true_north = add("IFCDIRECTION((0.,1.))")
        self.world = add(f"IFCAXIS2PLACEMENT3D(#{origin},$,$)")
        self.along_x = add(f"IFCAXIS2PLACEMENT3D(#{origin},#{dir_x},#{self.dir_y})")  # local z = global x
        self.profile_position = add(f"IFCAXIS2PLACEMENT2D(#{origin_2d},$)")
        context = add(f"IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#{self.world},#{true_north})")
        self.body_context = add(
            f"IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,#{context},$,.MODEL_VIEW.,$)"
        )
        self.axis_context = add(
            f"IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Axis','Model',*,*,*,*,#{context},$,.GRAPH_VIEW.,$)"
        )
        self.project = add(
            f"IFCPROJECT('{self.project_global_id}',#{self.oh},{step_string(self.project_name)},$,$,$,$,"
            f"(#{context}),#{unit_assignment})"
        )

    def _spatial_structure(self) -> None:
        add, oh = self.w.add, self.oh
        site_placement = add(f"IFCLOCALPLACEMENT($,#{self.world})")
        site = add(
            f"IFCSITE('{self.product_guid()}',#{oh},'Site',$,$,#{site_placement},$,$,.ELEMENT.,"
            f"(52,31,12,0),(13,24,36,0),34.,$,$)"
        )
        building_placement = add(f"IFCLOCALPLACEMENT(#{site_placement},#{self.world})")
        building = add(
            f"IFCBUILDING('{self.product_guid()}',#{oh},'Tower',$,$,#{building_placement},$,"
            f"{step_string(self.project_name)},.ELEMENT.,$,$,$)"
        )
        self.storey_ids: list[int] = []
        self.storey_placements: list[int] = []
        for s in range(self.storeys):
            elevation = s * STOREY_HEIGHT
            point = add(f"IFCCARTESIANPOINT((0.,0.,{elevation:.3f}))")
            axes = add(f"IFCAXIS2PLACEMENT3D(#{point},$,$)")
            placement = add(f"IFCLOCALPLACEMENT(#{building_placement},#{axes})")
            self.storey_placements.append(placement)
            self.storey_ids.append(
                add(
                    f"IFCBUILDINGSTOREY('{self.product_guid()}',#{oh},'Level {s:02d}',$,$,#{placement},$,"
                    f"'Storey {s}',.ELEMENT.,{elevation:.3f})"
                )
            )
        add(f"IFCRELAGGREGATES('{self.guid()}',#{oh},$,$,#{self.project},(#{site}))")
        add(f"IFCRELAGGREGATES('{self.guid()}',#{oh},$,$,#{site},(#{building}))")
        add(f"IFCRELAGGREGATES('{self.guid()}',#{oh},$,$,#{building},{_refs(self.storey_ids)})")

    def _classification(self) -> None:
        add = self.w.add
        if self.ifc2x3:
            system = add("IFCCLASSIFICATION('NBS','2015',$,'Uniclass 2015')")
        else:
            system = add(
                "IFCCLASSIFICATION('NBS','v1.22','2015-06-01','Uniclass 2015',$,'https://uniclass.thenbs.com',$)"
            )
        tail = "" if self.ifc2x3 else ",$,$"  # Description, Sort
        self.classification_refs: dict[str, int] = {}
        self.classified: dict[str, list[int]] = {}
        for code, title in _CLASSIFICATION_TITLES.items():
            location = f"https://uniclass.thenbs.com/taxon/{code.lower()}"
            self.classification_refs[code] = add(
                f"IFCCLASSIFICATIONREFERENCE('{location}','{code}','{title}',#{system}{tail})"
            )
            self.classified[code] = []

    def _material(self, name: str) -> int:
        if name not in self.materials:
            tail = "" if self.ifc2x3 else ",$,$"  # Description, Category
            self.materials[name] = self.w.add(f"IFCMATERIAL({step_string(name)}{tail})")
        return self.materials[name]

    def _types(self) -> None:
        """Type objects with their property sets and materials."""
        add, oh = self.w.add, self.oh
        self.materials: dict[str, int] = {}
        self.type_records: list[list[_TypeRecord]] = []
        self.material_members: dict[int, list[int]] = {}
        for k, kind in enumerate(_KINDS):
            records = []
            for t, spec in enumerate(kind.types):
                manufacturer = _MANUFACTURERS[(k + t) % len(_MANUFACTURERS)]
                props = [
                    add(f"IFCPROPERTYSINGLEVALUE('Manufacturer',$,IFCLABEL('{manufacturer}'),$)"),
                    add(f"IFCPROPERTYSINGLEVALUE('ModelLabel',$,IFCLABEL({step_string(spec.name)}),$)"),
                ]
                psets = [
                    add(f"IFCPROPERTYSET('{self.guid()}',#{oh},'Pset_ManufacturerTypeInformation',$,{_refs(props)})")
                ]
                if kind.type_props:
                    values = [_common_value(name, self.rng, "", (0, 0, 0)) for name in kind.type_props]
                    props = [
                        add(f"IFCPROPERTYSINGLEVALUE('{name}',$,{value},$)")
                        for name, value in zip(kind.type_props, values, strict=True)
                    ]
                    props.append(add("IFCPROPERTYSINGLEVALUE('Status',$,IFCLABEL('New'),$)"))
                    psets.append(add(f"IFCPROPERTYSET('{self.guid()}',#{oh},'{kind.common_pset}',$,{_refs(props)})"))
                type_id = add(self._type_entity(kind, spec, f"T{k:02d}{t}", psets))
                material = self._layer_set_usage(type_id, spec) if spec.layers else self._material(spec.material)
                self.material_members.setdefault(material, [])
                records.append(_TypeRecord(kind, spec, type_id, material, []))
            self.type_records.append(records)

    def _type_entity(self, kind: _Kind, spec: _TypeSpec, tag: str, psets: list[int]) -> str:
        entity = self.entity_name(kind.type_entity)
        head = f"'{self.guid()}',#{self.oh},{step_string(spec.name)},$,$,{_refs(psets)},$,'{tag}'"
        predefined = kind.predefined[0]
        if entity == "IFCDOORSTYLE":  # OperationType, ConstructionType, ParameterTakesPrecedence, Sizeable
            return f"{entity}({head},.SINGLE_SWING_LEFT.,.WOOD.,.F.,.F.)"
        if entity == "IFCWINDOWSTYLE":  # ConstructionType, OperationType, ParameterTakesPrecedence, Sizeable
            return f"{entity}({head},.WOOD.,.SINGLE_PANEL.,.F.,.F.)"
        if entity == "IFCDOORTYPE":
            return f"{entity}({head},$,.DOOR.,.SINGLE_SWING_LEFT.,.F.,$)"
        if entity == "IFCWINDOWTYPE":
            return f"{entity}({head},$,.WINDOW.,.SINGLE_PANEL.,.F.,$)"
        if entity == "IFCFURNITURETYPE":  # AssemblyPlace, then PredefinedType from IFC4 on
            return f"{entity}({head},$,.FACTORY.)" if self.ifc2x3 else f"{entity}({head},$,.FACTORY.,.{predefined}.)"
        return f"{entity}({head},$,.{predefined}.)"

    def _layer_set_usage(self, type_id: int, spec: _TypeSpec) -> int:
        """The type's layer set (associated with the type) and the usage its occurrences share."""
        add = self.w.add
        layer_tail = "" if self.ifc2x3 else ",$,$,$,$"  # Name, Description, Category, Priority
        layers = [
            add(f"IFCMATERIALLAYER(#{self._material(name)},{thickness:.3f},${layer_tail})")
            for name, thickness in spec.layers
        ]
        set_tail = "" if self.ifc2x3 else ",$"  # Description
        layer_set = add(f"IFCMATERIALLAYERSET({_refs(layers)},{step_string(spec.name)}{set_tail})")
        add(f"IFCRELASSOCIATESMATERIAL('{self.guid()}',#{self.oh},$,$,(#{type_id}),#{layer_set})")
        usage_tail = "" if self.ifc2x3 else ",$"  # ReferenceExtent
        return add(f"IFCMATERIALLAYERSETUSAGE(#{layer_set},.AXIS2.,.POSITIVE.,{-spec.width / 2:.3f}{usage_tail})")

    # ---------------------------------------------------------------- elements

    def _plan_padding(self) -> None:
        """Spread the bytes still wanted evenly over the elements."""
        self.start_bytes = self.w.bytes_written
        relation_lists = sum(len(r) for r in self.type_records) + len(self.material_members) + len(self.classified)
        # The closing relationships list each element about three times.
        closing = self.building_elements * 3 * 8 + 200 * relation_lists
        remaining = self.target_bytes - self.start_bytes - closing
        self.bytes_per_element = max(0.0, remaining / self.building_elements)

    def _storey(self, storey: int, count: int, done: int) -> int:
        add, oh, rng = self.w.add, self.oh, self.rng
        weights = [kind.weight for kind in _KINDS]
        kinds = range(len(_KINDS))
        contained: list[int] = []
        phase_groups: dict[int, list[int]] = {}
        for j in range(count):
            k = _SLAB if j == 0 else rng.choices(kinds, weights)[0]
            records = self.type_records[k]
            record = records[int(rng.random() * len(records))]
            element = self._element(record, storey, j, done)
            contained.append(element)
            record.members.append(element)
            self.material_members[record.material].append(element)
            if record.kind.classification:
                self.classified[record.kind.classification].append(element)
            r = rng.random()
            if r < 0.6:  # 60% share a phasing set with others of the storey
                phase_groups.setdefault(int(r / 0.2), []).append(element)
            done += 1
            self.w.flush()
        add(
            f"IFCRELCONTAINEDINSPATIALSTRUCTURE('{self.guid()}',#{oh},$,$,{_refs(contained)},#{self.storey_ids[storey]})"
        )
        for phase, members in sorted(phase_groups.items()):
            created = add(f"IFCPROPERTYSINGLEVALUE('Phase Created',$,IFCLABEL('{_PHASES[phase]}'),$)")
            demolished = add("IFCPROPERTYSINGLEVALUE('Phase Demolished',$,IFCLABEL('None'),$)")
            pset = add(f"IFCPROPERTYSET('{self.guid()}',#{oh},'Phasing',$,(#{created},#{demolished}))")
            add(f"IFCRELDEFINESBYPROPERTIES('{self.guid()}',#{oh},$,$,{_refs(members)},#{pset})")
        self.w.flush()
        return done

    def _element(self, record: _TypeRecord, storey: int, j: int, index: int) -> int:
        """One building element with placement, shape, property sets and quantities."""
        add, oh, rng = self.w.add, self.oh, self.rng
        kind, spec = record.kind, record.spec
        dims = kind.dims(rng, spec)
        length, _, height = dims
        tag = 300_000 + index
        mark = f"{kind.mark_prefix}-{storey:02d}-{j:04d}"

        predefined = kind.predefined[j % len(kind.predefined)]
        # Bodies are centred on their placement: lift beams under the ceiling, mullions onto the floor.
        if kind.occurrence == "IFCBEAM":
            z = CEILING_HEIGHT - height / 2
        elif kind.occurrence == "IFCMEMBER":
            z = height / 2
        elif predefined == "CEILING":
            z = CEILING_HEIGHT - height
        else:
            z = 0.0
        point = add(f"IFCCARTESIANPOINT(({rng.random() * 60:.3f},{rng.random() * 40:.3f},{z:.3f}))")
        if kind.occurrence in _ROTATABLE and rng.random() < 0.5:
            axes = add(f"IFCAXIS2PLACEMENT3D(#{point},#{self.dir_z},#{self.dir_y})")  # turned by 90 degrees
        else:
            axes = add(f"IFCAXIS2PLACEMENT3D(#{point},$,$)")
        placement = add(f"IFCLOCALPLACEMENT(#{self.storey_placements[storey]},#{axes})")
        shape = f"#{self._shape(kind, dims)}" if self.geometry else "$"

        entity = self.entity_name(kind.occurrence)
        head = (
            f"'{self.product_guid()}',#{oh},{step_string(f'{spec.name}:{tag}')},$,{step_string(spec.name)},"
            f"#{placement},{shape},'{tag}'"
        )
        if entity in ("IFCDOOR", "IFCWINDOW"):
            operation = ".DOOR.,.SINGLE_SWING_LEFT.,$" if entity == "IFCDOOR" else ".WINDOW.,.SINGLE_PANEL.,$"
            tail = "" if self.ifc2x3 else f",{operation}"
            element = add(f"{entity}({head},{height:.3f},{length:.3f}{tail})")
        elif self.ifc2x3 and entity in _IFC2X3_NO_PREDEFINED:
            element = add(f"{entity}({head})")
        else:
            element = add(f"{entity}({head},.{predefined}.)")

        props = [
            add(f"IFCPROPERTYSINGLEVALUE('{name}',$,{_common_value(name, rng, mark, dims)},$)")
            for name in kind.common_props
        ]
        self._define(element, add(f"IFCPROPERTYSET('{self.guid()}',#{oh},'{kind.common_pset}',$,{_refs(props)})"))
        self._quantities(element, kind, dims)
        self._identity_data(element, mark, tag, index)
        return element

    def _shape(self, kind: _Kind, dims: Dims) -> int:
        add = self.w.add
        length, width, height = dims
        if kind.extrusion == "along":
            profile = add(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,#{self.profile_position},{width:.3f},{height:.3f})")
            solid = add(f"IFCEXTRUDEDAREASOLID(#{profile},#{self.along_x},#{self.dir_z},{length:.3f})")
        else:
            profile = add(f"IFCRECTANGLEPROFILEDEF(.AREA.,$,#{self.profile_position},{length:.3f},{width:.3f})")
            solid = add(f"IFCEXTRUDEDAREASOLID(#{profile},#{self.world},#{self.dir_z},{height:.3f})")
        representations = [add(f"IFCSHAPEREPRESENTATION(#{self.body_context},'Body','SweptSolid',(#{solid}))")]
        if kind.occurrence == "IFCWALL":
            start = add(f"IFCCARTESIANPOINT(({-length / 2:.3f},0.))")
            end = add(f"IFCCARTESIANPOINT(({length / 2:.3f},0.))")
            line = add(f"IFCPOLYLINE((#{start},#{end}))")
            representations.append(add(f"IFCSHAPEREPRESENTATION(#{self.axis_context},'Axis','Curve2D',(#{line}))"))
        return add(f"IFCPRODUCTDEFINITIONSHAPE($,$,{_refs(representations)})")

    def _define(self, element: int, definition: int) -> None:
        self.w.add(f"IFCRELDEFINESBYPROPERTIES('{self.guid()}',#{self.oh},$,$,(#{element}),#{definition})")

    def _quantities(self, element: int, kind: _Kind, dims: Dims) -> None:
        add = self.w.add
        length, width, height = dims
        gross = length * width * height
        net = gross * (0.85 + 0.15 * self.rng.random()) if kind.occurrence == "IFCWALL" else gross
        area = {"side": length * height, "plan": length * width, "section": width * height}[kind.area]
        formula = "" if self.ifc2x3 else ",$"  # IfcPhysicalSimpleQuantity.Formula from IFC4 on
        quantities = [
            add(f"IFCQUANTITYLENGTH('Length',$,$,{length:.3f}{formula})"),
            add(f"IFCQUANTITYLENGTH('Width',$,$,{width:.3f}{formula})"),
            add(f"IFCQUANTITYLENGTH('Height',$,$,{height:.3f}{formula})"),
            add(f"IFCQUANTITYAREA('NetArea',$,$,{area:.4f}{formula})"),
            add(f"IFCQUANTITYVOLUME('NetVolume',$,$,{net:.4f}{formula})"),
            add(f"IFCQUANTITYVOLUME('GrossVolume',$,$,{gross:.4f}{formula})"),
        ]
        self._define(
            element,
            add(f"IFCELEMENTQUANTITY('{self.guid()}',#{self.oh},'{kind.qto}',$,'BaseQuantities',{_refs(quantities)})"),
        )

    def _identity_data(self, element: int, mark: str, tag: int, index: int) -> None:
        """The last set of an element, so that its padding can be sized once all else is written."""
        add, rng = self.w.add, self.rng
        props = [add(f"IFCPROPERTYSINGLEVALUE('Mark',$,IFCLABEL('{mark}'),$)")]
        if rng.random() < 0.2:
            labels = ",".join(f"IFCLABEL('{rng.choice(_WORDS)}')" for _ in range(_int(rng, 2, 4)))
            props.append(add(f"IFCPROPERTYLISTVALUE('Tags',$,({labels}),$)"))
        wanted = self.start_bytes + self.bytes_per_element * (index + 1)
        missing = wanted - (self.w.bytes_written + self.w.pending) - _IDENTITY_BYTES
        for p in range(max(0, round(missing / _PADDING_BYTES))):
            props.append(add(_padding_property(p, rng, tag)))
        self._define(element, add(f"IFCPROPERTYSET('{self.guid()}',#{self.oh},'Identity Data',$,{_refs(props)})"))

    def _closing_relationships(self) -> None:
        add, oh = self.w.add, self.oh
        for records in self.type_records:
            for record in records:
                if record.members:
                    add(f"IFCRELDEFINESBYTYPE('{self.guid()}',#{oh},$,$,{_refs(record.members)},#{record.entity})")
        for material, members in self.material_members.items():
            if members:
                add(f"IFCRELASSOCIATESMATERIAL('{self.guid()}',#{oh},$,$,{_refs(members)},#{material})")
        for code, members in self.classified.items():
            if members:
                ref = self.classification_refs[code]
                add(f"IFCRELASSOCIATESCLASSIFICATION('{self.guid()}',#{oh},$,$,{_refs(members)},#{ref})")
