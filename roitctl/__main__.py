"""``python -m roitctl``."""

from roitctl.cli import main

if __name__ == "__main__":
    main()
