"""A subnet network ACL: the ACL, one resource per entry, one association per subnet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._common import TOKEN_PREFIX
from components.args import entry_args
from tierguard.deployed.tags import tags_for
from tierguard.plan import AclPlan, Naming


@dataclass(frozen=True)
class SubnetAclArgs:
    """The ACL's slice of the plan and the subnets it protects."""

    plan: AclPlan
    vpc_id: pulumi.Input[str]
    subnet_ids: Mapping[str, pulumi.Input[str]]
    """Subnet ids by subnet key; the ACL replaces the default ACL on each."""
    network: str
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)


class SubnetAcl(pulumi.ComponentResource):
    """A network ACL with separate entry resources (never inline rules) and associations."""

    network_acl_id: pulumi.Output[str]
    """The id of the ACL."""

    def __init__(
        self, name: str, args: SubnetAclArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}SubnetAcl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        acl = aws.ec2.NetworkAcl(
            args.plan.resource_name,
            vpc_id=args.vpc_id,
            tags=tags_for(
                args.tags,
                args.plan.resource_name,
                stack=args.stack,
                network=args.network,
                acl=args.plan.name,
            ),
            opts=child,
        )
        # (direction, number) is an entry's identity in EC2: a changed entry must be
        # deleted before its replacement is created, or EC2 reports it already exists.
        replace_first = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        for planned in args.plan.entries:
            aws.ec2.NetworkAclRule(
                planned.name,
                network_acl_id=acl.id,
                opts=replace_first,
                **entry_args(planned),
            )
        for key, subnet_id in args.subnet_ids.items():
            aws.ec2.NetworkAclAssociation(
                Naming(args.network).acl_association(args.plan.name, key),
                network_acl_id=acl.id,
                subnet_id=subnet_id,
                opts=child,
            )
        self.network_acl_id = acl.id
        self.register_outputs({"networkAclId": self.network_acl_id})
