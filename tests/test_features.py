"""Input features (docs/design.md §7): the network sees x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂.

Oracles: the features' values worked out by hand; scikit-learn's MLPClassifier trained on the
same inputs, transformed here with NumPy (not by nnviz), from the same initial weights — the cost
curve, the weights and the probabilities over the (x₁, x₂) plane must agree.
"""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from nnviz.engine import gradcheck as gc
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import generate
from nnviz.engine.features import FEATURES, PLANE, canonical, labels, transform
from nnviz.engine.inspect import hidden_activations
from nnviz.engine.landscape import landscape
from nnviz.engine.network import Layout, initial_params, predict_proba
from nnviz.engine.train import train
from nnviz.views.figures import misclassified, probability_grid
from tests.helpers.sklearn_oracle import fit_from

X = np.array([[1.0, 0.5], [2.0, -1.0]])  # the points (1, 2) and (0.5, -1)


def test_each_feature_by_hand():
    got = transform(X, tuple(FEATURES))
    want = [
        [1.0, 0.5],  # x₁
        [2.0, -1.0],  # x₂
        [1.0, 0.25],  # x₁²
        [4.0, 1.0],  # x₂²
        [2.0, -0.5],  # x₁x₂
        [0.8414709848078965, 0.479425538604203],  # sin 1, sin 0.5
        [0.9092974268256817, -0.8414709848078965],  # sin 2, sin(-1)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_array_equal(transform(X, ("x2^2", "sinx1")), [[4.0, 1.0], want[5]])


def test_the_default_is_the_plane_itself():
    """(x₁, x₂) hands X over untouched: today's numbers stay exactly what they were."""
    assert transform(X) is X and RunConfig().features == PLANE
    assert RunConfig().layer_dims == (2, 5, 2, 1)
    assert RunConfig(features=("x1^2", "x2^2", "sinx2"), hidden=()).layer_dims == (3, 1)


def test_names_are_read_in_any_order_and_spelling():
    assert canonical(["sin(x2)", "x1**2", "x1"]) == ("x1", "x1^2", "sinx2")
    assert canonical("x1x2+sin x1") == ("x1x2", "sinx1")
    assert canonical(["x₁²", "x1*x2"]) == ("x1^2", "x1x2")
    assert RunConfig(features=["x2", "x1"]) == RunConfig()
    assert labels(("x1^2", "x1x2", "sinx1")) == ["x₁²", "x₁x₂", "sin x₁"]


@pytest.mark.parametrize(
    "given, message",
    [
        (["x3"], "features has no input 'x3'"),
        (["x1", "x1"], "features repeats an input"),
        ([], "features needs at least one"),
        ("", "features needs at least one"),
    ],
)
def test_bad_features_are_one_line(given, message):
    with pytest.raises(ValueError, match=message) as err:
        RunConfig(features=given)
    assert "\n" not in str(err.value)


def test_features_round_trip_through_json():
    exp = Experiment(runs=(RunConfig(features=("x1", "x1^2", "sinx2"), lambd1=0.02),))
    assert Experiment.from_json(exp.to_json()) == exp
    assert '"features": [\n        "x1",' in exp.to_json()
    assert Experiment.from_json('{"runs": [{"lambd": 0.1}]}').runs[0].features == PLANE


# --- scikit-learn on the same transformed inputs ----------------------------------------------

CHOSEN = ("x1^2", "x2^2", "x1x2", "sinx1")
HIDDEN, EPOCHS = (4,), 120


def by_hand(X):
    """The CHOSEN features as sklearn gets them: (m, 4), computed here with NumPy."""
    x1, x2 = X
    return np.column_stack([x1**2, x2**2, x1 * x2, np.sin(x1)])


@pytest.fixture(scope="module")
def fitted():
    data = generate("circles", 120, 0.1, 0.25, 2)
    layout = Layout((len(CHOSEN), *HIDDEN, 1))
    theta0 = initial_params(layout.dims, "he", np.random.default_rng(4))
    run = RunConfig(hidden=HIDDEN, activation="tanh", optimizer="gd", lr=0.5, lambd=0.1,
                    batch_size=0, epochs=EPOCHS, features=CHOSEN)  # fmt: skip
    (ours,) = train(data, [run], seed=0, log_every=1, initial=[theta0])
    clf, sk = fit_from(layout, theta0, by_hand(data.X_train), data.Y_train.ravel(),
                       hidden_layer_sizes=HIDDEN, activation="tanh", solver="sgd", momentum=0.0,
                       learning_rate_init=0.5, alpha=0.1, batch_size=data.X_train.shape[1],
                       max_iter=EPOCHS)  # fmt: skip
    return data, ours, clf, sk


def test_cost_curve_and_weights_match_sklearn_on_the_same_features(fitted):
    _data, ours, clf, sk = fitted
    curve = np.array(clf.loss_curve_)
    assert curve[-1] < 0.7 * curve[0]  # the premise: it learned
    assert np.max(np.abs(ours.train_cost[:EPOCHS] - curve)) < 1e-12
    assert np.max(np.abs(ours.theta - sk)) < 1e-12


def test_the_boundary_and_the_crosses_are_sklearns_over_the_plane(fitted):
    """Every place that draws the network maps the (x₁, x₂) grid through the run's features."""
    data, ours, clf, _sk = fitted
    xs, ys, P = probability_grid(ours.params, "tanh", (-1.5, 1.5, -1.2, 1.2), 25, CHOSEN)
    XX, YY = np.meshgrid(xs, ys)
    grid = np.vstack([XX.ravel(), YY.ravel()])
    want = clf.predict_proba(by_hand(grid))[:, 1].reshape(25, 25)
    np.testing.assert_allclose(P, want, rtol=1e-10)
    wrong = misclassified(ours.params, "tanh", data.X_test, data.Y_test, CHOSEN)
    np.testing.assert_array_equal(wrong, clf.predict(by_hand(data.X_test)) != data.Y_test[0])
    assert ours.test_accuracy[-1] == pytest.approx(1 - wrong.mean())  # the recorder maps too
    np.testing.assert_allclose(
        predict_proba(ours.params, grid, "tanh", CHOSEN), want.ravel(), rtol=1e-10
    )


def test_the_inside_panel_sees_the_features(fitted):
    data, ours, clf, _sk = fitted
    (A,) = hidden_activations(ours, data.X_train, [len(ours.snapshots) - 1])
    W, b = clf.coefs_[0], clf.intercepts_[0]
    np.testing.assert_allclose(A[0].T, np.tanh(by_hand(data.X_train) @ W + b), rtol=1e-10)


def test_the_gradient_check_sees_the_features_and_passes(fitted):
    """The Inside panel's gradient check evaluates J on the run's features (n[0] = 4 here), and
    an L1 run is checked on its cross-entropy and L2 terms (|W| has no derivative at 0)."""
    data, ours, _clf, _sk = fitted
    p = gc.problem(ours, data)
    np.testing.assert_array_equal(p.X, by_hand(data.X_train[:, : p.m]).T)
    c = gc.check(p, ours.theta)
    assert max(c.layers) < gc.THRESHOLD and c.network < gc.THRESHOLD
    l1 = RunConfig(hidden=(3,), lambd1=0.5, features=("x1", "sinx2"), epochs=50)
    (h,) = train(data, [l1], seed=0)
    c = gc.check(gc.problem(h, data), h.theta)
    assert max(c.layers) < gc.THRESHOLD


# --- the loss landscape: J through the run's features, with its L1 term --------------------------


def test_the_landscape_of_an_l1_run_on_features_is_sklearns_log_loss_plus_l1(fitted):
    data = fitted[0]
    runs = [RunConfig(hidden=(4,), activation="tanh", lambd1=0.3, features=CHOSEN, epochs=40)] * 2
    histories = train(data, runs, seed=1)
    land = landscape(histories, data, centre=0, directions="random", seed=2, n=7)
    assert land.J[3, 3] == pytest.approx(histories[0].train_cost[-1], rel=1e-12)  # the centre
    h, m = histories[0], data.X_train.shape[1]
    theta = h.theta + land.alphas[1] * land.d[0] + land.betas[5] * land.d[1]
    params = h.layout.to_list(theta)
    clf_like = predict_proba(params, data.X_train, "tanh", CHOSEN)
    l1 = 0.3 / m * sum(np.abs(W).sum() for W, _b in params)
    want = log_loss(data.Y_train[0], clf_like, labels=[0, 1]) + l1
    assert land.J[5, 1] == pytest.approx(want, rel=1e-9)
    other = train(data, [RunConfig(hidden=(4,), activation="tanh", features=("x1", "x2", "x1x2",
                  "sinx2"), epochs=5)], seed=1)[0]  # fmt: skip
    with pytest.raises(ValueError, match="run 2 has another network"):
        landscape([histories[0], other], data)  # as many inputs, but other ones
