"""The compare view's table: one row per added, removed or changed element, filtered and sorted in Python.

A comparison of two large versions can hold tens of thousands of changes.
``QSortFilterProxyModel`` would call back into Python for every row on every
keystroke and for every comparison while sorting; this model instead keeps a
list of visible row numbers, rebuilt with one list comprehension per filter
change and one ``list.sort`` per sort, and the view only asks for the rows it
paints. The search text of every change is computed once, off the GUI thread
(``search_texts``), with the same rules as ``DiffResult.matching``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..core.diff_result import ADDED, CHANGED, KIND_ORDER, PLACEMENT, PROPERTY, QUANTITY, REMOVED, ElementChange
from . import theme

COLUMNS = ("Change", "Name", "Class", "Storey", "What changed", "GlobalId")
COL_KIND, COL_NAME, COL_CLASS, COL_STOREY, COL_WHAT, COL_GLOBAL_ID = range(len(COLUMNS))
KIND_LABELS = {ADDED: "Added", REMOVED: "Removed", CHANGED: "Changed"}

ChangeRole = Qt.ItemDataRole.UserRole + 1  # the ElementChange of a row
KindRole = Qt.ItemDataRole.UserRole + 2  # "added" | "removed" | "changed"

WHAT_CHANGED_FIELDS = 4  # field names listed in the "What changed" column before "+N more"


def search_texts(changes: Sequence[ElementChange]) -> list[str]:
    """What the text filter looks at, per change (slow for large comparisons: run it off the GUI thread)."""
    return [change.search_text() for change in changes]


def what_changed(change: ElementChange) -> str:
    """A one-line list of a change's fields, e.g. "Name, Placement (moved 1 metre)"."""
    if change.kind != CHANGED:
        return ""
    parts = []
    for f in change.fields[:WHAT_CHANGED_FIELDS]:
        label = f.field
        if f.category in (PROPERTY, QUANTITY) and "." in label:
            label = label.rsplit(".", 1)[1]  # the property; its set is in the tooltip and the details
        elif f.category == PLACEMENT and f.note:
            label = f"{label} ({f.note})"
        if f.kind == ADDED:
            label = f"+{label}"
        elif f.kind == REMOVED:
            label = f"−{label}"
        parts.append(label)
    more = len(change.fields) - WHAT_CHANGED_FIELDS
    if more > 0:
        parts.append(f"+{more} more")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    """What the table shows; None means no restriction (as in ``DiffResult.matching``)."""

    kinds: frozenset[str] | None = None
    classes: frozenset[str] | None = None
    storeys: frozenset[str] | None = None
    text: str = ""

    @classmethod
    def of(
        cls,
        kinds: Collection[str] | None = None,
        classes: Collection[str] | None = None,
        storeys: Collection[str] | None = None,
        text: str = "",
    ) -> ChangeFilter:
        return cls(
            None if kinds is None else frozenset(kinds),
            None if classes is None else frozenset(classes),
            None if storeys is None else frozenset(storeys),
            text,
        )

    def is_empty(self) -> bool:
        return self.kinds is None and self.classes is None and self.storeys is None and not self.text.strip()


class ChangeTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._changes: list[ElementChange] = []
        self._texts: list[str] = []
        self._what: dict[int, str] = {}
        self._order: list[int] = []  # every change, in the current sort order
        self._rows: list[int] = []  # the visible ones, in that order
        self._filter = ChangeFilter()
        self._sort: tuple[int, Qt.SortOrder] = (COL_KIND, Qt.SortOrder.AscendingOrder)
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)
        self._italic = QFont()
        self._italic.setItalic(True)

    # -- content ---------------------------------------------------------------------------

    def set_changes(self, changes: Sequence[ElementChange], texts: Sequence[str] | None = None) -> None:
        """Show ``changes`` (in the order given, which is the comparison's own: kind, class, name)."""
        self.beginResetModel()
        self._changes = list(changes)
        self._texts = list(texts) if texts is not None else search_texts(self._changes)
        self._what = {}
        self._order = self._sorted_order(*self._sort)
        self._rows = self._visible(self._order)
        self.endResetModel()

    def set_filter(self, change_filter: ChangeFilter) -> None:
        if change_filter == self._filter:
            return
        self.beginResetModel()
        self._filter = change_filter
        self._rows = self._visible(self._order)
        self.endResetModel()

    def current_filter(self) -> ChangeFilter:
        return self._filter

    def total(self) -> int:
        return len(self._changes)

    def change_at(self, row: int) -> ElementChange:
        return self._changes[self._rows[row]]

    def visible_changes(self) -> list[ElementChange]:
        return [self._changes[i] for i in self._rows]

    def row_of(self, change: ElementChange) -> int | None:
        for row, i in enumerate(self._rows):
            if self._changes[i] is change:
                return row
        return None

    # -- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i = self._rows[index.row()]
        change = self._changes[i]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_KIND:
                return KIND_LABELS[change.kind]
            if col == COL_CLASS:
                return change.ifc_class
            if col == COL_NAME:
                return change.name or f"{change.ifc_class} (unnamed)"
            if col == COL_STOREY:
                return change.storey
            if col == COL_WHAT:
                return self._what_changed(i)
            if col == COL_GLOBAL_ID:
                return change.global_id
            return None
        if role == ChangeRole:
            return change
        if role == KindRole:
            return change.kind
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_STOREY, COL_GLOBAL_ID, COL_CLASS):
            return QColor(theme.MUTED)
        if role == Qt.ItemDataRole.FontRole and col == COL_NAME and not change.name:
            return self._italic
        if role == Qt.ItemDataRole.DecorationRole and col == COL_GLOBAL_ID and change.duplicate:
            return theme.icon("warning")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_GLOBAL_ID and change.duplicate:
                return f"{change.global_id} is used by more than one element; elements were paired by content."
            if col == COL_WHAT and change.kind == CHANGED:
                return "\n".join(f.field + (f" ({f.note})" if f.note else "") for f in change.fields)
            if col == COL_NAME:
                return change.name or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._order = self._sorted_order(column, order)
        self._rows = self._visible(self._order)
        self.layoutChanged.emit()

    # -- internals ---------------------------------------------------------------------------

    def _what_changed(self, i: int) -> str:
        text = self._what.get(i)
        if text is None:
            text = self._what[i] = what_changed(self._changes[i])
        return text

    def _sorted_order(self, column: int, order: Qt.SortOrder) -> list[int]:
        changes = self._changes
        keys = {
            COL_KIND: lambda i: KIND_ORDER[changes[i].kind],
            COL_CLASS: lambda i: changes[i].ifc_class.casefold(),
            COL_NAME: lambda i: (changes[i].name or "").casefold(),
            COL_STOREY: lambda i: changes[i].storey.casefold(),
            COL_WHAT: lambda i: self._what_changed(i).casefold(),
            COL_GLOBAL_ID: lambda i: changes[i].global_id,
        }
        # A stable sort: rows that tie keep the comparison's own order.
        return sorted(range(len(changes)), key=keys[column], reverse=order == Qt.SortOrder.DescendingOrder)

    def _visible(self, order: list[int]) -> list[int]:
        f = self._filter
        if f.is_empty():
            return list(order)
        changes, texts = self._changes, self._texts
        kinds, classes, storeys = f.kinds, f.classes, f.storeys
        needle = f.text.strip().casefold()
        return [
            i
            for i in order
            if (kinds is None or changes[i].kind in kinds)
            and (classes is None or changes[i].ifc_class in classes)
            and (storeys is None or changes[i].storey_group in storeys)
            and (not needle or needle in texts[i])
        ]


class KindPillDelegate(QStyledItemDelegate):
    """The change kind as a small coloured pill ("Added", "Removed", "Changed")."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        fg, bg = theme.KIND_COLORS.get(index.data(KindRole) or "", (theme.MUTED, "#f0f0f0"))
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + 16
        height = min(option.rect.height() - 8, metrics.height() + 4)
        pill = QRectF(option.rect.left() + 6, option.rect.center().y() - height / 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor(fg))
        painter.setFont(font)
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width() + 24, 92), hint.height())


CountsRole = Qt.ItemDataRole.UserRole + 20  # (added, removed, changed) or None


class ChangeCountsDelegate(QStyledItemDelegate):
    """ "+added −removed ~changed" in three aligned, coloured parts; zeros are grey."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        counts = index.data(CountsRole)
        if counts is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        metrics = QFontMetrics(option.font)
        slot = metrics.horizontalAdvance("+0000") + 8
        x = option.rect.left() + 6
        painter.save()
        painter.setFont(option.font)
        colors = (theme.ADDED_FG, theme.REMOVED_FG, theme.CHANGED_FG)
        for symbol, value, color in zip("+−~", counts, colors, strict=True):
            text = f"{symbol}{value:,}"
            width = max(slot, metrics.horizontalAdvance(text) + 8)
            painter.setPen(QColor(color if value else "#a8a8a8"))
            rect = QRectF(x, option.rect.top(), width, option.rect.height())
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
            x += width
        painter.restore()
