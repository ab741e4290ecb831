"""Cross-check against scikit-learn's MLPClassifier (docs/design.md §5).

Given the same initial weights, full batches and no shuffling, sklearn's ``loss_curve_`` — the
loss of each epoch's forward pass, before that epoch's update, L2 term included as α/(2n)·Σ‖W‖² —
must equal our train_cost at epochs 0 .. E-1, and the final weights must agree. With mini-batches
(``shuffle=False``, the batches in the data's order, the last one smaller) the weights must agree
too: sklearn divides both the cross-entropy gradient and the L2 term α·W by the batch's size.

How the optimizers map:
- gd: sklearn sgd with momentum 0 (velocity = -lr·g).
- momentum: sklearn keeps velocity u = β u - lr_sk g and adds it; with lr_sk = α(1-β₁), u = -α v
  where v is the course's v = β₁ v + (1-β₁) g. Nesterov off.
- adam: sklearn folds both bias corrections into the step size, α√(1-β₂ᵗ)/(1-β₁ᵗ), which
  amounts to ε·√(1-β₂ᵗ) instead of ε; with ε = 1e-12 that moves the curves by up to ~1e-9.
"""

import numpy as np
import pytest

from nnviz.cli.main import main
from nnviz.engine.config import RunConfig
from nnviz.engine.data import generate
from nnviz.engine.network import Layout, predict_proba
from nnviz.engine.train import train
from nnviz.engine.weights import load_npz, save_npz
from tests import oracle
from tests.helpers.sklearn_oracle import BETA1, BETA2, EPS, fit_from, sklearn_for

HIDDEN = (5, 3)
EPOCHS = 150
TOLERANCE = {  # max relative difference of the cost curve, of the final parameters
    "gd": (1e-12, 1e-12),
    "momentum": (1e-12, 1e-12),
    "adam": (1e-9, 1e-8),
}


@pytest.fixture(scope="module")
def setup():
    data = generate("moons", 80, 0.2, 0.0, 3)
    layout = Layout((2, *HIDDEN, 1))
    rng = np.random.default_rng(3)
    theta0 = np.zeros(layout.size)
    for W, b in layout.views(theta0[None, :]):
        W[0] = rng.standard_normal(W.shape[1:]) * np.sqrt(2 / W.shape[2])
        b[0] = 0.1 * rng.standard_normal(b.shape[1:])  # nonzero biases: their path is checked too
    return data, layout, theta0


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def fit_both(
    setup,
    activation: str,
    lambd: float,
    optimizer: str,
    eps: float = EPS,
    batch: int = 0,
    epochs: int = EPOCHS,
):
    """Train our run and sklearn's from the same start, B = ``batch`` (0: full), unshuffled."""
    data, layout, theta0 = setup
    X, Y = data.X_train, data.Y_train
    lr = 0.01 if optimizer == "adam" else 0.05
    run = RunConfig(
        hidden=HIDDEN,
        activation=activation,
        optimizer=optimizer,
        lr=lr,
        beta1=BETA1,
        beta2=BETA2,
        epsilon=eps,
        lambd=lambd,
        batch_size=batch,
        shuffle=False,
        epochs=epochs,
    )
    (ours,) = train(data, [run], seed=0, log_every=1, initial=[theta0])
    clf, sk_theta = fit_from(
        layout,
        theta0,
        X.T,
        Y.ravel(),
        hidden_layer_sizes=HIDDEN,
        activation=activation,
        alpha=lambd,
        batch_size=batch or X.shape[1],
        learning_rate="constant",
        early_stopping=False,
        max_iter=epochs,
        **sklearn_for(optimizer, lr, eps),
    )
    return ours, clf, sk_theta


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("lambd", [0.0, 0.5])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_cost_curve_and_weights_match_sklearn(setup, activation, lambd, optimizer):
    ours, clf, sk_theta = fit_both(setup, activation, lambd, optimizer)
    X = setup[0].X_train
    # sklearn's log loss clips probabilities at float eps: make sure that never happened
    sk_params = [(W.T, b[:, None]) for W, b in zip(clf.coefs_, clf.intercepts_)]
    assert np.abs(oracle.forward(sk_params, X, activation)[1]).max() < 30

    sk_curve = np.array(clf.loss_curve_)
    assert len(sk_curve) == EPOCHS and ours.diverged_at is None
    assert ours.epochs.tolist() == list(range(EPOCHS + 1))
    assert sk_curve[-1] < 0.9 * sk_curve[0]  # the premise: the network really learned something
    cost_tol, theta_tol = TOLERANCE[optimizer]
    assert relative(ours.train_cost[:EPOCHS], sk_curve) < cost_tol
    assert relative(ours.theta, sk_theta) < theta_tol


def test_adams_residual_is_sklearns_epsilon_convention(setup):
    """The Adam gap scales with ε (sklearn's effective ε is ε·√(1-β₂ᵗ)): 100x ε, ~100x the gap."""
    gaps = []
    for eps in (1e-12, 1e-10):
        ours, clf, _ = fit_both(setup, "tanh", 0.0, "adam", eps)
        gaps.append(relative(ours.train_cost[:EPOCHS], np.array(clf.loss_curve_)))
    assert 80 < gaps[1] / gaps[0] < 120


def test_sklearn_predicts_the_same_probabilities(setup):
    """Beyond the curves: after training, both give the same σ(z) everywhere on a grid."""
    ours, clf, _ = fit_both(setup, "relu", 0.0, "gd")
    g1, g2 = np.meshgrid(np.linspace(-1.5, 2.5, 30), np.linspace(-1, 1.5, 30))
    grid = np.vstack([g1.ravel(), g2.ravel()])
    np.testing.assert_allclose(
        predict_proba(ours.params, grid, "relu"), clf.predict_proba(grid.T)[:, 1], rtol=1e-11
    )


MINI_TOLERANCE = {"gd": 1e-12, "momentum": 1e-12, "adam": 1e-8}  # max relative gap of θ


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_minibatch_weights_match_sklearn(setup, activation, optimizer):
    """B = 12 on 80 points (6 batches of 12 and one of 8), λ > 0, 40 epochs: 280 updates."""
    ours, clf, sk_theta = fit_both(setup, activation, 0.5, optimizer, batch=12, epochs=40)
    _data, _layout, theta0 = setup
    assert clf.n_iter_ == 40 and clf.t_ == 40 * 80  # sklearn's t_ counts samples seen
    assert ours.diverged_at is None and ours.epochs[-1] == 40
    assert relative(ours.theta, theta0) > 0.1  # the premise: 280 updates moved the weights
    assert relative(ours.theta, sk_theta) < MINI_TOLERANCE[optimizer]


# --- through the command line: nnviz train --data FILE.csv --no-shuffle ---------------------------

CSV_ROWS, CSV_BATCH, CSV_EPOCHS = 203, 64, 40  # batches of 64, 64, 64 and 11 rows


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory, setup):
    """A 203-row CSV in no particular order, and initial weights saved as an .npz."""
    folder = tmp_path_factory.mktemp("csv")
    data = generate("moons", CSV_ROWS, 0.25, 0.0, 5)
    rows = np.vstack([data.X_train, data.Y_train]).T
    rows = rows[np.random.default_rng(0).permutation(CSV_ROWS)].tolist()  # Python floats, any order
    csv = folder / "points.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{int(c)}\n" for a, b, c in rows))
    _data, layout, theta0 = setup
    weights = folder / "start.npz"
    save_npz(weights, layout.to_list(theta0))
    return folder, csv, weights


def cli_weights(capsys, csv_run, optimizer: str, seed: int, lambd: float) -> np.ndarray:
    """The weights ``nnviz train`` saves: the CSV unshuffled in batches of 64, no test share."""
    folder, csv, weights = csv_run
    out = folder / f"{optimizer}-{seed}.npz"
    argv = ["train", "--data", str(csv), "--test-fraction", "0", "--no-shuffle"]
    argv += ["--batch-size", str(CSV_BATCH), "--epochs", str(CSV_EPOCHS), "--seed", str(seed)]
    argv += ["--hidden", ",".join(map(str, HIDDEN)), "--activation", "tanh", "--lambd", str(lambd)]
    argv += ["--optimizer", optimizer, "--lr", "0.05", "--beta1", str(BETA1)]
    argv += ["--init-from", str(weights), "--save", str(out)]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    return load_npz(out, Layout((2, *HIDDEN, 1)))


def sklearn_on_csv(csv_run, setup, optimizer: str, lambd: float) -> np.ndarray:
    """MLPClassifier(shuffle=False) on the same file, read by NumPy, from the same weights."""
    _folder, csv, _weights = csv_run
    _data, layout, theta0 = setup
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    clf, theta = fit_from(
        layout,
        theta0,
        table[:, :2],
        table[:, 2],
        hidden_layer_sizes=HIDDEN,
        activation="tanh",
        alpha=lambd,
        batch_size=CSV_BATCH,
        learning_rate="constant",
        max_iter=CSV_EPOCHS,
        **sklearn_for(optimizer, 0.05, EPS),
    )
    assert clf.n_iter_ == CSV_EPOCHS
    return theta


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_cli_no_shuffle_on_a_csv_is_sklearns_shuffle_false(capsys, csv_run, setup, optimizer):
    """The file's row order is the batch order: the same weights as sklearn after 40 epochs
    (160 updates, the last batch of each epoch 11 rows), whatever the seed."""
    theta = cli_weights(capsys, csv_run, optimizer, seed=1, lambd=0.5)
    assert relative(theta, setup[2]) > 0.1  # the premise: the weights moved
    assert relative(theta, sklearn_on_csv(csv_run, setup, optimizer, lambd=0.5)) < 1e-10
    again = cli_weights(capsys, csv_run, optimizer, seed=2, lambd=0.5)
    np.testing.assert_array_equal(again, theta)  # the seed draws nothing here: same weights
