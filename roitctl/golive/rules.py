"""What an environment's tfvars must (and must not) hold. Standard library only.

Two kinds of rules, one place: the example values the repository's ``environments/*.tfvars``
ship with (``scripts/check_tfvars.py`` refuses them before a plan; ``roitctl setup`` before it
writes), and the shapes ``terraform/variables.tf`` validates for the values ``setup`` asks
for (its tests check each pattern is the one Terraform's ``regex()`` uses).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "EMAIL",
    "ENVIRONMENTS",
    "ERP_MEMBER",
    "NOTIFICATION_CHANNEL",
    "PLACEHOLDERS",
    "PROJECT_ID",
    "REGION",
    "problems",
    "problems_in",
]

PLACEHOLDERS = [
    (re.compile(r"@example\.(com|org|net)\b"), "an example.com principal or address"),
    (re.compile(r"\"example-org\""), "the example GitHub owner"),
    (re.compile(r"\b0{8}-0{4}-0{4}-0{4}-0{12}\b"), "the all-zero integration id"),
    (re.compile(r"notificationChannels/1234567890\b"), "the example notification channel"),
    (re.compile(r"@erp-project-(dev|prod)\.iam\.gserviceaccount\.com"), "the example ERP account"),
]

# terraform/variables.tf's validations of the values setup asks for (the same regex text).
PROJECT_ID = r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$"
REGION = r"^[a-z]+-[a-z]+[0-9]+$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ERP_MEMBER = r"^(serviceAccount|group):[^@\s]+@[^@\s]+$|^principal(Set)?://"
NOTIFICATION_CHANNEL = r"^projects/[^/]+/notificationChannels/[^/]+$"
ENVIRONMENTS = ("dev", "prod")


def problems_in(text: str, source: str) -> list[str]:
    """``source:line: variable holds <what>`` for every example value left in ``text``."""
    found = []
    variable = "?"
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if match := re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", code):
            variable = match.group(1)
        for pattern, what in PLACEHOLDERS:
            if pattern.search(code):
                found.append(f"{source}:{number}: {variable} holds {what}")
    return found


def problems(path: Path) -> list[str]:
    """:func:`problems_in` for a file."""
    return problems_in(path.read_text(encoding="utf-8"), str(path))
