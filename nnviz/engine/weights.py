"""Weights on disk: the course's W1, b1, ..., WL, bL as one NumPy .npz archive.

W[l] is (n[l], n[l-1]) and b[l] is (n[l], 1), exactly as docs/design.md §2, so a student can
open the file with ``np.load`` and find the matrices of the lectures. A batch norm network adds,
per hidden layer, gamma{l}, beta{l}, running_mean{l} and running_var{l}, each (n[l], 1)
(docs/design.md §7); loading into one, they may be left out (γ = 1, β = 0, μ = 0, σ² = 1).
Loading never unpickles (``allow_pickle=False``), refuses archives that would inflate beyond any
network nnviz builds, and checks every name and shape against the network the weights are meant for.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnviz.engine.network import Layout

MAX_BYTES = 2_000_000  # uncompressed; the largest network (6 x 64 hidden units) needs ~170 kB

# Everything np.load and zipfile may raise on a damaged or hostile file.
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)

Params = list[tuple[np.ndarray, np.ndarray]]


class WeightsError(ValueError):
    """A weights file is unusable; the message says why, in one line."""


def array_names(n_layers: int) -> list[str]:
    """W1, b1, W2, b2, ..., WL, bL: the names of the arrays in the file (a file format)."""
    return [name for l in range(1, n_layers + 1) for name in (f"W{l}", f"b{l}")]


NORM_NAMES = ("gamma", "beta", "running_mean", "running_var")  # Layout.norms' order


def norm_names(n_hidden: int) -> list[str]:
    """gamma1, beta1, running_mean1, running_var1, gamma2, ...: a batch norm network's extras."""
    return [f"{name}{l}" for l in range(1, n_hidden + 1) for name in NORM_NAMES]


def course_shapes(layout: Layout) -> list[tuple[int, int]]:
    """Shapes of W1, b1, ..., WL, bL: W[l] is (n[l], n[l-1]), b[l] is (n[l], 1)."""
    pairs = zip(layout.dims[:-1], layout.dims[1:])
    return [shape for n_prev, n in pairs for shape in ((n, n_prev), (n, 1))]


def to_npz_bytes(params: Params, norms: Sequence[tuple[np.ndarray, ...]] = ()) -> bytes:
    """[(W1, b1), ..., (WL, bL)] as the bytes of an .npz archive (for downloads); ``norms``: a
    batch norm network's (γ, β, μ_run, σ²_run) per hidden layer (Layout.norm_list)."""
    names = array_names(len(params)) + norm_names(len(norms))
    arrays = [np.asarray(a, dtype=float) for group in (*params, *norms) for a in group]
    buffer = io.BytesIO()
    np.savez(buffer, **dict(zip(names, arrays)))
    return buffer.getvalue()


def save_npz(
    path: str | Path, params: Params, norms: Sequence[tuple[np.ndarray, ...]] = ()
) -> None:
    """Write [(W1, b1), ..., (WL, bL)] (and ``norms``) to ``path`` exactly (np.savez would
    append .npz)."""
    Path(path).write_bytes(to_npz_bytes(params, norms))


def load_npz(source: str | Path | bytes | BinaryIO, layout: Layout, name: str = "") -> np.ndarray:
    """The flat parameter vector stored in an .npz file, checked against ``layout``.

    ``source`` is a path, the file's bytes or an open binary file; ``name`` labels it in messages.
    Raises WeightsError naming the problem: unreadable file, missing or unexpected array, wrong
    shape, non-numeric or non-finite values.
    """
    name = name or _label(source)
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as f:  # ours to close, whatever np.load makes of it
                return _load(f, layout, name)
        except OSError as e:
            raise WeightsError(f"cannot read {name}: {_reason(e)}") from None
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    return _load(source, layout, name)


def _load(f: BinaryIO, layout: Layout, name: str) -> np.ndarray:
    try:
        npz = np.load(f, allow_pickle=False)
    except _READ_ERRORS as e:
        raise WeightsError(f"cannot read {name}: {_reason(e)}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise WeightsError(f"{name} holds a single array; expected an .npz archive of W1, b1, ...")
    with npz:
        arrays = _read_arrays(npz, layout, name)
    n = 2 * layout.L
    theta = layout.from_list(list(zip(arrays[:n:2], arrays[1:n:2])))
    extras = arrays[n:]
    for l, views in enumerate(layout.norms(theta[None, :])[1:] if extras else ()):
        for view, array in zip(views, extras[4 * l : 4 * l + 4]):
            view[0] = array
    return theta


def _read_arrays(npz: np.lib.npyio.NpzFile, layout: Layout, name: str) -> list[np.ndarray]:
    """W1, b1, ... (then gamma1, ... when the file has them), each checked for shape, type and
    finiteness."""
    expected = array_names(layout.L)
    shapes = course_shapes(layout)
    if layout.batch_norm and "gamma1" in npz.files:
        expected += norm_names(layout.L - 1)
        shapes += [(n, 1) for n in layout.dims[1:-1] for _ in NORM_NAMES]
    _check_names(npz.files, expected, name)
    if sum(info.file_size for info in npz.zip.infolist()) > MAX_BYTES:
        raise WeightsError(f"{name} unpacks to more than {MAX_BYTES:,} bytes; too large")
    arrays = []
    for key, shape in zip(expected, shapes):
        try:
            array = npz[key]
        except _READ_ERRORS as e:
            raise WeightsError(f"cannot read {key} from {name}: {_reason(e)}") from None
        arrays.append(_checked(array, key, shape, layout, name))
    return arrays


def _check_names(found: list[str], expected: list[str], name: str) -> None:
    missing = [k for k in expected if k not in found]
    if missing:
        raise WeightsError(f"{name} has no array {missing[0]}; expected {', '.join(expected)}")
    unexpected = sorted(set(found) - set(expected))
    if unexpected:
        raise WeightsError(
            f"{name} has unexpected array {unexpected[0]}; expected {', '.join(expected)}"
        )


def _checked(
    array: np.ndarray, key: str, shape: tuple[int, ...], layout: Layout, name: str
) -> np.ndarray:
    """The array as floats, if it has the course's shape, a numeric type and finite values."""
    dims = "-".join(map(str, layout.dims))
    if array.shape != shape:
        raise WeightsError(
            f"{name}: {key} has shape {array.shape}, expected {shape} for layer sizes {dims}"
        )
    if array.dtype.kind not in "iuf":
        raise WeightsError(f"{name}: {key} has dtype {array.dtype}, expected numbers")
    if not np.all(np.isfinite(array)):
        raise WeightsError(f"{name}: {key} contains NaN or infinite values")
    if key.startswith("running_var") and np.any(array < 0):
        raise WeightsError(f"{name}: {key} has a negative variance")
    return array.astype(float)


def _label(source: object) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return str(getattr(source, "name", "")) or "weights file"


def _reason(e: BaseException) -> str:
    """An exception's message in one line (numpy's pickle refusal is a paragraph)."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    if isinstance(e, ValueError) and "pickle" in str(e):  # numpy would have to unpickle it
        return "not arrays of numbers (pickled Python objects are never loaded)"
    return " ".join(str(e).split()) or type(e).__name__
