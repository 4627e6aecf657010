"""Create a plan's resources in moto with boto3, the way the AWS provider would.

The arguments come from the components' own ``rule_args``/``entry_args`` (what the
provider receives), and the provider's side effects are reproduced: the default
allow-all egress of each new group revoked, the adopted default group emptied, each
subnet moved from the default ACL to the planned one. This stands in for the engine in
tests that exercise the read-back verification on a real emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.args import entry_args, rule_args
from tierguard.deployed.tags import tags_for
from tierguard.plan import NetworkPlan
from tierguard.rules import Direction

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

ALLOW_ALL_V4: Any = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def _tags(resource: str, tags: dict[str, str]) -> Any:
    return [{"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def permission(args: dict[str, Any]) -> Any:
    """One ``IpPermission`` from ``SecurityGroup{In,E}gressRule`` arguments."""
    perm: dict[str, Any] = {"IpProtocol": args["ip_protocol"]}
    if "from_port" in args:
        perm["FromPort"] = args["from_port"]
        perm["ToPort"] = args["to_port"]
    description = args["description"]
    if "cidr_ipv4" in args:
        perm["IpRanges"] = [{"CidrIp": args["cidr_ipv4"], "Description": description}]
    elif "cidr_ipv6" in args:
        perm["Ipv6Ranges"] = [{"CidrIpv6": args["cidr_ipv6"], "Description": description}]
    elif "prefix_list_id" in args:
        perm["PrefixListIds"] = [{"PrefixListId": args["prefix_list_id"]}]
    else:
        perm["UserIdGroupPairs"] = [
            {"GroupId": args["referenced_security_group_id"], "Description": description}
        ]
    return perm


def deploy_plan(ec2: EC2Client, plan: NetworkPlan) -> dict[str, str]:
    """Create everything ``plan`` describes (a created VPC); security group id by tier."""
    assert plan.create_vpc
    assert plan.vpc_cidr is not None

    def tags(name: str, **extra: str) -> dict[str, str]:
        return tags_for(plan.tags, name, stack=plan.stack, network=plan.name, **extra)

    vpc_id = ec2.create_vpc(
        CidrBlock=str(plan.vpc_cidr), TagSpecifications=_tags("vpc", tags(f"{plan.name}-vpc"))
    )["Vpc"]["VpcId"]
    subnet_ids: dict[str, str] = {}
    for subnet in plan.subnets:
        name = f"{plan.name}-{subnet.key}"
        subnet_ids[subnet.key] = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=str(subnet.cidr),
            AvailabilityZone=subnet.availability_zone or "",
            TagSpecifications=_tags("subnet", tags(name, subnet_group=subnet.group)),
        )["Subnet"]["SubnetId"]
    if plan.manage_default_security_group:
        default = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]
        if default.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=ALLOW_ALL_V4)
    group_ids: dict[str, str] = {}
    for tier in plan.tiers.values():
        group_id = ec2.create_security_group(
            GroupName=f"{tier.resource_name}-0001",
            Description=tier.description,
            VpcId=vpc_id,
            TagSpecifications=_tags("security-group", tags(tier.resource_name, tier=tier.name)),
        )["GroupId"]
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=ALLOW_ALL_V4)
        group_ids[tier.name] = group_id
    for tier in plan.tiers.values():
        for rule in tier.rules:
            perm = permission(dict(rule_args(rule, group_ids)))
            if rule.rule.direction is Direction.INGRESS:
                ec2.authorize_security_group_ingress(
                    GroupId=group_ids[tier.name], IpPermissions=[perm]
                )
            else:
                ec2.authorize_security_group_egress(
                    GroupId=group_ids[tier.name], IpPermissions=[perm]
                )
    for acl in plan.acls.values():
        acl_id = ec2.create_network_acl(
            VpcId=vpc_id,
            TagSpecifications=_tags("network-acl", tags(acl.resource_name, acl=acl.name)),
        )["NetworkAcl"]["NetworkAclId"]
        for planned in acl.entries:
            create_entry(ec2, acl_id, dict(entry_args(planned)))
        for group in acl.subnet_groups:
            for subnet in plan.subnets_in(group):
                associate(ec2, acl_id, subnet_ids[subnet.key])
    return group_ids


def create_entry(ec2: EC2Client, acl_id: str, args: dict[str, Any]) -> None:
    """One ``NetworkAclRule`` from its provider arguments."""
    request: dict[str, Any] = {
        "NetworkAclId": acl_id,
        "RuleNumber": args["rule_number"],
        "Egress": args["egress"],
        "RuleAction": args["rule_action"],
        "Protocol": args["protocol"],
    }
    if "cidr_block" in args:
        request["CidrBlock"] = args["cidr_block"]
    else:
        request["Ipv6CidrBlock"] = args["ipv6_cidr_block"]
    if "from_port" in args:
        request["PortRange"] = {"From": args["from_port"], "To": args["to_port"]}
    if "icmp_type" in args:
        request["IcmpTypeCode"] = {"Type": args["icmp_type"], "Code": args["icmp_code"]}
    ec2.create_network_acl_entry(**request)


def associate(ec2: EC2Client, acl_id: str, subnet_id: str) -> None:
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]
    association = next(
        a["NetworkAclAssociationId"]
        for a in current["Associations"]
        if a.get("SubnetId") == subnet_id
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)


def open_admin_ssh_to_the_world(ec2: EC2Client, acl_id: str) -> None:
    """The hand edit the drift and verification tests look for: the dev stack's public ACL
    entry 130 (SSH from the admin range) widened to ``0.0.0.0/0`` in place."""
    ec2.replace_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=130,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )
