"""A tier's security-group rules: one per traffic and peer a declaration means, the
egress each tier-to-tier ingress implies, and EC2's refusal of duplicates."""

from __future__ import annotations

from collections.abc import Mapping

from tierguard.config.schema import SecurityGroupRuleConfig, TierConfig
from tierguard.plan.expansion import Expansion
from tierguard.plan.model import PlannedSgRule, peer_text
from tierguard.rules import CidrPeer, Direction, Peer, PrefixListPeer, SecurityGroupPeer, SgRule
from tierguard.rules.addresses import INTERNET, canonical_cidr, family_name, is_internet
from tierguard.rules.descriptions import MAX_DESCRIPTION_LENGTH

#: A peer and whether it is a tier (its group named by the tier until it exists).
PlannedPeer = tuple[Peer, bool]


def planned_rule(
    x: Expansion, rule: SgRule, *, tier_peer: bool, origin: str, automatic: bool = False
) -> PlannedSgRule:
    return PlannedSgRule(
        name=x.names.sg_rule(rule, tier_peer=tier_peer),
        rule=rule,
        origin=origin,
        automatic=automatic,
        tier_peer=tier_peer,
    )


def peers(x: Expansion, rule: SecurityGroupRuleConfig, tier: str, path: str) -> list[PlannedPeer]:
    if rule.internet is not None:
        return [
            (CidrPeer(INTERNET[version]), False)
            for version in (4, 6)
            if rule.internet in (f"ipv{version}", "dual")
        ]
    if rule.cidr is not None:
        return [(CidrPeer(rule.cidr), False)]
    if rule.named_cidr is not None:
        network = x.named_cidr(rule.named_cidr, path)
        return [(CidrPeer(network), False)] if network is not None else []
    if rule.tier is not None:
        if rule.tier not in x.config.tiers:
            x.problem(
                f"{path}.tier",
                f"unknown tier {rule.tier!r}; tiers: {', '.join(sorted(x.config.tiers))}",
            )
            return []
        return [(SecurityGroupPeer(rule.tier, is_self=rule.tier == tier), True)]
    if rule.security_group_id is not None:
        return [(SecurityGroupPeer(rule.security_group_id), False)]
    if rule.prefix_list_id is not None:
        return [(PrefixListPeer(rule.prefix_list_id), False)]
    return [(SecurityGroupPeer(tier, is_self=True), True)]


def _described_peer(x: Expansion, rule: SgRule, *, tier_peer: bool) -> str:
    """The peer as a generated description names it (the internet, named CIDRs by name)."""
    peer = rule.peer
    if isinstance(peer, CidrPeer):
        if is_internet(peer.network):
            return f"the internet ({family_name(peer.network)})"
        text = canonical_cidr(peer.network)
        name = x.named_by_cidr.get(peer.network)
        return f"{name} ({text})" if name else text
    return peer_text(rule, tier_peer=tier_peer)


def tier_rules(x: Expansion, name: str, tier: TierConfig) -> list[PlannedSgRule]:
    rules: list[PlannedSgRule] = []
    for direction, declared in (
        (Direction.INGRESS, tier.ingress),
        (Direction.EGRESS, tier.egress),
    ):
        for index, config in enumerate(declared):
            path = f"tiers.{name}.{direction.value}[{index}]"
            for label, traffic in x.traffic_of(config, path):
                for peer, tier_peer in peers(x, config, name, path):
                    rule = SgRule(name, direction, traffic, peer)
                    description = config.description or (
                        f"{label} {direction.preposition} "
                        f"{_described_peer(x, rule, tier_peer=tier_peer)}"
                    )
                    rules.append(
                        planned_rule(
                            x,
                            SgRule(name, direction, traffic, peer, description),
                            tier_peer=tier_peer,
                            origin=path,
                        )
                    )
    return rules


def auto_egress(
    x: Expansion, declared: Mapping[str, list[PlannedSgRule]]
) -> dict[str, list[PlannedSgRule]]:
    """For every ingress from tier A into tier B, A's egress to B on the same traffic."""
    extra: dict[str, list[PlannedSgRule]] = {name: [] for name in declared}
    for target, planned in declared.items():
        for ingress in planned:
            source = ingress.peer_tier
            if ingress.rule.direction is not Direction.INGRESS or source is None:
                continue
            wanted = x.config.tiers[source].auto_egress
            if not (x.config.auto_egress if wanted is None else wanted):
                continue
            assert isinstance(ingress.rule.peer, SecurityGroupPeer)  # a tier peer is a group
            egress = SgRule(
                source,
                Direction.EGRESS,
                ingress.rule.traffic,
                SecurityGroupPeer(target, is_self=ingress.rule.peer.is_self),
            )
            label = (
                ingress.description.split(" from ")[0]
                if " from " in ingress.description
                else str(ingress.rule.traffic)
            )
            description = (
                f"{label} to {peer_text(egress, tier_peer=True)} (automatic, matches its ingress)"
            )
            if len(description) > MAX_DESCRIPTION_LENGTH:
                room = MAX_DESCRIPTION_LENGTH - (len(description) - len(label))
                x.problem(
                    f"{ingress.origin}.description",
                    f"is too long for the automatic egress rule it implies on tier "
                    f"{source!r} ({len(description)} characters, EC2 allows "
                    f"{MAX_DESCRIPTION_LENGTH}); keep the part before ' from ' within "
                    f"{room} characters, or set auto_egress: false on tier {source!r}",
                )
            extra[source].append(
                planned_rule(
                    x,
                    SgRule(source, egress.direction, egress.traffic, egress.peer, description),
                    tier_peer=True,
                    origin=ingress.origin,
                    automatic=True,
                )
            )
    return extra


def without_duplicates(x: Expansion, rules: list[PlannedSgRule]) -> list[PlannedSgRule]:
    """Declared duplicates are errors (EC2 rejects them); automatic ones merge silently."""
    kept: dict[str, PlannedSgRule] = {}
    for planned in rules:
        if planned.name not in kept:
            kept[planned.name] = planned
        elif not planned.automatic and not kept[planned.name].automatic:
            first = kept[planned.name]
            rule = planned.rule
            x.problem(
                planned.origin,
                f"duplicates {first.origin}: both allow {rule.traffic} "
                f"{rule.direction.preposition} {peer_text(rule, tier_peer=planned.tier_peer)}; "
                "EC2 refuses duplicate rules",
            )
    return list(kept.values())
