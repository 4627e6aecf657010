"""The real pack, started as its own process and driven over the analyzer gRPC protocol
as the Pulumi CLI drives it: GetPluginInfo, GetAnalyzerInfo, Configure, Analyze,
AnalyzeStack."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pulumi_policy
import pytest

from tierguard.errors import ConfigError
from tierguard.offline.analyzer import (
    DEFAULT_PACK_DIR,
    Diagnostic,
    Framework,
    PolicyPackClient,
    PolicyPackError,
)
from tierguard.policies import ALL_POLICIES, PACK_NAME
from tierguard.policies.testing import UNKNOWN, acl_block, resource
from tierguard.rules.normalize import NETWORK_ACL, SECURITY_GROUP, VPC_INGRESS_RULE

ADMIN = "aws-ec2-sg-no-admin-ports-from-internet"
ACL_ADMIN = "aws-ec2-nacl-no-admin-ports-from-internet"

SSH_RULE = resource(
    VPC_INGRESS_RULE,
    "ssh-world",
    {
        "securityGroupId": "sg-0123456789abcdef0",
        "ipProtocol": "tcp",
        "fromPort": 22.0,
        "toPort": 22.0,
        "cidrIpv4": "0.0.0.0/0",
        "description": "SSH for the bastion",
    },
)
HTTPS_RULE = resource(
    VPC_INGRESS_RULE,
    "https-world",
    {
        "securityGroupId": "sg-0123456789abcdef0",
        "ipProtocol": "tcp",
        "fromPort": 443.0,
        "toPort": 443.0,
        "cidrIpv4": "0.0.0.0/0",
        "description": "HTTPS from the internet",
    },
)
OPEN_ACL = resource(
    NETWORK_ACL,
    "open-acl",
    {
        "subnetIds": ["subnet-0123456789abcdef0"],
        "ingress": [acl_block(100, "allow", "0.0.0.0/0", "tcp", 22)],
        "egress": [acl_block(100, "allow", "0.0.0.0/0", "tcp", 1024, to_port=65535)],
    },
    id="acl-0123456789abcdef0",
)


@pytest.fixture(name="pack", scope="module")
def _pack() -> Iterator[PolicyPackClient]:
    """One pack process for the module, always terminated afterwards."""
    with PolicyPackClient(python=sys.executable) as client:
        yield client
    assert not client.running


def _by_policy(diagnostics: list[Diagnostic], name: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy_name == name]


class TestHandshake:
    def test_plugin_info_is_the_policy_sdk_version(self, pack: PolicyPackClient) -> None:
        """GetPluginInfo answers with the pulumi_policy version serving the pack."""
        assert pack.plugin_version() == pulumi_policy.version.VERSION

    def test_analyzer_info_lists_every_policy_with_its_level(self, pack: PolicyPackClient) -> None:
        """GetAnalyzerInfo lists the catalogue's policies, levels and kinds."""
        info = pack.analyzer_info()
        assert info.name == PACK_NAME
        assert info.supports_config
        assert [p.name for p in info.policies] == [p.name for p in ALL_POLICIES]
        for policy in ALL_POLICIES:
            served = info.policy(policy.name)
            assert policy.enforcement_level is not None
            assert served.enforcement_level == policy.enforcement_level.value
        assert info.policy(ADMIN).kind == "resource"
        assert info.policy(ACL_ADMIN).kind == "stack"

    def test_compliance_frameworks_arrive_in_analyzer_info(self, pack: PolicyPackClient) -> None:
        """GetAnalyzerInfo carries pulumi_policy's PolicyComplianceFramework (what the Pulumi
        service shows), every mapping as a compliance tag, and the remediation steps the
        violation messages end with."""
        info = pack.analyzer_info()
        admin = info.policy(ADMIN)
        assert admin.framework == Framework("CIS AWS Foundations Benchmark", "5.0.0", "5.3, 5.4")
        assert "compliance:security-hub:EC2.53" in admin.tags
        assert "compliance:checkov:CKV_AWS_25" in admin.tags
        acl = info.policy(ACL_ADMIN)
        assert acl.compliance.security_hub == ("EC2.21",)
        assert acl.compliance.aws_config == ("nacl-no-unrestricted-ssh-rdp",)
        assert info.policy("aws-ec2-sg-no-redundant-rules").framework is None
        for policy in ALL_POLICIES:
            served = info.policy(policy.name)
            assert served.remediation == policy.remediation_steps
            sent = policy.framework
            expected = (
                Framework(sent.name or "", sent.version or "", sent.reference or "")
                if sent is not None
                else None
            )
            assert served.framework == expected, policy.name

    def test_config_schemas_carry_defaults_and_exemptions(self, pack: PolicyPackClient) -> None:
        """The served schema has the parameters with defaults and the exemption format."""
        schema = pack.analyzer_info().policy(ADMIN).config_schema
        assert schema["adminPorts"]["default"] == [22, 3389]
        assert schema["exemptions"]["items"]["required"] == ["resource", "reason"]


class TestAnalyze:
    def test_ssh_from_the_world_is_a_mandatory_diagnostic(self, pack: PolicyPackClient) -> None:
        """Analyze reports the admin-port violation as mandatory, on the resource's URN."""
        pack.configure({})
        found = _by_policy(pack.analyze(SSH_RULE), ADMIN)
        assert len(found) == 1
        assert found[0].enforcement_level == "mandatory"
        assert found[0].urn == SSH_RULE["urn"]
        assert found[0].policy_pack == PACK_NAME
        assert "22 (SSH)" in found[0].message

    def test_a_clean_resource_has_no_mandatory_diagnostic(self, pack: PolicyPackClient) -> None:
        """HTTPS from the world with a description has no mandatory finding."""
        pack.configure({})
        assert not [d for d in pack.analyze(HTTPS_RULE) if d.mandatory]

    def test_the_level_comes_from_the_pack_config(self, pack: PolicyPackClient) -> None:
        """Configure can make the admin policy advisory, or disable it."""
        pack.configure({ADMIN: "advisory"})
        assert [d.enforcement_level for d in _by_policy(pack.analyze(SSH_RULE), ADMIN)] == [
            "advisory"
        ]
        pack.configure({ADMIN: {"enforcementLevel": "disabled"}})
        assert _by_policy(pack.analyze(SSH_RULE), ADMIN) == []

    def test_parameters_come_from_the_pack_config(self, pack: PolicyPackClient) -> None:
        """A config without 22 in adminPorts makes SSH clean for that policy."""
        effective = pack.configure({ADMIN: {"adminPorts": [3389]}})
        assert effective[ADMIN]["adminPorts"] == [3389]
        assert effective[ADMIN]["protocols"] == ["tcp", "udp"]
        assert _by_policy(pack.analyze(SSH_RULE), ADMIN) == []

    def test_an_exempted_finding_is_reported_as_advisory(self, pack: PolicyPackClient) -> None:
        """An exemption turns the mandatory finding into an advisory 'exempted:' one."""
        pack.configure({ADMIN: {"exemptions": [{"resource": "ssh-world", "reason": "SEC-7"}]}})
        found = pack.analyze(SSH_RULE)
        assert _by_policy(found, ADMIN) == []
        exempted = _by_policy(found, "tierguard-exempted-findings")
        assert len(exempted) == 1
        assert exempted[0].enforcement_level == "advisory"
        assert "exempted: SEC-7" in exempted[0].message

    def test_unknown_values_are_an_advisory_preview_note(self, pack: PolicyPackClient) -> None:
        """An unknown CIDR is reported as advisory 'could not be evaluated at preview'."""
        pack.configure({})
        unknown = {**SSH_RULE, "inputs": {**SSH_RULE["inputs"], "cidrIpv4": UNKNOWN}}
        found = _by_policy(pack.analyze(unknown), ADMIN)
        assert len(found) == 1
        assert found[0].enforcement_level == "advisory"
        assert "could not be evaluated at preview" in found[0].message

    def test_all_sets_every_level(self, pack: PolicyPackClient) -> None:
        """The 'all' key sets the level of every policy."""
        effective = pack.configure({"all": "advisory"})
        assert {v["enforcementLevel"] for v in effective.values()} == {"advisory"}
        assert not [d for d in pack.analyze(SSH_RULE) if d.mandatory]

    def test_the_documented_example_config_is_accepted(self, pack: PolicyPackClient) -> None:
        """The example --policy-pack-config in docs/policies.md configures the real pack."""
        text = (DEFAULT_PACK_DIR.parent / "docs" / "policies.md").read_text()
        example = json.loads(text.split("```json", 1)[1].split("```", 1)[0])
        effective = pack.configure(example)
        assert effective["aws-ec2-sg-attached"]["enforcementLevel"] == "disabled"
        assert effective[ADMIN]["adminPorts"] == [22, 3389, 5985, 5986]

    def test_unknown_policy_names_are_refused(self, pack: PolicyPackClient) -> None:
        """A config naming a policy the pack lacks is a config error (the pack refuses it)."""
        with pytest.raises(ConfigError, match="is not a policy of this pack"):
            pack.configure({"aws-ec2-sg-no-such-policy": "mandatory"})


class TestAnalyzeStack:
    def test_an_acl_open_for_ssh_is_a_mandatory_stack_diagnostic(
        self, pack: PolicyPackClient
    ) -> None:
        """AnalyzeStack reports the ACL finding on the ACL's URN, mandatory."""
        pack.configure({})
        found = _by_policy(pack.analyze_stack([OPEN_ACL]), ACL_ADMIN)
        assert [d.urn for d in found] == [OPEN_ACL["urn"]]
        assert found[0].enforcement_level == "mandatory"

    def test_the_graph_is_passed_through_property_dependencies(
        self, pack: PolicyPackClient
    ) -> None:
        """A rule whose group is known only through propertyDependencies is attributed to it."""
        pack.configure({})
        group = resource(SECURITY_GROUP, "web", {"description": "web tier"})
        rules = [
            resource(
                VPC_INGRESS_RULE,
                f"dup-{i}",
                {**HTTPS_RULE["inputs"], "securityGroupId": UNKNOWN},
                property_dependencies={"securityGroupId": [group["urn"]]},
            )
            for i in range(2)
        ]
        found = _by_policy(pack.analyze_stack([group, *rules]), "aws-ec2-sg-no-redundant-rules")
        assert len(found) == 1
        assert found[0].urn == rules[1]["urn"]

    def test_stack_outputs_are_the_root_stack_resource(self, pack: PolicyPackClient) -> None:
        """A group exported as a stack output counts as used, through the root stack."""
        pack.configure({})
        group = resource(
            SECURITY_GROUP, "shared", {"description": "shared"}, id="sg-00000000000000042"
        )
        unused = _by_policy(pack.analyze_stack([group]), "aws-ec2-sg-attached")
        assert [d.urn for d in unused] == [group["urn"]]
        outputs = {"shared_sg_id": "sg-00000000000000042"}
        assert _by_policy(pack.analyze_stack([group], outputs), "aws-ec2-sg-attached") == []

    def test_run_drives_a_whole_preview(self, pack: PolicyPackClient) -> None:
        """run() configures, analyzes each resource and the stack, collecting everything."""
        found = pack.run([SSH_RULE, HTTPS_RULE, OPEN_ACL], {})
        mandatory = {d.policy_name for d in found if d.mandatory}
        assert mandatory == {ADMIN, ACL_ADMIN}


class TestProcess:
    def test_the_process_is_terminated_even_when_the_block_raises(self) -> None:
        """Leaving the with block by an exception still terminates the pack."""
        client = PolicyPackClient(python=sys.executable)
        seen: list[bool] = []

        def crash() -> None:
            with client:
                seen.append(client.running)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            crash()
        assert seen == [True]
        assert not client.running

    def test_a_missing_pack_is_a_clear_error(self, tmp_path: Path) -> None:
        """Pointing at a directory without __main__.py fails before starting anything."""
        with pytest.raises(PolicyPackError, match="no policy pack"):
            PolicyPackClient(tmp_path).start()

    def test_a_pack_that_dies_reports_its_stderr(self, tmp_path: Path) -> None:
        """A pack that exits before listening is reported with its error output."""
        (tmp_path / "__main__.py").write_text("raise SystemExit('cannot start')\n")
        with pytest.raises(PolicyPackError, match="cannot start"):
            PolicyPackClient(tmp_path, python=sys.executable, startup_timeout=20).start()

    def test_a_pack_that_dies_mid_analysis_fails_the_call_with_its_stderr(
        self, tmp_path: Path
    ) -> None:
        """With no deadline on AnalyzeStack, a pack that dies while judging the stack still
        ends the call at once, as a clear error carrying what the pack printed."""
        (tmp_path / "__main__.py").write_text(
            "import os, sys\n"
            "from pulumi_policy import PolicyPack, StackValidationPolicy\n"
            "def crash(args, report):\n"
            "    print('stack policy ran out of memory', file=sys.stderr, flush=True)\n"
            "    os._exit(3)\n"
            "PolicyPack(name='dies', policies=[StackValidationPolicy(\n"
            "    name='dies', description='dies while judging', validate=crash)])\n"
        )
        with (
            PolicyPackClient(tmp_path, python=sys.executable) as client,
            pytest.raises(PolicyPackError, match="AnalyzeStack failed: UNAVAILABLE") as caught,
        ):
            client.run([SSH_RULE])
        assert "stack policy ran out of memory" in str(caught.value)

    def test_the_default_pack_is_the_repository_policy_directory(self) -> None:
        """The client finds policy/ next to the tierguard package by default."""
        assert (DEFAULT_PACK_DIR / "PulumiPolicy.yaml").is_file()
