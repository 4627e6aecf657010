"""IP protocols as AWS spells them: ``-1``/``"-1"``/``all``, names, and IANA numbers.

Everything is normalised to the IANA number, with ``ALL = -1`` for "every protocol".
"""

from __future__ import annotations

import re

ALL = -1
ICMP = 1
TCP = 6
UDP = 17
ICMPV6 = 58

_BY_NAME = {
    "all": ALL,
    "-1": ALL,
    "tcp": TCP,
    "udp": UDP,
    "icmp": ICMP,
    "icmpv6": ICMPV6,
    "ipv6-icmp": ICMPV6,
    "icmp6": ICMPV6,
}
_NAMES = {ALL: "all", TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}

NAMES = tuple(_NAMES[number] for number in (TCP, UDP, ICMP, ICMPV6, ALL))
"""The protocols known by name, as tierguard spells them (any other is its number)."""

VALID_SPELLINGS = "tcp, udp, icmp, icmpv6, all (or -1), or an IANA protocol number 0-255"

_NUMBER = re.compile(r"^(?:-1|0|[1-9][0-9]{0,2})$")
"""A protocol number as text: ASCII digits, no sign but ``-1``, no leading zero, no ``_``
(``int()`` would take ``"1_7"``, ``"+6"`` and non-ASCII digits such as ``"١٢"``)."""


def parse_protocol(value: object) -> int:
    """Return the IANA number of ``value`` (``-1`` for all protocols).

    Accepts what AWS, the provider and users write: names in any case, ``"-1"``, numbers
    as ints, floats (the engine sends numbers as floats) or numeric strings.
    Raises ``ValueError`` naming the valid spellings otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a protocol; use {VALID_SPELLINGS}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in _BY_NAME:
            return _BY_NAME[text]
        if not _NUMBER.match(text):
            raise ValueError(f"{value!r} is not a protocol; use {VALID_SPELLINGS}")
        number = int(text)
    else:
        raise ValueError(f"{value!r} is not a protocol; use {VALID_SPELLINGS}")
    if number == ALL or 0 <= number <= 255:
        return number
    raise ValueError(f"{value!r} is not a protocol; use {VALID_SPELLINGS}")


def protocol_name(number: int) -> str:
    """The conventional spelling of a protocol number (``tcp``, ``all``, ``50``)."""
    return _NAMES.get(number, str(number))


def protocol_has_ports(number: int) -> bool:
    """Whether port ranges mean anything for this protocol (only TCP and UDP).

    For any other protocol AWS ignores the port fields: ``-1`` opens every port, and a
    protocol such as 50 (ESP) has no ports at all.
    """
    return number in (TCP, UDP)


def is_icmp(number: int) -> bool:
    """Whether type/code (rather than ports) qualify this protocol."""
    return number in (ICMP, ICMPV6)
