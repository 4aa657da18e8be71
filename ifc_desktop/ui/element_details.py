"""The selected element: attributes, type, materials, classifications, property sets, quantities.

Values a property set inherits from the element's type are shown in italics
with "(from type)", and a type value the occurrence overrides is struck out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLayout,
    QMenu,
    QStackedLayout,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.diff_result import format_value
from ..core.wording import count_of
from . import theme
from .element_models import element_label
from .widgets import WrappingDelegate, WrappingLabel

FROM_TYPE = "(from type)"


def attribute_rows(element: Any, *, with_global_id: bool = True) -> list[tuple[str, Any]]:
    """The element's own attributes that have a value, labelled for a details panel."""
    rows = [
        ("GlobalId", element.global_id if with_global_id else None),
        ("Class", element.ifc_class),
        ("Predefined type", element.predefined_type),
        ("Name", element.name),
        ("Description", element.description),
        ("Object type", element.object_type),
        ("Tag", element.tag),
        ("Long name", element.long_name),
    ]
    return [(label, value) for label, value in rows if value not in (None, "")]


def location_rows(element: Any, places: dict[str, Any]) -> list[tuple[str, str]]:
    """Where the element stands: its storey, its container when that is not the storey, and the
    element it is part of; each by name (and class, unless a storey)."""

    def describe(global_id: str) -> str:
        row = places.get(global_id)
        if row is None:
            return global_id
        name = element_label(row)
        return name if row.ifc_class == "IfcBuildingStorey" else f"{name} ({row.ifc_class})"

    rows = []
    if element.storey_global_id:
        rows.append(("Storey", describe(element.storey_global_id)))
    if element.container_global_id and element.container_global_id != element.storey_global_id:
        rows.append(("Contained in", describe(element.container_global_id)))
    if element.parent_global_id:
        rows.append(("Part of", describe(element.parent_global_id)))
    return rows


def details_pages(
    owner: QWidget, placeholder: QLabel, heading: Sequence[QWidget | QLayout], tree: QTreeWidget
) -> QStackedLayout:
    """A details panel's two pages: the placeholder, and the heading lines above the tree."""
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.setContentsMargins(12, 10, 12, 0)
    layout.setSpacing(2)
    for part in heading:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    layout.addSpacing(6)
    layout.addWidget(tree, 1)
    stack = QStackedLayout(owner)
    stack.addWidget(placeholder)
    stack.addWidget(content)
    return stack


def section_item(tree: QTreeWidget, title: str, font: QFont) -> QTreeWidgetItem:
    """A top-level heading row across every column; it is not selected, so copying skips it."""
    item = QTreeWidgetItem(tree, [title])
    item.setFont(0, font)
    item.setFirstColumnSpanned(True)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
    return item


class ElementDetailsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = WrappingLabel("detailsTitle")
        self.subtitle = WrappingLabel("secondary")
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = QTreeWidget()
        self.tree.setObjectName("elementDetails")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Property", "Value"])
        # Long names and values wrap (two properties starting alike stay told apart).
        self.tree.setUniformRowHeights(False)
        self.tree.setItemDelegate(WrappingDelegate(self.tree))
        self.tree.header().sectionResized.connect(lambda *_args: self.tree.scheduleDelayedItemsLayout())
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().resizeSection(0, 220)
        self.tree.header().setStretchLastSection(True)
        # The name column follows the longest name shown, until the user sizes it.
        self._fitting = False
        self._names_sized_by_user = False
        self.tree.header().sectionResized.connect(self._section_resized)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)

        self.placeholder = QLabel("Select an element to see its properties.", objectName="hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.stack = details_pages(self, self.placeholder, [self.title, self.subtitle], self.tree)

        self._section_font = QFont()
        self._section_font.setWeight(QFont.Weight.DemiBold)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._struck = QFont()
        self._struck.setItalic(True)
        self._struck.setStrikeOut(True)
        self.element: Any = None

    def clear(self, message: str = "Select an element to see its properties.") -> None:
        self.element = None
        self.tree.clear()
        self.placeholder.setText(message)
        self.stack.setCurrentIndex(0)

    def show_loading(self) -> None:
        self.placeholder.setText("Loading…")
        if self.element is None:
            self.stack.setCurrentIndex(0)

    def show_element(self, element: Any, places: dict[str, Any] | None = None) -> None:
        """Fill the panel from a ``core.snapshot.Element``; ``places``: the rows of its storey,
        container and whole by GlobalId (see ``Store.element_rows``), for where it stands."""
        self.element = element
        self.tree.clear()
        self.title.set_wrapped_text(element_label(element))
        predefined = f" · {element.predefined_type}" if element.predefined_type else ""
        self.subtitle.setText(f"{element.ifc_class}{predefined}    {element.global_id}")

        attributes = self._section("Attributes")
        for label, value in attribute_rows(element):
            self._row(attributes, label, value)

        location = location_rows(element, places or {})
        if location:
            section = self._section("Location")
            for label, value in location:
                self._row(section, label, value)

        if element.type_global_id or element.type_name:
            section = self._section("Type")
            self._row(section, "Name", element.type_name or "")
            self._row(section, "Class", element.type_class or "")
            self._row(section, "GlobalId", element.type_global_id or "")

        if element.materials:
            section = self._section(f"Materials ({len(element.materials)})")
            for i, material in enumerate(element.materials, start=1):
                self._row(section, f"Material {i}" if len(element.materials) > 1 else "Material", material)

        if element.classifications:
            section = self._section("Classifications")
            for item in element.classifications:
                label = item.system or "Classification"
                value = " – ".join(v for v in (item.identification, item.name) if v)
                self._row(section, label, value)

        occurrence_values = {
            (pset.name, key) for pset in element.property_sets if pset.source != "type" for key in pset.properties
        }
        psets = [p for p in element.property_sets if p.kind != "qto"]
        qtos = [p for p in element.property_sets if p.kind == "qto"]
        for group_label, group in (("Property sets", psets), ("Quantities", qtos)):
            if not group:
                continue
            header = self._section(group_label)
            for pset in sorted(group, key=lambda p: (p.name.lower(), p.source == "type")):
                inherited = pset.source == "type"
                name = f"{pset.name}  {FROM_TYPE}" if inherited else pset.name
                count = len(pset.properties)
                pset_item = QTreeWidgetItem(header, [name, count_of(count, "value")])
                pset_item.setForeground(1, QBrush(QColor(theme.MUTED)))
                if inherited:
                    pset_item.setFont(0, self._italic)
                    pset_item.setToolTip(0, "Inherited from the element's type")
                for key, value in pset.properties.items():
                    item = QTreeWidgetItem(pset_item, [key, format_value(value)])
                    item.setToolTip(0, key)
                    item.setToolTip(1, format_value(value))
                    if inherited:
                        overridden = (pset.name, key) in occurrence_values
                        font = self._struck if overridden else self._italic
                        item.setFont(0, font)
                        item.setFont(1, font)
                        item.setForeground(0, QBrush(QColor(theme.MUTED)))
                        item.setForeground(1, QBrush(QColor(theme.MUTED)))
                        item.setToolTip(1, "Type value, overridden by the element" if overridden else f"{FROM_TYPE}")
                        item.setData(0, Qt.ItemDataRole.UserRole, "type")
        # Sections and the property sets in them open; the values are the deepest level.
        self.tree.expandToDepth(1)
        self.stack.setCurrentIndex(1)
        self._fit_names()

    def _fit_names(self) -> None:
        """The name column as wide as the longest name shown, between 160 px and half the panel."""
        if self._names_sized_by_user:
            return
        wanted = self.tree.sizeHintForColumn(0) + 12
        limit = max(160, self.tree.viewport().width() // 2)
        self._fitting = True
        self.tree.header().resizeSection(0, max(160, min(wanted, limit)))
        self._fitting = False

    def _section_resized(self, index: int, _old: int, _new: int) -> None:
        if index == 0 and not self._fitting:
            self._names_sized_by_user = True

    def inherited_items(self) -> list[QTreeWidgetItem]:
        """Items showing values inherited from the type (marked in the view)."""
        found = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item.data(0, Qt.ItemDataRole.UserRole) == "type":
                found.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return found

    def _section(self, label: str) -> QTreeWidgetItem:
        return section_item(self.tree, label, self._section_font)

    def _row(self, parent: QTreeWidgetItem, label: str, value: Any) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [label, format_value(value)])
        item.setForeground(0, QBrush(QColor("#424242")))
        return item

    def _menu(self, pos) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        menu = QMenu(self)
        copy_value = menu.addAction(theme.icon("copy"), "Copy value")
        copy_row = menu.addAction("Copy name and value")
        chosen = menu.exec(self.tree.viewport().mapToGlobal(pos))
        if chosen is copy_value:
            QGuiApplication.clipboard().setText("\n".join(item.text(1) for item in items))
        elif chosen is copy_row:
            QGuiApplication.clipboard().setText("\n".join(f"{item.text(0)}\t{item.text(1)}" for item in items))
