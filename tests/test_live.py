"""nnviz.views.live: watching a training draws some frames and ends with train()'s result; when
drawing raises (Streamlit's rerun, for a newer change), the trainer stops at once."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.train import load_data, run_experiment, train_live
from nnviz.views import live

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
