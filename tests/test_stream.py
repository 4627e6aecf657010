"""``preview --offline`` sends the ``Analyze`` calls while the program registers, as the
engine does (engine-protocol.md: one call per resource, before its step, with the inputs
and the unknown sentinel wherever a dependency not created yet computes the value). Each
streamed request must be the very request ``engine_calls`` builds from the finished run
for the preview, whatever order the registrations arrive in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bench.topologies import network_config
from tests.conftest import PROJECT_DIR, stack_file
from tests.test_properties import _valid, networks
from tierguard.cli._stack import load_program
from tierguard.config.stackfile import StackFile
from tierguard.offline.engine import UNKNOWN, PreviewAnalyze, engine_calls
from tierguard.offline.runner import run_program

EXAMPLES = PROJECT_DIR / "examples"
PROGRAMS = [
    (PROJECT_DIR, None),
    *((PROJECT_DIR, path) for path in sorted(EXAMPLES.glob("Pulumi.*.yaml"))),
    *((path, None) for path in sorted(EXAMPLES.iterdir()) if path.is_dir()),
]


def _assert_streamed_requests_are_the_engines(project_dir: Path, stack: StackFile) -> None:
    requests = PreviewAnalyze(stack.project, stack.stack, stack.config)
    streamed = requests.first()
    run = run_program(project_dir, stack, on_record=lambda r: streamed.append(requests.request(r)))
    expected = engine_calls(run, "preview", stack.config).analyze
    assert streamed[:2] == list(expected[:2])  # the root stack and the provider first
    assert len(streamed) == len(expected)
    assert {r["urn"]: r for r in streamed} == {r["urn"]: r for r in expected}


@pytest.mark.parametrize(
    ("project", "path"), PROGRAMS, ids=lambda v: v.name if isinstance(v, Path) else "dev"
)
def test_streamed_requests_are_the_engines_on_every_example(
    project: Path, path: Path | None
) -> None:
    loaded = load_program(project, "dev", path)
    _assert_streamed_requests_are_the_engines(loaded.project_dir, loaded.stack)


def test_streamed_requests_carry_the_unknowns_of_the_preview() -> None:
    """A rule registered after its group reads the group's id as unknown, as at preview."""
    stack = stack_file(network_config(100), stack="bench")
    requests = PreviewAnalyze(stack.project, stack.stack, stack.config)
    streamed: list[dict[str, Any]] = []
    run_program(PROJECT_DIR, stack, on_record=lambda r: streamed.append(requests.request(r)))
    rules = [r for r in streamed if r["type"].endswith("SecurityGroupIngressRule")]
    assert rules
    assert all(r["properties"]["securityGroupId"] == UNKNOWN for r in rules)
    _assert_streamed_requests_are_the_engines(PROJECT_DIR, stack)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=networks())
def test_streamed_requests_are_the_engines_on_generated_networks(network: dict[str, Any]) -> None:
    if _valid(network) is None:
        return
    _assert_streamed_requests_are_the_engines(PROJECT_DIR, stack_file(network))
