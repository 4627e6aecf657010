"""Which routes make a subnet reachable from the internet: only an internet gateway's.

AWS: an egress-only internet gateway "allows outbound communication over IPv6 from
instances in your VPC to the internet, and prevents the internet from initiating an
IPv6 connection with your instances" — a ``::/0`` route to ``eigw-…`` exposes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.audit.builders import AMI, Account, about, audited
from tierguard.audit.findings import EXPOSURE_LATENT, EXPOSURE_REACHABLE
from tierguard.deployed.shapes import route_table

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import RouteTypeDef


def ipv6_ssh_host_behind_eigw(account: Account) -> str:
    """A dual-stack subnet whose ``::/0`` goes to an egress-only gateway, a group with SSH
    open to ``::/0``, an instance with an IPv6 address in it; returns the group."""
    ec2 = account.ec2
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]
    ipv6 = block["Ipv6CidrBlock"].replace("/56", "/64")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", Ipv6CidrBlock=ipv6)["Subnet"][
        "SubnetId"
    ]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"]
    ec2.create_route(
        RouteTableId=table,
        DestinationIpv6CidrBlock="::/0",
        EgressOnlyInternetGatewayId=eigw["EgressOnlyInternetGatewayId"],
    )
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = account.group(
        "ssh-v6",
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        vpc=vpc,
    )
    ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group], "Ipv6AddressCount": 1}
        ],
    )
    return group


def test_an_egress_only_gateway_route_is_not_an_internet_route() -> None:
    """``::/0`` to ``eigw-…`` (however the answer spells the target) adds no family;
    ``::/0`` to ``igw-…`` adds IPv6."""
    routes: list[RouteTypeDef] = [
        {
            "DestinationIpv6CidrBlock": "::/0",
            "EgressOnlyInternetGatewayId": "eigw-0a1b2c3d4e5f60718",
        },
        {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "eigw-0a1b2c3d4e5f60718"},
    ]
    assert route_table({"RouteTableId": "rtb-1", "Routes": routes}).internet_versions == set()
    to_igw: list[RouteTypeDef] = [
        {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-0a1b2c3d4e5f60718"}
    ]
    assert route_table({"RouteTableId": "rtb-2", "Routes": to_igw}).internet_versions == {6}


def test_ipv6_ssh_behind_an_egress_only_gateway_is_latent(account: Account) -> None:
    """The internet cannot initiate IPv6 connections through an eigw: latent, not reachable."""
    group = ipv6_ssh_host_behind_eigw(account)
    report = audited(account)
    assert not about(report, EXPOSURE_REACHABLE.id, group)
    (finding,) = about(report, EXPOSURE_LATENT.id, group)
    assert "has no IPv6 route to an internet gateway" in finding.what
