"""`velotui scaffold | health | annotate | quickstart`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from velotui.cli.console import echo


def scaffold_command(args: argparse.Namespace) -> int:
    from velotui.core.toolbox import scaffold

    for p in scaffold(Path(args.path)):
        echo(f"created {p}")
    echo(f"next: velotui {args.path}/   (or: velotui --headless {args.path}/)")
    return 0


def health_command(args: argparse.Namespace) -> int:
    from velotui.core.toolbox import health, health_text

    report = health(args.kafka, velostream_bin=getattr(args, "velostream_bin", None))
    echo(json.dumps(report, indent=2) if args.json else health_text(report))
    if "kafka" in report and not report["kafka"]["ok"]:
        return 3
    if getattr(args, "velostream_bin", None) and not report["velostream"]["ok"]:  # the binary asked for is unusable
        return 3
    return 0


def annotate_command(args: argparse.Namespace) -> int:
    from velotui.core.discovery import discover, find_schema
    from velotui.core.toolbox import annotate
    from velotui.spec import load_data_schema
    from velotui.sql import load_app

    sql = Path(args.path)
    app = load_app(sql)
    schema_path = Path(args.schema) if args.schema else None
    if schema_path is None:
        files = discover(sql).apps[0]
        src = next(iter(app.external_sources), None)
        name = src.name if src is not None else None
        if files.spec_path is not None and name is not None:  # the spec may name the schema differently
            from velotui.spec import load_test_spec

            for q in load_test_spec(files.spec_path).queries:
                for inp in q.inputs:
                    if inp.source == name and inp.schema_name:
                        name = inp.schema_name
        schema_path = find_schema(files, name) if name is not None else None
    schema = load_data_schema(schema_path) if schema_path else None
    out = Path(args.output) if args.output else sql.with_name(sql.stem + ".annotated.sql")
    from velotui.cli.authoring import refuse_overwrite

    refused = refuse_overwrite([out], args.force)
    if refused:
        import sys

        echo(refused, file=sys.stderr)
        return 2
    out.write_text(annotate(sql.read_text(), app.name, schema))
    echo(f"wrote {out}" + (f" (hints from {schema_path})" if schema_path else " (no schema found: @app only)"))
    return 0


def quickstart_command(args: argparse.Namespace) -> int:
    from velotui.cli.main import main
    from velotui.core.authoring import dump_yaml, infer_schemas, init_spec
    from velotui.core.discovery import discover, find_schema
    from velotui.sql import load_app, validate

    sql = Path(args.path)
    app = load_app(sql)
    problems = validate(app)
    if problems:
        echo(f"error: {problems[0]}")
        return 2
    echo(f"1. {sql}: {len(app.statements)} statement(s) valid")
    files = discover(sql).apps[0]
    if files.spec_path is None:
        spec_path = sql.with_suffix("").with_suffix(".test.yaml")
        spec_path.write_text(dump_yaml(init_spec(app)))
        echo(f"2. drafted {spec_path}")
    else:
        echo(f"2. spec {files.spec_path}")
    missing = [s.name for s in app.external_sources if s.kind == "kafka" and find_schema(files, s.name) is None]
    if missing and not app.data_hints:
        out = sql.parent / "schemas"
        out.mkdir(exist_ok=True)
        for name, schema in infer_schemas(app).items():
            if name in missing:
                (out / f"{name}.schema.yaml").write_text(dump_yaml(schema))
                echo(f"3. drafted {out / (name + '.schema.yaml')}")
    else:
        echo("3. schemas found" if not missing else "3. schemas from the SQL's @data hints")
    echo("4. running:")
    return main(["--headless", str(sql), *(["--seed", str(args.seed)] if args.seed is not None else [])])
