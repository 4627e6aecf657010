"""Attribute each flow to the security-group rules and ACL entries that decided it.

A record is logged at one interface, for one direction. At that interface:

* an ACCEPT that opens a connection (the *request* side) was admitted by every rule of
  the interface's groups, in that direction, whose traffic and peer cover it (AWS takes
  the union of rules, so each one is a use); the reply side is admitted by connection
  tracking and uses no rule;
* network ACLs are stateless and apply only when the traffic crosses the subnet's
  boundary: both sides are decided, first match by rule number, else the implicit deny;
* a REJECT was dropped by the ACL entry (or ``*``) that denies it, else by the groups:
  no rule admits it.

Which side opened a connection comes from ``tcp-flags`` when logged (SYN vs SYN-ACK),
else from which side a rule admits, else the lower destination port. The packet's own
addresses (``pkt-srcaddr``/``pkt-dstaddr``) are what rules are matched against.
Matching itself is ``tierguard.rules`` (traffic, first-match ACLs) and the reachability
index (``RuleIndex``): nothing here re-implements it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from tierguard.audit.topology import tier_names
from tierguard.deployed.inventory import NetworkAcl, NetworkInterface, RegionInventory
from tierguard.reach.topology import LabeledRule, RuleIndex
from tierguard.rules import (
    ALL,
    AclEntry,
    Direction,
    IPNetwork,
    Packet,
    PrefixListPeer,
    SgRule,
    evaluate_acl,
)
from tierguard.rules.acl import ordered
from tierguard.rules.protocols import is_icmp, protocol_has_ports
from tierguard.usage.flows import Action, Address, Flow

#: The implicit deny, as AWS lists it (``*``).
IMPLICIT = "*"


@dataclass(frozen=True)
class AclRef:
    """One ACL entry (or the implicit deny) in one direction."""

    acl_id: str
    egress: bool
    number: str
    """The rule number as text, ``*`` for the implicit deny."""


@dataclass
class Use:
    """What one rule or entry carried."""

    records: int = 0
    packets: int = 0
    bytes: int = 0
    seen: set[tuple[int, int | None, Address]] = field(default_factory=set)
    """Distinct ``(protocol, destination port, far address)`` admitted (for narrowing);
    the port is ``None`` for replies an ACL entry let through."""

    def add(self, flow: Flow, far: Address, *, keep: bool = True, reply: bool = False) -> None:
        """Count ``flow``; keep what it was unless told not to (a reply's port is kept as
        ``None``: it is the far end's ephemeral port, nothing to narrow to)."""
        self.records += flow.records
        self.packets += flow.packets
        self.bytes += flow.bytes
        if keep:
            port = None if reply and protocol_has_ports(flow.protocol) else flow.dst_port
            self.seen.add((flow.protocol, port, far))


@dataclass(frozen=True)
class Rejection:
    """Rejected traffic, grouped by who dropped it and what it was."""

    where: str
    """The tier (the group's ``tierguard:tier`` tag or name), else the interface id."""
    ingress: bool
    far: Address
    protocol: int
    port: int | None
    internal: bool
    """The far end is inside the inventory's subnets (a missing rule between tiers)."""
    dropped_by: str
    """``acl <id> #<n>``, ``acl <id> *`` or ``security group`` (no rule admits it)."""


@dataclass
class Attribution:
    """Everything the flows say about the rules, before verdicts."""

    rules: dict[str, Use] = field(default_factory=lambda: defaultdict(Use))
    acl: dict[AclRef, Use] = field(default_factory=lambda: defaultdict(Use))
    rejected: Counter[Rejection] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    """``accepted``, ``rejected``, ``replies``, ``no_rule`` (accepted, but no rule in the
    inventory admits it), ``acl_disagrees`` (accepted although the ACL denies it),
    ``unknown_interface`` (records — not distinct flows)."""


@dataclass(frozen=True)
class _Point:
    interface: NetworkInterface
    ingress: bool


class Network:
    """The inventory indexed for attribution: interfaces by id and address, rules by
    group and direction, ACL and block of every subnet."""

    def __init__(
        self,
        inventory: RegionInventory,
        prefix_lists: Mapping[str, tuple[IPNetwork, ...]] | None = None,
    ) -> None:
        self.inventory = inventory
        self.prefix_lists = dict(prefix_lists or {})
        self.tiers = tier_names(inventory.groups)
        self.by_id = {eni.id: eni for eni in inventory.interfaces}
        self.by_address: dict[Address, list[NetworkInterface]] = defaultdict(list)
        for eni in inventory.interfaces:
            for address in (eni.private_address, *eni.ipv6_addresses):
                if address is not None:
                    self.by_address[address].append(eni)
        self.rules: dict[str, SgRule] = {}
        self.index: dict[tuple[str, Direction], RuleIndex] = {}
        for group in inventory.groups:
            for direction in Direction:
                labeled = [
                    LabeledRule(r.id, r.rule) for r in group.rules if r.rule.direction is direction
                ]
                self.index[group.id, direction] = RuleIndex(labeled)
            for r in group.rules:
                self.rules[r.id] = r.rule
        self.blocks: dict[str, IPNetwork] = {
            s.id: s.cidr for s in inventory.subnets if s.cidr is not None
        }
        self.acl_of: Mapping[str, NetworkAcl] = inventory.acl_by_subnet
        self._matches: dict[tuple[object, ...], list[str]] = {}
        self._acl_candidates: dict[tuple[object, ...], list[AclEntry]] = {}
        self._own: dict[str, set[Address | None]] = {}
        self._entries = {
            AclRef(acl.id, e.egress, str(e.number)): e
            for acl in inventory.acls
            for e in acl.entries
        }

    def unresolved(self, rule: SgRule) -> bool:
        """A prefix-list peer whose entries are not known: its use cannot be judged."""
        return isinstance(rule.peer, PrefixListPeer) and rule.peer.prefix_list not in (
            self.prefix_lists
        )

    def groups_at(self, address: Address) -> tuple[str, ...]:
        return tuple(g for eni in self.by_address.get(address, ()) for g in eni.groups)

    def internal(self, address: Address) -> bool:
        return address in self.by_address or any(
            address.version == b.version and address in b for b in self.blocks.values()
        )

    def tier_of(self, eni: NetworkInterface) -> str | None:
        """The tier(s) of an interface: ``alb/web`` when it carries several tiers' groups."""
        return "/".join(self.tiers[g] for g in eni.groups if g in self.tiers) or None

    def matching_rules(self, eni: NetworkInterface, ingress: bool, flow: Flow) -> list[str]:
        """Ids of the rules of ``eni``'s groups admitting ``flow`` as a new connection
        (remembered per interface, direction, far end, protocol and port)."""
        far = _far(flow, ingress)
        key = (eni.id, ingress, far, flow.protocol, flow.dst_port)
        found = self._matches.get(key)
        if found is None:
            found = self._matching(eni, ingress, flow, far)
            self._matches[key] = found
        return found

    def _matching(
        self, eni: NetworkInterface, ingress: bool, flow: Flow, far: Address
    ) -> list[str]:
        direction = Direction.INGRESS if ingress else Direction.EGRESS
        far_groups = self.groups_at(far)
        found: dict[str, None] = {}
        for group in eni.groups:
            index = self.index.get((group, direction))
            if index is None:
                continue
            candidates = index.matching(far, None, self.prefix_lists)
            for far_group in far_groups:
                candidates.extend(index.matching(None, far_group, self.prefix_lists))
            for labeled in candidates:
                if _traffic_admits(labeled.rule, flow, far):
                    found[labeled.name] = None
        return list(found)

    def acl_decision(self, eni: NetworkInterface, ingress: bool, flow: Flow) -> AclRef | None:
        """The entry deciding ``flow`` at ``eni``'s subnet ACL; ``None`` when no ACL
        applies (no subnet or ACL known, or both ends in the same subnet)."""
        if eni.subnet_id is None or eni.subnet_id not in self.acl_of:
            return None
        far = _far(flow, ingress)
        block = self.blocks.get(eni.subnet_id)
        if block is not None and far.version == block.version and far in block:
            return None  # ACLs filter traffic entering and leaving the subnet only
        acl = self.acl_of[eni.subnet_id]
        egress = not ingress
        key = (acl.id, egress, flow.protocol, far)
        candidates = self._acl_candidates.get(key)
        if candidates is None:
            # Only entries of this direction, family, block and protocol can match: the
            # first match among them is the first match among all (ports decide below).
            candidates = [
                e
                for e in ordered(acl.entries, egress=egress)
                if e.cidr.version == far.version
                and far in e.cidr
                and e.traffic.protocol in (ALL, flow.protocol)
            ]
            self._acl_candidates[key] = candidates
        if is_icmp(flow.protocol):  # no ICMP type logged: the first entry for the protocol
            entry = candidates[0] if candidates else None
        else:
            entry = evaluate_acl(candidates, egress=egress, packet=_packet(flow, far)).entry
        return AclRef(acl.id, egress, IMPLICIT if entry is None else str(entry.number))

    def acl_entry(self, ref: AclRef) -> AclEntry | None:
        return self._entries.get(ref)

    def points(self, flow: Flow) -> list[_Point]:
        """Where (interface, direction) ``flow`` was seen."""
        if flow.interface_id is not None:
            eni = self.by_id.get(flow.interface_id)
            if eni is None:
                return []
            if flow.ingress is not None:
                return [_Point(eni, flow.ingress)]
            mine = self._own.get(eni.id)
            if mine is None:
                mine = self._own[eni.id] = {eni.private_address, *eni.ipv6_addresses}
            if flow.dst in mine or flow.pkt_dst in mine:
                return [_Point(eni, True)]
            if flow.src in mine or flow.pkt_src in mine:
                return [_Point(eni, False)]
            return []
        found = [_Point(e, True) for e in self.by_address.get(flow.dst, ())]
        found.extend(_Point(e, False) for e in self.by_address.get(flow.src, ()))
        if flow.ingress is not None:
            found = [p for p in found if p.ingress == flow.ingress]
        return found


def _far(flow: Flow, ingress: bool) -> Address:
    """The other end as the packet carries it (``pkt-*`` when logged)."""
    if ingress:
        return flow.pkt_src or flow.src
    return flow.pkt_dst or flow.dst


def _packet(flow: Flow, far: Address) -> Packet:
    port = flow.dst_port if protocol_has_ports(flow.protocol) else None
    return Packet(flow.protocol, far, port=port)


def _traffic_admits(rule: SgRule, flow: Flow, far: Address) -> bool:
    traffic = rule.traffic
    if is_icmp(flow.protocol):
        # Flow logs carry no ICMP type: any rule for the protocol may have admitted it.
        return traffic.protocol in (ALL, flow.protocol)
    return traffic.matches(_packet(flow, far))


def _is_request(network: Network, point: _Point, flow: Flow, reverse: Flow | None) -> bool:
    by_flags = flow.role_from_flags
    if by_flags is not None:
        return by_flags
    if reverse is None:
        return True
    here = bool(network.matching_rules(point.interface, point.ingress, flow))
    there = bool(network.matching_rules(point.interface, not point.ingress, reverse))
    if here != there:
        return here
    return (flow.dst_port or 0) <= (flow.src_port or 0)


def attribute(network: Network, flows: Iterable[Flow]) -> Attribution:
    """Attribute every flow (see the module docstring); pure and deterministic."""
    flows = list(flows)
    accepted = {f.key: f for f in flows if f.action is Action.ACCEPT}
    result = Attribution()
    for flow in flows:
        points = network.points(flow)
        if not points:
            result.counts["unknown_interface"] += flow.records
            continue
        result.counts["accepted" if flow.action is Action.ACCEPT else "rejected"] += flow.records
        share = _share(flow, len(points))
        for point in points:
            _attribute_at(network, result, point, share, accepted.get(flow.reverse_key))
    return result


def _share(flow: Flow, points: int) -> Flow:
    """What one of ``points`` interfaces logged of a flow placed at each of them.

    Without ``interface-id`` the copies each end logs of a conversation inside the account
    carry the same 5-tuple and sum into one flow: each end gets its share, rounded up so
    that a rule that admitted traffic never counts none.
    """
    if flow.interface_id is not None or points < 2:
        return flow
    return replace(
        flow,
        records=-(-flow.records // points),
        packets=-(-flow.packets // points),
        bytes=-(-flow.bytes // points),
    )


def _attribute_at(
    network: Network, result: Attribution, point: _Point, flow: Flow, reverse: Flow | None
) -> None:
    eni, ingress = point.interface, point.ingress
    far = _far(flow, ingress)
    acl = network.acl_decision(eni, ingress, flow)
    acl_allows = acl is None or (
        (entry := network.acl_entry(acl)) is not None and entry.action.value == "allow"
    )
    if flow.action is Action.REJECT:
        if acl is not None and not acl_allows:
            result.acl[acl].add(flow, far, keep=False)
            dropped = (
                f"acl {acl.acl_id} #{acl.number}"
                if acl.number != IMPLICIT
                else (f"acl {acl.acl_id} *")
            )
        elif not network.matching_rules(eni, ingress, flow):
            dropped = "security group"
        else:
            result.counts["reject_unexplained"] += flow.records
            return
        result.rejected[
            Rejection(
                where=network.tier_of(eni) or eni.id,
                ingress=ingress,
                far=far,
                protocol=flow.protocol,
                port=flow.dst_port if protocol_has_ports(flow.protocol) else None,
                internal=network.internal(far),
                dropped_by=dropped,
            )
        ] += flow.records
        return
    request = _is_request(network, point, flow, reverse)
    if acl is not None:
        if acl_allows:
            result.acl[acl].add(flow, far, reply=not request)
        else:
            result.counts["acl_disagrees"] += flow.records
    if not request:
        result.counts["replies"] += flow.records
        return
    rules = network.matching_rules(eni, ingress, flow)
    if not rules:
        result.counts["no_rule"] += flow.records
    for rule_id in rules:
        result.rules[rule_id].add(flow, far)
