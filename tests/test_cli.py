"""The command line: which arguments mean a command, where the data goes, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ifc_desktop.cli import is_cli_invocation, run_cli

from .conftest import REPO, sample


@pytest.mark.parametrize(
    ("args", "is_cli"),
    [
        (["selftest"], True),
        (["--data-dir", "D", "selftest"], True),
        (["models", "--data-dir", "D"], True),
        (["--help"], True),
        (["--version"], True),
        ([], False),
        (["house.ifc"], False),
        (["--data-dir", "D", "house.ifc"], False),
        (["models.ifc"], False),
    ],
)
def test_commands_are_told_apart_from_files_to_open(args, is_cli):
    assert is_cli_invocation(args) is is_cli


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_data_folder_can_be_given_before_or_after_the_command(tmp_path, where):
    data_dir = tmp_path / f"data {where} ü"
    args = ["--data-dir", str(data_dir), "models", "--json"]
    if where == "after":
        args = ["models", "--json", "--data-dir", str(data_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "ifc_desktop", *args], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert (data_dir / "history.sqlite").is_file()


def test_usage_errors_exit_with_2(data_dir: Path, capsys):
    assert run_cli(["revert", "--data-dir", str(data_dir), "no such model", "1"]) == 2
    assert "No model" in capsys.readouterr().err
    assert run_cli(["history"]) == 2  # MODEL is missing
    capsys.readouterr()
    for option, value in (("--time-limit", "-1"), ("--retries", "0"), ("--workers", "0"), ("--time-limit", "soon")):
        assert run_cli(["process", "--data-dir", str(data_dir), option, value, "a.ifc"]) == 2
        assert f"argument {option}:" in capsys.readouterr().err
    assert run_cli(["retry", "--data-dir", str(data_dir), "--failed", "--time-limit", "0"]) == 2
    capsys.readouterr()
    # An empty argument (a script's unset variable) would mean the current folder: refused.
    for argv in (["process", ""], ["process", "a.ifc", " "], ["export", "1", "1", ""]):
        assert run_cli([*argv[:1], "--data-dir", str(data_dir), *argv[1:]]) == 2
        assert "an empty path" in capsys.readouterr().err


def test_show_history_revert_and_export_of_real_imports(data_dir: Path, tmp_path: Path, capsys):
    original = sample("ifc2x3_revit2021_simple_wall.ifc")
    edited = tmp_path / "simple wall.ifc"
    edited.write_bytes(original.read_bytes().replace(b"'Basic Wall:Bearing Wall:346660'", b"'Renamed wall'"))
    first = tmp_path / "first" / "simple wall.ifc"
    first.parent.mkdir()
    first.write_bytes(original.read_bytes())
    assert run_cli(["process", "--data-dir", str(data_dir), str(first)]) == 0
    assert run_cli(["process", "--data-dir", str(data_dir), str(edited)]) == 0
    capsys.readouterr()

    assert run_cli(["history", "--data-dir", str(data_dir), "simple wall", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [(v["number"], v["is_current"]) for v in history["versions"]] == [(1, False), (2, True)]
    assert history["changes"]["2"] == {"added": 0, "removed": 0, "changed": 1}  # the renamed wall
    assert run_cli(["history", "--data-dir", str(data_dir), "simple wall"]) == 0
    assert "+0 −0 ~1" in capsys.readouterr().out

    assert run_cli(["revert", "--data-dir", str(data_dir), "simple wall", "1"]) == 0
    assert run_cli(["show", "--data-dir", str(data_dir), "simple wall", "--json"]) == 0
    capsys.readouterr()
    assert run_cli(["show", "--data-dir", str(data_dir), "simple wall", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"]["number"] == 1 and shown["version"]["is_current"]
    assert shown["counts_by_class"]["IfcWallStandardCase"] == 1
    assert run_cli(["show", "--data-dir", str(data_dir), "simple wall"]) == 0
    assert "  units:       millimetre; m², m³, °, kg\n" in capsys.readouterr().out

    out = tmp_path / "exported v2.ifc"
    assert run_cli(["export", "--data-dir", str(data_dir), "simple wall", "2", str(out)]) == 0
    assert out.read_bytes() == edited.read_bytes()

    # The edited file again, while version 1 is current: no new version, and the output says which one is current.
    capsys.readouterr()
    assert run_cli(["process", "--data-dir", str(data_dir), str(edited)]) == 0
    said = capsys.readouterr().out
    assert "already stored as model 'simple wall' version 2" in said
    assert "not the current version (version 1 is)" in said
    assert "1 file: 1 already stored" in said


def test_export_writes_through_a_link_and_refuses_folders_and_missing_folders(data_dir: Path, tmp_path: Path, capsys):
    original = sample("ifc2x3_revit2021_simple_wall.ifc")
    assert run_cli(["process", "--data-dir", str(data_dir), str(original)]) == 0
    model = original.stem
    target = tmp_path / "target.ifc"
    target.write_bytes(b"old")
    target.chmod(0o644)
    link = tmp_path / "link.ifc"
    link.symlink_to(target)
    capsys.readouterr()

    assert run_cli(["export", "--data-dir", str(data_dir), model, "1", str(link)]) == 0
    assert link.is_symlink() and target.read_bytes() == original.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o644  # the replaced file's permissions, not a private temp file's
    fresh = tmp_path / "fresh.ifc"
    assert run_cli(["export", "--data-dir", str(data_dir), model, "1", str(fresh)]) == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # a new file follows the umask

    assert run_cli(["export", "--data-dir", str(data_dir), model, "1", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert run_cli(["export", "--data-dir", str(data_dir), model, "1", str(tmp_path / "no such" / "x.ifc")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.part"))


def test_a_data_folder_that_cannot_be_made_is_named_in_one_line(tmp_path: Path, capsys):
    a_file = tmp_path / "not a folder"
    a_file.write_text("x")
    assert run_cli(["models", "--data-dir", str(a_file)]) == 1
    assert capsys.readouterr().err == f"error: The data folder {a_file} is a file, not a folder.\n"
    assert run_cli(["models", "--data-dir", str(a_file / "inside")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: The data folder {a_file / 'inside'} cannot be created") and "Traceback" not in err


def test_tables_stay_aligned_with_wide_characters(capsys):
    from ifc_desktop.cli import _columns, _print_table

    _print_table(("STOREY", "COUNT"), [("1階", 10), ("屋根", 1), ("(not on a storey)", 7)])
    lines = capsys.readouterr().out.splitlines()
    # Every count starts in the same terminal column; 階 and 屋根 take two columns per character.
    starts = {_columns(line[: line.rstrip().rfind(" ") + 1]) for line in lines}
    assert len(starts) == 1, lines


def test_show_says_when_the_length_unit_is_assumed_and_export_notes_a_zip_written_as_ifc(data_dir, tmp_path, capsys):
    import zipfile

    text = sample("ifc2x3_revit2021_simple_wall.ifc").read_bytes()
    start, end = text.index(b"IFCUNITASSIGNMENT"), text.index(b";", text.index(b"IFCUNITASSIGNMENT"))
    no_units = text[:start] + b"IFCUNITASSIGNMENT(())" + text[end:]  # declares no unit at all
    archive = tmp_path / "ohne Einheiten.ifczip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ohne Einheiten.ifc", no_units)
    assert run_cli(["process", "--data-dir", str(data_dir), str(archive)]) == 0
    capsys.readouterr()
    assert run_cli(["show", "--data-dir", str(data_dir), "ohne Einheiten"]) == 0
    assert "  units:       metre (assumed: the file declares no length unit)\n" in capsys.readouterr().out

    out = tmp_path / "exportiert.ifc"
    assert run_cli(["export", "--data-dir", str(data_dir), "ohne Einheiten", "1", str(out)]) == 0
    assert out.read_bytes() == archive.read_bytes()
    assert "holds that zip archive as it was. Name it .ifczip" in capsys.readouterr().out
    assert run_cli(["export", "--data-dir", str(data_dir), "ohne Einheiten", "1", str(tmp_path / "a.ifczip")]) == 0
    assert "Note:" not in capsys.readouterr().out


def test_output_redirected_in_a_code_page_without_the_characters_is_written_in_utf8(data_dir: Path):
    # As on Windows with the output redirected to a file: Python would write cp1252 and stop at '−'.
    import os
    import subprocess
    import sys

    assert run_cli(["process", "--data-dir", str(data_dir), str(sample("ifc4_archicad20_fzk_haus.ifc"))]) == 0
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "ifc_desktop", "history", "--data-dir", str(data_dir), "ifc4_archicad20_fzk_haus"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert "+127 −0 ~0" in done.stdout.decode("utf-8")


def test_selftest_passes_and_names_versions_whose_stored_file_is_missing(data_dir: Path, capsys):
    from ifc_desktop.store import Store

    assert run_cli(["process", "--data-dir", str(data_dir), str(sample("ifc2x3_revit2021_simple_wall.ifc"))]) == 0
    assert run_cli(["selftest", "--data-dir", str(data_dir)]) == 0
    assert "[ok] stored source files: every version's file is stored" in capsys.readouterr().out

    with Store.open(data_dir) as store:
        [version] = store.list_versions(store.list_models()[0].id)
        store.blobs.path_for(version.blob_key).unlink()
    assert run_cli(["selftest", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    missing = "the stored file of 1 version is missing or damaged (ifc2x3_revit2021_simple_wall v1)"
    assert f"[FAIL] stored source files: {missing}" in out
    assert "selftest FAILED" in out

    # A copy cut short is found too (the original is imported again to repair it first).
    assert run_cli(["process", "--data-dir", str(data_dir), str(sample("ifc2x3_revit2021_simple_wall.ifc"))]) == 0
    assert run_cli(["selftest", "--data-dir", str(data_dir)]) == 0
    with Store.open(data_dir) as store:
        blob = store.blobs.path_for(version.blob_key)
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])
    assert run_cli(["selftest", "--data-dir", str(data_dir)]) == 1
    assert missing in capsys.readouterr().out


def test_database_errors_a_command_meets_are_told_in_plain_words(tmp_path: Path, capsys):
    import sqlite3

    from sqlalchemy import exc

    from ifc_desktop.cli import _report_failure

    database = tmp_path / "history.sqlite"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    read_only = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        read_only.execute("INSERT INTO t VALUES (1)")
    read_only.close()
    wrapped = exc.OperationalError("UPDATE models SET current_version_id = ?", {}, raised.value)
    assert _report_failure("revert", wrapped, tmp_path / "log.txt") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The history database is read-only, so nothing was changed")
    assert "readonly" not in err

    locked = exc.OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
    _report_failure("revert", locked, None)
    assert "another program is writing to it" in capsys.readouterr().err


def test_a_log_file_that_cannot_be_written_drops_records_without_tracebacks(tmp_path: Path, capsys):
    import errno
    import logging

    from ifc_desktop.logging_setup import configure_logging

    root = logging.getLogger("ifc_desktop")
    earlier = list(root.handlers)  # an earlier command of this test session set up its own log
    for old in earlier:
        root.removeHandler(old)
    path = configure_logging(tmp_path)
    logger = logging.getLogger("ifc_desktop.test")
    [handler] = root.handlers
    try:
        logger.warning("written")

        def full_disk(_text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        handler.stream.write = full_disk  # type: ignore[method-assign]
        logger.warning("dropped")
        assert "Logging error" not in capsys.readouterr().err
        assert "written" in path.read_text(encoding="utf-8")
    finally:
        root.removeHandler(handler)
        handler.close()
        for old in earlier:
            root.addHandler(old)


def test_rename_gives_a_model_another_name_and_refuses_one_another_model_has(data_dir: Path, capsys):
    walls = [str(sample(n)) for n in ("ifc2x3_revit2021_simple_wall.ifc", "ifc4_archicad20_fzk_haus.ifc")]
    assert run_cli(["process", "--data-dir", str(data_dir), *walls]) == 0
    capsys.readouterr()
    assert run_cli(["rename", "--data-dir", str(data_dir), "ifc4_archicad20_fzk_haus", " FZK-Haus "]) == 0
    assert "is now called 'FZK-Haus'" in capsys.readouterr().out
    assert run_cli(["history", "--data-dir", str(data_dir), "fzk-haus"]) == 0  # found by its new name
    capsys.readouterr()
    assert run_cli(["rename", "--data-dir", str(data_dir), "ifc2x3_revit2021_simple_wall", "fzk-HAUS"]) == 2
    assert "Another model" in capsys.readouterr().err
    assert run_cli(["rename", "--data-dir", str(data_dir), "FZK-Haus", "   "]) == 2
    assert run_cli(["rename", "--data-dir", str(data_dir), "FZK-Haus", "#1"]) == 2  # "#1" always means id 1
    assert "means the model with id 1" in capsys.readouterr().err
    assert run_cli(["models", "--data-dir", str(data_dir), "--json"]) == 0
    names = sorted(m["name"] for m in json.loads(capsys.readouterr().out))
    assert names == ["FZK-Haus", "ifc2x3_revit2021_simple_wall"]
