"""The plan's semantics, from what AWS documents and the README promises.

Written against the plan functions directly (``plan_from_raw``, ``Naming``): the
scenarios run the Pulumi program, which a mutation run only replays.

- **Network ACLs are stateless** (AWS, "Control subnet traffic with network ACLs"):
  a reply needs its own allow in the other direction, to the client's ephemeral ports
  (ELB and NAT gateways use 1024-65535, Linux 32768-61000). Entries are evaluated lowest
  number first; 32766 is the highest a user may number. The plan adds the reply's allow
  for every allowed TCP/UDP flow that nothing already decides, numbered from
  ``return_rule_base`` upwards in each direction.
- **Quotas** (AWS, "Amazon VPC quotas"): rules per security group, 60 inbound and 60
  outbound by default, "enforced separately for IPv4 and IPv6"; a referenced prefix list
  counts as its maximum number of entries. Network ACL entries: 20 per direction and
  family by default (at most 40). Tags: 50 per resource.
- **Names** come from what a resource is (README, "what gets created"), so reordering
  the config never renames, and so never replaces, anything.
"""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

import pytest

from tierguard.errors import ConfigError
from tierguard.plan import NetworkPlan, PlannedAclEntry, planned_form
from tierguard.plan.model import rule_text
from tierguard.plan.naming import Naming, peer_key, safe_name
from tierguard.program import plan_from_raw
from tierguard.rules import (
    TCP,
    CidrPeer,
    Direction,
    IcmpMatch,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)


def network(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "t",
        "vpc": {"cidr": "10.20.0.0/16", "az_count": 1},
        "subnet_groups": {"app": {}},
        "tiers": {"app": {"subnet_group": "app"}},
    }
    raw.update(extra)
    return raw


def with_acl(
    ingress: list[dict[str, Any]], egress: list[dict[str, Any]] | None = None, **acl: Any
) -> dict[str, Any]:
    """The network with ACL ``edge`` on the app subnets."""
    entries = {"ingress": ingress, "egress": egress or []}
    return network(network_acls={"edge": {"subnet_groups": ["app"], **entries, **acl}})


def plan(raw: dict[str, Any]) -> NetworkPlan:
    return plan_from_raw(raw, region="us-east-1", stack="dev")


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        plan(raw)
    return [str(p).removeprefix("tierguard:network.") for p in caught.value.problems]


def automatic(raw: dict[str, Any]) -> list[PlannedAclEntry]:
    return [e for e in plan(raw).acls["edge"].entries if e.automatic]


def shape(entry: PlannedAclEntry) -> tuple[str, int, str, str, str]:
    """(direction, number, action, traffic, CIDR) of an entry."""
    e = entry.entry
    return (e.direction.value, e.number, e.action.value, str(e.traffic), str(e.cidr))


class TestReturnRules:
    def test_an_inbound_allow_gets_its_outbound_reply_path(self) -> None:
        """HTTPS in from the internet: replies go out to the client's ephemeral ports."""
        raw = with_acl([{"rule": 100, "service": "https", "internet": "ipv4"}])
        [reply] = automatic(raw)
        assert shape(reply) == (
            "egress",
            32000,
            "allow",
            "TCP 1024-65535",
            "0.0.0.0/0",
        )
        assert reply.name == "t-edge-out-32000"
        assert reply.acl == "edge"
        assert reply.origin == "network_acls.edge.ingress[0]"
        assert reply.note == "return traffic for ingress rule 100"

    def test_all_traffic_is_answered_over_tcp_and_udp(self) -> None:
        """Protocol -1 carries TCP and UDP flows: each needs its reply path."""
        raw = with_acl([{"rule": 100, "protocol": "all", "cidr": "10.0.0.0/8"}])
        assert [shape(e) for e in automatic(raw)] == [
            ("egress", 32000, "allow", "TCP 1024-65535", "10.0.0.0/8"),
            ("egress", 32001, "allow", "UDP 1024-65535", "10.0.0.0/8"),
        ]

    def test_udp_is_answered_over_udp(self) -> None:
        raw = with_acl([{"rule": 100, "service": "ntp", "cidr": "10.0.0.0/8"}])
        assert [shape(e) for e in automatic(raw)] == [
            ("egress", 32000, "allow", "UDP 1024-65535", "10.0.0.0/8"),
        ]

    def test_an_outbound_allow_gets_its_inbound_reply_path_over_ipv6(self) -> None:
        raw = with_acl([], [{"rule": 100, "service": "https", "internet": "ipv6"}])
        [reply] = automatic(raw)
        assert shape(reply) == ("ingress", 32000, "allow", "TCP 1024-65535", "::/0")
        assert reply.name == "t-edge-in-32000"

    def test_denies_and_icmp_need_no_return_rule(self) -> None:
        """A denied flow has no replies; ICMP replies are their own types, not ports."""
        raw = with_acl(
            [
                {"rule": 90, "action": "deny", "protocol": "tcp", "ports": 22, "internet": "ipv4"},
                {"rule": 100, "protocol": "icmp", "icmp_type": 8, "internet": "ipv4"},
            ]
        )
        assert automatic(raw) == []

    def test_numbers_skip_the_ones_declared_and_count_per_direction(self) -> None:
        """Both directions start at the base; a number the user took is passed over."""
        raw = with_acl(
            [{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}],
            [
                {
                    "rule": 32000,
                    "action": "deny",
                    "protocol": "tcp",
                    "ports": 25,
                    "internet": "ipv4",
                },
                {"rule": 100, "service": "https", "cidr": "192.0.2.0/24"},
            ],
        )
        assert [(shape(e)[:2], str(e.entry.cidr)) for e in automatic(raw)] == [
            (("egress", 32001), "10.0.0.0/8"),
            (("ingress", 32000), "192.0.2.0/24"),
        ]

    def test_numbered_in_rule_order_not_in_list_order(self) -> None:
        """Rule 100's reply comes first: it is evaluated first."""
        raw = with_acl(
            [
                {"rule": 200, "service": "https", "cidr": "10.1.0.0/16"},
                {"rule": 100, "service": "ssh", "cidr": "10.2.0.0/16"},
            ]
        )
        assert [(e.entry.number, str(e.entry.cidr), e.note) for e in automatic(raw)] == [
            (32000, "10.2.0.0/16", "return traffic for ingress rule 100"),
            (32001, "10.1.0.0/16", "return traffic for ingress rule 200"),
        ]

    def test_a_reply_path_already_allowed_or_denied_is_left_alone(self) -> None:
        """An allow covering the replies answers them; a deny before it is on purpose."""
        allowed = with_acl(
            [{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}],
            [{"rule": 100, "protocol": "tcp", "ports": "1024-65535", "internet": "ipv4"}],
        )
        denied = with_acl(
            [{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}],
            [
                {
                    "rule": 100,
                    "action": "deny",
                    "protocol": "tcp",
                    "ports": "all",
                    "cidr": "10.0.0.0/8",
                }
            ],
        )
        assert automatic(allowed) == []
        assert automatic(denied) == []

    def test_an_allow_covering_only_part_of_the_replies_does_not_answer_them(self) -> None:
        """Replies to 49152-65535 would time out behind an allow of 1024-49151 (a service
        range of its own, whose replies come in)."""
        raw = with_acl(
            [{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}],
            [{"rule": 100, "protocol": "tcp", "ports": "1024-49151", "cidr": "10.0.0.0/8"}],
        )
        assert [shape(e)[:2] for e in automatic(raw)] == [("egress", 32000), ("ingress", 32000)]

    def test_two_flows_to_one_peer_share_one_reply_path(self) -> None:
        raw = with_acl(
            [
                {"rule": 100, "service": "https", "cidr": "10.0.0.0/8"},
                {"rule": 110, "service": "http", "cidr": "10.0.0.0/8"},
            ]
        )
        assert [shape(e)[:2] for e in automatic(raw)] == [("egress", 32000)]

    def test_a_declared_reply_path_is_not_itself_answered(self) -> None:
        """Inbound 1024-65535 is the replies of outbound flows, not a service."""
        raw = with_acl(
            [{"rule": 100, "protocol": "tcp", "ports": "1024-65535", "internet": "ipv4"}],
            [{"rule": 100, "service": "https", "internet": "ipv4"}],
        )
        assert automatic(raw) == []

    def test_a_declared_reply_path_for_linux_clients_is_not_itself_answered(self) -> None:
        """With ephemeral ports 32768-61000, inbound 32768-61000 is the replies' path."""
        raw = with_acl(
            [{"rule": 100, "protocol": "tcp", "ports": "32768-61000", "internet": "ipv4"}],
            [{"rule": 100, "service": "https", "internet": "ipv4"}],
        )
        raw["ephemeral_ports"] = "32768-61000"
        assert automatic(raw) == []

    def test_udp_replies_are_added_when_only_tcp_replies_are_allowed(self) -> None:
        raw = with_acl(
            [{"rule": 100, "protocol": "all", "cidr": "10.0.0.0/8"}],
            [{"rule": 100, "protocol": "tcp", "ports": "1024-65535", "cidr": "10.0.0.0/8"}],
        )
        assert [shape(e) for e in automatic(raw)] == [
            ("egress", 32000, "allow", "UDP 1024-65535", "10.0.0.0/8"),
        ]

    def test_the_ephemeral_range_is_the_configured_one(self) -> None:
        """Linux clients pick their ports from 32768-61000."""
        raw = with_acl([{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}])
        raw["ephemeral_ports"] = "32768-61000"
        [reply] = automatic(raw)
        assert reply.entry.traffic == Traffic.of(TCP, PortRange(32768, 61000))

    def test_return_traffic_off_adds_nothing(self) -> None:
        raw = with_acl(
            [{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}], return_traffic=False
        )
        assert automatic(raw) == []

    def test_the_last_number_a_user_may_use_is_taken(self) -> None:
        """32766 is the highest rule number; with the base there, one reply fits."""
        raw = with_acl([{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}])
        raw["return_rule_base"] = 32766
        assert [shape(e)[:2] for e in automatic(raw)] == [("egress", 32766)]


def many_rules(count: int, **peer: Any) -> list[dict[str, Any]]:
    return [{"protocol": "tcp", "ports": port, **peer} for port in range(1, count + 1)]


class TestDeclaredEntries:
    def test_an_entry_is_planned_as_declared(self) -> None:
        raw = with_acl([{"rule": 100, "service": "https", "cidr": "10.0.0.0/8"}])
        [declared] = [e for e in plan(raw).acls["edge"].entries if not e.automatic]
        assert (declared.name, declared.acl, declared.origin) == (
            "t-edge-in-100",
            "edge",
            "network_acls.edge.ingress[0]",
        )
        assert shape(declared) == ("ingress", 100, "allow", "TCP 443", "10.0.0.0/8")

    def test_every_mistake_is_reported_at_once(self) -> None:
        """A repeated rule number does not hide the mistakes after it."""
        raw = with_acl(
            [
                {"rule": 100, "service": "https", "cidr": "10.0.0.0/8"},
                {"rule": 100, "service": "ssh", "cidr": "10.0.0.0/8"},
                {"rule": 110, "service": "htps", "cidr": "10.0.0.0/8"},
            ]
        )
        found = problems(raw)
        assert found[0] == (
            "network_acls.edge.ingress[1].rule: rule 100 is already used by "
            "network_acls.edge.ingress[0]; rule numbers must be unique per direction"
        )
        assert found[1].startswith(
            "network_acls.edge.ingress[2].service: unknown service 'htps' "
            "(did you mean 'https'?); known services: "
        )
        assert len(found) == 2

    def test_an_entry_has_one_protocol(self) -> None:
        raw = with_acl([{"rule": 100, "service": "dns", "cidr": "10.0.0.0/8"}])
        assert problems(raw) == [
            "network_acls.edge.ingress[0].service: service 'dns' needs 2 protocols, but an "
            "ACL entry has one; write one entry per protocol, each with its own rule number"
        ]

    def test_icmp_type_and_code_are_kept(self) -> None:
        """Type 3 code 4 (fragmentation needed) is path-MTU discovery, not ping; a type
        without a code means every code (-1)."""
        raw = network()
        raw["tiers"]["app"]["ingress"] = [
            {"protocol": "icmp", "icmp_type": 3, "icmp_code": 4, "cidr": "10.0.0.0/8"},
            {"protocol": "icmp", "icmp_type": 8, "cidr": "10.1.0.0/16"},
            {"protocol": "icmpv6", "cidr": "2001:db8::/32"},
        ]
        icmp = [r.rule.traffic.icmp for r in plan(raw).tiers["app"].rules]
        assert icmp == [IcmpMatch(3, 4), IcmpMatch(8, -1), IcmpMatch(-1, -1)]


class TestSecurityGroupQuota:
    """60 rules per direction, per address family, by default."""

    def test_sixty_rules_of_each_family_fit(self) -> None:
        raw = network()
        raw["tiers"]["app"]["ingress"] = many_rules(60, cidr="10.0.0.0/8") + many_rules(
            60, cidr="2001:db8::/32"
        )
        raw["tiers"]["app"]["egress"] = many_rules(60, cidr="10.0.0.0/8")
        assert len(plan(raw).tiers["app"].rules) == 180

    def test_the_sixty_first_is_refused(self) -> None:
        raw = network()
        raw["tiers"]["app"]["egress"] = many_rules(61, cidr="2001:db8::/32")
        assert problems(raw) == [
            "tiers.app.egress: plans 61 IPv6 egress rules (automatic ones included); the "
            "quota is 60 per direction and address family (quotas.security_group_rules; "
            "raise it only if AWS raised yours)"
        ]

    def test_a_group_reference_counts_in_both_families(self) -> None:
        raw = network()
        raw["tiers"]["app"]["ingress"] = [
            *many_rules(60, cidr="10.0.0.0/8"),
            {"protocol": "tcp", "ports": 9999, "security_group_id": "sg-0123456789abcdef0"},
        ]
        [problem] = problems(raw)
        assert problem.startswith("tiers.app.ingress: plans 61 IPv4 ingress rules")

    def test_a_prefix_list_counts_as_its_maximum_entries(self) -> None:
        pl = "pl-0123456789abcdef0"

        def tier(cidrs: int) -> dict[str, Any]:
            raw = network(quotas={"prefix_list_weights": {pl: 10}})
            raw["tiers"]["app"]["ingress"] = [
                *many_rules(cidrs, cidr="10.0.0.0/8"),
                {"protocol": "tcp", "ports": 9999, "prefix_list_id": pl},
            ]
            return raw

        assert len(plan(tier(50)).tiers["app"].rules) == 51
        [problem] = problems(tier(51))
        assert problem.startswith("tiers.app.ingress: plans 61 IPv4 ingress rules")

    def test_a_prefix_list_of_unknown_size_counts_as_one(self) -> None:
        raw = network()
        raw["tiers"]["app"]["ingress"] = [
            *many_rules(59, cidr="10.0.0.0/8"),
            {"protocol": "tcp", "ports": 9999, "prefix_list_id": "pl-0123456789abcdef0"},
        ]
        assert len(plan(raw).tiers["app"].rules) == 60

    def test_a_raised_quota_is_honoured(self) -> None:
        raw = network(quotas={"security_group_rules": 100})
        raw["tiers"]["app"]["ingress"] = many_rules(100, cidr="10.0.0.0/8")
        assert len(plan(raw).tiers["app"].rules) == 100
        raw["tiers"]["app"]["ingress"] = many_rules(101, cidr="10.0.0.0/8")
        assert problems(raw)[0].startswith("tiers.app.ingress: plans 101 IPv4 ingress rules")


def many_entries(count: int, cidr: str, **entry: Any) -> list[dict[str, Any]]:
    return [
        {
            "rule": number,
            "action": "deny",
            "protocol": "tcp",
            "ports": number,
            "cidr": cidr,
            **entry,
        }
        for number in range(1, count + 1)
    ]


class TestNetworkAclQuota:
    """20 entries per direction and family by default, the implicit deny among them."""

    def test_nineteen_entries_and_the_implicit_deny_fit(self) -> None:
        raw = with_acl(many_entries(19, "10.0.0.0/8"), many_entries(19, "2001:db8::/32"))
        assert len(plan(raw).acls["edge"].entries) == 38

    def test_the_twentieth_is_refused(self) -> None:
        raw = with_acl([], many_entries(20, "2001:db8::/32"))
        assert problems(raw) == [
            "network_acls.edge.egress: plans 20 IPv6 egress entries plus the implicit deny = "
            "21; the quota is 20 (quotas.network_acl_rules, at most 40)"
        ]

    def test_families_are_counted_apart(self) -> None:
        ingress = many_entries(19, "10.0.0.0/8") + [
            {**e, "rule": e["rule"] + 100} for e in many_entries(19, "2001:db8::/32")
        ]
        assert len(plan(with_acl(ingress)).acls["edge"].entries) == 38

    def test_automatic_return_rules_count(self) -> None:
        """19 flows in from 19 peers need 19 replies out: with the implicit deny, 20
        outbound entries; one declared outbound entry more is over the quota."""
        ingress = [{"rule": n, "service": "https", "cidr": f"10.{n}.0.0/16"} for n in range(1, 20)]
        assert len(plan(with_acl(ingress)).acls["edge"].entries) == 38
        egress = [
            {"rule": 1, "action": "deny", "protocol": "tcp", "ports": 25, "cidr": "10.0.0.0/8"}
        ]
        [problem] = problems(with_acl(ingress, egress))
        assert problem.startswith("network_acls.edge.egress: plans 20 IPv4 egress entries")


class TestTagQuota:
    """EC2: 50 tags per resource; tierguard adds 4, so 46 are the user's."""

    def test_the_networks_and_the_tiers_tags_count_together(self) -> None:
        shared = {f"k{n}": "v" for n in range(40)}
        raw = network(tags=shared)
        raw["tiers"]["app"]["tags"] = {f"t{n}": "v" for n in range(6)}
        plan(raw)  # 46
        raw["tiers"]["app"]["tags"] = {f"t{n}": "v" for n in range(7)}
        assert problems(raw) == [
            "tiers.app.tags: 47 tags with the network's; EC2 allows 50 per resource and "
            "tierguard adds 4 (Name, tierguard:…), so at most 46"
        ]

    def test_a_key_set_on_both_is_one_tag(self) -> None:
        """The tier's value overrides the network's: still one tag."""
        raw = network(tags={f"k{n}": "v" for n in range(40)})
        raw["tiers"]["app"]["tags"] = {f"k{n}": "w" for n in range(40)} | {
            f"t{n}": "v" for n in range(6)
        }
        assert plan(raw).tiers["app"].tags["k0"] == "w"


class TestNames:
    """The names README's "what gets created" shows, for the dev stack's network."""

    names = Naming("dev")

    def test_every_resource_kind(self) -> None:
        n = self.names
        assert n.vpc == "dev-vpc"
        assert n.default_security_group == "dev-vpc-default-sg"
        assert n.default_security_group_tag == "dev-vpc-default-do-not-use"
        assert n.internet_gateway == "dev-vpc-igw"
        assert n.public_route_table == "dev-vpc-public"
        assert n.subnet_key("public", "us-east-1a") == "public-us-east-1a"
        assert n.subnet("public-us-east-1a") == "dev-public-us-east-1a"
        assert n.public_route("public-us-east-1a") == "dev-public-us-east-1a-public"
        assert n.tier("app") == "dev-app"
        assert n.group_name_prefix("app") == "dev-app-"
        assert n.acl("public") == "dev-public"
        assert n.acl_entry("public", Direction.INGRESS, 50) == "dev-public-in-50"
        assert n.acl_entry("public", Direction.EGRESS, 100) == "dev-public-out-100"
        assert n.acl_association("public", "public-us-east-1a") == "dev-public-public-us-east-1a"

    def test_a_peer_as_a_name_part(self) -> None:
        """A group is named by its id unless it is a tier's (``tier-…``, ``self``)."""
        outside = SecurityGroupPeer("sg-0123456789abcdef0")
        assert peer_key(outside, tier=False) == "sg-0123456789abcdef0"
        assert peer_key(SecurityGroupPeer("web"), tier=True) == "tier-web"
        assert peer_key(SecurityGroupPeer("app", is_self=True), tier=True) == "self"
        assert (
            peer_key(PrefixListPeer("pl-0123456789abcdef0"), tier=False) == "pl-0123456789abcdef0"
        )
        internet = CidrPeer(ipaddress.ip_network("::/0"))
        assert peer_key(internet, tier=False) == "internet-ipv6"

    def test_ipv6_blocks_are_safe_in_a_urn(self) -> None:
        """A URN separates its parts with ``::``; a name must not contain it."""
        assert safe_name("2001:db8::/32") == "2001.db8.._32"
        assert safe_name("2001:db8:0:1::/64") == "2001.db8.0.1.._64"

    def test_a_plans_names_and_origins(self) -> None:
        raw = with_acl([{"rule": 100, "service": "https", "cidr": "2001:db8::/32"}])
        raw["subnet_groups"]["app"]["public"] = True
        planned = plan(raw)
        origins = planned.origins()
        acl = planned.acls["edge"]
        assert acl.resource_name == "t-edge"
        assert [e.name for e in acl.entries] == ["t-edge-in-100", "t-edge-out-32000"]
        assert origins["t-edge"] == "network_acls.edge"
        assert origins["t-edge-in-100"] == "network_acls.edge.ingress[0]"
        assert origins["t-edge-out-32000"] == "network_acls.edge.ingress[0]"
        assert origins["t-app"] == "tiers.app"
        assert origins["t-app-us-east-1a"] == "subnet_groups.app"


class TestMessages:
    def test_a_declared_duplicate_names_its_peer(self) -> None:
        """EC2 refuses a duplicate rule; the message says which tier it allows."""
        raw = network()
        raw["tiers"]["web"] = {}
        raw["tiers"]["app"]["ingress"] = [
            {"protocol": "tcp", "ports": 8080, "tier": "web"},
            {"protocol": "tcp", "ports": 8080, "tier": "web"},
            {"protocol": "tcp", "ports": 7000, "self": True},
            {"protocol": "tcp", "ports": 7000, "tier": "app"},
        ]
        assert problems(raw) == [
            "tiers.app.ingress[1]: duplicates tiers.app.ingress[0]: both allow "
            "TCP 8080 from tier web; EC2 refuses duplicate rules",
            "tiers.app.ingress[3]: duplicates tiers.app.ingress[2]: both allow "
            "TCP 7000 from this tier (self); EC2 refuses duplicate rules",
        ]

    def test_a_duplicate_of_an_outside_group_names_the_group(self) -> None:
        raw = network()
        twice = {"protocol": "tcp", "ports": 443, "security_group_id": "sg-0123456789abcdef0"}
        raw["tiers"]["app"]["ingress"] = [twice, twice]
        assert problems(raw) == [
            "tiers.app.ingress[1]: duplicates tiers.app.ingress[0]: both allow TCP 443 from "
            "security group sg-0123456789abcdef0; EC2 refuses duplicate rules"
        ]

    def test_a_planned_rule_reads_as_its_name_and_meaning(self) -> None:
        """How the driver's verification names a rule it did not find."""
        raw = network()
        raw["tiers"]["web"] = {"auto_egress": False}
        raw["tiers"]["app"]["ingress"] = [{"protocol": "tcp", "ports": 8080, "tier": "web"}]
        [rule] = plan(raw).tiers["app"].rules
        assert str(rule) == "t-app-in-tcp-8080-tier-web (ingress TCP 8080 from tier web)"
        assert rule_text(rule.rule, tier_peer=False) == ("ingress TCP 8080 from security group web")

    def test_unknown_names_list_the_known_ones(self) -> None:
        raw = network(named_cidrs={"office": "192.0.2.0/24", "home": "198.51.100.0/24"})
        raw["tiers"]["app"]["ingress"] = [{"service": "ssh", "named_cidr": "vpn"}]
        assert problems(raw) == [
            "tiers.app.ingress[0].named_cidr: unknown named CIDR 'vpn'; named_cidrs: home, office"
        ]

    def test_no_subnet_groups_or_named_cidrs_says_so(self) -> None:
        raw = network(subnet_groups={})
        raw["tiers"]["app"]["ingress"] = [{"service": "ssh", "named_cidr": "vpn"}]
        assert problems(raw) == [
            "tiers.app.subnet_group: unknown subnet group 'app'; subnet_groups: none",
            "tiers.app.ingress[0].named_cidr: unknown named CIDR 'vpn'; named_cidrs: none defined",
        ]

    def test_a_service_of_two_protocols_labels_each(self) -> None:
        """DNS is TCP and UDP 53: one rule each, each description naming its protocol."""
        raw = network()
        raw["tiers"]["app"]["ingress"] = [{"service": "dns", "cidr": "10.0.0.0/8"}]
        rules = plan(raw).tiers["app"].rules
        assert sorted(r.description for r in rules) == [
            "DNS (TCP) from 10.0.0.0/8",
            "DNS (UDP) from 10.0.0.0/8",
        ]


class TestPeers:
    """EC2 names a referenced group by its id; the plan by tier (see test_plan_peers)."""

    ids: ClassVar[dict[str, str]] = {"app": "sg-0aaaaaaaaaaaaaaa1", "web": "sg-0aaaaaaaaaaaaaaa2"}

    def rules(self) -> dict[str, Any]:
        raw = network()
        raw["tiers"]["web"] = {}
        raw["tiers"]["app"]["ingress"] = [
            {"protocol": "tcp", "ports": 8080, "tier": "web"},
            {"protocol": "tcp", "ports": 8443, "security_group_id": "sg-0bbbbbbbbbbbbbbb3"},
            {"protocol": "tcp", "ports": 443, "cidr": "10.0.0.0/8"},
        ]
        return {str(r.rule.traffic.ports): r for r in plan(raw).tiers["app"].rules}

    def test_the_referenced_group(self) -> None:
        rules = self.rules()
        assert rules["8080"].referenced_group(self.ids) == "sg-0aaaaaaaaaaaaaaa2"
        assert rules["8443"].referenced_group(self.ids) == "sg-0bbbbbbbbbbbbbbb3"
        assert rules["443"].referenced_group(self.ids) is None

    def test_a_group_outside_the_plan_keeps_its_id(self) -> None:
        """The audit reads every group of the VPC; one that is no tier stays as EC2 has it."""
        rule = SgRule(
            "sg-0ccccccccccccccc4",
            Direction.INGRESS,
            Traffic.of(TCP, PortRange(22, 22)),
            SecurityGroupPeer("sg-0aaaaaaaaaaaaaaa1"),
        )
        read, tier_peer = planned_form(rule, {v: k for k, v in self.ids.items()})
        assert read.group == "sg-0ccccccccccccccc4"
        assert read.peer == SecurityGroupPeer("app")
        assert tier_peer
