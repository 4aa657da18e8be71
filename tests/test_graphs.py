"""Loops in parent links, as damaged files make them."""

from __future__ import annotations

from ifc_desktop.core.graphs import loops


def test_a_tree_has_no_loop():
    assert loops({"wall": "storey", "storey": "building", "building": "site"}) == []


def test_each_loop_is_found_once_with_the_nodes_on_it_and_not_those_leading_into_it():
    parent_of = {"door": "a", "a": "b", "b": "c", "c": "a", "self": "self", "x": "y", "y": "x", "z": "site"}
    found = loops(parent_of)
    assert sorted(sorted(loop) for loop in found) == [["a", "b", "c"], ["self"], ["x", "y"]]
    for loop in found:  # each listed in parent order
        assert all(parent_of[node] == loop[(i + 1) % len(loop)] for i, node in enumerate(loop))
