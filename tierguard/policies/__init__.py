"""The tierguard CrossGuard policy pack: security groups and network ACLs, least privilege.

Importing this package builds the policy objects but never starts a ``PolicyPack`` (that
blocks forever serving gRPC); ``policy/__main__.py`` does that.
"""

from tierguard.policies.base import (
    NotEvaluatedAtPreview,
    PolicyViolation,
    ResourceContext,
    StackContext,
    TierguardResourcePolicy,
    TierguardStackPolicy,
)
from tierguard.policies.catalog import ALL_POLICIES, PACK_NAME, PACK_OPTIONS

__all__ = [
    "ALL_POLICIES",
    "PACK_NAME",
    "PACK_OPTIONS",
    "NotEvaluatedAtPreview",
    "PolicyViolation",
    "ResourceContext",
    "StackContext",
    "TierguardResourcePolicy",
    "TierguardStackPolicy",
]
