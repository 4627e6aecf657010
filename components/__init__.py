"""tierguard's Pulumi components: one type-token prefix, ``tierguard:index:``.

``Network`` is the entry point; it wires ``ManagedVpc`` (when tierguard creates the VPC),
one ``SecurityTier`` per tier and one ``SubnetAcl`` per network ACL. Each takes a slice
of the pure ``tierguard.plan.NetworkPlan``, so what is created is exactly what the plan,
the quota checks and the offline preview describe.

Import each from its module (``components.network`` for ``Network``): importing the
package loads none of them, so ``components.args`` (what ``tierguard check`` needs) comes
without the AWS provider SDK.
"""
