"""Pack config reconciled and validated as the engine does it (pulumi/pulumi
``pkg/resource/analyzer/config.go``: defaults, then ``all``, then each policy; gojsonschema
on the result), and the pack's own ``Configure`` check when the engine calls it."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from tierguard.errors import ConfigError
from tierguard.offline.analyzer import PolicyPackClient, PolicyPackError
from tierguard.policies import ALL_POLICIES
from tierguard.policies.config import EXEMPTIONS_SCHEMA
from tierguard.policies.pack_config import PolicySchema, property_problems, reconcile
from tierguard.policies.serve import policy_schemas

ADMIN = "aws-ec2-sg-no-admin-ports-from-internet"
RULES = "aws-ec2-sg-too-many-rules"

SCHEMAS = [
    PolicySchema(
        "p1",
        "advisory",
        {"ports": {"type": "array", "items": {"type": "integer"}, "default": [22]}},
    ),
    PolicySchema("p2", "mandatory", {"limit": {"type": "integer", "minimum": 1, "default": 5}}),
]


@pytest.fixture(name="pack", scope="module")
def _pack() -> Iterator[PolicyPackClient]:
    with PolicyPackClient(python=sys.executable) as client:
        yield client


class TestEnginePrecedence:
    def test_defaults_then_all_then_each_policy(self) -> None:
        """config.go applyConfig: `all` sets every level; a named entry wins over it."""
        effective = reconcile(SCHEMAS, {"all": "disabled", "p2": {"limit": 9}, "p1": "mandatory"})
        assert effective.policies == {
            "p1": {"enforcementLevel": "mandatory", "ports": [22]},
            "p2": {"enforcementLevel": "disabled", "limit": 9},
        }

    def test_a_named_level_inside_an_object_is_taken_out_of_the_properties(self) -> None:
        effective = reconcile(SCHEMAS, {"p2": {"enforcementLevel": "advisory"}})
        assert effective.policies["p2"] == {"enforcementLevel": "advisory", "limit": 5}

    def test_all_properties_are_ignored_by_the_engine_so_they_are_refused(self) -> None:
        """applyConfig copies only `all`'s level; anything else there would be lost silently."""
        with pytest.raises(ConfigError, match="all: only sets enforcementLevel"):
            reconcile(SCHEMAS, {"all": {"limit": 3}})

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"p1": 3}, "p1: 3 is not a valid value; must be a string or object"),
            ({"p1": "strict"}, "'strict' is not a valid enforcement level"),
            ({"p1": {"enforcementLevel": 1}}, "1 is not a valid enforcement level; must be a"),
            ({"environments": "team/env"}, "environments: must be an array of strings"),
            ({"environments": [1]}, "environments[0]: 1 must be a string"),
        ],
    )
    def test_parse_errors_match_the_engine(self, raw: dict[str, object], message: str) -> None:
        """parsePolicyPackConfig's refusals, with the value named."""
        with pytest.raises(ConfigError, match=re.escape(message)):
            reconcile(SCHEMAS, raw)

    def test_environments_are_taken_out_and_kept(self) -> None:
        effective = reconcile(SCHEMAS, {"environments": ["org/env"]})
        assert effective.environments == ("org/env",)
        assert set(effective.policies) == {"p1", "p2"}

    def test_every_problem_is_reported_at_once(self) -> None:
        with pytest.raises(ConfigError) as info:
            reconcile(SCHEMAS, {"p1": {"ports": "22"}, "p2": {"limit": 0}})
        assert [p.path for p in info.value.problems] == ["p1.ports", "p2.limit"]

    def test_an_unknown_name_is_passed_on_by_the_engine_but_refused_by_the_pack(self) -> None:
        """Unvalidated by the engine (only policies are); strict (the pack's view) refuses."""
        assert "p3" not in reconcile(SCHEMAS, {"p3": "mandatory"}, strict=False).policies
        with pytest.raises(ConfigError, match="p3: is not a policy of this pack"):
            reconcile(SCHEMAS, {"p3": "mandatory"})

    def test_integral_floats_are_integers_as_in_gojsonschema(self) -> None:
        """Config reaches the pack through protobuf Struct: 5 arrives as 5.0 and is valid."""
        assert reconcile(SCHEMAS, {"p2": {"limit": 5.0}}).policies["p2"]["limit"] == 5.0
        with pytest.raises(ConfigError, match=r"p2\.limit"):
            reconcile(SCHEMAS, {"p2": {"limit": 5.5}})


class TestThePacksSchemas:
    """The pack's own schemas, in-process (``policy_schemas`` is what GetAnalyzerInfo sends)."""

    @pytest.mark.parametrize(
        ("raw", "path", "message"),
        [
            ({RULES: {"maxRules": -5}}, f"{RULES}.maxRules", "-5 is less than the minimum"),
            ({RULES: {"maxRules": "lots"}}, f"{RULES}.maxRules", "'lots' is not of type"),
            (
                {ADMIN: {"exemptions": [{"resource": "x"}]}},
                f"{ADMIN}.exemptions[0]",
                "'reason' is a required property",
            ),
            (
                {ADMIN: {"exemptions": [{"resource": "x", "reason": ""}]}},
                f"{ADMIN}.exemptions[0].reason",
                "'' should be non-empty",
            ),
            (
                {
                    ADMIN: {
                        "exemptions": [{"resource": "x", "reason": "r", "expires": "2024-02-30"}]
                    }
                },
                f"{ADMIN}.exemptions[0].expires",
                "'2024-02-30' is not a valid date",
            ),
            ({ADMIN: {"adminPort": [22]}}, ADMIN, "('adminPort' was unexpected)"),
            ({ADMIN: {"adminPorts": [70000]}}, f"{ADMIN}.adminPorts[0]", "70000 is greater"),
        ],
    )
    def test_what_the_schema_refuses(self, raw: dict[str, object], path: str, message: str) -> None:
        with pytest.raises(ConfigError) as info:
            reconcile(policy_schemas(ALL_POLICIES), raw)
        [problem] = info.value.problems
        assert problem.path == path
        assert message in problem.message

    def test_a_valid_exemption_and_the_defaults_pass(self) -> None:
        effective = reconcile(
            policy_schemas(ALL_POLICIES),
            {ADMIN: {"exemptions": [{"resource": "x", "reason": "r", "expires": "2024-02-29"}]}},
        )
        assert effective.policies[RULES]["maxRules"] == 50


class TestRealPack:
    def test_the_engine_precedence_reaches_the_pack(self, pack: PolicyPackClient) -> None:
        effective = pack.configure({"all": "advisory", ADMIN: {"adminPorts": [3389]}})
        assert effective[ADMIN]["enforcementLevel"] == "advisory"
        assert effective[ADMIN]["adminPorts"] == [3389]
        assert effective[RULES]["enforcementLevel"] == "advisory"
        assert effective[RULES]["maxRules"] == 50

    def raw_configure(self, pack: PolicyPackClient, name: str, props: dict[str, object]) -> None:
        """Configure as the engine sends it after its own validation (no offline check)."""
        message = struct_pb2.Struct()
        message.update(props)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=message)
        )
        pack._call("Configure", request)

    def test_the_pack_refuses_an_undeclared_key_when_the_engine_configures_it(
        self, pack: PolicyPackClient
    ) -> None:
        """The engine passes keys the schema does not declare; the pack answers
        INVALID_ARGUMENT naming the key and the valid ones."""
        with pytest.raises(PolicyPackError) as info:
            self.raw_configure(pack, ADMIN, {"adminPort": [22.0]})
        assert "INVALID_ARGUMENT" in str(info.value)
        assert f"{ADMIN}: Additional properties are not allowed ('adminPort'" in str(info.value)

    def test_a_wrong_type_is_invalid_argument_not_an_exception(
        self, pack: PolicyPackClient
    ) -> None:
        """`maxRules: "lots"` used to surface as gRPC UNKNOWN from inside a policy."""
        with pytest.raises(PolicyPackError) as info:
            self.raw_configure(pack, RULES, {"maxRules": "lots"})
        assert "INVALID_ARGUMENT" in str(info.value)
        assert f"{RULES}.maxRules: 'lots' is not of type 'integer'" in str(info.value)

    def test_the_pack_refuses_a_name_it_does_not_have(self, pack: PolicyPackClient) -> None:
        with pytest.raises(PolicyPackError, match="is not a policy of this pack; did you mean"):
            self.raw_configure(pack, "aws-ec2-sg-max-rules", {})

    def test_the_engines_all_entry_is_accepted(self, pack: PolicyPackClient) -> None:
        """The engine forwards its `all` entry to Configure (applyConfig keeps it)."""
        self.raw_configure(pack, "all", {})


class TestWhatARefusalSaysIsValid:
    """After the validator's own words, a refusal says in plain words what the field takes:
    the user fixes the file from that sentence alone (``pack_config._describe``)."""

    @staticmethod
    def _valid(properties: dict[str, object], props: dict[str, object]) -> str:
        [problem] = property_problems(PolicySchema("p", "advisory", properties), props, strict=True)
        assert problem.path.startswith("p.")
        return problem.message.rpartition("; valid: ")[2]

    @pytest.mark.parametrize(
        ("schema", "value", "valid"),
        [
            ({"type": "string", "enum": ["tcp", "udp"]}, "icmp", "one of 'tcp', 'udp'"),
            ({"type": "integer", "minimum": 1.0, "maximum": 60.0}, 0, "an integer from 1 to 60"),
            ({"type": "integer", "minimum": 1}, "x", "an integer"),
            ({"type": "integer", "maximum": 9}, "x", "an integer"),
            ({"type": "integer", "minimum": 0.5, "maximum": 9}, "x", "an integer from 0.5 to 9"),
            ({"type": "array"}, "x", "a list"),
            (
                {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 65535}},
                "22",
                "a list of integers from 0 to 65535",
            ),
            ({"type": "array", "items": {"type": "integer"}}, "22", "a list of integers"),
            ({"type": "string"}, 5, "a string"),
            ({"type": "string", "minLength": 1}, "", "a non-empty string"),
            ({"type": "array", "items": {"type": "string"}}, "x", "a list of strings"),
            (
                {"type": "array", "items": {"type": "string", "minLength": 1}},
                "x",
                "a list of non-empty strings",
            ),
            ({"type": "string", "format": "date"}, 5, "a date YYYY-MM-DD that exists"),
            (
                {"type": "array", "items": {"type": "string", "format": "date"}},
                "x",
                "a list of dates YYYY-MM-DD",
            ),
            ({"type": "boolean"}, "x", "boolean"),
            ({"not": {}}, "x", "any value"),
        ],
    )
    def test_each_kind_of_field(self, schema: dict[str, object], value: object, valid: str) -> None:
        assert self._valid({"f": schema}, {"f": value}) == valid

    def test_an_exemption_list_names_its_keys_and_the_required_ones(self) -> None:
        """The pack's exemptions: objects of resource, reason and an optional expiry."""
        valid = self._valid({"exemptions": EXEMPTIONS_SCHEMA}, {"exemptions": "web"})
        assert valid == (
            "a list of objects with keys resource, reason, expires (resource, reason required)"
        )
        one = {"type": "object", "properties": {"a": {}, "b": {}}}
        assert self._valid({"f": one}, {"f": 1}) == "an object with keys a, b"

    def test_an_unknown_key_lists_the_keys_there_are(self) -> None:
        [problem] = property_problems(
            PolicySchema("p", "advisory", {"b": {}, "a": {}}), {"c": 1}, strict=True
        )
        assert problem.message.endswith("; valid keys: a, b")

    def test_an_impossible_date_is_named(self) -> None:
        [problem] = property_problems(
            PolicySchema("p", "advisory", {"d": {"type": "string", "format": "date"}}),
            {"d": "2023-02-29"},
            strict=True,
        )
        assert problem.message == "'2023-02-29' is not a valid date (YYYY-MM-DD that exists)"

    def test_a_missing_key_is_named_alone(self) -> None:
        """jsonschema's own words for a missing required key need no 'valid:' part."""
        with pytest.raises(ConfigError) as info:
            reconcile(policy_schemas(ALL_POLICIES), {ADMIN: {"exemptions": [{"resource": "x"}]}})
        [problem] = info.value.problems
        assert problem.message == "'reason' is a required property"


class TestAnUnknownPolicyName:
    def test_a_typo_is_answered_with_the_policy_meant(self) -> None:
        with pytest.raises(ConfigError) as info:
            reconcile(policy_schemas(ALL_POLICIES), {"aws-ec2-sg-too-many-rule": "disabled"})
        [problem] = info.value.problems
        # difflib.get_close_matches: the best match first
        assert problem.message.startswith(f"is not a policy of this pack; did you mean {RULES}")

    def test_at_most_three_near_names_are_offered(self) -> None:
        schemas = [PolicySchema(f"policy-{c}", "advisory", {}) for c in "abcd"]
        with pytest.raises(ConfigError) as info:
            reconcile(schemas, {"policy-e": "disabled"})
        [problem] = info.value.problems
        hint = problem.message.removeprefix("is not a policy of this pack; did you mean ")
        assert hint.endswith("?")
        offered = hint.removesuffix("?").split(" or ")
        assert len(offered) == 3
        assert set(offered) < {"policy-a", "policy-b", "policy-c", "policy-d"}

    def test_a_name_like_none_lists_them_all(self) -> None:
        with pytest.raises(ConfigError) as info:
            reconcile(SCHEMAS, {"zz": "disabled"})
        [problem] = info.value.problems
        assert problem.message == "is not a policy of this pack; valid names: all, p1, p2"
