"""`python -m devstack`: see `devstack/cli.py`."""

import sys

from devstack.cli import main

sys.exit(main())
