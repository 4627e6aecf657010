"""Any Pulumi Python program, not only tierguard's: ``preview --offline -C`` and ``reach -C``
run hand-written programs from ``examples/`` (no tierguard components, no tierguard
config) as a user would, each in its own process.

Expected answers are worked out by hand from AWS's documented behaviour, written next to
each assertion:

* a security group is stateful and allows only what a rule names; a group created by the
  AWS provider has no egress unless the program declares it (the provider removes the
  allow-all rule AWS adds);
* a network ACL is stateless and first-match by rule number with an implicit deny; a
  subnet the program associates with no ACL uses the VPC's default ACL, which allows all;
* the internet is the public address space: private ranges such as 10.0.0.0/8 are not in
  it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR

EXAMPLES = PROJECT_DIR / "examples"


def tierguard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierguard", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def open_ports(reachability: dict[str, Any], source: str, target: str) -> set[str]:
    """The open findings of one cell, as ``tcp 443``-style labels."""
    return _labels(reachability, source, target, "open")


def blocked_ports(reachability: dict[str, Any], source: str, target: str) -> set[str]:
    return _labels(reachability, source, target, "blocked")


def _labels(reachability: dict[str, Any], source: str, target: str, verdict: str) -> set[str]:
    (cell,) = [c for c in reachability["reach"] if c["from"] == source and c["to"] == target]
    return {
        f"{f['protocol']} {ports}" if ports else f["protocol"]
        for f in cell[verdict]
        for ports in (f.get("ports") or "").split(", ")
    }


@pytest.fixture(name="ssh_open", scope="module")
def _ssh_open() -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = tierguard("preview", "--offline", "--json", "-C", str(EXAMPLES / "ssh-open-instance"))
    return result, json.loads(result.stdout)


class TestInlineRulesOpeningSshToTheWorld:
    """A VPC, a group whose inline rules open SSH and 6443 to 0.0.0.0/0, an instance."""

    def test_the_preview_runs_and_stops_on_the_mandatory_finding(
        self, ssh_open: tuple[subprocess.CompletedProcess[str], dict[str, Any]]
    ) -> None:
        result, _ = ssh_open
        assert result.returncode == 1, result.stderr
        assert "tierguard:network" not in result.stderr
        assert "mandatory policy violation" in result.stderr

    def test_the_pack_finds_the_open_ssh_on_the_group(
        self, ssh_open: tuple[subprocess.CompletedProcess[str], dict[str, Any]]
    ) -> None:
        _, doc = ssh_open
        admin = [
            d
            for d in doc["policies"]["mandatory"]
            if d["policy"] == "aws-ec2-sg-no-admin-ports-from-internet"
        ]
        assert [d["resource"] for d in admin] == ["k8s-node"]
        assert "TCP 22 from 0.0.0.0/0" in admin[0]["message"]

    def test_the_internet_reaches_the_instance_on_ssh_and_the_kubernetes_api(
        self, ssh_open: tuple[subprocess.CompletedProcess[str], dict[str, Any]]
    ) -> None:
        # ingress tcp 22 and tcp 6443 from 0.0.0.0/0; no ACL in the program, so the VPC's
        # default ACL (allow all) applies both ways; nothing else is allowed in.
        _, doc = ssh_open
        reach = doc["reachability"]
        assert reach["targets"] == ["k8s-node"]
        assert open_ports(reach, "internet-ipv4", "k8s-node") == {"tcp 22", "tcp 6443"}
        # No rule names ::/0: IPv6 clients get nothing.
        assert open_ports(reach, "internet-ipv6", "k8s-node") == set()


def reach_json(example: str) -> dict[str, Any]:
    result = tierguard("reach", "--json", "-C", str(EXAMPLES / example))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture(name="group_rules", scope="module")
def _group_rules() -> dict[str, Any]:
    return reach_json("group-rules")


@pytest.fixture(name="acl_preview", scope="module")
def _acl_preview() -> tuple[int, dict[str, Any]]:
    result = tierguard("preview", "--offline", "--json", "-C", str(EXAMPLES / "existing-acl-rule"))
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(name="acl_rules", scope="module")
def _acl_rules(acl_preview: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    return dict(acl_preview[1]["reachability"])


class TestRulesAsResourcesBetweenGroups:
    """``aws.ec2.SecurityGroupRule`` and ``aws.vpc`` rule resources chaining lb → app → db,
    members placed by a load balancer, a network interface and an RDS subnet group."""

    def test_each_hop_is_open_only_where_both_ends_allow_it(
        self, group_rules: dict[str, Any]
    ) -> None:
        # lb-https-in: tcp 443 from 0.0.0.0/0 (SecurityGroupRule with cidr_blocks).
        assert open_ports(group_rules, "internet-ipv4", "lb") == {"tcp 443"}
        # lb-to-app egress and app-from-lb ingress, both by group reference: tcp 8080.
        assert open_ports(group_rules, "lb", "app") == {"tcp 8080"}
        # app-to-db egress (aws.vpc EgressRule) and db-from-app ingress: the config's port.
        assert open_ports(group_rules, "app", "db") == {"tcp 5432"}

    def test_nothing_skips_a_hop(self, group_rules: dict[str, Any]) -> None:
        # The internet is not in 10.1.0.0/16 (db-from-vpc) nor in any group.
        assert open_ports(group_rules, "internet-ipv4", "app") == set()
        assert open_ports(group_rules, "internet-ipv4", "db") == set()
        # db-from-vpc admits the lb's addresses, but the lb's egress allows only tcp 8080
        # to the app group: a connection needs the source group's egress too.
        assert open_ports(group_rules, "lb", "db") == set()
        # Groups created without egress rules have none (the provider removes AWS's default).
        assert open_ports(group_rules, "db", "app") == set()

    def test_an_address_inside_the_vpc_reaches_the_database_through_the_legacy_rule(
        self,
    ) -> None:
        # 10.1.5.7 is in 10.1.0.0/16 (db-from-vpc); no ACL in the program.
        result = tierguard(
            "reach", "--json", "-C", str(EXAMPLES / "group-rules"),
            "--from", "10.1.5.7", "--to", "db", "--port", "5432",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["reachable"] is True
        [case] = answer["cases"]
        assert any("db-from-vpc" in step["detail"] for step in case["steps"])


class TestAclEntriesInlineAndAsResources:
    """A managed ACL with inline entries, an association and a ``NetworkAclRule``; another
    ``NetworkAclRule`` on an ACL the program does not manage."""

    def test_https_is_open_and_ssh_is_stopped_by_the_separate_deny_entry(
        self, acl_rules: dict[str, Any]
    ) -> None:
        # The group allows tcp 443 and tcp 22 from 0.0.0.0/0. The web subnet's ACL: ingress
        # #90 deny tcp 22 (NetworkAclRule), #100 allow tcp 443, #110 allow tcp 22 (inline);
        # egress #100 allows tcp 1024-65535, the clients' ephemeral ports, for the replies.
        # First match: 443 → #100 allow; 22 → #90 deny.
        assert open_ports(acl_rules, "internet-ipv4", "web") == {"tcp 443"}
        assert blocked_ports(acl_rules, "internet-ipv4", "web") == {"tcp 22"}

    def test_the_explanation_names_the_deny_entry(self) -> None:
        result = tierguard(
            "reach", "-C", str(EXAMPLES / "existing-acl-rule"),
            "--from", "internet-ipv4", "--to", "web", "--port", "22",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "#90" in result.stdout

    def test_the_preview_runs_the_pack_on_it(self, acl_preview: tuple[int, dict[str, Any]]) -> None:
        code, doc = acl_preview
        policies = {d["policy"] for d in doc["policies"]["mandatory"]}
        # The group itself opens SSH to the world (the ACL's deny does not make the group
        # rule right: another subnet's ACL may not have it).
        assert "aws-ec2-sg-no-admin-ports-from-internet" in policies
        # legacy-ssh allows tcp 22 from 0.0.0.0/0 on an ACL outside the program: no lower
        # numbered deny is visible, so it is judged fail-closed, on the rule resource.
        (external,) = [
            d
            for d in doc["policies"]["mandatory"]
            if d["policy"] == "aws-ec2-nacl-no-admin-ports-from-internet"
        ]
        assert external["resource"] == "legacy-ssh"
        assert "acl-0123456789abcdef0" in external["message"]
        assert code == 1


def test_a_stack_without_a_stack_file_runs_with_empty_config(tmp_path: Path) -> None:
    """Pulumi runs a stack that has no config yet; so does the offline preview."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((EXAMPLES / "existing-acl-rule" / name).read_text())
    result = tierguard("reach", "--json", "-C", str(tmp_path), "--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["targets"] == ["web"]


def test_a_missing_stack_file_is_named_when_others_exist() -> None:
    result = tierguard("reach", "-C", str(EXAMPLES / "ssh-open-instance"), "--stack", "prod")
    assert result.returncode == 2
    assert "Pulumi.prod.yaml" in result.stderr
    assert "stacks here: dev" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_program_is_found_where_pulumi_yaml_main_points(tmp_path: Path) -> None:
    """``main: infra/`` runs ``infra/__main__.py``, as the Python language host does."""
    (tmp_path / "infra").mkdir()
    source = EXAMPLES / "existing-acl-rule"
    (tmp_path / "Pulumi.yaml").write_text((source / "Pulumi.yaml").read_text() + "main: infra/\n")
    (tmp_path / "infra" / "__main__.py").write_text((source / "__main__.py").read_text())
    result = tierguard("reach", "--json", "-C", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["targets"] == ["web"]


def test_a_main_that_is_not_there_is_named(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nmain: src/app.py\n")
    result = tierguard("reach", "-C", str(tmp_path))
    assert result.returncode == 2
    assert "Pulumi.yaml: main: 'src/app.py': no app.py there" in result.stderr


def test_a_data_source_the_mocks_cannot_answer_is_named(tmp_path: Path) -> None:
    """An AMI lookup needs AWS; offline it has no answer, and the error says which call."""
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        'ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])\n'
        'aws.ec2.Instance("x", ami=ami.id, instance_type="t3.micro")\n'
    )
    result = tierguard("reach", "-C", str(tmp_path))
    assert result.returncode == 1
    assert "aws:ec2/getAmi:getAmi" in result.stderr
    assert "Traceback" not in result.stderr


TWO_SUBNETS = """
import pulumi_aws as aws

vpc = aws.ec2.Vpc("v", cidr_block="10.3.0.0/16")
a = aws.ec2.Subnet("a", vpc_id=vpc.id, cidr_block="10.3.1.0/24")
b = aws.ec2.Subnet("b", vpc_id=vpc.id, cidr_block="10.3.2.0/24")
ssh = aws.ec2.SecurityGroupIngressArgs(
    protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"], description="ssh"
)
web = aws.ec2.SecurityGroup("web", vpc_id=vpc.id, ingress=[ssh])
for name, subnet in (("web-a", a), ("web-b", b)):
    aws.ec2.Instance(
        name,
        ami="ami-0123456789abcdef0",
        instance_type="t3.micro",
        subnet_id=subnet.id,
        vpc_security_group_ids=[web.id],
    )
everything = aws.ec2.NetworkAclEgressArgs(
    rule_no=100, action="allow", protocol="-1", from_port=0, to_port=0, cidr_block="0.0.0.0/0"
)
aws.ec2.NetworkAcl("closed", vpc_id=vpc.id, subnet_ids=[a.id], egress=[everything])
"""


def test_members_of_one_group_in_two_subnets_get_an_answer_per_subnet(tmp_path: Path) -> None:
    """Instances of ``web`` in subnets a and b: a's ACL has no ingress entry (implicit
    deny), b keeps the VPC's default ACL (allow all). SSH from the internet reaches the
    members in b only, and the answer says so instead of picking one subnet."""
    (tmp_path / "Pulumi.yaml").write_text("name: two-subnets\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(TWO_SUBNETS)
    result = tierguard("reach", "--json", "-C", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (cell,) = [
        c
        for c in json.loads(result.stdout)["reach"]
        if (c["from"], c["to"]) == ("internet-ipv4", "web")
    ]
    assert [(f["ports"], f.get("partial")) for f in cell["open"]] == [("22", True)]
    assert cell["notes"] == ["only when tier web is in subnet b"]
    (blocked,) = cell["blocked"]
    assert blocked["why"].startswith("only when tier web is in subnet a; network ACL closed")


def test_an_instance_in_a_subnet_outside_the_program_is_said_to_have_an_unknown_acl(
    tmp_path: Path,
) -> None:
    """``subnet_id="subnet-…"`` of an existing subnet: its ACL is not in the program, so the
    answer says what it assumed instead of passing for a verified ✓."""
    (tmp_path / "Pulumi.yaml").write_text("name: existing-subnet\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        'g = aws.ec2.SecurityGroup("g", vpc_id="vpc-0123")\n'
        'aws.ec2.Instance("x", ami="ami-0123456789abcdef0", instance_type="t3.micro",\n'
        '                 subnet_id="subnet-0abc1234", vpc_security_group_ids=[g.id])\n'
    )
    result = tierguard("reach", "-C", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "subnet subnet-0abc1234 is not in the program" in result.stdout
    assert "network ACL are not known" in result.stdout
