"""The availability zones of each AWS region, as tierguard knows them without asking AWS.

The program asks the account itself (``aws.get_availability_zones``); everything that
runs before the engine — config validation, the offline preview's mocks answering that
invoke, the deploy verbs' checks — uses this table. It is moto's
(``moto/ec2/models/availability_zones_and_regions.py``, ``RegionsAndZonesBackend.zones``,
moto 5.2.5): the zones moto's EC2 ``DescribeAvailabilityZones`` answers per region — real
names and zone ids contributed from real accounts for the regions listed there, and a, b, c
for the others. A test compares this table with the installed moto. Zone *names* map to
physical zones differently per account, and older accounts may see a different set; the
engine's invoke is the authority at deploy time.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tierguard.errors import ConfigError, Problem


class Zone(NamedTuple):
    name: str
    zone_id: str


#: Region name → its availability zones, in name order (moto 5.2.5).
REGION_ZONES: dict[str, tuple[Zone, ...]] = {
    "af-south-1": (
        Zone("af-south-1a", "afs1-az1"),
        Zone("af-south-1b", "afs1-az2"),
        Zone("af-south-1c", "afs1-az3"),
    ),
    "ap-east-1": (
        Zone("ap-east-1a", "ape1-az1"),
        Zone("ap-east-1b", "ape1-az2"),
        Zone("ap-east-1c", "ape1-az3"),
    ),
    "ap-east-2": (
        Zone("ap-east-2a", "ape2-az1"),
        Zone("ap-east-2b", "ape2-az2"),
        Zone("ap-east-2c", "ape2-az3"),
    ),
    "ap-northeast-1": (
        Zone("ap-northeast-1a", "apne1-az4"),
        Zone("ap-northeast-1c", "apne1-az1"),
        Zone("ap-northeast-1d", "apne1-az2"),
    ),
    "ap-northeast-2": (
        Zone("ap-northeast-2a", "apne2-az1"),
        Zone("ap-northeast-2b", "apne2-az2"),
        Zone("ap-northeast-2c", "apne2-az3"),
        Zone("ap-northeast-2d", "apne2-az4"),
    ),
    "ap-northeast-3": (
        Zone("ap-northeast-3a", "apne3-az1"),
        Zone("ap-northeast-3b", "apne3-az2"),
        Zone("ap-northeast-3c", "apne3-az3"),
    ),
    "ap-south-1": (
        Zone("ap-south-1a", "aps1-az1"),
        Zone("ap-south-1b", "aps1-az3"),
        Zone("ap-south-1c", "aps1-az2"),
    ),
    "ap-south-2": (
        Zone("ap-south-2a", "aps2-az1"),
        Zone("ap-south-2b", "aps2-az2"),
        Zone("ap-south-2c", "aps2-az3"),
    ),
    "ap-southeast-1": (
        Zone("ap-southeast-1a", "apse1-az1"),
        Zone("ap-southeast-1b", "apse1-az2"),
        Zone("ap-southeast-1c", "apse1-az3"),
    ),
    "ap-southeast-2": (
        Zone("ap-southeast-2a", "apse2-az1"),
        Zone("ap-southeast-2b", "apse2-az3"),
        Zone("ap-southeast-2c", "apse2-az2"),
    ),
    "ap-southeast-3": (
        Zone("ap-southeast-3a", "apse3-az1"),
        Zone("ap-southeast-3b", "apse3-az2"),
        Zone("ap-southeast-3c", "apse3-az3"),
    ),
    "ap-southeast-4": (
        Zone("ap-southeast-4a", "apse4-az1"),
        Zone("ap-southeast-4b", "apse4-az2"),
        Zone("ap-southeast-4c", "apse4-az3"),
    ),
    "ap-southeast-5": (
        Zone("ap-southeast-5a", "apse5-az1"),
        Zone("ap-southeast-5b", "apse5-az2"),
        Zone("ap-southeast-5c", "apse5-az3"),
    ),
    "ap-southeast-6": (
        Zone("ap-southeast-6a", "apse6-az1"),
        Zone("ap-southeast-6b", "apse6-az2"),
        Zone("ap-southeast-6c", "apse6-az3"),
    ),
    "ap-southeast-7": (
        Zone("ap-southeast-7a", "apse7-az1"),
        Zone("ap-southeast-7b", "apse7-az2"),
        Zone("ap-southeast-7c", "apse7-az3"),
    ),
    "ca-central-1": (
        Zone("ca-central-1a", "cac1-az1"),
        Zone("ca-central-1b", "cac1-az2"),
        Zone("ca-central-1d", "cac1-az4"),
    ),
    "ca-west-1": (
        Zone("ca-west-1a", "caw1-az1"),
        Zone("ca-west-1b", "caw1-az2"),
        Zone("ca-west-1c", "caw1-az3"),
    ),
    "cn-north-1": (
        Zone("cn-north-1a", "cnn1-az1"),
        Zone("cn-north-1b", "cnn1-az2"),
    ),
    "cn-northwest-1": (
        Zone("cn-northwest-1a", "cnnw1-az1"),
        Zone("cn-northwest-1b", "cnnw1-az2"),
        Zone("cn-northwest-1c", "cnnw1-az3"),
    ),
    "eu-central-1": (
        Zone("eu-central-1a", "euc1-az1"),
        Zone("eu-central-1b", "euc1-az2"),
        Zone("eu-central-1c", "euc1-az3"),
    ),
    "eu-central-2": (
        Zone("eu-central-2a", "euc2-az1"),
        Zone("eu-central-2b", "euc2-az2"),
        Zone("eu-central-2c", "euc2-az3"),
    ),
    "eu-north-1": (
        Zone("eu-north-1a", "eun1-az1"),
        Zone("eu-north-1b", "eun1-az2"),
        Zone("eu-north-1c", "eun1-az3"),
    ),
    "eu-south-1": (
        Zone("eu-south-1a", "eus1-az1"),
        Zone("eu-south-1b", "eus1-az2"),
        Zone("eu-south-1c", "eus1-az3"),
    ),
    "eu-south-2": (
        Zone("eu-south-2a", "eus2-az1"),
        Zone("eu-south-2b", "eus2-az2"),
        Zone("eu-south-2c", "eus2-az3"),
    ),
    "eu-west-1": (
        Zone("eu-west-1a", "euw1-az3"),
        Zone("eu-west-1b", "euw1-az1"),
        Zone("eu-west-1c", "euw1-az2"),
    ),
    "eu-west-2": (
        Zone("eu-west-2a", "euw2-az2"),
        Zone("eu-west-2b", "euw2-az3"),
        Zone("eu-west-2c", "euw2-az1"),
    ),
    "eu-west-3": (
        Zone("eu-west-3a", "euw3-az1"),
        Zone("eu-west-3b", "euw3-az2"),
        Zone("eu-west-3c", "euw3-az3"),
    ),
    "il-central-1": (
        Zone("il-central-1a", "ilc1-az1"),
        Zone("il-central-1b", "ilc1-az2"),
        Zone("il-central-1c", "ilc1-az3"),
    ),
    "me-central-1": (
        Zone("me-central-1a", "mec1-az1"),
        Zone("me-central-1b", "mec1-az2"),
        Zone("me-central-1c", "mec1-az3"),
    ),
    "me-south-1": (
        Zone("me-south-1a", "mes1-az1"),
        Zone("me-south-1b", "mes1-az2"),
        Zone("me-south-1c", "mes1-az3"),
    ),
    "mx-central-1": (
        Zone("mx-central-1a", "mxc1-az1"),
        Zone("mx-central-1b", "mxc1-az2"),
        Zone("mx-central-1c", "mxc1-az3"),
    ),
    "sa-east-1": (
        Zone("sa-east-1a", "sae1-az1"),
        Zone("sa-east-1b", "sae1-az2"),
        Zone("sa-east-1c", "sae1-az3"),
    ),
    "us-east-1": (
        Zone("us-east-1a", "use1-az6"),
        Zone("us-east-1b", "use1-az1"),
        Zone("us-east-1c", "use1-az2"),
        Zone("us-east-1d", "use1-az4"),
        Zone("us-east-1e", "use1-az3"),
        Zone("us-east-1f", "use1-az5"),
    ),
    "us-east-2": (
        Zone("us-east-2a", "use2-az1"),
        Zone("us-east-2b", "use2-az2"),
        Zone("us-east-2c", "use2-az3"),
    ),
    "us-gov-east-1": (
        Zone("us-gov-east-1a", "usge1-az1"),
        Zone("us-gov-east-1b", "usge1-az2"),
        Zone("us-gov-east-1c", "usge1-az3"),
    ),
    "us-gov-west-1": (
        Zone("us-gov-west-1a", "usgw1-az1"),
        Zone("us-gov-west-1b", "usgw1-az2"),
        Zone("us-gov-west-1c", "usgw1-az3"),
    ),
    "us-west-1": (
        Zone("us-west-1a", "usw1-az3"),
        Zone("us-west-1b", "usw1-az1"),
    ),
    "us-west-2": (
        Zone("us-west-2a", "usw2-az2"),
        Zone("us-west-2b", "usw2-az1"),
        Zone("us-west-2c", "usw2-az3"),
        Zone("us-west-2d", "usw2-az4"),
    ),
}

#: What an AWS region name looks like (``us-east-1``, ``us-gov-west-1``, ``ap-southeast-7``).
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


def zone_names(region: str) -> tuple[str, ...] | None:
    """The region's zone names from the table; ``None`` for a region it does not list."""
    zones = REGION_ZONES.get(region)
    return None if zones is None else tuple(z.name for z in zones)


def check_region(value: object, *, path: str = "aws:region") -> str:
    """``value`` as a region name; ``ConfigError`` naming ``path`` unless it is one."""
    if not isinstance(value, str):
        raise ConfigError(
            [Problem(path, f"{value!r} must be a region name string such as 'us-east-1'")]
        )
    if not REGION_NAME.match(value):
        raise ConfigError(
            [
                Problem(
                    path,
                    f"{value!r} is not an AWS region name; known regions: "
                    + ", ".join(sorted(REGION_ZONES)),
                )
            ]
        )
    return value
