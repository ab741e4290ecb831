"""nnviz.models.live: watching a training draws some frames and ends with train()'s result; when
drawing raises (Streamlit's rerun, for a newer change), the trainer stops at once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.train import load_data, run_experiment, train_live
from nnviz.models import live

EXP = Experiment(
    DataConfig("moons", samples=80, noise=0.2, test_fraction=0.25),
    runs=(RunConfig(hidden=(6,), epochs=300), RunConfig(hidden=(6,), epochs=300, lambd=0.5)),
    seed=3,
)


class Clock:
    """A fake clock: each reading advances it by ``step`` seconds."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def frames_of(exp: Experiment, every: float = 0.0):
    data = load_data(exp)
    return train_live(data, exp.runs, exp.seed, exp.log_every, every=every)


def test_watching_ends_with_exactly_what_train_gives():
    drawn, ticks = [], []
    result = live.watch(frames_of(EXP), drawn.append, ticks.append)
    expected = run_experiment(EXP)
    for h, e in zip(result, expected):
        assert np.array_equal(h.train_cost, e.train_cost)
        assert np.array_equal(h.theta, e.theta)
    assert drawn and ticks  # frames were shown while it trained
    assert all(len(f[0].epochs) < len(expected[0].epochs) for f in drawn)  # ...all partial
    epochs = [int(f[0].epochs[-1]) for f in ticks]
    assert epochs == sorted(epochs) and epochs[-1] < EXP.runs[0].epochs


def test_a_raise_while_drawing_stops_the_training_at_once():
    pulled = []

    def counted():
        for frame in frames_of(EXP):
            pulled.append(frame)
            yield frame

    gen = counted()

    class Rerun(Exception):  # stands for Streamlit's RerunException
        pass

    def draw(frame):
        raise Rerun

    with pytest.raises(Rerun):
        live.watch(gen, draw, lambda f: None)
    assert len(pulled) == 2  # the frame being drawn and the one looked ahead: nothing more
    with pytest.raises(StopIteration):
        next(gen)  # closed: the trainer is not left running


def test_drawing_takes_at_most_its_share_of_the_time():
    clock = Clock(step=0.01)
    pacer = live.Pacer(share=0.2, min_gap=0.0, clock=clock)
    for _ in range(1000):  # frames arriving all the time; each drawing takes 5 clock readings
        if pacer.due():
            pacer.draw(lambda: [clock() for _ in range(4)])
    total = clock.now
    assert pacer.drawn > 5
    assert pacer.drawing <= 0.2 * total + 0.05


def test_progress_follows_the_least_advanced_run():
    data = load_data(EXP)
    *_, final = train_live(data, EXP.runs, EXP.seed, every=0.0)
    assert live.progress(final, 300) == (1.0, 300)
    assert live.progress([None, None], 300) == (0.0, 0)


def test_the_starting_point_is_drawn_before_any_training():
    data = load_data(EXP)
    drawn, pulled = [], []

    def counted():
        for frame in train_live(data, EXP.runs, EXP.seed, every=0.0, first=True):
            pulled.append(frame)
            yield frame

    def draw(frame):
        drawn.append((len(pulled), frame))

    result = live.watch(counted(), draw, lambda f: None, first=True)
    pulled_then, start = drawn[0]
    assert pulled_then == 1  # drawn before the trainer was asked for a single epoch
    expected = run_experiment(EXP)
    for h, e in zip(start, expected):
        assert list(h.epochs) == [0]  # the initial parameters, the first point of the curves
        assert h.train_cost[0] == e.train_cost[0]
    for h, e in zip(result, expected):  # and the starting frame changes nothing of the result
        assert np.array_equal(h.theta, e.theta)
    assert not live.has_curves(start) and live.has_curves(result)  # no cost chart at epoch 0


def test_frames_are_no_closer_than_the_browser_can_draw_them():
    clock = Clock(step=0.001)
    pacer = live.pacer_for(charts=4, estimated=10.0)
    pacer.clock = clock
    times = []
    for _ in range(20_000):  # frames arriving all the time, drawing them costing nothing here
        if pacer.due():
            pacer.draw(lambda: times.append(clock.now))
    gaps = np.diff(times)
    assert len(times) > 5 and gaps.min() >= 4 * live.BROWSER_PER_CHART - 0.002
    assert live.pacer_for(charts=1, estimated=10.0).min_gap == live.MIN_GAP  # the plain limit


def test_a_training_too_short_to_watch_draws_no_frame_and_gives_the_same_result():
    assert live.pacer_for(charts=3, estimated=0.9 * live.WATCH_AFTER) is None
    data = load_data(EXP)
    ticks = []
    frames = train_live(data, EXP.runs, EXP.seed, every=0.0, first=True)
    result = live.watch(frames, None, ticks.append, None, first=True)
    assert ticks  # the page still hears of every chunk (where a newer change stops it)
    for h, e in zip(result, run_experiment(EXP)):
        assert np.array_equal(h.theta, e.theta)


def test_a_frame_with_a_later_group_keeps_each_runs_label_and_colour():
    """Batch-norm and plain runs train in separate lockstep groups, one after the other: while
    the first trains, runs 1 and 3 are None, and run 2's curve must still be run 2's."""
    from nnviz.engine.lessons import BATCH_NORM
    from nnviz.models import lab_model as lab
    from nnviz.views.curves import cost_figure
    from nnviz.views.figures import run_color

    exp = BATCH_NORM.experiment
    exp = exp.with_runs(*(replace(r, epochs=4) for r in exp.runs))
    data = lab.load_dataset(exp)
    frames = train_live(data, exp.runs, exp.seed, every=0.0, first=True)
    frame = next(f for f in frames if f[0] is not None and f[1] is None and f[0].epochs[-1] > 0)
    labels = lab.run_labels(exp)
    done, shown, places = live.started(frame, labels)
    assert places == [i for i, r in enumerate(exp.runs) if not r.batch_norm] == [0, 2]
    fig = cost_figure(done, shown, None, places)
    solid = [t for t in fig.data if t.mode == "lines" and t.showlegend]
    assert [t.name for t in solid] == [labels[0], labels[2]]
    assert [t.line.color for t in solid] == [run_color(0), run_color(2)]
