"""The element tree on a stored version: pages loaded as the user scrolls, every element reachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifc_desktop.core.snapshot import Element
from ifc_desktop.store import Store
from ifc_desktop.ui.element_models import KIND_ELEMENT, PAGE_SIZE, ElementTreeModel, Node
from ifc_desktop.ui.elements_panel import ElementsPanel
from ifc_desktop.ui.executor import SerialExecutor
from tests.store_helpers import gid, make_snapshot, write_source

pytest.register_assert_rewrite("tests.ui_fixtures")
from tests.ui_fixtures import JOB_TIMEOUT_MS  # noqa: E402,F401 - sets the offscreen platform first

pytestmark = pytest.mark.gui

WALLS = 3 * PAGE_SIZE + 40  # over three pages on each of the two storeys


@pytest.fixture
def panel(qtbot, tmp_path: Path):
    """An Elements panel on a version with two storeys of many walls and spaces aggregated in a loop."""
    snapshot = make_snapshot(walls=2 * WALLS)
    snapshot.elements += [
        Element(gid("spa", 1), "IfcSpace", 9001, name="Space A", parent_global_id=gid("spb", 1)),
        Element(gid("spb", 1), "IfcSpace", 9002, name="Space B", parent_global_id=gid("spa", 1)),
        Element(gid("fur", 1), "IfcFurniture", 9003, name="Table", container_global_id=gid("spa", 1)),
    ]
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        path, sha, size = write_source(tmp_path, "walls.ifc")
        version = store.save_version(snapshot, source_path=path, sha256=sha, size=size)
    executor = SerialExecutor("store", lambda: Store.open(data_dir), lambda store: store.close())
    widget = ElementsPanel(executor)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    widget.set_version(version)
    qtbot.waitUntil(lambda: widget.tree_model.rowCount() == 1 and not widget.tree_model.is_loading())
    yield widget
    executor.shutdown()


def find(model: ElementTreeModel, label: str) -> Node:
    stack = list(model.root.children)
    while stack:
        node = stack.pop()
        if node.label == label:
            return node
        stack.extend(node.children)
    raise AssertionError(f"no node {label!r}")


def loaded(node: Node) -> int:
    return sum(1 for child in node.children if child.kind == KIND_ELEMENT)


def test_an_expanded_storey_loads_one_page_until_its_end_scrolls_into_view(qtbot, panel):
    model = panel.tree_model
    storey = find(model, "EG")
    panel.tree.expand(model._index_of(storey))
    qtbot.waitUntil(lambda: loaded(storey) == PAGE_SIZE)
    qtbot.wait(400)  # the view lays itself out again after every insert: no page may follow unasked
    assert loaded(storey) == PAGE_SIZE and not storey.loading

    for pages in (2, 3):
        panel.tree.scrollToBottom()
        qtbot.waitUntil(lambda n=pages: loaded(storey) == n * PAGE_SIZE)
    panel.tree.scrollToBottom()
    qtbot.waitUntil(lambda: loaded(storey) == WALLS and storey.exhausted)
    # Pages follow on from each other: every wall of the storey once, in file order.
    names = [child.label for child in storey.children if child.kind == KIND_ELEMENT]
    assert names == [f"Wand {i}" for i in range(0, 2 * WALLS, 2)]


def test_search_results_load_a_page_at_a_time_too(qtbot, panel):
    panel.search.setText("Wand")
    panel._run_search()
    model = panel.tree_model
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE)
    qtbot.wait(400)
    assert model.rowCount() == PAGE_SIZE
    while not model.root.exhausted:
        count = model.rowCount()
        panel.tree.scrollToBottom()
        qtbot.waitUntil(lambda c=count: model.rowCount() > c or model.root.exhausted)
    assert model.rowCount() == 2 * WALLS


def test_spaces_aggregated_in_a_loop_hang_below_the_project_with_their_contents(qtbot, panel):
    model = panel.tree_model
    project = model.root.children[0]
    space_a, space_b = find(model, "Space A"), find(model, "Space B")
    # One of the two is cut loose from the loop and hangs below the project; the other below it.
    top, below = (space_a, space_b) if space_a.parent is project else (space_b, space_a)
    assert top.parent is project and below.parent is top
    assert top in project.children and below in top.children
    index = model._index_of(space_a)
    assert model.hasChildren(index)
    model.fetchMore(index)
    qtbot.waitUntil(lambda: loaded(space_a) == 1)
    assert space_a.children[-1].label == "Table"


def test_a_space_numbered_in_its_name_shows_the_words_of_its_long_name_too():
    from types import SimpleNamespace

    from ifc_desktop.ui.element_models import element_label

    def row(name, long_name, ifc_class="IfcSpace"):
        return SimpleNamespace(name=name, long_name=long_name, ifc_class=ifc_class)

    assert element_label(row("1", "Bad")) == "1 · Bad"
    assert element_label(row("Bad", "Bad")) == "Bad"
    assert element_label(row(None, "Bad")) == "Bad"
    assert element_label(row("1", None)) == "1"
    assert element_label(row(None, None)) == "IfcSpace (unnamed)"
    # ArchiCAD writes an id as a storey's long name.
    assert element_label(row("Erdgeschoss", "ACID00000001-0000", "IfcBuildingStorey")) == "Erdgeschoss"


def test_down_in_the_search_field_moves_into_the_results(qtbot, panel):
    from PySide6.QtCore import Qt

    panel.search.setFocus()
    panel.search.setText("Wand 1")
    panel._run_search()
    qtbot.waitUntil(lambda: panel.tree_model.rowCount() > 0)
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
    assert panel.tree.hasFocus()
    assert panel.tree.currentIndex().row() == 0


def test_the_details_say_where_an_element_stands(qtbot, panel):
    def shown_rows() -> dict[str, str]:
        tree = panel.details.tree
        rows = {}
        for i in range(tree.topLevelItemCount()):
            section = tree.topLevelItem(i)
            for j in range(section.childCount()):
                rows[f"{section.text(0)}/{section.child(j).text(0)}"] = section.child(j).text(1)
        return rows

    for text, expected in (
        ("Wand 3", {"Location/Storey": "OG"}),
        ("Table", {"Location/Contained in": "Space A (IfcSpace)"}),
    ):
        panel.search.setText(text)
        panel._run_search()
        qtbot.waitUntil(lambda: panel.tree_model.rowCount() > 0 and not panel.tree_model.is_loading())
        with qtbot.waitSignal(panel.element_shown, timeout=10_000):
            panel.tree.setCurrentIndex(panel.tree_model.index(0, 0))
        rows = shown_rows()
        assert {k: v for k, v in rows.items() if k.startswith("Location/")} == expected


def test_details_text_wraps_between_words_and_inside_a_word_only_when_it_must(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    from ifc_desktop.ui.widgets import _wrapped

    font = QFont()
    metrics = QFontMetrics(font)

    def lines(text: str, width: float) -> list[str]:
        layout = _wrapped(text, font, width)
        return [
            text[line.textStart() : line.textStart() + line.textLength()].strip()
            for line in (layout.lineAt(i) for i in range(layout.lineCount()))
        ]

    text = "a comment for the client with several words"
    width = metrics.horizontalAdvance("a comment for the cli")
    assert all(line in text.split(" ") or " " in line for line in lines(text, width))
    assert " ".join(lines(text, width)) == text  # no word cut in two
    word = "ThermalTransmittanceOfTheWholeAssembly"
    cut = lines(word, metrics.horizontalAdvance("ThermalTransmit"))
    assert len(cut) > 1 and "".join(cut) == word  # a word wider than the column is cut where it must
