"""The optimizer playground's settings, lessons and tables, without Streamlit.

One frozen ``Playground`` config is the page's single source of truth: the widgets are built from
it, the cache is keyed by it and the URL is ``urlstate.encode`` of it. ``run`` turns it into
paths (``nnviz.playground.trajectory.race``); the helpers below turn paths into what the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from nnviz.engine.optim import OPTIMIZERS, Hyper
from nnviz.engine.schedules import SCHEDULES, lr_after
from nnviz.engine.tune import Scan
from nnviz.models import urlstate
from nnviz.playground import tuning
from nnviz.playground.surfaces import DEFAULT_KAPPA, SURFACES, Surface, make_surface
from nnviz.playground.trajectory import (
    MAX_STEPS,
    RULES,
    OptimizerPath,
    distance_to_minima,
    first_within,
    nearest_minimum,
    race,
)

# the widgets use the same limits, so every valid config can be shown by the page
LIMITS = {
    "kappa": (1.0, 1000.0),
    "x0": (-100.0, 100.0),
    "y0": (-100.0, 100.0),
    "steps": (1, MAX_STEPS),
    "tol": (1e-6, 10.0),
    "lr": (1e-6, 100.0),
    "beta1": (0.0, 0.9999),
    "beta2": (0.0, 0.99999),
    "epsilon": (1e-12, 1.0),
    "decay_rate": (0.0, 100.0),
    "decay_interval": (1, MAX_STEPS),
}
DEFAULT_TOL = 0.01  # "reached the minimum" = within this distance of it
TUNE = {  # how each racer's α is chosen
    "off": "as set for each optimizer",
    **{k: f"tuned: {v}" for k, v in tuning.CRITERIA.items()},
}


def _check_range(name: str, value: float) -> None:
    low, high = LIMITS[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")


def _check_choice(name: str, value: str, choices: Mapping[str, object]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True)
class Racer:
    """One racer (an optimizer, or Adam without bias correction) and its own learning rate."""

    optimizer: str = "adam"  # a key of trajectory.RULES
    lr: float = Hyper.lr  # α

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, RULES)
        _check_range("lr", self.lr)


def _racers(surface: Surface) -> tuple[Racer, ...]:
    return tuple(Racer(name, surface.lr[name]) for name in OPTIMIZERS)


def default_lr(surface: Surface, name: str) -> float:
    """The surface's α for racer ``name`` (a variant takes its optimizer's)."""
    return surface.lr[RULES[name].optimizer]


@dataclass(frozen=True)
class Playground:
    """Everything the playground page shows is a function of this.

    α is each racer's own; β₁, β₂ and ε are shared, as in the course's formulas: β₁ is the decay
    of momentum's v and Adam's v, β₂ that of RMSprop's s and Adam's s.
    """

    surface: str = "bowl"
    kappa: float = DEFAULT_KAPPA  # the bowl's condition number (ignored by other surfaces)
    x0: float = SURFACES["bowl"].start[0]  # start θ_0 = (x0, y0)
    y0: float = SURFACES["bowl"].start[1]
    steps: int = SURFACES["bowl"].steps  # updates per racer
    tol: float = DEFAULT_TOL  # distance to a minimum that counts as "reached"
    beta1: float = Hyper.beta1  # β₁
    beta2: float = Hyper.beta2  # β₂
    epsilon: float = Hyper.epsilon  # ε
    racers: tuple[Racer, ...] = _racers(SURFACES["bowl"])  # no racer twice
    tune: str = "off"  # "off": each racer's own α; else each α tuned on tuning.GRID (TUNE)
    # learning-rate decay from each racer's α₀ (engine.schedules); one update counts as one epoch
    decay: str = "constant"
    decay_rate: float = 1.0
    decay_interval: int = 100  # scheduled decay: α steps down every this many updates

    def __post_init__(self) -> None:
        object.__setattr__(self, "racers", tuple(self.racers))
        _check_choice("surface", self.surface, SURFACES)
        _check_choice("tune", self.tune, TUNE)
        _check_choice("decay", self.decay, SCHEDULES)
        for name in ("kappa", "x0", "y0", "tol", "beta1", "beta2", "epsilon", "decay_rate"):
            _check_range(name, getattr(self, name))
        for name in ("steps", "decay_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            _check_range(name, value)
        names = [r.optimizer for r in self.racers]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"racers must name 1 to {len(RULES)} different racers, got {names}")

    @property
    def start(self) -> tuple[float, float]:
        return (self.x0, self.y0)

    def racer(self, name: str) -> Racer | None:
        return next((r for r in self.racers if r.optimizer == name), None)

    def hyper(self, name: str) -> Hyper:
        """The engine's hyperparameters for racer ``name`` (which must be racing)."""
        lr = self.racer(name).lr
        return Hyper(lr=lr, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)

    def hypers(self) -> dict[str, Hyper]:
        """Every racer's hyperparameters, in RULES order (the order of colors and rows)."""
        return {name: self.hyper(name) for name in RULES if self.racer(name)}

    def decaying(self) -> Callable[[float | np.ndarray], Callable[[int], np.ndarray]] | None:
        """α₀ (a float, or a column of them) -> the α of update t; None without decay.

        One update is one epoch of the course's schedule, and α is updated after each one: update
        t trains with the α in effect after t − 1 updates (``schedules.lr_after``).
        """
        if self.decay == "constant":
            return None
        decay, rate, interval = self.decay, self.decay_rate, self.decay_interval

        def schedule(lr0: float | np.ndarray) -> Callable[[int], np.ndarray]:
            column = np.asarray(lr0, dtype=float).reshape(-1, 1)
            rates, intervals = np.full_like(column, rate), np.full_like(column, interval)
            names = [decay] * len(column)
            return lambda t: lr_after(names, column, rates, intervals, t - 1)

        return schedule


# the fields the sidebar edits as numbers (surface, racers, tune and decay have their own widgets)
NUMBER_FIELDS = tuple(f.name for f in fields(Playground) if f.type in ("float", "int"))


def default_config(surface: str = "bowl", kappa: float = DEFAULT_KAPPA) -> Playground:
    """The surface's own start, steps and α per optimizer, all four optimizers racing."""
    s = SURFACES[surface]
    return Playground(surface, kappa, *s.start, s.steps, racers=_racers(s))


def build_surface(cfg: Playground) -> Surface:
    return make_surface(cfg.surface, cfg.kappa)


def tuned(cfg: Playground) -> dict[str, Scan] | None:
    """Each racer's scan over tuning.GRID, when the config asks for tuned α; else None."""
    if cfg.tune == "off":
        return None
    surface = build_surface(cfg)
    hypers = cfg.hypers()
    return tuning.tune(surface, cfg.start, hypers, cfg.steps, cfg.tol, cfg.tune, cfg.decaying())


def run(cfg: Playground, scans: Mapping[str, Scan] | None = None) -> dict[str, OptimizerPath]:
    """Race the config's racers, in RULES order, at their own α or at the tuned one.

    ``scans`` is ``tuned(cfg)`` when the caller already has it (the page caches it).
    """
    hypers = cfg.hypers()
    if cfg.tune != "off":
        scans = scans if scans is not None else tuned(cfg)
        hypers = {name: replace(h, lr=scans[name].best) for name, h in hypers.items()}
    decay = cfg.decaying()
    alphas = {name: decay(h.lr) for name, h in hypers.items()} if decay else None
    return race(build_surface(cfg), cfg.start, hypers, cfg.steps, alphas)


# --- URL -------------------------------------------------------------------------------------


def to_query(cfg: Playground) -> dict[str, str]:
    return urlstate.encode(cfg)


def from_query(params: Mapping[str, str | list[str]]) -> tuple[Playground, list[str]]:
    """The config a link describes; settings it leaves out are that surface's defaults."""
    named = params.get("surface", "")
    named = named[-1] if isinstance(named, list) else named
    default = default_config(named if named in SURFACES else "bowl")
    return urlstate.decode(Playground, params, default, max_items=len(RULES))


# --- lessons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaygroundLesson:
    key: str
    title: str
    config: Playground
    explain: str  # markdown: what to look for


def _lesson_config(surface: str, lr: dict[str, float], **changes) -> Playground:
    chosen = tuple(Racer(name, alpha) for name, alpha in lr.items())
    return replace(default_config(surface), racers=chosen, **changes)


LESSONS: dict[str, PlaygroundLesson] = {
    lesson.key: lesson
    for lesson in (
        PlaygroundLesson(
            "overshoot",
            "Momentum overshoots",
            _lesson_config("bowl", {"gd": 1.8, "momentum": 2.0}, beta1=0.99, steps=600),
            "With **β₁ = 0.99** the velocity v averages about 1/(1 − β₁) = 100 past gradients, so "
            "momentum sails far past the minimum and circles back for hundreds of steps. "
            "Set β₁ to 0.9 and it settles after a swing or two.",
        ),
        PlaygroundLesson(
            "ravine",
            "Adam in a ravine",
            _lesson_config(
                "bowl",
                {"gd": 0.1, "momentum": 0.1, "adam": 0.1},
                kappa=200.0,
            ),
            "Same **α = 0.1** for all, condition number κ = 200. Gradient descent and momentum "
            "step α·g, tiny along the flat x-axis, so they crawl. Adam divides each coordinate "
            "by its own √ŝ (β₂): every coordinate moves about α per step, straight down the "
            "ravine.",
        ),
        PlaygroundLesson(
            "bias",
            "Bias correction",
            _lesson_config("beale", {"adam": 0.3, "adam_nobias": 0.3}),
            "Both racers are Adam with **α = 0.3**, β₁ = 0.9, β₂ = 0.999; one skips the bias "
            "correction. v and s start at 0, so their first averages are too small: after t "
            "steps of a steady gradient g, v is (1 − β₁ᵗ)·g and s is (1 − β₂ᵗ)·g². Uncorrected, "
            "Adam's step is α·(1 − β₁ᵗ)/√(1 − β₂ᵗ) instead of α: **3.2·α** at t = 1, 6.5·α at "
            "t = 10, still 2·α at t = 300, because s forgets its zero start only over about "
            "1/(1 − β₂) = 1000 steps. So uncorrected Adam leaps off Beale's slope, out of the "
            "picture, and comes back late. Corrected Adam divides v by 1 − β₁ᵗ and s by 1 − β₂ᵗ, "
            "steps α from the first update, and reaches the minimum hundreds of steps sooner "
            "(table; the step sizes are in the panel below). Set β₂ to 0.9: the uncorrected "
            "first step becomes √(1 − 0.9) ≈ 0.32·α, too small instead of too big. Only the "
            "corrected step is the α you chose.",
        ),
        PlaygroundLesson(
            "saddle",
            "Escaping a saddle",
            default_config("saddle"),
            "Start almost on the ridge, y = 0.001. The gradient along y is 2·y ≈ 0.002, so "
            "gradient descent lingers near the saddle point; RMSprop and Adam divide by √s, "
            "which is just as small, and walk off at full speed.",
        ),
        PlaygroundLesson(
            "hump",
            "Rolling over a hump",
            _lesson_config("wells", {"gd": 0.05, "momentum": 0.05}),
            "Same α for both. Gradient descent stops in the first well it reaches; momentum "
            "arrives with speed, rolls over the hump and settles in the deeper well.",
        ),
    )
}


# --- what the page shows ---------------------------------------------------------------------


def grid(surface: Surface, n: int = 70) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and the contour heights over the view: log₁₀(f − f* + 10⁻³), or f for the saddle.

    The log makes the levels crowd where f changes by factors, so valley floors stay visible.
    """
    x0, x1, y0, y1 = surface.view
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    f = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    z = f if surface.f_min is None else np.log10(f - surface.f_min + 1e-3)
    return xs, ys, z


def display_indices(n: int, max_points: int = 180) -> np.ndarray:
    """Which of θ_0 … θ_n to draw: all of them, or every early step and a thinning later."""
    if n + 1 <= max_points:
        return np.arange(n + 1)
    early = np.arange(max_points // 2)
    late = np.linspace(max_points // 2, n, max_points - max_points // 2).round().astype(int)
    return np.unique(np.concatenate([early, late]))


def frame_steps(n: int, max_frames: int = 50) -> np.ndarray:
    """The steps t the animation stops at: 0 … n, at most ``max_frames`` of them, even spacing."""
    return np.unique(np.linspace(0, n, min(max_frames, n + 1)).round().astype(int))


def status(path: OptimizerPath) -> str:
    if path.diverged_at is None:
        return "ok"
    return f"diverged at t = {path.diverged_at}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _fmt(value: float | None, digits: int = 3) -> str:
    """``digits`` significant digits; 2.26e-10 is written 2.26×10⁻¹⁰, and negatives with a true
    minus sign (−), so a narrow table cell never breaks a number at its "-" into a subtraction."""
    if value is None:
        return "—"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace("-", "−")


def table_rows(cfg: Playground, paths: Mapping[str, OptimizerPath]) -> list[dict[str, str]]:
    """One row per optimizer: where it ended and whether (and when) it reached a minimum."""
    surface = build_surface(cfg)
    rows = []
    for name, path in paths.items():
        distance = distance_to_minima(surface, path.theta)
        last = path.theta[-1]
        rows.append(
            {
                "optimizer": RULES[name].title,
                "α": _alpha(path),
                "final θ": f"({_fmt(last[0])}, {_fmt(last[1])})",
                "final f(θ)": _fmt(float(path.loss[-1])),
                "distance to minimum": _distance(surface, distance, last),
                f"first step within {cfg.tol:g}": _fmt(first_within(distance, cfg.tol), 6),
                "status": status(path),
            }
        )
    return rows


def tuning_note(cfg: Playground, scans: Mapping[str, Scan]) -> str:
    """How the tuned α were chosen, for the caption under the table."""
    grid = tuning.GRID
    text = (
        f"Each α chosen from {len(grid)} values, {_fmt(grid[0])} … {_fmt(grid[-1])} (1, 2, 5 per "
        f"decade), by the {tuning.CRITERIA[cfg.tune]}, every run {cfg.steps} steps."
    )
    fell = [RULES[name].title for name, scan in scans.items() if scan.criterion != cfg.tune]
    if fell:
        text += (
            f" {', '.join(fell)}: never within {cfg.tol:g} of a minimum at any α, so chosen by "
            "the lowest final f − f*."
        )
    return text


def _alpha(path: OptimizerPath) -> str:
    """α, or α₀ → the last update's α when it decays."""
    text = _fmt(path.hyper.lr, 6)
    return text if path.lr is None or not len(path.lr) else f"{text} → {_fmt(path.lr[-1], 3)}"


def _distance(surface: Surface, distance: np.ndarray | None, point: np.ndarray) -> str:
    """The distance to the nearest minimum, naming it where there are several."""
    if distance is None:
        return "— (no minimum: escaping along y)"
    text = _fmt(float(distance[-1]))
    if len(surface.minima) > 1:
        text += " (global)" if nearest_minimum(surface, point) == 0 else " (local)"
    return text
