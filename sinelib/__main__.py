"""``python -m sinelib``: the command line of ``sinelib.tools.cli``.

The entry point, not part of the core: ``import sinelib`` never runs this file.
"""

import sys

from sinelib.tools.cli import main

sys.exit(main())
