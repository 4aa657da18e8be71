"""Emitting Qt signals from Python without losing references to ``True``.

In some PySide6 releases (seen in 6.12.0) ``SignalInstance.emit()`` returns
``True`` without taking a reference to it, so every emit made from Python
lowers ``True``'s reference count by one. On Python 3.11 ``True`` is not
immortal: after a few hundred emits its count reaches zero and the process
aborts ("Fatal Python error: bool_dealloc"). The window emits many signals
(progress flushes, results from the background threads), so every emit in
``ui`` goes through ``emit()``, which gives the reference back when the
installed PySide6 has this fault.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    fired = Signal(object)


def _emit_drops_a_reference() -> bool:
    """Emit a few times and see whether ``True`` lost one reference per emit."""
    if sys.version_info >= (3, 12):  # True is immortal there: nothing can go wrong
        return False
    probe = _Probe()
    rounds = 64
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.fired.emit(None)
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        _incref(True)
    return lost >= rounds // 2


LEAKS_TRUE = _emit_drops_a_reference()


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, safe on PySide6 releases whose emit drops a reference to ``True``."""
    signal.emit(*args)
    if LEAKS_TRUE:
        _incref(True)
