"""tierguard's Pulumi components: one type-token prefix, ``tierguard:index:``.

``Network`` is the entry point; it wires ``ManagedVpc`` (when tierguard creates the VPC),
one ``SecurityTier`` per tier and one ``SubnetAcl`` per network ACL. Each takes a slice
of the pure ``tierguard.plan.NetworkPlan``, so what is created is exactly what the plan,
the quota checks and the offline preview describe.
"""

from components.acl import SubnetAcl, SubnetAclArgs
from components.network import Network, NetworkArgs
from components.tier import SecurityTier, SecurityTierArgs
from components.vpc import ManagedVpc, ManagedVpcArgs

__all__ = [
    "ManagedVpc",
    "ManagedVpcArgs",
    "Network",
    "NetworkArgs",
    "SecurityTier",
    "SecurityTierArgs",
    "SubnetAcl",
    "SubnetAclArgs",
]
