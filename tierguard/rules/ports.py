"""Port ranges and ICMP type/code matches."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MIN_PORT = 0
MAX_PORT = 65535


@dataclass(frozen=True, order=True)
class PortRange:
    """An inclusive range of TCP/UDP ports; a single port is ``PortRange(p, p)``."""

    first: int
    last: int

    def __post_init__(self) -> None:
        for port in (self.first, self.last):
            if not MIN_PORT <= port <= MAX_PORT:
                raise ValueError(f"port {port} is outside {MIN_PORT}-{MAX_PORT}")
        if self.first > self.last:
            raise ValueError(
                f"range {self.first}-{self.last} starts after it ends "
                f"(did you mean {self.last}-{self.first}?)"
            )

    @classmethod
    def single(cls, port: int) -> PortRange:
        return cls(port, port)

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.first <= port <= self.last

    def covers(self, other: PortRange) -> bool:
        """Whether every port of ``other`` is inside this range."""
        return self.first <= other.first and other.last <= self.last

    def overlaps(self, other: PortRange) -> bool:
        return self.first <= other.last and other.first <= self.last

    def intersection(self, other: PortRange) -> PortRange | None:
        if not self.overlaps(other):
            return None
        return PortRange(max(self.first, other.first), min(self.last, other.last))

    @property
    def is_all(self) -> bool:
        return self.first == MIN_PORT and self.last == MAX_PORT

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        if self.is_all:
            return "all ports"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def key(self) -> str:
        """A compact, name-safe spelling (``443``, ``1024-65535``)."""
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


ALL_PORTS = PortRange(MIN_PORT, MAX_PORT)
#: What ELB and NAT gateways use, and so what AWS recommends for ACL return traffic.
EPHEMERAL_PORTS = PortRange(1024, 65535)


_DECIMAL = re.compile(r"^(?:0|[1-9][0-9]{0,4})$")
"""A port as text: ASCII digits, no sign, no leading zero, no ``_`` (``int()`` takes all)."""


def parse_ports(value: object) -> PortRange:
    """Parse ``443``, ``"443"``, ``"8000-8080"`` or ``"all"`` into a ``PortRange``.

    Raises ``ValueError`` with a message that says what would be valid.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a port; use a number 0-65535, 'FROM-TO' or 'all'")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return PortRange.single(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "all":
            return ALL_PORTS
        first, sep, last = text.partition("-")
        if all(_DECIMAL.match(part) for part in ((first, last) if sep else (text,))):
            if sep:
                return PortRange(int(first), int(last))
            return PortRange.single(int(text))
    raise ValueError(f"{value!r} is not a port; use a number 0-65535, 'FROM-TO' or 'all'")


@dataclass(frozen=True)
class IcmpMatch:
    """ICMP type and code; ``-1`` means any. Type/code are not ports and never match one."""

    type: int = -1
    code: int = -1

    def __post_init__(self) -> None:
        if not -1 <= self.type <= 255:
            raise ValueError(f"ICMP type {self.type} is outside -1..255 (-1 means any type)")
        if not -1 <= self.code <= 255:
            raise ValueError(f"ICMP code {self.code} is outside -1..255 (-1 means any code)")
        if self.type == -1 and self.code != -1:
            raise ValueError("an ICMP code needs a specific ICMP type (type -1 means any)")

    def matches(self, icmp_type: int, icmp_code: int) -> bool:
        return (self.type in (-1, icmp_type)) and (self.code in (-1, icmp_code))

    def covers(self, other: IcmpMatch) -> bool:
        type_ok = self.type in (-1, other.type)
        code_ok = self.code == -1 or (self.code == other.code and other.type != -1)
        return type_ok and code_ok

    @property
    def is_any(self) -> bool:
        return self.type == -1

    @property
    def key(self) -> str:
        if self.type == -1:
            return "any"
        return str(self.type) if self.code == -1 else f"{self.type}-{self.code}"

    def __str__(self) -> str:
        if self.type == -1:
            return "any type"
        return f"type {self.type}" + ("" if self.code == -1 else f" code {self.code}")


def merge_ranges(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """The same ports as a sorted tuple of disjoint, non-adjacent ranges."""
    merged: list[PortRange] = []
    for block in sorted(ranges):
        if merged and block.first <= merged[-1].last + 1:
            if block.last > merged[-1].last:
                merged[-1] = PortRange(merged[-1].first, block.last)
        else:
            merged.append(block)
    return tuple(merged)


def intersect_ranges(
    left: Iterable[PortRange], right: Iterable[PortRange]
) -> tuple[PortRange, ...]:
    """The ports in both sets."""
    right_list = list(right)
    return merge_ranges(
        part for a in left for b in right_list if (part := a.intersection(b)) is not None
    )
