"""``tierguard reach --from … --to … --port …`` (``explain``) agrees with the packet-by-packet
oracle (``tests/reach_oracle.py``, written from AWS's documentation without tierguard).

An explanation says a connection is *reachable* when every check on the way passes for
every part of the source, every subnet the target's members may be in and every client
port, *reachable only in part* when that holds somewhere but not everywhere. Its checks
are the oracle's: the target's ingress and the source tier's egress (stateful), the ACLs
crossed when the ends are in different subnets (request out and in), and the replies
where the protocol has them — for TCP and UDP the replies to the client's port (the step
says "replies to client ports … pass" for the ports of its case), for the ICMP queries
their reply message.
"""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, Phase, example, given, settings

from tests import reach_oracle as oracle
from tests.test_reach_oracle import _from, networks, probe_addresses, topology_of
from tierguard.reach.analysis import explain
from tierguard.reach.topology import sources_of

PROTOCOLS = [oracle.TCP, oracle.UDP, oracle.ICMP, oracle.ICMPV6, 47]
PORTS = [*range(0, 55, 6), 65535]
MESSAGES = [(t, c) for t in (0, 3, 8, 13, 14, 128, 129) for c in (0, 4)]


def permissive(network: oracle.Network) -> oracle.Network:
    """The network with each ACL ending in "allow everything" (both families, both
    directions), as real ACLs do: the random entries before it carve holes into what
    passes, instead of the implicit deny refusing nearly everything."""
    allow_all = [
        oracle.Entry(number, egress, True, oracle.Rule(-1, cidr=ipaddress.ip_network(block)))
        for number, block in ((900, "0.0.0.0/0"), (901, "::/0"))
        for egress in (True, False)
    ]
    acls = {name: [*entries, *allow_all] for name, entries in network.acls.items()}
    return oracle.Network(network.vpc, network.tiers, acls, network.ephemeral)


def connection_works(
    network: oracle.Network,
    source: oracle.Place,
    source_tier: oracle.Tier | None,
    target: oracle.Place,
    target_tier: oracle.Tier,
    protocol: int,
    value: object,
) -> list[bool]:
    """Whether every check passes for this pair of ends, from each client port (TCP/UDP
    replies go to the port the client picked; other protocols have one answer)."""
    found = oracle.verdicts(network, source, source_tier, target, target_tier, protocol, value)
    return [answer == "open" for answer in found]


def disagreements(network: oracle.Network) -> list[str]:
    topo = topology_of(network)
    probes = probe_addresses(network)
    problems = []
    for source in sources_of(topo):
        tier = network.tiers[source.tier] if source.tier is not None else None
        origins = (
            oracle.members(network, tier, probes)
            if tier is not None
            else [oracle.Place(a, None, None) for a in probes if _from(source.name, a)]
        )
        for name, target_tier in network.tiers.items():
            ends = oracle.members(network, target_tier, probes)
            for protocol in PROTOCOLS:
                values: list[object] = (
                    list(PORTS)
                    if protocol in (oracle.TCP, oracle.UDP)
                    else list(MESSAGES)
                    if protocol in (oracle.ICMP, oracle.ICMPV6)
                    else [None]
                )
                for value in values:
                    works = [
                        works
                        for o in origins
                        if oracle.exists(protocol, o.address.version)
                        for e in ends
                        for works in connection_works(
                            network, o, tier, e, target_tier, protocol, value
                        )
                    ]
                    number = (
                        value[0] * 256 + value[1]
                        if isinstance(value, tuple)
                        else value
                        if isinstance(value, int)
                        else None
                    )
                    got = explain(topo, source, topo.tiers[name], protocol, number)
                    expected = (bool(works) and all(works), any(works) and not all(works))
                    failing = [s for c in got.cases if not c.reachable for s in c.steps]
                    unexplained = any(
                        not c.reachable and all(s.passed for s in c.steps) for c in got.cases
                    )
                    if (got.reachable, got.partly) != expected or unexplained:
                        problems.append(
                            f"{source.name} → {name} protocol {protocol} value {value}: "
                            f"oracle (reachable, partly) = {expected}, explain = "
                            f"{(got.reachable, got.partly)}; failing steps {failing[:2]}"
                        )
    return problems


def ping_network(reply_type: int) -> oracle.Network:
    """A tier in a subnet whose ACL lets echo requests (type 8) in and one ICMP type out,
    and a second tier in another subnet of the same ACL pinging it."""
    world = ipaddress.ip_network("0.0.0.0/0")
    acl = [
        oracle.Entry(100, False, True, oracle.Rule(oracle.ICMP, 8, -1, world)),
        oracle.Entry(100, True, True, oracle.Rule(oracle.ICMP, reply_type, -1, world)),
        oracle.Entry(110, True, True, oracle.Rule(oracle.ICMP, 8, -1, world)),
        oracle.Entry(110, False, True, oracle.Rule(oracle.ICMP, reply_type, -1, world)),
    ]
    subnets = [oracle.Subnet("s0", ipaddress.ip_network("10.0.0.0/28"), "a")]
    subnets.append(oracle.Subnet("s1", ipaddress.ip_network("10.0.0.16/28"), "a"))
    target = oracle.Tier("t0", subnets[:1], [oracle.Rule(oracle.ICMP, 8, -1, world)])
    pinger = oracle.Tier("t1", subnets[1:], [], [oracle.Rule(oracle.ICMP, -1, -1, world)])
    return oracle.Network(
        ipaddress.ip_network("10.0.0.0/16"), {"t0": target, "t1": pinger}, {"a": acl}, (30, 40)
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(network=networks().map(permissive))
@example(network=ping_network(reply_type=0))  # echo reply (RFC 792) allowed back: works
@example(network=ping_network(reply_type=8))  # only requests pass: the replies are dropped
def test_explanations_agree_with_the_packet_by_packet_oracle(network: oracle.Network) -> None:
    """Per source, target, protocol and value: reachable, in part, or not, as the oracle
    finds pair by pair; a case that is not reachable names a check that failed."""
    problems = disagreements(network)
    assert not problems, "\n".join(problems[:5])
