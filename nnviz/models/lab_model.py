"""The training lab's page model: widgets <-> experiment, labels, the URL, limits, data, results.

No streamlit here. Its formulas panel is nnviz.models.formulas, its downloads nnviz.models.exports.

The page keeps one applied ``Experiment`` (the cache key and the URL) and a flat set of widget
values (what the user is editing). ``widget_values`` and ``experiment_from_widgets`` convert between
the two; the runs of one experiment share data, architecture, epochs and batch size (one lockstep
group) and differ in optimizer, initialization, α, λ, β₁, β₂, ε and keep_prob.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from nnviz.engine.config import (
    GROUP_FIELDS,
    MAX_HIDDEN_LAYERS,
    DataConfig,
    Experiment,
    RunConfig,
)
from nnviz.engine.data import (
    MAX_CLASSES,
    MULTICLASS,
    DataError,
    Dataset,
    digest,
    from_csv,
    split_counts,
)
from nnviz.engine.features import PLANE, labels
from nnviz.engine.history import History
from nnviz.engine.lessons import LESSONS, WEEKS, Lesson
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.train import load_data
from nnviz.models.formulas import fmt
from nnviz.models.urlstate import decode, encode

MAX_RUNS = 4
URL_ALIASES = {"name": "dataset"}

# The default comparison: the course's λ = 0 vs λ = 0.7 on noisy moons, with a network big enough
# to overfit. Trains in about 0.2 s. λ = 0: 98% train / 92% test, a wiggly boundary and a test
# cost that climbs to 0.59; λ = 0.7: 92% / 95%, a smooth boundary, the test cost flat at 0.20.
_NET = dict(hidden=(20, 10), activation="relu", init="he", optimizer="adam", lr=0.01, epochs=500)
DEFAULT = Experiment(
    data=DataConfig("moons", samples=300, noise=0.25, test_fraction=0.25),
    runs=(RunConfig(lambd=0.0, **_NET), RunConfig(lambd=0.7, **_NET)),
    seed=5,
)

SHARED = GROUP_FIELDS  # one value for all runs: they train in one lockstep group
PER_RUN = tuple(f.name for f in fields(RunConfig) if f.name not in GROUP_FIELDS)
# The network's shape: shared by the widgets, but a lesson, a link or a file may give each run its
# own (no hidden layer against one, x₁, x₂ against x₁², x₂²): such runs train as separate groups,
# the widgets show run 1's, and a change there applies to every run.
ARCHITECTURE = ("hidden", "features")
SYMBOLS = {
    "lr": "α",
    "lambd": "λ",
    "lambd1": "λ₁",
    "beta1": "β₁",
    "beta2": "β₂",
    "epsilon": "ε",
    "keep_prob": "keep_prob",
    "decay_rate": "decay_rate",
    "decay_interval": "every",
    "patience": "patience",
    "bn_momentum": "ρ",
    "bn_epsilon": "ε_bn",
}


def _one_two_five(low: float, high: float) -> tuple[float, ...]:
    """1, 2, 5 per decade from low to high: log-spaced choices for values that span decades."""
    values = [m * 10.0**e for e in range(-8, 4) for m in (1, 2, 5)]
    return tuple(float(f"{v:.3g}") for v in values if low * 0.999 <= v <= high * 1.001)


LR_CHOICES = _one_two_five(1e-4, 10)
LAMBDA_CHOICES = tuple(sorted({0.0, 0.7, *_one_two_five(1e-3, 10)}))  # 0.7: the course's λ
LAMBDA1_CHOICES = (0.0, *_one_two_five(1e-4, 1))  # (λ₁/m)·Σ|W|: a tenth of λ's scale does a lot
BETA1_CHOICES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
BETA2_CHOICES = (0.0, 0.9, 0.99, 0.999, 0.9999)
EPSILON_CHOICES = (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
PATIENCE_CHOICES = (0, 10, 20, 50, 100, 200, 500, 1000)  # epochs; 0 = no early stopping
BN_MOMENTUM_CHOICES = (0.01, 0.05, 0.1, 0.2, 0.5, 0.9, 1.0)  # 0.1: PyTorch's; 0.01: Keras's
BN_EPSILON_CHOICES = (1e-8, 1e-5, 1e-3, 1e-1)  # 1e-5: PyTorch's; 1e-3: Keras's
KEEP_CHOICES = (0.5, 0.6, 0.7, 0.8, 0.86, 0.9, 0.95, 1.0)  # 0.86: the course's dropout
CLASS_CHOICES = tuple(range(2, MAX_CLASSES + 1))  # K: spiral and blobs
SAMPLE_CHOICES = (50, 100, 200, 300, 400, 500, 1000, 2000, 5000)
NOISE_CHOICES = tuple(round(0.05 * k, 2) for k in range(21))
TEST_CHOICES = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)
EPOCH_CHOICES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000)
BATCH_CHOICES = (0, 8, 16, 32, 64, 128, 256)  # 0 = full batch
LAYER_CHOICES = tuple(range(MAX_HIDDEN_LAYERS + 1))


def with_value(choices: Sequence[Any], value: Any) -> tuple:
    """The choices plus ``value`` (a URL or a lesson may hold one that isn't on the grid)."""
    return tuple(choices) if value in choices or value is None else tuple(sorted({*choices, value}))


def fmt_batch(value: int) -> str:
    return "full batch" if value == 0 else str(value)


# --- widgets <-> experiment ---------------------------------------------------------------------


def run_key(i: int, name: str) -> str:
    """The widget key of run i's setting ``name``, e.g. run0_lambd."""
    return f"run{i}_{name}"


def width_key(layer: int) -> str:
    return f"width{layer}"


def widget_values(exp: Experiment) -> dict[str, Any]:
    """Every widget's value for ``exp``: the shared settings come from the first run."""
    d, first = exp.data, exp.runs[0]
    values: dict[str, Any] = {
        "dataset": d.name,
        "samples": d.samples,
        "noise": d.noise,
        "test_fraction": d.test_fraction,
        "classes": d.classes,
        "seed": exp.seed,
        "layers": len(first.hidden),
        "activation": first.activation,
        "epochs": first.epochs,
        "batch_size": first.batch_size,
        "shuffle": first.shuffle,  # no widget: kept as the URL, a lesson or a file set it
        "features": list(first.features),
    }
    for layer in range(MAX_HIDDEN_LAYERS):
        widths = first.hidden or (8,)
        values[width_key(layer)] = widths[min(layer, len(widths) - 1)]
    for i, run in enumerate(exp.runs):
        values.update({run_key(i, name): getattr(run, name) for name in PER_RUN})
    return values


def experiment_from_widgets(
    values: Mapping[str, Any], n_runs: int, csv_source: str = "", log_every: int = 0
) -> Experiment:
    """The experiment the widgets describe. Raises ValueError (from the config) if invalid."""
    hidden = tuple(int(values[width_key(k)]) for k in range(int(values["layers"])))
    shared = dict(
        hidden=hidden,
        activation=values["activation"],
        epochs=int(values["epochs"]),
        batch_size=int(values["batch_size"]),
        shuffle=bool(values.get("shuffle", True)),
        features=tuple(values.get("features", PLANE)),
    )
    runs = tuple(
        RunConfig(**shared, **{name: values[run_key(i, name)] for name in PER_RUN})
        for i in range(n_runs)
    )
    data = DataConfig(
        name=values["dataset"],
        samples=int(values["samples"]),
        noise=float(values["noise"]),
        test_fraction=float(values["test_fraction"]),
        source=csv_source if values["dataset"] == "csv" else "",
        # K for spiral and blobs; 2 for the others (the control is off); a CSV's labels give
        # its own K when it is loaded (Dataset.classes), and the config records 2
        classes=int(values.get("classes", 2)) if values["dataset"] in MULTICLASS else 2,
    )
    return Experiment(data=data, runs=runs, seed=int(values["seed"]), log_every=log_every)


def keep_architectures(edited: Experiment, applied: Experiment) -> Experiment:
    """``edited`` with each run's own hidden widths and features from ``applied`` where the
    widgets (which show run 1's) left them as they were: a lesson's runs keep their networks."""
    if len(edited.runs) != len(applied.runs):
        return edited
    first, was = edited.runs[0], applied.runs[0]
    kept = [n for n in ARCHITECTURE if getattr(first, n) == getattr(was, n)]
    if not kept:
        return edited
    runs = (
        replace(r, **{n: getattr(a, n) for n in kept}) for r, a in zip(edited.runs, applied.runs)
    )
    return edited.with_runs(*runs)


def mixed_architectures(exp: Experiment) -> bool:
    """Whether the runs differ in their hidden layers or input features."""
    return len({tuple(getattr(r, n) for n in ARCHITECTURE) for r in exp.runs}) > 1


def add_run(exp: Experiment) -> Experiment:
    """A copy of the last run appended (at most MAX_RUNS)."""
    return exp if len(exp.runs) >= MAX_RUNS else exp.with_runs(*exp.runs, exp.runs[-1])


def duplicate_run(exp: Experiment, i: int) -> Experiment:
    """Run i copied in right after itself (at most MAX_RUNS)."""
    if len(exp.runs) >= MAX_RUNS:
        return exp
    return exp.with_runs(*exp.runs[: i + 1], exp.runs[i], *exp.runs[i + 1 :])


def remove_run(exp: Experiment, i: int) -> Experiment:
    """Run i dropped (at least one run stays)."""
    return exp if len(exp.runs) <= 1 else exp.with_runs(*exp.runs[:i], *exp.runs[i + 1 :])


def shared_changed(edited: Experiment, applied: Experiment) -> bool:
    """Whether the data, seed or shared network/training settings differ."""
    a, b = edited.runs[0], applied.runs[0]
    return (edited.data, edited.seed) != (applied.data, applied.seed) or any(
        getattr(a, n) != getattr(b, n) for n in SHARED
    )


def run_changed(edited: Experiment, applied: Experiment, i: int) -> bool:
    """Whether run i's own settings differ."""
    a, b = edited.runs[i], applied.runs[i]
    return any(getattr(a, n) != getattr(b, n) for n in PER_RUN)


def unused(run_optimizer: str) -> frozenset[str]:
    """The hyperparameters the optimizer ignores (their controls are disabled)."""
    return frozenset({"lr", "beta1", "beta2", "epsilon"}) - OPTIMIZERS[run_optimizer].uses


def users_of(name: str) -> str:
    """'Momentum and Adam': the optimizers that read hyperparameter ``name``."""
    titles = [o.title for o in OPTIMIZERS.values() if name in o.uses]
    return " and ".join([", ".join(titles[:-1]), titles[-1]] if len(titles) > 1 else titles)


# --- labels and lessons -------------------------------------------------------------------------


def lesson_for(exp: Experiment) -> Lesson | None:
    """The lesson whose experiment ``exp`` is exactly, if any."""
    return next((lesson for lesson in LESSONS.values() if lesson.experiment == exp), None)


def lesson_weeks() -> list[int]:
    """The course weeks that have lessons, in WEEKS' order (beyond the course last)."""
    have = {lesson.week for lesson in LESSONS.values()}
    return [week for week in WEEKS if week in have]


def lesson_week(exp: Experiment) -> int:
    """The week whose lessons the lab shows first: that of ``exp``'s lesson, else the first."""
    lesson = lesson_for(exp)
    return lesson.week if lesson is not None else lesson_weeks()[0]


def _describe(run: RunConfig, names: Sequence[str]) -> str:
    parts = []
    for name in names:
        value = getattr(run, name)
        if name == "optimizer":
            parts.append(OPTIMIZERS[value].title)
        elif name == "batch_norm":
            parts.append("batch norm" if value else "no BN")
        elif name in ("init", "decay"):
            parts.append(f"{value} {name}")
        elif name == "hidden":
            parts.append(f"hidden {'-'.join(map(str, value))}" if value else "no hidden layer")
        elif name == "features":
            parts.append(f"({', '.join(labels(value))})")
        elif isinstance(value, float):
            parts.append(f"{SYMBOLS.get(name, name)} {fmt(value)}")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


def run_labels(exp: Experiment) -> tuple[str, ...]:
    """A lesson's labels, else what tells the runs apart ('λ 0', 'λ 0.7'), else 'run 1', ....

    Never numbered: the page numbers runs itself (``numbered``). A run equal to an earlier one
    is that run's label plus ' (copy)', ' (copy 2)', ....
    """
    lesson = lesson_for(exp)
    if lesson is not None:
        return lesson.labels
    differing = [n for n in (*ARCHITECTURE, *PER_RUN) if len({getattr(r, n) for r in exp.runs}) > 1]
    if not differing:
        return tuple(f"run {i + 1}" for i in range(len(exp.runs)))
    labels: list[str] = []
    for run in exp.runs:
        label = _describe(run, differing)
        copies = sum(1 for earlier in labels if earlier.partition(" (copy")[0] == label)
        labels.append(
            label if not copies else f"{label} (copy{'' if copies == 1 else f' {copies}'})"
        )
    return tuple(labels)


def numbered(i: int, label: str) -> str:
    """'2: λ 0.7' for choosing among runs; 'run 2' stays 'run 2'."""
    return label if label == f"run {i + 1}" else f"{i + 1}: {label}"


# --- the URL ------------------------------------------------------------------------------------


def url_params(exp: Experiment) -> dict[str, str]:
    """Every setting of every run as query parameters."""
    return encode(exp, URL_ALIASES)


def experiment_from_url(
    params: Mapping[str, Any], csv_source: str = ""
) -> tuple[Experiment, list[str]]:
    """Decode query parameters; anything unusable falls back to DEFAULT with a warning."""
    exp, warnings = decode(Experiment, params, DEFAULT, URL_ALIASES, max_items=MAX_RUNS)
    exp, more = for_the_lab(exp, csv_source)
    return exp, warnings + more


def experiment_from_config(content: bytes, csv_source: str = "") -> tuple[Experiment, list[str]]:
    """A downloaded config JSON (or the CLI's --json output), made trainable in the lab.

    Raises ValueError, one line, for a file that is not such a config.
    """
    exp = Experiment.from_json(content)
    warnings = []
    if len(exp.runs) > MAX_RUNS:
        warnings.append(f"the file has {len(exp.runs)} runs; the lab shows the first {MAX_RUNS}")
        exp = exp.with_runs(*exp.runs[:MAX_RUNS])
    exp, more = for_the_lab(exp, csv_source)
    return exp, warnings + more


def for_the_lab(exp: Experiment, csv_source: str = "") -> tuple[Experiment, list[str]]:
    """What the lab can train of ``exp``: CSV data only with its file uploaded, one set of shared
    settings, within the time limit; each change said in a warning."""
    warnings = []
    if exp.data.name == "csv" and not (csv_source and exp.data.source == csv_source):
        warnings.append(
            f"the data is an uploaded CSV file ({exp.data.source or 'not named'}); upload it, "
            "then load this again. Using the default data set"
        )
        exp = replace(exp, data=DEFAULT.data)
    elif exp.data.name != "csv" and exp.data.source:
        warnings.append(f"source={exp.data.source!r} names a CSV file; ignored for generated data")
        exp = replace(exp, data=replace(exp.data, source=""))
    exp, more = shared_settings(exp)
    reason = too_long(exp, split_counts(exp.data.samples, exp.data.test_fraction)[0])
    if reason:
        more.append(f"{reason} Using the default experiment.")
        exp = DEFAULT
    return exp, warnings + more


def shared_settings(exp: Experiment) -> tuple[Experiment, list[str]]:
    """Give every run the first run's activation, epochs and batch size (the lab shares them;
    each run may keep its own hidden widths and features, ARCHITECTURE)."""
    first = exp.runs[0]
    differ = [
        n
        for n in SHARED
        if n not in ARCHITECTURE and any(getattr(r, n) != getattr(first, n) for r in exp.runs)
    ]
    if not differ:
        return exp, []
    shared = {n: getattr(first, n) for n in differ}
    runs = tuple(replace(r, **shared) for r in exp.runs)
    note = f"runs share {', '.join(differ)} in the lab; using run 1's for all runs"
    return exp.with_runs(*runs), [note]


# --- how long training would take ---------------------------------------------------------------

MAX_TRAIN_SECONDS = 20.0  # the lab refuses (with a reason) what would freeze the page longer
# a conservative model of the trainer's cost per update, measured on the 2-core reference machine:
# a fixed Python/NumPy overhead, plus work per example, per run, per unit and per weight
STEP_OVERHEAD, PER_UNIT, PER_WEIGHT = 4e-5, 6e-9, 2e-9


def estimated_seconds(exp: Experiment, m_train: int) -> float:
    """About how long training ``exp`` on ``m_train`` points takes (runs train in lockstep)."""
    run = exp.runs[0]  # the lab's runs share batch size and epochs
    batch = run.batch_width(m_train)
    steps = run.epochs * -(-m_train // batch)
    groups = len({r.group_key for r in exp.runs})  # runs of another network: another group
    work = 0.0
    for r in exp.runs:
        dims = r.dims_for(exp.data.classes)
        weights = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
        work += batch * (PER_UNIT * sum(dims[1:]) + PER_WEIGHT * weights)
    return steps * (groups * STEP_OVERHEAD + work)


def too_long(exp: Experiment, m_train: int) -> str | None:
    """The one-line reason to refuse ``exp`` in the lab, or None if it trains in time."""
    seconds = estimated_seconds(exp, m_train)
    if seconds <= MAX_TRAIN_SECONDS:
        return None
    return (
        f"This would take about {seconds:,.0f} s to train; the lab trains up to about "
        f"{MAX_TRAIN_SECONDS:.0f} s: lower the epochs or the samples, or raise the batch size "
        "(or use python -m nnviz train)."
    )


# --- data ---------------------------------------------------------------------------------------


def check_upload(content: bytes, test_fraction: float, seed: int) -> tuple[str, str | None]:
    """(digest, None) for a usable CSV, else ("", the one-line reason to show the user)."""
    try:
        from_csv(content, test_fraction, seed)
    except DataError as e:
        return "", str(e)
    return digest(content), None


def load_dataset(exp: Experiment, csv_content: bytes | None = None) -> Dataset:
    """The experiment's data: generated, or the uploaded CSV split by test share and seed."""
    if exp.data.name == "csv":
        if csv_content is None:
            raise DataError("no CSV file uploaded")
        return from_csv(csv_content, exp.data.test_fraction, exp.seed)
    return load_data(exp)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Result:
    """An experiment's training: its data and one History per run, in run order."""

    data: Dataset
    histories: tuple[History, ...]

    @property
    def epoch(self) -> int:
        """The last epoch trained (short of the experiment's epochs when it was stopped)."""
        return int(self.histories[0].epochs[-1])


@dataclass(frozen=True, eq=False)
class Stopped:
    """A training the user stopped: shown as far as it got, never stored."""

    exp: Experiment
    result: Result


@dataclass(frozen=True, eq=False)
class Partial:
    """A training in progress, as far as it got: each run's History so far (None: not begun)."""

    exp: Experiment
    data: Dataset
    histories: tuple[History | None, ...]

    def stopped(self) -> Stopped | None:
        """What Stop keeps: this training as it stands, once every run has a History."""
        if any(h is None for h in self.histories):
            return None
        return Stopped(self.exp, Result(self.data, self.histories))
