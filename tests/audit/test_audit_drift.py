"""Drift: the dev stack deployed into moto as the components deploy it, then edited by hand."""

from __future__ import annotations

import pytest

from tests.audit.builders import Account, audited, deploy, tcp
from tests.conftest import PROJECT_DIR
from tests.moto_deploy import open_admin_ssh_to_the_world
from tierguard.audit import Report, audit
from tierguard.audit.collect import collect
from tierguard.audit.findings import DRIFT_ADDED, DRIFT_CHANGED, DRIFT_MISSING, Level
from tierguard.config.stackfile import load_stack
from tierguard.plan import NetworkPlan
from tierguard.program import plan_from_raw


@pytest.fixture(name="plan", scope="module")
def _plan() -> NetworkPlan:
    """The dev stack's plan, read from Pulumi.dev.yaml."""
    stack = load_stack(PROJECT_DIR, "dev")
    return plan_from_raw(stack.config["tierguard:network"], region="us-east-1", stack="dev")


def drift(account: Account, plan: NetworkPlan) -> Report:
    inventory = collect([account.region])
    return audit(inventory, plan, plan_region=account.region)


def drift_ids(report: Report) -> list[str]:
    return [f.rule.id for f in report.findings if f.rule.id.startswith("audit-drift-")]


def rule_named(account: Account, group: str, name: str) -> str:
    """The ``sgr-…`` id of the rule the components tagged ``Name=name``."""
    rules = account.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}, {"Name": "tag:Name", "Values": [name]}]
    )["SecurityGroupRules"]
    (rule,) = rules
    return rule["SecurityGroupRuleId"]


class TestDeployedAsPlanned:
    def test_a_fresh_deployment_has_no_drift(self, account: Account, plan: NetworkPlan) -> None:
        """Every group, rule, ACL and entry of the plan is found, and nothing else."""
        deploy(account, plan)
        assert drift_ids(drift(account, plan)) == []

    def test_drift_is_only_checked_when_a_plan_is_given(
        self, account: Account, plan: NetworkPlan
    ) -> None:
        """Without --stack no drift findings at all, even with hand-added rules."""
        ids = deploy(account, plan)
        account.ec2.authorize_security_group_ingress(GroupId=ids["web"], IpPermissions=[tcp(22)])
        assert drift_ids(audited(account)) == []

    def test_a_missing_stack_reports_every_planned_group_and_acl(
        self, account: Account, plan: NetworkPlan
    ) -> None:
        """Auditing an account where the stack was never deployed: all of it is missing."""
        report = drift(account, plan)
        missing = report.of_rule(DRIFT_MISSING.id)
        assert len(missing) == len(plan.tiers) + len(plan.acls)
        assert all(f.level is Level.WARNING for f in missing)
        assert len({f.fingerprint for f in missing}) == len(missing)


class TestSecurityGroupRules:
    def test_a_hand_added_rule_is_an_error_naming_the_rule(
        self, account: Account, plan: NetworkPlan
    ) -> None:
        """SSH from anywhere added to web by hand shows as added, with its sgr id."""
        ids = deploy(account, plan)
        account.ec2.authorize_security_group_ingress(
            GroupId=ids["web"], IpPermissions=[tcp(22, description="debugging, remove later")]
        )
        report = drift(account, plan)
        (finding,) = report.of_rule(DRIFT_ADDED.id)
        assert finding.level is Level.ERROR
        assert finding.resource.id == ids["web"]
        assert "ingress TCP 22 from 0.0.0.0/0" in finding.what
        assert "the group of tier web, is not in the stack's plan" in finding.what
        assert "'debugging, remove later'" in finding.what
        (added,) = finding.related
        assert added.id.startswith("sgr-")
        assert drift_ids(report) == [DRIFT_ADDED.id]

    def test_a_deleted_rule_is_missing(self, account: Account, plan: NetworkPlan) -> None:
        """The app tier's ingress from web, revoked by hand, is reported by its plan name."""
        ids = deploy(account, plan)
        rule = rule_named(account, ids["app"], "dev-app-in-tcp-8080-tier-web")
        account.ec2.revoke_security_group_ingress(GroupId=ids["app"], SecurityGroupRuleIds=[rule])
        (finding,) = drift(account, plan).of_rule(DRIFT_MISSING.id)
        assert "dev-app-in-tcp-8080-tier-web" in finding.what
        assert finding.resource.id == ids["app"]

    def test_an_edited_description_is_changed(self, account: Account, plan: NetworkPlan) -> None:
        """Same traffic and peer, another description: changed, quoting both."""
        ids = deploy(account, plan)
        account.ec2.update_security_group_rule_descriptions_ingress(
            GroupId=ids["web"],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "whoever"}],
                }
            ],
        )
        (finding,) = drift(account, plan).of_rule(DRIFT_CHANGED.id)
        assert "'whoever'" in finding.what
        assert "'SSH from the admin range only'" in finding.what

    def test_a_rule_modified_in_place_is_changed_not_added(
        self, account: Account, plan: NetworkPlan
    ) -> None:
        """The SSH rule widened to 0.0.0.0/0 keeps its Name tag: one changed finding."""
        ids = deploy(account, plan)
        name = "dev-web-in-tcp-22-203.0.113.0_24"
        rule = rule_named(account, ids["web"], name)
        account.ec2.modify_security_group_rules(
            GroupId=ids["web"],
            SecurityGroupRules=[
                {
                    "SecurityGroupRuleId": rule,
                    "SecurityGroupRule": {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "CidrIpv4": "0.0.0.0/0",
                        "Description": "SSH from the admin range only",
                    },
                }
            ],
        )
        report = drift(account, plan)
        assert drift_ids(report) == [DRIFT_CHANGED.id]
        (finding,) = report.of_rule(DRIFT_CHANGED.id)
        assert "TCP 22 from 0.0.0.0/0" in finding.what
        assert f"stack's {name}" in finding.what


class TestAclEntries:
    def test_added_and_replaced_entries(self, account: Account, plan: NetworkPlan) -> None:
        """A new entry 140 is added; entry 130 replaced with another CIDR is changed."""
        ids = deploy(account, plan)
        acl = ids["acl:public"]
        account.acl_entry(acl, 140, "allow", ports=(3389, 3389))
        open_admin_ssh_to_the_world(account.ec2, acl)
        report = drift(account, plan)
        (added,) = report.of_rule(DRIFT_ADDED.id)
        assert "ingress #140 allow TCP 3389 0.0.0.0/0" in added.what
        (changed,) = report.of_rule(DRIFT_CHANGED.id)
        assert "ingress #130 allow TCP 22 0.0.0.0/0" in changed.what
        assert "203.0.113.0/24" in changed.what

    def test_a_deleted_entry_is_missing(self, account: Account, plan: NetworkPlan) -> None:
        """The deny of the blocked range (rule 50) deleted by hand is missing."""
        ids = deploy(account, plan)
        account.ec2.delete_network_acl_entry(
            NetworkAclId=ids["acl:public"], RuleNumber=50, Egress=False
        )
        report = drift(account, plan)
        (finding,) = report.of_rule(DRIFT_MISSING.id)
        assert "dev-public-in-50" in finding.what
        assert finding.fingerprint.endswith("/dev-public-in-50")
