"""Hygiene: default groups with rules, ACLs on no subnet, undescribed rules, crowded ENIs."""

from __future__ import annotations

from tests.audit.builders import Account, about, audited, tcp
from tierguard.audit.findings import (
    ACL_UNATTACHED,
    DEFAULT_SG_ALLOWS,
    ENI_TOO_MANY_GROUPS,
    RULE_NO_DESCRIPTION,
    Level,
)


class TestDefaultGroups:
    def test_a_default_group_with_rules_is_a_warning_listing_them(self, account: Account) -> None:
        """A default group with any rule is a warning that lists the rules."""
        # moto gives a new VPC's default group only its egress rule; AWS also gives it a
        # self-referencing ingress. Either way it has a rule, so the test holds for both.
        default = account.default_group()
        (finding,) = about(audited(account), DEFAULT_SG_ALLOWS.id, default)
        assert finding.level is Level.WARNING
        assert "egress all traffic to 0.0.0.0/0" in finding.what

    def test_an_emptied_default_group_is_fine(self, account: Account) -> None:
        """With every rule revoked, as tierguard's VPC component leaves it, nothing is said."""
        default = account.default_group()
        account.ec2.revoke_security_group_egress(
            GroupId=default,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        assert not about(audited(account), DEFAULT_SG_ALLOWS.id, default)


class TestAcls:
    def test_a_custom_acl_on_no_subnet_is_a_note(self, account: Account) -> None:
        """An ACL that protects nothing is reported; the default ACLs never are."""
        spare = account.acl(name="spare")
        report = audited(account)
        (finding,) = about(report, ACL_UNATTACHED.id, spare)
        assert finding.level is Level.NOTE
        assert finding.resource.name == "spare"
        # The new VPC's default ACL has no subnet either, and is not reported.
        assert {f.resource.id for f in report.of_rule(ACL_UNATTACHED.id)} == {spare}

    def test_an_associated_acl_is_fine(self, account: Account) -> None:
        """Associated with a subnet, the ACL is in use."""
        subnet = account.subnet("10.0.1.0/24")
        acl = account.acl([subnet])
        assert not about(audited(account), ACL_UNATTACHED.id, acl)

    def test_an_association_with_a_deleted_subnet_does_not_count(self, account: Account) -> None:
        """moto keeps the association after ``delete_subnet`` (AWS drops it): ignored."""
        subnet = account.subnet("10.0.1.0/24")
        acl = account.acl([subnet])
        account.ec2.delete_subnet(SubnetId=subnet)
        assert about(audited(account), ACL_UNATTACHED.id, acl)


class TestDescriptions:
    def test_rules_without_a_real_description_are_listed_per_group(self, account: Account) -> None:
        """Missing and placeholder descriptions are listed by rule id; real ones are not."""
        group = account.group(
            "web",
            tcp(443, description="HTTPS from customers"),
            tcp(80, description="Managed by Pulumi"),
            tcp(8443),
        )
        (finding,) = about(audited(account), RULE_NO_DESCRIPTION.id, group)
        assert "2 rule(s)" in finding.what
        assert "TCP 80 from" in finding.what
        assert "TCP 8443 from" in finding.what
        assert "TCP 443" not in finding.what
        assert len(finding.related) == 2

    def test_aws_default_egress_is_not_reported(self, account: Account) -> None:
        """AWS writes "all traffic to 0.0.0.0/0" into every new group: not a person's rule."""
        group = account.group("web", tcp(443, description="HTTPS from customers"))
        assert not about(audited(account), RULE_NO_DESCRIPTION.id, group)

    def test_an_undescribed_egress_someone_wrote_is_reported(self, account: Account) -> None:
        """Egress rules written by people need a reason too."""
        group = account.group("web", tcp(443, description="HTTPS from customers"))
        account.ec2.authorize_security_group_egress(
            GroupId=group, IpPermissions=[tcp(5432, "10.0.0.0/8")]
        )
        (finding,) = about(audited(account), RULE_NO_DESCRIPTION.id, group)
        assert "egress TCP 5432 to 10.0.0.0/8" in finding.what


class TestInterfaces:
    def test_six_groups_on_one_interface_is_a_warning(self, account: Account) -> None:
        """More than five groups on an interface is reported with every group id."""
        subnet = account.subnet("10.0.1.0/24")
        groups = [account.group(f"g{i}") for i in range(6)]
        eni = account.interface(subnet, groups)
        (finding,) = about(audited(account), ENI_TOO_MANY_GROUPS.id, eni)
        assert finding.level is Level.WARNING
        assert all(g in finding.what for g in groups)

    def test_five_groups_is_the_limit_and_fine(self, account: Account) -> None:
        """Exactly five groups is within the default quota: nothing to report."""
        subnet = account.subnet("10.0.1.0/24")
        eni = account.interface(subnet, [account.group(f"g{i}") for i in range(5)])
        assert not about(audited(account), ENI_TOO_MANY_GROUPS.id, eni)
