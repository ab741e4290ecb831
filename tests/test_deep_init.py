"""The deep-initialization lesson (docs/design.md §3, after deeplearning.ai's AI Notes) shows,
layer by layer, what each initialization does to a deep tanh network — measured with
nnviz.engine.inspect at epoch 0 and at the end of training. Tolerances say what was measured when
they were chosen.

Measured (circles 300 / 100, 5 × 16 tanh, GD α 0.3, 1,000 epochs, seed 1), spread = standard
deviation of a layer's activations over all units and training points:
- zeros:  every activation 0, at every epoch; cost ln 2; 50% / 50%.
- small:  spread 8.5e-3, 3.6e-4, 1.4e-5, 6.5e-7, 2.6e-8 (÷ ≈ 25 per layer, 0.01·√16 = 0.04);
          ‖dW[l]‖ ≈ 2e-10; unchanged after training; 50% / 50%.
- xavier: spread 0.46, 0.43, 0.38, 0.38, 0.32 at epoch 0, 0.62 in the last layer at the end;
          under 1% saturated; 94% / 91%.
- large:  93–95% of the activations of layers 2–5 at |a| > 0.99; ‖dW[1]‖ 50 at epoch 0, 1e-4
          from epoch 54 on; 61% / 60%.
"""

import math

import numpy as np
import pytest

from nnviz import load_data, run_experiment
from nnviz.engine.config import MAX_HIDDEN_LAYERS, MAX_UNITS
from nnviz.engine.inspect import inside, inspect, layer_stats
from nnviz.engine.lessons import DEEP_INITIALIZATION, INITIALIZATION, LESSONS

pytestmark = pytest.mark.lesson
LN2 = math.log(2)


@pytest.fixture(scope="module")
def lesson():
    """init -> (history, stats at epoch 0, stats at the end, inspection)."""
    exp = DEEP_INITIALIZATION.experiment
    data = load_data(exp)
    out = {}
    for h in run_experiment(exp):
        end = int(h.snapshot_epochs[-1])
        out[h.config.init] = (
            h,
            layer_stats(inside(h, data, 0)),
            layer_stats(inside(h, data, end)),
            inspect(h, data),
        )
    return out


def test_the_lesson_is_a_deep_tanh_net_varying_only_the_init():
    runs = DEEP_INITIALIZATION.experiment.runs
    assert [r.init for r in runs] == ["zeros", "small", "xavier", "random"]
    assert len({r.hidden for r in runs}) == 1 and len({r.optimizer for r in runs}) == 1
    hidden = runs[0].hidden
    assert 5 <= len(hidden) <= MAX_HIDDEN_LAYERS and all(
        16 <= n <= min(32, MAX_UNITS) for n in hidden
    )
    assert {r.activation for r in runs} == {"tanh"}
    assert "deep_initialization" in LESSONS and len(DEEP_INITIALIZATION.labels) == len(runs)
    # the Initialization lesson's circles: one data set for both lessons
    assert DEEP_INITIALIZATION.experiment.data == INITIALIZATION.experiment.data


def test_zeros_every_unit_of_a_layer_identical_at_every_epoch(lesson):
    h, start, end, ins = lesson["zeros"]
    assert [s["unit_spread"] for s in start + end] == [0.0] * 10
    assert not ins.dW_norm.any()  # no hidden gradient: nothing ever breaks the symmetry
    np.testing.assert_allclose(h.train_cost, LN2, atol=1e-9)
    assert h.final["train_accuracy"] == 0.5


def test_small_activations_shrink_layer_by_layer_towards_zero(lesson):
    h, start, end, ins = lesson["small"]
    spreads = [s["spread"] for s in start]
    assert spreads[0] < 0.05
    for prev, nxt in zip(spreads, spreads[1:]):
        assert nxt < prev / 10  # measured ÷ 25 per layer
    assert spreads[-1] < 1e-6  # measured 2.6e-8
    assert ins.dW_norm.max() < 1e-6  # and so do the gradients: measured 4e-10
    assert end[-1]["spread"] < 1e-6  # nothing learned: still collapsed at the end
    assert abs(h.final["train_cost"] - LN2) < 1e-6 and h.final["test_accuracy"] < 0.6


def test_xavier_keeps_the_spread_and_learns(lesson):
    h, start, end, _ins = lesson["xavier"]
    spreads = [s["spread"] for s in start]
    assert min(spreads) > 0.15 and spreads[-1] > spreads[0] / 3  # measured 0.46 -> 0.32
    assert max(s["saturated"] for s in start) < 0.05
    assert end[-1]["spread"] > 0.3  # measured 0.62
    assert h.final["train_accuracy"] >= 0.85 and h.final["test_accuracy"] >= 0.8  # 94% / 91%


def test_large_saturates_at_plus_minus_one_and_its_gradient_vanishes(lesson):
    h, start, end, ins = lesson["random"]
    assert all(s["saturated"] > 0.85 for s in start[1:])  # measured 93-95%
    assert all(s["spread"] > 0.9 for s in start)
    assert end[-1]["saturated"] > 0.85
    # tanh is flat at ±1: after a few epochs almost no gradient reaches the first layer
    assert ins.dW_norm[-1, 0] < 1e-3 * ins.dW_norm[0, 0]  # measured 50 -> 1e-4
    assert ins.dW_norm[-1, 0] < 1e-3 * ins.W_norm[-1, 0]
    xavier = lesson["xavier"][0]
    assert h.final["test_accuracy"] <= xavier.final["test_accuracy"] - 0.15  # 60% vs 91%
