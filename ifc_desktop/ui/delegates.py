"""Item delegates: the per-job progress bar, painted (no widget per row), and the shared cell background."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from . import theme
from .job_model import ProgressRole, StateRole

_BAR_COLORS = {
    "SUCCESS": "#3fa33f",
    "FAILURE": theme.FAILURE,
    "CANCELLED": "#b0b0b0",
    "RETRY": theme.WARNING,
}


def paint_item_background(
    delegate: QStyledItemDelegate,
    painter: QPainter,
    option: QStyleOptionViewItem,
    index: QModelIndex | QPersistentModelIndex,
) -> None:
    """The cell's background and selection as the style draws them, for a delegate that paints its own content."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    opt.icon = QIcon()
    if opt.widget is not None:
        opt.widget.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget)


class ProgressBarDelegate(QStyledItemDelegate):
    BAR_HEIGHT = 6
    TEXT_WIDTH = 40

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        paint_item_background(self, painter, option, index)
        fraction = float(index.data(ProgressRole) or 0.0)
        state = index.data(StateRole) or ""
        rect = option.rect.adjusted(8, 0, -8, 0)
        bar_width = max(10, rect.width() - self.TEXT_WIDTH)
        bar = QRectF(rect.left(), rect.center().y() - self.BAR_HEIGHT / 2 + 1, bar_width, self.BAR_HEIGHT)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e6e6e6"))
        painter.drawRoundedRect(bar, 3, 3)
        if fraction > 0 and state != "CANCELLED":  # a cancelled job's bar would look stuck, not stopped
            fill = QRectF(bar)
            fill.setWidth(max(self.BAR_HEIGHT, bar.width() * min(1.0, fraction)))
            painter.setBrush(QColor(_BAR_COLORS.get(state, theme.ACCENT)))
            painter.drawRoundedRect(fill, 3, 3)
        painter.setPen(QColor(theme.MUTED))
        text_rect = QRectF(bar.right() + 6, option.rect.top(), self.TEXT_WIDTH - 6, option.rect.height())
        label = "" if state in ("FAILURE", "CANCELLED") else f"{fraction * 100:.0f}%"
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), label)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 160), hint.height())


class MiddleElideDelegate(QStyledItemDelegate):
    """Text cut in the middle: file and model names differ at their ends ("Project_…_v12.ifc")."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
