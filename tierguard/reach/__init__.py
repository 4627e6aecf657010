"""Who can reach what: security groups and network ACLs combined, with explanations.

Pure (no Pulumi, no boto3): a ``Topology`` is built from a plan (before anything
exists) or from deployed resources, and analysed with the shared rule semantics.
"""

from tierguard.reach.analysis import (
    Explanation,
    Matrix,
    Reach,
    ReachFinding,
    Step,
    Verdict,
    analyze,
    explain,
)
from tierguard.reach.topology import (
    AclNode,
    LabeledRule,
    Placement,
    Source,
    TierNode,
    Topology,
    source_named,
    sources_of,
    topology_from_deployed,
    topology_from_plan,
)

__all__ = [
    "AclNode",
    "Explanation",
    "LabeledRule",
    "Matrix",
    "Placement",
    "Reach",
    "ReachFinding",
    "Source",
    "Step",
    "TierNode",
    "Topology",
    "Verdict",
    "analyze",
    "explain",
    "source_named",
    "sources_of",
    "topology_from_deployed",
    "topology_from_plan",
]
