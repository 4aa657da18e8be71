"""Session-wide test setup: offscreen Qt, spawned workers, the real sample corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["IFC_DESKTOP_ENABLE_FAULTS"] = "1"  # fault injection exists only for tests

REPO = Path(__file__).resolve().parent.parent
SAMPLES = (REPO.parent / "shared" / "samples").resolve()


def sample_files() -> list[Path]:
    """Every sample file (IFC, ifcXML, ifczip); fails loudly when the corpus is missing."""
    if not SAMPLES.is_dir():
        raise RuntimeError(f"the sample corpus is missing: expected it at {SAMPLES}")
    return sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in (".ifc", ".ifczip", ".ifcxml"))


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        raise RuntimeError(f"sample {name} is missing from {SAMPLES}")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data folder whose path has spaces and non-ASCII characters."""
    folder = tmp_path / "Données IFC été"
    folder.mkdir()
    return folder


def pytest_configure(config: pytest.Config) -> None:
    import multiprocessing

    try:
        multiprocessing.set_start_method("spawn")
    except RuntimeError:
        pass
    sample_files()
