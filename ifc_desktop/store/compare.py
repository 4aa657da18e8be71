"""Compare stored versions: load them through the Store and run the core diff."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ifc_desktop.core.diff import DiffResult, count_changes, diff_elements

if TYPE_CHECKING:
    from ifc_desktop.core.snapshot import Element
    from ifc_desktop.store import Store
    from ifc_desktop.store.records import VersionInfo


def compare_versions(store: Store, model_id: int, v1: int, v2: int, *, tolerance: float | None = None) -> DiffResult:
    """What changed from version ``v1`` to version ``v2`` of a model.

    ``tolerance`` is the placement tolerance in the length unit of ``v2``
    (None: 1 mm). Raises LookupError when a version does not exist.
    """
    old_version = store.get_version(model_id, v1)
    new_version = store.get_version(model_id, v2)
    with _bulk_allocation():
        old = store.load_elements(old_version.id, with_psets=True)
        new = store.load_elements(new_version.id, with_psets=True)
        return diff_elements(
            old,
            new,
            tolerance=tolerance,
            length_unit=new_version.length_unit,
            old_length_scale=old_version.length_scale,
            new_length_scale=new_version.length_scale,
            old_units=old_version.units,
            new_units=new_version.units,
            old_label=_label(old_version),
            new_label=_label(new_version),
        )


def change_counts_against_previous(
    store: Store, model_id: int, *, cache: dict[tuple[int, int], tuple[int, int, int]] | None = None
) -> dict[int, tuple[int, int, int]]:
    """(added, removed, changed) of every version against the version numbered before it.

    The first version counts all its elements as added. Property sets are not
    loaded: content hashes, storeys and placements decide, as in
    ``core.diff.count_changes``; only when the length unit differs between two
    versions (every length then changes the hash) are those two loaded in full.
    Versions never change, so a caller that keeps ``cache`` (keyed by the two
    version ids) between calls pays only for versions added since.
    """
    cache = {} if cache is None else cache
    versions = store.list_versions(model_id)
    counts: dict[int, tuple[int, int, int]] = {}
    loaded: dict[int, list[Element]] = {}  # version id -> elements without property sets; two at most

    def elements(version: VersionInfo) -> list[Element]:
        if version.id not in loaded:
            for stale in [key for key in loaded if key != version.id][:-1]:
                del loaded[stale]
            loaded[version.id] = store.load_elements(version.id, with_psets=False)
        return loaded[version.id]

    with _bulk_allocation():
        for index, version in enumerate(versions):
            previous = versions[index - 1] if index else None
            key = (previous.id if previous else 0, version.id)
            if key not in cache:
                cache[key] = _counts(store, previous, version, elements)
            counts[version.number] = cache[key]
    return counts


def _counts(
    store: Store,
    previous: VersionInfo | None,
    version: VersionInfo,
    elements: Callable[[VersionInfo], list[Element]],
) -> tuple[int, int, int]:
    if previous is None:
        return (len(elements(version)), 0, 0)
    same_unit = previous.length_scale == version.length_scale
    if same_unit:
        old, new = elements(previous), elements(version)
    else:
        old = store.load_elements(previous.id, with_psets=True)
        new = store.load_elements(version.id, with_psets=True)
    return count_changes(
        old,
        new,
        old_length_scale=previous.length_scale,
        new_length_scale=version.length_scale,
        confirm=not same_unit,
    ).as_tuple()


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Cyclic garbage collection paused while two versions' elements are built.

    Loading creates hundreds of thousands of objects and no reference cycles;
    every collection pass would walk all of them again (about half the time of
    a comparison). Collection resumes, and catches up, when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _label(version: VersionInfo) -> str:
    return f"version {version.number} ({version.source_name})"
