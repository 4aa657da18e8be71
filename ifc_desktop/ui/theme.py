"""Look of the window: Fusion style, a light palette, the style sheet and the icons.

Resources live in ``resources/`` at the repository root; a frozen build puts
that folder next to the executable's bundled files (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#0f6cbd"
FAILURE = "#c42b1c"
FAILURE_BG = "#fdf3f4"
SUCCESS = "#0e700e"
MUTED = "#616161"
WARNING = "#9d5d00"

# Change kinds in the compare view: text colour and a light background for pills and cards.
ADDED_FG, ADDED_BG = "#0e700e", "#dff6dd"
REMOVED_FG, REMOVED_BG = "#a4262c", "#fde7e9"
CHANGED_FG, CHANGED_BG = "#8a5300", "#fff4ce"
KIND_COLORS = {"added": (ADDED_FG, ADDED_BG), "removed": (REMOVED_FG, REMOVED_BG), "changed": (CHANGED_FG, CHANGED_BG)}


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def sample_model_path() -> Path:
    return resources_dir() / "sample" / "sample-house.ifc"


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` (an empty icon when missing)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#f3f3f3",
        QPalette.ColorRole.WindowText: "#1f1f1f",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#fafafa",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f1f1f",
        QPalette.ColorRole.Text: "#1f1f1f",
        QPalette.ColorRole.Button: "#fbfbfb",
        QPalette.ColorRole.ButtonText: "#1f1f1f",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Mid: "#d1d1d1",
        QPalette.ColorRole.Midlight: "#e5e5e5",
    }
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a0a0a0"))
    app.setPalette(palette)
    if sys.platform != "win32":
        # Segoe UI is the Windows default; elsewhere keep the system family at the same size.
        font = QFont(app.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0))
        app.setFont(font)
    qss = resources_dir() / "style.qss"
    if qss.exists():
        icons = (resources_dir() / "icons").as_posix()
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("@ICONS@", icons))
    app.setWindowIcon(icon("app"))
