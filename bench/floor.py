"""The SDK floor as a process: ``python -m bench.floor N`` registers N bare resources.

A program with no logic of its own — N security-group rules — run on the same mock engine
as the offline preview, so the difference to ``tierguard preview --offline`` is what
tierguard adds on top of the Pulumi SDK.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tierguard.config.stackfile import StackFile
from tierguard.offline.runner import run_program

FLOOR_PROGRAM = """
import pulumi
import pulumi_aws as aws

count = int(pulumi.Config("bench").require("count"))
for n in range(count):
    aws.vpc.SecurityGroupIngressRule(
        f"r{n}", security_group_id="sg-0123456789abcdef0", ip_protocol="tcp",
        from_port=n % 65535, to_port=n % 65535, cidr_ipv4="10.0.0.0/8", description="floor",
    )
"""


def run_floor(count: int) -> int:
    """Run the floor program for ``count`` resources; the number it registered."""
    with tempfile.TemporaryDirectory() as floor_dir:
        Path(floor_dir, "__main__.py").write_text(FLOOR_PROGRAM)
        stack = StackFile(
            "floor", "bench", Path(floor_dir, "Pulumi.bench.yaml"), {"bench:count": str(count)}
        )
        return len(run_program(Path(floor_dir), stack).resources)


if __name__ == "__main__":
    print(run_floor(int(sys.argv[1])))
