"""Training: several runs advance together, one batched computation per mini-batch step.

Runs that share data, architecture, batch size and epochs form a group. The group keeps every
run's parameters as one row of an (R, P) buffer; one forward pass, one backward pass and one update
per optimizer advance all of them. Each run still has its own initialization, optimizer, α, β₁, β₂,
ε, λ and keep_prob, and gets exactly the numbers it gets when trained alone (tests check this).

Randomness: a run's streams depend only on the experiment seed and their purpose — initial weights
from ``[seed, 1]``, the batch order from ``[seed, 2]``, the dropout masks from ``[seed, 3]``. So
runs that differ in one setting start from the same draws and see the same batches in the same
order: a fair comparison. It also lets a group draw the shared permutation and the uniform numbers
behind the dropout masks once per step for all its runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.network import (
    ACTIVATIONS,
    Layout,
    backward,
    cross_entropy,
    forward,
    initial_params,
    l2_term,
    with_ones,
)
from nnviz.engine.optim import OPTIMIZERS, Hyper

INIT_STREAM, SHUFFLE_STREAM, DROPOUT_STREAM = 1, 2, 3
AUTO_RECORDS = 500  # about this many history points when log_every is automatic
MAX_SNAPSHOTS = 60  # parameter snapshots kept for the replay


def stream(seed: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, purpose])


@dataclass
class History:
    """What one run did. Lists are aligned with ``epochs``; epoch 0 is before any update."""

    config: RunConfig
    layout: Layout
    epochs: np.ndarray
    train_cost: np.ndarray  # J: cross-entropy + L2 term, whole training set, no dropout
    test_cost: np.ndarray  # cross-entropy only; empty without a test set
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: int | None
    seconds: float  # wall time of the lockstep group this run trained in
    theta: np.ndarray  # final parameters (the last finite ones for a diverged run)
    snapshot_epochs: np.ndarray = field(repr=False)
    snapshots: np.ndarray = field(repr=False)  # (S, P): parameters at snapshot_epochs

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Final [(W1, b1), ..., (WL, bL)] in the course's shapes."""
        return self.layout.to_list(self.theta)

    @property
    def final(self) -> dict[str, float | None]:
        def last(a: np.ndarray) -> float | None:
            return float(a[-1]) if len(a) else None

        return {
            "train_cost": last(self.train_cost),
            "test_cost": last(self.test_cost),
            "train_accuracy": last(self.train_accuracy),
            "test_accuracy": last(self.test_accuracy),
        }

    @property
    def weight_norm(self) -> float:
        """Σ_l ‖W[l]‖²_F of the final weights."""
        return float(l2_term(self.theta[None, :], self.layout.weight_mask)[0])


def record_epochs(epochs: int, log_every: int) -> np.ndarray:
    """0, k, 2k, ... and always the last epoch."""
    k = log_every or max(1, math.ceil(epochs / AUTO_RECORDS))
    return np.unique(np.append(np.arange(0, epochs + 1, k), epochs))


def train(
    data: Dataset,
    runs: Sequence[RunConfig],
    seed: int,
    log_every: int = 0,
    initial: Sequence[np.ndarray | None] | None = None,
) -> list[History]:
    """Train every run; runs with equal ``group_key`` in lockstep. Results in the order given.

    ``initial`` optionally gives a run's starting parameters (a flat vector in Layout order),
    overriding its init scheme. Never raises for a diverging run: it is marked and stopped.
    """
    *_partial, final = train_live(data, runs, seed, log_every, initial, every=math.inf)
    return final  # type: ignore[return-value]


def train_live(
    data: Dataset,
    runs: Sequence[RunConfig],
    seed: int,
    log_every: int = 0,
    initial: Sequence[np.ndarray | None] | None = None,
    *,
    every: float = 0.2,
) -> Iterator[list[History | None]]:
    """Train like ``train``, yielding every run's history so far about every ``every`` seconds.

    Groups train one after another; a run whose group has not started yet is None. The last list
    yielded is complete and equals ``train``'s result (the chunking changes no number). Stop early
    by not asking for more (closing the generator): nothing keeps running in the background.
    """
    initial = list(initial) if initial is not None else [None] * len(runs)
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(run.group_key, []).append(i)
    results: list[History | None] = [None] * len(runs)
    for members in groups.values():
        group = _Group(data, [runs[i] for i in members], seed, log_every)
        group.start([initial[i] for i in members])
        while True:
            done = group.advance(every)
            for i, h in zip(members, group.histories()):
                results[i] = h
            if done:
                break
            yield list(results)
    yield results


def load_data(exp: Experiment) -> Dataset:
    """The data an experiment names (generated; a csv experiment must be given its Dataset)."""
    d = exp.data
    if d.name == "csv":
        raise ValueError("a csv experiment needs its Dataset: use nnviz.from_csv")
    return generate(d.name, d.samples, d.noise, d.test_fraction, exp.seed)


def run_experiment(exp: Experiment, data: Dataset | None = None) -> list[History]:
    """Train all runs of an experiment on its data (or on ``data``, for a user's CSV)."""
    return train(data if data is not None else load_data(exp), exp.runs, exp.seed, exp.log_every)


__all__ = ["History", "train", "train_live", "run_experiment", "load_data", "record_epochs"]


class _Group:
    """Runs of one architecture, batch size and epoch count, trained as one batched network."""

    def __init__(self, data: Dataset, runs: list[RunConfig], seed: int, log_every: int):
        first = runs[0]
        self.data, self.seed = data, seed
        self.act = ACTIVATIONS[first.activation]
        self.layout = Layout(first.layer_dims)
        self.epochs = first.epochs
        self.batch = first.batch_width(data.X_train.shape[1])
        # rows sorted by optimizer, so each optimizer updates one contiguous block of rows
        names = list(OPTIMIZERS)
        self.order = sorted(range(len(runs)), key=lambda i: names.index(runs[i].optimizer))
        self.runs = [runs[i] for i in self.order]
        self.records = record_epochs(self.epochs, log_every)
        stride = math.ceil(len(self.records) / MAX_SNAPSHOTS)
        self.snap_at = set(self.records[::stride].tolist()) | {int(self.records[-1])}

    def _column(self, name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in self.runs], dtype=float)[:, None]

    def _updates(self, theta: np.ndarray, grad: np.ndarray) -> list[tuple]:
        """(update rule, θ rows, gradient rows, state, hyperparameters) per optimizer present."""
        updates, start = [], 0
        for name, opt in OPTIMIZERS.items():
            n = sum(r.optimizer == name for r in self.runs)
            if n:
                rows = slice(start, start + n)
                h = Hyper(*(_compact(self._column(k)[rows]) for k in Hyper.__annotations__))
                updates.append((opt.update, theta[rows], grad[rows], opt.init(theta[rows]), h))
                start += n
        return updates

    def run(self, initial: list[np.ndarray | None]) -> list[History]:
        self.start(initial)
        self.advance(math.inf)
        return self.histories()

    def start(self, initial: list[np.ndarray | None]) -> None:
        """Initial parameters, optimizer state and the epoch-0 record; no update yet."""
        self.t0 = time.perf_counter()
        self.theta = np.stack(
            [
                initial[i]
                if initial[i] is not None
                else initial_params(self.layout.dims, run.init, stream(self.seed, INIT_STREAM))
                for run, i in zip(self.runs, self.order)
            ]
        ).astype(float)
        with np.errstate(all="ignore"):
            self.step = self._stepper(self.theta)
            self.X1, self.Y = with_ones(self.data.X_train), self.data.Y_train
            self.shuffle = stream(self.seed, SHUFFLE_STREAM)
            self.rec = _Recorder(self, len(self.runs))
            self.alive = np.ones(len(self.runs), dtype=bool)
            self.rec.record(0, self.theta, self.alive)
        self.epoch, self.done = 0, self.epochs == 0

    def advance(self, seconds: float) -> bool:
        """Train epochs until done or about ``seconds`` have passed; True when done."""
        deadline = time.perf_counter() + seconds
        # overflow is detected and reported, never warned; and one BLAS thread: our matrices are
        # tiny, and threads only wait for each other (2x slower on a busy 2-core machine)
        with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
            while not self.done:
                self._epoch()
                if time.perf_counter() > deadline:
                    break
        return self.done

    def _epoch(self) -> None:
        """One epoch of mini-batch steps; then stop diverged runs and record."""
        theta, alive, rec = self.theta, self.alive, self.rec
        self.epoch += 1
        epoch = self.epoch
        for Xb, Yb in self._batches(self.X1, self.Y, self.shuffle):
            self.step(Xb, Yb)
        if not math.isfinite(theta.sum()):  # cheap test first: NaN and inf reach the sum
            self._stop_diverged(epoch, theta, alive, rec)
        if alive.any() and epoch in rec.wanted:
            rec.record(epoch, theta, alive)
        self.done = epoch >= self.epochs or not alive.any()

    def histories(self) -> list[History]:
        """Every run's history so far, in the order the runs were given."""
        rec, seconds = self.rec.result(), time.perf_counter() - self.t0
        out = [self._history(k, rec, seconds) for k in range(len(self.runs))]
        return [out[self.order.index(i)] for i in range(len(self.runs))]

    def _batches(self, X1: np.ndarray, Y: np.ndarray, shuffle: np.random.Generator):
        """One epoch's mini-batches: a new permutation, cut every B columns."""
        m = X1.shape[1]
        if self.batch >= m:
            yield X1, Y  # full batch: no shuffling
            return
        perm = shuffle.permutation(m)
        Xp, Yp = X1[:, perm], Y[:, perm]
        for k in range(0, m, self.batch):
            yield Xp[:, k : k + self.batch], Yp[:, k : k + self.batch]

    def _stepper(self, theta: np.ndarray):
        """step(Xb, Yb): one update of every run — forward, backward, L2 gradient, update."""
        R = len(self.runs)
        grad = np.zeros_like(theta)
        blocks, grad_blocks = self.layout.blocks(theta), self.layout.blocks(grad)
        updates = self._updates(theta, grad)
        wmask, lambd = self.layout.weight_mask, self._column("lambd")
        use_l2 = bool(np.any(lambd > 0))
        keep = self._column("keep_prob")[:, :, None]  # (R, 1, 1)
        dropout = stream(self.seed, DROPOUT_STREAM) if np.any(keep < 1) else None
        buffers: dict[int, list[np.ndarray]] = {}  # reusable hidden [A; 1] per batch width
        t = 0

        def step(Xb: np.ndarray, Yb: np.ndarray) -> None:
            nonlocal t
            B, t = Xb.shape[1], t + 1
            if B not in buffers:
                buffers[B] = [with_ones(np.zeros((R, n, B))) for n in self.layout.dims[1:-1]]
            masks = self._masks(dropout, keep, B) if dropout is not None else None
            Zs, As = forward(blocks, Xb, self.act, masks, buffers[B])
            backward(blocks, Zs, As, Yb, self.act, grad_blocks, masks)
            if use_l2:
                grad[...] += (lambd / B) * (theta * wmask)  # (λ/m) W, weights only
            for update, theta_rows, grad_rows, state, h in updates:
                theta_rows -= update(grad_rows, state, t, h)

        return step

    @staticmethod
    def _stop_diverged(epoch: int, theta: np.ndarray, alive: np.ndarray, rec: _Recorder) -> None:
        newly_bad = alive & ~np.isfinite(theta).all(axis=1)
        if newly_bad.any():
            rec.diverge(epoch, newly_bad)
            alive &= ~newly_bad
            theta[newly_bad] = 0.0  # keeps NaN out of later arithmetic; never reported

    def _masks(self, rng: np.random.Generator, keep: np.ndarray, B: int) -> list[np.ndarray]:
        """Inverted dropout: D/keep_prob per hidden layer, one uniform draw shared by all runs."""
        return [
            (rng.random((n, B)) < keep) / keep for n in self.layout.dims[1:-1]
        ]  # runs with keep_prob 1 get exact ones

    def _history(self, k: int, rec: dict, seconds: float) -> History:
        n = rec["count"][k]
        snaps = [(e, s[k]) for e, s in rec["snapshots"] if e <= rec["last_epoch"][k]]
        return History(
            config=self.runs[k],
            layout=self.layout,
            epochs=rec["epochs"][:n].copy(),
            train_cost=rec["train_cost"][k, :n].copy(),
            test_cost=rec["test_cost"][k, :n].copy() if self.data.has_test else np.zeros(0),
            train_accuracy=rec["train_accuracy"][k, :n].copy(),
            test_accuracy=rec["test_accuracy"][k, :n].copy() if self.data.has_test else np.zeros(0),
            diverged_at=rec["diverged_at"][k],
            seconds=seconds,
            theta=rec["last_theta"][k].copy(),
            snapshot_epochs=np.array([e for e, _ in snaps], dtype=int),
            snapshots=np.array([s for _, s in snaps]).reshape(len(snaps), -1),
        )


def _compact(column: np.ndarray) -> float | np.ndarray:
    """A plain float when every run of the block shares the value: cheaper in the hot loop."""
    return float(column[0, 0]) if np.all(column == column[0, 0]) else column


class _Recorder:
    """Evaluates J, test cross-entropy and accuracies of all runs at the recorded epochs."""

    def __init__(self, group: _Group, R: int):
        self.g, self.R = group, R
        self.wanted = set(group.records.tolist())
        n = len(group.records)
        self.arrays = {k: np.full((R, n), np.nan) for k in _METRICS}
        self.count = np.zeros(R, dtype=int)
        self.epochs: list[int] = []
        self.diverged_at: list[int | None] = [None] * R
        self.last_epoch = [0] * R
        self.last_theta = np.zeros((R, group.layout.size))
        self.snapshots: list[tuple[int, np.ndarray]] = []
        d = group.data
        self.train_set = (with_ones(d.X_train), d.Y_train)
        self.test_set = (with_ones(d.X_test), d.Y_test) if d.has_test else None
        lambd = np.array([r.lambd for r in group.runs])
        self.l2_factor = lambd / (2 * d.X_train.shape[1])  # λ / (2m), whole training set

    def _evaluate(self, theta: np.ndarray, X1: np.ndarray, Y: np.ndarray):
        Zs, _As = forward(self.g.layout.blocks(theta), X1, self.g.act)
        Z = Zs[-1]
        accuracy = np.add.reduce((expit(Z) > 0.5) == (Y > 0.5), axis=-1)[:, 0] / Y.shape[-1]
        return cross_entropy(Z, Y), accuracy

    def record(self, epoch: int, theta: np.ndarray, alive: np.ndarray) -> None:
        ce, acc = self._evaluate(theta, *self.train_set)
        J = ce + self.l2_factor * l2_term(theta, self.g.layout.weight_mask)
        test_ce, test_acc = (
            self._evaluate(theta, *self.test_set) if self.test_set else (ce * 0, ce * 0)
        )
        bad = alive & ~(np.isfinite(J) & np.isfinite(test_ce))
        if bad.any():
            self.diverge(epoch, bad)
            alive &= ~bad
        col = len(self.epochs)
        self.epochs.append(epoch)
        for name, values in zip(_METRICS, (J, test_ce, acc, test_acc)):
            self.arrays[name][alive, col] = values[alive]
        self.count[alive] = col + 1
        self.last_theta[alive] = theta[alive]
        for r in np.flatnonzero(alive):
            self.last_epoch[r] = epoch
        if epoch in self.g.snap_at:
            self.snapshots.append((epoch, theta.copy()))

    def diverge(self, epoch: int, which: np.ndarray) -> None:
        for r in np.flatnonzero(which):
            self.diverged_at[r] = epoch

    def result(self) -> dict:
        return {
            **self.arrays,
            "epochs": np.array(self.epochs, dtype=int),
            "count": self.count,
            "diverged_at": self.diverged_at,
            "last_epoch": self.last_epoch,
            "last_theta": self.last_theta,
            "snapshots": self.snapshots,
        }


_METRICS = ("train_cost", "test_cost", "train_accuracy", "test_accuracy")
