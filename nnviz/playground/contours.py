"""Iso-lines of a surface's contour grid, by marching squares, as one NaN-separated line."""

from __future__ import annotations

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
            w = np.where(za * zb < 0, za / (za - zb), np.nan)  # where along a→b the level sits
        points.append(np.stack([X[a] + w * (X[b] - X[a]), Y[a] + w * (Y[b] - Y[a])], axis=-1))
    p = np.stack(points, axis=-2).reshape(-1, 4, 2)  # (cells, edges, xy)
    hit = ~np.isnan(p[..., 0])
    two = hit.sum(axis=1) >= 2
    order = np.argsort(~hit[two], axis=1, kind="stable")  # crossed edges first
    first = np.take_along_axis(p[two], order[:, :2, None], axis=1)
    four = hit[two].all(axis=1)
    second = p[two][four][:, 2:]
    return np.concatenate([first, second])
