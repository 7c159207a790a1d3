"""The code of a committed notebook, for tests that read it without running it."""

import json


def notebook_code(path) -> str:
    """All code cells of a notebook as one Python source, IPython magics (``%matplotlib``)
    left out."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("%"))
