"""How long a window's event loop stalls: the gaps between ticks of a fast timer on the GUI thread.

Used by the window benchmarks (bench_ui, bench_compare_ui). Qt is imported when a
meter is made, so importing this module does not need a display.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class StallMeter:
    """Records the gap between consecutive ticks of a ``tick_ms`` timer on the GUI thread.

    A gap longer than ``tick_ms`` is time the window could not respond: the longest
    gap minus the interval is the longest stall.
    """

    def __init__(self, tick_ms: int = 5) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.tick_ms = tick_ms
        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(tick_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        """Forget the gaps so far; the next gap is counted from now."""
        self.gaps.clear()
        self._last = self._clock.nsecsElapsed() / 1e6

    def longest_stall(self) -> float:
        return max(0.0, max(self.gaps, default=0.0) - self.tick_ms)

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.gaps.append(now - self._last)
        self._last = now


def pump(app: Any, until: Callable[[], bool], timeout: float, what: str = "the window") -> None:
    """Process events until ``until()`` holds.

    Raises TimeoutError when ``timeout`` seconds pass first: a step that never finished
    must not be reported as a measurement (nor photographed, in scripts/screenshots.py).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if until():
            return
        time.sleep(0.001)
    raise TimeoutError(f"{what} did not get there within {timeout:.0f} s")
