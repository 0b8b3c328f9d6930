"""Refuse tfvars that still hold the repository's example values.

The committed ``environments/*.tfvars`` show the shape of a deployment with made-up principals
(``…@example.com``), a zero integration id and a made-up notification channel. Planned and
applied as they are, the first apply fails on IAM ("group … does not exist") or deploys a
connector that talks to nobody; Cloud Build runs this first, so the build says which lines to
fill in instead.

    python3 scripts/check_tfvars.py terraform/environments/dev.tfvars [...]

Exit status 0 when no example value is left, 1 otherwise (each one listed), 2 on a usage error.
Standard library only (it runs in the Cloud Build image before anything is installed); the
rules are in roitctl/golive/rules.py, shared with ``roitctl setup``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The rules live with roitctl (setup refuses the same values before it writes a file); they
# are standard library only, so this still runs before anything is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from roitctl.golive.rules import PLACEHOLDERS, problems

__all__ = ["PLACEHOLDERS", "main", "problems"]


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
