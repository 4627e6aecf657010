"""What every part of the expansion shares: the config, the problems found so far, the
services by name and the traffic a rule declares.

Problems are collected, not raised, so one run reports every mistake at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from tierguard.config.parse import CONFIG_KEY
from tierguard.config.schema import (
    AclRuleConfig,
    CustomServiceConfig,
    NetworkConfig,
    SecurityGroupRuleConfig,
)
from tierguard.config.zones import zone_names
from tierguard.errors import Problem
from tierguard.plan.naming import Naming
from tierguard.rules import IcmpMatch, IPNetwork, Traffic
from tierguard.rules.protocols import is_icmp
from tierguard.rules.services import BUILTIN_SERVICES, Service


class Expansion:
    """One config being expanded into a plan, and the problems found on the way."""

    def __init__(
        self,
        config: NetworkConfig,
        *,
        region: str,
        stack: str,
        zones: Sequence[str] | None = None,
    ) -> None:
        self.config = config
        self.region = region
        self.stack = stack
        self.names = Naming(config.name)
        self.available_zones = tuple(zones) if zones is not None else zone_names(region)
        """The region's zones: the account's answer when given, else the table."""
        self.problems: list[Problem] = []
        self.services: dict[str, Service] = {
            **BUILTIN_SERVICES,
            **{
                name: Service(svc.label, tuple(_explicit_traffic(svc)))
                for name, svc in config.services.items()
            },
        }
        self.named_by_cidr = {cidr: name for name, cidr in config.named_cidrs.items()}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(f"{CONFIG_KEY}.{path}", message))

    def traffic_of(
        self, rule: SecurityGroupRuleConfig | AclRuleConfig, path: str
    ) -> list[tuple[str, Traffic]]:
        """(label, traffic) pairs: a service may need several protocols."""
        if rule.service is None:
            traffic = _explicit_traffic(rule)
            return [(str(t), t) for t in traffic]
        service = self.services.get(rule.service)
        if service is None:
            close = difflib.get_close_matches(rule.service, self.services, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(
                f"{path}.service",
                f"unknown service {rule.service!r}{hint}; known services: "
                f"{', '.join(sorted(self.services))}, or add it under services",
            )
            return []
        if len(service.traffic) == 1:
            return [(service.label, service.traffic[0])]
        return [(f"{service.label} ({_proto_label(t)})", t) for t in service.traffic]

    def named_cidr(self, name: str, path: str) -> IPNetwork | None:
        if name in self.config.named_cidrs:
            return self.config.named_cidrs[name]
        known = ", ".join(sorted(self.config.named_cidrs)) or "none defined"
        self.problem(f"{path}.named_cidr", f"unknown named CIDR {name!r}; named_cidrs: {known}")
        return None


def _proto_label(traffic: Traffic) -> str:
    return str(traffic).split(" ")[0]


def _explicit_traffic(
    rule: SecurityGroupRuleConfig | AclRuleConfig | CustomServiceConfig,
) -> Iterator[Traffic]:
    if rule.protocol is None:
        return
    icmp = None
    if is_icmp(rule.protocol):
        icmp = IcmpMatch(
            -1 if rule.icmp_type is None else rule.icmp_type,
            -1 if rule.icmp_code is None else rule.icmp_code,
        )
    yield Traffic.of(rule.protocol, rule.ports, icmp)
