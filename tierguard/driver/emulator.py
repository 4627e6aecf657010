"""An embedded AWS emulator (moto's ``ThreadedMotoServer``) and the provider config for it.

The server listens on 127.0.0.1 on a free port for as long as the command runs. The AWS
provider is pointed at it through stack config: test credentials, every check that would
reach real AWS skipped, and only the endpoints the program needs (each configured
endpoint slows the provider's start, pulumi-aws #2880). That config goes into a scratch
copy of the stack file that the engine is handed with ``--config-file``
(``write_stack_config``): the user's ``Pulumi.<stack>.yaml`` is only ever read, so no
crash, kill or concurrent edit can cost an edit made to it.

One emulator gap is closed in-process because it would otherwise show up as a perpetual
diff, blamed on tierguard: moto 5.2.5 leaves the ``Description`` of group-reference rules
out of ``DescribeSecurityGroupRules`` (it is stored, and ``DescribeSecurityGroups`` has
it), so the provider would read back an empty description after every ``up``.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tierguard.config.stackfile import load_yaml

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: tierguard's own folder for emulator runs: their state, lock and scratch stack files.
EMULATOR_DIR = Path(".tierguard") / "emulator"
#: The services the program calls: EC2 for everything it creates, STS for identity.
ENDPOINT_SERVICES = ("ec2", "sts")
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"


@dataclass(frozen=True)
class Emulator:
    """A running emulator: where it listens and how to talk to it."""

    url: str
    region: str

    def provider_config(self) -> dict[str, Any]:
        """AWS provider config as it is written in a stack file (test keys, not secrets)."""
        return {
            "aws:region": self.region,
            "aws:accessKey": TEST_ACCESS_KEY,
            "aws:secretKey": TEST_SECRET_KEY,
            "aws:skipCredentialsValidation": "true",
            "aws:skipRequestingAccountId": "true",
            "aws:skipMetadataApiCheck": "true",
            "aws:skipRegionValidation": "true",
            "aws:endpoints": [dict.fromkeys(ENDPOINT_SERVICES, self.url)],
        }

    def write_stack_config(self, stack_file: Path, scratch: Path) -> Path:
        """Write ``stack_file`` plus the provider config to ``scratch`` (for ``--config-file``).

        Read at the moment of use, so it carries whatever the engine's ``stack init`` put
        in the user's file (the encryption salt); written to a temporary name and renamed,
        so a killed run leaves either the old copy or the new one, never half a file.
        """
        document = load_yaml(stack_file) or {}
        config = dict(document.get("config") or {})
        config.update(self.provider_config())
        text = yaml.safe_dump({**document, "config": config}, sort_keys=False)
        scratch.parent.mkdir(parents=True, exist_ok=True)
        partial = scratch.with_name(f".{scratch.name}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, scratch)
        return scratch

    def ec2(self) -> EC2Client:
        """A boto3 EC2 client for the emulator (no retries: moto answers or fails fast)."""
        import boto3  # noqa: PLC0415 (boto3 loads only when the emulator is used)
        from botocore.config import Config  # noqa: PLC0415

        return boto3.client(
            "ec2",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id=TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
            config=Config(retries={"max_attempts": 1}),
        )


def scratch_stack_file(project_dir: Path, stack: str) -> Path:
    """Where an emulator run's copy of ``Pulumi.<stack>.yaml`` lives (never the user's)."""
    return project_dir / EMULATOR_DIR / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


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
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 (moto loads only when used)

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
