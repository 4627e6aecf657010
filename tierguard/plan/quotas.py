"""EC2's per-resource limits, checked on the plan before anything is created: rules per
security group and direction and family, entries per network ACL, tags per resource."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from tierguard.config.schema import MAX_TAGS, MAX_USER_TAGS
from tierguard.plan.expansion import Expansion
from tierguard.plan.model import PlannedAclEntry, PlannedSgRule
from tierguard.rules import CidrPeer, Direction, PrefixListPeer


def check_sg_quota(x: Expansion, tier: str, rules: Iterable[PlannedSgRule]) -> None:
    quota = x.config.quotas.security_group_rules
    weights = x.config.quotas.prefix_list_weights
    counts: Counter[tuple[Direction, int]] = Counter()
    for planned in rules:
        rule = planned.rule
        peer = rule.peer
        if isinstance(peer, CidrPeer):
            counts[rule.direction, peer.network.version] += 1
            continue
        weight = weights.get(peer.prefix_list, 1) if isinstance(peer, PrefixListPeer) else 1
        for version in (4, 6):  # references count in both families, to be safe
            counts[rule.direction, version] += weight
    for (direction, version), count in sorted(counts.items()):
        if count > quota:
            x.problem(
                f"tiers.{tier}.{direction.value}",
                f"plans {count} IPv{version} {direction.value} rules (automatic ones "
                f"included); the quota is {quota} per direction and address family "
                "(quotas.security_group_rules; raise it only if AWS raised yours)",
            )


def check_acl_quota(x: Expansion, name: str, entries: Iterable[PlannedAclEntry]) -> None:
    quota = x.config.quotas.network_acl_rules
    counts = Counter((p.entry.egress, p.entry.cidr.version) for p in entries)
    for (egress, version), count in sorted(counts.items()):  # ingress first
        direction = Direction.EGRESS if egress else Direction.INGRESS
        if count + 1 > quota:
            x.problem(
                f"network_acls.{name}.{direction.value}",
                f"plans {count} IPv{version} {direction.value} entries plus the implicit deny "
                f"= {count + 1}; the quota is {quota} (quotas.network_acl_rules, at most 40)",
            )


def check_tag_count(x: Expansion, path: str, tags: Mapping[str, str]) -> None:
    """The user's tags and the network's together, plus the ones tierguard adds."""
    user_tags = len({**x.config.tags, **tags})
    if user_tags > MAX_USER_TAGS:
        x.problem(
            path,
            f"{user_tags} tags with the network's; EC2 allows {MAX_TAGS} per resource "
            f"and tierguard adds {MAX_TAGS - MAX_USER_TAGS} (Name, tierguard:…), so at "
            f"most {MAX_USER_TAGS}",
        )
