"""What the program registers, derived from the plan without running it: the fast path.

``planned_run(plan, ...)`` returns the ``ProgramRun`` that running ``__main__.py`` on the
mock engine records — the same URNs, parents, dependencies, property dependencies,
inputs (as the SDK serializes them: camelCase keys, numbers as floats) and the mocks'
outputs — by walking the plan the way ``components/`` does and reusing its argument
builders (``rule_args``, ``entry_args``, ``tags_for``) and the mocks' provider answers.
No Pulumi program runs, so it costs milliseconds where the SDK costs seconds; a test
holds it equal to the recorded run on every example and on generated networks, so
``tierguard check`` judges exactly what ``tierguard preview --offline`` judges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi.runtime.mocks import MockResourceArgs

from components._common import TOKEN_PREFIX
from components.args import entry_args, rule_args
from tierguard.deployed.tags import SUBNET_GROUP, tags_for
from tierguard.offline.mocks import PlanMocks, RecordedResource
from tierguard.offline.runner import ProgramRun
from tierguard.plan import NetworkPlan
from tierguard.rules import Direction

STACK_TYPE = "pulumi:pulumi:Stack"
_CAMEL = re.compile(r"_([a-z0-9])")


def _camel(key: str) -> str:
    """A provider argument's wire name, as pulumi_aws translates it (``from_port``)."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def _wire(value: Any) -> Any:
    """A value as the SDK's serialization hands it to the monitor: numbers as floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    return value


class _Recorder:
    """Registers resources the way the mock monitor records them."""

    def __init__(self, project: str, stack: str, region: str) -> None:
        self.project = project
        self.stack = stack
        self.mocks = PlanMocks(region=region)
        self.resources: list[RecordedResource] = []
        self.root = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"

    def urn(self, parent: str, type_: str, name: str) -> str:
        parent_type = parent.split("::")[2].rsplit("$", maxsplit=1)[-1]
        return f"urn:pulumi:{self.stack}::{self.project}::{parent_type}${type_}::{name}"

    def component(self, type_: str, name: str, parent: str) -> RecordedResource:
        record = RecordedResource(
            urn=self.urn(parent, f"{TOKEN_PREFIX}{type_}", name),
            type=f"{TOKEN_PREFIX}{type_}",
            name=name,
            id="",
            custom=False,
            parent=parent,
            dependencies=(),
            property_dependencies={},
            inputs={},
            outputs={},
        )
        self.resources.append(record)
        return record

    def custom(
        self,
        type_: str,
        name: str,
        parent: RecordedResource,
        inputs: Mapping[str, Any],
        deps: Mapping[str, RecordedResource] | None = None,
    ) -> RecordedResource:
        """``inputs`` by wire name; ``deps``: the resource whose output each input holds."""
        wired = {k: _wire(v) for k, v in inputs.items()}
        id_, outputs = self.mocks.new_resource(
            MockResourceArgs(typ=type_, name=name, inputs=dict(wired), custom=True)
        )
        property_dependencies: dict[str, tuple[str, ...]] = {
            key: ((deps[key].urn,) if deps and key in deps else ()) for key in wired
        }
        dependencies = sorted({u for urns in property_dependencies.values() for u in urns})
        record = RecordedResource(
            urn=self.urn(parent.urn, type_, name),
            type=type_,
            name=name,
            id=id_ or "",
            custom=True,
            parent=parent.urn,
            dependencies=tuple(dependencies),
            property_dependencies=property_dependencies,
            inputs=wired,
            outputs=_wire(outputs),
        )
        self.resources.append(record)
        return record


#: A subnet of the stack (its resource) or an existing one (its id).
Subnet = RecordedResource | str


def planned_run(plan: NetworkPlan, *, project: str, stack: str, region: str) -> ProgramRun:
    """The run ``__main__.py`` records for ``plan`` on the mock engine (see module doc)."""
    rec = _Recorder(project, stack, region)
    network = rec.component("Network", plan.name, rec.root)
    if plan.create_vpc:
        vpc, subnets = _managed_vpc(rec, plan, network)
        vpc_id = vpc.id
    else:
        vpc, vpc_id = None, plan.vpc_id or ""
        subnets = {s.key: s.subnet_id or "" for s in plan.subnets}
    on_vpc = {"vpcId": vpc} if vpc is not None else {}
    group_ids = _tiers(rec, plan, network, vpc_id, on_vpc)
    acl_ids = _acls(rec, plan, network, vpc_id, on_vpc, subnets)
    subnet_ids = {
        group: [_id(subnets[s.key]) for s in plan.subnets_in(group)] for group in plan.subnet_groups
    }
    network.outputs.update(
        {
            "vpcId": vpc_id,
            "subnetIds": subnet_ids,
            "securityGroupIds": group_ids,
            "networkAclIds": acl_ids,
        }
    )
    outputs = {
        "vpc_id": vpc_id,
        "subnet_ids": subnet_ids,
        "security_group_ids": group_ids,
        "network_acl_ids": acl_ids,
    }
    return ProgramRun(project=project, stack=stack, resources=tuple(rec.resources), outputs=outputs)


def _managed_vpc(
    rec: _Recorder, plan: NetworkPlan, network: RecordedResource
) -> tuple[RecordedResource, dict[str, Subnet]]:
    """``components.vpc.ManagedVpc``: the VPC, default group, subnets, internet path."""
    names = plan.names
    name = names.vpc
    holder = rec.component("Vpc", name, network.urn)

    def tags(resource_name: str) -> dict[str, str]:
        return tags_for(plan.tags, resource_name, stack=plan.stack, network=plan.name)

    vpc = rec.custom(
        "aws:ec2/vpc:Vpc",
        name,
        holder,
        {
            "cidrBlock": str(plan.vpc_cidr),
            "enableDnsHostnames": True,
            "enableDnsSupport": True,
            "tags": tags(name),
        },
    )
    on_vpc = {"vpcId": vpc}
    if plan.manage_default_security_group:
        rec.custom(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            names.default_security_group,
            holder,
            {
                "vpcId": vpc.id,
                "ingress": [],
                "egress": [],
                "tags": tags(names.default_security_group_tag),
            },
            on_vpc,
        )
    subnets: dict[str, Subnet] = {}
    public: list[tuple[str, RecordedResource]] = []
    for planned in plan.subnets:
        subnet_name = names.subnet(planned.key)
        subnet = rec.custom(
            "aws:ec2/subnet:Subnet",
            subnet_name,
            holder,
            {
                "vpcId": vpc.id,
                "cidrBlock": str(planned.cidr),
                "availabilityZone": planned.availability_zone,
                "mapPublicIpOnLaunch": planned.public,
                "tags": {**tags(subnet_name), SUBNET_GROUP: planned.group},
            },
            on_vpc,
        )
        subnets[planned.key] = subnet
        if planned.public:
            public.append((planned.key, subnet))
    if public:
        gateway = rec.custom(
            "aws:ec2/internetGateway:InternetGateway",
            names.internet_gateway,
            holder,
            {"vpcId": vpc.id, "tags": tags(names.internet_gateway)},
            on_vpc,
        )
        table = rec.custom(
            "aws:ec2/routeTable:RouteTable",
            names.public_route_table,
            holder,
            {
                "vpcId": vpc.id,
                "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": gateway.id}],
                "tags": tags(names.public_route_table),
            },
            {"vpcId": vpc, "routes": gateway},
        )
        for key, subnet in public:
            rec.custom(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                names.public_route(key),
                holder,
                {"subnetId": subnet.id, "routeTableId": table.id},
                {"subnetId": subnet, "routeTableId": table},
            )
    holder.outputs.update({"vpcId": vpc.id, "subnetIds": {k: _id(s) for k, s in subnets.items()}})
    return vpc, subnets


def _tiers(
    rec: _Recorder,
    plan: NetworkPlan,
    network: RecordedResource,
    vpc_id: str,
    on_vpc: Mapping[str, RecordedResource],
) -> dict[str, str]:
    """``components.tier.SecurityTier`` per tier: the group, then its rules."""
    tiers: dict[str, tuple[RecordedResource, RecordedResource]] = {}
    for tier_name, tier in plan.tiers.items():
        holder = rec.component("SecurityTier", tier.resource_name, network.urn)
        group = rec.custom(
            "aws:ec2/securityGroup:SecurityGroup",
            tier.resource_name,
            holder,
            {
                "namePrefix": plan.names.group_name_prefix(tier.name),
                "description": tier.description,
                "vpcId": vpc_id,
                "revokeRulesOnDelete": True,
                "tags": tags_for(
                    {**plan.tags, **tier.tags},
                    tier.resource_name,
                    stack=plan.stack,
                    network=plan.name,
                    tier=tier.name,
                    subnet_group=tier.subnet_group,
                ),
            },
            on_vpc,
        )
        tiers[tier_name] = (holder, group)
    group_ids = {name: group.id for name, (_, group) in tiers.items()}
    for tier_name, tier in plan.tiers.items():
        holder, group = tiers[tier_name]
        rule_ids: dict[str, str] = {}
        for rule in tier.rules:
            deps = {"securityGroupId": group}
            if rule.peer_tier is not None:
                deps["referencedSecurityGroupId"] = tiers[rule.peer_tier][1]
            kind = "Ingress" if rule.rule.direction is Direction.INGRESS else "Egress"
            tags = tags_for(
                plan.tags, rule.name, stack=plan.stack, network=plan.name, tier=tier.name
            )
            args = {_camel(k): v for k, v in rule_args(rule, group_ids).items()}
            record = rec.custom(
                f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule",
                rule.name,
                holder,
                {"securityGroupId": group.id, "tags": tags, **args},
                deps,
            )
            rule_ids[rule.name] = record.id
        holder.outputs.update({"securityGroupId": group.id, "ruleIds": rule_ids})
    return group_ids


def _acls(
    rec: _Recorder,
    plan: NetworkPlan,
    network: RecordedResource,
    vpc_id: str,
    on_vpc: Mapping[str, RecordedResource],
    subnets: Mapping[str, Subnet],
) -> dict[str, str]:
    """``components.acl.SubnetAcl`` per ACL: the ACL, its entries, its associations."""
    acl_ids: dict[str, str] = {}
    for acl_name, acl in plan.acls.items():
        holder = rec.component("SubnetAcl", acl.resource_name, network.urn)
        tags = tags_for(
            plan.tags, acl.resource_name, stack=plan.stack, network=plan.name, acl=acl.name
        )
        resource = rec.custom(
            "aws:ec2/networkAcl:NetworkAcl",
            acl.resource_name,
            holder,
            {"vpcId": vpc_id, "tags": tags},
            on_vpc,
        )
        for entry in acl.entries:
            args = {_camel(k): v for k, v in entry_args(entry).items()}
            rec.custom(
                "aws:ec2/networkAclRule:NetworkAclRule",
                entry.name,
                holder,
                {"networkAclId": resource.id, **args},
                {"networkAclId": resource},
            )
        for group_name in acl.subnet_groups:
            for planned in plan.subnets_in(group_name):
                subnet = subnets[planned.key]
                deps = {"networkAclId": resource}
                if isinstance(subnet, RecordedResource):
                    deps["subnetId"] = subnet
                rec.custom(
                    "aws:ec2/networkAclAssociation:NetworkAclAssociation",
                    plan.names.acl_association(acl.name, planned.key),
                    holder,
                    {"subnetId": _id(subnet), "networkAclId": resource.id},
                    deps,
                )
        holder.outputs.update({"networkAclId": resource.id})
        acl_ids[acl_name] = resource.id
    return acl_ids


def _id(subnet: Subnet) -> str:
    return subnet.id if isinstance(subnet, RecordedResource) else subnet
