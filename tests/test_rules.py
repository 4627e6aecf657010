"""The shared rule semantics: protocols, ports, addresses, traffic, ACL evaluation."""

from __future__ import annotations

import ipaddress

import pytest

from tierguard.rules import (
    ALL,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    AclAction,
    AclEntry,
    IcmpMatch,
    Packet,
    PortRange,
    Traffic,
    evaluate_acl,
    is_internet,
    parse_cidr,
    parse_cidr_lenient,
    parse_ports,
    parse_protocol,
)
from tierguard.rules.values import message_range, spell_values


class TestProtocols:
    @pytest.mark.parametrize(
        ("spelling", "number"),
        [
            (-1, ALL),
            ("-1", ALL),
            ("all", ALL),
            ("ALL", ALL),
            (-1.0, ALL),
            ("tcp", TCP),
            (6, TCP),
            ("6", TCP),
            (6.0, TCP),
            ("udp", UDP),
            (17, UDP),
            ("icmp", ICMP),
            (1, ICMP),
            ("icmpv6", ICMPV6),
            ("58", ICMPV6),
            (50, 50),
        ],
    )
    def test_every_spelling_normalises_to_the_iana_number(
        self, spelling: object, number: int
    ) -> None:
        """-1, "-1", all, names and numbers (as the engine's floats too) mean one protocol."""
        assert parse_protocol(spelling) == number

    @pytest.mark.parametrize("bad", ["tcpp", 256, -2, True, None, "6.5"])
    def test_unknown_spellings_are_refused_with_the_valid_ones(self, bad: object) -> None:
        """A wrong protocol never silently becomes 'all'."""
        with pytest.raises(ValueError, match="tcp, udp, icmp, icmpv6, all"):
            parse_protocol(bad)

    @pytest.mark.parametrize("text", ["\u0661\u0662", "1_7", "+6", "06", "-01", "0x6", " 6 7"])
    def test_numbers_in_text_are_plain_ascii_decimal(self, text: str) -> None:
        """int() reads Arabic-Indic digits, '1_7' and '+6'; AWS's API takes none of them."""
        with pytest.raises(ValueError, match="is not a protocol"):
            parse_protocol(text)


class TestPorts:
    def test_a_range_contains_every_port_inside_it(self) -> None:
        """20-25 exposes 22: ranges are judged by containment, not by their ends."""
        ports = parse_ports("20-25")
        assert 22 in ports
        assert 26 not in ports
        assert 19 not in ports

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (70000, "outside 0-65535"),
            ("90-80", "did you mean 80-90"),
            ("http", "not a port"),
            ("1-2-3", "not a port"),
        ],
    )
    def test_invalid_ports_say_what_is_wrong(self, text: object, message: str) -> None:
        """Out-of-range ports and reversed ranges name the fix."""
        with pytest.raises(ValueError, match=message):
            parse_ports(text)

    def test_all_is_the_whole_range(self) -> None:
        """'all' is 0-65535."""
        assert parse_ports("all") == PortRange(0, 65535)


class TestAddresses:
    @pytest.mark.parametrize(
        "spelling", ["::/0", "0:0:0:0:0:0:0:0/0", "0000:0000::/0", "0::0/0", "0.0.0.0/0"]
    )
    def test_every_spelling_of_the_default_route_is_the_internet(self, spelling: str) -> None:
        """IPv6 long forms are the internet too, not just the literal '::/0'."""
        assert is_internet(parse_cidr(spelling))

    def test_host_bits_are_refused_with_the_network_meant(self) -> None:
        """Users must write the network; the message names it."""
        with pytest.raises(ValueError, match=r"did you mean 10\.0\.0\.0/8"):
            parse_cidr("10.0.0.5/8")

    def test_lenient_parsing_reads_what_aws_would_apply(self) -> None:
        """Policies and the audit judge existing values as AWS applies them."""
        assert parse_cidr_lenient("10.0.0.5/8") == ipaddress.ip_network("10.0.0.0/8")

    @pytest.mark.parametrize("bad", ["10.0.0.0", "10.0.0.0/33", "banana/8", 10])
    def test_malformed_blocks_are_refused(self, bad: object) -> None:
        """Missing prefixes, impossible lengths and non-strings are errors."""
        with pytest.raises(ValueError, match=r"CIDR|prefix"):
            parse_cidr(bad)


class TestTraffic:
    def test_all_protocols_carry_no_ports(self) -> None:
        """With -1, ports are irrelevant: every port of every protocol is open."""
        traffic = Traffic.of(ALL, PortRange(22, 22))
        assert traffic.ports is None
        assert traffic.exposes_port(TCP, 3389)
        assert traffic.exposes_port(UDP, 53)

    def test_icmp_type_is_not_a_port(self) -> None:
        """ICMP type 22 does not expose TCP 22."""
        traffic = Traffic.of(ICMP, icmp=IcmpMatch(22, -1))
        assert not traffic.exposes_port(TCP, 22)

    def test_protocols_without_ports_open_the_whole_protocol(self) -> None:
        """ESP (50) has no ports; whatever ports were given are dropped."""
        assert Traffic.of(50, PortRange(1, 2)) == Traffic(50)

    def test_coverage(self) -> None:
        """A wider range covers a narrower one of the same protocol, never another protocol."""
        wide = Traffic.of(TCP, PortRange(1024, 65535))
        assert wide.covers(Traffic.of(TCP, PortRange(8080, 8080)))
        assert not wide.covers(Traffic.of(UDP, PortRange(8080, 8080)))
        assert Traffic.of(ALL).covers(wide)


def _entry(
    number: int, action: str, cidr: str, traffic: Traffic, *, egress: bool = False
) -> AclEntry:
    return AclEntry(number, egress, AclAction(action), traffic, ipaddress.ip_network(cidr))


class TestAclEvaluation:
    ENTRIES = (
        _entry(100, "allow", "0.0.0.0/0", Traffic.of(TCP, PortRange(443, 443))),
        _entry(50, "deny", "198.51.100.0/24", Traffic.of(ALL)),
        _entry(200, "allow", "::/0", Traffic.of(TCP, PortRange(443, 443))),
    )

    def test_lowest_number_wins_whatever_the_declaration_order(self) -> None:
        """Rule 50 denies 198.51.100.7 even though the allow is listed first."""
        packet = Packet(TCP, ipaddress.ip_address("198.51.100.7"), port=443)
        decision = evaluate_acl(self.ENTRIES, egress=False, packet=packet)
        assert decision.action is AclAction.DENY
        assert decision.rule_label == "50"

    def test_first_match_allows(self) -> None:
        """Other addresses fall through to rule 100."""
        packet = Packet(TCP, ipaddress.ip_address("192.0.2.1"), port=443)
        assert evaluate_acl(self.ENTRIES, egress=False, packet=packet).rule_label == "100"

    def test_no_match_is_the_implicit_deny(self) -> None:
        """Nothing matches port 22: the '*' rule denies."""
        packet = Packet(TCP, ipaddress.ip_address("192.0.2.1"), port=22)
        decision = evaluate_acl(self.ENTRIES, egress=False, packet=packet)
        assert not decision.allowed
        assert decision.entry is None
        assert decision.rule_label == "*"

    def test_entries_only_match_their_own_address_family(self) -> None:
        """The IPv4 0.0.0.0/0 rule does not allow IPv6; the ::/0 one does."""
        packet = Packet(TCP, ipaddress.ip_address("2001:db8::1"), port=443)
        assert evaluate_acl(self.ENTRIES, egress=False, packet=packet).rule_label == "200"

    def test_directions_are_separate(self) -> None:
        """Ingress entries never decide egress packets."""
        packet = Packet(TCP, ipaddress.ip_address("192.0.2.1"), port=443)
        assert not evaluate_acl(self.ENTRIES, egress=True, packet=packet).allowed


class TestIcmpMessagesAsValues:
    """ICMP messages on one number line, ``type * 256 + code`` (``rules.values``), spelled
    ``type`` or ``type:code`` in reach's explanations; ports spelled as in the config."""

    @pytest.mark.parametrize(
        ("match", "first", "last"),
        [
            (IcmpMatch(), 0, 256 * 256 - 1),
            (IcmpMatch(8), 8 * 256, 8 * 256 + 255),
            (IcmpMatch(3, 4), 3 * 256 + 4, 3 * 256 + 4),
        ],
        ids=["any-type", "echo-any-code", "frag-needed"],
    )
    def test_a_match_covers_its_messages(self, match: IcmpMatch, first: int, last: int) -> None:
        """Any type: every message; type 8: its 256 codes; type 3 code 4: that message."""
        assert message_range(match) == PortRange(first, last)

    @pytest.mark.parametrize(
        ("protocol", "ranges", "spelled"),
        [
            (TCP, (PortRange(0, 65535),), "all ports"),
            (TCP, (PortRange(443, 443), PortRange(8000, 8080)), "443, 8000-8080"),
            (UDP, (PortRange(0, 1023), PortRange(1024, 1024)), "0-1023, 1024"),
            (ICMP, (PortRange(0, 256 * 256 - 1),), "all types"),
            (ICMP, (PortRange(8 * 256, 8 * 256 + 255),), "8"),
            (ICMPV6, (PortRange(128 * 256, 129 * 256 + 255),), "128-129"),
            (ICMP, (PortRange(3 * 256 + 4, 3 * 256 + 4), PortRange(0, 255)), "3:4, 0"),
            (ICMP, (PortRange(3 * 256 + 4, 5 * 256 + 1),), "3:4-255, 4, 5:0-1"),
            (ICMP, (PortRange(3 * 256 + 4, 4 * 256 + 255),), "3:4-255, 4"),
            (50, (PortRange(0, 0),), ""),
        ],
        ids=["all-ports", "ports", "udp", "all-types", "echo", "v6-types", "type-code",
             "across-types", "to-a-type-end", "esp"],
    )  # fmt: skip
    def test_values_are_spelled_by_protocol(
        self, protocol: int, ranges: tuple[PortRange, ...], spelled: str
    ) -> None:
        assert spell_values(protocol, ranges) == spelled
