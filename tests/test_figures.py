"""nnviz.views.figures: assertions on fig.data and fig.layout, no browser.

One small experiment trains once for the module: two healthy runs that differ in λ and one that
diverges (gradient descent with α = 100 and λ = 1000 multiplies its weights by about -1100 a step).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import load_data, run_experiment
from nnviz.views import curves, figures
from nnviz.views.palette import RUN_COLORS

NET = dict(hidden=(8,), epochs=60, batch_size=0)
LABELS = ("λ 0", "λ 0.7", "blows up")


@pytest.fixture(scope="module")
def trained():
    exp = Experiment(
        DataConfig("moons", samples=120, noise=0.25, test_fraction=0.25),
        runs=(
            RunConfig(optimizer="adam", lr=0.01, lambd=0.0, **NET),
            RunConfig(optimizer="adam", lr=0.01, lambd=0.7, **NET),
            RunConfig(optimizer="gd", lr=100.0, lambd=1000.0, **NET),
        ),
        seed=0,
    )
    return load_data(exp), run_experiment(exp)


@pytest.fixture(scope="module")
def boundaries(trained):
    data, histories = trained
    return [
        figures.boundary_figure(h, data, label, i)
        for i, (h, label) in enumerate(zip(histories, LABELS))
    ]


def traces(fig, kind):
    return [t for t in fig.data if t.type == kind]


def by_name(fig, fragment):
    return [t for t in fig.data if t.name and fragment in t.name]


def named(fig, name):
    return [t for t in fig.data if t.name == name]


def relu_net_predictions(params, X):
    """An independent forward pass: relu hidden layers, sigmoid output, threshold 0.5."""
    A = X
    for W, b in params[:-1]:
        A = np.maximum(W @ A + b, 0.0)
    W, b = params[-1]
    return (W @ A + b)[0] > 0.0  # σ(z) > 0.5  ⇔  z > 0


# --- decision boundary ------------------------------------------------------------------------


def test_boundary_surface_is_a_probability_on_a_fixed_color_scale(boundaries):
    for fig in boundaries:
        (surface,) = traces(fig, "heatmap")
        z = np.asarray(surface.z)
        assert z.shape == (figures.GRID, figures.GRID)
        assert 0.0 <= z.min() and z.max() <= 1.0
        assert surface.coloraxis == "coloraxis"
        assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)


def test_boundary_line_is_where_the_network_says_one_half(trained, boundaries):
    """Every point of the black line is where an independent forward pass gives P = 0.5 (to the
    grid's linear interpolation), and the line separates the predicted classes."""
    data, histories = trained
    for h, fig in zip(histories[:2], boundaries[:2]):
        (line,) = by_name(fig, "decision boundary")
        x, y = np.asarray(line.x, float), np.asarray(line.y, float)
        on = ~np.isnan(x)
        assert on.sum() > 20 and line.line.color == figures.BOUNDARY_COLOR
        W_b = h.params
        z = logit(W_b, np.vstack([x[on], y[on]]))  # σ(z) = 0.5 ⇔ z = 0
        span = np.abs(logit(W_b, np.hstack([data.X_train, data.X_test]))).max()
        assert np.abs(z).max() < 0.05 * span


def logit(params, X: np.ndarray) -> np.ndarray:
    """The output unit's z, by an independent forward pass (relu hidden layers)."""
    A = X
    for W, b in params[:-1]:
        A = np.maximum(W @ A + b, 0.0)
    W, b = params[-1]
    return (W @ A + b)[0]


def test_training_and_test_points_have_distinct_symbols(trained, boundaries):
    data, _ = trained
    fig = boundaries[0]
    train = by_name(fig, "train,")
    test = by_name(fig, "test,")
    assert {t.marker.symbol for t in train} == {figures.TRAIN_SYMBOL}
    assert {t.marker.symbol for t in test} == {figures.TEST_SYMBOL}
    assert figures.TRAIN_SYMBOL != figures.TEST_SYMBOL
    assert sum(len(t.x) for t in train) == data.X_train.shape[1]
    assert sum(len(t.x) for t in test) == data.X_test.shape[1]


def test_misclassified_marks_match_an_independent_count(trained, boundaries):
    data, histories = trained
    X = np.hstack([data.X_train, data.X_test])
    Y = np.hstack([data.Y_train, data.Y_test])[0]
    for h, fig in zip(histories[:2], boundaries[:2]):
        wrong = relu_net_predictions(h.params, X) != (Y > 0.5)
        (marks,) = by_name(fig, "misclassified")
        assert marks.marker.symbol == figures.WRONG_SYMBOL
        assert len(marks.x) == wrong.sum() > 0
        assert set(zip(marks.x, marks.y)) == set(zip(X[0, wrong], X[1, wrong]))


def test_misclassified_count_agrees_with_recorded_accuracy(trained, boundaries):
    data, histories = trained
    h = histories[0]
    m_train, m_test = data.X_train.shape[1], data.X_test.shape[1]
    expected = round((1 - h.final["train_accuracy"]) * m_train) + round(
        (1 - h.final["test_accuracy"]) * m_test
    )
    assert len(by_name(boundaries[0], "misclassified")[0].x) == expected


def test_every_run_is_drawn_on_the_same_axes(trained, boundaries):
    data, _ = trained
    x0, x1, y0, y1 = figures.frame(data.bounds)
    for fig in boundaries:
        assert tuple(fig.layout.xaxis.range) == pytest.approx((x0, x1))
        assert tuple(fig.layout.yaxis.range) == pytest.approx((y0, y1))
        (surface,) = traces(fig, "heatmap")
        assert (surface.x[0], surface.x[-1]) == pytest.approx((x0, x1))


def test_a_flat_frame_grows_to_the_minimum_aspect_about_its_middle():
    # x₁ from 0 to 4, x₂ from 0 to 1: x₂ must span 0.75 · 4 = 3, centered on 0.5
    assert figures.frame((0.0, 4.0, 0.0, 1.0)) == pytest.approx((0.0, 4.0, -1.0, 2.0))
    assert figures.aspect((0.0, 4.0, 0.0, 1.0)) == pytest.approx(0.75)
    assert figures.frame((0.0, 2.0, -3.0, 3.0)) == (0.0, 2.0, -3.0, 3.0)  # tall: as it is
    assert figures.aspect((0.0, 2.0, -3.0, 3.0)) == pytest.approx(3.0)


def test_the_frame_holds_every_point(trained, boundaries):
    data, _ = trained
    x0, x1, y0, y1 = figures.frame(data.bounds)
    X = np.hstack([data.X_train, data.X_test])
    assert x0 < X[0].min() and X[0].max() < x1 and y0 < X[1].min() and X[1].max() < y1
    assert (y1 - y0) / (x1 - x0) >= figures.MIN_ASPECT - 1e-12


def test_a_boundary_without_a_height_is_as_high_as_its_element(trained):
    data, histories = trained
    assert figures.boundary_figure(histories[0], data, LABELS[0], height=None).layout.height is None
    assert figures.boundary_figure(histories[0], data, LABELS[0]).layout.height == 310


def test_enlarged_curves_keep_their_plot_area_and_move_the_legend_down(trained):
    _, histories = trained
    fig = curves.cost_figure(histories[:2], LABELS[:2])
    big = figures.enlarged(fig)
    (m, bm), grow = (fig.layout.margin, big.layout.margin), 20 / 14  # BIG_FONT / FONT size
    assert (bm.t, bm.b) == (round(m.t * grow), round(m.b * grow))
    assert big.layout.height - bm.t - bm.b == fig.layout.height - m.t - m.b
    assert big.layout.legend.y == pytest.approx(fig.layout.legend.y * grow)


def test_boundary_draws_x1_and_x2_on_equal_scales(boundaries):
    for fig in boundaries:  # a unit of x₂ as long as a unit of x₁: the moons keep their shape
        assert (fig.layout.yaxis.scaleanchor, fig.layout.yaxis.scaleratio) == ("x", 1)
        assert fig.layout.xaxis.constrain == fig.layout.yaxis.constrain == "domain"


def test_boundary_title_gives_accuracy_in_the_run_color(trained, boundaries):
    _, histories = trained
    title = boundaries[1].layout.title
    assert LABELS[1] in title.text
    assert f"train {100 * histories[1].final['train_accuracy']:.1f}%" in title.text
    assert f"test {100 * histories[1].final['test_accuracy']:.1f}%" in title.text
    assert title.font.color == RUN_COLORS[1]


def test_diverged_run_is_titled_with_its_epoch(trained, boundaries):
    _, histories = trained
    h = histories[2]
    assert h.diverged_at is not None
    assert f"diverged at epoch {h.diverged_at}" in boundaries[2].layout.title.text
    (surface,) = traces(boundaries[2], "heatmap")
    assert np.all(np.isfinite(np.asarray(surface.z)))


def test_no_test_set_draws_no_test_points(trained):
    exp = Experiment(DataConfig("moons", samples=60, test_fraction=0.0), (RunConfig(**NET),))
    data = load_data(exp)
    (h,) = run_experiment(exp)
    fig = figures.boundary_figure(h, data, "alone")
    assert by_name(fig, "test,") == []
    assert "test" not in fig.layout.title.text
    assert curves.cost_figure([h], ["alone"]).data[0].line.dash == "solid"
    assert len(curves.cost_figure([h], ["alone"]).data) == 1


def test_probability_grid_is_indexed_rows_by_x2():
    params = [(np.array([[1.0, 0.0]]), np.zeros((1, 1)))]  # logistic regression on x1 alone
    xs, ys, P = figures.probability_grid(params, "relu", (-1.0, 1.0, -2.0, 2.0), 5)
    assert P.shape == (5, 5)
    assert np.all(np.diff(P, axis=1) > 0)  # grows along x1 (columns)
    assert np.allclose(np.diff(P, axis=0), 0)  # constant along x2 (rows)


# --- learning curves ------------------------------------------------------------------------


def test_cost_curves_solid_train_dashed_test_one_color_per_run(trained):
    _, histories = trained
    fig = curves.cost_figure(histories, LABELS)
    for i, label in enumerate(LABELS):
        (train,) = named(fig, label)
        (test,) = named(fig, f"{label} · test")
        assert train.showlegend is not False and test.showlegend is False
        assert train.line.dash == "solid" and test.line.dash == "dash"
        assert train.line.color == test.line.color == RUN_COLORS[i]
        assert np.asarray(train.x)[0] == 0  # epoch 0: before any update
        assert np.asarray(train.y)[0] == pytest.approx(histories[i].train_cost[0])


def test_colors_agree_between_cost_accuracy_and_boundary(trained, boundaries):
    _, histories = trained
    cost = curves.cost_figure(histories, LABELS)
    accuracy = curves.accuracy_figure(histories, LABELS)
    for i in range(len(LABELS)):
        colors = {t.line.color for t in cost.data + accuracy.data if t.legendgroup == f"run{i}"}
        assert colors == {RUN_COLORS[i]}
        assert boundaries[i].layout.title.font.color == RUN_COLORS[i]


def test_log_scale_toggle(trained):
    _, histories = trained
    assert curves.cost_figure(histories, LABELS, log_y=True).layout.yaxis.type == "log"
    assert curves.cost_figure(histories, LABELS, log_y=False).layout.yaxis.type == "linear"


def test_accuracy_curves_train_and_test(trained):
    _, histories = trained
    fig = curves.accuracy_figure(histories, LABELS)
    (train,) = named(fig, LABELS[0])
    (test,) = named(fig, f"{LABELS[0]} · test")
    assert np.asarray(train.y) == pytest.approx(histories[0].train_accuracy)
    assert np.asarray(test.y) == pytest.approx(histories[0].test_accuracy)
    assert test.line.dash == "dash"
    assert fig.layout.yaxis.tickformat == ".0%"


def test_diverged_curve_stops_where_the_run_diverged(trained):
    _, histories = trained
    h = histories[2]
    fig = curves.cost_figure(histories, LABELS, log_y=True)
    (train,) = named(fig, LABELS[2])
    assert np.asarray(train.x)[-1] < h.diverged_at
    assert np.all(np.isfinite(np.asarray(train.y)))
    marks = [t for t in fig.data if t.mode == "markers+text"]
    assert [t.text[0] for t in marks] == [f"diverged at epoch {h.diverged_at}"]


# --- replay -----------------------------------------------------------------------------------


def test_replay_epochs_are_spread_and_keep_both_ends(trained):
    _, histories = trained
    all_epochs = np.unique(np.concatenate([h.snapshot_epochs for h in histories]))
    epochs = figures.replay_epochs(histories, max_frames=7)
    assert len(epochs) <= 7
    assert epochs[0] == 0 and epochs[-1] == all_epochs[-1]
    assert np.all(np.diff(epochs) > 0)


def test_replay_boundary_is_drawn_from_the_snapshot_at_that_epoch(trained):
    data, histories = trained
    h = histories[0]
    first, last = h.snapshot_epochs[0], h.snapshot_epochs[-1]
    start = figures.boundary_figure(h, data, LABELS[0], upto=first)
    end = figures.boundary_figure(h, data, LABELS[0], upto=last)
    final = figures.boundary_figure(h, data, LABELS[0])
    z = [np.asarray(traces(f, "heatmap")[0].z) for f in (start, end, final)]
    assert np.array_equal(z[1], z[2])  # the last snapshot is the final state
    assert not np.array_equal(z[0], z[2])
    # the initial weights, predicted by an independent forward pass, give the ✕ marks at epoch 0
    W_b = h.layout.to_list(h.snapshots[0])
    wrong = relu_net_predictions(W_b, data.X_train) != (data.Y_train[0] > 0.5)
    test_wrong = relu_net_predictions(W_b, data.X_test) != (data.Y_test[0] > 0.5)
    assert len(by_name(start, "misclassified")[0].x) == wrong.sum() + test_wrong.sum()


def test_replay_titles_follow_the_epoch_and_show_divergence(trained):
    data, histories = trained
    h = histories[2]
    early = figures.boundary_figure(h, data, LABELS[2], 2, upto=0).layout.title.text
    late = figures.boundary_figure(h, data, LABELS[2], 2, upto=h.config.epochs).layout.title.text
    assert "diverged" not in early
    assert f"diverged at epoch {h.diverged_at}" in late


def test_every_boundary_spec_is_valid_plotly(trained, boundaries):
    import plotly.graph_objects as go

    data, histories = trained
    big = figures.boundary_figure(histories[0], data, LABELS[0], big=True, height=500, upto=10)
    for fig in [*boundaries, big]:
        go.Figure(fig.to_dict())  # validated: raises for any misspelt property or bad value
    assert big.layout.xaxis.tickfont.size >= 18 and big.layout.height == 500


def test_a_diverged_run_does_not_flatten_the_linear_cost_axis(trained):
    _, histories = trained
    healthy = max(max(h.train_cost.max(), h.test_cost.max()) for h in histories[:2])
    linear = curves.cost_figure(histories, LABELS)
    assert tuple(linear.layout.yaxis.range) == pytest.approx((0, 1.1 * healthy))
    (mark,) = [t for t in linear.data if t.mode == "markers+text"]
    assert mark.y[0] <= linear.layout.yaxis.range[1]
    assert curves.cost_figure(histories, LABELS, log_y=True).layout.yaxis.range is None
    assert curves.cost_figure(histories[:2], LABELS[:2]).layout.yaxis.range is None


def test_test_points_can_be_hidden_and_lie_under_the_training_points(trained, boundaries):
    data, histories = trained
    names = [t.name for t in boundaries[0].data]
    assert names.index("test, class 0") < names.index("train, class 0")  # drawn first: underneath
    fig = figures.boundary_figure(histories[0], data, LABELS[0], show_test=False)
    assert by_name(fig, "test,") == []
    wrong = relu_net_predictions(histories[0].params, data.X_train) != (data.Y_train[0] > 0.5)
    assert len(by_name(fig, "misclassified")[0].x) == wrong.sum()
    assert "test" in fig.layout.title.text  # the accuracy stays in the title


# --- the lessons, as the lab draws them (their data and runs, fewer epochs) --------------------


def short_lesson_run(key: str, epochs: int):
    lesson = LESSONS[key]
    exp = lesson.experiment.with_runs(*(replace(r, epochs=epochs) for r in lesson.experiment.runs))
    return lesson, load_data(exp), run_experiment(exp)


def test_initialization_lesson_draws_its_cost_on_a_log_axis_by_itself():
    lesson, _, histories = short_lesson_run("initialization", 300)
    zeros, random, he = histories
    assert random.train_cost[0] > 500  # confident wrong predictions: J ≈ 1200 at epoch 0
    assert he.train_cost[-1] < 1 and zeros.train_cost[-1] == pytest.approx(np.log(2))
    assert curves.cost_figure(histories, lesson.labels).layout.yaxis.type == "log"
    assert curves.cost_figure(histories, lesson.labels, log_y=False).layout.yaxis.type == "linear"


def test_curves_within_two_decades_keep_a_linear_cost_axis(trained):
    _, histories = trained
    costs = np.concatenate([np.r_[h.train_cost, h.test_cost] for h in histories[:2]])
    assert costs.max() / costs.min() < 100
    assert not curves.wants_log(histories)  # the diverged run's 1e70 does not count
    assert curves.cost_figure(histories[:2], LABELS[:2]).layout.yaxis.type == "linear"
    assert curves.cost_figure(histories[:2], LABELS[:2], log_y=True).layout.yaxis.type == "log"


def test_optimization_lesson_keeps_gd_visible_under_momentum():
    lesson, _, histories = short_lesson_run("optimization", 500)
    gd, momentum, adam = histories
    height = np.ptp(np.concatenate([h.train_cost for h in histories]))
    assert np.max(np.abs(gd.train_cost - momentum.train_cost)) < 0.01 * height  # one line
    assert np.max(np.abs(gd.train_cost - adam.train_cost)) > 0.1 * height
    lines = [t for t in curves.cost_figure(histories, lesson.labels).data if t.mode == "lines"]
    assert [t.name for t in lines] == ["GD", "momentum (same curve as GD)", "Adam"]
    width = [t.line.width for t in lines]
    assert width[0] > width[1] == width[2]  # GD wider, drawn first: underneath momentum


def test_same_curve_means_within_one_percent_of_the_axis_everywhere():
    x = np.linspace(0.0, 1.0, 50)
    near, far, short = x + 0.005, x + 0.05, x[:-1]
    assert curves.covered_by([x, near, far, short, x], span=1.0) == [None, 0, None, None, 0]


def test_regularization_lesson_draws_training_points_over_smaller_hollow_test_points():
    _, data, histories = short_lesson_run("regularization", 1)
    assert data.X_test.shape[1] >= data.X_train.shape[1]  # as many test points as training ones
    fig = figures.boundary_figure(histories[0], data, "none")
    points = [t for t in fig.data if t.name and t.name.startswith(("train,", "test,"))]
    kinds = [t.name.split(",")[0] for t in points]
    assert kinds == ["test", "test", "train", "train"]  # training drawn last: on top
    test, train = points[0].marker, points[2].marker
    assert test.symbol.endswith("-open") and not train.symbol.endswith("-open")
    assert test.size < train.size and test.opacity < 1
