"""Rule shapes the provider documents, read exactly: ``aws.ec2.SecurityGroupRule``,
``aws.ec2.NetworkAclRule``, ICMP type/code bounds and what overlaps what.

Expected values come from the provider's and EC2's documentation: ``type`` is
``ingress`` or ``egress``; ``cidrBlocks``/``ipv6CidrBlocks``/``prefixListIds``/
``sourceSecurityGroupId``/``self`` each name peers (one ``sgr-…`` rule per peer); an ICMP
type and code are 8-bit fields with ``-1`` meaning any, and type ``-1`` means every code.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

import pytest

from tierguard.rules import (
    ALL,
    ICMP,
    TCP,
    UDP,
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    IcmpMatch,
    Packet,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
    parse_cidr,
)
from tierguard.rules.acl import allowed_ports
from tierguard.rules.addresses import contains
from tierguard.rules.exposure import peer_text, port_label, ports_text
from tierguard.rules.normalize import (
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    UNKNOWN_REF,
    VPC_INGRESS_RULE,
    Normalized,
    Reader,
    SourcedRule,
    Unresolved,
    acl_traffic,
    inline_rule_blocks,
    normalize_network_acl,
    normalize_prefix_list,
    normalize_security_group,
    sg_traffic,
)
from tierguard.rules.ports import merge_ranges


def sg_rule(**props: object) -> tuple[list[tuple[Direction, object]], list[str]]:
    """(direction, peer) per rule, and the reasons of what could not be read."""
    read = normalize_security_group(SECURITY_GROUP_RULE, props, group="sg-web")
    return [(r.rule.direction, r.rule.peer) for r in read.items], [
        u.reason for u in read.unresolved
    ]


class TestSecurityGroupRuleResource:
    def test_every_peer_field_names_its_own_peer(self) -> None:
        """cidrBlocks, ipv6CidrBlocks, prefixListIds, sourceSecurityGroupId and self."""
        rules, problems = sg_rule(
            type="egress",
            protocol="tcp",
            fromPort=443,
            toPort=443,
            cidrBlocks=["10.0.0.0/8"],
            ipv6CidrBlocks=["2001:db8::/32"],
            prefixListIds=["pl-1"],
        )
        assert problems == []
        assert rules == [
            (Direction.EGRESS, CidrPeer(ipaddress.ip_network("10.0.0.0/8"))),
            (Direction.EGRESS, CidrPeer(ipaddress.ip_network("2001:db8::/32"))),
            (Direction.EGRESS, PrefixListPeer("pl-1")),
        ]

    def test_self_and_a_source_group(self) -> None:
        """``self: true`` is the rule's own group; a source group is that group."""
        rules, _ = sg_rule(type="ingress", protocol="tcp", fromPort=5432, toPort=5432, self=True)
        assert rules == [(Direction.INGRESS, SecurityGroupPeer("sg-web", is_self=True))]
        rules, _ = sg_rule(
            type="ingress",
            protocol="tcp",
            fromPort=5432,
            toPort=5432,
            sourceSecurityGroupId="sg-app",
        )
        assert rules == [(Direction.INGRESS, SecurityGroupPeer("sg-app"))]

    @pytest.mark.parametrize("kind", ["both", "Egress", None])
    def test_a_type_other_than_ingress_or_egress_is_invalid(self, kind: object) -> None:
        """Nothing is read and the reason names the type."""
        rules, problems = sg_rule(
            type=kind, protocol="tcp", fromPort=22, toPort=22, cidrBlocks=["10.0.0.0/8"]
        )
        assert rules == []
        assert problems == [f"type {kind!r} is neither ingress nor egress"]


class TestNetworkAclRuleResource:
    def test_an_ipv6_egress_icmp_entry(self) -> None:
        """egress, ipv6CidrBlock, icmpType/icmpCode read as one entry of that family."""
        read = normalize_network_acl(
            NETWORK_ACL_RULE,
            {
                "ruleNumber": 120,
                "egress": True,
                "protocol": "1",
                "ruleAction": "deny",
                "ipv6CidrBlock": "::/0",
                "icmpType": 3,
                "icmpCode": 4,
            },
        )
        [sourced] = read.items
        entry = sourced.entry
        assert (entry.number, entry.egress, entry.action) == (120, True, AclAction.DENY)
        assert entry.cidr == ipaddress.ip_network("::/0")
        assert entry.traffic == Traffic.of(ICMP, icmp=IcmpMatch(3, 4))

    def test_an_entry_without_a_cidr_is_invalid(self) -> None:
        """An entry needs cidrBlock or ipv6CidrBlock."""
        read = normalize_network_acl(
            NETWORK_ACL_RULE,
            {"ruleNumber": 1, "egress": False, "protocol": "-1", "ruleAction": "allow"},
        )
        assert read.items == ()
        assert [u.reason for u in read.unresolved] == ["has neither cidrBlock nor ipv6CidrBlock"]


class TestIcmpBounds:
    @pytest.mark.parametrize("value", [-1, 0, 255])
    def test_types_and_codes_are_eight_bits_or_any(self, value: int) -> None:
        """-1 (any), 0 and 255 are valid types; 0 and 255 valid codes."""
        assert IcmpMatch(value).type == value
        if value >= 0:
            assert IcmpMatch(3, value).code == value

    @pytest.mark.parametrize("value", [-2, 256])
    def test_anything_else_is_refused(self, value: int) -> None:
        """-2 and 256 are outside -1..255 for a type and for a code."""
        with pytest.raises(ValueError, match=f"ICMP type {value} is outside -1..255"):
            IcmpMatch(value)
        with pytest.raises(ValueError, match=f"ICMP code {value} is outside -1..255"):
            IcmpMatch(3, value)

    def test_any_type_means_any_code(self) -> None:
        """A rule with type -1 and a code matches every message (EC2 ignores the code)."""
        assert sg_traffic("icmp", -1, 5) == Traffic.of(ICMP, icmp=IcmpMatch())
        assert sg_traffic("icmp", 8, -1) == Traffic.of(ICMP, icmp=IcmpMatch(8))


def icmp(kind: int = -1, code: int = -1) -> Traffic:
    return Traffic.of(ICMP, icmp=IcmpMatch(kind, code))


class TestOverlap:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            (Traffic.of(ALL), Traffic.of(TCP, PortRange(80, 80)), True),
            (Traffic.of(TCP, PortRange(80, 80)), Traffic.of(ALL), True),
            (Traffic.of(TCP, PortRange(80, 80)), Traffic.of(UDP, PortRange(80, 80)), False),
            (Traffic.of(TCP, PortRange(80, 90)), Traffic.of(TCP, PortRange(90, 99)), True),
            (Traffic.of(TCP, PortRange(80, 89)), Traffic.of(TCP, PortRange(90, 99)), False),
            (icmp(8), icmp(), True),
            (icmp(), icmp(8), True),
            (icmp(8), icmp(0), False),
            (icmp(3, 4), icmp(3), True),
            (icmp(3, 4), icmp(3, 1), False),
            (Traffic.of(50), Traffic.of(50), True),
            (Traffic.of(50), Traffic.of(47), False),
        ],
    )
    def test_overlap_is_some_packet_matched_by_both(
        self, left: Traffic, right: Traffic, expected: bool
    ) -> None:
        """Overlap means one packet both selectors match, and is symmetric."""
        assert left.overlaps(right) is expected
        assert right.overlaps(left) is expected


ENGINE_UNKNOWN = "(unknown)"
PREVIEW = Reader(is_unknown=lambda value: value == ENGINE_UNKNOWN)
DEPLOYED = Reader()


def inline(block: dict[str, object], reader: Reader = DEPLOYED) -> Normalized[SourcedRule]:
    """The rules of a ``SecurityGroup`` whose one ingress block is ``block``."""
    props = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22} | block]}
    return normalize_security_group(SECURITY_GROUP, props, group="sg-web", reader=reader)


class TestEngineValues:
    """Props as the engine sends them: strings for flags, empty strings, unknowns."""

    def test_rules_belong_to_the_group_and_self_may_be_a_string(self) -> None:
        """``self: "true"`` is a self reference; every rule carries its group."""
        [sourced] = inline({"self": "true"}).items
        assert sourced.rule.group == "sg-web"
        assert sourced.rule.peer == SecurityGroupPeer("sg-web", is_self=True)
        assert sourced.path == "ingress[0]"
        assert inline({"self": "false", "cidrBlocks": ["10.0.0.0/8"]}).items[0].rule.peer == (
            CidrPeer(ipaddress.ip_network("10.0.0.0/8"))
        )

    def test_empty_strings_are_absent_values(self) -> None:
        """An empty CIDR, group id or description names nothing."""
        [sourced] = inline(
            {"cidrBlocks": ["", "10.0.0.0/8"], "securityGroups": [""], "description": ""}
        ).items
        assert sourced.rule.peer == CidrPeer(ipaddress.ip_network("10.0.0.0/8"))
        assert sourced.rule.description is None

    @pytest.mark.parametrize(
        ("key", "value"),
        [("cidrBlocks", "10.0.0.0/8"), ("ipv6CidrBlocks", "::/0"), ("securityGroups", 7)],
    )
    def test_a_scalar_where_a_list_belongs_is_invalid(self, key: str, value: object) -> None:
        """The block is not read; the reason names the property and the value."""
        read = inline({key: value})
        assert read.items == ()
        assert read.unresolved == (
            Unresolved("ingress[0]", f"{key} {value!r} is not a list", unknown=False),
        )

    def test_a_non_string_description_is_invalid(self) -> None:
        """description 7 is refused, naming it."""
        assert [u.reason for u in inline({"description": 7}).unresolved] == [
            "description 7 is not a string"
        ]

    def test_the_block_list_itself_must_be_a_list(self) -> None:
        """``ingress: "x"`` is one invalid property, not a rule per character."""
        read = normalize_security_group(SECURITY_GROUP, {"ingress": "x"}, group="sg-web")
        assert read.items == ()
        assert read.unresolved == (Unresolved("ingress", "ingress 'x' is not a list", False),)

    def test_an_unknown_cidr_leaves_the_block_unresolved_and_says_where(self) -> None:
        """At preview an unknown CIDR could be anything: the block is reported unknown."""
        read = inline({"cidrBlocks": ["10.0.0.0/8", ENGINE_UNKNOWN]}, PREVIEW)
        assert read.items == ()
        assert read.unresolved == (
            Unresolved("ingress[0]", "cidrBlocks[1] is unknown during preview"),
        )
        assert read.unknowns == read.unresolved

    def test_an_unknown_group_id_is_still_a_group_and_the_rest_is_read(self) -> None:
        """An unknown id among group ids reads as a reference; later ids are kept."""
        read = inline({"securityGroups": [ENGINE_UNKNOWN, "sg-app"]}, PREVIEW)
        assert [r.rule.peer for r in read.items] == [
            SecurityGroupPeer(UNKNOWN_REF),
            SecurityGroupPeer("sg-app"),
        ]

    def test_inline_block_counts(self) -> None:
        """Blocks per direction; an unreadable list counts -1."""
        assert inline_rule_blocks({"ingress": [{}], "egress": [{}, {}]}) == {
            "ingress": 1,
            "egress": 2,
        }
        assert inline_rule_blocks({"ingress": [], "egress": ENGINE_UNKNOWN}, PREVIEW) == {
            "ingress": 0,
            "egress": -1,
        }

    def test_peers_read_as_people_write_them(self) -> None:
        """``self`` for the group itself, ``security group sg-…`` otherwise."""
        assert str(SecurityGroupPeer("sg-web", is_self=True)) == "self"
        assert str(SecurityGroupPeer("sg-app")) == "security group sg-app"


class TestWhereEachProblemIs:
    """Every unread block is reported at its own path; rules keep theirs."""

    def test_inline_acl_entries_carry_their_path_and_icmp_fields(self) -> None:
        """``icmpType``/``icmpCode`` of an inline ACL block; an entry without a CIDR."""
        read = normalize_network_acl(
            NETWORK_ACL,
            {
                "ingress": [
                    {
                        "ruleNo": 100,
                        "action": "allow",
                        "protocol": "icmp",
                        "icmpType": 8,
                        "icmpCode": 0,
                        "cidrBlock": "0.0.0.0/0",
                    }
                ],
                "egress": [{"ruleNo": 100, "action": "allow", "protocol": "-1"}],
            },
        )
        [sourced] = read.items
        assert sourced.path == "ingress[0]"
        assert sourced.entry.traffic == Traffic.of(ICMP, icmp=IcmpMatch(8, 0))
        assert read.unresolved == (
            Unresolved("egress[0]", "has neither cidrBlock nor ipv6CidrBlock", unknown=False),
        )

    def test_a_rule_resource_problem_is_at_the_resource_itself(self) -> None:
        """A separate rule resource has one block: its problems have the empty path."""
        read = normalize_security_group(SECURITY_GROUP_RULE, {"type": "sideways"}, group="sg-web")
        assert read.unresolved == (
            Unresolved("", "type 'sideways' is neither ingress nor egress", unknown=False),
        )

    def test_a_rule_resource_belongs_to_its_group_and_keeps_its_description(self) -> None:
        """``aws.ec2.SecurityGroupRule``: the group resolved from ``securityGroupId``, the
        rule's ``description`` (an SG rule's own, EC2 keeps it per rule), at the resource
        itself (the empty path: it has no blocks)."""
        read = normalize_security_group(
            SECURITY_GROUP_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["10.0.0.0/8"],
                "description": "HTTPS from the office",
            },
            group="sg-web",
        )
        [sourced] = read.items
        assert sourced.path == ""
        assert sourced.rule == SgRule(
            "sg-web",
            Direction.INGRESS,
            Traffic.of(TCP, PortRange.single(443)),
            CidrPeer(ipaddress.ip_network("10.0.0.0/8")),
            "HTTPS from the office",
        )

    def test_a_vpc_rule_belongs_to_the_group_resolved_for_it(self) -> None:
        """``aws.vpc.SecurityGroupIngressRule``: the caller's group, the ipv6 CIDR."""
        read = normalize_security_group(
            VPC_INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"},
            group="sg-web",
        )
        [sourced] = read.items
        assert sourced.rule.group == "sg-web"
        assert sourced.rule.peer == CidrPeer(ipaddress.ip_network("::/0"))

    def test_a_prefix_list_entry_that_is_not_a_cidr(self) -> None:
        """The entry is reported at ``entries[i]``; the others are read."""
        read = normalize_prefix_list({"entries": [{"cidr": "10.0.0.0/8"}, {"cidr": "nope"}]})
        assert read.items == (ipaddress.ip_network("10.0.0.0/8"),)
        assert [u.path for u in read.unresolved] == ["entries[1]"]


class TestIcmpMatching:
    def test_a_specific_type_matches_only_itself(self) -> None:
        """Type 1 is not "any": it does not match an echo request."""
        assert not IcmpMatch(1).matches(8, 0)
        assert IcmpMatch(1).matches(1, 7)
        assert IcmpMatch().matches(8, 0)

    def test_coverage_by_type(self) -> None:
        """Any type covers type 8 code 0; type 1 does not cover type 8."""
        assert IcmpMatch().covers(IcmpMatch(8, 0))
        assert not IcmpMatch(1).covers(IcmpMatch(8))
        assert not IcmpMatch(8, 0).covers(IcmpMatch(8))
        assert IcmpMatch(8).covers(IcmpMatch(8, 0))


class TestHowRulesAreSpelled:
    """What messages call ports, ICMP matches, peers and port lists."""

    @pytest.mark.parametrize(
        ("match", "text"),
        [(IcmpMatch(), "any type"), (IcmpMatch(8), "type 8"), (IcmpMatch(3, 4), "type 3 code 4")],
    )
    def test_icmp_matches(self, match: IcmpMatch, text: str) -> None:
        """Any type, a type, a type and code."""
        assert str(match) == text

    def test_named_ports_and_long_lists(self) -> None:
        """Well-known ports carry their service; past the limit, a count of the rest."""
        assert port_label(22) == "22 (SSH)"
        assert port_label(3306) == "3306 (MySQL/Aurora)"
        assert port_label(23) == "23 (Telnet)"
        assert port_label(12345) == "12345"
        assert ports_text([22, 23], limit=2) == "22 (SSH), 23 (Telnet)"
        assert ports_text([22, 23, 12345], limit=2) == "22 (SSH), 23 (Telnet) and 1 more"

    def test_the_internet_is_named_with_its_family(self) -> None:
        """0.0.0.0/0 and ::/0 are spelled as the whole internet of their family."""
        rule = SgRule("sg", Direction.INGRESS, Traffic.of(ALL), CidrPeer(parse_cidr("::/0")))
        assert peer_text(rule) == "::/0 (the whole IPv6 internet)"
        v4 = SgRule("sg", Direction.INGRESS, Traffic.of(ALL), CidrPeer(parse_cidr("0.0.0.0/0")))
        assert peer_text(v4) == "0.0.0.0/0 (the whole IPv4 internet)"
        narrow = SgRule(
            "sg", Direction.INGRESS, Traffic.of(ALL), CidrPeer(parse_cidr("10.0.0.0/8"))
        )
        assert peer_text(narrow) == "10.0.0.0/8"

    def test_port_sets_are_merged(self) -> None:
        """Adjacent ranges join; ranges one port apart stay two."""
        assert merge_ranges([PortRange(90, 99), PortRange(80, 89)]) == (PortRange(80, 99),)
        assert merge_ranges([PortRange(80, 88), PortRange(90, 99)]) == (
            PortRange(80, 88),
            PortRange(90, 99),
        )
        assert merge_ranges([PortRange(80, 99), PortRange(85, 90)]) == (PortRange(80, 99),)


class TestContainment:
    @pytest.mark.parametrize(
        ("outer", "inner", "expected"),
        [
            ("10.0.0.0/8", "10.1.0.0/16", True),
            ("10.1.0.0/16", "10.0.0.0/8", False),
            ("2001:db8::/32", "2001:db8:1::/48", True),
            ("::/0", "10.0.0.0/8", False),
            ("0.0.0.0/0", "2001:db8::/32", False),
        ],
    )
    def test_containment_is_within_one_family(self, outer: str, inner: str, expected: bool) -> None:
        """A block contains another of its own family only; ::/0 holds no IPv4 block."""
        assert contains(parse_cidr(outer), parse_cidr(inner)) is expected


class TestPortAndTypeFields:
    """Absent fields mean "any"; a bad one is refused naming the field and the value."""

    def test_absent_icmp_fields_mean_any(self) -> None:
        """ICMP without type/code (SG port fields or ACL icmpType/icmpCode): every message."""
        assert sg_traffic("icmp") == Traffic.of(ICMP, icmp=IcmpMatch())
        assert sg_traffic("icmp", 3) == Traffic.of(ICMP, icmp=IcmpMatch(3))
        assert acl_traffic("icmp") == Traffic.of(ICMP, icmp=IcmpMatch())
        assert acl_traffic("1", icmp_type=3) == Traffic.of(ICMP, icmp=IcmpMatch(3))
        assert acl_traffic("1", icmp_type=-1, icmp_code=4) == Traffic.of(ICMP, icmp=IcmpMatch())

    def test_absent_acl_ports_mean_every_port(self) -> None:
        """An ACL entry for TCP without ports covers 0-65535; one end given keeps the other open."""
        assert acl_traffic("tcp") == Traffic.of(TCP, PortRange(0, 65535))
        assert acl_traffic("6", 1024) == Traffic.of(TCP, PortRange(1024, 65535))
        assert acl_traffic("6", None, 80) == Traffic.of(TCP, PortRange(0, 80))
        assert acl_traffic("50", 1, 2) == Traffic.of(50)

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: sg_traffic("tcp", 80), "protocol 'tcp' needs fromPort and toPort"),
            (lambda: sg_traffic("tcp", None, 80), "protocol 'tcp' needs fromPort and toPort"),
            (lambda: sg_traffic("tcp", "x", 80), "fromPort 'x' is not a number"),
            (lambda: sg_traffic("tcp", 80, True), "toPort True is not a number"),
            (lambda: sg_traffic("tcp", -1, 80), "port -1 is outside 0-65535"),
            (lambda: sg_traffic("icmp", "echo"), "ICMP type 'echo' is not a number"),
            (lambda: sg_traffic("icmp", 8, "x"), "ICMP code 'x' is not a number"),
            (lambda: sg_traffic("icmp", 300), "ICMP type 300 is outside -1..255"),
            (lambda: sg_traffic("tcpp", 1, 2), "'tcpp' is not a protocol"),
            (lambda: acl_traffic("icmp", icmp_type="x"), "icmpType 'x' is not a number"),
            (
                lambda: acl_traffic("icmp", icmp_type=3, icmp_code="x"),
                "icmpCode 'x' is not a number",
            ),
            (lambda: acl_traffic("tcp", "x"), "fromPort 'x' is not a number"),
            (lambda: acl_traffic("tcp", 1, "x"), "toPort 'x' is not a number"),
            (lambda: acl_traffic("tcp", 90, 80), "range 90-80 starts after it ends"),
        ],
    )
    def test_invalid_values_name_the_field(self, call: Callable[[], object], message: str) -> None:
        """The message starts with the field (or the value) that is wrong."""
        with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
            call()

    def test_numbers_may_come_as_floats_or_strings(self) -> None:
        """The engine sends numbers as floats; stack files may quote them."""
        assert sg_traffic("tcp", 443.0, " 443 ") == Traffic.of(TCP, PortRange(443, 443))


class TestAclPortSets:
    """The ports first-match evaluation lets through, as exact ranges."""

    def entry(self, number: int, first: int, last: int, action: AclAction) -> AclEntry:
        world = parse_cidr("0.0.0.0/0")
        return AclEntry(number, False, action, Traffic.of(TCP, PortRange(first, last)), world)

    def test_neighbouring_allows_form_one_range(self) -> None:
        """Allow 80-89 and 90-99: one range 80-99, nothing else."""
        entries = [
            self.entry(100, 80, 89, AclAction.ALLOW),
            self.entry(110, 90, 99, AclAction.ALLOW),
        ]
        assert allowed_ports(
            entries, egress=False, protocol=TCP, address=ipaddress.ip_address("192.0.2.1")
        ) == [PortRange(80, 99)]

    def test_a_deny_splits_a_later_allow(self) -> None:
        """Deny 85 before allow 80-99: 80-84 and 86-99; up to the last port."""
        entries = [
            self.entry(90, 85, 85, AclAction.DENY),
            self.entry(100, 80, 99, AclAction.ALLOW),
            self.entry(200, 65000, 65535, AclAction.ALLOW),
        ]
        assert allowed_ports(
            entries, egress=False, protocol=TCP, address=ipaddress.ip_address("192.0.2.1")
        ) == [PortRange(80, 84), PortRange(86, 99), PortRange(65000, 65535)]

    def test_an_icmp_packet_without_a_code_is_code_zero(self) -> None:
        """A type-only question (echo request, no code) is asked as code 0."""
        echo = Packet(ICMP, ipaddress.ip_address("192.0.2.1"), icmp_type=8)
        assert Traffic.of(ICMP, icmp=IcmpMatch(8, 0)).matches(echo)
        assert not Traffic.of(ICMP, icmp=IcmpMatch(8, 1)).matches(echo)
        assert Traffic.of(50).matches(Packet(50, ipaddress.ip_address("192.0.2.1")))

    def test_an_icmp_packet_has_no_port(self) -> None:
        """Asking about ICMP "port 8" is a mistake, said as such."""
        with pytest.raises(ValueError, match=r"^ICMP packets have a type and code, not a port$"):
            Packet(ICMP, ipaddress.ip_address("192.0.2.1"), port=8)


class _EngineUnknown(Exception):
    """Stands for the policy SDK's error on reading an unknown value."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class _UnknownOnRead(dict[str, object]):
    """Props whose ``cidrBlocks`` raises when read, as the policy SDK's do at preview."""

    def __init__(self, error: _EngineUnknown, **props: object) -> None:
        super().__init__(props)
        self.error = error

    def __getitem__(self, key: str) -> object:
        if key == "cidrBlocks":
            raise self.error
        return super().__getitem__(key)


class TestUnknownsRaisedByTheEngine:
    def reasons(self, error: _EngineUnknown) -> tuple[Unresolved, ...]:
        block = _UnknownOnRead(error, protocol="tcp", fromPort=22, toPort=22, cidrBlocks=None)
        reader = Reader(unknown_errors=(_EngineUnknown,))
        read = normalize_security_group(
            SECURITY_GROUP, {"ingress": [block]}, group="sg-web", reader=reader
        )
        return read.unresolved

    def test_the_engines_message_is_kept(self) -> None:
        """The SDK's own message says what was unknown."""
        assert self.reasons(_EngineUnknown("cidrBlocks is unknown")) == (
            Unresolved("ingress[0]", "cidrBlocks is unknown"),
        )

    def test_without_a_message_it_is_unknown_during_preview(self) -> None:
        """An error without a message still reads as an unknown, said plainly."""
        assert self.reasons(_EngineUnknown()) == (
            Unresolved("ingress[0]", "unknown during preview"),
        )
