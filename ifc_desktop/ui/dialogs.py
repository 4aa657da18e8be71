"""Settings and About dialogs, and opening folders in the file manager."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME, __version__
from ..jobs.engine import processor_count, usable_workers
from . import theme
from .settings import AppSettings


def open_folder(path: Path) -> bool:
    Path(path).mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def package_version(name: str) -> str:
    """A distribution's version without importing it (ifcopenshell is heavy and stays out of this process)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, data_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.settings = settings
        self.data_dir = Path(data_dir)

        self.workers = QSpinBox()
        processors = processor_count()
        self.workers.setRange(1, processors)
        self.workers.setValue(usable_workers(settings.workers))
        self.workers.setToolTip(
            "How many files are read at the same time. Each worker is a separate process; "
            f"more than this computer's {processors} processors would not make imports faster."
        )
        self.retries = QSpinBox()
        self.retries.setRange(1, 20)  # as the settings file allows
        self.retries.setValue(settings.max_attempts)
        self.retries.setToolTip("Attempts for failures that may go away (a crashed worker, a busy database).")
        self.time_limit = QSpinBox()
        self.time_limit.setRange(0, 24 * 60)
        self.time_limit.setSuffix(" min")
        self.time_limit.setSpecialValueText("No limit")
        limit = settings.time_limit
        self.time_limit.setValue(int(limit // 60) if limit else 0)
        self.time_limit.setToolTip("A job running longer than this is stopped and counts as failed.")

        folder = QLineEdit(str(self.data_dir))
        folder.setReadOnly(True)
        folder.setCursorPosition(0)
        open_button = QPushButton(theme.icon("folder"), "Open folder")
        open_button.clicked.connect(lambda: open_folder(self.data_dir))
        folder_row = QHBoxLayout()
        folder_row.setSpacing(6)
        folder_row.addWidget(folder, 1)
        folder_row.addWidget(open_button)

        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.addRow(_heading("Import"))
        form.addRow("Workers", self.workers)
        form.addRow("Attempts per job", self.retries)
        form.addRow("Time limit per job", self.time_limit)
        form.addRow(_heading("Storage"))
        form.addRow("Data folder", folder_row)
        note = QLabel(
            "History, stored source files, settings and logs live here. "
            "Start the app with --data-dir to use another folder.",
            objectName="hint",
        )
        note.setWordWrap(True)
        form.addRow("", note)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.settings.workers = self.workers.value()
        self.settings.max_attempts = self.retries.value()
        self.settings.time_limit = self.time_limit.value() * 60.0 if self.time_limit.value() else None
        self.settings.sync()
        super().accept()


class AboutDialog(QDialog):
    def __init__(self, data_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        logo = QLabel()
        logo.setPixmap(theme.icon("app").pixmap(64, 64))
        title = QLabel(f"{APP_NAME} {__version__}", objectName="emptyTitle")
        blurb = QLabel("Drop IFC files, keep every version, compare and revert.", objectName="secondary")
        self.versions = {
            APP_NAME: __version__,
            "Qt": qVersion(),
            "PySide6": pyside_version,
            "IfcOpenShell": package_version("ifcopenshell"),
            "Python": f"{platform.python_version()} ({sys.platform})",
        }
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        for name, version in self.versions.items():
            value = QLabel(version)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(QLabel(name, objectName="secondary"), value)
        folder = QLabel(str(data_dir))
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(QLabel("Data folder", objectName="secondary"), folder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        head = QHBoxLayout()
        head.setSpacing(14)
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(blurb)
        head.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 14)
        layout.addLayout(head)
        layout.addSpacing(10)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def text(self) -> str:
        return "\n".join(f"{name}: {version}" for name, version in self.versions.items())


def _heading(text: str) -> QLabel:
    label = QLabel(text, objectName="panelTitle")
    label.setContentsMargins(0, 6, 0, 0)
    return label
