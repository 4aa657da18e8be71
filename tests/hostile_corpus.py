"""Hostile input: files built from the real samples and from scratch, each with the outcome it must have.

``CASES`` lists every case by name with a builder that writes the file into a
folder and the outcome expected from an import: a permanent failure of a given
class whose message contains given words (and the file's name), or a success
whose warnings contain given words. ``build(root)`` writes them all.

``probe`` is what a spawned test worker runs for one file: the opener and the
extractor, exactly as the import task calls them, with the result turned into
plain data. ``probe_pool`` starts such workers with a private temporary folder
each, so leftovers can be seen, and a parser crash takes down only one worker.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import multiprocessing
import os
import random
import re
import sqlite3
import struct
import tempfile
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES = (Path(__file__).resolve().parent.parent.parent / "shared" / "samples").resolve()

# Small real files the synthetic cases are built from.
WALL = "ifc2x3_revit2021_simple_wall.ifc"  # IFC2X3, #219 is the wall, #42 the owner history
HAUS = "ifc4_archicad20_fzk_haus.ifc"  # IFC4, 2.5 MB: truncation and mixing
ZIPPED = "ifc4_revit2017_product_data_nested_lists.ifczip"
XML = "ifcxml_ikea_kitchen_cabinets.ifcXML"
ZIPPED_XML = "ifczip_containing_ifcxml_hello_wall.ifczip"
OTHER_SCHEMA_ENTITY = "bad_ifc4_entity_from_other_schema.ifc"
RC2 = "ifc4x3rc2_sketchup2015_kit_simple_road_UNSUPPORTED_SCHEMA.ifc"

# Real samples the drills drop among the hostile files, with their IfcProduct counts (SOURCES.md).
GOOD_SAMPLES = {
    "ifc2x3_revit2011_duplex_apartment_A.ifc": 295,
    "ifc4_archicad20_fzk_haus.ifc": 127,
    "ifc2x3_revit2021_simple_wall.ifc": 6,
}
# Samples whose saving takes a few hundred milliseconds, so a kill lands inside the write.
HEAVY_SAMPLES = ["ifc2x3_tekla2019_mini_project_steel.ifc", "ifc2x3_revit2011_duplex_apartment_A.ifc"]

FAILURE = "failure"
SUCCESS = "success"


def sample_bytes(name: str) -> bytes:
    path = SAMPLES / name
    if not path.is_file():
        raise RuntimeError(f"sample {name} is missing from {SAMPLES}")
    return path.read_bytes()


@dataclass(frozen=True)
class Expect:
    outcome: str  # FAILURE or SUCCESS
    error: str | None = None  # class name: BadInput or UnsupportedFormat
    words: tuple[str, ...] = ()  # in the message (failure) or in one of the warnings (success)
    clean: bool = False  # a success without any warning
    elements: bool = True  # a success has elements (the file holds at least one product)


def fails(error: str, *words: str) -> Expect:
    return Expect(FAILURE, error, words)


def succeeds(*warning_words: str, elements: bool = True) -> Expect:
    return Expect(SUCCESS, None, warning_words, elements=elements)


def clean_success() -> Expect:
    return Expect(SUCCESS, clean=True)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]  # writes the file (or folder) into the given folder, returns its path
    expect: Expect
    big: bool = False  # takes a while to build or read (tens of MB)
    tags: tuple[str, ...] = field(default=())


# -- building blocks ---------------------------------------------------------------------


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def append_entities(data: bytes, lines: bytes) -> bytes:
    """Insert STEP lines at the end of the DATA section."""
    end = data.rindex(b"ENDSEC;")
    return data[:end] + lines + data[end:]


def wall_with(lines: bytes) -> bytes:
    return append_entities(sample_bytes(WALL), lines)


def with_property(value: bytes) -> bytes:
    """The wall sample with one more property set on the wall, holding ``value``."""
    return wall_with(
        b"#900001=IFCPROPERTYSINGLEVALUE('Hostile',$," + value + b",$);\n"
        b"#900002=IFCPROPERTYSET('2Hz$uBm0r0QfE6q2lB9F3a',#42,'Pset_Hostile',$,(#900001));\n"
        b"#900003=IFCRELDEFINESBYPROPERTIES('0a9DtkLmr0RgqvD$3Fbh9L',#42,$,$,(#219),#900002);\n"
    )


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    if old not in data:
        raise ValueError(f"{old!r} not in the base sample")
    return data.replace(old, new, 1)


def edit_wall(old: bytes, new: bytes) -> bytes:
    return replace_once(sample_bytes(WALL), old, new)


WALL_NAME = b"'Basic Wall:Bearing"
WALL_TAIL = b"#188,#215,'346660');"
WALL_TAIL_EXTRA = b"#188,#215,'346660',.STANDARD.);"
WALL_REFS = b"#188,#215,'346660'"  # ObjectPlacement, Representation, Tag of the wall
NEW_WALL = b"IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'W',$,$,$,$,$);\n"


def minimal_ifc(schema: str = "IFC4", data_lines: str = "") -> bytes:
    return (
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');\n"
        "FILE_NAME('m.ifc','2024-01-01T00:00:00',(''),(''),'x','y','');\n"
        f"FILE_SCHEMA(('{schema}'));\nENDSEC;\nDATA;\n"
        "#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,$,$);\n"
        f"{data_lines}ENDSEC;\nEND-ISO-10303-21;\n"
    ).encode()


def png_image() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_zip(folder: Path, name: str, members: dict[str, bytes], level: int = 6) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def patch_zip_sizes(path: Path, declared: int) -> None:
    """Make every member claim ``declared`` unpacked bytes (local and central headers)."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset : start + offset + 4] = struct.pack("<I", declared)
            start += 4
    path.write_bytes(bytes(data))


def mark_zip_encrypted(path: Path) -> None:
    """Set the 'encrypted' flag on every member, as a password-protected zip has."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 0x1)
            start += 4
    path.write_bytes(bytes(data))


def truncated(fraction: float) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = sample_bytes(HAUS)
        return _write(folder, f"haus cut at {int(fraction * 100)}%.ifc", data[: int(len(data) * fraction)])

    return build


def _real_bomb(folder: Path) -> Path:
    """A real zip bomb: 256 MB of spaces after a valid header, deflated to a few hundred KB."""
    path = folder / "bomb.ifczip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("bomb.ifc", "w", force_zip64=True) as member,
    ):
        member.write(minimal_ifc()[:200])
        block = b" " * (1024 * 1024)
        for _ in range(256):
            member.write(block)
    return path


def _lying_bomb(folder: Path) -> Path:
    """A tiny zip whose headers claim its IFC unpacks to 4 GB."""
    path = make_zip(folder, "claims 4 GB.ifczip", {"model.ifc": minimal_ifc()})
    patch_zip_sizes(path, 0xFFFFFFF0)
    return path


def _under_declared(folder: Path) -> Path:
    """A zip whose member says it is 100 bytes but unpacks to 2 MB."""
    path = make_zip(folder, "under declared.ifczip", {"model.ifc": minimal_ifc() + b" " * 2_000_000})
    patch_zip_sizes(path, 100)
    return path


def _encrypted(folder: Path) -> Path:
    path = make_zip(folder, "password.ifczip", {"model.ifc": minimal_ifc()})
    mark_zip_encrypted(path)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "x.ifc"
    path.mkdir()
    (path / "inside.ifc").write_bytes(sample_bytes(WALL))
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.ifc"
    os.mkfifo(path)
    return path


def _symlink_loop(folder: Path) -> Path:
    path = folder / "loop.ifc"
    os.symlink(path, path)
    return path


def _dangling_symlink(folder: Path) -> Path:
    path = folder / "moved.ifc"
    os.symlink(folder / "no such target.ifc", path)
    return path


def _non_ascii_path(folder: Path) -> Path:
    sub = folder / "Projekte 2024 – Ünïcødé 模型"
    sub.mkdir()
    return _write(sub, "Дом (копия) ø 1.ifc", sample_bytes(WALL))


def _long_path(folder: Path) -> Path:
    sub = folder
    while len(str(sub)) < 300:
        sub = sub / ("a very long folder name with spaces " + "x" * 20)
    sub.mkdir(parents=True)
    path = _write(sub, "model with a long path.ifc", sample_bytes(WALL))
    assert len(str(path)) > 260
    return path


def _one_line_50mb(folder: Path) -> Path:
    """The wall sample on a single line, with a 50 MB text property."""
    data = with_property(b"IFCTEXT('" + b"A" * (50 * 1024 * 1024) + b"')")
    return _write(folder, "one 50 MB line.ifc", re.sub(rb"\r?\n", b"", data))


def _deeply_nested(depth: int) -> bytes:
    return b"(" * depth + b"1" + b")" * depth


def _header_comment(start: bytes) -> bytes:
    """The wall sample with a comment of 120 KB (beginning with ``start``) before its FILE_DESCRIPTION."""
    return edit_wall(b"FILE_DESCRIPTION", b"/* " + start + b"notes " * 20_000 + b"*/\nFILE_DESCRIPTION")


def _miscounted_wall(object_type: bytes) -> bytes:
    """The wall sample with one attribute too many on the wall, and its ObjectType written as ``object_type``."""
    miscounted = edit_wall(WALL_TAIL, WALL_TAIL_EXTRA)
    return replace_once(miscounted, b"'Basic Wall:Bearing Wall',#188", object_type + b",#188")


def _cut_in_text() -> bytes:
    """The wall sample cut inside the storey's name, with the end a file needs written after it."""
    data = sample_bytes(WALL)
    cut = data.index(b"'Level 1'") + len(b"'Lev")
    return data[:cut] + b"\nENDSEC;\nEND-ISO-10303-21;\n"


def _random_binary(folder: Path) -> Path:
    rng = random.Random(7)
    return _write(folder, "random.ifc", bytes(rng.getrandbits(8) for _ in range(64 * 1024)))


def _gzip_renamed(folder: Path) -> Path:
    return _write(folder, "gzipped.ifc", gzip.compress(sample_bytes(WALL)))


def _bom_crlf(folder: Path) -> Path:
    data = sample_bytes(WALL).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return _write(folder, "bom and crlf.ifc", b"\xef\xbb\xbf" + data)


def _duplicate_global_ids(folder: Path) -> Path:
    data = wall_with(b"#900005=IFCWALL('1F6umJ5H50aeL3A1As_wTm',#42,'Copy of the wall',$,$,$,$,$);\n")
    return _write(folder, "duplicate globalids.ifc", data)


def _case_list() -> list[Case]:
    w = _write
    cases = [
        # -- not IFC at all
        Case("empty file", lambda d: w(d, "empty.ifc", b""), fails("BadInput", "empty")),
        Case("one byte", lambda d: w(d, "one byte.ifc", b"I"), fails("BadInput", "ISO-10303-21")),
        Case("random binary", _random_binary, fails("BadInput", "not an IFC file")),
        Case("png renamed .ifc", lambda d: w(d, "picture.ifc", png_image()), fails("BadInput", "PNG image")),
        Case(
            "pdf renamed .ifc", lambda d: w(d, "drawing.ifc", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj"), fails("BadInput", "PDF")
        ),
        Case("gzip renamed .ifc", _gzip_renamed, fails("BadInput", "gzip")),
        Case("plain text", lambda d: w(d, "notes.ifc", b"meeting notes\n"), fails("BadInput", "ISO-10303-21")),
        # -- incomplete
        Case("truncated at 10%", truncated(0.10), fails("BadInput", "incomplete")),
        Case("truncated at 50%", truncated(0.50), fails("BadInput", "incomplete")),
        Case("truncated at 90%", truncated(0.90), fails("BadInput", "incomplete")),
        Case(
            "missing ENDSEC",
            lambda d: w(d, "no endsec.ifc", minimal_ifc().replace(b"ENDSEC;\nEND-ISO", b"END-ISO")),
            fails("BadInput", "ENDSEC"),
        ),
        Case(
            "missing END-ISO-10303-21",
            lambda d: w(d, "no end.ifc", minimal_ifc().replace(b"END-ISO-10303-21;\n", b"")),
            fails("BadInput", "incomplete"),
        ),
        Case(
            "header only",
            lambda d: w(d, "header only.ifc", minimal_ifc().split(b"DATA;")[0] + b"END-ISO-10303-21;\n"),
            fails("BadInput", "DATA"),
        ),
        # -- schemas and formats
        Case(
            "unknown schema IFC5", lambda d: w(d, "ifc5.ifc", minimal_ifc("IFC5")), fails("UnsupportedFormat", "IFC5")
        ),
        Case(
            "made-up schema name",
            lambda d: w(d, "made up.ifc", minimal_ifc("ACME_BIM_7")),
            fails("UnsupportedFormat", "ACME_BIM_7"),
        ),
        Case(
            "pre-release schema IFC4X1",
            lambda d: w(d, "ifc4x1.ifc", minimal_ifc("IFC4X1")),
            fails("UnsupportedFormat", "pre-release", "IFC4X1"),
        ),
        Case(
            "pre-release schema IFC4X3_RC2 (real)",
            lambda d: w(d, "road rc2.ifc", sample_bytes(RC2)),
            fails("UnsupportedFormat", "pre-release", "IFC4X3_RC2"),
        ),
        Case("empty schema name", lambda d: w(d, "no schema.ifc", minimal_ifc("")), fails("BadInput", "FILE_SCHEMA")),
        Case(
            "ifcXML (real)", lambda d: w(d, "kitchen.ifcXML", sample_bytes(XML)), fails("UnsupportedFormat", "ifcXML")
        ),
        Case(
            "ifcXML renamed .ifc",
            lambda d: w(d, "kitchen as step.ifc", sample_bytes(XML)),
            fails("UnsupportedFormat", "ifcXML"),
        ),
        Case("STEP file named .ifcxml", lambda d: w(d, "really step.ifcxml", sample_bytes(WALL)), clean_success()),
        Case("STEP file named .zip", lambda d: w(d, "really step.zip", sample_bytes(WALL)), clean_success()),
        # -- broken STEP content
        Case(
            "undefined entity reference",
            lambda d: w(d, "dangling.ifc", edit_wall(WALL_REFS, b"#987654,#215,'346660'")),
            succeeds("#987654", "not in it"),
        ),
        Case(
            "an entity not closed",
            lambda d: w(d, "unclosed.ifc", edit_wall(b"#215,'346660');", b"#215,'346660';")),
            fails("BadInput", "broken", "#219"),
        ),
        Case(
            "a header comment longer than 64 KB before FILE_SCHEMA",
            lambda d: w(d, "long header.ifc", _header_comment(b"")),
            clean_success(),
        ),
        Case(
            "a long header comment quoting another FILE_SCHEMA",
            lambda d: w(d, "quoted schema.ifc", _header_comment(b"was FILE_SCHEMA(('IFC2X2_FINAL')); ")),
            clean_success(),
        ),
        Case(
            "a schema name written with spaces",
            lambda d: w(d, "spaced schema.ifc", edit_wall(b"FILE_SCHEMA(('IFC2X3'))", b"FILE_SCHEMA((' IFC2X3 '))")),
            clean_success(),
        ),
        Case(
            "a text not closed",
            lambda d: w(d, "quote missing.ifc", edit_wall(b"'Level 1',$,'Level:8mm", b"'Level 1,$,'Level:8mm")),
            fails("BadInput", "#140", "not closed"),
        ),
        Case(
            "cut inside a text, then given an end",
            lambda d: w(d, "cut in text.ifc", _cut_in_text()),
            fails("BadInput", "#140", "not closed"),
        ),
        # One attribute too many (an IFC4 count in an IFC2X3 file) is read past; with it, texts and
        # comments that hold quotes must not be taken for a text not closed.
        Case(
            "a wrong attribute count next to a comment with a quote",
            lambda d: w(
                d, "count and comment.ifc", edit_wall(WALL_TAIL, WALL_TAIL_EXTRA + b" /* don't */\n/* it's */")
            ),
            succeeds("#219"),
        ),
        Case(
            "a wrong attribute count and a text over two lines, the second starting with #",
            lambda d: w(d, "count and text.ifc", _miscounted_wall(b"'Basic Wall:\n#2 Wall'")),
            succeeds("#219"),
        ),
        Case(
            "a wrong attribute count and a text with a quote escaped by \\S\\",
            lambda d: w(
                d,
                "count and escape.ifc",
                _miscounted_wall(b"'Wall \\S\\' A'"),
            ),
            succeeds("#219"),
        ),
        Case(
            "a stray line before an entity",
            lambda d: w(d, "stray.ifc", edit_wall(b"#219= IFCWALLSTANDARDCASE(", b"@@@\n#219= IFCWALLSTANDARDCASE(")),
            fails("BadInput", "#219", "could not be read"),
        ),
        Case(
            "entity from another schema (real)",
            lambda d: w(d, "other schema.ifc", sample_bytes(OTHER_SCHEMA_ENTITY)),
            succeeds("IFCBUILTELEMENT", "lacks", elements=False),  # its only product is the skipped entity
        ),
        Case(
            "unknown entity type",
            lambda d: w(d, "unknown entity.ifc", wall_with(b"#900005=IFCTELEPORTER('3vB2YO$MX4xv5uCqZZG0xx',#42);\n")),
            succeeds("IFCTELEPORTER", "lacks"),
        ),
        Case(
            "entity id above 2^31",
            lambda d: w(d, "huge id.ifc", wall_with(b"#2147483648=" + NEW_WALL)),
            fails("BadInput", "#2147483648"),
        ),
        Case(
            "reference to an id above 2^32",
            lambda d: w(d, "huge ref.ifc", edit_wall(WALL_REFS, b"#4294967515,#215,'346660'")),
            fails("BadInput", "#4294967515"),
        ),
        Case(
            "entity id defined twice",
            lambda d: w(
                d, "twice.ifc", wall_with(b"#219=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'Impostor',$,$,$,$,$);\n")
            ),
            succeeds("#219", "more than once", "ambiguous"),
        ),
        Case(
            "NUL bytes inside a name",
            lambda d: w(
                d,
                "nul in name.ifc",
                edit_wall(WALL_NAME, b"'Basic\x00\x00Wall:Bearing"),
            ),
            fails("BadInput", "NUL"),
        ),
        Case(
            "NUL bytes between entities",
            lambda d: w(d, "nul between.ifc", edit_wall(b"DATA;", b"DATA;\x00\x00\x00\x00")),
            fails("BadInput", "NUL"),
        ),
        Case(
            "invalid UTF-8 in a name",
            lambda d: w(
                d,
                "bad utf8.ifc",
                edit_wall(WALL_NAME, b"'Basic \xc3\x28\xff Wall:Bearing"),
            ),
            succeeds("characters"),
        ),
        Case(
            "raw UTF-8 without IFC escapes",
            lambda d: w(
                d,
                "raw utf8.ifc",
                edit_wall(WALL_NAME, "'Стена Wall:Bearing".encode()),
            ),
            succeeds("characters"),
        ),
        Case(
            "deeply nested list in a property",
            lambda d: w(d, "nested property.ifc", with_property(_deeply_nested(200_000))),
            succeeds("could not be read"),
        ),
        Case(
            "deeply nested list in a point",
            lambda d: w(
                d,
                "nested point.ifc",
                wall_with(
                    b"#900001=IFCLOCALPLACEMENT($,#900003);\n#900003=IFCAXIS2PLACEMENT3D(#900004,$,$);\n"
                    b"#900004=IFCCARTESIANPOINT(" + _deeply_nested(200_000) + b");\n"
                    b"#900005=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'Deep',$,$,#900001,$,$);\n"
                ),
            ),
            succeeds("could not be read"),
        ),
        Case("one 50 MB line", _one_line_50mb, clean_success(), big=True),
        Case("duplicate GlobalIds", _duplicate_global_ids, succeeds("GlobalId")),
        Case(
            "too few attributes",
            lambda d: w(d, "few attributes.ifc", wall_with(b"#900005=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'A');\n")),
            succeeds("could not be read"),
        ),
        Case(
            "wrong attribute type",
            lambda d: w(d, "wrong type.ifc", wall_with(b"#900005=IFCWALL(42,'x',#42,$,$,$,$,$);\n")),
            succeeds("could not be read"),
        ),
        Case(
            "a true/false value where the placement belongs",
            lambda d: w(d, "bool placement.ifc", edit_wall(WALL_REFS, b".T.,#215,'346660'")),
            succeeds("position"),
        ),
        Case(
            "a text where a relationship's entity belongs",
            lambda d: w(d, "text in relation.ifc", edit_wall(b"(#219,#572),#140);", b"(#219,#572),'storey');")),
            fails("BadInput", "text where a reference to an entity belongs"),
        ),
        Case(
            "a typed value where a relationship's entity belongs",
            lambda d: w(d, "typed in relation.ifc", edit_wall(b"(#150),#155);", b"(#150),IFCLABEL('x'));")),
            fails("BadInput", "where an entity belongs"),
        ),
        Case(
            "placement cycle",
            lambda d: w(
                d,
                "placement cycle.ifc",
                wall_with(
                    b"#900001=IFCLOCALPLACEMENT(#900002,#900003);\n#900002=IFCLOCALPLACEMENT(#900001,#900003);\n"
                    b"#900003=IFCAXIS2PLACEMENT3D(#900004,$,$);\n#900004=IFCCARTESIANPOINT((1.,2.,3.));\n"
                    b"#900005=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'Cycle',$,$,#900001,$,$);\n"
                ),
            ),
            succeeds("position"),
        ),
        Case(
            "aggregation cycle",
            lambda d: w(
                d,
                "aggregation cycle.ifc",
                wall_with(
                    b"#900001=IFCRELAGGREGATES('3vB2YO$MX4xv5uCqZZG0x1',#42,$,$,#900005,(#900006));\n"
                    b"#900002=IFCRELAGGREGATES('3vB2YO$MX4xv5uCqZZG0x2',#42,$,$,#900006,(#900005));\n"
                    b"#900005=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',#42,'A',$,$,$,$,$);\n"
                    b"#900006=IFCWALL('3vB2YO$MX4xv5uCqZZG0xy',#42,'B',$,$,$,$,$);\n"
                ),
            ),
            succeeds("parts of themselves through a loop of aggregations"),
        ),
        Case("BOM and CRLF line ends", _bom_crlf, clean_success()),
        # -- zipped
        Case(
            "ifczip with no IFC inside",
            lambda d: make_zip(d, "empty inside.ifczip", {"readme.txt": b"nothing here"}),
            fails("BadInput", "no .ifc file"),
        ),
        Case(
            "ifczip with two IFCs",
            lambda d: make_zip(d, "two.ifczip", {"a.ifc": minimal_ifc(), "b/b.ifc": minimal_ifc()}),
            fails("BadInput", "contains 2 IFC files"),
        ),
        Case(
            "ifczip with ifcXML inside (real)",
            lambda d: w(d, "hello wall xml.ifczip", sample_bytes(ZIPPED_XML)),
            fails("UnsupportedFormat", "ifcXML"),
        ),
        Case(
            "ifczip with ../ path",
            lambda d: make_zip(d, "slip.ifczip", {"../../escaped.ifc": minimal_ifc()}),
            fails("BadInput", "unsafe path"),
        ),
        Case(
            "ifczip with absolute path",
            lambda d: make_zip(d, "absolute.ifczip", {"/etc/model.ifc": minimal_ifc()}),
            fails("BadInput", "unsafe path"),
        ),
        Case("zip bomb (real)", _real_bomb, fails("BadInput", "zip bomb"), big=True),
        Case("zip bomb (lying header)", _lying_bomb, fails("BadInput", "zip bomb")),
        Case("zip member bigger than declared", _under_declared, fails("BadInput", "zip")),
        Case("password-protected ifczip", _encrypted, fails("BadInput", "password")),
        Case(
            "ifczip that is not a zip",
            lambda d: w(d, "fake.ifczip", wall_with(b"/* STEP, not a zip */\n")),
            fails("BadInput", "not a zip"),
        ),
        Case(
            "damaged zip",
            lambda d: w(d, "damaged.ifczip", sample_bytes(ZIPPED)[:300_000]),
            fails("BadInput", "damaged zip"),
        ),
        Case(
            "ifczip holding a truncated IFC",
            lambda d: make_zip(d, "cut inside.ifczip", {"model.ifc": sample_bytes(WALL)[:20_000]}),
            fails("BadInput", "incomplete"),
        ),
        # -- paths
        Case("directory named x.ifc", _directory, fails("BadInput", "folder")),
        Case("named pipe", _fifo, fails("BadInput", "not a regular file")),
        Case("symlink loop", _symlink_loop, fails("BadInput", "cannot be reached")),
        Case("dangling symlink", _dangling_symlink, fails("BadInput", "does not exist")),
        Case("path with spaces and non-ASCII", _non_ascii_path, clean_success()),
        Case("path longer than 260 characters", _long_path, clean_success()),
    ]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


CASES: list[Case] = _case_list()
BY_NAME: dict[str, Case] = {case.name: case for case in CASES}


def build(root: Path, cases: list[Case] | None = None) -> dict[str, Path]:
    """Write every case into its own folder under ``root``; returns name -> path."""
    paths = {}
    for index, case in enumerate(cases if cases is not None else CASES):
        folder = root / f"case {index:02d}"
        folder.mkdir(parents=True)
        paths[case.name] = case.build(folder)
    return paths


def check(case_or_expect: Case | Expect, result: dict, path: Path | None = None) -> list[str]:
    """Ways ``result`` (from ``probe`` or a job) differs from what is expected; empty when it is right."""
    expect = case_or_expect.expect if isinstance(case_or_expect, Case) else case_or_expect
    problems = []
    if result.get("outcome") != expect.outcome:
        return [f"expected {expect.outcome}, got {result}"]
    if expect.outcome == FAILURE:
        message = result.get("message") or ""
        if (
            "error" in result
            and result["error"] != expect.error
            and not (expect.error == "BadInput" and result["error"] == "UnsupportedFormat")
        ):
            problems.append(f"expected {expect.error}, got {result.get('error')}: {message}")
        if not result.get("permanent"):
            problems.append(f"bad input must be permanent (not retried): {message}")
        for word in expect.words:
            if word.lower() not in message.lower():
                problems.append(f"message does not mention {word!r}: {message}")
        if path is not None and path.name not in message:
            problems.append(f"message does not name the file {path.name!r}: {message}")
    else:
        warnings = result.get("warnings") or []
        for word in expect.words:
            if not any(word.lower() in w.lower() for w in warnings):
                problems.append(f"no warning mentions {word!r}: {warnings}")
        if expect.clean and warnings:
            problems.append(f"expected no warnings: {warnings}")
        if expect.elements and not result.get("elements"):
            problems.append("a successful import must have elements")
    return problems


# -- running a case in a spawned worker ------------------------------------------------------


def probe(path: str, temp_dir: str) -> dict:
    """Open and extract ``path`` as the import task does; the outcome as plain data.

    Anything that is not an ``ImportFailure`` comes back as ``unclassified``:
    for hostile input that is a bug in the engine.
    """
    from ifc_desktop.core.errors import ImportFailure
    from ifc_desktop.core.extract import extract
    from ifc_desktop.core.opener import prepare
    from ifc_desktop.core.progress import StageReporter
    from ifc_desktop.jobs.task import STAGES

    prepared = None
    try:
        prepared = prepare(Path(path), Path(temp_dir))
        snapshot = extract(prepared, StageReporter(STAGES, None))
        return {"outcome": SUCCESS, "warnings": list(snapshot.warnings), "elements": len(snapshot.elements)}
    except ImportFailure as exc:
        return {
            "outcome": FAILURE,
            "error": type(exc).__name__,
            "permanent": exc.permanent,
            "message": exc.message,
        }
    except Exception as exc:
        return {"outcome": "unclassified", "error": type(exc).__name__, "message": traceback.format_exc()}
    finally:
        if prepared is not None:
            prepared.cleanup()


def fuzz_probe(data: bytes, name: str) -> dict:
    """``probe`` on ``data`` written to a fresh folder; reports temporary files it left behind."""
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        path = folder / name
        path.write_bytes(data)
        result = probe(str(path), str(folder / "import temp"))
        result["leftovers"] = [str(p) for p in leftovers(folder / "import temp")]
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_result(path: str, data_dir: str, fault: str | None = None, job_id: int | None = None) -> dict:
    """``run_import`` in a worker, its outcome as plain data (like ``probe``)."""
    from ifc_desktop.core.errors import ImportFailure
    from ifc_desktop.jobs.task import ImportRequest, run_import

    try:
        outcome = run_import(ImportRequest(job_id=job_id, path=path, data_dir=data_dir, fault=fault))
    except ImportFailure as exc:
        return {"outcome": FAILURE, "error": type(exc).__name__, "permanent": exc.permanent, "message": exc.message}
    return {
        "outcome": SUCCESS,
        "warnings": outcome.warnings,
        "elements": outcome.element_count,
        "version_id": outcome.version_id,
    }


def import_into_new_store(path: str, data_dir: str) -> dict:
    from ifc_desktop.store import Store

    Store.open(Path(data_dir), migrate=True).close()
    return import_result(path, data_dir)


def job_result(job, data_dir: Path) -> dict:
    """A finished job of the engine as plain data comparable with ``probe`` (no failure class)."""
    if job.state.value == "SUCCESS":
        with sqlite3.connect(Path(data_dir) / "history.sqlite") as db:
            row = db.execute("SELECT element_count, warnings FROM versions WHERE id = ?", (job.version_id,)).fetchone()
        count, warnings = row if row else (0, "[]")
        return {"outcome": SUCCESS, "elements": count, "warnings": json.loads(warnings or "[]"), "job": job}
    if job.state.value == "FAILURE":
        return {"outcome": FAILURE, "permanent": job.error_permanent, "message": job.error_message or "", "job": job}
    return {"outcome": job.state.value, "job": job}


def _private_temp(folder: str, uid: int | None) -> None:
    """Pool initializer: a private system temp folder (and optionally a lesser user)."""
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = None
    if uid is not None:
        _warm_up(Path(folder) / "warm-up")
        os.setgid(uid)
        os.setuid(uid)


def _warm_up(folder: Path) -> None:
    """Run each code path once as the current user, so every module is loaded.

    A worker that then drops to an unprivileged user may not be able to read the
    interpreter's own library any more (e.g. a Python installed under /root).
    """
    from ifc_desktop.core.errors import ImportFailure
    from ifc_desktop.jobs.task import ImportRequest, run_import
    from ifc_desktop.store import Store

    wall = str(SAMPLES / WALL)
    probe(wall, str(folder / "temp"))
    probe(str(folder / "missing.ifc"), str(folder / "temp"))
    data_dir = folder / "data"
    Store.open(data_dir, migrate=True).close()
    run_import(ImportRequest(job_id=None, path=wall, data_dir=str(data_dir)))
    try:
        run_import(ImportRequest(job_id=None, path=str(folder / "missing.ifc"), data_dir=str(data_dir)))
    except ImportFailure:
        pass


def probe_pool(system_temp: Path, workers: int = 2, uid: int | None = None):
    """A pebble pool of spawned workers whose system temp folder is ``system_temp``."""
    import pebble

    system_temp.mkdir(parents=True, exist_ok=True)
    if uid is not None:
        system_temp.chmod(0o777)
    return pebble.ProcessPool(
        max_workers=workers,
        context=multiprocessing.get_context("spawn"),
        initializer=_private_temp,
        initargs=(str(system_temp), uid),
    )


def leftovers(*folders: Path) -> list[Path]:
    """Files left in temporary folders (they must all be empty after an import ends)."""
    found: list[Path] = []
    for folder in folders:
        if folder.exists():
            found.extend(p for p in folder.rglob("*") if p.is_file())
    return found


# -- a minimal app for the drills --------------------------------------------------------------


def _memory(field: str = "VmRSS") -> int:
    """This process's resident memory (VmRSS) or its peak (VmHWM) in bytes; Linux only, 0 elsewhere.

    VmHWM, unlike getrusage's ru_maxrss, starts afresh at exec: ru_maxrss keeps the
    peak of the forked parent's pages, which is the test runner's, not the app's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def app_main(argv: list[str]) -> int:
    """``python -m tests.hostile_corpus DATA_DIR [FILE ...]``: an app that imports and exits when idle.

    It runs the job engine as the window does (two workers, default retries),
    resumes what an earlier run left, queues the given files, and prints one
    line per event a drill waits for: ``saving <job id>`` when a job starts
    writing its version, then ``done <json>`` with the job states, the peak
    resident memory of this process, and whether it imported ifcopenshell.
    """
    import sys
    import threading

    from ifc_desktop.jobs import JobEngine, JobListener

    data_dir, files = Path(argv[0]), argv[1:]
    printed = threading.Lock()

    def say(line: str) -> None:
        with printed:
            print(line, flush=True)

    class Saving(JobListener):
        def on_progress(self, job_id, progress) -> None:
            if progress.stage_name == "Saving" and progress.fraction == 0.0:
                say(f"saving {job_id}")

    engine = JobEngine(data_dir, workers=2, backoff_base=0.1)
    engine.add_listener(Saving())
    engine.start()
    started_rss = _memory()
    try:
        if files:
            engine.submit(files)
        engine.wait()
        states: dict[str, int] = {}
        for job in engine.jobs():
            states[job.state.value] = states.get(job.state.value, 0) + 1
        summary = {
            "jobs": len(engine.jobs()),
            "states": states,
            "rss_started": started_rss,
            "rss_peak": _memory("VmHWM"),
            "ifcopenshell_imported": "ifcopenshell" in sys.modules,
        }
    finally:
        engine.shutdown()
    say("done " + json.dumps(summary))
    return 0


class App:
    """One run of ``app_main`` in a process of its own, in its own process group."""

    def __init__(self, data_dir: Path, files: list[Path] = ()):
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile_corpus", str(data_dir), *map(str, files)],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def next_line(self) -> str:
        return self.process.stdout.readline().strip()

    def kill(self, whole_group: bool) -> None:
        import signal

        if whole_group:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.process.wait(timeout=30)

    def finish(self, timeout: float = 600) -> dict:
        """Read until ``done``; the app's summary."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.next_line()
            if line.startswith("done "):
                self.process.wait(timeout=60)
                return json.loads(line[5:])
            if not line and self.process.poll() is not None:
                raise AssertionError(f"the app exited with {self.process.returncode} before finishing")
        raise AssertionError("the app did not finish")

    def group_gone(self, timeout: float = 60) -> bool:
        """True once no process of this run's group is left (orphaned workers end on their own)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


@contextlib.contextmanager
def history(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """The history database, read directly; closed on leaving the block."""
    db = sqlite3.connect(Path(data_dir) / "history.sqlite")
    try:
        yield db
    finally:
        db.close()


def integrity(data_dir: Path) -> list[tuple[str]]:
    with history(data_dir) as db:
        return db.execute("PRAGMA integrity_check").fetchall()


def partial_versions(data_dir: Path) -> list[tuple[int, int, int]]:
    """Versions whose element rows are not all there: (version id, expected, found)."""
    with history(data_dir) as db:
        rows = db.execute(
            "SELECT v.id, v.element_count, (SELECT count(*) FROM elements e WHERE e.version_id = v.id) FROM versions v"
        ).fetchall()
    return [row for row in rows if row[1] != row[2]]


def jobs_and_versions(data_dir: Path) -> tuple[dict[int, tuple[str, int | None]], list[tuple[int, str, int]]]:
    """{job id: (state, version id)} and [(version id, source sha256, job id)] as the table has them."""
    with history(data_dir) as db:
        jobs = {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, state, version_id FROM jobs")}
        versions = db.execute("SELECT id, source_sha256, job_id FROM versions").fetchall()
    return jobs, versions


def kill_loop(data_dir: Path, files: list[Path], kills: int, more_files: Callable[[int], list[Path]]) -> dict:
    """SIGKILL the app a random 0-250 ms after a job starts saving, ``kills`` times, restarting it each time.

    Odd kills take the whole process group (app and workers), even ones the app
    alone. ``more_files(n)`` supplies new files when everything was saved before
    enough kills landed. Returns counts and the final run's summary.
    """
    import time

    rng = random.Random(20241129)
    done = interrupted = 0
    orphans = 0
    files = list(files)
    run = App(data_dir, files)
    while done < kills:
        line = run.next_line()
        if line.startswith("done "):
            run.process.wait(timeout=60)
            more = more_files(done)
            files += more
            run = App(data_dir, more)
            continue
        if not line.startswith("saving"):
            if not line and run.process.poll() is not None:
                raise AssertionError(f"the app exited with {run.process.returncode}")
            continue
        time.sleep(rng.uniform(0.0, 0.25))
        run.kill(whole_group=done % 2 == 1)
        orphans += not run.group_gone()
        done += 1
        saved = jobs_and_versions(data_dir)[0].get(int(line.split()[1]), (None, None))[1]
        interrupted += saved is None  # the kill landed before the version's commit
        run = App(data_dir)
    summary = run.finish()
    orphans += not run.group_gone()
    return {"kills": done, "interrupted": interrupted, "orphans": orphans, "files": files, "summary": summary}


if __name__ == "__main__":
    import sys

    raise SystemExit(app_main(sys.argv[1:]))
