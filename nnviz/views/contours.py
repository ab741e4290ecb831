"""Iso-lines of a grid of values as one NaN-separated line: the playground's contour lines and the
lab's decision boundary.

The contouring is contourpy's (matplotlib's own, marching squares in C++): each iso-line comes
joined across the grid's cells into polylines, a closed loop ending where it starts. Drawn as one
Plotly line trace, with NaN between pieces, the lines get proper joins (loose cell segments would
show notches at every cell edge), and they survive Plotly's animation, which blanks contour traces.
"""

from __future__ import annotations

from collections.abc import Iterable

import contourpy
import numpy as np


def level_line(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The iso-line z = ``level`` of z (shape (len(ys), len(xs))): x and y of each piece in order,
    NaN between pieces; empty when nothing crosses it."""
    return _joined(xs, ys, z, [level])


def contour_lines(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: int = 18
) -> tuple[np.ndarray, np.ndarray]:
    """Iso-lines of z at ``levels`` even heights strictly between its lowest and highest value,
    as ``level_line`` gives them, NaN between lines."""
    heights = np.linspace(np.nanmin(z), np.nanmax(z), levels + 2)[1:-1]
    return _joined(xs, ys, z, heights)


def _joined(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, heights: Iterable[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Every piece of every iso-line as one (x, y), NaN between pieces. NaN in z leaves a hole."""
    lines = contourpy.contour_generator(
        xs, ys, np.ma.masked_invalid(z), line_type=contourpy.LineType.ChunkCombinedNan
    )
    # one chunk per height: its pieces already NaN-separated, or None when nothing crosses
    pieces = [points for c in heights if (points := lines.lines(c)[0][0]) is not None]
    if not pieces:
        return np.empty(0), np.empty(0)
    gap = np.full((1, 2), np.nan)
    flat = np.concatenate([part for piece in pieces for part in (piece, gap)][:-1])
    return flat[:, 0], flat[:, 1]
