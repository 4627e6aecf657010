"""The real pack, driven over gRPC with what the engine really sends (issue 9).

Every stack of the repository (the dev stack and each file in ``examples/``) runs on the
mock engine and is sent to the pack process in the three shapes of ``engine-protocol.md``:
at preview (unknown ids, planned outputs), at up (real ids as ``outputs["id"]``) and after
a refresh (separate rules mirrored into their group's and ACL's ``ingress``/``egress``).
A rule is the same rule in all three, so the verdicts must be too.
"""

from __future__ import annotations

import copy
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR
from tierguard.config.stackfile import StackFile, load_stack, load_yaml
from tierguard.offline.analyzer import Diagnostic, PolicyPackClient
from tierguard.offline.engine import PHASES, UNKNOWN, EngineCalls, Phase, engine_calls
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.policies.graph import StackResources, StackView
from tierguard.policies.testing import acl_block, policy_resources, resource, urn_for
from tierguard.rules.normalize import (
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    SECURITY_GROUP,
    SUBNET,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
)

EXAMPLES = sorted(p.name.split(".")[1] for p in (PROJECT_DIR / "examples").glob("Pulumi.*.yaml"))
STACKS = ["dev", *EXAMPLES]
EXEMPTED = {"tierguard-exempted-findings", "tierguard-exempted-stack-findings"}


def stack_file(name: str) -> StackFile:
    if name == "dev":
        return load_stack(PROJECT_DIR, "dev")
    path = PROJECT_DIR / "examples" / f"Pulumi.{name}.yaml"
    return StackFile("tierguard", name, path, load_yaml(path)["config"])


@pytest.fixture(name="pack", scope="module")
def _pack() -> Iterator[PolicyPackClient]:
    with PolicyPackClient(python=sys.executable) as client:
        client.configure({})
        yield client


@pytest.fixture(name="runs", scope="module")
def _runs() -> dict[str, tuple[ProgramRun, StackFile]]:
    found = {}
    for name in STACKS:
        stack = stack_file(name)
        found[name] = (run_program(PROJECT_DIR, stack), stack)
    return found


def calls_for(
    runs: dict[str, tuple[ProgramRun, StackFile]], name: str, phase: Phase
) -> EngineCalls:
    run, stack = runs[name]
    return engine_calls(run, phase, stack.config)


def verdicts(diagnostics: list[Diagnostic]) -> set[tuple[str, str, str | None]]:
    return {
        (d.policy_name, d.enforcement_level, d.urn)
        for d in diagnostics
        if d.policy_name not in EXEMPTED
    }


def by_name(calls: EngineCalls, name: str) -> dict[str, Any]:
    [found] = [r for r in calls.stack if r["name"] == name]
    return found


# ----------------------------------------------------------------- the shapes themselves


class TestShapes:
    """What each phase sends, per engine-protocol.md."""

    def test_preview_analyze_sends_inputs_with_unknown_ids_and_no_graph(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """At preview a rule's securityGroupId (a new group's id) is the unknown sentinel;
        Analyze carries no id, dependencies or propertyDependencies."""
        calls = calls_for(runs, "dev", "preview")
        rules = [r for r in calls.analyze if r["type"] == VPC_INGRESS_RULE]
        assert rules
        for rule in rules:
            assert rule["properties"]["securityGroupId"] == UNKNOWN
            assert "id" not in rule["properties"]
            assert not {"dependencies", "propertyDependencies", "id"} & set(rule)
            assert rule["provider"]["type"] == "pulumi:providers:aws"
        # A literal input (the port) stays known.
        assert all(r["properties"]["fromPort"] != UNKNOWN for r in rules)

    def test_preview_outputs_are_planned_state_with_computed_attributes_unknown(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """AnalyzeStack at preview: id, arn, ownerId unknown; a group without inline rules
        has unknown ingress/egress; property dependencies link the rule to its group."""
        calls = calls_for(runs, "dev", "preview")
        groups = [r for r in calls.stack if r["type"] == SECURITY_GROUP]
        assert groups
        for group in groups:
            for key in ("id", "arn", "ownerId", "ingress", "egress"):
                assert group["properties"][key] == UNKNOWN, key
        rule = next(r for r in calls.stack if r["type"] == VPC_INGRESS_RULE)
        assert rule["properties"]["securityGroupRuleId"] == UNKNOWN
        [group_urn] = rule["propertyDependencies"]["securityGroupId"]
        assert group_urn in {g["urn"] for g in groups}

    def test_up_outputs_carry_real_ids_as_outputs_id(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """At up the id is outputs['id'] and rules name their group by that id."""
        calls = calls_for(runs, "dev", "up")
        ids = {r["urn"]: r["properties"]["id"] for r in calls.stack if r["type"] == SECURITY_GROUP}
        assert all(i.startswith("sg-") for i in ids.values())
        for rule in (r for r in calls.stack if r["type"] == VPC_INGRESS_RULE):
            [group_urn] = rule["propertyDependencies"]["securityGroupId"]
            assert rule["properties"]["securityGroupId"] == ids[group_urn]
        for group in (r for r in calls.stack if r["type"] == SECURITY_GROUP):
            assert group["properties"]["ingress"] == []  # read back before its rules exist

    def test_root_stack_provider_and_components_are_sent(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """The root stack, the default provider and each component's registered outputs
        are among the AnalyzeStack resources; components have no provider."""
        preview = calls_for(runs, "dev", "preview")
        up = calls_for(runs, "dev", "up")
        types = {r["type"] for r in up.stack}
        assert {"pulumi:pulumi:Stack", "pulumi:providers:aws"} <= types
        [provider] = [r for r in up.stack if r["type"] == "pulumi:providers:aws"]
        assert provider["name"].startswith("default_")
        assert provider["properties"]["region"] == runs["dev"][1].config["aws:region"]
        networks = [r for r in up.stack if r["type"].endswith(":Network")]
        assert networks
        assert all(n["provider"] is None for n in networks)
        assert all(
            i.startswith("sg-") for i in networks[0]["properties"]["securityGroupIds"].values()
        )
        [planned] = [r for r in preview.stack if r["urn"] == networks[0]["urn"]]
        assert set(planned["properties"]["securityGroupIds"].values()) == {UNKNOWN}

    def test_refresh_mirrors_separate_rules_into_the_group_inline_shaped(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """After a refresh a group's ingress lists its separate rules as the provider's
        Read gathers them: cidrBlocks, securityGroups, self, ports and description."""
        calls = calls_for(runs, "dev", "refresh")
        by_urn = {r["urn"]: r for r in calls.stack}
        for rule in (r for r in calls.stack if r["type"] == VPC_INGRESS_RULE):
            [group_urn] = rule["propertyDependencies"]["securityGroupId"]
            mirrored = by_urn[group_urn]["properties"]["ingress"]
            p = rule["properties"]
            match = [
                b
                for b in mirrored
                if b["fromPort"] == p.get("fromPort", 0)
                and b["description"] == p.get("description", "")
                and (
                    p.get("cidrIpv4") in b["cidrBlocks"]
                    or p.get("cidrIpv6") in b["ipv6CidrBlocks"]
                    or p.get("prefixListId") in b["prefixListIds"]
                    or p.get("referencedSecurityGroupId") in b["securityGroups"]
                    or (b["self"] and p.get("referencedSecurityGroupId") == p["securityGroupId"])
                )
            ]
            assert len(match) == 1, rule["name"]

    def test_refresh_mirrors_acl_rules_into_the_acl(
        self, runs: dict[str, tuple[ProgramRun, StackFile]]
    ) -> None:
        """An ACL's Read lists each NetworkAclRule with its number, action and protocol
        number."""
        calls = calls_for(runs, "dev", "refresh")
        by_urn = {r["urn"]: r for r in calls.stack}
        rules = [r for r in calls.stack if r["type"] == NETWORK_ACL_RULE]
        assert rules
        for rule in rules:
            [acl_urn] = rule["propertyDependencies"]["networkAclId"]
            p = rule["properties"]
            key = "egress" if p.get("egress") else "ingress"
            [entry] = [
                e for e in by_urn[acl_urn]["properties"][key] if e["ruleNo"] == p["ruleNumber"]
            ]
            assert entry["action"] == p["ruleAction"]
            assert entry["protocol"] in {"-1", "6", "17", "1", "58"}


# ----------------------------------------------------------- the pack on every stack


@pytest.mark.parametrize("name", STACKS)
def test_the_same_verdicts_at_preview_up_and_after_refresh(
    name: str, pack: PolicyPackClient, runs: dict[str, tuple[ProgramRun, StackFile]]
) -> None:
    """A rule is the same rule in every phase: the pack's verdicts do not change, and none
    is 'could not be evaluated at preview' for what the engine data does say."""
    found = {phase: pack.run_calls(calls_for(runs, name, phase)) for phase in PHASES}
    assert verdicts(found["preview"]) == verdicts(found["up"]) == verdicts(found["refresh"])
    notes = [d.message for d in found["preview"] if "could not be evaluated" in d.message]
    assert notes == []


@pytest.mark.parametrize("name", STACKS)
def test_no_separate_rule_is_a_duplicate_of_its_own_mirror(
    name: str, pack: PolicyPackClient, runs: dict[str, tuple[ProgramRun, StackFile]]
) -> None:
    """Finding 1: after a refresh no rule is redundant with, and no ACL entry shadowed by,
    its own mirror in the group's or ACL's outputs."""
    found = pack.run_calls(calls_for(runs, name, "refresh"))
    hygiene = {"aws-ec2-sg-no-redundant-rules", "aws-ec2-nacl-no-shadowed-rules"}
    assert [d.message for d in found if d.policy_name in hygiene] == []


@pytest.mark.parametrize("name", STACKS)
def test_exported_groups_are_not_unused_at_preview(
    name: str, pack: PolicyPackClient, runs: dict[str, tuple[ProgramRun, StackFile]]
) -> None:
    """Finding 2: a group exported by the stack is used, though its id is unknown."""
    found = pack.run_calls(calls_for(runs, name, "preview"))
    assert [d.urn for d in found if d.policy_name == "aws-ec2-sg-attached"] == []


# --------------------------------------------------- findings on hand-built engine data

PROVIDER = {
    "urn": urn_for("pulumi:providers:aws", "default_7_0_0"),
    "type": "pulumi:providers:aws",
    "name": "default_7_0_0",
    "properties": {"region": "us-east-1"},
}


def aws(type_: str, name: str, properties: dict[str, Any], **deps: list[str]) -> dict[str, Any]:
    """An AWS resource as AnalyzeStack sends it after an up: outputs, provider, graph."""
    base = resource(type_, name, property_dependencies=deps)
    return {**base, "properties": properties, "provider": PROVIDER}


class TestComponentsAreNotResources:
    def test_a_network_component_is_neither_placed_nor_a_consumer(
        self, pack: PolicyPackClient
    ) -> None:
        """Finding 3: the Network component's outputs name six groups and every subnet;
        it is not a resource with six groups, nor one placed in those subnets."""
        subnets = [aws(SUBNET, f"s{i}", {"id": f"subnet-0000000000000000{i}"}) for i in range(2)]
        groups = [
            aws(
                SECURITY_GROUP,
                f"tier{i}",
                {"id": f"sg-0000000000000000{i}", "ingress": [], "egress": []},
            )
            for i in range(6)
        ]
        rules = [
            aws(
                VPC_INGRESS_RULE,
                f"tier{i}-https",
                {
                    "securityGroupId": g["properties"]["id"],
                    "ipProtocol": "tcp",
                    "fromPort": 8443,
                    "toPort": 8443,
                    "cidrIpv4": "10.0.0.0/16",
                    "description": "from the VPC",
                },
                securityGroupId=[g["urn"]],
            )
            for i, g in enumerate(groups)
        ]
        acl = aws(
            NETWORK_ACL,
            "private",
            {
                "id": "acl-00000000000000001",
                "subnetIds": [s["properties"]["id"] for s in subnets],
                "ingress": [acl_block(100, "allow", "10.0.0.0/16", "tcp", 443)],
                "egress": [acl_block(100, "allow", "10.0.0.0/16", "tcp", 1024, to_port=65535)],
            },
            subnetIds=[s["urn"] for s in subnets],
        )
        network = {
            **resource("tierguard:index:Network", "net"),
            "provider": None,
            "properties": {
                "securityGroupIds": {g["name"]: g["properties"]["id"] for g in groups},
                "subnetIds": {"private": [s["properties"]["id"] for s in subnets]},
                "networkAclIds": {"private": "acl-00000000000000001"},
            },
        }
        found = pack.analyze_stack([network, *subnets, *groups, *rules, acl])
        assert [d for d in found if d.urn == network["urn"]] == []
        policies = {d.policy_name for d in found}
        assert "aws-ec2-sg-max-groups-per-resource" not in policies
        assert "aws-ec2-sg-nacl-consistent" not in policies


class TestAclOutsideTheStack:
    """Finding 4: a NetworkAclRule on an existing ACL the stack does not manage."""

    ACL_ID = "acl-0123456789abcdef0"

    def rule(
        self, name: str, number: int, action: str, protocol: str, port: int | None
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "networkAclId": self.ACL_ID,
            "ruleNumber": number,
            "egress": False,
            "protocol": protocol,
            "ruleAction": action,
            "cidrBlock": "0.0.0.0/0",
        }
        if port is not None:
            properties.update(fromPort=port, toPort=port)
        return aws(NETWORK_ACL_RULE, name, properties)

    def test_ssh_from_the_internet_is_mandatory_and_says_what_was_not_seen(
        self, pack: PolicyPackClient
    ) -> None:
        """An allow for SSH from 0.0.0.0/0 with no visible lower deny is a mandatory
        finding on the rule resource; the message says the other entries were not seen."""
        ssh = self.rule("ssh-world", 100, "allow", "tcp", 22)
        found = [
            d
            for d in pack.analyze_stack([ssh])
            if d.policy_name == "aws-ec2-nacl-no-admin-ports-from-internet"
        ]
        assert [(d.urn, d.enforcement_level) for d in found] == [(ssh["urn"], "mandatory")]
        assert "other entries were not seen" in found[0].message
        assert self.ACL_ID in found[0].message

    def test_all_traffic_from_the_internet_is_mandatory(self, pack: PolicyPackClient) -> None:
        """An allow-all from 0.0.0.0/0 is the all-traffic mandatory finding."""
        everything = self.rule("all-world", 100, "allow", "-1", None)
        found = [
            d
            for d in pack.analyze_stack([everything])
            if d.policy_name == "aws-ec2-nacl-no-all-traffic-from-internet"
        ]
        assert [(d.urn, d.enforcement_level) for d in found] == [(everything["urn"], "mandatory")]

    def test_a_visible_lower_numbered_deny_closes_the_port(self, pack: PolicyPackClient) -> None:
        """The same allow behind a visible deny for SSH from the internet is no finding."""
        deny = self.rule("deny-ssh", 90, "deny", "tcp", 22)
        ssh = self.rule("ssh-world", 100, "allow", "tcp", 22)
        found = pack.analyze_stack([deny, ssh])
        assert not [d for d in found if d.mandatory]

    def test_at_preview_the_same_verdict(self, pack: PolicyPackClient) -> None:
        """A literal ACL id is known at preview: the rule is judged the same way."""
        ssh = self.rule("ssh-world", 100, "allow", "tcp", 22)
        planned = {**ssh, "properties": {**ssh["properties"], "id": UNKNOWN}}
        found = [d for d in pack.analyze_stack([planned]) if d.mandatory]
        assert [d.policy_name for d in found] == ["aws-ec2-nacl-no-admin-ports-from-internet"]


def test_a_self_rule_resolves_at_preview(pack: PolicyPackClient) -> None:
    """A separate rule referencing its own group (id unknown at preview) is a reference
    to that group, not 'could not be evaluated': the data-store policy accepts it."""
    group = {
        **aws(SECURITY_GROUP, "cache", {"id": UNKNOWN, "ingress": UNKNOWN, "egress": UNKNOWN}),
    }
    rule = aws(
        VPC_INGRESS_RULE,
        "cache-self",
        {
            "securityGroupId": UNKNOWN,
            "referencedSecurityGroupId": UNKNOWN,
            "ipProtocol": "tcp",
            "fromPort": 6379,
            "toPort": 6379,
            "description": "cluster peers",
        },
        securityGroupId=[group["urn"]],
        referencedSecurityGroupId=[group["urn"]],
    )
    found = pack.analyze_stack([group, rule])
    assert [d.message for d in found if "could not be evaluated" in d.message] == []
    assert [d for d in found if d.policy_name == "aws-ec2-sg-data-store-via-tier-reference"] == []


def test_stacks_cover_every_example() -> None:
    """The parametrised stacks are the dev stack and every file in examples/."""
    assert len(STACKS) == 1 + len(list(Path(PROJECT_DIR / "examples").glob("Pulumi.*.yaml")))


# ------------------------------------------------------------- the model the pack builds


def separate_rules(calls: EngineCalls, types: set[str], prop: str) -> Counter[tuple[str, bool]]:
    """(owner URN, egress?) -> how many separate rule resources the engine data links to it
    through propertyDependencies: counted from the data, not by the pack."""
    found: Counter[tuple[str, bool]] = Counter()
    for r in calls.stack:
        if r["type"] in types:
            [owner] = r["propertyDependencies"][prop]
            egress = r["type"].endswith("EgressRule") or bool(r["properties"].get("egress"))
            found[owner, egress] += 1
    return found


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("name", STACKS)
def test_the_stack_view_counts_each_rule_once(
    name: str, phase: Phase, runs: dict[str, tuple[ProgramRun, StackFile]]
) -> None:
    """Built from engine data in any phase, every group holds exactly its separate rules
    (a refresh mirror is not a second rule), every ACL its NetworkAclRule entries, nothing is
    left unresolved, and no component is a consumer of a group."""
    calls = calls_for(runs, name, phase)
    source = StackResources(policy_resources(list(calls.stack)))
    view = StackView(source)
    expected = separate_rules(calls, {VPC_INGRESS_RULE, VPC_EGRESS_RULE}, "securityGroupId")
    for group in view.groups.values():
        for egress in (False, True):
            rules = [r for r in group.rules if (r.rule.direction.value == "egress") == egress]
            assert len(rules) == expected[group.key, egress], (group.name, egress)
    acl_expected = separate_rules(calls, {NETWORK_ACL_RULE}, "networkAclId")
    for acl in view.acls.values():
        for egress in (False, True):
            entries = [e for e in acl.entries if e.entry.egress == egress]
            assert len(entries) == acl_expected[acl.key, egress], (acl.name, egress)
    components = {r["urn"] for r in calls.stack if r["provider"] is None}
    assert not components & set(view.attachments)
    assert source.unknowns == []


def test_rule_counts_are_the_same_after_a_refresh(
    pack: PolicyPackClient, runs: dict[str, tuple[ProgramRun, StackFile]]
) -> None:
    """aws-ec2-sg-too-many-rules at the dev stack's largest group: at its exact rule count
    nothing is reported in any phase, one below it the same group is reported in all."""
    up = calls_for(runs, "dev", "up")
    counts = separate_rules(up, {VPC_INGRESS_RULE, VPC_EGRESS_RULE}, "securityGroupId")
    (largest, _), most = counts.most_common(1)[0]
    policy = "aws-ec2-sg-too-many-rules"
    try:
        for limit, expected in ((most, set()), (most - 1, {largest})):
            pack.configure({policy: {"maxRules": limit}})
            for phase in PHASES:
                found = pack.analyze_stack(calls_for(runs, "dev", phase).stack)
                assert {d.urn for d in found if d.policy_name == policy} == expected, phase
    finally:
        pack.configure({})


LEGACY_RULES = """
import pulumi
import pulumi_aws as aws

# The older rule resource: one SecurityGroupRule with two CIDRs is two AWS rules, and a
# `self` rule; a refresh lists them in the group's ingress as the provider gathers them.
legacy = aws.ec2.SecurityGroup("legacy", description="legacy app", vpc_id=network.vpc_id)
aws.ec2.SecurityGroupRule(
    "legacy-https",
    type="ingress",
    security_group_id=legacy.id,
    protocol="tcp",
    from_port=8443,
    to_port=8443,
    cidr_blocks=["10.20.0.0/24", "10.20.1.0/24"],
    description="HTTPS from the office subnets",
)
aws.ec2.SecurityGroupRule(
    "legacy-peers",
    type="ingress",
    security_group_id=legacy.id,
    protocol="tcp",
    from_port=7946,
    to_port=7946,
    self=True,
    description="cluster peers",
)
pulumi.export("legacy_sg_id", legacy.id)
"""


@pytest.fixture(name="legacy", scope="module")
def _legacy(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProgramRun, StackFile]:
    """The dev stack plus a group managed with aws.ec2.SecurityGroupRule resources."""
    directory = tmp_path_factory.mktemp("legacy")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (directory / name).write_text((PROJECT_DIR / name).read_text())
    program = (PROJECT_DIR / "__main__.py").read_text() + LEGACY_RULES
    (directory / "__main__.py").write_text(program)
    stack = load_stack(directory, "dev")
    return run_program(directory, stack), stack


def test_security_group_rule_mirrors_are_gathered_and_not_duplicates(
    pack: PolicyPackClient, legacy: tuple[ProgramRun, StackFile]
) -> None:
    """After a refresh the two-CIDR rule and the self rule appear once in the group's
    ingress (one block per protocol, ports and description; the group itself as self),
    and the pack's verdicts are those of preview and up."""
    run, stack = legacy
    refresh = engine_calls(run, "refresh", stack.config)
    group = by_name(refresh, "legacy")
    blocks = {b["fromPort"]: b for b in group["properties"]["ingress"]}
    assert blocks[8443]["cidrBlocks"] == ["10.20.0.0/24", "10.20.1.0/24"]
    assert blocks[7946]["self"] is True
    assert blocks[7946]["securityGroups"] == []
    found = {phase: pack.run_calls(engine_calls(run, phase, stack.config)) for phase in PHASES}
    assert verdicts(found["preview"]) == verdicts(found["up"]) == verdicts(found["refresh"])
    legacy_urns = {r["urn"] for r in refresh.stack if r["name"].startswith("legacy")}
    assert [d for d in found["refresh"] if d.urn in legacy_urns] == []


def test_a_six_tier_network_component_is_no_resource_at_up(pack: PolicyPackClient) -> None:
    """Finding 3 on the real program: the dev stack grown to seven tiers, at up. The
    Network component's outputs hold every group and subnet id, yet it carries no
    groups (aws-ec2-sg-max-groups-per-resource) and sits in no subnet
    (aws-ec2-sg-nacl-consistent); no diagnostic is about a component at all."""
    dev = load_stack(PROJECT_DIR, "dev")
    config = copy.deepcopy(dev.config)
    tiers = config["tierguard:network"]["tiers"]
    for name, port in (("cache", 6379), ("queue", 5672), ("batch", 9000)):
        tiers[name] = {
            "description": f"{name} servers",
            "subnet_group": "data",
            "ingress": [{"protocol": "tcp", "ports": port, "tier": "app"}],
        }
    assert len(tiers) >= 6
    stack = StackFile(dev.project, dev.stack, dev.path, config)
    calls = engine_calls(run_program(PROJECT_DIR, stack), "up", stack.config)
    [network] = [r for r in calls.stack if r["type"].endswith(":Network")]
    assert len(network["properties"]["securityGroupIds"]) == len(tiers)
    components = {r["urn"] for r in calls.stack if r["provider"] is None}
    found = pack.analyze_stack(calls.stack)
    assert [d.message for d in found if d.urn in components] == []
    placed = {"aws-ec2-sg-max-groups-per-resource", "aws-ec2-sg-nacl-consistent"}
    assert [d.message for d in found if d.policy_name in placed] == []
