"""--shard K/N and merge-reports: every app in exactly one shard, and the merged reports are the report
of the unsharded run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import (
    DEMO,
    DEMO_SEED,
    comparable_junit,
    comparable_report,
    good_files,
    run_cli,
    write_suite,
)
from velotui.core.discovery import discover
from velotui.core.sharding import app_key, load_timings, parse_shard, shard_apps
from velotui.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]


def _demo_apps() -> tuple[list, Path]:
    suite = discover(ROOT / "demo")
    return [a for a in suite.apps if a.spec_path is not None], suite.root


@pytest.mark.parametrize("n", [1, 2, 3, 5, 30])
def test_shards_cover_every_app_exactly_once_in_run_order(n: int) -> None:
    apps, root = _demo_apps()
    shards = [shard_apps(apps, root, k, n) for k in range(1, n + 1)]
    seen = [a.sql_path for s in shards for a in s]
    assert sorted(seen) == sorted(a.sql_path for a in apps) and len(seen) == len(set(seen))
    order = [a.sql_path for a in apps]
    for s in shards:
        assert [a.sql_path for a in s] == sorted((a.sql_path for a in s), key=order.index)


def test_adding_an_app_moves_no_other_app(tmp_path: Path) -> None:
    apps, root = _demo_apps()
    before = {str(a.sql_path): k for k in range(1, 5) for a in shard_apps(apps, root, k, 4)}
    extra = type(apps[0])(sql_path=root / "tier9_new" / "99_new.sql", spec_path=apps[0].spec_path)
    after = {str(a.sql_path): k for k in range(1, 5) for a in shard_apps([*apps, extra], root, k, 4)}
    assert {p: k for p, k in after.items() if p in before} == before


def test_shard_keys_do_not_depend_on_where_the_suite_lives(tmp_path: Path) -> None:
    apps, root = _demo_apps()
    assert app_key(apps[0].sql_path, root) == "tier1_basic/01_passthrough.sql"
    assert app_key(Path("demo/tier1_basic/01_passthrough.sql"), Path("demo")) == "tier1_basic/01_passthrough.sql"


def test_timings_balance_the_shards() -> None:
    apps, root = _demo_apps()
    keys = [app_key(a.sql_path, root) for a in apps]
    timings = {f"demo/{k}": 1.0 for k in keys}
    timings[f"demo/{keys[3]}"] = 30.0  # one slow app: it gets a shard nearly to itself
    timings.pop(f"demo/{keys[5]}")  # an app the file does not know counts as the median (1 s)
    loads = []
    for k in (1, 2, 3):
        shard = shard_apps(apps, root, k, 3, timings)
        loads.append(sum(timings.get(f"demo/{app_key(a.sql_path, root)}", 1.0) for a in shard))
    assert max(loads) == 30.0 and sorted(loads)[:2] == [11.0, 12.0]
    again = [shard_apps(apps, root, k, 3, timings) for k in (1, 2, 3)]  # the same split in every job
    assert [[a.sql_path for a in s] for s in again] == [[a.sql_path for a in shard_apps(apps, root, k, 3, timings)]
                                                        for k in (1, 2, 3)]


def test_timing_files_are_json_or_junit_reports(demo_reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, data, xml = demo_reference
    (tmp_path / "r.json").write_text(json.dumps(data))
    (tmp_path / "r.xml").write_text(xml)
    from_json, from_xml = load_timings(tmp_path / "r.json"), load_timings(tmp_path / "r.xml")
    assert set(from_json) == set(from_xml) == {Path(a["file"]).as_posix() for a in data["apps"]}
    assert all(from_json[Path(a["file"]).as_posix()] == a["duration_ms"] / 1000 > 0 for a in data["apps"])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(SpecError) as e:
        load_timings(tmp_path / "bad.json")
    assert "not a JSON report" in str(e.value)


@pytest.mark.parametrize("text,msg", [("2", "expected K/N"), ("0/3", "between 1 and N"), ("4/3", "between 1 and N"),
                                      ("1/0", "between 1 and N"), ("a/b", "expected K/N")])
def test_bad_shard_is_a_clear_error(text: str, msg: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as e:
        parse_shard(text)
    assert msg in str(e.value)
    rc, _, err = run_cli(["--headless", DEMO, "--shard", text], capsys)
    assert rc == 2 and msg in err


def test_timings_need_a_shard(capsys) -> None:  # type: ignore[no-untyped-def]
    rc, _, err = run_cli(["--headless", DEMO, "--timings", "x.json"], capsys)
    assert rc == 2 and "needs --shard" in err


def test_shards_merge_to_the_unsharded_report(demo_reference, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc_all, whole, whole_xml = demo_reference
    inputs = []
    for k in (1, 2, 3):
        j, x = tmp_path / f"shard{k}.json", tmp_path / f"shard{k}.xml"
        rc, _, _ = run_cli(["--headless", DEMO, "--shard", f"{k}/3", "-q", *DEMO_SEED, "-j", "2" if k == 2 else "1",
                            "--json", str(j), "--junit", str(x)], capsys)
        assert rc == 0
        shard = json.loads(j.read_text())
        assert 0 < len(shard["apps"]) < len(whole["apps"]) and f"--shard {k}/3" in shard["reproduce"]
        inputs += [str(j), str(x)]
    rc, _, err = run_cli(["merge-reports", *inputs, "--json", str(tmp_path / "m.json"),
                          "--junit", str(tmp_path / "m.xml")], capsys)
    assert rc == rc_all == 0, err
    merged = json.loads((tmp_path / "m.json").read_text())
    assert comparable_report(merged) == comparable_report(whole)
    assert comparable_junit((tmp_path / "m.xml").read_text()) == comparable_junit(whole_xml)
    assert "--shard" not in merged["reproduce"] and merged["reproduce"].endswith("--seed 7 --now 1700000000000")
    assert list(merged) == list(whole)  # the keys in the order a run writes them


def test_merge_refuses_reports_that_are_not_one_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "s", good_files())
    for seed in ("1", "2"):
        rc, _, _ = run_cli(["--headless", str(suite), "--seed", seed, "--now", "1", "-q",
                            "--json", str(tmp_path / f"s{seed}.json")], capsys)
        assert rc == 0
    rc, _, err = run_cli(["merge-reports", str(tmp_path / "s1.json"), str(tmp_path / "s2.json"),
                          "--json", str(tmp_path / "m.json")], capsys)
    assert rc == 2 and "different seeds" in err and "--seed" in err
    rc, _, err = run_cli(["merge-reports", str(tmp_path / "s1.json"), str(tmp_path / "s1.json"),
                          "--json", str(tmp_path / "m.json")], capsys)
    assert rc == 2 and "is in two reports" in err
    (tmp_path / "junk.txt").write_text("hello")
    rc, _, err = run_cli(["merge-reports", str(tmp_path / "junk.txt"), "--json", str(tmp_path / "m.json")], capsys)
    assert rc == 2 and "neither a JSON nor a JUnit XML report" in err
    rc, _, err = run_cli(["merge-reports", str(tmp_path / "s1.json")], capsys)
    assert rc == 2 and "--json FILE and/or --junit FILE" in err


def test_an_empty_shard_passes_and_an_empty_merge_fails(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "s", good_files())  # one app: of 4 shards, 3 are empty
    empty = next(k for k in range(1, 5) if not shard_apps(discover(suite).apps, suite, k, 4))
    rc, _, err = run_cli(["--headless", str(suite), "--shard", f"{empty}/4", "--seed", "1", "--now", "1",
                          "--json", str(tmp_path / "e.json")], capsys)
    assert rc == 0 and "holds none of the suite's apps" in err
    rc, _, err = run_cli(["merge-reports", str(tmp_path / "e.json"), "--json", str(tmp_path / "m.json")], capsys)
    assert rc == 2 and "nothing ran" in err
    rc, _, err = run_cli(["--headless", str(tmp_path / "nowhere"), "--shard", "1/2"], capsys)
    assert rc == 2  # a folder without apps is not an empty shard
