"""What the playground's − and + do: walk a grid that suits the value, not a fixed step.

A number input adds or subtracts its ``step``. The page draws each input with ``press_step`` (a
hundredth of the gap to the nearer grid neighbour) and its callback passes the new value through
``nudged``: a press becomes that neighbour, a typed number stays as typed.
"""

from __future__ import annotations

import math

from nnviz.models.playground_settings import LIMITS


def _log_grid(low: float, high: float, mantissas: tuple[int, ...] = (1, 2, 5)) -> tuple:
    values = (m * 10.0**e for e in range(-13, 4) for m in mantissas)
    return tuple(float(f"{v:.3g}") for v in values if low * 0.999 <= v <= high * 1.001)


def _beta_grid(high: float) -> tuple[float, ...]:
    """β = 0, then 1 − β on a 1-2-5 log grid: 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, …, 0.999, 0.9999 —
    averages over about 1/(1 − β) = 2, 5, 10, 20, … steps."""
    return (0.0, *sorted(float(f"{1 - d:.6g}") for d in _log_grid(1 - high, 0.5)))


GRIDS: dict[str, tuple[float, ...]] = {
    "kappa": _log_grid(*LIMITS["kappa"]),
    "tol": _log_grid(*LIMITS["tol"]),
    "lr": _log_grid(*LIMITS["lr"]),
    "beta1": _beta_grid(LIMITS["beta1"][1]),
    "beta2": _beta_grid(LIMITS["beta2"][1]),
    "epsilon": _log_grid(*LIMITS["epsilon"], mantissas=(1,)),
    "decay_rate": (0.0, *_log_grid(1e-4, LIMITS["decay_rate"][1])),
}


def _neighbours(key: str, value: float) -> tuple[float | None, float | None]:
    """The grid values just below and just above ``value``."""
    grid = GRIDS[key]
    below = [v for v in grid if v < value * (1 - 1e-9) - 1e-300]
    above = [v for v in grid if v > value * (1 + 1e-9) + 1e-300]
    return (below[-1] if below else None), (above[0] if above else None)


def press_step(key: str, value: float) -> float:
    """The step a number widget is drawn with: a hundredth of the gap to the nearer neighbour,
    so a − or + press is recognised (``nudged``) and replaced by that neighbour."""
    gaps = [abs(n - value) for n in _neighbours(key, value) if n is not None]
    return 0.01 * min(gaps) if gaps else 1e-3 * max(abs(value), 1e-12)


def nudged(key: str, old: float, new: float) -> float:
    """Where a widget lands: the grid's next value above (below) ``old`` if ``new`` is a + (−)
    press drawn with ``press_step``; a typed value stays as typed."""
    step = press_step(key, old)
    below, above = _neighbours(key, old)
    if above is not None and math.isclose(new, old + step, rel_tol=1e-9, abs_tol=step * 1e-6):
        return above
    if below is not None and math.isclose(new, old - step, rel_tol=1e-9, abs_tol=step * 1e-6):
        return below
    return new
