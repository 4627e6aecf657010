"""Collection: pagination, regions in parallel, and AWS failures as one clear error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.audit.builders import Account
from tierguard.audit import collect as collect_module
from tierguard.audit.collect import (
    CLIENT_CONFIG,
    aws_errors,
    collect,
    session,
)
from tierguard.deployed.read import read_network_acls, read_security_groups
from tierguard.errors import AwsError, UsageError
from tierguard.rules import TCP, AclAction

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client


@pytest.fixture(name="stubbed")
def _stubbed() -> EC2Client:
    """A real EC2 client whose answers the test scripts (no endpoint is ever called)."""
    return session(None).client("ec2", region_name="us-east-1", config=CLIENT_CONFIG)


class TestPagination:
    """moto answers in one page whatever MaxResults says; AWS pages. Stubbed pages check
    that every page is read and the token is passed on."""

    def test_rules_and_groups_are_read_across_pages(self, stubbed: EC2Client) -> None:
        """Two pages of rules and two of groups: every rule lands on its group."""
        rule = {"GroupId": "sg-1", "IsEgress": False, "IpProtocol": "tcp", "FromPort": 22}
        with Stubber(stubbed) as stub:
            stub.add_response(
                "describe_security_groups",
                {"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "a"}], "NextToken": "next"},
                {},
            )
            stub.add_response(
                "describe_security_groups",
                {"SecurityGroups": [{"GroupId": "sg-2", "GroupName": "b"}]},
                {"NextToken": "next"},
            )
            stub.add_response(
                "describe_security_group_rules",
                {
                    "SecurityGroupRules": [
                        {
                            **rule,
                            "SecurityGroupRuleId": "sgr-1",
                            "ToPort": 22,
                            "CidrIpv4": "10.0.0.0/8",
                        }
                    ],
                    "NextToken": "page-2",
                },
                {},
            )
            stub.add_response(
                "describe_security_group_rules",
                {
                    "SecurityGroupRules": [
                        {
                            **rule,
                            "SecurityGroupRuleId": "sgr-2",
                            "ToPort": 22,
                            "GroupId": "sg-2",
                            "CidrIpv6": "::/0",
                        }
                    ]
                },
                {"NextToken": "page-2"},
            )
            notes: list[str] = []
            groups = read_security_groups(stubbed, notes)
            stub.assert_no_pending_responses()
        assert [(g.id, [r.id for r in g.rules]) for g in groups] == [
            ("sg-1", ["sgr-1"]),
            ("sg-2", ["sgr-2"]),
        ]
        assert notes == []

    def test_acl_pages_are_read_and_implicit_entries_left_out(self, stubbed: EC2Client) -> None:
        """Entries 32767/32768 (``*``) are not listed: the evaluator applies them itself."""
        entry = {"Egress": False, "Protocol": "6", "PortRange": {"From": 22, "To": 22}}
        with Stubber(stubbed) as stub:
            stub.add_response(
                "describe_network_acls",
                {
                    "NetworkAcls": [
                        {
                            "NetworkAclId": "acl-1",
                            "Entries": [
                                {
                                    **entry,
                                    "RuleNumber": 90,
                                    "RuleAction": "deny",
                                    "CidrBlock": "0.0.0.0/0",
                                },
                                {
                                    **entry,
                                    "RuleNumber": 32767,
                                    "RuleAction": "deny",
                                    "CidrBlock": "0.0.0.0/0",
                                },
                            ],
                        }
                    ],
                    "NextToken": "more",
                },
                {},
            )
            stub.add_response(
                "describe_network_acls",
                {"NetworkAcls": [{"NetworkAclId": "acl-2", "Entries": []}]},
                {"NextToken": "more"},
            )
            acls = read_network_acls(stubbed, [])
        assert [a.id for a in acls] == ["acl-1", "acl-2"]
        (only,) = acls[0].entries
        assert (only.number, only.action, only.traffic.protocol) == (90, AclAction.DENY, TCP)

    def test_an_unreadable_rule_is_noted_and_skipped(self, stubbed: EC2Client) -> None:
        """A value AWS should never hold (ports 100-50, which moto accepts) becomes a note."""
        with Stubber(stubbed) as stub:
            stub.add_response("describe_security_groups", {"SecurityGroups": []})
            stub.add_response(
                "describe_security_group_rules",
                {
                    "SecurityGroupRules": [
                        {
                            "SecurityGroupRuleId": "sgr-bad",
                            "GroupId": "sg-1",
                            "IpProtocol": "tcp",
                            "FromPort": 100,
                            "ToPort": 50,
                            "CidrIpv4": "10.0.0.0/8",
                        }
                    ]
                },
            )
            notes: list[str] = []
            read_security_groups(stubbed, notes)
        (note,) = notes
        assert note.startswith("skipped rule sgr-bad:")


class TestRegions:
    def test_regions_are_read_concurrently_and_reported_in_the_order_asked(self) -> None:
        """Each region's inventory holds its own groups; duplicates are read once."""
        with mock_aws():
            Account("eu-west-1").group("in-ireland")
            Account("us-east-1").group("in-virginia")
            inventory = collect(["eu-west-1", "us-east-1", "eu-west-1"])
        assert [r.region for r in inventory.regions] == ["eu-west-1", "us-east-1"]
        names = [{g.name for g in r.groups} for r in inventory.regions]
        assert "in-ireland" in names[0]
        assert "in-ireland" not in names[1]
        assert "in-virginia" in names[1]
        assert inventory.account == "123456789012"

    def test_without_region_the_environments_is_used(self) -> None:
        """AWS_DEFAULT_REGION (set by the fixture) decides when no --region is given."""
        with mock_aws():
            assert [r.region for r in collect().regions] == ["us-east-1"]

    def test_an_unknown_region_is_a_usage_error(self) -> None:
        """A typo is caught before any call, naming the region."""
        with pytest.raises(UsageError, match="'us-eest-1' is not an AWS region"):
            collect(["us-eest-1"])

    def test_no_region_anywhere_is_a_usage_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With no --region, no environment and no profile region, say how to give one."""
        monkeypatch.delenv("AWS_DEFAULT_REGION")
        monkeypatch.delenv("AWS_REGION", raising=False)
        with pytest.raises(UsageError, match="no region to audit: pass --region"):
            collect()


class TestFailures:
    def test_no_credentials_is_an_aws_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No keys, no profile, no metadata service: one line saying how to provide them."""
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        with pytest.raises(AwsError, match="no AWS credentials found"):
            collect(["us-east-1"])

    def test_an_unknown_profile_is_a_usage_error(self) -> None:
        """The profile is named; nothing from the config files is shown."""
        with pytest.raises(UsageError, match="--profile 'nobody': no such profile"):
            collect(["us-east-1"], profile="nobody")

    def test_an_unreachable_endpoint_is_an_aws_error(self) -> None:
        """Nothing listens on the port: the endpoint is named, after the standard retries."""
        with pytest.raises(
            AwsError, match=r"cannot reach sts in us-east-1 at http://127\.0\.0\.1:9"
        ):
            collect(["us-east-1"], endpoint_url="http://127.0.0.1:9")

    def test_a_malformed_endpoint_is_a_usage_error(self) -> None:
        """botocore's "Invalid endpoint" becomes a usage error on --endpoint-url."""
        with pytest.raises(UsageError, match="--endpoint-url 'not a url'"):
            collect(["us-east-1"], endpoint_url="not a url")

    def test_access_denied_names_the_iam_action(self) -> None:
        """An UnauthorizedOperation names ``service:Action`` and where the list is."""
        error = botocore.exceptions.ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}},
            "DescribeNetworkAcls",
        )
        with pytest.raises(AwsError) as caught, aws_errors("ec2", "eu-west-1", None):
            raise error
        assert str(caught.value) == (
            "access denied (UnauthorizedOperation) calling ec2:DescribeNetworkAcls in "
            "eu-west-1: the audit needs the read-only actions listed in docs/audit.md"
        )

    def test_load_balancer_actions_use_their_iam_prefix(self) -> None:
        """ELB errors name ``elasticloadbalancing:…``, the prefix IAM policies use."""
        error = botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeLoadBalancers"
        )
        with (
            pytest.raises(AwsError, match="elasticloadbalancing:DescribeLoadBalancers"),
            aws_errors("elbv2", "us-east-1", None),
        ):
            raise error

    def test_an_auth_failure_may_be_a_region_not_enabled(self) -> None:
        """AuthFailure also comes from opt-in regions the account has not enabled."""
        error = botocore.exceptions.ClientError(
            {"Error": {"Code": "AuthFailure", "Message": "no"}}, "DescribeSecurityGroups"
        )
        with (
            pytest.raises(AwsError, match=r"\(or the region is not enabled for the account\)"),
            aws_errors("ec2", "ap-east-2", None),
        ):
            raise error

    def test_a_service_without_an_endpoint_in_the_region_is_a_note(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A service with no endpoint in the region (classic ELB) is a note, not a failure."""

        def no_endpoint(clients: object) -> list[object]:
            url = "https://elasticloadbalancing.us-east-1.amazonaws.com/"
            raise botocore.exceptions.EndpointConnectionError(endpoint_url=url)

        monkeypatch.setattr(collect_module, "_classic_load_balancers", no_endpoint)
        with mock_aws():
            (region,) = collect(["us-east-1"]).regions
        assert region.notes == ("elb has no endpoint in us-east-1; its groups were not read",)


class TestClients:
    def test_every_client_retries_in_standard_mode(self) -> None:
        """Throttling is retried with backoff by every service client the audit creates."""
        clients = collect_module._Clients(session(None), "us-east-1", None)
        for client in (clients.ec2, clients.elbv2, clients.elb, clients.rds, clients.lambda_):
            retries = getattr(client.meta.config, "retries", None)  # untyped in the stubs
            assert retries is not None
            assert retries["mode"] == "standard"
