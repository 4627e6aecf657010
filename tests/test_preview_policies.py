"""`tierguard preview --offline` with the real policy pack driven over the analyzer protocol."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR

SSH_FROM_ADMINS = """          - service: ssh
            named_cidr: admins
            description: SSH from the admin range only"""
SSH_FROM_ANYWHERE = """          - service: ssh
            internet: ipv4
            description: SSH from anywhere"""


def tierguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierguard", "preview", "--offline", "--cwd", str(cwd), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(name="violating")
def _violating(tmp_path: Path) -> Path:
    """The dev stack with SSH opened to the whole internet."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    dev = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert SSH_FROM_ADMINS in dev
    (tmp_path / "Pulumi.dev.yaml").write_text(dev.replace(SSH_FROM_ADMINS, SSH_FROM_ANYWHERE))
    return tmp_path


def test_the_dev_stack_passes_the_pack() -> None:
    """The dev stack has no mandatory violation: exit 0, the pack line says so."""
    result = tierguard(cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr
    assert "✓ tierguard@v0.1.0: 0 mandatory" in result.stdout
    assert "Who could reach what once this is deployed" in result.stdout


class TestMandatoryViolation:
    def test_ssh_open_to_the_world_stops_the_preview(self, violating: Path) -> None:
        """Exit 1, grouped like `pulumi preview`, and one error line naming the stack."""
        result = tierguard(cwd=violating)
        assert result.returncode == 1
        assert "✗ tierguard@v0.1.0: 1 mandatory" in result.stdout
        assert "mandatory violations (1):" in result.stdout
        assert (
            "- [mandatory] aws-ec2-sg-no-admin-ports-from-internet  (dev-web-in-tcp-22-internet-ipv4)"
            in result.stdout
        )
        assert "compliance: CIS AWS Foundations Benchmark 5.0.0: 5.3, 5.4; " in result.stdout
        assert result.stderr == (
            "error: 1 mandatory policy violation(s) in stack 'dev': nothing should be deployed "
            "until they are fixed\n"
        )

    def test_json_lists_the_violation(self, violating: Path) -> None:
        """--json carries policies (mandatory/advisory/exempted) beside plan and reachability."""
        result = tierguard("--json", cwd=violating)
        assert result.returncode == 1
        doc: dict[str, Any] = json.loads(result.stdout)
        [violation] = doc["policies"]["mandatory"]
        assert violation["policy"] == "aws-ec2-sg-no-admin-ports-from-internet"
        assert violation["resource"] == "dev-web-in-tcp-22-internet-ipv4"
        assert "port 22" in violation["message"]
        assert violation["compliance"]["cis"] == ["5.3", "5.4"]
        assert (
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
            in (violation["compliance"]["prowler"])
        )
        # The security group opens SSH to the world, but the public ACL only admits the
        # admin range: reachability shows the flow blocked, with the deciding entry.
        reach = {(r["from"], r["to"]): r for r in doc["reachability"]["reach"]}
        [blocked] = reach["internet-ipv4", "web"]["blocked"]
        assert (blocked["protocol"], blocked["ports"]) == ("tcp", "22")
        assert "implicit deny" in blocked["why"]

    def test_sarif_points_at_the_declaring_line(self, violating: Path, tmp_path: Path) -> None:
        """One SARIF result per finding, with rule metadata and the stack-file line."""
        out = tmp_path / "policy.sarif"
        tierguard("--sarif", str(out), cwd=violating)
        doc = json.loads(out.read_text())
        run = doc["runs"][0]
        assert run["tool"]["driver"]["name"] == "tierguard"
        rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
        admin = rules["aws-ec2-sg-no-admin-ports-from-internet"]
        assert admin["defaultConfiguration"] == {"level": "error"}
        compliance = admin["properties"]["compliance"]
        assert compliance["cis"] == ["5.3", "5.4"]
        assert "EC2.53" in compliance["security-hub"]
        assert admin["properties"]["framework"]["reference"] == "5.3, 5.4"
        assert "compliance:checkov:CKV_AWS_24" in admin["properties"]["tags"]
        assert "Fix: Allow them only from a bastion" in admin["help"]["text"]
        [result] = [
            r for r in run["results"] if r["ruleId"] == "aws-ec2-sg-no-admin-ports-from-internet"
        ]
        assert result["level"] == "error"
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "Pulumi.dev.yaml"
        lines = (violating / "Pulumi.dev.yaml").read_text().splitlines()
        assert lines[physical["region"]["startLine"] - 1].strip() == "- service: ssh"


class TestPolicyConfig:
    def write(self, directory: Path, config: dict[str, Any]) -> Path:
        path = directory / "policy-config.json"
        path.write_text(json.dumps(config))
        return path

    def test_levels_pass_through_to_the_pack(self, violating: Path) -> None:
        """Downgrading the policy to advisory lets the preview pass."""
        config = self.write(violating, {"aws-ec2-sg-no-admin-ports-from-internet": "advisory"})
        result = tierguard("--policy-config", str(config), cwd=violating)
        assert result.returncode == 0, result.stderr
        assert "- [advisory] aws-ec2-sg-no-admin-ports-from-internet" in result.stdout

    def test_an_exemption_is_reported_not_enforced(self, violating: Path) -> None:
        """An exempted finding no longer blocks and is listed under exempted."""
        config = self.write(
            violating,
            {
                "aws-ec2-sg-no-admin-ports-from-internet": {
                    "exemptions": [
                        {"resource": "dev-web-in-tcp-22-*", "reason": "break-glass, OPS-42"}
                    ]
                }
            },
        )
        result = tierguard("--policy-config", str(config), cwd=violating)
        assert result.returncode == 0, result.stderr
        assert "exempted (1):" in result.stdout
        assert "exempted: break-glass, OPS-42" in result.stdout

    def test_an_expired_exemption_blocks_again(self, violating: Path) -> None:
        """Past its expiry date, the exemption no longer applies."""
        config = self.write(
            violating,
            {
                "aws-ec2-sg-no-admin-ports-from-internet": {
                    "exemptions": [
                        {"resource": "dev-web-*", "reason": "old", "expires": "2020-01-01"}
                    ]
                }
            },
        )
        result = tierguard("--policy-config", str(config), cwd=violating)
        assert result.returncode == 1
        assert "expired on 2020-01-01" in result.stdout

    def test_invalid_json_is_a_usage_error(self, tmp_path: Path) -> None:
        """A broken config file: exit 2 with file, line and column, nothing started."""
        path = tmp_path / "bad.json"
        path.write_text('{"all": "advisory",}')
        result = tierguard("--policy-config", str(path), cwd=PROJECT_DIR)
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {path}:1:20: invalid JSON:")
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize(
        ("config", "expected"),
        [
            # The finding of issue 9: a string read as the port set {2} let SSH through.
            (
                {"aws-ec2-sg-no-admin-ports-from-internet": {"adminPorts": "22"}},
                "aws-ec2-sg-no-admin-ports-from-internet.adminPorts: '22' is not of type "
                "'array'; valid: a list of integers from 0 to 65535",
            ),
            (
                {"aws-ec2-sg-too-many-rules": {"maxRules": "lots"}},
                "aws-ec2-sg-too-many-rules.maxRules: 'lots' is not of type 'integer'",
            ),
            (
                {
                    "aws-ec2-sg-no-admin-ports-from-internet": {
                        "exemptions": [{"resource": "x", "reason": "r", "expires": "2024-02-30"}]
                    }
                },
                "exemptions[0].expires: '2024-02-30' is not a valid date",
            ),
        ],
    )
    def test_config_the_schema_refuses_is_an_error_before_judging(
        self, violating: Path, config: dict[str, Any], expected: str
    ) -> None:
        """Exit 2 naming the policy, the field and what is valid; no verdict, no traceback."""
        result = tierguard("--policy-config", str(self.write(violating, config)), cwd=violating)
        assert result.returncode == 2, result.stdout
        assert expected in result.stderr
        assert "Traceback" not in result.stderr
        assert "mandatory" not in result.stdout

    def test_the_esc_environments_key_is_accepted(self, violating: Path) -> None:
        """`environments` is the engine's ESC key, not a policy: it is not refused offline."""
        config = self.write(
            violating,
            {"environments": ["team/policy-env"], "aws-ec2-sg-no-admin-ports-from-internet": {}},
        )
        result = tierguard("--policy-config", str(config), cwd=violating)
        assert result.returncode == 1, result.stderr  # judged: SSH to the world is mandatory
        assert "1 mandatory" in result.stdout


def test_diagram_option_writes_mermaid(tmp_path: Path) -> None:
    """--diagram on the preview writes the same flowchart as `tierguard reach`."""
    out = tmp_path / "reach.mmd"
    assert tierguard("--diagram", str(out), cwd=PROJECT_DIR).returncode == 0
    assert out.read_text().startswith("flowchart LR\n")


EXISTING_ACL_SSH = """
import pulumi_aws as aws

# A rule added to the default ACL of a VPC created in the same update: the ACL's id is
# unknown until the VPC exists, so only the stack check at the end of `up` can judge it.
edge = aws.ec2.Vpc("edge", cidr_block="10.99.0.0/16")
aws.ec2.NetworkAclRule(
    "edge-ssh",
    network_acl_id=edge.default_network_acl_id,
    rule_number=100,
    egress=False,
    protocol="tcp",
    rule_action="allow",
    cidr_block="0.0.0.0/0",
    from_port=22,
    to_port=22,
)
"""


@pytest.fixture(name="after_up_only")
def _after_up_only(tmp_path: Path) -> Path:
    """The dev stack plus SSH opened on an ACL whose id is known only after `up`."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    program = (PROJECT_DIR / "__main__.py").read_text()
    (tmp_path / "__main__.py").write_text(program + EXISTING_ACL_SSH)
    return tmp_path


class TestAfterUp:
    """What the stack policies report at the end of `up`, shown before anything is applied."""

    POLICY = "aws-ec2-nacl-no-admin-ports-from-internet"

    def test_text_has_a_labelled_after_up_section(self, after_up_only: Path) -> None:
        """The preview itself is clean; the after-up section has the mandatory finding,
        and the run exits 1 saying it only shows after `up`."""
        result = tierguard(cwd=after_up_only)
        assert result.returncode == 1
        preview, after = result.stdout.split("After `up` (stack policies on the applied state):")
        assert "✓ tierguard@v0.1.0: 0 mandatory" in preview
        assert "✗ tierguard@v0.1.0: 1 mandatory" in after
        assert f"- [mandatory] {self.POLICY}  (edge-ssh)" in after
        assert "other entries were not seen" in after
        assert "(1 of them only after `up`)" in result.stderr

    def test_json_carries_after_up_apart(self, after_up_only: Path) -> None:
        """--json: policies.mandatory is the preview's, policies.afterUp the up's."""
        doc = json.loads(tierguard("--json", cwd=after_up_only).stdout)
        assert doc["policies"]["mandatory"] == []
        [finding] = doc["policies"]["afterUp"]["mandatory"]
        assert (finding["policy"], finding["resource"]) == (self.POLICY, "edge-ssh")

    def test_sarif_marks_the_phase(self, after_up_only: Path, tmp_path: Path) -> None:
        """SARIF results say which phase reported them."""
        out = tmp_path / "policy.sarif"
        tierguard("--sarif", str(out), cwd=after_up_only)
        results = json.loads(out.read_text())["runs"][0]["results"]
        phases = {
            r["properties"]["tierguard/phase"]: r for r in results if r["ruleId"] == self.POLICY
        }
        # At preview the ACL's id is unknown: the pack can only say so (advisory).
        assert phases["preview"]["level"] == "warning"
        assert "could not be evaluated at preview" in phases["preview"]["message"]["text"]
        assert phases["after-up"]["level"] == "error"
        assert phases["after-up"]["message"]["text"].startswith("After `up`")
