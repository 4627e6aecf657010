"""The project's own dev stack, run under mocks and fed through the real pack (issue 3).

Needs the offline runner of the Pulumi program (``tierguard.offline.runner``); skipped
where it is not present.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from tierguard.offline.analyzer import DEFAULT_PACK_DIR, run_policy_pack

ROOT = DEFAULT_PACK_DIR.parent
runner = pytest.importorskip("tierguard.offline.runner", reason="needs the offline runner")
render = pytest.importorskip("tierguard.offline.render", reason="needs the offline renderer")
stackfile = pytest.importorskip("tierguard.config.stackfile", reason="needs stack files")


def _preview(stack_file: Any) -> list[Any]:
    document = render.to_document(runner.run_program(ROOT, stack_file))
    return run_policy_pack(
        document["resources"], {}, outputs=document["outputs"], python=sys.executable
    )


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
