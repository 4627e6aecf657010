"""Security-group checks that need the whole stack: how groups are used, merged rule sets,
the tier chain, prefix-list contents, and agreement with the subnets' network ACLs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from pulumi_policy import EnforcementLevel, Severity

from tierguard.policies.base import Metadata, PolicyViolation, StackContext, TierguardStackPolicy
from tierguard.policies.common import entry_text, rule_text
from tierguard.policies.compliance import Compliance
from tierguard.policies.config import integer, port_list, string_list
from tierguard.policies.graph import AclView, GroupView, LocatedRule, StackView, known
from tierguard.rules import TCP, UDP, Direction, Packet, evaluate_acl
from tierguard.rules.acl import allowed_ports, is_return_rule, representative_address, uncovered
from tierguard.rules.addresses import IPNetwork, contains, is_internet
from tierguard.rules.exposure import (
    ADMIN_PORTS,
    DATA_STORE_PORTS,
    HIGH_RISK_PORTS,
    exposed_ports,
    opens_all_ports,
    ports_text,
)
from tierguard.rules.model import CidrPeer, PrefixListPeer, SecurityGroupPeer, SgRule
from tierguard.rules.normalize import (
    MANAGED_PREFIX_LIST,
    SECURITY_GROUP_RULE,
    UNKNOWN_REF,
    VPC,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
)


def _rule_text(located: LocatedRule) -> str:
    rule = located.rule
    return f"{rule.direction} rule {located.where} ({rule.flow})"


def _peer_covers(a: LocatedRule, b: LocatedRule) -> bool:
    pa, pb = a.rule.peer, b.rule.peer
    if isinstance(pa, CidrPeer) and isinstance(pb, CidrPeer):
        return contains(pa.network, pb.network)
    if isinstance(pa, SecurityGroupPeer) and isinstance(pb, SecurityGroupPeer):
        return bool(a.peer_groups) and a.peer_groups == b.peer_groups
    if isinstance(pa, PrefixListPeer) and isinstance(pb, PrefixListPeer):
        return pa.prefix_list == pb.prefix_list and pa.prefix_list != UNKNOWN_REF
    return False


# ----------------------------------------------------------------------------- redundancy


def _peer_key(located: LocatedRule) -> tuple[object, ...] | None:
    """What a covering peer must equal: the CIDR block, the resolved groups, the list."""
    peer = located.rule.peer
    if isinstance(peer, CidrPeer):
        return ("cidr", located.rule.direction, peer.network)
    if isinstance(peer, SecurityGroupPeer) and located.peer_groups:
        return ("group", located.rule.direction, located.peer_groups)
    if isinstance(peer, PrefixListPeer) and peer.prefix_list != UNKNOWN_REF:
        return ("list", located.rule.direction, peer.prefix_list)
    return None


def _peer_index(rules: Sequence[LocatedRule]) -> Callable[[LocatedRule], list[int]]:
    """For a rule, in order, the indexes of the rules whose peer may cover its peer (same
    direction; an equal group or list, or a CIDR block containing it): the rules a scan of
    every pair would find, looked up instead — a group's rules cost linear time, not
    quadratic. A block is looked up at each prefix length the group's blocks use."""
    by_key: dict[tuple[object, ...], list[int]] = defaultdict(list)
    lengths: dict[int, set[int]] = defaultdict(set)
    for index, located in enumerate(rules):
        key = _peer_key(located)
        if key is not None:
            by_key[key].append(index)
        if isinstance(located.rule.peer, CidrPeer):
            network = located.rule.peer.network
            lengths[network.version].add(network.prefixlen)

    def candidates(located: LocatedRule) -> list[int]:
        key = _peer_key(located)
        if key is None:
            return []
        peer = located.rule.peer
        if not isinstance(peer, CidrPeer):
            return by_key.get(key, [])
        network, found = peer.network, list[int]()
        for length in lengths[network.version]:
            if length <= network.prefixlen:
                outer = network.supernet(new_prefix=length)
                found.extend(by_key.get(("cidr", located.rule.direction, outer), ()))
        return sorted(found)

    return candidates


def check_redundant_rules(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for group in view.groups.values():
        candidates = _peer_index(group.rules)
        for index, rule in enumerate(group.rules):
            for other_index in candidates(rule):
                other = group.rules[other_index]
                if other_index == index or other.rule.direction is not rule.rule.direction:
                    continue
                if not (_peer_covers(other, rule) and other.rule.traffic.covers(rule.rule.traffic)):
                    continue
                same = _peer_covers(rule, other) and rule.rule.traffic.covers(other.rule.traffic)
                if same and other_index > index:
                    continue  # report a duplicate pair once, on the later rule
                kind = "duplicates" if same else "is already covered by"
                yield PolicyViolation(
                    f"security group {group.name}: {_rule_text(rule)} {kind} {_rule_text(other)}",
                    why="Redundant rules count against the rules-per-group quota (AWS rejects "
                    "exact duplicates at apply) and keep access alive after the broader rule "
                    "is narrowed.",
                    rule=rule_text(rule.rule),
                    urn=rule.resource.urn,
                    name=rule.resource.name,
                )
                break


# ----------------------------------------------------------------------------------- usage


def check_group_used(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for group in view.groups.values():
        if group.is_default or view.users(group):
            continue
        yield PolicyViolation(
            f"security group {group.name} is used by nothing in this stack: no resource names "
            "it, no other group's rule references it, and no stack output exports it",
            why="Unused groups accumulate rules nobody reviews and get attached by mistake later.",
            urn=group.key,
            name=group.name,
        )


def check_rule_management_conflicts(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for group in view.groups.values():
        for direction in Direction:
            separate = [r for r in group.rules if not r.inline and r.rule.direction is direction]
            if not separate or group.inline.get(direction.value, 0) <= 0:
                continue
            managed = {_key(r.rule) for r in separate}
            extra = [
                r
                for r in group.rules
                if r.inline and r.rule.direction is direction and _key(r.rule) not in managed
            ]
            if not extra:
                continue  # the inline list only mirrors the separate rules (outputs)
            resources = sorted({r.resource.name for r in separate})
            yield PolicyViolation(
                f"security group {group.name} declares inline {direction.value} rules and is "
                f"also the target of separate rule resources ({', '.join(resources)})",
                why="The provider treats inline rules as the complete set, so each apply "
                "removes the separate rules and the next one re-adds them: access flaps.",
                urn=separate[0].resource.urn,
                name=separate[0].resource.name,
            )
    for acl in view.acls.values():
        for egress in (False, True):
            key = "egress" if egress else "ingress"
            entries = [e for e in acl.entries if not e.inline and e.entry.egress == egress]
            if not entries or acl.inline.get(key, 0) <= 0:
                continue
            numbers = {e.entry.number for e in entries}
            unmanaged = [
                e
                for e in acl.entries
                if e.inline and e.entry.egress == egress and e.entry.number not in numbers
            ]
            if not unmanaged:
                continue
            resources = sorted({e.resource.name for e in entries})
            yield PolicyViolation(
                f"network ACL {acl.name} declares inline {key} entries and is also the target "
                f"of NetworkAclRule resources ({', '.join(resources)})",
                why="Inline entries are authoritative, so applies keep deleting and re-creating "
                "the separate ones.",
                urn=entries[0].resource.urn,
                name=entries[0].resource.name,
            )


def _key(rule: SgRule) -> tuple[str, str, str]:
    peer = rule.peer
    text = str(peer) if isinstance(peer, CidrPeer | PrefixListPeer) else "security group"
    return (rule.direction.value, str(rule.traffic), text)


def check_too_many_rules(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    limit = ctx.settings.integer("maxRules")
    for group in view.groups.values():
        for direction in Direction:
            count = sum(1 for r in group.rules if r.rule.direction is direction)
            if count > limit:
                yield PolicyViolation(
                    f"security group {group.name} has {count} {direction.value} rules (limit "
                    f"{limit})",
                    why="Large rule sets are unreviewable and close to the AWS quota of 60 per "
                    "direction and family (prefix lists count per entry).",
                    urn=group.key,
                    name=group.name,
                )


#: AWS: rules per group times groups per network interface may not exceed 1,000.
PER_INTERFACE_RULES = 1000


def _prefix_list_weights(entries: Iterable[str]) -> dict[str, int]:
    """``pl-…=N`` settings → weights (entries the pack config schema let through)."""
    weights: dict[str, int] = {}
    for entry in entries:
        name, _, number = entry.partition("=")
        if number.isdigit():
            weights[name.strip()] = int(number)
    return weights


def quota_counts(rules: Iterable[SgRule], weights: Mapping[str, int]) -> Counter[tuple[str, int]]:
    """Rules per (direction, IP version) as EC2 counts them: a CIDR counts once in its
    family; a group reference and a prefix list count in both families, a prefix list as
    its maximum entries (VPC quotas, "Security group size")."""
    counts: Counter[tuple[str, int]] = Counter()
    for rule in rules:
        peer = rule.peer
        if isinstance(peer, CidrPeer):
            counts[rule.direction.value, peer.network.version] += 1
            continue
        weight = weights.get(peer.prefix_list, 1) if isinstance(peer, PrefixListPeer) else 1
        for version in (4, 6):
            counts[rule.direction.value, version] += weight
    return counts


def check_rule_quota(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    quota = ctx.settings.integer("rulesPerGroup")
    per_interface = ctx.settings.integer("groupsPerInterface")
    weights = _prefix_list_weights(ctx.settings.strings("prefixListWeights"))
    if quota * per_interface > PER_INTERFACE_RULES:
        yield PolicyViolation(
            f"the configured quotas allow {quota} rules per group times {per_interface} groups per "
            f"network interface = {quota * per_interface}; AWS caps that product at "
            f"{PER_INTERFACE_RULES}",
            fix="Set rulesPerGroup and groupsPerInterface to the quotas your account really has.",
        )
    by_group = {
        key: quota_counts((r.rule for r in group.rules), weights)
        for key, group in view.groups.items()
    }
    for key, counts in by_group.items():
        group = view.groups[key]
        for (direction, version), count in sorted(counts.items()):
            if count > quota:
                yield PolicyViolation(
                    f"security group {group.name} has {count} IPv{version} {direction} rules as "
                    f"AWS counts them (a referenced group or prefix list counts in both "
                    f"families, a prefix list as its max entries); the quota is {quota}",
                    why="The apply would fail part-way.",
                    urn=group.key,
                    name=group.name,
                )
    for urn, groups in view.attachments.items():
        total: Counter[tuple[str, int]] = Counter()
        for key in groups:
            total.update(by_group.get(key, Counter()))
        for (direction, version), count in sorted(total.items()):
            if count > PER_INTERFACE_RULES:
                resource = view.by_urn[urn]
                yield PolicyViolation(
                    f"{resource.name} carries {count} IPv{version} {direction} rules across "
                    f"its {len(groups)} security groups; a network interface takes at most "
                    f"{PER_INTERFACE_RULES}",
                    why="The apply would fail part-way.",
                    fix="Use fewer or smaller groups.",
                    urn=urn,
                    name=resource.name,
                )


def check_groups_per_resource(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    limit = ctx.settings.integer("maxGroups")
    for urn, groups in view.attachments.items():
        if len(groups) <= limit:
            continue
        resource = view.by_urn[urn]
        names = sorted(view.groups[g].name for g in groups)
        yield PolicyViolation(
            f"{resource.name} ({resource.resource_type}) has {len(groups)} security groups "
            f"({', '.join(names)}), more than {limit}",
            why="AWS allows 5 per network interface by default, and the effective access is "
            "the union of all of them, which nobody can review.",
            urn=urn,
            name=resource.name,
        )


# ------------------------------------------------------------------------- address scope


def check_private_sources_within_vpc(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    fallback = ctx.settings.networks("vpcCidrs")
    approved = ctx.settings.networks("approvedCidrs")
    for group in view.groups.values():
        blocks = view.vpc_blocks(group) or fallback
        if not blocks:
            continue
        for located in group.rules:
            peer = located.rule.peer
            if not isinstance(peer, CidrPeer) or is_internet(peer.network):
                continue
            network = peer.network
            if not network.is_private or any(contains(a, network) for a in approved):
                continue
            wider = [b for b in blocks if contains(network, b) and network != b]
            if not wider:
                continue
            yield PolicyViolation(
                f"security group {group.name}: {_rule_text(located)} names {network}, which is "
                f"wider than the VPC ({', '.join(str(b) for b in wider)})",
                why="Everything else in that private range (peered VPCs, VPN and on-premises "
                "networks) gets the same access.",
                rule=rule_text(located.rule),
                urn=located.resource.urn,
                name=located.resource.name,
            )


# --------------------------------------------------------------------------- default group


def check_default_group_closed(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    managed_vpcs: set[str] = set()
    for group in view.groups.values():
        if not group.is_default:
            continue
        managed_vpcs.update(view.refs(group.resource, "vpcId", {VPC}) or ())
        if group.rules:
            listed = "; ".join(_rule_text(r) for r in group.rules[:5])
            yield PolicyViolation(
                f"default security group {group.name} has {len(group.rules)} rule(s): {listed}",
                why="Anything launched without an explicit group lands in the default group, "
                "so its rules apply to resources nobody designed them for.",
                urn=group.key,
                name=group.name,
            )
    if not ctx.settings.value("requireManaged"):
        return
    for vpc in view.of_type(VPC):
        if vpc.urn in managed_vpcs:
            continue
        yield PolicyViolation(
            f"VPC {vpc.name} does not manage its default security group",
            why="AWS creates it with allow-all traffic between its members and allow-all egress.",
            urn=vpc.urn,
            name=vpc.name,
        )


# ------------------------------------------------------------------------------ tier chain


def _tier_groups(view: StackView, tag: str) -> set[str]:
    tagged: set[str] = set()
    for group in view.groups.values():
        tags = known(group.resource.props, "tags")
        if isinstance(tags, Mapping) and tag in tags:
            tagged.add(group.key)
    return tagged or set(view.groups)


def check_data_store_tier_chain(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    ports = ctx.settings.ports("dataStorePorts")
    tiers = _tier_groups(view, str(ctx.settings.value("tierTagKey")))
    for group in view.groups.values():
        if group.is_default:
            continue  # aws-ec2-vpc-default-sg-closed reports any rule there
        for located in group.rules:
            rule = located.rule
            if rule.direction is not Direction.INGRESS:
                continue
            hit = exposed_ports(rule.traffic, ports, (TCP,))
            if not hit:
                continue
            peer = rule.peer
            if isinstance(peer, SecurityGroupPeer):
                if not located.peer_groups:
                    ctx.unknown(f"{located.where}: the referenced security group is unknown")
                    continue
                if all(g in tiers for g in located.peer_groups):
                    continue
                source = f"security group {peer.group}, which is not a declared tier"
            else:
                source = str(peer)
            yield PolicyViolation(
                f"security group {group.name}: {_rule_text(located)} makes data-store port(s) "
                f"{ports_text(hit)} reachable from {source}, not through a security-group "
                "reference from a declared tier",
                why="Addresses outlive the hosts they were meant for; only the tier chain "
                "(web → app → data) says who may reach the data.",
                rule=rule_text(rule),
                urn=located.resource.urn,
                name=located.resource.name,
            )


# ----------------------------------------------------------------- prefix-list resolution


def _prefix_entries(
    view: StackView, located: LocatedRule, peer: PrefixListPeer
) -> tuple[IPNetwork, ...] | None:
    if peer.prefix_list != UNKNOWN_REF:
        key = view.by_id.get(peer.prefix_list, peer.prefix_list)
        return view.prefix_lists.get(key, ())
    prop = {
        SECURITY_GROUP_RULE: "prefixListIds",
        VPC_INGRESS_RULE: "prefixListId",
        VPC_EGRESS_RULE: "prefixListId",
    }.get(located.resource.resource_type, located.path.split("[", 1)[0])
    deps = [
        d.urn
        for d in located.resource.property_dependencies.get(prop) or []
        if d.resource_type == MANAGED_PREFIX_LIST
    ]
    if not deps:
        return ()
    found: list[IPNetwork] = []
    for urn in deps:
        entries = view.prefix_lists.get(urn)
        if entries is None:
            return None
        found.extend(entries)
    return tuple(found)


def check_prefix_list_exposure(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    admin = ctx.settings.ports("adminPorts")
    risky = ctx.settings.ports("highRiskPorts")
    for group in view.groups.values():
        for located in group.rules:
            rule, peer = located.rule, located.rule.peer
            if rule.direction is not Direction.INGRESS or not isinstance(peer, PrefixListPeer):
                continue
            entries = _prefix_entries(view, located, peer)
            if entries is None:
                ctx.unknown(f"{located.where}: the entries of {peer} are unknown")
                continue
            open_to = [e for e in entries if is_internet(e)]
            if not open_to:
                continue
            problems: list[str] = []
            if opens_all_ports(rule.traffic):
                problems.append("all traffic")
            hit = exposed_ports(rule.traffic, (*admin, *risky), (TCP, UDP))
            if hit and not rule.traffic.is_all:
                problems.append(f"port(s) {ports_text(hit)}")
            if not problems:
                continue
            yield PolicyViolation(
                f"security group {group.name}: {_rule_text(located)} opens "
                f"{' and '.join(problems)} to the internet, because {peer} (defined in this "
                f"stack) contains {', '.join(str(e) for e in open_to)}",
                why="A prefix list is only as narrow as its entries.",
                rule=rule_text(rule),
                urn=located.resource.urn,
                name=located.resource.name,
            )


# ------------------------------------------------------------------ SG versus subnet ACLs


def check_sg_acl_consistency(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    if not view.acls:
        return
    by_subnet: dict[str, set[str]] = defaultdict(set)
    placed: set[str] = set()
    unplaced: set[str] = set()
    for urn, groups in view.attachments.items():
        subnets = view.subnets_of(view.by_urn[urn])
        (placed if subnets else unplaced).update(groups)
        for subnet in subnets:
            by_subnet[subnet].update(groups)
    for subnet, groups in by_subnet.items():
        acl = view.acl_of_subnet.get(subnet)
        if acl is None:
            continue  # the VPC's default ACL, which the stack does not manage
        members = [view.groups[g] for g in sorted(groups)]
        yield from _dead_sg_rules(acl, members, subnet, view)
        yield from _acl_without_sg(acl, members, subnet, view)
    undetermined = sorted(
        view.groups[g].name
        for g in unplaced - placed
        if any(r.rule.direction is Direction.INGRESS for r in view.groups[g].rules)
    )
    if undetermined:
        yield PolicyViolation(
            "could not determine which subnet's network ACL applies to security group(s) "
            f"{', '.join(undetermined)}: the resources using them name no subnet in this "
            "stack",
            why="SG/ACL agreement was not checked for them.",
            fix="(optional) Declare the instances/ENIs with their subnetId in this stack.",
        )


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    return contains(a, b) or contains(b, a)


def _subnet_label(view: StackView, subnet: str) -> str:
    resource = view.by_urn.get(subnet)
    return resource.name if resource else subnet


def _dead_sg_rules(
    acl: AclView, groups: list[GroupView], subnet: str, view: StackView
) -> Iterator[PolicyViolation]:
    for group in groups:
        for located in group.rules:
            rule, peer = located.rule, located.rule.peer
            if rule.direction is not Direction.INGRESS or not isinstance(peer, CidrPeer):
                continue
            if rule.traffic.protocol not in (TCP, UDP) or rule.traffic.ports is None:
                continue
            inner = [
                e.cidr
                for e in acl.acl_entries
                if contains(peer.network, e.cidr) and e.cidr != peer.network
            ]
            address = representative_address(peer.network, inner, public=is_internet(peer.network))
            if address is None:
                continue
            allowed = allowed_ports(
                acl.acl_entries, egress=False, protocol=rule.traffic.protocol, address=address
            )
            blocked = uncovered(rule.traffic.ports, allowed)
            if not blocked:
                continue
            decision = evaluate_acl(
                acl.acl_entries,
                egress=False,
                packet=Packet(rule.traffic.protocol, address, blocked[0].first),
            )
            located_entry = acl.located(decision.entry)
            by = located_entry.where if located_entry else "the implicit deny (*)"
            shown = ", ".join(str(b) for b in blocked[:4])
            yield PolicyViolation(
                f"security group {group.name}: {_rule_text(located)} opens port(s) {shown}, "
                f"but network ACL {acl.name} of subnet {_subnet_label(view, subnet)} blocks "
                f"them from {peer} ({by})",
                why="One of the two is wrong: the rule is dead, or the ACL breaks a flow the "
                "tier needs.",
                fix="Allow the flow in the ACL (with return traffic), or remove the "
                "security-group rule.",
                rule=rule_text(rule),
                urn=located.resource.urn,
                name=located.resource.name,
            )


def _acl_without_sg(
    acl: AclView, groups: list[GroupView], subnet: str, view: StackView
) -> Iterator[PolicyViolation]:
    for located in acl.entries:
        entry = located.entry
        traffic = entry.traffic
        if entry.egress or entry.action.value != "allow":
            continue
        if traffic.protocol not in (TCP, UDP) or traffic.ports is None or is_return_rule(entry):
            continue
        opened = False
        for group in groups:
            for rule in group.rules:
                if rule.rule.direction is not Direction.INGRESS:
                    continue
                if not rule.rule.traffic.overlaps(traffic):
                    continue
                peer = rule.rule.peer
                if not isinstance(peer, CidrPeer) or _overlap(peer.network, entry.cidr):
                    opened = True
        if opened:
            continue
        yield PolicyViolation(
            f"network ACL {acl.name}: {located.where} allows {traffic} in from {entry.cidr} to "
            f"subnet {_subnet_label(view, subnet)}, but no security group of the resources "
            "there opens it",
            why="Harmless today, but it is drift: the ACL no longer documents what the subnet "
            "serves.",
            fix="Remove the ACL entry, or add the security-group rule if the flow is intended.",
            rule=entry_text(entry),
            urn=acl.key,
            name=acl.name,
        )


# -------------------------------------------------------------------------------- policies

SG_REDUNDANT_RULES = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-no-redundant-rules",
        description="A security group should not hold duplicate rules, or rules another rule "
        "of the same group already covers, across inline and separate rule resources.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Delete the redundant rule.",
        topic="hygiene",
    ),
    check_redundant_rules,
)

SG_USED = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-attached",
        compliance=Compliance(
            security_hub=("EC2.22",),
            aws_config=("ec2-security-group-attached-to-eni-periodic",),
            checkov=("CKV2_AWS_5",),
            prowler=("ec2_securitygroup_not_used",),
        ),
        description="Every security group should be used: named by a resource, referenced by "
        "another group's rule, or exported. The default group is exempt.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Attach it where it is meant to apply, export it if another stack uses "
        "it, or delete it.",
        topic="hygiene",
    ),
    check_group_used,
)

SG_RULE_CONFLICTS = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-no-rule-management-conflicts",
        description="A security group (or default group, or network ACL) must not mix inline "
        "rules with separate rule resources: the provider keeps deleting one of them.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Manage a group's rules (or an ACL's entries) one way only: inline, or "
        "as separate rule resources, never both.",
    ),
    check_rule_management_conflicts,
)

SG_TOO_MANY_RULES = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-too-many-rules",
        compliance=Compliance(prowler=("ec2_securitygroup_with_many_ingress_egress_rules",)),
        description="A security group should not have more than maxRules rules per direction, "
        "counted across inline and separate rules.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Merge port ranges, reference security groups instead of many CIDRs, or "
        "use a managed prefix list.",
        parameters={"maxRules": integer("Most rules per direction.", 50, 1, 1000)},
        topic="hygiene",
    ),
    check_too_many_rules,
)

SG_RULE_QUOTA = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-rule-quota",
        description="Security group rules must fit AWS's quotas as AWS counts them: per "
        "group, direction and address family (references and prefix lists in both, prefix "
        "lists by max entries), and at most 1,000 per network interface.",
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation="Merge rules, or raise rulesPerGroup only if AWS raised your quota.",
        parameters={
            "rulesPerGroup": integer("Rules per group, direction and family.", 60, 1, 1000),
            "groupsPerInterface": integer("Security groups per network interface.", 5, 1, 16),
            "prefixListWeights": string_list(
                "Max entries of referenced prefix lists, as pl-…=N (others count 1).", []
            ),
        },
        topic="hygiene",
    ),
    check_rule_quota,
)

SG_PER_RESOURCE = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-max-groups-per-resource",
        description="A resource should not carry more than maxGroups security groups.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Merge the groups' purposes into fewer groups.",
        parameters={"maxGroups": integer("Most groups per resource.", 5, 1, 16)},
        topic="hygiene",
    ),
    check_groups_per_resource,
)

SG_PRIVATE_SCOPE = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-private-source-within-vpc",
        description="Private source/destination blocks should not be wider than the VPC "
        "(e.g. 10.0.0.0/8 for a 10.1.0.0/16 VPC).",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Use the VPC's block, the subnets' blocks, or better a security-group "
        "reference.",
        parameters={
            "vpcCidrs": string_list(
                "The VPC's blocks, used when the stack does not declare the VPC.", []
            ),
            "approvedCidrs": string_list("Private blocks that are fine however wide.", []),
        },
    ),
    check_private_sources_within_vpc,
)

SG_DEFAULT_CLOSED = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-vpc-default-sg-closed",
        compliance=Compliance(
            cis=("5.5",),
            security_hub=("EC2.2",),
            aws_config=("vpc-default-security-group-closed",),
            checkov=("CKV2_AWS_12",),
            prowler=("ec2_securitygroup_default_restrict_traffic",),
        ),
        description="Each VPC's default security group should be managed and have no rules.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.HIGH,
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<the VPC>) with no ingress "
        "and no egress, and give resources explicit groups.",
        parameters={
            "requireManaged": {
                "type": "boolean",
                "description": "Also report VPCs of this stack whose default group is not "
                "declared.",
                "default": True,
            }
        },
    ),
    check_default_group_closed,
)

SG_DATA_STORE_TIERS = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-data-store-via-tier-reference",
        description="Data-store ports (databases, caches, search, queues) should be reachable "
        "only through security-group references from declared tiers, never by address.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.HIGH,
        remediation="Replace the rule with one referencing the app tier's security group.",
        parameters={
            "dataStorePorts": port_list("Data-store ports.", DATA_STORE_PORTS),
            "tierTagKey": {
                "type": "string",
                "description": "Tag key marking a group as a declared tier; when no group "
                "of the stack has it, every group of the stack counts as a tier.",
                "default": "tierguard:tier",
            },
        },
    ),
    check_data_store_tier_chain,
)

SG_PREFIX_LIST_EXPOSURE = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-no-internet-via-prefix-list",
        description="A rule referencing a managed prefix list defined in the same stack is "
        "judged by the list's entries: a 0.0.0.0/0 or ::/0 entry makes admin, high-risk or "
        "all-port rules internet exposure.",
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation="Remove the /0 entry from the prefix list, or reference a list of the "
        "exact client ranges.",
        parameters={
            "adminPorts": port_list("Remote-administration ports.", ADMIN_PORTS),
            "highRiskPorts": port_list("High-risk ports.", HIGH_RISK_PORTS),
        },
    ),
    check_prefix_list_exposure,
)

SG_ACL_CONSISTENCY = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-sg-nacl-consistent",
        description="A port a security group opens should not be blocked by the subnet's "
        "network ACL (a dead rule or a broken flow), and an ACL should not allow what no "
        "security group in the subnet opens (drift).",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Make the ACL and the security groups describe the same flows.",
    ),
    check_sg_acl_consistency,
)
