"""The model list on the left: one two-line entry per model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ..core.wording import count_of
from . import theme
from .delegates import paint_item_background

ModelRole = Qt.ItemDataRole.UserRole + 1
ModelIdRole = Qt.ItemDataRole.UserRole + 2


def model_summary(model: Any) -> str:
    parts = []
    if model.schema:
        parts.append(model.schema)
    if model.current_version_number:
        total = f" of {model.version_count}" if model.version_count and model.version_count > 1 else ""
        parts.append(f"v{model.current_version_number}{total}")
    if model.element_count is not None:
        parts.append(count_of(model.element_count, "element"))
    return " · ".join(parts)


class ModelListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._models: list[Any] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._models)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._models):
            return None
        model = self._models[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return model.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{model.name}\n{model_summary(model)}"
        if role == ModelRole:
            return model
        if role == ModelIdRole:
            return model.id
        return None

    def set_models(self, models: list[Any]) -> None:
        """Replace the list, keeping rows in place when only their content changed."""
        if [m.id for m in models] == [m.id for m in self._models]:
            self._models = list(models)
            if models:
                self.dataChanged.emit(self.index(0), self.index(len(models) - 1))
            return
        self.beginResetModel()
        self._models = list(models)
        self.endResetModel()

    def models(self) -> list[Any]:
        return list(self._models)

    def row_of(self, model_id: int) -> int | None:
        for row, model in enumerate(self._models):
            if model.id == model_id:
                return row
        return None


class ModelDelegate(QStyledItemDelegate):
    """Name on the first line, schema · version · element count on the second."""

    PADDING = 8
    ICON = 20

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        paint_item_background(self, painter, option, index)
        model = index.data(ModelRole)
        if model is None:
            return
        rect = option.rect.adjusted(self.PADDING, self.PADDING - 2, -self.PADDING, -self.PADDING + 2)
        painter.save()
        icon_rect = QRect(rect.left(), rect.top() + 2, self.ICON, self.ICON)
        theme.icon("model").paint(painter, icon_rect)
        text_left = icon_rect.right() + 10
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(name_font)
        name_rect = QRect(text_left, rect.top(), rect.right() - text_left, metrics.height())
        painter.setFont(name_font)
        painter.setPen(QColor("#1f1f1f"))
        painter.drawText(
            name_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(model.name, Qt.TextElideMode.ElideMiddle, name_rect.width()),
        )
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 0.5))
        small_metrics = QFontMetrics(small)
        info_rect = QRect(text_left, name_rect.bottom() + 3, name_rect.width(), small_metrics.height())
        painter.setFont(small)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(
            info_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            small_metrics.elidedText(model_summary(model), Qt.TextElideMode.ElideRight, info_rect.width()),
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + self.PADDING * 2 + 4)


class ModelsPanel(QFrame):
    """Header plus list; emits the selected model's id (None when nothing is selected)."""

    model_selected = Signal(object)
    rename_requested = Signal(int)  # model id

    def __init__(self, model: ModelListModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.model = model
        self.title = QLabel("Models", objectName="panelTitle")
        self.count = QLabel("", objectName="secondary")
        self.list = QListView()
        self.list.setObjectName("modelList")
        self.list.setModel(model)
        self.list.setItemDelegate(ModelDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.rename_action = QAction("Rename…", self.list)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.rename_action.triggered.connect(self._rename_current)
        self.list.addAction(self.rename_action)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.empty = QLabel("No models yet.\nDrop IFC files to start.", objectName="hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 8, 6, 6)
        layout.setSpacing(6)
        head = QWidget()
        row = QHBoxLayout(head)
        row.setContentsMargins(2, 0, 2, 0)
        row.addWidget(self.title)
        row.addStretch(1)
        row.addWidget(self.count)
        layout.addWidget(head)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        model.modelReset.connect(self._refresh_count)
        model.dataChanged.connect(self._refresh_count)
        self._refresh_count()

    def set_models(self, models: list[Any], preferred: int | None = None) -> None:
        """Replace the list and keep the selection (or select ``preferred``, else the first model)."""
        current = self.current_model_id()
        self.model.set_models(models)
        target = current if current is not None and self.model.row_of(current) is not None else None
        if target is None and preferred is not None and self.model.row_of(preferred) is not None:
            target = preferred
        if target is None and models:
            target = models[0].id
        if target is not None and target != self.current_model_id():
            self.select_model(target)
        elif target is None and current is not None:
            self.model_selected.emit(None)

    def _rename_current(self) -> None:
        model_id = self.current_model_id()
        if model_id is not None:
            self.rename_requested.emit(model_id)

    def current_model_id(self) -> int | None:
        index = self.list.currentIndex()
        return index.data(ModelIdRole) if index.isValid() else None

    def current_model(self) -> Any:
        index = self.list.currentIndex()
        return index.data(ModelRole) if index.isValid() else None

    def select_model(self, model_id: int) -> None:
        row = self.model.row_of(model_id)
        if row is not None:
            self.list.setCurrentIndex(self.model.index(row))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.model_selected.emit(current.data(ModelIdRole) if current.isValid() else None)

    def _refresh_count(self, *_args: Any) -> None:
        n = self.model.rowCount()
        self.count.setText(str(n) if n else "")
        self.list.setVisible(n > 0)
        self.empty.setVisible(n == 0)
