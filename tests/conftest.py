"""Shared fixtures: run the real program on the mock engine for a given network config.

The SDK's mocks are process-global; ``run_program`` installs fresh settings and a fresh
recording monitor per call, so tests pass in any order (pytest-randomly checks that).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from tierguard.cli import main
from tierguard.config.stackfile import StackFile
from tierguard.offline.mocks import RecordedResource
from tierguard.offline.runner import ProgramRun, run_program

PROJECT_DIR = Path(__file__).resolve().parents[1]

# `make mutation` (mutation/__main__.py) runs each test once per mutant, forked from one
# process: the same examples every time (a mutant's fate must not depend on luck), no
# example database between runs, no shrinking (a failure is all it needs to know), and
# no complaint about the forked executors.
settings.register_profile(
    "mutation",
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ACL = "aws:ec2/networkAcl:NetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ACL_ASSOC = "aws:ec2/networkAclAssociation:NetworkAclAssociation"

RunConfig = Callable[..., ProgramRun]


def stack_file(
    network: dict[str, Any], *, stack: str = "test", region: str = "us-east-1"
) -> StackFile:
    return StackFile(
        project="tierguard",
        stack=stack,
        path=PROJECT_DIR / f"Pulumi.{stack}.yaml",
        config={"aws:region": region, "tierguard:network": network},
    )


@pytest.fixture(name="run_config")
def _run_config() -> RunConfig:
    """Run the repo's ``__main__.py`` under mocks for a ``tierguard:network`` value."""

    def run(
        network: dict[str, Any], *, stack: str = "test", region: str = "us-east-1"
    ) -> ProgramRun:
        return run_program(PROJECT_DIR, stack_file(network, stack=stack, region=region))

    return run


def by_name(run: ProgramRun, type_: str) -> dict[str, RecordedResource]:
    return {r.name: r for r in run.of_type(type_)}


def group_names(run: ProgramRun) -> dict[str, str]:
    """Security-group id → tier resource name, to read references back."""
    return {r.id: r.name for r in run.of_type(SG)}


def invoke(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the ``tierguard`` console entry point in-process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tierguard", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    """A copy of the project's program and dev stack file, to break one at a time."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path
