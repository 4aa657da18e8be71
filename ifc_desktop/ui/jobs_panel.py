"""The Jobs tab: the job table and its actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .delegates import MiddleElideDelegate, ProgressBarDelegate
from .job_model import (
    COL_ATTEMPT,
    COL_ELAPSED,
    COL_FILE,
    COL_MODEL,
    COL_PROGRESS,
    COL_STAGE,
    COL_STATE,
    TERMINAL,
    JobTableModel,
    state_name,
)
from .widgets import ColumnShares


class JobsPanel(QWidget):
    cancel_requested = Signal(list)  # job ids
    retry_requested = Signal(list)  # job ids
    retry_failed_requested = Signal()
    clear_finished_requested = Signal()
    details_requested = Signal(object)  # JobInfo

    def __init__(self, model: JobTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control, arrows move between cells
        self.table.setObjectName("jobTable")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setItemDelegateForColumn(COL_PROGRESS, ProgressBarDelegate(self.table))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._double_clicked)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        # File names and stages (failure reasons) share what the fixed columns leave.
        names = MiddleElideDelegate(self.table)
        self.table.setItemDelegateForColumn(COL_FILE, names)
        self.table.setItemDelegateForColumn(COL_MODEL, names)
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAGE, QHeaderView.ResizeMode.Stretch)
        # Short columns fit their header ("Attempt" is wider than "1 of 3").
        fits_header = header.fontMetrics().horizontalAdvance("Attempt") + 28
        for col, width in (
            (COL_MODEL, 130),
            (COL_STATE, 90),
            (COL_PROGRESS, 120),
            (COL_ATTEMPT, max(64, fits_header)),
            (COL_ELAPSED, max(64, fits_header)),
        ):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)
        header.setMinimumSectionSize(50)
        # Model names get a share of a wide window rather than a fixed 130 pixels.
        self.column_shares = ColumnShares(self.table, {COL_MODEL: (0.16, 110, 260)})

        self.cancel_action = self._action("cancel", "Cancel", "Cancel the selected jobs", self._cancel)
        self.retry_action = self._action(
            "retry", "Retry", "Queue the selected failed or cancelled jobs again", self._retry
        )
        self.retry_failed_action = self._action(
            "retry-all", "Retry all failed", "Queue every failed job again", self.retry_failed_requested.emit
        )
        self.clear_action = self._action(
            "clear", "Clear finished", "Remove finished jobs from the list", self.clear_finished_requested.emit
        )
        self.details_action = self._action("details", "Details…", "Show the selected job's details", self._details)
        self.cancel_action.setShortcut("Del")
        self.details_action.setShortcut("Return")
        for action in (self.cancel_action, self.details_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 2)
        bar.setSpacing(4)
        for action in (self.cancel_action, self.retry_action, self.retry_failed_action, self.clear_action):
            bar.addWidget(_tool_button(action))
        bar.addStretch(1)
        bar.addWidget(_tool_button(self.details_action))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self.table.selectionModel().selectionChanged.connect(self.update_actions)
        model.rowsInserted.connect(self.update_actions)
        model.modelReset.connect(self.update_actions)
        model.dataChanged.connect(self._data_changed)
        self.update_actions()

    def _action(self, icon_name: str, text: str, tip: str, slot) -> QAction:
        action = QAction(theme.icon(icon_name), text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def selected_jobs(self) -> list[Any]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.job_at(row) for row in rows]

    def select_job(self, job_id: int) -> None:
        row = self.model.row_of(job_id)
        if row is not None:
            self.table.selectRow(row)

    def update_actions(self, *_args: Any) -> None:
        selected = self.selected_jobs()
        states = {state_name(job) for job in selected}
        summary = self.model.summary()
        self.cancel_action.setEnabled(any(state not in TERMINAL for state in states))
        self.retry_action.setEnabled(bool(states & {"FAILURE", "CANCELLED"}))
        self.retry_failed_action.setEnabled(summary.failed > 0)
        self.clear_action.setEnabled(summary.succeeded + summary.failed + summary.cancelled > 0)
        self.details_action.setEnabled(len(selected) == 1)

    def _data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[int] | None = None) -> None:
        # Progress and elapsed ticks do not change what can be done; state changes do.
        if top_left.column() <= COL_STATE <= bottom_right.column():
            self.update_actions()

    def _cancel(self) -> None:
        ids = [job.id for job in self.selected_jobs() if state_name(job) not in TERMINAL]
        if ids:
            self.cancel_requested.emit(ids)

    def _retry(self) -> None:
        ids = [job.id for job in self.selected_jobs() if state_name(job) in ("FAILURE", "CANCELLED")]
        if ids:
            self.retry_requested.emit(ids)

    def _details(self) -> None:
        selected = self.selected_jobs()
        if len(selected) == 1:
            self.details_requested.emit(selected[0])

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.details_requested.emit(self.model.job_at(index.row()))

    def _context_menu(self, pos: QPoint) -> None:
        if not self.table.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        for action in (self.details_action, None, self.cancel_action, self.retry_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.exec(self.table.viewport().mapToGlobal(pos))


def _tool_button(action: QAction) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    button.setObjectName("flat")
    return button
