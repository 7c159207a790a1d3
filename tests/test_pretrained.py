import json
import shutil

import numpy as np
import pytest

from sinelib import (
    EXPERIMENTS, build_model, get_experiment, load_manifest, load_pretrained, predict,
    save_pretrained,
)
from sinelib.evaluation import evaluate
from sinelib.pretrained import MANIFEST_FORMAT, PRETRAINED_DIR
from sinelib.storage import load_arrays, sha256_file


@pytest.fixture
def saved(tmp_path):
    model = build_model("exp5-small", seed=7)
    save_pretrained(model, "exp5-small", tmp_path, metrics=evaluate(model, "exp5-small", size=50),
                    run={"seed": 7, "steps": 0}, history_csv="step\n0\n")
    return model, tmp_path


def test_round_trip_gives_identical_predictions(saved):
    model, folder = saved
    loaded = load_pretrained("exp5-small", folder)
    x = np.random.default_rng(0).normal(size=(8, 25, 1)).astype(np.float32)
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))
    manifest = load_manifest("5 (small)", folder)
    assert manifest["format"] == MANIFEST_FORMAT
    assert manifest["config"]["n_hidden"] == 10
    assert set(manifest["versions"]) >= {"tensorflow", "keras", "numpy", "python"}
    assert len(manifest["weights_sha256"]) == 64
    assert (folder / "exp5-small.history.csv").read_text() == "step\n0\n"


def test_cli_reads_a_manifest_without_run_facts(saved, capsys):
    from sinelib.tools.cli import main

    _, folder = saved
    _rewrite_manifest(folder, "exp5-small", run={})
    assert main(["evaluate", "exp5-small", "--weights", str(folder)]) == 0
    assert "trained ? steps" in capsys.readouterr().out
    assert main(["ledger", "--weights", str(folder)]) == 0
    assert "5 (small) (exp5-small)" in capsys.readouterr().out


def test_missing_weights_name_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="reproduce exp3"):
        load_pretrained("exp3", tmp_path)


def test_tampered_weights_are_refused(saved):
    _, folder = saved
    path = folder / "exp5-small.weights.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its manifest"):
        load_pretrained("exp5-small", folder)


def test_truncated_weights_are_refused(saved):
    _, folder = saved
    path = folder / "exp5-small.weights.npz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="truncated"):
        load_pretrained("exp5-small", folder)


def _rewrite_manifest(folder, slug, **changes):
    path = folder / f"{slug}.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def test_changed_configuration_is_refused(saved):
    _, folder = saved
    manifest = json.loads((folder / "exp5-small.json").read_text())
    _rewrite_manifest(folder, "exp5-small", config={**manifest["config"], "learning_rate": 0.01})
    with pytest.raises(ValueError, match="another configuration.*learning_rate"):
        load_pretrained("exp5-small", folder)


def test_other_manifest_format_is_refused(saved):
    _, folder = saved
    _rewrite_manifest(folder, "exp5-small", format=MANIFEST_FORMAT + 1)
    with pytest.raises(ValueError, match="format"):
        load_pretrained("exp5-small", folder)


def test_corrupt_manifest_is_refused(saved):
    _, folder = saved
    (folder / "exp5-small.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_pretrained("exp5-small", folder)


@pytest.mark.parametrize("other,match", [
    (get_experiment("exp5"), "missing arrays 14 .*unexpected arrays 14"),
    (get_experiment("exp5-small").replace(n_hidden=32), "shape \\(1, 128\\).*\\(1, 40\\)"),
])
def test_weights_of_another_architecture_are_refused(saved, other, match):
    """A consistent manifest and hash, but arrays of another network."""
    _, folder = saved
    save_pretrained(build_model(other), other, folder / "other", metrics={}, run={})
    shutil.copy(folder / "other" / f"{other.slug}.weights.npz", folder / "exp5-small.weights.npz")
    _rewrite_manifest(folder, "exp5-small",
                      weights_sha256=sha256_file(folder / "exp5-small.weights.npz"))
    with pytest.raises(ValueError, match="does not match this architecture: .*" + match):
        load_pretrained("exp5-small", folder)


def test_weights_with_pickled_objects_are_never_loaded(saved):
    _, folder = saved
    path = folder / "exp5-small.weights.npz"
    np.savez(path, **{"lstm_0/lstm_cell/kernel": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="not a readable weights archive"):
        load_arrays(path)


def test_shipped_manifests_load():
    """Every shipped manifest matches the registry and its weights' hash."""
    from sinelib.study.atlas import ATLAS_PATH

    shipped = sorted(path for path in PRETRAINED_DIR.glob("*.json") if path != ATLAS_PATH)
    assert len(shipped) == len(EXPERIMENTS)
    for manifest in shipped:
        model = load_pretrained(manifest.stem)
        assert model.output_shape[-1] == load_manifest(manifest.stem)["config"]["n_out"]
