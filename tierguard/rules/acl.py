"""Network-ACL evaluation exactly as AWS does it.

Entries of one direction are tried lowest number first; the first whose protocol, ports
and CIDR match decides; when none matches, the implicit ``*`` rule denies. An entry only
ever matches packets of its own address family.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tierguard.rules.model import AclAction, AclEntry, Packet

#: The rule number AWS shows for the implicit deny (``*``) of IPv4 entries.
IMPLICIT_DENY_NUMBER = 32767


@dataclass(frozen=True)
class AclDecision:
    """The verdict for one packet and the entry that gave it (``None``: the implicit deny)."""

    action: AclAction
    entry: AclEntry | None

    @property
    def allowed(self) -> bool:
        return self.action is AclAction.ALLOW

    @property
    def rule_label(self) -> str:
        return "*" if self.entry is None else str(self.entry.number)


def ordered(entries: Iterable[AclEntry], *, egress: bool) -> list[AclEntry]:
    """The entries of one direction in evaluation order."""
    return sorted((e for e in entries if e.egress == egress), key=lambda e: e.number)


def evaluate_acl(entries: Iterable[AclEntry], *, egress: bool, packet: Packet) -> AclDecision:
    """Decide ``packet`` in one direction: first match by rule number, else implicit deny."""
    for entry in ordered(entries, egress=egress):
        if entry.cidr.version != packet.address.version:
            continue
        if packet.address in entry.cidr and entry.traffic.matches(packet):
            return AclDecision(entry.action, entry)
    return AclDecision(AclAction.DENY, None)
