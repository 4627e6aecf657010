"""Each policy's compliance mapping is data a model checks, and it reaches the engine as
pulumi_policy's own framework metadata plus one tag per id."""

from __future__ import annotations

import pytest
from pulumi_policy import Policy
from pydantic import ValidationError

from tierguard.policies import ALL_POLICIES
from tierguard.policies.compliance import Compliance

ADMIN = "aws-ec2-sg-no-admin-ports-from-internet"


def _policy(name: str) -> Policy:
    return next(p for p in ALL_POLICIES if p.name == name)


class TestModel:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("cis", "CIS 5.3"),
            ("security_hub", "EC2-53"),
            ("security_hub", "ec2.53"),
            ("aws_config", "Restricted SSH"),
            ("checkov", "CKV_AWS_two"),
            ("prowler", "securitygroup_open"),
        ],
    )
    def test_an_id_not_shaped_like_the_framework_is_refused(self, field: str, value: str) -> None:
        """Prose or a mistyped id fails when the pack is imported, naming the field."""
        with pytest.raises(ValidationError, match=field):
            Compliance.model_validate({field: (value,)})

    def test_an_id_listed_twice_is_refused(self) -> None:
        """A repeated id is a copy-paste slip, not a second mapping."""
        with pytest.raises(ValidationError, match="twice"):
            Compliance(checkov=("CKV_AWS_24", "CKV_AWS_24"))

    def test_unknown_frameworks_are_refused(self) -> None:
        """Only the five known frameworks: a new one needs its id shape first."""
        with pytest.raises(ValidationError):
            Compliance.model_validate({"nist": ("AC-4",)})

    def test_the_primary_framework_is_the_first_with_ids(self) -> None:
        """CIS before Security Hub before AWS Config before Checkov before Prowler."""
        framework = Compliance(checkov=("CKV_AWS_382",), security_hub=("EC2.18",)).framework()
        assert framework is not None
        assert (framework.name, framework.version, framework.reference) == (
            "AWS Foundational Security Best Practices (Security Hub)",
            "1.0.0",
            "EC2.18",
        )
        assert Compliance().framework() is None

    def test_tags_carry_every_id_and_read_back(self) -> None:
        """The tags are a lossless spelling of the mapping."""
        compliance = Compliance(cis=("5.3", "5.4"), prowler=("ec2_networkacl_unused",))
        assert compliance.tags() == [
            "compliance:cis:5.3",
            "compliance:cis:5.4",
            "compliance:prowler:ec2_networkacl_unused",
        ]
        assert Compliance.from_tags(["tierguard", "network", *compliance.tags()]) == compliance


class TestThePack:
    def test_admin_ports_map_to_the_documented_controls(self) -> None:
        """SSH/RDP from the internet: CIS v5.0 5.3/5.4, Security Hub EC2.53/54 and EC2.13/14,
        Checkov CKV_AWS_24/25 (policy-checks.md §1.3-1.5)."""
        policy = _policy(ADMIN)
        compliance = Compliance.from_tags(policy.tags or ())
        assert compliance.cis == ("5.3", "5.4")
        assert {"EC2.53", "EC2.54", "EC2.13", "EC2.14"} == set(compliance.security_hub)
        assert {"CKV_AWS_24", "CKV_AWS_25"} == set(compliance.checkov)
        assert policy.framework is not None
        assert policy.framework.name == "CIS AWS Foundations Benchmark"
        assert policy.framework.reference == "5.3, 5.4"

    def test_the_default_group_maps_to_ec2_2(self) -> None:
        """The default-SG policy is Security Hub EC2.2 and CIS v5.0 5.5, not v3.0's 5.4."""
        compliance = Compliance.from_tags(_policy("aws-ec2-vpc-default-sg-closed").tags or ())
        assert compliance.security_hub == ("EC2.2",)
        assert compliance.cis == ("5.5",)

    def test_descriptions_no_longer_carry_control_ids_in_prose(self) -> None:
        """The mapping lives in the metadata; the description says what is checked."""
        for name in ("aws-ec2-vpc-default-sg-closed", "aws-ec2-nacl-attached-to-subnet"):
            assert "EC2." not in _policy(name).description


class TestForPeople:
    def test_one_line_names_each_framework_with_its_version(self) -> None:
        """What the offline preview prints after a violation: frameworks in primary order,
        a version only where the framework has one."""
        compliance = Compliance(
            checkov=("CKV_AWS_24",),
            cis=("5.3", "5.4"),
            aws_config=("restricted-ssh",),
        )
        assert compliance.text() == (
            "CIS AWS Foundations Benchmark 5.0.0: 5.3, 5.4; AWS Config managed rules: "
            "restricted-ssh; Checkov: CKV_AWS_24"
        )
        assert Compliance().text() == ""

    def test_the_json_mapping_leaves_out_frameworks_without_ids(self) -> None:
        compliance = Compliance(security_hub=("EC2.13", "EC2.14"), prowler=("ec2_x_y",))
        assert compliance.mappings() == {
            "security-hub": ["EC2.13", "EC2.14"],
            "prowler": ["ec2_x_y"],
        }

    def test_other_tags_and_empty_ids_are_not_read_as_mappings(self) -> None:
        tags = ["tierguard", "compliance:cis:5.3", "compliance:cis:", "compliance:nist:AC-4"]
        assert Compliance.from_tags(tags) == Compliance(cis=("5.3",))
