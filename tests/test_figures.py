"""make figures: deterministic PNGs and the README's generated blocks."""

import pytest
from matplotlib.figure import Figure

from sinelib.tools.cli import main
from sinelib.experiments import EXPERIMENTS
from sinelib.study.figures import figure_set, save_figure, update_blocks, write_figures


def test_saved_figures_are_deterministic_and_carry_no_version(tmp_path):
    def draw():
        figure = Figure(figsize=(2, 2))
        figure.subplots().plot([0, 1, 2], [1, 0, 1])
        return figure

    first = save_figure(draw(), tmp_path / "a.png").read_bytes()
    second = save_figure(draw(), tmp_path / "b.png").read_bytes()
    assert first == second and first.startswith(b"\x89PNG")
    assert b"matplotlib" not in first.lower()


@pytest.mark.shipped
def test_write_figures_draws_what_is_asked(tmp_path):
    paths = write_figures(tmp_path, ["exp5-training.png", "exp4-clipping-spread.png"])
    assert [p.name for p in paths] == ["exp5-training.png", "exp4-clipping-spread.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    with pytest.raises(ValueError, match="unknown figures"):
        write_figures(tmp_path, ["nope.png"])


def test_figure_names_follow_the_declarations():
    names = set(figure_set())
    assert {f"{slug}-{kind}.png" for slug in EXPERIMENTS
            for kind in ("predictions", "training")} <= names
    # Only the experiment with runs without clipping gets the clipping figures.
    assert {name for name in names if "clipping" in name} == {
        "exp4-clipping-seeds.png", "exp4-clipping-spread.png"}


def test_update_readme_replaces_only_generated_blocks():
    text = ("intro\n<!-- generated:ledger -->\nold\n<!-- /generated -->\nmiddle\n"
            "<!-- generated:claims -->\n<!-- /generated -->\nend\n")
    updated = update_blocks(text, {"ledger": "| a |", "claims": "- x\n- y"})
    assert updated == ("intro\n<!-- generated:ledger -->\n| a |\n<!-- /generated -->\nmiddle\n"
                       "<!-- generated:claims -->\n- x\n- y\n<!-- /generated -->\nend\n")
    assert update_blocks(updated, {"ledger": "| a |", "claims": "- x\n- y"}) == updated
    with pytest.raises(ValueError, match="missing"):
        update_blocks(text, {"ledger": "", "claims": "", "quotes": ""})


def test_readme_command_checks_and_writes_each_document(tmp_path, capsys, monkeypatch):
    """The README keeps some blocks and docs/results.md the others; one command updates both."""
    import sinelib.study.figures as figures

    monkeypatch.setattr(figures, "readme_blocks",
                        lambda notebooks: {"course": "| new |", "claims": "- new"})
    monkeypatch.setattr(figures, "DOCUMENTS", {"README.md": ("course",),
                                               "docs/results.md": ("claims",)})
    (tmp_path / "docs").mkdir()
    readme, results = tmp_path / "README.md", tmp_path / "docs" / "results.md"
    readme.write_text("<!-- generated:course -->\n| old |\n<!-- /generated -->\n")
    results.write_text("<!-- generated:claims -->\n- old\n<!-- /generated -->\n")
    assert main(["readme", "--root", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["readme", "--root", str(tmp_path)]) == 0
    assert readme.read_text() == "<!-- generated:course -->\n| new |\n<!-- /generated -->\n"
    assert results.read_text() == "<!-- generated:claims -->\n- new\n<!-- /generated -->\n"
    assert main(["readme", "--root", str(tmp_path), "--check"]) == 0
    monkeypatch.setattr(figures, "DOCUMENTS", {"README.md": ("course",)})
    with pytest.raises(ValueError, match="each generated block lives in one document"):
        figures.updated_documents(tmp_path)
