"""Security-group stack policies, judged on a small three-tier stack and variations of it."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from tierguard.policies.stack import (
    SG_ACL_CONSISTENCY,
    SG_DATA_STORE_TIERS,
    SG_DEFAULT_CLOSED,
    SG_PER_RESOURCE,
    SG_PREFIX_LIST_EXPOSURE,
    SG_PRIVATE_SCOPE,
    SG_REDUNDANT_RULES,
    SG_RULE_CONFLICTS,
    SG_RULE_QUOTA,
    SG_TOO_MANY_RULES,
    SG_USED,
)
from tierguard.policies.testing import UNKNOWN, acl_block, resource, run_stack_policy, sg_block
from tierguard.rules.normalize import (
    DEFAULT_SECURITY_GROUP,
    MANAGED_PREFIX_LIST,
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
)

INSTANCE = "aws:ec2/instance:Instance"
LAMBDA = "aws:lambda/function:Function"
WORLD = "0.0.0.0/0"

Stack = dict[str, dict[str, Any]]


def _group(name: str, tier: str | None = None, **inputs: Any) -> dict[str, Any]:
    tags = {"tierguard:tier": tier} if tier else {}
    return resource(
        SECURITY_GROUP,
        name,
        {"description": f"{name} tier", "vpcId": "vpc-1", "tags": tags, **inputs},
        property_dependencies={"vpcId": [resource(VPC, "main")["urn"]]},
    )


def _ingress(name: str, group: dict[str, Any], port: int, **peer: Any) -> dict[str, Any]:
    deps = {"securityGroupId": [group["urn"]]}
    source = peer.pop("source", None)
    if source is not None:
        peer["referencedSecurityGroupId"] = UNKNOWN
        deps["referencedSecurityGroupId"] = [source["urn"]]
    return resource(
        VPC_INGRESS_RULE,
        name,
        {
            "securityGroupId": UNKNOWN,
            "ipProtocol": "tcp",
            "fromPort": float(port),
            "toPort": float(port),
            "description": f"{name} rule",
            **peer,
        },
        property_dependencies=deps,
    )


def _instance(name: str, subnet: dict[str, Any], *groups: dict[str, Any]) -> dict[str, Any]:
    return resource(
        INSTANCE,
        name,
        {"subnetId": UNKNOWN, "vpcSecurityGroupIds": [UNKNOWN for _ in groups]},
        property_dependencies={
            "subnetId": [subnet["urn"]],
            "vpcSecurityGroupIds": [g["urn"] for g in groups],
        },
    )


@pytest.fixture(name="stack")
def _stack() -> Stack:
    """web (443 from the world) → app (8080 from web) → db (5432 from app), all attached."""
    vpc = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"}, id="vpc-1")
    public = resource(SUBNET, "public", {"cidrBlock": "10.0.0.0/24", "vpcId": "vpc-1"})
    private = resource(SUBNET, "private", {"cidrBlock": "10.0.1.0/24", "vpcId": "vpc-1"})
    web, app, db = _group("web", "web"), _group("app", "app"), _group("db", "data")
    default = resource(
        DEFAULT_SECURITY_GROUP,
        "default",
        {"vpcId": "vpc-1", "ingress": [], "egress": []},
        property_dependencies={"vpcId": [vpc["urn"]]},
    )
    acl = resource(
        NETWORK_ACL,
        "public-acl",
        {
            "vpcId": "vpc-1",
            "subnetIds": [UNKNOWN],
            "ingress": [
                acl_block(100, "allow", WORLD, "tcp", 443),
                acl_block(110, "allow", "10.0.0.0/16", "-1"),
                acl_block(120, "allow", WORLD, "tcp", 1024, to_port=65535),
            ],
            "egress": [acl_block(100, "allow", WORLD, "-1")],
        },
        property_dependencies={"subnetIds": [public["urn"]]},
    )
    items = [
        vpc,
        public,
        private,
        web,
        app,
        db,
        default,
        acl,
        _ingress("web-https", web, 443, cidrIpv4=WORLD),
        _ingress("app-from-web", app, 8080, source=web),
        _ingress("db-from-app", db, 5432, source=app),
        _instance("web-1", public, web),
        _instance("app-1", private, app),
        _instance("db-1", private, db),
    ]
    return {item["name"]: item for item in items}


def _run(policy: Any, stack: Stack, **kwargs: Any) -> Any:
    return run_stack_policy(policy, list(stack.values()), **kwargs)


ALL_STACK_POLICIES = [
    SG_ACL_CONSISTENCY,
    SG_DATA_STORE_TIERS,
    SG_DEFAULT_CLOSED,
    SG_PER_RESOURCE,
    SG_PREFIX_LIST_EXPOSURE,
    SG_PRIVATE_SCOPE,
    SG_REDUNDANT_RULES,
    SG_RULE_CONFLICTS,
    SG_RULE_QUOTA,
    SG_TOO_MANY_RULES,
    SG_USED,
]


class TestCleanStack:
    @pytest.mark.parametrize("policy", ALL_STACK_POLICIES, ids=lambda p: p.name)
    def test_the_tiered_stack_passes_every_stack_policy(self, policy: Any, stack: Stack) -> None:
        """A well-formed three-tier stack has no stack-level finding, even at preview."""
        outcome = _run(policy, stack)
        assert outcome.clean, outcome.text()


class TestDataStoreTierChain:
    def test_a_database_port_open_to_a_cidr_is_reported(self, stack: Stack) -> None:
        """5432 from 10.0.0.0/16 bypasses the tier chain."""
        stack["db-from-vpc"] = _ingress("db-from-vpc", stack["db"], 5432, cidrIpv4="10.0.0.0/16")
        text = _run(SG_DATA_STORE_TIERS, stack).text()
        assert "5432 (PostgreSQL)" in text
        assert "10.0.0.0/16" in text

    def test_a_reference_from_an_untagged_group_is_reported(self, stack: Stack) -> None:
        """When tiers are tagged, a reference from a group that is not a tier is reported."""
        stack["ops"] = _group("ops")
        stack["db-from-ops"] = _ingress("db-from-ops", stack["db"], 5432, source=stack["ops"])
        assert "not a declared tier" in _run(SG_DATA_STORE_TIERS, stack).text()

    def test_the_tag_key_is_configurable(self, stack: Stack) -> None:
        """With a tag key no group carries, every group of the stack is a tier."""
        stack["ops"] = _group("ops")
        stack["db-from-ops"] = _ingress("db-from-ops", stack["db"], 5432, source=stack["ops"])
        assert _run(SG_DATA_STORE_TIERS, stack, config={"tierTagKey": "team"}).clean

    def test_a_group_outside_the_stack_is_not_a_tier(self, stack: Stack) -> None:
        """A literal sg- id of another stack is not a declared tier."""
        stack["db-ext"] = _ingress(
            "db-ext", stack["db"], 6379, referencedSecurityGroupId="sg-0123456789abcdef0"
        )
        assert "sg-0123456789abcdef0" in _run(SG_DATA_STORE_TIERS, stack).text()


class TestUnknownsAtPreview:
    def test_a_rule_whose_group_is_unknown_is_reported(self, stack: Stack) -> None:
        """A separate rule with an unknown securityGroupId and no dependency is not evaluated."""
        stack["stray"] = resource(
            VPC_INGRESS_RULE,
            "stray",
            {"securityGroupId": UNKNOWN, "ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0},
        )
        outcome = _run(SG_REDUNDANT_RULES, stack)
        assert outcome.violations == []
        assert "stray: the security group it belongs to is unknown" in outcome.not_evaluated[0]

    def test_an_unresolvable_group_reference_is_reported(self, stack: Stack) -> None:
        """A data-store rule from an unknown group with no dependency is not evaluated."""
        stack["db-from-x"] = _ingress(
            "db-from-x", stack["db"], 3306, referencedSecurityGroupId=UNKNOWN
        )
        outcome = _run(SG_DATA_STORE_TIERS, stack)
        assert outcome.violations == []
        assert "could not be evaluated at preview" in outcome.not_evaluated[0]

    def test_computed_inline_lists_of_groups_are_not_noise(self, stack: Stack) -> None:
        """A group's ingress unknown at preview (computed output) is left to resource policies."""
        stack["web"]["inputs"]["ingress"] = UNKNOWN
        assert _run(SG_REDUNDANT_RULES, stack).clean


class TestPrefixListResolution:
    def _with_list(self, stack: Stack, *cidrs: str, port: int = 22) -> Stack:
        plist = resource(
            MANAGED_PREFIX_LIST,
            "partners",
            {"addressFamily": "IPv4", "maxEntries": 5.0, "entries": [{"cidr": c} for c in cidrs]},
        )
        rule = _ingress("web-from-partners", stack["web"], port, prefixListId=UNKNOWN)
        rule["propertyDependencies"]["prefixListId"] = [plist["urn"]]
        return {**stack, "partners": plist, "web-from-partners": rule}

    def test_a_same_stack_list_with_the_internet_is_exposure(self, stack: Stack) -> None:
        """A prefix list in the stack containing 0.0.0.0/0 makes SSH public."""
        outcome = _run(SG_PREFIX_LIST_EXPOSURE, self._with_list(stack, "203.0.113.0/24", WORLD))
        assert "22 (SSH)" in outcome.text()
        assert SG_PREFIX_LIST_EXPOSURE.enforcement_level is EnforcementLevel.MANDATORY

    def test_a_list_of_partner_ranges_is_clean(self, stack: Stack) -> None:
        """A prefix list of specific ranges is not exposure."""
        assert _run(SG_PREFIX_LIST_EXPOSURE, self._with_list(stack, "203.0.113.0/24")).clean

    def test_https_through_an_open_list_is_not_admin_or_high_risk(self, stack: Stack) -> None:
        """443 through a list containing /0 is none of admin, high-risk or all ports."""
        assert _run(SG_PREFIX_LIST_EXPOSURE, self._with_list(stack, WORLD, port=443)).clean

    def test_unknown_entries_are_reported(self, stack: Stack) -> None:
        """Entries unknown at preview are reported as not evaluated."""
        outcome = _run(SG_PREFIX_LIST_EXPOSURE, self._with_list(stack, UNKNOWN))
        assert outcome.not_evaluated


class TestSecurityGroupAclConsistency:
    def test_a_port_the_subnet_acl_blocks_is_reported(self, stack: Stack) -> None:
        """web opens 8443 to the world but the public ACL only lets 443 in."""
        stack["web-8443"] = _ingress("web-8443", stack["web"], 8443, cidrIpv4=WORLD)
        stack["public-acl"]["inputs"]["ingress"] = stack["public-acl"]["inputs"]["ingress"][:2]
        text = _run(SG_ACL_CONSISTENCY, stack).text()
        assert "8443" in text
        assert "public-acl" in text

    def test_an_acl_allow_no_group_opens_is_drift(self, stack: Stack) -> None:
        """The ACL allows 22 from the world but no group in the subnet opens it."""
        stack["public-acl"]["inputs"]["ingress"].append(acl_block(130, "allow", WORLD, "tcp", 22))
        assert (
            "no security group of the resources there opens it"
            in _run(SG_ACL_CONSISTENCY, stack).text()
        )

    def test_a_wide_service_range_no_group_opens_is_drift(self, stack: Stack) -> None:
        """An inbound allow of 8000-9999 is a service range (it stops below the top of the
        clients' ephemeral range, AWS: 1024-65535), so it is judged like any other; only
        reply ranges reaching 65535 are left out."""
        stack["public-acl"]["inputs"]["ingress"].append(
            acl_block(130, "allow", WORLD, "tcp", 8000, to_port=9999)
        )
        assert "8000-9999" in _run(SG_ACL_CONSISTENCY, stack).text()

    def test_groups_without_subnet_information_are_named(self, stack: Stack) -> None:
        """A group used only by resources without a subnet is reported as undeterminable."""
        stack["batch"] = _group("batch", "batch")
        stack["batch-in"] = _ingress("batch-in", stack["batch"], 9000, cidrIpv4="10.0.0.0/16")
        stack["job"] = resource(
            "aws:batch/computeEnvironment:ComputeEnvironment",
            "job",
            {"computeResources": {"securityGroupIds": [UNKNOWN]}},
            property_dependencies={"computeResources": [stack["batch"]["urn"]]},
        )
        assert "could not determine" in _run(SG_ACL_CONSISTENCY, stack).text()


class TestSecurityGroupAclConsistencyVerdicts:
    """What the policy reports, exactly. AWS evaluates a subnet's inbound ACL entries in
    rule-number order, first match wins, then the implicit deny (``*``); a security-group
    rule is live only for the sources and ports the ACL lets in."""

    DEAD = (
        "One of the two is wrong: the rule is dead, or the ACL breaks a flow the tier needs. "
        "Fix: Allow the flow in the ACL (with return traffic), or remove the security-group "
        "rule."
    )
    DRIFT = (
        "Harmless today, but it is drift: the ACL no longer documents what the subnet serves. "
        "Fix: Remove the ACL entry, or add the security-group rule if the flow is intended."
    )

    @staticmethod
    def _without_world_ephemeral(stack: Stack) -> None:
        """Only 443 from the world and everything from the VPC come in."""
        stack["public-acl"]["inputs"]["ingress"] = stack["public-acl"]["inputs"]["ingress"][:2]

    def test_a_port_only_the_implicit_deny_stops(self, stack: Stack) -> None:
        stack["web-8443"] = _ingress("web-8443", stack["web"], 8443, cidrIpv4=WORLD)
        self._without_world_ephemeral(stack)
        outcome = _run(SG_ACL_CONSISTENCY, stack)
        assert outcome.violations == [
            "security group web: ingress rule web-8443 (TCP 8443 from 0.0.0.0/0) opens port(s) "
            "8443, but network ACL public-acl of subnet public blocks them from 0.0.0.0/0 (the "
            f"implicit deny (*)). {self.DEAD}"
        ]
        assert outcome.urns == [stack["web-8443"]["urn"]]

    def test_the_entry_that_denies_is_named(self, stack: Stack) -> None:
        """Entry 90 denies 8443 before entry 120 (1024-65535) would allow it."""
        stack["web-8443"] = _ingress("web-8443", stack["web"], 8443, cidrIpv4=WORLD)
        stack["public-acl"]["inputs"]["ingress"].append(acl_block(90, "deny", WORLD, "tcp", 8443))
        [message] = _run(SG_ACL_CONSISTENCY, stack).violations
        assert "blocks them from 0.0.0.0/0 (rule 90 (public-acl ingress[3]))." in message

    def test_at_most_four_blocked_ranges_are_shown(self, stack: Stack) -> None:
        """8000-8010 where the ACL lets only the odd ports in: six ports stay closed."""
        stack["web-8k"] = _ingress("web-8k", stack["web"], 8000, cidrIpv4=WORLD)
        stack["web-8k"]["inputs"]["toPort"] = 8010.0
        self._without_world_ephemeral(stack)
        stack["public-acl"]["inputs"]["ingress"] += [
            acl_block(200 + port, "allow", WORLD, "tcp", port) for port in range(8001, 8010, 2)
        ]
        [message] = _run(SG_ACL_CONSISTENCY, stack).violations
        assert "opens port(s) 8000, 8002, 8004, 8006, but network ACL" in message
        assert "(the implicit deny (*))" in message

    def test_the_rest_of_a_source_block_is_judged(self, stack: Stack) -> None:
        """The ACL lets only 10.0.0.0/24 of the VPC in: 8080 from 10.0.1.0 is dropped."""
        stack["web-8080"] = _ingress("web-8080", stack["web"], 8080, cidrIpv4="10.0.0.0/16")
        self._without_world_ephemeral(stack)
        stack["public-acl"]["inputs"]["ingress"][1] = acl_block(110, "allow", "10.0.0.0/24", "-1")
        [message] = _run(SG_ACL_CONSISTENCY, stack).violations
        assert "web-8080 (TCP 8080 from 10.0.0.0/16) opens port(s) 8080" in message
        assert "blocks them from 10.0.0.0/16 (the implicit deny (*))" in message

    def test_a_source_block_the_acl_admits_whole_is_clean(self, stack: Stack) -> None:
        """An entry for the whole source block (10.0.0.0/16, all traffic) admits it."""
        stack["web-8080"] = _ingress("web-8080", stack["web"], 8080, cidrIpv4="10.0.0.0/16")
        assert _run(SG_ACL_CONSISTENCY, stack).clean

    def test_only_the_dead_rule_is_reported_among_others(self, stack: Stack) -> None:
        """Egress rules are not judged by the inbound entries (their replies come back on
        ephemeral ports); a group reference is no CIDR source; a live rule is clean."""
        web = stack["web"]
        items = [
            resource(
                VPC_EGRESS_RULE,
                "web-smtp-out",
                {
                    "securityGroupId": UNKNOWN,
                    "ipProtocol": "tcp",
                    "fromPort": 25.0,
                    "toPort": 25.0,
                    "cidrIpv4": WORLD,
                    "description": "mail",
                },
                property_dependencies={"securityGroupId": [web["urn"]]},
            ),
            _ingress("web-from-app", web, 9000, source=stack["app"]),
            _ingress("web-8443", web, 8443, cidrIpv4=WORLD),
        ]
        rest = {k: v for k, v in stack.items() if k != "web-https"}
        stack.clear()
        stack.update(rest)
        stack.update({item["name"]: item for item in items})
        stack["web-https"] = _ingress("web-https", web, 443, cidrIpv4=WORLD)
        stack["web-9443"] = _ingress("web-9443", web, 9443, cidrIpv4=WORLD)
        self._without_world_ephemeral(stack)
        violations = _run(SG_ACL_CONSISTENCY, stack).violations
        assert [v.split(" opens")[0] for v in violations] == [
            "security group web: ingress rule web-8443 (TCP 8443 from 0.0.0.0/0)",
            "security group web: ingress rule web-9443 (TCP 9443 from 0.0.0.0/0)",
        ]

    def test_a_subnet_outside_the_stack_is_named_by_its_id(self, stack: Stack) -> None:
        """The ACL and the instance name an existing subnet by its id."""
        stack["public-acl"]["inputs"]["subnetIds"] = ["subnet-0abc"]
        stack["public-acl"]["propertyDependencies"] = {}
        stack["web-1"]["inputs"]["subnetId"] = "subnet-0abc"
        del stack["web-1"]["propertyDependencies"]["subnetId"]
        stack["web-8443"] = _ingress("web-8443", stack["web"], 8443, cidrIpv4=WORLD)
        self._without_world_ephemeral(stack)
        [message] = _run(SG_ACL_CONSISTENCY, stack).violations
        assert "but network ACL public-acl of subnet subnet-0abc blocks them" in message

    def test_an_allow_no_group_opens_is_drift(self, stack: Stack) -> None:
        stack["public-acl"]["inputs"]["ingress"].append(acl_block(130, "allow", WORLD, "tcp", 22))
        outcome = _run(SG_ACL_CONSISTENCY, stack)
        assert outcome.violations == [
            "network ACL public-acl: rule 130 (public-acl ingress[3]) allows TCP 22 in from "
            f"0.0.0.0/0 to subnet public, but no security group of the resources there opens "
            f"it. {self.DRIFT}"
        ]
        assert outcome.urns == [stack["public-acl"]["urn"]]

    @pytest.mark.parametrize(
        "entry",
        [
            acl_block(130, "deny", WORLD, "tcp", 22),
            acl_block(130, "allow", "192.168.0.0/16", "tcp", 443),
        ],
        ids=["a deny documents nothing", "a block inside the group's source"],
    )
    def test_entries_that_are_no_drift(self, stack: Stack, entry: dict[str, Any]) -> None:
        stack["public-acl"]["inputs"]["ingress"].append(entry)
        assert _run(SG_ACL_CONSISTENCY, stack).clean

    def test_outbound_entries_are_not_judged(self, stack: Stack) -> None:
        stack["public-acl"]["inputs"]["egress"].append(
            acl_block(90, "allow", "10.0.0.0/16", "tcp", 5432)
        )
        assert _run(SG_ACL_CONSISTENCY, stack).clean

    def test_a_group_source_inside_the_entry_is_no_drift(self, stack: Stack) -> None:
        """web opens 8443 to one partner /24; the ACL admits 8443 from everywhere."""
        stack["web-8443"] = _ingress("web-8443", stack["web"], 8443, cidrIpv4="203.0.113.0/24")
        stack["public-acl"]["inputs"]["ingress"].append(acl_block(130, "allow", WORLD, "tcp", 8443))
        assert _run(SG_ACL_CONSISTENCY, stack).clean

    def test_another_address_family_is_drift(self, stack: Stack) -> None:
        """web opens 443 to the IPv4 internet only; an IPv6 allow of 443 documents nothing."""
        stack["public-acl"]["inputs"]["ingress"].append(acl_block(130, "allow", "::/0", "tcp", 443))
        [message] = _run(SG_ACL_CONSISTENCY, stack).violations
        assert message.startswith("network ACL public-acl: rule 130 (public-acl ingress[3]) allows")
        assert "TCP 443 in from ::/0 to subnet public" in message


class TestRedundantRules:
    def test_a_duplicate_rule_is_reported_once(self, stack: Stack) -> None:
        """The same rule written twice is one finding."""
        stack["web-https-2"] = _ingress("web-https-2", stack["web"], 443, cidrIpv4=WORLD)
        outcome = _run(SG_REDUNDANT_RULES, stack)
        assert len(outcome.violations) == 1
        assert "duplicates" in outcome.text()

    def test_a_covered_rule_is_reported(self, stack: Stack) -> None:
        """443 from 10.0.0.0/16 is covered by 443 from the world."""
        stack["web-vpc"] = _ingress("web-vpc", stack["web"], 443, cidrIpv4="10.0.0.0/16")
        assert "already covered by" in _run(SG_REDUNDANT_RULES, stack).text()

    def test_rules_in_different_directions_do_not_cover(self, stack: Stack) -> None:
        """An egress rule never makes an ingress rule redundant."""
        stack["web"]["inputs"]["egress"] = [sg_block("-1", 0, 0, cidrBlocks=[WORLD])]
        assert _run(SG_REDUNDANT_RULES, stack).clean


class TestGroupUsed:
    def test_an_unattached_group_is_reported(self, stack: Stack) -> None:
        """A group no resource names is unused."""
        stack["orphan"] = _group("orphan")
        assert _run(SG_USED, stack).urns == [stack["orphan"]["urn"]]

    @pytest.mark.parametrize(
        "outputs",
        [
            {"spare": UNKNOWN},
            {"ids": ["sg-0", UNKNOWN]},
            {"network": {"groups": {"spare": UNKNOWN}}},
            {"network": [{"id": UNKNOWN}]},
        ],
        ids=["top", "in a list", "nested", "object in a list"],
    )
    def test_a_new_group_may_be_among_unknown_outputs(
        self, stack: Stack, outputs: dict[str, Any]
    ) -> None:
        """At preview a new group's id and the outputs holding it are unknown wherever they
        sit in the outputs: the group may be exported, so it is not called unused."""
        stack["spare"] = _group("spare")
        stack["spare"]["id"] = UNKNOWN
        stack["root"] = resource("pulumi:pulumi:Stack", "proj-dev", outputs)
        assert _run(SG_USED, stack).clean

    @pytest.mark.parametrize(
        ("group_id", "outputs"),
        [
            (UNKNOWN, {"vpc": "vpc-1", "subnets": ["subnet-1"], "more": {"a": "b"}}),
            ("sg-9", {"spare": UNKNOWN}),
        ],
        ids=["outputs known", "the group's own id known"],
    )
    def test_an_unexported_group_is_unused(
        self, stack: Stack, group_id: str, outputs: dict[str, Any]
    ) -> None:
        """Known outputs that do not name it, or unknown outputs when the group's own id is
        known (an unknown output is then not this group): unused."""
        stack["spare"] = _group("spare")
        stack["spare"]["id"] = group_id
        stack["root"] = resource("pulumi:pulumi:Stack", "proj-dev", outputs)
        assert _run(SG_USED, stack).urns == [stack["spare"]["urn"]]

    def test_an_output_naming_the_groups_id_is_a_use(self, stack: Stack) -> None:
        stack["spare"] = _group("spare")
        stack["spare"]["id"] = "sg-9"
        stack["root"] = resource("pulumi:pulumi:Stack", "proj-dev", {"ids": ["sg-9"]})
        assert _run(SG_USED, stack).clean

    def test_a_lambda_counts_as_a_user(self, stack: Stack) -> None:
        """Any resource naming the group uses it, e.g. a Lambda's vpcConfig (prowler#2943)."""
        stack["fn-sg"] = _group("fn-sg")
        stack["fn"] = resource(
            LAMBDA,
            "fn",
            {"vpcConfig": {"securityGroupIds": [UNKNOWN], "subnetIds": ["subnet-1"]}},
            property_dependencies={"vpcConfig": [stack["fn-sg"]["urn"]]},
        )
        assert _run(SG_USED, stack).clean

    def test_a_literal_id_counts_as_a_user(self, stack: Stack) -> None:
        """A resource holding the group's id (after apply) uses it."""
        stack["known"] = {**_group("known"), "id": "sg-00000000000000001"}
        stack["eni"] = resource(
            "aws:ec2/networkInterface:NetworkInterface",
            "eni",
            {"securityGroups": ["sg-00000000000000001"], "subnetId": "subnet-1"},
        )
        assert _run(SG_USED, stack).clean

    def test_a_reference_from_another_group_is_a_use(self, stack: Stack) -> None:
        """Being the source of another group's rule counts (prowler#3009)."""
        stack["lb"] = _group("lb", "lb")
        stack["web-from-lb"] = _ingress("web-from-lb", stack["web"], 8443, source=stack["lb"])
        assert _run(SG_USED, stack).clean


class TestRuleManagementConflicts:
    def test_inline_and_separate_rules_conflict(self, stack: Stack) -> None:
        """A group with inline ingress and a separate ingress rule is reported on the rule."""
        stack["web"]["inputs"]["ingress"] = [sg_block("tcp", 80, cidrBlocks=[WORLD])]
        outcome = _run(SG_RULE_CONFLICTS, stack)
        assert outcome.urns == [stack["web-https"]["urn"]]

    def test_outputs_mirroring_separate_rules_are_not_a_conflict(self, stack: Stack) -> None:
        """After apply the group's ingress lists its separate rules; that is not a conflict."""
        stack["web"]["inputs"]["ingress"] = [
            sg_block("tcp", 443, cidrBlocks=[WORLD], description="web-https rule")
        ]
        assert _run(SG_RULE_CONFLICTS, stack).clean

    def test_default_group_with_separate_rules_conflicts(self, stack: Stack) -> None:
        """DefaultSecurityGroup with inline rules and a SecurityGroupRule is reported."""
        stack["default"]["inputs"]["ingress"] = [sg_block("-1", 0, 0, self=True)]
        stack["default-extra"] = resource(
            SECURITY_GROUP_RULE,
            "default-extra",
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 22.0,
                "toPort": 22.0,
                "cidrBlocks": ["10.0.0.0/16"],
            },
            property_dependencies={"securityGroupId": [stack["default"]["urn"]]},
        )
        assert _run(SG_RULE_CONFLICTS, stack).violations

    def test_acl_inline_and_separate_entries_conflict(self, stack: Stack) -> None:
        """A NetworkAcl with inline entries and a NetworkAclRule is reported."""
        stack["acl-extra"] = resource(
            NETWORK_ACL_RULE,
            "acl-extra",
            {
                "networkAclId": UNKNOWN,
                "ruleNumber": 300.0,
                "ruleAction": "deny",
                "protocol": "tcp",
                "fromPort": 22.0,
                "toPort": 22.0,
                "cidrBlock": WORLD,
            },
            property_dependencies={"networkAclId": [stack["public-acl"]["urn"]]},
        )
        assert "NetworkAclRule" in _run(SG_RULE_CONFLICTS, stack).text()


class TestTooManyRules:
    def test_more_rules_than_the_limit(self, stack: Stack) -> None:
        """A group with more ingress rules than maxRules is reported."""
        cidrs = [f"10.0.{i}.0/24" for i in range(6)]
        stack["app"]["inputs"]["ingress"] = [sg_block("tcp", 8080, cidrBlocks=cidrs)]
        assert _run(SG_TOO_MANY_RULES, stack).clean
        assert "7 ingress rules" in _run(SG_TOO_MANY_RULES, stack, config={"maxRules": 5}).text()


class TestRuleQuota:
    """Expected counts from the VPC quotas page: 60 rules per group, direction and address
    family; a rule referencing a group (or a prefix list) counts for IPv4 and for IPv6; a
    prefix list counts as its max entries; rules per group x groups per interface <= 1,000."""

    @staticmethod
    def cidrs(count: int, offset: int = 0) -> list[str]:
        return [f"10.{(offset + i) // 256}.{(offset + i) % 256}.0/24" for i in range(count)]

    def test_sixty_ipv4_rules_fit_and_sixty_one_do_not(self, stack: Stack) -> None:
        """app already has one referenced-group rule; 59 more CIDRs make 60, 60 make 61."""
        stack["app"]["inputs"]["ingress"] = [sg_block("tcp", 8080, cidrBlocks=self.cidrs(59))]
        assert _run(SG_RULE_QUOTA, stack).clean
        stack["app"]["inputs"]["ingress"] = [sg_block("tcp", 8080, cidrBlocks=self.cidrs(60))]
        text = _run(SG_RULE_QUOTA, stack).text()
        assert "61 IPv4 ingress rules as AWS counts them" in text
        assert "IPv6" not in text

    def test_the_families_are_counted_apart(self, stack: Stack) -> None:
        """45 IPv4 and 45 IPv6 CIDRs: 90 rules, but no family over 60."""
        v6 = [f"2001:db8:{i:x}::/48" for i in range(45)]
        stack["app"]["inputs"]["ingress"] = [
            sg_block("tcp", 8080, cidrBlocks=self.cidrs(45), ipv6CidrBlocks=v6)
        ]
        assert _run(SG_RULE_QUOTA, stack).clean

    def test_a_raised_quota_is_honoured(self, stack: Stack) -> None:
        stack["app"]["inputs"]["ingress"] = [sg_block("tcp", 8080, cidrBlocks=self.cidrs(100))]
        assert not _run(SG_RULE_QUOTA, stack).clean
        assert _run(SG_RULE_QUOTA, stack, config={"rulesPerGroup": 200}).clean

    def test_a_prefix_list_counts_as_its_max_entries(self, stack: Stack) -> None:
        """40 CIDRs + the reference + a prefix list of max 20 entries: 61 IPv4 rules."""
        stack["app"]["inputs"]["ingress"] = [
            sg_block("tcp", 8080, cidrBlocks=self.cidrs(40)),
            sg_block("tcp", 8443, prefixListIds=["pl-0123456789abcdef0"]),
        ]
        assert _run(SG_RULE_QUOTA, stack).clean
        weights = {"prefixListWeights": ["pl-0123456789abcdef0=20"]}
        text = _run(SG_RULE_QUOTA, stack, config=weights).text()
        assert "61 IPv4 ingress rules" in text
        assert "61 IPv6 ingress rules" not in text  # 1 reference + 20 entries in IPv6

    def test_quotas_whose_product_passes_1000_are_reported(self, stack: Stack) -> None:
        config = {"rulesPerGroup": 250, "groupsPerInterface": 5}
        assert "AWS caps that product at 1000" in _run(SG_RULE_QUOTA, stack, config=config).text()

    def test_one_interface_over_1000_rules(self, stack: Stack) -> None:
        """Five groups of 201 rules on one instance, quota raised to 200 x 5: each group
        is over by one and the instance carries 1,005 ingress IPv4 rules."""
        groups = [_group(f"q{i}") for i in range(5)]
        for i, group in enumerate(groups):
            group["inputs"]["ingress"] = [
                sg_block("tcp", 8080, cidrBlocks=self.cidrs(201, offset=201 * i))
            ]
        stack.update({g["name"]: g for g in groups})
        stack["busy"] = _instance("busy", stack["private"], *groups)
        config = {"rulesPerGroup": 200, "groupsPerInterface": 5}
        text = _run(SG_RULE_QUOTA, stack, config=config).text()
        assert "busy carries 1005 IPv4 ingress rules across its 5 security groups" in text


class TestGroupsPerResource:
    def test_more_than_five_groups_on_one_instance(self, stack: Stack) -> None:
        """An instance with six groups is reported."""
        groups = [_group(f"g{i}") for i in range(6)]
        stack.update({g["name"]: g for g in groups})
        stack["busy"] = _instance("busy", stack["private"], *groups)
        assert "6 security groups" in _run(SG_PER_RESOURCE, stack).text()


class TestPrivateScope:
    def test_a_source_wider_than_the_vpc_is_reported(self, stack: Stack) -> None:
        """10.0.0.0/8 for a 10.0.0.0/16 VPC is reported."""
        stack["app-wide"] = _ingress("app-wide", stack["app"], 8080, cidrIpv4="10.0.0.0/8")
        assert "wider than the VPC" in _run(SG_PRIVATE_SCOPE, stack).text()

    def test_a_source_inside_the_vpc_is_clean(self, stack: Stack) -> None:
        """A subnet block inside the VPC is fine."""
        stack["app-subnet"] = _ingress("app-subnet", stack["app"], 8080, cidrIpv4="10.0.1.0/24")
        assert _run(SG_PRIVATE_SCOPE, stack).clean

    def test_vpc_blocks_can_come_from_the_config(self, stack: Stack) -> None:
        """Without a declared VPC, vpcCidrs from the config is used."""
        del stack["main"]
        stack["app-wide"] = _ingress("app-wide", stack["app"], 8080, cidrIpv4="172.16.0.0/12")
        assert _run(SG_PRIVATE_SCOPE, stack).clean
        config = {"vpcCidrs": ["172.20.0.0/16"]}
        assert _run(SG_PRIVATE_SCOPE, stack, config=config).violations


class TestDefaultGroupClosed:
    def test_rules_on_the_default_group_are_reported(self, stack: Stack) -> None:
        """The default group's allow-within-group rule is reported (EC2.2)."""
        stack["default"]["inputs"]["ingress"] = [sg_block("-1", 0, 0, self=True)]
        assert "default security group default" in _run(SG_DEFAULT_CLOSED, stack).text()

    def test_an_unmanaged_default_group_is_reported(self, stack: Stack) -> None:
        """A VPC whose default group the stack does not declare is reported (CKV2_AWS_12)."""
        del stack["default"]
        assert "does not manage its default security group" in _run(SG_DEFAULT_CLOSED, stack).text()

    def test_requiring_management_can_be_switched_off(self, stack: Stack) -> None:
        """requireManaged=false avoids checkov#3077's complaint for unmanaged defaults."""
        del stack["default"]
        assert _run(SG_DEFAULT_CLOSED, stack, config={"requireManaged": False}).clean
