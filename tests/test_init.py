"""Initialization schemes (docs/design.md §2): statistics of the draws, not the draws themselves.

Tolerances come from the sampling distribution: for n draws of N(0, σ²) the sample mean has
standard error σ/√n and the sample standard deviation about σ/√(2n); we allow 5 standard errors.
"""

import math

import numpy as np
import pytest
from scipy import stats

from nnviz.engine.network import INITS, Layout, initial_params

DIMS = (2, 64, 64, 1)  # layer 2 is a 64 x 64 block: 4096 draws with n[l-1] = 64
EXPECTED_SCALE = {
    "random": lambda n_prev: 10.0,
    "xavier": lambda n_prev: math.sqrt(1.0 / n_prev),
    "he": lambda n_prev: math.sqrt(2.0 / n_prev),
    "small": lambda n_prev: 0.01,
}


def layers(init: str, seed: int = 0, dims=DIMS):
    return Layout(dims).to_list(initial_params(dims, init, np.random.default_rng(seed)))


def test_registry_has_the_four_course_schemes_and_too_small():
    assert set(INITS) == {"zeros", "random", "xavier", "he", "small"}


def test_zeros_is_all_zero():
    theta = initial_params(DIMS, "zeros", np.random.default_rng(0))
    assert theta.shape == (Layout(DIMS).size,)
    assert not theta.any()


@pytest.mark.parametrize("init", sorted(INITS))
def test_biases_are_zero_in_every_scheme(init):
    for _W, b in layers(init):
        assert not b.any()


@pytest.mark.parametrize("init", sorted(EXPECTED_SCALE))
def test_weight_scale_matches_the_formula(init):
    W = layers(init)[1][0]  # the 64 x 64 layer
    n = W.size
    sigma = EXPECTED_SCALE[init](W.shape[1])
    assert W.shape == (64, 64)
    assert abs(W.mean()) < 5 * sigma / math.sqrt(n)
    assert abs(W.std(ddof=1) / sigma - 1) < 5 / math.sqrt(2 * n)
    # and the shape of the distribution: the draws divided by the scale look standard normal
    assert stats.kstest(W.ravel() / sigma, "norm").pvalue > 1e-3


@pytest.mark.parametrize("init", sorted(EXPECTED_SCALE))
def test_every_layer_uses_its_own_fan_in(init):
    dims = (2, 64, 64, 64, 1)
    draws = np.concatenate(
        [(W / EXPECTED_SCALE[init](W.shape[1])).ravel() for W, _b in layers(init, 1, dims)]
    )
    n = draws.size
    assert abs(draws.std(ddof=1) - 1) < 5 / math.sqrt(2 * n)


def test_he_is_xavier_times_sqrt2_from_the_same_draws():
    he, xavier, random = layers("he", 3), layers("xavier", 3), layers("random", 3)
    for (Wh, _), (Wx, _), (Wr, _) in zip(he, xavier, random):
        np.testing.assert_allclose(Wh, Wx * math.sqrt(2), rtol=1e-14)
        np.testing.assert_allclose(Wx * math.sqrt(Wx.shape[1]), Wr / 10, rtol=1e-14)


def test_small_is_random_divided_by_1000_from_the_same_draws():
    for (Ws, _), (Wr, _) in zip(layers("small", 3), layers("random", 3)):
        np.testing.assert_allclose(Ws * 1000, Wr, rtol=1e-14)


def test_same_seed_same_weights_different_seed_different_weights():
    a = initial_params(DIMS, "he", np.random.default_rng(42))
    b = initial_params(DIMS, "he", np.random.default_rng(42))
    c = initial_params(DIMS, "he", np.random.default_rng(43))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_shapes_are_the_course_shapes():
    shapes = [(W.shape, b.shape) for W, b in layers("he", dims=(2, 5, 3, 1))]
    assert shapes == [((5, 2), (5, 1)), ((3, 5), (3, 1)), ((1, 3), (1, 1))]
