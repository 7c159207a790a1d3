"""Files: atomic writes, array archives that never unpickle, hashes, model variables by name."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed
    over ``path`` (a rename within one file system is atomic).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """``atomic_write_bytes`` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, data) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def save_arrays(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write named arrays as a compressed ``.npz``, atomically. Object arrays are refused."""
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise ValueError(f"array {name!r} has dtype object, which would need pickling")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a ``.npz`` written by ``save_arrays`` without ever unpickling.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable archive (truncated or corrupt).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no array file at {path}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not a .npz archive of named arrays")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
            RuntimeError, NotImplementedError) as error:
        # allow_pickle=False makes NumPy refuse object arrays (pickles) with a ValueError;
        # corrupt zip members surface as any of the others.
        reason = str(error)
        if "pickle" in reason:  # NumPy's own words suggest loading it unsafely: never
            reason = "reading it would need unpickling, which sinelib never does"
        raise ValueError(f"{path} is not a readable weights archive ({reason})") from None
    for name, array in arrays.items():
        # NumPy hands back a member without the .npy header as raw bytes (never unpickled).
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{path} is not a readable weights archive: member {name!r} is "
                             f"not a NumPy array")
    return arrays


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def variables_to_arrays(variables, prefix: str = "") -> dict[str, np.ndarray]:
    """Map each Keras variable's path (``"lstm_0/lstm_cell/kernel"``) to its value."""
    arrays = {}
    for variable in variables:
        key = prefix + variable.path
        if key in arrays:
            raise ValueError(f"two variables share the path {key!r}")
        arrays[key] = np.asarray(variable.numpy())
    return arrays


def assign_arrays(variables, arrays: dict[str, np.ndarray], source: str, prefix: str = "") -> None:
    """Assign named arrays to variables, refusing any missing, extra or mis-shaped array.

    Args:
        variables: Keras variables to fill.
        arrays: Name to value, as written by ``variables_to_arrays``.
        source: What the arrays came from, for error messages.
        prefix: Only keys starting with this are considered.
    """
    wanted = {prefix + v.path: v for v in variables}
    given = {k: v for k, v in arrays.items() if k.startswith(prefix)}
    missing = sorted(set(wanted) - set(given))
    extra = sorted(set(given) - set(wanted))
    if missing or extra:
        def names(keys):
            shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
            return f"{len(keys)} ({shown})" if keys else "none"

        raise ValueError(
            f"{source} does not match this architecture: missing arrays {names(missing)}; "
            f"unexpected arrays {names(extra)}"
        )
    for key, variable in wanted.items():
        value = given[key]
        if value.dtype.kind not in "biuf":
            raise ValueError(f"{source}: array {key!r} has dtype {value.dtype}, not a number")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"{source}: array {key!r} holds NaN or infinite values")
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"{source} does not match this architecture: {key!r} has shape "
                f"{tuple(value.shape)}, the model expects {tuple(variable.shape)}"
            )
    for key, variable in wanted.items():
        variable.assign(given[key])
