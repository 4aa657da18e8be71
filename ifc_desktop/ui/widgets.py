"""Small pieces of the window: the drop overlay, the notice bar, the first-start screen and table helpers."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QShortcut,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from . import theme

ZERO_WIDTH_SPACE = "\u200b"
_BREAK_AFTER = frozenset("_:/\\-.,;)]}|")
LONGEST_UNBROKEN = 24  # characters between break opportunities in a wrapped title
LONGEST_TITLE = 120  # characters of a title shown; the whole of it is in its tooltip
LONGEST_CELL = 400  # characters of a value shown in a details row; the whole of it is in its tooltip


class DropOverlay(QWidget):
    """A translucent hint over the window while files are dragged over it."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAcceptDrops(False)
        self.title = "Drop to import"
        self.subtitle = "IFC files (.ifc, .ifczip) or folders"
        self.accepting = True
        self.hide()

    def show_hint(self, title: str, subtitle: str, accepting: bool) -> None:
        self.title, self.subtitle, self.accepting = title, subtitle, accepting
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(243, 243, 243, 215))
        color = QColor(theme.ACCENT if self.accepting else theme.FAILURE)
        frame = QRectF(self.rect()).adjusted(18, 18, -18, -18)
        fill = QColor(color)
        fill.setAlpha(18)
        painter.setBrush(fill)
        pen = QPen(color, 2, Qt.PenStyle.DashLine)
        pen.setDashPattern([6, 4])
        painter.setPen(pen)
        painter.drawRoundedRect(frame, 12, 12)
        icon_size = 64
        center = frame.center()
        icon_rect = QRectF(center.x() - icon_size / 2, center.y() - icon_size - 14, icon_size, icon_size).toRect()
        theme.icon("drop" if self.accepting else "warning").paint(painter, icon_rect)
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() + 6)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(QColor("#1f1f1f"))
        title_rect = QRectF(frame.left(), center.y() - 4, frame.width(), 34)
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), self.title)
        sub_font = QFont(self.font())
        sub_font.setPointSizeF(self.font().pointSizeF() + 1)
        painter.setFont(sub_font)
        painter.setPen(QColor(theme.MUTED))
        sub_rect = QRectF(frame.left(), center.y() + 32, frame.width(), 24)
        painter.drawText(sub_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), self.subtitle)


class NoticeBar(QFrame):
    """A dismissable message under the toolbar; it never blocks and hides itself after a while."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notice")
        self.icon = QLabel()
        self.icon.setFixedSize(18, 18)
        self.text = QLabel()
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setIcon(theme.icon("close"))
        close.setIconSize(QSize(14, 14))
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, kind: str = "warning", timeout_ms: int = 12000) -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        icon_name = {"info": "details", "error": "warning"}.get(kind, "warning")
        self.icon.setPixmap(theme.icon(icon_name).pixmap(18, 18))
        self.text.setText(text)
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""


class EmptyState(QWidget):
    """First start: what the app does, and one click to try it on the sample model."""

    import_sample = Signal()
    import_files = Signal()
    import_folder = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        art = QLabel()
        art.setPixmap(theme.icon("drop").pixmap(88, 88))
        art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Drop IFC files here", objectName="emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Drag .ifc or .ifczip files, or whole folders, anywhere onto this window.\n"
            "Every import becomes a version of its model: browse its elements,\n"
            "see its history and go back to any version.",
            objectName="emptyText",
        )
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(False)

        self.sample_button = QPushButton(theme.icon("model"), "  Try the sample model")
        self.sample_button.setAutoDefault(True)  # Enter presses it once it has the focus, as Space does
        self.sample_button.setObjectName("primary")
        self.sample_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.sample_button.clicked.connect(self.import_sample.emit)
        files_button = QPushButton(theme.icon("import-file"), "  Import files…")
        files_button.clicked.connect(self.import_files.emit)
        folder_button = QPushButton(theme.icon("import-folder"), "  Import folder…")
        folder_button.clicked.connect(self.import_folder.emit)
        for button in (self.sample_button, files_button, folder_button):
            button.setMinimumHeight(34)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addStretch(1)
        buttons.addWidget(self.sample_button)
        buttons.addWidget(files_button)
        buttons.addWidget(folder_button)
        buttons.addStretch(1)

        hint = QLabel("Ctrl+O opens files. Starting the app with file names imports them.", objectName="hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.addStretch(3)
        layout.addWidget(art)
        layout.addSpacing(8)
        layout.addWidget(title)
        layout.addSpacing(4)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(22)
        layout.addLayout(buttons)
        layout.addSpacing(16)
        layout.addWidget(hint)
        layout.addStretch(4)


class WrappingLabel(QLabel):
    """A word-wrapped label that never widens its pane: names without spaces
    ("Basic_Wall:Interior_-_Partition_(92mm_Stud):1234567") wrap after their separators,
    or anywhere when they have none, instead of setting the pane's minimum width."""

    def __init__(self, object_name: str = "", parent: QWidget | None = None):
        super().__init__(parent, objectName=object_name)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full_text = ""

    def set_wrapped_text(self, text: str) -> None:
        """Show ``text`` (a few lines of it at most); ``full_text`` keeps all of it, without the
        invisible break opportunities."""
        self.full_text = text
        self.setText(breakable(shortened(text, LONGEST_TITLE)))
        self.setToolTip(text if len(text) > 60 else "")

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class WrappingDelegate(QStyledItemDelegate):
    """Tree rows as tall as their text wrapped to its column: at word boundaries, and inside
    a word only when it is longer than the column (ThermalTransmittance in a narrow one).
    Qt sizes rows without looking at column widths, and its own wrapping cuts a long word
    short: a long value was sized but drawn outside its row. Texts longer than LONGEST_CELL
    are shortened (the item's tooltip has them whole)."""

    PADDING = 10  # the style sheet's item padding, both sides
    MARGIN = 2  # between the text and the cell's edges

    def __init__(self, tree: QTreeView):
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        text = _cell_text(index)
        width = self._text_width(index) - 2 * self.MARGIN
        if not text or width <= 20:
            return hint
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        if "\n" not in text and QFontMetrics(font).horizontalAdvance(text) <= width:
            return hint
        height = _wrapped(text, font, width).boundingRect().height()
        return QSize(hint.width(), max(hint.height(), int(height) + 6))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = shortened(opt.text, LONGEST_CELL)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)  # background, selection
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect = rect.adjusted(self.MARGIN, 0, -self.MARGIN, 0)
        if not text or rect.width() <= 0:
            return
        layout = _wrapped(text, opt.font, rect.width())
        top = rect.top() + max(0.0, (rect.height() - layout.boundingRect().height()) / 2)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setPen(opt.palette.color(role))
        painter.setClipRect(opt.rect)
        layout.draw(painter, QPointF(rect.left(), top))
        painter.restore()

    def _text_width(self, index: QModelIndex | QPersistentModelIndex) -> int:
        width = self.tree.header().sectionSize(index.column()) - self.PADDING
        if index.column() == 0:  # the first column loses the tree's indentation at every level
            depth, parent = 1, index.parent()
            while parent.isValid():
                depth, parent = depth + 1, parent.parent()
            width -= depth * self.tree.indentation()
        return width


def _wrapped(text: str, font: QFont, width: float) -> QTextLayout:
    """``text`` laid out in lines of ``width``: broken between words, inside one only when it must."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    y = 0.0
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        line.setPosition(QPointF(0, y))
        y += line.height()
    layout.endLayout()
    return layout


def _cell_text(index: QModelIndex | QPersistentModelIndex) -> str:
    text = index.data(Qt.ItemDataRole.DisplayRole)
    return shortened(str(text), LONGEST_CELL) if text else ""


def breakable(text: str) -> str:
    """``text`` with zero-width spaces where a line may break: after separators, and inside
    runs of more than LONGEST_UNBROKEN characters with no space or separator."""
    out: list[str] = []
    run = 0
    for char in text:
        out.append(char)
        if char.isspace():
            run = 0
        elif char in _BREAK_AFTER:
            out.append(ZERO_WIDTH_SPACE)
            run = 0
        else:
            run += 1
            if run >= LONGEST_UNBROKEN:
                out.append(ZERO_WIDTH_SPACE)
                run = 0
    return "".join(out)


class ShownOnce(QObject):
    """Remembers whether a widget has been shown: the sizes of a splitter on a tab never
    opened are those of a widget never laid out, and are not worth keeping."""

    def __init__(self, widget: QWidget):
        super().__init__(widget)
        self.shown = widget.isVisible()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.shown = True
        return False


def isolated(text: str) -> str:
    """``text`` as a unit of its own direction: an Arabic or Hebrew name does not pull the
    numbers and ids written after it into its right-to-left run."""
    return f"\u2068{text}\u2069"


def flat_button(icon_name: str, text: str, tip: str) -> QToolButton:
    """A flat toolbar button with an icon beside its text, as the panels' toolbars use."""
    button = QToolButton()
    button.setObjectName("flat")
    button.setIcon(theme.icon(icon_name))
    button.setText(text)
    button.setToolTip(tip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    return button


def clear_on_escape(field: QLineEdit) -> None:
    """Escape in a search field empties it (and does nothing more while it is empty)."""
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), field)
    shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(field.clear)


def pane_splitter(
    orientation: Qt.Orientation, name: str, first: QWidget, second: QWidget, stretch: tuple[int, int]
) -> QSplitter:
    """Two panes split by a one-pixel handle that cannot be dragged far enough to hide either pane."""
    splitter = QSplitter(orientation)
    splitter.setObjectName(name)
    splitter.addWidget(first)
    splitter.addWidget(second)
    splitter.setStretchFactor(0, stretch[0])
    splitter.setStretchFactor(1, stretch[1])
    splitter.setChildrenCollapsible(False)
    splitter.setHandleWidth(1)
    return splitter


class ColumnShares(QObject):
    """Keeps some columns of a table or tree at a share of its width, within bounds, as it is resized.

    Fixed widths that suit a wide window leave the stretching columns (names, what
    changed) a few pixels in a narrow one. Once the user drags one of these columns,
    their widths are the user's.
    """

    def __init__(self, view: QAbstractItemView, shares: dict[int, tuple[float, int, int]]):
        """``shares`` maps a column to (share of the view's width, least width, greatest width)."""
        super().__init__(view)
        self._view = view
        self._header: QHeaderView = view.header() if isinstance(view, QTreeView) else view.horizontalHeader()
        self._shares = shares
        self._applying = False
        self.sized_by_user = False
        view.viewport().installEventFilter(self)
        self._header.sectionResized.connect(self._section_resized)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.apply()
        return False

    def apply(self) -> None:
        if self.sized_by_user:
            return
        width = self._view.viewport().width()
        self._applying = True
        try:
            for column, (share, least, greatest) in self._shares.items():
                self._header.resizeSection(column, max(least, min(greatest, int(width * share))))
        finally:
            self._applying = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if column in self._shares and not self._applying:
            self.sized_by_user = True
