"""The lab's fair race (nnviz.engine.tune): the chosen α is the grid's best by the criterion,
computed here by training every (optimizer, α) alone through the lab's own path."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.train import run_experiment
from nnviz.engine.tune import CRITERIA, GRID, choose, race, scan, tune
from nnviz.playground import tuning

# momentum at α = 100 with λ = 50 diverges; the other runs train
EXP = Experiment(
    data=DataConfig("moons", samples=200, noise=0.25),
    runs=(RunConfig(hidden=(5, 2), lambd=50.0, epochs=40), RunConfig(lambd=0.0, epochs=40)),
    seed=5,
)
OPTIMIZERS = ("gd", "momentum", "adam")
LRS = (0.003, 0.03, 0.3, 100.0)


@pytest.fixture(scope="module")
def alone() -> dict[tuple[str, float], object]:
    """Every (optimizer, α) trained alone: the lab's first run with them."""
    out = {}
    for name in OPTIMIZERS:
        for lr in LRS:
            (h,) = run_experiment(EXP.with_runs(replace(EXP.runs[0], optimizer=name, lr=lr)))
            out[name, lr] = h
    return out


def final_J(h) -> float:
    return math.inf if h.diverged_at is not None else float(h.train_cost[-1])


def test_the_grid_is_one_two_five_per_decade():
    assert GRID[:4] == (1e-4, 2e-4, 5e-4, 1e-3) and GRID[-1] == 10.0 and len(GRID) == 16


# --- the one tuner, shared with the playground: hand-worked scores ------------------------------

LRS4 = np.array([0.1, 0.2, 0.5, 1.0])
FINAL4 = np.array([3.0, 1.0, 2.0, math.inf])  # α = 1 diverged
REACH4 = np.array([math.inf, 7.0, 7.0, math.inf])  # α = 0.2 and 0.5 both reach at step 7


def test_final_chooses_the_lowest_final_loss():
    s = choose("gd", LRS4, FINAL4, REACH4, "final")
    assert (s.index, s.best, s.criterion) == (1, 0.2, "final")
    assert list(s.diverged) == [False, False, False, True]


def test_reach_chooses_the_fewest_steps_and_breaks_a_tie_by_the_lower_final_loss():
    final = np.array([3.0, 2.0, 1.0, math.inf])  # now α = 0.5 ends lower than α = 0.2
    assert choose("gd", LRS4, FINAL4, REACH4, "reach").best == 0.2
    assert choose("gd", LRS4, final, REACH4, "reach").best == 0.5
    early = np.array([9.0, 7.0, 7.0, 2.0])  # the fewest steps wins over a lower final loss
    assert choose("gd", LRS4, final, early, "reach").best == 1.0


def test_reach_falls_back_to_final_and_all_diverged_chooses_the_smallest_alpha():
    never = np.full(4, math.inf)
    s = choose("gd", LRS4, FINAL4, never, "reach")
    assert (s.best, s.criterion) == (0.2, "final")
    s = choose("gd", LRS4, never, never, "final")
    assert (s.best, s.criterion) == (0.1, "final")


def test_scan_scores_the_grid_once_and_chooses_per_optimizer():
    asked = []

    def scores(lrs):
        asked.append(lrs)
        return np.stack([FINAL4, FINAL4[::-1]]), np.stack([REACH4, REACH4])

    scans = scan(("gd", "adam"), scores, "final", grid=tuple(LRS4))
    assert len(asked) == 1 and np.array_equal(asked[0], LRS4)
    assert {name: s.best for name, s in scans.items()} == {"gd": 0.2, "adam": 0.5}
    with pytest.raises(ValueError, match="criterion must be one of final, reach"):
        scan(("gd",), lambda lrs: pytest.fail("scored"), "best")


def test_the_playground_tunes_with_the_same_grid_criteria_and_choice():
    assert tuning.GRID is GRID and tuning.scan is scan
    assert set(tuning.CRITERIA) == set(CRITERIA)
    assert CRITERIA["final"].startswith("lowest final") and "f − f*" in tuning.CRITERIA["final"]


def test_final_criterion_chooses_the_lowest_final_cost_of_each_trained_alone(alone):
    tunings = tune(EXP, "final", optimizers=OPTIMIZERS, grid=LRS)
    assert any(math.isinf(final_J(h)) for h in alone.values())  # a diverged run is in the grid
    for name in OPTIMIZERS:
        scores = [final_J(alone[name, lr]) for lr in LRS]
        t = tunings[name]
        assert t.best == LRS[int(np.argmin(scores))] and t.criterion == "final"
        np.testing.assert_allclose(t.final, scores, rtol=1e-12)
        assert list(t.diverged) == [math.isinf(s) for s in scores]
        # the race's lane is that run, with the numbers it has alone
        np.testing.assert_array_equal(t.history.train_cost, alone[name, t.best].train_cost)


def test_reach_criterion_chooses_the_first_to_the_tolerance_ties_by_lower_cost(alone):
    tol = 0.6
    tunings = tune(EXP, "reach", tol, optimizers=OPTIMIZERS, grid=LRS)
    for name in OPTIMIZERS:
        hs = [alone[name, lr] for lr in LRS]
        reach = []
        for h in hs:
            hit = [e for e, J in zip(h.epochs, h.train_cost) if J < tol]
            reach.append(hit[0] if hit and h.diverged_at is None else math.inf)
        t = tunings[name]
        if all(math.isinf(r) for r in reach):
            assert t.criterion == "final"
            continue
        ranked = sorted(range(len(LRS)), key=lambda k: (reach[k], final_J(hs[k])))
        assert t.best == LRS[ranked[0]] and t.criterion == "reach"
        assert list(t.reach) == reach


def test_an_unreachable_tolerance_falls_back_to_the_final_cost():
    tunings = tune(EXP, "reach", 1e-9, optimizers=("adam",), grid=(0.01, 0.1))
    assert tunings["adam"].criterion == "final" and np.isinf(tunings["adam"].reach).all()


def test_the_race_is_the_first_run_once_per_optimizer_at_its_alpha():
    tunings = tune(EXP, "final", optimizers=("gd", "adam"), grid=(0.01, 0.1))
    exp = race(EXP, tunings)
    assert [r.optimizer for r in exp.runs] == ["gd", "adam"]
    assert [r.lr for r in exp.runs] == [tunings["gd"].best, tunings["adam"].best]
    assert all(
        replace(r, optimizer="gd", lr=0.01) == replace(EXP.runs[0], optimizer="gd", lr=0.01)
        for r in exp.runs
    )
    assert exp.data == EXP.data and exp.seed == EXP.seed


@pytest.mark.parametrize(
    "kwargs, message",
    [({"criterion": "best"}, "criterion must be one of"), ({"tol": 0.0}, "tol must be")],
)
def test_bad_options_raise_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tune(EXP, **{"grid": (0.01,), "optimizers": ("gd",), **kwargs})
    assert set(CRITERIA) == {"final", "reach"}
