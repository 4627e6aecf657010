"""What a refused value is told: the value itself and what would be valid (the project's
standard for bad input), for CIDR blocks, ports, port ranges and ICMP type/code; and how
rules are spelled in messages (``deny TCP 22 0.0.0.0/0``, ``allow all traffic …``, as the
README's examples show them)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tierguard.rules import ALL, ICMP, ICMPV6, TCP, UDP, PortRange, Traffic
from tierguard.rules.addresses import family_name, parse_cidr
from tierguard.rules.ports import IcmpMatch, parse_ports

REFUSED: list[tuple[Callable[[], object], str]] = [
    (lambda: parse_cidr(5), "5 is not a CIDR block; write it as a string like 10.0.0.0/16"),
    (
        lambda: parse_cidr("fe80::1%eth0/64"),
        "'fe80::1%eth0/64' has a zone (%…); rules and ACLs take a plain CIDR block such as "
        "fe80::1/64",
    ),
    (
        lambda: parse_cidr("fe80::1%eth0"),
        "'fe80::1%eth0' has a zone (%…); rules and ACLs take a plain CIDR block such as fe80::1/64",
    ),
    (
        lambda: parse_cidr(" 10.0.0.1 "),
        "' 10.0.0.1 ' has no prefix length; write a CIDR block such as 10.0.0.1/32 "
        "(or /128 for IPv6)",
    ),
    (
        lambda: parse_cidr("10.0.0.0/33"),
        "'10.0.0.0/33' is not a valid IPv4 or IPv6 CIDR block (for example 10.0.0.0/16 "
        "or 2001:db8::/32)",
    ),
    (lambda: parse_cidr("10.0.0.5/8"), "'10.0.0.5/8' has host bits set (did you mean 10.0.0.0/8?)"),
    (lambda: PortRange(70000, 70000), "port 70000 is outside 0-65535"),
    (lambda: PortRange(-1, 5), "port -1 is outside 0-65535"),
    (lambda: PortRange(90, 80), "range 90-80 starts after it ends (did you mean 80-90?)"),
    (lambda: IcmpMatch(256), "ICMP type 256 is outside -1..255 (-1 means any type)"),
    (lambda: IcmpMatch(8, 300), "ICMP code 300 is outside -1..255 (-1 means any code)"),
    (lambda: IcmpMatch(-1, 3), "an ICMP code needs a specific ICMP type (type -1 means any)"),
    (lambda: parse_ports(True), "True is not a port; use a number 0-65535, 'FROM-TO' or 'all'"),
    (lambda: parse_ports(2.5), "2.5 is not a port; use a number 0-65535, 'FROM-TO' or 'all'"),
    (
        lambda: parse_ports("1-2-3"),
        "'1-2-3' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
    ),
]


@pytest.mark.parametrize(("call", "message"), REFUSED)
def test_a_refused_value_is_named_with_what_would_be_valid(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        call()
    assert str(caught.value) == message


def test_ports_are_read_as_people_write_them() -> None:
    assert parse_ports(" ALL ") == PortRange(0, 65535)
    assert parse_ports(8080.0) == PortRange(8080, 8080)
    assert parse_ports("80-90") == PortRange(80, 90)


@pytest.mark.parametrize(
    ("traffic", "text"),
    [
        (Traffic.of(ALL), "all traffic"),
        (Traffic.of(TCP, PortRange(443, 443)), "TCP 443"),
        (Traffic.of(UDP), "UDP all ports"),
        (Traffic.of(TCP, PortRange(1024, 65535)), "TCP 1024-65535"),
        (Traffic.of(ICMP, icmp=IcmpMatch(8)), "ICMP type 8"),
        (Traffic.of(ICMP, icmp=IcmpMatch(3, 4)), "ICMP type 3 code 4"),
        (Traffic.of(ICMPV6), "ICMPv6 any type"),
        (Traffic.of(50), "protocol 50"),
    ],
)
def test_traffic_is_spelled_as_in_acl_and_rule_messages(traffic: Traffic, text: str) -> None:
    assert str(traffic) == text


def test_the_family_is_named_ipv4_or_ipv6() -> None:
    assert family_name(parse_cidr("0.0.0.0/0")) == "IPv4"
    assert family_name(parse_cidr("::/0")) == "IPv6"
