"""Shipped weights: a ``.npz`` of named arrays plus a JSON manifest that describes them.

The manifest holds the experiment's config, the run (seed, steps, examples, stop reason),
the held-out metrics, library versions and the SHA-256 of the weights file. Loading rebuilds
the model from the registry, refuses a manifest whose config no longer matches it, checks the
hash, and reads arrays only (never pickles, never code).
"""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from sinelib.plumbing.arguments import shown
from sinelib.evaluation import require_model_fits
from sinelib.experiments import Experiment, get_experiment
from sinelib.models import build_model
from sinelib.plumbing.storage import (
    assign_arrays, atomic_write_json, atomic_write_text, load_arrays, save_arrays, sha256_file,
    variable_specs, variables_to_arrays,
)

#: Where the package's shipped weights live: ``sinelib/pretrained/`` in the installed package.
#:
#: :meta hide-value:
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
#: Bumped whenever the manifest or weights layout changes; other formats are refused.
MANIFEST_FORMAT = 1
#: Fields every manifest must have.
MANIFEST_FIELDS = ("format", "experiment", "config", "weights_file", "weights_sha256")

_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _cpuinfo(field: str) -> str | None:
    """The value of the first ``field`` line of ``/proc/cpuinfo``, or ``None`` where the system
    has no such file or line."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def processor() -> str:
    """The processor's model name (from ``/proc/cpuinfo`` where there is one)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


#: The processor features that decide which kernels TensorFlow and oneDNN run, and so how a
#: float32 sum is rounded: two machines that differ in them train the same run to other digits.
CPU_FEATURES = ("sse4_2", "fma", "avx", "avx2", "avx512f", "avx512_vnni", "avx512_bf16",
                "avx512_fp16", "amx_tile", "amx_bf16")


def cpu_features() -> list[str] | None:
    """Which of ``CPU_FEATURES`` this processor has (from ``/proc/cpuinfo``; ``None`` where
    the system does not say)."""
    flags = _cpuinfo("flags")
    return None if flags is None else [name for name in CPU_FEATURES if name in flags.split()]


def environment() -> dict:
    """Where a number was measured: Python, platform, processor (model and the features that
    decide its float rounding), cores and package versions.

    Manifests, control runs and benchmark reports all record this one dict; a package that is
    not installed has the version ``None``.
    """
    found = {"python": platform.python_version(), "platform": platform.platform(),
             "processor": processor(), "cpu_features": cpu_features(),
             "cpu_count": os.cpu_count()}
    for package in ("sinelib", "tensorflow", "keras", "tf-keras", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


#: What must be equal for two machines to compute a run to the same digits: the processor, its
#: rounding-relevant features, the core count (TensorFlow splits its sums by it) and the
#: versions of the libraries that do the arithmetic (NumPy draws and computes the sines).
MACHINE_KEYS = ("processor", "cpu_features", "cpu_count", "tensorflow", "keras", "numpy")


def computes_alike(recorded: dict) -> bool | None:
    """Whether this machine is, for a run's numbers, the one ``recorded`` (a manifest's
    ``versions``) describes: ``True`` or ``False``, or ``None`` where the record predates the
    processor's model or features and cannot say."""
    if not isinstance(recorded, dict) or any(recorded.get(key) is None
                                             for key in ("processor", "cpu_features")):
        return None
    here = environment()
    return all(recorded.get(key) == here[key] for key in MACHINE_KEYS)


def _directory(directory, default: Path = PRETRAINED_DIR) -> Path:
    """``directory`` as a Path (``None``: the shipped weights), or ``ValueError``."""
    if directory is None:
        return default
    if not isinstance(directory, (str, os.PathLike)) or not str(directory).strip():
        raise ValueError(f"directory must be a folder path, got {shown(directory)}")
    return Path(directory)


def _json_text(name: str, value) -> str:
    """``value`` as strict JSON, or ``ValueError`` naming what cannot be stored."""
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be plain JSON data (dict, list, str, int, float, "
                         f"None): {error}") from None


def weights_path(exp: Experiment, directory: Path) -> Path:
    """The weights file of ``exp`` in ``directory``."""
    exp = get_experiment(exp)
    return _directory(directory) / f"{exp.slug}.weights.npz"


def manifest_path(exp: Experiment, directory: Path) -> Path:
    """The manifest of ``exp`` in ``directory``."""
    exp = get_experiment(exp)
    return _directory(directory) / f"{exp.slug}.json"


def history_path(exp: Experiment, directory: Path) -> Path:
    """The training history of ``exp`` in ``directory``."""
    exp = get_experiment(exp)
    return _directory(directory) / f"{exp.slug}.history.csv"


def save_pretrained(model, exp: Experiment | str, directory: str | Path = PRETRAINED_DIR, *,
                    metrics: dict, run: dict, history_csv: str | None = None) -> Path:
    """Write a model's weights and manifest (and optionally its history) to ``directory``.

    Args:
        model: A model built for ``exp``.
        exp: Its experiment.
        directory: Destination folder (created if needed); defaults to the shipped weights.
        metrics: ``evaluate`` output for the model.
        run: Facts of the run (``Run.summary()``: seed, steps, stop reason, ...).
        history_csv: The training history as CSV text, written beside the weights.

    Returns:
        The manifest's path.

    Raises:
        ValueError: a model of another shape than ``exp``'s, weights that are not finite,
            or ``metrics`` / ``run`` that are not plain JSON data. Nothing is written then.
    """


    exp = get_experiment(exp)
    directory = _directory(directory)
    require_model_fits(model, exp)
    for name, value in (("metrics", metrics), ("run", run)):
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a dict, got {shown(value)}")
        _json_text(name, value)
    if history_csv is not None and not isinstance(history_csv, str):
        raise ValueError(f"history_csv must be CSV text or None, got {shown(history_csv)}")
    arrays = variables_to_arrays(model.weights)
    bad = sorted(key for key, value in arrays.items() if not np.all(np.isfinite(value)))
    if bad:
        raise ValueError(f"refusing to save weights with NaN or infinite values (in "
                         f"{', '.join(bad[:3])}); the training run diverged")
    weights = weights_path(exp, directory)
    save_arrays(weights, arrays)
    if history_csv is not None:
        atomic_write_text(history_path(exp, directory), history_csv)
    manifest = {
        "format": MANIFEST_FORMAT,
        "experiment": exp.slug,
        "config": exp.config(),
        "run": run,
        "metrics": metrics,
        "versions": environment(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "weights_file": weights.name,
        "weights_sha256": sha256_file(weights),
        "history_file": history_path(exp, directory).name if history_csv is not None else None,
    }
    return atomic_write_json(manifest_path(exp, directory), manifest)


def load_manifest(name: str | Experiment, directory: str | Path | None = None) -> dict:
    """Read and check the manifest of experiment ``name``.

    Raises:
        ValueError: unknown experiment, unreadable manifest, another manifest format, missing
            fields, or a config that no longer matches the registry.
        FileNotFoundError: no manifest for ``name`` in ``directory``.
    """
    exp = get_experiment(name)
    directory = _directory(directory)
    path = manifest_path(exp, directory)
    if not path.is_file():
        raise FileNotFoundError(
            f"no pretrained weights for {exp.slug} in {directory} (expected {path.name}); "
            f"train them with: python -m sinelib reproduce {exp.slug}"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"manifest {path} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"manifest {path} must hold a JSON object, got "
                         f"{type(manifest).__name__}")
    found = manifest.get("format")
    # JSON true equals 1 in Python: insist on an integer.
    if type(found) is not int or found != MANIFEST_FORMAT:
        raise ValueError(
            f"manifest {path} has format {shown(found)}; this sinelib reads format "
            f"{MANIFEST_FORMAT}: retrain with python -m sinelib reproduce {exp.slug}"
        )
    missing = [field for field in MANIFEST_FIELDS if field not in manifest]
    if missing:
        raise ValueError(f"manifest {path} lacks the field(s) {', '.join(missing)}; retrain "
                         f"with python -m sinelib reproduce {exp.slug}")
    if manifest["experiment"] != exp.slug:
        raise ValueError(f"manifest {path} describes experiment "
                         f"{shown(manifest['experiment'])}, not {exp.slug}")
    sha = manifest["weights_sha256"]
    if not isinstance(sha, str) or len(sha) != 64 \
            or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"manifest {path} has no valid weights_sha256 (64 hex digits), got "
                         f"{shown(sha)}")
    if manifest.get("config") != exp.config():
        stored = manifest.get("config") or {}
        changed = sorted(k for k in set(stored) | set(exp.config())
                         if stored.get(k) != exp.config().get(k))
        raise ValueError(
            f"manifest {path} was written for another configuration of {exp.slug} "
            f"(differs in {', '.join(changed)}); retrain with python -m sinelib reproduce "
            f"{exp.slug}"
        )
    weights_file = manifest.get("weights_file")
    if not isinstance(weights_file, str) or not weights_file == weights_path(exp, directory).name:
        raise ValueError(f"manifest {path} names an unexpected weights file {weights_file!r}")
    return manifest


def recorded_variant(name: str | Experiment, directory: str | Path | None = None) -> dict | None:
    """The step variant (``{"unroll": ..., "jit_compile": ...}``) that the manifest of ``name``
    in ``directory`` says its run was trained with, or ``None`` where there is no manifest or it
    predates the record (``plumbing.steps.step_plan`` chose the variant of those runs).

    Read without the checks of ``load_manifest``: a run being retrained after its configuration
    changed still repeats its variant.
    """
    path = manifest_path(get_experiment(name), _directory(directory))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    variant = (manifest.get("run") or {}).get("step_variant") if isinstance(manifest, dict) \
        else None
    if not isinstance(variant, dict) or set(variant) != {"unroll", "jit_compile"} \
            or not all(isinstance(value, bool) for value in variant.values()):
        return None
    return dict(variant)


def load_pretrained(name: str | Experiment, directory: str | Path | None = None):
    """Rebuild an experiment's model and load its shipped (or given) weights.

    Args:
        name: Experiment slug or id.
        directory: Folder holding ``<slug>.json`` and ``<slug>.weights.npz``; defaults to the
            weights shipped in the package.

    Returns:
        The Keras model, ready to ``predict``.

    Raises:
        FileNotFoundError: missing manifest or weights file.
        ValueError: the manifest does not match the registry, the weights file's hash differs
            from the manifest's (truncated or tampered), or its arrays do not fit the model
            (checked on each member's header and size before its data is read).
    """
    exp = get_experiment(name)
    directory = _directory(directory)
    manifest = load_manifest(exp, directory)
    weights = weights_path(exp, directory)
    if not weights.is_file():
        raise FileNotFoundError(f"manifest {manifest_path(exp, directory)} has no weights file "
                                f"{weights}")
    digest = sha256_file(weights)
    if digest != manifest.get("weights_sha256"):
        raise ValueError(
            f"weights file {weights} does not match its manifest (SHA-256 {digest[:12]}..., "
            f"expected {str(manifest.get('weights_sha256'))[:12]}...): it is truncated, "
            f"modified or from another run"
        )
    model = build_model(exp)
    # Only the arrays this network has, of its shapes, are read (storage.load_arrays).
    arrays = load_arrays(weights, expected=variable_specs(model.weights))
    assign_arrays(model.weights, arrays, str(weights))
    return model
