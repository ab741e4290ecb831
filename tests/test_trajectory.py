"""Optimizer paths on 2-D surfaces: the engine's own rules, and the behaviour each lesson claims."""

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.optim import OPTIMIZERS, Hyper
from nnviz.models import playground_settings as pg
from nnviz.playground.surfaces import SURFACES, make_surface
from nnviz.playground.trajectory import (
    MAX_STEPS,
    RULES,
    bias_corrections,
    distance_to_minima,
    first_within,
    gd_steps,
    race,
)

BOWL = SURFACES["bowl"]
START = BOWL.start


def reached(surface, path, tol: float = 0.01) -> int | None:
    return first_within(distance_to_minima(surface, path.theta), tol)


def overshoot(path, minimum) -> float:
    """How far the path goes past the minimum, along the line from its start through it."""
    direction = np.asarray(minimum) - path.theta[0]
    direction /= np.linalg.norm(direction)
    return float(np.max((path.theta - minimum) @ direction))


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_step_is_one_engine_update(name):
    """Replay the path with OPTIMIZERS[name].update on the recorded gradients: same steps."""
    h = Hyper(lr=0.05, beta1=0.8, beta2=0.99, epsilon=1e-8)
    path = race(BOWL, START, {name: h}, 40)[name]
    rule = OPTIMIZERS[name]
    theta = np.array(START)
    state = rule.init(theta)
    for t in range(1, 41):
        g = BOWL.grad(theta)
        np.testing.assert_array_equal(g, path.g[t - 1])
        step, state = rule.update(g, state, h)
        np.testing.assert_allclose(path.step[t - 1], step, rtol=1e-15)
        theta = theta - step
        np.testing.assert_allclose(path.theta[t], theta, rtol=1e-15)


def test_race_calls_the_registry_rule(monkeypatch):
    """No second copy of a formula: swapping the registry's rule changes the playground's path."""
    calls = []
    gd = OPTIMIZERS["gd"]

    def counted(g, state, h):
        calls.append(state.t + 1)  # the update this call makes
        return gd.update(g, state, h)

    monkeypatch.setitem(OPTIMIZERS, "gd", gd._replace(update=counted))
    race(BOWL, START, {"gd": Hyper(lr=0.1)}, 7)
    assert calls == list(range(1, 8))


def test_optimizers_race_independently():
    """Stepping together gives each optimizer the path it would have alone."""
    hypers = {name: Hyper(lr=BOWL.lr[name]) for name in OPTIMIZERS}
    together = race(BOWL, START, hypers, 100)
    for name, h in hypers.items():
        alone = race(BOWL, START, {name: h}, 100)[name]
        np.testing.assert_array_equal(alone.theta, together[name].theta)


def test_ravine_adam_and_rmsprop_reach_the_minimum_before_gd_at_the_same_lr():
    surface = make_surface("bowl", 50.0)
    paths = race(surface, START, {n: Hyper(lr=0.1) for n in ("gd", "rmsprop", "adam")}, 5000)
    t_gd = reached(surface, paths["gd"])
    assert t_gd is not None  # gradient descent gets there too, just slowly
    assert reached(surface, paths["adam"]) < t_gd / 5
    assert reached(surface, paths["rmsprop"]) < t_gd / 5


def test_momentum_099_overshoots_more_than_090():
    lr = Hyper(lr=2.0, beta1=0.99), Hyper(lr=2.0, beta1=0.9)
    far, near = (race(BOWL, START, {"momentum": h}, 600)["momentum"] for h in lr)
    minimum = BOWL.minima[0]
    assert overshoot(far, minimum) > 3.0  # sails several units past the minimum
    assert overshoot(near, minimum) < 0.5
    assert overshoot(far, minimum) > 10 * overshoot(near, minimum)


def test_all_four_converge_on_the_bowl_with_defaults():
    cfg = pg.default_config("bowl")
    for name, path in pg.run(cfg).items():
        assert path.diverged_at is None, name
        assert reached(BOWL, path) is not None, name
        assert distance_to_minima(BOWL, path.theta)[-1] < 0.01, name


def test_huge_lr_diverges_and_is_reported_without_a_warning():
    hypers = {"gd": Hyper(lr=100.0), "adam": Hyper(lr=0.3)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = race(BOWL, START, hypers, 300)
    gd = paths["gd"]
    assert gd.diverged_at is not None and gd.diverged_at > 1
    assert len(gd.theta) == gd.diverged_at  # θ_0 … θ_{t−1}: every point before the bad step
    assert np.isfinite(gd.theta).all() and np.isfinite(gd.loss).all()
    assert len(gd.step) == len(gd.g) == gd.diverged_at - 1
    # the other racer is unaffected and runs to the end
    assert paths["adam"].diverged_at is None and len(paths["adam"].theta) == 301


def test_non_finite_gradient_is_divergence_not_an_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = race(SURFACES["beale"], (1e300, 1e300), {"adam": Hyper(lr=0.1)}, 5)["adam"]
    assert path.diverged_at == 1 and len(path.theta) == 1


def test_steps_are_bounded():
    assert len(race(BOWL, START, {"gd": Hyper(lr=0.1)}, 0)["gd"].theta) == 1
    with pytest.raises(ValueError, match="steps must be in"):
        race(BOWL, START, {"gd": Hyper()}, MAX_STEPS + 1)


# --- what each surface's text and each lesson claim ----------------------------------------


def test_beale_gd_survives_its_default_lr_and_diverges_at_001():
    beale = SURFACES["beale"]
    assert pg.run(pg.default_config("beale"))["gd"].diverged_at is None
    assert race(beale, beale.start, {"gd": Hyper(lr=0.01)}, 100)["gd"].diverged_at is not None


def test_wells_gd_stops_in_the_local_well_momentum_rolls_into_the_global_one():
    wells = SURFACES["wells"]
    paths = pg.run(pg.LESSONS["hump"].config)
    local, deeper = np.array(wells.minima[1]), np.array(wells.minima[0])
    assert np.linalg.norm(paths["gd"].theta[-1] - local) < 0.01
    assert np.linalg.norm(paths["momentum"].theta[-1] - deeper) < 0.01


def test_saddle_adam_and_rmsprop_escape_before_gd():
    paths = pg.run(pg.default_config("saddle"))

    def escape(name):  # first step with |y| > 1
        return int(np.argmax(np.abs(paths[name].theta[:, 1]) > 1))

    assert paths["gd"].diverged_at is None and escape("gd") > 0
    assert escape("adam") < escape("gd") / 2 and escape("rmsprop") < escape("gd") / 2
    assert distance_to_minima(SURFACES["saddle"], paths["gd"].theta) is None


def test_ravine_lesson_adam_arrives_gd_crawls():
    cfg = pg.LESSONS["ravine"].config
    surface = pg.build_surface(cfg)
    paths = pg.run(cfg)
    assert reached(surface, paths["adam"]) is not None
    assert reached(surface, paths["gd"]) is None and reached(surface, paths["momentum"]) is None


def _constant_gradient_steps(name: str, h: Hyper, steps: int, g: float = 2.0) -> np.ndarray:
    """|step| / α of racer ``name`` fed the same gradient ``steps`` times."""
    rule = RULES[name]
    state = rule.init(np.zeros(1))
    steps_taken = []
    for _ in range(steps):
        step, state = rule.update(np.full(1, g), state, h)
        steps_taken.append(step[0])
    return np.array(steps_taken) / h.lr


def test_adam_without_bias_correction_steps_by_the_uncorrected_closed_form():
    """For a constant gradient g, v_t = (1 − β₁ᵗ)·g and s_t = (1 − β₂ᵗ)·g² exactly, so Adam steps
    α·g/(|g| + ε) and Adam without correction α·(1 − β₁ᵗ)·g/(√(1 − β₂ᵗ)·|g| + ε)."""
    h = Hyper(lr=0.3, beta1=0.8, beta2=0.99, epsilon=1e-3)
    t = np.arange(1, 51)
    uncorrected = (1 - 0.8**t) * 2.0 / (np.sqrt(1 - 0.99**t) * 2.0 + 1e-3)
    np.testing.assert_allclose(_constant_gradient_steps("adam_nobias", h, 50), uncorrected)
    corrected = 2.0 / (2.0 + 1e-3)
    np.testing.assert_allclose(_constant_gradient_steps("adam", h, 50), corrected, rtol=1e-6)


def test_bias_lesson_numbers_are_the_uncorrected_step_sizes():
    """The lesson's 3.2·α (t = 1), 6.5·α (t = 10), 2·α (t = 300) and 0.32·α (β₂ = 0.9)."""
    text = pg.LESSONS["bias"].explain
    steps = _constant_gradient_steps("adam_nobias", Hyper(lr=0.3, epsilon=1e-12), 300)
    for t, claimed in ((1, "3.2·α"), (10, "6.5·α"), (300, "2·α")):
        assert claimed in text
        assert f"{steps[t - 1]:.2g}·α" == claimed
    assert steps[0] == pytest.approx(0.1 / math.sqrt(0.001))
    first = _constant_gradient_steps("adam_nobias", Hyper(lr=0.3, beta2=0.9, epsilon=1e-12), 1)
    assert f"{first[0]:.2f}·α" in text and first[0] == pytest.approx(math.sqrt(0.1))


def test_bias_lesson_corrected_adam_steps_alpha_and_arrives_first():
    cfg = pg.LESSONS["bias"].config
    surface = pg.build_surface(cfg)
    paths = pg.run(cfg)
    adam, raw = paths["adam"], paths["adam_nobias"]
    alpha = cfg.racer("adam").lr
    assert raw.hyper == adam.hyper  # the same α, β₁, β₂, ε: only the correction differs
    # first step: α per coordinate corrected, α·(1 − β₁)/√(1 − β₂) ≈ 3.16·α uncorrected
    np.testing.assert_allclose(np.abs(adam.step[0]), alpha, rtol=1e-6)
    np.testing.assert_allclose(np.abs(raw.step[0]), alpha * 0.1 / math.sqrt(0.001), rtol=1e-6)
    # uncorrected Adam leaps out of the picture; corrected Adam stays in it
    x0, x1, y0, y1 = surface.view
    inside = (x0 <= adam.theta[:, 0]) & (adam.theta[:, 0] <= x1)
    assert inside.all() and ((y0 <= adam.theta[:, 1]) & (adam.theta[:, 1] <= y1)).all()
    assert np.abs(raw.theta).max() > max(map(abs, surface.view))
    # both get there; corrected Adam hundreds of steps sooner, and ends closer
    t_adam, t_raw = reached(surface, adam), reached(surface, raw)
    assert t_adam is not None and t_raw is not None and t_raw - t_adam >= 200
    distance = distance_to_minima(surface, np.stack([adam.theta[-1], raw.theta[-1]]))
    assert distance[0] < distance[1]


# --- Adam's internals ----------------------------------------------------------------------


def test_bias_corrections_read_off_the_engine_match_the_closed_form():
    c1, c2 = bias_corrections(0.9, 0.999, 500)
    t = np.arange(1, 501)
    np.testing.assert_allclose(c1, 1 / (1 - 0.9**t), rtol=1e-12)
    np.testing.assert_allclose(c2, 1 / (1 - 0.999**t), rtol=1e-12)
    assert c1[0] == pytest.approx(10.0) and c2[0] == pytest.approx(1000.0)


def test_gd_steps_are_lr_times_g():
    g = np.array([[1.0, -2.0], [0.5, 4.0]])
    np.testing.assert_array_equal(gd_steps(g, 0.3), 0.3 * g)


# --- learning-rate decay -------------------------------------------------------------------


def test_decay_steps_down_alpha_after_each_update_as_the_course_does():
    """One update is one epoch; α is updated after each, so updates 1 and 2 use α₀, update
    t ≥ 2 uses f(t − 2). The course's check: α₀ 0.5, rate 0.3, interval 100 → 0.3846 at 100."""
    base = replace(pg.default_config("bowl"), racers=(pg.Racer("gd", 0.5),), steps=205)
    inverse = pg.run(replace(base, decay="inverse", decay_rate=0.3))["gd"]
    np.testing.assert_allclose(inverse.lr[:4], [0.5, 0.5, 0.5 / 1.3, 0.5 / 1.6])
    cfg = replace(base, decay="scheduled", decay_rate=0.3, decay_interval=100)
    scheduled = pg.run(cfg)["gd"]
    assert set(scheduled.lr[:101]) == {0.5}
    assert scheduled.lr[101] == pytest.approx(0.3846, abs=5e-5)
    # and the steps taken are α_t · g_t: the decayed α reached the update rule
    np.testing.assert_allclose(scheduled.step, scheduled.lr[:, None] * scheduled.g, rtol=1e-15)
    assert pg.run(base)["gd"].lr is None  # constant: no α column to carry


def test_decay_is_tuned_with_alpha0():
    cfg = replace(
        pg.default_config("bowl"),
        racers=(pg.Racer("momentum", 1.0),),
        decay="inverse",
        decay_rate=0.05,
        tune="final",
        steps=150,
    )
    scan = pg.tuned(cfg)["momentum"]
    alone = pg.run(replace(cfg, tune="off", racers=(pg.Racer("momentum", scan.best),)))
    path = pg.run(cfg, {"momentum": scan})["momentum"]
    np.testing.assert_array_equal(path.theta, alone["momentum"].theta)
    k = list(scan.lrs).index(scan.best)
    assert scan.final[k] == pytest.approx(float(path.loss[-1]), rel=1e-9)
