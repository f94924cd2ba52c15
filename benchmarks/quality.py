"""World-model quality on held-out rendered trajectories: learned vs classical vs no completion.

    .venv/bin/python benchmarks/quality.py [--trajectories 12] [--size 256x256]

The same as `gwm-engine eval`; the table goes into benchmarks/RESULTS.md.
"""

import sys

from gwm_engine.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
