"""The bridge from Pulumi stack config to the plan, used by ``__main__.py``.

Kept out of ``__main__`` so the program stays thin and this reading of config is typed
and tested; the CLI and the driver read a stack file into the same plan with
``load_plan``, both through ``plan_from_raw``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tierguard.config.parse import CONFIG_KEY, parse_network
from tierguard.config.stackfile import StackFile
from tierguard.config.zones import check_region
from tierguard.errors import ConfigError
from tierguard.plan import NetworkPlan, build_plan

DEFAULT_REGION = "us-east-1"
#: The provider's region in stack config.
REGION_KEY = "aws:region"


def plan_from_raw(
    raw: object, *, region: str, stack: str, zones: Sequence[str] | None = None
) -> NetworkPlan:
    """Parse and expand one raw ``tierguard:network`` value (``ConfigError`` on problems);
    ``zones`` as the account reports them, else the region's from the zone table."""
    return build_plan(parse_network(raw), region=region, stack=stack, zones=zones)


def load_plan(doc: StackFile) -> NetworkPlan:
    """The plan of a stack file's ``tierguard:network`` in its ``aws:region``
    (``ConfigError`` naming every problem): what the program will build, read without
    running it."""
    return plan_from_raw(doc.config.get(CONFIG_KEY), region=region_of_stack(doc), stack=doc.stack)


def region_of_stack(doc: StackFile) -> str:
    """The region a stack file's program deploys to (``region_from`` its ``aws:region``)."""
    return region_from(doc.config.get(REGION_KEY))


def region_from(config_region: object) -> str:
    """The region the provider will use: ``aws:region``, then the AWS environment;
    ``ConfigError`` naming the source when it is no region name (``{x: 1}``, ``mars``)."""
    if config_region is not None and config_region != "":
        return check_region(config_region, path="aws:region")
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return check_region(os.environ[variable], path=variable)
    return DEFAULT_REGION


def account_zones() -> list[str]:
    """The zones the account has in the provider's region (``aws.get_availability_zones``,
    state ``available``): what the engine answers at preview and up; the offline mocks
    answer from the zone table."""
    import pulumi_aws as aws  # noqa: PLC0415 (the CLI reads stack files without the SDK)

    return list(aws.get_availability_zones(state="available").names)


def plan_from_stack_config() -> NetworkPlan:
    """Read ``tierguard:network`` from the running stack; invalid config stops the program
    with the problem list and no traceback (``pulumi.RunError``)."""
    import pulumi  # noqa: PLC0415 (the CLI reads stack files without loading the SDK)

    namespace, key = CONFIG_KEY.split(":")
    raw = pulumi.Config(namespace).get_object(key)
    try:
        region = region_from(pulumi.Config("aws").get("region"))
        return plan_from_raw(
            raw, region=region, stack=pulumi.get_stack(), zones=account_zones() or None
        )
    except ConfigError as exc:
        raise pulumi.RunError(f"invalid stack configuration:\n{exc}") from None
