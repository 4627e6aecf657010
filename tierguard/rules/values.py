"""What a selector matches within one protocol, as a range on one number line.

TCP and UDP have ports 0-65535. ICMP and ICMPv6 have messages, a type and a code, laid
out as ``type * 256 + code`` so that "type 8, any code" is the range 2048-2303 and the
same interval arithmetic that is exact for ports is exact for messages. Every other
protocol (ESP 50, GRE 47, …) has no ports: the whole protocol is the single value 0.

A reply exists only where the protocol defines one: TCP and UDP answer to the client's
ephemeral port; ICMP queries have the reply message RFC 792 / RFC 950 / RFC 4443 pair
with them (echo 8 → 0, timestamp 13 → 14, information 15 → 16, address mask 17 → 18,
ICMPv6 echo 128 → 129); error and other messages (3, 11, …) get none.
"""

from __future__ import annotations

import ipaddress

from tierguard.rules.model import Packet, Traffic
from tierguard.rules.ports import ALL_PORTS, IcmpMatch, PortRange
from tierguard.rules.protocols import ALL, ICMP, ICMPV6, is_icmp, protocol_has_ports

CODES = 256
ALL_MESSAGES = PortRange(0, CODES * CODES - 1)
NO_PORTS = PortRange(0, 0)

#: Request type → reply type, for the ICMP messages that have a reply.
ICMP_REPLIES: dict[int, dict[int, int]] = {
    ICMP: {8: 0, 13: 14, 15: 16, 17: 18},
    ICMPV6: {128: 129},
}


def full_range(protocol: int) -> PortRange:
    """Every value of ``protocol``: all ports, all messages, or the one value 0."""
    if protocol_has_ports(protocol):
        return ALL_PORTS
    return ALL_MESSAGES if is_icmp(protocol) else NO_PORTS


def message_range(match: IcmpMatch) -> PortRange:
    """The messages an ICMP type/code match covers."""
    if match.type == -1:
        return ALL_MESSAGES
    if match.code == -1:
        return PortRange(match.type * CODES, match.type * CODES + CODES - 1)
    return PortRange.single(match.type * CODES + match.code)


def traffic_values(traffic: Traffic, protocol: int) -> PortRange | None:
    """The values of ``protocol`` a selector matches (``None``: none of them)."""
    if traffic.protocol == ALL:
        return full_range(protocol)
    if traffic.protocol != protocol:
        return None
    if traffic.ports is not None:
        return traffic.ports
    if traffic.icmp is not None:
        return message_range(traffic.icmp)
    return full_range(protocol)


def packet_at(
    protocol: int, address: ipaddress.IPv4Address | ipaddress.IPv6Address, value: int
) -> Packet:
    """The packet of ``protocol`` carrying ``value`` (a port, a message) to/from ``address``."""
    if protocol_has_ports(protocol):
        return Packet(protocol, address, port=value)
    if is_icmp(protocol):
        return Packet(protocol, address, icmp_type=value // CODES, icmp_code=value % CODES)
    return Packet(protocol, address)


def reply_message(protocol: int, value: int) -> int | None:
    """The reply message (as a value) to ICMP message ``value``; ``None`` when it has none."""
    reply = ICMP_REPLIES.get(protocol, {}).get(value // CODES)
    return None if reply is None else reply * CODES


def has_family(protocol: int, version: int) -> bool:
    """ICMP exists only over IPv4 and ICMPv6 only over IPv6; every other protocol over both."""
    if protocol == ICMP:
        return version == 4
    if protocol == ICMPV6:
        return version == 6
    return True


def spell_values(protocol: int, ranges: tuple[PortRange, ...]) -> str:
    """``443, 8000-8080`` for ports; ``8, 3:4`` (type, type:code) for ICMP; ``""`` otherwise."""
    if protocol_has_ports(protocol):
        if len(ranges) == 1 and ranges[0] == ALL_PORTS:
            return "all ports"
        return ", ".join(r.key for r in ranges)
    if not is_icmp(protocol):
        return ""
    if len(ranges) == 1 and ranges[0] == ALL_MESSAGES:
        return "all types"
    parts: list[str] = []
    for block in ranges:
        parts.extend(_spell_messages(block))
    return ", ".join(parts)


def _spell_messages(block: PortRange) -> list[str]:
    first_type, first_code = divmod(block.first, CODES)
    last_type, last_code = divmod(block.last, CODES)
    if first_code == 0 and last_code == CODES - 1:
        return [str(first_type) if first_type == last_type else f"{first_type}-{last_type}"]
    if first_type == last_type:
        codes = str(first_code) if first_code == last_code else f"{first_code}-{last_code}"
        return [f"{first_type}:{codes}"]
    head = _spell_messages(PortRange(block.first, first_type * CODES + CODES - 1))
    tail = _spell_messages(PortRange(last_type * CODES, block.last))
    middle = (
        _spell_messages(PortRange((first_type + 1) * CODES, last_type * CODES - 1))
        if last_type - first_type > 1
        else []
    )
    return head + middle + tail
