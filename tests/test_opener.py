"""What the opener decides from the bytes, before the parser runs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ifc_desktop.core.errors import BadInput, UnsupportedFormat
from ifc_desktop.core.opener import prepare

from .conftest import sample

MINIMAL = (
    "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');\n"
    "FILE_NAME('m.ifc','2024-01-01T00:00:00',(''),(''),'x','y','');\nFILE_SCHEMA(('{schema}'));\nENDSEC;\n"
    "DATA;\n#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,$,$);\nENDSEC;\nEND-ISO-10303-21;\n"
)


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def test_a_supported_schema_is_read_in_place(tmp_path):
    path = write(tmp_path / "a.ifc", MINIMAL.format(schema="IFC4"))
    prepared = prepare(path, tmp_path / "tmp")
    assert (prepared.schema_declared, prepared.schema_read, prepared.temporary) == ("IFC4", "IFC4", False)
    assert prepared.readable_path == path
    assert prepared.warnings == []


@pytest.mark.parametrize(
    ("declared", "read_as"),
    [
        ("IFC4X3", "IFC4X3_ADD2"),
        ("IFC4X3_ADD1", "IFC4X3_ADD2"),
        ("IFC4X3_TC1", "IFC4X3_ADD2"),
        ("IFC2X3_FINAL", "IFC2X3"),
        ("IFC2X3_TC1", "IFC2X3"),
        ("IFC4_ADD2", "IFC4"),
        ("IFC4_ADD2_TC1", "IFC4"),
    ],
)
def test_a_schema_alias_is_read_through_a_copy_and_the_original_is_untouched(tmp_path, declared, read_as):
    path = write(tmp_path / "alias.ifc", MINIMAL.format(schema=declared))
    before = path.read_bytes()
    prepared = prepare(path, tmp_path / "tmp")
    assert prepared.schema_read == read_as
    assert prepared.temporary and prepared.readable_path != path
    assert f"FILE_SCHEMA(('{read_as}'))" in prepared.readable_path.read_text()
    assert any(declared in w and read_as in w for w in prepared.warnings)
    prepared.cleanup()
    assert path.read_bytes() == before
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("declared", ["IFC4X3_RC2", "IFC4X3_RC4", "IFC4X1", "IFC2X2", "IFC5"])
def test_pre_release_and_unknown_schemas_are_refused_by_name(tmp_path, declared):
    path = write(tmp_path / "old.ifc", MINIMAL.format(schema=declared))
    with pytest.raises(UnsupportedFormat, match=declared) as caught:
        prepare(path, tmp_path / "tmp")
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("declared", "release"),
    [("IFC4X3_RC2", "IFC4X3_ADD2"), ("IFC4X3RC1", "IFC4X3_ADD2"), ("IFC4X1", "IFC4X3_ADD2"), ("IFC4_RC4", "IFC4")],
)
def test_a_pre_release_schema_is_named_with_the_release_to_export_instead(tmp_path, declared, release):
    path = write(tmp_path / "draft.ifc", MINIMAL.format(schema=declared))
    with pytest.raises(UnsupportedFormat, match=f"pre-release schema {declared},.*Export it again as {release}\\."):
        prepare(path, tmp_path / "tmp")


def test_ifcxml_is_refused_as_a_format(tmp_path):
    with pytest.raises(UnsupportedFormat, match="ifcXML"):
        prepare(sample("ifcxml_ikea_kitchen_cabinets.ifcXML"), tmp_path)


def test_ifczip_holding_ifcxml_is_refused_as_a_format(tmp_path):
    with pytest.raises(UnsupportedFormat, match="ifcXML"):
        prepare(sample("ifczip_containing_ifcxml_hello_wall.ifczip"), tmp_path)


def test_ifczip_with_one_ifc_is_unpacked_to_a_temporary_file(tmp_path):
    prepared = prepare(sample("ifc4_revit2017_product_data_nested_lists.ifczip"), tmp_path / "tmp")
    assert prepared.schema_read == "IFC4" and prepared.temporary
    assert prepared.readable_path.read_bytes().startswith(b"ISO-10303-21")
    prepared.cleanup()
    assert not prepared.readable_path.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00", "binary"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        (b"hello world, not a model", "does not start with ISO-10303-21"),
        (MINIMAL.format(schema="IFC4").encode("utf-16"), "UTF-16"),
        (MINIMAL.format(schema="IFC4").encode("utf-16-be"), "UTF-16"),
    ],
)
def test_files_that_are_not_ifc_are_bad_input(tmp_path, content, message):
    path = write(tmp_path / "x.ifc", content)
    with pytest.raises(BadInput, match=message) as caught:
        prepare(path, tmp_path / "tmp")
    assert caught.value.permanent


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_a_truncated_real_file_is_refused_as_incomplete(tmp_path, fraction):
    data = sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes()
    path = write(tmp_path / "cut.ifc", data[: int(len(data) * fraction)])
    with pytest.raises(BadInput, match="incomplete"):
        prepare(path, tmp_path / "tmp")


def test_a_missing_endsec_is_reported(tmp_path):
    text = MINIMAL.format(schema="IFC4").replace("ENDSEC;\nEND-ISO", "END-ISO")
    with pytest.raises(BadInput, match="ENDSEC"):
        prepare(write(tmp_path / "x.ifc", text), tmp_path / "tmp")


def test_missing_folder_and_directory_paths_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        prepare(tmp_path / "gone.ifc", tmp_path / "tmp")
    (tmp_path / "folder.ifc").mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        prepare(tmp_path / "folder.ifc", tmp_path / "tmp")


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_without_ifc_with_two_ifc_and_with_unsafe_paths_are_refused(tmp_path):
    model = MINIMAL.format(schema="IFC4").encode()
    with pytest.raises(BadInput, match=r"no \.ifc file"):
        prepare(make_zip(tmp_path / "a.ifczip", {"readme.txt": b"hi"}), tmp_path / "tmp")
    with pytest.raises(BadInput, match="contains 2 IFC files"):
        prepare(make_zip(tmp_path / "b.ifczip", {"a.ifc": model, "b.ifc": model}), tmp_path / "tmp")
    with pytest.raises(BadInput, match="unsafe path"):
        prepare(make_zip(tmp_path / "c.ifczip", {"../../evil.ifc": model}), tmp_path / "tmp")
    assert not (tmp_path.parent / "evil.ifc").exists()
    assert list((tmp_path / "tmp").glob("*")) == []


def test_a_zip_bomb_is_not_unpacked(tmp_path):
    path = tmp_path / "bomb.ifczip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("bomb.ifc", "w", force_zip64=True) as member,
    ):
        block = b"\x00" * (1024 * 1024)
        for _ in range(300):
            member.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(BadInput, match="zip bomb"):
        prepare(path, tmp_path / "tmp")
    assert list((tmp_path / "tmp").glob("*")) == []


def test_a_zip_made_on_a_mac_is_read_past_the_metadata_macos_adds(tmp_path):
    path = tmp_path / "wall.ifczip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("wall.ifc", MINIMAL.format(schema="IFC4"))
        archive.writestr("__MACOSX/._wall.ifc", b"\x00\x05\x16\x07 AppleDouble resource fork")
        archive.writestr("._notes.ifc", b"\x00\x05\x16\x07")
    prepared = prepare(path, tmp_path / "tmp")
    assert prepared.readable_path.read_text() == MINIMAL.format(schema="IFC4")
    prepared.cleanup()


def test_data_after_the_end_of_a_complete_file_is_read_and_named_in_a_warning(tmp_path):
    import ifcopenshell

    from ifc_desktop.core.extract import extract
    from ifc_desktop.core.progress import StageReporter
    from ifc_desktop.jobs.task import STAGES

    wall = sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes()
    path = write(tmp_path / "a.ifc", wall + b"#99999=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',$,'After the end',$,$,$,$,$);\n")
    snapshot = extract(prepare(path, tmp_path / "tmp"), StageReporter(STAGES, None))
    assert "goes on after its end" in snapshot.warnings[0]
    # As everywhere, the version holds what the IFC reader read: here, the entity after the end too.
    assert len(snapshot.elements) == len(ifcopenshell.open(str(path)).by_type("IfcProduct"))


def test_a_comment_before_the_first_keyword_is_read_past(tmp_path):
    import ifcopenshell

    from ifc_desktop.core.extract import extract
    from ifc_desktop.core.progress import StageReporter
    from ifc_desktop.jobs.task import STAGES

    comment = b"/* Generated by TcpMDT - V8.5 (Aplitop) */\r\n"
    path = write(tmp_path / "commented.ifc", comment + sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes())
    prepared = prepare(path, tmp_path / "tmp")
    assert prepared.schema_read == "IFC2X3"
    snapshot = extract(prepared, StageReporter(STAGES, None))
    assert len(snapshot.elements) == len(ifcopenshell.open(str(path)).by_type("IfcProduct")) > 0

    # The real problem of a commented file is still the one named.
    pre_release = write(tmp_path / "rc1.ifc", comment + MINIMAL.format(schema="IFC4X3_RC1").encode())
    with pytest.raises(UnsupportedFormat, match="IFC4X3_RC1"):
        prepare(pre_release, tmp_path / "tmp")


def test_a_schema_named_in_a_comment_is_not_the_files_schema(tmp_path):
    text = MINIMAL.format(schema="IFC4")
    before = "/* converted from FILE_SCHEMA(('IFC2X2_FINAL')) */\n" + text
    inside = text.replace("FILE_SCHEMA((", "/* was FILE_SCHEMA(('IFC4X3')); */\nFILE_SCHEMA((")
    for name, content in (("before.ifc", before), ("inside.ifc", inside)):
        prepared = prepare(write(tmp_path / name, content), tmp_path / "tmp")
        assert (prepared.schema_declared, prepared.schema_read, prepared.warnings) == ("IFC4", "IFC4", []), name


@pytest.mark.parametrize(
    ("tail", "warning"),
    [
        (b"#99999=IFCWALL('3vB2YO$MX4xv5uCqZZG0xx',$,$,$,$,$,$,$);\n" * 300, "goes on after its end"),
        (b"/* " + b"x" * 6000 + b" */\n", "goes on after its end"),
        (b"\x00" * 9000, None),  # padding, however long, is not data
        (b"\n" * 5000, None),
    ],
    ids=["entities", "a long comment", "NUL padding", "newlines"],
)
def test_a_long_tail_after_the_end_is_told_from_a_cut_off_file(tmp_path, tail, warning):
    path = write(tmp_path / "a.ifc", sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes() + tail)
    warnings = prepare(path, tmp_path / "tmp").warnings
    assert any(warning in w for w in warnings) if warning else warnings == [], warnings


def test_two_files_one_after_the_other_are_named_in_a_warning(tmp_path):
    wall = sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes()
    warnings = prepare(write(tmp_path / "twice.ifc", wall + wall), tmp_path / "tmp").warnings
    assert any("holds 2 IFC files one after the other" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("", "contains no data: its DATA section is missing or empty"),
        ("/* exported with no objects */\n", "contains no data: its DATA section is missing or empty"),
        ("#1 =();\n#2 =();\n", "is damaged: its DATA section holds no entity the IFC reader could read"),
    ],
)
def test_a_file_with_no_entity_says_whether_its_data_section_was_empty_or_unreadable(tmp_path, data, said):
    from ifc_desktop.core.extract import extract
    from ifc_desktop.core.progress import StageReporter
    from ifc_desktop.jobs.task import STAGES

    text = MINIMAL.format(schema="IFC4").replace("#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,$,$);\n", data)
    path = write(tmp_path / "leer.ifc", text)
    with pytest.raises(BadInput, match=said):
        extract(prepare(path, tmp_path / "tmp"), StageReporter(STAGES, None))
