"""The project's files agree with each other."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = [d for d in environment["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert set(pip_section) - {"-e ."} == wanted
    assert "-e ." in pip_section
    python = [d for d in environment["dependencies"] if isinstance(d, str)
              and d.startswith("python")]
    assert python == ["python" + project["requires-python"]]


def test_readme_gives_the_quick_start_and_the_units():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "examples" in readme and "summed over" in readme


def test_readme_registry_table_is_the_registry():
    from sinelib.tables import experiment_rows, to_markdown

    assert to_markdown(experiment_rows()) in (ROOT / "README.md").read_text()


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
