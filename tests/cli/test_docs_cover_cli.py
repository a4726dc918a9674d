"""Every command-line option and subcommand has a line in docs/CLI.md."""

from __future__ import annotations

from pathlib import Path

from velotui.cli.args import SUBCOMMANDS, build_parser, build_subparser

DOC = (Path(__file__).resolve().parents[2] / "docs" / "CLI.md").read_text()


def _long_options(parser) -> set[str]:  # type: ignore[no-untyped-def]
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"}


def test_every_option_of_the_main_command_is_documented() -> None:
    missing = sorted(o for o in _long_options(build_parser()) if f"`{o}" not in DOC and f" {o}" not in DOC)
    assert not missing, f"docs/CLI.md does not mention {missing}"


def test_every_subcommand_and_its_options_are_documented() -> None:
    missing = []
    for name in SUBCOMMANDS:
        if f"velotui {name}" not in DOC:
            missing.append(name)
        missing += [f"{name} {o}" for o in sorted(_long_options(build_subparser(name)))
                    if o not in DOC]
    assert not missing, f"docs/CLI.md does not mention {missing}"
