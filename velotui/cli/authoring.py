"""`velotui infer-schema` and `velotui init`: first drafts of schemas and specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from velotui.cli.console import echo
from velotui.errors import VelotuiError


def refuse_overwrite(paths: list[Path], force: bool) -> str | None:
    """A draft never replaces an existing file (a hand-written spec, schema or SQL) unless ``--force``: the
    message that refuses it (every path checked before anything is written), or None."""
    if force:
        return None
    for p in paths:
        if p.exists() or p.is_symlink():
            what = "a folder" if p.is_dir() else "a file"
            return (f"error: {p} exists ({what}): not replaced\n  hint: give -o another path, or add --force "
                    "to replace it")
    return None


def infer_schema_command(args: argparse.Namespace) -> int:
    from velotui.core.authoring import dump_yaml, infer_schemas, load_samples
    from velotui.spec import parse_data_schema
    from velotui.sql import load_app

    try:
        app = load_app(Path(args.path))
        schemas = infer_schemas(app, load_samples([Path(p) for p in args.data]))
        for name, schema in schemas.items():  # every draft must validate before it is written
            parse_data_schema(dump_yaml(schema), f"{name}.schema.yaml")
    except VelotuiError as e:
        echo(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if args.ai:
        from velotui.core.authoring_ai import refine_schemas

        schemas = refine_schemas(app, schemas, Path(args.path))
    if not args.output:
        for name, schema in schemas.items():
            echo(f"# {name}.schema.yaml\n{dump_yaml(schema)}")
        return 0
    out = Path(args.output)
    one_file = out.suffix in (".yaml", ".yml") and len(schemas) == 1
    refused = refuse_overwrite([out] if one_file else [out / f"{name}.schema.yaml" for name in schemas],
                               getattr(args, "force", False))
    if refused:
        echo(refused, file=sys.stderr)
        return 2
    if one_file:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dump_yaml(next(iter(schemas.values()))))
        echo(f"wrote {out}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        (out / f"{name}.schema.yaml").write_text(dump_yaml(schema))
        echo(f"wrote {out / (name + '.schema.yaml')}")
    return 0


def init_command(args: argparse.Namespace) -> int:
    from velotui.core.authoring import dump_yaml, init_spec
    from velotui.spec import parse_test_spec
    from velotui.sql import load_app

    if args.output:  # said before the draft is made (an --ai draft costs a call)
        refused = refuse_overwrite([Path(args.output)], getattr(args, "force", False))
        if refused:
            echo(refused, file=sys.stderr)
            return 2
    try:
        app = load_app(Path(args.path))
        spec = init_spec(app, records=args.records)
        parse_test_spec(dump_yaml(spec), "draft.test.yaml")
    except VelotuiError as e:
        echo(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if args.ai:
        from velotui.core.authoring_ai import refine_spec

        spec = refine_spec(app, spec, Path(args.path))
    text = dump_yaml(spec)
    if not args.output:
        echo(text)
        return 0
    refused = refuse_overwrite([Path(args.output)], getattr(args, "force", False))
    if refused:
        echo(refused, file=sys.stderr)
        return 2
    Path(args.output).write_text(text)
    echo(f"wrote {args.output}")
    return 0
