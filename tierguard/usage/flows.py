"""One aggregated flow-log line: what AWS recorded for a 5-tuple at one interface.

Records that agree on every field here are summed by the reader (``flowlogs``) before
attribution, so attribution costs one evaluation per distinct flow, not per record.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class _IPv4(ipaddress.IPv4Address):
    """An IPv4 address hashing in O(1): ``ipaddress`` rebuilds a hex string per hash, and
    attribution keys dictionaries by addresses millions of times. Equal to, and hashing
    like, the plain address."""

    __slots__ = ("_hash",)

    def __init__(self, address: str | int) -> None:
        super().__init__(address)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


class _IPv6(ipaddress.IPv6Address):
    __slots__ = ("_hash",)

    def __init__(self, address: str | int) -> None:
        super().__init__(address)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


def parse_address(text: str) -> Address:
    """``ipaddress.ip_address`` with a remembered hash (``ValueError`` when not one)."""
    try:
        return _IPv4(text)
    except ipaddress.AddressValueError:
        pass
    try:
        return _IPv6(text)
    except ipaddress.AddressValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


#: ``tcp-flags`` as AWS records them (OR-ed over the window): only FIN, SYN, RST, SYN-ACK.
SYN = 2
SYN_ACK = 18


class Action(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


@dataclass(frozen=True, slots=True)
class Flow:
    """Traffic of one 5-tuple seen at one interface, summed over its records."""

    src: Address
    dst: Address
    protocol: int
    action: Action
    src_port: int | None = None
    dst_port: int | None = None
    interface_id: str | None = None
    """``None`` when the format has no ``interface-id``: the flow is then placed at every
    known interface holding its source or destination address."""
    ingress: bool | None = None
    """From ``flow-direction`` when logged; otherwise inferred from the interface address."""
    pkt_src: Address | None = None
    """``pkt-srcaddr`` when it differs from ``srcaddr`` (the packet's original source)."""
    pkt_dst: Address | None = None
    tcp_flags: int | None = None
    records: int = 1
    packets: int = 0
    bytes: int = 0

    @property
    def reverse_key(self) -> tuple[object, ...]:
        """The key of the same conversation's other direction at the same interface."""
        return (
            self.interface_id,
            self.dst,
            self.src,
            self.dst_port,
            self.src_port,
            self.protocol,
        )

    @property
    def key(self) -> tuple[object, ...]:
        return (
            self.interface_id,
            self.src,
            self.dst,
            self.src_port,
            self.dst_port,
            self.protocol,
        )

    @property
    def role_from_flags(self) -> bool | None:
        """``True``: the opening side (SYN without SYN-ACK); ``False``: the answering side
        (SYN-ACK); ``None``: the flags do not say (no TCP, no flags, mid-connection)."""
        if self.tcp_flags is None or self.protocol != 6:
            return None
        if self.tcp_flags & SYN_ACK == SYN_ACK:
            return False
        if self.tcp_flags & SYN:
            return True
        return None
