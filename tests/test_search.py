"""Random search (nnviz.engine.search): the sampler's scales, the seed, coarse-to-fine rounds,
rows equal to training alone, and the lesson "Grid or random".

Oracles: counts per decade against the binomial they must follow, numbers worked by hand
(10^-2 = 0.01, 1 − 10^-2 = 0.99), scipy's Kolmogorov–Smirnov test against the uniform law, and
each run trained alone by ``run_experiment``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.search import (
    GRID_OR_RANDOM,
    GRID_OR_RANDOM_AXES,
    RandomSearch,
    Range,
    from_exponent,
    grid_or_random_search,
    parse_range,
    sample,
)
from nnviz.engine.sweep import Sweep, parse_axis, run_sweep
from nnviz.engine.train import run_experiment
from tests.helpers.histories import assert_same_history

BASE = Experiment(
    DataConfig("moons", samples=120, noise=0.2),
    runs=(RunConfig(hidden=(6, 4), batch_size=32, epochs=20, keep_prob=0.8),),
    seed=4,
)
N = 20_000  # draws for the uniformity tests


def search_of(*texts: str, n: int = 6, seed: int = 0, base: Experiment = BASE) -> RandomSearch:
    return RandomSearch(base, tuple(parse_range(t) for t in texts), n, seed)


def assert_counts_match(counts: np.ndarray, p: np.ndarray) -> None:
    """Each bin's count is Binomial(N, p): within 4.5 standard deviations of N·p (a false alarm
    about once in 150,000 bins), and the counts pass a chi-square test at the 1e-4 level."""
    n = counts.sum()
    sd = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(counts - n * p) < 4.5 * sd), (counts, n * p)
    assert stats.chisquare(counts, n * p).pvalue > 1e-4


# --- the sampler ---------------------------------------------------------------------------------


def test_a_log_range_puts_as_many_runs_in_each_decade():
    (lr,) = sample((parse_range("lr=1e-4:1:log"),), N, np.random.default_rng(1)).T
    assert lr.min() >= 1e-4 and lr.max() <= 1
    decades = np.histogram(np.log10(lr), bins=[-4, -3, -2, -1, 0])[0]
    assert_counts_match(decades, np.full(4, 0.25))  # uniform α would put 90% in 0.1…1


def test_a_1_log_range_is_even_per_decade_of_one_minus_beta():
    (beta1,) = sample((parse_range("beta1=0.9:0.999:1-log"),), N, np.random.default_rng(2)).T
    assert beta1.min() >= 0.9 and beta1.max() <= 0.999
    # 0.9…0.99 and 0.99…0.999 get half the runs each (uniform β would put 91% in the first)
    halves = np.histogram(beta1, bins=[0.9, 0.99, 0.999])[0]
    assert_counts_match(halves, np.array([0.5, 0.5]))
    r = np.log10(1 - beta1)  # β = 1 − 10^r with r uniform in [−3, −1]
    assert stats.kstest(r, stats.uniform(loc=-3, scale=2).cdf).pvalue > 1e-4


def test_a_linear_range_is_uniform():
    (lambd,) = sample((parse_range("lambd=0:2"),), N, np.random.default_rng(3)).T
    assert_counts_match(np.histogram(lambd, bins=np.linspace(0, 2, 9))[0], np.full(8, 1 / 8))


def test_the_scales_map_an_exponent_by_hand():
    r = np.array([-3.0, -2.0, -1.0])
    np.testing.assert_allclose(from_exponent("log", r), [0.001, 0.01, 0.1], rtol=1e-15)
    np.testing.assert_allclose(from_exponent("1-log", r), [0.999, 0.99, 0.9], rtol=1e-15)
    np.testing.assert_array_equal(from_exponent("lin", r), r)
    assert parse_range("beta1=0.9:0.999:1-log").exponents() == pytest.approx((-3, -1))
    assert parse_range("lr=1e-4:1:log").exponents() == pytest.approx((-4, 0))


def test_two_settings_are_drawn_independently():
    lr, beta = sample(
        (parse_range("lr=1e-4:1:log"), parse_range("beta1=0.9:0.999:1-log")),
        N,
        np.random.default_rng(4),
    ).T
    rho = stats.spearmanr(lr, beta).statistic
    assert abs(rho) < 4.5 / math.sqrt(N)  # ≈ N(0, 1/N) under independence


# --- the search ----------------------------------------------------------------------------------


def test_the_sample_seed_reproduces_the_runs_and_another_changes_them():
    one = search_of("lr=1e-4:1:log", "lambd=0:1", seed=7)
    assert one.runs() == search_of("lr=1e-4:1:log", "lambd=0:1", seed=7).runs()
    assert one.runs() != search_of("lr=1e-4:1:log", "lambd=0:1", seed=8).runs()
    # the experiment's seed (data, weights) does not move the settings
    reseeded = search_of("lr=1e-4:1:log", "lambd=0:1", seed=7, base=replace(BASE, seed=99))
    assert [r.lr for r in reseeded.runs()] == [r.lr for r in one.runs()]
    assert len({r.lr for r in one.runs()}) == 6  # six distinct α, not a grid's few


def test_each_round_samples_inside_its_box_and_keeps_the_earlier_rounds():
    coarse = search_of("lr=1e-4:1:log", "beta1=0.9:0.999:1-log", n=40)
    fine = coarse.zoomed(((1e-3, 1e-2), (0.99, 0.995)))
    finer = fine.zoomed(((2e-3, 5e-3), (0.99, 0.992)))
    assert finer.runs()[:40] == coarse.runs() and finer.runs()[:80] == fine.runs()
    assert [c[0] for c in finer.cells()] == [0] * 40 + [1] * 40 + [2] * 40
    second = finer.values(1)
    assert np.all((1e-3 <= second[:, 0]) & (second[:, 0] <= 1e-2))
    assert np.all((0.99 <= second[:, 1]) & (second[:, 1] <= 0.995))
    third = finer.values(2)
    assert np.all((2e-3 <= third[:, 0]) & (third[:, 0] <= 5e-3))
    assert finer.settings((2, 5)) == {"round": 2, "lr": third[5, 0], "beta1": third[5, 1]}


def test_each_round_draws_afresh_not_a_shrunk_copy_of_the_last():
    search = search_of("lr=1e-4:1:log", n=50).zoomed(((1e-3, 1e-2),))
    where = [
        (np.log10(search.values(k)[:, 0]) - low) / (high - low)
        for k, (low, high) in ((0, (-4, 0)), (1, (-3, -2)))
    ]  # each run's place inside its round's range, 0…1
    assert stats.spearmanr(where[0], where[1]).statistic < 0.6


def test_a_round_trains_each_run_as_it_trains_alone():
    search = search_of("lr=1e-3:0.1:log", "lambd=0:1", n=3).zoomed(((1e-2, 0.1), (0, 0.5)))
    result = run_sweep(search)
    assert [row.cell for row in result.rows] == search.cells()
    assert result.records()[4]["round"] == 1
    part = run_sweep(search.part(1))  # round 1 alone: the page's per-round store
    for index, row in enumerate(result.rows):
        (alone,) = run_experiment(search.experiment_at(index))
        assert_same_history(row.history, alone)
        assert row.settings["lr"] == alone.config.lr
    for row, again in zip(result.rows[3:], part.rows):
        assert row.cell == again.cell
        assert_same_history(row.history, again.history)


@pytest.mark.parametrize(
    "text, word",
    [
        ("lr", "FIELD=LOW:HIGH"),
        ("lambd=0:1:log", "low > 0"),
        ("beta1=0.9:1:1-log", "beta1 must be in [0, 1)"),
        ("beta1=0.5:0.9:exp", "scale"),
        ("lambd=1:0", "low must be below high"),
        ("lr=a:1", "'a' is not a number"),
        ("lr=1e-4:1:5:log", "LOW:HIGH[:scale]"),
        ("epochs=1:10", "share"),
        ("batch_size=1:10", "share"),
        ("optimizer=gd:adam", "not a number"),
        ("decay_interval=1:10", "grid"),
        ("lr=0.1:200", "lr must be in (0, 100]"),
        ("lambd=0:inf", "not finite"),
    ],
)
def test_bad_ranges_say_what_is_wrong_in_one_line(text, word):
    with pytest.raises(ValueError) as e:
        parse_range(text)
    assert word in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    "change, word",
    [
        (dict(n=0), "n >= 1"),
        (dict(n=200), "at most 144"),
        (dict(boxes=(((1e-5, 1e-2), (0, 1)),)), "not inside"),
        (dict(boxes=(((1e-3, 1e-2),),)), "each of the 2"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_searches_say_what_is_wrong(change, word):
    search = search_of("lr=1e-4:1:log", "lambd=0:1")
    with pytest.raises(ValueError, match=word):
        replace(search, **change)


def test_a_range_prints_what_parse_range_reads_back():
    for text in ("lr=0.0001:1:log", "beta1=0.9:0.999:1-log", "lambd=0:1:lin"):
        assert parse_range(text).text() == text
        assert parse_range(parse_range(text).text()) == parse_range(text)
    assert parse_range("keep-prob=0.5:1") == Range("keep_prob", 0.5, 1.0, "lin")


# --- the lesson "Grid or random" -----------------------------------------------------------------

SEEDS = range(20)


@pytest.fixture(scope="module")
def grid_and_searches():
    grid = Sweep(GRID_OR_RANDOM, tuple(map(parse_axis, GRID_OR_RANDOM_AXES)))
    searches = [grid_or_random_search(seed) for seed in SEEDS]
    return run_sweep(grid), [run_sweep(s) for s in searches]


@pytest.mark.lesson
def test_grid_or_random_nine_runs_try_three_alphas_or_nine(grid_and_searches):
    grid, searches = grid_and_searches
    assert len(grid.rows) == 9 and len({row.config.lr for row in grid.rows}) == 3
    for result in searches:
        assert len(result.rows) == 9 and len({row.config.lr for row in result.rows}) == 9


@pytest.mark.lesson
def test_grid_or_random_alpha_matters_lambda_barely(grid_and_searches):
    grid, _ = grid_and_searches
    J = grid.grid("train_cost")  # rows α = 1e-3, 0.1, 10; columns λ = 0, 0.005, 0.01
    finite = J[:2]  # α = 10 diverges or stalls
    along_lambda = np.ptp(finite, axis=1).max()
    along_alpha = np.ptp(finite, axis=0).min()
    assert along_lambda < 0.05 * along_alpha, (along_lambda, along_alpha)


@pytest.mark.lesson
def test_grid_or_random_random_search_finds_the_better_run_more_often(grid_and_searches):
    grid, searches = grid_and_searches
    grid_best = np.nanmin(grid.grid("train_cost"))
    random_best = np.array([np.nanmin(r.grid("train_cost")) for r in searches])
    wins = int((random_best < grid_best).sum())
    # measured: 20 of 20 (the grid's best α is 0.1, J ≈ 0.31; α near 1–3 reaches J ≈ 0.1)
    assert wins >= 15, (wins, grid_best, random_best)
