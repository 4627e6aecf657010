"""The top-level component: a VPC's tiers and ACLs, wired to each other."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._common import TOKEN_PREFIX
from components.acl import SubnetAcl, SubnetAclArgs
from components.tier import SecurityTier, SecurityTierArgs
from components.vpc import ManagedVpc, ManagedVpcArgs
from tierguard.plan import NetworkPlan


@dataclass(frozen=True)
class NetworkArgs:
    """The validated plan; every value in it is known before anything is created."""

    plan: NetworkPlan


class Network(pulumi.ComponentResource):
    """Security groups and network ACLs for one VPC's tiers."""

    vpc_id: pulumi.Output[str]
    """The VPC the tiers live in (created or existing)."""
    subnet_ids: dict[str, list[pulumi.Output[str]]]
    """Subnet ids by subnet group."""
    security_group_ids: dict[str, pulumi.Output[str]]
    """Security group ids by tier."""
    network_acl_ids: dict[str, pulumi.Output[str]]
    """Network ACL ids by ACL name."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}Network", name, None, opts)
        plan = args.plan
        child = pulumi.ResourceOptions(parent=self)

        subnet_by_key: dict[str, pulumi.Output[str]]
        if plan.create_vpc:
            assert plan.vpc_cidr is not None  # the plan guarantees a block for a created VPC
            vpc = ManagedVpc(
                plan.names.vpc,
                ManagedVpcArgs(
                    network=plan.name,
                    stack=plan.stack,
                    cidr=str(plan.vpc_cidr),
                    subnets=plan.subnets,
                    manage_default_security_group=plan.manage_default_security_group,
                    tags=plan.tags,
                ),
                opts=child,
            )
            vpc_id = vpc.vpc_id
            subnet_by_key = dict(vpc.subnet_ids)
        else:
            assert plan.vpc_id is not None  # the plan guarantees an id for an existing VPC
            vpc_id = pulumi.Output.from_input(plan.vpc_id)
            subnet_by_key = {
                s.key: pulumi.Output.from_input(s.subnet_id or "") for s in plan.subnets
            }

        tiers = {
            name_: SecurityTier(
                tier.resource_name,
                SecurityTierArgs(
                    plan=tier, vpc_id=vpc_id, network=plan.name, stack=plan.stack, tags=plan.tags
                ),
                opts=child,
            )
            for name_, tier in plan.tiers.items()
        }
        group_ids = {name_: tier.security_group_id for name_, tier in tiers.items()}
        for tier in tiers.values():
            tier.create_rules(group_ids)

        acls = {
            name_: SubnetAcl(
                acl.resource_name,
                SubnetAclArgs(
                    plan=acl,
                    vpc_id=vpc_id,
                    subnet_ids={
                        s.key: subnet_by_key[s.key]
                        for group in acl.subnet_groups
                        for s in plan.subnets_in(group)
                    },
                    network=plan.name,
                    stack=plan.stack,
                    tags=plan.tags,
                ),
                opts=child,
            )
            for name_, acl in plan.acls.items()
        }

        self.vpc_id = vpc_id
        self.subnet_ids = {
            group: [subnet_by_key[s.key] for s in plan.subnets_in(group)]
            for group in plan.subnet_groups
        }
        self.security_group_ids = group_ids
        self.network_acl_ids = {name_: acl.network_acl_id for name_, acl in acls.items()}
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": self.subnet_ids,
                "securityGroupIds": self.security_group_ids,
                "networkAclIds": self.network_acl_ids,
            }
        )
