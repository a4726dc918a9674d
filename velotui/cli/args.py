"""Argument parsing. velo-test's spellings are accepted next to velotui's own."""

from __future__ import annotations

import argparse

SUBCOMMANDS = ("run", "validate", "schema-json", "explain", "explain-plan", "debug", "stress", "infer-schema", "init",
               "scaffold", "health", "annotate", "quickstart", "merge-reports", "mutate")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    p.add_argument("--json", metavar="FILE", help="write a JSON report to FILE")
    p.add_argument("--seed", type=int, help="run seed (default: the spec's seed, else a random one)")
    p.add_argument("--now", type=int, metavar="EPOCH_MS", help="freeze 'now' at this time (reproduces a run)")
    p.add_argument("-k", dest="pattern", metavar="PATTERN",
                   help="only apps/queries whose path or name contains PATTERN (glob characters allowed)")
    p.add_argument("--fail-fast", action="store_true", help="stop after the first failing query")
    p.add_argument("--records", type=int, metavar="N", help="generate N records per input (overrides specs)")
    p.add_argument("--strict", action="store_true",
                   help="warnings are errors: unknown spec/schema keys, near-miss WITH keys, metric warnings, and "
                   "divergence flags the spec does not accept")
    _add_dialect(p)
    p.add_argument("--query", metavar="NAME", help="run only this query")
    p.add_argument("--spec", metavar="SPEC", help="test spec for a single SQL file (velo-test spelling)")
    p.add_argument("--schemas", metavar="DIR", help="extra folder to look for schemas in (velo-test spelling)")
    p.add_argument("--output", choices=("text", "json", "junit"), default="text",
                   help="format of the report on stdout (velo-test spelling)")
    p.add_argument("--kafka", default=None, metavar="MODE",
                   help="embedded (default), local, testcontainers, or HOST:PORT[,...] of a cluster")
    p.add_argument("--kafka-config", metavar="FILE", help="extra Kafka client properties (SASL/SSL)")
    p.add_argument("--use-testcontainers", action="store_true", help="same as --kafka testcontainers")
    p.add_argument("--kafka-image", metavar="IMAGE",
                   help="the Kafka image for testcontainers (default apache/kafka:4.1.0, or $VELOTUI_KAFKA_IMAGE)")
    p.add_argument("--brokers", type=_jobs, default=1, metavar="N",
                   help="with --kafka local: a cluster of N brokers (KRaft; topics replicated to min(N, 3), "
                   "writes acknowledged by all but one)")
    p.add_argument("--keep-containers", action="store_true", help="leave the broker running at exit")
    p.add_argument("--reuse-containers", action="store_true", help="reuse a broker started by an earlier run")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per-query timeout (overrides specs)")
    p.add_argument("--allow-outside", action="append", default=[], metavar="PATH",
                   help="let specs, schemas and SQL name files in PATH, outside the suite folder (repeatable)")
    p.add_argument("--engine", metavar="ENGINE", default=None,
                   help="embedded (default), velostream (the real velo-sql binary, over Kafka), or external "
                   "(another engine runs the app against the --kafka cluster, see --deploy); docs/ENGINES.md")
    p.add_argument("--deploy", metavar="COMMAND",
                   help="external engine: a command with {sql} {bootstrap} {topics} {run_id} {statement}; it runs "
                   "the app over the published inputs and exits when done")
    p.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                   help="headless: run apps in N worker processes (default: the number of cores); the report "
                   "is the same as with -j 1")
    p.add_argument("--shard", metavar="K/N", help="run only shard K of N of the apps (CI matrices; "
                   "merge the shards' reports with `velotui merge-reports`)")
    p.add_argument("--timings", metavar="REPORT",
                   help="with --shard: balance the shards by the app durations in this JSON or JUnit report "
                   "of an earlier run")


    p.add_argument("--compare", metavar="A,B",
                   help="run every query on both engines (e.g. embedded,velostream) with the same inputs and diff "
                   "their outputs record by record")
    p.add_argument("--velostream-bin", metavar="PATH", help="the velo-sql binary (default: velo-sql on PATH)")
    p.add_argument("--quiet-period", type=float, metavar="SECONDS",
                   help="velostream: the sinks unchanged this long after every input was read = done (default 1.5)")
    p.add_argument("--close-windows", choices=("on", "off"), default=None,
                   help="velostream: add a record far in event time so the last windows are emitted (D18; "
                   "default on)")
    p.add_argument("--artifacts", metavar="DIR",
                   help="keep every engine's staged app and log in DIR (default: only those of queries that did not "
                   "pass, in the temp folder)")
    p.add_argument("--update-golden", action="store_true",
                   help="write each query's captured output to its golden file beside the spec (APP.golden/QUERY.jsonl);"
                   " later runs compare the output to it exactly")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--input", dest="inputs", action="append", default=[], metavar="SOURCE=FILE",
                   help="use the records of FILE (JSONL or CSV) as the input of SOURCE, instead of what the spec "
                   "says (repeatable; --shrink prints such a command)")
    p.add_argument("--shrink", action="store_true",
                   help="for each failed query, find a smallest input that fails the same assertion the same way; "
                   "write it beside the spec as X.<query>.min.jsonl with the command that reproduces the failure")
    p.add_argument("--coverage", action="store_true",
                   help="data coverage: for each query, which WHERE/HAVING conditions its inputs saw true and false, "
                   "which CASE arms they took, joins matched and unmatched, late records, … with a hint for each "
                   "item not covered (text under the query, JSON counts per item, JUnit system-out)")
    p.add_argument("--explain", action="store_true",
                   help="add an explanation of every failed assertion to the JSON report")
    p.add_argument("--whole-inputs", action="store_true",
                   help="make and hold every input and output whole; by default a query over a generated input of "
                   "more than 65,536 records runs block by block in bounded memory (docs/PERFORMANCE.md)")
    p.add_argument("--no-ai", action="store_true",
                   help="never call the Anthropic API; explanations come from the offline explainer")


def _jobs(text: str) -> int:
    """A count of processes (-j) or brokers (--brokers): a whole number, 1 or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {n}")
    return n


def _add_dialect(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dialect", choices=("reference", "extended"), default=None,
                   help="reference: refuse what the Velostream engine refuses (the default); extended: accept "
                   "velotui's extensions in every app (an app opts in alone with WITH ('sql.dialect' = 'extended'))")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="velotui",
        description="Test streaming SQL apps: generate data, run, assert, report. "
        "`velotui PATH` opens the terminal UI; `velotui --headless PATH` runs in CI.",
        epilog="subcommands: " + ", ".join(SUBCOMMANDS) + " (velotui SUBCOMMAND --help)",
    )
    p.add_argument("path", nargs="?", default=".", help="folder of SQL apps, or one .sql file")
    p.add_argument("--headless", action="store_true", help="run without the UI and report")
    p.add_argument("--theme", help="TUI theme (dark, light, high-contrast)")
    p.add_argument("--watch", action="store_true", help="TUI: re-run apps when their files change")
    _add_run_options(p)
    return p


def build_subparser(name: str) -> argparse.ArgumentParser:
    if name == "run":
        p = argparse.ArgumentParser(prog="velotui run", description="Run the tests headless (same as --headless).")
        p.add_argument("path", help="folder of SQL apps, or one .sql file")
        _add_run_options(p)
        return p
    if name == "validate":
        p = argparse.ArgumentParser(prog="velotui validate",
                                    description="Parse and check SQL, specs, schemas and configs; run nothing.")
        p.add_argument("path", help="folder of SQL apps, or one .sql file")
        p.add_argument("--strict", action="store_true",
                       help="warnings are errors (unknown keys, near-miss WITH keys, divergence flags not accepted)")
        _add_dialect(p)
        p.add_argument("--allow-outside", action="append", default=[], metavar="PATH")
        p.add_argument("--spec", metavar="SPEC")
        p.add_argument("--schemas", metavar="DIR")
        p.add_argument("--debug", action="store_true")
        return p
    if name == "explain":
        p = argparse.ArgumentParser(prog="velotui explain",
                                    description="Run the tests and explain every failed assertion (Markdown).")
        p.add_argument("path", help="folder of SQL apps, or one .sql file")
        _add_run_options(p)
        return p
    if name == "explain-plan":
        p = argparse.ArgumentParser(prog="velotui explain-plan",
                                    description="Print the plan the engine runs for each statement of an app.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--json", action="store_true", help="the plan as JSON (one object per statement)")
        p.add_argument("--spec", metavar="SPEC", help="the spec whose config: overrides apply (default: X.test.yaml)")
        p.add_argument("--dialect", choices=("reference", "extended"), help="as for run and validate")
        p.add_argument("--debug", action="store_true")
        return p
    if name == "debug":
        p = argparse.ArgumentParser(prog="velotui debug",
                                    description="Step through an app's statements one at a time.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--spec", metavar="SPEC")
        p.add_argument("--query", metavar="NAME", help="whose inputs to use (default: the first query)")
        p.add_argument("--break", dest="breakpoint", action="append", metavar="STATEMENT",
                       help="stop before this statement on 'continue' (repeatable)")
        p.add_argument("--seed", type=int)
        p.add_argument("--now", type=int)
        p.add_argument("--commands", metavar="'s;t topic;c'", help="run these commands instead of prompting")
        return p
    if name == "stress":
        p = argparse.ArgumentParser(prog="velotui stress", description="Load-test an app: throughput, latency, "
                                    "memory; the spec's throughput/latency/memory_usage/execution_time "
                                    "assertions pass or fail it.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--spec", metavar="SPEC")
        p.add_argument("--query", metavar="NAME")
        p.add_argument("--records", type=int, metavar="N")
        p.add_argument("--duration", metavar="D", help="e.g. 30s, 2m (instead of --records)")
        p.add_argument("--rate", type=float, metavar="R", help="records/s to publish at (default: as fast as possible)")
        p.add_argument("--seed", type=int)
        p.add_argument("--kafka", default=None, metavar="MODE", help="local or HOST:PORT: stress a real cluster")
        p.add_argument("--workers", type=int, default=1, metavar="N",
                       help="with --kafka: N producer processes publish the load")
        p.add_argument("--brokers", type=_jobs, default=1, metavar="N",
                       help="with --kafka local: start a cluster of N brokers (topics replicated to 3 of them)")
        p.add_argument("--json", metavar="FILE")
        p.add_argument("--junit", metavar="FILE")
        p.add_argument("--baseline", metavar="FILE", help="a --json file of an earlier stress run to compare with")
        p.add_argument("--tolerance", type=float, default=20.0, metavar="PERCENT")
        return p
    if name == "infer-schema":
        p = argparse.ArgumentParser(prog="velotui infer-schema",
                                    description="Draft data schemas for an app's sources from its SQL and samples.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--data", action="append", default=[], metavar="FILE",
                       help="CSV/JSONL sample of a source (the file's stem names the source; repeatable)")
        p.add_argument("-o", "--output", metavar="OUT", help="a folder (one file per source) or a .yaml file")
        p.add_argument("--force", action="store_true", help="replace the schema files if they exist (default: refuse)")
        p.add_argument("--ai", action="store_true", help="let the model refine the draft (validated, one retry)")
        return p
    if name == "init":
        p = argparse.ArgumentParser(prog="velotui init", description="Draft a test spec fitted to the app's queries.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("-o", "--output", metavar="SPEC")
        p.add_argument("--force", action="store_true", help="replace SPEC if it exists (default: refuse)")
        p.add_argument("--records", type=int, default=100)
        p.add_argument("--ai", action="store_true", help="let the model refine the draft (validated, one retry)")
        return p
    if name == "scaffold":
        p = argparse.ArgumentParser(prog="velotui scaffold", description="Create a new test project.")
        p.add_argument("path", help="the new project's folder")
        return p
    if name == "health":
        p = argparse.ArgumentParser(prog="velotui health", description="Java, Maven, Docker, the velo-sql "
                                    "binary, Kafka reachability, topics and consumer lag.")
        p.add_argument("--kafka", metavar="HOST:PORT")
        p.add_argument("--velostream-bin", metavar="PATH", help="the velo-sql binary to check (default: on PATH)")
        p.add_argument("--json", action="store_true")
        return p
    if name == "annotate":
        p = argparse.ArgumentParser(prog="velotui annotate", description="Add @app, @description and @data.* "
                                    "hints derived from a schema to a SQL file.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--schema", metavar="SCHEMA")
        p.add_argument("-o", "--output", metavar="OUT", help="default: X.annotated.sql beside the SQL")
        p.add_argument("--force", action="store_true", help="replace OUT if it exists (default: refuse)")
        return p
    if name == "quickstart":
        p = argparse.ArgumentParser(prog="velotui quickstart", description="Validate, draft a missing spec and "
                                    "schemas, run - in one command.")
        p.add_argument("path", help="the .sql file")
        p.add_argument("--seed", type=int)
        return p
    if name == "merge-reports":
        p = argparse.ArgumentParser(prog="velotui merge-reports",
                                    description="Merge the JSON and JUnit reports of --shard runs into one "
                                    "report, as an unsharded run would have written it.")
        p.add_argument("reports", nargs="+", metavar="REPORT", help="the shards' .json and/or .xml reports")
        p.add_argument("--json", metavar="FILE", help="write the merged JSON report (from the .json inputs)")
        p.add_argument("--junit", metavar="FILE", help="write the merged JUnit XML report (from the .xml inputs)")
        return p
    if name == "mutate":
        p = argparse.ArgumentParser(prog="velotui mutate",
                                    description="Mutation testing: change each app's SQL in small ways (one mutant "
                                    "at a time) and see whether its spec notices. Survivors are diagnosed: the "
                                    "spec does not look, or the data cannot tell (docs/QUALITY.md).")
        p.add_argument("path", nargs="?", help="folder of SQL apps, or one .sql file")
        p.add_argument("--seed", type=int, help="run seed (default: the spec's seed, else 1)")
        p.add_argument("--now", type=int, metavar="EPOCH_MS", help="frozen 'now' (default 2026-01-01T00:00:00Z)")
        p.add_argument("--budget", metavar="DURATION", help="stop starting mutants after this long, e.g. 60s or 2m "
                       "(those left are reported as not run)")
        p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="run mutants in N processes")
        p.add_argument("--operators", metavar="NAMES", help="only these operators, comma-separated "
                       "(see --list-operators)")
        p.add_argument("--list-operators", action="store_true", help="list the mutation operators and exit")
        p.add_argument("--min-score", type=float, metavar="PERCENT",
                       help="exit 1 when the mutation score is below PERCENT")
        p.add_argument("-k", dest="pattern", metavar="PATTERN", help="only apps/queries whose path or name contains PATTERN")
        p.add_argument("--query", metavar="NAME", help="only the mutants of the statement this query tests")
        p.add_argument("--json", metavar="FILE", help="write the JSON mutation report to FILE")
        p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (a testcase per mutant) to FILE")
        p.add_argument("--output", choices=("text", "json", "junit"), default="text", help="report format on stdout")
        p.add_argument("--strict", action="store_true", help="warnings are errors")
        p.add_argument("--spec", metavar="SPEC", help="test spec for a single SQL file")
        p.add_argument("--schemas", metavar="DIR", help="extra folder to look for schemas in")
        p.add_argument("--allow-outside", action="append", default=[], metavar="PATH")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
        p.add_argument("--debug", action="store_true", help="show tracebacks")
        return p
    if name == "schema-json":
        p = argparse.ArgumentParser(prog="velotui schema-json",
                                    description="Print the JSON Schema of a YAML format, for editors.")
        p.add_argument("kind", choices=("spec", "schema"))
        return p
    raise KeyError(name)
