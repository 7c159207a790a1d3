"""The layout's rules, checked on the source: the core apart from the study and the tools,
no import circle, public names only across modules, no experiment chosen by its slug in code,
and a top level that a learner can take in."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_code import notebook_code

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sinelib"
CORE = sorted(path for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("plumbing/*.py")]
              if path.name != "__main__.py")
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_circle():
    """Every import between the package's modules, at any depth, TYPE_CHECKING ones included:
    no module reaches itself."""
    names = {_module_name(path) for path in MODULES}
    graph = {}
    for path in MODULES:
        targets = set()
        for _, module, imported, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            for name in [module, *(f"{module}.{item}" for item in imported)]:
                if name in names:
                    targets.add(name)
        graph[_module_name(path)] = targets - {_module_name(path), "sinelib"}
    circles = []

    def visit(name, trail):
        for target in graph[name]:
            if target in trail:
                circles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in done:
                visit(target, trail + [target])
        done.add(name)

    done = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert circles == []


def test_the_import_circle_test_finds_a_circle(tmp_path, monkeypatch):
    """The circle test on a made-up package of two modules that import each other."""
    package = tmp_path / "sinelib"
    package.mkdir()
    (package / "a.py").write_text("from sinelib.b import x\n", encoding="utf-8")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from sinelib.a import y\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "MODULES", sorted(package.rglob("*.py")))
    with pytest.raises(AssertionError, match="sinelib.a -> sinelib.b -> sinelib.a"):
        test_no_import_circle()


def test_the_top_level_holds_at_most_twelve_modules():
    """What a learner reads sits at the top; the plumbing is grouped below it."""
    top = sorted(path.name for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    assert len(top) <= 12, top


#: Where a slug may be written in the package: the registry, the study's declarations, and the
#: exercises, each of which belongs to one lesson and its experiment.
SLUGS_ALLOWED = ("experiments.py", "study/declarations.py", "exercises/")
#: A slug written out: "exp1", "exp5-small", "exp4-noclip".
_SLUG = re.compile(r"^exp[0-9]")


def _slug_literals(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string constant that names an experiment, docstrings left
    out."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and _SLUG.match(node.value)]


def test_the_slug_guard_catches_tuples_and_literals():
    source = ('STATE = ("exp1", "exp2")\nclaim = Claim("exp5", "text")\n'
              'def f():\n    """exp3 in a docstring"""\n')
    assert sorted(_slug_literals(source)) == [(1, "exp1"), (1, "exp2"), (2, "exp5")]


def test_no_experiment_is_named_in_code_outside_the_registry_and_the_declarations():
    found = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}" for path in MODULES
             if not str(path.relative_to(PACKAGE)).startswith(SLUGS_ALLOWED)
             for line, text in _slug_literals(path.read_text(encoding="utf-8"))]
    assert found == []


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


def test_the_training_loops_helpers_take_at_most_five_parameters():
    """``train`` reads as the protocol: what it calls takes few enough arguments to read."""
    tree = ast.parse((PACKAGE / "training.py").read_text(encoding="utf-8"))
    wide = [f"{node.name}: {len(node.args.args) + len(node.args.kwonlyargs)}"
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and node.name != "train"
            and len([a for a in node.args.args if a.arg != "self"]) + len(node.args.kwonlyargs) > 5]
    assert wide == []
