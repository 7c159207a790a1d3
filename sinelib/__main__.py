"""``python -m sinelib``: see ``sinelib.cli``."""

import sys

from sinelib.cli import main

sys.exit(main())
