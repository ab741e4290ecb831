"""The fair race: every racer's α scanned over one grid in lockstep, chosen by one criterion."""

from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.optim import Hyper
from nnviz.models import playground_settings as pg
from nnviz.playground import tuning
from nnviz.playground.surfaces import SURFACES
from nnviz.playground.trajectory import distance_to_minima, first_within, gap, race
from nnviz.views.playground_figures import OPTIMIZER_COLORS
from nnviz.views.playground_panels import tuning_figure

BOWL = SURFACES["bowl"]


def test_the_grid_is_one_two_five_per_decade():
    assert tuning.GRID[:4] == (1e-4, 2e-4, 5e-4, 1e-3) and tuning.GRID[-1] == 10.0
    assert len(tuning.GRID) == 16 and np.all(np.diff(tuning.GRID) > 0)


def test_every_scanned_alpha_scores_what_racing_it_alone_gives():
    """The lockstep scan (α an (R, 1) column) equals one race per α."""
    hypers = {"momentum": Hyper(beta1=0.9), "adam_nobias": Hyper()}
    grid = (0.01, 0.3, 3.0, 50.0)
    scans = tuning.tune(BOWL, BOWL.start, hypers, 200, 0.01, "reach", grid=grid)
    for name, h in hypers.items():
        for k, lr in enumerate(grid):
            alone = race(BOWL, BOWL.start, {name: replace(h, lr=lr)}, 200)[name]
            if alone.diverged_at is None:
                assert scans[name].final[k] == pytest.approx(gap(BOWL, alone.loss)[-1], rel=1e-9)
            else:
                assert scans[name].final[k] == np.inf
            t = first_within(distance_to_minima(BOWL, alone.theta), 0.01)
            assert scans[name].reach[k] == (np.inf if t is None else t)


def test_gradient_descent_on_the_bowl_picks_the_largest_stable_alpha():
    """GD on f = ½(x²/κ + y²) multiplies y by (1 − α) each step: α = 5 diverges, α = 2 swings
    y between ±y₀ for ever, α = 1 zeroes y at once and shrinks x fastest of the stable α."""
    scan = tuning.tune(BOWL, BOWL.start, {"gd": Hyper()}, 300, 0.01, "final")["gd"]
    lrs = list(scan.lrs)
    assert scan.best == 1.0 and scan.criterion == "final"
    assert scan.diverged[lrs.index(5.0)] and not scan.diverged[lrs.index(2.0)]
    assert scan.final[lrs.index(2.0)] == pytest.approx(0.5 * BOWL.start[1] ** 2, rel=1e-3)


def test_reach_prefers_the_fewest_steps_and_falls_back_without_a_minimum():
    scan = tuning.tune(BOWL, BOWL.start, {"gd": Hyper()}, 400, 0.01, "reach")["gd"]
    finite = np.isfinite(scan.reach)
    assert scan.criterion == "reach" and scan.reach[list(scan.lrs).index(scan.best)] == min(
        scan.reach[finite]
    )
    saddle = SURFACES["saddle"]
    flat = tuning.tune(saddle, saddle.start, {"adam": Hyper()}, 100, 0.01, "reach")["adam"]
    assert flat.criterion == "final" and np.isinf(flat.reach).all()


def test_bad_criterion_is_refused():
    with pytest.raises(ValueError, match="criterion must be one of"):
        tuning.tune(BOWL, BOWL.start, {"gd": Hyper()}, 10, 0.01, "fastest")


def test_tuned_config_races_at_the_chosen_alpha():
    cfg = replace(pg.default_config("rosenbrock"), tune="reach", steps=800)
    scans = pg.tuned(cfg)
    paths = pg.run(cfg, scans)
    assert list(paths) == list(scans) == [r.optimizer for r in cfg.racers]
    for name, path in paths.items():
        assert path.hyper.lr == scans[name].best
        assert path.hyper.beta2 == cfg.beta2
    rows = pg.table_rows(cfg, paths)
    assert [row["α"] for row in rows] == [f"{scans[n].best:g}" for n in paths]
    assert "fewest steps" in pg.tuning_note(cfg, scans)
    assert pg.tuned(replace(cfg, tune="off")) is None


def test_tuning_figure_draws_each_racers_curve_its_choice_and_its_divergences():
    cfg = replace(pg.default_config("bowl"), tune="final")
    scans = pg.tuned(cfg)
    fig = tuning_figure(scans, "f(θ) − f*")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["Gradient descent", "Momentum", "RMSprop", "Adam"]
    for trace, (name, scan) in zip(lines, scans.items()):
        assert trace.line.color == OPTIMIZER_COLORS[name]
        np.testing.assert_array_equal(trace.x, scan.lrs)
        assert np.isnan(np.asarray(trace.y, float)[scan.diverged]).all()
    chosen = {t.name: t.x[0] for t in fig.data if t.name.endswith("α chosen")}
    assert chosen == {f"{pg.RULES[n].title}: α chosen": s.best for n, s in scans.items()}
    diverged = [t for t in fig.data if t.name == "Gradient descent: diverged"][0]
    assert 5.0 in diverged.x and 1.0 not in diverged.x
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
