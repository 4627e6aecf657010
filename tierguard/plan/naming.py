"""Every name tierguard gives a resource, built here and nowhere else.

Like awsx's ``subnetNaming``: a name is derived from what the resource is (the network,
a tier, a subnet key, an ACL and its rule number, a rule's direction, traffic and peer),
never from a list position, so reordering the config never renames (and so replaces)
anything. The components, the offline mirror of them, the audit and reach all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.rules import CidrPeer, Direction, Peer, PrefixListPeer, SecurityGroupPeer, SgRule
from tierguard.rules.addresses import canonical_cidr, is_internet


def safe_name(text: str) -> str:
    """Make a value usable inside a resource name (URNs separate their parts with ``::``:
    every colon becomes a dot)."""
    return text.replace(":", ".").replace("/", "_")


def direction_key(direction: Direction) -> str:
    """``in`` or ``out``: a direction as a name part."""
    return "in" if direction is Direction.INGRESS else "out"


@dataclass(frozen=True)
class Naming:
    """The names of one network's resources (``network`` prefixes every one)."""

    network: str

    @property
    def vpc(self) -> str:
        return f"{self.network}-vpc"

    @property
    def default_security_group(self) -> str:
        return f"{self.vpc}-default-sg"

    @property
    def default_security_group_tag(self) -> str:
        """The ``Name`` tag of the emptied default group: a warning to whoever sees it."""
        return f"{self.vpc}-default-do-not-use"

    @property
    def internet_gateway(self) -> str:
        return f"{self.vpc}-igw"

    @property
    def public_route_table(self) -> str:
        return f"{self.vpc}-public"

    def subnet_key(self, group: str, where: str) -> str:
        """A subnet's key in the plan: its group and its zone (or existing subnet id)."""
        return f"{group}-{where}"

    def subnet(self, key: str) -> str:
        return f"{self.network}-{key}"

    def public_route(self, subnet_key: str) -> str:
        """The association of a public subnet with the public route table."""
        return f"{self.subnet(subnet_key)}-public"

    def tier(self, tier: str) -> str:
        """The tier's component and its security group."""
        return f"{self.network}-{tier}"

    def group_name_prefix(self, tier: str) -> str:
        """The prefix of the group's EC2 name (``name_prefix``: replaced groups get a
        fresh suffix, so create-before-destroy works)."""
        return f"{self.tier(tier)}-"

    def sg_rule(self, rule: SgRule, *, tier_peer: bool) -> str:
        """A security-group rule of tier ``rule.group``; ``tier_peer``: its
        ``SecurityGroupPeer`` names a tier."""
        peer = peer_key(rule.peer, tier=tier_peer)
        return f"{self.tier(rule.group)}-{direction_key(rule.direction)}-{rule.traffic.key}-{peer}"

    def acl(self, acl: str) -> str:
        """The ACL's component and the ACL."""
        return f"{self.network}-{acl}"

    def acl_entry(self, acl: str, direction: Direction, number: int) -> str:
        return f"{self.acl(acl)}-{direction_key(direction)}-{number}"

    def acl_association(self, acl: str, subnet_key: str) -> str:
        return f"{self.acl(acl)}-{subnet_key}"


def peer_key(peer: Peer, *, tier: bool) -> str:
    """A rule's peer as a name part; ``tier``: a ``SecurityGroupPeer`` names a tier."""
    match peer:
        case CidrPeer(network=network) if is_internet(network):
            return f"internet-ipv{network.version}"
        case CidrPeer(network=network):
            return safe_name(canonical_cidr(network))
        case SecurityGroupPeer(is_self=True) if tier:
            return "self"
        case SecurityGroupPeer(group=group) if tier:
            return f"tier-{group}"
        case SecurityGroupPeer(group=group):
            return group
        case PrefixListPeer(prefix_list=prefix_list):
            return prefix_list
