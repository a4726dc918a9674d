"""``velotui`` entry point. Exit codes: 0 passed, 1 an assertion failed, 2 invalid input,
3 infrastructure unavailable, 4 timeout, 130 interrupted, 141 the reader of standard output went away
(``velotui explain … | head``: the rest is not printed, as with any Unix tool)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from velotui.cli.args import SUBCOMMANDS, build_parser, build_subparser
from velotui.cli.console import echo
from velotui.errors import VelotuiError

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for a tool stopped by a closed pipe


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return _subcommand(argv[0], argv[1:], full_argv=argv)
        args = build_parser().parse_args(argv)
        if args.headless:
            _start_fork_server_early(args)
            from velotui.cli.headless import run_headless

            return run_headless(args, argv=["velotui", *argv])
        return _tui(args)
    except KeyboardInterrupt:
        echo("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `| head` closed standard output: stop quietly, never an internal error
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except VelotuiError as e:
        if debug:
            raise
        echo(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except Exception as e:  # a bug of ours: one clear line, the traceback on request
        if debug:
            raise
        echo(f"internal error: {e!r}\n  hint: this is a velotui bug; run again with --debug for the traceback "
              "and report it", file=sys.stderr)
        return 1


def _start_fork_server_early(args: object) -> None:
    """A run of a folder with -j N (N > 1, the default on a machine of several cores) starts the workers'
    fork server before importing anything else: its imports and this process's run side by side (a second
    of CPU each), so the workers are ready when the run has found its apps. A run of one SQL file, or one
    that stays in one process (--explain, --shrink, --input), needs no workers."""
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        try:
            jobs = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - macOS, Windows
            jobs = os.cpu_count() or 1
    if jobs <= 1 or getattr(args, "explain", False) or getattr(args, "shrink", False) or getattr(args, "inputs", None):
        return
    if not Path(getattr(args, "path", ".")).is_dir():
        return
    kafka = (getattr(args, "kafka", None) or ("testcontainers" if getattr(args, "use_testcontainers", False)
                                              else os.environ.get("VELOTUI_KAFKA", "embedded"))) != "embedded"
    from velotui.forkserver import start

    start(kafka=kafka)


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (captured output): nothing left to flush to
        pass


def _subcommand(name: str, rest: list[str], full_argv: list[str]) -> int:
    args = build_subparser(name).parse_args(rest)
    if name == "run":
        from velotui.cli.headless import run_headless

        return run_headless(args, argv=["velotui", *full_argv])
    if name in ("scaffold", "health", "annotate", "quickstart"):
        from velotui.cli import toolbox

        return getattr(toolbox, f"{name}_command")(args)
    if name == "infer-schema":
        from velotui.cli.authoring import infer_schema_command

        return infer_schema_command(args)
    if name == "init":
        from velotui.cli.authoring import init_command

        return init_command(args)
    if name == "stress":
        from velotui.cli.stress import stress_command

        return stress_command(args)
    if name == "debug":
        from velotui.cli.debug import debug_command

        return debug_command(args)
    if name == "explain":
        from velotui.cli.headless import explain_command

        return explain_command(args, argv=["velotui", *full_argv])
    if name == "explain-plan":
        from velotui.cli.plan import explain_plan_command

        return explain_plan_command(args)
    if name == "validate":
        from velotui.cli.headless import validate_command

        return validate_command(args)
    if name == "merge-reports":
        from velotui.cli.merge import merge_reports_command

        return merge_reports_command(args)
    if name == "mutate":
        from velotui.cli.quality import mutate_command

        return mutate_command(args, argv=["velotui", *full_argv])
    if name == "schema-json":
        import json

        import velotui.assertions  # noqa: F401  (the assertion types the spec's JSON Schema lists)
        from velotui.spec import json_schema

        echo(json.dumps(json_schema(args.kind), indent=2))
        return 0
    raise AssertionError(name)


def _tui(args: object) -> int:
    try:
        from velotui.tui import run_tui
    except ImportError as e:  # pragma: no cover - the TUI ships with the package
        echo(f"error: the terminal UI is unavailable ({e}); use --headless", file=sys.stderr)
        return 2
    path = Path(getattr(args, "path", "."))
    if not path.exists():
        echo(f"error: {path}: no such file or folder", file=sys.stderr)
        return 2
    ignored = [flag for flag, on in (("--shrink", getattr(args, "shrink", False)),
                                     ("--input", getattr(args, "inputs", None))) if on]
    if ignored:
        print(f"note: {' and '.join(ignored)} apply to headless runs (velotui --headless PATH …, velotui explain); "
              "the terminal UI ignores them", file=sys.stderr)
    return run_tui(args)
