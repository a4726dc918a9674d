"""-j N: apps in worker processes, and the report is the one -j 1 writes (order, contents)."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import psutil
import pytest

from tests.cli.helpers import (
    DEMO,
    DEMO_SEED,
    GOOD_SPEC,
    comparable_junit,
    comparable_report,
    good_files,
    run_cli,
    write_suite,
)
from velotui.core.run import RunOptions, SuiteRun

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp: Path, name: str, args: list[str], capsys) -> tuple[int, dict, str, str]:  # type: ignore[no-untyped-def]
    j, x = tmp / f"{name}.json", tmp / f"{name}.xml"
    rc, _out, err = run_cli(["--headless", *args, *DEMO_SEED, "--json", str(j), "--junit", str(x)], capsys)
    return rc, json.loads(j.read_text()), x.read_text(), err


def test_demo_with_two_workers_writes_the_one_process_report(demo_reference, tmp_path: Path,
                                                             capsys) -> None:  # type: ignore[no-untyped-def]
    rc1, j1, x1 = demo_reference
    rc2, j2, x2, err = _run(tmp_path, "j2", [DEMO, "-j", "2"], capsys)
    assert rc1 == rc2 == 0
    assert [a["file"] for a in j2["apps"]] == [a["file"] for a in j1["apps"]]  # the same order
    assert comparable_report(j2) == comparable_report(j1)
    assert comparable_junit(x2) == comparable_junit(x1)
    assert j2["reproduce"].endswith("--seed 7 --now 1700000000000") and "-j" not in j2["reproduce"].split()
    assert err.count(" passed ") == sum(len(a["queries"]) for a in j1["apps"])  # every query's progress line


def _suite(tmp_path: Path, failing: set[str]) -> Path:
    files = {}
    for name in ("a1", "b2", "c3", "d4", "e5"):
        spec = GOOD_SPEC.replace("equals: 50", "equals: 49") if name in failing else GOOD_SPEC
        files[f"apps/{name}.sql"] = good_files()["apps/good.sql"]
        files[f"apps/{name}.test.yaml"] = spec.replace("application: good_app", f"application: {name}")
    files["apps/schemas/orders.schema.yaml"] = good_files()["apps/schemas/orders.schema.yaml"]
    return write_suite(tmp_path / "suite", files)


def test_fail_fast_reports_what_one_process_reports(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, failing={"b2", "d4"})
    rc1, j1, x1, _ = _run(tmp_path, "j1", [str(suite), "--fail-fast", "-j", "1"], capsys)
    rc3, j3, x3, _ = _run(tmp_path, "j3", [str(suite), "--fail-fast", "-j", "3"], capsys)
    assert rc1 == rc3 == 1
    assert [a["name"] for a in j3["apps"]] == ["a1", "b2"]  # nothing after the first failing app
    assert comparable_report(j3) == comparable_report(j1) and comparable_junit(x3) == comparable_junit(x1)


def test_more_workers_than_apps_and_failures_in_order(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path, failing={"c3"})
    rc1, j1, _, _ = _run(tmp_path, "j1", [str(suite), "-j", "1"], capsys)
    rc8, j8, _, _ = _run(tmp_path, "j8", [str(suite), "-j", "8"], capsys)
    assert rc1 == rc8 == 1 and comparable_report(j8) == comparable_report(j1)
    assert [a["status"] for a in j8["apps"]] == ["passed", "passed", "failed", "passed", "passed"]


def test_jobs_must_be_a_positive_number(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as e:
        run_cli(["--headless", "demo/", "-j", "0"], capsys)
    assert e.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def _workers(me: psutil.Process) -> list[psutil.Process]:
    """This process's worker processes: forked from it, or children of its multiprocessing fork server."""
    servers = [c for c in me.children() if "forkserver" in " ".join(c.cmdline())]
    named = [psutil.Process(p.pid) for p in multiprocessing.active_children() if p.name == "velotui-worker"]
    return named + [p for s in servers for p in s.children() if p.pid not in {w.pid for w in named}]


def test_a_worker_that_dies_fails_its_app_only(tmp_path: Path) -> None:
    """Kill the worker process under an app: that app is an error naming the death, every other app
    still runs (a new worker takes over) and reports what it would have."""
    suite = _suite(tmp_path, failing=set())
    for n in ("f6", "g7", "h8"):
        (suite / "apps" / f"{n}.sql").write_text((suite / "apps" / "a1.sql").read_text())
        (suite / "apps" / f"{n}.test.yaml").write_text(
            (suite / "apps" / "a1.test.yaml").read_text().replace("a1", n))
    killed: list[int] = []
    me = psutil.Process()

    def on_event(e) -> None:  # type: ignore[no-untyped-def]
        # the first time an app publishes, kill one worker (a grandchild: workers fork from the fork server)
        if not killed and type(e).__name__ == "RecordsPublished":
            workers = _workers(me)
            if workers:
                killed.append(workers[0].pid)
                workers[0].kill()

    report = SuiteRun(suite, RunOptions(seed=3, now_ms=1_700_000_000_000, jobs=2), on_event=on_event).execute()
    assert killed
    died = [a for a in report.apps if a.error and "worker process running this app died" in a.error]
    assert len(died) <= 1  # the killed worker may have been between apps
    assert len(report.apps) == 8
    assert all(a.status == "passed" for a in report.apps if a not in died)
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE


def test_cancel_stops_every_worker(tmp_path: Path) -> None:
    """The run's cancel (Ctrl-C sets it) reaches the queries running in the workers: the run ends at
    once and leaves no worker behind."""
    fixture = ROOT / "tests" / "fixtures" / "isolation"
    run = SuiteRun(fixture, RunOptions(seed=1, pattern="slow", jobs=2, timeout_s=120))
    started = threading.Event()
    run._emit = lambda e: started.set() if type(e).__name__ == "RecordsPublished" else None  # type: ignore[method-assign]
    result: list = []
    t = threading.Thread(target=lambda: result.append(run.execute()))
    t.start()
    assert started.wait(60)
    run.cancelled = True
    t.join(30)
    assert not t.is_alive()
    workers = _workers(psutil.Process())
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in workers)


def test_ctrl_c_while_the_workers_start_leaves_nothing_behind(tmp_path: Path) -> None:
    """Ctrl-C as a -j 2 run starts, while the fork server still imports what the workers need (seconds
    on a busy machine): the run exits 130 at once, and no process of it outlives it holding its output
    open (a CI log or `| tee` would wait for it), and no traceback of a half-born worker is printed."""
    import signal
    import subprocess
    import sys
    import time

    apps = {"schemas/rec.schema.yaml": "name: rec\nfields:\n  - {name: id, type: integer}\n"}
    for n in "abcd":
        apps[f"{n}.sql"] = f"CREATE STREAM {n}_out AS SELECT id FROM rec EMIT CHANGES;\n"
        apps[f"{n}.test.yaml"] = (f"application: {n}\nqueries:\n  - name: {n}_out\n    inputs: [{{source: rec, records: 5}}]\n"
                                  "    assertions: [{type: record_count, equals: 5}]\n")
    suite = write_suite(tmp_path / "suite", apps)
    proc = subprocess.Popen([sys.executable, "-m", "velotui", "--headless", str(suite), "-j", "2"],
                            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    lines = []
    while "velotui run" not in (line := proc.stderr.readline()):
        lines.append(line)
        assert line, "".join(lines)
    family = psutil.Process(proc.pid).children(recursive=True)  # the fork server (and its tracker)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)  # the run itself has exited (its output is a few lines: the pipes never fill)
    time.sleep(0.1)
    left = [p.pid for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    out, err = proc.communicate(timeout=60)  # returns once every holder of the pipes has exited
    assert proc.returncode == 130, out + err
    assert left == [], "processes of the run outlived it"
    assert "Traceback" not in err, err


def test_the_biggest_app_is_handed_out_first_and_the_report_keeps_run_order(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Workers take the apps biggest first (the records their specs generate), so the last to finish are
    small ones; the report is in run order all the same."""
    from velotui.core.discovery import discover
    from velotui.core.parallel import dispatch_order

    suite = _suite(tmp_path, failing={"a1"})
    last = suite / "apps" / "e5.test.yaml"
    last.write_text(last.read_text().replace("records: 50", "records: 5000").replace("equals: 50", "equals: 5000"))
    apps = [a for a in discover(suite).apps if a.spec_path is not None]
    assert [apps[i].sql_path.stem for i in dispatch_order(apps, RunOptions())] == ["e5", "a1", "b2", "c3", "d4"]
    assert dispatch_order(apps, RunOptions(fail_fast=True)) == [0, 1, 2, 3, 4]  # nothing after a stop starts
    rc1, j1, x1, _ = _run(tmp_path, "j1", [str(suite), "-j", "1"], capsys)
    rc2, j2, x2, _ = _run(tmp_path, "j2", [str(suite), "-j", "2"], capsys)
    assert rc1 == rc2 == 1 and [a["name"] for a in j2["apps"]] == ["a1", "b2", "c3", "d4", "e5"]
    assert comparable_report(j2) == comparable_report(j1) and comparable_junit(x2) == comparable_junit(x1)


@pytest.mark.parametrize("target, threads, server", [("apps", 1, False), ("apps", 2, True), ("apps/a1.sql", 2, False)])
def test_workers_fork_from_the_run_itself_or_from_a_fork_server_started_at_once(
        tmp_path: Path, target: str, threads: int, server: bool) -> None:
    """-j 2 on a folder forks its workers from the command's own process while it runs one thread (no
    server to start: they have what it has imported); a process with another thread (the TUI, a test
    runner, a library's pool) never forks itself, and starts the workers' fork server before its own
    imports (they import side by side). One SQL file is one app, run in the process itself: no workers."""
    import subprocess
    import sys

    suite = _suite(tmp_path, failing=set())
    code = ("import sys, threading, multiprocessing.forkserver as fs\n"
            f"if {threads} > 1:\n"
            "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
            "import velotui.core.parallel as p\n"
            "made = []\n"
            "start = p._Worker.start.__func__\n"
            "p._Worker.start = classmethod(lambda cls, ctx, *a: made.append(ctx.get_start_method()) or start(cls, ctx, *a))\n"
            "from velotui.cli.main import main\n"
            f"rc = main(['--headless', {str(suite / target)!r}, '-j', '2', '-q'])\n"
            "print(rc, bool(getattr(fs._forkserver, '_forkserver_pid', None)), ','.join(made) or '-')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    workers = "-" if target.endswith(".sql") else ("forkserver,forkserver" if server else "fork,fork")
    assert out.stdout.splitlines()[-1].split() == ["0", str(server), workers], out.stdout + out.stderr
