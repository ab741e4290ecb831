"""The sweep-maps page's model: presets, the page's frozen settings, its URL, the map's cells.

No streamlit here; the figures are nnviz.views.sweep_figures. A map is one or two settings of a
base run varied over lists or ranges (nnviz.engine.sweep), every run trained in lockstep, one cell
per run: its final accuracy or cost, or the first epoch its training cost fell below a threshold
(how fast it converged). Each cell is a run the lab can open with the same numbers
(``lab_url``: the sweep's run as an experiment of its own).

In random mode (``Settings.mode == "random"``, ``RandomSettings``) the page samples N runs over
two ranges instead (nnviz.engine.search) and zooms in round by round; nnviz.models.search_model
holds that mode's scatter and zoom boxes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import split_counts
from nnviz.engine.history import History
from nnviz.engine.search import RandomSearch, parse_range
from nnviz.engine.sweep import GROUP_SIZE, Sweep, SweepRow, parse_axis
from nnviz.models import lab_model as lab
from nnviz.models.formulas import fmt
from nnviz.models.urlstate import decode

MAX_SWEEP_SECONDS = 60.0  # the page refuses (with the reason) a map that would train longer

# the page's base run: the lab's data and seed, a small network that a 12 × 12 map trains quickly
BASE = Experiment(
    data=DataConfig("moons", samples=300, noise=0.25, test_fraction=0.25),
    runs=(RunConfig(hidden=(5, 2), optimizer="adam", lr=0.01, epochs=500),),
    seed=5,
)

BETAS = "0,0.3,0.5,0.7,0.8,0.85,0.9,0.93,0.95,0.97,0.99,0.999"  # 1 − β spans three decades
BETA2S = "0,0.5,0.8,0.9,0.95,0.98,0.99,0.995,0.998,0.999,0.9995,0.9999"


@dataclass(frozen=True)
class Preset:
    """A map worth looking at: its axes, and what the base run must be for them to mean much."""

    key: str
    title: str
    axis1: str  # FIELD=VALUES, the map's rows
    axis2: str  # its columns ("" for one axis)
    run: Mapping[str, Any]  # settings of the base run this map needs (e.g. the optimizer)
    metric: str  # what its cells show first
    explain: str


PRESETS = {
    p.key: p
    for p in (
        Preset(
            "adam_betas", "Adam's β₁ × β₂", f"beta1={BETAS}", f"beta2={BETA2S}",
            {"optimizer": "adam"},
            "train_cost",
            "Where Adam works: β₁ averages the gradients (momentum), β₂ their squares. "
            "The course's β₁ = 0.9, β₂ = 0.999 sits in a wide good region; β₂ = 0 divides "
            "each step by |dW|.",
        ),
        Preset(
            "lr_lambd", "α × λ", "lr=1e-4:1:12:log",
            "lambd=0,0.01,0.02,0.05,0.1,0.2,0.5,0.7,1,2,5,10",
            {"optimizer": "adam"},
            "test_accuracy",
            "Learning rate against L2 strength: too large an α fails whatever λ; too large a "
            "λ underfits whatever α.",
        ),
        Preset(
            "momentum", "Momentum's α × β₁", "lr=1e-3:10:12:log", f"beta1={BETAS}",
            {"optimizer": "momentum"},
            "epochs_below",
            "A convergence map (after Distill's 'Why Momentum Really Works'): the epoch from "
            "which J stays below 0.3. The course's v = β₁v + (1 − β₁)dW is an average, so α "
            "sets the speed and β₁ barely does, until β₁ → 1 makes it lag; at the largest α "
            "only a large β₁ still converges.",
        ),
        Preset(
            "lr_decay", "α₀ × decay rate", "lr=1e-3:10:12:log",
            "decay_rate=0,1e-4,3e-4,1e-3,3e-3,0.01,0.03,0.1,0.3,1,3,10",
            {"optimizer": "gd", "decay": "inverse"},
            "train_cost",
            "Gradient descent with α = α₀ / (1 + decay_rate · epoch): decay lets a large α₀ "
            "settle; too fast a decay stops learning early.",
        ),
        Preset(
            "lr_optimizer", "α × optimizer", "lr=1e-4:1:12:log",
            "optimizer=gd,momentum,rmsprop,adam",
            {},
            "train_cost",
            "Each optimizer over the same learning rates: the good α differs by orders of "
            "magnitude, so race optimizers only at their own tuned α.",
        ),
        Preset(
            "lr_batch_norm", "α × batch norm", "lr=1e-3:10:12:log", "batch_norm=off,on",
            {"hidden": (16,) * 5, "activation": "relu", "init": "he", "optimizer": "gd",
             "batch_size": 64, "epochs": 300},
            "test_accuracy",
            "Five ReLU layers of 16 units, gradient descent: without batch norm the largest α "
            "throw the units where ReLU is 0 and the map drops to 50%; with it, each hidden "
            "layer is rescaled over every mini-batch and a wider range of α trains.",
        ),
    )
}  # fmt: skip
DEFAULT_PRESET = "adam_betas"

# metric key -> (label, whether lower is better)
METRICS = {
    "test_accuracy": ("final test accuracy", False),
    "train_accuracy": ("final train accuracy", False),
    "train_cost": ("final train cost J", True),
    "test_cost": ("final test cost", True),
    "epochs_below": ("epoch from which J stays below the threshold", True),
}
DEFAULT_BELOW = 0.3
MODES = ("grid", "random")

Box = tuple[tuple[float, float], ...]  # a zoom box: (low, high) of each sampled setting


@dataclass(frozen=True)
class RandomSettings:
    """Random mode: n runs per round over two ranges (FIELD=LOW:HIGH:SCALE), from sample seed
    ``seed``; each zoom box one more round of n runs inside it (coarse to fine)."""

    n: int = 24  # one lockstep group
    range1: str = "lr=0.0001:1:log"
    range2: str = "beta1=0.9:0.999:1-log"
    seed: int = 0
    zooms: tuple[Box, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "zooms", tuple(tuple(map(tuple, b)) for b in self.zooms))

    def search(self, base: Experiment) -> RandomSearch:
        ranges = (parse_range(self.range1), parse_range(self.range2))
        return RandomSearch(base, ranges, self.n, self.seed, self.zooms)


def zoom_text(zooms: Sequence[Box]) -> str:
    """``"0.001:0.01,0.99:0.995;..."``: each round's box, exact (repr), rounds apart by ";"."""
    return ";".join(",".join(f"{lo!r}:{hi!r}" for lo, hi in box) for box in zooms)


def parse_zooms(text: str) -> tuple[Box, ...]:
    """zoom_text's inverse; a ValueError in one line for anything else."""
    boxes = []
    for part in filter(None, text.split(";")):
        try:
            box = tuple(tuple(float(x) for x in pair.split(":")) for pair in part.split(","))
        except ValueError:
            raise ValueError(f"a zoom box is LOW:HIGH,LOW:HIGH, got {part!r}") from None
        if not all(len(pair) == 2 for pair in box):
            raise ValueError(f"a zoom box is LOW:HIGH,LOW:HIGH, got {part!r}")
        boxes.append(box)
    return tuple(boxes)


@dataclass(frozen=True)
class Settings:
    """Everything the page shows: the cache key and the URL."""

    preset: str = DEFAULT_PRESET
    axis1: str = PRESETS[DEFAULT_PRESET].axis1
    axis2: str = PRESETS[DEFAULT_PRESET].axis2
    metric: str = PRESETS[DEFAULT_PRESET].metric
    below: float = DEFAULT_BELOW  # the cost threshold of the convergence metric
    base: Experiment = replace(BASE, runs=(replace(BASE.runs[0], **PRESETS[DEFAULT_PRESET].run),))
    mode: str = "grid"  # grid: the map of the axes; random: the sampled runs of ``random``
    random: RandomSettings = RandomSettings()

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {self.metric!r}")
        if not (math.isfinite(self.below) and self.below > 0):
            raise ValueError(f"below must be a number > 0, got {self.below!r}")
        if len(self.base.runs) != 1:
            raise ValueError("a sweep's base experiment has one run")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        self.sweep()  # both axes parse and every run is valid, or ValueError
        self.search()  # both ranges parse, every box lies inside them, or ValueError

    def sweep(self) -> Sweep:
        axes = [parse_axis(text) for text in (self.axis1, self.axis2) if text.strip()]
        return Sweep(self.base, tuple(axes))

    def search(self) -> RandomSearch:
        return self.random.search(self.base)

    def runs(self) -> int:
        """How many runs the page trains in its mode."""
        return len(self.search().runs() if self.mode == "random" else self.sweep().runs())


def with_preset(settings: Settings, key: str) -> Settings:
    """The preset's axes, metric and the base run it needs; the data and network are kept. What
    an earlier preset set (e.g. the decay schedule) goes back to the page's base run first."""
    preset = PRESETS[key]
    reset = {name: getattr(BASE.runs[0], name) for p in PRESETS.values() for name in p.run}
    run = replace(settings.base.runs[0], **{**reset, **preset.run})
    return replace(
        settings,
        preset=key,
        metric=preset.metric,
        axis1=preset.axis1,
        axis2=preset.axis2,
        base=settings.base.with_runs(run),
    )


# --- the URL ------------------------------------------------------------------------------------

OWN_KEYS = ("preset", "axis1", "axis2", "metric", "below")
RANDOM_KEYS = ("mode", "n", "range1", "range2", "sample_seed", "zoom")  # random mode's only


def url_params(settings: Settings) -> dict[str, str]:
    """The page's own settings and every setting of the base run (the lab's parameters); in
    random mode its N, ranges, sample seed and zoom boxes too (a grid's URL is unchanged)."""
    own = {k: str(getattr(settings, k)) for k in OWN_KEYS}
    if settings.mode == "random":
        r = settings.random
        own |= dict(mode="random", n=str(r.n), range1=r.range1, range2=r.range2,
                    sample_seed=str(r.seed), zoom=zoom_text(r.zooms))  # fmt: skip
    return {**own, **lab.url_params(settings.base)}


def settings_from_url(params: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Decode query parameters; anything unusable falls back to the default, with a warning."""
    flat = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
    default = Settings()
    warnings: list[str] = []
    preset = flat.get("preset", default.preset)
    if preset not in PRESETS:
        warnings.append(f"unknown preset {preset!r}; using {default.preset!r}")
        preset = default.preset
    start = with_preset(default, preset)
    rest = {k: v for k, v in flat.items() if k not in OWN_KEYS + RANDOM_KEYS}
    base, more = decode(Experiment, rest, start.base, lab.URL_ALIASES, max_items=1)
    warnings += more
    settings = _own(flat, replace(start, base=_checked_base(base, start.base, warnings)), warnings)
    return settings, warnings


def _checked_base(base: Experiment, default: Experiment, warnings: list[str]) -> Experiment:
    if base.data.name == "csv" or base.data.source:
        warnings.append("the sweep maps use generated data sets only; using moons")
        base = replace(base, data=default.data)
    return base


def _own(flat: Mapping[str, str], settings: Settings, warnings: list[str]) -> Settings:
    """The page's own parameters one at a time: a bad one is reset to the preset's, warned."""
    for key in ("axis1", "axis2", "metric", "below"):
        if key not in flat:
            continue
        try:
            value = float(flat[key]) if key == "below" else flat[key]
            settings = replace(settings, **{key: value})
        except ValueError as e:
            warnings.append(f"URL parameter {key}={flat[key]!r} is not usable ({e}); ignored")
    settings = _random(flat, settings, warnings)
    reason = too_long(settings)
    if reason:
        warnings.append(f"{reason} Using the preset's map.")
        settings = with_preset(replace(settings, base=Settings().base), settings.preset)
    return settings


_RANDOM_FIELDS = {"n": int, "range1": str, "range2": str, "sample_seed": int, "zoom": parse_zooms}


def _random(flat: Mapping[str, str], settings: Settings, warnings: list[str]) -> Settings:
    """Random mode's parameters one at a time, as _own does; a bad zoom drops every zoom."""
    for key, kind in _RANDOM_FIELDS.items():
        if key not in flat:
            continue
        name = {"sample_seed": "seed", "zoom": "zooms"}.get(key, key)
        try:
            random = replace(settings.random, **{name: kind(flat[key])})
            if key != "zoom":
                random = replace(random, zooms=())  # boxes belong to their ranges
            settings = replace(settings, random=random)
        except ValueError as e:
            warnings.append(f"URL parameter {key}={flat[key]!r} is not usable ({e}); ignored")
    if "mode" in flat:
        try:
            settings = replace(settings, mode=flat["mode"])
        except ValueError as e:
            warnings.append(f"URL parameter mode={flat['mode']!r} is not usable ({e}); ignored")
    return settings


# --- how long the map takes ---------------------------------------------------------------------


def estimated_seconds(settings: Settings) -> float:
    """About how long the map trains: lockstep chunks of GROUP_SIZE runs, one after another."""
    base, n = settings.base, settings.runs()
    m_train = split_counts(base.data.samples, base.data.test_fraction)[0]
    chunk = base.with_runs(*[base.runs[0]] * min(n, GROUP_SIZE))
    return math.ceil(n / GROUP_SIZE) * lab.estimated_seconds(chunk, m_train)


def too_long(settings: Settings) -> str | None:
    """The one-line reason to refuse a map, or None if it trains in time."""
    seconds = estimated_seconds(settings)
    if seconds <= MAX_SWEEP_SECONDS:
        return None
    return (
        f"This map would take about {seconds:,.0f} s to train; the page trains up to about "
        f"{MAX_SWEEP_SECONDS:.0f} s: fewer values, fewer epochs or samples, or a larger batch "
        "(or use python -m nnviz sweep)."
    )


# --- the map's cells ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TrainedMap:
    """A map's every run, trained: its rows in run order and the wall time of the whole map."""

    rows: tuple[SweepRow, ...]
    seconds: float


@dataclass(frozen=True, eq=False)
class MapData:
    """One value per cell (NaN: not trained yet, diverged, or never below the threshold)."""

    row_labels: tuple[str, ...]  # the first axis's values (one row "" for a one-axis sweep)
    col_labels: tuple[str, ...]
    row_name: str
    col_name: str
    z: np.ndarray  # (rows, cols)
    text: np.ndarray  # (rows, cols) of str: what each cell says
    hover: np.ndarray  # (rows, cols) of str
    state: np.ndarray  # (rows, cols) of str: "pending", "ok", "never", "diverged"
    metric: str
    lower_better: bool
    percent: bool  # the values are shares (accuracies), shown in percent
    cost: np.ndarray  # (rows, cols): final train cost, which breaks ties between equal cells


def axis_name(field: str) -> str:
    return lab.SYMBOLS.get(field, field.replace("_", " "))


def _value_label(value: Any, digits: int = 3) -> str:
    return fmt(float(f"{value:.{digits}g}")) if isinstance(value, float) else str(value)


def value_labels(values: Sequence[Any]) -> tuple[str, ...]:
    """Each value to 3 significant digits (15.8, not 15.8489), more where that would merge two."""
    for digits in range(3, 13):
        labels = tuple(_value_label(v, digits) for v in values)
        if len(set(labels)) == len(labels):
            return labels
    return tuple(map(str, values))


def settled_epoch(history: History, below: float) -> int | None:
    """The first recorded epoch from which the training cost J stays below ``below`` to the end;
    None if it ends above. (A run that dips below and then climbs out has not converged.)"""
    above = np.flatnonzero(~(history.train_cost < below))  # NaN counts as above
    if len(above) and above[-1] == len(history.train_cost) - 1:
        return None
    first = above[-1] + 1 if len(above) else 0
    return int(history.epochs[first])


def cell_value(row: SweepRow, metric: str, below: float) -> float | None:
    """One run's metric: a final value, or the epoch from which J stays below ``below``."""
    if metric == "epochs_below":
        return settled_epoch(row.history, below)
    return row.history.final[metric]


def _cell_text(value: float | None, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if metric.endswith("accuracy"):
        return f"{100 * value:.0f}"
    if metric == "epochs_below":
        return f"{value:.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value < 1000 else f"{value:.0e}"


def map_data(sweep: Sweep, rows: Sequence[SweepRow], metric: str, below: float) -> MapData:
    """The map of the rows trained so far (a row missing from ``rows`` is a pending cell)."""
    two = len(sweep.axes) == 2
    shape = sweep.shape if two else (1, sweep.shape[0])
    z, cost = np.full(shape, np.nan), np.full(shape, np.nan)
    text = np.full(shape, "", dtype=object)
    state = np.full(shape, "pending", dtype=object)
    hover = np.full(shape, "training…", dtype=object)
    label = METRICS[metric][0].replace("the threshold", f"{fmt(below)}")
    for row in rows:
        at = row.cell if two else (0, row.cell[0])
        where = _where(sweep, row.cell, " = ")
        value = cell_value(row, metric, below)
        if row.diverged:
            state[at], text[at] = "diverged", "×"
            hover[at] = f"{where}<br>diverged at epoch {row.diverged_at}"
            continue
        state[at] = "ok" if value is not None else "never"
        cost[at] = row.history.final["train_cost"]
        z[at] = np.nan if value is None else value
        text[at] = _cell_text(value, metric)
        shown = "never" if value is None else _cell_text(value, metric)
        unit = " %" if metric.endswith("accuracy") and value is not None else ""
        hover[at] = f"{where}<br>{label}: {shown}{unit}"
    first, last = sweep.axes[0], sweep.axes[-1]
    return MapData(
        row_labels=value_labels(first.values) if two else ("",),
        col_labels=value_labels(last.values),
        row_name=axis_name(first.field) if two else "",
        col_name=axis_name(last.field),
        z=z,
        text=text,
        hover=hover,
        state=state,
        metric=label,
        lower_better=METRICS[metric][1],
        percent=metric.endswith("accuracy"),
        cost=cost,
    )


def cell_index(sweep: Sweep, cell: tuple[int, int]) -> int:
    """The run index (position in sweep.runs()) of a map cell (row, column)."""
    return cell[0] * sweep.shape[1] + cell[1] if len(sweep.axes) == 2 else cell[1]


def best_cell(data: MapData) -> tuple[int, int] | None:
    """The cell with the best value (of equals, the lowest train cost), None if none has one."""
    z = (data.z if data.lower_better else -data.z).ravel()
    if np.isnan(z).all():
        return None
    best = np.lexsort((data.cost.ravel(), np.where(np.isnan(z), np.inf, z)))[0]
    return tuple(int(k) for k in np.unravel_index(best, data.z.shape))


def _where(sweep: Sweep, cell: tuple[int, ...], sep: str = " ") -> str:
    """'α 0.0631, β₁ 0.95': a run's swept values, as the map's axes label them."""
    return ", ".join(
        f"{axis_name(axis.field)}{sep}{value_labels(axis.values)[i]}"
        for axis, i in zip(sweep.axes, cell)
    )


def run_label(sweep: Sweep, index: int) -> str:
    return _where(sweep, sweep.cells()[index])


def lab_url(sweep: Sweep, index: int) -> dict[str, str]:
    """The lab's query parameters for run ``index`` alone: the lab trains the same numbers."""
    return lab.url_params(sweep.experiment_at(index))
