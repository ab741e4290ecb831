"""Training: several runs advance together, one batched computation per mini-batch step.

Runs that share data, architecture, batch size, shuffling and epochs form a group. The group keeps
every run's parameters as one row of an (R, P) buffer; one forward pass, one backward pass and one
update per optimizer advance all of them. Each run still has its own initialization, optimizer, α,
β₁, β₂, ε, λ, λ₁, keep_prob and decay schedule, and gets exactly the numbers it gets when trained
alone (tested).

One epoch, phase by phase (each a function below, each tested on its own):

    for Xb, Yb in epoch_batches(...):        a fresh permutation, cut every B columns
        masks = dropout_masks(...)           D[l] / keep_prob, new at every step
        update(group, Xb, Yb, masks)         gradient(...) with (λ/m)·W + (λ₁/m)·sign(W),
                                             m = this batch;
                                             θ ← θ − step of each run's optimizer (t += 1);
                                             batch norm's running μ, σ² (batchnorm.py)
    decay_lr(group)                          α ← f(e) of each run's decay schedule
    stop_diverged(group, ...)                a run that left the floats stops
    record(group)                            J, accuracies, snapshots at the recorded epochs
    watch_patience(group)                    early stopping: keep the best θ, stop the patient
    compact(group)                           stopped runs leave the group: they cost no more

Randomness: a run's streams depend only on the experiment seed and their purpose — initial weights
from ``[seed, 1]``, the batch order from ``[seed, 2]``, the dropout masks from ``[seed, 3]``. So
runs that differ in one setting start from the same draws and see the same batches in the same
order: a fair comparison. It also lets a group draw the shared permutation and the uniform numbers
behind the dropout masks once per step for all its runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from threadpoolctl import threadpool_limits  # ships with scikit-learn

from nnviz.engine.batchnorm import Norm, update_running
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.data import Dataset, generate
from nnviz.engine.features import transform
from nnviz.engine.history import History, Recorder, record_epochs
from nnviz.engine.network import (
    ACTIVATIONS,
    Activation,
    Layout,
    Workspace,
    backward,
    forward,
    initial_params,
    l1_gradient,
    targets,
    with_ones,
)
from nnviz.engine.optim import OPTIMIZERS, Hyper, State
from nnviz.engine.schedules import Decay

__all__ = ["History", "train", "train_live", "run_experiment", "load_data", "record_epochs"]

INIT_STREAM, SHUFFLE_STREAM, DROPOUT_STREAM = 1, 2, 3


def stream(seed: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, purpose])


# --- the public API ---------------------------------------------------------------------------


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
    first: bool = False,
) -> Iterator[list[History | None]]:
    """Train like ``train``, yielding every run's history so far about every ``every`` seconds.

    Groups train one after another; a run whose group has not started yet is None. The last list
    yielded is complete and equals ``train``'s result (the chunking changes no number). Stop early
    by not asking for more (closing the generator): nothing keeps running in the background.
    ``first``: also yield each group's epoch-0 state (its initial parameters) before any update,
    so that a watcher can show the starting point at once.
    """
    initial = list(initial) if initial is not None else [None] * len(runs)
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(run.group_key, []).append(i)
    results: list[History | None] = [None] * len(runs)
    for members in groups.values():
        group = start(
            data, [runs[i] for i in members], seed, log_every, [initial[i] for i in members]
        )
        if first:
            for i, h in zip(members, histories(group)):
                results[i] = h
            yield list(results)
        while True:
            done = advance(group, every)
            for i, h in zip(members, histories(group)):
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
    return generate(d.name, d.samples, d.noise, d.test_fraction, exp.seed, d.classes)


def run_experiment(exp: Experiment, data: Dataset | None = None) -> list[History]:
    """Train all runs of an experiment on its data (or on ``data``, for a user's CSV)."""
    return train(data if data is not None else load_data(exp), exp.runs, exp.seed, exp.log_every)


# --- what a lockstep group holds --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Setup:
    """What stays fixed while a group trains: its runs and data, the network, per-run columns.

    Rows are sorted by optimizer (``order[k]`` is row k's index among the runs as given), so each
    optimizer updates one contiguous block of rows.
    """

    runs: list[RunConfig]
    order: list[int]
    layout: Layout
    act: Activation
    X1: np.ndarray  # [X; 1] of the training set
    Y: np.ndarray  # the labels (1, m) for K = 2; one-hot (K, m) for K ≥ 3 (network.targets)
    batch: int  # B, the mini-batch width (m for the full batch)
    shuffle: bool
    epochs: int
    lambd: np.ndarray  # (R, 1) λ
    use_l2: bool  # any λ > 0 (else the L2 term is skipped)
    lambd1: np.ndarray  # (R, 1) λ₁
    use_l1: bool  # any λ₁ > 0 (else the L1 term is skipped)
    keep: np.ndarray  # (R, 1, 1) keep_prob
    patience: np.ndarray  # (R,) early stopping's patience in epochs; 0 = off
    early: bool  # any run stops early (it needs a test set: without one, patience is ignored)
    shuffle_rng: np.random.Generator  # the batch order: [seed, SHUFFLE_STREAM]
    dropout_rng: np.random.Generator | None  # the masks: [seed, DROPOUT_STREAM]; None: no dropout
    started: float  # perf_counter() when the group was set up
    bn_eps: float | np.ndarray = 0.0  # ε_bn per run, (R, 1, 1) or a shared float (batch norm)
    bn_momentum: float | np.ndarray = 0.0  # the new batch's weight in the running averages


@dataclass(frozen=True, eq=False)
class Buffers:
    """Arrays every step reuses: g, the per-layer views of θ and g, one Workspace per batch width
    (the last batch of an epoch may be narrower). Their contents mean nothing between steps."""

    grad: np.ndarray  # (R, P), laid out like θ
    Wb: list[np.ndarray | None]  # [W[l] | b[l]] views of θ, l = 1..L
    dWb: list[np.ndarray | None]  # [dW[l] | db[l]] views of g
    widths: dict[int, Workspace] = field(default_factory=dict)
    norm: Norm | None = None  # γ, β views of θ (batch norm), None without
    dnorm: Norm | None = None  # dγ, dβ views of g
    running: np.ndarray | None = None  # θ's batch norm block [γ, β, μ_run, σ²_run per layer]
    running_weight: np.ndarray | None = None  # ρ on the μ_run, σ²_run places, 0 on γ and β
    scratch: np.ndarray | None = None  # for update_running

    def width(self, B: int) -> Workspace:
        """The Workspace for a batch of B columns, made at its first use."""
        if B not in self.widths:
            self.widths[B] = Workspace.fresh(self.Wb, B)
        return self.widths[B]


@dataclass
class RuleBlock:
    """One optimizer's rows of the group: contiguous, so θ and g are views, no copies."""

    update: Callable[[np.ndarray, State, Hyper], tuple[np.ndarray, State]]
    rows: slice
    theta: np.ndarray  # θ[rows]
    grad: np.ndarray  # g[rows]
    state: State  # t and the moments (v, s) of these rows
    hyper: Hyper  # α, β₁, β₂, ε: floats when the rows share them, else (n, 1) columns


@dataclass
class Progress:
    """What moves while a group trains: θ, each optimizer's state and α, the epoch, the records."""

    theta: np.ndarray  # (R, P): row k is run k's [W1 | b1, W2 | b2, ...]
    rules: list[RuleBlock]
    decay: Decay  # the α of every run after the epochs so far
    rec: Recorder
    alive: np.ndarray  # (R,) bool
    epoch: int = 0
    best: Best | None = None  # early stopping's watch, when a run has a patience


@dataclass
class Best:
    """Early stopping's watch (docs/design.md §7): each run's lowest test cost so far, the epoch
    it was reached at, and θ then."""

    cost: np.ndarray  # (R,)
    epoch: np.ndarray  # (R,) int
    theta: np.ndarray  # (R, P)


@dataclass
class Lockstep:
    """A group of runs trained as one batched network: its setup, its buffers, its progress."""

    setup: Setup
    work: Buffers
    progress: Progress

    @property
    def done(self) -> bool:
        return self.progress.epoch >= self.setup.epochs or not self.progress.alive.any()


def _column(runs: list[RunConfig], name: str) -> np.ndarray:
    return np.array([getattr(r, name) for r in runs], dtype=float)[:, None]


def _compact(column: np.ndarray) -> float | np.ndarray:
    """A plain float when every run of the block shares the value: cheaper in the hot loop."""
    return float(column[0, 0]) if np.all(column == column[0, 0]) else column


def start(
    data: Dataset,
    runs: list[RunConfig],
    seed: int,
    log_every: int,
    initial: list[np.ndarray | None],
) -> Lockstep:
    """A group's initial parameters, optimizer state and epoch-0 record; no update yet."""
    order = _by_optimizer(runs)
    setup = _setup(data, [runs[i] for i in order], order, seed)
    theta = _initial_theta(setup, [initial[i] for i in order], seed)
    grad = np.zeros_like(theta)
    work = _buffers(setup, theta, grad)
    group = Lockstep(setup, work, _progress(data, setup, theta, grad, log_every))
    with np.errstate(all="ignore"):
        record(group)
        if setup.early:
            cost = group.progress.rec.test_cost(theta)
            group.progress.best = Best(cost, np.zeros(len(runs), dtype=int), theta.copy())
    leave(group)  # a run whose cost overflowed at epoch 0
    return group


def _buffers(setup: Setup, theta: np.ndarray, grad: np.ndarray) -> Buffers:
    """Views of θ and g by layer; with batch norm also γ, β, dγ, dβ and the running μ, σ²."""
    layout = setup.layout
    blocks = Buffers(grad, layout.blocks(theta), layout.blocks(grad))
    if not layout.batch_norm:
        return blocks
    block = slice(layout.norm_slices[0].start, None)
    weight = np.zeros_like(theta)
    for _gamma, _beta, mu, var in layout.norms(weight)[1:]:
        mu[...] = var[...] = setup.bn_momentum
    running, weight = theta[:, block], weight[:, block]
    return replace(
        blocks,
        norm=layout.norm(theta, setup.bn_eps),
        dnorm=layout.norm(grad),
        running=running,
        running_weight=weight,
        scratch=np.empty_like(running),
    )


def _per_run(runs: list[RunConfig], name: str) -> float | np.ndarray:
    """A batch norm setting as a float, or (R, 1, 1) when the runs differ; 0 without BN."""
    if not runs[0].batch_norm:
        return 0.0
    value = _compact(_column(runs, name))
    return value if isinstance(value, float) else value[..., None]


def _by_optimizer(runs: list[RunConfig]) -> list[int]:
    """The runs' indices sorted by optimizer, in OPTIMIZERS' order (stable within one)."""
    names = list(OPTIMIZERS)
    return sorted(range(len(runs)), key=lambda i: names.index(runs[i].optimizer))


def _setup(data: Dataset, runs: list[RunConfig], order: list[int], seed: int) -> Setup:
    """What the group's runs share and what each brings, read once from the configs."""
    started = time.perf_counter()
    first, lambd, keep = runs[0], _column(runs, "lambd"), _column(runs, "keep_prob")[:, :, None]
    patience = np.array([r.patience for r in runs])
    lambd1 = _column(runs, "lambd1")
    return Setup(
        runs=runs,
        order=order,
        layout=Layout(first.dims_for(data.classes), first.batch_norm),  # n[L] = 1 or K classes
        act=ACTIVATIONS[first.activation],
        X1=with_ones(transform(data.X_train, first.features)),
        Y=targets(data.Y_train, data.classes),
        batch=first.batch_width(data.X_train.shape[1]),
        shuffle=first.shuffle,
        epochs=first.epochs,
        lambd=lambd,
        use_l2=bool(np.any(lambd > 0)),
        lambd1=lambd1,
        use_l1=bool(np.any(lambd1 > 0)),
        keep=keep,
        patience=patience,
        early=bool(np.any(patience > 0)) and data.has_test,
        shuffle_rng=stream(seed, SHUFFLE_STREAM),
        dropout_rng=stream(seed, DROPOUT_STREAM) if np.any(keep < 1) else None,
        started=started,
        bn_eps=_per_run(runs, "bn_epsilon"),
        bn_momentum=_per_run(runs, "bn_momentum"),
    )


def _initial_theta(setup: Setup, initial: list[np.ndarray | None], seed: int) -> np.ndarray:
    """(R, P): each run's given starting parameters, or a draw of its init scheme.

    With batch norm the hidden layers' b[l] start (and stay) at exactly 0, given or not.
    """
    layout = setup.layout
    rows = [
        given
        if given is not None
        else initial_params(layout.dims, run.init, stream(seed, INIT_STREAM), layout.batch_norm)
        for run, given in zip(setup.runs, initial)
    ]
    theta = np.stack(rows).astype(float)
    for _W, b in layout.views(theta)[:-1] if layout.batch_norm else ():
        b[...] = 0.0
    return theta


def _rule_blocks(runs: list[RunConfig], theta: np.ndarray, grad: np.ndarray) -> list[RuleBlock]:
    """One RuleBlock per optimizer present (runs already sorted by optimizer)."""
    out, start_row = [], 0
    for name, opt in OPTIMIZERS.items():
        n = sum(r.optimizer == name for r in runs)
        if n:
            rows = slice(start_row, start_row + n)
            h = Hyper(*(_compact(_column(runs[rows], k)) for k in Hyper.__annotations__))
            out.append(
                RuleBlock(opt.update, rows, theta[rows], grad[rows], opt.init(theta[rows]), h)
            )
            start_row += n
    return out


def _progress(
    data: Dataset, setup: Setup, theta: np.ndarray, grad: np.ndarray, log_every: int
) -> Progress:
    """Epoch 0: θ as drawn, every optimizer's state at t = 0, α₀, nothing recorded yet."""
    records = record_epochs(setup.epochs, log_every)
    return Progress(
        theta=theta,
        rules=_rule_blocks(setup.runs, theta, grad),
        decay=Decay(setup.runs),
        rec=Recorder(data, setup.runs, setup.layout, setup.act, records),
        alive=np.ones(len(setup.runs), dtype=bool),
    )


def advance(group: Lockstep, seconds: float) -> bool:
    """Train epochs until done or about ``seconds`` have passed; True when done."""
    deadline = time.perf_counter() + seconds
    # overflow is detected and reported, never warned; and one BLAS thread: our matrices are
    # tiny, and threads only wait for each other (2x slower on a busy 2-core machine)
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        while not group.done:
            run_epoch(group)
            if time.perf_counter() > deadline:
                break
    return group.done


def histories(group: Lockstep) -> list[History]:
    """Every run's history so far, in the order the runs were given."""
    setup, rec = group.setup, group.progress.rec
    seconds = time.perf_counter() - setup.started
    out = [rec.history(k, seconds) for k in range(len(rec.runs))]  # every run, stopped or not
    return [out[setup.order.index(i)] for i in range(len(rec.runs))]


# --- the phases of an epoch ---------------------------------------------------------------------


def epoch_batches(
    X: np.ndarray, Y: np.ndarray, B: int, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch's mini-batches (X_b, Y_b): ⌈m/B⌉ of them, the last smaller when B ∤ m.

    ``shuffle``: a fresh permutation of the m columns every epoch, drawn from ``rng`` (the
    course's random_mini_batches); otherwise the data's own order, like
    MLPClassifier(shuffle=False). B ≥ m is the full batch, in order, and draws nothing.
    """
    m = X.shape[-1]
    if B >= m:
        yield X, Y
        return
    if shuffle:
        order = rng.permutation(m)
        X, Y = X.take(order, axis=-1), Y.take(order, axis=-1)  # take: 4x faster than X[:, order]
    for k in range(0, m, B):
        yield X[..., k : k + B], Y[..., k : k + B]


def dropout_masks(
    rng: np.random.Generator, keep: np.ndarray, hidden: tuple[int, ...], B: int
) -> list[np.ndarray]:
    """Inverted dropout: D[l] / keep_prob per hidden layer, (R, n[l], B), drawn anew on every call.

    D[l] = (u < keep_prob) with u uniform on [0, 1); dividing by keep_prob keeps E[A ⊙ D/keep] = A.
    One uniform draw is shared by all runs, and a run with keep_prob 1 gets exact ones.
    """
    return [(rng.random((n, B)) < keep) / keep for n in hidden]


def gradient(
    group: Lockstep, Xb: np.ndarray, Yb: np.ndarray, masks: list[np.ndarray] | None
) -> np.ndarray:
    """g = ∂J/∂θ of every run on this batch, written into the group's gradient buffer.

    Backward gives the cross-entropy part, (1/m) dZ[l] [A[l-1]; 1]ᵀ; then dW[l] += (λ/m) W[l]
    and dW[l] += (λ₁/m) sign(W[l]) with m = the batch's own size (weights only: the mask is 0 on
    biases). Each penalty is skipped when no run of the group has it.
    """
    setup, work, now = group.setup, group.work, group.progress
    passed = forward(work.Wb, Xb, setup.act, masks, work.width(Xb.shape[-1]), norm=work.norm)
    backward(work.Wb, passed, Yb, setup.act, work.dWb, work.norm, work.dnorm)
    g, m = work.grad, Xb.shape[-1]  # m: this batch's size
    if setup.use_l2:
        g += (setup.lambd / m) * (now.theta * setup.layout.weight_mask)  # + (λ/m) W[l]
    if setup.use_l1:
        g += (setup.lambd1 / m) * l1_gradient(now.theta, setup.layout.weight_mask)  # (λ₁/m) sign
    return g


def update(group: Lockstep, Xb: np.ndarray, Yb: np.ndarray, masks: list[np.ndarray] | None) -> None:
    """One update of every run: the gradient on this batch, then θ ← θ − step of its optimizer
    (whose state counts the update: t ← t + 1); with batch norm, the running μ and σ² take in
    this batch's (γ and β are in θ: the optimizer moves them like W)."""
    gradient(group, Xb, Yb, masks)
    for rule in group.progress.rules:
        step, rule.state = rule.update(rule.grad, rule.state, rule.hyper)
        rule.theta -= step
    work = group.work
    if work.running is not None:
        batch = work.width(Xb.shape[-1]).bn_flat
        update_running(work.running, batch, work.running_weight, work.scratch)


def run_epoch(group: Lockstep) -> None:
    """One epoch of mini-batch updates; then decay α, stop diverged runs and record."""
    setup, now = group.setup, group.progress
    now.epoch += 1
    rng, hidden = setup.dropout_rng, setup.layout.dims[1:-1]
    for Xb, Yb in epoch_batches(setup.X1, setup.Y, setup.batch, setup.shuffle_rng, setup.shuffle):
        masks = dropout_masks(rng, setup.keep, hidden, Xb.shape[-1]) if rng is not None else None
        update(group, Xb, Yb, masks)
    decay_lr(group)
    if not math.isfinite(now.theta.sum()):  # cheap test first: NaN and inf reach the sum
        bad = now.alive & ~np.isfinite(now.theta).all(axis=1)
        now.rec.diverge(now.epoch, bad)
        stop_diverged(group, bad)
    if now.alive.any() and now.epoch in now.rec.wanted:
        record(group)
    if setup.early and now.alive.any():
        watch_patience(group)
    leave(group)


def record(group: Lockstep) -> None:
    """Record the group's runs at this epoch; a run whose cost overflowed is stopped too."""
    now = group.progress
    was_alive = now.alive.copy()
    now.rec.record(now.epoch, now.theta, now.alive, now.decay.alpha)
    stop_diverged(group, was_alive & ~now.alive)


def decay_lr(group: Lockstep) -> None:
    """α ← f(e) after the updates of epoch e, as the course's notebook; constant runs keep α₀."""
    now = group.progress
    if now.decay.after(now.epoch):
        for rule in now.rules:
            rule.hyper = replace(rule.hyper, lr=_compact(now.decay.alpha[rule.rows]))


def stop_diverged(group: Lockstep, which: np.ndarray) -> None:
    """Stop the runs ``which`` (they leave the group at the end of the epoch, ``leave``); their
    θ is zeroed so that no NaN is evaluated meanwhile. Their reported numbers are the last
    finite ones (the Recorder keeps them)."""
    if not which.any():
        return
    now = group.progress
    now.alive &= ~which
    now.theta[which] = 0.0


def watch_patience(group: Lockstep) -> None:
    """Early stopping, after each epoch (docs/design.md §7): a watched run whose test cost is
    the lowest so far has its θ remembered; one whose test cost has not improved for
    ``patience`` epochs stops with its best θ restored. At the last epoch every watched run
    gets its best θ back (as MLPClassifier(early_stopping=True) does), without stopping early.
    """
    setup, now, best = group.setup, group.progress, group.progress.best
    watched = now.alive & (setup.patience > 0)
    if not watched.any():
        return
    cost = now.rec.test_cost(now.theta)
    better = watched & (cost < best.cost)
    best.cost[better], best.epoch[better] = cost[better], now.epoch
    best.theta[better] = now.theta[better]
    if now.epoch >= setup.epochs:
        restore_best(group, watched, stopped=False)
    else:
        restore_best(group, watched & (now.epoch - best.epoch >= setup.patience), stopped=True)


def restore_best(group: Lockstep, which: np.ndarray, stopped: bool) -> None:
    """θ ← the best θ of the runs ``which``; ``stopped``: they train no further (they leave the
    group at the end of the epoch, ``leave``)."""
    if not which.any():
        return
    now = group.progress
    now.theta[which] = now.best.theta[which]
    now.rec.keep_best(which, now.epoch if stopped else None, now.best.epoch, now.theta)
    if stopped:
        now.alive &= ~which


def leave(group: Lockstep) -> None:
    """Runs that stopped (early, or diverged) leave the group, unless none is left training."""
    if not group.progress.alive.all() and group.progress.alive.any():
        compact(group)


def compact(group: Lockstep) -> None:
    """Drop the rows of runs that train no more (stopped early or diverged), so that they stop
    costing: θ, g, the optimizer moments, the per-run columns and the views are taken anew for
    the runs still training, which go on with exactly the numbers they had (the shared batch
    order and dropout draws are unchanged). The Recorder keeps every run's history and maps the
    remaining rows to their runs."""
    now, keep = group.progress, np.flatnonzero(group.progress.alive)
    runs = [group.setup.runs[k] for k in keep]
    setup = replace(
        group.setup,
        runs=runs,
        lambd=group.setup.lambd[keep],
        lambd1=group.setup.lambd1[keep],
        keep=group.setup.keep[keep],
        patience=group.setup.patience[keep],
        early=group.setup.early and bool(np.any(group.setup.patience[keep] > 0)),
        bn_eps=_rows(group.setup.bn_eps, keep),
        bn_momentum=_rows(group.setup.bn_momentum, keep),
    )
    theta = now.theta[keep]  # a copy: fancy indexing
    grad = np.zeros_like(theta)
    decay = Decay(runs)
    decay.after(now.epoch)  # α after the epochs so far, as each schedule gives it
    rules = _rule_blocks(runs, theta, grad)
    for rule in rules:
        _carry_state(rule, now.rules, keep)
        rule.hyper = replace(rule.hyper, lr=_compact(decay.alpha[rule.rows]))
    best = now.best and Best(now.best.cost[keep], now.best.epoch[keep], now.best.theta[keep])
    now.rec.keep_rows(keep)
    group.setup, group.work = setup, _buffers(setup, theta, grad)
    group.progress = replace(
        now, theta=theta, rules=rules, decay=decay, alive=now.alive[keep], best=best
    )


def _rows(value: float | np.ndarray, keep: np.ndarray) -> float | np.ndarray:
    """A per-run column's rows ``keep``; a value shared by all runs as it is."""
    return value[keep] if isinstance(value, np.ndarray) else value


def _carry_state(rule: RuleBlock, old: list[RuleBlock], keep: np.ndarray) -> None:
    """The new block's optimizer state: its t, and the moments of the rows it keeps."""
    before = next(r for r in old if r.update is rule.update)  # one block per optimizer
    inside = keep[(keep >= before.rows.start) & (keep < before.rows.stop)] - before.rows.start
    taken = {n: getattr(before.state, n)[inside] for n in before.state._fields if n != "t"}
    rule.state = before.state._replace(**taken)
