"""Sweeps: a base run, one or two of its settings varied over lists or ranges, trained in lockstep.

    from nnviz.engine.sweep import Sweep, parse_axis, run_sweep
    sweep = Sweep(Experiment(), (parse_axis("lr=1e-4:1:9:log"), parse_axis("beta1=0.5,0.9,0.99")))
    result = run_sweep(sweep)                    # 27 runs; jobs=2 uses two processes
    result.grid("test_accuracy")                 # (9, 3) array for a heatmap, NaN where missing

Only per-run settings can be swept (every RunConfig field outside GROUP_FIELDS), and the input
features: the runs are cut into chunks of up to ``group_size`` and each chunk is one call of
``nnviz.engine.train.train``, which trains runs of different features (a different n[0]) or
batch_norm as separate lockstep groups, one after another. A run's random streams derive from the
experiment seed alone (see train.py), so a row holds exactly what ``train`` gives that run alone,
whatever the chunk it trained in and wherever the chunk ran. Chunks fan out through joblib: local
processes (loky) or a dask.distributed cluster (joblib's dask backend). No scheduling code here.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

import numpy as np
from joblib import Parallel, delayed, parallel_config  # joblib ships with scikit-learn

from nnviz.engine.config import GROUP_FIELDS, Experiment, RunConfig
from nnviz.engine.data import Dataset
from nnviz.engine.features import canonical
from nnviz.engine.train import History, load_data, train

MAX_RUNS = 144  # the sweep-maps page: up to 12 × 12 runs
MAX_RUNS_CLI = 4096  # the command line: up to 64 × 64 runs
GROUP_SIZE = 24  # runs per lockstep chunk: 144 runs are 6 chunks, so rows arrive 6 times
BACKENDS = ("loky", "dask")
METRICS = ("train_cost", "test_cost", "train_accuracy", "test_accuracy")
CONNECT_SECONDS = 5  # how long to try reaching a dask scheduler
OPTION_NAMES = {"l1": "lambd1"}  # a swept setting may be named as its command-line option

_KINDS = {"float": float, "int": int, "str": str, "bool": bool}
# the sweepable settings, read off RunConfig, so a field added there becomes sweepable by itself;
# and the input features, a shared setting that train() still separates by itself
SWEEPABLE: dict[str, type] = {
    f.name: _KINDS.get(str(f.type), type(f.default))
    for f in fields(RunConfig)
    if f.name not in GROUP_FIELDS or f.name == "features"
}


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- axes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One swept setting: a RunConfig field and the values it takes, in order."""

    field: str
    values: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        _check_field(self.field)
        _check(len(self.values) >= 1, f"{self.field} needs at least one value")
        repeated = sorted({_shown(v) for v in self.values if self.values.count(v) > 1})
        _check(not repeated, f"{self.field} values repeat: {', '.join(repeated)}")
        for value in self.values:
            RunConfig(**{self.field: value})  # its ValueError names the field and the value


def _check_field(name: str) -> str:
    shared = " (the runs of a sweep share it)" if name in GROUP_FIELDS else ""
    _check(name in SWEEPABLE, f"cannot vary {name!r}{shared}: choose one of {', '.join(SWEEPABLE)}")
    return name


def parse_axis(text: str) -> Axis:
    """``"lr=1e-4:1:9:log"`` (start:stop:count[:lin|log], both ends included), ``"beta1=0.5,0.9"``,
    ``"optimizer=gd,adam"`` or ``"features=x1+x2,x1^2+x2^2"`` -> Axis. Bad input raises a
    one-line ValueError naming the problem.
    """
    name, sep, spec = (part.strip() for part in text.partition("="))
    _check(
        bool(sep and name and spec),
        f"write a swept setting as FIELD=VALUES (e.g. lr=1e-4:1:9:log or beta1=0.5,0.9), "
        f"got {text!r}",
    )
    name = name.replace("-", "_")  # keep-prob=... like the option --keep-prob
    name = OPTION_NAMES.get(name, name)  # l1=... like the option --l1
    kind = SWEEPABLE[_check_field(name)]
    values = _range(name, kind, spec) if ":" in spec else _list(name, kind, spec)
    return Axis(name, values)


def _list(name: str, kind: type, spec: str) -> tuple:
    items = [item.strip() for item in spec.split(",")]
    _check(all(items), f"{name}: empty value in {spec!r}")
    return tuple(_value(name, kind, item) for item in items)


def _value(name: str, kind: type, item: str) -> Any:
    if kind is bool:
        words = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}
        _check(item.lower() in words, f"{name}: {item!r} is not true or false")
        return words[item.lower()]
    if kind is tuple:  # a feature set, written x1+x2+x1^2 (the commas part the axis' values)
        return "+".join(canonical(item.split("+")))
    if kind in (int, float):
        try:
            return kind(item)
        except ValueError:
            whole = "a whole number" if kind is int else "a number"
            raise ValueError(f"{name}: {item!r} is not {whole}") from None
    return item


def _range(name: str, kind: type, spec: str) -> tuple:
    """start:stop:count[:lin|log] -> count values from start to stop, evenly or geometrically."""
    _check(kind in (int, float), f"{name} takes a list like a,b,c, not a range")
    parts = [p.strip() for p in spec.split(":")]
    _check(
        len(parts) in (3, 4),
        f"{name}: a range is start:stop:count[:lin|log], got {spec!r}",
    )
    start, stop = (_value(name, float, p) for p in parts[:2])
    count = _value(f"{name} count", int, parts[2])
    scale = parts[3] if len(parts) == 4 else "lin"
    _check(count >= 1, f"{name}: the range's count must be at least 1, got {count}")
    _check(scale in ("lin", "log"), f"{name}: a range's scale is lin or log, got {scale!r}")
    _check(
        scale == "lin" or (start > 0 and stop > 0),
        f"{name}: a log range needs start and stop > 0, got {spec!r}",
    )
    _check(math.isfinite(start) and math.isfinite(stop), f"{name}: {spec!r} is not finite")
    spaced = np.geomspace if scale == "log" else np.linspace
    values = [float(f"{v:.12g}") for v in spaced(start, stop, count)]  # 1e-3, not 0.0010000000002
    if kind is int:
        _check(
            all(v == round(v) for v in values),
            f"{name} takes whole numbers; {spec!r} gives {', '.join(map(_shown, values))}",
        )
        return tuple(int(v) for v in values)
    return tuple(values)


# --- the sweep ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """A base experiment (its first run is the template) and one or two axes.

    Its runs are the cartesian product of the axes, row-major: the first axis varies slowest.
    """

    base: Experiment
    axes: tuple[Axis, ...]
    max_runs: int = MAX_RUNS

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", tuple(self.axes))
        _check(
            1 <= len(self.axes) <= 2, f"a sweep varies one or two settings, got {len(self.axes)}"
        )
        names = [a.field for a in self.axes]
        _check(len(set(names)) == len(names), f"{names[0]} is varied twice")
        size = math.prod(self.shape)
        product = f"{' × '.join(map(str, self.shape))} = " if len(self.shape) > 1 else ""
        _check(
            size <= self.max_runs,
            f"a sweep trains at most {self.max_runs} runs, got {product}{size}",
        )
        self.runs()  # every combination with the template is a valid RunConfig, or ValueError

    @property
    def template(self) -> RunConfig:
        return self.base.runs[0]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    def cells(self) -> list[tuple[int, ...]]:
        """Each run's position on the axes, (i,) or (i, j), in run order."""
        return list(itertools.product(*(range(n) for n in self.shape)))

    def settings(self, cell: tuple[int, ...]) -> dict[str, Any]:
        """The swept values of one run, e.g. {"lr": 0.001, "beta1": 0.9}."""
        return {a.field: a.values[i] for a, i in zip(self.axes, cell)}

    def runs(self) -> tuple[RunConfig, ...]:
        """Every run: the template with the swept values, row-major."""
        return tuple(replace(self.template, **self.settings(c)) for c in self.cells())

    def experiment_at(self, index: int) -> Experiment:
        """Run ``index`` as an experiment of its own: what the lab trains, with the same numbers."""
        return self.base.with_runs(self.runs()[index])


class Plan(Protocol):
    """What iter_sweep trains: a Sweep's grid, or a random search's rounds (search.py)."""

    base: Experiment

    def runs(self) -> tuple[RunConfig, ...]: ...
    def cells(self) -> list[tuple[int, ...]]: ...
    def settings(self, cell: tuple[int, ...]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SweepRow:
    """One run of a sweep: where it sits, what was swept, and its whole History."""

    index: int  # position in sweep.runs()
    cell: tuple[int, ...]  # (i,) or (i, j): the value indices on the axes
    settings: dict[str, Any] = field(hash=False)
    history: History = field(hash=False, repr=False)

    @property
    def config(self) -> RunConfig:
        return self.history.config

    @property
    def diverged_at(self) -> int | None:
        return self.history.diverged_at

    @property
    def diverged(self) -> bool:
        return self.history.diverged_at is not None

    def record(self) -> dict[str, Any]:
        """Plain values: the swept settings, the final metrics (None if absent), divergence."""
        return {**self.settings, **self.history.final, "diverged": self.diverged,
                "diverged_at": self.diverged_at}  # fmt: skip


@dataclass
class SweepResult:
    """All rows of a sweep, in run order, and the wall time of the whole sweep."""

    sweep: Sweep  # or a RandomSearch: the same methods, one axis of runs
    rows: list[SweepRow]
    seconds: float

    def grid(self, metric: str | Callable[[SweepRow], float | None]) -> np.ndarray:
        """A metric of every run laid out on the axes: shape sweep.shape, NaN where None.

        ``metric`` is a final value's name (METRICS) or a function of a row, for example
        ``lambda row: first_epoch_below(row.history, 0.3)``.
        """
        if not callable(metric):
            _check(metric in METRICS, f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        get = metric if callable(metric) else (lambda row: row.history.final[metric])
        values = [get(row) for row in self.rows]
        return np.array([np.nan if v is None else v for v in values], float).reshape(
            self.sweep.shape
        )

    def records(self) -> list[dict[str, Any]]:
        return [row.record() for row in self.rows]


def first_epoch_below(history: History, threshold: float, metric: str = "train_cost") -> int | None:
    """The first recorded epoch at which the cost is below ``threshold``; None if it never is.

    The resolution is the history's recording interval (``log_every``): a convergence speed.
    """
    below = np.flatnonzero(getattr(history, metric) < threshold)
    return int(history.epochs[below[0]]) if len(below) else None


# --- training -------------------------------------------------------------------------------------


def iter_sweep(
    sweep: Plan,
    data: Dataset | None = None,
    *,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    group_size: int | None = None,
) -> Iterator[list[SweepRow]]:
    """Train the sweep; yield each lockstep group's rows, in run order, as soon as it is done.

    ``jobs`` processes share the groups (loky), or the workers of a dask.distributed cluster do
    (``backend="dask"``, ``scheduler`` its address, or None for the running distributed.Client).
    ``group_size`` runs per group (default: GROUP_SIZE, fewer so that every job gets a group).
    Stop early by closing the generator: groups not yet started are not trained.
    """
    _check_options(jobs, backend, scheduler, group_size)
    data = data if data is not None else load_data(sweep.base)
    runs, cells, exp = sweep.runs(), sweep.cells(), sweep.base
    size = group_size or min(GROUP_SIZE, math.ceil(len(runs) / jobs))
    chunks = [range(s, min(s + size, len(runs))) for s in range(0, len(runs), size)]
    tasks = (delayed(train)(data, runs[c.start : c.stop], exp.seed, exp.log_every) for c in chunks)
    with _parallel(jobs, backend, scheduler) as parallel:
        for chunk, histories in zip(chunks, parallel(tasks)):
            yield [
                SweepRow(i, cells[i], sweep.settings(cells[i]), h) for i, h in zip(chunk, histories)
            ]


def run_sweep(
    sweep: Plan,
    data: Dataset | None = None,
    *,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    group_size: int | None = None,
) -> SweepResult:
    """Train every run of the sweep (see iter_sweep); one row per run, in run order."""
    start = time.perf_counter()
    options = dict(jobs=jobs, backend=backend, scheduler=scheduler, group_size=group_size)
    rows = [row for group in iter_sweep(sweep, data, **options) for row in group]
    return SweepResult(sweep, rows, time.perf_counter() - start)


def _check_options(jobs: int, backend: str, scheduler: str | None, group_size: int | None) -> None:
    whole = isinstance(jobs, int) and not isinstance(jobs, bool)
    _check(whole and 1 <= jobs <= 1024, f"jobs must be a whole number in [1, 1024], got {jobs!r}")
    _check(backend in BACKENDS, f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    _check(scheduler is None or backend == "dask", "a scheduler address needs backend 'dask'")
    _check(
        group_size is None or (isinstance(group_size, int) and group_size >= 1),
        f"group_size must be a whole number >= 1, got {group_size!r}",
    )


@contextmanager
def _parallel(jobs: int, backend: str, scheduler: str | None) -> Iterator[Parallel]:
    """joblib's Parallel, yielding results in order as they finish, on the chosen backend."""
    if backend == "loky":
        yield Parallel(n_jobs=jobs, backend="loky", return_as="generator")
        return
    with _dask_client(scheduler) as client, parallel_config(backend="dask", client=client):
        yield Parallel(n_jobs=-1, return_as="generator")  # every worker of the cluster


@contextmanager
def _dask_client(scheduler: str | None) -> Iterator[Any]:
    """A Client connected to ``scheduler`` and closed afterwards, or the running one, left open."""
    try:
        from distributed import Client, default_client
    except ImportError:
        raise ValueError(
            "backend 'dask' needs dask.distributed: pip install -r requirements-dask.txt"
        ) from None
    if scheduler is None:
        try:
            client = default_client()
        except ValueError:
            raise ValueError(
                "backend 'dask' needs a scheduler address or a running distributed.Client"
            ) from None
        yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConnectionError(f"cannot reach the dask scheduler at {scheduler}: {reason}") from None
    try:
        yield client
    finally:
        client.close()
