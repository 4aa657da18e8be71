"""The main window: models on the left; Jobs, Elements and History in the centre.

Threads: the GUI thread only paints and reacts. Store queries run on the
``store`` executor, job-engine commands (submit, cancel, retry, shutdown) on the
``engine`` executor, and engine events arrive through the ``EngineBridge``.
Comparisons (and their exports) and the history's change counts take seconds
on large models, so each has its own executor with its own read connection:
browsing elements never waits behind them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..core.wording import count_of
from ..logging_setup import log_dir
from . import theme
from .bridge import EngineBridge
from .compare_panel import ComparePanel
from .dialogs import AboutDialog, SettingsDialog, open_folder
from .drop import DropResult, collect_ifc_files, is_ifc_path, refusal_message
from .elements_panel import ElementsPanel
from .executor import SerialExecutor, long_lived_results
from .history_panel import HistoryPanel
from .job_details import JobDetailsDialog
from .job_model import JobTableModel, state_name
from .jobs_panel import JobsPanel
from .models_panel import ModelListModel, ModelsPanel
from .settings import AppSettings
from .widgets import DropOverlay, EmptyState, NoticeBar, ShownOnce

if TYPE_CHECKING:
    from ..store.records import ModelInfo

log = logging.getLogger(__name__)

TAB_JOBS, TAB_ELEMENTS, TAB_HISTORY = range(3)
PAGE_EMPTY, PAGE_MAIN = range(2)
HISTORY_LIST, HISTORY_COMPARE = range(2)
SHUTDOWN_TIMEOUT = 5.0


class MainWindow(QMainWindow):
    compare_requested = Signal(int, int, int)  # model id, older number, newer number (from History)
    models_loaded = Signal(list)  # ModelInfo list, after every refresh
    history_loaded = Signal(int)  # model id whose versions are on screen
    engine_ready = Signal()
    engine_failed = Signal(str)

    def __init__(self, data_dir: Path, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.settings = settings or AppSettings(self.data_dir)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(theme.icon("app"))
        self.setAcceptDrops(True)
        self.setUnifiedTitleAndToolBarOnMac(True)
        self.engine: Any = None
        self._closing = False
        self._shut_down = False
        self._models_known = False
        self._jobs_known = False
        self._details: JobDetailsDialog | None = None
        self._store_ready = threading.Event()

        # Hooks the tests replace; the defaults show native dialogs.
        self.confirm: Callable[[str, str, str], bool] = self._confirm
        self.damaged_history_moved_to: Path | None = None
        self._history_damaged = False
        self.ask_open_files: Callable[[], list[str]] = self._ask_open_files
        self.ask_open_folder: Callable[[], str] = self._ask_open_folder
        self.ask_save_path: Callable[[str], str] = self._ask_save_path
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text

        self.bridge = EngineBridge(self)
        self.store_exec = SerialExecutor("store", self._open_store, lambda store: store.close(), self)
        self.engine_exec = SerialExecutor("engine", self._create_engine, None, self)
        self.compare_exec = SerialExecutor("compare", self._open_reader, lambda store: store.close(), self)
        self.counts_exec = SerialExecutor("history counts", self._open_reader, lambda store: store.close(), self)
        for executor in (self.store_exec, self.engine_exec, self.compare_exec, self.counts_exec):
            executor.error.connect(self._executor_error)
        # Per model: (previous version id, version id) -> counts; only the counts thread touches these.
        self._count_caches: dict[int, dict[tuple[int, int], tuple[int, int, int]]] = {}
        self._counts_request = 0

        self.job_model = JobTableModel(self)
        self.model_list = ModelListModel(self)
        self._build_ui()
        self._build_actions()
        self._connect()
        self._restore_state()

        self._models_timer = QTimer(self)
        self._models_timer.setSingleShot(True)
        self._models_timer.setInterval(150)
        self._models_timer.timeout.connect(self.refresh_models)

    # -- construction ------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.models_panel = ModelsPanel(self.model_list)
        self.jobs_panel = JobsPanel(self.job_model)
        self.elements_panel = ElementsPanel(self.store_exec)
        self.history_panel = HistoryPanel()
        self.history_panel.set_compare_available(True)
        self.compare_panel = ComparePanel(self.compare_exec)
        self.compare_panel.default_folder = lambda: self.settings.last_folder
        self.history_stack = QStackedWidget()
        self.history_stack.setObjectName("historyStack")
        self.history_stack.addWidget(self.history_panel)
        self.history_stack.addWidget(self.compare_panel)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("centerTabs")
        self.tabs.setDocumentMode(False)
        self.tabs.setIconSize(QSize(16, 16))
        self.tabs.addTab(self.jobs_panel, theme.icon("jobs"), "Jobs")
        self.tabs.addTab(self.elements_panel, theme.icon("elements"), "Elements")
        self.tabs.addTab(self.history_stack, theme.icon("history"), "History")

        tabs_holder = QWidget()
        tabs_layout = QVBoxLayout(tabs_holder)
        tabs_layout.setContentsMargins(4, 10, 12, 8)
        tabs_layout.addWidget(self.tabs)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        models_holder = QWidget()
        models_layout = QVBoxLayout(models_holder)
        models_layout.setContentsMargins(12, 10, 4, 8)
        models_layout.addWidget(self.models_panel)
        self.splitter.addWidget(models_holder)
        self.splitter.addWidget(tabs_holder)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 960])
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(4)

        self.empty_state = EmptyState()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_state)
        self.pages.addWidget(self.splitter)
        self.pages.setCurrentIndex(PAGE_MAIN)

        self.notice = NoticeBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        notice_holder = QWidget()
        notice_layout = QVBoxLayout(notice_holder)
        notice_layout.setContentsMargins(12, 8, 12, 0)
        notice_layout.addWidget(self.notice)
        self.notice_holder = notice_holder
        layout.addWidget(notice_holder)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.overlay = DropOverlay(central)

        self.status_label = QLabel("")
        self.status_label.setObjectName("statusJobs")
        self.overall_progress = QProgressBar()
        self.overall_progress.setObjectName("overallProgress")
        self.overall_progress.setRange(0, 1000)
        self.overall_progress.setTextVisible(False)
        self.overall_progress.setFixedWidth(180)
        self.overall_progress.setFixedHeight(6)
        self.overall_progress.hide()
        status = self.statusBar()
        status.setSizeGripEnabled(True)
        status.addPermanentWidget(self.status_label)
        status.addPermanentWidget(self.overall_progress)
        self.resize(1240, 780)

    def _build_actions(self) -> None:
        def action(icon: str | None, text: str, slot, shortcut: Any = None, tip: str = "") -> QAction:
            act = QAction(theme.icon(icon) if icon else theme.icon("none"), text, self)
            if shortcut is not None:
                act.setShortcut(shortcut)
            if tip:
                act.setToolTip(tip)
                act.setStatusTip(tip)
            act.triggered.connect(lambda _checked=False: slot())
            return act

        self.import_files_action = action(
            "import-file", "Import files…", self.choose_files, QKeySequence.StandardKey.Open, "Import IFC files"
        )
        self.import_folder_action = action(
            "import-folder",
            "Import folder…",
            self.choose_folder,
            QKeySequence("Ctrl+Shift+O"),
            "Import every IFC file in a folder and its subfolders",
        )
        self.import_new_action = action(
            None, "Import as new model…", lambda: self.choose_files(new_model=True), None, "Import as a separate model"
        )
        self.settings_action = action("settings", "Settings…", self.show_settings, QKeySequence("Ctrl+,"))
        self.quit_action = action(None, "Exit", self.close, QKeySequence.StandardKey.Quit)
        self.refresh_action = action(None, "Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh)
        self.log_action = action("log", "Open log folder", lambda: open_folder(log_dir(self.data_dir)))
        self.data_action = action("folder", "Open data folder", lambda: open_folder(self.data_dir))
        self.about_action = action("about", f"About {APP_NAME}", self.show_about)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.import_files_action)
        file_menu.addAction(self.import_folder_action)
        file_menu.addAction(self.import_new_action)
        self.recent_menu = QMenu("Recent files", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        view_menu = menu.addMenu("&View")
        for index, (name, key) in enumerate((("Jobs", "Ctrl+1"), ("Elements", "Ctrl+2"), ("History", "Ctrl+3"))):
            view_menu.addAction(action(None, name, lambda i=index: self.show_tab(i), QKeySequence(key)))
        view_menu.addSeparator()
        self.find_action = action(None, "Find", self.focus_search, QKeySequence.StandardKey.Find)
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.refresh_action)

        jobs_menu = menu.addMenu("&Jobs")
        panel = self.jobs_panel
        for act in (panel.details_action, None, panel.cancel_action, panel.retry_action, panel.retry_failed_action):
            if act is None:
                jobs_menu.addSeparator()
            else:
                jobs_menu.addAction(act)
        jobs_menu.addSeparator()
        jobs_menu.addAction(panel.clear_action)

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.data_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.import_files_action)
        toolbar.addAction(self.import_folder_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _connect(self) -> None:
        self.bridge.job_added.connect(self._on_job_added)
        self.bridge.job_changed.connect(self._on_job_changed)
        self.bridge.job_finished.connect(self._on_job_finished)
        self.bridge.job_failed.connect(self._on_job_failed)
        self.bridge.progress.connect(self._on_progress)
        self.bridge.engine_failed.connect(self._engine_failed)
        self.bridge.store_damaged.connect(self._store_damaged)

        self.jobs_panel.cancel_requested.connect(self.cancel_jobs)
        self.jobs_panel.retry_requested.connect(self.retry_jobs)
        self.jobs_panel.retry_failed_requested.connect(self.retry_failed)
        self.jobs_panel.clear_finished_requested.connect(self.clear_finished)
        self.jobs_panel.details_requested.connect(self.show_job_details)

        self.models_panel.model_selected.connect(self._model_selected)
        self.models_panel.rename_requested.connect(self.rename_model)
        self.history_panel.revert_requested.connect(self.revert)
        self.history_panel.export_requested.connect(self.export_version)
        self.history_panel.compare_requested.connect(self.compare_requested)
        self.compare_requested.connect(self.show_comparison)
        self.compare_panel.back_requested.connect(self.show_history_list)
        self.compare_panel.message.connect(lambda text, kind: self.notice.show_message(text, kind, 10000))
        self.compare_panel.comparison_shown.connect(self._comparison_shown)

        self.empty_state.import_sample.connect(self.import_sample)
        self.empty_state.import_files.connect(self.choose_files)
        self.empty_state.import_folder.connect(self.choose_folder)

    # -- start and stop ----------------------------------------------------------------

    def start(self, launch_paths: list[str] | None = None) -> None:
        """Open the store and start the engine in the background; import ``launch_paths`` once it runs."""
        self.show_status("Starting…")
        self.refresh_models()
        self.engine_exec.submit(lambda engine: engine.jobs(), self._jobs_loaded, label="list jobs")
        if launch_paths:
            self.import_paths(launch_paths)

    def _open_store(self):
        try:
            from ..store import Store

            return Store.open(self.data_dir, migrate=True)
        finally:
            self._store_ready.set()

    def _create_engine(self):
        # The store thread runs the migrations first; the engine then opens a ready database.
        self._store_ready.wait(60)
        from ..jobs.engine import JobEngine

        try:
            engine = JobEngine(
                self.data_dir,
                workers=self.settings.workers,
                max_attempts=self.settings.max_attempts,
                time_limit=self.settings.time_limit,
            )
            engine.add_listener(self.bridge.create_listener())
            engine.start()
        except BaseException as exc:
            log.exception("the job engine did not start")
            from ..store import StoreCorrupt

            if isinstance(exc, StoreCorrupt):
                self.bridge.post("store_damaged", str(exc.path), exc.reason)
            else:
                self.bridge.post("engine_failed", str(exc))
            raise
        self.engine = engine
        return engine

    def _open_reader(self):
        """A second connection to the database, for long reads on their own thread."""
        self._store_ready.wait(60)
        from ..store import Store

        return Store.open(self.data_dir, migrate=False)

    def import_from_another_launch(self, paths: list[str]) -> None:
        """Files opened while this window runs ("Open with", a drop on the shortcut): import, come forward."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        if paths:
            self.import_paths(paths)

    def _engine_failed(self, message: str) -> None:
        self.notice.show_message(f"Imports are unavailable: the job engine did not start ({message}).", "error", 0)

    def _store_damaged(self, path: str, reason: str) -> None:
        """Offer to move a damaged history aside (never delete it) so that the next start begins anew."""
        self._history_damaged = True
        self.notice.show_message(
            f"The history database is damaged ({reason}); imports and history are unavailable.", "error", 0
        )
        question = (
            f"The history database\n{path}\nis damaged ({reason}).\n\n"
            "IFC Desktop can move it aside - nothing is deleted - and start a new, empty history "
            "the next time it starts. The damaged file stays next to it for recovery."
        )
        if not self.confirm("Damaged history", question, "Move it aside"):
            return
        from ..store import quarantine

        try:
            aside = quarantine(Path(path))
        except OSError as exc:
            self.notice.show_message(f"The damaged history could not be moved aside: {exc}.", "error", 0)
            return
        log.warning("damaged history %s moved to %s (%s)", path, aside, reason)
        self.damaged_history_moved_to = aside
        self.notice.show_message(
            f"The damaged history was moved to {aside}. Start IFC Desktop again to begin a new history.", "warning", 0
        )

    def shutdown(self) -> None:
        """Stop the engine (running jobs stay resumable), then the store thread. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self._closing = True
        self._save_state()
        self.bridge.stop()
        if self._details is not None:
            self._details.close()
        # An engine that never started is not created just to be stopped.
        if self.engine_exec.started:
            self.engine_exec.submit(lambda engine: engine.shutdown(timeout=SHUTDOWN_TIMEOUT) if engine else None)
        self.engine_exec.shutdown(timeout=SHUTDOWN_TIMEOUT + 10)
        self.store_exec.shutdown(timeout=10)
        # A comparison still running is not waited for long: nothing is written, the thread is a daemon.
        self.compare_exec.shutdown(timeout=5)
        self.counts_exec.shutdown(timeout=5)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shut_down:
            event.accept()
            return
        summary = self.job_model.summary()
        if summary.active:
            count = summary.running + summary.waiting
            question = (
                f"{count} import{'s are' if count != 1 else ' is'} not finished.\n\n"
                f"Quit anyway? Unfinished imports continue the next time you start {APP_NAME}."
            )
            if not self.confirm("Quit", question, "Quit"):
                event.ignore()
                return
        self.show_status("Stopping workers…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.shutdown()
        finally:
            QApplication.restoreOverrideCursor()
        event.accept()

    # -- importing ---------------------------------------------------------------------

    def import_paths(self, paths: list[str], new_model: bool = False) -> None:
        """Import files and folders (searched for IFC files); other files are refused with a notice."""
        paths = [str(p) for p in paths if str(p).strip()]
        if not paths:
            return

        def run(engine) -> tuple[DropResult, list[Any]]:
            found = collect_ifc_files(paths)
            jobs = engine.submit(found.files, new_model=new_model) if found.files else []
            return found, list(jobs)

        self.engine_exec.submit(run, self._imported, label="import")

    def _imported(self, result: tuple[DropResult, list[Any]]) -> None:
        found, jobs = result
        for job in jobs:
            self.job_model.upsert(job)
        message = refusal_message(found)
        if message:
            self.notice.show_message(message, "warning")
            self.show_status(message, 10000)
        if found.files:
            self.settings.add_recent(found.files)
            self.show_tab(TAB_JOBS)
            self.show_status(f"Queued {count_of(len(jobs), 'file')} for import.", 5000)
            if jobs:
                self.jobs_panel.select_job(jobs[-1].id)
                # The keyboard follows to the list shown (it was left on a widget of the tab hidden).
                self.jobs_panel.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def choose_files(self, new_model: bool = False) -> None:
        files = self.ask_open_files()
        if files:
            self.settings.last_folder = str(Path(files[0]).parent)
            self.import_paths(files, new_model=new_model)

    def choose_folder(self) -> None:
        folder = self.ask_open_folder()
        if folder:
            self.settings.last_folder = folder
            self.import_paths([folder])

    def import_sample(self) -> None:
        sample = theme.sample_model_path()
        if not sample.exists():
            self.notice.show_message(f"The sample model is missing from this installation ({sample}).", "error")
            return
        self.import_paths([str(sample)])

    # -- drag and drop -----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        paths = _local_paths(event)
        if not paths:
            event.ignore()
            return
        folders = [p for p in paths if os.path.isdir(p)]
        files = [p for p in paths if is_ifc_path(p) and not os.path.isdir(p)]
        if files or folders:
            parts = []
            if files:
                parts.append(count_of(len(files), "IFC file"))
            if folders:
                parts.append(count_of(len(folders), "folder"))
            others = len(paths) - len(files) - len(folders)
            if others:
                parts.append(f"{count_of(others, 'other file')} will be skipped")
            self.overlay.show_hint("Drop to import", " · ".join(parts), True)
        else:
            self.overlay.show_hint("Only IFC files can be imported", "Use .ifc or .ifczip files, or folders", False)
        event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self.overlay.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.overlay.hide()
        paths = _local_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_paths(paths)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self.overlay.setGeometry(self.centralWidget().rect())

    # -- engine events -----------------------------------------------------------------

    def _jobs_loaded(self, jobs: list[Any]) -> None:
        self.job_model.set_jobs(jobs)
        self._jobs_known = True
        self.show_status("Ready", 3000)
        self._update_status()
        self._update_page()
        self.engine_ready.emit()

    def _on_job_added(self, job: Any) -> None:
        self.job_model.upsert(job)
        self._show_main()
        self._update_status()

    def _on_job_changed(self, job: Any) -> None:
        self.job_model.upsert(job)
        # Every successful import passes here (not always through on_finished): list the models again.
        if state_name(job) == "SUCCESS":
            self._models_timer.start()
        if self._details is not None and self._details.job.id == job.id:
            self._show_in_details(job)
        self._update_status()

    def _on_job_finished(self, job: Any, outcome: Any) -> None:
        self.job_model.upsert(job)
        self._update_status()
        if outcome is not None and getattr(outcome, "created", True):
            self.show_status(
                f"Imported {job.file_name} as version {outcome.version_number} of {outcome.model_name}.", 8000
            )

    def _on_job_failed(self, job: Any, message: str) -> None:
        self.job_model.upsert(job)
        self._update_status()
        # Messages name the file, in quotes, when they can.
        text = message if repr(job.file_name) in message else f"{job.file_name}: {message}"
        if self.job_model.failed_again(job.id):
            text = f"Tried again, failed again: {text}"
        self.show_status(text, 10000)

    def _on_progress(self, batch: dict) -> None:
        self.job_model.apply_progress(batch)
        self._update_status()

    def show_status(self, message: str, timeout: int = 0) -> None:
        """A passing message in the status bar, elided so it ends before the job counters."""
        bar = self.statusBar()
        room = bar.width() - 40
        for widget in (self.status_label, self.overall_progress):
            if widget.isVisibleTo(self):
                room -= widget.sizeHint().width() + 12
        text = bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, max(room, 80))
        bar.showMessage(text, timeout)

    def _update_status(self) -> None:
        summary = self.job_model.summary()
        parts = []
        if summary.running:
            parts.append(f"{summary.running} running")
        if summary.waiting:
            parts.append(f"{summary.waiting} queued")
        if summary.failed:
            parts.append(f"{summary.failed} failed")
        if summary.cancelled:
            parts.append(f"{summary.cancelled} cancelled")
        if not summary.active and summary.succeeded:
            parts.append(f"{summary.succeeded} done")
        # Only touch what changed: a new label or tab text re-lays out the window, and this
        # runs on every progress flush.
        text = "  ·  ".join(parts)
        if text != self.status_label.text():
            self.status_label.setText(text)
        if summary.active != self.overall_progress.isVisibleTo(self):
            self.overall_progress.setVisible(summary.active)
        value = int(summary.overall * 1000)
        if value != self.overall_progress.value():
            self.overall_progress.setValue(value)
        active = summary.running + summary.waiting
        tab_text = f"Jobs ({active})" if active else "Jobs"
        if tab_text != self.tabs.tabText(TAB_JOBS):
            self.tabs.setTabText(TAB_JOBS, tab_text)

    # -- job actions -------------------------------------------------------------------

    def cancel_jobs(self, job_ids: list[int]) -> None:
        wanted = set(job_ids)
        running = [job for job in self.job_model.jobs() if job.id in wanted and job.state.value in _RUNNING]
        if running:
            what = f"the import of {running[0].file_name}" if len(running) == 1 else f"{len(running)} running imports"
            question = f"Stop {what}? What has been read so far is dropped; a stopped job can be retried."
            if not self.confirm("Stop import", question, "Stop import"):
                return
        self.engine_exec.submit(lambda engine: [engine.cancel(i) for i in job_ids], label="cancel")

    def retry_jobs(self, job_ids: list[int]) -> None:
        self.job_model.mark_retried(job_ids)
        self.engine_exec.submit(lambda engine: [engine.retry(i) for i in job_ids], self._upsert_all, label="retry")

    def retry_failed(self) -> None:
        self.job_model.mark_retried([job.id for job in self.job_model.jobs() if job.state.value == "FAILURE"])
        self.engine_exec.submit(lambda engine: engine.retry_failed(), self._upsert_all, label="retry failed")

    def clear_finished(self) -> None:
        failed = sum(1 for job in self.job_model.jobs() if job.state.value == "FAILURE")
        if failed:
            question = (
                f"Clear every finished job, {count_of(failed, 'failed one')} included? Their messages go with "
                "them; the versions made stay in the history."
            )
            if not self.confirm("Clear finished jobs", question, "Clear"):
                return

        def run(engine) -> set[int]:
            before = {job.id for job in engine.jobs()}
            engine.clear_finished()
            after = {job.id for job in engine.jobs()}
            return before - after

        self.engine_exec.submit(run, self._cleared, label="clear finished")

    def _cleared(self, removed: set[int]) -> None:
        self.job_model.remove_ids(removed)
        self._update_status()

    def _upsert_all(self, jobs: Any) -> None:
        for job in jobs or []:
            if job is not None and hasattr(job, "state"):
                self.job_model.upsert(job)
        self._update_status()

    def show_job_details(self, job: Any) -> None:
        if self._details is not None:
            self._details.close()
        dialog = JobDetailsDialog(job, parent=self)
        dialog.retry_requested.connect(lambda job_id: self.retry_jobs([job_id]))
        dialog.finished.connect(lambda _result: self._details_closed(dialog))
        self._details = dialog
        self._show_in_details(job)
        dialog.open()

    def _details_closed(self, dialog: JobDetailsDialog) -> None:
        if self._details is dialog:
            self._details = None
        dialog.deleteLater()

    # -- models, history, elements -----------------------------------------------------

    def refresh_all(self) -> None:
        self.refresh_models()
        self.engine_exec.submit(lambda engine: engine.jobs(), self.job_model.set_jobs, label="list jobs")

    def refresh_models(self) -> None:
        self.store_exec.submit(lambda store: store.list_models(), self._models_loaded, label="list models")

    def _models_loaded(self, models: list[Any]) -> None:
        self._models_known = True
        self.job_model.set_models(models)
        before = self.models_panel.current_model()
        # The model selected when the window was last closed, once, at start.
        preferred, self._model_at_start = self._model_at_start, None
        self.models_panel.set_models(models, preferred)
        after = self.models_panel.current_model()
        # A new version or a revert changes the selected model's current version: reload its views.
        same = before is not None and after is not None and before.id == after.id
        if same and (before.current_version_id, before.version_count) != (
            after.current_version_id,
            after.version_count,
        ):
            self._model_selected(after.id)
        self._update_page()
        self.models_loaded.emit(models)

    def _model_selected(self, model_id: int | None) -> None:
        if self.history_stack.currentIndex() == HISTORY_COMPARE and self.compare_panel.model_id() != model_id:
            self.show_history_list()
        if model_id is None:
            self.history_panel.set_history(None, [], [])
            self.elements_panel.set_version(None)
            return

        def query(store) -> tuple[list[Any], list[Any]]:
            return store.list_versions(model_id), store.history_events(model_id)

        self.store_exec.submit(query, lambda result: self._history_loaded(model_id, *result), label="history")

    def _history_loaded(self, model_id: int, versions: list[Any], events: list[Any]) -> None:
        if model_id != self.models_panel.current_model_id():
            return
        self.history_panel.set_history(model_id, versions, events)
        current = next((v for v in versions if v.is_current), None)
        self.elements_panel.set_version(current)
        self._count_changes(model_id)
        self.history_loaded.emit(model_id)

    def _count_changes(self, model_id: int) -> None:
        """ "+added −removed ~changed" of every version, against the previous one, off the GUI thread.

        Counts are cached per model (versions never change), so after an import
        only the new version is counted. A request that a newer one has made
        stale (another model selected meanwhile) is skipped before it starts.
        """
        self._counts_request += 1
        request = self._counts_request
        cache = self._count_caches.setdefault(model_id, {})
        self.history_panel.set_counting(model_id, True)

        def run(store) -> dict[int, tuple[int, int, int]] | None:
            if request != self._counts_request:
                return None
            from ..store.compare import change_counts_against_previous

            with long_lived_results():
                return change_counts_against_previous(store, model_id, cache=cache)

        def done(counts: dict[int, tuple[int, int, int]] | None) -> None:
            if counts is not None:
                self.history_panel.set_change_counts(model_id, counts, counting=False)

        def failed(exc: BaseException) -> None:
            self.history_panel.set_counting(model_id, False)
            log.warning("could not count the changes of model %s: %s", model_id, exc)

        self.counts_exec.submit(run, done, failed, label="count changes")

    def show_comparison(self, model_id: int, older: int, newer: int) -> None:
        """Open the compare view in the History tab (the comparison runs in the background)."""
        self._show_main()
        self.tabs.setCurrentIndex(TAB_HISTORY)
        self.history_stack.setCurrentIndex(HISTORY_COMPARE)
        self.compare_panel.compare(model_id, older, newer, self._model_name(model_id))
        self.compare_panel.table.setFocus()

    def _comparison_shown(self, result: Any) -> None:
        c = result.counts
        self.show_status(
            f"Compared {result.old_label} with {result.new_label}: "
            f"{c.added:,} added, {c.removed:,} removed, {c.changed:,} changed.",
            8000,
        )

    def show_history_list(self) -> None:
        self.history_stack.setCurrentIndex(HISTORY_LIST)
        self.history_panel.table.setFocus()

    def is_comparing(self) -> bool:
        return self.history_stack.currentIndex() == HISTORY_COMPARE

    def revert(self, model_id: int, number: int) -> None:
        model = self.models_panel.current_model()
        name = model.name if model is not None and model.id == model_id else "this model"
        question = (
            f"Make version {number} the current version of {name}?\n\n"
            "Nothing is deleted: the newer versions stay in the history and you can go back to them."
        )
        if not self.confirm("Make version current", question, f"Make v{number} current"):
            return

        def done(version: Any) -> None:
            self.show_status(f"Version {number} of {name} is now current.", 6000)
            # The refreshed list shows the new current version, and _models_loaded reloads the views.
            self.refresh_models()

        self.store_exec.submit(lambda store: store.revert(model_id, number), done, label="revert")

    def rename_model(self, model_id: int) -> None:
        model = next((m for m in self.model_list.models() if m.id == model_id), None)
        if model is None:
            return
        name = self.ask_text("Rename model", f"New name for {model.name}:", model.name)
        if name is None or name.strip() == model.name:
            return

        def done(renamed: Any) -> None:
            if self.notice.message().startswith(RENAME_FAILED):
                self.notice.hide()  # an earlier try's refusal no longer applies
            self.show_status(f"{model.name} is now called {renamed.name}.", 6000)
            self.refresh_models()
            if self.models_panel.current_model_id() == model_id:
                self._model_selected(model_id)  # its activity lists the rename

        def failed(exc: BaseException) -> None:
            self.notice.show_message(f"{RENAME_FAILED} {exc}", "error", 10000)

        self.store_exec.submit(lambda store: store.rename_model(model_id, name), done, failed, label="rename")

    def export_version(self, version: Any) -> None:
        stem = Path(version.source_name).stem or "model"
        suffix = Path(version.source_name).suffix or ".ifc"
        number = f"v{version.number}"
        # "Tower v3.ifc" stays so, rather than becoming "Tower v3 v3.ifc".
        named = stem.casefold().endswith(number) and not stem[: -len(number)][-1:].isalnum()
        target = self.ask_save_path(f"{stem}{suffix}" if named else f"{stem} {number}{suffix}")
        if not target:
            return

        def done(_result: Any) -> None:
            self.notice.show_message(f"Saved version {version.number} as {target}.", "info", 8000)

        self.store_exec.submit(lambda store: store.export_source(version.id, Path(target)), done, label="export")

    # -- settings and about ------------------------------------------------------------

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.data_dir, self)
        if dialog.exec():
            self.apply_settings()

    def apply_settings(self) -> None:
        workers, attempts, limit = self.settings.workers, self.settings.max_attempts, self.settings.time_limit

        def run(engine) -> None:
            engine.set_workers(workers)
            engine.set_max_attempts(attempts)
            engine.set_time_limit(limit)

        self.engine_exec.submit(run, label="apply settings")

    def show_about(self) -> None:
        AboutDialog(self.data_dir, self).exec()

    # -- view helpers ------------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F: the search field of the elements or the comparison on show (the elements' otherwise)."""
        if self.tabs.currentIndex() == TAB_HISTORY and self.history_stack.currentWidget() is self.compare_panel:
            field = self.compare_panel.search
        else:
            self.show_tab(TAB_ELEMENTS)
            field = self.elements_panel.search
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()

    def show_tab(self, index: int) -> None:
        self._show_main()
        self.tabs.setCurrentIndex(index)

    def _show_main(self) -> None:
        self.pages.setCurrentIndex(PAGE_MAIN)

    def _update_page(self) -> None:
        if self._models_known and self._jobs_known:
            empty = self.model_list.rowCount() == 0 and self.job_model.rowCount() == 0
            was_empty = self.is_empty_state()
            self.pages.setCurrentIndex(PAGE_EMPTY if empty else PAGE_MAIN)
            if empty and not was_empty:  # the first thing to try has the keyboard
                self.empty_state.sample_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def is_empty_state(self) -> bool:
        return self.pages.currentIndex() == PAGE_EMPTY

    def _show_in_details(self, job: Any) -> None:
        """``job`` in the open details dialog, with its model's name and current version as last listed."""
        assert self._details is not None
        model = self._model(job.model_id)
        self._details.set_job(
            job, model.name if model else "", current_version_id=model.current_version_id if model else None
        )

    def _model(self, model_id: int | None) -> ModelInfo | None:
        """The model as last listed, or None when it is not (yet) in the list."""
        row = self.model_list.row_of(model_id) if model_id is not None else None
        return self.model_list.models()[row] if row is not None else None

    def _model_name(self, model_id: int | None) -> str:
        model = self._model(model_id)
        return model.name if model else ""

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files
        for path in recent:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _checked=False, p=path: self.import_paths([p]))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self.settings.clear_recent)
        else:
            empty = self.recent_menu.addAction("No recent files")
            empty.setEnabled(False)

    def _executor_error(self, label: str, message: str) -> None:
        if self._closing or self._history_damaged:
            return  # a damaged history makes every query fail; its own notice says what to do
        self.notice.show_message(f"Could not {label}: {message}", "error", 0)

    # -- native dialogs (replaced in tests) ----------------------------------------------

    def _confirm(self, title: str, text: str, ok_label: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self)
        ok = box.addButton(ok_label, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value if ok else None

    def _ask_open_files(self) -> list[str]:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import IFC files", self.settings.last_folder, "IFC files (*.ifc *.ifczip);;All files (*)"
        )
        return files

    def _ask_open_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "Import all IFC files in a folder", self.settings.last_folder)

    def _ask_save_path(self, suggested: str) -> str:
        start = str(Path(self.settings.last_folder or Path.home()) / suggested)
        path, _ = QFileDialog.getSaveFileName(self, "Export IFC file", start, "IFC files (*.ifc *.ifczip)")
        return path

    # -- window state ------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.window_state("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state("state")
        if state is not None:
            self.restoreState(state)
        self._shown_splitters = {}
        for key, splitter in self._splitters().items():
            value = self.settings.window_state(key)
            if value is not None:
                splitter.restoreState(value)
            self._shown_splitters[key] = ShownOnce(splitter)
        tab = self.settings.value("window/tab", "0")
        if tab.isdigit() and int(tab) < self.tabs.count():
            self.tabs.setCurrentIndex(int(tab))
        model = self.settings.value("window/model", "")
        self._model_at_start = int(model) if model.isdigit() else None

    def _save_state(self) -> None:
        self.settings.set_window_state("geometry", self.saveGeometry())
        self.settings.set_window_state("state", self.saveState())
        for key, splitter in self._splitters().items():
            if self._shown_splitters[key].shown:  # else the saved sizes (or the defaults) stand
                self.settings.set_window_state(key, splitter.saveState())
        self.settings.set_value("window/tab", str(self.tabs.currentIndex()))
        model_id = self.models_panel.current_model_id()
        self.settings.set_value("window/model", "" if model_id is None else str(model_id))
        self.settings.sync()

    def _splitters(self) -> dict[str, QSplitter]:
        return {
            "main_splitter": self.splitter,
            "elements_splitter": self.elements_panel.splitter,
            "history_splitter": self.history_panel.splitter,
            "compare_splitter": self.compare_panel.splitter,
            "compare_table_splitter": self.compare_panel.table_splitter,
        }


_RUNNING = ("STARTED", "PROGRESS")
RENAME_FAILED = "The model was not renamed:"


def _local_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
