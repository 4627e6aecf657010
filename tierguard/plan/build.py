"""The whole expansion: subnets, then each tier's rules (with the egress their peers'
ingress implies), then each ACL's entries; ``ConfigError`` lists every problem found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tierguard.config.schema import NetworkConfig
from tierguard.errors import ConfigError
from tierguard.plan.acls import acl_entries
from tierguard.plan.expansion import Expansion
from tierguard.plan.model import AclPlan, NetworkPlan, TierPlan
from tierguard.plan.quotas import check_acl_quota, check_sg_quota, check_tag_count
from tierguard.plan.security_groups import auto_egress, tier_rules, without_duplicates
from tierguard.plan.subnets import plan_subnets


def build_plan(
    config: NetworkConfig, *, region: str, stack: str, zones: Sequence[str] | None = None
) -> NetworkPlan:
    """Expand ``config`` into the plan, or raise ``ConfigError`` listing every problem.

    ``zones`` are the region's availability zones as the account reports them
    (``aws.get_availability_zones``); without them the table of
    ``tierguard.config.zones`` is used.
    """
    x = Expansion(config, region=region, stack=stack, zones=zones)
    subnets = plan_subnets(x)
    groups = set(config.subnet_groups)
    for name, tier in config.tiers.items():
        if tier.subnet_group is not None and tier.subnet_group not in groups:
            x.problem(
                f"tiers.{name}.subnet_group",
                f"unknown subnet group {tier.subnet_group!r}; subnet_groups: {_names(groups)}",
            )
    declared = {name: tier_rules(x, name, tier) for name, tier in config.tiers.items()}
    automatic = auto_egress(x, declared)
    tiers: dict[str, TierPlan] = {}
    for name, tier in config.tiers.items():
        rules = without_duplicates(x, declared[name] + automatic[name])
        check_sg_quota(x, name, rules)
        check_tag_count(x, f"tiers.{name}.tags", tier.tags)
        tiers[name] = TierPlan(
            name=name,
            resource_name=x.names.tier(name),
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
                x.problem(
                    path,
                    f"unknown subnet group {group!r}; subnet_groups: {_names(groups)}",
                )
            elif group in owner:
                x.problem(
                    path,
                    f"subnet group {group!r} already uses ACL {owner[group]!r}; a subnet has "
                    "exactly one network ACL",
                )
            else:
                owner[group] = name
        entries = acl_entries(x, name, acl)
        check_acl_quota(x, name, entries)
        acls[name] = AclPlan(name, x.names.acl(name), tuple(acl.subnet_groups), tuple(entries))
    if x.problems:
        raise ConfigError(x.problems)
    return NetworkPlan(
        name=config.name,
        stack=stack,
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
