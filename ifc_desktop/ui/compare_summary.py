"""The top of the compare view: the counts, changes by class and by storey, and base quantity totals."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.diff_result import (
    ADDED,
    CHANGED,
    REMOVED,
    ChangeCounts,
    DiffResult,
    QuantityTotal,
    format_number,
    noise_equal_number,
)
from . import theme
from .formatting import format_count

GroupRole = Qt.ItemDataRole.UserRole + 1  # class or storey label of a row


class StatCard(QFrame):
    """A number with a caption; clicking it filters the table to that kind of change."""

    clicked = Signal(str)

    def __init__(self, kind: str, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("statCard")
        self.setProperty("kind", kind)
        self.value = QLabel("0", objectName="statValue")
        self.caption = QLabel(caption, objectName="statCaption")
        fg, _bg = theme.KIND_COLORS.get(kind, (theme.MUTED, ""))
        self.value.setStyleSheet(f"color: {fg};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        if kind in theme.KIND_COLORS:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(f"Show only {caption.lower()} elements")

    def set_value(self, value: int) -> None:
        self.value.setText(format_count(value))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.kind in theme.KIND_COLORS:
            self.clicked.emit(self.kind)
        super().mouseReleaseEvent(event)


class CompareSummary(QWidget):
    kind_clicked = Signal(str)
    class_clicked = Signal(str)
    storey_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cards = {
            ADDED: StatCard(ADDED, "Added"),
            REMOVED: StatCard(REMOVED, "Removed"),
            CHANGED: StatCard(CHANGED, "Changed"),
            "unchanged": StatCard("unchanged", "Unchanged"),
        }
        for card in self.cards.values():
            card.clicked.connect(self.kind_clicked)
        self.elements = QLabel("", objectName="secondary")
        self.elements.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.elements.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        cards = QHBoxLayout()
        cards.setContentsMargins(0, 0, 0, 0)
        cards.setSpacing(8)
        for card in self.cards.values():
            cards.addWidget(card)
        cards.addStretch(1)
        cards.addWidget(self.elements)

        self.by_class = _count_tree("Class")
        self.by_storey = _count_tree("Storey")
        self.by_class.itemClicked.connect(lambda item, _col: self._group_clicked(item, self.class_clicked))
        self.by_storey.itemClicked.connect(lambda item, _col: self._group_clicked(item, self.storey_clicked))
        self.quantities = QTreeWidget()
        self.quantities.setObjectName("summaryTable")
        self.quantities.setColumnCount(4)
        self.quantities.setHeaderLabels(["Base quantity", "Before", "After", "Change"])
        self.quantities.setRootIsDecorated(True)
        self.quantities.setUniformRowHeights(True)
        self.quantities.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.quantities.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.quantities.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
            self.quantities.headerItem().setTextAlignment(col, Qt.AlignmentFlag.AlignRight)

        tables = QHBoxLayout()
        tables.setContentsMargins(0, 0, 0, 0)
        tables.setSpacing(8)
        tables.addWidget(_card("By class", self.by_class), 3)
        tables.addWidget(_card("By storey", self.by_storey), 3)
        tables.addWidget(_card("Quantities, before → after", self.quantities), 4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(cards)
        layout.addLayout(tables, 1)

        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)

    def set_result(self, result: DiffResult) -> None:
        s = result.summary
        self.cards[ADDED].set_value(s.counts.added)
        self.cards[REMOVED].set_value(s.counts.removed)
        self.cards[CHANGED].set_value(s.counts.changed)
        self.cards["unchanged"].set_value(s.unchanged)
        self.elements.setText(
            f"{format_count(s.old_count)} → {format_count(s.new_count)} elements<br>"
            f"placement tolerance {_length(result.tolerance, result.length_unit)}"
        )
        _fill_counts(self.by_class, s.by_class, "No element changed")
        _fill_counts(self.by_storey, s.by_storey, "No element changed")
        self._fill_quantities(result)

    def quantity_rows(self) -> list[tuple[str, ...]]:
        """(group, quantity, before, after, change) of every quantity row (tests)."""
        rows = []
        for i in range(self.quantities.topLevelItemCount()):
            group = self.quantities.topLevelItem(i)
            for j in range(group.childCount()):
                item = group.child(j)
                if item.childCount():
                    for k in range(item.childCount()):
                        leaf = item.child(k)
                        rows.append((item.text(0), *(leaf.text(c) for c in range(4))))
                else:
                    rows.append((group.text(0), *(item.text(c) for c in range(4))))
        return rows

    # -- internals -----------------------------------------------------------------------------

    def _fill_quantities(self, result: DiffResult) -> None:
        tree = self.quantities
        tree.clear()
        s = result.summary
        if not s.quantities:
            item = QTreeWidgetItem(tree, ["Neither version has base quantities"])
            item.setForeground(0, QBrush(QColor(theme.MUTED)))
            item.setFirstColumnSpanned(True)
            return
        changed_any = False
        whole = [t for t in s.quantities.values() if not noise_equal_number(t.before, t.after)]
        if whole:
            changed_any = True
            model = self._quantity_group("Whole model")
            for total in whole:
                self._total_row(model, total.quantity, total)
        by_group = (("By class", s.quantities_by_class), ("By storey", s.quantities_by_storey))
        for title, groups in by_group:
            changed = {
                name: [t for t in totals.values() if not noise_equal_number(t.before, t.after)]
                for name, totals in groups.items()
            }
            changed = {name: totals for name, totals in changed.items() if totals}
            if not changed:
                continue
            changed_any = True
            section = self._quantity_group(title)
            for name, totals in changed.items():
                if len(totals) == 1:
                    self._total_row(section, f"{name}: {totals[0].quantity}", totals[0])
                    continue
                group = QTreeWidgetItem(section, [name])
                group.setFirstColumnSpanned(True)
                for total in totals:
                    self._total_row(group, total.quantity, total)
        if not changed_any:
            item = QTreeWidgetItem(tree, ["No base quantity total changed"])
            item.setForeground(0, QBrush(QColor(theme.MUTED)))
            item.setFirstColumnSpanned(True)
        tree.expandToDepth(0)

    def _quantity_group(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.quantities, [title])
        item.setFont(0, self._bold)
        item.setFirstColumnSpanned(True)
        return item

    def _total_row(self, parent: QTreeWidgetItem, label: str, total: QuantityTotal) -> None:
        same = noise_equal_number(total.before, total.after)
        unit = f" {_unit(total.unit)}" if total.unit else ""
        change = "±0" if same else ("+" if total.delta > 0 else "−") + format_number(round(abs(total.delta), 3))
        item = QTreeWidgetItem(
            parent,
            [label, _amount(total.before), _amount(total.after), change + unit],
        )
        item.setToolTip(
            0,
            f"{total.quantity}: {format_number(total.before)} → {format_number(total.after)}{unit}\n"
            f"{total.count_before} → {total.count_after} elements have it",
        )
        for col in (1, 2, 3):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        muted = QBrush(QColor(theme.MUTED))
        item.setForeground(1, muted)
        if same:
            item.setForeground(3, muted)
        else:
            item.setForeground(3, QBrush(QColor(theme.ADDED_FG if total.delta > 0 else theme.REMOVED_FG)))

    def _group_clicked(self, item: QTreeWidgetItem, signal) -> None:
        group = item.data(0, GroupRole)
        if group is not None:
            signal.emit(group)


def _length(value: float, unit: str) -> str:
    """A short length: 0.001 metre reads as 1 mm."""
    if unit in ("metre", "meter") and 0 < value < 0.1:
        return f"{format_number(value * 1000)} mm"
    return f"{format_number(value)} {unit}"


def _unit(unit: str) -> str:
    """ "m2" -> "m²", "mm3" -> "mm³"."""
    match = re.fullmatch(r"([a-zA-Z]+)([23])", unit)
    return match.group(1) + "²³"[int(match.group(2)) - 2] if match else unit


def _amount(value: float) -> str:
    return format_number(round(value, 3))


def _count_tree(title: str) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setObjectName("summaryTable")
    tree.setColumnCount(4)
    tree.setHeaderLabels([title, "+", "−", "~"])
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tree.setToolTip("Click a row to show only its changes")
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for col in (1, 2, 3):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(col, 44)
        tree.headerItem().setTextAlignment(col, Qt.AlignmentFlag.AlignRight)
    return tree


def _fill_counts(tree: QTreeWidget, groups: dict[str, ChangeCounts], empty: str) -> None:
    tree.clear()
    if not groups:
        item = QTreeWidgetItem(tree, [empty])
        item.setForeground(0, QBrush(QColor(theme.MUTED)))
        return
    colors = (theme.ADDED_FG, theme.REMOVED_FG, theme.CHANGED_FG)
    for name, counts in groups.items():
        values = counts.as_tuple()
        item = QTreeWidgetItem(tree, [name, *(format_count(v) if v else "·" for v in values)])
        item.setData(0, GroupRole, name)
        item.setToolTip(0, f"{name}: {counts.added} added, {counts.removed} removed, {counts.changed} changed")
        for col, (value, color) in enumerate(zip(values, colors, strict=True), start=1):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setForeground(col, QBrush(QColor(color if value else "#b0b0b0")))


def _card(title: str, body: QWidget) -> QFrame:
    frame = QFrame()
    frame.setObjectName("summaryCard")
    label = QLabel(title, objectName="panelTitle")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 6, 4, 4)
    layout.setSpacing(2)
    layout.addWidget(label)
    layout.addWidget(body, 1)
    return frame
