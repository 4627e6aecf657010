"""What makes a rule description real, shared by config validation and the policy pack."""

from __future__ import annotations

import re

#: Defaults that tools write when the author wrote nothing; they describe no intent.
PLACEHOLDER_DESCRIPTIONS = frozenset(
    {
        "managed by pulumi",
        "managed by terraform",
        "managed by cloudformation",
        "ingress rule",
        "egress rule",
        "todo",
        "tbd",
        "n/a",
        "none",
        "-",
    }
)

#: Characters EC2 accepts in security-group and rule descriptions.
_AWS_DESCRIPTION = re.compile(r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$")
MAX_DESCRIPTION_LENGTH = 255


def is_placeholder_description(text: str | None) -> bool:
    """Whether ``text`` is missing, blank, or a tool's default rather than a reason."""
    return text is None or not text.strip() or text.strip().lower() in PLACEHOLDER_DESCRIPTIONS


def description_problem(text: str) -> str | None:
    """Why EC2 (or this project's standard) would refuse ``text``; ``None`` if it is fine."""
    if is_placeholder_description(text):
        return f"{text!r} is a placeholder, not a description; say what the rule is for"
    if len(text) > MAX_DESCRIPTION_LENGTH:
        return f"is {len(text)} characters long; EC2 allows at most {MAX_DESCRIPTION_LENGTH}"
    if not _AWS_DESCRIPTION.fullmatch(text):
        bad = sorted({c for c in text if not _AWS_DESCRIPTION.fullmatch(c)})
        return (
            f"{text!r} contains {''.join(bad)!r}, which EC2 rejects; use letters, digits, "
            "spaces and ._-:/()#,@[]+=&;{}!$*"
        )
    return None
