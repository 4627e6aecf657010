"""Populate an (emulated) account with boto3, the way a user or the components would.

Works against moto in-process (``mock_aws``) and against a ``ThreadedMotoServer``
(``endpoint_url``). Nothing here works around the audit: where moto differs from AWS,
the builder does what AWS or the provider would have done, and says so.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from tierguard.audit import AuditFinding, Report, audit
from tierguard.audit.collect import collect, session
from tierguard.deployed.tags import tags_for
from tierguard.plan import NetworkPlan, PlannedSgRule
from tierguard.rules import CidrPeer, PrefixListPeer
from tierguard.rules.protocols import protocol_name

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_ec2.literals import ResourceTypeType, RuleActionType
    from mypy_boto3_ec2.type_defs import (
        IpPermissionTypeDef,
        IpRangeTypeDef,
        TagSpecificationTypeDef,
        UserIdGroupPairTypeDef,
    )

REGION = "us-east-1"
AMI = "ami-12c6146b"  # one of moto's built-in images


def tag_specs(
    resource_type: ResourceTypeType, tags: Mapping[str, str]
) -> list[TagSpecificationTypeDef]:
    return [
        {"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    ]


def tcp(port: int, cidr: str = "0.0.0.0/0", description: str | None = None) -> IpPermissionTypeDef:
    """One TCP port from a CIDR block."""
    ip_range: IpRangeTypeDef = {"CidrIp": cidr}
    if description:
        ip_range["Description"] = description
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [ip_range]}


def from_group(port: int, group: str, description: str | None = None) -> IpPermissionTypeDef:
    """One TCP port from another security group."""
    pair: UserIdGroupPairTypeDef = {"GroupId": group}
    if description:
        pair["Description"] = description
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [pair]}


class Account:
    """An emulated account in one region, with shortcuts for the scenarios under test."""

    def __init__(self, region: str = REGION, endpoint_url: str | None = None) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        # The audit's own session factory: its shared loader parses each model only once.
        self.session = session(None)
        self.ec2: EC2Client = self.session.client(
            "ec2", region_name=region, endpoint_url=endpoint_url
        )
        self._vpc: str | None = None

    @property
    def vpc(self) -> str:
        if self._vpc is None:
            self._vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        return self._vpc

    def subnet(self, cidr: str, *, vpc: str | None = None, zone: str | None = None) -> str:
        subnet = self.ec2.create_subnet(
            VpcId=vpc or self.vpc,
            CidrBlock=cidr,
            AvailabilityZone=zone or f"{self.region}a",
            TagSpecifications=tag_specs("subnet", {"Name": cidr}),
        )
        return subnet["Subnet"]["SubnetId"]

    def group(
        self,
        name: str,
        *ingress: IpPermissionTypeDef,
        vpc: str | None = None,
        description: str = "test group",
        tags: Mapping[str, str] | None = None,
    ) -> str:
        group = self.ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=vpc or self.vpc,
            TagSpecifications=tag_specs("security-group", tags or {"Name": name}),
        )["GroupId"]
        if ingress:
            self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=list(ingress))
        return group

    def default_group(self, vpc: str | None = None) -> str:
        groups = self.ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc or self.vpc]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        return groups[0]["GroupId"]

    def rule_ids(self, group: str) -> list[str]:
        """Re-read rather than trust authorize's answer (moto lists only the last one)."""
        rules = self.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )["SecurityGroupRules"]
        return [r["SecurityGroupRuleId"] for r in rules]

    def internet_route(self, subnet: str, *, vpc: str | None = None) -> str:
        """Make ``subnet`` public: an internet gateway and a route table sending
        ``0.0.0.0/0`` to it, associated with the subnet. Returns the table's id."""
        vpc = vpc or self.vpc
        gateway = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        table = self.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
        )
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return table

    def instance(self, subnet: str, groups: Iterable[str], *, public_ip: bool = False) -> str:
        """An instance; its primary interface carries ``groups`` (and a public IP if asked)."""
        reservation = self.ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet,
                    "Groups": list(groups),
                    "AssociatePublicIpAddress": public_ip,
                }
            ],
        )
        return reservation["Instances"][0]["InstanceId"]

    def interface(self, subnet: str, groups: Iterable[str]) -> str:
        return self.ec2.create_network_interface(SubnetId=subnet, Groups=list(groups))[
            "NetworkInterface"
        ]["NetworkInterfaceId"]

    def acl(self, subnets: Iterable[str] = (), *, vpc: str | None = None, name: str = "") -> str:
        """A custom ACL (moto lists no entries for it at all, not even ``*``) on ``subnets``."""
        acl = self.ec2.create_network_acl(
            VpcId=vpc or self.vpc,
            TagSpecifications=tag_specs("network-acl", {"Name": name} if name else {}),
        )["NetworkAcl"]["NetworkAclId"]
        for subnet in subnets:
            self.associate(acl, subnet)
        return acl

    def associate(self, acl: str, subnet: str) -> None:
        current = self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]
        association = next(
            a["NetworkAclAssociationId"]
            for a in current.get("Associations", [])
            if a.get("SubnetId") == subnet
        )
        self.ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)

    def acl_entry(
        self,
        acl: str,
        number: int,
        action: RuleActionType,
        *,
        egress: bool = False,
        protocol: str = "6",
        ports: tuple[int, int] | None = None,
        cidr: str = "0.0.0.0/0",
    ) -> None:
        if ports is None:
            self.ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=number,
                Protocol=protocol,
                RuleAction=action,
                Egress=egress,
                CidrBlock=cidr,
            )
            return
        self.ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol=protocol,
            RuleAction=action,
            Egress=egress,
            CidrBlock=cidr,
            PortRange={"From": ports[0], "To": ports[1]},
        )

    # -- services that use groups without (in moto) any network interface ---------------

    def load_balancer(self, subnets: list[str], groups: list[str], name: str = "web-alb") -> None:
        elbv2 = self.session.client(
            "elbv2", region_name=self.region, endpoint_url=self.endpoint_url
        )
        elbv2.create_load_balancer(
            Name=name, Subnets=subnets, SecurityGroups=groups, Scheme="internet-facing"
        )

    def classic_load_balancer(self, subnets: list[str], groups: list[str]) -> None:
        elb = self.session.client("elb", region_name=self.region, endpoint_url=self.endpoint_url)
        elb.create_load_balancer(
            LoadBalancerName="classic",
            Listeners=[{"Protocol": "tcp", "LoadBalancerPort": 80, "InstancePort": 80}],
            Subnets=subnets,
            SecurityGroups=groups,
        )

    def database(self, groups: list[str]) -> None:
        rds = self.session.client("rds", region_name=self.region, endpoint_url=self.endpoint_url)
        rds.create_db_instance(
            DBInstanceIdentifier="orders",
            Engine="mysql",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=10,
            MasterUsername="admin",
            MasterUserPassword="not-a-secret-1",
            VpcSecurityGroupIds=groups,
        )

    def database_cluster(self, groups: list[str]) -> None:
        rds = self.session.client("rds", region_name=self.region, endpoint_url=self.endpoint_url)
        rds.create_db_cluster(
            DBClusterIdentifier="orders-cluster",
            Engine="aurora-mysql",
            MasterUsername="admin",
            MasterUserPassword="not-a-secret-1",
            VpcSecurityGroupIds=groups,
        )

    def function(self, subnet: str, groups: list[str]) -> None:
        iam = self.session.client("iam", region_name=self.region, endpoint_url=self.endpoint_url)
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({}))["Role"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handle(event, context):\n    return None\n")
        lambda_ = self.session.client(
            "lambda", region_name=self.region, endpoint_url=self.endpoint_url
        )
        lambda_.create_function(
            FunctionName="worker",
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="handler.handle",
            Code={"ZipFile": code.getvalue()},
            VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": groups},
        )


def audited(account: Account) -> Report:
    """Collect the account's region the way the CLI does, and run every check."""
    return audit(collect([account.region], endpoint_url=account.endpoint_url))


def about(report: Report, rule_id: str, resource_id: str) -> list[AuditFinding]:
    """The findings of one rule about one resource (or naming it as related)."""
    return [
        f
        for f in report.of_rule(rule_id)
        if f.resource.id == resource_id or any(r.id == resource_id for r in f.related)
    ]


# -- a stack deployed as the components deploy it ------------------------------------------


def permission(rule: PlannedSgRule, group_ids: Mapping[str, str]) -> IpPermissionTypeDef:
    """``IpPermissions`` for one planned rule, ports only where AWS has them (as the
    components' ``rule_args``), the description on the peer."""
    traffic = rule.rule.traffic
    found: IpPermissionTypeDef = {
        "IpProtocol": "-1" if traffic.is_all else protocol_name(traffic.protocol)
    }
    if traffic.ports is not None:
        found["FromPort"], found["ToPort"] = traffic.ports.first, traffic.ports.last
    elif traffic.icmp is not None:
        found["FromPort"], found["ToPort"] = traffic.icmp.type, traffic.icmp.code
    text = rule.description
    peer = rule.rule.peer
    group = rule.referenced_group(group_ids)
    if isinstance(peer, CidrPeer) and peer.network.version == 4:
        found["IpRanges"] = [{"CidrIp": peer.network.compressed, "Description": text}]
    elif isinstance(peer, CidrPeer):
        found["Ipv6Ranges"] = [{"CidrIpv6": peer.network.compressed, "Description": text}]
    elif group is not None:
        found["UserIdGroupPairs"] = [{"GroupId": group, "Description": text}]
    elif isinstance(peer, PrefixListPeer):
        found["PrefixListIds"] = [{"PrefixListId": peer.prefix_list, "Description": text}]
    return found


def deploy(account: Account, plan: NetworkPlan) -> dict[str, str]:
    """Create the plan's VPC, subnets, groups, rules and ACLs with the components' tags.

    Returns ids by name: tiers, ACLs, subnet keys. A group created by the provider starts
    with no egress rule (it revokes AWS's default "all traffic out"), so this does too.
    """
    ec2 = account.ec2
    assert plan.vpc_cidr is not None

    def tags(name: str, **extra: str) -> dict[str, str]:
        return tags_for(plan.tags, name, stack=plan.stack, network=plan.name, **extra)

    vpc = ec2.create_vpc(
        CidrBlock=str(plan.vpc_cidr),
        TagSpecifications=tag_specs("vpc", tags(f"{plan.name}-vpc")),
    )["Vpc"]["VpcId"]
    ids: dict[str, str] = {"vpc": vpc}
    if plan.manage_default_security_group:  # the VPC component adopts it with no rules
        ec2.revoke_security_group_egress(
            GroupId=account.default_group(vpc),
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
    public_table: str | None = None
    for planned in plan.subnets:
        subnet = account.subnet(str(planned.cidr), vpc=vpc, zone=planned.availability_zone)
        ids[planned.key] = subnet
        if not planned.public:
            continue
        # As ManagedVpc: one internet gateway, one public route table for public subnets.
        if public_table is None:
            public_table = account.internet_route(subnet, vpc=vpc)
        else:
            ec2.associate_route_table(RouteTableId=public_table, SubnetId=subnet)
    for name, tier in plan.tiers.items():
        group = ec2.create_security_group(
            GroupName=f"{tier.resource_name}-20261128",
            Description=tier.description,
            VpcId=vpc,
            TagSpecifications=tag_specs(
                "security-group",
                tags_for(
                    {**plan.tags, **tier.tags},
                    tier.resource_name,
                    stack=plan.stack,
                    network=plan.name,
                    tier=name,
                ),
            ),
        )["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        ids[name] = group
    for name, tier in plan.tiers.items():
        for rule in tier.rules:
            perms = [permission(rule, ids)]
            specs = tag_specs("security-group-rule", tags(rule.name, tier=name))
            if rule.rule.direction.value == "ingress":
                ec2.authorize_security_group_ingress(
                    GroupId=ids[name], IpPermissions=perms, TagSpecifications=specs
                )
            else:
                ec2.authorize_security_group_egress(
                    GroupId=ids[name], IpPermissions=perms, TagSpecifications=specs
                )
    for name, acl_plan in plan.acls.items():
        acl = ec2.create_network_acl(
            VpcId=vpc,
            TagSpecifications=tag_specs("network-acl", tags(acl_plan.resource_name, acl=name)),
        )["NetworkAcl"]["NetworkAclId"]
        ids[f"acl:{name}"] = acl
        for planned_entry in acl_plan.entries:
            entry = planned_entry.entry
            ports = (
                (entry.traffic.ports.first, entry.traffic.ports.last)
                if entry.traffic.ports is not None
                else None
            )
            account.acl_entry(
                acl,
                entry.number,
                "allow" if entry.action.value == "allow" else "deny",
                egress=entry.egress,
                protocol=str(entry.traffic.protocol),
                ports=ports,
                cidr=entry.cidr.compressed,
            )
        for group in acl_plan.subnet_groups:
            for planned in plan.subnets_in(group):
                account.associate(acl, ids[planned.key])
    return ids
