"""What every tierguard component shares: the type-token prefix.

The tags they put on resources are ``tierguard.deployed.tags``: the readers find them by it.
"""

from __future__ import annotations

TOKEN_PREFIX = "tierguard:index:"
"""Type tokens are API: renaming one changes every URN below it (needs ``aliases``)."""
