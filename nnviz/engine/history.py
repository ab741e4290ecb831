"""What a run did: the History the views read, and the Recorder that fills it while a group trains.

At each recorded epoch the Recorder evaluates every run of a lockstep group on the whole training
set (J with its L2 and L1 terms, no dropout) and on the test set (cross-entropy only), in one
batched forward pass per set, and keeps a few parameter snapshots for the replay. Batch norm runs
are evaluated with their running statistics, folded into W and b (batchnorm.fold), never the
batch's.
With K ≥ 3 classes it also keeps each class's accuracy (the share of that class's points
predicted as it: its recall).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nnviz.engine.config import RunConfig
from nnviz.engine.data import Dataset
from nnviz.engine.features import transform
from nnviz.engine.network import (
    Activation,
    Layout,
    Workspace,
    forward,
    l1_term,
    l2_term,
    output_cost,
    predicted_class,
    targets,
    with_ones,
)

__all__ = ["History", "Recorder", "record_epochs", "AUTO_RECORDS", "MAX_SNAPSHOTS"]

AUTO_RECORDS = 500  # about this many history points when log_every is automatic
MAX_SNAPSHOTS = 60  # parameter snapshots kept for the replay


@dataclass
class History:
    """What one run did. Lists are aligned with ``epochs``; epoch 0 is before any update."""

    config: RunConfig
    layout: Layout
    epochs: np.ndarray
    train_cost: np.ndarray  # J: cross-entropy + L2 and L1 terms, whole training set, no dropout
    test_cost: np.ndarray  # cross-entropy only; empty without a test set
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    lr: np.ndarray  # α in effect at each recorded epoch (the run's decay schedule)
    diverged_at: int | None
    seconds: float  # wall time of the lockstep group this run trained in
    theta: np.ndarray  # final parameters (the last finite ones for a diverged run)
    snapshot_epochs: np.ndarray = field(repr=False)
    snapshots: np.ndarray = field(repr=False)  # (S, P): parameters at snapshot_epochs
    stopped_at: int | None = None  # early stopping stopped it after this epoch
    best_epoch: int | None = None  # early stopping kept θ of this epoch (``theta``)
    best: dict[str, float] | None = field(default=None, repr=False)  # θ of best_epoch's numbers
    # K ≥ 3 only: (records, K), each class's accuracy at each recorded epoch; (records, 0) else
    train_class_accuracy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    test_class_accuracy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    @property
    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Final [(W1, b1), ..., (WL, bL)] in the course's shapes."""
        return self.layout.to_list(self.theta)

    def eval_params(self, theta: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) per layer computing what the run computes at evaluation, from ``theta`` (the
        final parameters when None): ``params`` itself, or with batch norm's running statistics
        folded in. Boundaries and predictions use these."""
        theta = self.theta if theta is None else theta
        if not self.layout.batch_norm:
            return self.layout.to_list(theta)
        Wb = self.layout.eval_blocks(theta[None, :], self.config.bn_epsilon)[1:]
        return [(block[0, :, :-1].copy(), block[0, :, -1:].copy()) for block in Wb]

    @property
    def final(self) -> dict[str, float | None]:
        """The numbers of the final θ: the last recorded ones, or with early stopping those of
        the best epoch, whose θ the run keeps."""
        if self.best is not None:
            return dict(self.best)

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


_METRICS = ("train_cost", "test_cost", "train_accuracy", "test_accuracy", "lr")


@dataclass(frozen=True)
class Scores:
    """Every run's cross-entropy (no L2 term) and accuracy on one set: (R,) each; for K ≥ 3 also
    each class's accuracy (R, K)."""

    cost: np.ndarray
    accuracy: np.ndarray
    per_class: np.ndarray | None = None


def class_accuracy(predicted: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """(R, K): for each class k, the share of its points (labels == k) predicted k; NaN if none."""
    out = np.full((predicted.shape[0], classes), np.nan)
    for k in range(classes):
        of_k = labels == k
        if of_k.any():
            out[:, k] = np.mean(predicted[:, of_k] == k, axis=-1)
    return out


class Recorder:
    """J, test cross-entropy and accuracies of all R runs of a group at the recorded epochs."""

    def __init__(
        self,
        data: Dataset,
        runs: Sequence[RunConfig],
        layout: Layout,
        act: Activation,
        records: np.ndarray,
    ):
        R, n = len(runs), len(records)
        self.data, self.runs, self.layout, self.act = data, list(runs), layout, act
        self.wanted = set(records.tolist())
        stride = math.ceil(n / MAX_SNAPSHOTS)
        self.snap_at = set(records[::stride].tolist()) | {int(records[-1])}
        self.metrics = {k: np.full((R, n), np.nan) for k in _METRICS}
        self.count = np.zeros(R, dtype=int)  # recorded points of each run (a dead run stops)
        self.epochs: list[int] = []
        self.diverged_at: list[int | None] = [None] * R
        self.stopped_at: list[int | None] = [None] * R  # early stopping's, and its best epoch:
        self.best_epoch: list[int | None] = [None] * R
        self.best: list[dict[str, float] | None] = [None] * R
        self.last_epoch = np.zeros(R, dtype=int)
        self.last_theta = np.zeros((R, layout.size))
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self.work: dict[tuple[int, int], Workspace] = {}  # forward's arrays, per (rows, width)
        inputs = runs[0].features  # the group's runs share them (GROUP_FIELDS)
        self.train_set = (with_ones(transform(data.X_train, inputs)), data.Y_train)
        self.test_set = (
            (with_ones(transform(data.X_test, inputs)), data.Y_test) if data.has_test else None
        )
        self.bn_eps = np.array([r.bn_epsilon for r in runs])[:, None, None]
        self.K = data.classes
        self.per_class = {
            k: np.full((R, n, self.K if self.K > 2 else 0), np.nan) for k in ("train", "test")
        }
        m = data.X_train.shape[1]  # the costs' m: the whole training set
        self.l2_factor = np.array([r.lambd for r in runs]) / (2 * m)  # λ/(2m)
        lambd1 = np.array([r.lambd1 for r in runs])
        self.l1_factor = lambd1 / m if np.any(lambd1 > 0) else None  # λ₁/m; None: no L1 at all
        self.rows = np.arange(R)  # the run of each row the trainer passes (all, until compact)

    def keep_rows(self, keep: np.ndarray) -> None:
        """From now on the trainer passes only its rows ``keep`` (the runs still training)."""
        self.rows = self.rows[keep]

    def test_cost(self, theta: np.ndarray) -> np.ndarray:
        """Every run's test cross-entropy (R,): what early stopping watches."""
        return self._evaluate(self._blocks(theta), *self.test_set).cost

    def _blocks(self, theta: np.ndarray) -> list:
        """[W | b] of evaluation by layer; batch norm's running μ, σ² folded in."""
        if not self.layout.batch_norm:
            return self.layout.blocks(theta)
        eps = self.bn_eps[self.rows]
        return self.layout.eval_blocks(theta, eps)  # running μ, σ²: never the set's own

    def _evaluate(self, Wb: list, X1: np.ndarray, Y: np.ndarray) -> Scores:
        R, B = len(self.rows), X1.shape[-1]
        if (R, B) not in self.work:
            self.work[R, B] = Workspace(R, self.layout.dims, B)
        work = forward(Wb, X1, self.act, work=self.work[R, B], sigma=False)
        Z_L = work.Z[self.layout.L]
        if self.K == 2:  # the binary path as it always was: σ(z) > 0.5 exactly when z > 0
            accuracy = np.add.reduce((Z_L > 0) == (Y > 0.5), axis=-1)[:, 0] / Y.shape[-1]
            return Scores(output_cost(Z_L, Y), accuracy)
        predicted = predicted_class(Z_L)  # argmax over the K units: no softmax needed either
        accuracy = np.mean(predicted == Y, axis=-1)
        per_class = class_accuracy(predicted, Y[0], self.K)
        return Scores(output_cost(Z_L, targets(Y, self.K)), accuracy, per_class)

    def record(self, epoch: int, theta: np.ndarray, alive: np.ndarray, lr: np.ndarray) -> None:
        """Evaluate the runs still alive; a run whose cost is not finite diverges here.

        ``lr`` (R, 1) is the α each run trains with from here on: the one in effect at ``epoch``.
        """
        sets = self._sets(theta)
        J, test_cost, train_accuracy, test_accuracy = scores = self._scores(theta, sets)
        col = len(self.epochs)
        bad = alive & ~(np.isfinite(J) & np.isfinite(test_cost))
        if bad.any():
            self.diverge(epoch, bad)
            alive &= ~bad
        self.epochs.append(epoch)
        runs = self.rows[alive]  # the runs of the rows recorded
        for name, one in zip(("train", "test"), sets):
            if one.per_class is not None:
                self.per_class[name][runs, col] = one.per_class[alive]
        row = (*scores, lr[:, 0])
        for name, values in zip(_METRICS, row):
            self.metrics[name][runs, col] = values[alive]
        self.count[runs] = col + 1
        self.last_theta[runs] = theta[alive]
        self.last_epoch[runs] = epoch
        if epoch in self.snap_at:
            every = np.zeros_like(self.last_theta)  # rows of runs no longer training: unread
            every[self.rows] = theta
            self.snapshots.append((epoch, every))

    def _sets(self, theta: np.ndarray) -> tuple[Scores, Scores]:
        """Every run's Scores on the training set and on the test set."""
        Wb = self._blocks(theta)
        train = self._evaluate(Wb, *self.train_set)
        none = train.cost * 0  # without a test set: zeros (NaN where the cost is not finite)
        test = self._evaluate(Wb, *self.test_set) if self.test_set else Scores(none, none)
        return train, test

    def _scores(
        self, theta: np.ndarray, sets: tuple[Scores, Scores] | None = None
    ) -> tuple[np.ndarray, ...]:
        """J (with its L2 and L1 terms), test cost, train and test accuracy of every run: (R,)
        each."""
        train, test = sets or self._sets(theta)
        J = train.cost + self.l2_factor[self.rows] * l2_term(theta, self.layout.weight_mask)
        if self.l1_factor is not None:
            J += self.l1_factor[self.rows] * l1_term(theta, self.layout.weight_mask)
        return J, test.cost, train.accuracy, test.accuracy

    def keep_best(
        self, which: np.ndarray, stopped_at: int | None, best_epoch: np.ndarray, theta: np.ndarray
    ) -> None:
        """Early stopping kept the runs ``which`` at their best θ (rows of ``theta``): that θ and
        its numbers become their final ones; ``stopped_at`` the epoch they stopped after."""
        scores = self._scores(theta)
        for k in np.flatnonzero(which):
            run = self.rows[k]
            self.stopped_at[run], self.best_epoch[run] = stopped_at, int(best_epoch[k])
            self.best[run] = {name: float(v[k]) for name, v in zip(_METRICS, scores)}
            self.last_theta[run] = theta[k]

    def diverge(self, epoch: int, which: np.ndarray) -> None:
        """The runs of the rows ``which`` diverged at ``epoch``."""
        for run in self.rows[which]:
            self.diverged_at[run] = epoch

    def history(self, k: int, seconds: float) -> History:
        """Run k's history so far (copies: training may go on)."""
        n, has_test = self.count[k], self.data.has_test
        snaps = [(e, s[k]) for e, s in self.snapshots if e <= self.last_epoch[k]]
        m = self.metrics
        return History(
            config=self.runs[k],
            layout=self.layout,
            epochs=np.array(self.epochs[:n], dtype=int),
            train_cost=m["train_cost"][k, :n].copy(),
            test_cost=m["test_cost"][k, :n].copy() if has_test else np.zeros(0),
            train_accuracy=m["train_accuracy"][k, :n].copy(),
            test_accuracy=m["test_accuracy"][k, :n].copy() if has_test else np.zeros(0),
            lr=m["lr"][k, :n].copy(),
            diverged_at=self.diverged_at[k],
            seconds=seconds,
            theta=self.last_theta[k].copy(),
            snapshot_epochs=np.array([e for e, _ in snaps], dtype=int),
            snapshots=np.array([s for _, s in snaps]).reshape(len(snaps), -1),
            stopped_at=self.stopped_at[k],
            best_epoch=self.best_epoch[k],
            best=self.best[k],
            train_class_accuracy=self.per_class["train"][k, :n].copy(),
            test_class_accuracy=self.per_class["test"][k, : n if has_test else 0].copy(),
        )
