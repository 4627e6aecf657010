"""An embedded AWS emulator (moto's ``ThreadedMotoServer``) and the provider config for it.

The server listens on 127.0.0.1 on a free port for as long as the command runs. The AWS
provider is pointed at it through stack config: test credentials, every check that would
reach real AWS skipped, and only the endpoints the program needs (each configured
endpoint slows the provider's start, pulumi-aws #2880).

One emulator gap is closed in-process because it would otherwise show up as a perpetual
diff, blamed on tierguard: moto 5.2.5 leaves the ``Description`` of group-reference rules
out of ``DescribeSecurityGroupRules`` (it is stored, and ``DescribeSecurityGroups`` has
it), so the provider would read back an empty description after every ``up``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer
from pulumi.automation import ConfigMap, ConfigValue

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: The services the program calls: EC2 for everything it creates, STS for identity.
ENDPOINT_SERVICES = ("ec2", "sts")
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"


@dataclass(frozen=True)
class Emulator:
    """A running emulator: where it listens and how to talk to it."""

    url: str
    region: str

    def provider_config(self) -> ConfigMap:
        """AWS provider config for ``set_all_config(..., path=True)``."""
        config: ConfigMap = {
            "aws:region": ConfigValue(self.region),
            "aws:accessKey": ConfigValue(TEST_ACCESS_KEY),
            "aws:secretKey": ConfigValue(TEST_SECRET_KEY, secret=True),
            "aws:skipCredentialsValidation": ConfigValue("true"),
            "aws:skipRequestingAccountId": ConfigValue("true"),
            "aws:skipMetadataApiCheck": ConfigValue("true"),
            "aws:skipRegionValidation": ConfigValue("true"),
        }
        for service in ENDPOINT_SERVICES:
            config[f"aws:endpoints[0].{service}"] = ConfigValue(self.url)
        return config

    def ec2(self) -> EC2Client:
        """A boto3 EC2 client for the emulator (no retries: moto answers or fails fast)."""
        return boto3.client(
            "ec2",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id=TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
            config=Config(retries={"max_attempts": 1}),
        )


def _describe_reference_descriptions() -> None:
    """Make moto's rule description fall back to the referenced group pair's (see above)."""
    from moto.ec2.models.security_groups import SecurityGroupRule  # noqa: PLC0415

    rule_class: Any = SecurityGroupRule  # patched on purpose: moto's typing says it is fixed
    if getattr(rule_class, "_tierguard_descriptions", False):
        return

    def description(rule: Any) -> str | None:
        found = rule.ip_range.get("Description") or rule.source_group.get("Description")
        return str(found) if found is not None else None

    rule_class.description = property(description)
    rule_class._tierguard_descriptions = True


@contextmanager
def running_emulator(region: str) -> Iterator[Emulator]:
    """Start moto on 127.0.0.1 (a free port), empty, for the duration of the block."""
    _describe_reference_descriptions()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto keeps its resources in process-global backends: start from an empty account.
        reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=10):
            pass
        yield Emulator(url=url, region=region)
    finally:
        server.stop()
