"""Two-dimensional toy data sets, and a user's own points from CSV.

Every set is returned in the course's shapes: X (2, m), one example per column, and Y (1, m) of 0/1
— or of 0..K-1 for K ≥ 3 classes (spiral, blobs, a CSV; docs/design.md §7).
The training points are drawn with ``random_state = seed`` and the test points independently with
``random_state = seed + 1``; so circles(400 samples, test 0.25, noise 0.05, seed 1) is exactly the
course's make_circles(300, random_state=1) / make_circles(100, random_state=2), and
moons(300, noise 0.2, test 0, seed 3) is the optimization lesson's make_moons(300, random_state=3).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from sklearn import datasets as skd

MIN_POINTS = 4  # a CSV needs at least this many rows, with both labels present
MAX_CLASSES = 6  # K ≤ 6: the lab's palette and a readable K×K confusion matrix
MAX_POINTS = 20_000
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Dataset:
    X_train: np.ndarray  # (2, m)
    Y_train: np.ndarray  # (1, m)
    X_test: np.ndarray  # (2, m_test); m_test may be 0
    Y_test: np.ndarray  # (1, m_test)
    classes: int = 2  # K: labels are 0..K-1; the network's n[L] follows from it

    @property
    def has_test(self) -> bool:
        return self.X_test.shape[1] > 0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """x1 and x2 ranges of all points, padded by 10%: the frame of every boundary plot."""
        X = np.hstack([self.X_train, self.X_test])
        lo, hi = X.min(axis=1), X.max(axis=1)
        pad = 0.1 * np.maximum(hi - lo, 1e-9)
        return (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])


def _moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return skd.make_moons(n, noise=noise, random_state=seed)


def _circles(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return skd.make_circles(n, noise=noise, random_state=seed)  # factor 0.8, as the course


def _blobs(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    centers = [[-1.0, -1.0], [1.0, 1.0]]
    return skd.make_blobs(n, centers=centers, cluster_std=0.3 + 2 * noise, random_state=seed)


def _xor(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [-1, 1]²; label 1 where x1·x2 > 0, then Gaussian jitter."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + noise * rng.standard_normal((n, 2)), y


def _spiral(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms turning 1.5 times around the origin."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    angle = 3 * np.pi * r + np.pi * y
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return X + 0.5 * noise * rng.standard_normal((n, 2)), y


def _spiral_k(n: int, noise: float, seed: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's K-arm spiral: class k has r = linspace(0, 1, N), t = linspace(4k, 4k + 4, N)
    plus noise·N(0, 1) (noise 0.2 is CS231n's), x = (r sin t, r cos t); n split evenly."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k, N in enumerate(_per_class(n, classes)):
        r = np.linspace(0.0, 1.0, N)
        t = np.linspace(4.0 * k, 4.0 * k + 4.0, N) + noise * rng.standard_normal(N)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(N, k))
    return np.vstack(X), np.concatenate(y)


def _blobs_k(n: int, noise: float, seed: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """K Gaussian blobs with centres evenly spaced on a circle of radius 1.5."""
    angle = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
    centers = 1.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    return skd.make_blobs(n, centers=centers, cluster_std=0.3 + 2 * noise, random_state=seed)


def _per_class(n: int, classes: int) -> list[int]:
    """n points in K classes: n // K each, the first n mod K classes one more."""
    return [n // classes + (k < n % classes) for k in range(classes)]


# the generators with a class count K ≥ 3; K = 2 is always GENERATORS' own set, unchanged
MULTICLASS: dict[str, Callable[[int, float, int, int], tuple[np.ndarray, np.ndarray]]] = {
    "spiral": _spiral_k,
    "blobs": _blobs_k,
}

MISLABELED_SHARE = 0.06  # of the labels flipped by the mislabeled set


def _mislabeled(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Moons whose labels are wrong for a random 6%: isolated points deep in the other class,
    as in real data. A network that bends its boundary around them overfits."""
    X, y = skd.make_moons(n, noise=noise, random_state=seed)
    flip = np.random.default_rng(seed).random(n) < MISLABELED_SHARE
    return X, np.where(flip, 1 - y, y)


GENERATORS: dict[str, Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]] = {
    "moons": _moons,
    "circles": _circles,
    "blobs": _blobs,
    "xor": _xor,
    "spiral": _spiral,
    "mislabeled": _mislabeled,
}


def _course_shape(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(X.T, dtype=float), np.asarray(y, dtype=float).reshape(1, -1)


def split_counts(samples: int, test_fraction: float) -> tuple[int, int]:
    n_test = int(round(samples * test_fraction))
    return samples - n_test, n_test


def generate(
    name: str, samples: int, noise: float, test_fraction: float, seed: int, classes: int = 2
) -> Dataset:
    """A generated data set: train drawn with seed, test with seed + 1; K = ``classes``."""
    make = GENERATORS[name]
    if classes > 2:
        make = partial(MULTICLASS[name], classes=classes)
    n_train, n_test = split_counts(samples, test_fraction)
    X, Y = _course_shape(*make(n_train, noise, seed))
    if n_test:
        Xt, Yt = _course_shape(*make(n_test, noise, seed + 1))
    else:
        Xt, Yt = np.zeros((2, 0)), np.zeros((1, 0))
    return Dataset(X, Y, Xt, Yt, classes)


# --- a user's CSV ---------------------------------------------------------------------------------


class DataError(ValueError):
    """A user's data file is unusable; the message says why, in one line."""


def parse_csv(content: bytes | str, name: str = "CSV") -> tuple[np.ndarray, np.ndarray]:
    """Rows ``x1,x2,label`` under that exact header -> X (2, m), Y (1, m). Raises DataError.

    Labels are 0..K-1 with 2 ≤ K ≤ MAX_CLASSES; K is the largest label + 1, and every class in
    0..K-1 must have a point (a class without one would train an output unit on nothing)."""
    if isinstance(content, bytes):
        if len(content) > MAX_BYTES:
            raise DataError(f"{name} is {len(content):,} bytes; the limit is {MAX_BYTES:,}")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(f"{name} is not UTF-8 text") from None
    rows = _numbered_rows(content)
    if not rows:
        raise DataError(f"{name} is empty; expected a header x1,x2,label and rows of numbers")
    header = [c.strip().lower() for c in rows[0][1]]
    if header != ["x1", "x2", "label"]:
        raise DataError(f"{name} header must be x1,x2,label, got {','.join(rows[0][1])!r}")
    body = rows[1:]
    if not MIN_POINTS <= len(body) <= MAX_POINTS:
        raise DataError(f"{name} needs {MIN_POINTS} to {MAX_POINTS:,} rows, got {len(body):,}")
    X = np.empty((len(body), 2))
    y = np.empty(len(body))
    for i, (line, row) in enumerate(body):
        X[i, :], y[i] = _parse_row(row, line, name)
    if len(set(y)) < 2:
        raise DataError(f"{name} has only label {int(y[0])}; both 0 and 1 are needed")
    missing = sorted(set(range(int(y.max()) + 1)) - set(y.astype(int).tolist()))
    if missing:
        raise DataError(
            f"{name} has labels up to {int(y.max())} but none {missing[0]}; labels are 0..K-1"
        )
    return _course_shape(X, y)


def _numbered_rows(content: str) -> list[tuple[int, list[str]]]:
    """(first line number, cells) of every non-blank row, as a text editor numbers lines."""
    reader, rows, start = csv.reader(io.StringIO(content)), [], 1
    for row in reader:
        if any(c.strip() for c in row):
            rows.append((start, row))
        start = reader.line_num + 1
    return rows


def _parse_row(row: list[str], line: int, name: str) -> tuple[list[float], float]:
    if len(row) != 3:
        raise DataError(f"{name} line {line}: expected 3 values, got {len(row)}")
    values = []
    for cell in row:
        try:
            values.append(float(cell))
        except ValueError:
            raise DataError(f"{name} line {line}: {cell.strip()!r} is not a number") from None
    if not np.all(np.isfinite(values)):
        raise DataError(f"{name} line {line}: values must be finite, got {row!r}")
    if values[2] not in range(MAX_CLASSES):
        raise DataError(
            f"{name} line {line}: label must be a whole number 0..{MAX_CLASSES - 1},"
            f" got {row[2].strip()}"
        )
    return values[:2], values[2]


def from_csv(
    content: bytes | str,
    test_fraction: float = 0.0,
    seed: int = 0,
    test_content: bytes | str | None = None,
) -> Dataset:
    """A user's data: a separate test file, or a held-out share of the one file.

    The rows stay in the file's order, in both parts: the seed only chooses which rows are held
    out. So ``shuffle=False`` trains the mini-batches in the file's order, as scikit-learn's
    ``MLPClassifier(shuffle=False)`` does on the same file.
    """
    X, Y = parse_csv(content, "data file")
    test = None if test_content is None else parse_csv(test_content, "test file")
    return split_points(X, Y, test_fraction, seed, test)


def split_points(
    X: np.ndarray,
    Y: np.ndarray,
    test_fraction: float,
    seed: int,
    test: tuple[np.ndarray, np.ndarray] | None = None,
) -> Dataset:
    """Parsed points as a Dataset: all of them train beside a given ``test`` set, or the seed
    holds out a ``test_fraction`` of them (both parts in the points' order, see from_csv)."""
    K = int(Y.max()) + 1  # parse_csv saw every class 0..K-1
    if test is not None:
        if test[1].size and test[1].max() >= K:
            raise DataError(f"test file has label {int(test[1].max())}; the data has 0..{K - 1}")
        return Dataset(X, Y, *test, K)
    train, held = held_out(X.shape[1], test_fraction, seed)
    return Dataset(X[:, train], Y[:, train], X[:, held], Y[:, held], K)


def held_out(m: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows) of m, each in ascending order; the test rows drawn by the seed."""
    n_train, n_test = split_counts(m, test_fraction)
    if n_test and n_train < MIN_POINTS:
        raise DataError(f"test share {test_fraction} leaves {n_train} training points")
    order = np.random.default_rng(seed).permutation(m)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def digest(*contents: bytes | str | None) -> str:
    """A short content hash, so a config naming a file changes when the file does."""
    h = hashlib.sha256()
    for c in contents:
        h.update(b"\0" if c is None else (c.encode() if isinstance(c, str) else c))
    return h.hexdigest()[:12]


def to_csv(X: np.ndarray, Y: np.ndarray) -> str:
    """The inverse of parse_csv."""
    lines = ["x1,x2,label"]
    # tolist(): Python floats, whose repr round-trips (a NumPy 2 scalar's repr is "np.float64(..)")
    lines += [f"{a!r},{b!r},{int(c)}" for a, b, c in zip(X[0].tolist(), X[1].tolist(), Y[0])]
    return "\n".join(lines) + "\n"
