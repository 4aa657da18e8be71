"""A second launch on the same data folder hands its files to the window already running."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ifc_desktop.ui.single_instance import InstanceServer, forward_to_running_window
from tests.conftest import sample

pytest.register_assert_rewrite("tests.ui_fixtures")
from tests.ui_fixtures import wait_for_states  # noqa: E402

pytest_plugins = ["tests.ui_fixtures"]  # the make_window fixture


def test_files_of_a_second_launch_are_imported_by_the_running_window(make_window, qtbot, data_dir: Path):
    window = make_window(workers=1)
    server = InstanceServer(window.data_dir, window)
    server.paths_received.connect(window.import_from_another_launch)
    assert server.listening
    path = sample("ifc2x3_revit2021_simple_wall.ifc")
    assert forward_to_running_window(data_dir, [str(path)])
    wait_for_states(qtbot, window, {path.name: "SUCCESS"})


def test_without_a_running_window_the_launch_opens_its_own(qapp, tmp_path: Path):
    started = time.monotonic()
    assert not forward_to_running_window(tmp_path / "nobody runs here", ["x.ifc"])
    assert time.monotonic() - started < 2.0


def test_another_data_folder_is_another_instance(qapp, tmp_path: Path):
    received: list[list[str]] = []
    server = InstanceServer(tmp_path / "one")
    server.paths_received.connect(received.append)
    assert server.listening
    assert not forward_to_running_window(tmp_path / "two", ["x.ifc"])
    assert received == []
