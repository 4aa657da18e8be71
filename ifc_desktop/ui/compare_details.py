"""The selected change in the compare view: every changed field, before → after.

Changed elements list their changed fields by kind (attributes, relations,
placement, properties, quantities), properties grouped by property set. A field
that exists in one version only is marked "added" or "removed"; a placement
shows where the element was and is, and how far it moved or turned. Added and
removed elements show what they hold in the one version they exist in.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ..core.diff_result import (
    ADDED,
    ATTRIBUTE,
    CHANGED,
    PLACEMENT,
    PROPERTY,
    QUANTITY,
    RELATION,
    REMOVED,
    ElementChange,
    FieldChange,
    format_value,
)
from ..core.snapshot import KIND_QTO, Element
from . import theme
from .compare_models import KIND_LABELS
from .element_details import attribute_rows, details_pages, section_item
from .widgets import ColumnShares, WrappingDelegate, WrappingLabel, isolated

SECTION_TITLES = {
    ATTRIBUTE: "Attributes",
    RELATION: "Relations",
    PLACEMENT: "Placement",
    PROPERTY: "Property sets",
    QUANTITY: "Quantities",
}
SECTION_ORDER = (ATTRIBUTE, RELATION, PLACEMENT, PROPERTY, QUANTITY)
NOT_SET = "—"
MARK = {ADDED: "added", REMOVED: "removed"}
_AXES = (("origin", "Position"), ("x_axis", "X axis"), ("z_axis", "Z axis"))


class ChangeDetailsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.change: ElementChange | None = None
        self.title = WrappingLabel("detailsTitle")
        self.badge = QLabel("", objectName="badge")
        self.subtitle = WrappingLabel("secondary")
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.duplicate_note = WrappingLabel("secondary")
        self.duplicate_note.hide()

        self.tree = QTreeWidget()
        self.tree.setObjectName("changeDetails")
        self.tree.setColumnCount(3)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Values wrap onto a second line rather than being cut short: they are what people came for.
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 160)
        self.column_shares = ColumnShares(self.tree, {0: (0.36, 90, 220)})
        # Wrapped rows change height with their column: lay the rows out again after a resize.
        header.sectionResized.connect(lambda *_args: self.tree.scheduleDelayedItemsLayout())
        wrap = WrappingDelegate(self.tree)
        self.tree.setItemDelegateForColumn(0, wrap)  # long property names wrap rather than lose their end
        self.tree.setIndentation(14)
        self.tree.setItemDelegateForColumn(1, wrap)
        self.tree.setItemDelegateForColumn(2, wrap)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)

        self.placeholder = QLabel("Select a change to see what is different.", objectName="hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.setSpacing(8)
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)

        self.stack = details_pages(self, self.placeholder, [title_row, self.subtitle, self.duplicate_note], self.tree)

        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._struck = QFont()
        self._struck.setStrikeOut(True)

    # -- public ------------------------------------------------------------------------------

    def clear(self, message: str = "Select a change to see what is different.") -> None:
        self.change = None
        self.tree.clear()
        self.placeholder.setText(message)
        self.stack.setCurrentIndex(0)

    def show_change(self, change: ElementChange, old_label: str = "Before", new_label: str = "After") -> None:
        self.change = change
        self.tree.clear()
        self.title.set_wrapped_text(change.name or f"{change.ifc_class} (unnamed)")
        self.badge.setText(KIND_LABELS[change.kind])
        self.badge.setProperty("kind", change.kind)
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self.subtitle.setText(f"{change.ifc_class}  ·  {isolated(change.storey)}  ·  {change.global_id}")
        self.duplicate_note.setVisible(change.duplicate)
        if change.duplicate:
            self.duplicate_note.setText(
                f"<span style='color:{theme.WARNING}'>⚠ This GlobalId is used by more than one element; "
                "elements sharing it were paired by their content.</span>"
            )
        if change.kind == CHANGED:
            self.tree.setHeaderLabels(["Field", old_label, new_label])
            self.tree.setColumnHidden(2, False)
            self._fill_changed(change)
        else:
            element = change.new if change.kind == ADDED else change.old
            where = new_label if change.kind == ADDED else old_label
            self.tree.setHeaderLabels(["Field", f"In {where} only", ""])
            self.tree.setColumnHidden(2, True)
            self._fill_whole(change, element)
        self.tree.expandAll()
        self.stack.setCurrentIndex(1)

    def rows(self) -> list[tuple[str, str, str]]:
        """Every row's (field, before, after) texts, depth first (for tests and copy)."""
        out: list[tuple[str, str, str]] = []

        def walk(item: QTreeWidgetItem) -> None:
            out.append((item.text(0), item.text(1), item.text(2)))
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    # -- changed elements --------------------------------------------------------------------

    def _fill_changed(self, change: ElementChange) -> None:
        by_category: dict[str, list[FieldChange]] = {}
        for f in change.fields:
            by_category.setdefault(f.category, []).append(f)
        pset_names = _pset_names(change.old) | _pset_names(change.new)
        for category in SECTION_ORDER:
            fields = by_category.get(category)
            if not fields:
                continue
            section = self._section(f"{SECTION_TITLES[category]} ({len(fields)})")
            if category == PLACEMENT:
                for f in fields:
                    self._placement(section, f)
            elif category in (PROPERTY, QUANTITY):
                groups: dict[str, QTreeWidgetItem] = {}
                for f in fields:
                    if f.kind != CHANGED and f.field in pset_names and _is_set(f):
                        self._whole_set(section, f)
                        continue
                    pset, name = _split_field(f.field, pset_names)
                    if pset not in groups:
                        groups[pset] = self._group(section, pset)
                    self._field(groups[pset], name, f)
            else:
                for f in fields:
                    self._field(section, _field_label(f.field), f)

    def _field(self, parent: QTreeWidgetItem, label: str, f: FieldChange) -> QTreeWidgetItem:
        old = NOT_SET if f.kind == ADDED else format_value(f.old)
        new = NOT_SET if f.kind == REMOVED else format_value(f.new)
        if f.kind in MARK:
            label = f"{label}  ({MARK[f.kind]})"
        item = QTreeWidgetItem(parent, [label, old, new])
        item.setToolTip(1, format_value(f.old))
        item.setToolTip(2, format_value(f.new))
        if f.kind == ADDED:
            item.setForeground(0, QBrush(QColor(theme.ADDED_FG)))
            item.setForeground(1, QBrush(QColor("#a0a0a0")))
            item.setForeground(2, QBrush(QColor(theme.ADDED_FG)))
        elif f.kind == REMOVED:
            item.setForeground(0, QBrush(QColor(theme.REMOVED_FG)))
            item.setForeground(1, QBrush(QColor(theme.REMOVED_FG)))
            item.setFont(1, self._struck)
            item.setForeground(2, QBrush(QColor("#a0a0a0")))
        else:
            item.setForeground(1, QBrush(QColor(theme.REMOVED_FG)))
            item.setForeground(2, QBrush(QColor(theme.ADDED_FG)))
        if f.note:
            self._note(parent, f.note)
        return item

    def _whole_set(self, parent: QTreeWidgetItem, f: FieldChange) -> None:
        """A property set present in one version only: the set, marked, with its values."""
        values = f.new if f.kind == ADDED else f.old
        group = self._group(parent, f"{f.field}  (set {MARK[f.kind]})")
        group.setForeground(0, QBrush(QColor(theme.ADDED_FG if f.kind == ADDED else theme.REMOVED_FG)))
        for name, value in (values or {}).items():
            old, new = (None, value) if f.kind == ADDED else (value, None)
            self._field(group, str(name), FieldChange(str(name), old, new, f.category, f.kind))

    def _placement(self, parent: QTreeWidgetItem, f: FieldChange) -> None:
        old, new = f.old or {}, f.new or {}
        shown = False
        for key, label in _AXES:
            before, after = old.get(key), new.get(key)
            if key != "origin" and _axis_text(before) == _axis_text(after):
                continue
            item = QTreeWidgetItem(parent, [label, _axis_text(before) or NOT_SET, _axis_text(after) or NOT_SET])
            item.setForeground(1, QBrush(QColor(theme.REMOVED_FG)))
            item.setForeground(2, QBrush(QColor(theme.ADDED_FG)))
            shown = True
        if not shown:
            self._field(parent, "Placement", f)
            return
        if f.note:
            self._note(parent, f.note)

    def _note(self, parent: QTreeWidgetItem, note: str) -> None:
        item = QTreeWidgetItem(parent, [f"↳ {note}"])
        item.setFirstColumnSpanned(True)
        item.setFont(0, self._italic)
        item.setForeground(0, QBrush(QColor(theme.ACCENT)))

    # -- added and removed elements -----------------------------------------------------------

    def _fill_whole(self, change: ElementChange, element: Element | None) -> None:
        if element is None:
            return
        section = self._section("Attributes")
        for label, value in attribute_rows(element, with_global_id=False):
            self._value(section, label, value)
        section = self._section("Relations")
        self._value(section, "Storey", change.storey)
        if element.type_class or element.type_name:
            self._value(section, "Type", f"{element.type_name or '(unnamed)'} ({element.type_class})")
        if element.materials:
            self._value(section, "Materials", element.materials)
        for c in element.classifications:
            self._value(section, c.system or "Classification", " – ".join(v for v in (c.identification, c.name) if v))
        if element.placement is not None:
            section = self._section("Placement")
            self._value(section, "Position", _axis_text(list(element.placement[:3])))
        for title, qto in (("Property sets", False), ("Quantities", True)):
            psets = [p for p in element.property_sets if (p.kind == KIND_QTO) == qto]
            if not psets:
                continue
            section = self._section(title)
            for pset in sorted(psets, key=lambda p: (p.name.casefold(), p.source)):
                label = f"{pset.name}  (from type)" if pset.source == "type" else pset.name
                group = self._group(section, label)
                for name, value in pset.properties.items():
                    self._value(group, str(name), value)

    def _value(self, parent: QTreeWidgetItem, label: str, value: Any) -> QTreeWidgetItem:
        text = format_value(value)
        item = QTreeWidgetItem(parent, [label, text])
        item.setToolTip(1, text)
        color = theme.ADDED_FG if self.change is not None and self.change.kind == ADDED else theme.REMOVED_FG
        item.setForeground(1, QBrush(QColor(color)))
        return item

    # -- helpers --------------------------------------------------------------------------------

    def _section(self, title: str) -> QTreeWidgetItem:
        return section_item(self.tree, title, self._bold)

    def _group(self, parent: QTreeWidgetItem, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [title])
        item.setFirstColumnSpanned(True)
        item.setForeground(0, QBrush(QColor("#424242")))
        return item

    def _menu(self, pos) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        menu = QMenu(self)
        copy_rows = menu.addAction(theme.icon("copy"), "Copy")
        chosen = menu.exec(self.tree.viewport().mapToGlobal(pos))
        if chosen is copy_rows:
            lines = ["\t".join(t for t in (item.text(0), item.text(1), item.text(2)) if t) for item in items]
            QGuiApplication.clipboard().setText("\n".join(lines))


def _pset_names(element: Element | None) -> set[str]:
    return {p.name for p in element.property_sets} if element is not None else set()


def _is_set(f: FieldChange) -> bool:
    value = f.new if f.kind == ADDED else f.old
    return isinstance(value, dict)


def _split_field(field: str, pset_names: set[str]) -> tuple[str, str]:
    """ "Pset_WallCommon.FireRating" -> ("Pset_WallCommon", "FireRating"); set names may contain dots."""
    for name in sorted(pset_names, key=len, reverse=True):
        if field.startswith(name + "."):
            return name, field[len(name) + 1 :]
    head, _, tail = field.partition(".")
    return (head, tail) if tail else ("", field)


def _field_label(field: str) -> str:
    return {"PredefinedType": "Predefined type", "ObjectType": "Object type", "LongName": "Long name"}.get(field, field)


def _axis_text(value: Any) -> str:
    if not value:
        return ""
    return "(" + ", ".join(format_value(float(v)) for v in value) + ")"
