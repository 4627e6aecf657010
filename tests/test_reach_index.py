"""The rule index (integer masks instead of ``ipaddress`` scans) finds exactly the rules a
far end matches, checked against the definition one rule at a time.

AWS: a CIDR rule covers an address of its own family inside the block; a
security-group rule covers the group's members; a prefix-list rule covers the list's
entries. The oracle below says that with ``ipaddress`` membership, nothing shared with
the index.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from tierguard.reach.topology import Address, LabeledRule, RuleIndex
from tierguard.rules import (
    TCP,
    CidrPeer,
    Direction,
    IPNetwork,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)

#: Blocks with shared prefixes, neighbours, both families and the v4-mapped IPv6 block.
BLOCKS = [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.0.0.0/16",
    "10.1.0.0/16",
    "10.0.1.0/24",
    "10.0.1.128/25",
    "10.0.1.7/32",
    "192.168.0.0/16",
    "::/0",
    "2001:db8::/32",
    "2001:db8:0:1::/64",
    "2001:db8::7/128",
    "::ffff:0:0/96",
]
GROUPS = ["sg-web", "sg-app"]
LISTS = {"pl-a": ("10.0.1.0/24", "2001:db8::/32"), "pl-b": ("192.168.1.0/24",), "pl-c": ()}


def rule(index: int, peer: CidrPeer | SecurityGroupPeer | PrefixListPeer) -> LabeledRule:
    return LabeledRule(f"r{index}", SgRule("sg-x", Direction.INGRESS, Traffic.of(TCP), peer))


peers = st.one_of(
    st.sampled_from(BLOCKS).map(lambda b: CidrPeer(ipaddress.ip_network(b))),
    st.sampled_from(GROUPS).map(SecurityGroupPeer),
    st.sampled_from([*LISTS, "pl-unknown"]).map(PrefixListPeer),
)


def edges(block: str) -> list[Address]:
    """The first and last address of a block and the ones just outside it."""
    network = ipaddress.ip_network(block)
    top = 2**network.max_prefixlen - 1
    found = [network.network_address, network.broadcast_address]
    if int(network.network_address) > 0:
        found.append(network.network_address - 1)
    if int(network.broadcast_address) < top:
        found.append(network.broadcast_address + 1)
    return found


ADDRESSES = sorted({a for b in [*BLOCKS, "172.16.0.1/32"] for a in edges(b)}, key=str)


def inside(address: Address | None, network: IPNetwork) -> bool:
    """Same family, and between the block's first and last address."""
    if address is None or address.version != network.version:
        return False
    return int(network.network_address) <= int(address) <= int(network.broadcast_address)


def oracle(
    rules: list[LabeledRule],
    address: Address | None,
    group: str | None,
    prefix_lists: Mapping[str, tuple[IPNetwork, ...]],
) -> list[str]:
    found = []
    for labeled in rules:
        peer = labeled.rule.peer
        if isinstance(peer, SecurityGroupPeer):
            hit = group is not None and peer.group == group
        elif isinstance(peer, CidrPeer):
            hit = inside(address, peer.network)
        else:
            entries = prefix_lists.get(peer.prefix_list, ())
            hit = any(inside(address, n) for n in entries)
        if hit:
            found.append(labeled.name)
    return sorted(found)


@given(
    st.lists(peers, max_size=12),
    st.one_of(st.none(), st.sampled_from(ADDRESSES)),
    st.one_of(st.none(), st.sampled_from([*GROUPS, "sg-other"])),
)
def test_the_index_finds_exactly_the_rules_whose_peer_covers_the_far_end(
    chosen: list[CidrPeer | SecurityGroupPeer | PrefixListPeer],
    address: Address | None,
    group: str | None,
) -> None:
    rules = [rule(i, peer) for i, peer in enumerate(chosen)]
    prefix_lists = {
        name: tuple(ipaddress.ip_network(e) for e in entries) for name, entries in LISTS.items()
    }
    found = RuleIndex(rules).matching(address, group, prefix_lists)
    assert sorted(r.name for r in found) == oracle(rules, address, group, prefix_lists)


def test_an_ipv6_address_never_matches_an_ipv4_block_with_the_same_integer() -> None:
    """``::a00:1`` and ``10.0.0.1`` are the same integer; only the family tells them apart."""
    rules = [rule(0, CidrPeer(ipaddress.ip_network("10.0.0.0/8")))]
    index = RuleIndex(rules)
    assert index.matching(ipaddress.ip_address("::a00:1"), None, {}) == []
    assert index.matching(ipaddress.ip_address("10.0.0.1"), None, {}) == rules


def test_a_group_and_an_address_together_find_the_rules_of_both() -> None:
    by_group = rule(0, SecurityGroupPeer("sg-web"))
    by_block = rule(1, CidrPeer(ipaddress.ip_network("10.0.0.0/16")))
    found = RuleIndex([by_group, by_block]).matching(ipaddress.ip_address("10.0.3.4"), "sg-web", {})
    assert sorted(r.name for r in found) == ["r0", "r1"]
