"""topic_naming never puts a secret into a topic name on a shared cluster: only the documented
placeholders (checked at load, file:line), only user/branch variables, values sanitised, secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, write_suite
from velotui.bus.kafka import topic_name
from velotui.errors import SpecError
from velotui.spec import parse_test_spec
from velotui.spec.test_spec import TopicNaming


def _spec(naming: str) -> str:
    return f"application: a\ntopic_naming:\n{naming}queries: []\n"


@pytest.mark.parametrize(("naming", "where", "message"), [
    ("  pattern: 'test_{nope}_{base}'\n", "3:12", "uses {nope}, which is not a placeholder"),
    ("  pattern: 'test_{base'\n", "3:12", "is not valid: expected '}' before end of string"),
    ("  pattern: 'x_{base.__class__.__name__}'\n", "3:12", "uses {base.__class__.__name__}, which is not a placeholder"),
    ("  pattern: 'x_{base:>9999}'\n", "3:12", "write {base} plainly, without a format or conversion"),
    ("  pattern: 'x_{run_id}'\n", "3:12", "has no {base}: every topic of a run would get the same name"),
    ("  user_from_env: ANTHROPIC_API_KEY\n", "3:18", "user_from_env names 'ANTHROPIC_API_KEY', which is not a user "
                                                      "variable"),
    ("  branch_from_env: AWS_SECRET_ACCESS_KEY\n", "3:20", "branch_from_env names 'AWS_SECRET_ACCESS_KEY'"),
])
def test_refused_at_load_with_the_place(naming: str, where: str, message: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_test_spec(_spec(naming), "s.test.yaml")
    assert str(e.value).startswith(f"s.test.yaml:{where}: '"), str(e.value)
    assert message in str(e.value)


def test_validate_says_it_before_anything_runs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "s", {"app.sql": "CREATE STREAM o AS SELECT a FROM s;\n",
                                         "app.test.yaml": "application: app\ntopic_naming:\n  pattern: '{nope}'\n"
                                         "queries:\n  - name: o\n    inputs: [{source: s, records: 0}]\n"})
    rc, out, _ = run_cli(["validate", str(suite)], capsys)
    assert rc == 2 and "app.test.yaml:3:12: 'pattern': pattern '{nope}' uses {nope}" in out


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    naming = TopicNaming(pattern="t_{branch}_{user}_{base}", branch_from_env="GITHUB_HEAD_REF", user_from_env="USER")
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature/login ü; rm -rf")
    monkeypatch.setenv("USER", "alice")
    assert topic_name("orders", "r1", naming) == "t_feature_login____rm_-rf_alice_orders"
    monkeypatch.setenv("GITHUB_HEAD_REF", "x" * 500)
    assert topic_name("orders", "r1", naming) == f"t_{'x' * 64}_alice_orders"  # a value is at most 64 characters
    for secret in ("sk-ant-api03-Zx9Yq", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "AbC9dEf8GhI7jKl6MnO5pQr4",
                   "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"):
        monkeypatch.setenv("GITHUB_HEAD_REF", secret)
        with pytest.raises(SpecError) as e:
            topic_name("orders", "r1", naming)
        assert "the value of GITHUB_HEAD_REF looks like a secret" in str(e.value) and secret not in str(e.value)


def test_a_model_built_in_code_is_checked_too() -> None:
    naming = TopicNaming.model_construct(pattern="{base.__init__.__globals__}")
    with pytest.raises(SpecError):
        topic_name("orders", "r1", naming)


def test_a_secret_by_any_route_never_becomes_a_topic_name() -> None:
    with pytest.raises(SpecError) as e:  # e.g. a config's topic: ${API_KEY}
        topic_name("sk-ant-api03-Zx9YqAbCdEf", "r1", None)
    assert "the topic name's base looks like a secret" in str(e.value) and "Zx9Yq" not in str(e.value)
    assert topic_name("orders_v2", "r1", None) == "test_r1_orders_v2"
    for plain in ("a" * 60, "2024" * 10, "market_data_ticks_2024_12_01", "dependabot/npm_and_yarn/lodash-4.17.21"):
        assert topic_name(plain, "r1", None)  # long or repetitive is not random
