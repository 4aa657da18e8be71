"""The compare view: what changed between two versions of a model.

It replaces the version list inside the History tab (with a Back button) and
shows the summary at the top, a filterable table of changed elements and the
selected element's changed fields, old → new. The comparison and the exports
run on their own executor (with its own read connection), so a comparison of
two large versions neither freezes the window nor holds up the element browser.
"""

from __future__ import annotations

import gc
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.diff_export import write_csv, write_xlsx
from ..core.diff_result import ADDED, CHANGED, REMOVED, DiffResult, ElementChange
from ..core.wording import count_of
from . import theme
from .compare_details import ChangeDetailsPanel
from .compare_models import (
    COL_CLASS,
    COL_GLOBAL_ID,
    COL_KIND,
    COL_NAME,
    COL_STOREY,
    COL_WHAT,
    COLUMNS,
    KIND_LABELS,
    ChangeFilter,
    ChangeTableModel,
    KindPillDelegate,
    search_texts,
)
from .compare_summary import CompareSummary
from .executor import SerialExecutor, Task, long_lived_results
from .formatting import format_count, format_duration
from .widgets import ColumnShares, NoticeBar, clear_on_escape, flat_button, pane_splitter

PAGE_BUSY, PAGE_RESULT, PAGE_FAILED = range(3)
SEARCH_DELAY_MS = 200
KEPT_RESULTS = 2  # recent comparisons kept in memory: going back and forth costs nothing
EXPORT_FILTERS = {"csv": "CSV files (*.csv)", "xlsx": "Excel workbooks (*.xlsx)"}
ALL_KINDS = (ADDED, REMOVED, CHANGED)

Key = tuple[int, int, int]  # model id, older version number, newer version number


class ComparePanel(QWidget):
    back_requested = Signal()
    comparison_shown = Signal(object)  # DiffResult, once it is on screen
    comparison_failed = Signal(str)
    exported = Signal(str)  # path of a written export
    message = Signal(str, str)  # text, kind ("info" | "error") for the window's notice bar

    def __init__(self, executor: SerialExecutor, parent: QWidget | None = None):
        super().__init__(parent)
        self.executor = executor
        self.key: Key | None = None
        self.model_name = ""
        self.result: DiffResult | None = None
        self._task: Task | None = None
        self._results: OrderedDict[Key, tuple[DiffResult, list[str], float]] = OrderedDict()
        self._selected: ElementChange | None = None
        # Hooks the tests replace: (suggested file name, "csv" | "xlsx") -> chosen path or "".
        self.ask_save_path: Callable[[str, str], str] = self._ask_save_path
        self.default_folder: Callable[[], str] = lambda: str(Path.home())

        self._build_header()
        self._build_busy_page()
        self._build_failed_page()
        self._build_result_page()

        self.pages = QStackedWidget()
        self.pages.addWidget(self.busy_page)
        self.pages.addWidget(self.result_page)
        self.pages.addWidget(self.failed_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self.header)
        layout.addWidget(self.pages, 1)

        # It shares the History tab's stack with the version list: never let it set the window's minimum width.
        self.setMinimumSize(360, 240)

        back = QShortcut(QKeySequence(QKeySequence.StandardKey.Back), self)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(self.back_requested)

    # -- construction --------------------------------------------------------------------------

    def _build_header(self) -> None:
        self.back_button = flat_button("back", "History", "Back to the version list (Alt+Left)")
        self.back_button.clicked.connect(self.back_requested)
        self.title = QLabel("", objectName="compareTitle")
        self.subtitle = ElidedLabel(objectName="secondary")
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        self.swap_button = flat_button("compare", "Swap", "Compare the other way round")
        self.swap_button.clicked.connect(self._swap)
        self.csv_button = flat_button("export", "Export CSV…", "Save every change as a CSV file")
        self.xlsx_button = flat_button("table", "Export XLSX…", "Save the summary and every change as a workbook")
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))

        self.header = QHBoxLayout()
        self.header.setContentsMargins(8, 6, 10, 6)
        self.header.setSpacing(6)
        self.header.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignVCenter)
        separator = QLabel("", objectName="headerSeparator")
        separator.setFixedSize(1, 28)
        self.header.addWidget(separator)
        self.header.addSpacing(4)
        self.header.addLayout(titles, 1)
        for button in (self.swap_button, self.csv_button, self.xlsx_button):
            self.header.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._set_result_actions(False)

    def _build_busy_page(self) -> None:
        self.busy_label = QLabel("Comparing…", objectName="busyTitle")
        self.busy_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("busyBar")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(260)
        hint = QLabel("Large models take a few seconds. The rest of the window stays usable.", objectName="hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_page = QWidget()
        layout = QVBoxLayout(self.busy_page)
        layout.addStretch(2)
        layout.addWidget(self.busy_label)
        layout.addSpacing(10)
        layout.addWidget(self.busy_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(10)
        layout.addWidget(hint)
        layout.addStretch(3)

    def _build_failed_page(self) -> None:
        self.failed_label = QLabel("", objectName="busyTitle")
        self.failed_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.failed_label.setWordWrap(True)
        self.failed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        retry = QPushButton(theme.icon("retry"), "  Try again")
        retry.clicked.connect(self._retry)
        self.failed_page = QWidget()
        layout = QVBoxLayout(self.failed_page)
        layout.addStretch(2)
        layout.addWidget(self.failed_label)
        layout.addSpacing(12)
        layout.addWidget(retry, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def _build_result_page(self) -> None:
        self.notice = NoticeBar()
        self.summary = CompareSummary()
        self.summary.kind_clicked.connect(self.show_only_kind)
        self.summary.class_clicked.connect(lambda name: self._choose(self.class_combo, name))
        self.summary.storey_clicked.connect(lambda name: self._choose(self.storey_combo, name))

        self.kind_buttons: dict[str, QToolButton] = {}
        for kind in ALL_KINDS:
            button = QToolButton()
            button.setObjectName("chip")
            button.setProperty("kind", kind)
            button.setCheckable(True)
            button.setChecked(True)
            button.setText(KIND_LABELS[kind])
            button.setToolTip(f"Show {KIND_LABELS[kind].lower()} elements")
            button.toggled.connect(lambda _on: self._apply_filter())
            # The chips keep their text and count whole; in a narrow pane the combos and the field give way.
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.kind_buttons[kind] = button
        self.class_combo = _filter_combo("All classes")
        self.storey_combo = _filter_combo("All storeys")
        self.class_combo.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.storey_combo.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.search = QLineEdit()
        self.search.setObjectName("compareSearch")
        self.search.setPlaceholderText("Filter by name, GlobalId, field or value")
        self.search.setClearButtonEnabled(True)
        clear_on_escape(self.search)
        self.search.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAcceptDrops(False)
        self.search.setMinimumWidth(90)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_filter)
        self.shown_label = QLabel("", objectName="secondary")
        self.clear_filters_button = flat_button("clear", "Clear", "Clear the filters: show every change")
        self.clear_filters_button.clicked.connect(self.clear_filters)

        filters = QHBoxLayout()
        filters.setContentsMargins(10, 6, 10, 6)
        filters.setSpacing(6)
        for button in self.kind_buttons.values():
            filters.addWidget(button)
        filters.addSpacing(8)
        filters.addWidget(self.class_combo)
        filters.addWidget(self.storey_combo)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.clear_filters_button)
        filters.addSpacing(4)
        filters.addWidget(self.shown_label)

        self.table_model = ChangeTableModel(self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control, arrows move between cells
        self.table.setObjectName("changeTable")
        self.table.setModel(self.table_model)
        self.table.setItemDelegateForColumn(COL_KIND, KindPillDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_KIND, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        # Name and "what changed" share the width the other columns leave, so neither vanishes in a small window.
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_WHAT, QHeaderView.ResizeMode.Stretch)
        for col, width in ((COL_KIND, 88), (COL_CLASS, 140), (COL_STOREY, 100), (COL_GLOBAL_ID, 180)):
            header.resizeSection(col, width)
        self.column_shares = ColumnShares(self.table, {COL_CLASS: (0.2, 90, 170), COL_STOREY: (0.16, 76, 150)})
        header.setMinimumSectionSize(40)
        # The GlobalId is in the details and found by the filter; its column is there on demand.
        self.table.setColumnHidden(COL_GLOBAL_ID, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.details = ChangeDetailsPanel()
        self.table_splitter = pane_splitter(
            Qt.Orientation.Horizontal, "compareTableSplitter", self.table, self.details, (3, 2)
        )

        self.empty_label = QLabel("", objectName="hint")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()

        lower = QWidget()
        lower.setObjectName("compareLower")
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(0)
        lower_layout.addLayout(filters)
        lower_layout.addWidget(self.table_splitter, 1)
        lower_layout.addWidget(self.empty_label, 1)

        # The summary keeps its height; the table takes what the window gains.
        self.splitter = pane_splitter(Qt.Orientation.Vertical, "compareSplitter", self.summary, lower, (0, 1))
        self.splitter.setSizes([230, 480])

        notice_holder = QWidget()
        notice_layout = QVBoxLayout(notice_holder)
        notice_layout.setContentsMargins(10, 0, 10, 4)
        notice_layout.addWidget(self.notice)
        self.notice_holder = notice_holder

        self.result_page = QWidget()
        layout = QVBoxLayout(self.result_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(notice_holder)
        layout.addWidget(self.splitter, 1)

    # -- public ----------------------------------------------------------------------------------

    def compare(self, model_id: int, older: int, newer: int, model_name: str = "") -> None:
        """Show the comparison of two versions (computed off the GUI thread unless it is still in memory)."""
        key = (model_id, older, newer)
        same = key == self.key and (self.result is not None or self._task is not None)
        self.key = key
        self.model_name = model_name or self.model_name
        self.title.setText(f"Compare v{older} → v{newer}")
        if same:
            return
        if self._task is not None:
            self._task.cancel()
            self._task = None
        cached = self._results.get(key)
        if cached is not None:
            self._results.move_to_end(key)
            self._show(*cached)
            return
        self.result = None
        self._set_result_actions(False)
        self.subtitle.set_full_text(self.model_name)
        self.busy_label.setText(f"Comparing v{older} and v{newer}…")
        self.pages.setCurrentIndex(PAGE_BUSY)
        started = time.perf_counter()

        def run(store: Any) -> tuple[DiffResult, list[str], float]:
            from ..store.compare import compare_versions

            with long_lived_results():
                result = compare_versions(store, model_id, older, newer)
                texts = search_texts(result.changes)
            return result, texts, time.perf_counter() - started

        self._task = self.executor.submit(
            run, lambda done: self._finished(key, done), lambda exc: self._failed(key, exc), label="compare versions"
        )

    def is_busy(self) -> bool:
        return self._task is not None

    def model_id(self) -> int | None:
        return self.key[0] if self.key else None

    def set_filter(
        self,
        kinds: set[str] | None = None,
        ifc_class: str | None = None,
        storey: str | None = None,
        text: str = "",
    ) -> None:
        """Set every filter at once (None: all)."""
        widgets = [*self.kind_buttons.values(), self.class_combo, self.storey_combo, self.search]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            for kind, button in self.kind_buttons.items():
                button.setChecked(kinds is None or kind in kinds)
            _select_data(self.class_combo, ifc_class)
            _select_data(self.storey_combo, storey)
            self.search.setText(text)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._apply_filter()

    def clear_filters(self) -> None:
        self.set_filter()

    def show_only_kind(self, kind: str) -> None:
        """Only one kind of change; again on the same kind shows every kind."""
        checked = {k for k, b in self.kind_buttons.items() if b.isChecked()}
        kinds = None if checked == {kind} else {kind}
        self.set_filter(kinds, self.class_combo.currentData(), self.storey_combo.currentData(), self.search.text())

    def current_filter(self) -> ChangeFilter:
        kinds = {k for k, b in self.kind_buttons.items() if b.isChecked()}
        ifc_class = self.class_combo.currentData()
        storey = self.storey_combo.currentData()
        return ChangeFilter.of(
            kinds=None if kinds == set(ALL_KINDS) else kinds,
            classes=None if ifc_class is None else {ifc_class},
            storeys=None if storey is None else {storey},
            text=self.search.text(),
        )

    def select_change(self, global_id: str) -> bool:
        for row in range(self.table_model.rowCount()):
            if self.table_model.change_at(row).global_id == global_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.table_model.index(row, 0))
                return True
        return False

    def export(self, fmt: str, path: str | None = None) -> None:
        """Save the whole comparison as CSV or XLSX; without ``path`` a save dialog asks where."""
        result, key = self.result, self.key
        if result is None or key is None:
            return
        if path is None:
            stem = _file_stem(f"{self.model_name or 'model'} v{key[1]} to v{key[2]} changes")
            path = self.ask_save_path(f"{stem}.{fmt}", fmt)
            if not path:
                return
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        writer = write_csv if fmt == "csv" else write_xlsx
        target = Path(path)
        button = self.csv_button if fmt == "csv" else self.xlsx_button
        button.setEnabled(False)

        def done(_none: Any) -> None:
            button.setEnabled(self.result is not None)
            self.message.emit(f"Saved the comparison as {target}.", "info")
            self.exported.emit(str(target))

        def failed(exc: BaseException) -> None:
            button.setEnabled(self.result is not None)
            self.message.emit(f"Could not save {target.name}: {exc}", "error")

        def write(_store: Any) -> None:
            # What exists now stays out of the collections the workbook's many objects trigger; once
            # saved, the workbook is garbage with reference cycles, collected here (a short walk: only
            # objects made since the freeze are looked at).
            gc.freeze()
            try:
                writer(result, target)
            finally:
                gc.collect()

        self.executor.submit(write, done, failed, label="export comparison")

    # -- results -------------------------------------------------------------------------------

    def _finished(self, key: Key, done: tuple[DiffResult, list[str], float]) -> None:
        self._task = None
        self._results[key] = done
        while len(self._results) > KEPT_RESULTS:
            self._results.popitem(last=False)
        if key == self.key:
            self._show(*done)

    def _failed(self, key: Key, exc: BaseException) -> None:
        self._task = None
        if key != self.key:
            return
        text = str(exc) or type(exc).__name__
        self.failed_label.setText(f"Could not compare v{key[1]} and v{key[2]}.\n{text}")
        self.pages.setCurrentIndex(PAGE_FAILED)
        self.comparison_failed.emit(text)

    def _retry(self) -> None:
        if self.key is not None:
            model_id, older, newer = self.key
            self.key = None
            self.compare(model_id, older, newer)

    def _swap(self) -> None:
        if self.key is not None:
            model_id, older, newer = self.key
            self.compare(model_id, newer, older)

    def _show(self, result: DiffResult, texts: list[str], seconds: float) -> None:
        self.result = result
        self.subtitle.set_full_text(
            f"{_source(result.old_label)}  →  {_source(result.new_label)}  ·  compared in {_seconds(seconds)}"
        )
        self.subtitle.setToolTip(f"{self.model_name}\n{result.old_label} → {result.new_label}")
        self.summary.set_result(result)
        self._fill_combo(self.class_combo, "All classes", result.summary.by_class)
        self._fill_combo(self.storey_combo, "All storeys", result.summary.by_storey)
        counts = result.counts
        for kind, value in zip(ALL_KINDS, counts.as_tuple(), strict=True):
            self.kind_buttons[kind].setText(f"{KIND_LABELS[kind]}  {format_count(value)}")
        self._selected = None
        self.table_model.set_changes(result.changes, texts)
        # Clearing the filters selects the first row and shows its details (``_restore_selection``).
        self.set_filter()
        self._show_notices(result)
        self._set_result_actions(True)
        self.pages.setCurrentIndex(PAGE_RESULT)
        self.comparison_shown.emit(result)

    def _show_notices(self, result: DiffResult) -> None:
        lines = list(result.warnings)
        if result.project_changes:
            lines.insert(0, f"The project changed: {result.project_text()}.")
        if result.duplicates:
            shown = ", ".join(
                f"{d.global_id or '(empty)'} ({d.old_count} before, {d.new_count} after)" for d in result.duplicates[:3]
            )
            more = f" and {len(result.duplicates) - 3} more" if len(result.duplicates) > 3 else ""
            lines.append(f"Used more than once: {shown}{more}. Rows marked ⚠ share a GlobalId.")
        if lines:
            self.notice.show_message("\n".join(lines), "warning", 0)
        else:
            self.notice.hide()

    # -- filtering and selection ----------------------------------------------------------------

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.table_model.set_filter(self.current_filter())
        shown, total = self.table_model.rowCount(), self.table_model.total()
        filtered = not self.table_model.current_filter().is_empty()
        self.shown_label.setText(
            f"{format_count(shown)} of {format_count(total)}" if filtered else count_of(total, "change")
        )
        self.clear_filters_button.setVisible(filtered)
        empty = shown == 0
        self.table_splitter.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if empty:
            if total:
                text = "No change matches these filters."
            elif self.result is not None and self.result.project_changes:
                text = "No element changed (the project did: see above)."
            else:
                text = "No differences: the two versions are the same."
            self.empty_label.setText(text)
        self._restore_selection()

    def _restore_selection(self) -> None:
        row = self.table_model.row_of(self._selected) if self._selected is not None else None
        if row is None and self.table_model.rowCount():
            row = 0
        if row is None:
            self._selected = None
            self.details.clear()
            return
        index = self.table_model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        self._show_details(self.table_model.change_at(row))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        self._show_details(self.table_model.change_at(current.row()))

    def _show_details(self, change: ElementChange) -> None:
        self._selected = change
        if self.details.change is change:
            return
        older, newer = (self.key[1], self.key[2]) if self.key else (0, 0)
        self.details.show_change(change, f"v{older}", f"v{newer}")

    def _fill_combo(self, combo: QComboBox, everything: str, groups: dict[str, Any]) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for name, counts in sorted(groups.items(), key=lambda kv: kv[0].casefold()):
            combo.addItem(f"{name}  ({format_count(counts.total)})", name)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def _choose(self, combo: QComboBox, value: str) -> None:
        same = combo.currentData() == value
        _select_data(combo, None if same else value)

    def _column_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for col in range(self.table_model.columnCount()):
            if col == COL_KIND:
                continue
            act = menu.addAction(COLUMNS[col])
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(col))
            act.toggled.connect(lambda on, c=col: self.table.setColumnHidden(c, not on))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _set_result_actions(self, enabled: bool) -> None:
        for button in (self.csv_button, self.xlsx_button, self.swap_button):
            button.setEnabled(enabled)

    # -- dialogs ------------------------------------------------------------------------------------

    def _ask_save_path(self, suggested: str, fmt: str) -> str:
        start = str(Path(self.default_folder() or Path.home()) / suggested)
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", start, EXPORT_FILTERS[fmt])
        return path


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when the label is too narrow (it never widens the window)."""

    def __init__(self, text: str = "", objectName: str = ""):
        super().__init__(objectName=objectName)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(self.width(), 40)))


def _source(label: str) -> str:
    """ "version 2 (House.ifc)" -> "v2 House.ifc"."""
    match = re.fullmatch(r"version (\d+) \((.*)\)", label)
    return f"v{match.group(1)}  {match.group(2)}" if match else label


def _seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else format_duration(seconds)


def _filter_combo(everything: str) -> QComboBox:
    combo = QComboBox()
    combo.addItem(everything, None)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(7)
    combo.setMaxVisibleItems(20)
    return combo


def _select_data(combo: QComboBox, value: str | None) -> None:
    index = combo.findData(value) if value is not None else 0
    combo.setCurrentIndex(max(0, index))


def _file_stem(text: str) -> str:
    """A file name people recognise, without the characters Windows forbids."""
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "_", text).strip(" .") or "comparison"
