"""The pack's catalogue, config schema and exemptions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from tierguard.policies import ALL_POLICIES
from tierguard.policies.acl import ACL_ADMIN_PORTS
from tierguard.policies.base import EXEMPTED_RESOURCE_FINDINGS, TierguardResourcePolicy
from tierguard.policies.config import Settings
from tierguard.policies.exposure import SG_ADMIN_PORTS
from tierguard.policies.testing import (
    acl_block,
    resource,
    run_resource_policy,
    run_stack_policy,
    urn_for,
)
from tierguard.rules.normalize import NETWORK_ACL, VPC_INGRESS_RULE

SSH = {
    "ipProtocol": "tcp",
    "fromPort": 22.0,
    "toPort": 22.0,
    "cidrIpv4": "0.0.0.0/0",
    "description": "SSH for the bastion",
}

MANDATORY = {
    "aws-ec2-sg-no-admin-ports-from-internet",
    "aws-ec2-sg-no-all-traffic-from-internet",
    "aws-ec2-sg-no-high-risk-ports-from-internet",
    "aws-ec2-sg-rule-description-required",
    "aws-ec2-nacl-no-admin-ports-from-internet",
    "aws-ec2-nacl-no-all-traffic-from-internet",
    "aws-ec2-nacl-no-high-risk-ports-from-internet",
    "aws-ec2-sg-no-internet-via-prefix-list",
    "aws-ec2-sg-rule-quota",  # over it, an apply fails part-way
    "tierguard-reachability-intents",  # a declared intent is a requirement
}


class TestCatalog:
    def test_names_are_unique_and_follow_the_convention(self) -> None:
        """Names are unique kebab-case <cloud>-<service>-<resource>-<rule> (or tierguard-*)."""
        names = [p.name for p in ALL_POLICIES]
        assert len(names) == len(set(names))
        for name in names:
            assert re.fullmatch(r"(aws-ec2-(sg|nacl|vpc)|tierguard)-[a-z0-9-]+", name), name

    def test_exactly_the_exposure_and_description_policies_are_mandatory(self) -> None:
        """Internet exposure (SG and ACL), rule descriptions and AWS's rule quota are
        mandatory; the rest advisory."""
        levels = {p.name: p.enforcement_level for p in ALL_POLICIES}
        assert {n for n, lvl in levels.items() if lvl is EnforcementLevel.MANDATORY} == MANDATORY
        assert all(
            lvl is EnforcementLevel.ADVISORY for n, lvl in levels.items() if n not in MANDATORY
        )

    @pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
    def test_every_policy_documents_itself(self, policy: StackValidationPolicy) -> None:
        """Description, severity, remediation steps and a URL are filled in."""
        assert policy.description
        assert policy.severity is not None
        assert policy.remediation_steps
        assert policy.url

    @pytest.mark.parametrize(
        "policy",
        [p for p in ALL_POLICIES if not p.name.startswith("tierguard-")],
        ids=lambda p: p.name,
    )
    def test_every_parameter_has_a_default_and_exemptions_exist(
        self, policy: StackValidationPolicy
    ) -> None:
        """Each schema property has a description and default; exemptions need a reason."""
        assert policy.config_schema is not None
        properties = policy.config_schema.properties
        for key, spec in properties.items():
            assert "default" in spec, key
            assert spec.get("description"), key
        assert properties["exemptions"]["items"]["required"] == ["resource", "reason"]

    def test_the_exemption_reporters_run_last(self) -> None:
        """The exempted-finding reporters come after every policy that hands findings over."""
        assert [p.name for p in ALL_POLICIES[-2:]] == [
            "tierguard-exempted-findings",
            "tierguard-exempted-stack-findings",
        ]


class TestSettings:
    def test_defaults_come_from_the_schema(self) -> None:
        """A key the user did not set reads as the schema default."""
        settings = Settings({}, SG_ADMIN_PORTS.meta.parameters)
        assert settings.ports("adminPorts") == (22, 3389)

    def test_numbers_from_the_engine_arrive_as_floats(self) -> None:
        """Config numbers arrive as floats through protobuf and read as ints."""
        settings = Settings({"adminPorts": [2222.0, 22.0]}, SG_ADMIN_PORTS.meta.parameters)
        assert settings.ports("adminPorts") == (22, 2222)


class TestExemptions:
    def _config(self, **exemption: str) -> dict[str, object]:
        return {"exemptions": [{"reason": "SEC-42 bastion", **exemption}]}

    def test_an_exempted_finding_is_reported_as_exempted_not_as_violation(
        self, today: dt.date
    ) -> None:
        """By name: the violation is withheld and handed over as 'exempted: <reason>'."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS,
            VPC_INGRESS_RULE,
            SSH,
            name="bastion-ssh",
            config=self._config(resource="bastion-ssh"),
            today=today,
        )
        assert outcome.violations == []
        assert outcome.exempted[0].startswith("exempted: SEC-42 bastion — ")
        assert "aws-ec2-sg-no-admin-ports-from-internet" in outcome.exempted[0]

    def test_urn_glob_patterns_match(self, today: dt.date) -> None:
        """A URN glob exempts every matching resource."""
        config = self._config(resource="urn:pulumi:dev::*::*:SecurityGroupIngressRule::bastion-*")
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, VPC_INGRESS_RULE, SSH, name="bastion-b", config=config, today=today
        )
        assert outcome.violations == []
        assert outcome.exempted

    def test_other_resources_are_not_exempted(self, today: dt.date) -> None:
        """An exemption for one resource leaves others mandatory."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS,
            VPC_INGRESS_RULE,
            SSH,
            name="web-ssh",
            config=self._config(resource="bastion-*"),
            today=today,
        )
        assert outcome.violations
        assert outcome.exempted == []

    def test_an_exemption_applies_through_its_expiry_day(self, today: dt.date) -> None:
        """An exemption expiring today still applies."""
        config = self._config(resource="bastion-ssh", expires=today.isoformat())
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, VPC_INGRESS_RULE, SSH, name="bastion-ssh", config=config, today=today
        )
        assert outcome.violations == []
        assert f"(until {today.isoformat()})" in outcome.exempted[0]

    def test_an_expired_exemption_no_longer_applies(self, today: dt.date) -> None:
        """After its expiry the finding is a violation again, saying the exemption expired."""
        expired = (today - dt.timedelta(days=1)).isoformat()
        config = self._config(resource="bastion-ssh", expires=expired)
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, VPC_INGRESS_RULE, SSH, name="bastion-ssh", config=config, today=today
        )
        assert outcome.exempted == []
        assert f"expired on {expired}" in outcome.violations[0]

    def test_an_impossible_expiry_date_never_applies(self, today: dt.date) -> None:
        """An expiry that is no calendar date makes the exemption void, and says so."""
        config = self._config(resource="bastion-ssh", expires="2026-02-30")
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, VPC_INGRESS_RULE, SSH, name="bastion-ssh", config=config, today=today
        )
        assert outcome.exempted == []
        assert "not a YYYY-MM-DD date" in outcome.violations[0]

    def test_stack_findings_are_exempted_by_resource(self, today: dt.date) -> None:
        """A stack policy's finding about one ACL is exempted by that ACL's name."""
        acl = resource(
            NETWORK_ACL, "legacy-acl", {"ingress": [acl_block(100, "allow", "0.0.0.0/0", "-1")]}
        )
        outcome = run_stack_policy(
            ACL_ADMIN_PORTS, [acl], config=self._config(resource="legacy-acl"), today=today
        )
        assert outcome.violations == []
        assert outcome.exempted
        assert acl["urn"] in outcome.exempted[0]

    def test_the_reporter_policy_reports_what_was_handed_over(self, today: dt.date) -> None:
        """tierguard-exempted-findings reports the hand-over for the same resource (advisory)."""
        config = self._config(resource="bastion-ssh")
        policy = SG_ADMIN_PORTS
        assert isinstance(policy, TierguardResourcePolicy)
        args = ResourceValidationArgs(
            resource_type=VPC_INGRESS_RULE,
            props=unknown_checking_proxy(dict(SSH)),
            urn=urn_for(VPC_INGRESS_RULE, "bastion-ssh"),
            name="bastion-ssh",
            opts=PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
            provider=None,
            config=config,
        )
        withheld: list[str] = []
        reported: list[str] = []

        def withhold(message: str, urn: str | None = None) -> None:
            withheld.append(message)

        def report(message: str, urn: str | None = None) -> None:
            reported.append(message)

        policy.validate(args, withhold)
        EXEMPTED_RESOURCE_FINDINGS.validate(args, report)
        assert withheld == []
        assert len(reported) == 1
        assert reported[0].startswith("exempted: SEC-42 bastion")
        assert EXEMPTED_RESOURCE_FINDINGS.enforcement_level is EnforcementLevel.ADVISORY


class TestDocs:
    @pytest.mark.parametrize("document", ["docs/policies.md", "README.md"])
    def test_the_policy_table_is_current(self, document: str) -> None:
        """docs/policies.md and the README list every policy as the code defines it
        (regenerate on drift)."""
        from tierguard.policies.docs import ROOT, render

        text = (ROOT / document).read_text()
        assert render(text) == text, "run: python -m tierguard.policies.docs"

    def test_the_reference_has_a_section_per_policy(self) -> None:
        """docs/policies.md holds the generated per-policy sections: fix and mappings."""
        from tierguard.policies.docs import DETAILS_START, DOC

        text = DOC.read_text()
        assert DETAILS_START in text
        for policy in ALL_POLICIES:
            assert f"\n### {policy.name}\n" in text
