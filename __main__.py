"""tierguard's Pulumi program: read the network description, build it, export the ids."""

import pulumi

from components.network import Network, NetworkArgs
from tierguard.program import plan_from_stack_config

plan = plan_from_stack_config()
network = Network(plan.name, NetworkArgs(plan=plan))

pulumi.export("vpc_id", network.vpc_id)
pulumi.export("subnet_ids", network.subnet_ids)
pulumi.export("security_group_ids", network.security_group_ids)
pulumi.export("network_acl_ids", network.network_acl_ids)
