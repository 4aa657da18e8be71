"""A file's identity read before parsing: its SHA-256 and its IfcProject GlobalId."""

from __future__ import annotations

import hashlib
from pathlib import Path

import ifcopenshell
import pytest

from ifc_desktop.core import identity
from ifc_desktop.core.identity import read_identity

from .conftest import sample_files

PROJECT = "#7= IFCPROJECT('0YvctVUKr0kugbFTf53O9L',#2,'Haus',$,$,$,$,(#9),#8);\n"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "model.ifc"
    path.write_text("ISO-10303-21;\nDATA;\n" + "".join(lines) + "ENDSEC;\nEND-ISO-10303-21;\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("path", [p for p in sample_files() if p.suffix.lower() == ".ifc"], ids=lambda p: p.name)
def test_every_sample_names_the_project_ifcopenshell_reads_when_it_has_one(path: Path):
    found = read_identity(path)
    assert found.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        projects = ifcopenshell.open(str(path)).by_type("IfcProject")
    except Exception:
        return  # unreadable: the parser's message is what counts
    assert found.project_global_id == (projects[0].GlobalId if len(projects) == 1 else None)


@pytest.mark.parametrize("padding", range(0, 40, 3))
def test_a_project_across_the_end_of_a_chunk_is_found(tmp_path: Path, monkeypatch, padding: int):
    monkeypatch.setattr(identity, "CHUNK_SIZE", 64)
    path = write(tmp_path, "#1=IFCWALL($);\n" * 3, " " * padding, PROJECT)
    assert read_identity(path).project_global_id == "0YvctVUKr0kugbFTf53O9L"


def test_the_keyword_only_counts_as_an_instance(tmp_path: Path):
    assert read_identity(write(tmp_path, "#1=IFCPROJECTLIBRARY('0YvctVUKr0kugbFTf53O9L');\n")).project_global_id is None
    text = "#1=IFCLABEL('IFCPROJECT(''0YvctVUKr0kugbFTf53O9L''');\n"
    assert read_identity(write(tmp_path, text)).project_global_id is None
    assert read_identity(write(tmp_path, "#1=IFCWALL($);\n")).project_global_id is None


def test_a_file_naming_two_projects_gives_none_early(tmp_path: Path):
    # The parser takes the lowest id; guessing the first in the text could order versions wrongly.
    decoy = "#99999=IFCPROJECT('0Decoy0000000000000000',#2,'Decoy',$,$,$,$,(#9),#8);\n"
    assert read_identity(write(tmp_path, decoy, PROJECT)).project_global_id is None
    commented = "/* #5=IFCPROJECT('0Old000000000000000000',#2,'Old',$,$,$,$,(#9),#8); */\n"
    assert read_identity(write(tmp_path, commented, PROJECT)).project_global_id is None
