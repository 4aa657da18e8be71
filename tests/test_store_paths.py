"""Data folder: explicit > environment variable > per-user default, always created."""

from __future__ import annotations

from pathlib import Path

from ifc_desktop.paths import DATA_DIR_ENV, default_data_dir, resolve_data_dir


def test_explicit_wins_over_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from env"))
    chosen = resolve_data_dir(tmp_path / "explizit ö")
    assert chosen == (tmp_path / "explizit ö").resolve() and chosen.is_dir()
    assert not (tmp_path / "from env").exists()


def test_environment_wins_over_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from env"))
    assert resolve_data_dir(None) == (tmp_path / "from env").resolve()
    assert resolve_data_dir("") == (tmp_path / "from env").resolve()


def test_default_is_the_per_user_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "IFC Desktop"
    assert resolve_data_dir() == (tmp_path / "xdg" / "IFC Desktop").resolve()
    assert (tmp_path / "xdg" / "IFC Desktop").is_dir()
