"""Where users run checks: editors (the JSON Schema), pre-commit (the hook) and CI (the
GitHub Actions workflow in docs/) — each wired to a command that exists and works."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import PROJECT_DIR, invoke
from tierguard.cli import VERBS
from tierguard.config.editor_schema import SCHEMA_PATH, render
from tierguard.errors import ConfigError
from tierguard.program import plan_from_raw

STACK_FILES = [PROJECT_DIR / "Pulumi.dev.yaml", *sorted(PROJECT_DIR.glob("examples/Pulumi.*.yaml"))]


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((PROJECT_DIR / SCHEMA_PATH).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _dev() -> dict[str, Any]:
    doc = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_the_schema_file_is_generated_from_the_models() -> None:
    """Run `python -m tierguard.config.editor_schema` after changing the config models."""
    assert (PROJECT_DIR / SCHEMA_PATH).read_text() == render()


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_in_the_repository_satisfies_the_schema(path: Path) -> None:
    assert list(_validator().iter_errors(yaml.safe_load(path.read_text()))) == []


def test_a_misspelled_key_is_flagged_where_it_is() -> None:
    """`ingres` under a tier: the editor marks that tier, as the model refuses the key."""
    doc = _dev()
    tier = next(iter(doc["config"]["tierguard:network"]["tiers"].values()))
    tier["ingres"] = tier.pop("ingress")
    errors = list(_validator().iter_errors(doc))
    assert len(errors) == 1
    assert "'ingres' was unexpected" in errors[0].message
    assert list(errors[0].path)[:3] == ["config", "tierguard:network", "tiers"]
    with pytest.raises(ConfigError, match="ingres"):
        plan_from_raw(doc["config"]["tierguard:network"], region="us-east-1", stack="dev")


@pytest.mark.parametrize(
    ("ports", "valid"),
    [(443, True), ("8000-8080", True), ("ALL", True), ("80-", False), ("http", False)],
)
def test_port_spellings_the_schema_accepts_are_those_the_model_parses(
    ports: object, valid: bool
) -> None:
    doc = _dev()
    network = doc["config"]["tierguard:network"]
    rule = next(iter(network["tiers"].values()))["ingress"][0]
    rule.pop("service", None)
    rule.update({"protocol": "tcp", "ports": ports})
    assert (list(_validator().iter_errors(doc)) == []) is valid
    if not valid:
        with pytest.raises(ConfigError, match="not a port"):
            plan_from_raw(network, region="us-east-1", stack="dev")


def test_the_readme_shows_the_yaml_language_server_line() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert f"# yaml-language-server: $schema={SCHEMA_PATH.as_posix()}" in readme


def test_the_pre_commit_hook_runs_tierguard_check_on_stack_files() -> None:
    hooks = yaml.safe_load((PROJECT_DIR / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "tierguard-check"
    assert shlex.split(hook["entry"]) == ["tierguard", "check"]
    assert "check" in VERBS
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for path in STACK_FILES:
        assert files.search(path.relative_to(PROJECT_DIR).as_posix())
    for other in ("Pulumi.yaml", "policy/PulumiPolicy.yaml", "docs/Pulumi.md"):
        assert not files.search(other)


def test_the_github_workflow_writes_the_sarif_it_uploads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented workflow's preview step, run as written for the dev stack, writes a
    SARIF file, and the upload step sends that same file to code scanning."""
    workflow = yaml.safe_load((PROJECT_DIR / "docs/github-actions/tierguard.yml").read_text())
    job = workflow["jobs"]["offline-preview"]
    assert workflow["permissions"]["security-events"] == "write"
    steps = job["steps"]
    (command,) = [s["run"] for s in steps if "tierguard preview" in s.get("run", "")]
    (upload,) = [
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    ]
    stack = job["strategy"]["matrix"]["stack"][0]
    argv = shlex.split(command.replace("${{ matrix.stack }}", stack))
    assert argv[0] == ".venv/bin/tierguard"
    sarif = argv[argv.index("--sarif") + 1]
    assert upload["with"]["sarif_file"].replace("${{ matrix.stack }}", stack) == sarif
    argv[argv.index("--sarif") + 1] = str(tmp_path / sarif)
    code, _, _ = invoke([*argv[1:], "-C", str(PROJECT_DIR)], capsys, monkeypatch)
    assert code == 0
    report = json.loads((tmp_path / sarif).read_text())
    assert report["version"] == "2.1.0"
    assert report["runs"][0]["tool"]["driver"]["name"] == "tierguard"
