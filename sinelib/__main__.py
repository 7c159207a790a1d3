"""``python -m sinelib``: see ``sinelib.tools.cli``."""

import sys

from sinelib.tools.cli import main

sys.exit(main())
