"""The live audit: read an account, report what the stack alone cannot see.

One concern per module:

* ``collect`` — the audit's AWS session and clients, every region read in parallel through
  ``tierguard.deployed`` (records of what a region holds, boto3 answers into them, the
  paginated EC2 readers);
* ``findings`` — the catalog of rule ids and levels, and the ``AuditFinding`` type;
* ``usage``, ``exposure``, ``hygiene``, ``drift`` — the checks, pure functions of an
  inventory (and a stack's plan for drift, compared by ``tierguard.deployed.compare``),
  sharing the policy pack's port lists and exposure semantics and the reachability
  analysis;
* ``topology`` — the reachability ``Topology`` of what is really there;
* ``report`` — every check run over an inventory, as text or JSON.
"""

from tierguard.audit.findings import CATALOG, AuditFinding, AuditRule, Level, Resource
from tierguard.audit.report import Report, audit, report_json, report_text
from tierguard.audit.topology import topology_from_inventory
from tierguard.deployed.inventory import Inventory, RegionInventory

__all__ = [
    "CATALOG",
    "AuditFinding",
    "AuditRule",
    "Inventory",
    "Level",
    "RegionInventory",
    "Report",
    "Resource",
    "audit",
    "report_json",
    "report_text",
    "topology_from_inventory",
]
