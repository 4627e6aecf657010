"""``tierguard reach --state FILE``: reachability from a Pulumi state file, and one model
for every source of resources.

The state files under ``tests/data/`` are written in the format the engine writes for
``pulumi stack export`` (``UntypedDeployment`` version 3, ``ResourceV3`` entries with
``inputs``, ``outputs``, ``parent``, ``dependencies``, ``propertyDependencies``,
``provider``, ``__defaults``; ``sdk/go/common/apitype/core.go`` upstream), as the AWS
provider fills them for the hand-written programs in ``examples/`` after ``pulumi up``
(``group-rules``: groups read back before their separate rules existed, members placed by
a load balancer's ``subnets``, an interface and an RDS subnet group, an encrypted secret;
``existing-acl-rule`` after ``pulumi refresh``, its ACL's outputs mirroring the separate
``NetworkAclRule``, plus a replaced group still marked ``delete``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, stack_file
from tierguard.config.stackfile import load_yaml
from tierguard.errors import ConfigError
from tierguard.offline.engine import engine_calls
from tierguard.offline.runner import run_program
from tierguard.offline.state import read_state
from tierguard.program import plan_from_raw
from tierguard.reach import analyze, topology_from_plan
from tierguard.reach.resources import topology_from_resources

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = PROJECT_DIR / "examples"


def tierguard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierguard", *args], capture_output=True, text=True, check=False
    )


def reach_json(*args: str) -> dict[str, Any]:
    result = tierguard("reach", "--json", *args)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize("example", ["ssh-open-instance", "group-rules", "existing-acl-rule"])
def test_the_state_after_up_answers_as_the_offline_preview_of_the_same_program(
    example: str,
) -> None:
    """Same tiers, same sources, same verdict in every cell, same explanations' inputs:
    real ids and provider-computed outputs change nothing a connection depends on."""
    state = DATA / f"{example}.stack.json"
    from_state = reach_json("--state", str(state))
    from_program = reach_json("-C", str(EXAMPLES / example))
    assert from_state == from_program
    assert any(cell["open"] for cell in from_state["reach"])  # not vacuously equal


def test_a_resource_marked_for_deletion_is_gone() -> None:
    """The replaced group (RDP from the world) is ``delete: true``: nothing reaches 3389,
    and the live group's SSH is still stopped by the refreshed ACL's #90 deny mirror."""
    answer = reach_json("--state", str(DATA / "existing-acl-rule.stack.json"))
    (cell,) = [c for c in answer["reach"] if c["from"] == "internet-ipv4" and c["to"] == "web"]
    assert [(f["protocol"], f["ports"]) for f in cell["open"]] == [("tcp", "443")]
    assert [(f["protocol"], f["ports"]) for f in cell["blocked"]] == [("tcp", "22")]
    assert answer["targets"] == ["web"]


@pytest.mark.parametrize(
    "stack", ["dev", "examples/web-server", "examples/group-references", "examples/deny-rule"]
)
def test_a_tierguard_stack_reaches_from_its_resources_as_its_config_says(stack: str) -> None:
    """The program's registered resources (the engine's ``up`` shape) and the validated
    config describe the same network: every cell agrees."""
    path = PROJECT_DIR / (
        f"Pulumi.{stack}.yaml" if "/" not in stack else f"examples/Pulumi.{stack[9:]}.yaml"
    )
    config = load_yaml(path)["config"]
    plan = plan_from_raw(config["tierguard:network"], region="us-east-1", stack="dev")
    run = run_program(PROJECT_DIR, stack_file(config["tierguard:network"], stack="dev"))
    found = topology_from_resources(
        engine_calls(run, "up", {"aws:region": "us-east-1"}).stack,
        named_cidrs=plan.named_cidrs,
        order=tuple(plan.tiers),
    )
    assert found.notes == ()
    from_resources, from_plan = analyze(found.topology), analyze(topology_from_plan(plan))
    assert from_resources.targets == from_plan.targets
    assert {k: c.findings for k, c in from_resources.cells.items()} == {
        k: c.findings for k, c in from_plan.cells.items()
    }


class TestStateFileInput:
    """Bad state files are refused with the field and what would be valid; secrets are
    used only when the export has them in plaintext, and never printed."""

    def write(self, tmp_path: Path, doc: Any) -> Path:
        path = tmp_path / "state.json"
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def test_a_newer_deployment_version_is_refused_by_name(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, {"version": 4, "deployment": {"resources": []}})
        with pytest.raises(ConfigError, match=r"version.*is 4; deployment versions 1 to 3"):
            read_state(path)

    def test_not_an_export_is_refused(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, {"resources": []})
        with pytest.raises(ConfigError, match="pulumi stack export"):
            read_state(path)

    def test_a_resource_without_a_urn_is_named_by_index(self, tmp_path: Path) -> None:
        doc = {"version": 3, "deployment": {"resources": [{"type": "aws:ec2/vpc:Vpc"}]}}
        with pytest.raises(ConfigError, match=r"deployment.resources\[0\].urn"):
            read_state(self.write(tmp_path, doc))

    def test_the_cli_reports_invalid_json_by_line_without_a_traceback(self, tmp_path: Path) -> None:
        result = tierguard("reach", "--state", str(self.write(tmp_path, '{"version": 3,\n')))
        assert result.returncode == 2
        assert "state.json:2:1: invalid JSON" in result.stderr
        assert "Traceback" not in result.stderr

    def test_secrets_are_opened_only_from_plaintext(self, tmp_path: Path) -> None:
        sig = "4dabf18193072939515e22adb298388d"
        secret = "1b47061264138c4ac30d75fd1eb44270"
        urn = "urn:pulumi:dev::p::aws:ec2/securityGroup:SecurityGroup::g"
        outputs = {
            "description": {sig: secret, "plaintext": '"shown"'},
            "name": {sig: secret, "ciphertext": "v1:c2VjcmV0LWNpcGhlcnRleHQ="},
        }
        doc = {
            "version": 3,
            "deployment": {"resources": [{"urn": urn, "type": "t", "outputs": outputs}]},
        }
        (resource,) = read_state(self.write(tmp_path, doc)).resources
        assert resource["inputs"]["description"] == "shown"
        assert "c2VjcmV0" not in json.dumps(resource)
