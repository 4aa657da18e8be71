"""The Elements tab: spatial tree or classes, search, and the selected element's details."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..core.wording import count_of
from . import theme
from .element_details import ElementDetailsPanel
from .element_models import ElementRowRole, ElementTreeModel
from .executor import SerialExecutor, Task
from .widgets import ColumnShares, clear_on_escape, pane_splitter

MODE_SPATIAL, MODE_CLASSES = "spatial", "classes"
SEARCH_DELAY_MS = 300


class ElementsPanel(QWidget):
    element_shown = Signal(object)  # core.snapshot.Element, once its details are on screen

    def __init__(self, executor: SerialExecutor, parent: QWidget | None = None):
        super().__init__(parent)
        self.executor = executor
        self.version: Any = None
        self.project_name: str | None = None
        self.tree_model: ElementTreeModel | None = None
        self.mode = MODE_SPATIAL
        self._detail_task: Task | None = None

        self.spatial_button = _segment("Spatial", "building", "Project > site > building > storey")
        self.classes_button = _segment("By class", "classes", "Elements grouped by IFC class")
        self.spatial_button.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.spatial_button)
        group.addButton(self.classes_button)
        self.spatial_button.clicked.connect(lambda: self.set_mode(MODE_SPATIAL))
        self.classes_button.clicked.connect(lambda: self.set_mode(MODE_CLASSES))

        self.search = QLineEdit()
        self.search.setObjectName("elementSearch")
        self.search.setPlaceholderText("Search name, GlobalId, class or property value")
        self.search.setClearButtonEnabled(True)
        clear_on_escape(self.search)
        self.search.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAcceptDrops(False)  # dropped files go to the window, not into the field
        self.search.setMinimumWidth(280)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._run_search)
        self.search.installEventFilter(self)  # Down moves into the results

        self.info = QLabel("", objectName="secondary")

        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 6)
        top.setSpacing(0)
        top.addWidget(self.spatial_button)
        top.addWidget(self.classes_button)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addWidget(self.info)

        self.tree = QTreeView()
        self.tree.setObjectName("elementTree")
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # The class column takes a share of the pane, so storey and element names keep the rest.
        self.column_shares = ColumnShares(self.tree, {1: (0.32, 110, 240)})
        self.tree.setAllColumnsShowFocus(True)
        # Eliding in the middle keeps a group's count "(61)" and the number exporters end names with.
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setAnimated(False)
        self.tree.header().setStretchLastSection(False)
        # Next pages of elements load when the last rows of a node come into view (see element_models).
        self._shown_timer = QTimer(self)
        self._shown_timer.setSingleShot(True)
        self._shown_timer.setInterval(0)
        self._shown_timer.timeout.connect(self._fetch_near_shown_rows)
        self.tree.verticalScrollBar().valueChanged.connect(lambda _value: self._shown_timer.start())
        self.tree.verticalScrollBar().rangeChanged.connect(lambda _low, _high: self._shown_timer.start())
        self.tree.expanded.connect(lambda _index: self._shown_timer.start())

        self.details = ElementDetailsPanel()
        self.splitter = pane_splitter(Qt.Orientation.Horizontal, "elementsSplitter", self.tree, self.details, (3, 2))

        self.placeholder = QLabel("Select a model to browse its elements.", objectName="hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.placeholder, 1)
        self._set_enabled(False)

    # -- public --------------------------------------------------------------------------

    def set_version(self, version: Any, project_name: str | None = None) -> None:
        """Show a version's elements (a ``VersionInfo``), or nothing for None."""
        if version is not None and self.version is not None and version.id == self.version.id:
            self.version = version
            return
        self.version = version
        self.project_name = project_name or (getattr(version, "project_name", None) if version else None)
        self.details.clear()
        if version is None:
            self._replace_model(None)
            self.info.setText("")
            self._set_enabled(False)
            return
        self._set_enabled(True)
        self.reload()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.spatial_button.setChecked(mode == MODE_SPATIAL)
        self.classes_button.setChecked(mode == MODE_CLASSES)
        if self.search.text().strip():
            self.search.clear()
        self.reload()

    def reload(self) -> None:
        if self.version is None:
            return
        model = ElementTreeModel(self.executor, self.version.id, self)
        text = self.search.text().strip()
        self.details.clear()  # the element shown may not be in the new list
        self._show_count(text)
        if text:
            model.load_search(text)
        elif self.mode == MODE_CLASSES:
            model.load_classes()
        else:
            model.load_spatial(self.project_name)
        self._replace_model(model)
        if not text and self.mode == MODE_SPATIAL:
            # After the view has taken the reset (it connected first).
            model.modelReset.connect(lambda: self._expand_top(model))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            self.tree.setFocus()
            if not self.tree.currentIndex().isValid() and self.tree_model is not None:
                first = self.tree_model.index(0, 0)
                if first.isValid():
                    self.tree.setCurrentIndex(first)
            return True
        return super().eventFilter(watched, event)

    # -- internals -----------------------------------------------------------------------

    def _show_count(self, text: str) -> None:
        """'v2 · 5,000 elements', or while searching, how many of them match (counted off the GUI thread)."""
        version = self.version
        total = count_of(version.element_count, "element")
        if not text:
            self.info.setText(f"v{version.number} · {total}")
            return
        self.info.setText(f"v{version.number} · searching {total}…")

        def shown(matches: int) -> None:
            if self.version is version and self.search.text().strip() == text:
                self.info.setText(f"v{version.number} · {matches:,} of {total} match")

        self.executor.submit(
            lambda store: store.count_elements(version.id, search=text), shown, lambda _exc: None, label="search count"
        )

    def _replace_model(self, model: ElementTreeModel | None) -> None:
        old = self.tree_model
        if old is not None:
            old.dispose()
        if self._detail_task is not None:
            self._detail_task.cancel()
        self.tree_model = model
        self.tree.setModel(model)
        if model is not None:
            header = self.tree.header()
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
            self.column_shares.apply()
            self.tree.selectionModel().currentChanged.connect(self._current_changed)
            model.rowsInserted.connect(lambda *_args: self._shown_timer.start())
        if old is not None:
            old.deleteLater()

    def _expand_top(self, model: ElementTreeModel) -> None:
        """Open project > site > building so the storeys show at once (their contents stay lazy)."""
        if model is not self.tree_model:
            return

        def expand(parent: QModelIndex, depth: int) -> None:
            for row in range(model.rowCount(parent)):
                index = model.index(row, 0, parent)
                row_data = index.data(ElementRowRole)
                if row_data is None or row_data.ifc_class in ("IfcSite", "IfcBuilding", "IfcFacility"):
                    self.tree.expand(index)
                    if depth < 4:
                        expand(index, depth + 1)

        expand(QModelIndex(), 0)

    def _fetch_near_shown_rows(self) -> None:
        """Let the model fetch the next page of every node whose last loaded rows are on screen."""
        model = self.tree_model
        if model is None:
            return
        bottom = self.tree.viewport().height()
        index = self.tree.indexAt(QPoint(0, 0))
        while index.isValid() and self.tree.visualRect(index).top() < bottom:
            model.fetch_near(index)
            index = self.tree.indexBelow(index)

    def _run_search(self) -> None:
        self._search_timer.stop()
        self.reload()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ElementRowRole) if current.isValid() else None
        if self._detail_task is not None:
            self._detail_task.cancel()
        if row is None:
            self.details.clear()
            return
        self.details.show_loading()
        element_id, version_id = row.id, row.version_id
        places = [gid for gid in (row.storey_global_id, row.container_global_id, row.parent_global_id) if gid]

        def load(store) -> tuple[Any, dict[str, Any]]:
            return store.element_detail(element_id), store.element_rows(version_id, places)

        self._detail_task = self.executor.submit(
            load,
            self._show_detail,
            lambda exc: self.details.clear(f"Could not load this element: {exc}"),
            label="element details",
        )

    def _show_detail(self, loaded: tuple[Any, dict[str, Any]]) -> None:
        element, places = loaded
        self.details.show_element(element, places)
        self.element_shown.emit(element)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.spatial_button, self.classes_button, self.search):
            widget.setEnabled(enabled)
        self.splitter.setVisible(enabled)
        self.placeholder.setVisible(not enabled)


def _segment(text: str, icon_name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName("segment")
    button.setText(text)
    button.setIcon(theme.icon(icon_name))
    button.setToolTip(tip)
    button.setCheckable(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button
