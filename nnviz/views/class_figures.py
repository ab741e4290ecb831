"""K ≥ 3 classes (docs/design.md §7): decision regions in K colours and the confusion matrix.

A region takes the colour of the class the network predicts there (argmax of the softmax), mixed
with white by how sure it is: confidence c = (max ŷ − 1/K) / (1 − 1/K), 0 where all K classes are
equally likely, 1 where one has all the probability. Thin black lines are the argmax boundaries,
where the most probable class changes. Figures are plain dicts, as in figures.py (fast to redraw).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from nnviz.engine.features import PLANE
from nnviz.engine.network import predict_proba
from nnviz.views.contours import level_line
from nnviz.views.palette import CLASS_COLORS

STRONGEST = 0.55  # the share of a class's colour at confidence 1 (the binary plot's, too)


def class_grid(
    params: list[tuple[np.ndarray, np.ndarray]],
    activation: str,
    bounds,
    n: int,
    features: tuple[str, ...] = PLANE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,) and P (K, n, n): P[k, j, i] = ŷₖ at (xs[i], ys[j]), the network seeing
    the plane through its input ``features``; NaN cells read 1/K."""
    xs = np.linspace(bounds[0], bounds[1], n)
    ys = np.linspace(bounds[2], bounds[3], n)
    XX, YY = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        P = predict_proba(params, np.vstack([XX.ravel(), YY.ravel()]), activation, features)
    K = P.shape[0]
    return xs, ys, np.nan_to_num(P, nan=1.0 / K).reshape(K, n, n)


def confidence(P: np.ndarray) -> np.ndarray:
    """(max ŷ − 1/K) / (1 − 1/K) per cell, in [0, 1]."""
    K = P.shape[0]
    return np.clip((P.max(axis=0) - 1.0 / K) / (1.0 - 1.0 / K), 0.0, 1.0)


def region_colors(P: np.ndarray) -> np.ndarray:
    """(n, n, 3) RGB bytes: each cell the argmax class's colour, paler the less confident."""
    rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for c in CLASS_COLORS], float)
    strength = STRONGEST * confidence(P)[..., None]
    colour = rgb[P.argmax(axis=0)]
    return np.round(255.0 + (colour - 255.0) * strength).astype(np.uint8)


def argmax_boundaries(xs: np.ndarray, ys: np.ndarray, P: np.ndarray) -> tuple[list, list]:
    """Where the most probable class changes: for each k, the line ŷₖ = max_{j≠k} ŷⱼ."""
    line_x: list = []
    line_y: list = []
    for k in range(P.shape[0]):
        others = np.delete(P, k, axis=0).max(axis=0)
        x, y = level_line(xs, ys, P[k] - others, 0.0)
        line_x += [*x, None]
        line_y += [*y, None]
    return line_x, line_y


def class_regions(xs: np.ndarray, ys: np.ndarray, P: np.ndarray) -> dict:
    """The K-colour regions as a Plotly image trace (a dict), hovering the class and its ŷ."""
    predicted, sure = P.argmax(axis=0), P.max(axis=0)
    return dict(
        type="image",
        z=region_colors(P),
        x0=xs[0],
        dx=xs[1] - xs[0],
        y0=ys[0],
        dy=ys[1] - ys[0],
        name="predicted class",
        customdata=np.dstack([predicted, sure]).astype(np.float32),
        hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>class %{customdata[0]}, "
        "ŷ = %{customdata[1]:.2f}<extra></extra>",
    )


def confusion(predicted: np.ndarray, labels: np.ndarray, K: int) -> np.ndarray:
    """C (K, K): C[i, j] = the number of points of class i predicted as class j."""
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (labels.astype(int), predicted.astype(int)), 1)
    return C


def confusion_figure(C: np.ndarray, title: str, color: str, height: int = 260):
    """The K×K confusion matrix: rows the true class, columns the predicted one; each row's
    colour is its share of the class, so a perfect run is a dark diagonal."""
    K = C.shape[0]
    share = C / np.maximum(C.sum(axis=1, keepdims=True), 1)
    names = [str(k) for k in range(K)]
    heat = go.Heatmap(
        z=share,
        x=names,
        y=names,
        text=C,
        texttemplate="%{text}",
        zmin=0,
        zmax=1,
        colorscale=[[0, "#FFFFFF"], [1, color]],
        showscale=False,
        hovertemplate="true %{y}, predicted %{x}: %{text} points<extra></extra>",
    )
    fig = go.Figure(heat)
    fig.update_layout(
        title=dict(text=title, x=0.02, font=dict(color=color)),
        height=height,
        margin=dict(l=50, r=10, t=50, b=40),
        xaxis=dict(title="predicted", type="category", constrain="domain"),
        yaxis=dict(title="true", type="category", autorange="reversed", scaleanchor="x"),
    )
    return fig
