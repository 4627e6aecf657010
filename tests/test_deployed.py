"""What is deployed: one comparison behind the driver's verification and the audit's drift.

Both read the same moto account through ``tierguard.deployed`` and must see the same
differences; each only tells them its own way.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import PROJECT_DIR
from tests.moto_deploy import deploy_plan, open_admin_ssh_to_the_world
from tierguard.audit.drift import drift_findings
from tierguard.audit.findings import DRIFT_ADDED, DRIFT_CHANGED, DRIFT_MISSING
from tierguard.config.parse import parse_network
from tierguard.deployed import tags
from tierguard.deployed.inventory import RegionInventory
from tierguard.deployed.read import read_network_acls, read_security_groups
from tierguard.driver.operations import plan_for
from tierguard.driver.verify import DifferenceKind, verify_deployment
from tierguard.plan import NetworkPlan, build_plan

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

REGION = "us-east-1"


@pytest.fixture(name="ec2")
def _ec2(monkeypatch: pytest.MonkeyPatch) -> Iterator[EC2Client]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture(name="dev")
def _dev() -> NetworkPlan:
    return plan_for(PROJECT_DIR, "dev")


def _drift(ec2: EC2Client, plan: NetworkPlan) -> list[tuple[str, str]]:
    """The audit's drift over everything in the region: (rule id, resource id)."""
    inventory = RegionInventory(
        REGION, groups=tuple(read_security_groups(ec2, [])), acls=tuple(read_network_acls(ec2, []))
    )
    return sorted((f.rule.id, f.resource.id) for f in drift_findings(inventory, plan))


def _rule_id(ec2: EC2Client, group: str, port: int) -> str:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    return next(
        r["SecurityGroupRuleId"]
        for r in rules["SecurityGroupRules"]
        if not r["IsEgress"] and r.get("FromPort") == port
    )


class TestOneComparison:
    def test_verification_and_drift_see_the_same_hand_edits(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """SSH added to web, MySQL revoked on database, ACL rule 130 widened: each is one
        difference for the verification and one finding for the drift, on the same thing."""
        groups = deploy_plan(ec2, dev)
        ssh: Any = [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ]
        ec2.authorize_security_group_ingress(GroupId=groups["web"], IpPermissions=ssh)
        ec2.revoke_security_group_ingress(
            GroupId=groups["database"],
            SecurityGroupRuleIds=[_rule_id(ec2, groups["database"], 3306)],
        )
        acl = verify_deployment(ec2, dev).network_acls["public"]
        open_admin_ssh_to_the_world(ec2, acl)
        verified = verify_deployment(ec2, dev)
        assert sorted((d.kind, d.where) for d in verified.differences) == [
            (DifferenceKind.CHANGED, "network ACL public"),
            (DifferenceKind.MISSING, "tier database"),
            (DifferenceKind.UNEXPECTED, "tier web"),
        ]
        assert _drift(ec2, dev) == sorted(
            [
                (DRIFT_CHANGED.id, acl),
                (DRIFT_MISSING.id, groups["database"]),
                (DRIFT_ADDED.id, groups["web"]),
            ]
        )

    def test_the_adopted_default_group_is_not_an_unplanned_tier(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """The VPC component tags the default group it adopts with the stack's tags but no
        tier: neither side reports it (the verification used to call it unexpected)."""
        deploy_plan(ec2, dev)
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": f"tag:{tags.STACK}", "Values": [dev.stack]}])[
            "Vpcs"
        ]
        (default,) = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        stack_tags = tags.tags_for(
            {}, f"{dev.name}-vpc-default-do-not-use", stack=dev.stack, network=dev.name
        )
        ec2.create_tags(
            Resources=[default["GroupId"]],
            Tags=[{"Key": k, "Value": v} for k, v in stack_tags.items()],
        )
        assert verify_deployment(ec2, dev).differences == ()
        assert _drift(ec2, dev) == []

    def test_icmp_type_dropped_by_the_emulator_is_no_drift_either(self, ec2: EC2Client) -> None:
        """moto drops ICMP type/code on ACL entries; the answer lacks ``IcmpTypeCode``
        (AWS always sends it), so both callers compare the rest and the verification says so."""
        network = {
            "name": "ping",
            "vpc": {"cidr": "10.30.0.0/16", "az_count": 1},
            "subnet_groups": {"app": {}},
            "tiers": {"app": {"subnet_group": "app"}},
            "network_acls": {
                "app": {
                    "subnet_groups": ["app"],
                    "return_traffic": False,
                    "ingress": [
                        {"rule": 100, "protocol": "icmp", "icmp_type": 8, "cidr": "10.0.0.0/8"}
                    ],
                }
            },
        }
        plan = build_plan(parse_network(network), region=REGION, stack="test")
        deploy_plan(ec2, plan)
        assert _drift(ec2, plan) == []
        assert any("ICMP type/code" in note for note in verify_deployment(ec2, plan).notes)


class TestLayering:
    def test_the_driver_loads_neither_the_audit_nor_moto_nor_boto3(self) -> None:
        """The driver package and its verification import what is deployed, not the audit;
        moto and boto3 load only when the emulator runs."""
        code = (
            "import sys, tierguard.driver, tierguard.driver.verify, tierguard.driver.operations,"
            " tierguard.deployed.read, tierguard.deployed.compare;"
            "print(sorted({m.split('.')[0] for m in sys.modules"
            " if m.split('.')[0] in ('boto3', 'botocore', 'moto')}"
            " | {m for m in sys.modules if m.startswith('tierguard.audit')}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "[]"
