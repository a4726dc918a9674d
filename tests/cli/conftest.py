"""Fixtures of the CLI tests."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import DEMO, DEMO_SEED


@pytest.fixture(scope="session")
def demo_reference(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo suite run once, in this process (-j 1): (exit code, JSON report, JUnit text). The
    reference that -j N runs and merged shards must reproduce."""
    from velotui.cli import main

    tmp = tmp_path_factory.mktemp("demo_reference")
    rc = main(["--headless", DEMO, "-j", "1", "-q", *DEMO_SEED, "--json", str(tmp / "r.json"),
               "--junit", str(tmp / "r.xml")])
    return rc, json.loads((tmp / "r.json").read_text()), (tmp / "r.xml").read_text()
