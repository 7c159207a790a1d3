"""The layout's rules, checked on the source: the core apart from the study and the tools,
public names only across modules, no experiment chosen by its slug in code."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_code import notebook_code

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sinelib"
CORE = sorted(path for path in PACKAGE.glob("*.py") if path.name != "__main__.py")
MODULES = sorted(PACKAGE.rglob("*.py"))
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
#: Imports that may sit inside a function: heavy to load (the module docstring says so). The
#: TF1-style reference switches tf.keras to Keras 2 for the whole process when imported.
HEAVY = ("tensorflow", "keras", "tf_keras", "matplotlib", "tqdm", "ipywidgets", "ipympl",
         "IPython", "sinelib.tools.reference_tf1")


def _imports(tree):
    """``(node, module, names, inside_function)`` for every import in a parsed module."""
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            inside, parent = False, parents.get(node)
            while parent is not None:
                if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    inside = True
                parent = parents.get(parent)
            if isinstance(node, ast.ImportFrom):
                yield node, node.module or "", [alias.name for alias in node.names], inside
            else:
                for alias in node.names:
                    yield node, alias.name, [], inside


def test_import_sinelib_loads_the_core_only():
    code = ("import sys, sinelib; print(sorted(m for m in sys.modules "
            "if m.startswith(('sinelib.study', 'sinelib.tools', 'sinelib.exercises'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", CORE, ids=lambda path: path.name)
def test_the_core_imports_neither_the_study_nor_the_tools(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    outside = [module for _, module, _, _ in _imports(tree)
               if module.startswith(("sinelib.study", "sinelib.tools", "sinelib.exercises"))]
    assert outside == [], f"{path.name} imports {outside}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_modules_import_public_names_at_the_top(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node, module, names, inside in _imports(tree):
        private = [name for name in names if name.startswith("_") and name != "__future__"]
        assert not private, f"{path.name}:{node.lineno} imports private {private} from {module}"
        if inside:
            assert module.split(".")[0] in HEAVY or module in HEAVY, (
                f"{path.name}:{node.lineno} imports {module} inside a function; only heavy "
                f"modules ({', '.join(HEAVY)}) are imported late")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebooks_import_public_names(path):
    tree = ast.parse(notebook_code(path))
    for node, module, names, _ in _imports(tree):
        assert not [n for n in names if n.startswith("_")], f"{path.name} imports privates"


def test_no_experiment_is_chosen_by_its_slug_in_code():
    branching = re.compile(r"slug ==|slug in \(|_exp[0-9]")
    found = []
    for path in MODULES + [ROOT / "Makefile"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if branching.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in NOTEBOOKS:
        found += [f"{path.relative_to(ROOT)}: {line.strip()}"
                  for line in notebook_code(path).splitlines() if branching.search(line)]
    assert found == []


def test_nothing_points_outside_the_repository():
    outside = "/".join(("..", "shared"))  # spelt apart so that this file does not match
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout.split()
    found = [name for name in tracked
             if name.endswith((".py", ".md", ".ipynb", ".toml", ".yml", ".cfg"))
             and outside in (ROOT / name).read_text(encoding="utf-8")]
    assert found == [], f"{found} point at {outside}, which readers do not have"
