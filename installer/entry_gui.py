"""Entry script of the frozen windowed program `IFC Desktop` (the window)."""

import multiprocessing

if __name__ == "__main__":
    # Must come first: a spawned worker of the frozen program starts this same
    # executable; freeze_support() runs the worker's task there and exits, so
    # workers never open a window.
    multiprocessing.freeze_support()

    import os

    # Smoke tests set this to count how often the program's main code runs.
    if trace := os.environ.get("IFC_DESKTOP_ENTRY_TRACE"):
        with open(trace, "a", encoding="utf-8") as f:
            f.write(f"gui pid={os.getpid()}\n")

    from ifc_desktop.__main__ import gui_main

    raise SystemExit(gui_main())
