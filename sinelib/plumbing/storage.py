"""Files: atomic writes, array archives that never unpickle and read only what they declare,
hashes, model variables by name."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy


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


@dataclass(frozen=True)
class ArraySpec:
    """What one member of an archive must hold, known before any of its data is read.

    Attributes:
        shape: The array's shape.
        dtype: Its NumPy dtype; a dtype without a size (``"U"``: text of any length) matches
            every dtype of that kind, and then ``max_bytes`` bounds the data.
        max_bytes: Most bytes of array data (after the ``.npy`` header) for a sizeless dtype.
    """

    shape: tuple[int, ...]
    dtype: str
    max_bytes: int | None = None

    def __post_init__(self):
        if np.dtype(self.dtype).itemsize == 0 and self.max_bytes is None:
            raise ValueError(f"an ArraySpec of dtype {self.dtype!r} (no size) needs max_bytes")

    def limit(self) -> int:
        """Most bytes of array data a member matching this spec can hold."""
        dtype = np.dtype(self.dtype)
        if dtype.itemsize == 0:
            return self.max_bytes
        return int(np.prod(self.shape, dtype=np.int64)) * dtype.itemsize

    def matches(self, dtype: np.dtype) -> bool:
        """Whether ``dtype`` is this spec's (or, for a sizeless dtype, of its kind)."""
        wanted = np.dtype(self.dtype)
        return dtype.kind == wanted.kind if wanted.itemsize == 0 else dtype == wanted


def variable_specs(variables, prefix: str = "") -> dict[str, ArraySpec]:
    """The ``ArraySpec`` of each Keras variable under its path, as ``variables_to_arrays``
    names them."""
    return {prefix + v.path: ArraySpec(tuple(v.shape), np.dtype(v.dtype).str) for v in variables}


def _names(keys: list[str]) -> str:
    """A count and the first few names, for an error message."""
    listed = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
    return f"{len(keys)} ({listed})" if keys else "none"


#: The most bytes of ``.npy`` header read before a member is refused (NumPy's own default).
MAX_HEADER_BYTES = 10_000


class _Refusal(ValueError):
    """A member refused by ``load_arrays``'s own checks (its message names the file)."""


def _read_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, name: str):
    """``(shape, dtype, data offset)`` from a member's ``.npy`` header; reads no array data."""
    with archive.open(info) as stream:
        try:
            version = npy.read_magic(stream)
        except ValueError:
            raise _Refusal(f"{path} is not a readable weights archive: member {name!r} is not "
                             f"a NumPy array") from None
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(stream, MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(stream, MAX_HEADER_BYTES)
        else:
            raise _Refusal(f"{path} is not a readable weights archive: member {name!r} has "
                             f".npy format {version}, sinelib reads 1.0 and 2.0")
        offset = stream.tell()
    if dtype.hasobject:
        raise _Refusal(f"{path} is not a readable weights archive (member {name!r}: reading "
                         f"it would need unpickling, which sinelib never does)")
    if fortran and len(shape) > 1:
        raise _Refusal(f"{path} is not a readable weights archive: member {name!r} is stored "
                         f"in Fortran order, which save_arrays never writes")
    return tuple(shape), dtype, offset


def _check_member(path: Path, name: str, info: zipfile.ZipInfo, header, spec) -> None:
    """Refuse a member whose header or size does not fit ``spec``, before reading its data."""
    shape, dtype, offset = header
    if spec is not None:
        if shape != tuple(spec.shape):
            raise _Refusal(f"{path} does not match this architecture: {name!r} has shape "
                             f"{shape}, the model expects {tuple(spec.shape)}")
        if not spec.matches(dtype):
            raise _Refusal(f"{path} does not match this architecture: {name!r} has dtype "
                             f"{dtype}, the model expects {np.dtype(spec.dtype)}")
        if info.file_size > offset + spec.limit():
            raise _Refusal(f"{path}: member {name!r} is {info.file_size} bytes uncompressed; "
                             f"the architecture needs at most {offset + spec.limit()} "
                             f"({offset} of header, {spec.limit()} of data)")
    declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if info.file_size != offset + declared:
        raise _Refusal(f"{path} is not a readable weights archive: member {name!r} holds "
                         f"{info.file_size - offset} bytes of data, its header declares "
                         f"{declared}")


def load_arrays(path: str | os.PathLike,
                expected: dict[str, ArraySpec] | None = None) -> dict[str, np.ndarray]:
    """Read a ``.npz`` written by ``save_arrays`` without ever unpickling.

    Every member's ``.npy`` header and uncompressed size are checked before any array data is
    read, so a crafted archive cannot make loading decompress more than it declares, or, with
    ``expected``, more than the architecture needs.

    Args:
        path: The archive.
        expected: Name to ``ArraySpec`` of every member the archive must hold (see
            ``variable_specs``); ``None`` accepts any members whose sizes match their headers.

    Returns:
        Name to array.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable archive (truncated or corrupt), or a member is
            missing, unexpected, or of another shape, dtype or size than ``expected`` says.
    """
    return _load(Path(path), expected, partial=False)


def load_array(path: str | os.PathLike, name: str, spec: ArraySpec) -> np.ndarray:
    """Read one member of a ``.npz``, checked against ``spec`` before its data is read.

    The other members' headers are checked too (no member is ever unpickled), but their data
    is not read.

    Args:
        path: The archive.
        name: The member's name.
        spec: What it must hold.

    Returns:
        The array.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: an unreadable archive, no member ``name``, or one that does not fit
            ``spec``.
    """
    return _load(Path(path), {name: spec}, partial=True)[name]


def _load(path: Path, expected: dict[str, ArraySpec] | None, partial: bool) -> dict:
    """``load_arrays`` (``partial``: only ``expected``'s members, ignoring the others)."""
    if not path.is_file():
        raise FileNotFoundError(f"no array file at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                name = info.filename.removesuffix(".npy")
                if name in members:
                    raise _Refusal(f"{path} is not a readable weights archive: member "
                                   f"{name!r} appears twice")
                members[name] = (info, _read_header(archive, info, path, name))
            if expected is not None:
                missing = sorted(set(expected) - set(members))
                extra = [] if partial else sorted(set(members) - set(expected))
                if partial and missing:
                    raise _Refusal(f"{path} has no array {missing[0]!r}")
                if missing or extra:
                    raise _Refusal(f"{path} does not match this architecture: missing arrays "
                                   f"{_names(missing)}; unexpected arrays {_names(extra)}")
            if partial:
                members = {name: members[name] for name in expected}
            for name, (info, header) in members.items():
                _check_member(path, name, info, header, None if expected is None
                              else expected[name])
            arrays = {}
            for name, (info, _) in members.items():
                with archive.open(info) as stream:
                    arrays[name] = npy.read_array(stream, allow_pickle=False,
                                                  max_header_size=MAX_HEADER_BYTES)
    except _Refusal as error:
        raise ValueError(str(error)) from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError,
            RuntimeError, NotImplementedError, SyntaxError, TypeError) as error:
        # Corrupt zip members and .npy headers surface as any of these (a mangled header's
        # literal as SyntaxError or TypeError).
        kind = "not a .npz archive of named arrays: " if isinstance(
            error, zipfile.BadZipFile) else ""
        raise ValueError(f"{path} is not a readable weights archive ({kind}{error})") from None
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
        raise ValueError(
            f"{source} does not match this architecture: missing arrays {_names(missing)}; "
            f"unexpected arrays {_names(extra)}"
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
