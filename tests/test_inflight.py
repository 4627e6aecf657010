"""The mock engine answers registrations while the program runs, a bounded number in
flight (``tierguard.offline.inflight``), and records exactly what the program registers —
also when resources are created inside ``apply`` or wait for a value the program has not
produced yet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tierguard.config.stackfile import StackFile
from tierguard.offline import inflight
from tierguard.offline.mocks import RecordedResource
from tierguard.offline.runner import run_program

LIMIT = 4

PROBED = """
import pulumi
import pulumi_aws as aws
import probe

for n in range(5):
    aws.ec2.SecurityGroup.get(f"existing{n}", f"sg-{n:017x}")
group = aws.ec2.SecurityGroup("group", description="probed", vpc_id="vpc-0123456789abcdef0")
probe.constructed += 1
for n in range(40):
    aws.vpc.SecurityGroupIngressRule(
        f"rule{n}", security_group_id=group.id, ip_protocol="tcp", from_port=n, to_port=n,
        cidr_ipv4="10.0.0.0/8",
    )
    probe.constructed += 1
group.id.apply(lambda _: [
    aws.vpc.SecurityGroupEgressRule(
        f"late{n}", security_group_id=group.id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0"
    )
    for n in range(10)
])
"""

HELD = """
import asyncio
import pulumi
import pulumi_aws as aws

later = asyncio.get_event_loop().create_future()
for n in range(2 * {limit}):
    aws.ec2.SecurityGroup(f"held{{n}}", description=pulumi.Output.from_input(later))
for n in range(2 * {limit}):
    aws.ec2.SecurityGroup(f"free{{n}}", description="free")
later.set_result("set by the program at its end")
"""


def _stack(project: Path) -> StackFile:
    return StackFile("inflight", "dev", project / "Pulumi.dev.yaml", {"aws:region": "us-east-1"})


def test_the_program_waits_while_more_than_the_limit_are_unanswered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the k-th registration answered, the program has constructed at most ``LIMIT``
    more than were answered (reads included); unbounded, it would have constructed all 41
    before the first answer."""
    monkeypatch.setattr(inflight, "LIMIT", LIMIT)
    monkeypatch.setattr(inflight, "STALL_SECONDS", 60.0)
    (tmp_path / "__main__.py").write_text(PROBED)
    (tmp_path / "probe.py").write_text("constructed = 0\n")
    monkeypatch.delitem(sys.modules, "probe", raising=False)
    seen: list[tuple[str, int]] = []

    def on_record(resource: RecordedResource) -> None:
        seen.append((resource.name, sys.modules["probe"].constructed))

    run = run_program(tmp_path, _stack(tmp_path), on_record=on_record)
    reads = 5
    for answered, (name, constructed) in enumerate(seen):
        assert constructed <= reads + answered + LIMIT + 1, (name, answered, constructed)
    names = {r.name for r in run.resources}
    assert names == {"group"} | {f"rule{n}" for n in range(40)} | {f"late{n}" for n in range(10)}
    group = next(r for r in run.resources if r.name == "group")
    for rule in (r for r in run.resources if r.name != "group"):
        assert rule.inputs["securityGroupId"] == group.id
        assert rule.property_dependencies["securityGroupId"] == (group.urn,)


def test_registrations_waiting_for_the_program_end_the_bound_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than ``LIMIT`` resources wait for a value the program sets at its end: the
    program must go on (as under the language host) and every resource is registered
    with that value."""
    monkeypatch.setattr(inflight, "LIMIT", LIMIT)
    monkeypatch.setattr(inflight, "STALL_SECONDS", 0.3)
    (tmp_path / "__main__.py").write_text(HELD.format(limit=LIMIT))
    run = run_program(tmp_path, _stack(tmp_path))
    descriptions = {r.name: r.inputs["description"] for r in run.resources}
    assert descriptions == {
        **{f"held{n}": "set by the program at its end" for n in range(2 * LIMIT)},
        **{f"free{n}": "free" for n in range(2 * LIMIT)},
    }
