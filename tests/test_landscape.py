"""nnviz.engine.landscape against values from outside it: the trainer's own recorded J,
scikit-learn's log_loss, numpy.linalg.norm per unit, trajectories built here in a known plane."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import log_loss

from nnviz.engine import landscape as ls
from nnviz.engine.config import RunConfig
from nnviz.engine.data import generate
from nnviz.engine.network import Layout, predict_proba
from nnviz.engine.train import train

DATA = generate("moons", 120, 0.25, 0.25, 3)
NET = dict(hidden=(6, 4), activation="tanh", epochs=60, lr=0.02)
RUNS = (RunConfig(lambd=0.0, **NET), RunConfig(lambd=0.7, **NET), RunConfig(optimizer="gd", **NET))


@pytest.fixture(scope="module")
def histories():
    return train(DATA, RUNS, seed=2)


def unit_norms(layout: Layout, theta: np.ndarray) -> list[np.ndarray]:
    """‖row i of W[l]‖ for every layer, from the course's (W, b) list."""
    return [np.linalg.norm(W, axis=1) for W, _b in layout.to_list(theta)]


# --- the slice --------------------------------------------------------------------------------


@pytest.mark.parametrize("directions", ["random", "pca"])
@pytest.mark.parametrize("centre", [0, 1])
def test_centre_of_the_slice_is_the_runs_final_training_cost(histories, centre, directions):
    land = ls.landscape(histories, DATA, centre, directions, seed=4)
    mid = ls.GRID // 2
    assert land.alphas[mid] == 0 and land.betas[mid] == 0
    # the trainer's J at the last epoch, λ term included (λ = 0.7 for run 1)
    assert land.J[mid, mid] == pytest.approx(histories[centre].train_cost[-1], rel=1e-12)
    assert land.J[mid, mid] == pytest.approx(histories[centre].final["train_cost"], rel=1e-12)
    assert land.lambd == RUNS[centre].lambd


def test_slice_off_centre_is_sklearns_log_loss_plus_the_l2_term(histories):
    land = ls.landscape(histories, DATA, centre=1, directions="random", seed=4, n=11)
    h, m = histories[1], DATA.X_train.shape[1]
    for j, i in [(0, 0), (2, 9), (10, 4)]:
        theta = h.theta + land.alphas[i] * land.d[0] + land.betas[j] * land.d[1]
        params = h.layout.to_list(theta)
        p = predict_proba(params, DATA.X_train, "tanh")
        l2 = 0.7 / (2 * m) * sum(np.sum(W**2) for W, _b in params)
        want = log_loss(DATA.Y_train[0], p, labels=[0, 1]) + l2
        assert land.J[j, i] == pytest.approx(want, rel=1e-9)


def test_slice_is_not_flat_and_the_centre_run_sits_low(histories):
    land = ls.landscape(histories, DATA, centre=0, directions="random", seed=1)
    assert land.J.max() > 1.5 * land.J[ls.GRID // 2, ls.GRID // 2]


# --- directions -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_random_directions_have_the_weights_norm_per_unit_and_no_bias(histories, seed):
    h = histories[1]
    d = ls.random_directions(h.layout, h.theta, seed)
    want = unit_norms(h.layout, h.theta)
    for k in range(2):
        for got, norms in zip(unit_norms(h.layout, d[k]), want):
            np.testing.assert_allclose(got, norms, rtol=1e-12)
        assert all(np.all(b == 0) for _W, b in h.layout.to_list(d[k]))
    assert not np.allclose(d[0], d[1])  # two draws, not one direction twice


def test_random_directions_follow_the_seed(histories):
    h = histories[0]
    same = ls.random_directions(h.layout, h.theta, 3), ls.random_directions(h.layout, h.theta, 3)
    np.testing.assert_array_equal(*same)
    assert not np.allclose(same[0], ls.random_directions(h.layout, h.theta, 4))


def test_a_unit_without_weights_gets_a_zero_row():
    layout = Layout((2, 3, 1))
    theta = np.arange(1.0, layout.size + 1)
    W1 = layout.views(theta[None, :])[0][0]
    W1[0, 1] = 0.0  # unit 2 of layer 1 has no incoming weight
    d = ls.filter_normalized(layout, theta, np.random.default_rng(0))
    assert np.all(layout.to_list(d)[0][0][1] == 0)
    assert np.all(np.isfinite(d))


def test_pca_directions_are_orthonormal(histories):
    snapshots = np.vstack([h.snapshots for h in histories])
    d, explained = ls.pca_directions(snapshots, histories[0].theta)
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-12)
    assert 0 < explained[1] <= explained[0] and explained.sum() <= 1 + 1e-12


def test_pca_recovers_a_plane_the_trajectories_lie_in():
    rng = np.random.default_rng(5)
    P = 40
    u, v = np.linalg.qr(rng.standard_normal((P, 2)))[0].T  # a known orthonormal pair
    theta_star = rng.standard_normal(P)
    s, r = rng.standard_normal((2, 30))  # coordinates along u and v, v's smaller
    snapshots = theta_star + np.outer(3 * s, u) + np.outer(r, v)
    d, explained = ls.pca_directions(snapshots, theta_star)
    # the same plane: the projections onto span(d) and span(u, v) are one matrix
    uv = np.stack([u, v])
    np.testing.assert_allclose(d.T @ d, uv.T @ uv, atol=1e-10)
    assert explained.sum() == pytest.approx(1.0)
    assert abs(d[0] @ u) == pytest.approx(1.0, abs=0.05)  # the larger motion first


def test_pca_leading_direction_follows_the_dominant_motion():
    rng = np.random.default_rng(6)
    P = 25
    u = rng.standard_normal(P)
    u /= np.linalg.norm(u)
    theta_star = rng.standard_normal(P)
    snapshots = theta_star + np.outer(np.linspace(5, 0, 20), u)
    snapshots += 0.01 * rng.standard_normal(snapshots.shape)
    d, explained = ls.pca_directions(snapshots, theta_star)
    assert abs(d[0] @ u) > 0.999 and explained[0] > 0.99


def test_pca_of_a_single_snapshot_still_gives_two_directions():
    d, explained = ls.pca_directions(np.ones((1, 5)), np.zeros(5))
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-12)
    assert explained[0] == pytest.approx(1.0) and explained[1] == 0


# --- paths ------------------------------------------------------------------------------------


def test_least_squares_recovers_coordinates_on_non_orthogonal_directions():
    rng = np.random.default_rng(8)
    d = rng.standard_normal((2, 12))
    d[1] += 0.8 * d[0]  # far from orthogonal
    theta_star = rng.standard_normal(12)
    coords = rng.standard_normal((7, 2))
    got, off = ls.project(theta_star + coords @ d, theta_star, d)
    np.testing.assert_allclose(got, coords, atol=1e-12)
    np.testing.assert_allclose(off, 0, atol=1e-12)
    normal = np.linalg.svd(d)[2][2]  # at right angles to both directions: entirely off the plane
    got, off = ls.project((theta_star + normal)[None, :], theta_star, d)
    np.testing.assert_allclose(got, 0, atol=1e-12)
    np.testing.assert_allclose(off, 1)


@pytest.mark.parametrize("directions", ["random", "pca"])
def test_the_centre_runs_path_ends_at_the_centre(histories, directions):
    land = ls.landscape(histories, DATA, centre=1, directions=directions, seed=2)
    np.testing.assert_allclose(land.paths[1].coords[-1], (0, 0), atol=1e-12)
    assert land.paths[1].epochs[-1] == RUNS[1].epochs
    assert np.linalg.norm(land.paths[0].coords[-1]) > 1e-3  # another run ends elsewhere


def test_an_early_stopped_centre_is_the_best_epochs_weights_it_kept():
    runs = [RunConfig(patience=8, **dict(NET, epochs=400, lr=0.05)), RunConfig(**NET)]
    stopped = train(DATA, runs, seed=2)
    h = stopped[0]
    assert h.best_epoch is not None and h.stopped_at is not None  # it did stop early
    assert not np.allclose(h.snapshots[-1], h.theta)  # and went on past the θ it kept
    land = ls.landscape(stopped, DATA, centre=0, directions="pca")
    mid = ls.GRID // 2
    # the trainer's numbers for the kept θ, not those of the last recorded epoch
    assert land.J[mid, mid] == pytest.approx(h.final["train_cost"], rel=1e-12)
    assert land.J[mid, mid] != pytest.approx(h.train_cost[-1], rel=1e-6)
    np.testing.assert_allclose(land.paths[0].final, (0, 0), atol=1e-12)
    assert np.linalg.norm(land.paths[0].coords[-1]) > 1e-3  # the path goes on past θ*
    assert land.paths[0].kept_epoch == h.best_epoch and land.paths[1].kept_epoch is None


@pytest.mark.parametrize("directions", ["random", "pca"])
def test_the_grid_holds_every_path(histories, directions):
    land = ls.landscape(histories, DATA, centre=0, directions=directions, seed=2)
    for path in land.paths:
        assert np.all(np.abs(path.coords[:, 0]) <= land.alphas[-1])
        assert np.all(np.abs(path.coords[:, 1]) <= land.betas[-1])
        np.testing.assert_allclose(path.final, path.coords[-1], atol=1e-12)  # no early stop


def test_pca_paths_lie_mostly_in_their_own_plane(histories):
    land = ls.landscape(histories, DATA, centre=0, directions="pca")
    assert land.explained.sum() > 0.5
    assert np.median(np.concatenate([p.off_plane for p in land.paths])) < 0.5


def test_a_diverged_runs_last_steps_neither_widen_the_grid_nor_steer_pca(histories):
    wild = replace(histories[2], diverged_at=30, snapshots=histories[2].snapshots * 1e6)
    healthy = ls.landscape(histories[:2], DATA, 0, "pca")
    land = ls.landscape([*histories[:2], wild], DATA, 0, "pca")
    np.testing.assert_allclose(np.abs(land.d @ healthy.d.T), np.eye(2), atol=1e-9)
    assert land.alphas[-1] == pytest.approx(healthy.alphas[-1])


# --- what is refused --------------------------------------------------------------------------


def test_runs_of_different_networks_share_no_slice(histories):
    other = train(DATA, [RunConfig(hidden=(3,), epochs=5)], seed=2)[0]
    with pytest.raises(ValueError, match="run 2 has another network"):
        ls.landscape([histories[0], other], DATA)


def test_unknown_directions_are_refused(histories):
    with pytest.raises(ValueError, match="directions must be one of pca, random"):
        ls.landscape(histories, DATA, directions="hessian")
