"""The bridge from Pulumi stack config to the plan, used by ``__main__.py``.

Kept out of ``__main__`` so the program stays thin and this reading of config is typed
and tested; the offline CLI validates the same raw value through ``plan_from_raw``.
"""

from __future__ import annotations

import os

from tierguard.config.parse import parse_network
from tierguard.errors import ConfigError
from tierguard.plan import NetworkPlan, build_plan

DEFAULT_REGION = "us-east-1"


def plan_from_raw(raw: object, *, region: str, stack: str) -> NetworkPlan:
    """Parse and expand one raw ``tierguard:network`` value (``ConfigError`` on problems)."""
    return build_plan(parse_network(raw), region=region, stack=stack)


def region_from(config_region: str | None) -> str:
    """The region the provider will use: ``aws:region``, then the AWS environment."""
    return (
        config_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )


def plan_from_stack_config() -> NetworkPlan:
    """Read ``tierguard:network`` from the running stack; invalid config stops the program
    with the problem list and no traceback (``pulumi.RunError``)."""
    import pulumi  # noqa: PLC0415 (the CLI reads stack files without loading the SDK)

    raw = pulumi.Config("tierguard").get_object("network")
    region = region_from(pulumi.Config("aws").get("region"))
    try:
        return plan_from_raw(raw, region=region, stack=pulumi.get_stack())
    except ConfigError as exc:
        raise pulumi.RunError(f"invalid stack configuration:\n{exc}") from None
