"""The pack's own check of its configuration when the engine calls ``Configure``.

The engine validates ``--policy-pack-config`` against each policy's schema before it calls
``Configure`` (``tierguard.policies.pack_config``), but it passes on names that are no
policy and keys a policy does not declare: a typo would leave the default in force without
a word. The SDK's servicer stores whatever it receives, so this wraps its ``Configure``:
problems end the call with ``INVALID_ARGUMENT`` and one line each (the engine prints them
as ``configuring policy pack "tierguard": …``) instead of a policy crashing later with
``UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi_policy import Policy
from pulumi_policy import policy as sdk

from tierguard.policies.pack_config import PolicySchema, received_problems


def policy_schemas(policies: Sequence[Policy]) -> list[PolicySchema]:
    """Each policy's name, level and config schema, as ``GetAnalyzerInfo`` reports them."""
    return [
        PolicySchema(
            name=p.name,
            enforcement_level=p.enforcement_level.value if p.enforcement_level else "advisory",
            properties=dict(p.config_schema.properties) if p.config_schema else {},
            required=tuple(p.config_schema.required or ()) if p.config_schema else (),
        )
        for p in policies
    ]


def checked_configure(policies: Sequence[Policy]) -> Callable[[Any, Any, Any], Any]:
    """A ``Configure`` refusing what ``received_problems`` finds, else storing as the SDK does."""
    schemas = policy_schemas(policies)
    original: Callable[..., Any] = sdk._PolicyAnalyzerServicer.Configure  # the patch point

    def configure(servicer: Any, request: Any, context: Any) -> Any:
        received = {
            name: json_format.MessageToDict(request.policyConfig[name].properties)
            for name in request.policyConfig
        }
        problems = received_problems(schemas, received)
        if problems:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid policy pack config:\n" + "\n".join(str(p) for p in problems),
            )
        return original(servicer, request, context)

    return configure


def install_config_check(policies: Sequence[Policy]) -> None:
    """Wrap the SDK servicer's ``Configure``; call before ``PolicyPack(...)`` serves."""
    sdk._PolicyAnalyzerServicer.Configure = checked_configure(policies)  # type: ignore[method-assign]
