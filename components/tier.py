"""A tier: one security group and its rules, each rule a resource of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components._common import TOKEN_PREFIX
from components.args import rule_args
from tierguard.deployed.tags import tags_for
from tierguard.plan import Naming, TierPlan
from tierguard.rules import Direction


@dataclass(frozen=True)
class SecurityTierArgs:
    """The tier's slice of the plan and where its group lives."""

    plan: TierPlan
    vpc_id: pulumi.Input[str]
    network: str
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)


class SecurityTier(pulumi.ComponentResource):
    """One tier's security group; its rules are added once every tier's group exists.

    Two phases because tiers reference each other (app accepts from web, web sends to
    app): rules are separate resources that depend only on groups, so the graph never
    has a cycle and the deploy critical path stays group → rule, however many tiers.
    """

    security_group_id: pulumi.Output[str]
    """The id of the tier's security group."""
    rule_ids: dict[str, pulumi.Output[str]]
    """Rule ids (``sgr-…``) by rule resource name, once ``create_rules`` ran."""

    def __init__(
        self, name: str, args: SecurityTierArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}SecurityTier", name, None, opts)
        self._args = args
        group = aws.ec2.SecurityGroup(
            args.plan.resource_name,
            # name_prefix keeps replacement create-before-destroy; the description is
            # immutable in EC2, so it only changes when the user changes it.
            name_prefix=Naming(args.network).group_name_prefix(args.plan.name),
            description=args.plan.description,
            vpc_id=args.vpc_id,
            revoke_rules_on_delete=True,
            tags=tags_for(
                {**args.tags, **args.plan.tags},
                args.plan.resource_name,
                stack=args.stack,
                network=args.network,
                tier=args.plan.name,
                # Where the tier's members go: reachability reads it from the resources.
                subnet_group=args.plan.subnet_group,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.security_group_id = group.id
        self.rule_ids = {}

    def create_rules(self, group_ids: Mapping[str, pulumi.Input[str]]) -> None:
        """Create every planned rule; ``group_ids`` resolves tier references."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        for rule in args.plan.rules:
            tags = tags_for(
                args.tags, rule.name, stack=args.stack, network=args.network, tier=args.plan.name
            )
            resource: aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule
            if rule.rule.direction is Direction.INGRESS:
                resource = aws.vpc.SecurityGroupIngressRule(
                    rule.name,
                    security_group_id=self.security_group_id,
                    tags=tags,
                    opts=child,
                    **rule_args(rule, group_ids),
                )
            else:
                resource = aws.vpc.SecurityGroupEgressRule(
                    rule.name,
                    security_group_id=self.security_group_id,
                    tags=tags,
                    opts=child,
                    **rule_args(rule, group_ids),
                )
            self.rule_ids[rule.name] = resource.security_group_rule_id
        self.register_outputs(
            {"securityGroupId": self.security_group_id, "ruleIds": dict(self.rule_ids)}
        )
