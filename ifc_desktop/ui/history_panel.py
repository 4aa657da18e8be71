"""The History tab: a model's versions, which one is current, revert, export, compare, and the activity log.

Every version shows "+added −removed ~changed" against the version before it;
the window computes those counts off the GUI thread and hands them over with
``set_change_counts``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.wording import count_of
from . import theme
from .compare_models import ChangeCountsDelegate, CountsRole
from .delegates import MiddleElideDelegate
from .formatting import format_count, format_datetime, format_size
from .widgets import ColumnShares, flat_button, pane_splitter

COLUMNS = ("Version", "Imported", "Source file", "Application", "Elements", "Changes", "Warnings")
COL_VERSION, COL_DATE, COL_SOURCE, COL_APP, COL_ELEMENTS, COL_CHANGES, COL_WARNINGS = range(len(COLUMNS))
VersionRole = Qt.ItemDataRole.UserRole + 1
Counts = tuple[int, int, int]  # added, removed, changed against the previous version


class VersionTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._versions: list[Any] = []
        self._counts: dict[int, Counts] = {}  # version number -> counts against the previous version
        self._counting = False
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._versions)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and section == COL_CHANGES:
            return "Elements added (+), removed (−) and changed (~) since the previous version"
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            if section in (COL_ELEMENTS, COL_WARNINGS):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        version = self._versions[index.row()]
        col = index.column()
        if role == VersionRole:
            return version
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_VERSION:
                return f"v{version.number}  ·  current" if version.is_current else f"v{version.number}"
            if col == COL_DATE:
                return format_datetime(version.created_at)
            if col == COL_SOURCE:
                return version.source_name
            if col == COL_APP:
                return version.application or "Unknown"
            if col == COL_ELEMENTS:
                return format_count(version.element_count)
            if col == COL_CHANGES:
                counts = self._counts.get(version.number)
                if counts is None:
                    return "…" if self._counting else ""
                return f"+{counts[0]:,} −{counts[1]:,} ~{counts[2]:,}"
            if col == COL_WARNINGS:
                return str(len(version.warnings)) if version.warnings else "–"
        if role == CountsRole and col == COL_CHANGES:
            return self._counts.get(version.number)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_VERSION:
            return theme.icon("check" if version.is_current else "history")
        if role == Qt.ItemDataRole.FontRole and version.is_current and col == COL_VERSION:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL_VERSION and version.is_current:
                return QBrush(QColor(theme.ACCENT))
            if col == COL_WARNINGS and version.warnings:
                return QBrush(QColor(theme.WARNING))
            if col in (COL_DATE, COL_APP, COL_ELEMENTS, COL_WARNINGS):
                return QBrush(QColor(theme.MUTED))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_ELEMENTS, COL_WARNINGS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_SOURCE:
                return version.source_path
            if col == COL_WARNINGS and version.warnings:
                return "\n".join(version.warnings)
            if col == COL_CHANGES:
                return self._counts_tip(version)
        return None

    def _counts_tip(self, version: Any) -> str | None:
        counts = self._counts.get(version.number)
        if counts is None:
            return "Counting changes…" if self._counting else None
        previous = self.previous_of(version.number)
        if previous is None:
            return f"First version: {count_of(counts[0], 'element')}"
        added, removed, changed = counts
        if not any(counts):
            return f"Same elements as v{previous.number}. Double-click to compare."
        return (
            f"Since v{previous.number}: {added:,} added, {removed:,} removed, {changed:,} changed. "
            "Double-click to compare."
        )

    def set_versions(self, versions: list[Any], keep_counts: bool = False) -> None:
        self.beginResetModel()
        # Newest first: the latest import is what people look for.
        self._versions = sorted(versions, key=lambda v: v.number, reverse=True)
        if not keep_counts:
            self._counts = {}
        self.endResetModel()

    def set_counts(self, counts: dict[int, Counts], counting: bool = False) -> None:
        self._counts = dict(counts)
        self._counting = counting
        if self._versions:
            self.dataChanged.emit(self.index(0, COL_CHANGES), self.index(len(self._versions) - 1, COL_CHANGES))

    def set_counting(self, counting: bool) -> None:
        self.set_counts(self._counts, counting)

    def counts(self) -> dict[int, Counts]:
        return dict(self._counts)

    def counts_text(self, number: int) -> str:
        row = self.row_of_number(number)
        return "" if row is None else self.index(row, COL_CHANGES).data()

    def previous_of(self, number: int) -> Any:
        """The version numbered just before ``number`` (None for the first)."""
        earlier = [v for v in self._versions if v.number < number]
        return max(earlier, key=lambda v: v.number) if earlier else None

    def versions(self) -> list[Any]:
        return list(self._versions)

    def current_version(self) -> Any:
        return next((v for v in self._versions if v.is_current), None)

    def version_at(self, row: int) -> Any:
        return self._versions[row]

    def row_of_number(self, number: int) -> int | None:
        for row, version in enumerate(self._versions):
            if version.number == number:
                return row
        return None


class HistoryPanel(QWidget):
    revert_requested = Signal(int, int)  # model id, version number
    export_requested = Signal(object)  # VersionInfo
    compare_requested = Signal(int, int, int)  # model id, older version number, newer version number

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model_id: int | None = None
        self.versions = VersionTableModel(self)

        self.revert_button = flat_button("revert", "Make current…", "Make the selected version the current one")
        self.export_button = flat_button("export", "Export IFC…", "Save the selected version's original IFC file")
        self.compare_button = flat_button("compare", "Compare…", COMPARE_TIP)
        self.compare_button.setVisible(False)
        self.revert_button.clicked.connect(self._revert)
        self.export_button.clicked.connect(self._export)
        self.compare_button.clicked.connect(self._compare)

        self.compare_previous_action = QAction(theme.icon("compare"), "Compare with previous version", self)
        self.compare_current_action = QAction("Compare with current version", self)
        self.compare_selected_action = QAction(theme.icon("compare"), "Compare selected versions", self)
        self.revert_action = QAction(theme.icon("revert"), "Make current…", self)
        self.export_action = QAction(theme.icon("export"), "Export IFC…", self)
        self.compare_previous_action.triggered.connect(lambda _checked=False: self.compare_with_previous())
        self.compare_current_action.triggered.connect(lambda _checked=False: self.compare_with_current())
        self.compare_selected_action.triggered.connect(lambda _checked=False: self._compare())
        self.revert_action.triggered.connect(lambda _checked=False: self._revert())
        self.export_action.triggered.connect(lambda _checked=False: self._export())
        self._compare_available = False

        self.summary = QLabel("", objectName="secondary")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 10, 2)
        bar.setSpacing(4)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.compare_button)
        bar.addStretch(1)
        bar.addWidget(self.summary)

        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves on to the next control, arrows move between cells
        # Keys for the version list: Enter or Ctrl+D compares, as the Compare button does; Ctrl+E exports.
        self.compare_key_action = QAction("Compare", self)
        self.compare_key_action.triggered.connect(lambda _checked=False: self._compare())
        self.compare_key_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence("Ctrl+D")])
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        for action in (self.compare_key_action, self.export_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
        self.export_button.setToolTip("Save the selected version's original IFC file (Ctrl+E)")
        self.table.setObjectName("versionTable")
        self.table.setModel(self.versions)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.setItemDelegateForColumn(COL_CHANGES, ChangeCountsDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        # Source file and application share the width the others leave; file names lose their middle.
        header.setSectionResizeMode(COL_SOURCE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_APP, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(COL_SOURCE, MiddleElideDelegate(self.table))
        # The version column fits "v123  ·  current" in bold, with its icon.
        bold = QFont(self.table.font())
        bold.setWeight(QFont.Weight.DemiBold)
        version_width = QFontMetrics(bold).horizontalAdvance("v123  ·  current") + 48
        for col, width in ((COL_VERSION, version_width), (COL_ELEMENTS, 80), (COL_WARNINGS, 80)):
            header.resizeSection(col, width)
        # Date and changes keep their widths in a wide pane and give way in a narrow one (1024 px
        # screens), so that the file and application names keep a readable share.
        self.column_shares = ColumnShares(self.table, {COL_DATE: (0.16, 125, 140), COL_CHANGES: (0.17, 110, 150)})
        self.column_shares.apply()
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

        self.detail = QLabel("", objectName="secondary")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setContentsMargins(12, 6, 12, 6)

        self.activity = QListWidget()
        self.activity.setObjectName("activity")
        self.activity.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.activity.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        activity_box = QWidget()
        activity_layout = QVBoxLayout(activity_box)
        activity_layout.setContentsMargins(0, 0, 0, 0)
        activity_layout.setSpacing(0)
        title = QLabel("Activity", objectName="panelTitle")
        title.setContentsMargins(12, 8, 12, 4)
        activity_layout.addWidget(title)
        activity_layout.addWidget(self.activity, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(0)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.detail)

        self.splitter = pane_splitter(Qt.Orientation.Vertical, "historySplitter", top, activity_box, (3, 1))

        self.placeholder = QLabel("Select a model to see its versions.", objectName="hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.placeholder, 1)
        self.set_history(None, [], [])

    # -- public --------------------------------------------------------------------------

    def set_compare_available(self, available: bool) -> None:
        """Show the Compare button once a compare view is connected to ``compare_requested``."""
        self._compare_available = available
        self.compare_button.setVisible(available)
        self._update_actions()

    def set_history(self, model_id: int | None, versions: list[Any], events: list[Any]) -> None:
        same_model = model_id == self.model_id
        selected = {v.number for v in self.selected_versions()} if same_model else set()
        current = self.table.currentIndex()
        current_number = self.versions.version_at(current.row()).number if same_model and current.isValid() else None
        self.model_id = model_id
        # Counts of versions already on screen stay valid (versions never change); new ones follow.
        self.versions.set_versions(versions, keep_counts=same_model)
        has_model = model_id is not None
        self.splitter.setVisible(has_model)
        self.placeholder.setVisible(not has_model)
        count = len(versions)
        self.summary.setText(count_of(count, "version") if has_model else "")
        self._fill_activity(events)
        # selectRow() replaces the selection: re-select every version that was selected together.
        rows = [row for number in selected if (row := self.versions.row_of_number(number)) is not None]
        selection = self.table.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for row in rows:
            selection.select(self.versions.index(row, 0), flags)
        # The keyboard goes on from where it was: the arrow keys move from the row they left.
        current_row = self.versions.row_of_number(current_number) if current_number is not None else None
        if current_row is None and rows:
            current_row = rows[0]
        if current_row is not None:
            selection.setCurrentIndex(self.versions.index(current_row, 0), selection.SelectionFlag.NoUpdate)
        if not rows and versions:
            self.table.selectRow(0)
        self._update_actions()

    def set_change_counts(self, model_id: int, counts: dict[int, Counts], counting: bool = False) -> None:
        """Counts against the previous version, by version number, for the model on screen."""
        if model_id == self.model_id:
            self.versions.set_counts(counts, counting)

    def set_counting(self, model_id: int, counting: bool) -> None:
        if model_id == self.model_id:
            self.versions.set_counting(counting)

    def compare_with_previous(self, number: int | None = None) -> bool:
        """Compare a version (the selected one by default) with the one before it."""
        version = self._one_selected() if number is None else self._version(number)
        previous = self.versions.previous_of(version.number) if version is not None else None
        if previous is None or self.model_id is None or not self._compare_available:
            return False
        self.compare_requested.emit(self.model_id, previous.number, version.number)
        return True

    def compare_with_current(self, number: int | None = None) -> bool:
        version = self._one_selected() if number is None else self._version(number)
        current = self.versions.current_version()
        if version is None or current is None or current.number == version.number or self.model_id is None:
            return False
        if not self._compare_available:
            return False
        older, newer = sorted((version.number, current.number))
        self.compare_requested.emit(self.model_id, older, newer)
        return True

    def selected_versions(self) -> list[Any]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.versions.version_at(row) for row in rows]

    def select_number(self, number: int) -> None:
        row = self.versions.row_of_number(number)
        if row is not None:
            self.table.selectRow(row)

    # -- internals -----------------------------------------------------------------------

    def _fill_activity(self, events: list[Any]) -> None:
        self.activity.clear()
        for event in sorted(events, key=lambda e: e.created_at, reverse=True):
            when = format_datetime(event.created_at)
            number = f"v{event.version_number}" if event.version_number else ""
            if event.kind == "revert":
                detail = event.detail or {}
                previous = detail.get("from_number") or detail.get("previous_number")
                text = f"Reverted to {number}" + (f" (was v{previous})" if previous else "")
                icon = "revert"
            elif event.kind == "rename":
                detail = event.detail or {}
                text = f"Renamed from {detail.get('from', '?')} to {detail.get('to', '?')}"
                icon = "history"
            elif event.kind == "import":
                source = (event.detail or {}).get("source_name", "")
                text = f"Imported {number}" + (f" from {source}" if source else "")
                icon = "import-file"
            else:
                text = f"{event.kind.title()} {number}".strip()
                icon = "history"
            item = QListWidgetItem(theme.icon(icon), f"{text}    {when}")
            self.activity.addItem(item)

    def _update_actions(self, *_args: Any) -> None:
        selected = self.selected_versions()
        one = len(selected) == 1
        self.revert_button.setEnabled(one and not selected[0].is_current)
        self.export_button.setEnabled(one)
        self.revert_action.setEnabled(self.revert_button.isEnabled())
        self.export_action.setEnabled(one)
        previous = self.versions.previous_of(selected[0].number) if one else None
        current = self.versions.current_version()
        self.compare_previous_action.setEnabled(previous is not None)
        self.compare_previous_action.setText(
            f"Compare with previous version (v{previous.number})" if previous else "Compare with previous version"
        )
        self.compare_current_action.setEnabled(one and current is not None and not selected[0].is_current)
        self.compare_current_action.setText(
            f"Compare with current version (v{current.number})" if current else "Compare with current version"
        )
        self.compare_selected_action.setEnabled(len(selected) == 2)
        self.compare_key_action.setEnabled(len(selected) == 2 or previous is not None)
        if len(selected) == 2:
            older, newer = sorted(v.number for v in selected)
            self.compare_button.setEnabled(True)
            self.compare_button.setToolTip(f"Compare v{older} with v{newer}")
        else:
            self.compare_button.setEnabled(previous is not None)
            self.compare_button.setToolTip(
                f"Compare v{selected[0].number} with the version before it (v{previous.number}). {COMPARE_TIP}"
                if previous is not None
                else COMPARE_TIP
            )
        if one:
            v = selected[0]
            schema = v.schema_read
            if v.schema_declared and v.schema_declared.upper() != v.schema_read:
                schema = f"{v.schema_read} (declared {v.schema_declared})"
            parts = [
                f"<b>v{v.number}</b> · {schema} · {format_size(v.source_size)} · units: {v.length_unit}",
                f"Source: {v.source_path}",
            ]
            if v.warnings:
                warnings = "<br>".join(f"⚠ {w}" for w in v.warnings[:5])
                more = f"<br>… and {len(v.warnings) - 5} more" if len(v.warnings) > 5 else ""
                parts.append(f"<span style='color:{theme.WARNING}'>{warnings}{more}</span>")
            self.detail.setText("<br>".join(parts))
        else:
            self.detail.setText("")

    def _revert(self) -> None:
        selected = self.selected_versions()
        if len(selected) == 1 and not selected[0].is_current and self.model_id is not None:
            self.revert_requested.emit(self.model_id, selected[0].number)

    def _export(self) -> None:
        selected = self.selected_versions()
        if len(selected) == 1:
            self.export_requested.emit(selected[0])

    def _compare(self) -> None:
        """Two versions selected: compare them; one: compare it with the version before it."""
        if self.model_id is None:
            return
        selected = self.selected_versions()
        if len(selected) == 2:
            older, newer = sorted(v.number for v in selected)
            self.compare_requested.emit(self.model_id, older, newer)
        elif len(selected) == 1:
            self.compare_with_previous()

    def _double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        version = self.versions.version_at(index.row())
        if self._compare_available:
            self.compare_with_previous(version.number)
        elif not version.is_current:
            self._revert()

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid() or self.model_id is None:
            return
        if index.row() not in {i.row() for i in self.table.selectionModel().selectedRows()}:
            self.table.selectRow(index.row())
        menu = QMenu(self)
        if self._compare_available:
            if len(self.selected_versions()) == 2:
                menu.addAction(self.compare_selected_action)
            else:
                menu.addAction(self.compare_previous_action)
                menu.addAction(self.compare_current_action)
            menu.addSeparator()
        menu.addAction(self.revert_action)
        menu.addAction(self.export_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _one_selected(self) -> Any:
        selected = self.selected_versions()
        return selected[0] if len(selected) == 1 else None

    def _version(self, number: int) -> Any:
        row = self.versions.row_of_number(number)
        return self.versions.version_at(row) if row is not None else None


COMPARE_TIP = "Select one version to compare it with the one before it, or two versions to compare them."
