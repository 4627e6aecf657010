"""Every policy of the pack, in the order the engine runs them.

The two ``tierguard-exempted-*`` reporters come last: they report the exempted findings
the policies before them handed over during the same request.
"""

from __future__ import annotations

from pulumi_policy import Policy

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
from tierguard.policies.stack import (
    SG_ACL_CONSISTENCY,
    SG_DATA_STORE_TIERS,
    SG_DEFAULT_CLOSED,
    SG_PER_RESOURCE,
    SG_PREFIX_LIST_EXPOSURE,
    SG_PRIVATE_SCOPE,
    SG_REDUNDANT_RULES,
    SG_RULE_CONFLICTS,
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
    SG_PER_RESOURCE,
    SG_PRIVATE_SCOPE,
    SG_DEFAULT_CLOSED,
    # Always last.
    EXEMPTED_RESOURCE_FINDINGS,
    EXEMPTED_STACK_FINDINGS,
]
