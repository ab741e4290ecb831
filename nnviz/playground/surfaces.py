"""Two-dimensional loss surfaces f(θ), θ = (x, y), for the optimizer playground.

Each surface is pure NumPy: ``f`` and its analytic gradient ``grad`` take points of shape (..., 2)
and return values of shape (...) and gradients of shape (..., 2), so the same function evaluates
one point, every optimizer's point at once, or a whole contour grid. Each one also carries what
the page needs to show its point: a view window, a start, a learning rate per optimizer that makes
the optimizers behave visibly differently, and its known minima (the saddle has none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

Field = Callable[[np.ndarray], np.ndarray]
DEFAULT_KAPPA = 50.0  # condition number of the bowl: its ravine is √50 ≈ 7 times longer than wide


@dataclass(frozen=True)
class Surface:
    """A loss surface f(θ) with its gradient ∇f(θ) and the defaults that show its point."""

    name: str
    title: str
    formula: str  # f(x, y), as the page shows it
    f: Field  # (..., 2) -> (...)
    grad: Field  # (..., 2) -> (..., 2)
    view: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    start: tuple[float, float]
    lr: Mapping[str, float]  # a default α per optimizer name
    steps: int  # default number of updates
    minima: tuple[tuple[float, float], ...]  # the first is the global one; () for the saddle
    f_min: float | None  # f at the global minimum; None if f is unbounded below
    explain: str  # one or two sentences: what to look for
    kappa: float | None = None  # the bowl's condition number; None for fixed surfaces


def _xy(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta = np.asarray(theta, dtype=float)
    return theta[..., 0], theta[..., 1]


def _stack(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    out = np.empty(np.shape(dx) + (2,))
    out[..., 0], out[..., 1] = dx, dy
    return out


# --- Beale: flat valleys and steep cliffs, minimum f(3, 0.5) = 0 ----------------------------


def _beale_terms(theta: np.ndarray) -> tuple[np.ndarray, ...]:
    x, y = _xy(theta)
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y**2
    c = 2.625 - x + x * y**3
    return x, y, a, b, c


def beale_f(theta: np.ndarray) -> np.ndarray:
    """f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²."""
    _, _, a, b, c = _beale_terms(theta)
    return a**2 + b**2 + c**2


def beale_grad(theta: np.ndarray) -> np.ndarray:
    """∂f/∂x = 2a(y − 1) + 2b(y² − 1) + 2c(y³ − 1);  ∂f/∂y = 2a·x + 2b·2xy + 2c·3xy²."""
    x, y, a, b, c = _beale_terms(theta)
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
    return _stack(dx, dy)


# --- Rosenbrock: a long curved banana valley, minimum f(1, 1) = 0 ----------------------------


def rosenbrock_f(theta: np.ndarray) -> np.ndarray:
    """f = (1 − x)² + 100 (y − x²)²."""
    x, y = _xy(theta)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(theta: np.ndarray) -> np.ndarray:
    """∂f/∂x = −2(1 − x) − 400x(y − x²);  ∂f/∂y = 200(y − x²)."""
    x, y = _xy(theta)
    return _stack(-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


# --- the saddle x² − y²: a minimum along x, a maximum along y, unbounded below ---------------


def saddle_f(theta: np.ndarray) -> np.ndarray:
    """f = x² − y²."""
    x, y = _xy(theta)
    return x**2 - y**2


def saddle_grad(theta: np.ndarray) -> np.ndarray:
    """∇f = (2x, −2y)."""
    x, y = _xy(theta)
    return _stack(2 * x, -2 * y)


# --- the ill-conditioned bowl: a narrow ravine along x ---------------------------------------


def bowl_f(theta: np.ndarray, kappa: float) -> np.ndarray:
    """f = ½ (x²/κ + y²): curvature 1/κ along x and 1 along y, condition number κ."""
    x, y = _xy(theta)
    return 0.5 * (x**2 / kappa + y**2)


def bowl_grad(theta: np.ndarray, kappa: float) -> np.ndarray:
    """∇f = (x/κ, y)."""
    x, y = _xy(theta)
    return _stack(x / kappa, y)


# --- two wells: a shallow local minimum beside a deeper global one ---------------------------

WELL_TILT = 0.5  # the c in f = (x² − 1)² + c·x + y²: tilts the left well deeper


def wells_f(theta: np.ndarray) -> np.ndarray:
    """f = (x² − 1)² + c·x + y², c = 0.5."""
    x, y = _xy(theta)
    return (x**2 - 1) ** 2 + WELL_TILT * x + y**2


def wells_grad(theta: np.ndarray) -> np.ndarray:
    """∂f/∂x = 4x(x² − 1) + c;  ∂f/∂y = 2y."""
    x, y = _xy(theta)
    return _stack(4 * x * (x**2 - 1) + WELL_TILT, 2 * y)


def _wells_minima() -> tuple[tuple[float, float], ...]:
    """Roots of ∂f/∂x = 4x³ − 4x + c with f'' = 12x² − 4 > 0, at y = 0; the deeper one first."""
    roots = np.roots([4.0, 0.0, -4.0, WELL_TILT])
    xs = [float(r.real) for r in roots if abs(r.imag) < 1e-12 and 12 * r.real**2 - 4 > 0]
    xs.sort(key=lambda x: float(wells_f(np.array([x, 0.0]))))
    return tuple((x, 0.0) for x in xs)


# --- the registry ----------------------------------------------------------------------------


def bowl(kappa: float = DEFAULT_KAPPA) -> Surface:
    """The ill-conditioned bowl with condition number κ (≥ 1)."""
    return Surface(
        name="bowl",
        title="Ill-conditioned bowl",
        formula="f = ½ (x²/κ + y²)",
        f=partial(bowl_f, kappa=kappa),
        grad=partial(bowl_grad, kappa=kappa),
        view=(-10.0, 10.0, -3.0, 3.0),
        start=(-9.0, 2.0),
        lr={"gd": 1.8, "momentum": 3.0, "rmsprop": 0.05, "adam": 0.3},
        steps=300,
        minima=((0.0, 0.0),),
        f_min=0.0,
        explain=(
            "A narrow ravine: steep across (y), almost flat along (x). Gradient descent zig-zags "
            "across and crawls along; RMSprop and Adam divide each coordinate by its own √s, "
            "so they walk straight down the ravine."
        ),
        kappa=kappa,
    )


_MINIMA_WELLS = _wells_minima()

_FIXED = (
    Surface(
        name="beale",
        title="Beale",
        formula="f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        f=beale_f,
        grad=beale_grad,
        view=(-4.5, 4.5, -4.5, 4.5),
        start=(2.0, 2.0),
        lr={"gd": 0.002, "momentum": 0.01, "rmsprop": 0.05, "adam": 0.2},
        steps=1500,
        minima=((3.0, 0.5),),
        f_min=0.0,
        explain=(
            "Steep cliffs around flat valleys, minimum at (3, 0.5). Gradient descent needs a tiny "
            "α to survive the cliff it starts on (try α = 0.01: it diverges), then crawls along "
            "the flat valley floor; Adam's step does not depend on the gradient's size."
        ),
    ),
    Surface(
        name="rosenbrock",
        title="Rosenbrock",
        formula="f = (1 − x)² + 100 (y − x²)²",
        f=rosenbrock_f,
        grad=rosenbrock_grad,
        view=(-2.0, 2.0, -1.0, 3.0),
        start=(-1.2, 1.0),
        lr={"gd": 0.001, "momentum": 0.005, "rmsprop": 0.01, "adam": 0.05},
        steps=2000,
        minima=((1.0, 1.0),),
        f_min=0.0,
        explain=(
            "Everyone finds the curved valley at once; following it to the minimum at (1, 1) is "
            "the hard part. Watch who is still crawling along the banana when the run ends."
        ),
    ),
    Surface(
        name="saddle",
        title="Saddle",
        formula="f = x² − y²",
        f=saddle_f,
        grad=saddle_grad,
        view=(-1.5, 1.5, -1.5, 1.5),
        start=(-1.0, 0.001),
        lr={"gd": 0.01, "momentum": 0.01, "rmsprop": 0.01, "adam": 0.01},
        steps=400,
        minima=(),
        f_min=None,
        explain=(
            "No minimum: downhill is along ±y, forever. Starting almost on the ridge (y = 0.001), "
            "the gradient along y is tiny, so gradient descent lingers at the saddle point; "
            "RMSprop and Adam scale that tiny gradient up and escape at once."
        ),
    ),
    Surface(
        name="wells",
        title="Two wells",
        formula="f = (x² − 1)² + 0.5·x + y²",
        f=wells_f,
        grad=wells_grad,
        view=(-2.0, 2.0, -2.0, 2.0),
        start=(1.8, 1.5),
        lr={"gd": 0.05, "momentum": 0.05, "rmsprop": 0.05, "adam": 0.05},
        steps=500,
        minima=_MINIMA_WELLS,
        f_min=float(wells_f(np.array(_MINIMA_WELLS[0]))),
        explain=(
            "A shallow well on the right, a deeper one on the left. Gradient descent stops in the "
            "first well it meets; an optimizer with momentum can roll over the hump into the "
            "deeper one."
        ),
    ),
)

SURFACES: dict[str, Surface] = {s.name: s for s in (*_FIXED[:2], bowl(), *_FIXED[2:])}


def make_surface(name: str, kappa: float = DEFAULT_KAPPA) -> Surface:
    """The surface called ``name``; the bowl is rebuilt with condition number ``kappa``."""
    if SURFACES[name].kappa is not None:
        return bowl(kappa)
    return SURFACES[name]
