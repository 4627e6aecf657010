"""Availability zones are the region's real ones: from ``aws.get_availability_zones`` in the
program (answered offline from the zone table) or an explicit list; anything else is a
config error naming the field and the valid zones. The table is moto's EC2 data."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

from tests.conftest import PROJECT_DIR, RunConfig
from tests.test_config_validation import BASE, problems
from tierguard.config.stackfile import StackFile
from tierguard.config.zones import REGION_ZONES, check_region, zone_names
from tierguard.errors import ConfigError, ProgramError
from tierguard.offline.runner import run_program
from tierguard.program import plan_from_raw

SUBNET = "aws:ec2/subnet:Subnet"


def network(**vpc: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["vpc"].update(vpc)
    return doc


class TestTheTable:
    def test_it_is_motos_zone_data(self) -> None:
        """Every region moto's EC2 backend knows, with the same zone names and ids."""
        assert {
            region: tuple((z.name, z.zone_id) for z in zones)
            for region, zones in RegionsAndZonesBackend.zones.items()
        } == {region: tuple(tuple(z) for z in zones) for region, zones in REGION_ZONES.items()}

    @pytest.mark.parametrize("region", ["eu-west-1", "us-west-1", "ap-northeast-1", "us-east-1"])
    def test_it_is_what_describe_availability_zones_answers(self, region: str) -> None:
        """The emulator's DescribeAvailabilityZones (what the provider's invoke calls)."""
        with mock_aws():
            ec2 = boto3.client("ec2", region_name=region)
            answer = ec2.describe_availability_zones(
                Filters=[{"Name": "state", "Values": ["available"]}]
            )
        assert tuple(z["ZoneName"] for z in answer["AvailabilityZones"]) == zone_names(region)


class TestDefaultZones:
    def test_the_program_asks_the_invoke_not_region_plus_letters(
        self, run_config: RunConfig
    ) -> None:
        """ap-northeast-1 has no zone b for new accounts: the subnets go to a and c."""
        run = run_config(network(az_count=2), region="ap-northeast-1")
        zones = sorted({r.inputs["availabilityZone"] for r in run.of_type(SUBNET)})
        assert zones == ["ap-northeast-1a", "ap-northeast-1c"]

    def test_zones_the_account_reports_win_over_the_table(self) -> None:
        plan = plan_from_raw(
            network(az_count=2), region="eu-west-1", stack="t", zones=["eu-west-1b", "eu-west-1c"]
        )
        assert {s.availability_zone for s in plan.subnets} == {"eu-west-1b", "eu-west-1c"}

    def test_more_zones_than_the_region_has_is_an_error(self) -> None:
        """az_count 6 in eu-west-1 used to invent eu-west-1d to f."""
        assert problems_in("eu-west-1", network(az_count=6)) == [
            "tierguard:network.vpc.az_count: 6 zones asked, but eu-west-1 has 3 (valid: "
            "eu-west-1a, eu-west-1b, eu-west-1c); give at most 3 or list "
            "vpc.availability_zones"
        ]

    def test_a_region_the_table_lacks_needs_an_explicit_list(self) -> None:
        assert problems_in("xx-west-9", network()) == [
            "tierguard:network.vpc.az_count: tierguard does not know the zones of region "
            "'xx-west-9'; list them in vpc.availability_zones"
        ]
        plan = plan_from_raw(
            network(availability_zones=["xx-west-9a"]), region="xx-west-9", stack="t"
        )
        assert {s.availability_zone for s in plan.subnets} == {"xx-west-9a"}


def problems_in(region: str, doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        plan_from_raw(doc, region=region, stack="test")
    return [str(p) for p in caught.value.problems]


class TestExplicitZones:
    def test_a_zone_that_does_not_exist_is_an_error(self) -> None:
        assert problems(network(availability_zones=["us-east-1a", "mars-1a"])) == [
            "tierguard:network.vpc.availability_zones[1]: 'mars-1a' is not an availability "
            "zone of us-east-1; valid: us-east-1a, us-east-1b, us-east-1c, us-east-1d, "
            "us-east-1e, us-east-1f"
        ]

    def test_a_zone_of_another_region_is_an_error(self) -> None:
        assert problems(network(availability_zones=["eu-west-1a"]))[0].startswith(
            "tierguard:network.vpc.availability_zones[0]: 'eu-west-1a' is not an availability "
            "zone of us-east-1"
        )

    def test_a_zone_listed_twice_is_an_error_not_a_duplicate_urn(self) -> None:
        assert problems(network(availability_zones=["us-east-1a", "us-east-1b", "us-east-1a"])) == [
            "tierguard:network.vpc.availability_zones[2]: 'us-east-1a' is listed twice; each "
            "zone holds one subnet per group (a second would repeat its name and URN)"
        ]

    def test_named_zones_are_used_in_order(self, run_config: RunConfig) -> None:
        """Subnets go to the named zones (the plan keeps their order; the program's
        registrations run on several threads, so only the set is compared there)."""
        doc = network(availability_zones=["us-east-1f", "us-east-1b"])
        plan = plan_from_raw(doc, region="us-east-1", stack="t")
        public = [s.availability_zone for s in plan.subnets if s.group == "public"]
        assert public == ["us-east-1f", "us-east-1b"]
        run = run_config(doc)
        assert {r.inputs["availabilityZone"] for r in run.of_type(SUBNET)} == {
            "us-east-1f",
            "us-east-1b",
        }


class TestRegion:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ({"x": 1}, "aws:region: {'x': 1} must be a region name string such as 'us-east-1'"),
            (5, "aws:region: 5 must be a region name string"),
            ("mars", "aws:region: 'mars' is not an AWS region name; known regions: af-south-1"),
            ('{"x": 1}', "aws:region: '{\"x\": 1}' is not an AWS region name"),
        ],
    )
    def test_what_is_no_region_name_is_refused(self, value: object, message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            check_region(value)
        assert str(caught.value).startswith(message)

    def test_the_offline_preview_refuses_a_mapping_region_with_exit_2(self, tmp_path: Path) -> None:
        """`aws:region: {x: 1}` used to give the zone `{"x": 1}a`."""
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(PROJECT_DIR / name, tmp_path / name)
        dev = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
        assert "aws:region: us-east-1" in dev
        (tmp_path / "Pulumi.dev.yaml").write_text(
            dev.replace("aws:region: us-east-1", "aws:region: {x: 1}")
        )
        result = subprocess.run(
            [sys.executable, "-m", "tierguard", "preview", "--offline", "--cwd", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert result.stderr.startswith("error: aws:region: {'x': 1} must be a region name")
        assert "Traceback" not in result.stderr


def test_the_offline_engine_refuses_duplicate_urns_as_the_engine_does(tmp_path: Path) -> None:
    """pulumi/pulumi TestDuplicateURN: 'Duplicate resource URN …; try giving it a unique name'."""
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "pulumi.ComponentResource('t:index:Thing', 'same')\n"
        "pulumi.ComponentResource('t:index:Thing', 'same')\n"
    )
    stack = StackFile(project="p", stack="s", path=tmp_path / "Pulumi.s.yaml", config={})
    with pytest.raises(
        ProgramError,
        match=r"Duplicate resource URN 'urn:pulumi:s::p::pulumi:pulumi:Stack\$t:index:Thing::same'; "
        r"try giving it a unique name",
    ):
        run_program(tmp_path, stack)
