"""The playground's 2-D surfaces: analytic gradients against finite differences, known minima."""

import numpy as np
import pytest

from nnviz.engine.optim import OPTIMIZERS
from nnviz.models.playground_settings import grid
from nnviz.playground.surfaces import SURFACES, make_surface
from nnviz.views.contours import contour_lines, level_line

NAMES = list(SURFACES)


def central_difference(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x and ∂f/∂y by (f(θ + h·e) − f(θ − h·e)) / 2h, an oracle that knows no formula."""
    out = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


def points_in_view(surface, n: int = 25) -> np.ndarray:
    x0, x1, y0, y1 = surface.view
    rng = np.random.default_rng(7)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    surface = SURFACES[name]
    for theta in points_in_view(surface):
        numeric = central_difference(surface.f, theta)
        analytic = surface.grad(theta)
        scale = max(1.0, np.abs(numeric).max())
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 200.0])
def test_bowl_gradient_and_condition_number(kappa):
    bowl = make_surface("bowl", kappa)
    for theta in points_in_view(bowl, 5):
        np.testing.assert_allclose(
            bowl.grad(theta), central_difference(bowl.f, theta), rtol=1e-6, atol=1e-9
        )
    # curvature 1/κ along x, 1 along y: their ratio is the condition number
    curv_x = bowl.grad(np.array([1.0, 0.0]))[0]
    curv_y = bowl.grad(np.array([0.0, 1.0]))[1]
    assert curv_y / curv_x == pytest.approx(kappa)


def test_make_surface_keeps_fixed_surfaces():
    assert make_surface("beale", 7.0) is SURFACES["beale"]
    assert make_surface("bowl", 7.0).kappa == 7.0


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_and_f_min_is_the_lowest(name):
    surface = SURFACES[name]
    for point in surface.minima:
        np.testing.assert_allclose(surface.grad(np.array(point)), 0.0, atol=1e-9)
    if surface.minima:
        values = [float(surface.f(np.array(p))) for p in surface.minima]
        assert surface.f_min == pytest.approx(values[0], abs=1e-12)
        assert values[0] == min(values)  # the first minimum is the global one
        # nothing on a grid over the view is lower than f*
        assert np.nanmin(surface.f(points_in_view(surface, 2000))) >= surface.f_min - 1e-12


def test_known_minima():
    assert SURFACES["beale"].minima == ((3.0, 0.5),)
    assert SURFACES["rosenbrock"].minima == ((1.0, 1.0),)
    assert SURFACES["rosenbrock"].start == (-1.2, 1.0)
    assert SURFACES["beale"].view == (-4.5, 4.5, -4.5, 4.5)
    assert SURFACES["bowl"].minima == ((0.0, 0.0),)
    wells = SURFACES["wells"]
    assert len(wells.minima) == 2 and wells.minima[0][0] < 0 < wells.minima[1][0]


def test_saddle_has_no_minimum_and_is_unbounded_below():
    saddle = SURFACES["saddle"]
    assert saddle.minima == () and saddle.f_min is None
    assert saddle.f(np.array([0.0, 100.0])) == -10_000.0


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_complete(name):
    surface = SURFACES[name]
    x0, x1, y0, y1 = surface.view
    assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1
    assert set(surface.lr) == set(OPTIMIZERS)
    assert all(a > 0 for a in surface.lr.values())
    assert surface.steps > 0 and surface.explain


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_over_grids(name):
    surface = SURFACES[name]
    theta = np.zeros((3, 4, 2))
    assert surface.f(theta).shape == (3, 4)
    assert surface.grad(theta).shape == (3, 4, 2)


def test_contour_lines_lie_on_their_levels():
    bowl = SURFACES["bowl"]
    xs, ys, z = grid(bowl)
    x, y = contour_lines(xs, ys, z, levels=10)
    gaps = np.isnan(x)
    assert gaps.any() and np.array_equal(gaps, np.isnan(y))
    on_line = np.column_stack([x[~gaps], y[~gaps]])
    heights = np.log10(bowl.f(on_line) + 1e-3)
    levels = np.linspace(z.min(), z.max(), 12)[1:-1]
    nearest = np.abs(heights[:, None] - levels[None]).min(axis=1)
    assert nearest.max() < 0.05  # linear interpolation inside a cell of a smooth field


def circle_grid(n: int = 61):
    xs = np.linspace(-2, 2, n)
    ys = np.linspace(-1.5, 1.5, n - 10)  # not square: rows are y, columns x
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, X, Y


def pieces(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The NaN-separated pieces of a line, each an (n, 2) array of its points."""
    cut = np.flatnonzero(np.isnan(x))
    parts = [p[~np.isnan(p[:, 0])] for p in np.split(np.column_stack([x, y]), cut)]
    return [p for p in parts if len(p)]


def test_level_line_of_a_circle_is_one_closed_loop_on_the_circle():
    xs, ys, X, Y = circle_grid()
    x, y = level_line(xs, ys, np.hypot(X, Y), 1.0)
    (loop,) = pieces(x, y)
    assert np.allclose(loop[0], loop[-1])  # closed: it ends where it starts
    assert np.abs(np.hypot(loop[:, 0], loop[:, 1]) - 1.0).max() < 0.01  # on the circle
    steps = np.hypot(*np.diff(loop, axis=0).T)
    assert steps.max() < 2 * (xs[1] - xs[0])  # joined cell to cell, never jumping across
    assert len(loop) > 100  # every cell the circle crosses


def test_level_line_keeps_separate_pieces_apart_and_is_empty_when_nothing_crosses():
    xs, ys, X, Y = circle_grid()
    two = np.minimum(np.hypot(X - 1, Y), np.hypot(X + 1, Y))  # two circles of radius 0.5
    assert len(pieces(*level_line(xs, ys, two, 0.5))) == 2
    x, y = level_line(xs, ys, np.hypot(X, Y), 10.0)
    assert len(x) == len(y) == 0
