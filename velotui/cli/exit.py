"""The console script's way out: the verdict is written, then the process ends without tearing down.

An interpreter that has imported what a run needs (sqlglot, numpy, pydantic, rich: ~580 modules) spends
a quarter of a second at exit freeing them one by one, after every report is written and every service
stopped, and a pipe's reader (CI's log, ``| tee``) waits for that too, and then for the -j workers' fork
server to do the same. So the console script flushes the standard streams, stops the fork server and
multiprocessing's resource tracker (velotui.forkserver.stop_all), runs every exit handler (atexit: the
velostream processes, temporary folders, multiprocessing's children, logging), and then leaves with
``os._exit``. A process with a thread still running that is not a daemon (a TUI worker) leaves the normal
way, which waits for it; ``main()`` called as a function (the tests) never exits at all.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def entry() -> None:
    """``velotui`` as the installed command."""
    from velotui.cli.main import main

    leave(main())


def leave(code: int | None) -> None:
    code = int(code or 0)
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if others:
        sys.exit(code)
    _flush()
    from velotui.forkserver import stop_all

    stop_all()  # the -j workers' fork server and multiprocessing's resource tracker end with the process
    atexit._run_exitfuncs()
    _flush()  # what the exit handlers wrote
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
