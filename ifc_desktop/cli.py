"""``ifc-desktop <command>``: the same engine as the window, for batch work and scripts.

Exit codes: 0 success, 1 a file or command failed, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .core.wording import count_of

if TYPE_CHECKING:
    from .store import StoreCorrupt, VersionInfo

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TIME_LIMIT_HELP = "seconds a job may take before it is stopped (default: no limit)"


def _path_argument(text: str) -> str:
    """An argparse type: a path that is not empty. ``Path("")`` means the current folder, and an
    empty argument is most often a script's unset variable, not a wish to import that folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (an unset variable?)")
    return text


def _positive(kind: type) -> Any:
    """An argparse type: a number of ``kind`` above zero."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


COMMANDS = (
    "process",
    "models",
    "history",
    "show",
    "revert",
    "rename",
    "export",
    "diff",
    "jobs",
    "retry",
    "cancel",
    "selftest",
)


# Options that may come before the command and take a value.
_VALUE_OPTIONS = ("--data-dir",)


def is_cli_invocation(args: list[str]) -> bool:
    """True when the arguments name a command (or ask for help/version) rather than files to open."""
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
            continue
        if arg in ("-h", "--help", "--version"):
            return True
        if arg in _VALUE_OPTIONS:
            skip_value = True
            continue
        if arg.startswith("-"):
            continue
        return arg in COMMANDS
    return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ifc-desktop",
        description="IFC Desktop: import IFC files into a local history, compare and revert versions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    data_dir_help = "data folder (default: per-user app data, or $IFC_DESKTOP_DATA_DIR)"
    parser.add_argument("--data-dir", help=data_dir_help)
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a --data-dir given before the command is not reset by the command's default.
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help=data_dir_help)
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--json", action="store_true", help="print JSON for scripts")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("process", parents=[common, reading], help="import IFC files as versions")
    p.add_argument("files", nargs="+", metavar="FILE", type=_path_argument)
    p.add_argument(
        "--workers",
        type=_positive(int),
        default=None,
        help="worker processes (default: min(4, CPUs); at most the number of CPUs)",
    )
    p.add_argument(
        "--retries",
        type=_positive(int),
        default=3,
        help="attempts in all, for failures that may pass (default 3; 1: no retry)",
    )
    p.add_argument("--time-limit", type=_positive(float), default=None, help=TIME_LIMIT_HELP)
    p.add_argument("--new-model", action="store_true", help="import as a new model, not a new version")

    sub.add_parser("models", parents=[common, reading], help="list models")
    p = sub.add_parser("history", parents=[common, reading], help="list the versions of a model")
    p.add_argument("model", metavar="MODEL", help="model name or id (#N: the id N)")
    p = sub.add_parser("show", parents=[common, reading], help="summary of a version")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("version", metavar="VERSION", nargs="?", type=int, help="version number (default: current)")
    p = sub.add_parser("revert", parents=[common, reading], help="make an earlier version current")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("version", metavar="VERSION", type=int)
    p = sub.add_parser("rename", parents=[common, reading], help="give a model another name")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("name", metavar="NAME", help="the new name")
    p = sub.add_parser("export", parents=[common], help="write a version's original IFC file")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("version", metavar="VERSION", type=int)
    p.add_argument("out", metavar="OUT", type=_path_argument, help="output file")
    p = sub.add_parser("diff", parents=[common, reading], help="compare two versions of a model")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("v1", metavar="V1", type=int)
    p.add_argument("v2", metavar="V2", type=int)
    p.add_argument("--csv", metavar="FILE", help="write the changes as CSV")
    p.add_argument("--xlsx", metavar="FILE", help="write the summary and changes as an Excel workbook")
    p.add_argument("--tolerance", type=float, default=None, help="placement tolerance in model units")
    p = sub.add_parser("jobs", parents=[common, reading], help="list import jobs")
    p.add_argument("--state", help="only jobs in this state (PENDING, SUCCESS, FAILURE, ...)")
    p = sub.add_parser("retry", parents=[common], help="queue a failed or cancelled job again")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("job", metavar="JOB", nargs="?", type=int)
    group.add_argument("--failed", action="store_true", help="retry every failed job")
    p.add_argument("--workers", type=_positive(int), default=None)
    p.add_argument("--time-limit", type=_positive(float), default=None, help=TIME_LIMIT_HELP)
    p = sub.add_parser("cancel", parents=[common], help="cancel a pending or running job")
    p.add_argument("job", metavar="JOB", type=int)
    sub.add_parser("selftest", parents=[common, reading], help="check the installation")
    return parser


def run_cli(argv: list[str]) -> int:
    _printable_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from .logging_setup import configure_logging
    from .paths import DataDirError, resolve_data_dir

    try:
        data_dir = resolve_data_dir(args.data_dir)
    except DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    log_path = configure_logging(data_dir, console=False)
    handler = globals()[f"_cmd_{args.command}"]
    try:
        return handler(args, data_dir)
    except LookupError as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        from .store import StoreCorrupt  # imported late, as the commands do: importing the CLI stays light

        if isinstance(exc, StoreCorrupt):
            return _set_aside(exc)
        return _report_failure(args.command, exc, log_path)


def _report_failure(command: str, exc: Exception, log_path: Path | None) -> int:
    """An error no command handles itself: one plain line, the traceback in the log."""
    import logging

    from .core.errors import describe_database_error, describe_os_error
    from .store.blobs import BlobError

    logging.getLogger(__name__).error("%s failed", command, exc_info=exc)
    if isinstance(exc, OSError):
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
    elif isinstance(exc, BlobError):
        print(f"error: {exc}", file=sys.stderr)
    elif (plain := describe_database_error(exc)) is not None:
        print(f"error: {plain}", file=sys.stderr)
    else:
        # SQLAlchemy's errors carry the driver's own message (e.g. "attempt to write a readonly database").
        cause = exc.orig if isinstance(getattr(exc, "orig", None), Exception) else exc
        details = f" (details in {log_path})" if log_path is not None else ""
        print(f"error: {cause}{details}", file=sys.stderr)
    return EXIT_FAILED


def _set_aside(damaged: StoreCorrupt) -> int:
    """A damaged history database is moved aside, never deleted; the next command starts a new one."""
    import logging

    from .store import quarantine

    try:
        aside = quarantine(damaged.path)
    except OSError as error:
        print(f"error: {damaged} It could not be moved aside: {error}", file=sys.stderr)
        return EXIT_FAILED
    logging.getLogger(__name__).error("damaged history %s moved to %s: %s", damaged.path, aside, damaged.reason)
    print(
        f"error: The history database {damaged.path} is damaged ({damaged.reason}). It was moved to {aside} "
        "(nothing was deleted); the next command starts a new, empty history.",
        file=sys.stderr,
    )
    return EXIT_FAILED


# -- commands ------------------------------------------------------------------------


def _cmd_process(args: argparse.Namespace, data_dir: Path) -> int:
    from .jobs.cli_commands import process

    return process(
        args.files,
        data_dir,
        workers=args.workers,
        max_attempts=args.retries,
        time_limit=args.time_limit,
        new_model=args.new_model,
        as_json=args.json,
    )


def _cmd_jobs(args: argparse.Namespace, data_dir: Path) -> int:
    from .jobs.cli_commands import list_jobs

    return list_jobs(data_dir, state=args.state, as_json=args.json)


def _cmd_retry(args: argparse.Namespace, data_dir: Path) -> int:
    from .jobs.cli_commands import retry

    return retry(data_dir, job_id=args.job, failed=args.failed, workers=args.workers, time_limit=args.time_limit)


def _cmd_cancel(args: argparse.Namespace, data_dir: Path) -> int:
    from .jobs.cli_commands import cancel

    return cancel(data_dir, args.job)


def _cmd_models(args: argparse.Namespace, data_dir: Path) -> int:
    with _store(data_dir) as store:
        models = store.list_models()
    if args.json:
        return _print_json(models)
    rows = [
        (
            m.id,
            m.name,
            m.schema or "",
            f"v{m.current_version_number}" if m.current_version_number else "",
            m.element_count,
            m.version_count,
        )
        for m in models
    ]
    _print_table(("ID", "MODEL", "SCHEMA", "CURRENT", "ELEMENTS", "VERSIONS"), rows)
    if not models:
        print("No models yet: import one with 'ifc-desktop process FILE'.")
    return EXIT_OK


def _cmd_history(args: argparse.Namespace, data_dir: Path) -> int:
    from .store.compare import change_counts_against_previous

    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        versions = store.list_versions(model.id)
        events = store.history_events(model.id)
        changes = change_counts_against_previous(store, model.id)
    if args.json:
        counts = {number: dict(zip(("added", "removed", "changed"), c, strict=True)) for number, c in changes.items()}
        return _print_json({"model": model, "versions": versions, "events": events, "changes": counts})
    print(f"{model.name} (model {model.id})")
    rows = [
        (
            ("* " if v.is_current else "  ") + f"v{v.number}",
            _short_time(v.created_at),
            v.source_name,
            v.application or "",
            v.element_count,
            "+{} −{} ~{}".format(*changes[v.number]),
            len(v.warnings),
        )
        for v in versions
    ]
    _print_table(("VERSION", "IMPORTED", "FILE", "APPLICATION", "ELEMENTS", "CHANGES", "WARNINGS"), rows)
    reverts = [e for e in events if e.kind == "revert"]
    if reverts:
        print(f"{count_of(len(reverts), 'revert')}; last: {_short_time(reverts[-1].created_at)}")
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, data_dir: Path) -> int:
    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        version = store.get_version(model.id, args.version)
        by_class = store.count_by_class(version.id)
        by_storey = store.count_by_storey(version.id)
    if args.json:
        return _print_json(
            {"model": model, "version": version, "counts_by_class": by_class, "counts_by_storey": by_storey}
        )
    current = " (current)" if version.is_current else ""
    print(f"{model.name} - version {version.number}{current}")
    print(f"  file:        {version.source_name} ({_size(version.source_size)})")
    schema = version.schema_read
    if version.schema_declared and version.schema_declared.upper() != version.schema_read:
        schema = f"{version.schema_read} (declared {version.schema_declared})"
    print(f"  schema:      {schema}")
    print(f"  application: {version.application or 'unknown'}")
    print(f"  imported:    {_short_time(version.created_at)}")
    print(f"  units:       {_units_line(version)}")
    print(f"  elements:    {version.element_count:,}")
    print("\nBy class:")
    _print_table(("CLASS", "COUNT"), list(by_class.items()), indent=2)
    print("\nBy storey:")
    _print_table(("STOREY", "COUNT"), [(k or "(not on a storey)", v) for k, v in by_storey.items()], indent=2)
    if version.warnings:
        print("\nWarnings:")
        for warning in version.warnings:
            print(f"  - {warning}")
    return EXIT_OK


_SHOWN_UNITS = ("LENGTHUNIT", "AREAUNIT", "VOLUMEUNIT", "PLANEANGLEUNIT", "MASSUNIT")


def _units_line(version: VersionInfo) -> str:
    """The length unit, then area, volume, angle and mass by symbol: 'millimetre; m², m³, °, kg'."""
    if not any(unit.unit_type == "LENGTHUNIT" for unit in version.units):
        return f"{version.length_unit} (assumed: the file declares no length unit)"
    symbols = []
    for unit_type in _SHOWN_UNITS[1:]:
        symbol = next((u.symbol for u in version.units if u.unit_type == unit_type and u.symbol), None)
        if symbol:
            symbols.append(symbol)
    return "; ".join([version.length_unit, ", ".join(symbols)]) if symbols else version.length_unit


def _cmd_revert(args: argparse.Namespace, data_dir: Path) -> int:
    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        version = store.revert(model.id, args.version)
    if args.json:
        return _print_json(version)
    print(f"{model.name}: version {version.number} is now current.")
    return EXIT_OK


def _cmd_rename(args: argparse.Namespace, data_dir: Path) -> int:
    from .store import InvalidName

    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        try:
            renamed = store.rename_model(model.id, args.name)
        except InvalidName as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        return _print_json(renamed)
    print(f"Model #{model.id} {model.name!r} is now called {renamed.name!r}.")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, data_dir: Path) -> int:
    out = Path(args.out)
    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        version = store.get_version(model.id, args.version)
        store.export_source(version.id, out)
    print(f"Wrote {out} ({_size(out.stat().st_size)}), version {version.number} of {model.name}.")
    if out.suffix.lower() == ".ifc" and _is_zip(out):
        print(
            f"Note: version {version.number} was imported from a zipped file ({version.source_name}); {out.name} "
            "holds that zip archive as it was. Name it .ifczip for other programs to open it."
        )
    return EXIT_OK


def _printable_output() -> None:
    """Output that never fails on a character outside the console's code page.

    Names are in any script (1階, طابق) and the output uses →, − and ². Redirected to a file
    or a pipe on Windows, Python writes in the ANSI code page and would stop with an error
    on the first such character: there it writes UTF-8 instead, and on a console that
    cannot show a character, a replacement mark.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding == "utf8" or not hasattr(stream, "reconfigure"):
            continue
        try:
            if stream.isatty():
                stream.reconfigure(errors="replace")
            else:
                stream.reconfigure(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            continue


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def _cmd_diff(args: argparse.Namespace, data_dir: Path) -> int:
    from .store.compare import compare_versions

    with _store(data_dir) as store:
        model = store.resolve_model(args.model)
        result = compare_versions(store, model.id, args.v1, args.v2, tolerance=args.tolerance)
    if args.csv:
        from .core.diff_export import write_csv

        write_csv(result, Path(args.csv))
    if args.xlsx:
        from .core.diff_export import write_xlsx

        write_xlsx(result, Path(args.xlsx))
    if args.json:
        return _print_json(result.to_dict())
    print(result.format_text())
    return EXIT_OK


def _cmd_selftest(args: argparse.Namespace, data_dir: Path) -> int:
    from .selftest import run_selftest

    return run_selftest(data_dir, as_json=args.json)


# -- helpers -------------------------------------------------------------------------


class _store:
    """``with _store(data_dir) as store``: open, run migrations, close."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def __enter__(self):
        from .store import Store

        self.store = Store.open(self.data_dir)
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()


def _to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _to_plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def _print_json(value: Any) -> int:
    print(json.dumps(_to_plain(value), indent=2, ensure_ascii=False))
    return EXIT_OK


def _print_table(headers: tuple[str, ...], rows: list[tuple], indent: int = 0) -> None:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(_columns(row[i]) for row in cells) for i in range(len(headers))]
    pad = " " * indent
    for row in cells:
        line = "  ".join(cell + " " * (width - _columns(cell)) for cell, width in zip(row, widths, strict=True))
        print(pad + line.rstrip())


def _columns(text: str) -> int:
    """Terminal columns ``text`` takes: CJK characters (storey names such as 1階) take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _short_time(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
