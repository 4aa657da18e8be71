"""Entry points: ``ifc-desktop`` opens the window, ``ifc-desktop <command>`` runs the CLI.

``multiprocessing.freeze_support()`` runs before anything else so that worker
processes of the frozen Windows app start as workers, not as another app.
"""

from __future__ import annotations

import multiprocessing
import sys


def main(argv: list[str] | None = None) -> int:
    """Console entry: a CLI command, or the window when no command is given."""
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    from .cli import is_cli_invocation, run_cli

    if is_cli_invocation(args):
        return run_cli(args)
    return gui_main(args)


def gui_main(argv: list[str] | None = None) -> int:
    """Window entry: file paths among the arguments are imported."""
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    from .app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
