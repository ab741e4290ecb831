"""K ≥ 3 classes (docs/design.md §7): softmax output, log-sum-exp cost, dZ[L] = Ŷ − Y, argmax.

Oracles from outside the code under test: finite differences of tests/oracle.py's literal softmax
cost, hand-worked numbers, and (below) scikit-learn's MLPClassifier, which uses softmax and
log-loss for 3+ classes.
"""

import json
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from nnviz.cli.main import main
from nnviz.engine.config import DataConfig, RunConfig
from nnviz.engine.data import DataError, Dataset, from_csv, generate
from nnviz.engine.lessons import CLASSES
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    forward,
    log_sum_exp,
    output_cost,
    predict_proba,
    softmax,
    softmax_cross_entropy,
    with_ones,
)
from nnviz.engine.train import gradient, run_experiment, start, train
from nnviz.models.lab_model import DEFAULT, experiment_from_url, url_params
from tests import oracle
from tests.helpers.histories import assert_same_history
from tests.helpers.sklearn_oracle import BETA1, BETA2, EPS, fit_from, sklearn_for


def problem(classes: int, seed: int = 1, m: int = 24):
    """Small points with labels 0..K-1 (every class present) and a (2, 4, 3, K) network."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    labels = (np.arange(m) % classes).astype(float)[None, :]
    rng.shuffle(labels[0])
    layout = Layout((2, 4, 3, classes))
    theta = rng.standard_normal(layout.size) * 0.8
    return X, labels, layout, theta


def nnviz_gradient(theta, layout, X, labels, classes, activation="tanh", lambd=0.0):
    """The trainer's own gradient on the batch: backward with one-hot Y, then its L2 term."""
    run = RunConfig(hidden=layout.dims[1:-1], activation=activation, lambd=lambd, epochs=0)
    data = Dataset(X, labels, np.zeros((2, 0)), np.zeros((1, 0)), classes)
    group = start(data, [run], 0, 0, [theta])
    return gradient(group, with_ones(X), oracle.one_hot(labels, classes), None)[0].copy()


# --- the formulas -----------------------------------------------------------------------------


def test_softmax_by_hand():
    """softmax(0, ln 2, ln 5) = (1, 2, 5) / 8; columns are independent."""
    Z = np.array([[0.0, 3.0], [np.log(2), 3.0], [np.log(5), 3.0]])
    np.testing.assert_allclose(softmax(Z), [[1 / 8, 1 / 3], [2 / 8, 1 / 3], [5 / 8, 1 / 3]])


def test_softmax_cost_matches_the_literal_formula_for_moderate_logits():
    X, labels, layout, theta = problem(4)
    Z = forward(layout.blocks(theta[None, :]), with_ones(X), ACTIVATIONS["tanh"]).Z[-1]
    got = softmax_cross_entropy(Z, oracle.one_hot(labels, 4))[0]
    assert got == pytest.approx(oracle.softmax_cost(layout.to_list(theta), X, labels, "tanh"))


@pytest.mark.parametrize("classes", [3, 4])
def test_dZ_L_is_softmax_minus_Y_by_finite_differences(classes):
    """∂J/∂Z[L] of J(Z) = −(1/m) Σ Y log softmax(Z) (literal) is (Ŷ − Y)/m."""
    rng = np.random.default_rng(classes)
    m = 7
    Z = rng.standard_normal((classes, m)) * 2
    Y = oracle.one_hot(np.arange(m) % classes, classes)

    def J(z_flat):
        Zz = z_flat.reshape(classes, m)
        P = np.exp(Zz) / np.exp(Zz).sum(axis=0)
        return float(-np.sum(Y * np.log(P)) / m)

    want = oracle.numerical_gradient(J, Z.ravel()).reshape(classes, m)
    np.testing.assert_allclose((softmax(Z) - Y) / m, want, atol=1e-9)


@pytest.mark.parametrize("classes", [3, 4])
@pytest.mark.parametrize("activation, lambd", [("tanh", 0.0), ("sigmoid", 0.6)])
def test_network_gradient_matches_finite_differences(classes, activation, lambd):
    X, labels, layout, theta = problem(classes)
    got = nnviz_gradient(theta, layout, X, labels, classes, activation, lambd)

    def J(th):
        return oracle.softmax_cost(layout.to_list(th), X, labels, activation, lambd)

    assert oracle.relative_error(got, oracle.numerical_gradient(J, theta)) < 1e-7


def test_big_logits_stay_finite_and_warning_free():
    """Logits ~1e3: exp would overflow without the max-shift; ours gives exact probabilities."""
    Z = np.array([[1000.0, -1000.0], [999.0, 0.0], [1002.0, 1000.0]])[None]
    Y = oracle.one_hot(np.array([0, 2]), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = softmax(Z.copy())
        J = softmax_cross_entropy(Z, Y)
        lse = log_sum_exp(Z)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(J))
    e = np.exp([-2.0, -3.0, 0.0])  # column 0 shifted by its max 1002
    np.testing.assert_allclose(A[0, :, 0], e / e.sum())
    np.testing.assert_allclose(A[0, :, 1], [0, 0, 1], atol=1e-300)
    # J = ½ [(lse₀ − 1000) + (lse₁ − 1000)], lse₀ = 1002 + log Σe, lse₁ = 1000 + log(1 + e^-1000)
    np.testing.assert_allclose(J[0], 0.5 * (2 + np.log(e.sum()) + 0.0))
    np.testing.assert_allclose(lse[0, 0], [1002 + np.log(e.sum()), 1000.0])


def test_binary_output_keeps_the_sigmoid_cost():
    """n[L] = 1 is the course's binary cross-entropy, not a one-unit softmax (which would be 0)."""
    Z = np.array([[[2.0, -1.0]]])
    Y = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(output_cost(Z, Y), [np.mean(np.log1p(np.exp([-2.0, -1.0])))])


def test_predict_proba_gives_K_probabilities_per_point():
    X, _labels, layout, theta = problem(3)
    P = predict_proba(layout.to_list(theta), X, "tanh")
    _Zs, Z = oracle.forward(layout.to_list(theta), X, "tanh")
    np.testing.assert_allclose(P, np.exp(Z) / np.exp(Z).sum(axis=0))


# --- training ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spiral3() -> Dataset:
    return generate("spiral", 240, 0.2, 0.25, 0, classes=3)


def test_history_records_cost_accuracy_and_per_class_accuracy(spiral3):
    run = RunConfig(hidden=(8,), optimizer="adam", lr=0.02, batch_size=32, epochs=20)
    (h,) = train(spiral3, [run], seed=0, log_every=5)
    assert h.layout.dims == (2, 8, 3) and h.epochs.tolist() == [0, 5, 10, 15, 20]
    assert h.train_class_accuracy.shape == (5, 3) and h.test_class_accuracy.shape == (5, 3)
    for e, theta in zip(h.snapshot_epochs, h.snapshots):
        params = h.layout.to_list(theta)
        i = h.epochs.tolist().index(e)
        X, labels = spiral3.X_train, spiral3.Y_train
        assert h.train_cost[i] == pytest.approx(oracle.softmax_cost(params, X, labels, "relu"))
        _Zs, Z = oracle.forward(params, X, "relu")
        hit = Z.argmax(axis=0) == labels[0]
        assert h.train_accuracy[i] == pytest.approx(hit.mean())
        per = [hit[labels[0] == k].mean() for k in range(3)]
        np.testing.assert_allclose(h.train_class_accuracy[i], per)
    assert h.train_cost[-1] < h.train_cost[0]


def test_lockstep_k_classes_equals_each_run_alone(spiral3):
    common = dict(hidden=(6, 4), batch_size=32, epochs=15)
    runs = [
        RunConfig(optimizer="adam", lr=0.01, **common),
        RunConfig(optimizer="gd", lr=0.3, lambd=0.4, **common),
        RunConfig(optimizer="momentum", lr=0.1, keep_prob=0.8, **common),
    ]
    together = train(spiral3, runs, seed=4, log_every=3)
    for run, h in zip(runs, together):
        assert_same_history(h, train(spiral3, [run], seed=4, log_every=3)[0])
    assert len({h.train_cost[-1] for h in together}) == len(runs)


def test_classes_are_validated_with_one_line():
    with pytest.raises(ValueError, match=r"classes must be in \[2, 6\], got 7"):
        DataConfig(name="spiral", classes=7)
    with pytest.raises(ValueError, match="classes 3 needs dataset spiral, blobs or csv, got 'moo"):
        DataConfig(name="moons", classes=3)
    assert DataConfig(name="blobs", classes=6).classes == 6
    assert RunConfig(hidden=(5,)).dims_for(4) == (2, 5, 4)
    assert RunConfig(hidden=(5,)).dims_for(2) == RunConfig(hidden=(5,)).layer_dims == (2, 5, 1)


# --- data with K classes ------------------------------------------------------------------------


def cs231n_spiral(N: int, K: int, rng: np.random.Generator):
    """CS231n's "Putting it together" spiral, transcribed (randn → rng.standard_normal)."""
    X = np.zeros((N * K, 2))
    y = np.zeros(N * K)
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


@pytest.mark.parametrize("K", [3, 5])
def test_spiral_is_cs231ns_for_K_classes(K):
    d = generate("spiral", 100 * K, 0.2, 0.0, seed=3, classes=K)
    X, y = cs231n_spiral(100, K, np.random.default_rng(3))
    np.testing.assert_array_equal(d.X_train, X.T)
    np.testing.assert_array_equal(d.Y_train[0], y)
    assert d.classes == K


def test_two_class_spiral_and_blobs_are_todays_points():
    """K = 2 draws exactly what the binary generators always drew (parity labels, make_blobs)."""
    d = generate("blobs", 90, 0.1, 0.0, seed=2, classes=2)
    X, y = make_blobs(90, centers=[[-1.0, -1.0], [1.0, 1.0]], cluster_std=0.5, random_state=2)
    np.testing.assert_array_equal(d.X_train, X.T)
    np.testing.assert_array_equal(d.Y_train[0], y)
    s = generate("spiral", 50, 0.0, 0.0, seed=1, classes=2)
    assert s.Y_train[0].tolist() == [i % 2 for i in range(50)] and s.classes == 2


@pytest.mark.parametrize("K", [3, 6])
def test_blobs_for_K_classes_have_every_label(K):
    d = generate("blobs", 120, 0.1, 0.25, seed=0, classes=K)
    assert set(d.Y_train[0].tolist()) == set(range(K)) == set(d.Y_test[0].tolist())


def test_csv_labels_0_to_K_minus_1_give_K_classes():
    rows = "".join(f"{i},{-i},{i % 4}\n" for i in range(12))
    d = from_csv("x1,x2,label\n" + rows, test_fraction=0.25, seed=1)
    assert d.classes == 4 and d.X_train.shape == (2, 9)
    binary = from_csv("x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n3,3,1\n")
    assert binary.classes == 2
    with pytest.raises(DataError, match="test file has label 3; the data has 0..2"):
        from_csv(
            "x1,x2,label\n0,0,0\n1,1,1\n2,2,2\n3,3,1\n",
            test_content="x1,x2,label\n0,0,0\n1,1,3\n2,2,1\n3,3,2\n",
        )


# --- the oracle: scikit-learn's MLPClassifier, softmax and log-loss for 3+ classes -------------

SK_HIDDEN, SK_EPOCHS = (6, 4), 120
SK_TOLERANCE = {"gd": 1e-12, "momentum": 1e-12, "adam": 1e-8}  # reached: 5e-16, 5e-16, 2e-9


@pytest.fixture(scope="module", params=[3, 4])
def sk_setup(request):
    K = request.param
    data = generate("spiral", 24 * K, 0.2, 0.0, seed=5, classes=K)
    layout = Layout((2, *SK_HIDDEN, K))
    rng = np.random.default_rng(K)
    theta0 = np.zeros(layout.size)
    for W, b in layout.views(theta0[None, :]):
        W[0] = rng.standard_normal(W.shape[1:]) * np.sqrt(2 / W.shape[2])
        b[0] = 0.1 * rng.standard_normal(b.shape[1:])  # nonzero biases: their path is checked too
    return data, layout, theta0


def fit_both_k(sk_setup, optimizer: str, lambd: float, batch: int, epochs: int):
    """Our run and sklearn's from the same start, unshuffled; B = ``batch`` (0: full)."""
    data, layout, theta0 = sk_setup
    lr = 0.01 if optimizer == "adam" else 0.1
    run = RunConfig(
        hidden=SK_HIDDEN,
        activation="tanh",
        optimizer=optimizer,
        lr=lr,
        beta1=BETA1,
        beta2=BETA2,
        epsilon=EPS,
        lambd=lambd,
        batch_size=batch,
        shuffle=False,
        epochs=epochs,
    )
    (ours,) = train(data, [run], seed=0, log_every=1, initial=[theta0])
    clf, sk_theta = fit_from(
        layout,
        theta0,
        data.X_train.T,
        data.Y_train[0].astype(int),
        hidden_layer_sizes=SK_HIDDEN,
        activation="tanh",
        alpha=lambd,
        batch_size=batch or data.X_train.shape[1],
        learning_rate="constant",
        max_iter=epochs,
        **sklearn_for(optimizer, lr, EPS),
    )
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == layout.dims[-1]
    return ours, clf, sk_theta


def gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_full_batch_cost_curve_and_weights_match_sklearn(sk_setup, optimizer):
    ours, clf, sk_theta = fit_both_k(sk_setup, optimizer, 0.3, batch=0, epochs=SK_EPOCHS)
    curve = np.array(clf.loss_curve_)
    assert len(curve) == SK_EPOCHS and curve[-1] < 0.8 * curve[0]  # premise: it learned
    assert gap(ours.train_cost[:SK_EPOCHS], curve) < SK_TOLERANCE[optimizer]
    assert gap(ours.theta, sk_theta) < SK_TOLERANCE[optimizer]
    grid = np.random.default_rng(0).uniform(-1, 1, (2, 50))
    np.testing.assert_allclose(
        predict_proba(ours.params, grid, "tanh").T, clf.predict_proba(grid.T), rtol=1e-6
    )


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_in_order_minibatch_weights_match_sklearn(sk_setup, optimizer):
    """B = 10 on 24·K points, the last batch smaller; λ > 0."""
    ours, clf, sk_theta = fit_both_k(sk_setup, optimizer, 0.3, batch=10, epochs=30)
    assert gap(ours.theta, sk_setup[2]) > 0.1  # premise: the weights moved
    assert gap(ours.theta, sk_theta) < SK_TOLERANCE[optimizer]


# --- the command line: --classes, the JSON output and --config -----------------------------------

FAST_K = ["--dataset", "spiral", "--classes", "3", "--samples", "90", "--epochs", "5"]


def cli_json(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_cli_trains_K_classes_and_the_json_loads_back(capsys, tmp_path):
    first = cli_json(capsys, *FAST_K, "--log-every", "1", "--hidden", "7")
    assert first["config"]["data"]["classes"] == 3
    assert len(first["train_class_accuracy"]) == 6 and len(first["train_class_accuracy"][0]) == 3
    saved = tmp_path / "c.json"
    saved.write_text(json.dumps(first))
    again = cli_json(capsys, "--config", str(saved))
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in first.items() if k != "seconds"
    }
    four = cli_json(capsys, "--config", str(saved), "--classes", "4")
    assert four["config"]["data"]["classes"] == 4


def test_cli_binary_json_has_no_class_curves(capsys):
    r = cli_json(capsys, "--epochs", "2")
    assert r["config"]["data"]["classes"] == 2 and "train_class_accuracy" not in r


def test_cli_reads_K_from_a_csv_and_checks_a_given_classes(capsys, tmp_path):
    points = tmp_path / "p.csv"
    points.write_text("x1,x2,label\n" + "".join(f"{i},{i % 5},{i % 4}\n" for i in range(20)))
    r = cli_json(capsys, "--data", str(points), "--epochs", "2", "--hidden", "3")
    assert r["config"]["data"]["classes"] == 4
    assert main(["train", "--data", str(points), "--classes", "3"]) == 2
    err = capsys.readouterr().err
    assert err == "nnviz train: error: --classes 3 does not match the data's labels 0..3\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--classes", "7", "--dataset", "spiral"], "--classes must be in [2, 6], got 7"),
        (["--classes", "1", "--dataset", "blobs"], "--classes must be in [2, 6], got 1"),
        (["--classes", "3"], "--classes 3 needs dataset spiral, blobs or csv, got 'moons'"),
        (["--classes", "three"], "argument --classes: invalid int value: 'three'"),
    ],
)
def test_cli_bad_classes_are_one_line(capsys, args, message):
    assert main(["train", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"nnviz train: error: {message}\n"


def test_sweep_accepts_classes(capsys):
    assert main(["sweep", *FAST_K, "--vary", "lr=0.01,0.1", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"classes": 3' in out and "spiral" in out
    assert json.loads(out)


# --- URL state ----------------------------------------------------------------------------------


def test_url_carries_classes_and_old_links_stay_binary():
    exp = replace(DEFAULT, data=DataConfig(name="spiral", samples=300, classes=3))
    params = url_params(exp)
    assert params["classes"] == "3"
    assert experiment_from_url(params) == (exp, [])
    old = {k: v for k, v in url_params(DEFAULT).items() if k != "classes"}  # a link from before
    assert experiment_from_url(old) == (DEFAULT, [])
    bad, warnings = experiment_from_url({**params, "classes": "9"})
    assert bad.data.classes == 2 and bad.data.name == "spiral"
    assert warnings == [
        "URL value out of range (classes must be in [2, 6], got 9); using the default"
    ]
    moons, warnings = experiment_from_url({**params, "dataset": "moons"})
    assert moons.data.classes == 2 and len(warnings) == 1 and "classes 3 needs" in warnings[0]


# --- the lesson "Classes: why depth matters" (CS231n's case study) -------------------------------


@pytest.mark.lesson
def test_classes_lesson_is_cs231ns_setup():
    exp = CLASSES.experiment
    assert (exp.data.name, exp.data.classes, exp.data.samples) == ("spiral", 3, 300)
    assert (exp.data.noise, exp.data.test_fraction) == (0.2, 0.0)  # 100 points per class, train
    no_hidden, deep = exp.runs
    assert (no_hidden.hidden, deep.hidden) == ((), (100,)) and CLASSES.week == 3
    for run in exp.runs:  # CS231n: step 1, reg 1e-3 on ½·reg·Σ‖W‖² = our λ/(2m)Σ‖W‖², λ = 0.3
        assert (run.optimizer, run.lr, run.batch_size, run.init) == ("gd", 1.0, 0, "small")
        assert run.lambd == pytest.approx(1e-3 * 300) and run.activation == "relu"


@pytest.mark.lesson
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_depth_separates_the_spiral_and_softmax_regression_cannot(seed):
    """CS231n: softmax regression 49% (loss 0.79), the 100-unit network 98% (loss 0.25)."""
    linear, deep = run_experiment(replace(CLASSES.experiment, seed=seed))
    assert 0.42 <= linear.final["train_accuracy"] <= 0.60
    assert 0.70 <= linear.final["train_cost"] <= 0.82
    assert deep.final["train_accuracy"] >= 0.95
    assert deep.final["train_cost"] <= 0.30
    assert np.nanmin(deep.train_class_accuracy[-1]) >= 0.9  # every arm, not two of three


def test_inside_gradients_of_a_K_class_run_match_finite_differences():
    """The Inside panel's gradient (inspect.gradients) uses one-hot Y for K ≥ 3."""
    from nnviz.engine.inspect import gradients

    data = generate("blobs", 40, 0.2, 0.0, seed=1, classes=4)
    run = RunConfig(hidden=(5,), activation="tanh", lambd=0.4, epochs=3, batch_size=0)
    (h,) = train(data, [run], seed=0, log_every=1)
    theta = h.snapshots[1]
    (got,) = gradients(h, data, at=[1])

    def J(th):
        params = h.layout.to_list(th)
        return oracle.softmax_cost(params, data.X_train, data.Y_train, "tanh", 0.4)

    assert oracle.relative_error(got, oracle.numerical_gradient(J, theta)) < 1e-7


def test_the_gradient_check_passes_a_K_class_run_and_hunts_its_bugs():
    """The course's gradient check (nnviz.engine.gradcheck) on a softmax network."""
    from nnviz.engine import gradcheck as gc

    data = generate("spiral", 60, 0.2, 0.0, seed=2, classes=3)
    run = RunConfig(hidden=(4,), activation="tanh", lambd=0.2, epochs=2, batch_size=0)
    (h,) = train(data, [run], seed=0, log_every=1)
    p, theta = gc.problem(h, data), h.snapshots[-1]
    assert p.Y.shape == (3, 60)
    J = oracle.softmax_cost(h.layout.to_list(theta), data.X_train, data.Y_train, "tanh", 0.2)
    assert p.cost(theta[None, :])[0] == pytest.approx(J, rel=1e-12)
    assert gc.check(p, theta).network < gc.THRESHOLD
    wrong = gc.compare(gc.approximate(p, theta), gc.gradient(p, theta, gc.Planted("L2 halved", 2)))
    assert wrong.flagged[1]


def test_the_loss_landscape_of_a_K_class_run_is_its_softmax_cost():
    """nnviz.engine.landscape's f(0, 0) is the run's own J, the softmax cost with its L2 term."""
    from nnviz.engine import landscape

    data = generate("blobs", 60, 0.2, 0.0, seed=3, classes=3)
    (h,) = train(data, [RunConfig(hidden=(5,), lambd=0.3, epochs=5)], seed=0)
    d = np.random.default_rng(0).standard_normal((2, h.layout.size))
    f = landscape.slice_costs(h, data, d, np.array([0.0, 0.5]), np.array([0.0]))
    X, labels = data.X_train, data.Y_train
    want = [
        oracle.softmax_cost(h.layout.to_list(h.theta + a * d[0]), X, labels, "relu", 0.3)
        for a in (0.0, 0.5)
    ]
    np.testing.assert_allclose(f[0], want, rtol=1e-12)
    assert f[0, 0] == pytest.approx(h.final["train_cost"], rel=1e-12)


def test_train_exports_a_K_class_run_as_a_softmax_script(capsys, tmp_path):
    """The script itself is held to train's numbers in tests/test_script_export.py."""
    assert main(["train", *FAST_K, "--export-script", str(tmp_path / "run.py")]) == 0
    assert capsys.readouterr().err == ""
    text = (tmp_path / "run.py").read_text()
    assert "\ndef softmax(" in text and "CLASSES = 3" in text


def test_batch_norm_with_K_classes_passes_the_gradient_check_and_lockstep():
    """Batch norm (hidden layers) under a softmax output: backprop against central differences
    of the training-mode cost, and a BN run in a group equals the run alone."""
    from nnviz.engine import gradcheck as gc

    data = generate("spiral", 60, 0.2, 0.25, seed=4, classes=3)
    bn = RunConfig(hidden=(5, 4), activation="tanh", batch_norm=True, epochs=4, batch_size=16)
    runs = [bn, replace(bn, lr=0.03)]
    together = train(data, runs, seed=0, log_every=1)
    assert_same_history(together[0], train(data, [bn], seed=0, log_every=1)[0])
    h = together[0]
    assert h.train_class_accuracy.shape == (5, 3) and np.isfinite(h.train_cost).all()
    p = gc.problem(h, data)
    assert gc.check(p, h.snapshots[-1]).network < gc.THRESHOLD
