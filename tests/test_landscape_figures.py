"""nnviz.views.landscape_figures: a Landscape built here by hand in, the figure's traces out."""

import numpy as np
import plotly.graph_objects as go
import pytest

from nnviz.engine.landscape import Landscape, Path
from nnviz.views.landscape_figures import at_epoch, landscape_figure

ALPHAS = np.linspace(-2, 2, 5)
BETAS = np.linspace(-1, 1, 3)


def land(explained=None) -> Landscape:
    """J = 0.1 + α² + β² on a 3 × 5 grid; run 0 ends at the centre, run 1 elsewhere."""
    J = 0.1 + ALPHAS[None, :] ** 2 + BETAS[:, None] ** 2
    first = np.array([[1.5, -0.5], [0.5, 0.2], [0.0, 0.0]])
    second = np.array([[1.5, -0.5], [-1.0, 0.5]])  # stopped early: kept epoch 5's θ
    paths = [
        Path(np.array([0, 10, 20]), first, np.zeros(3), first[-1], None),
        Path(np.array([0, 10]), second, np.full(2, 0.3), np.array([0.2, -0.1]), 5),
    ]
    return Landscape(0, "pca", 0.7, ALPHAS, BETAS, J, np.eye(2, 4), paths, explained)


def markers(fig: go.Figure, size: int) -> list[tuple[float, float]]:
    return [(t.x[0], t.y[0]) for t in fig.data if t.type == "scatter" and t.marker.size == size]


def test_figure_is_valid_plotly_with_the_slice_and_one_path_per_run():
    fig = landscape_figure(land(np.array([0.9, 0.08])), ["λ 0", "λ 0.7"])
    go.Figure(fig.to_dict())  # validated: raises for a misspelt property
    (heatmap,) = [t for t in fig.data if t.type == "heatmap"]
    np.testing.assert_allclose(10 ** np.asarray(heatmap.z), land().J, rtol=1e-6)  # log₁₀ J
    assert [t.name for t in fig.data if t.type == "scatter" and t.mode == "lines" and t.name] == [
        "λ 0",
        "λ 0.7",
    ]
    assert "90%" in fig.layout.xaxis.title.text and "8%" in fig.layout.yaxis.title.text
    assert "λ = 0.7" in fig.layout.title.text


def test_colorbar_labels_j_not_its_logarithm():
    fig = landscape_figure(land(), ["a", "b"])
    bar = next(t for t in fig.data if t.type == "heatmap").colorbar
    assert list(bar.ticktext) == ["0.1", "0.2", "0.5", "1", "2", "5"]  # J from 0.1 to 5.1
    np.testing.assert_allclose(10 ** np.asarray(bar.tickvals), [0.1, 0.2, 0.5, 1, 2, 5])


@pytest.mark.parametrize(
    ("epoch", "want"), [(None, [(0.0, 0.0), (-1.0, 0.5)]), (12, [(0.5, 0.2), (-1.0, 0.5)])]
)
def test_each_run_is_marked_at_its_last_snapshot_before_the_epoch(epoch, want):
    fig = landscape_figure(land(), ["a", "b"], epoch)
    assert markers(fig, 13) == want
    assert markers(fig, 10) == [(1.5, -0.5), (1.5, -0.5)]  # the starts
    assert markers(fig, 15) == [(0.0, 0.0)]  # θ*
    assert markers(fig, 12) == [(0.2, -0.1)]  # the early-stopped run's kept θ, and no other


def test_at_epoch_before_the_first_snapshot_is_the_first():
    assert at_epoch(land().paths[0], -5) == 0 and at_epoch(land().paths[0], 20) == 2


def test_colorbar_of_many_decades_ticks_powers_of_ten():
    wide = land()
    wide = Landscape(**{**wide.__dict__, "J": wide.J * 10.0 ** np.arange(15).reshape(3, 5)})
    bar = next(t for t in landscape_figure(wide, ["a", "b"]).data if t.type == "heatmap").colorbar
    # J from 5.1 (the corner, × 10⁰) to 5.1 × 10¹⁴ (the opposite corner): 10¹ .. 10¹⁴
    np.testing.assert_allclose(10 ** np.asarray(bar.tickvals), 10.0 ** np.arange(1, 15))
