"""What the Pulumi engine hands a policy pack, rebuilt from one offline program run.

The engine calls ``Analyze`` once per resource before its step and ``AnalyzeStack`` once
after every step (``pkg/resource/deploy/step_generator.go``,
``pkg/resource/plugin/analyzer_plugin.go``; see ``engine-protocol.md``). What those calls
carry depends on the phase:

``preview``
    ``Analyze``: the inputs, with the unknown sentinel wherever a property holds a value a
    resource not created yet will compute (a new group's id, a new ACL's id), and no id,
    dependencies or property dependencies. ``AnalyzeStack``: each resource's planned
    state — those inputs plus every computed attribute unknown (``id``, ``arn``,
    ``ownerId``, rule ids, and a group's or ACL's ``ingress``/``egress`` when they were not
    set inline) — with parent, dependencies, property dependencies and provider.
``up``
    Everything known: ``Analyze`` gets the real inputs; ``AnalyzeStack`` the outputs the
    provider returned at create (a bridged resource's id only as ``outputs["id"]``; a
    group or ACL created without inline rules reads back with none, its separate rules
    being created after it).
``refresh``
    ``up``, then the provider's Read of each group and ACL: its ``ingress``/``egress``
    outputs list every rule, separate ``SecurityGroupIngressRule``/``EgressRule``/
    ``SecurityGroupRule``/``NetworkAclRule`` resources included, inline-shaped as
    terraform-provider-aws's ``securityGroupIPPermGather`` and ACL entry flattening
    return them.

Every phase also sends the root ``pulumi:pulumi:Stack`` (the stack's exports as its
outputs), the default AWS provider (``default_<major>_<minor>_<patch>``, its inputs the
``aws:`` config) and each component with what it passed to ``register_outputs``.

Unknowns at preview are derived, not guessed: the mocks answer with AWS-shaped ids and
computed attributes, so a value is unknown exactly when it is one of those computed
values of a resource the engine would create in this update. Resources are the JSON
shape ``PolicyPackClient`` sends: ``{"urn", "type", "name", "parent", "provider",
"properties"}`` for ``Analyze``, plus ``"dependencies"`` and ``"propertyDependencies"``
for ``AnalyzeStack``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal, cast

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tierguard.offline.mocks import ACCOUNT_ID, RecordedResource
from tierguard.offline.render import ordered
from tierguard.offline.runner import ProgramRun
from tierguard.rules.normalize import (
    ACL_TYPES,
    GROUP_TYPES,
    NETWORK_ACL_RULE,
    SECURITY_GROUP_RULE,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
)

Phase = Literal["preview", "up", "refresh"]
PHASES: tuple[Phase, ...] = ("preview", "up", "refresh")

#: What the engine sends for a value unknown until apply.
UNKNOWN = UNKNOWN_STRING_VALUE
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_TYPE = "pulumi:providers:aws"

#: AWS protocol numbers, as a NetworkAcl Read returns an entry's protocol.
_ACL_PROTOCOLS = {"all": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


@dataclass(frozen=True)
class EngineCalls:
    """The ``Analyze`` requests (in step order) and the ``AnalyzeStack`` resources."""

    phase: Phase
    analyze: tuple[dict[str, Any], ...]
    stack: tuple[dict[str, Any], ...]


def _provider_of(project: str, stack: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The default AWS provider resource the engine registers for the program."""
    version = metadata.version("pulumi_aws")
    major, minor, patch = ([*version.split("+", 1)[0].split("."), "0", "0"])[:3]
    name = f"default_{major}_{minor}_{patch}"
    properties: dict[str, Any] = {
        key.split(":", 1)[1]: value
        for key, value in config.items()
        if key.startswith("aws:") and isinstance(value, str | int | float | bool)
    }
    properties["version"] = version
    return {
        "urn": f"urn:pulumi:{stack}::{project}::{PROVIDER_TYPE}::{name}",
        "type": PROVIDER_TYPE,
        "name": name,
        "properties": properties,
    }


def engine_calls(run: ProgramRun, phase: Phase, config: Mapping[str, Any]) -> EngineCalls:
    """What the engine would send the pack for ``run`` in ``phase`` (see the module doc)."""
    provider = _provider_of(run.project, run.stack, config)
    provider_ref = {k: provider[k] for k in ("urn", "type", "name", "properties")}
    resources = ordered(run)
    computed = _computed_values(resources) if phase == "preview" else {}
    unknown = _Unknowns(computed)
    root = _root(run)

    analyze = _first_analyzed(root, provider)
    stack: list[dict[str, Any]] = []
    by_id = {r.id: r for r in resources if r.custom and r.id}
    mirrors = _mirrors(resources, by_id) if phase == "refresh" else {}
    for resource in resources:
        head = _resource_head(resource, root["urn"], provider_ref)
        inputs = unknown.apply(resource.inputs, set(resource.dependencies))
        inputs = inputs if resource.custom else {}
        analyze.append({**head, "properties": inputs})
        if resource.custom:
            outputs = _outputs(resource, phase, inputs, mirrors.get(resource.urn))
        else:
            outputs = unknown.apply(resource.outputs, None)
        stack.append(
            {
                **head,
                "dependencies": list(resource.dependencies),
                "propertyDependencies": {
                    k: list(v) for k, v in resource.property_dependencies.items() if v
                },
                "properties": outputs,
            }
        )
    stack.append(
        {
            **_head(root),
            "provider": None,
            "dependencies": [],
            "propertyDependencies": {},
            "properties": unknown.apply(run.outputs, None),
        }
    )
    stack.append(
        {
            **_head(provider),
            "parent": None,
            "provider": None,
            "dependencies": [],
            "propertyDependencies": {},
            "properties": dict(provider["properties"]),
        }
    )
    return EngineCalls(phase, tuple(analyze), tuple(stack))


class PreviewAnalyze:
    """A preview's ``Analyze`` requests built one registration at a time, so they can be
    sent while the program still registers (``tierguard.offline.stream``).

    A value is unknown when a dependency of the resource computes it; a resource's
    dependencies register before it does, so the values computed by the resources
    registered so far decide exactly what ``engine_calls(run, "preview", …)`` decides with
    the whole run. Only the order differs: registration order, not the engine's step
    order."""

    def __init__(self, project: str, stack: str, config: Mapping[str, Any]) -> None:
        self._root = _root_of(project, stack)
        self._provider = _provider_of(project, stack, config)
        self._provider_ref = {k: self._provider[k] for k in ("urn", "type", "name", "properties")}
        self._computed: dict[str, set[str]] = {}

    def first(self) -> list[dict[str, Any]]:
        """The root stack's and the default provider's requests, which come first."""
        return _first_analyzed(self._root, self._provider)

    def request(self, resource: RecordedResource) -> dict[str, Any]:
        """The request for ``resource``; every resource registered before it is known."""
        _add_computed(self._computed, resource)
        head = _resource_head(resource, self._root["urn"], self._provider_ref)
        if not resource.custom:
            return {**head, "properties": {}}
        inputs = _Unknowns(self._computed).apply(resource.inputs, set(resource.dependencies))
        return {**head, "properties": inputs}


def _first_analyzed(root: Mapping[str, Any], provider: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {**_head(root), "provider": None, "properties": {}},
        {**_head(provider), "parent": None, "provider": None, "properties": provider["properties"]},
    ]


def _resource_head(
    resource: RecordedResource, root_urn: str, provider_ref: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent or root_urn,
        "provider": provider_ref if resource.custom else None,
    }


def _root(run: ProgramRun) -> dict[str, Any]:
    return _root_of(run.project, run.stack)


def _root_of(project: str, stack: str) -> dict[str, Any]:
    name = f"{project}-{stack}"
    return {
        "urn": f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{name}",
        "type": STACK_TYPE,
        "name": name,
        "parent": None,
    }


def _head(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {k: resource.get(k) for k in ("urn", "type", "name", "parent")}


def _computed(resource: RecordedResource) -> dict[str, Any]:
    """The attributes the provider computes: the id and every output not an input."""
    found = {k: v for k, v in resource.outputs.items() if k not in resource.inputs}
    found["id"] = resource.id
    return found


def _computed_values(resources: Iterable[RecordedResource]) -> dict[str, set[str]]:
    """Each computed string value of a custom resource, with the URNs that compute it."""
    found: dict[str, set[str]] = {}
    for resource in resources:
        _add_computed(found, resource)
    return found


def _add_computed(found: dict[str, set[str]], resource: RecordedResource) -> None:
    if not resource.custom:
        return
    for value in _computed(resource).values():
        if isinstance(value, str) and value and value != ACCOUNT_ID:
            found.setdefault(value, set()).add(resource.urn)


@dataclass(frozen=True)
class _Unknowns:
    """Replaces values computed by resources not created yet with the unknown sentinel."""

    computed: Mapping[str, set[str]]

    def apply(self, value: Any, deps: set[str] | None) -> Any:
        """``deps`` limits the replacement to values of those resources (``None``: any)."""
        if not self.computed:
            return _copy(value)
        if isinstance(value, str):
            owners = self.computed.get(value)
            if owners and (deps is None or not owners.isdisjoint(deps)):
                return UNKNOWN
            return value
        if isinstance(value, Mapping):
            return {k: self.apply(v, deps) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.apply(v, deps) for v in value]
        return value


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _outputs(
    resource: RecordedResource,
    phase: Phase,
    inputs: Mapping[str, Any],
    mirrored: Mapping[str, list[dict[str, Any]]] | None,
) -> dict[str, Any]:
    """A custom resource's outputs: planned state at preview, provider state otherwise."""
    if phase == "preview":
        state = dict(inputs)
        state.update(dict.fromkeys(_computed(resource), UNKNOWN))
        if resource.type in GROUP_TYPES | ACL_TYPES:
            for key in ("ingress", "egress"):
                state.setdefault(key, UNKNOWN)
        return state
    state = cast(dict[str, Any], _copy(resource.outputs))
    state["id"] = resource.id
    if resource.type in GROUP_TYPES | ACL_TYPES:
        for key in ("ingress", "egress"):
            state.setdefault(key, [])
            if mirrored:
                state[key] = [*state[key], *mirrored.get(key, [])]
    return state


# ------------------------------------------------------------------------ after refresh


def _mirrors(
    resources: Iterable[RecordedResource], by_id: Mapping[str, RecordedResource]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """For each group/ACL URN, the inline-shaped copies of its separate rules' entries."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    gathered: dict[tuple[str, str, tuple[Any, ...]], dict[str, Any]] = {}
    for resource in resources:
        if resource.type in (VPC_INGRESS_RULE, VPC_EGRESS_RULE, SECURITY_GROUP_RULE):
            group = by_id.get(str(resource.inputs.get("securityGroupId")))
            if group is None:
                continue
            _gather_sg_rule(resource, group, found, gathered)
        elif resource.type == NETWORK_ACL_RULE:
            acl = by_id.get(str(resource.inputs.get("networkAclId")))
            if acl is None:
                continue
            key = "egress" if resource.inputs.get("egress") else "ingress"
            found.setdefault(acl.urn, {}).setdefault(key, []).append(_acl_entry(resource))
    return found


def _gather_sg_rule(
    resource: RecordedResource,
    group: RecordedResource,
    found: dict[str, dict[str, list[dict[str, Any]]]],
    gathered: dict[tuple[str, str, tuple[Any, ...]], dict[str, Any]],
) -> None:
    """Fold one rule into its group's Read output as ``securityGroupIPPermGather`` does:
    one block per (protocol, ports, description), peers collected, own group as ``self``."""
    i = resource.inputs
    if resource.type == SECURITY_GROUP_RULE:
        key = "egress" if i.get("type") == "egress" else "ingress"
        protocol = str(i.get("protocol", "-1"))
        cidrs, v6 = list(i.get("cidrBlocks") or []), list(i.get("ipv6CidrBlocks") or [])
        lists, peer = list(i.get("prefixListIds") or []), i.get("sourceSecurityGroupId")
        is_self = bool(i.get("self"))
    else:
        key = "egress" if resource.type == VPC_EGRESS_RULE else "ingress"
        protocol = str(i.get("ipProtocol", "-1"))
        cidrs = [i["cidrIpv4"]] if i.get("cidrIpv4") else []
        v6 = [i["cidrIpv6"]] if i.get("cidrIpv6") else []
        lists = [i["prefixListId"]] if i.get("prefixListId") else []
        peer, is_self = i.get("referencedSecurityGroupId"), False
    if protocol in ("-1", "all"):
        protocol, first, last = "-1", 0, 0
    else:
        first, last = int(i.get("fromPort", 0)), int(i.get("toPort", 0))
    description = str(i.get("description") or "")
    slot = (group.urn, key, (protocol, first, last, description))
    block = gathered.get(slot)
    if block is None:
        block = gathered[slot] = {
            "protocol": protocol,
            "fromPort": first,
            "toPort": last,
            "cidrBlocks": [],
            "ipv6CidrBlocks": [],
            "prefixListIds": [],
            "securityGroups": [],
            "self": False,
            "description": description,
        }
        found.setdefault(group.urn, {}).setdefault(key, []).append(block)
    block["cidrBlocks"].extend(cidrs)
    block["ipv6CidrBlocks"].extend(v6)
    block["prefixListIds"].extend(lists)
    if is_self or (peer and peer == group.id):
        block["self"] = True
    elif peer:
        block["securityGroups"].append(peer)


def _acl_entry(resource: RecordedResource) -> dict[str, Any]:
    """A ``NetworkAclRule`` as the ACL's Read lists it (protocol as AWS's number)."""
    i = resource.inputs
    protocol = str(i.get("protocol", "-1")).lower()
    return {
        "ruleNo": i.get("ruleNumber"),
        "action": str(i.get("ruleAction", "")).lower(),
        "protocol": _ACL_PROTOCOLS.get(protocol, protocol),
        "cidrBlock": i.get("cidrBlock") or "",
        "ipv6CidrBlock": i.get("ipv6CidrBlock") or "",
        "fromPort": i.get("fromPort", 0),
        "toPort": i.get("toPort", 0),
        "icmpType": i.get("icmpType", 0),
        "icmpCode": i.get("icmpCode", 0),
    }
