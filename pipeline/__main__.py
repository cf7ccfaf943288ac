"""`python -m pipeline <step>`: the command line lives in cli.py."""

import sys

from pipeline.cli import main

sys.exit(main())
