"""Bad input across the public API: each row must raise ``ValueError`` (or
``FileNotFoundError``) with a message that names the offending value, never a deep
TensorFlow traceback or an unrelated ``TypeError``.

The table doubles as the list of bad inputs tried; ``python -m pytest
tests/test_robustness.py -v`` prints one line per row.
"""

import json
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sinelib
from sinelib import (
    build_model, count_parameters, evaluate, get_experiment, heldout_windows, load_manifest,
    load_pretrained, per_point_mse, plot_predictions, plot_windows, predict, sample_windows,
    save_pretrained, summed_loss, train,
)
from sinelib.tools.cli import main
from sinelib.data import training_batch
from sinelib.tools.explorer import Explorer, explore
from benchmarks.explorer import benchmark_latency
from sinelib.tools.probe import Probe, error_strip, probe_window, measure_probe
from sinelib.schedules import learning_rate, stop_reason
from sinelib.plumbing.pretrained import weights_path
from sinelib.plumbing.storage import load_arrays, save_arrays, sha256_file
from sinelib.study.tables import experiment_rows, ledger_rows, metrics_rows
from sinelib.plumbing.tables import to_markdown, to_text
from sinelib.plumbing.history import history_from_csv

EXP = "exp5-small"  # the cheapest registered network: 4 x 10 cells, 25 -> 100
NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def model():
    return build_model(EXP, seed=3)


@pytest.fixture(scope="module")
def shipped(model, tmp_path_factory):
    """A weights folder as ``save_pretrained`` writes it; rows tamper with copies."""
    folder = tmp_path_factory.mktemp("shipped")
    save_pretrained(model, EXP, folder, metrics={"loss": 1.0}, run={"seed": 3, "steps": 0})
    return folder


class Context:
    """What the rows act on: a model, a fresh copy of a saved weights folder, a temp dir."""

    def __init__(self, model, shipped, tmp_path):
        self.model, self._shipped, self.tmp = model, shipped, tmp_path

    def folder(self):
        target = self.tmp / "weights"
        if not target.exists():
            shutil.copytree(self._shipped, target)
        return target

    def weights(self):
        return self.folder() / f"{EXP}.weights.npz"

    def edit_manifest(self, update=None, drop=()):
        path = self.folder() / f"{EXP}.json"
        manifest = json.loads(path.read_text())
        manifest.update(update or {})
        for key in drop:
            manifest.pop(key)
        path.write_text(json.dumps(manifest))
        return self.folder()

    def rehash(self):
        """Make the manifest agree with the (replaced) weights file, so later checks run."""
        return self.edit_manifest({"weights_sha256": sha256_file(self.weights())})

    def a_file(self):
        path = self.tmp / "not-a-folder.txt"
        path.write_text("x")
        return path


def _truncate(c):
    data = c.weights().read_bytes()
    c.weights().write_bytes(data[: len(data) // 2])
    return load_pretrained(EXP, c.folder())


def _flip_a_byte(c):
    data = bytearray(c.weights().read_bytes())
    data[len(data) // 3] ^= 0x01
    c.weights().write_bytes(bytes(data))
    return load_pretrained(EXP, c.folder())


def _other_experiment_weights(c):
    other = get_experiment(EXP).replace(n_hidden=12)  # same names, other shapes
    save_pretrained(build_model(other), other, c.tmp / "other", metrics={}, run={})
    shutil.copy(c.tmp / "other" / f"{EXP}.weights.npz", c.weights())
    return load_pretrained(EXP, c.rehash())


def _pickled_weights(c):
    """An archive whose member is a pickled object array; its hash matches the manifest."""
    np.savez(c.weights(), **{"lstm_0/lstm_cell/kernel": np.array([{"a": 1}], dtype=object)})
    return load_pretrained(EXP, c.rehash())


def _nan_weights(c):
    arrays = load_arrays(c.weights())
    key = "exp5_small/readout/bias"
    arrays[key] = np.full_like(arrays[key], np.nan)
    np.savez(c.weights(), **arrays)
    return load_pretrained(EXP, c.rehash())


def _not_a_zip(c):
    c.weights().write_bytes(b"GARBAGE" * 100)
    return load_arrays(c.weights())


def _bare_npy(c):
    path = c.tmp / "single.npy"
    np.save(path, np.zeros(3))
    return load_arrays(path)


def _zip_with_a_pickle_member(c):
    path = c.tmp / "evil.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"\x80\x04\x95" + b"cos\nsystem\n(S'echo pwned'\ntR.")
    return load_arrays(path)


# (id, call, exception, fragments the message must contain: the value and what was expected)
BAD_INPUTS = [
    # Experiment names and slugs
    ("name unknown", lambda c: get_experiment("exp42"), ValueError,
     ["'exp42'", "known experiments: exp1 (1)"]),
    ("name path traversal", lambda c: get_experiment("../etc"), ValueError, ["'../etc'"]),
    ("name shell", lambda c: get_experiment("exp1; rm"), ValueError, ["'exp1; rm'"]),
    ("name empty", lambda c: get_experiment(""), ValueError, ["''", "unknown experiment"]),
    ("name unicode digit", lambda c: get_experiment("exp\uff11"), ValueError,
     ["'exp\uff11'"]),
    ("name NUL byte", lambda c: get_experiment("exp1\x00"), ValueError, ["'exp1\\x00'"]),
    ("name int", lambda c: get_experiment(3), ValueError, ["int 3", "string"]),
    ("name None", lambda c: get_experiment(None), ValueError, ["NoneType None"]),
    ("name bool", lambda c: get_experiment(True), ValueError, ["bool True"]),
    ("name very long", lambda c: get_experiment("x" * 10_000), ValueError,
     ["'xxxxx", "...>"]),
    # Experiment records (Experiment.replace validates like the registry does)
    ("slug traversal", lambda c: get_experiment("exp3").replace(slug="../etc"), ValueError,
     ["'../etc'", "lowercase letters"]),
    ("slug with space", lambda c: get_experiment("exp3").replace(slug="exp 1"), ValueError,
     ["'exp 1'"]),
    ("slug unicode", lambda c: get_experiment("exp3").replace(slug="\u00e9xp3"), ValueError,
     ["'\u00e9xp3'"]),
    ("slug not a string", lambda c: get_experiment("exp3").replace(slug=3), ValueError,
     ["slug must be a string, got 3"]),
    ("n_hidden zero", lambda c: get_experiment("exp3").replace(n_hidden=0), ValueError,
     ["n_hidden must be a positive integer, got 0"]),
    ("n_in negative", lambda c: get_experiment("exp3").replace(n_in=-5), ValueError,
     ["n_in", "got -5"]),
    ("n_out float", lambda c: get_experiment("exp3").replace(n_out=2.5), ValueError,
     ["n_out", "got 2.5"]),
    ("batch_size bool", lambda c: get_experiment("exp3").replace(batch_size=True), ValueError,
     ["batch_size", "got True"]),
    ("budget zero", lambda c: get_experiment("exp3").replace(budget_examples=0), ValueError,
     ["budget_examples", "got 0"]),
    ("budget as float", lambda c: get_experiment("exp3").replace(budget_examples=5e5),
     ValueError, ["budget_examples", "got 500000.0"]),
    ("cap below budget", lambda c: get_experiment("exp3").replace(cap_examples=10), ValueError,
     ["cap_examples (10)", "budget_examples (500000)"]),
    ("learning rate NaN", lambda c: get_experiment("exp3").replace(learning_rate=NAN),
     ValueError, ["learning_rate", "nan"]),
    ("learning rate inf", lambda c: get_experiment("exp3").replace(learning_rate=INF),
     ValueError, ["learning_rate", "inf"]),
    ("learning rate string", lambda c: get_experiment("exp3").replace(learning_rate="0.001"),
     ValueError, ["learning_rate", "'0.001'"]),
    ("learning rate zero", lambda c: get_experiment("exp3").replace(learning_rate=0.0),
     ValueError, ["learning_rate must be positive, got 0.0"]),
    ("frequency at Nyquist", lambda c: get_experiment("exp1").replace(frequency=50.0),
     ValueError, ["frequency must be in (0, 50) Hz", "Nyquist", "got 50.0"]),
    ("frequency NaN", lambda c: get_experiment("exp1").replace(frequency=NAN), ValueError,
     ["frequency", "nan"]),
    ("frequency bool", lambda c: get_experiment("exp1").replace(frequency=True), ValueError,
     ["frequency", "True"]),
    ("decay period zero", lambda c: get_experiment("5.1").replace(decay_every_examples=0),
     ValueError, ["decay_every_examples", "got 0"]),
    ("decay factor NaN", lambda c: get_experiment("5.1").replace(decay_factor=NAN),
     ValueError, ["decay_factor", "nan"]),
    ("clip negative", lambda c: get_experiment("exp4").replace(clip_value=-0.5), ValueError,
     ["clip_value", "-0.5"]),
    ("target negative", lambda c: get_experiment("exp5").replace(target_loss=-1.0),
     ValueError, ["target_loss", "-1.0"]),
    ("static_rnn string", lambda c: get_experiment("exp3").replace(static_rnn="no"),
     ValueError, ["static_rnn must be True or False", "'no'"]),
    ("cell unknown", lambda c: get_experiment("exp3").replace(cell="RNNCell"), ValueError,
     ["'RNNCell'", "'GRUCell'"]),
    # Sine windows
    ("batch zero", lambda c: sample_windows(0, 5, 2), ValueError, ["batch", "got 0"]),
    ("batch bool", lambda c: sample_windows(True, 5, 2), ValueError, ["batch", "got True"]),
    ("batch float", lambda c: sample_windows(2.0, 5, 2), ValueError, ["batch", "got 2.0"]),
    ("window n_in negative", lambda c: sample_windows(3, -1, 2), ValueError, ["n_in", "got -1"]),
    ("n_out string", lambda c: sample_windows(3, 5, "2"), ValueError, ["n_out", "got '2'"]),
    ("too many samples", lambda c: sample_windows(10**7, 100, 100), ValueError,
     ["10000000 x 200", "1e+08"]),
    ("window frequency at Nyquist", lambda c: sample_windows(3, 5, 2, frequency=50), ValueError,
     ["(0, 50) Hz", "Nyquist", "got 50"]),
    ("frequency above Nyquist", lambda c: sample_windows(3, 5, 2, frequency=80.0), ValueError,
     ["got 80.0"]),
    ("frequency zero", lambda c: sample_windows(3, 5, 2, frequency=0.0), ValueError,
     ["frequency must lie in (0, 50) Hz", "got 0.0"]),
    ("frequency negative in array", lambda c: sample_windows(3, 5, 2, frequency=[1, -2, 3]),
     ValueError, ["frequency", "[1, -2, 3]"]),
    ("window frequency NaN", lambda c: sample_windows(3, 5, 2, frequency=NAN), ValueError,
     ["frequency must be finite, got nan"]),
    ("frequency inf", lambda c: sample_windows(3, 5, 2, frequency=INF), ValueError,
     ["frequency must be finite, got inf"]),
    ("frequency string", lambda c: sample_windows(3, 5, 2, frequency="fast"), ValueError,
     ["frequency", "'fast'"]),
    ("window frequency bool", lambda c: sample_windows(3, 5, 2, frequency=True), ValueError,
     ["frequency must be a number or an array of numbers, got bool True"]),
    ("frequency wrong shape", lambda c: sample_windows(3, 5, 2, frequency=[1.0, 2.0]),
     ValueError, ["shape (3,)", "got shape (2,)"]),
    ("frequency 2-D", lambda c: sample_windows(3, 5, 2, frequency=np.ones((3, 1))),
     ValueError, ["got shape (3, 1)"]),
    ("shift NaN", lambda c: sample_windows(3, 5, 2, shift=NAN), ValueError,
     ["shift must be finite, got nan"]),
    ("shift inf", lambda c: sample_windows(3, 5, 2, shift=-INF), ValueError,
     ["shift", "-inf"]),
    ("shift beyond 10^6 s", lambda c: sample_windows(3, 5, 2, shift=1e300), ValueError,
     ["shift must lie in [-1e+06, 1e+06) s", "1e+300"]),
    ("seed string", lambda c: sample_windows(3, 5, 2, seed="seed"), ValueError,
     ["seed must be a non-negative integer", "'seed'"]),
    ("seed negative", lambda c: sample_windows(3, 5, 2, seed=-3), ValueError, ["seed", "-3"]),
    ("seed float", lambda c: sample_windows(3, 5, 2, seed=1.5), ValueError, ["seed", "1.5"]),
    ("training seed negative", lambda c: training_batch(-1, 0, 50, 25, 50), ValueError,
     ["seed must be a non-negative integer, got -1"]),
    ("training step float", lambda c: training_batch(0, 1.5, 50, 25, 50), ValueError,
     ["step", "got 1.5"]),
    ("held-out size zero", lambda c: heldout_windows(25, 50, size=0), ValueError,
     ["size must be a positive integer, got 0"]),
    ("held-out frequency above Nyquist", lambda c: heldout_windows(25, 50, frequency=60),
     ValueError, ["got 60"]),
    # Losses
    ("loss shapes differ", lambda c: summed_loss(np.zeros((2, 3)), np.zeros((2, 4))),
     ValueError, ["(2, 3) and (2, 4)"]),
    ("loss 1-D", lambda c: per_point_mse(np.zeros(3), np.zeros(3)), ValueError,
     ["(batch, n_out)", "(3,) and (3,)"]),
    ("loss strings", lambda c: summed_loss([["a"]], [[1.0]]), ValueError,
     ["y_true must be a numeric array, got list", "'a'"]),
    ("loss NaN target", lambda c: summed_loss([[NAN]], [[1.0]]), ValueError,
     ["y_true must be finite"]),
    # Models
    ("model unknown experiment", lambda c: build_model("exp9"), ValueError, ["'exp9'"]),
    ("model seed negative", lambda c: build_model(EXP, seed=-1), ValueError,
     ["seed", "got -1"]),
    ("model seed float", lambda c: build_model(EXP, seed=1.5), ValueError,
     ["seed", "got 1.5"]),
    ("model seed bool", lambda c: build_model(EXP, seed=True), ValueError,
     ["seed", "got True"]),
    ("model seed too big", lambda c: build_model(EXP, seed=2**63), ValueError,
     ["seed must be at most 4294967295", str(2**63)]),
    ("model unroll string", lambda c: build_model(EXP, unroll="no"), ValueError,
     ["unroll must be True or False", "'no'"]),
    ("predict wrong length", lambda c: predict(c.model, np.zeros((2, 24, 1))), ValueError,
     ["(batch, 25, 1)", "got (2, 24, 1)"]),
    ("predict two channels", lambda c: predict(c.model, np.zeros((2, 25, 2))), ValueError,
     ["got (2, 25, 2)"]),
    ("predict empty batch", lambda c: predict(c.model, np.zeros((0, 25, 1))), ValueError,
     ["got (0, 25, 1)"]),
    ("predict NaN", lambda c: predict(c.model, np.full(25, NAN)), ValueError,
     ["x must be finite"]),
    ("predict text", lambda c: predict(c.model, "sine"), ValueError, ["str 'sine'"]),
    ("predict batch_size zero", lambda c: predict(c.model, np.zeros(25), batch_size=0),
     ValueError, ["batch_size must be a positive integer, got 0"]),
    ("predict without a model", lambda c: predict("exp3", np.zeros(25)), ValueError,
     ["Keras model", "str 'exp3'"]),
    ("count parameters of None", lambda c: count_parameters(None), ValueError,
     ["NoneType None"]),
    # Evaluation and figures
    ("evaluate at Nyquist", lambda c: evaluate(c.model, EXP, frequencies=(1, 50)), ValueError,
     ["test frequency must be in (0, 50) Hz", "got 50.0"]),
    ("evaluate frequency text", lambda c: evaluate(c.model, EXP, frequencies="2 Hz"),
     ValueError, ["'2 Hz'"]),
    ("evaluate no frequencies", lambda c: evaluate(c.model, EXP, frequencies=[]), ValueError,
     ["at least one"]),
    ("evaluate size zero", lambda c: evaluate(c.model, EXP, size=0), ValueError,
     ["size", "got 0"]),
    ("evaluate another experiment", lambda c: evaluate(c.model, "exp3", size=8), ValueError,
     ["model maps 25 -> 100", "exp3 is 25 -> 50"]),
    ("plot above Nyquist", lambda c: plot_predictions(c.model, EXP, frequencies=(1, 60)),
     ValueError, ["got 60.0"]),
    ("plot another experiment", lambda c: plot_predictions(c.model, "exp1"), ValueError,
     ["exp1 is 100 -> 50"]),
    ("plot seed negative", lambda c: plot_predictions(c.model, EXP, seed=-2), ValueError,
     ["seed", "got -2"]),
    ("plot windows 2-D input", lambda c: plot_windows(np.zeros((2, 5)), np.zeros((2, 3))),
     ValueError, ["(2, 5) and (2, 3)"]),
    ("plot windows frequency count",
     lambda c: plot_windows(np.zeros((2, 5, 1)), np.zeros((2, 3)), frequencies=[1.0]),
     ValueError, ["one frequency per window (2)", "got 1"]),
    # Training
    ("steps zero", lambda c: train(EXP, steps=0, progress=False), ValueError,
     ["steps must be a positive integer, got 0"]),
    ("steps bool", lambda c: train(EXP, steps=True, progress=False), ValueError,
     ["steps", "got True"]),
    ("steps text", lambda c: train(EXP, steps="100", progress=False), ValueError,
     ["steps", "got '100'"]),
    ("steps float", lambda c: train(EXP, steps=1e3, progress=False), ValueError,
     ["steps", "got 1000.0"]),
    ("eval_every not a display step", lambda c: train(EXP, eval_every=150, progress=False),
     ValueError, ["multiple of 100", "got 150"]),
    ("checkpoint_every negative", lambda c: train(EXP, checkpoint_every=-100, progress=False),
     ValueError, ["checkpoint_every", "got -100"]),
    ("heldout_size zero", lambda c: train(EXP, heldout_size=0, progress=False), ValueError,
     ["heldout_size", "got 0"]),
    ("callback not callable", lambda c: train(EXP, callback=3, progress=False), ValueError,
     ["callback", "got 3"]),
    ("resume without folder", lambda c: train(EXP, resume=True, progress=False), ValueError,
     ["resume=True needs the out_dir"]),
    ("resume string", lambda c: train(EXP, resume="no", out_dir=c.tmp, progress=False),
     ValueError, ["resume must be True or False", "'no'"]),
    ("out_dir is a file", lambda c: train(EXP, out_dir=c.a_file(), progress=False),
     ValueError, ["not-a-folder.txt", "not a folder"]),
    ("out_dir number", lambda c: train(EXP, out_dir=3, progress=False), ValueError,
     ["out_dir", "got 3"]),
    ("train seed negative", lambda c: train(EXP, seed=-1, progress=False), ValueError,
     ["seed", "got -1"]),
    ("train unknown experiment", lambda c: train("exp1; rm", progress=False), ValueError,
     ["'exp1; rm'"]),
    ("learning_rate of a name", lambda c: learning_rate("exp3", 0), ValueError,
     ["Experiment", "'exp3'"]),
    ("learning_rate negative examples", lambda c: learning_rate(get_experiment("exp3"), -1),
     ValueError, ["examples", "got -1"]),
    ("stop rule loss text", lambda c: stop_reason(get_experiment("exp5"), 0, "0.1"),
     ValueError, ["train_loss", "'0.1'"]),
    ("history csv garbage", lambda c: history_from_csv("step,examples\nabc,1\n"), ValueError,
     ["step", "'abc'"]),
    ("table of unknown experiments", lambda c: experiment_rows(["exp3", "exp99"]), ValueError,
     ["'exp99'"]),
    ("table of metrics without losses", lambda c: metrics_rows({"loss": 1.0}), ValueError,
     ["metrics", "{'loss': 1.0}"]),
    ("table with ragged rows", lambda c: to_markdown([["a", "b"], ["1"]]), ValueError,
     ["[['a', 'b'], ['1']]"]),
    ("empty table", lambda c: to_text([]), ValueError, ["non-empty", "got []"]),
    ("ledger of a list", lambda c: ledger_rows(["exp3"]), ValueError,
     ["manifests", "['exp3']"]),
    # Weights and manifests
    ("weights path of odd name", lambda c: weights_path("exp3/../../x", c.tmp), ValueError,
     ["'exp3/../../x'"]),
    ("weights missing", lambda c: load_pretrained("exp3", c.tmp), FileNotFoundError,
     ["exp3.json", "reproduce exp3"]),
    ("weights folder number", lambda c: load_pretrained(EXP, 3), ValueError,
     ["directory", "got 3"]),
    ("weights name traversal", lambda c: load_pretrained("../../etc/passwd", c.folder()),
     ValueError, ["'../../etc/passwd'"]),
    ("weights truncated", _truncate, ValueError,
     ["exp5-small.weights.npz", "does not match its manifest", "truncated"]),
    ("weights one bit flipped", _flip_a_byte, ValueError,
     ["exp5-small.weights.npz", "SHA-256"]),
    ("weights of another network", _other_experiment_weights, ValueError,
     ["exp5-small.weights.npz", "does not match this architecture",
      "'exp5_small/lstm_0/lstm_cell/kernel' has shape (1, 48), the model expects (1, 40)"]),
    ("weights with a pickle", _pickled_weights, ValueError,
     ["exp5-small.weights.npz", "not a readable weights archive", "unpickling",
      "never does"]),
    ("weights with NaN", _nan_weights, ValueError,
     ["exp5-small.weights.npz", "'exp5_small/readout/bias'", "NaN"]),
    ("archive not a zip", _not_a_zip, ValueError,
     ["exp5-small.weights.npz", "not a readable weights archive"]),
    ("archive is a bare .npy", _bare_npy, ValueError, ["single.npy", "not a .npz"]),
    ("archive member is a pickle", _zip_with_a_pickle_member, ValueError,
     ["evil.npz", "member 'x' is not a NumPy array"]),
    ("archive missing", lambda c: load_arrays(c.tmp / "nowhere.npz"), FileNotFoundError,
     ["nowhere.npz"]),
    ("manifest format 2",
     lambda c: load_pretrained(EXP, c.edit_manifest({"format": 2})), ValueError,
     ["exp5-small.json", "format 2", "reads format 1"]),
    ("manifest format true",
     lambda c: load_pretrained(EXP, c.edit_manifest({"format": True})), ValueError,
     ["exp5-small.json", "format True"]),
    ("manifest format string",
     lambda c: load_pretrained(EXP, c.edit_manifest({"format": "1"})), ValueError,
     ["exp5-small.json", "format '1'"]),
    ("manifest without hash",
     lambda c: load_pretrained(EXP, c.edit_manifest(drop=["weights_sha256"])), ValueError,
     ["exp5-small.json", "weights_sha256"]),
    ("manifest without config",
     lambda c: load_manifest(EXP, c.edit_manifest(drop=["config"])), ValueError,
     ["exp5-small.json", "config"]),
    ("manifest of another experiment",
     lambda c: load_manifest(EXP, c.edit_manifest({"experiment": "exp5"})), ValueError,
     ["exp5-small.json", "'exp5'"]),
    ("manifest hash not hex",
     lambda c: load_pretrained(EXP, c.edit_manifest({"weights_sha256": "x" * 64})),
     ValueError, ["exp5-small.json", "'xxxx"]),
    ("manifest weights file elsewhere",
     lambda c: load_pretrained(EXP, c.edit_manifest({"weights_file": "../../x.npz"})),
     ValueError, ["exp5-small.json", "'../../x.npz'"]),
    ("manifest is a list", lambda c: (c.folder() / f"{EXP}.json").write_text("[1]")
     and load_manifest(EXP, c.folder()), ValueError, ["exp5-small.json", "list"]),
    ("save for another experiment",
     lambda c: save_pretrained(c.model, "exp3", c.tmp, metrics={}, run={}), ValueError,
     ["exp3 is 25 -> 50"]),
    ("save metrics not JSON",
     lambda c: save_pretrained(c.model, EXP, c.tmp, metrics={"loss": np.float32(1)}, run={}),
     ValueError, ["metrics", "float32"]),
    ("save run not a dict",
     lambda c: save_pretrained(c.model, EXP, c.tmp, metrics={}, run="seed 0"), ValueError,
     ["run must be a dict", "'seed 0'"]),
    # The explorer widget (sinelib.tools.explorer)
    ("explore unknown experiment", lambda c: explore("exp42"), ValueError,
     ["'exp42'", "known experiments"]),
    ("explore frequency beyond the slider", lambda c: explore("exp3", frequency=80.0),
     ValueError, ["frequency must be in [0.1, 60] Hz", "slider range", "got 80.0"]),
    ("explore negative noise", lambda c: explore("exp3", noise=-0.1), ValueError,
     ["noise must be in [0, 1]", "got -0.1"]),
    ("explore NaN amplitude", lambda c: explore("exp3", amplitude=NAN), ValueError,
     ["amplitude must be a finite number, got nan"]),
    ("explore offset text", lambda c: explore("exp3", offset="1"), ValueError,
     ["offset", "'1'"]),
    ("explore baseline string", lambda c: explore("exp3", baseline="yes"), ValueError,
     ["baseline must be True or False", "'yes'"]),
    ("explore a model of another experiment", lambda c: explore("exp3", model=c.model),
     ValueError, ["model maps 25 -> 100", "exp3 is 25 -> 50"]),
    ("explore models not a mapping", lambda c: Explorer("exp3", models=[c.model]), ValueError,
     ["models must map experiments to models"]),
    ("explore a tiny unregistered experiment",
     lambda c: Explorer(get_experiment("exp3").replace(slug="tiny")), ValueError,
     ["registered experiment", "'tiny'"]),
    ("explore an edited registered experiment",
     lambda c: Explorer(get_experiment("exp3").replace(n_hidden=8)), ValueError,
     ["registered experiment", "'exp3'", "not the registry's"]),
    ("explore unknown baseline", lambda c: explore("exp3", baseline_name="oracle"),
     ValueError, ["baseline_name must be one of zero, persistence", "'oracle'"]),
    # The explorer's probes (sinelib.tools.probe)
    ("probe frequency zero", lambda c: Probe(frequency=0.0), ValueError,
     ["frequency must be in (0, 1000] Hz, got 0.0"]),
    ("probe frequency huge", lambda c: Probe(frequency=1e6), ValueError,
     ["frequency must be in (0, 1000] Hz", "1000000.0"]),
    ("probe negative noise", lambda c: Probe(noise=-1.0), ValueError,
     ["noise must be in [0, 1000], got -1.0"]),
    ("probe negative amplitude", lambda c: Probe(amplitude=-0.5), ValueError,
     ["amplitude", "got -0.5"]),
    ("probe shift inf", lambda c: Probe(shift=INF), ValueError,
     ["shift must be a finite number, got inf"]),
    ("probe noise seed float", lambda c: Probe(noise_seed=1.5), ValueError,
     ["noise_seed", "got 1.5"]),
    ("probe window at Nyquist", lambda c: probe_window("exp3", Probe(frequency=50.0)),
     ValueError, ["(0, 50) Hz", "Nyquist", "got 50.0"]),
    ("probe of a dict", lambda c: measure_probe(c.model, EXP, {"frequency": 1.0}), ValueError,
     ["sinelib.tools.probe.Probe", "dict"]),
    ("probe baseline not callable", lambda c: measure_probe(c.model, EXP, Probe(), baseline=3),
     ValueError, ["baseline must be a function", "got 3"]),
    ("error strip of another experiment", lambda c: error_strip(c.model, "exp1"), ValueError,
     ["exp1 is 100 -> 50"]),
    # The explorer's latency benchmark (benchmarks.explorer)
    ("explorer benchmark of an unknown experiment",
     lambda c: benchmark_latency(["exp3", "exp42"], moves=1), ValueError, ["'exp42'"]),
]


@pytest.mark.parametrize("call,error,fragments",
                         [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_refused_by_name(call, error, fragments, model, shipped, tmp_path):
    with pytest.raises(error) as caught:
        call(Context(model, shipped, tmp_path))
    assert type(caught.value) is error
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_refused_saves_write_nothing(model, tmp_path):
    with pytest.raises(ValueError):
        save_pretrained(model, "exp3", tmp_path, metrics={}, run={})
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_spaces_around_still_finds_the_experiment():
    """Surrounding spaces are forgiven (a slider's or a shell's leftovers); nothing else is."""
    assert get_experiment(" exp1 ") is get_experiment("exp1") is get_experiment("EXP1")
    assert get_experiment("EXP3-1") is get_experiment("3.1")


def test_weights_are_read_without_unpickling(shipped, tmp_path, monkeypatch):
    """Loading never calls pickle, whatever the file holds."""
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was called")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    folder = tmp_path / "w"
    shutil.copytree(shipped, folder)
    assert count_parameters(load_pretrained(EXP, folder)) == 4100
    np.savez(folder / f"{EXP}.weights.npz", a=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="not a readable weights archive"):
        load_arrays(folder / f"{EXP}.weights.npz")


# The command line turns the same errors into one line on stderr and exit status 2.
CLI_BAD_INPUTS = [
    (["train", "../etc"], "unknown experiment '../etc'"),
    (["train", "exp3", "--steps", "0"], "steps must be a positive integer, got 0"),
    (["train", "exp3", "--seed", "-1"], "seed must be a non-negative integer, got -1"),
    (["train", "exp3", "--checkpoint-every", "0"], "checkpoint_every"),
    (["evaluate", "exp1; rm"], "unknown experiment 'exp1; rm'"),
    (["evaluate", "exp3", "--weights", "/nonexistent"], "no pretrained weights for exp3"),
]


@pytest.mark.parametrize("argv,message", CLI_BAD_INPUTS, ids=[" ".join(a) for a, _ in
                                                              CLI_BAD_INPUTS])
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_cli_out_folder_that_is_a_file(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert main(["train", EXP, "--steps", "1", "--out", str(path), "--no-progress"]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


#: Good values for the arguments of the public functions, by parameter name; the model and
#: windows are filled in by the test.
_GOOD = {"exp": EXP, "name": EXP, "n_in": 25, "n_out": 50, "batch": 4, "rows": [["a"], ["b"]],
         "metrics": {"loss": 1.0}, "run": {"seed": 0, "steps": 0}}


@pytest.mark.parametrize("name", [name for name in sinelib.__all__
                                  if callable(getattr(sinelib, name)) and name[0].islower()])
def test_every_public_function_refuses_junk_in_each_argument(name, model, tmp_path):
    """Each required argument of each function ``import sinelib`` offers, in turn replaced by
    an object of no use: a ValueError (never a TypeError or an AttributeError from inside)."""
    import inspect

    x, y = sinelib.sample_windows(4, 25, 50, seed=0)
    good = {**_GOOD, "model": model, "x": x, "y": y, "y_true": y, "y_pred": y,
            "directory": tmp_path}
    function = getattr(sinelib, name)
    required = [p.name for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD]
    assert required, name
    for junk in required:
        with pytest.raises(ValueError):
            function(**{p: object() if p == junk else good[p] for p in required})


# Servers: make lab and make app listen on 127.0.0.1 with a random login token unless told
# otherwise.
def _make_dry_run(*arguments, server="jupyter lab"):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["make", "-n", "-C", str(root), *arguments], capture_output=True,
                          text=True, check=True)
    return [line for line in done.stdout.splitlines() if server in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_binds_localhost_with_a_token():
    (command,) = _make_dry_run("lab")
    assert "--ip 127.0.0.1" in command
    for disabling in ("token=", "--IdentityProvider.token", "--ServerApp.token",
                      "--NotebookApp.token", "password", "disable_check_xsrf"):
        assert disabling not in command
    (opened,) = _make_dry_run("lab", "LAB_IP=0.0.0.0")
    assert "--ip 0.0.0.0" in opened


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_app_binds_localhost_with_a_token():
    """Voila serves without a token unless told: make app must ask for one (--token, which
    makes Voila generate a random one)."""
    (command,) = _make_dry_run("app", server="bin/voila")
    assert "--Voila.ip=127.0.0.1" in command and "notebooks/12_explorer.ipynb" in command
    assert command.split()[-1] == "--token" or " --token " in command
    for disabling in ("--token=", "--Voila.token=", "--IdentityProvider.token", "password",
                      "disable_check_xsrf", "auto_token=False"):
        assert disabling not in command
    (opened,) = _make_dry_run("app", "APP_IP=0.0.0.0", server="bin/voila")
    assert "--Voila.ip=0.0.0.0" in opened


def test_no_project_jupyter_config_switches_the_token_off():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in list(root.glob("jupyter*config*")) + list(root.glob("notebooks/jupyter*")):
        text = path.read_text()
        assert "token" not in text and "password" not in text, path


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_corrupt_archives_give_value_error_or_arrays(tmp_path_factory, data):
    """Truncated or bit-flipped archives: the answer is named arrays or a ValueError that
    names the file, never another exception."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "checkpoint.npz"
    save_arrays(path, {"model/kernel": np.arange(40, dtype=np.float32).reshape(4, 10),
                       "optimizer/iteration": np.array(7, dtype=np.int64),
                       "state": np.array(json.dumps({"step": 7}))})
    raw = bytearray(path.read_bytes())
    cut = data.draw(st.integers(0, len(raw)), label="length kept")
    raw = raw[:cut]
    for position in data.draw(st.lists(st.integers(0, max(cut - 1, 0)), max_size=4),
                              label="bytes flipped"):
        if raw:
            raw[position] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(raw))
    try:
        arrays = load_arrays(path)
    except ValueError as error:
        assert str(path) in str(error)
    else:
        assert all(isinstance(value, np.ndarray) for value in arrays.values())
