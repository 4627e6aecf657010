"""The plan: exactly which security-group rules, ACL entries and subnets a config means.

A pure function of the validated config (no Pulumi, no boto3), so the Pulumi components,
the offline preview, the quota checks and the reachability analysis all read the same
expansion. Every planned resource carries a stable name derived from what it means
(tier, direction, traffic, peer; ACL and rule number; ``naming``), never from a list
position, and the config path it came from.

One module per concern: ``model`` (what a plan holds), ``naming`` (every resource name),
``security_groups``, ``acls``, ``subnets``, ``quotas``; ``build`` puts them together.
"""

from tierguard.plan.build import build_plan
from tierguard.plan.model import (
    AclPlan,
    NetworkPlan,
    PlannedAclEntry,
    PlannedSgRule,
    PlannedSubnet,
    TierPlan,
    planned_form,
)
from tierguard.plan.naming import Naming, safe_name

__all__ = [
    "AclPlan",
    "Naming",
    "NetworkPlan",
    "PlannedAclEntry",
    "PlannedSgRule",
    "PlannedSubnet",
    "TierPlan",
    "build_plan",
    "planned_form",
    "safe_name",
]
