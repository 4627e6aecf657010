"""The tags tierguard puts on what it deploys, and finds it by again.

The components write them (``components/_common.py``); the driver's verification, the
audit's drift and the reachability of a state file read them. One spelling, here.
"""

from __future__ import annotations

from collections.abc import Mapping

NAME = "Name"
"""AWS's display name; on a rule, the plan's name for it (drift matches a rule edited in
place by it)."""
NETWORK = "tierguard:network"
STACK = "tierguard:stack"
TIER = "tierguard:tier"
"""On a security group: the tier it is."""
ACL = "tierguard:acl"
"""On a network ACL: its name in the plan."""
SUBNET_GROUP = "tierguard:subnet-group"
"""On a subnet: the subnet group it belongs to."""


def tags_for(
    base: Mapping[str, str],
    name: str,
    *,
    stack: str,
    network: str,
    tier: str | None = None,
    acl: str | None = None,
    subnet_group: str | None = None,
) -> dict[str, str]:
    """Tags in a fixed order: user tags, then the ones tierguard finds its resources by."""
    tags = {**base, NAME: name, NETWORK: network, STACK: stack}
    for key, value in ((TIER, tier), (ACL, acl), (SUBNET_GROUP, subnet_group)):
        if value is not None:
            tags[key] = value
    return tags


def is_managed(tags: Mapping[str, str], *, stack: str, network: str) -> bool:
    """Whether a resource carries the tags of this stack's network."""
    return tags.get(NETWORK) == network and tags.get(STACK) == stack
