"""The checks as pure functions of hand-built inventories: the pack's semantics, IPv6,
routes."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from dataclasses import replace

import pytest

from tests.conftest import PROJECT_DIR
from tierguard.audit import audit
from tierguard.audit.exposure import sensitive
from tierguard.audit.findings import EXPOSURE_LATENT, EXPOSURE_REACHABLE, Resource
from tierguard.audit.topology import tier_names
from tierguard.config.stackfile import load_stack
from tierguard.deployed.inventory import (
    Consumer,
    GroupRule,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    RegionInventory,
    RouteTable,
    SecurityGroup,
    Subnet,
)
from tierguard.deployed.shapes import route_table
from tierguard.program import plan_from_raw
from tierguard.rules import (
    ALL,
    TCP,
    UDP,
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
    parse_cidr,
)
from tierguard.rules.exposure import ADMIN_PORTS, HIGH_RISK_PORTS


def ingress(traffic: Traffic, peer: CidrPeer | SecurityGroupPeer | PrefixListPeer) -> GroupRule:
    return GroupRule("sgr-1", SgRule("sg-1", Direction.INGRESS, traffic, peer, "test"))


def world(version: int = 4) -> CidrPeer:
    return CidrPeer(parse_cidr("0.0.0.0/0" if version == 4 else "::/0"))


def port(number: int, protocol: int = TCP) -> Traffic:
    return Traffic.of(protocol, PortRange.single(number))


class TestSensitiveLikeThePack:
    @pytest.mark.parametrize(
        ("traffic", "admin", "high_risk", "all_ports"),
        [
            (port(22), (22,), (), False),
            (port(22, UDP), (22,), (), False),
            (port(3306), (), (3306,), False),
            (port(3306, UDP), (), (), False),
            (Traffic.of(TCP, PortRange(1, 65535)), (22, 3389), None, True),
            (Traffic.of(ALL), (22, 3389), None, True),
            (port(443), (), (), False),
        ],
        ids=["ssh", "udp-22", "mysql", "udp-3306", "tcp-1-65535", "all", "https"],
    )
    def test_admin_ports_over_tcp_and_udp_high_risk_over_tcp(
        self,
        traffic: Traffic,
        admin: tuple[int, ...],
        high_risk: tuple[int, ...] | None,
        all_ports: bool,
    ) -> None:
        """The pack's defaults: admin ports count over TCP and UDP, high-risk over TCP."""
        found = sensitive(ingress(traffic, world()))
        assert found.admin == admin
        assert found.all_ports is all_ports
        if high_risk is not None:
            assert found.high_risk == high_risk

    @pytest.mark.parametrize(
        "peer",
        [
            SecurityGroupPeer("sg-2"),
            PrefixListPeer("pl-1"),
            CidrPeer(parse_cidr("203.0.113.0/24")),
            CidrPeer(parse_cidr("0.0.0.0/1")),
        ],
        ids=["group", "prefix-list", "cidr", "half-the-internet"],
    )
    def test_only_the_whole_address_space_is_the_internet(
        self, peer: CidrPeer | SecurityGroupPeer | PrefixListPeer
    ) -> None:
        """References, prefix lists and narrower blocks are judged by other checks."""
        assert not sensitive(ingress(port(22), peer))

    def test_egress_is_never_exposure(self) -> None:
        """An egress rule to the world on 22 opens nothing to the internet."""
        rule = GroupRule("sgr-1", SgRule("sg-1", Direction.EGRESS, port(22), world(), "x"))
        assert not sensitive(rule)


def region_with(rule: GroupRule, eni: NetworkInterface) -> Inventory:
    group = SecurityGroup("sg-1", "ssh", "ssh", "vpc-1", (rule,))
    subnet = Subnet("subnet-1", "vpc-1", parse_cidr("10.0.1.0/24"))
    return Inventory((RegionInventory("r", (group,), (eni,), (), (subnet,)),))


class TestIpv6:
    def test_ssh_from_any_ipv6_reaches_an_interface_with_an_ipv6_address(self) -> None:
        """IPv6 addresses are global: ::/0 plus an address (no ACL listed: allow) lines up."""
        eni = NetworkInterface(
            "eni-1",
            "subnet-1",
            "vpc-1",
            ("sg-1",),
            private_address=ipaddress.ip_address("10.0.1.5"),
            ipv6_addresses=(ipaddress.ip_address("2001:db8::5"),),
        )
        report = audit(region_with(ingress(port(22), world(6)), eni))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert "public address 2001:db8::5" in finding.what

    def test_a_public_ipv4_address_does_not_expose_an_ipv6_rule(self) -> None:
        """A ::/0 rule needs an IPv6 address; the IPv4 public IP does not count."""
        eni = NetworkInterface(
            "eni-1",
            "subnet-1",
            "vpc-1",
            ("sg-1",),
            private_address=ipaddress.ip_address("10.0.1.5"),
            public_address=ipaddress.ip_address("54.1.2.3"),
        )
        report = audit(region_with(ingress(port(22), world(6)), eni))
        assert not report.of_rule(EXPOSURE_REACHABLE.id)
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert "no public IPv6 address" in finding.what


class TestRouteTables:
    def test_only_active_internet_gateway_routes_make_a_subnet_public(self) -> None:
        """Only an active ``igw-`` route counts (not NAT, egress-only or blackhole routes)."""
        table = route_table(
            {
                "RouteTableId": "rtb-1",
                "Associations": [{"Main": True}, {"SubnetId": "subnet-1"}],
                "Routes": [
                    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                    {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
                    {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
                    {
                        "DestinationIpv6CidrBlock": "2001:db8::/32",
                        "GatewayId": "igw-1",
                        "State": "blackhole",
                    },
                ],
            }
        )
        assert table.internet_versions == frozenset()
        assert table.main
        assert table.subnet_ids == ("subnet-1",)
        routed = route_table(
            {
                "Routes": [
                    {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}
                ]
            }
        )
        assert routed.internet_versions == frozenset({4})

    def test_a_subnet_without_its_own_table_uses_the_vpcs_main_one(self) -> None:
        """Explicit association first, else the main table of the subnet's VPC."""
        main = RouteTable("rtb-main", "vpc-1", True, (), frozenset({4}))
        own = RouteTable("rtb-own", "vpc-1", False, ("subnet-2",), frozenset())
        subnets = (
            Subnet("subnet-1", "vpc-1", parse_cidr("10.0.1.0/24")),
            Subnet("subnet-2", "vpc-1", parse_cidr("10.0.2.0/24")),
        )
        region = RegionInventory("r", subnets=subnets, route_tables=(main, own))
        assert region.route_table_of("subnet-1") == main
        assert region.route_table_of("subnet-2") == own


class TestDriftRegion:
    def test_drift_over_several_regions_needs_the_stacks_region(self) -> None:
        """A stack lives in one region: with several audited, the caller must say which."""
        plan = plan_from_raw(
            load_stack(PROJECT_DIR, "dev").config["tierguard:network"],
            region="us-east-1",
            stack="dev",
        )
        two = Inventory((RegionInventory("us-east-1"), RegionInventory("eu-west-1")))
        with pytest.raises(ValueError, match="drift needs plan_region"):
            audit(two, plan)
        report = audit(two, plan, plan_region="eu-west-1")
        assert {f.resource.region for f in report.findings} == {"eu-west-1"}


class TestTierNames:
    def test_tier_tag_first_then_name_and_the_id_only_to_break_ties(self) -> None:
        """Tiers read as people know them; a name used twice gets the group id appended."""
        groups = [
            SecurityGroup("sg-1", "dev-web-abc", "", "vpc-1", tags={"tierguard:tier": "web"}),
            SecurityGroup("sg-2", "bastion", "", "vpc-1"),
            SecurityGroup("sg-3", "default", "", "vpc-1"),
            SecurityGroup("sg-4", "default", "", "vpc-2"),
        ]
        assert tier_names(groups) == {
            "sg-1": "web",
            "sg-2": "bastion",
            "sg-3": "default (sg-3)",
            "sg-4": "default (sg-4)",
        }


class TestLayering:
    def test_only_collection_imports_boto3(self) -> None:
        """The checks, the report and the topology load without boto3 or botocore."""
        code = (
            "import sys, tierguard.audit, tierguard.audit.drift, tierguard.deployed.shapes;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "[]"


def acl_region(rule: GroupRule, eni: NetworkInterface, *entries: AclEntry) -> Inventory:
    """``region_with`` plus a custom network ACL (named ``edge``) on the subnet."""
    (region,) = region_with(rule, eni).regions
    acl = NetworkAcl("acl-1", "vpc-1", False, ("subnet-1",), entries, {"Name": "edge"})
    return Inventory((replace(region, acls=(acl,)),))


def entry(number: int, egress: bool, action: AclAction, traffic: Traffic, cidr: str) -> AclEntry:
    return AclEntry(number, egress, action, traffic, parse_cidr(cidr))


def public_host() -> NetworkInterface:
    return NetworkInterface(
        "eni-1",
        "subnet-1",
        "vpc-1",
        ("sg-1",),
        private_address=ipaddress.ip_address("10.0.1.5"),
        public_address=ipaddress.ip_address("54.1.2.3"),
        ipv6_addresses=(ipaddress.ip_address("2001:db8::5"),),
    )


ALLOW, DENY = AclAction.ALLOW, AclAction.DENY


class TestWhatTheAclDecides:
    def test_an_ipv6_rule_is_judged_by_the_acls_ipv6_entries(self) -> None:
        """An entry applies to its own family only: a deny of SSH from ``0.0.0.0/0`` does not
        stop SSH from ``::/0``, a deny from ``::/0`` does (and is named with its ACL)."""
        everything = [
            entry(100, egress, ALLOW, Traffic.of(ALL), block)
            for egress in (False, True)
            for block in ("0.0.0.0/0", "::/0")
        ]
        v4_deny = entry(90, False, DENY, port(22), "0.0.0.0/0")
        report = audit(acl_region(ingress(port(22), world(6)), public_host(), v4_deny, *everything))
        assert report.of_rule(EXPOSURE_REACHABLE.id)
        v6_deny = entry(90, False, DENY, port(22), "::/0")
        report = audit(acl_region(ingress(port(22), world(6)), public_host(), v6_deny, *everything))
        assert not report.of_rule(EXPOSURE_REACHABLE.id)
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.what.endswith(
            "not reachable today: for tcp 22, network ACL edge (acl-1) ingress rule #90 "
            "(deny TCP 22 ::/0) drops it"
        )

    def test_an_entry_stopping_part_of_the_internet_leaves_the_rest_exposed(self) -> None:
        """Deny from 0.0.0.0/1, allow the rest. ACL entries are evaluated lowest number first
        and the first match decides (AWS, "Network ACL rules"): a packet from 203.0.113.5
        does not match #90 and is allowed by #100, so SSH from that half of the internet
        connects. That is an exposure; the finding names the part entry #90 stops."""
        entries = [
            entry(90, False, DENY, Traffic.of(ALL), "0.0.0.0/1"),
            entry(100, False, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
            entry(100, True, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        assert not report.of_rule(EXPOSURE_LATENT.id)
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert "lets tcp 22 in and the replies out from part of the internet" in finding.what
        assert "only from 1.0.0.0/8, 2.0.0.0/7" in finding.what
        assert "network ACL edge (acl-1) ingress rule #90 (deny all traffic 0.0.0.0/1)" in (
            finding.what
        )

    def test_replies_dropped_for_part_of_the_internet_leave_the_rest_exposed(self) -> None:
        """ACLs are stateless: an outbound deny to 128.0.0.0/1 drops the replies to that half,
        and the other half still gets its SSH session."""
        entries = [
            entry(100, False, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
            entry(90, True, DENY, Traffic.of(ALL), "128.0.0.0/1"),
            entry(100, True, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert "from part of the internet" in finding.what
        assert "egress rule #90" in finding.what

    def test_an_allow_list_of_one_admin_block_is_the_acl_narrowing_it(self) -> None:
        """SSH allowed only from 203.0.113.0/24 (one party's /24, the line Prowler draws for
        a wide public block): the world-open group rule is latent, and the finding says who
        the ACL lets in."""
        entries = [
            entry(90, False, ALLOW, port(22), "203.0.113.0/24"),
            entry(100, True, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        assert not report.of_rule(EXPOSURE_REACHABLE.id)
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.what.endswith("(it lets in only from 203.0.113.0/24)")

    def test_who_the_acl_lets_in_is_said_without_how_their_replies_fare(self) -> None:
        """The same admin block, with replies allowed only to client ports 1024-32767 (AWS
        recommends 1024-65535 for ephemeral ports): still latent, and the finding says who
        gets in, not the detail of which clients time out."""
        entries = [
            entry(90, False, ALLOW, port(22), "203.0.113.0/24"),
            entry(100, True, ALLOW, Traffic.of(TCP, PortRange(1024, 32767)), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        assert not report.of_rule(EXPOSURE_REACHABLE.id)
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.what.endswith("(it lets in only from 203.0.113.0/24)")

    def test_an_allow_list_wider_than_one_party_is_part_of_the_internet(self) -> None:
        """SSH allowed from 198.51.0.0/16: 65,536 public addresses connect, which is the
        internet at large, not an admin range."""
        entries = [
            entry(90, False, ALLOW, port(22), "198.51.0.0/16"),
            entry(100, True, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert "from part of the internet" in finding.what

    @pytest.mark.parametrize(
        ("block", "everyone", "exposed"),
        [
            ("203.0.113.0/24", "0.0.0.0/0", False),
            ("203.0.112.0/23", "0.0.0.0/0", True),
            ("2001:db8:1234::/48", "::/0", False),
            ("2001:db8:1234::/47", "::/0", True),
        ],
        ids=["ipv4-/24", "ipv4-/23", "ipv6-/48", "ipv6-/47"],
    )
    def test_one_partys_block_ends_at_a_24_or_a_48(
        self, block: str, everyone: str, exposed: bool
    ) -> None:
        """One party's range is at most a /24 (IPv4, Prowler's line for a wide public
        block) or a /48 (IPv6, the usual end-site assignment, RFC 6177): an ACL allowing SSH only
        from such a block is the ACL narrowing the rule (latent); one prefix bit wider,
        twice the addresses connect and it is part of the internet (reachable)."""
        entries = [
            entry(90, False, ALLOW, port(22), block),
            entry(100, True, ALLOW, Traffic.of(ALL), everyone),
        ]
        version = ipaddress.ip_network(block).version
        report = audit(acl_region(ingress(port(22), world(version)), public_host(), *entries))
        assert bool(report.of_rule(EXPOSURE_REACHABLE.id)) is exposed
        assert bool(report.of_rule(EXPOSURE_LATENT.id)) is not exposed

    def test_an_entry_stopping_the_whole_internet_is_latent(self) -> None:
        """Deny from both halves: nothing on the internet connects, so the rule is latent."""
        entries = [
            entry(90, False, DENY, Traffic.of(ALL), "0.0.0.0/1"),
            entry(91, False, DENY, Traffic.of(ALL), "128.0.0.0/1"),
            entry(100, False, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
            entry(100, True, ALLOW, Traffic.of(ALL), "0.0.0.0/0"),
        ]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *entries))
        assert not report.of_rule(EXPOSURE_REACHABLE.id)
        assert report.of_rule(EXPOSURE_LATENT.id)


def test_every_port_open_lists_six_probes_and_counts_the_rest() -> None:
    """All traffic from the world: each admin port over TCP and UDP and each high-risk port
    over TCP gets through; the finding names the first six and counts the others."""
    report = audit(region_with(ingress(Traffic.of(ALL), world()), public_host()))
    (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
    probes = 2 * len(ADMIN_PORTS) + len(HIGH_RISK_PORTS)
    first = [f"{name} {p}" for p in ADMIN_PORTS for name in ("tcp", "udp")]
    first += [f"tcp {p}" for p in HIGH_RISK_PORTS]
    listed = ", ".join(first[:6])
    assert f"lets {listed} and {probes - 6} more in and the replies out" in finding.what


@pytest.mark.parametrize(
    ("last", "listed"),
    [
        (88, "tcp 22, tcp 20, tcp 21, tcp 23, tcp 25, tcp 88"),
        (110, "tcp 22, tcp 20, tcp 21, tcp 23, tcp 25, tcp 88 and 1 more"),
    ],
)
def test_six_probes_are_listed_the_seventh_is_counted(last: int, listed: str) -> None:
    """TCP 20-88 from the world opens admin port 22 and high-risk 20, 21, 23, 25, 88: six,
    all named; up to 110 adds one more, counted (admin ports come first)."""
    rule = ingress(Traffic.of(TCP, PortRange(20, last)), world())
    (finding,) = audit(region_with(rule, public_host())).of_rule(EXPOSURE_REACHABLE.id)
    assert f"lets {listed} in and the replies out" in finding.what


class TestWhatAFindingPointsAt:
    """A finding is about the group (region, kind, id, name) and relates the rule and the
    interface: that is where SARIF and the report point people."""

    def test_a_reachable_port_points_at_the_group_rule_and_interface(self) -> None:
        report = audit(region_with(ingress(port(22), world()), public_host()))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert finding.resource == Resource("r", "security-group", "sg-1", "ssh")
        assert finding.related == (
            Resource("r", "security-group-rule", "sgr-1"),
            Resource("r", "network-interface", "eni-1"),
        )
        assert "; the subnet's network ACL lets tcp 22 in" in finding.what

    def test_a_latent_port_points_at_the_same_and_names_the_acl(self) -> None:
        deny = entry(90, False, DENY, port(22), "0.0.0.0/0")
        report = audit(acl_region(ingress(port(22), world()), public_host(), deny))
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.resource == Resource("r", "security-group", "sg-1", "ssh")
        assert finding.related == (
            Resource("r", "security-group-rule", "sgr-1"),
            Resource("r", "network-interface", "eni-1"),
        )

    def test_an_acl_that_lets_it_in_is_named(self) -> None:
        everything = [entry(100, e, ALLOW, Traffic.of(ALL), "0.0.0.0/0") for e in (False, True)]
        report = audit(acl_region(ingress(port(22), world()), public_host(), *everything))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert (
            "; network ACL edge (acl-1) lets tcp 22 in and the replies out, and the interface "
            "has the public address 54.1.2.3"
        ) in finding.what


def routed_region(rule: GroupRule, eni: NetworkInterface, *versions: int) -> Inventory:
    """``region_with`` plus the subnet's own route table, routing ``versions`` to an IGW."""
    (region,) = region_with(rule, eni).regions
    table = RouteTable("rtb-1", "vpc-1", False, ("subnet-1",), frozenset(versions))
    return Inventory((replace(region, route_tables=(table,)),))


class TestWhatTheFindingSays:
    def test_a_reachable_port_says_why_it_matters_and_what_to_do(self) -> None:
        report = audit(routed_region(ingress(port(22), world()), public_host(), 4))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert finding.what.endswith(
            "the interface has the public address 54.1.2.3, routed to the internet by rtb-1"
        )
        assert finding.why == (
            "Security group, network ACL, public address and route all line up: anyone on "
            "the internet can connect now, and such ports are scanned and attacked within "
            "minutes"
        )
        assert finding.fix == (
            "remove the rule or narrow it to a bastion/VPN security group or an admin CIDR "
            "(or use SSM Session Manager), and deny the port in the network ACL"
        )

    def test_without_a_listed_route_table_no_route_is_named(self) -> None:
        report = audit(region_with(ingress(port(22), world()), public_host()))
        (finding,) = report.of_rule(EXPOSURE_REACHABLE.id)
        assert finding.what.endswith("the interface has the public address 54.1.2.3")

    def test_every_reason_it_is_not_reachable_today_is_listed(self) -> None:
        """No public address and no route to an internet gateway: both said, joined."""
        private = replace(public_host(), public_address=None)
        report = audit(routed_region(ingress(port(22), world()), private))
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.what.endswith(
            "not reachable today: the interface has no public IPv4 address; and subnet-1's "
            "route table rtb-1 has no IPv4 route to an internet gateway"
        )
        assert finding.why == (
            "Only other controls stand between these ports and the internet: a public IP, a "
            "route, an ACL edit or moving the interface to another subnet exposes them"
        )
        assert finding.fix == (
            "narrow the rule to the sources that need it instead of relying on the ACL, the "
            "routes or the missing public address"
        )

    def test_a_routed_subnet_is_not_said_to_lack_a_route(self) -> None:
        private = replace(public_host(), public_address=None)
        report = audit(routed_region(ingress(port(22), world()), private, 4))
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert finding.what.endswith(
            "not reachable today: the interface has no public IPv4 address"
        )

    def test_dropped_replies_are_said_for_the_port(self) -> None:
        """The ACL lets SSH in and nothing out: one-way, said for tcp 22."""
        inbound = entry(100, False, ALLOW, port(22), "0.0.0.0/0")
        report = audit(acl_region(ingress(port(22), world()), public_host(), inbound))
        (finding,) = report.of_rule(EXPOSURE_LATENT.id)
        assert "not reachable today: for tcp 22, replies to client ports 1024-65535" in (
            finding.what
        )


class TestAGroupNothingVisibleCarries:
    """With no interface listed for the group, the path cannot be walked: the rule is
    reported latent, saying what uses the group (other than rules referring to it)."""

    @staticmethod
    def region(*consumers: Consumer) -> Inventory:
        rules = (ingress(port(22), world()), GroupRule("sgr-2", ingress(port(3389), world()).rule))
        group = SecurityGroup("sg-1", "ssh", "ssh", "vpc-1", rules)
        referrer = SecurityGroup(
            "sg-2", "app", "app", "vpc-1", (ingress(port(22), SecurityGroupPeer("sg-1")),)
        )
        return Inventory((RegionInventory("r", (group, referrer), consumers=consumers),))

    def test_an_unused_group_says_nothing_carries_it_yet(self) -> None:
        found = audit(self.region()).of_rule(EXPOSURE_LATENT.id)
        mine = [f for f in found if f.resource.id == "sg-1"]
        assert [f.related for f in mine] == [
            (Resource("r", "security-group-rule", "sgr-1"),),
            (Resource("r", "security-group-rule", "sgr-2"),),
        ]
        first = mine[0]
        assert first.resource == Resource("r", "security-group", "sg-1", "ssh")
        assert first.what == (
            "Ingress rule sgr-1 of ssh (sg-1) opens TCP 22 from 0.0.0.0/0, admin port 22 (SSH); "
            "nothing carries the group yet"
        )
        assert first.why == "Whatever is given this group is open to the internet on these ports"
        assert first.fix == "remove the rule or narrow it to the sources that need it"

    def test_a_load_balancer_using_it_is_named_and_the_gap_said(self) -> None:
        alb = Consumer("ELBv2 load balancer", "web-alb", ("sg-1",))
        (first, _) = [
            f
            for f in audit(self.region(alb)).of_rule(EXPOSURE_LATENT.id)
            if f.resource.id == "sg-1"
        ]
        assert first.what.endswith(
            "; it is used by ELBv2 load balancer web-alb, but no network interface carrying it "
            "was listed, so the network ACL and public address could not be checked"
        )

    def test_every_user_of_the_group_is_named(self) -> None:
        """A load balancer and a database both using the group: both named, in order."""
        alb = Consumer("ELBv2 load balancer", "web-alb", ("sg-1",))
        rds = Consumer("RDS instance", "orders-db", ("sg-1",))
        (first, _) = [
            f
            for f in audit(self.region(alb, rds)).of_rule(EXPOSURE_LATENT.id)
            if f.resource.id == "sg-1"
        ]
        assert "; it is used by ELBv2 load balancer web-alb; RDS instance orders-db, but " in (
            first.what
        )


def test_every_port_is_said_with_the_admin_and_high_risk_ports_it_opens() -> None:
    """All traffic: every port; the admin ports; eight high-risk ports named, the rest
    counted."""
    (finding,) = audit(region_with(ingress(Traffic.of(ALL), world()), public_host())).of_rule(
        EXPOSURE_REACHABLE.id
    )
    more = len(HIGH_RISK_PORTS) - 8
    assert ", every port; admin port 22 (SSH), 3389 (RDP); high-risk port(s) 20 " in finding.what
    assert f" and {more} more, on interface eni-1" in finding.what


def test_tcp_from_port_2_up_is_not_every_port() -> None:
    """1-65535 is every port (0 is reserved); 2-65535 leaves port 1 out."""
    assert sensitive(ingress(Traffic.of(TCP, PortRange(1, 65535)), world())).all_ports
    assert not sensitive(ingress(Traffic.of(TCP, PortRange(2, 65535)), world())).all_ports


def test_each_sensitive_rule_of_a_carried_group_is_judged() -> None:
    rules = (ingress(port(22), world()), GroupRule("sgr-2", ingress(port(3389), world()).rule))
    group = SecurityGroup("sg-1", "ssh", "ssh", "vpc-1", rules)
    subnet = Subnet("subnet-1", "vpc-1", parse_cidr("10.0.1.0/24"))
    region = RegionInventory("r", (group,), (public_host(),), (), (subnet,))
    found = audit(Inventory((region,))).of_rule(EXPOSURE_REACHABLE.id)
    assert [f.related[0].id for f in found] == ["sgr-1", "sgr-2"]
