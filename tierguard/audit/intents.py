"""The stack's reachability intents, judged on the account as it really is.

The live network (``audit.topology``: groups named by their ``tierguard:tier`` tag, the
ACLs of their members' subnets) is handed to the same pure evaluation the policy pack and
``tierguard reach --check`` use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence

from tierguard.audit.findings import INTENT_BROKEN, MISSING, AuditFinding, Resource
from tierguard.audit.topology import topology_from_inventory
from tierguard.deployed.inventory import RegionInventory
from tierguard.reach.intents import Intent, check_intents
from tierguard.rules import IPNetwork


def intent_findings(
    region: RegionInventory, intents: Sequence[Intent], named_cidrs: Mapping[str, IPNetwork]
) -> Iterator[AuditFinding]:
    topology = dataclasses.replace(topology_from_inventory(region), named_cidrs=dict(named_cidrs))
    for violation in check_intents(topology, intents):
        intent = violation.intent
        tier = topology.tiers.get(violation.target or "")
        yield AuditFinding(
            INTENT_BROKEN,
            Resource(
                region.region,
                "security-group",
                tier.group if tier is not None else MISSING,
                violation.target or intent.target or "",
            ),
            f"Intent “{intent.description or intent}” ({intent}) is broken in "
            f"{region.region}: {violation.message}",
            "The stack declares this reachability as a requirement; the account as it is "
            "now does not meet it",
            "change the rule or ACL entry the path names (or redeploy the stack if it was "
            "changed by hand)",
        )
