"""`python -m labkit` runs the CLI."""

import sys

from labkit.cli import main

sys.exit(main())
