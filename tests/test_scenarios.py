"""The seed scenarios, run through the real program on the mock engine.

Assertions are on the registered resource graph: types, inputs, references between
groups, parents, no inline rules, every rule described.
"""

from __future__ import annotations

import pytest

from tests.conftest import (
    ACL,
    ACL_ASSOC,
    ACL_RULE,
    EGRESS,
    INGRESS,
    PROJECT_DIR,
    SG,
    RunConfig,
    by_name,
    group_names,
)
from tierguard.config.stackfile import load_stack, load_yaml
from tierguard.offline.runner import ProgramRun, run_program


def example(name: str) -> ProgramRun:
    doc = load_yaml(PROJECT_DIR / "examples" / f"Pulumi.{name}.yaml")
    from tierguard.config.stackfile import StackFile

    return run_program(
        PROJECT_DIR,
        StackFile(
            "tierguard", name, PROJECT_DIR / "examples" / f"Pulumi.{name}.yaml", doc["config"]
        ),
    )


def rules_of(run: ProgramRun, type_: str) -> set[tuple[str, str, int | None, str | None]]:
    """(group, protocol, port, peer) for every rule, peers as CIDRs or group names."""
    groups = group_names(run)
    found = set()
    for rule in run.of_type(type_):
        i = rule.inputs
        peer = (
            i.get("cidrIpv4")
            or i.get("cidrIpv6")
            or groups.get(
                i.get("referencedSecurityGroupId", ""), i.get("referencedSecurityGroupId")
            )
            or i.get("prefixListId")
        )
        port = int(i["fromPort"]) if "fromPort" in i else None
        found.add((groups[i["securityGroupId"]], i["ipProtocol"], port, peer))
    return found


class TestWebServerScenario:
    """Scenario 1: HTTPS and HTTP from the internet, SSH only from 203.0.113.0/24."""

    def test_exactly_the_three_ingress_rules(self) -> None:
        """Nothing else is open; SSH is limited to the operations range."""
        run = example("web-server")
        assert rules_of(run, INGRESS) == {
            ("web-server-web", "tcp", 443, "0.0.0.0/0"),
            ("web-server-web", "tcp", 80, "0.0.0.0/0"),
            ("web-server-web", "tcp", 22, "203.0.113.0/24"),
        }
        assert rules_of(run, EGRESS) == set(), "no allow-all egress unless asked for"

    def test_rules_are_separate_resources_under_the_tier(self) -> None:
        """No inline rules on the group; each rule's parent is the tier component."""
        run = example("web-server")
        [group] = run.of_type(SG)
        assert "ingress" not in group.inputs
        assert "egress" not in group.inputs
        tier_urn = group.parent
        assert tier_urn is not None
        assert "tierguard:index:SecurityTier" in tier_urn
        assert all(rule.parent == tier_urn for rule in run.of_type(INGRESS))


class TestGroupReferencesScenario:
    """Scenario 2: app accepts 8080 only from web; database accepts 3306 only from app."""

    def test_ingress_references_groups_not_addresses(self) -> None:
        """Sources are security-group references, resolved to the groups of this plan."""
        run = example("group-references")
        assert rules_of(run, INGRESS) == {
            ("refs-app", "tcp", 8080, "refs-web"),
            ("refs-database", "tcp", 3306, "refs-app"),
        }

    def test_the_sender_gets_the_matching_egress(self) -> None:
        """The provider deletes AWS's allow-all egress, so web→app and app→db are added."""
        run = example("group-references")
        assert rules_of(run, EGRESS) == {
            ("refs-web", "tcp", 8080, "refs-app"),
            ("refs-app", "tcp", 3306, "refs-database"),
        }

    def test_references_are_property_dependencies(self) -> None:
        """The engine sees which group a rule points at, so it orders creation correctly."""
        run = example("group-references")
        groups = {r.name: r.urn for r in run.of_type(SG)}
        rule = by_name(run, INGRESS)["refs-database-in-tcp-3306-tier-app"]
        assert rule.property_dependencies["referencedSecurityGroupId"] == (groups["refs-app"],)
        assert rule.property_dependencies["securityGroupId"] == (groups["refs-database"],)


class TestPublicAclScenario:
    """Scenario 3: inbound 443, 80 and 1024-65535 from anywhere, all outbound."""

    def test_entries_and_associations(self) -> None:
        """Entries are separate resources; both public subnets are associated."""
        run = example("public-acl")
        entries = {
            (
                int(r.inputs["ruleNumber"]),
                r.inputs["egress"],
                r.inputs["protocol"],
                r.inputs.get("fromPort"),
            )
            for r in run.of_type(ACL_RULE)
        }
        assert {
            (100, False, "6", 443.0),
            (110, False, "6", 80.0),
            (120, False, "6", 1024.0),
            (100, True, "-1", None),
        } <= entries
        [acl] = run.of_type(ACL)
        assert "ingress" not in acl.inputs
        assert "egress" not in acl.inputs
        subnets = {r.id for r in run.of_type("aws:ec2/subnet:Subnet")}
        assert {a.inputs["subnetId"] for a in run.of_type(ACL_ASSOC)} == subnets
        assert all(a.inputs["networkAclId"] == acl.id for a in run.of_type(ACL_ASSOC))

    def test_only_the_missing_udp_return_path_is_added(self) -> None:
        """TCP replies are covered by rule 120; UDP replies to 'all outbound' are not."""
        run = example("public-acl")
        automatic = [r for r in run.of_type(ACL_RULE) if r.inputs["ruleNumber"] >= 32000]
        assert [
            (r.inputs["egress"], r.inputs["protocol"], r.inputs["fromPort"], r.inputs["toPort"])
            for r in automatic
        ] == [(False, "17", 1024.0, 65535.0)]


class TestDenyRuleScenario:
    """Scenario 4: rule 50 denies 198.51.100.0/24 on all protocols, ahead of the allows."""

    def test_deny_precedes_the_allow(self) -> None:
        """The deny has the lower number and covers every protocol."""
        run = example("deny-rule")
        rules = {
            int(r.inputs["ruleNumber"]): r.inputs
            for r in run.of_type(ACL_RULE)
            if not r.inputs["egress"]
        }
        assert rules[50]["ruleAction"] == "deny"
        assert rules[50]["protocol"] == "-1"
        assert rules[50]["cidrBlock"] == "198.51.100.0/24"
        assert "fromPort" not in rules[50]
        assert min(n for n, r in rules.items() if r["ruleAction"] == "allow") > 50

    def test_return_traffic_is_added_for_the_allowed_https(self) -> None:
        """The stateless pitfall: HTTPS in needs ephemeral ports out; tierguard adds them."""
        run = example("deny-rule")
        egress = [r.inputs for r in run.of_type(ACL_RULE) if r.inputs["egress"]]
        assert [
            (e["protocol"], e["fromPort"], e["toPort"], e["cidrBlock"], e["ruleAction"])
            for e in egress
        ] == [("6", 1024.0, 65535.0, "0.0.0.0/0", "allow")]

    def test_acl_entries_are_replaced_delete_first(self) -> None:
        """An entry's number is its identity; ids are stable across runs."""
        first = {r.name: r.id for r in example("deny-rule").of_type(ACL_RULE)}
        second = {r.name: r.id for r in example("deny-rule").of_type(ACL_RULE)}
        assert first == second


class TestThreeTierChain:
    """Scenario 5 (the dev stack): ALB → web → app → database, SSH from admins."""

    @pytest.fixture(name="dev")
    def _dev(self) -> ProgramRun:
        return run_program(PROJECT_DIR, load_stack(PROJECT_DIR, "dev"))

    def test_the_chain(self, dev: ProgramRun) -> None:
        """Each hop is a reference to the previous tier, on its one port."""
        assert rules_of(dev, INGRESS) == {
            ("dev-alb", "tcp", 443, "0.0.0.0/0"),
            ("dev-web", "tcp", 80, "dev-alb"),
            ("dev-web", "tcp", 22, "203.0.113.0/24"),
            ("dev-app", "tcp", 8080, "dev-web"),
            ("dev-database", "tcp", 3306, "dev-app"),
        }
        assert rules_of(dev, EGRESS) == {
            ("dev-alb", "tcp", 80, "dev-web"),
            ("dev-web", "tcp", 8080, "dev-app"),
            ("dev-app", "tcp", 3306, "dev-database"),
        }

    def test_every_rule_has_a_real_description(self, dev: ProgramRun) -> None:
        """Generated from service and peer, never a tool placeholder."""
        descriptions = {
            r.name: r.inputs["description"] for r in dev.of_type(INGRESS) + dev.of_type(EGRESS)
        }
        assert descriptions["dev-alb-in-tcp-443-internet-ipv4"] == "HTTPS from the internet (IPv4)"
        assert descriptions["dev-database-in-tcp-3306-tier-app"] == "MySQL/Aurora from tier app"
        assert descriptions["dev-web-in-tcp-22-203.0.113.0_24"] == "SSH from the admin range only"
        assert all(d and "Managed by" not in d for d in descriptions.values())

    def test_default_security_group_is_taken_over_empty(self, dev: ProgramRun) -> None:
        """The created VPC's default group is adopted with no rules."""
        [default] = dev.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
        assert default.inputs["ingress"] == []
        assert default.inputs["egress"] == []

    def test_groups_are_auto_named_and_tagged(self, dev: ProgramRun) -> None:
        """name_prefix (create-before-destroy on replacement) and tier/stack tags."""
        web = by_name(dev, SG)["dev-web"]
        assert web.inputs["namePrefix"] == "dev-web-"
        assert "name" not in web.inputs
        assert web.inputs["tags"]["tierguard:tier"] == "web"
        assert web.inputs["tags"]["tierguard:stack"] == "dev"

    def test_every_custom_resource_has_a_tierguard_parent(self, dev: ProgramRun) -> None:
        """parent=self everywhere: nothing hangs off the stack except the Network."""
        for resource in dev.resources:
            assert resource.parent is not None
            if resource.type != "tierguard:index:Network":
                assert "tierguard:index:" in resource.parent, resource.name

    def test_rules_depend_only_on_groups(self, dev: ProgramRun) -> None:
        """The deploy critical path stays group → rule: no rule waits on another rule."""
        urns = dev.by_urn()
        for rule in dev.of_type(INGRESS) + dev.of_type(EGRESS):
            assert {urns[d].type for d in rule.dependencies} == {SG}

    def test_outputs(self, dev: ProgramRun) -> None:
        """Group ids by tier, ACL ids, subnet ids by group and the VPC id are exported."""
        groups = {r.name.removeprefix("dev-"): r.id for r in dev.of_type(SG)}
        assert dev.outputs["security_group_ids"] == groups
        assert dev.outputs["network_acl_ids"] == {"public": dev.of_type(ACL)[0].id}
        assert set(dev.outputs["subnet_ids"]) == {"public", "app", "data"}
        assert dev.outputs["vpc_id"].startswith("vpc-")


def test_every_example_is_documented_in_the_readme() -> None:
    """Each examples/ stack file has its line in the README."""
    readme = (PROJECT_DIR / "README.md").read_text()
    for path in sorted((PROJECT_DIR / "examples").glob("Pulumi.*.yaml")):
        assert f"examples/{path.name}" in readme, path.name


def test_existing_vpc_example_uses_the_given_ids(run_config: RunConfig) -> None:
    """An existing VPC: no VPC or subnets are created; prefix lists and self are sources."""
    run = example("existing-vpc")
    assert not run.of_type("aws:ec2/vpc:Vpc")
    assert not run.of_type("aws:ec2/subnet:Subnet")
    assert {g.inputs["vpcId"] for g in run.of_type(SG)} == {"vpc-0a1b2c3d4e5f60718"}
    assert ("prod-cache", "tcp", 6379, "pl-0a1b2c3d4e5f60799") in rules_of(run, INGRESS)
    assert ("prod-cache", "tcp", 6379, "prod-cache") in rules_of(run, INGRESS)
    assert ("prod-lb", "tcp", 443, "::/0") in rules_of(run, INGRESS)
