"""Properties of the ACL helpers the policies rely on, checked against plain evaluation."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from tierguard.rules import (
    ALL,
    TCP,
    UDP,
    AclAction,
    AclEntry,
    IPNetwork,
    Packet,
    PortRange,
    Traffic,
)
from tierguard.rules.acl import (
    allowed_ports,
    evaluate_acl,
    representative_address,
    uncovered,
)

CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "203.0.113.0/24", "198.51.100.7/32"]


@st.composite
def entries(draw: st.DrawFn) -> list[AclEntry]:
    found = []
    for number in draw(st.sets(st.integers(1, 200), max_size=6)):
        protocol = draw(st.sampled_from([ALL, TCP, UDP]))
        first = draw(st.integers(0, 65535))
        last = draw(
            st.integers(first, min(65535, first + draw(st.sampled_from([0, 10, 5000, 65535]))))
        )
        traffic = Traffic.of(protocol, PortRange(first, last))
        found.append(
            AclEntry(
                number,
                draw(st.booleans()),
                draw(st.sampled_from(list(AclAction))),
                traffic,
                ipaddress.ip_network(draw(st.sampled_from(CIDRS))),
            )
        )
    return found


class TestAllowedPorts:
    @settings(max_examples=150, deadline=None)
    @given(
        acl=entries(), port=st.integers(0, 65535), egress=st.booleans(), cidr=st.sampled_from(CIDRS)
    )
    def test_matches_evaluating_every_packet(
        self, acl: list[AclEntry], port: int, egress: bool, cidr: str
    ) -> None:
        """A port is in allowed_ports exactly when first-match evaluation allows it."""
        address = ipaddress.ip_network(cidr).network_address
        allowed = allowed_ports(acl, egress=egress, protocol=TCP, address=address)
        expected = evaluate_acl(acl, egress=egress, packet=Packet(TCP, address, port)).allowed
        assert any(port in block for block in allowed) is expected


class TestUncovered:
    @settings(max_examples=100, deadline=None)
    @given(
        blocks=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 200)), max_size=5),
        port=st.integers(0, 2200),
    )
    def test_gaps_are_exactly_the_ports_no_block_covers(
        self, blocks: list[tuple[int, int]], port: int
    ) -> None:
        """uncovered() returns the ports of the wanted range outside every block."""
        wanted = PortRange(0, 2200)
        ranges = [PortRange(a, a + n) for a, n in blocks]
        gaps = uncovered(wanted, ranges)
        assert any(port in g for g in gaps) is not any(port in r for r in ranges)


class TestRepresentativeAddress:
    def test_avoids_every_more_specific_block_and_private_space(self) -> None:
        """The address is public and outside every listed block."""
        avoid = [ipaddress.ip_network(c) for c in CIDRS[1:]]
        address = representative_address(ipaddress.ip_network("0.0.0.0/0"), avoid)
        assert address is not None
        assert address.is_global
        assert not any(address in n for n in avoid)

    def test_none_when_the_space_is_used_up(self) -> None:
        """When the avoided blocks cover the whole space there is no such address."""
        space = ipaddress.IPv4Network("10.0.0.0/8")
        halves: list[IPNetwork] = list(space.subnets(prefixlen_diff=1))
        assert representative_address(space, halves, public=False) is None


@st.composite
def blocks_near(draw: st.DrawFn, space: IPNetwork) -> list[IPNetwork]:
    """Blocks inside, around and beside a small ``space`` (a /26 of 64 addresses)."""
    found: list[IPNetwork] = []
    base = int(space.network_address)
    for _ in range(draw(st.integers(0, 6))):
        prefix = draw(st.integers(space.prefixlen - 2, 32))
        start = base + draw(st.integers(-128, 191))
        found.append(ipaddress.ip_network((start >> (32 - prefix) << (32 - prefix), prefix)))
    return found


@settings(max_examples=300)
@given(data=st.data(), v6=st.booleans())
def test_representative_address_is_the_lowest_address_no_block_holds(
    data: st.DataObject, v6: bool
) -> None:
    """Brute force over the 64 addresses of a /26: the address is the lowest one that no
    avoided block other than the space itself contains, and ``None`` exactly when every address is held; an IPv6
    space (the same blocks mapped into 2001:db8::/32) answers with an IPv6 address."""
    space = ipaddress.ip_network("192.0.2.64/26")
    avoid = data.draw(blocks_near(space))
    # ``within`` itself is no cut: the entry whose CIDR it is covers the whole space.
    free = [a for a in space if not any(a in block for block in avoid if block != space)]
    expected: ipaddress.IPv4Address | ipaddress.IPv6Address | None = min(free, default=None)
    if v6:
        offset = int(ipaddress.ip_address("2001:db8::"))

        def six(block: IPNetwork) -> IPNetwork:
            return ipaddress.ip_network((offset + int(block.network_address), block.prefixlen + 96))

        space, avoid = six(space), [six(b) for b in avoid]
        expected = None if expected is None else ipaddress.ip_address(offset + int(expected))
    assert representative_address(space, avoid, public=False) == expected
