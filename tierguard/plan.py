"""The plan: exactly which security-group rules, ACL entries and subnets a config means.

A pure function of the validated config (no Pulumi, no boto3), so the Pulumi components,
the offline preview, the quota checks and the reachability analysis all read the same
expansion. Every planned resource carries a stable name derived from what it means
(tier, direction, traffic, peer; ACL and rule number), never from a list position, and
the config path it came from.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from tierguard.config.parse import CONFIG_KEY
from tierguard.config.schema import (
    MAX_TAGS,
    MAX_USER_TAGS,
    AclRuleConfig,
    NetworkAclConfig,
    NetworkConfig,
    SecurityGroupRuleConfig,
    TierConfig,
)
from tierguard.config.zones import zone_names
from tierguard.errors import ConfigError, Problem
from tierguard.rules import (
    ALL,
    EPHEMERAL_PORTS,
    TCP,
    UDP,
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    IcmpMatch,
    IPNetwork,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    Traffic,
)
from tierguard.rules.acl import MAX_RULE_NUMBER, covering_entry, is_return_rule, return_traffic
from tierguard.rules.addresses import INTERNET, canonical_cidr, family_name, is_internet
from tierguard.rules.descriptions import MAX_DESCRIPTION_LENGTH
from tierguard.rules.protocols import is_icmp
from tierguard.rules.services import BUILTIN_SERVICES, Service


@dataclass(frozen=True)
class TierPeer:
    """Another tier's security group, or the tier's own (``self``)."""

    tier: str
    is_self: bool = False

    def __str__(self) -> str:
        return "this tier (self)" if self.is_self else f"tier {self.tier}"


PlanPeer = CidrPeer | TierPeer | SecurityGroupPeer | PrefixListPeer


@dataclass(frozen=True)
class PlannedSgRule:
    """One ``aws.vpc.SecurityGroupIngressRule``/``EgressRule`` to create."""

    name: str
    tier: str
    direction: Direction
    traffic: Traffic
    peer: PlanPeer
    description: str
    origin: str
    automatic: bool = False


@dataclass(frozen=True)
class PlannedAclEntry:
    """One ``aws.ec2.NetworkAclRule`` to create."""

    name: str
    acl: str
    entry: AclEntry
    origin: str
    automatic: bool = False
    note: str = ""


@dataclass(frozen=True)
class PlannedSubnet:
    """A subnet to create (``cidr`` + AZ) or an existing one (``subnet_id``)."""

    key: str
    group: str
    public: bool
    availability_zone: str | None = None
    cidr: IPNetwork | None = None
    subnet_id: str | None = None


@dataclass(frozen=True)
class TierPlan:
    name: str
    resource_name: str
    description: str
    subnet_group: str | None
    rules: tuple[PlannedSgRule, ...]
    tags: Mapping[str, str]

    def rules_in(self, direction: Direction) -> tuple[PlannedSgRule, ...]:
        return tuple(r for r in self.rules if r.direction is direction)


@dataclass(frozen=True)
class AclPlan:
    name: str
    resource_name: str
    subnet_groups: tuple[str, ...]
    entries: tuple[PlannedAclEntry, ...]


@dataclass(frozen=True)
class NetworkPlan:
    """Everything the program will create, keyed by the names users wrote."""

    name: str
    stack: str
    create_vpc: bool
    vpc_id: str | None
    vpc_cidr: IPNetwork | None
    manage_default_security_group: bool
    subnets: tuple[PlannedSubnet, ...]
    tiers: Mapping[str, TierPlan]
    acls: Mapping[str, AclPlan]
    tags: Mapping[str, str] = field(default_factory=dict)
    named_cidrs: Mapping[str, IPNetwork] = field(default_factory=dict)
    ephemeral_ports: PortRange = EPHEMERAL_PORTS

    def subnets_in(self, group: str) -> tuple[PlannedSubnet, ...]:
        return tuple(s for s in self.subnets if s.group == group)

    @property
    def subnet_groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.group for s in self.subnets))

    def origins(self) -> dict[str, str]:
        """Config path (under ``tierguard:network``) of every planned resource, by name.

        Automatic rules point at the declaration that implied them.
        """
        found: dict[str, str] = {f"{self.name}-vpc": "vpc"}
        for subnet in self.subnets:
            found[f"{self.name}-{subnet.key}"] = f"subnet_groups.{subnet.group}"
        for name, tier in self.tiers.items():
            found[tier.resource_name] = f"tiers.{name}"
            found.update({rule.name: rule.origin for rule in tier.rules})
        for name, acl in self.acls.items():
            found[acl.resource_name] = f"network_acls.{name}"
            found.update({entry.name: entry.origin for entry in acl.entries})
        return found


def safe_name(text: str) -> str:
    """Make a value usable inside a resource name (URNs forbid ``::``)."""
    return text.replace("::", "..").replace(":", ".").replace("/", "_")


def _peer_key(peer: PlanPeer) -> str:
    match peer:
        case CidrPeer(network=network) if is_internet(network):
            return f"internet-ipv{network.version}"
        case CidrPeer(network=network):
            return safe_name(canonical_cidr(network))
        case TierPeer(is_self=True):
            return "self"
        case TierPeer(tier=tier):
            return f"tier-{tier}"
        case SecurityGroupPeer(group=group):
            return group
        case PrefixListPeer(prefix_list=prefix_list):
            return prefix_list


def _peer_text(peer: PlanPeer, named: Mapping[IPNetwork, str]) -> str:
    if isinstance(peer, CidrPeer):
        if is_internet(peer.network):
            return f"the internet ({family_name(peer.network)})"
        text = canonical_cidr(peer.network)
        return f"{named[peer.network]} ({text})" if peer.network in named else text
    return str(peer)


class _Planner:
    """Collects problems while expanding, so one run reports every mistake at once."""

    def __init__(
        self,
        config: NetworkConfig,
        *,
        region: str,
        stack: str,
        zones: Sequence[str] | None = None,
    ) -> None:
        self.config = config
        self.region = region
        self.stack = stack
        self.available_zones = tuple(zones) if zones is not None else zone_names(region)
        """The region's zones: the account's answer when given, else the table."""
        self.problems: list[Problem] = []
        self.services: dict[str, Service] = {
            **BUILTIN_SERVICES,
            **{
                name: Service(svc.label, tuple(_explicit_traffic(svc)))
                for name, svc in config.services.items()
            },
        }
        self.named_by_cidr = {cidr: name for name, cidr in config.named_cidrs.items()}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(f"{CONFIG_KEY}.{path}", message))

    # -- traffic and peers -------------------------------------------------------------

    def traffic_of(
        self, rule: SecurityGroupRuleConfig | AclRuleConfig, path: str
    ) -> list[tuple[str, Traffic]]:
        """(label, traffic) pairs: a service may need several protocols."""
        if rule.service is None:
            traffic = _explicit_traffic(rule)
            return [(str(t), t) for t in traffic]
        service = self.services.get(rule.service)
        if service is None:
            close = difflib.get_close_matches(rule.service, self.services, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(
                f"{path}.service",
                f"unknown service {rule.service!r}{hint}; known services: "
                f"{', '.join(sorted(self.services))}, or add it under services",
            )
            return []
        if len(service.traffic) == 1:
            return [(service.label, service.traffic[0])]
        return [(f"{service.label} ({_proto_label(t)})", t) for t in service.traffic]

    def named_cidr(self, name: str, path: str) -> IPNetwork | None:
        if name in self.config.named_cidrs:
            return self.config.named_cidrs[name]
        known = ", ".join(sorted(self.config.named_cidrs)) or "none defined"
        self.problem(f"{path}.named_cidr", f"unknown named CIDR {name!r}; named_cidrs: {known}")
        return None

    def sg_peers(self, rule: SecurityGroupRuleConfig, tier: str, path: str) -> list[PlanPeer]:
        if rule.internet is not None:
            return [
                CidrPeer(INTERNET[version])
                for version in (4, 6)
                if rule.internet in (f"ipv{version}", "dual")
            ]
        if rule.cidr is not None:
            return [CidrPeer(rule.cidr)]
        if rule.named_cidr is not None:
            network = self.named_cidr(rule.named_cidr, path)
            return [CidrPeer(network)] if network is not None else []
        if rule.tier is not None:
            if rule.tier not in self.config.tiers:
                self.problem(
                    f"{path}.tier",
                    f"unknown tier {rule.tier!r}; tiers: {', '.join(sorted(self.config.tiers))}",
                )
                return []
            return [TierPeer(rule.tier, is_self=rule.tier == tier)]
        if rule.security_group_id is not None:
            return [SecurityGroupPeer(rule.security_group_id)]
        if rule.prefix_list_id is not None:
            return [PrefixListPeer(rule.prefix_list_id)]
        return [TierPeer(tier, is_self=True)]

    # -- security groups ---------------------------------------------------------------

    def tier_rules(self, name: str, tier: TierConfig) -> list[PlannedSgRule]:
        rules: list[PlannedSgRule] = []
        for direction, declared in (
            (Direction.INGRESS, tier.ingress),
            (Direction.EGRESS, tier.egress),
        ):
            word = "from" if direction is Direction.INGRESS else "to"
            for index, rule in enumerate(declared):
                path = f"tiers.{name}.{direction.value}[{index}]"
                for label, traffic in self.traffic_of(rule, path):
                    for peer in self.sg_peers(rule, name, path):
                        description = rule.description or (
                            f"{label} {word} {_peer_text(peer, self.named_by_cidr)}"
                        )
                        rules.append(
                            self.sg_rule(
                                name,
                                direction=direction,
                                traffic=traffic,
                                peer=peer,
                                description=description,
                                origin=path,
                            )
                        )
        return rules

    def sg_rule(
        self,
        tier: str,
        *,
        direction: Direction,
        traffic: Traffic,
        peer: PlanPeer,
        description: str,
        origin: str,
        automatic: bool = False,
    ) -> PlannedSgRule:
        word = "in" if direction is Direction.INGRESS else "out"
        return PlannedSgRule(
            name=f"{self.config.name}-{tier}-{word}-{traffic.key}-{_peer_key(peer)}",
            tier=tier,
            direction=direction,
            traffic=traffic,
            peer=peer,
            description=description,
            origin=origin,
            automatic=automatic,
        )

    def auto_egress(
        self, declared: Mapping[str, list[PlannedSgRule]]
    ) -> dict[str, list[PlannedSgRule]]:
        """For every ingress from tier A into tier B, A's egress to B on the same traffic."""
        extra: dict[str, list[PlannedSgRule]] = {name: [] for name in declared}
        for target, rules in declared.items():
            for rule in rules:
                if rule.direction is not Direction.INGRESS or not isinstance(rule.peer, TierPeer):
                    continue
                source = rule.peer.tier
                wanted = self.config.tiers[source].auto_egress
                if not (self.config.auto_egress if wanted is None else wanted):
                    continue
                peer = TierPeer(target, is_self=rule.peer.is_self)
                label = (
                    rule.description.split(" from ")[0]
                    if " from " in rule.description
                    else str(rule.traffic)
                )
                description = f"{label} to {peer} (automatic, matches its ingress)"
                if len(description) > MAX_DESCRIPTION_LENGTH:
                    room = MAX_DESCRIPTION_LENGTH - (len(description) - len(label))
                    self.problem(
                        f"{rule.origin}.description",
                        f"is too long for the automatic egress rule it implies on tier "
                        f"{source!r} ({len(description)} characters, EC2 allows "
                        f"{MAX_DESCRIPTION_LENGTH}); keep the part before ' from ' within "
                        f"{room} characters, or set auto_egress: false on tier {source!r}",
                    )
                extra[source].append(
                    self.sg_rule(
                        source,
                        direction=Direction.EGRESS,
                        traffic=rule.traffic,
                        peer=peer,
                        description=description,
                        origin=rule.origin,
                        automatic=True,
                    )
                )
        return extra

    def check_sg_duplicates(self, rules: list[PlannedSgRule]) -> list[PlannedSgRule]:
        """Declared duplicates are errors (EC2 rejects them); automatic ones merge silently."""
        kept: dict[str, PlannedSgRule] = {}
        for rule in rules:
            if rule.name not in kept:
                kept[rule.name] = rule
            elif not rule.automatic and not kept[rule.name].automatic:
                first = kept[rule.name]
                self.problem(
                    rule.origin,
                    f"duplicates {first.origin}: both allow {rule.traffic} "
                    f"{'from' if rule.direction is Direction.INGRESS else 'to'} {rule.peer}; "
                    "EC2 refuses duplicate rules",
                )
        return list(kept.values())

    def check_sg_quota(self, tier: str, rules: Iterable[PlannedSgRule]) -> None:
        quota = self.config.quotas.security_group_rules
        weights = self.config.quotas.prefix_list_weights
        counts: Counter[tuple[Direction, int]] = Counter()
        for rule in rules:
            peer = rule.peer
            if isinstance(peer, CidrPeer):
                counts[rule.direction, peer.network.version] += 1
                continue
            weight = weights.get(peer.prefix_list, 1) if isinstance(peer, PrefixListPeer) else 1
            for version in (4, 6):  # references count in both families, to be safe
                counts[rule.direction, version] += weight
        for (direction, version), count in sorted(counts.items()):
            if count > quota:
                self.problem(
                    f"tiers.{tier}.{direction.value}",
                    f"plans {count} IPv{version} {direction.value} rules (automatic ones "
                    f"included); the quota is {quota} per direction and address family "
                    "(quotas.security_group_rules; raise it only if AWS raised yours)",
                )

    # -- network ACLs ------------------------------------------------------------------

    def acl_entries(self, name: str, acl: NetworkAclConfig) -> list[PlannedAclEntry]:
        entries: list[PlannedAclEntry] = []
        for egress, declared in ((False, acl.ingress), (True, acl.egress)):
            direction = "egress" if egress else "ingress"
            used: dict[int, str] = {}
            for index, rule in enumerate(declared):
                path = f"network_acls.{name}.{direction}[{index}]"
                if rule.rule in used:
                    self.problem(
                        f"{path}.rule",
                        f"rule {rule.rule} is already used by {used[rule.rule]}; rule numbers "
                        "must be unique per direction",
                    )
                    continue
                used[rule.rule] = f"network_acls.{name}.{direction}[{index}]"
                entry = self.acl_entry(rule, egress, path)
                if entry is not None:
                    word = "out" if egress else "in"
                    entries.append(
                        PlannedAclEntry(
                            f"{self.config.name}-{name}-{word}-{rule.rule}", name, entry, path
                        )
                    )
        if acl.return_traffic:
            entries.extend(self.return_entries(name, entries))
        return entries

    def acl_entry(self, rule: AclRuleConfig, egress: bool, path: str) -> AclEntry | None:
        traffic = self.traffic_of(rule, path)
        if len(traffic) > 1:
            self.problem(
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
            cidr = self.named_cidr(rule.named_cidr or "", path)
        if cidr is None:
            return None
        return AclEntry(rule.rule, egress, AclAction(rule.action), traffic[0][1], cidr)

    def return_entries(self, acl: str, entries: list[PlannedAclEntry]) -> list[PlannedAclEntry]:
        """The stateless return path for every allowed TCP/UDP flow, unless already allowed."""
        ephemeral = self.config.ephemeral_ports
        current = [p.entry for p in entries]
        added: list[PlannedAclEntry] = []
        numbers = {(e.egress, e.number) for e in current}
        next_number = {False: self.config.return_rule_base, True: self.config.return_rule_base}
        for planned in sorted(entries, key=lambda p: (p.entry.egress, p.entry.number)):
            entry = planned.entry
            if entry.action is not AclAction.ALLOW:
                continue
            if is_return_rule(entry, ephemeral):
                continue  # this entry already is a return path for the other direction
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
                    self.problem(
                        f"network_acls.{acl}",
                        "no free rule number left for automatic return rules at or above "
                        f"return_rule_base={self.config.return_rule_base}; lower it",
                    )
                    return added
                numbers.add((want.egress, number))
                next_number[want.egress] = number + 1
                ret = AclEntry(number, want.egress, AclAction.ALLOW, want.traffic, want.cidr)
                current.append(ret)
                word = "out" if ret.egress else "in"
                added.append(
                    PlannedAclEntry(
                        name=f"{self.config.name}-{acl}-{word}-{number}",
                        acl=acl,
                        entry=ret,
                        origin=planned.origin,
                        automatic=True,
                        note=f"return traffic for {'egress' if entry.egress else 'ingress'} "
                        f"rule {entry.number}",
                    )
                )
        return added

    def check_acl_quota(self, name: str, entries: Iterable[PlannedAclEntry]) -> None:
        quota = self.config.quotas.network_acl_rules
        counts = Counter((p.entry.egress, p.entry.cidr.version) for p in entries)
        for (egress, version), count in sorted(counts.items()):
            if count + 1 > quota:
                direction = "egress" if egress else "ingress"
                self.problem(
                    f"network_acls.{name}.{direction}",
                    f"plans {count} IPv{version} {direction} entries plus the implicit deny "
                    f"= {count + 1}; the quota is {quota} (quotas.network_acl_rules, at most 40)",
                )

    # -- VPC and subnets ---------------------------------------------------------------

    def subnets(self) -> list[PlannedSubnet]:
        vpc = self.config.vpc
        groups = self.config.subnet_groups
        if not vpc.create:
            planned: list[PlannedSubnet] = []
            for name, group in groups.items():
                if group.cidrs is not None:
                    self.problem(
                        f"subnet_groups.{name}.cidrs",
                        "only for a VPC tierguard creates; give subnet_ids",
                    )
                if not group.subnet_ids:
                    self.problem(
                        f"subnet_groups.{name}.subnet_ids",
                        f"is required: vpc.id {vpc.id!r} is an existing VPC",
                    )
                    continue
                planned.extend(
                    PlannedSubnet(f"{name}-{sid}", name, group.public, subnet_id=sid)
                    for sid in group.subnet_ids
                )
            return planned
        assert vpc.cidr is not None  # guaranteed by VpcConfig
        zones = self.zones(vpc.availability_zones, vpc.az_count)
        taken: list[IPNetwork] = []
        explicit: dict[str, list[IPNetwork]] = {}
        for name, group in groups.items():
            if group.subnet_ids is not None:
                self.problem(
                    f"subnet_groups.{name}.subnet_ids",
                    "only with an existing vpc.id; tierguard creates these subnets",
                )
            if group.cidrs is None:
                continue
            if len(group.cidrs) != len(zones):
                self.problem(
                    f"subnet_groups.{name}.cidrs",
                    f"gives {len(group.cidrs)} blocks for {len(zones)} availability zones "
                    f"({', '.join(zones)})",
                )
            for index, cidr in enumerate(group.cidrs):
                if cidr.version != 4 or not cidr.subnet_of(vpc.cidr):  # type: ignore[arg-type]
                    self.problem(
                        f"subnet_groups.{name}.cidrs[{index}]",
                        f"{cidr} is not inside the VPC block {vpc.cidr}",
                    )
                elif any(cidr.overlaps(t) for t in taken):
                    self.problem(
                        f"subnet_groups.{name}.cidrs[{index}]", f"{cidr} overlaps another subnet"
                    )
                taken.append(cidr)
            explicit[name] = list(group.cidrs)
        created: list[PlannedSubnet] = []
        for name, group in groups.items():
            blocks = explicit.get(name)
            if blocks is None:
                length = group.prefix_length or min(vpc.cidr.prefixlen + 8, 28)
                blocks = self.allocate(vpc.cidr, length, len(zones), taken, f"subnet_groups.{name}")
            created.extend(
                PlannedSubnet(
                    f"{name}-{zone}", name, group.public, availability_zone=zone, cidr=block
                )
                for zone, block in zip(zones, blocks, strict=False)
            )
        return created

    def zones(self, named: Sequence[str] | None, count: int) -> list[str]:
        """The zones subnets go to: the named ones (each once, all in the region), else the
        region's first ``count``."""
        available = self.available_zones
        valid = f"valid: {', '.join(available)}" if available else ""
        if named is not None:
            seen: set[str] = set()
            for index, zone in enumerate(named):
                path = f"vpc.availability_zones[{index}]"
                if zone in seen:
                    self.problem(
                        path,
                        f"{zone!r} is listed twice; each zone holds one subnet per group "
                        "(a second would repeat its name and URN)",
                    )
                elif available is not None and zone not in available:
                    self.problem(
                        path, f"{zone!r} is not an availability zone of {self.region}; {valid}"
                    )
                elif available is None and not zone.startswith(self.region):
                    self.problem(path, f"{zone!r} is not in region {self.region}")
                seen.add(zone)
            return list(dict.fromkeys(named))
        if available is None:
            self.problem(
                "vpc.az_count",
                f"tierguard does not know the zones of region {self.region!r}; list them in "
                "vpc.availability_zones",
            )
            return []
        if count > len(available):
            self.problem(
                "vpc.az_count",
                f"{count} zones asked, but {self.region} has {len(available)} ({valid}); give "
                f"at most {len(available)} or list vpc.availability_zones",
            )
        return list(available[:count])

    def allocate(
        self, vpc: IPNetwork, length: int, count: int, taken: list[IPNetwork], path: str
    ) -> list[IPNetwork]:
        if length < vpc.prefixlen:
            self.problem(f"{path}.prefix_length", f"/{length} is larger than the VPC block {vpc}")
            return []
        found: list[IPNetwork] = []
        for candidate in vpc.subnets(new_prefix=length):
            if len(found) == count:
                break
            if not any(candidate.overlaps(t) for t in taken):
                found.append(candidate)
                taken.append(candidate)
        if len(found) < count:
            self.problem(path, f"no room left in {vpc} for {count} more /{length} subnets")
        return found

    # -- the whole network -------------------------------------------------------------

    def build(self) -> NetworkPlan:
        config = self.config
        subnets = self.subnets()
        groups = set(config.subnet_groups)
        for name, tier in config.tiers.items():
            if tier.subnet_group is not None and tier.subnet_group not in groups:
                self.problem(
                    f"tiers.{name}.subnet_group",
                    f"unknown subnet group {tier.subnet_group!r}; subnet_groups: {_names(groups)}",
                )
        declared = {name: self.tier_rules(name, tier) for name, tier in config.tiers.items()}
        automatic = self.auto_egress(declared)
        tiers: dict[str, TierPlan] = {}
        for name, tier in config.tiers.items():
            rules = self.check_sg_duplicates(declared[name] + automatic[name])
            self.check_sg_quota(name, rules)
            user_tags = len({**config.tags, **tier.tags})
            if user_tags > MAX_USER_TAGS:
                self.problem(
                    f"tiers.{name}.tags",
                    f"{user_tags} tags with the network's; EC2 allows {MAX_TAGS} per resource "
                    f"and tierguard adds {MAX_TAGS - MAX_USER_TAGS} (Name, tierguard:…), so at "
                    f"most {MAX_USER_TAGS}",
                )
            tiers[name] = TierPlan(
                name=name,
                resource_name=f"{config.name}-{name}",
                description=tier.description or f"{name} tier of {config.name} (tierguard)",
                subnet_group=tier.subnet_group,
                rules=tuple(rules),
                tags=dict(tier.tags),
            )
        acls: dict[str, AclPlan] = {}
        owner: dict[str, str] = {}
        for name, acl in config.network_acls.items():
            for index, group in enumerate(acl.subnet_groups):
                path = f"network_acls.{name}.subnet_groups[{index}]"
                if group not in groups:
                    self.problem(
                        path,
                        f"unknown subnet group {group!r}; subnet_groups: {_names(groups)}",
                    )
                elif group in owner:
                    self.problem(
                        path,
                        f"subnet group {group!r} already uses ACL {owner[group]!r}; a subnet has "
                        "exactly one network ACL",
                    )
                else:
                    owner[group] = name
            entries = self.acl_entries(name, acl)
            self.check_acl_quota(name, entries)
            acls[name] = AclPlan(
                name, f"{config.name}-{name}", tuple(acl.subnet_groups), tuple(entries)
            )
        if self.problems:
            raise ConfigError(self.problems)
        return NetworkPlan(
            name=config.name,
            stack=self.stack,
            create_vpc=config.vpc.create,
            vpc_id=config.vpc.id,
            vpc_cidr=config.vpc.cidr,
            manage_default_security_group=config.vpc.create
            and config.vpc.manage_default_security_group,
            subnets=tuple(subnets),
            tiers=tiers,
            acls=acls,
            tags=dict(config.tags),
            named_cidrs=dict(config.named_cidrs),
            ephemeral_ports=config.ephemeral_ports,
        )


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _proto_label(traffic: Traffic) -> str:
    return str(traffic).split(" ")[0]


def _explicit_traffic(rule: SecurityGroupRuleConfig | AclRuleConfig | object) -> Iterator[Traffic]:
    protocol = getattr(rule, "protocol", None)
    if protocol is None:
        return
    ports: PortRange | None = getattr(rule, "ports", None)
    icmp = None
    if is_icmp(protocol):
        icmp_type = getattr(rule, "icmp_type", None)
        icmp_code = getattr(rule, "icmp_code", None)
        icmp = IcmpMatch(
            -1 if icmp_type is None else icmp_type, -1 if icmp_code is None else icmp_code
        )
    yield Traffic.of(protocol, ports, icmp) if protocol != ALL else Traffic.of(ALL)


def build_plan(
    config: NetworkConfig, *, region: str, stack: str, zones: Sequence[str] | None = None
) -> NetworkPlan:
    """Expand ``config`` into the plan, or raise ``ConfigError`` listing every problem.

    ``zones`` are the region's availability zones as the account reports them
    (``aws.get_availability_zones``); without them the table of
    ``tierguard.config.zones`` is used.
    """
    return _Planner(config, region=region, stack=stack, zones=zones).build()
