"""The update rules of nnviz.engine.optim against arithmetic worked by hand (docs/design.md §2).

Every expected number below is written out from the table in docs/design.md §2, step by step,
with the course's symbols: g the gradient, v the first moment, s the second, t the update count.
"""

import math

import numpy as np
import pytest

from nnviz.engine.optim import OPTIMIZERS, Hyper, moments

ALPHA, BETA1, BETA2, EPS = 0.1, 0.9, 0.999, 1e-8
H = Hyper(lr=ALPHA, beta1=BETA1, beta2=BETA2, epsilon=EPS)
G1, G2, G3 = [0.5, -1.0], [-0.2, 0.4], [0.1, 0.1]


def steps(name: str, grads: list[list[float]], h: Hyper = H) -> tuple[list[np.ndarray], tuple]:
    """Apply ``name``'s update to each gradient in turn; return the steps and the last moments."""
    opt = OPTIMIZERS[name]
    theta = np.array([1.0, 2.0])
    state = opt.init(theta)
    out = []
    for t, g in enumerate(grads, start=1):
        step, state = opt.update(np.array(g), state, h)
        assert state.t == t  # the state counts the updates: t is 1 at the first
        theta = theta - step
        out.append(np.array(step, copy=True))
    return out, moments(state)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_returns_a_new_state_and_leaves_the_one_given_as_it_was(name):
    opt = OPTIMIZERS[name]
    _step, before = opt.update(np.array(G1), opt.init(np.zeros(2)), H)
    kept = [m.copy() for m in moments(before)]
    _step, after = opt.update(np.array(G2), before, H)
    assert (before.t, after.t) == (1, 2)
    assert all(np.array_equal(m, k) for m, k in zip(moments(before), kept, strict=True))
    assert all(not np.array_equal(m, k) for m, k in zip(moments(after), kept, strict=True))


def test_state_starts_at_zero_and_matches_the_table():
    theta = np.array([[1.0, -2.0, 3.0]])
    assert moments(OPTIMIZERS["gd"].init(theta)) == ()
    assert all(opt.init(theta).t == 0 for opt in OPTIMIZERS.values())  # no update yet
    for name, n_moments in (("momentum", 1), ("rmsprop", 1), ("adam", 2)):
        state = moments(OPTIMIZERS[name].init(theta))
        assert len(state) == n_moments
        for moment in state:
            assert moment.shape == theta.shape and not moment.any()


def test_gd_step_is_lr_times_gradient():
    (s1, s2), _ = steps("gd", [G1, G2])
    assert s1.tolist() == pytest.approx([0.1 * 0.5, 0.1 * -1.0], rel=1e-15)  # [0.05, -0.1]
    assert s2.tolist() == pytest.approx([0.1 * -0.2, 0.1 * 0.4], rel=1e-15)  # [-0.02, 0.04]


def test_momentum_three_steps_by_hand():
    (s1, s2, s3), (v,) = steps("momentum", [G1, G2, G3])
    # t=1: v = 0.9·0 + 0.1·[0.5, -1]                  = [0.05, -0.1];     step = 0.1·v
    assert s1.tolist() == pytest.approx([0.005, -0.01], rel=1e-13)
    # t=2: v = 0.9·[0.05, -0.1] + 0.1·[-0.2, 0.4]      = [0.025, -0.05]
    assert s2.tolist() == pytest.approx([0.0025, -0.005], rel=1e-13)
    # t=3: v = 0.9·[0.025, -0.05] + 0.1·[0.1, 0.1]     = [0.0325, -0.035]
    assert s3.tolist() == pytest.approx([0.00325, -0.0035], rel=1e-13)
    assert v.tolist() == pytest.approx([0.0325, -0.035], rel=1e-13)  # the state is the memory


def test_rmsprop_two_steps_by_hand():
    (s1, s2), (s,) = steps("rmsprop", [G1, G2])
    # t=1: s = 0.001·[0.25, 1] = [0.00025, 0.001];  step = 0.1·g / (√s + 1e-8)
    want1 = [0.1 * 0.5 / (math.sqrt(0.00025) + 1e-8), 0.1 * -1.0 / (math.sqrt(0.001) + 1e-8)]
    assert s1.tolist() == pytest.approx(want1, rel=1e-13)
    assert want1 == pytest.approx([3.16227766, -3.16227766], rel=1e-6)  # α·sign(g)/√(1-β₂)
    # t=2: s = 0.999·[0.00025, 0.001] + 0.001·[0.04, 0.16] = [0.00028975, 0.001159]
    want2 = [0.1 * -0.2 / (math.sqrt(0.00028975) + 1e-8), 0.1 * 0.4 / (math.sqrt(0.001159) + 1e-8)]
    assert s2.tolist() == pytest.approx(want2, rel=1e-13)
    assert s.tolist() == pytest.approx([0.00028975, 0.001159], rel=1e-13)


def adam_by_hand() -> list[list[float]]:
    """Two Adam steps on G1, G2 with α 0.1, β₁ 0.9, β₂ 0.999, ε 1e-8, as Python floats."""
    # t=1: v = [0.05, -0.1]; s = [0.00025, 0.001]
    #      v̂ = v / (1 - 0.9) = [0.5, -1];  ŝ = s / (1 - 0.999) = [0.25, 1]
    step1 = [0.1 * 0.5 / (math.sqrt(0.25) + 1e-8), 0.1 * -1.0 / (math.sqrt(1.0) + 1e-8)]
    # t=2: v = [0.025, -0.05]; s = [0.00028975, 0.001159]
    #      v̂ = v / (1 - 0.81) = v / 0.19;  ŝ = s / (1 - 0.998001) = s / 0.001999
    v_hat = [0.025 / 0.19, -0.05 / 0.19]
    s_hat = [0.00028975 / 0.001999, 0.001159 / 0.001999]
    step2 = [0.1 * v / (math.sqrt(s) + 1e-8) for v, s in zip(v_hat, s_hat)]
    return [step1, step2]


def test_adam_two_steps_by_hand():
    (s1, s2), (v, s) = steps("adam", [G1, G2])
    want1, want2 = adam_by_hand()
    assert s1.tolist() == pytest.approx(want1, rel=1e-13)
    assert want1 == pytest.approx([0.1, -0.1], rel=1e-7)  # first Adam step ≈ α·sign(g)
    assert s2.tolist() == pytest.approx(want2, rel=1e-13)
    assert v.tolist() == pytest.approx([0.025, -0.05], rel=1e-13)
    assert s.tolist() == pytest.approx([0.00028975, 0.001159], rel=1e-13)


def test_adam_corrects_the_second_moment_with_beta2_not_beta1():
    (_s1, s2), _ = steps("adam", [G1, G2])
    # the seed notes' typo: ŝ = s / (1 - β₁ᵗ) = s / 0.19 at t=2
    v_hat = [0.025 / 0.19, -0.05 / 0.19]
    s_typo = [0.00028975 / 0.19, 0.001159 / 0.19]
    typo = [0.1 * v / (math.sqrt(s) + 1e-8) for v, s in zip(v_hat, s_typo)]
    assert s2.tolist() == pytest.approx(adam_by_hand()[1], rel=1e-13)
    assert abs(s2[0] - typo[0]) > 0.5 * abs(typo[0])  # ~10x apart: the typo would be caught
    # at t=1 with β₁ = β₂ the two readings coincide, so this test needs distinct betas
    assert BETA1 != BETA2


def test_epsilon_sits_outside_the_square_root():
    # a zero gradient at t=1 gives s = 0: the step is 0/(0 + ε) = 0, not 0/√ε and never NaN
    (s1,), _ = steps("rmsprop", [[0.0, 1e-3]])
    assert s1[0] == 0.0
    # |g| = 1e-3: s = 1e-9, √s = 3.16e-5, so step = 0.1·1e-3/(3.16e-5 + 1e-8)
    assert s1[1] == pytest.approx(0.1 * 1e-3 / (math.sqrt(1e-9) + 1e-8), rel=1e-13)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_rules_read_only_the_hyperparameters_they_declare(name):
    opt = OPTIMIZERS[name]
    fields = {"lr": ALPHA, "beta1": BETA1, "beta2": BETA2, "epsilon": EPS}
    poisoned = Hyper(**{k: (v if k in opt.uses else float("nan")) for k, v in fields.items()})
    got, _ = steps(name, [G1, G2, G3], poisoned)
    want, _ = steps(name, [G1, G2, G3], H)
    assert np.array_equal(np.array(got), np.array(want))


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_per_run_hyperparameter_rows_equal_separate_scalar_calls(name):
    """The trainer's (R, 1) columns must give each row exactly what a scalar call gives it."""
    rows = [
        dict(lr=0.1, beta1=0.9, beta2=0.999, epsilon=1e-8),
        dict(lr=0.01, beta1=0.85, beta2=0.99, epsilon=1e-6),
        dict(lr=0.3, beta1=0.5, beta2=0.9, epsilon=1e-3),
    ]
    column = Hyper(**{k: np.array([[r[k]] for r in rows]) for k in rows[0]})
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((40, 3, 5))  # 40 steps: t reaches values where β^t rounds apart
    opt = OPTIMIZERS[name]
    theta = np.zeros((3, 5))
    state = opt.init(theta)
    alone = [np.zeros(5) for _ in rows]
    alone_state = [opt.init(np.zeros(5)) for _ in rows]
    for g in grads:
        step, state = opt.update(g, state, column)
        theta -= step
        for r, row in enumerate(rows):
            step, alone_state[r] = opt.update(g[r].copy(), alone_state[r], Hyper(**row))
            alone[r] -= step
    for r in range(len(rows)):
        assert np.array_equal(theta[r], alone[r]), f"row {r} differs from its scalar call"


def test_each_rules_display_text_names_exactly_the_hyperparameters_it_uses():
    symbols = {"lr": r"\alpha", "beta1": r"\beta_1", "beta2": r"\beta_2", "epsilon": r"\varepsilon"}
    for opt in OPTIMIZERS.values():
        text = " ".join(opt.formula)
        assert text.startswith(("v", "s", r"\theta"))
        assert {name for name, symbol in symbols.items() if symbol in text} == opt.uses, opt.name
