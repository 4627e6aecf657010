"""Locating config paths in stack files, and the SARIF 2.1.0 document."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PROJECT_DIR
from tierguard.config.stackfile import locate
from tierguard.report.sarif import SarifResult, SarifRule, sarif_document

DEV = PROJECT_DIR / "Pulumi.dev.yaml"


def line_of(text: str) -> int:
    return next(i for i, line in enumerate(DEV.read_text().splitlines(), 1) if text in line)


class TestLocate:
    def test_a_rule_is_found_at_its_list_item(self) -> None:
        """tiers.web.ingress[1] is the '- service: ssh' line of the dev stack."""
        assert locate(DEV, "tierguard:network", "tiers.web.ingress[1]") == (
            line_of("- service: ssh"),
            13,
        )

    def test_a_field_is_found_at_its_value(self) -> None:
        """A path down to a key points at that key's value."""
        line, _ = locate(DEV, "tierguard:network", "network_acls.public.ingress[0].named_cidr") or (
            0,
            0,
        )
        assert line == line_of("named_cidr: blocked")

    def test_paths_beyond_the_file_point_at_the_deepest_known_place(self) -> None:
        """An unknown tail (a generated value) points at what the file does say."""
        assert locate(DEV, "tierguard:network", "tiers.web.ingress[9]") == locate(
            DEV, "tierguard:network", "tiers.web.ingress"
        )

    def test_unreadable_files_have_no_location(self, tmp_path: Path) -> None:
        """A missing or broken file yields None, never an exception."""
        assert locate(tmp_path / "missing.yaml", "k", "a") is None
        broken = tmp_path / "broken.yaml"
        broken.write_text("config: [\n")
        assert locate(broken, "k", "a") is None


class TestSarif:
    RULES = (
        SarifRule("tg-a", "a", "Rule A", "Fix A", "error"),
        SarifRule("tg-b", "b", "Rule B", "Fix B", "warning"),
    )

    def test_document_shape(self) -> None:
        """Version, schema, the driver's rules (only those used) and located results."""
        doc = sarif_document(
            "tierguard",
            "0.1.0",
            self.RULES,
            [SarifResult("tg-b", "warning", "bad", uri="Pulumi.dev.yaml", line=31, column=13)],
        )
        assert doc["version"] == "2.1.0"
        assert doc["$schema"].endswith("sarif-2.1.0.json")
        [run] = doc["runs"]
        assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["tg-b"]
        assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"] == {"level": "warning"}
        [result] = run["results"]
        assert result["ruleIndex"] == 0
        assert result["message"] == {"text": "bad"}
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "Pulumi.dev.yaml"
        assert physical["region"] == {"startLine": 31, "startColumn": 13}

    def test_results_without_a_file_carry_a_logical_location(self) -> None:
        """Audit findings name the resource instead of a file."""
        doc = sarif_document(
            "tierguard",
            "0.1.0",
            self.RULES,
            [SarifResult("tg-a", "error", "x", logical="us-east-1/sg-1")],
        )
        [location] = doc["runs"][0]["results"][0]["locations"]
        assert location == {"logicalLocations": [{"fullyQualifiedName": "us-east-1/sg-1"}]}
