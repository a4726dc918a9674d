"""No input, value or path can cost a run its report; nothing printed can drive the terminal.

Values JSON/XML cannot carry are written the documented way in every format (docs/FORMATS.md "Values in
reports"); report paths are checked before the run; one writer failing never stops the others; control
and bidi characters are shown escaped everywhere a person reads them."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest

from tests.cli.helpers import run_cli, write_suite
from velotui.report.values import normalise, short
from velotui.terminal import safe_text

ROOT = Path(__file__).resolve().parents[2]
EVIL = "\x1b[2J\x1b]0;pwned\x07ok\u202egnp.exe\x9b31m"
# a record with every value a writer could choke on, read from a data file
DATA = ('{"name": "\\u001b[2J\\u001b]0;pwned\\u0007ok\\u202egnp.exe\\u009b31m", "big": 123456789012345678901234567890, '
        '"lone": "x\\ud800y", "text": "' + "z" * 5000 + '"}\n')
SPEC = """application: app
queries:
  - name: o
    inputs:
      - source: s
        data_file: in.jsonl
    assertions:
      - type: field_values
        field: name
        operator: equals
        value: "zzz"
      - type: field_values
        field: big
        operator: equals
        value: 1
      - type: field_values
        field: text
        operator: equals
        value: "y"
      - type: field_values
        field: lone
        operator: equals
        value: "y"
"""


def _suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite", {"app.sql": "CREATE STREAM o AS SELECT name, big, lone, text FROM s "
                                            "EMIT CHANGES;\n", "app.test.yaml": SPEC, "in.jsonl": DATA})


def test_normalise_documented_encodings() -> None:
    assert normalise(2**64) == "18446744073709551616" and normalise(2**63 - 1) == 2**63 - 1
    assert normalise(-(2**70)) == str(-(2**70))
    assert [normalise(x) for x in (math.nan, math.inf, -math.inf)] == ["NaN", "Infinity", "-Infinity"]
    assert normalise("a\ud800b") == "a\\ud800b"
    assert normalise({1: b"\xff", ("t",): {2, 1}}) == {"1": "\\xff", "['t']": [1, 2]}
    deep: list = []
    cur = deep
    for _ in range(500):
        cur.append([])
        cur = cur[0]
    assert orjson.dumps(normalise(deep))  # orjson alone refuses past 255 levels


def test_short_says_when_it_cuts() -> None:
    assert short("abc", 10) == "abc"
    assert short("x" * 300, 200) == "x" * 200 + "… [cut: 300 characters in all]"


def test_safe_text_escapes_control_and_bidi() -> None:
    assert safe_text(EVIL) == "\\x1b[2J\\x1b]0;pwned\\x07ok\\u202egnp.exe\\x9b31m"
    assert safe_text("a\tb\nc\r") == "a\tb\nc\\x0d"
    assert safe_text("a\nb", newlines=False) == "a\\x0ab"


def test_every_format_carries_every_value(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path)
    junit, js = tmp_path / "r.xml", tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(suite), "--junit", str(junit), "--json", str(js)], capsys)
    assert rc == 1, out + err
    for stream in (out, err):  # the terminal never receives a control or bidi character
        assert not any(c in stream for c in "\x1b\x07\x9b\u202e\ud800"), stream
    assert "\\x1b[2J\\x1b]0;pwned\\x07ok\\u202egnp.exe\\x9b31m" in out
    assert "characters in all]" in out  # the 5000-character value is cut, and says so
    data = orjson.loads(js.read_bytes())
    a = data["apps"][0]["queries"][0]["assertions"]
    assert a[0]["actual"] == ["\x1b[2J\x1b]0;pwned\x07ok\u202egnp.exe\x9b31m"]  # JSON keeps the value itself
    assert a[1]["actual"] == ["123456789012345678901234567890"]  # beyond 64 bits: the digits, exact
    assert a[2]["actual"] == ["z" * 5000]  # JSON keeps huge values whole
    assert a[3]["actual"] == ["x\\ud800y"]
    xml = junit.read_text()
    root = ET.fromstring(xml.encode())  # well-formed XML
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "\\x1b[2J" in (failure.text or "") and "\\u202e" in (failure.text or "")
    assert "characters in all]" in (failure.text or "")


def test_json_and_junit_on_stdout_are_safe(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = _suite(tmp_path)
    for fmt in ("json", "junit"):
        rc, out, err = run_cli(["--headless", str(suite), "--output", fmt, "-q"], capsys)
        assert rc == 1
        assert not any(c in out for c in "\x1b\x07\u202e"), out[:500]
        if fmt == "json":
            orjson.loads(out)
        else:
            ET.fromstring(out.encode())


@pytest.mark.parametrize(("make", "message"), [
    (lambda t: t, "--junit {p} is a folder, not a file"),
    (lambda t: t / "missing" / "deeper" / "r.xml", None),  # created
    (lambda t: Path("/proc/version"), "--junit /proc/version cannot be written"),
    (lambda t: t / "file.txt" / "r.xml", "cannot create the folder"),
])
def test_report_paths_are_checked_before_the_run(tmp_path: Path, capsys, make, message) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "suite", {"app.sql": "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n",
                                             "app.test.yaml": "application: app\nqueries:\n  - name: o\n"
                                             "    inputs: [{source: s, data_file: in.jsonl}]\n"
                                             "    assertions: [{type: record_count, equals: 1}]\n",
                                             "in.jsonl": '{"a": 1}\n'})
    (tmp_path / "file.txt").write_text("x")
    p = make(tmp_path)
    rc, out, err = run_cli(["--headless", str(suite), "--junit", str(p)], capsys)
    if message is None:
        assert rc == 0 and p.exists(), out + err
        return
    assert rc == 2, out + err
    assert message.format(p=p) in err
    assert "velotui run" not in err  # refused before the run started


def test_one_failing_writer_never_stops_the_others(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import velotui.report.writers as writers

    def broken(report: object, path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "write_junit", broken)
    import velotui.report as report_pkg

    monkeypatch.setattr(report_pkg, "write_junit", broken)
    suite = _suite(tmp_path)
    js = tmp_path / "r.json"
    rc, out, err = run_cli(["--headless", str(suite), "--junit", str(tmp_path / "r.xml"), "--json", str(js)], capsys)
    assert "the JUnit report" in err and "No space left on device" in err
    assert js.exists() and orjson.loads(js.read_bytes())["apps"]
    assert "0 passed, 1 failed" in out  # the text report too
    assert rc == 1


def test_stderr_off_a_terminal_has_no_markup_and_no_hard_wraps(tmp_path: Path) -> None:
    long_dir = tmp_path / ("d" * 120)
    suite = write_suite(long_dir, {"app.sql": "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n",
                                   "app.test.yaml": "application: app\nqueries:\n  - name: o\n    inputs:\n"
                                   "      - {source: s, data_file: ../outside.jsonl}\n"})
    (tmp_path / "outside.jsonl").write_text('{"a": 1}\n')
    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", str(suite), "--junit", str(tmp_path / "d")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    proc2 = subprocess.run([sys.executable, "-m", "velotui", "--headless", str(suite)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    for p in (proc, proc2):
        assert "[red]" not in p.stderr and "[/]" not in p.stderr and "\x1b[" not in p.stderr, p.stderr
    line = next(x for x in proc2.stderr.splitlines() if "is outside the suite folder" in x)
    assert "../outside.jsonl is outside the suite folder" in line and len(line) > 200  # one line, not wrapped at 80


def test_a_report_that_cannot_be_written_whole_is_not_left_half_written(tmp_path: Path) -> None:
    """A write that fails part way (here the file size limit of the process, as a full disk would) left the
    first megabyte of the JSON report at its path: a file CI then failed to parse. Now it leaves no file,
    says so, and the JUnit report beside it (small enough) is written whole."""
    import resource

    suite = write_suite(tmp_path / "suite", {"app.sql": "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n",
                                             "app.test.yaml": "application: app\nqueries:\n  - name: o\n"
                                             "    inputs: [{source: s, data_file: in.jsonl}]\n"
                                             "    assertions: [{type: field_values, field: a, operator: equals, "
                                             "value: q}]\n",
                                             "in.jsonl": '{"a": "' + "z" * 2_000_000 + '"}\n'})
    js, junit = tmp_path / "r.json", tmp_path / "r.xml"

    def limit() -> None:  # Python ignores SIGXFSZ: a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    proc = subprocess.run([sys.executable, "-m", "velotui", "--headless", str(suite), "-q", "--json", str(js),
                           "--junit", str(junit)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          preexec_fn=limit)
    assert proc.returncode == 1, proc.stderr
    assert f"the JSON report {js} could not be written: File too large" in proc.stderr
    assert not js.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".velotui-")]  # no partial file either
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_names_and_descriptions_with_newlines_stay_on_their_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The text report's one line per query printed an app name's newline as a newline (the query's line
    broke in two, its second half looking like a line of its own), and so did an assertion's description;
    JUnit did not carry the description at all."""
    suite = write_suite(tmp_path / "suite", {"app.sql": "CREATE STREAM o AS SELECT a FROM s EMIT CHANGES;\n",
                                             "app.test.yaml": 'application: "a\\nPASS  x / y"\nqueries:\n  - name: o\n'
                                             "    inputs: [{source: s, data_file: in.jsonl}]\n"
                                             '    assertions: [{type: record_count, equals: 2, description: '
                                             '"two\\nrecords <&>"}]\n', "in.jsonl": '{"a": 1}\n'})
    junit = tmp_path / "r.xml"
    rc, out, err = run_cli(["--headless", str(suite), "-q", "--junit", str(junit)], capsys)
    assert rc == 1, out + err
    lines = out.splitlines()
    assert "FAIL  a\\x0aPASS  x / y / o  1 → 1" in out and not any(line.startswith("PASS") for line in lines)
    assert any(line.startswith("✗ record_count — two\\x0arecords <&>") for line in lines), out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and "record_count — two\nrecords <&> (" in (failure.text or "")
