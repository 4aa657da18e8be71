"""Fixtures and helpers for the window tests: an offscreen window on a fresh data folder, simulated drops."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from ifc_desktop.ui.main_window import MainWindow
from ifc_desktop.ui.settings import AppSettings
from ifc_desktop.ui.theme import apply_theme

JOB_TIMEOUT_MS = 120_000


@pytest.fixture
def make_window(qtbot, data_dir: Path) -> Iterator[Callable[..., MainWindow]]:
    """``make_window(workers=1, launch=None)``: a started, shown window; shut down at the end of the test.

    ``workers=None`` keeps whatever the settings file says.
    """
    app = QApplication.instance()
    apply_theme(app)
    windows: list[MainWindow] = []

    def make(workers: int | None = 1, launch: list[str] | None = None, folder: Path | None = None) -> MainWindow:
        settings = AppSettings(folder or data_dir)
        if workers is not None:
            settings.workers = workers
            settings.sync()
        window = MainWindow(folder or data_dir, settings)
        window.confirm = lambda *_args: True
        window.show()
        window.start(launch)
        windows.append(window)
        qtbot.waitUntil(lambda: window._jobs_known and window._models_known, timeout=60_000)
        return window

    yield make
    for window in windows:
        window.shutdown()
        window.close()
        window.deleteLater()
    # Delete the windows now rather than at interpreter exit.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def drop_paths(window: MainWindow, paths: list[Path | str]) -> QDropEvent:
    """Drag the paths over the window and drop them, as the OS would (file URLs in the mime data)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = window.rect().center()
    enter = QDragEnterEvent(
        center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(
        QPointF(center), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, drop)
    return drop


def job_states(window: MainWindow) -> dict[str, str]:
    """File name -> raw state of every job in the window's list."""
    from ifc_desktop.ui.job_model import state_name

    return {Path(job.path).name: state_name(job) for job in window.job_model.jobs()}


def wait_for_states(qtbot, window: MainWindow, expected: dict[str, str], timeout: int = JOB_TIMEOUT_MS) -> None:
    def check() -> None:
        states = job_states(window)
        assert {name: states.get(name) for name in expected} == expected

    qtbot.waitUntil(check, timeout=timeout)


def wait_for_model(qtbot, window: MainWindow, file_name: str, timeout: int = 30_000):
    """The model (as listed on the left) that the job importing ``file_name`` went into."""

    def find():
        job = next((j for j in window.job_model.jobs() if Path(j.path).name == file_name), None)
        if job is None or job.model_id is None:
            return None
        return next((m for m in window.model_list.models() if m.id == job.model_id), None)

    qtbot.waitUntil(lambda: find() is not None, timeout=timeout)
    return find()


def import_and_select(qtbot, window: MainWindow, path: Path):
    """Drop one file, wait for its import to succeed, and select the model it went into."""
    drop_paths(window, [path])
    wait_for_states(qtbot, window, {Path(path).name: "SUCCESS"})
    model = wait_for_model(qtbot, window, Path(path).name)
    window.models_panel.select_model(model.id)
    return model
