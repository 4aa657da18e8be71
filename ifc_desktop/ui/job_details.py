"""A job's details: the plain message, stage durations and the copyable technical details."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .formatting import format_datetime, format_duration, format_size
from .job_model import STATE_LABELS, TERMINAL, state_name


class JobDetailsDialog(QDialog):
    retry_requested = Signal(int)

    def __init__(
        self, job: Any, model_name: str = "", parent: QWidget | None = None, *, current_version_id: int | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Job details")
        self.setMinimumWidth(660)
        self.job = job

        self.title = QLabel(objectName="detailsTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = QLabel(objectName="badge")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)

        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setObjectName("message")

        self.facts = QFormLayout()
        self.facts.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.facts.setHorizontalSpacing(16)
        self.facts.setVerticalSpacing(4)

        self.stages_box = QFrame(objectName="panel")
        self.stages = QGridLayout(self.stages_box)
        self.stages.setContentsMargins(12, 8, 12, 8)
        self.stages.setHorizontalSpacing(24)
        self.stages.setVerticalSpacing(3)

        self.technical = QPlainTextEdit(objectName="technical")
        self.technical.setReadOnly(True)
        self.technical.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.technical.setPlaceholderText("No technical details.")

        # The traceback is for a bug report, not for the person reading the message: one click away.
        self.technical_toggle = QPushButton("Show technical details", objectName="link", checkable=True)
        self.technical_toggle.setFlat(True)
        self.technical_toggle.toggled.connect(self._show_technical)

        copy = QPushButton(theme.icon("copy"), "Copy details")
        copy.clicked.connect(self.copy_to_clipboard)
        self.retry_button = QPushButton(theme.icon("retry"), "Retry")
        self.retry_button.clicked.connect(self._retry)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        # On a small screen a long message (a list of warnings) scrolls instead of being cut off.
        self.message_area = QScrollArea(frameShape=QFrame.Shape.NoFrame, widgetResizable=True)
        self.message_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.message_area.setWidget(self.message)
        layout.addWidget(self.message_area)
        layout.addLayout(self.facts)
        layout.addWidget(_section("Stages"))
        layout.addWidget(self.stages_box)
        layout.addWidget(self.technical_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.technical, 1)
        layout.addStretch(0)  # takes the space the hidden technical details leave
        layout.addWidget(buttons)
        self.set_job(job, model_name, current_version_id=current_version_id)
        # Qt opens a dialog at most two thirds of the screen high: on a laptop's 768 pixels the
        # warnings would scroll in a dialog that has room to show them.
        hint = self.sizeHint()
        self.resize(max(hint.width(), self.minimumWidth()), min(hint.height(), int(self._screen_height() * 0.9)))

    def set_job(self, job: Any, model_name: str = "", *, current_version_id: int | None = None) -> None:
        """Show ``job``; ``current_version_id`` is its model's current version, when known."""
        self.job = job
        state = state_name(job)
        self.title.setText(job.file_name)
        self.badge.setText(STATE_LABELS.get(state, state))
        self.badge.setProperty("kind", {"FAILURE": "failure", "SUCCESS": "success"}.get(state, "info"))
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)

        if state == "FAILURE":
            text = job.error_message or "The import failed."
        elif state == "SUCCESS" and job.reused:
            where = f" of {model_name}" if model_name else ""
            version = f"version {job.version_number}" if getattr(job, "version_number", None) else "a version"
            if current_version_id is not None and job.version_id not in (None, current_version_id):
                text = (
                    f"Already stored: the file's content is {version}{where}, which is not the current one, "
                    "so no new version was made. To work with it again, select it in the history "
                    "and choose Make current."
                )
            else:
                text = f"Already stored: the file's content is {version}{where}, so no new version was made."
        elif state == "SUCCESS":
            number = getattr(job, "version_number", None)
            version = f"version {number}" if number else "a new version"
            text = f"Imported as {version} of {model_name}." if model_name else f"Imported as {version}."
        elif state == "CANCELLED":
            text = "The import was cancelled."
        elif state == "RETRY":
            text = f"Waiting to retry after: {job.error_message}" if job.error_message else "Waiting to retry."
        else:
            text = f"{STATE_LABELS.get(state, state)}: {job.stage_name}" if job.stage_name else "Queued."
        self._outcome = text
        self._model_name = model_name
        if state == "SUCCESS" and job.warnings:
            text += "\n\nWarnings:\n" + "\n".join(f"•  {warning}" for warning in job.warnings)
        self.message.setText(text)
        self._fit_message()
        color = theme.FAILURE if state == "FAILURE" else "#1f1f1f"
        self.message.setStyleSheet(f"color: {color}; font-size: 10pt;")

        while self.facts.rowCount():
            self.facts.removeRow(0)
        self._fact("File", job.path)
        self._fact("Size", format_size(job.size))
        if model_name:
            self._fact("Model", model_name)
        self._fact("Attempts", f"{job.attempts} of {job.max_attempts}")
        self._fact("Queued", format_datetime(job.queued_at))
        if job.started_at:
            self._fact("Started", format_datetime(job.started_at))
        if job.finished_at:
            self._fact("Finished", format_datetime(job.finished_at))
        if job.elapsed is not None:
            self._fact("Elapsed", format_duration(job.elapsed))

        while self.stages.count():
            item = self.stages.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        durations = job.stage_durations or {}
        for row, (name, seconds) in enumerate(durations.items()):
            self.stages.addWidget(QLabel(name), row, 0)
            value = QLabel(format_duration(seconds), objectName="secondary")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.stages.addWidget(value, row, 1)
        if not durations:
            self.stages.addWidget(QLabel("No stage has run yet.", objectName="hint"), 0, 0)
        self.stages.setColumnStretch(2, 1)
        self.technical.setPlainText(job.error_details or "")
        self.technical_toggle.setVisible(bool(job.error_details))
        self._show_technical(self.technical_toggle.isChecked() and bool(job.error_details))
        self.retry_button.setVisible(state in TERMINAL and state != "SUCCESS")
        # Bad input fails the same way until the file changes: say when a retry can help.
        self.retry_button.setToolTip(
            "Read the file again, once it has been repaired or exported again"
            if state == "FAILURE" and job.error_permanent
            else "Queue the import again"
        )

    def _fit_message(self) -> None:
        """The message in full where the screen has room (a long list of warnings scrolls)."""
        screen = self._screen_height()
        width = max(self.message_area.viewport().width(), self.minimumWidth() - 40)
        needed = self.message.heightForWidth(width) + 4
        self.message_area.setMinimumHeight(min(needed, max(120, int(screen * 0.4))))

    def _screen_height(self) -> int:
        return self.screen().availableGeometry().height() if self.screen() is not None else 768

    def _show_technical(self, shown: bool) -> None:
        self.technical.setVisible(shown)
        self.technical_toggle.setText("Hide technical details" if shown else "Show technical details")
        self.setMinimumHeight(560 if shown else 0)
        if not shown:
            self.adjustSize()

    def details_text(self) -> str:
        """What the dialog shows, as text for a message or a bug report."""
        job = self.job
        lines = [f"File: {job.path}", f"Size: {format_size(job.size)}", f"State: {state_name(job)}"]
        lines.append(f"Result: {self._outcome}")
        if self._model_name:
            lines.append(f"Model: {self._model_name}")
        lines.append(f"Attempts: {job.attempts} of {job.max_attempts}")
        for label, moment in (("Queued", job.queued_at), ("Started", job.started_at), ("Finished", job.finished_at)):
            if moment:
                lines.append(f"{label}: {format_datetime(moment)}")
        if job.error_message and job.error_message not in self._outcome:
            lines.append(f"Message: {job.error_message}")
        lines += [f"Warning: {warning}" for warning in job.warnings]
        for name, seconds in (job.stage_durations or {}).items():
            lines.append(f"Stage {name}: {seconds:.3f} s")
        if job.error_details:
            lines += ["", job.error_details]
        return "\n".join(lines)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())

    def _retry(self) -> None:
        self.retry_requested.emit(self.job.id)
        self.accept()

    def _fact(self, label: str, value: str) -> None:
        name = QLabel(label, objectName="secondary")
        text = QLabel(value, wordWrap=True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.addRow(name, text)


def _section(text: str) -> QLabel:
    return QLabel(text, objectName="panelTitle")
