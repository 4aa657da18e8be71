"""Progress reporting as plain callbacks, throttled so listeners are not flooded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Progress:
    stage_index: int  # 0-based
    stage_count: int
    stage_name: str
    fraction: float  # 0.0 .. 1.0 within the stage

    @property
    def overall(self) -> float:
        """Fraction of the whole job, counting each stage equally."""
        if self.stage_count <= 0:
            return 0.0
        return min(1.0, (self.stage_index + self.fraction) / self.stage_count)


ProgressCallback = Callable[[Progress], None]


class StageReporter:
    """Reports stage starts always, and in-stage fractions at most ``max_rate`` times a second."""

    def __init__(self, stages: list[str], callback: ProgressCallback | None, max_rate: float = 5.0):
        self.stages = stages
        self._callback = callback
        self._min_interval = 1.0 / max_rate
        self._index = -1
        self._last_sent = 0.0

    @property
    def stage_name(self) -> str:
        return self.stages[self._index] if self._index >= 0 else ""

    def start(self, stage_name: str) -> None:
        self._index = self.stages.index(stage_name)
        self._emit(0.0)

    def fraction(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_sent >= self._min_interval:
            self._emit(max(0.0, min(1.0, fraction)))

    def _emit(self, fraction: float) -> None:
        self._last_sent = time.monotonic()
        if self._callback is not None:
            self._callback(Progress(self._index, len(self.stages), self.stage_name, fraction))
