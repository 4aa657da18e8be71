"""Loops in parent links: damaged files aggregate or contain elements in circles.

No ifcopenshell here: the window uses it on the spatial tree it builds from the store.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def loops(parent_of: Mapping[Node, Node]) -> list[list[Node]]:
    """The loops in a child -> parent map, each as the nodes on it (one walk per node: linear)."""
    state: dict[Node, bool] = {}  # True: on the path being walked; False: settled
    found = []
    for start in parent_of:
        path = []
        current: Node | None = start
        while current is not None and current not in state:
            state[current] = True
            path.append(current)
            current = parent_of.get(current)
        if current is not None and state[current]:
            found.append(path[path.index(current) :])
        for node in path:
            state[node] = False
    return found
