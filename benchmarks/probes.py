"""Functions that benchmarks run in a fresh child process (see common.measure_in_subprocess).

Heavy imports happen at module level, so the child's baseline RSS includes them
and the measured call is the work alone.
"""

from __future__ import annotations

import ifcopenshell


def open_only(path: str) -> dict[str, str]:
    """A plain ``ifcopenshell.open``: the reference every import is compared with."""
    model = ifcopenshell.open(path)
    return {"schema": model.schema}
