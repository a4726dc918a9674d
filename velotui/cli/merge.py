"""``velotui merge-reports SHARD...``: the reports of ``--shard K/N`` runs as one run's report."""

from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson

from velotui.errors import SpecError


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SpecError(f"{path}: cannot read it ({e.strerror})") from None


def merge_reports_command(args: argparse.Namespace) -> int:
    """Exit code: the merged run's (0 all passed, 1 a failure, ...); 2 when the inputs do not fit together
    or when no app ran in any shard (a matrix pointed at the wrong folder must not pass)."""
    from velotui.report import check_destinations
    from velotui.report.merge import NOTHING_RAN, merge_json, merge_junit
    from velotui.report.output import write_report_file, xml_bytes
    from velotui.report.writers import _jsonable

    check_destinations([("--json", args.json), ("--junit", args.junit)])
    for name in args.reports:  # a merged report never replaces one of the reports it merges
        for flag, value in (("--json", args.json), ("--junit", args.junit)):
            if value and Path(value).exists() and Path(name).exists() and os.path.samefile(value, name):
                raise SpecError(f"{flag} {value} is one of the reports to merge: it would be lost",
                                hint="write the merged report to another file")
    json_docs, json_names, xml_roots, xml_names = [], [], [], []
    for name in args.reports:
        path = Path(name)
        data = _read(path)
        if data.lstrip().startswith(b"<"):
            try:
                xml_roots.append(ET.fromstring(data))
            except ET.ParseError as e:
                raise SpecError(f"{path}: not valid XML ({e})", file=path) from None
            xml_names.append(name)
        else:
            try:
                json_docs.append(orjson.loads(data))
            except orjson.JSONDecodeError as e:
                raise SpecError(f"{path}: neither a JSON nor a JUnit XML report ({e})", file=path,
                                hint="merge the files that --json and --junit wrote") from None
            json_names.append(name)
    if args.json and not json_docs:
        raise SpecError("--json: no JSON report among the inputs", hint="pass the shards' --json files")
    if args.junit and not xml_roots:
        raise SpecError("--junit: no JUnit XML report among the inputs", hint="pass the shards' --junit files")
    if not args.json and not args.junit:
        raise SpecError("nothing to write: give --json FILE and/or --junit FILE")
    exit_code = 0
    apps = 0
    if json_docs:
        merged = merge_json(json_docs, json_names)
        exit_code = int(merged.get("exit_code", 0))
        apps = len(merged["apps"])
        if args.json:
            write_report_file(args.json, orjson.dumps(merged, default=_jsonable, option=orjson.OPT_INDENT_2))
    if xml_roots:
        root = merge_junit(xml_roots, xml_names)
        if not json_docs:
            exit_code = 1 if int(root.get("failures", 0)) or int(root.get("errors", 0)) else 0
            apps = sum(1 for s in root.findall("testsuite") if s.get("file"))  # not "files not run", "velotui run"
        if args.junit:
            write_report_file(args.junit, xml_bytes(root))
    n = len(json_docs) or len(xml_roots)
    if apps == 0:
        print(f"error: {NOTHING_RAN.format(n=n)}", file=sys.stderr)
        return 2
    print(f"merged {n} report(s): {apps} app(s), exit code {exit_code}", file=sys.stderr)
    return exit_code
