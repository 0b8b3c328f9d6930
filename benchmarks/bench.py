"""``python benchmarks/bench.py`` = ``python -m benchmarks`` (see :mod:`benchmarks.runner`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.runner import main

if __name__ == "__main__":
    raise SystemExit(main())
