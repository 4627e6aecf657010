"""The benchmark harness keeps working (figures are printed, never asserted)."""

from __future__ import annotations

import pytest

from bench.__main__ import critical_path, exponent, main
from bench.floor import run_floor
from bench.topologies import network_config
from tests.conftest import PROJECT_DIR, stack_file
from tierguard.config.stackfile import load_stack
from tierguard.offline.runner import run_program
from tierguard.program import plan_from_raw


def test_generated_networks_are_valid_and_sized() -> None:
    """The generator's configs plan cleanly, with about the requested rule count."""
    plan = plan_from_raw(network_config(500), region="us-east-1", stack="bench")
    rules = sum(len(t.rules) for t in plan.tiers.values()) + sum(
        len(a.entries) for a in plan.acls.values()
    )
    assert 400 <= rules <= 700


def test_critical_path_does_not_grow_with_tiers() -> None:
    """Rules hang off groups and groups off the VPC, so 2 tiers and 10 tiers deploy in
    the same number of dependent steps (VPC → group → rule)."""
    small, large = (
        run_program(PROJECT_DIR, stack_file(network_config(size), stack="bench"))
        for size in (100, 600)
    )
    assert len(large.resources) > 4 * len(small.resources)
    assert critical_path(small) == critical_path(large) == 3


def test_critical_path_of_the_dev_stack() -> None:
    """The dev stack's longest chain is the internet path: VPC → gateway → route table →
    association; its rules are only three deep."""
    assert critical_path(run_program(PROJECT_DIR, load_stack(PROJECT_DIR, "dev"))) == 4


def test_exponent_of_linear_data_is_one() -> None:
    """The fitted growth exponent reads 1.0 for linear and 2.0 for quadratic data."""
    assert exponent([10, 100, 1000], [1, 10, 100]) == pytest.approx(1.0)
    assert exponent([10, 100, 1000], [1, 100, 10000]) == pytest.approx(2.0)


def test_bench_prints_its_in_process_table(capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run prints one row per size, the exponents and the 10k reachability line."""
    main(["--tables", "in-process", "--sizes", "40,80", "--repeat", "1"])
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:5] == ["target", "rules", "tiers", "plan", "s"]
    assert [line.split()[0] for line in out[2:4]] == ["40", "80"]
    assert out[4].startswith("growth exponent: program ")
    assert out[5].startswith("reachability, 9960 rules in 166 tiers")


def test_bench_runs_each_subject_as_its_own_process(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole-process row counts what the preview process registered, and the floor
    process registers that many resources too."""
    main(["--tables", "processes", "--sizes", "40", "--repeat", "1"])
    row = capsys.readouterr().out.splitlines()[2].split()
    resources = int(row[1])
    assert row[0] == "40"
    assert resources == len(run_program(PROJECT_DIR, stack_file(network_config(40))).resources)
    assert run_floor(resources) == resources


def test_the_terraform_equivalent_declares_every_aws_resource_and_links_them() -> None:
    """Checkov's reference column scans the same network: one Terraform resource per AWS
    resource the program registers, in the provider's types, ids written as references
    to resources declared there."""
    import re

    from bench.terraform import terraform, terraform_type
    from tierguard.cli._stack import load_program
    from tierguard.cli.reach import registered

    resources = registered(load_program(PROJECT_DIR, "dev", None)).resources
    text = terraform(resources)
    declared = set(re.findall(r'^resource "(\w+)" "(\w+)"', text, re.MULTILINE))
    assert len(declared) == sum(1 for r in resources if r.custom)
    references = set(re.findall(r"= (aws_\w+)\.(\w+)\.id$", text, re.MULTILINE))
    assert references
    assert references <= declared
    assert terraform_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == (
        "aws_vpc_security_group_ingress_rule"
    )
    assert terraform_type("aws:ec2/networkAclRule:NetworkAclRule") == "aws_network_acl_rule"
    assert terraform_type("aws:ec2/vpc:Vpc") == "aws_vpc"
