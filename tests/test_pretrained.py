import json
import shutil

import numpy as np
import pytest

from sinelib import (
    EXPERIMENTS, build_model, get_experiment, load_manifest, load_pretrained, predict,
    save_pretrained,
)
from sinelib.evaluation import evaluate
from sinelib.plumbing.pretrained import MANIFEST_FORMAT, PRETRAINED_DIR
from sinelib.plumbing.storage import load_arrays, sha256_file


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


# Crafted archives: a consistent manifest and hash, so only the archive checks stand between
# the file and the model. Each is refused from the members' headers and sizes, before any
# array data is read.

def _npy_bytes(array, extra: bytes = b"") -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue() + extra


def _craft(folder, change):
    """Rewrite exp5-small's weights with ``change(members)`` applied, and rehash them."""
    import zipfile

    path = folder / "exp5-small.weights.npz"
    members = {name: _npy_bytes(value) for name, value in load_arrays(path).items()}
    change(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    _rewrite_manifest(folder, "exp5-small", weights_sha256=sha256_file(path))


KERNEL = "exp5_small/readout/kernel"  # (10, 100) float32: 4000 bytes of data


def _much_larger(members):
    # The right header, then 50 MB more than it declares (a few kB compressed).
    members[KERNEL] = _npy_bytes(np.zeros((10, 100), np.float32), b"\0" * 50_000_000)


def _extra_member(members):
    members["exp5_small/extra/kernel"] = _npy_bytes(np.zeros(3, np.float32))


def _wrong_shape(members):
    members[KERNEL] = _npy_bytes(np.zeros((1000, 1000), np.float32))


def _wrong_dtype(members):
    members[KERNEL] = _npy_bytes(np.zeros((10, 100), np.float64))


@pytest.mark.parametrize("change,fragments", [
    (_much_larger, [f"member '{KERNEL}' is 50004128 bytes uncompressed",
                    "the architecture needs at most 4128 (128 of header, 4000 of data)"]),
    (_extra_member, ["does not match this architecture", "missing arrays none",
                     "unexpected arrays 1 (exp5_small/extra/kernel)"]),
    (_wrong_shape, [f"'{KERNEL}' has shape (1000, 1000), the model expects (10, 100)"]),
    (_wrong_dtype, [f"'{KERNEL}' has dtype float64, the model expects float32"]),
], ids=["much larger", "extra member", "wrong shape", "wrong dtype"])
def test_crafted_archives_are_refused_before_their_data_is_read(saved, monkeypatch, change,
                                                                fragments):
    _, folder = saved
    _craft(folder, change)

    def no_data_read(*args, **kwargs):
        raise AssertionError("array data was read")

    monkeypatch.setattr(np.lib.format, "read_array", no_data_read)
    with pytest.raises(ValueError) as caught:
        load_pretrained("exp5-small", folder)
    message = str(caught.value)
    assert "exp5-small.weights.npz" in message
    for fragment in fragments:
        assert fragment in message


def test_a_member_holding_more_than_its_header_declares_is_refused(tmp_path):
    """Without an architecture to compare with, a member must still hold what its header
    says."""
    import zipfile

    path = tmp_path / "a.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", _npy_bytes(np.zeros(3, np.float32), b"\0" * 100))
    with pytest.raises(ValueError, match="member 'x' holds 112 bytes of data, its header "
                                         "declares 12"):
        load_arrays(path)


def test_shipped_weights_load_through_the_checks():
    model = load_pretrained("exp3")
    assert model.output_shape == (None, 50)


def test_recorded_variant_reads_how_a_run_was_stepped(tmp_path):
    """make reproduce repeats the shipped run's step variant; a manifest from before the
    record, or a malformed one, gives None (the plan's variant is used)."""
    import json

    from sinelib.plumbing.pretrained import recorded_variant

    path = tmp_path / "exp3.json"
    for run, expected in [({"step_variant": {"unroll": True, "jit_compile": False}},
                           {"unroll": True, "jit_compile": False}),
                          ({}, None),
                          ({"step_variant": {"unroll": "yes", "jit_compile": False}}, None),
                          ({"step_variant": {"unroll": True}}, None)]:
        path.write_text(json.dumps({"run": run}))
        assert recorded_variant("exp3", tmp_path) == expected
    path.write_text("not json")
    assert recorded_variant("exp3", tmp_path) is None
    assert recorded_variant("exp3", tmp_path / "nowhere") is None
    # The shipped weights written since the record was added carry it.
    assert recorded_variant("exp6") == {"unroll": False, "jit_compile": True}
