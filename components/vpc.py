"""A VPC that tierguard creates: subnets per group and AZ, the internet path, the default SG."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._common import TOKEN_PREFIX
from tierguard.deployed.tags import SUBNET_GROUP, tags_for
from tierguard.plan import Naming, PlannedSubnet


@dataclass(frozen=True)
class ManagedVpcArgs:
    """What to create; every value is known at plan time."""

    network: str
    """Name prefix of every resource."""
    stack: str
    cidr: str
    """The VPC's IPv4 block."""
    subnets: tuple[PlannedSubnet, ...]
    """One entry per subnet to create (group, AZ, block)."""
    manage_default_security_group: bool = True
    """Adopt the VPC's default security group and leave it with no rules."""
    tags: Mapping[str, str] = field(default_factory=dict)


class ManagedVpc(pulumi.ComponentResource):
    """The VPC, its subnets, an internet gateway and public route table when a group is public."""

    vpc_id: pulumi.Output[str]
    """The id of the created VPC."""
    subnet_ids: Mapping[str, pulumi.Output[str]]
    """Subnet ids by subnet key (``<group>-<az>``)."""

    def __init__(
        self, name: str, args: ManagedVpcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = Naming(args.network)

        def tags(resource_name: str) -> dict[str, str]:
            return tags_for(args.tags, resource_name, stack=args.stack, network=args.network)

        vpc = aws.ec2.Vpc(
            names.vpc,
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags(names.vpc),
            opts=child,
        )
        if args.manage_default_security_group:
            # Adopting removes every rule AWS put there; nothing should ever use it (CIS 5.4).
            aws.ec2.DefaultSecurityGroup(
                names.default_security_group,
                vpc_id=vpc.id,
                ingress=[],
                egress=[],
                tags=tags(names.default_security_group_tag),
                opts=child,
            )
        subnet_ids: dict[str, pulumi.Output[str]] = {}
        public: list[tuple[str, pulumi.Output[str]]] = []
        for planned in args.subnets:
            subnet_name = names.subnet(planned.key)
            subnet = aws.ec2.Subnet(
                subnet_name,
                vpc_id=vpc.id,
                cidr_block=str(planned.cidr),
                availability_zone=planned.availability_zone,
                map_public_ip_on_launch=planned.public,
                tags={**tags(subnet_name), SUBNET_GROUP: planned.group},
                opts=child,
            )
            subnet_ids[planned.key] = subnet.id
            if planned.public:
                public.append((planned.key, subnet.id))
        if public:
            gateway = aws.ec2.InternetGateway(
                names.internet_gateway,
                vpc_id=vpc.id,
                tags=tags(names.internet_gateway),
                opts=child,
            )
            table = aws.ec2.RouteTable(
                names.public_route_table,
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
                tags=tags(names.public_route_table),
                opts=child,
            )
            for key, subnet_id in public:
                aws.ec2.RouteTableAssociation(
                    names.public_route(key),
                    subnet_id=subnet_id,
                    route_table_id=table.id,
                    opts=child,
                )
        self.vpc_id = vpc.id
        self.subnet_ids = subnet_ids
        self.register_outputs({"vpcId": self.vpc_id, "subnetIds": dict(subnet_ids)})
