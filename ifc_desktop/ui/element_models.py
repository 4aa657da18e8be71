"""Element trees for one version, populated lazily from the store off the GUI thread.

Three shapes share one model class:

- spatial: project > site > building > storey (> space) > contained elements; an element
  in no container (an opening, a door in it) below its storey, one on no storey in a
  last group,
- by class: one node per IFC class with its count > elements,
- search: a flat list of matches.

Element rows are fetched a page at a time: the first when a node is expanded
(``canFetchMore``/``fetchMore``), the next ones only when the view shows the last
rows of a node (``fetch_near``), so a node of 100,000 elements loads as the user
scrolls rather than all at once. The query runs on the store executor and the rows
are inserted when the result arrives, so opening a 50,000-element model costs one
small query per visible node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from ..core.graphs import loops
from ..store.elements import NOT_PLACED
from . import theme
from .executor import SerialExecutor
from .formatting import format_count
from .widgets import isolated

PAGE_SIZE = 500
FETCH_AHEAD = 100  # rows before the end of a node's loaded rows at which its next page is fetched
NOT_PLACED_LABEL = "(not in the spatial structure)"  # elements in no container and on no storey

ElementRowRole = Qt.ItemDataRole.UserRole + 1  # the store's ElementRow (None for group nodes)
NodeKindRole = Qt.ItemDataRole.UserRole + 2
CountRole = Qt.ItemDataRole.UserRole + 3  # elements below a group node, when known

COLUMNS = ("Name", "Class")

SPATIAL_ICONS = {
    "IfcSite": "site",
    "IfcBuilding": "building",
    "IfcBuildingStorey": "storey",
    "IfcFacility": "building",
    "IfcBridge": "building",
    "IfcRoad": "building",
    "IfcRailway": "building",
    "IfcSpace": "element",
}

KIND_PROJECT, KIND_SPATIAL, KIND_CLASS, KIND_ELEMENT, KIND_MORE = "project", "spatial", "class", "element", "more"


@dataclass(eq=False)
class Node:
    kind: str
    label: str
    parent: Node | None = None
    row: Any = None  # ElementRow for spatial and element nodes
    count: int | None = None
    query: dict[str, Any] | None = None  # store.elements() filters for lazily loaded children
    children: list[Node] = field(default_factory=list)
    exhausted: bool = True
    loading: bool = False
    # The view wants the next page. True for the first (expanding a node asks for it);
    # after that only set when the view shows the node's last rows: Qt asks every
    # expanded node for more at each layout, which would load all of them.
    more_wanted: bool = True

    def index_in_parent(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0


def element_label(row: Any) -> str:
    """The element's name; a space keeps its number there and its words in its long name
    ("1 · Bad"): both are shown. (Storeys' long names hold exporters' ids as often as words.)"""
    if row.ifc_class == "IfcSpace" and row.name and row.long_name and row.long_name != row.name:
        return f"{row.name} · {row.long_name}"
    return row.name or row.long_name or f"{row.ifc_class} (unnamed)"


class ElementTreeModel(QAbstractItemModel):
    """One version's elements in one of the three shapes."""

    loading_changed = Signal(bool)
    load_failed = Signal(str)

    def __init__(self, executor: SerialExecutor, version_id: int, parent: QObject | None = None):
        super().__init__(parent)
        self.executor = executor
        self.version_id = version_id
        self.root = Node("root", "")
        self._in_flight = 0
        self._disposed = False
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)

    # -- building the top of the tree ---------------------------------------------------

    def load_spatial(self, project_name: str | None = None) -> None:
        """Project > spatial structure from ``spatial_tree``; each container shows how many elements it holds."""
        version_id = self.version_id

        def query(store) -> tuple[list[Any], dict[str, int]]:
            return store.spatial_tree(version_id), store.count_by_tree_node(version_id)

        self._submit(query, lambda result: self._build_spatial(result[0], result[1], project_name))

    def load_classes(self) -> None:
        version_id = self.version_id
        self._submit(lambda store: store.count_by_class(version_id), self._build_classes)

    def load_search(self, text: str) -> None:
        self.beginResetModel()
        self.root.children = []
        self.root.query = {"search": text}
        self.root.exhausted = False
        self.endResetModel()
        self._fetch(self.root)

    def _build_spatial(self, spatial: list[Any], contained: dict[str, int], project_name: str | None) -> None:
        self.beginResetModel()
        project = Node(KIND_PROJECT, project_name or "Project", parent=self.root)
        self.root.children = [project]
        nodes: dict[str, Node] = {}
        for row in spatial:
            nodes[row.global_id] = Node(
                KIND_SPATIAL,
                element_label(row),
                row=row,
                count=contained.get(row.global_id) or None,
                query={"tree_node": row.global_id},
                exhausted=not contained.get(row.global_id),
            )
        parents: dict[Node, Node] = {}
        for row in spatial:
            node = nodes[row.global_id]
            parents[node] = nodes.get(row.parent_global_id or "") or nodes.get(row.container_global_id or "") or project
        for loop in loops(parents):  # spatial elements aggregating each other (a damaged file)
            parents[loop[0]] = project  # cut where the loop was entered, so that every node is reached
        for node, parent in parents.items():
            node.parent = parent
            parent.children.append(node)
        if contained.get(NOT_PLACED):
            project.children.append(
                Node(
                    KIND_SPATIAL,
                    NOT_PLACED_LABEL,
                    parent=project,
                    count=contained[NOT_PLACED],
                    query={"tree_node": NOT_PLACED},
                    exhausted=False,
                )
            )
        self.endResetModel()

    def _build_classes(self, counts: dict[str, int]) -> None:
        self.beginResetModel()
        self.root.children = [
            Node(
                KIND_CLASS,
                ifc_class,
                parent=self.root,
                count=count,
                query={"ifc_class": ifc_class},
                exhausted=count == 0,
            )
            for ifc_class, count in sorted(counts.items(), key=lambda kv: kv[0])
        ]
        self.endResetModel()

    # -- lazy children --------------------------------------------------------------------

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        node = self._node(parent)
        return node.more_wanted and node.query is not None and not node.exhausted and not node.loading

    def fetch_near(self, index: QModelIndex | QPersistentModelIndex) -> None:
        """``index`` is on screen: when it is among the last loaded rows of its node, fetch the next page."""
        if not index.isValid():
            return
        node: Node = index.internalPointer()
        parent = node.parent
        if parent is None or parent.query is None or parent.exhausted or parent.loading:
            return
        if index.row() >= len(parent.children) - FETCH_AHEAD:
            parent.more_wanted = True
            self._fetch(parent)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self._fetch(self._node(parent))

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        node = self._node(parent)
        if node.children:
            return True
        return node.query is not None and not node.exhausted

    def _fetch(self, node: Node) -> None:
        node.loading = True
        node.more_wanted = False
        version_id = self.version_id
        last = next((child.row.id for child in reversed(node.children) if child.kind == KIND_ELEMENT), None)
        query = dict(node.query or {})

        def run(store) -> list[Any]:
            return store.elements(version_id, after_id=last, limit=PAGE_SIZE, **query)

        self._submit(run, lambda rows: self._append(node, rows), on_error=lambda _exc: self._fetch_failed(node))

    def _append(self, node: Node, rows: list[Any]) -> None:
        node.loading = False
        node.exhausted = len(rows) < PAGE_SIZE
        if not self._attached(node):
            return
        if rows:
            parent_index = self._index_of(node)
            first = len(node.children)
            self.beginInsertRows(parent_index, first, first + len(rows) - 1)
            node.children.extend(Node(KIND_ELEMENT, element_label(row), parent=node, row=row) for row in rows)
            self.endInsertRows()
        elif node is not self.root:
            # Nothing below: let the view drop the expand arrow.
            index = self._index_of(node)
            self.dataChanged.emit(index, index)

    def _fetch_failed(self, node: Node) -> None:
        node.loading = False
        node.exhausted = True

    # -- Qt model ---------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node: Node = index.internalPointer()
        parent = node.parent
        if parent is None or parent is self.root:
            return QModelIndex()
        return self.createIndex(parent.index_in_parent(), 0, parent)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                if node.count is not None and node.kind in (KIND_CLASS, KIND_SPATIAL):
                    return f"{isolated(node.label)}  ({format_count(node.count)})"
                return node.label
            if col == 1:
                if node.row is not None:
                    predefined = node.row.predefined_type
                    shown = predefined and predefined not in ("NOTDEFINED", "USERDEFINED")
                    suffix = f" · {predefined}" if shown else ""
                    return node.row.ifc_class + suffix
                return "IfcProject" if node.kind == KIND_PROJECT else ""
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return theme.icon(self._icon_name(node))
        if role == Qt.ItemDataRole.ToolTipRole and node.row is not None:
            return f"{node.row.ifc_class}\n{node.row.global_id}"
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(theme.MUTED)
        if role == Qt.ItemDataRole.FontRole and col == 0:
            if node.kind in (KIND_PROJECT, KIND_SPATIAL, KIND_CLASS):
                return self._bold
            if node.row is not None and not node.row.name:
                return self._italic
        if role == ElementRowRole:
            return node.row
        if role == NodeKindRole:
            return node.kind
        if role == CountRole:
            return node.count
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- helpers ---------------------------------------------------------------------------

    def dispose(self) -> None:
        """Ignore results that arrive after the view moved on to another version."""
        self._disposed = True

    def is_loading(self) -> bool:
        return self._in_flight > 0

    def top_nodes(self) -> list[Node]:
        return list(self.root.children)

    def loaded_rows(self) -> list[Any]:
        """Every element row loaded so far (tests and selection restore)."""
        out: list[Any] = []
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.kind == KIND_ELEMENT:
                out.append(node.row)
            stack.extend(node.children)
        return out

    def _icon_name(self, node: Node) -> str:
        if node.kind == KIND_PROJECT:
            return "project"
        if node.kind == KIND_CLASS:
            return "classes"
        if node.kind == KIND_SPATIAL:
            return SPATIAL_ICONS.get(node.row.ifc_class, "storey") if node.row is not None else "element"
        return "element"

    def _node(self, index: QModelIndex | QPersistentModelIndex) -> Node:
        return index.internalPointer() if index.isValid() else self.root

    def _index_of(self, node: Node) -> QModelIndex:
        if node is self.root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.index_in_parent(), 0, node)

    def _attached(self, node: Node) -> bool:
        while node.parent is not None:
            if node not in node.parent.children:
                return False
            node = node.parent
        return node is self.root

    def _submit(
        self,
        fn: Callable[[Any], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._in_flight += 1
        if self._in_flight == 1:
            self.loading_changed.emit(True)

        def done(result: Any) -> None:
            if self._disposed:
                return
            self._settle()
            on_done(result)

        def failed(exc: BaseException) -> None:
            if self._disposed:
                return
            self._settle()
            if on_error is not None:
                on_error(exc)
            self.load_failed.emit(str(exc) or type(exc).__name__)

        self.executor.submit(fn, done, failed, label="elements")

    def _settle(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self.loading_changed.emit(False)
