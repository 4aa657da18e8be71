"""A damaged history database at start: a clear message, and moved aside only when the user agrees."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from ifc_desktop.store import database_path
from ifc_desktop.ui.main_window import MainWindow
from ifc_desktop.ui.settings import AppSettings


def start_window(qtbot, data_dir: Path, answer: bool) -> tuple[MainWindow, list[str]]:
    questions: list[str] = []
    settings = AppSettings(data_dir)
    settings.workers = 1
    settings.sync()
    window = MainWindow(data_dir, settings)

    def confirm(title: str, text: str, ok_label: str) -> bool:
        questions.append(f"{title}: {text}")
        return answer

    window.confirm = confirm
    window.show()
    window.start(None)
    return window, questions


def close(window: MainWindow) -> None:
    window.shutdown()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def test_a_damaged_history_is_moved_aside_when_the_user_agrees(qtbot, data_dir: Path):
    damaged = database_path(data_dir)
    garbage = b"this is not a database, but somebody's history " * 200
    damaged.write_bytes(garbage)
    window, questions = start_window(qtbot, data_dir, answer=True)
    try:
        qtbot.waitUntil(lambda: window.damaged_history_moved_to is not None, timeout=60_000)
        assert len(questions) == 1 and str(damaged) in questions[0]
        aside = window.damaged_history_moved_to
        assert aside.read_bytes() == garbage  # kept, byte for byte
        assert not damaged.exists()
        assert "moved to" in window.notice.message()
    finally:
        close(window)


def test_a_damaged_history_is_left_alone_when_the_user_declines(qtbot, data_dir: Path):
    damaged = database_path(data_dir)
    damaged.write_bytes(b"\x00garbage" * 512)
    window, questions = start_window(qtbot, data_dir, answer=False)
    try:
        qtbot.waitUntil(lambda: bool(questions), timeout=60_000)
        assert "damaged" in window.notice.message()
        assert damaged.read_bytes() == b"\x00garbage" * 512
        assert window.damaged_history_moved_to is None
    finally:
        close(window)
