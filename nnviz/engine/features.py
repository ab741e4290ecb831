"""Input features: what the network sees of a point (x₁, x₂), the Playground's seven inputs.

A run's ``features`` name a non-empty subset of FEATURES, always in FEATURES' order; the network's
input layer has one unit per feature (n[0] = their count) and every place that evaluates it — the
trainer, the recorded costs, the boundary grids, the Inside panel, the CLI's predictions — sends the
points through ``transform`` first. The data and every picture stay in the (x₁, x₂) plane: with x₁²
and x₂² as inputs, a network with no hidden layer draws a circle there, a straight line in the
feature space it actually sees (docs/design.md §7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np


class Feature(NamedTuple):
    row: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (x₁, x₂) rows (m,) -> this input (m,)
    label: str  # as the diagram and the controls show it
    latex: str  # for the formulas panel


FEATURES: dict[str, Feature] = {
    "x1": Feature(lambda x1, x2: x1, "x₁", r"x_1"),
    "x2": Feature(lambda x1, x2: x2, "x₂", r"x_2"),
    "x1^2": Feature(lambda x1, x2: x1 * x1, "x₁²", r"x_1^2"),
    "x2^2": Feature(lambda x1, x2: x2 * x2, "x₂²", r"x_2^2"),
    "x1x2": Feature(lambda x1, x2: x1 * x2, "x₁x₂", r"x_1 x_2"),
    "sinx1": Feature(lambda x1, x2: np.sin(x1), "sin x₁", r"\sin x_1"),
    "sinx2": Feature(lambda x1, x2: np.sin(x2), "sin x₂", r"\sin x_2"),
}
PLANE = ("x1", "x2")  # the default: the point itself, exactly as before features existed


def _spelling(name: str) -> str:
    """A feature name as written by a person, reduced to FEATURES' spelling: "sin(x1)", "sin x1"
    and "sin_x1" are "sinx1"; "x1**2" is "x1^2"; "x1*x2" is "x1x2"."""
    text = str(name).strip().lower().replace("**", "^")
    text = text.replace("₁", "1").replace("₂", "2").replace("²", "^2")  # x₁², as labelled
    return "".join(c for c in text if c not in " ()_*")


def canonical(names: Iterable[str]) -> tuple[str, ...]:
    """The features ``names`` as a tuple in FEATURES' order; ValueError (one line) for an unknown
    name, a repeated one or none at all."""
    if isinstance(names, str):
        names = [part for part in names.replace("+", ",").split(",") if part.strip()]
    given = [_spelling(n) for n in names]
    unknown = [n for n in given if n not in FEATURES]
    if unknown:
        raise ValueError(f"features has no input {unknown[0]!r}: choose from {', '.join(FEATURES)}")
    if len(set(given)) != len(given):
        raise ValueError(f"features repeats an input: {', '.join(given)}")
    if not given:
        raise ValueError(f"features needs at least one of {', '.join(FEATURES)}")
    return tuple(n for n in FEATURES if n in given)


def transform(X: np.ndarray, features: tuple[str, ...] = PLANE) -> np.ndarray:
    """The network's input at points X (2, m): one row per feature, (len(features), m).

    The default (x₁, x₂) returns X itself, so today's numbers are unchanged to the last bit.
    """
    if features == PLANE:
        return X
    x1, x2 = X[0], X[1]
    return np.stack([FEATURES[name].row(x1, x2) for name in features])


def labels(features: tuple[str, ...]) -> list[str]:
    """The inputs' names as the diagram writes them: x₁, x₂, x₁², sin x₁ …"""
    return [FEATURES[name].label for name in features]
