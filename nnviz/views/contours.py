"""Iso-lines of a grid of values, by marching squares, as one NaN-separated line: the
playground's contour lines and the lab's decision boundary."""

from __future__ import annotations

from collections import deque

import numpy as np


def contour_lines(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: int = 18
) -> tuple[np.ndarray, np.ndarray]:
    """Iso-lines of z (shape (len(ys), len(xs))) at ``levels`` even heights, by marching squares.

    Returned as x and y of line segments separated by NaN, ready to draw as one line trace
    (drawn as a scatter trace, the contours survive Plotly's animation, which blanks contour
    traces). Cells that a level crosses four times pair their edges arbitrarily: a blemish of one
    cell, only at saddle points of z.
    """
    heights = np.linspace(np.nanmin(z), np.nanmax(z), levels + 2)[1:-1]
    segments = [_cells_crossing(xs, ys, z, c) for c in heights]
    seg = np.concatenate(segments) if segments else np.empty((0, 2, 2))
    gaps = np.full((len(seg), 1, 2), np.nan)
    flat = np.concatenate([seg, gaps], axis=1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _cells_crossing(xs, ys, z, c) -> np.ndarray:
    """Segments (k, 2 points, xy) where level c crosses the grid cells."""
    X, Y = np.meshgrid(xs, ys)
    corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)),
               (slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]  # fmt: skip
    points = []
    for a, b in zip(corners, corners[1:] + corners[:1]):  # the 4 edges of every cell
        za, zb = z[a] - c, z[b] - c
        with np.errstate(divide="ignore", invalid="ignore"):
            # corners at or above the level count as above: every cell crosses 0, 2 or 4 times
            w = np.where((za >= 0) != (zb >= 0), za / (za - zb), np.nan)  # where along a→b
        points.append(np.stack([X[a] + w * (X[b] - X[a]), Y[a] + w * (Y[b] - Y[a])], axis=-1))
    p = np.stack(points, axis=-2).reshape(-1, 4, 2)  # (cells, edges, xy)
    hit = ~np.isnan(p[..., 0])
    two = hit.sum(axis=1) >= 2
    order = np.argsort(~hit[two], axis=1, kind="stable")  # crossed edges first
    first = np.take_along_axis(p[two], order[:, :2, None], axis=1)
    four = hit[two].all(axis=1)
    second = p[two][four][:, 2:]
    return np.concatenate([first, second])


def level_line(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The iso-line z = ``level`` by marching squares, its cell segments joined into polylines.

    x and y of each piece in order (a closed loop ends where it starts), NaN between pieces: one
    line trace, drawn with proper joins (loose segments would show notches at every cell edge).
    A crossing shared by two cells is the same point for both, matched after rounding.
    """
    segments = _cells_crossing(xs, ys, z, level)
    pieces = _joined(segments, scale=max(np.ptp(xs), np.ptp(ys), 1e-300))
    if not pieces:
        return np.empty(0), np.empty(0)
    gap = np.full((1, 2), np.nan)
    flat = np.concatenate([part for piece in pieces for part in (piece, gap)][:-1])
    return flat[:, 0], flat[:, 1]


def _joined(segments: np.ndarray, scale: float) -> list[np.ndarray]:
    """Segments (k, 2, 2) chained end to end into polylines, each an (n, 2) array."""
    rounded = np.round(segments / scale, 9).reshape(-1, 4)
    real = np.any(rounded[:, :2] != rounded[:, 2:], axis=1)  # a level through a grid node leaves
    segments, rounded = segments[real], rounded[real]  # zero-length segments there: dropped
    keys = [tuple(k) for k in rounded]
    ends: dict[tuple, list[tuple[int, int]]] = {}
    for s, k in enumerate(keys):
        ends.setdefault(k[:2], []).append((s, 0))
        ends.setdefault(k[2:], []).append((s, 1))
    used = np.zeros(len(segments), dtype=bool)
    pieces = []
    for s in range(len(segments)):
        if used[s]:
            continue
        used[s] = True
        chain = deque([segments[s, 0], segments[s, 1]])
        tips = deque([keys[s][:2], keys[s][2:]])
        for forward in (True, False):
            while True:
                tip = tips[-1] if forward else tips[0]
                step = next(((t, e) for t, e in ends[tip] if not used[t]), None)
                if step is None:
                    break
                t, e = step
                used[t] = True
                point, key = segments[t, 1 - e], (keys[t][2:] if e == 0 else keys[t][:2])
                if forward:
                    chain.append(point)
                    tips.append(key)
                else:
                    chain.appendleft(point)
                    tips.appendleft(key)
        pieces.append(np.array(chain))
    return pieces
