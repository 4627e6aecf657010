"""The dev stack deployed in moto with two instances per tier, and traffic meant for it.

The intents are written from the stack file's own words (``Pulumi.dev.yaml``): what each
should use or hit comes from there, never from the attribution under test.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from tests.audit.builders import Account, deploy
from tierguard.audit.collect import collect
from tierguard.deployed import tags as tag
from tierguard.deployed.inventory import RegionInventory
from tierguard.plan import NetworkPlan
from tierguard.usage.generate import Endpoint, Intent, Outcome

TCP, ICMP = 6, 1


@dataclass(frozen=True)
class Deployed:
    inventory: RegionInventory
    group_ids: Mapping[str, str]
    """Tier → ``sg-…``."""
    endpoints: Mapping[str, tuple[Endpoint, ...]]
    """Tier → its instances' interfaces."""
    rule_ids: Mapping[str, str]
    """Planned rule name (its ``Name`` tag) → ``sgr-…``."""
    acl_id: str


def deploy_with_instances(account: Account, plan: NetworkPlan) -> Deployed:
    ids = deploy(account, plan)
    for tier in plan.tiers.values():
        assert tier.subnet_group is not None
        for subnet in plan.subnets_in(tier.subnet_group):
            account.instance(ids[subnet.key], [ids[tier.name]])
    inventory = collect([account.region], endpoint_url=account.endpoint_url).regions[0]
    tier_of = {ids[name]: name for name in plan.tiers}
    endpoints: dict[str, list[Endpoint]] = {name: [] for name in plan.tiers}
    for eni in sorted(inventory.interfaces, key=lambda e: e.id):
        for group in eni.groups:
            if group in tier_of and eni.private_address is not None:
                endpoints[tier_of[group]].append(Endpoint(eni.private_address, eni.id))
    rule_ids = {
        rule.tags["Name"]: rule.id
        for group in inventory.groups
        if group.tags.get(tag.TIER)
        for rule in group.rules
        if "Name" in rule.tags
    }
    return Deployed(
        inventory,
        {name: ids[name] for name in plan.tiers},
        {k: tuple(v) for k, v in endpoints.items()},
        rule_ids,
        ids["acl:public"],
    )


def outside(*addresses: str) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(ipaddress.ip_address(a)) for a in addresses)


CUSTOMERS = outside(*(f"100.64.{n}.{h}" for n in (7, 9) for h in (10, 20, 30)))
ADMIN = outside("203.0.113.10")
BLOCKED = outside("198.51.100.7")
SCANNER = outside("45.33.32.156")


def dev_intents(at: Deployed, *, admin_sessions: int = 5) -> list[Intent]:
    """A day of the dev stack, from ``Pulumi.dev.yaml``.

    Name → the planned rules it should use (``rule names``) is kept in ``USES``.
    """
    e = at.endpoints
    intents = [
        Intent("customers", CUSTOMERS, e["alb"], TCP, 443, Outcome.ACCEPTED, 60),
        Intent("alb to web", e["alb"], e["web"], TCP, 80, Outcome.ACCEPTED, 40),
        Intent("web to app", e["web"], e["app"], TCP, 8080, Outcome.ACCEPTED, 30),
        Intent("app to database", e["app"], e["database"], TCP, 3306, Outcome.ACCEPTED, 20),
        # Rejected: the ACL's rule 50 blocks 198.51.100.0/24 before anything else.
        Intent("blocked range", BLOCKED, e["web"], TCP, 22, Outcome.DROPPED_AT_SERVER, 4),
        # 3389 passes the ACL's 1024-65535 entry but no group rule admits it.
        Intent("rdp probe", SCANNER, e["web"], TCP, 3389, Outcome.DROPPED_AT_SERVER, 3),
        # 23 matches no ACL entry: the implicit deny.
        Intent("telnet probe", SCANNER, e["alb"], TCP, 23, Outcome.DROPPED_AT_SERVER, 2),
        # Between tiers with no rule: web has no egress to the database (a missing rule).
        Intent("web to database", e["web"], e["database"], TCP, 3306, Outcome.DROPPED_AT_CLIENT, 3),
    ]
    if admin_sessions:
        intents.append(
            Intent("admin ssh", ADMIN, e["web"], TCP, 22, Outcome.ACCEPTED, admin_sessions)
        )
    return intents


#: Intent → the planned rules (by name) that admit its requests, from the stack file.
USES = {
    "customers": ("dev-alb-in-tcp-443-internet-ipv4",),
    "alb to web": ("dev-alb-out-tcp-80-tier-web", "dev-web-in-tcp-80-tier-alb"),
    "web to app": ("dev-web-out-tcp-8080-tier-app", "dev-app-in-tcp-8080-tier-web"),
    "app to database": ("dev-app-out-tcp-3306-tier-database", "dev-database-in-tcp-3306-tier-app"),
    "admin ssh": ("dev-web-in-tcp-22-203.0.113.0_24",),
}
