"""Refuse tfvars that still hold the repository's example values.

The committed ``environments/*.tfvars`` show the shape of a deployment with made-up principals
(``…@example.com``), a zero integration id and a made-up notification channel. Planned and
applied as they are, the first apply fails on IAM ("group … does not exist") or deploys a
connector that talks to nobody; Cloud Build runs this first, so the build says which lines to
fill in instead.

    python3 scripts/check_tfvars.py terraform/environments/dev.tfvars [...]

Exit status 0 when no example value is left, 1 otherwise (each one listed), 2 on a usage error.
Standard library only (it runs in the Cloud Build image before anything is installed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PLACEHOLDERS = [
    (re.compile(r"@example\.(com|org|net)\b"), "an example.com principal or address"),
    (re.compile(r"\"example-org\""), "the example GitHub owner"),
    (re.compile(r"\b0{8}-0{4}-0{4}-0{4}-0{12}\b"), "the all-zero integration id"),
    (re.compile(r"notificationChannels/1234567890\b"), "the example notification channel"),
    (re.compile(r"@erp-project-(dev|prod)\.iam\.gserviceaccount\.com"), "the example ERP account"),
]


def problems(path: Path) -> list[str]:
    """``file:line: variable holds <what>`` for every example value left in ``path``."""
    found = []
    variable = "?"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("#", 1)[0]
        if match := re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", code):
            variable = match.group(1)
        for pattern, what in PLACEHOLDERS:
            if pattern.search(code):
                found.append(f"{path}:{number}: {variable} holds {what}")
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: check_tfvars.py FILE.tfvars [...]", file=sys.stderr)
        return 2
    found = [line for name in argv for line in problems(Path(name))]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(
            f"{len(found)} example value(s) left: put the deployment's own values there first "
            "(docs/deployment.md, step 4).",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
