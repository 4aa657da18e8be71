"""Compare stored versions: load them through the Store and run the core diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ifc_desktop.core.diff import DiffResult, count_changes, diff_elements

if TYPE_CHECKING:
    from ifc_desktop.store import Store
    from ifc_desktop.store.records import VersionInfo


def compare_versions(store: Store, model_id: int, v1: int, v2: int, *, tolerance: float | None = None) -> DiffResult:
    """What changed from version ``v1`` to version ``v2`` of a model.

    ``tolerance`` is the placement tolerance in the length unit of ``v2``
    (None: 1 mm). Raises LookupError when a version does not exist.
    """
    old_version = store.get_version(model_id, v1)
    new_version = store.get_version(model_id, v2)
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


def change_counts_against_previous(store: Store, model_id: int) -> dict[int, tuple[int, int, int]]:
    """(added, removed, changed) of every version against the version numbered before it.

    The first version counts all its elements as added. Property sets are not
    loaded: content hashes, storeys and placements decide, as in
    ``core.diff.count_changes``; only when the length unit differs between two
    versions (every length then changes the hash) are those two loaded in full.
    """
    counts: dict[int, tuple[int, int, int]] = {}
    previous: VersionInfo | None = None
    previous_elements = None
    for version in store.list_versions(model_id):
        elements = store.load_elements(version.id, with_psets=False)
        if previous is None:
            counts[version.number] = (len(elements), 0, 0)
        else:
            same_unit = previous.length_scale == version.length_scale
            old, new = previous_elements, elements
            if not same_unit:
                old = store.load_elements(previous.id, with_psets=True)
                new = store.load_elements(version.id, with_psets=True)
            counts[version.number] = count_changes(
                old,
                new,
                old_length_scale=previous.length_scale,
                new_length_scale=version.length_scale,
                confirm=not same_unit,
            ).as_tuple()
        previous, previous_elements = version, elements
    return counts


def _label(version: VersionInfo) -> str:
    return f"version {version.number} ({version.source_name})"
