"""What every tierguard component shares: the type-token prefix and tagging."""

from __future__ import annotations

from collections.abc import Mapping

TOKEN_PREFIX = "tierguard:index:"
"""Type tokens are API: renaming one changes every URN below it (needs ``aliases``)."""


def tags_for(
    base: Mapping[str, str], name: str, *, stack: str, network: str, **extra: str
) -> dict[str, str]:
    """Tags in a fixed order: user tags, then the ones the audit uses to find our resources."""
    return {
        **base,
        "Name": name,
        "tierguard:network": network,
        "tierguard:stack": stack,
        **{f"tierguard:{key}": value for key, value in extra.items()},
    }
