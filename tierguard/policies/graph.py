"""The stack as a network: groups with all their rules, ACLs with all their entries, and
what is attached to which subnet.

Built once per stack check from the engine's ``PolicyResource`` list (``AnalyzeStack``:
outputs at preview, at up and after a refresh). The model, pure over that list:

* ``groups``: each security group (by URN) with every rule that applies to it — its
  inline ``ingress``/``egress`` and the separate rule resources linked to it;
* ``acls``: each network ACL (by URN) with its entries, inline and separate, and the
  subnets it is associated with; an ACL the stack does not manage but adds
  ``NetworkAclRule`` entries to is an ``external`` view keyed by its literal id;
* ``attachments`` / ``subnets_of``: which placed AWS resources use which groups, in
  which subnets.

References between resources are resolved through ``property_dependencies`` first (the
only reliable signal at preview, when ids are unknown), then through ids the stack knows,
and otherwise kept as literal ids of things outside the stack. After a refresh a group's
or ACL's outputs list the separate rules too (the provider's Read is inline-shaped):
those mirrors are recognised as the same rule and counted once, on the separate
resource. Components, the root stack and providers are not AWS resources: they are never
consumers of a group nor placed in a subnet, whatever ids their outputs hold. Whatever
cannot be resolved is recorded on the source as "could not be evaluated at preview".

Outside a policy run the same model is built from engine-shaped resources:
``StackView(StackResources(policy_resources(engine_calls(run, phase, config).stack)))``.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, TypeVar

from pulumi_policy import PolicyResource

from tierguard.policies.base import ENGINE_READER
from tierguard.policies.memo import shared
from tierguard.rules import AclEntry, IPNetwork, SecurityGroupPeer, SgRule
from tierguard.rules.model import PrefixListPeer
from tierguard.rules.normalize import (
    ACL_TYPES,
    DEFAULT_NETWORK_ACL,
    DEFAULT_SECURITY_GROUP,
    GROUP_TYPES,
    MANAGED_PREFIX_LIST,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    RULE_TYPES,
    SECURITY_GROUP_RULE,
    SG_TYPES,
    SUBNET,
    UNKNOWN_REF,
    VPC,
    VPC_INGRESS_RULE,
    Unresolved,
    inline_rule_blocks,
    normalize_network_acl,
    normalize_prefix_list,
    normalize_security_group,
)

_UNKNOWN = ENGINE_READER.unknown_errors

#: The root stack resource; its outputs are the stack's exports.
ROOT_STACK = "pulumi:pulumi:Stack"


def read(props: Mapping[str, Any], key: str) -> object:
    """``props[key]`` or ``None``; an unknown value raises the engine's UnknownValueError."""
    return props.get(key)


def known(props: Mapping[str, Any], key: str) -> object:
    """``props[key]``, or ``None`` when absent or unknown."""
    try:
        return read(props, key)
    except _UNKNOWN:
        return None


def strings_in(value: object) -> Iterator[str]:
    """Every known string anywhere inside a props value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in list(value):
            try:
                inner = value[key]
            except _UNKNOWN:
                continue
            yield from strings_in(inner)
    elif isinstance(value, Sequence):
        for index in range(len(value)):
            try:
                inner = value[index]
            except _UNKNOWN:
                continue
            yield from strings_in(inner)


def has_unknown(value: object) -> bool:
    """Whether a props value holds an unknown anywhere inside it."""
    if isinstance(value, Mapping):
        keys = list(value)
        for key in keys:
            try:
                inner = value[key]
            except _UNKNOWN:
                return True
            if has_unknown(inner):
                return True
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for index in range(len(value)):
            try:
                inner = value[index]
            except _UNKNOWN:
                return True
            if has_unknown(inner):
                return True
    return False


def is_aws_resource(resource: PolicyResource) -> bool:
    """A resource a provider manages: the engine names its provider; a component, the root
    stack and provider resources have none (``aws:`` types count when no provider is given,
    as in hand-built test data)."""
    if resource.resource_type.startswith("pulumi:"):
        return False
    return resource.provider is not None or resource.resource_type.startswith("aws:")


@dataclass(frozen=True)
class LocatedRule:
    """A group's rule with the resource (and block) that declares it."""

    rule: SgRule
    resource: PolicyResource
    path: str
    peer_groups: tuple[str, ...] = ()
    """The groups a security-group peer resolves to (URNs, or ids outside the stack)."""

    @property
    def where(self) -> str:
        return f"{self.resource.name} {self.path}".strip()

    @property
    def inline(self) -> bool:
        return self.resource.resource_type in GROUP_TYPES


@dataclass(frozen=True)
class LocatedEntry:
    entry: AclEntry
    resource: PolicyResource
    path: str

    @property
    def where(self) -> str:
        label = f"{self.resource.name} {self.path}".strip()
        return f"rule {self.entry.number} ({label})"

    @property
    def inline(self) -> bool:
        return self.resource.resource_type in ACL_TYPES


@dataclass
class GroupView:
    key: str
    resource: PolicyResource
    rules: list[LocatedRule] = field(default_factory=list)
    separate: list[PolicyResource] = field(default_factory=list)
    inline: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def is_default(self) -> bool:
        return self.resource.resource_type == DEFAULT_SECURITY_GROUP


@dataclass
class AclView:
    key: str
    """The ACL's URN; for an ``external`` ACL, its literal id."""
    resource: PolicyResource
    """The ACL; for an ``external`` ACL, the first rule resource that names it."""
    entries: list[LocatedEntry] = field(default_factory=list)
    separate: list[PolicyResource] = field(default_factory=list)
    inline: dict[str, int] = field(default_factory=dict)
    subnets: set[str] = field(default_factory=set)
    """Subnet keys this ACL is known to be associated with."""
    pending_unknowns: list[Unresolved] = field(default_factory=list)
    subnets_unknown: bool = False
    """``subnetIds`` is unknown (preview) and no association names a subnet either."""
    external: bool = False
    """The stack adds entries to an ACL it does not manage: only those entries are seen."""

    @property
    def name(self) -> str:
        return self.key if self.external else self.resource.name

    @property
    def is_default(self) -> bool:
        return not self.external and self.resource.resource_type == DEFAULT_NETWORK_ACL

    @property
    def acl_entries(self) -> list[AclEntry]:
        return [e.entry for e in self.entries]

    def located(self, entry: AclEntry | None) -> LocatedEntry | None:
        return next((e for e in self.entries if e.entry is entry), None)

    def subject(self, located: LocatedEntry | None) -> tuple[str, str]:
        """The URN and name a finding about ``located`` belongs to: the ACL, or — for an
        ACL outside the stack — the rule resource that declared the entry."""
        if not self.external:
            return self.key, self.name
        resource = located.resource if located is not None else self.resource
        return resource.urn, resource.name

    @property
    def unseen_note(self) -> str:
        """What a finding on an external ACL must say: the verdict is on a partial view."""
        if not self.external:
            return ""
        return (
            f" The ACL {self.key} is not managed by this stack, so its other entries were not "
            "seen: judged on the visible entries only (fail-closed: a lower-numbered deny "
            "elsewhere in the ACL would not be known)."
        )


class StackSource(Protocol):
    """What a view reads: the stack's resources, and where to note what cannot be known.
    A policy's ``StackContext`` is one; ``StackResources`` is one outside the pack."""

    @property
    def resources(self) -> Sequence[PolicyResource]: ...

    def unknown(self, detail: str) -> None: ...


@dataclass
class StackResources:
    """A stack's resources outside a policy run (e.g. ``policy_resources(calls.stack)``
    from ``tierguard.offline.engine``), collecting what could not be resolved."""

    resources: Sequence[PolicyResource]
    unknowns: list[str] = field(default_factory=list)

    def unknown(self, detail: str) -> None:
        if detail not in self.unknowns:
            self.unknowns.append(detail)


_GROUPS, _ACLS = "groups", "acls"


class _StackIndex:
    """Indexes over one stack's resources; every property is computed on first use.

    What cannot be resolved is noted per section (``groups``, ``acls``) rather than on a
    policy's context, so one index can serve every policy of a request (``StackView``
    hands each policy the notes of the sections it reads)."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.notes: dict[str, list[str]] = {_GROUPS: [], _ACLS: []}
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_id: dict[str, str] = {}
        for resource in self.resources:
            for key in ("id", "arn"):
                value = known(resource.props, key)
                if isinstance(value, str) and value:
                    self.by_id[value] = resource.urn

    def _note(self, section: str, detail: str) -> None:
        if detail not in self.notes[section]:
            self.notes[section].append(detail)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type in types]

    def refs(self, resource: PolicyResource, prop: str, types: Iterable[str]) -> list[str] | None:
        """What ``prop`` points at: URNs in the stack or literal ids; ``None``: unknown."""
        wanted = frozenset(types)
        deps = resource.property_dependencies.get(prop) or []
        urns = [d.urn for d in deps if d.resource_type in wanted]
        if urns:
            return list(dict.fromkeys(urns))
        try:
            value = read(resource.props, prop)
        except _UNKNOWN:
            return None
        values: list[str] = []
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, Sequence):
            for index in range(len(value)):
                try:
                    item = value[index]
                except _UNKNOWN:
                    return None
                if isinstance(item, str):
                    values.append(item)
        return [self.by_id.get(v, v) for v in values if v]

    # ----------------------------------------------------------------------------- groups

    @cached_property
    def groups(self) -> dict[str, GroupView]:
        groups = {
            r.urn: GroupView(r.urn, r, inline=inline_rule_blocks(r.props, ENGINE_READER))
            for r in self.of_type(*GROUP_TYPES)
        }
        for group in groups.values():
            self._add_rules(group, group.resource)
        for rule_resource in self.of_type(*RULE_TYPES):
            target = self.refs(rule_resource, "securityGroupId", GROUP_TYPES)
            if target is None:
                self._note(
                    _GROUPS, f"{rule_resource.name}: the security group it belongs to is unknown"
                )
                continue
            if not target:
                continue
            owner = groups.get(target[0])
            if owner is None:
                continue
            owner.separate.append(rule_resource)
            self._add_rules(owner, rule_resource)
        for group in groups.values():
            if group.separate:
                group.rules = _without_mirrors(group.rules, self._rule_key)
        return groups

    def _rule_key(self, located: LocatedRule) -> tuple[object, ...]:
        """What makes two rules the same AWS rule: direction, traffic and the resolved peer
        (AWS refuses a second rule that differs only in its description)."""
        rule, peer = located.rule, located.rule.peer
        target: object
        if isinstance(peer, SecurityGroupPeer):
            target = located.peer_groups or (peer.group,)
            if UNKNOWN_REF in target:
                return (id(located),)  # an unresolved peer matches no other rule
        elif isinstance(peer, PrefixListPeer):
            target = self.by_id.get(peer.prefix_list, peer.prefix_list)
        else:
            target = str(peer)
        return (rule.direction, rule.traffic, type(peer).__name__, target)

    def _add_rules(self, group: GroupView, resource: PolicyResource) -> None:
        result = normalize_security_group(
            resource.resource_type, resource.props, group=group.key, reader=ENGINE_READER
        )
        for item in result.unknowns:
            if resource.resource_type in GROUP_TYPES and "[" not in item.path:
                # A whole inline list unknown at preview is, in a stack's outputs, the
                # computed list of a group whose rules are managed elsewhere; the group's
                # own resource policies judge its inputs and report a real unknown.
                continue
            self._note(_GROUPS, f"{resource.name} {item}".replace(" : ", ": "))
        for sourced in result.items:
            peers: tuple[str, ...] = ()
            if isinstance(sourced.rule.peer, SecurityGroupPeer):
                peers = self._peer_groups(group, resource, sourced.rule.peer, sourced.path)
            group.rules.append(LocatedRule(sourced.rule, resource, sourced.path, peers))

    def _peer_groups(
        self, group: GroupView, resource: PolicyResource, peer: SecurityGroupPeer, path: str
    ) -> tuple[str, ...]:
        if peer.is_self:
            return (group.key,)
        if peer.group != UNKNOWN_REF:
            return (self.by_id.get(peer.group, peer.group),)
        prop = {
            SECURITY_GROUP_RULE: "sourceSecurityGroupId",
            VPC_INGRESS_RULE: "referencedSecurityGroupId",
        }.get(resource.resource_type, "referencedSecurityGroupId")
        if resource.resource_type in GROUP_TYPES:
            prop = path.split("[", 1)[0]
        deps = resource.property_dependencies.get(prop) or []
        # A separate rule that references its own group (``self`` at preview, when the
        # id is unknown) depends on that group: the peer is the group itself.
        return tuple(dict.fromkeys(d.urn for d in deps if d.resource_type in GROUP_TYPES))

    # ------------------------------------------------------------------------------- ACLs

    @cached_property
    def acls(self) -> dict[str, AclView]:
        acls = {
            r.urn: AclView(r.urn, r, inline=inline_rule_blocks(r.props, ENGINE_READER))
            for r in self.of_type(*ACL_TYPES)
        }
        for acl in acls.values():
            self._add_entries(acl, acl.resource)
            subnets = self.refs(acl.resource, "subnetIds", {SUBNET})
            acl.subnets_unknown = subnets is None
            acl.subnets = set(subnets or ())
        for rule_resource in self.of_type(NETWORK_ACL_RULE):
            target = self.refs(rule_resource, "networkAclId", ACL_TYPES)
            if target is None:
                self._note(_ACLS, f"{rule_resource.name}: the network ACL it belongs to is unknown")
                continue
            if not target:
                continue
            owner = acls.get(target[0])
            if owner is None:
                # An existing ACL the stack only adds entries to: judged on what is visible.
                owner = acls[target[0]] = AclView(target[0], rule_resource, external=True)
            owner.separate.append(rule_resource)
            self._add_entries(owner, rule_resource)
        for acl in acls.values():
            if acl.separate and not acl.external:
                acl.entries = _without_mirrors(
                    acl.entries, lambda e: (e.entry.egress, e.entry.number)
                )
            for item in acl.pending_unknowns:
                if acl.separate and "[" not in item.path:
                    continue  # computed list of an ACL whose entries are separate resources
                self._note(_ACLS, f"{acl.name} {item}")
        for association in self.of_type(NETWORK_ACL_ASSOCIATION):
            target = self.refs(association, "networkAclId", ACL_TYPES)
            subnet = self.refs(association, "subnetId", {SUBNET})
            if target and target[0] in acls:
                acl = acls[target[0]]
                if subnet:
                    acl.subnets.update(subnet)
                    acl.subnets_unknown = False
                else:
                    acl.subnets.add(association.urn)
        return acls

    def _add_entries(self, acl: AclView, resource: PolicyResource) -> None:
        result = normalize_network_acl(resource.resource_type, resource.props, reader=ENGINE_READER)
        if resource.resource_type in ACL_TYPES:
            acl.pending_unknowns.extend(result.unknowns)
        else:
            for item in result.unknowns:
                self._note(_ACLS, f"{resource.name} {item}".replace(" : ", ": "))
        acl.entries.extend(LocatedEntry(s.entry, resource, s.path) for s in result.items)

    @cached_property
    def acl_of_subnet(self) -> dict[str, AclView]:
        """The ACL each subnet uses, where the stack says (custom ACLs win over the default)."""
        found: dict[str, AclView] = {}
        for acl in sorted(self.acls.values(), key=lambda a: not a.is_default):
            for subnet in acl.subnets:
                found[subnet] = acl
        return found

    # ------------------------------------------------------------------- prefix lists, VPCs

    @cached_property
    def prefix_lists(self) -> dict[str, tuple[IPNetwork, ...] | None]:
        """Entries of same-stack prefix lists by URN and id (``None``: unknown at preview)."""
        found: dict[str, tuple[IPNetwork, ...] | None] = {}
        for resource in self.of_type(MANAGED_PREFIX_LIST):
            result = normalize_prefix_list(resource.props, reader=ENGINE_READER)
            value = None if result.unknowns else result.items
            found[resource.urn] = value
            for key, urn in self.by_id.items():
                if urn == resource.urn:
                    found[key] = value
        return found

    def vpc_blocks(self, group: GroupView) -> tuple[IPNetwork, ...] | None:
        """The CIDR blocks of the group's VPC when the stack declares it."""
        vpc = self.refs(group.resource, "vpcId", {VPC})
        if not vpc or vpc[0] not in self.by_urn:
            return None
        props = self.by_urn[vpc[0]].props
        blocks: list[IPNetwork] = []
        for key in ("cidrBlock", "ipv6CidrBlock"):
            value = known(props, key)
            if isinstance(value, str) and value:
                try:
                    blocks.append(ipaddress.ip_network(value, strict=False))
                except ValueError:
                    continue
        return tuple(blocks) or None

    # ------------------------------------------------------------------------ attachments

    @cached_property
    def attachments(self) -> dict[str, set[str]]:
        """For each placed AWS resource's URN, the same-stack groups its properties name.

        Groups and rules are not consumers; neither are components, the root stack or
        providers, whose outputs merely repeat the ids of what they created."""
        groups = self.groups
        found: dict[str, set[str]] = {}
        for resource in self.resources:
            if not is_aws_resource(resource) or resource.resource_type in SG_TYPES:
                continue
            named: set[str] = set()
            for deps in resource.property_dependencies.values():
                named.update(d.urn for d in deps if d.urn in groups)
            for text in strings_in(resource.props):
                urn = self.by_id.get(text)
                if urn in groups:
                    named.add(urn)
            if named:
                found[resource.urn] = named
        return found

    @cached_property
    def _root_stacks(self) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type == ROOT_STACK]

    @cached_property
    def exported(self) -> set[str]:
        """Groups the stack's outputs (the root ``pulumi:pulumi:Stack``) name by id."""
        found: set[str] = set()
        for root in self._root_stacks:
            found.update(d.urn for d in root.dependencies if d.urn in self.groups)
            found.update(
                urn for t in strings_in(root.props) if (urn := self.by_id.get(t)) in self.groups
            )
        return found

    @cached_property
    def _outputs_unknown(self) -> bool:
        """At preview, stack outputs that are ids of new resources are unknown."""
        return any(has_unknown(root.props) for root in self._root_stacks)

    def may_be_exported(self, group: GroupView) -> bool:
        """Named by a stack output, or — at preview — possibly among its unknown outputs,
        since the group's own id is unknown too (the up-time check sees the real ids)."""
        if group.key in self.exported:
            return True
        try:
            read(group.resource.props, "id")
        except _UNKNOWN:
            return self._outputs_unknown
        return False

    @cached_property
    def _referrers(self) -> dict[str, dict[str, PolicyResource]]:
        """For each group, the other groups whose rules reference it (by URN)."""
        found: dict[str, dict[str, PolicyResource]] = {}
        for group in self.groups.values():
            for rule in group.rules:
                for peer in rule.peer_groups:
                    if peer != group.key:
                        found.setdefault(peer, {})[group.key] = group.resource
        return found

    @cached_property
    def _consumers(self) -> dict[str, list[PolicyResource]]:
        """For each group, the placed AWS resources that name it."""
        found: dict[str, list[PolicyResource]] = {}
        for urn, named in self.attachments.items():
            for key in named:
                found.setdefault(key, []).append(self.by_urn[urn])
        return found

    def users(self, group: GroupView) -> list[PolicyResource]:
        """Everything in the stack that uses the group: consumers, outputs, other rules."""
        used = list(self._consumers.get(group.key, ()))
        used.extend(self._referrers.get(group.key, {}).values())
        if self.may_be_exported(group):
            used.extend(self._root_stacks)
        return used

    def subnets_of(self, resource: PolicyResource) -> set[str]:
        """Subnet keys a placed AWS resource is in (URNs, or literal subnet ids); none for a
        component, the root stack or a provider."""
        found: set[str] = set()
        if not is_aws_resource(resource):
            return found
        for deps in resource.property_dependencies.values():
            found.update(d.urn for d in deps if d.resource_type == SUBNET)
        for text in strings_in(resource.props):
            if text.startswith("subnet-"):
                found.add(self.by_id.get(text, text))
        return found


class StackView:
    """One policy's view of the stack: the request's shared index, and the notes of what
    could not be resolved handed to this policy's context for each section it reads —
    exactly what it would have recorded building the index itself.

    Within a request scope (``tierguard.policies.memo``) every policy reads one index;
    outside one, each view builds its own."""

    def __init__(self, ctx: StackSource) -> None:
        self.ctx = ctx
        self.resources = ctx.resources
        resources = ctx.resources
        self._index = shared(("stack-index", id(resources)), lambda: _StackIndex(resources))
        self.by_urn = self._index.by_urn
        self.by_id = self._index.by_id
        self._handed: set[str] = set()

    def _hand(self, section: str) -> None:
        """Note what the section could not resolve — once it is built, as building it
        would have noted it on this policy's context."""
        if section not in self._handed:
            self._handed.add(section)
            for detail in self._index.notes[section]:
                self.ctx.unknown(detail)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return self._index.of_type(*types)

    def refs(self, resource: PolicyResource, prop: str, types: Iterable[str]) -> list[str] | None:
        """What ``prop`` points at: URNs in the stack or literal ids; ``None``: unknown."""
        return self._index.refs(resource, prop, types)

    @property
    def groups(self) -> dict[str, GroupView]:
        groups = self._index.groups
        self._hand(_GROUPS)
        return groups

    @property
    def acls(self) -> dict[str, AclView]:
        acls = self._index.acls
        self._hand(_ACLS)
        return acls

    @property
    def acl_of_subnet(self) -> dict[str, AclView]:
        """The ACL each subnet uses, where the stack says (custom ACLs win over the default)."""
        found = self._index.acl_of_subnet
        self._hand(_ACLS)
        return found

    @property
    def prefix_lists(self) -> dict[str, tuple[IPNetwork, ...] | None]:
        """Entries of same-stack prefix lists by URN and id (``None``: unknown at preview)."""
        return self._index.prefix_lists

    def vpc_blocks(self, group: GroupView) -> tuple[IPNetwork, ...] | None:
        """The CIDR blocks of the group's VPC when the stack declares it."""
        return self._index.vpc_blocks(group)

    @property
    def attachments(self) -> dict[str, set[str]]:
        """For each placed AWS resource's URN, the same-stack groups its properties name."""
        found = self._index.attachments
        self._hand(_GROUPS)
        return found

    def users(self, group: GroupView) -> list[PolicyResource]:
        """Everything in the stack that uses the group: consumers, outputs, other rules."""
        found = self._index.users(group)
        self._hand(_GROUPS)
        return found

    def subnets_of(self, resource: PolicyResource) -> set[str]:
        """Subnet keys a placed AWS resource is in (URNs, or literal subnet ids)."""
        return self._index.subnets_of(resource)


_Item = TypeVar("_Item", LocatedRule, LocatedEntry)


def _without_mirrors(items: list[_Item], key: Callable[[_Item], Hashable]) -> list[_Item]:
    """Drop the inline copies of separate rules from a group's or ACL's outputs.

    After a refresh the provider's Read lists every rule of the group (every entry of the
    ACL) inline-shaped, separate resources included; each such copy is the same rule as
    the separate resource, which keeps it (one copy per separate item)."""
    pending = Counter(key(i) for i in items if not i.inline)
    kept: list[_Item] = []
    for item in items:
        if item.inline and pending[key(item)] > 0:
            pending[key(item)] -= 1
            continue
        kept.append(item)
    return kept
