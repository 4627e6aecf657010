"""``tierguard check`` judges exactly what ``tierguard preview --offline`` judges: the same
registrations (derived from the plan instead of recorded from the SDK) and the same
verdicts (the pack's servicer in-process instead of over gRPC)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings

from bench.topologies import network_config
from tests.conftest import PROJECT_DIR, invoke, stack_file
from tests.test_properties import _valid, networks
from tierguard.cli import VERBS, cli
from tierguard.cli._stack import load_program
from tierguard.cli.reach import program_topology, registered
from tierguard.config.stackfile import StackFile
from tierguard.offline.inprocess import InProcessPack
from tierguard.offline.mocks import RecordedResource
from tierguard.offline.planned import planned_run
from tierguard.offline.policies import judge, report_json
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.program import plan_from_raw
from tierguard.reach import analyze
from tierguard.reach.render import matrix_json

STACK_FILES = [None, *sorted((PROJECT_DIR / "examples").glob("Pulumi.*.yaml"))]


def _comparable(resource: RecordedResource) -> dict[str, Any]:
    """A registration; dependencies as a set (the SDK gathers them from a set)."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "id": resource.id,
        "custom": resource.custom,
        "parent": resource.parent,
        "dependencies": sorted(resource.dependencies),
        "property_dependencies": {k: sorted(v) for k, v in resource.property_dependencies.items()},
        "inputs": resource.inputs,
        "outputs": resource.outputs,
    }


def assert_same_registrations(recorded: ProgramRun, planned: ProgramRun) -> None:
    assert {r.urn: _comparable(r) for r in planned.resources} == {
        r.urn: _comparable(r) for r in recorded.resources
    }
    assert planned.outputs == recorded.outputs


def _planned(stack: StackFile) -> ProgramRun:
    config = stack.config
    plan = plan_from_raw(
        config["tierguard:network"], region=str(config["aws:region"]), stack=stack.stack
    )
    return planned_run(
        plan, project=stack.project, stack=stack.stack, region=str(config["aws:region"])
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=networks())
def test_plan_derived_registrations_equal_the_programs_on_generated_networks(
    network: dict[str, Any],
) -> None:
    """Every generated network: the plan-derived run is the run the SDK records, resource
    by resource (URN, parent, dependencies, inputs as serialized, the mocks' outputs)."""
    if _valid(network) is None:
        return
    stack = stack_file(network)
    assert_same_registrations(run_program(PROJECT_DIR, stack), _planned(stack))


def test_plan_derived_registrations_equal_the_programs_on_a_bench_network() -> None:
    """A bench-sized network (hundreds of rules, tier references, ACLs) agrees too."""
    stack = stack_file(network_config(300), stack="bench")
    assert_same_registrations(run_program(PROJECT_DIR, stack), _planned(stack))


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name if p else "Pulumi.dev.yaml")
def test_check_reports_what_the_offline_preview_reports(
    path: Path | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the dev stack and every example: the same JSON document — resources, policy
    verdicts at preview and after up, reachability — and the same exit code."""
    where = ["--stack-file", str(path)] if path else []
    preview = invoke(
        ["preview", "--offline", "--json", "-C", str(PROJECT_DIR), *where], capsys, monkeypatch
    )
    check = invoke(
        ["check", "--json", "-C", str(PROJECT_DIR), *([str(path)] if path else [])],
        capsys,
        monkeypatch,
    )
    assert check[0] == preview[0]
    assert json.loads(check[1]) == json.loads(preview[1])


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=networks())
def test_in_process_verdicts_equal_the_pack_process_on_generated_networks(
    network: dict[str, Any],
) -> None:
    """Generated networks: the pack's servicer in-process reports what the pack's own
    process reports over gRPC, at preview and after up."""
    if _valid(network) is None:
        return
    stack = stack_file(network)
    over_grpc = judge(run_program(PROJECT_DIR, stack), stack.config, None)
    in_process = judge(_planned(stack), stack.config, None, pack=InProcessPack())
    assert report_json(in_process) == report_json(over_grpc)


def test_check_of_several_stack_files_fails_when_one_has_a_mandatory_violation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As pre-commit runs it: every changed stack file is checked, exit 1 names the
    stack that must not be deployed."""
    files = [str(p) for p in STACK_FILES if p is not None]
    verdicts = [invoke(["check", "-C", str(PROJECT_DIR), f], capsys, monkeypatch)[0] for f in files]
    code, _, err = invoke(["check", "-C", str(PROJECT_DIR), *files], capsys, monkeypatch)
    assert code == (1 if 1 in verdicts else 0)
    if code:
        assert "mandatory policy violation" in err


def test_check_help_names_the_offline_preview_as_the_engine_faithful_gate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = invoke(["check", "--help"], capsys, monkeypatch)
    assert code == 0
    assert "fast path" in out
    assert "engine-faithful gate" in out


def test_check_refuses_a_stack_without_tierguard_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Pulumi program that is not tierguard's is the offline preview's job: exit 2."""
    other = tmp_path / "Pulumi.other.yaml"
    other.write_text("config:\n  aws:region: us-east-1\n")
    code, _, err = invoke(["check", "-C", str(PROJECT_DIR), str(other)], capsys, monkeypatch)
    assert code == 2
    assert "preview --offline" in err


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``code`` (its
    output discarded)."""
    body = "".join(f"    {line}\n" for line in code.splitlines())
    probe = (
        "import contextlib, io, json, sys\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n{body}"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_DIR
    ).stdout
    return list(json.loads(loaded))


def test_check_and_the_offline_preview_load_neither_the_driver_nor_aws_sdks() -> None:
    """Start-up is part of what a user waits for: the offline verbs never import the
    Automation API driver, moto, boto3 or the audit, and check not the AWS provider SDK
    (the program imports it when the preview runs it)."""
    heavy = ("tierguard.driver", "tierguard.audit", "moto", "boto3", "botocore")
    verbs = "from tierguard.cli import cli\nfor verb in ('check', 'preview', 'reach'):\n"
    assert _loaded_after(verbs + "    cli.get_command(None, verb)", heavy) == []
    check = (
        "from tierguard.cli import main\n"
        f"sys.argv = ['tierguard', 'check', '--json', {str(STACK_FILES[1])!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _loaded_after(check, (*heavy, "pulumi_aws")) == []


def test_help_lists_every_verb_without_importing_one() -> None:
    """``tierguard --help`` loads no verb's module (they bring boto3, moto, the Automation
    API), yet lists each verb with the help the command itself gives."""
    help_run = (
        "from tierguard.cli import main\n"
        "sys.argv = ['tierguard', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    modules = tuple(verb.target.split(":")[0] for verb in VERBS.values())
    assert _loaded_after(help_run, (*modules, "boto3", "moto", "pulumi")) == []
    for name, verb in VERBS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        assert verb.summary == command.get_short_help_str(10_000), name


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name if p else "Pulumi.dev.yaml")
def test_reach_answers_from_the_plan_what_the_program_run_answers(path: Path | None) -> None:
    """``tierguard reach`` derives a tierguard stack's resources from its plan: the same
    reachability, and the same notes, as from the program run on the mock engine."""
    loaded = load_program(PROJECT_DIR, "dev", path)
    from_plan = program_topology(loaded, registered(loaded))
    from_program = program_topology(loaded, run_program(loaded.project_dir, loaded.stack))
    assert matrix_json(analyze(from_plan.topology)) == matrix_json(analyze(from_program.topology))
    assert from_plan.notes == from_program.notes
