"""Reading security groups and network ACLs from EC2: every one, or the ones a stack tagged.

The audit reads a whole region; the driver's verification only what carries a stack's
tags. Both go through these two readers, paginated (moto ignores ``MaxResults`` and
answers in one page, AWS does not). They take a client and never create one, so nothing
here imports boto3 at run time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from tierguard.deployed import shapes, tags
from tierguard.deployed.inventory import GroupRule, NetworkAcl, SecurityGroup

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef


def stack_filters(*, stack: str, network: str) -> list[FilterTypeDef]:
    """EC2 filters for what the components tagged for one stack's network."""
    return [
        {"Name": f"tag:{tags.STACK}", "Values": [stack]},
        {"Name": f"tag:{tags.NETWORK}", "Values": [network]},
    ]


class _Where(TypedDict, total=False):
    Filters: Sequence[FilterTypeDef]


def _where(filters: Sequence[FilterTypeDef]) -> _Where:
    """``Filters=…`` when there are any (an unfiltered call sends none)."""
    return {"Filters": filters} if filters else {}


def read_security_groups(
    ec2: EC2Client, notes: list[str], filters: Sequence[FilterTypeDef] = ()
) -> list[SecurityGroup]:
    """The region's groups (those matching ``filters``) with their rules; unreadable rules
    are skipped and said in ``notes``."""
    # Rules come from DescribeSecurityGroupRules, not IpPermissions: one record per sgr-…
    # id with its own tags (the components name every rule by tag), which drift needs.
    answers = [
        answer
        for page in ec2.get_paginator("describe_security_groups").paginate(**_where(filters))
        for answer in page.get("SecurityGroups", [])
    ]
    rule_filters: list[FilterTypeDef] = []
    if filters:
        if not answers:
            return []
        rule_filters = [{"Name": "group-id", "Values": [a.get("GroupId", "") for a in answers]}]
    rules: dict[str, list[GroupRule]] = defaultdict(list)
    pages = ec2.get_paginator("describe_security_group_rules").paginate(**_where(rule_filters))
    for page in pages:
        for answer in page.get("SecurityGroupRules", []):
            try:
                rule = shapes.group_rule(answer)
            except ValueError as exc:
                notes.append(f"skipped rule {answer.get('SecurityGroupRuleId')}: {exc}")
                continue
            rules[rule.rule.group].append(rule)
    return [shapes.security_group(a, rules.get(a.get("GroupId", ""), ())) for a in answers]


def read_network_acls(
    ec2: EC2Client, notes: list[str], filters: Sequence[FilterTypeDef] = ()
) -> list[NetworkAcl]:
    """The region's ACLs (those matching ``filters``); the implicit ``*`` entries are left
    out, unreadable entries skipped and said in ``notes``."""
    acls: list[NetworkAcl] = []
    for page in ec2.get_paginator("describe_network_acls").paginate(**_where(filters)):
        for answer in page.get("NetworkAcls", []):
            entries = []
            for raw in answer.get("Entries", []):
                try:
                    entry = shapes.acl_entry_of(raw)
                except ValueError as exc:
                    notes.append(f"skipped entry of {answer.get('NetworkAclId')}: {exc}")
                    continue
                if entry is not None:
                    entries.append(entry)
            acls.append(shapes.network_acl(answer, entries))
    return acls
