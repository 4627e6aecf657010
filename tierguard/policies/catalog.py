"""Every policy of the pack, in the order the engine runs them.

The two ``tierguard-exempted-*`` reporters come last: they report the exempted findings
the policies before them handed over during the same request.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from tierguard.policies.acl import (
    ACL_ADMIN_PORTS,
    ACL_ALL_TRAFFIC,
    ACL_ATTACHED,
    ACL_HIGH_RISK_PORTS,
    ACL_RETURN_TRAFFIC,
    ACL_SHADOWED,
)
from tierguard.policies.base import EXEMPTED_RESOURCE_FINDINGS, EXEMPTED_STACK_FINDINGS
from tierguard.policies.descriptions import SG_GROUP_DESCRIPTION, SG_RULE_DESCRIPTIONS
from tierguard.policies.egress import SG_UNRESTRICTED_EGRESS
from tierguard.policies.exposure import (
    SG_ADMIN_PORTS,
    SG_ALL_TRAFFIC,
    SG_AUTHORIZED_PORTS,
    SG_HIGH_RISK_PORTS,
    SG_WIDE_PUBLIC_CIDR,
)
from tierguard.policies.intents import REACHABILITY_INTENTS
from tierguard.policies.stack import (
    SG_ACL_CONSISTENCY,
    SG_DATA_STORE_TIERS,
    SG_DEFAULT_CLOSED,
    SG_PER_RESOURCE,
    SG_PREFIX_LIST_EXPOSURE,
    SG_PRIVATE_SCOPE,
    SG_REDUNDANT_RULES,
    SG_RULE_CONFLICTS,
    SG_RULE_QUOTA,
    SG_TOO_MANY_RULES,
    SG_USED,
)

PACK_NAME = "tierguard"

ALL_POLICIES: list[Policy] = [
    # Security groups, per resource.
    SG_ADMIN_PORTS,
    SG_ALL_TRAFFIC,
    SG_HIGH_RISK_PORTS,
    SG_RULE_DESCRIPTIONS,
    SG_AUTHORIZED_PORTS,
    SG_WIDE_PUBLIC_CIDR,
    SG_UNRESTRICTED_EGRESS,
    SG_GROUP_DESCRIPTION,
    # Network ACLs, merged per ACL across the stack.
    ACL_ADMIN_PORTS,
    ACL_ALL_TRAFFIC,
    ACL_HIGH_RISK_PORTS,
    ACL_RETURN_TRAFFIC,
    ACL_ATTACHED,
    ACL_SHADOWED,
    # Security groups, across the stack.
    SG_PREFIX_LIST_EXPOSURE,
    SG_ACL_CONSISTENCY,
    SG_DATA_STORE_TIERS,
    SG_REDUNDANT_RULES,
    SG_USED,
    SG_RULE_CONFLICTS,
    SG_TOO_MANY_RULES,
    SG_RULE_QUOTA,
    SG_PER_RESOURCE,
    SG_PRIVATE_SCOPE,
    SG_DEFAULT_CLOSED,
    REACHABILITY_INTENTS,
    # Always last.
    EXEMPTED_RESOURCE_FINDINGS,
    EXEMPTED_STACK_FINDINGS,
]

#: The ``PolicyPack`` arguments besides the policies: ``policy/__main__.py`` serves the pack
#: with them, and ``tierguard check`` runs the same servicer in its own process.
PACK_OPTIONS: dict[str, Any] = {
    "name": PACK_NAME,
    "enforcement_level": EnforcementLevel.ADVISORY,
    "description": "Least-privilege security groups and network ACLs for AWS (tierguard).",
    "display_name": "tierguard network policies",
    "provider": "aws",
    "tags": ["aws", "security-group", "network-acl", "least-privilege"],
}
