"""The windowed application: ``ifc-desktop [--data-dir DIR] [FILE_OR_FOLDER ...]``.

The window shows before the store and the job engine are up (they start on
background threads), and nothing here imports ifcopenshell: parsing happens in
worker processes only.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import APP_NAME, __version__

log = logging.getLogger(__name__)

GUI_SWITCH_INTERVAL = 0.001  # seconds (Python's default is 0.005)


_QT_OPTIONS_WITH_VALUE = ("-platform", "-style", "-qwindowgeometry", "-qwindowtitle", "-qwindowicon", "-stylesheet")


@dataclass
class LaunchOptions:
    data_dir: str | None = None
    paths: list[str] = field(default_factory=list)  # files and folders to import
    qt_args: list[str] = field(default_factory=list)  # options passed on to Qt (e.g. -platform offscreen)


def parse_args(args: list[str]) -> LaunchOptions:
    """``--data-dir DIR`` or ``--data-dir=DIR``; other ``-options`` go to Qt; the rest are paths.

    Deliberately not argparse: Windows hands over file names exactly as they
    are (spaces, leading dashes in names after ``--``), and unknown Qt options
    must not stop the app.
    """
    options = LaunchOptions()
    i = 0
    only_paths = False
    while i < len(args):
        arg = args[i]
        if only_paths:
            options.paths.append(arg)
        elif arg == "--":
            only_paths = True
        elif arg == "--data-dir" and i + 1 < len(args):
            options.data_dir = args[i + 1]
            i += 1
        elif arg.startswith("--data-dir="):
            options.data_dir = arg.split("=", 1)[1]
        elif arg.startswith("-") and len(arg) > 1:
            options.qt_args.append(arg)
            # Qt options that take a value: -platform X, -style X, -qwindowgeometry X, ...
            if arg in _QT_OPTIONS_WITH_VALUE and i + 1 < len(args):
                options.qt_args.append(args[i + 1])
                i += 1
        else:
            options.paths.append(arg)
        i += 1
    return options


def _create_application(options: LaunchOptions) -> tuple[Any, Path]:
    """The ``QApplication`` and the data folder: what a launch needs before it knows whether to open a window."""

    from .logging_setup import configure_logging
    from .paths import DATA_DIR_ENV, DataDirError, resolve_data_dir

    # The engine's and the store's threads share this process with the GUI thread; a short
    # switch interval hands the GIL back to the GUI thread quickly, so painting never waits
    # long behind a thread converting database rows.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    try:
        data_dir = resolve_data_dir(options.data_dir)
    except DataDirError as exc:
        _application(options)
        from PySide6.QtWidgets import QMessageBox

        hint = f"Choose another folder with --data-dir or the {DATA_DIR_ENV} environment variable."
        QMessageBox.critical(None, APP_NAME, f"{exc}\n\n{hint}")
        raise SystemExit(1) from None
    configure_logging(data_dir)
    log.info("%s %s starting, data folder %s", APP_NAME, __version__, data_dir)
    app = _application(options)
    return app, data_dir


def _application(options: LaunchOptions) -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME, *options.qt_args])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    return app


def _build_window(app: Any, data_dir: Path) -> Any:
    from .ui.main_window import MainWindow
    from .ui.settings import AppSettings
    from .ui.theme import apply_theme

    apply_theme(app)
    return MainWindow(data_dir, AppSettings(data_dir))


def create_window(args: list[str]):
    """Build the application and the (not yet shown) window; returns ``(app, window, options)``."""
    options = parse_args(args)
    app, data_dir = _create_application(options)
    return app, _build_window(app, data_dir), options


def run_app(args: list[str]) -> int:
    """Show the window, import the files given as arguments, run until the window closes.

    When a window already runs on the same data folder, the files go to it instead
    and this process exits (what Windows does for every "Open with") without
    building a window of its own.
    """
    from PySide6.QtCore import QTimer

    from .ui.single_instance import InstanceServer, forward_to_running_window

    options = parse_args(args)
    app, data_dir = _create_application(options)
    paths = [str(Path(p).expanduser().absolute()) for p in options.paths]
    if forward_to_running_window(data_dir, paths):
        log.info("handed %d path(s) to the window already running", len(paths))
        return 0
    window = _build_window(app, data_dir)
    server = InstanceServer(data_dir, window)
    server.paths_received.connect(window.import_from_another_launch)
    window.show()
    QTimer.singleShot(0, lambda: window.start(paths))
    try:
        code = app.exec()
    finally:
        window.shutdown()
    log.info("%s closed", APP_NAME)
    return int(code)
