"""The ``tierguard:network`` stack-config key, as frozen pydantic v2 models.

Parsed once at the edge (``parse_network``); everything downstream receives these typed,
immutable values. Field validators turn strings into the shared rule types
(``PortRange``, protocol numbers, networks) so a bad value is reported at its own path.
Cross-references (tier names, services, subnet groups) and quotas are checked when the
plan is built, where the whole description is in view.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from tierguard.rules import (
    ALL,
    EPHEMERAL_PORTS,
    IPNetwork,
    PortRange,
    parse_cidr,
    parse_ports,
    parse_protocol,
    protocol_has_ports,
)
from tierguard.rules.acl import MAX_RULE_NUMBER
from tierguard.rules.descriptions import description_problem
from tierguard.rules.protocols import is_icmp, protocol_name

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$"
"""Tier, ACL, subnet-group and named-CIDR names: they become part of resource names."""

Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        description="lower-case letters, digits and dashes, starting with a letter",
    ),
]


def _check_description(value: str) -> str:
    problem = description_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _spell(ports: PortRange) -> str:
    """Ports as a user writes them in config."""
    return "all" if ports.is_all else ports.key


# Each parsed type tells editors (the generated JSON Schema) how users spell it.
Cidr = Annotated[
    IPNetwork,
    BeforeValidator(parse_cidr),
    PlainSerializer(lambda n: n.compressed, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*[0-9A-Fa-f.:]+/[0-9]{1,3}\s*$",
            "description": "A CIDR block without host bits: 10.0.0.0/16, 2001:db8::/56.",
        }
    ),
]
Ports = Annotated[
    PortRange,
    BeforeValidator(parse_ports),
    PlainSerializer(_spell, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 65535},
                {"type": "string", "pattern": r"^\s*([0-9]+(-[0-9]+)?|[Aa][Ll][Ll])\s*$"},
            ],
            "description": "A port (443), a range ('8000-8080') or 'all'.",
        }
    ),
]
Protocol = Annotated[
    int,
    BeforeValidator(parse_protocol),
    PlainSerializer(protocol_name, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": -1, "maximum": 255}, {"type": "string"}],
            "description": "tcp, udp, icmp, icmpv6, all (-1) or an IANA number.",
        }
    ),
]
Description = Annotated[str, AfterValidator(_check_description)]
#: EC2's tag limits (Tag restrictions, EC2 user guide): per resource, and per key/value.
MAX_TAGS = 50
MAX_USER_TAGS = MAX_TAGS - 4
"""tierguard adds Name, tierguard:network, tierguard:stack and tierguard:tier."""
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if not key:
            raise ValueError("a tag key cannot be empty")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the aws: prefix is reserved for AWS's own tags")
        if len(key) > MAX_TAG_KEY:
            raise ValueError(
                f"tag key {key[:20]!r}… is {len(key)} characters; EC2 allows {MAX_TAG_KEY}"
            )
        if len(value) > MAX_TAG_VALUE:
            raise ValueError(
                f"tag {key!r} has a value of {len(value)} characters; EC2 allows {MAX_TAG_VALUE}"
            )
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(
            f"{len(tags)} tags; EC2 allows {MAX_TAGS} per resource and tierguard adds "
            f"{MAX_TAGS - MAX_USER_TAGS}, so at most {MAX_USER_TAGS}"
        )
    return tags


Tags = Annotated[dict[str, str], AfterValidator(_check_tags)]

#: Ranges a VPC cannot use (VPC user guide, "IPv4 VPC CIDR blocks").
VPC_RESERVED = tuple(
    ipaddress.IPv4Network(block)
    for block in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4")
)

SecurityGroupId = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]
PrefixListId = Annotated[str, Field(pattern=r"^pl-[0-9a-f]{8,17}$")]
VpcId = Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]


class Strict(BaseModel):
    """Frozen, unknown keys are errors (a typo must never silently open or close a port),
    and values are taken as typed: ``true`` is not rule 1, ``"0100"`` is not 100, ``"yes"``
    is not a boolean (pydantic's strict mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class _TrafficFields(Strict):
    """What traffic a rule matches: a named ``service``, or ``protocol`` with ports/ICMP."""

    service: str | None = Field(
        None, description="A named service from the catalogue (https, ssh, mysql, …)."
    )
    protocol: Protocol | None = Field(
        None, description="tcp, udp, icmp, icmpv6, all (-1) or an IANA number."
    )
    ports: Ports | None = Field(
        None, description="A port (443), a range ('8000-8080') or 'all'; TCP and UDP only."
    )
    icmp_type: int | None = Field(None, description="ICMP type (-1 = any); ICMP only.")
    icmp_code: int | None = Field(None, description="ICMP code (-1 = any); ICMP only.")

    @field_validator("protocol")
    @classmethod
    def _not_with_service(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("service") is not None:
            raise ValueError(
                f"{protocol_name(value)!r} given together with service "
                f"{info.data['service']!r}; use either service or protocol"
            )
        return value

    @field_validator("ports")
    @classmethod
    def _ports_fit_protocol(cls, value: PortRange | None, info: ValidationInfo) -> PortRange | None:
        if value is None:
            return value
        if info.data.get("service") is not None:
            raise ValueError(
                f"{_spell(value)!r} given together with service {info.data['service']!r}; "
                "a service brings its own ports"
            )
        protocol = info.data.get("protocol")
        if protocol is None:
            return value
        if protocol == ALL:
            raise ValueError(
                f"{_spell(value)!r}: protocol 'all' already covers every port; remove ports"
            )
        if is_icmp(protocol):
            raise ValueError(
                f"{_spell(value)!r}: ICMP has no ports; use icmp_type and icmp_code instead"
            )
        if not protocol_has_ports(protocol):
            raise ValueError(
                f"{_spell(value)!r}: protocol {protocol} has no ports; remove ports "
                "(only tcp and udp take ports)"
            )
        return value

    @field_validator("icmp_type", "icmp_code")
    @classmethod
    def _icmp_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return value
        protocol = info.data.get("protocol")
        if protocol is None or not is_icmp(protocol):
            raise ValueError(
                f"{value!r}: {info.field_name} applies to protocol icmp or icmpv6 only"
            )
        if not -1 <= value <= 255:
            raise ValueError(f"{value!r} is outside -1..255 (-1 means any)")
        return value

    @model_validator(mode="after")
    def _traffic_is_complete(self) -> Self:
        if self.service is None and self.protocol is None:
            raise ValueError("give either service (https, ssh, …) or protocol (tcp, udp, …)")
        if self.protocol is not None and protocol_has_ports(self.protocol) and self.ports is None:
            raise ValueError(
                f"protocol {protocol_name(self.protocol)} needs ports: a port (443), "
                "a range ('8000-8080') or 'all'"
            )
        if self.icmp_code not in (None, -1) and self.icmp_type in (None, -1):
            raise ValueError("icmp_code needs a specific icmp_type")
        return self


SG_SOURCE_KEYS = (
    "internet",
    "cidr",
    "named_cidr",
    "tier",
    "security_group_id",
    "prefix_list_id",
    "self",
)


class SecurityGroupRuleConfig(_TrafficFields):
    """One ingress or egress rule of a tier; exactly one peer key is set."""

    internet: Literal["ipv4", "ipv6", "dual"] | None = Field(
        None, description="The whole internet over IPv4 (0.0.0.0/0), IPv6 (::/0) or both."
    )
    cidr: Cidr | None = Field(None, description="An IPv4 or IPv6 CIDR block.")
    named_cidr: Name | None = Field(None, description="A key of `named_cidrs`.")
    tier: Name | None = Field(None, description="Another tier (a security-group reference).")
    security_group_id: SecurityGroupId | None = Field(
        None, description="A security group outside tierguard (sg-…)."
    )
    prefix_list_id: PrefixListId | None = Field(None, description="A managed prefix list (pl-…).")
    self_: bool | None = Field(None, alias="self", description="`true`: members of this same tier.")
    description: Description | None = Field(
        None,
        description="Why the rule exists; generated from service and peer when omitted. "
        "EC2 allows up to 255 characters from a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$* "
        "(no newline); with auto_egress, the part before ' from ' also names the egress rule.",
    )

    @model_validator(mode="after")
    def _exactly_one_peer(self) -> Self:
        given = [key for key in SG_SOURCE_KEYS if self._peer_value(key) not in (None, False)]
        if len(given) != 1:
            found = f" (found: {', '.join(given)})" if given else ""
            raise ValueError(
                "give exactly one of internet, cidr, named_cidr, tier, security_group_id, "
                f"prefix_list_id or self: true{found}"
            )
        return self

    def _peer_value(self, key: str) -> object:
        return self.self_ if key == "self" else getattr(self, key)


class TierConfig(Strict):
    """A tier: one security group, its rules, and where its members live."""

    description: Description | None = Field(
        None,
        description="The group's description (EC2's characters as for rule descriptions, up "
        "to 255). EC2 cannot change it in place: editing it replaces the group.",
    )
    subnet_group: Name | None = Field(
        None, description="The subnet group whose ACL protects this tier's members."
    )
    ingress: list[SecurityGroupRuleConfig] = Field(
        default_factory=list, description="Who may open connections to this tier."
    )
    egress: list[SecurityGroupRuleConfig] = Field(
        default_factory=list,
        description="Where this tier may open connections (beyond automatic egress).",
    )
    auto_egress: bool | None = Field(
        None, description="Override the network's `auto_egress` for this tier."
    )
    tags: Tags = Field(
        default_factory=dict,
        description="Extra tags on the group (no aws: prefix, keys up to 128 and values up to "
        "256 characters, at most 46 with the network's).",
    )


ACL_PEER_KEYS = ("internet", "cidr", "named_cidr")


class AclRuleConfig(_TrafficFields):
    """One numbered network-ACL entry."""

    rule: int = Field(description="Rule number 1-32766; lower numbers are evaluated first.")
    action: Literal["allow", "deny"] = Field("allow", description="allow or deny.")
    internet: Literal["ipv4", "ipv6"] | None = Field(
        None, description="0.0.0.0/0 or ::/0 (an entry holds one address family)."
    )
    cidr: Cidr | None = Field(None, description="An IPv4 or IPv6 CIDR block.")
    named_cidr: Name | None = Field(None, description="A key of `named_cidrs`.")

    @field_validator("rule")
    @classmethod
    def _rule_in_range(cls, value: int) -> int:
        if not 1 <= value <= MAX_RULE_NUMBER:
            raise ValueError(
                f"rule {value} is outside 1-{MAX_RULE_NUMBER} (AWS reserves 32767 "
                "for the implicit deny)"
            )
        return value

    @field_validator("internet", mode="before")
    @classmethod
    def _one_family(cls, value: object) -> object:
        if value == "dual":
            raise ValueError(
                "'dual': an ACL entry holds one address family; write one entry with "
                "internet: ipv4 and another, with its own rule number, with internet: ipv6"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one_peer(self) -> Self:
        given = [key for key in ACL_PEER_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            found = f" (found: {', '.join(given)})" if given else ""
            raise ValueError(f"give exactly one of internet, cidr or named_cidr{found}")
        return self


class NetworkAclConfig(Strict):
    """A network ACL for one or more subnet groups, replacing the default ACL there."""

    subnet_groups: list[Name] = Field(
        min_length=1, description="The subnet groups whose subnets this ACL is associated with."
    )
    ingress: list[AclRuleConfig] = Field(default_factory=list, description="Inbound entries.")
    egress: list[AclRuleConfig] = Field(default_factory=list, description="Outbound entries.")
    return_traffic: bool = Field(
        True,
        description="Add the ephemeral-port return rules every allowed TCP/UDP flow needs "
        "in the other direction (ACLs are stateless).",
    )


class SubnetGroupConfig(Strict):
    """A group of subnets (one per availability zone) that share a role and an ACL."""

    public: bool = Field(
        False, description="Route to an internet gateway and map public IPs on launch."
    )
    prefix_length: int | None = Field(
        None,
        ge=16,
        le=28,
        description="Size of each subnet; defaults to the VPC's prefix + 8 (at most /28).",
    )
    cidrs: list[Cidr] | None = Field(
        None, description="Explicit subnet blocks, one per availability zone, in order."
    )
    subnet_ids: list[SubnetId] | None = Field(
        None, description="Existing subnets (only with an existing `vpc.id`)."
    )


class VpcConfig(Strict):
    """The VPC: an existing one (``id``) or one tierguard creates (``cidr``)."""

    id: VpcId | None = Field(None, description="Use this existing VPC instead of creating one.")
    cidr: Cidr | None = Field(
        None,
        description="The VPC block, /16 to /28, not in 0.0.0.0/8, 127.0.0.0/8, "
        "169.254.0.0/16 or 224.0.0.0/4: created with it, or (existing VPC) used to judge "
        "private sources.",
    )
    availability_zones: list[str] | None = Field(
        None,
        description="AZ names for created subnets, in order, each once, all zones of the "
        "stack's region (checked against the table in tierguard/config/zones.py, moto's "
        "EC2 data, before deploy). Without it: the first az_count zones "
        "aws.get_availability_zones reports for the account.",
    )
    az_count: int = Field(
        2,
        ge=1,
        le=6,
        description="How many AZs when none are named; at most the region's zone count "
        "(eu-west-1: 3, us-west-1: 2).",
    )
    manage_default_security_group: bool = Field(
        True,
        description="Take over a created VPC's default security group and leave it with "
        "no rules (CIS 5.4).",
    )

    @model_validator(mode="after")
    def _created_or_existing(self) -> Self:
        if self.id is None and self.cidr is None:
            raise ValueError("give cidr (tierguard creates the VPC) or id (an existing VPC)")
        if self.cidr is not None and self.cidr.version != 4:
            raise ValueError(f"{self.cidr.compressed!r}: the VPC's primary block must be IPv4")
        if self.cidr is not None:
            block = self.cidr.compressed
            if not 16 <= self.cidr.prefixlen <= 28:
                raise ValueError(
                    f"{block!r}: a VPC block must be between /16 and /28 (for example 10.0.0.0/16)"
                )
            reserved = next((r for r in VPC_RESERVED if self.cidr.overlaps(r)), None)
            if reserved is not None:
                raise ValueError(
                    f"{block!r} overlaps {reserved}, which a VPC cannot use; use a private "
                    "range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or your own public one"
                )
        return self

    @property
    def create(self) -> bool:
        return self.id is None


class CustomServiceConfig(_TrafficFields):
    """A service added to the catalogue for this network (``service: my-api``)."""

    label: str = Field(description="How generated descriptions name the service.")

    @field_validator("service")
    @classmethod
    def _defined_by_traffic(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(
                f"{value!r}: a custom service is defined by protocol and ports, not by "
                "another service"
            )
        return value

    @field_validator("label")
    @classmethod
    def _label_is_describable(cls, value: str) -> str:
        return _check_description(value)


class QuotasConfig(Strict):
    """AWS quotas checked before anything is planned; raise them if your account has."""

    security_group_rules: int = Field(
        60,
        ge=1,
        le=1000,
        description="Rules per security group, per direction and address family.",
    )
    network_acl_rules: int = Field(
        20,
        ge=1,
        le=40,
        description="Entries per network ACL, per direction and address family, counting "
        "the implicit deny as AWS does.",
    )
    prefix_list_weights: dict[PrefixListId, int] = Field(
        default_factory=dict,
        description="Max entries of prefix lists you reference: each counts that many rules.",
    )
    security_groups_per_interface: int = Field(
        5,
        ge=1,
        le=16,
        description="Security groups per network interface; times security_group_rules it "
        "may not exceed 1,000 (AWS enforces that product).",
    )

    @model_validator(mode="after")
    def _per_interface(self) -> Self:
        product = self.security_group_rules * self.security_groups_per_interface
        if product > 1000:
            raise ValueError(
                f"security_group_rules {self.security_group_rules} x "
                f"security_groups_per_interface {self.security_groups_per_interface} = "
                f"{product}; AWS caps rules per network interface at 1000, so no account "
                "has these quotas"
            )
        return self


def _default_ephemeral() -> PortRange:
    return EPHEMERAL_PORTS


class NetworkConfig(Strict):
    """The whole description of one stack's network (``tierguard:network``)."""

    name: Name = Field(
        "tg",
        description="Prefix of every resource name and AWS Name tag; not 'sg' or 'sg-…' "
        "(EC2 refuses group names starting with sg-).",
    )
    vpc: VpcConfig = Field(description="The VPC to create or use.")
    subnet_groups: dict[Name, SubnetGroupConfig] = Field(
        default_factory=dict, description="Subnet groups by name (public, app, data, …)."
    )
    named_cidrs: dict[Name, Cidr] = Field(
        default_factory=dict, description="Address blocks with names (admins, office, …)."
    )
    services: dict[Name, CustomServiceConfig] = Field(
        default_factory=dict, description="Services added to the built-in catalogue."
    )
    tiers: dict[Name, TierConfig] = Field(
        min_length=1, description="The tiers, one security group each."
    )
    network_acls: dict[Name, NetworkAclConfig] = Field(
        default_factory=dict, description="Network ACLs by name."
    )
    auto_egress: bool = Field(
        True,
        description="When tier B accepts traffic from tier A, give A the matching egress "
        "rule to B.",
    )
    ephemeral_ports: Ports = Field(
        default_factory=_default_ephemeral,
        description="The client port range ACL return rules open (ELB/NAT use 1024-65535).",
    )
    return_rule_base: int = Field(
        32000,
        ge=1,
        le=MAX_RULE_NUMBER,
        description="First rule number for automatic ACL return rules.",
    )
    quotas: QuotasConfig = Field(default_factory=QuotasConfig, description="AWS quotas.")
    tags: Tags = Field(
        default_factory=dict,
        description="Tags on every resource (no aws: prefix, keys up to 128 and values up to "
        "256 characters, at most 46).",
    )

    @field_validator("name")
    @classmethod
    def _not_a_group_id(cls, value: str) -> str:
        if value == "sg" or value.startswith("sg-"):
            raise ValueError(
                f"{value!r}: security group names start with it and EC2 refuses names "
                "starting with 'sg-'; choose another name"
            )
        return value


def config_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields by the key users write (aliases included)."""
    return {(f.alias or name): f for name, f in model.model_fields.items()}
