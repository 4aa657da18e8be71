"""Compare stored versions: load them through the Store and run the core diff."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ifc_desktop.core.diff import DiffResult, count_changes, diff_elements
from ifc_desktop.core.diff_result import ATTRIBUTE, FieldChange
from ifc_desktop.core.gcpause import gc_paused

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
    with gc_paused():
        old = store.load_elements(old_version.id, with_psets=True)
        new = store.load_elements(new_version.id, with_psets=True)
        try:
            result = diff_elements(
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
        finally:
            release(old, new)
    result.project_changes = project_changes(old_version, new_version)
    return result


# What a version says about its file as a whole, compared between two versions. The header's
# time stamp and file name are left out: they change with every export.
_PROJECT_FIELDS = (
    ("Project name", "project_name"),
    ("Schema", "schema_read"),
    ("Authoring application", "application"),
    ("Length unit", "length_unit"),
)


def project_changes(old: VersionInfo, new: VersionInfo) -> list[FieldChange]:
    """The fields of the file as a whole that differ between two versions."""
    return [
        FieldChange(label, getattr(old, name), getattr(new, name), ATTRIBUTE)
        for label, name in _PROJECT_FIELDS
        if not _same(name, getattr(old, name), getattr(new, name))
    ]


def _same(field: str, old: object, new: object) -> bool:
    if field == "length_unit" and isinstance(old, str) and isinstance(new, str):
        return old.casefold() == new.casefold()  # 'INCH' in versions read before unit names were lower-cased
    return old == new


def change_counts_against_previous(
    store: Store, model_id: int, *, cache: dict[tuple[int, int], tuple[int, int, int]] | None = None
) -> dict[int, tuple[int, int, int]]:
    """(added, removed, changed) of every version against the version numbered before it.

    The first version counts all its elements as added. Elements are loaded
    without their property sets: storeys, placements and content hashes decide,
    as in ``core.diff.count_changes``, which loads in full only the elements whose
    hashes differ (every element when the units differ), so the counts are
    those of the compare view.
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
                release(loaded.pop(stale))
            loaded[version.id] = store.load_elements(version.id, with_psets=False)
        return loaded[version.id]

    with gc_paused():
        try:
            for index, version in enumerate(versions):
                previous = versions[index - 1] if index else None
                key = (previous.id if previous else 0, version.id)
                if key not in cache:
                    cache[key] = _counts(store, previous, version, elements)
                counts[version.number] = cache[key]
        finally:
            release(*loaded.values())
    return counts


def _counts(
    store: Store,
    previous: VersionInfo | None,
    version: VersionInfo,
    elements: Callable[[VersionInfo], list[Element]],
) -> tuple[int, int, int]:
    if previous is None:
        return (len(elements(version)), 0, 0)

    def in_full(global_ids: list[str]) -> tuple[list[Element], list[Element]]:
        # Only the pairs whose content hashes differ: every element after a unit change, else a few.
        return (
            store.load_elements(previous.id, global_ids=global_ids),
            store.load_elements(version.id, global_ids=global_ids),
        )

    return count_changes(
        elements(previous),
        elements(version),
        old_length_scale=previous.length_scale,
        new_length_scale=version.length_scale,
        old_units=previous.units,
        new_units=version.units,
        in_full=in_full,
    ).as_tuple()


RELEASE_SLICE = 2000


def release(*element_lists: list[Element]) -> None:
    """Empty loaded element lists a slice at a time.

    Freeing a 50k-element version in one go is one long C-level cascade that
    holds the GIL for about a quarter of a second; the window's thread, sharing
    the process, would stall that long. Between slices other threads get
    their turn. Elements still referenced elsewhere (by a DiffResult) live on.
    """
    for items in element_lists:
        while items:
            del items[-RELEASE_SLICE:]


def _label(version: VersionInfo) -> str:
    return f"version {version.number} ({version.source_name})"
