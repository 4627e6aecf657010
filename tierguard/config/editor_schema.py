"""A JSON Schema of a tierguard stack file, generated from the pydantic models.

Editors that speak the YAML language server (VS Code's YAML extension, Neovim, JetBrains,
Helix) complete keys and flag mistakes as you type once a stack file names it::

    # yaml-language-server: $schema=schema/pulumi-stack.schema.json

``python -m tierguard.config.editor_schema`` rewrites ``schema/pulumi-stack.schema.json``;
a test fails when the file and the models disagree. The schema is a typing aid: values a
model parses from a string (protocols, ports, CIDRs) are described by their spellings, and
the cross-field rules (one peer per rule, host bits, quotas) stay with ``tierguard check``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tierguard.config.parse import CONFIG_KEY
from tierguard.config.schema import NetworkConfig

SCHEMA_PATH = Path("schema") / "pulumi-stack.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def stack_file_schema() -> dict[str, Any]:
    """A ``Pulumi.<stack>.yaml``: its ``config:`` map, with ``tierguard:network`` typed."""
    network = NetworkConfig.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    definitions = network.pop("$defs", {})
    return {
        "$schema": DIALECT,
        "title": "tierguard stack file (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "description": "The stack's configuration, as `pulumi config` reads it.",
                "properties": {
                    CONFIG_KEY: {"$ref": "#/$defs/NetworkConfig"},
                    "aws:region": {
                        "type": "string",
                        "description": "The AWS region the provider deploys to.",
                    },
                },
                "required": [CONFIG_KEY],
            }
        },
        "required": ["config"],
        "$defs": {**definitions, "NetworkConfig": network},
    }


def render() -> str:
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main(root: Path | None = None) -> None:
    path = (root or Path.cwd()) / SCHEMA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
