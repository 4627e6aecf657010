"""Reading deployed groups and ACLs back from a real emulator (moto) and checking the plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import PROJECT_DIR
from tests.moto_deploy import deploy_plan, open_admin_ssh_to_the_world
from tierguard.config.parse import parse_network
from tierguard.driver.emulator import running_emulator
from tierguard.driver.operations import plan_for
from tierguard.driver.verify import DifferenceKind, verify_deployment
from tierguard.plan import NetworkPlan, build_plan
from tierguard.rules import SecurityGroupPeer

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


@pytest.fixture(name="ec2")
def _ec2(monkeypatch: pytest.MonkeyPatch) -> Iterator[EC2Client]:
    """An in-process moto EC2 with test credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


@pytest.fixture(name="dev")
def _dev() -> NetworkPlan:
    return plan_for(PROJECT_DIR, "dev")


def _rule_id(ec2: EC2Client, group_id: str, *, egress: bool, port: int) -> str:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    return next(
        r["SecurityGroupRuleId"]
        for r in rules
        if r["IsEgress"] is egress and r.get("FromPort") == port
    )


class TestVerifiedDeployment:
    def test_the_dev_stack_as_the_provider_creates_it_matches_the_plan(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """Every group, rule, ACL entry and association is found by its tags and matches."""
        deploy_plan(ec2, dev)
        result = verify_deployment(ec2, dev)
        assert result.differences == ()
        assert result.ok
        assert set(result.security_groups) == {"alb", "web", "app", "database"}
        assert len(result.rules) == sum(len(t.rules) for t in dev.tiers.values())
        assert len(result.acl_entries["public"]) == len(dev.acls["public"].entries)
        assert result.summary().startswith("verified: 4 security groups, 8 rules")

    def test_references_are_read_back_as_the_referenced_group(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """app's 8080 ingress names web's group id in the rules handed on for reachability."""
        groups = deploy_plan(ec2, dev)
        result = verify_deployment(ec2, dev)
        app_ingress = [r for r in result.rules if r.group == groups["app"] and r.traffic.ports]
        assert [r.peer for r in app_ingress if r.direction.value == "ingress"] == [
            SecurityGroupPeer(groups["web"])
        ]

    def test_another_stacks_resources_are_ignored(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """Only resources tagged with this stack and network are read."""
        deploy_plan(ec2, dev)
        other = plan_for(PROJECT_DIR, "dev")
        other = NetworkPlan(**{**other.__dict__, "stack": "staging"})
        deploy_plan(ec2, other)
        assert verify_deployment(ec2, dev).ok

    def test_emulator_gaps_are_reported_as_notes(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """The missing '*' entries of custom ACLs are said, not silently skipped."""
        deploy_plan(ec2, dev)
        assert any("'*'" in note for note in verify_deployment(ec2, dev).notes)


class TestDetectedDifferences:
    def test_a_hand_added_rule_is_unexpected(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """SSH opened to the world on web by hand shows up, naming tier and rule."""
        groups = deploy_plan(ec2, dev)
        ec2.authorize_security_group_ingress(
            GroupId=groups["web"],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        result = verify_deployment(ec2, dev)
        assert [str(d) for d in result.differences] == [
            "unexpected: tier web: ingress TCP 22 from 0.0.0.0/0"
        ]
        assert not result.ok

    def test_a_removed_rule_is_missing(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """database's 3306 from app revoked by hand is reported missing."""
        groups = deploy_plan(ec2, dev)
        rule = _rule_id(ec2, groups["database"], egress=False, port=3306)
        ec2.revoke_security_group_ingress(GroupId=groups["database"], SecurityGroupRuleIds=[rule])
        result = verify_deployment(ec2, dev)
        assert [(d.kind, d.where) for d in result.differences] == [
            (DifferenceKind.MISSING, "tier database")
        ]
        assert "TCP 3306 from tier app" in result.differences[0].detail

    def test_a_changed_description_is_changed(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """The same rule with another description is a change, not missing + unexpected."""
        groups = deploy_plan(ec2, dev)
        rule = _rule_id(ec2, groups["alb"], egress=False, port=443)
        update: Any = {
            "SecurityGroupRuleId": rule,
            "SecurityGroupRule": {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "CidrIpv4": "0.0.0.0/0",
                "Description": "Managed by Pulumi",
            },
        }
        ec2.modify_security_group_rules(GroupId=groups["alb"], SecurityGroupRules=[update])
        result = verify_deployment(ec2, dev)
        assert [d.kind for d in result.differences] == [DifferenceKind.CHANGED]
        assert "'Managed by Pulumi'" in result.differences[0].detail

    def test_a_changed_acl_entry_is_changed(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """ACL rule 130 widened from the admin range to everyone is reported with both."""
        deploy_plan(ec2, dev)
        result = verify_deployment(ec2, dev)
        acl_id = result.network_acls["public"]
        open_admin_ssh_to_the_world(ec2, acl_id)
        after = verify_deployment(ec2, dev)
        assert [str(d) for d in after.differences] == [
            "changed: network ACL public: ingress rule 130: allow TCP 22 0.0.0.0/0, "
            "planned allow TCP 22 203.0.113.0/24"
        ]

    def test_a_deleted_acl_entry_is_missing(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """The deny rule 50 removed by hand is reported missing."""
        deploy_plan(ec2, dev)
        acl_id = verify_deployment(ec2, dev).network_acls["public"]
        ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=50, Egress=False)
        assert [str(d) for d in verify_deployment(ec2, dev).differences] == [
            "missing: network ACL public: ingress rule 50"
        ]

    def test_nothing_deployed_is_all_missing(self, ec2: EC2Client, dev: NetworkPlan) -> None:
        """An empty account: every tier and the ACL are missing (after a destroy, say)."""
        result = verify_deployment(ec2, dev)
        assert {d.where for d in result.differences} == {
            "tier alb",
            "tier web",
            "tier app",
            "tier database",
            "network ACL public",
        }


class TestIcmpOnTheEmulator:
    def test_acl_icmp_type_dropped_by_moto_is_a_note_not_a_difference(self, ec2: EC2Client) -> None:
        """moto drops ICMP type/code on ACL entries; the rest of the entry is still compared."""
        network = {
            "name": "ping",
            "vpc": {"cidr": "10.30.0.0/16", "az_count": 1},
            "subnet_groups": {"app": {}},
            "tiers": {
                "app": {
                    "subnet_group": "app",
                    "ingress": [{"protocol": "icmp", "icmp_type": 8, "cidr": "10.0.0.0/8"}],
                }
            },
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
        plan = build_plan(parse_network(network), region="us-east-1", stack="test")
        deploy_plan(ec2, plan)
        result = verify_deployment(ec2, plan)
        assert result.ok, result.lines()
        assert any("ICMP type/code" in note for note in result.notes)


class TestThreadedServer:
    def test_the_embedded_emulator_serves_the_read_back(self, dev: NetworkPlan) -> None:
        """Through ThreadedMotoServer on 127.0.0.1 (what `--emulator` runs), the same holds."""
        with running_emulator("us-east-1") as emulator:
            assert emulator.url.startswith("http://127.0.0.1:")
            ec2 = emulator.ec2()
            deploy_plan(ec2, dev)
            assert verify_deployment(ec2, dev).ok

    def test_group_reference_descriptions_read_back_directly_on_the_emulator(
        self, dev: NetworkPlan
    ) -> None:
        """What the provider reads (DescribeSecurityGroupRules) has the reference's
        description on the embedded emulator, so a second preview has nothing to change."""
        with running_emulator("us-east-1") as emulator:
            ec2 = emulator.ec2()
            groups = deploy_plan(ec2, dev)
            rules = ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [groups["app"]]}]
            )["SecurityGroupRules"]
        by_port = {(r["IsEgress"], r.get("FromPort")): r for r in rules}
        assert by_port[False, 8080]["Description"] == "TCP 8080 from tier web"
        assert by_port[True, 3306]["Description"] == (
            "MySQL/Aurora to tier database (automatic, matches its ingress)"
        )


class TestDeployedReachability:
    def test_the_deployed_matrix_matches_the_planned_one(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """Read back from the emulator, the dev stack reaches exactly what its plan says."""
        from tierguard.driver.verify import deployed_matrix
        from tierguard.reach import analyze, topology_from_plan

        deploy_plan(ec2, dev)
        deployed = deployed_matrix(dev, verify_deployment(ec2, dev))
        planned = analyze(topology_from_plan(dev))
        for source in planned.sources:
            for target in planned.targets:
                assert (
                    deployed.reach(source.name, target).summary()
                    == planned.reach(source.name, target).summary()
                )
        assert deployed.reach("internet-ipv4", "alb").summary() == "tcp 443"

    def test_a_hand_added_rule_shows_in_the_deployed_matrix(
        self, ec2: EC2Client, dev: NetworkPlan
    ) -> None:
        """Redis opened to the world on app by hand: the app subnets have no tierguard ACL,
        so the internet now reaches app on 6379 — in the deployed matrix, not the plan's."""
        from tierguard.driver.verify import deployed_matrix

        groups = deploy_plan(ec2, dev)
        ec2.authorize_security_group_ingress(
            GroupId=groups["app"],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 6379,
                    "ToPort": 6379,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        deployed = deployed_matrix(dev, verify_deployment(ec2, dev))
        assert deployed.reach("internet-ipv4", "app").summary() == "tcp 6379"
