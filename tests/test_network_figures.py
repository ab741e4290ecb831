"""The pure builders of nnviz.views.network_figures, on hand-made ``Inside`` views: what each
figure draws is read back from ``fig.data`` and ``fig.layout``, no browser."""

import numpy as np
import pytest

from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import generate
from nnviz.engine.inspect import Inside, inside, inspect
from nnviz.engine.train import train
from nnviz.views import layer_figures as lf
from nnviz.views import network_figures as nf

DATA = generate("circles", 80, 0.05, 0.25, 0)


def hand_view(activation="tanh") -> Inside:
    """dims (2, 2, 1): W1 = [[1, -2], [0, 3]], W2 = [[0.5, -0.25]]; maps of two grid sizes."""
    W1, W2 = np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([[0.5, -0.25]])
    g = 4
    maps = np.stack([np.full((g, g), 0.5), np.full((g, g), -0.5)])
    return Inside(
        epoch=7,
        activation=activation,
        W=[W1, W2],
        b=[np.zeros((2, 1)), np.zeros((1, 1))],
        dW=[W1 * 1e-3, W2 * 1e-3],
        A=[np.array([[0.995, 0.1, -0.2], [-1.0, 0.0, 0.3]])],
        xs=np.linspace(-1, 1, g),
        ys=np.linspace(-2, 2, g),
        maps=[maps],
    )


def link_traces(fig):
    return [t for t in fig.data if t.mode == "lines"]


def segments(trace) -> int:
    return int(np.sum(np.isnan(np.asarray(trace.x, dtype=float))))


def test_diagram_has_one_link_per_nonzero_weight_coloured_by_sign():
    fig = nf.network_figure(hand_view(), "W")
    lines = link_traces(fig)
    positive = sum(segments(t) for t in lines if t.line.color == nf.POSITIVE)
    negative = sum(segments(t) for t in lines if t.line.color == nf.NEGATIVE)
    assert (positive, negative) == (3, 2)  # 1, 3, 0.5 vs -2, -0.25; the 0 draws no link
    widest = max(lines, key=lambda t: t.line.width)
    assert widest.line.color == nf.POSITIVE and segments(widest) == 1  # the 3: the largest |W|
    assert widest.line.width == nf.WIDTHS[-1]
    thin = {t.line.color: segments(t) for t in lines if t.line.width == nf.WIDTHS[0]}
    assert thin == {nf.POSITIVE: 1, nf.NEGATIVE: 1}  # 0.5 and -0.25: under a fifth of 3


def test_diagram_of_all_zero_weights_has_no_links_and_says_so():
    view = hand_view()
    zero = Inside(**{**view.__dict__, "W": [0 * W for W in view.W]})
    fig = nf.network_figure(zero, "W")
    assert link_traces(fig) == []
    assert "every weight is 0: no links" in [a.text for a in fig.layout.annotations]
    assert "no links" not in " ".join(a.text for a in nf.network_figure(view).layout.annotations)


def test_diagram_nodes_carry_layer_and_unit_for_clicks():
    fig = nf.network_figure(hand_view(), "W", selected=(1, 2))
    (nodes,) = [t for t in fig.data if t.mode == "markers" and t.customdata is not None]
    assert len(nodes.x) == 2 + 2 + 1
    assert [list(c) for c in nodes.customdata] == [[-1, -1]] * 2 + [[1, 1], [1, 2], [-1, -1]]
    assert nodes.marker.size[3] > nodes.marker.size[2]  # the selected unit stands out


def test_diagram_dw_uses_the_gradients_and_writes_each_layers_norm():
    fig = nf.network_figure(hand_view(), "dW")
    texts = [a.text for a in fig.layout.annotations]
    assert texts == [f"‖dW[1]‖ {np.linalg.norm([1, 2, 0, 3]) * 1e-3:.2g}", "‖dW[2]‖ 0.00056"]
    hover = next(t for t in fig.data if t.mode == "markers" and t.text and "←" in t.text[0])
    assert hover.text[0] == "dW[1] unit 1 ← 1: 0.001"
    with pytest.raises(ValueError, match="which"):
        nf.network_figure(hand_view(), "Z")


def test_unit_maps_tile_every_unit_with_gaps_on_the_activations_range():
    fig = nf.unit_maps_figure(hand_view())
    (heat,) = fig.data
    z = np.asarray(heat.z, dtype=float)
    assert z.shape == (4, 2 * 5 - 1)  # two 4 × 4 tiles and one blank column between
    np.testing.assert_array_equal(z[:, :4], 0.5)
    assert np.isnan(z[:, 4]).all()
    np.testing.assert_array_equal(z[:, 5:], -0.5)
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-1.0, 1.0)
    np.testing.assert_array_equal(np.asarray(heat.customdata)[0, [0, 5]], [1, 2])


def test_unit_maps_wrap_after_sixteen_units():
    z, unit = nf._mosaic(np.arange(20 * 9, dtype=float).reshape(20, 3, 3))
    assert z.shape == (2 * 4 - 1, 16 * 4 - 1)
    assert unit[0, 0] == 17 and unit[-1, 0] == 1  # the first row of tiles is drawn at the top
    assert np.nanmax(unit) == 20


def test_relu_maps_range_from_zero_to_the_largest_activation():
    view = hand_view("relu")
    assert nf.value_range(view) == (0.0, 0.995)


def test_histogram_shares_sum_to_one_and_clip_to_the_range():
    x, share = lf.histogram(np.array([[-5.0, -0.99, 0.0, 0.5, 5.0]]), -1.0, 1.0, bins=4)
    np.testing.assert_allclose(x, [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(share, [0.4, 0.0, 0.2, 0.4])


def test_activations_one_panel_per_run_and_layer_with_spread_and_saturation():
    views = [hand_view(), hand_view()]
    fig = lf.activations_figure(views, ["a", "b"])
    assert len(fig.data) == 2 and {t.type for t in fig.data} == {"bar"}
    notes = [a.text for a in fig.layout.annotations]
    spread = np.std(views[0].A[0])
    assert f"σ {spread:.2g} · 33% sat." in notes  # 0.995 and -1.0 of 6 values
    assert fig.data[1].xaxis == "x2" and fig.data[0].xaxis == "x"


@pytest.mark.parametrize("runs", [1, 2, 3, 4])
@pytest.mark.parametrize("layers", [1, 5, 6])
def test_activation_panels_tile_the_figure_for_every_count(runs, layers):
    view = hand_view()
    view = Inside(**{**view.__dict__, "A": view.A * layers})
    fig = lf.activations_figure([view] * runs, [str(r) for r in range(runs)])
    assert len(fig.data) == runs * layers
    domains = [
        fig.layout[f"yaxis{'' if k == 1 else k}"].domain for k in range(1, runs * layers + 1)
    ]
    assert all(0 <= lo < hi <= 1 for lo, hi in domains)


def test_norms_on_log_axes_one_line_per_layer_zeros_left_out():
    h = train(DATA, [RunConfig(hidden=(3,), activation="tanh", init="zeros", epochs=20)], 0)[0]
    ins = inspect(h, DATA)
    fig = lf.norms_figure(ins, epoch=10)
    assert fig.layout.yaxis.type == fig.layout.yaxis2.type == "log"
    assert len(fig.data) == 2 * 2
    hidden_W = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(hidden_W).all()  # ‖W[1]‖ stays exactly 0 under zeros: not drawn
    assert any("all zero" in a.text for a in fig.layout.annotations)
    assert [s.x0 for s in fig.layout.shapes] == [10, 10]


def test_figures_of_a_trained_run_build_without_warnings():
    run = RunConfig(hidden=(4, 3), activation="tanh", init="xavier", epochs=30)
    h = train(DATA, [run], 0)[0]
    view = inside(h, DATA, 15)
    for fig in (
        nf.network_figure(view, "dW"),
        nf.unit_maps_figure(view),
        nf.unit_map_figure(view, DATA, 2, 3),
        lf.activations_figure([view], ["xavier"]),
        lf.norms_figure(inspect(h, DATA), view.epoch),
    ):
        assert fig.to_plotly_json()["data"]
    big = nf.unit_map_figure(view, DATA, 2, 3)
    np.testing.assert_allclose(np.asarray(big.data[0].z, dtype=float), view.maps[1][2], rtol=1e-6)


def test_the_inside_benchmark_measures_a_tiny_experiment():
    from benchmarks.inside import measure, table

    exp = Experiment(runs=(RunConfig(hidden=(3,), epochs=5),), seed=0)
    result = measure(exp, repeat=1)
    assert result["runs"] == 1 and result["snapshots"] == 6
    assert "| tiny | 1 × 6 |" in table({"tiny": result})
