"""The window with real worker processes: drop, jobs, failures, cancel/retry, models, history, elements."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ifc_desktop.core.diff_result import format_value
from ifc_desktop.ui.element_models import ElementRowRole
from tests.conftest import sample

pytest.register_assert_rewrite("tests.ui_fixtures")
from tests.ui_fixtures import (  # noqa: E402
    drop_paths,
    import_and_select,
    job_states,
    wait_for_model,
    wait_for_states,
)

pytest_plugins = ["tests.ui_fixtures"]  # the make_window fixture

pytestmark = [pytest.mark.gui, pytest.mark.slow]

HAUS = "ifc4_archicad20_fzk_haus.ifc"
WALL = "ifc2x3_revit2021_simple_wall.ifc"
BAD = "bad_ifc4_illegal_char_and_INF_reals.ifc"


def test_first_start_shows_empty_state_and_imports_the_sample(qtbot, make_window):
    window = make_window()
    assert window.is_empty_state()
    qtbot.mouseClick(window.empty_state.sample_button, Qt.MouseButton.LeftButton)
    wait_for_states(qtbot, window, {"sample-house.ifc": "SUCCESS"})
    model = wait_for_model(qtbot, window, "sample-house.ifc")
    assert not window.is_empty_state()
    assert model.element_count and model.element_count > 10


def test_drop_of_several_files_creates_jobs_that_succeed_and_models_appear(qtbot, make_window):
    window = make_window(workers=2)
    window.activateWindow()
    window.show_tab(1)
    window.elements_panel.search.setFocus()
    drop = drop_paths(window, [sample(HAUS), sample(WALL)])
    assert drop.isAccepted()
    # The Jobs tab comes forward with the keyboard on its list, not on a button of it.
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0)
    qtbot.waitUntil(lambda: window.jobs_panel.table.hasFocus())
    wait_for_states(qtbot, window, {HAUS: "SUCCESS", WALL: "SUCCESS"})
    haus = wait_for_model(qtbot, window, HAUS)
    assert haus.current_version_number == 1
    assert haus.schema == "IFC4"
    # The job list names the model each job went into, and the status bar sums up.
    from ifc_desktop.ui.job_model import COL_MODEL

    row = window.job_model.row_of(next(j.id for j in window.job_model.jobs() if j.path.endswith(HAUS)))
    qtbot.waitUntil(lambda: window.job_model.index(row, COL_MODEL).data() == haus.name)
    assert "2 done" in window.status_label.text()


def test_folder_drop_finds_ifc_files_case_insensitively_and_refuses_other_files(qtbot, make_window, tmp_path):
    folder = tmp_path / "drop folder" / "nested"
    folder.mkdir(parents=True)
    shutil.copy(sample(WALL), folder / "Simple Wall.IFC")
    (folder / "notes.txt").write_text("not a model")
    window = make_window()
    drop_paths(window, [tmp_path / "drop folder"])
    wait_for_states(qtbot, window, {"Simple Wall.IFC": "SUCCESS"})
    assert set(job_states(window)) == {"Simple Wall.IFC"}


def test_non_ifc_drop_is_refused_with_a_message(qtbot, make_window, tmp_path):
    text_file = tmp_path / "readme.txt"
    text_file.write_text("hello")
    window = make_window()
    drop_paths(window, [text_file])
    qtbot.waitUntil(lambda: "readme.txt" in window.notice.message())
    assert "not an IFC file" in window.notice.message()
    assert window.job_model.rowCount() == 0
    assert window.engine.jobs() == []


def test_bad_file_fails_and_its_message_is_in_the_details(qtbot, make_window):
    window = make_window()
    drop_paths(window, [sample(BAD)])
    wait_for_states(qtbot, window, {BAD: "FAILURE"})
    job = window.job_model.jobs()[0]
    assert job.error_message
    assert job.attempts == 1  # bad input is not retried
    window.jobs_panel.select_job(job.id)
    window.jobs_panel.details_action.trigger()
    dialog = window._details
    assert dialog is not None
    assert dialog.message.text() == job.error_message
    assert job.error_message in dialog.details_text()
    assert dialog.retry_button.isVisibleTo(dialog)
    dialog.close()


def test_a_retry_that_fails_again_says_so(qtbot, make_window):
    from ifc_desktop.ui.job_model import COL_STATE

    window = make_window()
    drop_paths(window, [sample(BAD)])
    wait_for_states(qtbot, window, {BAD: "FAILURE"})
    assert window.job_model.index(0, COL_STATE).data() == "Failed"
    first_finish = window.job_model.jobs()[0].finished_at
    window.show_tab(0)
    window.jobs_panel.select_job(window.job_model.jobs()[0].id)
    window.jobs_panel.retry_action.trigger()
    qtbot.waitUntil(lambda: window.job_model.index(0, COL_STATE).data() == "Failed again", timeout=60_000)
    assert window.job_model.jobs()[0].finished_at > first_finish
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Tried again, failed again: "))


def test_cancel_and_retry_from_the_ui(qtbot, make_window):
    window = make_window()
    # A job that hangs on its first attempt only (test-only fault injection), so it is surely running.
    jobs = window.engine.submit([str(sample(WALL))], fault="hang:Opening file")
    job_id = jobs[0].id
    qtbot.waitUntil(lambda: job_states(window).get(WALL) in ("STARTED", "PROGRESS"), timeout=60_000)
    window.show_tab(0)
    window.jobs_panel.select_job(job_id)
    assert window.jobs_panel.cancel_action.isEnabled()
    window.jobs_panel.cancel_action.trigger()
    wait_for_states(qtbot, window, {WALL: "CANCELLED"})
    qtbot.waitUntil(lambda: window.status_label.text() == "1 cancelled")
    window.jobs_panel.select_job(job_id)
    qtbot.waitUntil(window.jobs_panel.retry_action.isEnabled)
    window.jobs_panel.retry_action.trigger()
    wait_for_states(qtbot, window, {WALL: "SUCCESS"})
    wait_for_model(qtbot, window, WALL)


def test_revert_from_history_changes_the_current_version(qtbot, make_window, tmp_path):
    # Two exports of the same project: same IfcProject GlobalId, different bytes.
    first = tmp_path / "House.ifc"
    second = tmp_path / "House (revised).ifc"
    shutil.copy(sample(WALL), first)
    second.write_bytes(first.read_bytes().replace(b"\nDATA;", b"\nDATA;\n/* revised */", 1))
    assert second.read_bytes() != first.read_bytes()
    window = make_window()
    drop_paths(window, [first])
    wait_for_states(qtbot, window, {first.name: "SUCCESS"})
    drop_paths(window, [second])
    wait_for_states(qtbot, window, {second.name: "SUCCESS"})
    qtbot.waitUntil(lambda: [m.version_count for m in window.model_list.models()] == [2])
    model = window.model_list.models()[0]
    assert model.current_version_number == 2

    window.show_tab(2)
    history = window.history_panel
    qtbot.waitUntil(lambda: history.versions.rowCount() == 2)
    history.select_number(1)
    assert history.revert_button.isEnabled()
    history.revert_button.click()
    qtbot.waitUntil(lambda: [m.current_version_number for m in window.model_list.models()] == [1])
    qtbot.waitUntil(lambda: [v.number for v in history.versions.versions() if v.is_current] == [1])
    # The reloaded list keeps the keyboard on the version it was on: Down goes on from there.
    current = history.table.currentIndex()
    assert current.isValid() and history.versions.version_at(current.row()).number == 1
    assert history.activity.count() == 3  # two imports and the revert
    assert "Reverted to v1" in history.activity.item(0).text()


def test_element_views_show_the_counts_the_engine_stored(qtbot, make_window):
    from ifc_desktop.store import Store
    from ifc_desktop.ui.element_models import KIND_ELEMENT
    from ifc_desktop.ui.elements_panel import MODE_CLASSES

    window = make_window()
    window.import_sample()
    wait_for_states(qtbot, window, {"sample-house.ifc": "SUCCESS"})
    model = wait_for_model(qtbot, window, "sample-house.ifc")
    window.models_panel.select_model(model.id)
    window.show_tab(1)
    panel = window.elements_panel
    qtbot.waitUntil(lambda: panel.version is not None and panel.version.model_id == model.id)

    with Store.open(window.data_dir, migrate=False) as store:
        by_class = store.count_by_class(model.current_version_id)
        spatial = store.spatial_tree(model.current_version_id)
        contained = {
            row.global_id: store.count_elements(model.current_version_id, tree_node=row.global_id) for row in spatial
        }

    panel.set_mode(MODE_CLASSES)
    tree = panel.tree_model
    qtbot.waitUntil(lambda: tree.rowCount() == len(by_class))
    shown = {node.label: node.count for node in tree.top_nodes()}
    assert shown == by_class
    # Expanding a class fetches its elements lazily: as many as the count says.
    first = tree.index(0, 0)
    panel.tree.expand(first)
    qtbot.waitUntil(lambda: tree.rowCount(first) == by_class[tree.top_nodes()[0].label])

    # Spatial tree: every container's element count, and its rows once fully fetched.
    panel.set_mode("spatial")
    tree = panel.tree_model
    qtbot.waitUntil(lambda: tree.rowCount() == 1 and not tree.is_loading())
    nodes = _walk(tree.root)
    storeys = [n for n in nodes if n.row is not None and n.row.ifc_class == "IfcBuildingStorey"]
    assert storeys
    for node in storeys:
        assert node.count == contained[node.row.global_id]
    # Every element hangs somewhere: below its container, its storey, or the last group.
    listed = 0
    for node in [n for n in nodes if n.count]:
        index = tree._index_of(node)
        assert tree.hasChildren(index)
        while tree.canFetchMore(index) or node.loading:
            if tree.canFetchMore(index):
                tree.fetchMore(index)
            qtbot.waitUntil(lambda n=node: not n.loading)
        assert sum(1 for c in node.children if c.kind == KIND_ELEMENT) == node.count
        listed += node.count
    assert listed + len(spatial) == model.element_count

    # Selecting an element fills the details; values from the type are marked.
    element_index = tree._index_of(storeys[0].children[-1])
    with qtbot.waitSignal(panel.element_shown, timeout=30_000):
        panel.tree.setCurrentIndex(element_index)
    assert panel.details.element.global_id == element_index.data(ElementRowRole).global_id
    if any(p.source == "type" for p in panel.details.element.property_sets):
        assert panel.details.inherited_items()
    # Every section and every property set in it is open.
    details_tree = panel.details.tree
    sections = [details_tree.topLevelItem(i) for i in range(details_tree.topLevelItemCount())]
    assert sections and all(section.isExpanded() for section in sections)
    assert all(s.child(j).isExpanded() for s in sections for j in range(s.childCount()) if s.child(j).childCount())
    # Property values read as the compare view and its exports write them: one format for both.
    element = panel.details.element
    expected = {(key, format_value(value)) for pset in element.property_sets for key, value in pset.properties.items()}
    set_rows = [
        s.child(j) for s in sections if s.text(0) in ("Property sets", "Quantities") for j in range(s.childCount())
    ]
    shown = {(row.child(k).text(0), row.child(k).text(1)) for row in set_rows for k in range(row.childCount())}
    assert expected and shown == expected


def test_search_finds_elements_by_global_id(qtbot, make_window):
    window = make_window()
    window.import_sample()
    wait_for_states(qtbot, window, {"sample-house.ifc": "SUCCESS"})
    wait_for_model(qtbot, window, "sample-house.ifc")
    window.show_tab(1)
    panel = window.elements_panel
    qtbot.waitUntil(lambda: panel.tree_model is not None and not panel.tree_model.is_loading())
    panel.set_mode("classes")
    qtbot.waitUntil(lambda: panel.tree_model.rowCount() > 0)
    tree = panel.tree_model
    first_class = tree.index(0, 0)
    panel.tree.expand(first_class)
    qtbot.waitUntil(lambda: tree.rowCount(first_class) > 0)
    target = tree.index(0, 0, first_class).data(ElementRowRole)
    panel.tree.setCurrentIndex(tree.index(0, 0, first_class))
    qtbot.waitUntil(lambda: panel.details.element is not None)
    total = panel.version.element_count
    panel.search.setText(target.global_id)
    qtbot.waitUntil(lambda: panel.tree_model is not tree and not panel.tree_model.is_loading(), timeout=10_000)
    found = panel.tree_model.loaded_rows()
    assert [row.global_id for row in found] == [target.global_id]
    qtbot.waitUntil(lambda: panel.info.text() == f"v1 · 1 of {total:,} elements match")
    assert panel.details.element is None  # the element shown before is cleared with the list it was in
    panel.search.clear()
    qtbot.waitUntil(lambda: panel.info.text() == f"v1 · {total:,} elements")


def _walk(node):
    out = []
    stack = list(node.children)
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out


PROBE = """
import sys, time
from ifc_desktop.app import create_window

app, window, _ = create_window(["--data-dir", sys.argv[1]])
window.show()
window.start([sys.argv[2]])
deadline = time.monotonic() + 150
state = ""
while time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
    jobs = window.job_model.jobs()
    state = str(jobs[0].state.value) if jobs else ""
    if state in ("SUCCESS", "FAILURE", "CANCELLED"):
        break
window.shutdown()
print("state=" + state)
print("ifcopenshell_loaded=" + str("ifcopenshell" in sys.modules))
"""


def test_gui_process_never_imports_ifcopenshell(tmp_path):
    """The window process shows, imports a file through workers, and never loads ifcopenshell itself."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "data"), str(sample(WALL))],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["state"] == "SUCCESS"
    assert lines["ifcopenshell_loaded"] == "False"


def test_ctrl_f_finds_escape_clears_and_tab_leaves_the_tables(qtbot, make_window):
    from PySide6.QtCore import Qt

    window = make_window()
    window.import_sample()
    model = wait_for_model(qtbot, window, "sample-house.ifc")
    window.models_panel.select_model(model.id)
    panel = window.elements_panel
    qtbot.waitUntil(lambda: panel.version is not None and panel.search.isEnabled())
    window.activateWindow()
    qtbot.waitActive(window)
    window.find_action.trigger()
    search = panel.search
    assert window.tabs.currentWidget() is panel
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "Wand")
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert search.text() == ""
    for table in (window.jobs_panel.table, window.history_panel.table, window.compare_panel.table):
        assert not table.tabKeyNavigation()


def test_the_first_start_screen_gives_the_keyboard_to_the_sample_button(qtbot, make_window):
    from PySide6.QtCore import Qt

    window = make_window()
    qtbot.waitUntil(window.is_empty_state)
    window.activateWindow()
    qtbot.waitActive(window)
    button = window.empty_state.sample_button
    qtbot.waitUntil(button.hasFocus)
    qtbot.keyClick(button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.job_model.rowCount() == 1)


def test_a_long_status_message_ends_before_the_job_counters(qtbot, make_window):
    window = make_window()
    window.status_label.setText("1 failed  ·  2 done")
    window.show_status("'Bürogebäude Ost.ifc' is not a valid IFC file: " + "its header is damaged " * 40)
    shown = window.statusBar().currentMessage()
    assert shown.startswith("'Bürogebäude Ost.ifc' is not a valid IFC file") and shown.endswith("…")
    room = window.statusBar().width() - window.status_label.sizeHint().width()
    assert window.statusBar().fontMetrics().horizontalAdvance(shown) < room


def test_elements_in_no_container_are_reachable_in_the_spatial_tree(qtbot, make_window):
    from ifc_desktop.ui.element_models import KIND_ELEMENT, NOT_PLACED_LABEL

    window = make_window()
    import_and_select(qtbot, window, sample(HAUS))
    window.show_tab(1)
    panel = window.elements_panel
    qtbot.waitUntil(lambda: panel.tree_model is not None and panel.tree_model.rowCount() == 1)
    tree = panel.tree_model
    qtbot.waitUntil(lambda: not tree.is_loading())
    project = tree.root.children[0]
    last = project.children[-1]
    assert last.label == NOT_PLACED_LABEL and last.count == 3  # the FZK house's virtual elements
    index = tree._index_of(last)
    assert tree.hasChildren(index)
    panel.tree.expand(index)
    qtbot.waitUntil(lambda: sum(1 for c in last.children if c.kind == KIND_ELEMENT) == 3)
    assert {c.row.ifc_class for c in last.children} == {"IfcVirtualElement"}
    # Openings, in no container, hang below the storey of the wall they cut.
    storeys = [n for n in _walk(tree.root) if n.row is not None and n.row.ifc_class == "IfcBuildingStorey"]
    for storey in storeys:
        index = tree._index_of(storey)
        while tree.canFetchMore(index) or storey.loading:
            if tree.canFetchMore(index):
                tree.fetchMore(index)
            qtbot.waitUntil(lambda n=storey: not n.loading)
    openings = [n for n in _walk(tree.root) if n.row is not None and n.row.ifc_class == "IfcOpeningElement"]
    assert openings and all(n.parent.row.ifc_class == "IfcBuildingStorey" for n in openings)


def test_the_model_selected_when_the_window_closed_is_selected_again(qtbot, make_window):
    window = make_window(workers=2)
    drop_paths(window, [sample(HAUS), sample(WALL)])
    wait_for_states(qtbot, window, {HAUS: "SUCCESS", WALL: "SUCCESS"})
    wait_for_model(qtbot, window, HAUS)
    wait_for_model(qtbot, window, WALL)
    models = window.model_list.models()
    last = models[-1]  # not the one selected by default
    window.models_panel.select_model(last.id)
    assert window.models_panel.current_model_id() == last.id
    window.shutdown()
    window.close()

    again = make_window(workers=None)
    qtbot.waitUntil(lambda: again.models_panel.current_model_id() is not None)
    assert again.models_panel.current_model_id() == last.id


def test_stopping_a_running_import_and_clearing_failed_jobs_ask_first(qtbot, make_window):
    from ifc_desktop.jobs.info import JobInfo, JobState

    window = make_window()
    asked: list[tuple[str, str]] = []
    window.confirm = lambda title, text, ok: asked.append((title, text)) or False
    window.job_model.upsert(JobInfo(id=901, path="/m/big tower.ifc", state=JobState.PROGRESS, attempts=1))
    window.job_model.upsert(JobInfo(id=902, path="/m/queued.ifc", state=JobState.PENDING))
    window.job_model.upsert(JobInfo(id=903, path="/m/broken.ifc", state=JobState.FAILURE, attempts=1))

    window.cancel_jobs([902])  # a job not started yet is cancelled at once
    assert asked == []
    window.cancel_jobs([901, 902])
    assert asked[-1][0] == "Stop import" and "big tower.ifc" in asked[-1][1]
    window.clear_finished()
    assert asked[-1][0] == "Clear finished jobs" and "1 failed one included" in asked[-1][1]
    assert len(asked) == 2


def test_a_model_is_renamed_from_its_list_and_the_rename_is_in_its_activity(qtbot, make_window):
    window = make_window()
    model = import_and_select(qtbot, window, sample(WALL))
    window.ask_text = lambda _title, _label, _text: "  Wall study  "
    window.models_panel.rename_action.trigger()
    qtbot.waitUntil(lambda: [m.name for m in window.model_list.models()] == ["Wall study"])
    qtbot.waitUntil(lambda: window.history_panel.activity.count() == 2)
    assert window.history_panel.activity.item(0).text().startswith(f"Renamed from {model.name} to Wall study")

    # A name another model has is refused with a message, and nothing changes.
    drop_paths(window, [sample(HAUS)])
    wait_for_states(qtbot, window, {WALL: "SUCCESS", HAUS: "SUCCESS"})
    haus = wait_for_model(qtbot, window, HAUS)
    window.models_panel.select_model(haus.id)
    window.ask_text = lambda _title, _label, _text: "WALL STUDY"
    window.models_panel.rename_action.trigger()
    qtbot.waitUntil(lambda: "not renamed" in window.notice.message())
    assert "Wall study" in window.notice.message()
    assert sorted(m.name for m in window.model_list.models()) == sorted([haus.name, "Wall study"])
    window.ask_text = lambda _title, _label, _text: "Haus"  # a name that is free: the refusal goes away
    window.models_panel.rename_action.trigger()
    qtbot.waitUntil(lambda: "Haus" in [m.name for m in window.model_list.models()])
    assert window.notice.message() == ""


def test_the_export_name_suggested_says_the_version_once(make_window):
    from types import SimpleNamespace

    window = make_window()
    suggested: list[str] = []
    window.ask_save_path = lambda name: suggested.append(name) or ""
    for source, number in (("Tower.ifc", 2), ("FZK Haus v3.ifc", 3), ("FZK Haus V3.ifczip", 3), ("Tv3.ifc", 3)):
        window.export_version(SimpleNamespace(source_name=source, number=number, id=0))
    assert suggested == ["Tower v2.ifc", "FZK Haus v3.ifc", "FZK Haus V3.ifczip", "Tv3 v3.ifc"]
