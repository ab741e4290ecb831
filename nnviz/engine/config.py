"""The one frozen configuration of an experiment: cache key, URL, CLI input and export record.

An experiment is a data set, a seed and 1..n runs. Each run names its whole network and its
training settings; runs that share architecture, batch size and epochs train together in lockstep.
Every field is validated once, here, with a message that names the field and the value.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from nnviz.engine.data import GENERATORS, MAX_CLASSES, MAX_POINTS, MIN_POINTS, MULTICLASS
from nnviz.engine.features import PLANE, canonical
from nnviz.engine.network import ACTIVATIONS, INITS, output_units
from nnviz.engine.optim import OPTIMIZERS, Hyper
from nnviz.engine.schedules import SCHEDULES

DATASETS = tuple(GENERATORS)

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 100  # CS231n's spiral network has one hidden layer of 100 relu units
MAX_SAMPLES = 5000
MAX_EPOCHS = 200_000
MAX_SEED = 2**31 - 2

# the RunConfig fields that runs training together in lockstep must share (RunConfig.group_key);
# the lab shows them once for all runs, and every other RunConfig field per run
# (features: the input layer, n[0], is part of the architecture; the lab shows them once, as the
# experiment's inputs, but a sweep may still vary them: train() groups runs by this key)
GROUP_FIELDS = ("hidden", "activation", "batch_size", "shuffle", "epochs", "features")
# ...and these too, though the lab shows them per run: a group's parameter buffer has one layout
# (batch norm adds γ, β and running statistics), so BN and non-BN runs train in separate groups
LAYOUT_FIELDS = ("batch_norm",)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _finite(name: str, value: float) -> None:
    _check(
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        f"{name} must be a finite number, got {value!r}",
    )


def _whole(name: str, value: int, low: int, high: int) -> None:
    _check(
        isinstance(value, int) and not isinstance(value, bool),
        f"{name} must be a whole number, got {value!r}",
    )
    _check(low <= value <= high, f"{name} must be in [{low}, {high}], got {value}")


@dataclass(frozen=True)
class DataConfig:
    """Which points to learn from. ``name`` is a generator, or "csv" for a user's file."""

    name: str = "moons"  # moons: the classic two interleaved half circles
    samples: int = 300  # train + test points together; for csv, the rows of the data file
    noise: float = 0.2  # standard deviation of the Gaussian jitter; for csv, 0 (none added)
    test_fraction: float = 0.25  # share of samples held out for the test curves; 0 = no test set
    source: str = (
        ""  # for csv: a name and content digest of the file(s), so the key changes with them
    )
    classes: int = 2  # K: 2 is the binary sigmoid output; 3..6 softmax (spiral, blobs or csv)

    def __post_init__(self) -> None:
        _check(
            self.name in DATASETS + ("csv",),
            f"dataset must be one of {', '.join(DATASETS)} or csv, got {self.name!r}",
        )
        if self.name == "csv":  # a file's rows, within what parse_csv accepts
            _whole("samples", self.samples, MIN_POINTS, MAX_POINTS)
        else:
            _whole("samples", self.samples, 20, MAX_SAMPLES)
        _finite("noise", self.noise)
        _check(0 <= self.noise <= 2, f"noise must be in [0, 2], got {self.noise}")
        _finite("test_fraction", self.test_fraction)
        _check(
            0 <= self.test_fraction <= 0.9,
            f"test_fraction must be in [0, 0.9], got {self.test_fraction}",
        )
        _whole("classes", self.classes, 2, MAX_CLASSES)
        _check(
            self.classes == 2 or self.name in (*MULTICLASS, "csv"),
            f"classes {self.classes} needs dataset {', '.join(MULTICLASS)} or csv,"
            f" got {self.name!r}",
        )


@dataclass(frozen=True)
class RunConfig:
    """One network and how it is trained. Defaults are docs/design.md's."""

    hidden: tuple[int, ...] = (5, 2)  # widths of the hidden layers; () = logistic regression
    activation: str = "relu"  # g of the hidden layers; the output is a sigmoid (softmax for K ≥ 3)
    init: str = "he"  # zeros | random (×10) | xavier | he | small (×0.01)
    optimizer: str = "adam"  # gd | momentum | rmsprop | adam
    lr: float = Hyper.lr  # α (α, β₁, β₂ and ε default to the optimizers' own Hyper)
    beta1: float = Hyper.beta1  # β₁: momentum's (and Adam's first moment's) decay
    beta2: float = Hyper.beta2  # β₂: RMSprop's (and Adam's second moment's) decay
    epsilon: float = Hyper.epsilon  # ε: keeps √s + ε away from zero
    lambd: float = 0.0  # λ: L2 strength, cost term λ/(2m)·Σ‖W‖²
    lambd1: float = 0.0  # λ₁: L1 strength, cost term (λ₁/m)·Σ|W| (the course's lambd, for L1)
    keep_prob: float = 1.0  # inverted dropout on hidden layers; 1 = off
    batch_size: int = 64  # mini-batch size; 0 = full batch
    shuffle: bool = True  # a new batch order each epoch, as the course; False: the data's order
    epochs: int = 1000  # full passes over the training set
    decay: str = "constant"  # learning-rate decay: constant | inverse | scheduled (schedules.py)
    decay_rate: float = 1.0  # how fast α shrinks; the course's decay_rate
    decay_interval: int = 1000  # scheduled decay steps α down every this many epochs
    patience: int = 0  # early stopping: stop when the test cost has not improved for this many
    # epochs and keep the best epoch's weights (docs/design.md §7); 0 = off
    batch_norm: bool = False  # normalise each hidden Z over the batch, then γ Z_norm + β
    bn_momentum: float = 0.1  # the new batch's weight in the running μ, σ² (PyTorch's convention
    # and default; Keras's momentum 0.99 is 0.01 here)
    bn_epsilon: float = 1e-5  # ε_bn in √(σ² + ε_bn) (PyTorch's default; Keras's is 1e-3)
    features: tuple[str, ...] = PLANE  # the network's inputs (features.py); n[0] = their count

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "features", canonical(self.features))
        _check(
            len(self.hidden) <= MAX_HIDDEN_LAYERS,
            f"hidden may have at most {MAX_HIDDEN_LAYERS} layers, got {len(self.hidden)}",
        )
        for width in self.hidden:
            _whole("hidden layer width", width, 1, MAX_UNITS)
        _check(
            self.activation in ACTIVATIONS,
            f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
        )
        _check(self.init in INITS, f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        _check(
            self.optimizer in OPTIMIZERS,
            f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}",
        )
        for name in ("lr", "beta1", "beta2", "epsilon", "lambd", "lambd1", "keep_prob"):
            _finite(name, getattr(self, name))
        _check(0 < self.lr <= 100, f"lr must be in (0, 100], got {self.lr}")
        _check(0 <= self.beta1 < 1, f"beta1 must be in [0, 1), got {self.beta1}")
        _check(0 <= self.beta2 < 1, f"beta2 must be in [0, 1), got {self.beta2}")
        _check(0 < self.epsilon <= 1, f"epsilon must be in (0, 1], got {self.epsilon}")
        _check(0 <= self.lambd <= 1000, f"lambd must be in [0, 1000], got {self.lambd}")
        _check(0 <= self.lambd1 <= 1000, f"lambd1 must be in [0, 1000], got {self.lambd1}")
        _check(0 < self.keep_prob <= 1, f"keep_prob must be in (0, 1], got {self.keep_prob}")
        _whole("batch_size", self.batch_size, 0, 100_000)
        _check(
            isinstance(self.shuffle, bool), f"shuffle must be true or false, got {self.shuffle!r}"
        )
        _whole("epochs", self.epochs, 0, MAX_EPOCHS)
        _check(
            self.decay in SCHEDULES,
            f"decay must be one of {', '.join(SCHEDULES)}, got {self.decay!r}",
        )
        _finite("decay_rate", self.decay_rate)
        _check(
            0 <= self.decay_rate <= 1000, f"decay_rate must be in [0, 1000], got {self.decay_rate}"
        )
        _whole("decay_interval", self.decay_interval, 1, MAX_EPOCHS)
        _whole("patience", self.patience, 0, MAX_EPOCHS)
        _check(
            isinstance(self.batch_norm, bool),
            f"batch_norm must be true or false, got {self.batch_norm!r}",
        )
        for name in ("bn_momentum", "bn_epsilon"):
            _finite(name, getattr(self, name))
        _check(0 < self.bn_momentum <= 1, f"bn_momentum must be in (0, 1], got {self.bn_momentum}")
        _check(0 < self.bn_epsilon <= 1, f"bn_epsilon must be in (0, 1], got {self.bn_epsilon}")

    @property
    def layer_dims(self) -> tuple[int, ...]:
        """n[0] = one input per feature (2 for x₁, x₂), the hidden widths, n[L] = 1 output: the
        binary network."""
        return self.dims_for(2)

    def dims_for(self, classes: int) -> tuple[int, ...]:
        """The layer widths for K = ``classes``: n[L] = 1 (sigmoid) for 2, K (softmax) for K ≥ 3.
        K belongs to the data (DataConfig.classes, Dataset.classes), not to the run."""
        return (len(self.features), *self.hidden, output_units(classes))

    def batch_width(self, m: int) -> int:
        """The mini-batch size used on m training points: 0, or anything ≥ m, is the full batch."""
        return m if self.batch_size == 0 or self.batch_size >= m else self.batch_size

    @property
    def group_key(self) -> tuple:
        """Runs with equal keys train together in lockstep."""
        return tuple(getattr(self, name) for name in GROUP_FIELDS + LAYOUT_FIELDS)


@dataclass(frozen=True)
class Experiment:
    """Data, one seed for everything random, and the runs to compare."""

    data: DataConfig = field(default_factory=DataConfig)
    runs: tuple[RunConfig, ...] = (RunConfig(),)
    seed: int = 0  # data, initial weights, batch order and dropout masks all derive from it
    log_every: int = 0  # record the history every k epochs; 0 = automatic (about 500 points)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(self.runs))
        _check(len(self.runs) >= 1, "an experiment needs at least one run")
        _whole("seed", self.seed, 0, MAX_SEED)
        _whole("log_every", self.log_every, 0, MAX_EPOCHS)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (lists for tuples)."""
        out = asdict(self)
        for run in out["runs"]:
            run["hidden"] = list(run["hidden"])
            run["features"] = list(run["features"])
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        """Inverse of to_dict; unknown keys raise ValueError naming them."""
        _known(DataConfig, d.get("data", {}))
        for run in d.get("runs", []):
            _known(RunConfig, run)
        _known(cls, d)
        data = DataConfig(**d.get("data", {}))
        runs = tuple(RunConfig(**run) for run in d.get("runs", [{}]))
        rest = {k: v for k, v in d.items() if k not in ("data", "runs")}
        return cls(data=data, runs=runs, **rest)

    def to_json(self) -> str:
        """The experiment as indented JSON: what the lab's "Config (JSON)" download holds."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Experiment:
        """Inverse of to_json; also reads ``nnviz train --json`` output, whole or its ``"config"``
        alone (the file names written beside the experiment there are not read: a CSV and
        initial weights are given again). Raises ValueError, one line, for anything else."""
        try:
            d = json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            raise ValueError(f"not a JSON file ({e})") from None
        if isinstance(d, dict) and isinstance(d.get("config"), dict):
            d = d["config"]
        if isinstance(d, dict):
            d = {k: v for k, v in d.items() if k not in _RESULT_FILES}
        _check(isinstance(d, dict), "a config is a JSON object with data, runs and seed")
        _check(isinstance(d.get("data", {}), dict), "data must be a JSON object")
        runs = d.get("runs", [{}])
        _check(
            isinstance(runs, list) and all(isinstance(r, dict) for r in runs),
            "runs must be a list of JSON objects",
        )
        try:
            return cls.from_dict(d)
        except TypeError as e:  # e.g. "hidden": 5 instead of [5]
            raise ValueError(f"a config value has the wrong type ({e})") from None

    def with_runs(self, *runs: RunConfig) -> Experiment:
        return replace(self, runs=tuple(runs))


_RESULT_FILES = ("data_file", "test_data_file", "init_from")  # beside the config in CLI output


def _known(cls: type, d: dict[str, Any]) -> None:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names)
    _check(not unknown, f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
