"""``tierguard reach`` derives a tierguard stack's resources in the region the program
deploys to: ``aws:region``, else the AWS environment, as the provider reads it (Pulumi AWS
provider configuration: ``region`` or ``AWS_REGION``/``AWS_DEFAULT_REGION``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR
from tests.test_check import assert_same_registrations
from tierguard.cli._stack import load_program
from tierguard.cli.reach import registered
from tierguard.offline.runner import run_program


def test_a_stack_without_aws_region_is_derived_in_the_environments_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``aws:region`` and ``AWS_REGION=eu-west-1``: the derived registrations (ARNs,
    zones) are those the program records when it runs in eu-west-1."""
    dev = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    del dev["config"]["aws:region"]
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(dev))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    loaded = load_program(PROJECT_DIR, "dev", path)
    assert_same_registrations(run_program(PROJECT_DIR, loaded.stack), registered(loaded))
