"""The project's own dev stack, run under mocks and fed through the real pack as the
engine feeds it at preview (unknown ids, planned outputs; ``tierguard.offline.engine``).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from tierguard.config import stackfile
from tierguard.offline import runner
from tierguard.offline.analyzer import DEFAULT_PACK_DIR, Diagnostic, PolicyPackClient
from tierguard.offline.engine import engine_calls

ROOT = DEFAULT_PACK_DIR.parent


def _preview(stack_file: stackfile.StackFile) -> list[Diagnostic]:
    calls = engine_calls(runner.run_program(ROOT, stack_file), "preview", stack_file.config)
    with PolicyPackClient(python=sys.executable) as pack:
        return pack.run_calls(calls, {})


@pytest.fixture(name="dev")
def _dev() -> Any:
    """The dev stack file of the repository."""
    if not (ROOT / "Pulumi.dev.yaml").is_file():
        pytest.skip("no Pulumi.dev.yaml in this checkout")
    return stackfile.load_stack(ROOT, "dev")


class TestDevStack:
    def test_the_dev_stack_has_no_mandatory_violation(self, dev: Any) -> None:
        """The dev stack passes every mandatory policy of the pack."""
        mandatory = [d for d in _preview(dev) if d.mandatory]
        assert mandatory == []

    def test_ssh_open_to_the_world_is_one_mandatory_violation(
        self, dev: Any, tmp_path: Path
    ) -> None:
        """A copy of the dev stack with SSH from 0.0.0.0/0 has exactly one mandatory finding."""
        text = (ROOT / "Pulumi.dev.yaml").read_text()
        changed = text.replace(
            "- service: ssh\n            named_cidr: admins",
            "- service: ssh\n            internet: ipv4",
        )
        assert changed != text, "the dev stack no longer has the SSH-from-admins rule"
        opened = tmp_path / "Pulumi.dev.yaml"
        opened.write_text(changed)
        copy = stackfile.load_yaml(opened)
        stack_file = dataclasses.replace(dev, config=copy["config"], path=opened)
        mandatory = [d for d in _preview(stack_file) if d.mandatory]
        assert [d.policy_name for d in mandatory] == ["aws-ec2-sg-no-admin-ports-from-internet"]
        assert "TCP 22" in mandatory[0].message
