"""Window parts without worker processes: settings persistence, drop rules, launch arguments, progress coalescing."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from ifc_desktop.app import parse_args
from ifc_desktop.core.progress import Progress
from ifc_desktop.ui.drop import collect_ifc_files, refusal_message
from tests.conftest import sample

pytest.register_assert_rewrite("tests.ui_fixtures")
from tests.ui_fixtures import JOB_TIMEOUT_MS  # noqa: E402,F401 - sets the offscreen platform first

pytest_plugins = ["tests.ui_fixtures"]

pytestmark = pytest.mark.gui


def test_settings_and_window_state_survive_a_restart(qtbot, make_window, data_dir):
    from ifc_desktop.ui.dialogs import SettingsDialog

    window = make_window(workers=2)
    dialog = SettingsDialog(window.settings, window.data_dir, window)
    assert dialog.workers.maximum() == (os.cpu_count() or 1)  # no more workers than processors are offered
    dialog.workers.setValue(1)
    dialog.retries.setValue(5)
    dialog.time_limit.setValue(7)
    dialog.accept()
    window.show_tab(2)
    window.resize(770, 540)  # inside the 800x600 offscreen screen
    qtbot.waitUntil(lambda: window.splitter.width() <= 770)
    window.splitter.setSizes([233, window.splitter.width() - 233 - window.splitter.handleWidth()])
    saved_sizes = window.splitter.sizes()
    window.shutdown()
    window.close()

    again = make_window(workers=None)
    again.show_tab(2)
    assert again.settings.workers == 1
    assert again.settings.max_attempts == 5
    assert again.settings.time_limit == 7 * 60
    assert (again.width(), again.height()) == (770, 540)
    qtbot.waitUntil(lambda: again.splitter.sizes() == saved_sizes)
    assert again.tabs.currentIndex() == 2
    reopened = SettingsDialog(again.settings, again.data_dir, again)
    assert (reopened.workers.value(), reopened.retries.value(), reopened.time_limit.value()) == (1, 5, 7)
    assert (data_dir / "settings.ini").is_file()
    # Every value the settings file allows is one the dialog offers: OK changes nothing by itself.
    again.settings.max_attempts = 15
    SettingsDialog(again.settings, again.data_dir, again).accept()
    assert again.settings.max_attempts == 15
    again.settings.max_attempts = 5
    # The running engine took the new values too.
    qtbot.waitUntil(lambda: again.engine is not None)
    job = again.engine.submit([str(sample("ifc2x3_revit2021_simple_wall.ifc"))])[0]
    assert job.max_attempts == 5
    assert job.time_limit == 7 * 60


def test_recent_files_are_remembered_newest_first(data_dir):
    from ifc_desktop.ui.settings import AppSettings

    settings = AppSettings(data_dir)
    settings.add_recent(["a.ifc", "b.ifc"])
    settings.add_recent(["a.ifc"])
    settings.sync()
    assert AppSettings(data_dir).recent_files == ["a.ifc", "b.ifc"]


def test_folders_are_searched_recursively_and_other_files_refused(tmp_path):
    nested = tmp_path / "Projekt Süd" / "Bauteil A"
    nested.mkdir(parents=True)
    shutil.copy(sample("ifc2x3_revit2021_simple_wall.ifc"), nested / "WALL.IFC")
    shutil.copy(sample("ifc4_revit2017_product_data_nested_lists.ifczip"), tmp_path / "Projekt Süd" / "zipped.IfcZip")
    (nested / "plan.pdf").write_bytes(b"%PDF")
    empty = tmp_path / "empty"
    empty.mkdir()
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    found = collect_ifc_files([tmp_path / "Projekt Süd", stray, empty, tmp_path / "missing.ifc"])
    assert [Path(p).name for p in found.files] == ["WALL.IFC", "zipped.IfcZip"]
    assert found.refused == [str(stray)]
    assert found.empty_folders == [str(empty)]
    assert found.missing == [str(tmp_path / "missing.ifc")]
    message = refusal_message(found)
    assert "notes.txt is not an IFC file" in message
    kitchen = sample("ifcxml_ikea_kitchen_cabinets.ifcXML")
    assert refusal_message(collect_ifc_files([kitchen])) == (
        f"{kitchen.name} is ifcXML, which IFC Desktop does not read: export the model as .ifc or .ifczip."
    )
    assert "No IFC files found in empty" in message


def test_dropped_files_are_queued_in_the_order_of_their_names_with_numbers_by_value(tmp_path):
    folder = tmp_path / "Revisionen"
    folder.mkdir()
    for n in (1, 2, 9, 10, 11):
        (folder / f"Wall_rev{n}.ifc").write_bytes(b"x")
    expected = [f"Wall_rev{n}.ifc" for n in (1, 2, 9, 10, 11)]
    assert [Path(p).name for p in collect_ifc_files([folder]).files] == expected
    # Several files dragged from a file manager arrive with the one under the pointer first.
    dragged = [folder / "Wall_rev9.ifc", folder / "Wall_rev10.ifc", folder / "Wall_rev1.ifc"]
    assert [Path(p).name for p in collect_ifc_files(dragged).files] == [
        "Wall_rev1.ifc",
        "Wall_rev9.ifc",
        "Wall_rev10.ifc",
    ]


def test_the_same_file_dropped_twice_is_queued_once(tmp_path):
    path = sample("ifc2x3_revit2021_simple_wall.ifc")
    found = collect_ifc_files([path, path, path.parent / "." / path.name])
    assert found.files == [str(path)]


def test_launch_arguments_split_into_data_dir_qt_options_and_paths():
    options = parse_args(["--data-dir", "D:/data dir", "-platform", "offscreen", "house.ifc", "--", "-odd.ifc"])
    assert options.data_dir == "D:/data dir"
    assert options.qt_args == ["-platform", "offscreen"]
    assert options.paths == ["house.ifc", "-odd.ifc"]
    assert parse_args(["--data-dir=x", "a.ifc"]).data_dir == "x"


def test_progress_from_an_engine_thread_is_coalesced_per_job(qtbot):
    from ifc_desktop.ui.bridge import EngineBridge

    bridge = EngineBridge()
    batches: list[dict] = []
    bridge.progress.connect(batches.append)
    changed: list[object] = []
    bridge.job_changed.connect(changed.append)

    def engine_thread() -> None:
        for i in range(1000):
            bridge.post_progress(1, Progress(2, 7, "Extracting elements", i / 1000))
            bridge.post_progress(2, Progress(1, 7, "Opening file", i / 1000))
        bridge.post("changed", "job-1-snapshot")

    thread = threading.Thread(target=engine_thread)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(batches and changed))
    assert changed == ["job-1-snapshot"]
    # 2000 progress events became a handful of batches holding the latest value per job.
    assert len(batches) <= 2
    assert batches[-1][1].fraction == pytest.approx(0.999)
    assert batches[-1][2].stage_name == "Opening file"
    bridge.stop()


def test_job_table_shows_live_progress_and_marks_failures():
    from PySide6.QtCore import Qt

    from ifc_desktop.jobs.info import JobInfo, JobState
    from ifc_desktop.ui.job_model import COL_PROGRESS, COL_STAGE, COL_STATE, JobTableModel, ProgressRole

    model = JobTableModel()
    model.upsert(JobInfo(id=1, path="C:/models/a.ifc", state=JobState.PROGRESS, stage_count=7, attempts=1))
    model.upsert(JobInfo(id=2, path="C:/models/b.ifc", state=JobState.FAILURE, error_message="Not IFC.", attempts=1))
    model.apply_progress({1: Progress(3, 7, "Extracting properties", 0.5)})
    assert model.index(0, COL_STAGE).data() == "Extracting properties (4/7)"
    assert model.index(0, COL_PROGRESS).data(ProgressRole) == pytest.approx(3.5 / 7)
    assert model.index(1, COL_STATE).data() == "Failed"
    assert model.index(1, COL_STAGE).data() == "Not IFC."
    assert model.index(1, COL_STATE).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, COL_STATE).data(Qt.ItemDataRole.BackgroundRole) is None
    # A late progress event for a finished job changes nothing.
    model.apply_progress({2: Progress(0, 7, "Checking file", 0.1)})
    assert model.index(1, COL_STAGE).data() == "Not IFC."
    summary = model.summary()
    assert (summary.running, summary.failed, summary.active) == (1, 1, True)


def test_installed_pyside_keeps_none_and_true_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every Python slot or virtual call and
    one to True on every emit(); the window then aborts ("Fatal Python error: none_dealloc") after a while.
    """
    import gc
    import sys

    from PySide6.QtCore import QObject, QTimer, Signal

    class Source(QObject):
        fired = Signal(object)

    app = qapp
    source = Source()
    received: list[object] = []
    source.fired.connect(received.append)
    # Garbage of earlier tests, collected mid-loop, would drop references too.
    gc.collect()
    gc.disable()
    try:
        true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
        for i in range(2000):
            source.fired.emit(i)
            QTimer.singleShot(0, lambda: None)
        app.processEvents()
        true_after, none_after = sys.getrefcount(True), sys.getrefcount(None)
    finally:
        gc.enable()
    assert len(received) == 2000
    # Other threads may hold or drop some references meanwhile; the leak loses one per call (2000).
    assert true_after > true_before - 1000
    assert none_after > none_before - 1000


def test_job_rows_say_what_an_import_made_and_give_failures_without_the_file_name():
    from types import SimpleNamespace

    from PySide6.QtCore import Qt

    from ifc_desktop.jobs.info import JobInfo, JobState
    from ifc_desktop.ui.job_model import COL_STAGE, JobTableModel

    model = JobTableModel()
    warned = ["Read as IFC4X3_ADD2.", "22 values could not be read."]
    model.upsert(JobInfo(id=1, path="/m/a.ifc", state=JobState.SUCCESS, warnings=warned))
    model.upsert(JobInfo(id=2, path="/m/b.ifc", state=JobState.SUCCESS, reused=True, version_number=3))
    model.upsert(JobInfo(id=3, path="/m/c.ifc", state=JobState.SUCCESS))
    message = "'d.ifc' uses the pre-release schema IFC4X3_RC2, which is not supported."
    model.upsert(JobInfo(id=4, path="/m/d.ifc", state=JobState.FAILURE, error_message=message))
    model.upsert(JobInfo(id=5, path="/m/e.ifc", state=JobState.SUCCESS, reused=True))  # from before numbers were kept
    assert model.index(0, COL_STAGE).data() == "Imported, 2 warnings"
    assert model.index(0, COL_STAGE).data(Qt.ItemDataRole.ToolTipRole) == "\n".join(warned)
    assert model.index(1, COL_STAGE).data() == "Already stored as version 3"
    assert model.index(4, COL_STAGE).data() == "Already stored: no new version"
    # After a revert to v1, the file of v3 dropped again is v3, but not the current version.
    model.upsert(JobInfo(id=6, path="/m/f.ifc", state=JobState.SUCCESS, reused=True, version_number=3, model_id=7))
    model.set_models([SimpleNamespace(id=7, name="Tower", current_version_number=1)])
    assert model.index(5, COL_STAGE).data() == "Already stored as version 3 (v1 is current)"
    assert model.index(2, COL_STAGE).data() == "Imported"
    assert model.index(3, COL_STAGE).data() == "Uses the pre-release schema IFC4X3_RC2, which is not supported."
    assert model.index(3, COL_STAGE).data(Qt.ItemDataRole.ToolTipRole) == message


def test_job_details_list_the_warnings_and_keep_the_traceback_one_click_away(qtbot):
    from ifc_desktop.jobs.info import JobInfo, JobState
    from ifc_desktop.ui.job_details import JobDetailsDialog

    warned = JobInfo(id=1, path="/m/a.ifc", state=JobState.SUCCESS, warnings=["Read as IFC4X3_ADD2."], version_number=5)
    dialog = JobDetailsDialog(warned, "Haus")
    qtbot.addWidget(dialog)  # closed and deleted after the test, whatever its outcome
    assert dialog.message.text().startswith("Imported as version 5 of Haus.")
    assert "Read as IFC4X3_ADD2." in dialog.message.text()
    copied = dialog.details_text()
    assert "Result: Imported as version 5 of Haus." in copied and "Model: Haus" in copied
    assert "Warning: Read as IFC4X3_ADD2." in copied
    assert dialog.technical_toggle.isHidden() and dialog.technical.isHidden()

    reused = JobInfo(
        id=3, path="/m/a.ifc", state=JobState.SUCCESS, reused=True, model_id=1, version_id=7, version_number=2
    )
    dialog.set_job(reused, "Haus", current_version_id=7)
    assert "content is version 2 of Haus, so no new version" in dialog.message.text()
    assert "Result: Already stored: the file's content is version 2 of Haus" in dialog.details_text()
    dialog.set_job(reused, "Haus", current_version_id=8)
    said = dialog.message.text()
    assert "version 2 of Haus, which is not the current one" in said and "Make current" in said

    failed = JobInfo(id=2, path="/m/b.ifc", state=JobState.FAILURE, error_message="Empty.", error_details="Traceback")
    dialog.set_job(failed)
    assert dialog.retry_button.toolTip() == "Queue the import again"
    dialog.set_job(replace(failed, error_permanent=True))
    assert "repaired or exported again" in dialog.retry_button.toolTip()
    assert not dialog.technical_toggle.isHidden() and dialog.technical.isHidden()
    dialog.technical_toggle.setChecked(True)
    assert not dialog.technical.isHidden() and dialog.technical.toPlainText() == "Traceback"
    dialog.close()


def test_job_details_scroll_a_long_list_of_warnings_on_a_small_screen(qtbot):
    from ifc_desktop.jobs.info import JobInfo, JobState
    from ifc_desktop.ui.job_details import JobDetailsDialog

    warnings = [f"Warning number {n}: " + "a long sentence about what this version lacks " * 4 for n in range(40)]
    dialog = JobDetailsDialog(JobInfo(id=1, path="/m/a.ifc", state=JobState.SUCCESS, warnings=warnings), "Haus")
    qtbot.addWidget(dialog)
    dialog.show()
    screen = dialog.screen().availableGeometry().height()
    assert dialog.height() <= screen  # the dialog fits on the screen, buttons included
    assert dialog.message_area.verticalScrollBar().maximum() > 0  # and the warnings are all there to scroll to
    few = JobInfo(id=2, path="/m/b.ifc", state=JobState.SUCCESS, warnings=warnings[:2])
    dialog.set_job(few, "Haus")
    dialog.adjustSize()
    qtbot.waitUntil(lambda: dialog.message_area.verticalScrollBar().maximum() == 0)  # a short message shows whole


def test_fixed_columns_give_way_in_a_narrow_table_until_the_user_sizes_them(qtbot):
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QHeaderView, QTableView

    from ifc_desktop.ui.widgets import ColumnShares

    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(QStandardItemModel(3, 3))
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    shares = ColumnShares(table, {1: (0.25, 60, 150), 2: (0.2, 50, 120)})
    table.resize(400, 200)
    table.show()
    qtbot.waitUntil(lambda: header.sectionSize(1) < 150)
    width = table.viewport().width()
    assert header.sectionSize(1) == max(60, int(width * 0.25)) and header.sectionSize(2) == max(50, int(width * 0.2))
    assert header.sectionSize(0) > header.sectionSize(1)  # the stretching column keeps the most

    table.resize(1600, 200)
    qtbot.waitUntil(lambda: header.sectionSize(1) == 150)
    assert header.sectionSize(2) == 120  # at most the greatest width

    header.resizeSection(1, 90)  # the user drags a column: from now on the widths are theirs
    table.resize(500, 200)
    qtbot.wait(50)
    assert shares.sized_by_user and header.sectionSize(1) == 90


def test_panes_of_a_tab_never_opened_keep_their_saved_sizes(qtbot, make_window, data_dir):
    from ifc_desktop.ui.settings import AppSettings

    window = make_window(launch=[str(sample("ifc2x3_revit2021_simple_wall.ifc"))])
    qtbot.waitUntil(lambda: len(window.model_list.models()) == 1, timeout=60_000)
    window.show_tab(0)
    qtbot.waitUntil(lambda: window.splitter.isVisible())
    window.shutdown()
    window.close()
    # Never laid out, the Elements and History panes had no sizes worth keeping.
    saved = AppSettings(data_dir)
    assert saved.window_state("elements_splitter") is None and saved.window_state("history_splitter") is None

    again = make_window(workers=None)
    again.show_tab(1)
    qtbot.waitUntil(lambda: again.elements_panel.splitter.isVisible())
    again.shutdown()
    again.close()
    assert AppSettings(data_dir).window_state("elements_splitter") is not None
