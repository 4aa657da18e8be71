"""Snapshots built in Python for the store tests (no IFC parsing needed)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ifc_desktop.core.snapshot import (
    KIND_PSET,
    KIND_QTO,
    SOURCE_OCCURRENCE,
    SOURCE_TYPE,
    Classification,
    Element,
    HeaderInfo,
    ProjectInfo,
    PropertySet,
    Snapshot,
    UnitInfo,
)

PROJECT_GID = "0Pr0ject0000000000000A"


def gid(prefix: str, number: int) -> str:
    """A 22-character GlobalId-like string."""
    return f"{prefix}{number:0{22 - len(prefix)}d}"


def make_snapshot(
    *,
    walls: int = 10,
    project_global_id: str | None = PROJECT_GID,
    project_name: str | None = "Haus Süd",
    source_name: str = "Haus Süd.ifc",
    edit: str | None = None,
) -> Snapshot:
    """A small building: site, building, two storeys, ``walls`` walls sharing one type.

    ``edit`` renames the first wall and changes its occurrence property set, as an
    edited re-export would.
    """
    type_props = {"FireRating": "F90", "IsExternal": True, "Reference": "Wand 24"}
    elements = [
        Element(gid("site", 1), "IfcSite", 10, name="Grundstück"),
        Element(gid("bldg", 1), "IfcBuilding", 11, name="Haus", parent_global_id=gid("site", 1)),
        Element(gid("sto", 0), "IfcBuildingStorey", 12, name="EG", parent_global_id=gid("bldg", 1)),
        Element(gid("sto", 1), "IfcBuildingStorey", 13, name="OG", parent_global_id=gid("bldg", 1)),
    ]
    for i in range(walls):
        storey = gid("sto", i % 2)
        occurrence = {"LoadBearing": i % 3 == 0, "Mark": f"W{i:03d}", "Acoustic": None}
        if edit is not None and i == 0:
            occurrence["Mark"] = edit
        elements.append(
            Element(
                global_id=gid("wall", i),
                ifc_class="IfcWall",
                step_id=100 + i,
                predefined_type="STANDARD",
                name=edit if (edit is not None and i == 0) else f"Wand {i}",
                object_type="Basiswand",
                tag=str(1000 + i),
                type_global_id=gid("wtyp", 1),
                type_class="IfcWallType",
                type_name="Wand 24",
                container_global_id=storey,
                storey_global_id=storey,
                materials=["Ziegel", "Putz"],
                classifications=[Classification("Uniclass 2015", "Ss_25_10_30", "Wall systems")],
                property_sets=[
                    PropertySet("Pset_WallCommon", KIND_PSET, SOURCE_OCCURRENCE, occurrence),
                    PropertySet("Pset_WallCommon", KIND_PSET, SOURCE_TYPE, type_props),
                    PropertySet(
                        "Qto_WallBaseQuantities",
                        KIND_QTO,
                        SOURCE_OCCURRENCE,
                        {"Length": 4.0 + i / 10, "Height": 2.75, "NetVolume": 0.1 + 0.2},
                    ),
                ],
                placement=(float(i), 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
                content_hash=hashlib.sha1(f"wall{i}{edit}".encode()).hexdigest(),
            )
        )
    return Snapshot(
        header=HeaderInfo(
            schema_declared="IFC4",
            schema_read="IFC4",
            application="ArchiCAD 20",
            application_source="IfcApplication",
            timestamp="2016-10-05T10:00:00",
            file_name="Haus.ifc",
            description="ViewDefinition [CoordinationView]",
            author="Architektin",
            organization="Büro",
        ),
        project=ProjectInfo(
            global_id=project_global_id,
            name=project_name,
            units=[UnitInfo("LENGTHUNIT", "millimetre", "mm", 0.001)],
            length_unit="millimetre",
            length_scale=0.001,
        ),
        elements=elements,
        warnings=["Duplicate GlobalId kept twice"],
        source_name=source_name,
    )


def write_source(folder: Path, name: str, payload: bytes | None = None) -> tuple[Path, str, int]:
    """A source file on disk with its SHA-256 and size (random bytes unless given)."""
    data = payload if payload is not None else os.urandom(4096)
    path = folder / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest(), len(data)
