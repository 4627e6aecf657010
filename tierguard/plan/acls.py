"""A network ACL's entries: the declared ones by rule number, and the stateless return
path of every allowed TCP/UDP flow that nothing else decides."""

from __future__ import annotations

from dataclasses import replace

from tierguard.config.schema import AclRuleConfig, NetworkAclConfig
from tierguard.plan.expansion import Expansion
from tierguard.plan.model import PlannedAclEntry
from tierguard.rules import TCP, UDP, AclAction, AclEntry, Direction, IPNetwork
from tierguard.rules.acl import MAX_RULE_NUMBER, covering_entry, is_return_rule, return_traffic
from tierguard.rules.addresses import INTERNET


def acl_entries(x: Expansion, name: str, acl: NetworkAclConfig) -> list[PlannedAclEntry]:
    entries: list[PlannedAclEntry] = []
    for direction, declared in ((Direction.INGRESS, acl.ingress), (Direction.EGRESS, acl.egress)):
        used: dict[int, str] = {}
        for index, rule in enumerate(declared):
            path = f"network_acls.{name}.{direction.value}[{index}]"
            if rule.rule in used:
                x.problem(
                    f"{path}.rule",
                    f"rule {rule.rule} is already used by {used[rule.rule]}; rule numbers "
                    "must be unique per direction",
                )
                continue
            used[rule.rule] = path
            entry = acl_entry(x, rule, direction is Direction.EGRESS, path)
            if entry is not None:
                entries.append(
                    PlannedAclEntry(
                        x.names.acl_entry(name, direction, rule.rule), name, entry, path
                    )
                )
    if acl.return_traffic:
        entries.extend(return_entries(x, name, entries))
    return entries


def acl_entry(x: Expansion, rule: AclRuleConfig, egress: bool, path: str) -> AclEntry | None:
    traffic = x.traffic_of(rule, path)
    if len(traffic) > 1:
        x.problem(
            f"{path}.service",
            f"service {rule.service!r} needs {len(traffic)} protocols, but an ACL entry has "
            "one; write one entry per protocol, each with its own rule number",
        )
        return None
    if not traffic:
        return None
    if rule.internet is not None:
        cidr: IPNetwork | None = INTERNET[4 if rule.internet == "ipv4" else 6]
    elif rule.cidr is not None:
        cidr = rule.cidr
    else:
        assert rule.named_cidr is not None  # AclRuleConfig: exactly one peer
        cidr = x.named_cidr(rule.named_cidr, path)
    if cidr is None:
        return None
    return AclEntry(rule.rule, egress, AclAction(rule.action), traffic[0][1], cidr)


def return_entries(x: Expansion, acl: str, entries: list[PlannedAclEntry]) -> list[PlannedAclEntry]:
    """The stateless return path for every allowed TCP/UDP flow, unless already decided."""
    base = x.config.return_rule_base
    ephemeral = x.config.ephemeral_ports
    current = [p.entry for p in entries]
    added: list[PlannedAclEntry] = []
    numbers = {(e.egress, e.number) for e in current}  # declared: added ones are above
    next_number = {False: base, True: base}
    for planned in sorted(entries, key=lambda p: (p.entry.egress, p.entry.number)):
        entry = planned.entry
        if entry.action is not AclAction.ALLOW or is_return_rule(entry, ephemeral):
            continue  # a deny needs no replies; a return rule is itself the replies' path
        protocols = [TCP, UDP] if entry.traffic.is_all else [entry.traffic.protocol]
        for protocol in protocols:
            if protocol not in (TCP, UDP):
                continue  # ICMP replies are their own types; see README
            want = return_traffic(entry, protocol, ephemeral)
            if covering_entry(current, want) is not None:
                continue  # allowed already, or denied on purpose before any entry we add
            number = next_number[want.egress]
            while (want.egress, number) in numbers:
                number += 1
            if number > MAX_RULE_NUMBER:
                x.problem(
                    f"network_acls.{acl}",
                    "no free rule number left for automatic return rules at or above "
                    f"return_rule_base={base}; lower it",
                )
                return added
            next_number[want.egress] = number + 1
            ret = replace(want, number=number)
            current.append(ret)
            added.append(
                PlannedAclEntry(
                    name=x.names.acl_entry(acl, ret.direction, number),
                    acl=acl,
                    entry=ret,
                    origin=planned.origin,
                    automatic=True,
                    note=f"return traffic for {entry.direction} rule {entry.number}",
                )
            )
    return added
