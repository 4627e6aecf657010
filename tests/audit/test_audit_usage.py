"""Unused security groups done right: every kind of use counts, and the report says why."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.audit.builders import Account, about, audited, from_group, tcp
from tierguard.audit.findings import DEFAULT_SG_IN_USE, SG_UNUSED
from tierguard.audit.report import report_json


def uses_of(account: Account, group: str) -> list[str]:
    """The reasons the audit gives for ``group`` being used, as text."""
    report = audited(account)
    return [str(u) for u in report.uses[account.region][group]]


class TestWhatCountsAsUse:
    def test_a_group_on_an_instance_is_used_by_its_interface(self, account: Account) -> None:
        """The instance's network interface carries the group, and the reason names both."""
        subnet = account.subnet("10.0.1.0/24")
        group = account.group("web")
        instance = account.instance(subnet, [group])
        (use,) = uses_of(account, group)
        assert use.startswith("network interface eni-")
        assert f"instance {instance}" in use
        assert not about(audited(account), SG_UNUSED.id, group)

    def test_a_group_used_only_by_a_load_balancer_is_used(self, account: Account) -> None:
        """moto creates no interface for an ALB, so the group is read from the ALB itself."""
        subnets = [account.subnet("10.0.1.0/24"), account.subnet("10.0.2.0/24", zone="us-east-1b")]
        group = account.group("alb")
        account.load_balancer(subnets, [group], name="shop-alb")
        assert uses_of(account, group) == ["ELBv2 load balancer shop-alb (internet-facing)"]
        assert not about(audited(account), SG_UNUSED.id, group)

    @pytest.mark.parametrize(
        ("create", "reason"),
        [
            (
                lambda a, s, g: a.classic_load_balancer([s], [g]),
                "classic load balancer classic (internet-facing)",
            ),
            (lambda a, s, g: a.database([g]), "RDS instance orders"),
            (lambda a, s, g: a.database_cluster([g]), "RDS cluster orders-cluster"),
            (lambda a, s, g: a.function(s, [g]), "Lambda function worker"),
        ],
        ids=["classic-elb", "rds-instance", "rds-cluster", "lambda"],
    )
    def test_every_service_that_names_a_group_uses_it(
        self, account: Account, create: Callable[[Account, str, str], None], reason: str
    ) -> None:
        """Classic ELBs, RDS instances and clusters and VPC Lambdas each count, by name."""
        subnet = account.subnet("10.0.1.0/24")
        group = account.group("consumer")
        create(account, subnet, group)
        assert uses_of(account, group) == [reason]

    def test_a_group_referenced_only_by_another_groups_rule_is_used(self, account: Account) -> None:
        """The rule that references it is the reason, naming the referencing group."""
        db = account.group("db")
        app = account.group("app")
        account.ec2.authorize_security_group_ingress(
            GroupId=db, IpPermissions=[from_group(5432, app)]
        )
        (use,) = uses_of(account, app)
        assert use.startswith("rule sgr-")
        assert f"db ({db}) allows TCP 5432 from it" in use
        report = audited(account)
        assert not about(report, SG_UNUSED.id, app)
        assert about(report, SG_UNUSED.id, db)  # referencing others is not being used

    def test_a_rule_referencing_its_own_group_is_not_a_use(self, account: Account) -> None:
        """A self-reference keeps nothing alive: the group is still unused."""
        group = account.group("cluster")
        account.ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[from_group(7000, group)]
        )
        assert uses_of(account, group) == []
        assert about(audited(account), SG_UNUSED.id, group)


class TestUnused:
    def test_a_truly_unused_group_is_a_note_that_says_what_was_checked(
        self, account: Account
    ) -> None:
        """One note, naming the group, listing every kind of use that was looked for."""
        subnet = account.subnet("10.0.1.0/24")
        used = account.group("used")
        account.instance(subnet, [used])
        unused = account.group("leftover", tcp(443))
        (finding,) = about(audited(account), SG_UNUSED.id, unused)
        assert finding.level.value == "note"
        assert finding.resource.name == "leftover"
        assert "no network interface, load balancer, RDS instance or cluster" in finding.what
        assert not about(audited(account), SG_UNUSED.id, used)

    def test_the_four_scenarios_side_by_side(self, account: Account) -> None:
        """Instance, load balancer only, referenced only, truly unused: one unused."""
        subnets = [account.subnet("10.0.1.0/24"), account.subnet("10.0.2.0/24", zone="us-east-1b")]
        on_instance = account.group("on-instance")
        account.instance(subnets[0], [on_instance])
        on_lb = account.group("on-lb")
        account.load_balancer(subnets, [on_lb])
        referenced = account.group("referenced")
        account.ec2.authorize_security_group_ingress(
            GroupId=on_instance, IpPermissions=[from_group(8080, referenced)]
        )
        unused = account.group("unused")
        report = audited(account)
        flagged = {f.resource.id for f in report.of_rule(SG_UNUSED.id)}
        assert unused in flagged
        assert not flagged & {on_instance, on_lb, referenced}

    def test_a_group_still_listed_on_an_interface_after_deletion_is_ignored(
        self, account: Account
    ) -> None:
        """moto deletes groups in use (AWS refuses); the interface's stale id is skipped."""
        subnet = account.subnet("10.0.1.0/24")
        gone = account.group("gone")
        account.interface(subnet, [gone])
        account.ec2.delete_security_group(GroupId=gone)
        report = audited(account)
        assert gone not in report.uses[account.region]


class TestDefaultGroups:
    def test_default_groups_are_listed_separately_and_never_unused(self, account: Account) -> None:
        """Default groups cannot be deleted: no unused finding, flagged in the JSON."""
        default = account.default_group()
        report = audited(account)
        assert not about(report, SG_UNUSED.id, default)
        (entry,) = [g for g in report_json(report)["groups"] if g["id"] == default]
        assert entry["default"] is True

    def test_a_default_group_in_use_is_a_warning_naming_the_users(self, account: Account) -> None:
        """Resources in the default group are reported with the interfaces that carry it."""
        subnet = account.subnet("10.0.1.0/24")
        default = account.default_group()
        account.instance(subnet, [default])
        (finding,) = about(audited(account), DEFAULT_SG_IN_USE.id, default)
        assert finding.level.value == "warning"
        assert "network interface eni-" in finding.what
