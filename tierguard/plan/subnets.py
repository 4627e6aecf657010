"""The subnets a network has: created ones (per group and zone, blocks given or
allocated from the VPC's) or existing ones by id, and the zones they go to."""

from __future__ import annotations

from collections.abc import Sequence

from tierguard.plan.expansion import Expansion
from tierguard.plan.model import PlannedSubnet
from tierguard.rules import IPNetwork


def plan_subnets(x: Expansion) -> list[PlannedSubnet]:
    vpc = x.config.vpc
    groups = x.config.subnet_groups
    if not vpc.create:
        planned: list[PlannedSubnet] = []
        for name, group in groups.items():
            if group.cidrs is not None:
                x.problem(
                    f"subnet_groups.{name}.cidrs",
                    "only for a VPC tierguard creates; give subnet_ids",
                )
            if not group.subnet_ids:
                x.problem(
                    f"subnet_groups.{name}.subnet_ids",
                    f"is required: vpc.id {vpc.id!r} is an existing VPC",
                )
                continue
            planned.extend(
                PlannedSubnet(x.names.subnet_key(name, sid), name, group.public, subnet_id=sid)
                for sid in group.subnet_ids
            )
        return planned
    assert vpc.cidr is not None  # guaranteed by VpcConfig
    zones = placed_zones(x, vpc.availability_zones, vpc.az_count)
    taken: list[IPNetwork] = []
    explicit: dict[str, list[IPNetwork]] = {}
    for name, group in groups.items():
        if group.subnet_ids is not None:
            x.problem(
                f"subnet_groups.{name}.subnet_ids",
                "only with an existing vpc.id; tierguard creates these subnets",
            )
        if group.cidrs is None:
            continue
        if len(group.cidrs) != len(zones):
            x.problem(
                f"subnet_groups.{name}.cidrs",
                f"gives {len(group.cidrs)} blocks for {len(zones)} availability zones "
                f"({', '.join(zones)})",
            )
        for index, cidr in enumerate(group.cidrs):
            if cidr.version != 4 or not cidr.subnet_of(vpc.cidr):  # type: ignore[arg-type]
                x.problem(
                    f"subnet_groups.{name}.cidrs[{index}]",
                    f"{cidr} is not inside the VPC block {vpc.cidr}",
                )
            elif any(cidr.overlaps(t) for t in taken):
                x.problem(f"subnet_groups.{name}.cidrs[{index}]", f"{cidr} overlaps another subnet")
            taken.append(cidr)
        explicit[name] = list(group.cidrs)
    created: list[PlannedSubnet] = []
    for name, group in groups.items():
        blocks = explicit.get(name)
        if blocks is None:
            length = group.prefix_length or min(vpc.cidr.prefixlen + 8, 28)
            blocks = allocate(x, vpc.cidr, length, len(zones), taken, f"subnet_groups.{name}")
        created.extend(
            PlannedSubnet(
                x.names.subnet_key(name, zone),
                name,
                group.public,
                availability_zone=zone,
                cidr=block,
            )
            for zone, block in zip(zones, blocks, strict=False)
        )
    return created


def placed_zones(x: Expansion, named: Sequence[str] | None, count: int) -> list[str]:
    """The zones subnets go to: the named ones (each once, all in the region), else the
    region's first ``count``."""
    available = x.available_zones
    valid = f"valid: {', '.join(available)}" if available else ""
    if named is not None:
        seen: set[str] = set()
        for index, zone in enumerate(named):
            path = f"vpc.availability_zones[{index}]"
            if zone in seen:
                x.problem(
                    path,
                    f"{zone!r} is listed twice; each zone holds one subnet per group "
                    "(a second would repeat its name and URN)",
                )
            elif available is not None and zone not in available:
                x.problem(path, f"{zone!r} is not an availability zone of {x.region}; {valid}")
            elif available is None and not zone.startswith(x.region):
                x.problem(path, f"{zone!r} is not in region {x.region}")
            seen.add(zone)
        return list(dict.fromkeys(named))
    if available is None:
        x.problem(
            "vpc.az_count",
            f"tierguard does not know the zones of region {x.region!r}; list them in "
            "vpc.availability_zones",
        )
        return []
    if count > len(available):
        x.problem(
            "vpc.az_count",
            f"{count} zones asked, but {x.region} has {len(available)} ({valid}); give "
            f"at most {len(available)} or list vpc.availability_zones",
        )
    return list(available[:count])


def allocate(
    x: Expansion, vpc: IPNetwork, length: int, count: int, taken: list[IPNetwork], path: str
) -> list[IPNetwork]:
    if length < vpc.prefixlen:
        x.problem(f"{path}.prefix_length", f"/{length} is larger than the VPC block {vpc}")
        return []
    found: list[IPNetwork] = []
    for candidate in vpc.subnets(new_prefix=length):
        if len(found) == count:
            break
        if not any(candidate.overlaps(t) for t in taken):
            found.append(candidate)
            taken.append(candidate)
    if len(found) < count:
        x.problem(path, f"no room left in {vpc} for {count} more /{length} subnets")
    return found
