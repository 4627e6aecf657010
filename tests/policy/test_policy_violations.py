"""A violation is fields — what, why, fix, the rule — and the engine's message is one
sentence built from them, its fix taken from the policy's remediation (one source)."""

from __future__ import annotations

from tierguard.policies.acl import ACL_RETURN_TRAFFIC, check_return_traffic
from tierguard.policies.base import PolicyViolation, ResourceContext, StackContext
from tierguard.policies.common import rule_text
from tierguard.policies.config import Settings
from tierguard.policies.exposure import SG_ADMIN_PORTS, check_admin_ports
from tierguard.policies.testing import (
    acl_block,
    policy_resources,
    resource,
    run_resource_policy,
    run_stack_policy,
    sg_block,
    urn_for,
)
from tierguard.rules.normalize import SECURITY_GROUP, normalize_security_group


class TestSentence:
    def test_what_why_fix_in_that_order(self) -> None:
        """The sentence reads what, then why, then the fix, each a full sentence."""
        violation = PolicyViolation("rule x opens TCP 22", why="Scanned within minutes.")
        assert violation.sentence("Close it.") == (
            "rule x opens TCP 22. Scanned within minutes. Fix: Close it."
        )

    def test_own_fix_wins_over_the_remediation(self) -> None:
        """A fix specific to the violation replaces the policy's general one."""
        violation = PolicyViolation("a", fix="Add rule 120")
        assert violation.sentence("General advice.") == "a. Fix: Add rule 120."

    def test_no_fix_and_no_remediation_says_no_fix(self) -> None:
        """Without either, the sentence has no empty 'Fix:'."""
        assert PolicyViolation("a", why="b").sentence("") == "a. b."


class TestOneSourceForTheFix:
    def test_the_message_fix_is_the_remediation_sent_to_the_engine(self) -> None:
        """SSH from the world: the message ends with the policy's remediation_steps, the
        same text GetAnalyzerInfo carries, exactly once."""
        props = {
            "description": "web",
            "ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])],
            "egress": [],
        }
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props, name="web")
        [message] = outcome.violations
        remediation = SG_ADMIN_PORTS.remediation_steps
        assert remediation
        assert message.endswith(f"Fix: {remediation}")
        assert message.count("Fix:") == 1

    def test_a_specific_fix_names_the_missing_rule(self) -> None:
        """The return-traffic fix names the exact allow to add, not the general advice."""
        acl = {
            "urn": "urn:pulumi:dev::p::aws:ec2/networkAcl:NetworkAcl::web-acl",
            "type": "aws:ec2/networkAcl:NetworkAcl",
            "name": "web-acl",
            "inputs": {
                "ingress": [acl_block(100, "allow", "0.0.0.0/0", "tcp", 443)],
                "egress": [],
                "subnetIds": ["subnet-1"],
            },
        }
        [message] = run_stack_policy(ACL_RETURN_TRAFFIC, [acl]).violations
        assert "Fix: Add an egress allow for TCP 1024-65535 to 0.0.0.0/0" in message
        general = ACL_RETURN_TRAFFIC.remediation_steps
        assert general
        assert general not in message


def test_rule_text_is_the_rule_alone() -> None:
    """The rule field names direction, traffic and peer, without the resource."""
    props = {"ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])], "egress": []}
    [sourced] = normalize_security_group(SECURITY_GROUP, props, group="g").items
    assert rule_text(sourced.rule) == "ingress TCP 22 from 0.0.0.0/0"


class TestFields:
    """The checks return the fields themselves; the sentence is made from them later."""

    def test_a_resource_violation_names_its_rule(self) -> None:
        """SSH from the world: what names the resource's rule, why says why, the rule field
        is the rule alone, and the fix is left to the policy's remediation."""
        props = {"ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])], "egress": []}
        ctx = ResourceContext(
            settings=Settings({}, SG_ADMIN_PORTS.meta.parameters),
            resource_type=SECURITY_GROUP,
            props=props,
            name="web",
            urn=urn_for(SECURITY_GROUP, "web"),
        )
        [violation] = check_admin_ports(ctx)
        assert violation.what.startswith("ingress rule web ingress[0] opens TCP 22")
        assert "brute-forced" in violation.why
        assert violation.rule == "ingress TCP 22 from 0.0.0.0/0"
        assert violation.fix is None

    def test_a_stack_violation_names_its_resource_and_entry(self) -> None:
        """A missing return rule: the ACL's URN and name, the entry as text, and a fix of its
        own naming the entry to add."""
        acl = resource(
            "aws:ec2/networkAcl:NetworkAcl",
            "web-acl",
            {
                "ingress": [acl_block(100, "allow", "0.0.0.0/0", "tcp", 443)],
                "egress": [],
                "subnetIds": ["subnet-1"],
            },
        )
        ctx = StackContext(
            settings=Settings({}, ACL_RETURN_TRAFFIC.meta.parameters),
            resources=policy_resources([acl]),
        )
        [violation] = check_return_traffic(ctx)
        assert (violation.urn, violation.name) == (acl["urn"], "web-acl")
        assert violation.rule == "ingress rule 100 allow TCP 443 from 0.0.0.0/0"
        assert violation.fix is not None
        assert violation.fix.startswith("Add an egress allow for TCP 1024-65535 to 0.0.0.0/0")
