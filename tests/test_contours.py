"""The iso-lines of nnviz/views/contours.py (contourpy's): hand-known lines, and the same crossing
points as the project's own marching squares that contourpy replaced (kept below as a reference)."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from nnviz.views.contours import contour_lines, level_line

XS = np.linspace(-2, 2, 61)
YS = np.linspace(-1.5, 1.5, 51)  # not square: rows are y, columns x
X, Y = np.meshgrid(XS, YS)


def pieces(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The NaN-separated pieces of a line, each an (n, 2) array of its points."""
    cut = np.flatnonzero(np.isnan(x))
    parts = [p[~np.isnan(p[:, 0])] for p in np.split(np.column_stack([x, y]), cut)]
    return [p for p in parts if len(p)]


def points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The distinct points of a line, rounded to 1e-9: what two contourings can agree on."""
    p = np.column_stack([x, y])
    return np.unique(np.round(p[~np.isnan(p[:, 0])], 9), axis=0)


def test_a_straight_level_is_one_line_through_every_row():
    """z = x: the level 0.25 is the vertical line x = 0.25, crossing each row of the grid once."""
    (line,) = pieces(*level_line(XS, YS, X, 0.25))
    np.testing.assert_allclose(line[:, 0], 0.25, atol=1e-12)
    np.testing.assert_allclose(np.sort(line[:, 1]), YS, atol=1e-12)


def test_a_circle_is_one_closed_loop_with_the_reference_points():
    x, y = level_line(XS, YS, np.hypot(X, Y), 1.0)
    (loop,) = pieces(x, y)
    assert np.array_equal(loop[0], loop[-1])  # closed: it ends where it starts
    assert np.abs(np.hypot(loop[:, 0], loop[:, 1]) - 1.0).max() < 0.01
    steps = np.hypot(*np.diff(loop, axis=0).T)
    assert steps.max() < 2 * (XS[1] - XS[0])  # joined cell to cell, never jumping across
    reference = marching_level_line(XS, YS, np.hypot(X, Y), 1.0)
    assert len(pieces(*reference)) == 1
    np.testing.assert_array_equal(points(x, y), points(*reference))


@pytest.mark.parametrize("level", [-0.71, 0.0, 0.33])
def test_a_wavy_field_has_the_reference_pieces_and_points(level):
    z = np.sin(2 * X) * np.cos(2.6 * Y) + 0.1 * X  # saddles, open lines and closed loops
    x, y = level_line(XS, YS, z, level)
    reference = marching_level_line(XS, YS, z, level)
    assert len(pieces(x, y)) == len(pieces(*reference)) > 1
    np.testing.assert_array_equal(points(x, y), points(*reference))


def test_contour_lines_cross_where_the_reference_does_and_are_joined():
    z = np.log10(0.5 * (X**2 / 4 + Y**2) + 1e-3)  # the bowl's contours, as the playground's
    x, y = contour_lines(XS, YS, z, levels=10)
    np.testing.assert_array_equal(points(x, y), points(*marching_contour_lines(XS, YS, z, 10)))
    for piece in pieces(x, y):  # joined: each a closed loop or cut only by the grid's edge
        ends = piece[[0, -1]]
        on_edge = np.isclose(np.abs(ends[:, 0]), 2) | np.isclose(np.abs(ends[:, 1]), 1.5)
        assert np.array_equal(ends[0], ends[1]) or on_edge.all()


def test_nothing_crossing_is_empty_and_nan_leaves_a_hole():
    x, y = level_line(XS, YS, np.hypot(X, Y), 10.0)
    assert len(x) == len(y) == 0
    z = np.where(X > 0, np.nan, np.hypot(X, Y))  # the right half unknown
    x, y = level_line(XS, YS, z, 1.0)
    assert len(x) and np.nanmax(x) <= 0.0  # half a circle, nothing where z is unknown


# --- the reference: the project's own marching squares before contourpy ------------------------


def marching_contour_lines(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: int = 18
) -> tuple[np.ndarray, np.ndarray]:
    """Iso-lines of z (shape (len(ys), len(xs))) at ``levels`` even heights, by marching squares.

    Returned as x and y of line segments separated by NaN, ready to draw as one line trace
    (drawn as a scatter trace, the contours survive Plotly's animation, which blanks contour
    traces). Cells that a level crosses four times pair their edges arbitrarily: a blemish of one
    cell, only at saddle points of z.
    """
    heights = np.linspace(np.nanmin(z), np.nanmax(z), levels + 2)[1:-1]
    segments = [_marching_cells(xs, ys, z, c) for c in heights]
    seg = np.concatenate(segments) if segments else np.empty((0, 2, 2))
    gaps = np.full((len(seg), 1, 2), np.nan)
    flat = np.concatenate([seg, gaps], axis=1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _marching_cells(xs, ys, z, c) -> np.ndarray:
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


def marching_level_line(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The iso-line z = ``level`` by marching squares, its cell segments joined into polylines.

    x and y of each piece in order (a closed loop ends where it starts), NaN between pieces: one
    line trace, drawn with proper joins (loose segments would show notches at every cell edge).
    A crossing shared by two cells is the same point for both, matched after rounding.
    """
    segments = _marching_cells(xs, ys, z, level)
    pieces = _marching_joined(segments, scale=max(np.ptp(xs), np.ptp(ys), 1e-300))
    if not pieces:
        return np.empty(0), np.empty(0)
    gap = np.full((1, 2), np.nan)
    flat = np.concatenate([part for piece in pieces for part in (piece, gap)][:-1])
    return flat[:, 0], flat[:, 1]


def _marching_joined(segments: np.ndarray, scale: float) -> list[np.ndarray]:
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
