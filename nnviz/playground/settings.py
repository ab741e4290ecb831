"""The optimizer playground's settings, lessons and tables, without Streamlit.

One frozen ``Playground`` config is the page's single source of truth: the widgets are built from
it, the cache is keyed by it and the URL is ``urlstate.encode`` of it. ``run`` turns it into
paths (``nnviz.playground.trajectory.race``); the helpers below turn paths into what the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from nnviz.engine.optim import OPTIMIZERS, Hyper
from nnviz.playground.surfaces import DEFAULT_KAPPA, SURFACES, Surface, make_surface
from nnviz.playground.trajectory import (
    MAX_STEPS,
    Path,
    distance_to_minima,
    first_within,
    nearest_minimum,
    race,
)
from nnviz.views import urlstate

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
}
DEFAULT_TOL = 0.01  # "reached the minimum" = within this distance of it
GAP_FLOOR = 1e-16  # f − f* is drawn on a log axis: exact zeros sit on this floor


def _check_range(name: str, value: float) -> None:
    low, high = LIMITS[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race and its own learning rate."""

    optimizer: str = "adam"
    lr: float = Hyper.lr  # α

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            names = ", ".join(OPTIMIZERS)
            raise ValueError(f"optimizer must be one of {names}, got {self.optimizer!r}")
        _check_range("lr", self.lr)


def _racers(surface: Surface) -> tuple[Racer, ...]:
    return tuple(Racer(name, surface.lr[name]) for name in OPTIMIZERS)


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
    steps: int = SURFACES["bowl"].steps  # updates per optimizer
    tol: float = DEFAULT_TOL  # distance to a minimum that counts as "reached"
    beta1: float = Hyper.beta1  # β₁
    beta2: float = Hyper.beta2  # β₂
    epsilon: float = Hyper.epsilon  # ε
    racers: tuple[Racer, ...] = _racers(SURFACES["bowl"])  # no optimizer twice

    def __post_init__(self) -> None:
        object.__setattr__(self, "racers", tuple(self.racers))
        if self.surface not in SURFACES:
            names = ", ".join(SURFACES)
            raise ValueError(f"surface must be one of {names}, got {self.surface!r}")
        for name in ("kappa", "x0", "y0", "tol", "beta1", "beta2", "epsilon"):
            _check_range(name, getattr(self, name))
        low, high = LIMITS["steps"]
        if isinstance(self.steps, bool) or not isinstance(self.steps, int):
            raise ValueError(f"steps must be a whole number, got {self.steps!r}")
        if not low <= self.steps <= high:
            raise ValueError(f"steps must be in [{low}, {high}], got {self.steps}")
        names = [r.optimizer for r in self.racers]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"racers must name 1 to 4 different optimizers, got {names}")

    @property
    def start(self) -> tuple[float, float]:
        return (self.x0, self.y0)

    def racer(self, name: str) -> Racer | None:
        return next((r for r in self.racers if r.optimizer == name), None)

    def hyper(self, name: str) -> Hyper:
        """The engine's hyperparameters for optimizer ``name`` (which must be racing)."""
        lr = self.racer(name).lr
        return Hyper(lr=lr, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)


def default_config(surface: str = "bowl", kappa: float = DEFAULT_KAPPA) -> Playground:
    """The surface's own start, steps and α per optimizer, all four optimizers racing."""
    s = SURFACES[surface]
    return Playground(surface, kappa, *s.start, s.steps, racers=_racers(s))


def build_surface(cfg: Playground) -> Surface:
    return make_surface(cfg.surface, cfg.kappa)


def run(cfg: Playground) -> dict[str, Path]:
    """Race the config's optimizers, in OPTIMIZERS order."""
    hypers = {name: cfg.hyper(name) for name in OPTIMIZERS if cfg.racer(name)}
    return race(build_surface(cfg), cfg.start, hypers, cfg.steps)


# --- URL -------------------------------------------------------------------------------------


def to_query(cfg: Playground) -> dict[str, str]:
    return urlstate.encode(cfg)


def from_query(params: Mapping[str, str | list[str]]) -> tuple[Playground, list[str]]:
    """The config a link describes; settings it leaves out are that surface's defaults."""
    named = params.get("surface", "")
    named = named[-1] if isinstance(named, list) else named
    default = default_config(named if named in SURFACES else "bowl")
    return urlstate.decode(Playground, params, default, max_items=len(OPTIMIZERS))


# --- lessons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    config: Playground
    explain: str  # markdown: what to look for


def _lesson_config(surface: str, lr: dict[str, float], **changes) -> Playground:
    chosen = tuple(Racer(name, alpha) for name, alpha in lr.items())
    return replace(default_config(surface), racers=chosen, **changes)


LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(
            "overshoot",
            "Momentum overshoots",
            _lesson_config("bowl", {"gd": 1.8, "momentum": 2.0}, beta1=0.99, steps=600),
            "With **β₁ = 0.99** the velocity v averages about 1/(1 − β₁) = 100 past gradients, so "
            "momentum sails far past the minimum and circles back for hundreds of steps. "
            "Set β₁ to 0.9 and it settles after a swing or two.",
        ),
        Lesson(
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
        Lesson(
            "bias",
            "Bias correction",
            _lesson_config("bowl", {"rmsprop": 0.1, "adam": 0.1}, beta1=0.0, steps=150),
            "Adam with **β₁ = 0** is RMSprop plus bias correction; both use α = 0.1. RMSprop's s "
            "starts at 0, so its first √s is only √(1 − β₂)·|g| ≈ 0.03·|g|: its first step is "
            "about 30·α, a leap across the ravine. Adam divides s by 1 − β₂ᵗ first, so its first "
            "step is α, the size asked for. Set β₂ to 0.9999: RMSprop's first leap grows to "
            "100·α, Adam's stays α (see the panel under the table).",
        ),
        Lesson(
            "saddle",
            "Escaping a saddle",
            default_config("saddle"),
            "Start almost on the ridge, y = 0.001. The gradient along y is 2·y ≈ 0.002, so "
            "gradient descent lingers near the saddle point; RMSprop and Adam divide by √s, "
            "which is just as small, and walk off at full speed.",
        ),
        Lesson(
            "hump",
            "Rolling over a hump",
            _lesson_config("wells", {"gd": 0.05, "momentum": 0.05}),
            "Same α for both. Gradient descent stops in the first well it reaches; momentum "
            "arrives with speed, rolls over the hump and settles in the deeper well.",
        ),
    )
}


# --- what the page shows ---------------------------------------------------------------------


def gap(surface: Surface, loss: np.ndarray) -> np.ndarray:
    """f(θ) − f*, floored for a log axis; f itself where f is unbounded below (the saddle)."""
    if surface.f_min is None:
        return loss
    return np.maximum(loss - surface.f_min, GAP_FLOOR)


def grid(surface: Surface, n: int = 70) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and the contour heights over the view: log₁₀(f − f* + 10⁻³), or f for the saddle.

    The log makes the levels crowd where f changes by factors, so valley floors stay visible.
    """
    x0, x1, y0, y1 = surface.view
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    f = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    z = f if surface.f_min is None else np.log10(f - surface.f_min + 1e-3)
    return xs, ys, z


def contour_lines(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: int = 18
) -> tuple[np.ndarray, np.ndarray]:
    """Iso-lines of z (shape (len(ys), len(xs))) at ``levels`` even heights, by marching squares.

    Returned as x and y of line segments separated by NaN, ready to draw as one line trace
    (drawn as a scatter trace, the contours survive Plotly's animation, which blanks contour
    traces). Cells that a level crosses four times pair their edges arbitrarily: a blemish of one
    cell, only at saddle points of z.
    """
    heights = np.linspace(np.nanmin(z), np.nanmax(z), levels + 2)[1:-1]
    segments = [_cells_crossing(xs, ys, z, c) for c in heights]
    seg = np.concatenate(segments) if segments else np.empty((0, 2, 2))
    gaps = np.full((len(seg), 1, 2), np.nan)
    flat = np.concatenate([seg, gaps], axis=1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _cells_crossing(xs, ys, z, c) -> np.ndarray:
    """Segments (k, 2 points, xy) where level c crosses the grid cells."""
    X, Y = np.meshgrid(xs, ys)
    corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)),
               (slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]  # fmt: skip
    points = []
    for a, b in zip(corners, corners[1:] + corners[:1]):  # the 4 edges of every cell
        za, zb = z[a] - c, z[b] - c
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(za * zb < 0, za / (za - zb), np.nan)  # where along a→b the level sits
        points.append(np.stack([X[a] + w * (X[b] - X[a]), Y[a] + w * (Y[b] - Y[a])], axis=-1))
    p = np.stack(points, axis=-2).reshape(-1, 4, 2)  # (cells, edges, xy)
    hit = ~np.isnan(p[..., 0])
    two = hit.sum(axis=1) >= 2
    order = np.argsort(~hit[two], axis=1, kind="stable")  # crossed edges first
    first = np.take_along_axis(p[two], order[:, :2, None], axis=1)
    four = hit[two].all(axis=1)
    second = p[two][four][:, 2:]
    return np.concatenate([first, second])


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


def status(path: Path) -> str:
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


def table_rows(cfg: Playground, paths: Mapping[str, Path]) -> list[dict[str, str]]:
    """One row per optimizer: where it ended and whether (and when) it reached a minimum."""
    surface = build_surface(cfg)
    rows = []
    for name, path in paths.items():
        distance = distance_to_minima(surface, path.theta)
        last = path.theta[-1]
        rows.append(
            {
                "optimizer": OPTIMIZERS[name].title,
                "α": _fmt(path.hyper.lr, 6),
                "final θ": f"({_fmt(last[0])}, {_fmt(last[1])})",
                "final f(θ)": _fmt(float(path.loss[-1])),
                "distance to minimum": _distance(surface, distance, last),
                f"first step within {cfg.tol:g}": _fmt(first_within(distance, cfg.tol), 6),
                "status": status(path),
            }
        )
    return rows


def _distance(surface: Surface, distance: np.ndarray | None, point: np.ndarray) -> str:
    """The distance to the nearest minimum, naming it where there are several."""
    if distance is None:
        return "— (no minimum: escaping along y)"
    text = _fmt(float(distance[-1]))
    if len(surface.minima) > 1:
        text += " (global)" if nearest_minimum(surface, point) == 0 else " (local)"
    return text
