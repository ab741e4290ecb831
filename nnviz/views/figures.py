"""Plotly builders: histories and data in, ``go.Figure`` out. No streamlit here.

One color per run (palette.RUN_COLORS, by run index) in every chart; the classes in
palette.CLASS_COLORS; the predicted probability on palette.PROBA_SCALE, always from 0 to 1 (for
K ≥ 3 classes, regions in the K class colours: class_figures.py).
Training points are filled circles, drawn over the smaller hollow diamonds of the test points (a
test set four times the training set must not hide it); a black ✕ marks every misclassified point.
Nothing here raises for a diverged run: its curves stop at the epoch it diverged, and its boundary
is drawn from the last finite parameters, titled "diverged at epoch e".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnviz.engine.data import Dataset
from nnviz.engine.features import PLANE
from nnviz.engine.network import predict_proba
from nnviz.engine.train import History
from nnviz.views.class_figures import argmax_boundaries, class_grid, class_regions
from nnviz.views.contours import level_line
from nnviz.views.palette import CLASS_COLORS, PROBA_SCALE, RUN_COLORS

# every chart's toolbar: no Plotly logo, no box or lasso select (the sweep map selects by click)
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
GRID = 80  # boundary heatmap resolution (80 × 80 predictions per run)
MAX_FRAMES = 30  # epochs the replay scrubber steps through
FONT = dict(family='"Source Sans", sans-serif', size=14, color="#1A1A1A")  # Streamlit's font
BIG_FONT, BIG_TICKS = 20, 18  # presentation mode: readable from the back of a room
# Margins that already hold the title, the tick labels and (curves) the legend: Plotly widens
# margins that are too small for them ("automargin") by drawing the chart again, two or three
# times over, which doubled what opening the lab cost the browser. These are minimums: a longer
# tick label still gets its room, for one extra draw.
MARGIN = {False: dict(l=42, r=10, t=56, b=44), True: dict(l=54, r=10, t=68, b=52)}  # big: ticks 18
BOUNDARY_HEIGHT = 310  # px, when the page does not size the chart itself (the lab's CSS does)
# The frame is at least this high for its width (y range / x range): flat data such as the moons
# (about 0.6) gets plane above and below it, so three runs side by side still make a tall plot.
MIN_ASPECT = 0.75
BOUNDARY_COLOR = "#1A1A1A"  # the 0.5 contour and the misclassification crosses
TRAIN_SYMBOL, TEST_SYMBOL, WRONG_SYMBOL = "circle", "diamond-open", "x-thin"
TRAIN_SIZE, TEST_SIZE = 8, 6

Params = list[tuple[np.ndarray, np.ndarray]]
Features = tuple[str, ...]  # a run's input features (nnviz.engine.features)
Bounds = tuple[float, float, float, float]  # x₁ from, to, x₂ from, to


def _lighten(hex_color: str, amount: float) -> str:
    """Mix a color with white, so points of the same class stay visible on the background."""
    rgb = [int(hex_color[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


# the probability background: palette.PROBA_SCALE, paler
BACKGROUND_SCALE = [[stop, _lighten(color, 0.45)] for stop, color in PROBA_SCALE]


def run_color(i: int) -> str:
    """The color of run i, the same in every chart."""
    return RUN_COLORS[i % len(RUN_COLORS)]


# --- probabilities on a grid ------------------------------------------------------------------


def probability_grid(
    params: Params, activation: str, bounds: Bounds, n: int, features: Features = PLANE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,) and P (n, n) with P[j, i] = σ(Z[L]) at (xs[i], ys[j]), clipped to [0, 1].

    The grid is the (x₁, x₂) plane; the network sees it through its input ``features``.
    A diverged run's last finite weights may still overflow on the grid: such cells read 0.5.
    """
    xs = np.linspace(bounds[0], bounds[1], n)
    ys = np.linspace(bounds[2], bounds[3], n)
    XX, YY = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        P = predict_proba(params, np.vstack([XX.ravel(), YY.ravel()]), activation, features)
    P = np.clip(np.nan_to_num(P, nan=0.5), 0.0, 1.0)
    return xs, ys, P.reshape(n, n)


def predictions(
    params: Params, activation: str, X: np.ndarray, features: Features = PLANE
) -> np.ndarray:
    """Predicted labels (m,) at points X (2, m): 1 where σ(Z[L]) > 0.5; for K classes, argmax ŷ."""
    with np.errstate(all="ignore"):
        P = predict_proba(params, X, activation, features)
    if P.ndim == 2:  # (K, m): a softmax output
        return np.nan_to_num(P, nan=0.0).argmax(axis=0).astype(float)
    return (np.nan_to_num(P, nan=0.5) > 0.5).astype(float)


def misclassified(
    params: Params, activation: str, X: np.ndarray, Y: np.ndarray, features: Features = PLANE
) -> np.ndarray:
    """Boolean mask (m,) of the points whose prediction differs from their label."""
    if X.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    return predictions(params, activation, X, features) != Y[0]


# --- titles -------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{100 * value:.1f}%"


def at_end(h: History, upto: int | None) -> bool:
    """Whether epoch ``upto`` shows the run's final θ: the end, or past where it stopped early
    (its final θ is then its best epoch's, which early stopping keeps)."""
    return upto is None or (h.best is not None and upto >= h.epochs[-1])


def run_title(label: str, h: History, upto: int | None = None) -> str:
    """Bold label, then accuracy at epoch ``upto`` (default: the end), or where it diverged."""
    if h.diverged_at is not None and (upto is None or upto >= h.diverged_at):
        return f"<b>{label}</b><br>diverged at epoch {h.diverged_at}"
    if at_end(h, upto):
        train, test = h.final["train_accuracy"], h.final["test_accuracy"]
    else:
        k = int(np.searchsorted(h.epochs, upto, "right")) - 1
        train, test = h.train_accuracy[k], h.test_accuracy[k] if len(h.test_accuracy) else None
    text = f"<b>{label}</b><br>train {percent(train)}"
    if len(h.test_accuracy):
        text += f" · test {percent(test)}"
    return text


# --- decision boundary --------------------------------------------------------------------------
#
# Built as plain dicts and wrapped without Plotly's validation (``_validate=False``): validating
# the ~20 nested properties of one boundary costs about 0.1 s, too slow to redraw a training
# several times a second; the dicts take a few milliseconds. tests/test_figures.py validates
# every builder's output once, so a misspelt property still fails there.


def _surface(xs: np.ndarray, ys: np.ndarray, P: np.ndarray) -> list[dict]:
    """P(y = 1) as a smooth heatmap, and one black line where P = 0.5: the decision boundary.

    The line is found here (marching squares, nnviz.views.contours) rather than by a Plotly
    contour trace: the browser draws a heatmap and a line in about two thirds of a contour's time,
    and a live training redraws every boundary a few times a second.
    """
    line_x, line_y = level_line(xs, ys, P, 0.5)
    return [
        dict(
            type="heatmap",
            x=xs,
            y=ys,
            z=P.astype(np.float32),
            zsmooth="fast",  # the browser scales the grid's image smoothly; "best" interpolates
            # every pixel in JavaScript, about 10-20 ms more per boundary and frame
            coloraxis="coloraxis",
            name="P(y = 1)",
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>P(y = 1) = %{z:.2f}<extra></extra>",
            showlegend=False,
        ),
        _line(line_x, line_y, "decision boundary P = 0.5", 3),
    ]


def _line(x, y, name: str, width: float) -> dict:
    """A black boundary line (NaN or None between pieces), not in the legend, no hover."""
    line = dict(color=BOUNDARY_COLOR, width=width)
    shown = dict(mode="lines", hoverinfo="skip", showlegend=False)
    return dict(type="scatter", x=x, y=y, name=name, line=line, **shown)


def _class_surface(
    params: Params, activation: str, bounds: Bounds, n: int, features: Features = PLANE
) -> list[dict]:
    """K ≥ 3: the K-colour regions (class_figures), under the argmax boundaries."""
    xs, ys, P = class_grid(params, activation, bounds, n, features)
    lines = argmax_boundaries(xs, ys, P)
    return [class_regions(xs, ys, P), _line(*lines, "decision boundaries (argmax)", 2)]


def _points(
    X: np.ndarray, Y: np.ndarray, test: bool, showlegend: bool, classes: int = 2
) -> list[dict]:
    """One trace per class; training points are filled circles, test points hollow diamonds."""
    part, symbol = ("test", TEST_SYMBOL) if test else ("train", TRAIN_SYMBOL)
    traces = []
    for c in range(classes):
        mask = Y[0] == c
        traces.append(
            dict(
                type="scatter",
                x=X[0, mask],
                y=X[1, mask],
                mode="markers",
                name=f"{part}, class {c}",
                legendgroup=f"{part}{c}",
                showlegend=showlegend,
                marker=dict(
                    symbol=symbol,
                    size=TEST_SIZE if test else TRAIN_SIZE,
                    color=CLASS_COLORS[c],
                    opacity=0.8 if test else 1.0,
                    line=dict(
                        color=CLASS_COLORS[c] if test else BOUNDARY_COLOR, width=1.5 if test else 1
                    ),
                ),
                hovertemplate=f"{part}, label {c}<extra></extra>",
            )
        )
    return traces


def _wrong(X: np.ndarray, showlegend: bool) -> dict:
    """A black ✕ over each point in X (2, k)."""
    return dict(
        type="scatter",
        x=X[0],
        y=X[1],
        mode="markers",
        name="misclassified",
        legendgroup="wrong",
        showlegend=showlegend,
        marker=dict(symbol=WRONG_SYMBOL, size=8, line=dict(color=BOUNDARY_COLOR, width=1.5)),
        hoverinfo="skip",
    )


def frame(bounds: Bounds) -> Bounds:
    """``bounds`` with the x₂ range widened about its middle to at least MIN_ASPECT times the
    x₁ range: the part of the plane every boundary plot shows."""
    x0, x1, y0, y1 = bounds
    half = max(y1 - y0, MIN_ASPECT * (x1 - x0)) / 2
    middle = (y0 + y1) / 2
    return (x0, x1, middle - half, middle + half)


def aspect(bounds: Bounds) -> float:
    """Height over width of the frame, as drawn on equal scales."""
    x0, x1, y0, y1 = frame(bounds)
    return (y1 - y0) / (x1 - x0)


def _axes(bounds: Bounds, tick_size: int) -> dict:
    """The same frame for every run (``frame``, no zoom drift), x₁ and x₂ on equal scales.

    One unit of x₁ is as long on screen as one unit of x₂ (``scaleanchor``), so the moons keep
    their shape at any width; the plot area shrinks to fit instead (``constrain="domain"``),
    staying at the top. Few ticks and no axis titles (the page's caption names x₁ and x₂): more
    room for the data in a narrow column.
    """
    common = dict(showgrid=False, zeroline=False, nticks=5, constrain="domain")
    common["tickfont"] = dict(size=tick_size)
    return dict(
        xaxis=dict(range=list(bounds[:2]), **common),
        yaxis=dict(
            range=list(bounds[2:]),
            constraintoward="top",
            scaleanchor="x",
            scaleratio=1,
            **common,
        ),
    )


def _coloraxis(showscale: bool) -> dict:
    return dict(
        colorscale=BACKGROUND_SCALE,
        cmin=0.0,
        cmax=1.0,
        showscale=showscale,
        colorbar=dict(title=dict(text="P(y = 1)", side="right"), thickness=12, len=0.9),
    )


def snapshot_params(h: History, epoch: int) -> Params:
    """The run's parameters at the last snapshot at or before ``epoch`` (the replay's frames)."""
    k = max(int(np.searchsorted(h.snapshot_epochs, epoch, "right")) - 1, 0)
    return h.eval_params(h.snapshots[k])


def boundary_figure(
    h: History,
    data: Dataset,
    label: str,
    index: int = 0,
    resolution: int = GRID,
    legend: bool = False,
    show_test: bool = True,
    *,
    upto: int | None = None,
    height: int | None = BOUNDARY_HEIGHT,
    big: bool = False,
) -> go.Figure:
    """One run's decision boundary over ``frame(Dataset.bounds)`` (every run gets the same axes).

    Background: predicted P(y = 1); black line: the 0.5 boundary; circles: training points, drawn
    over the smaller hollow diamonds of the test points (``show_test``); ✕: points the run
    misclassifies. The title, in the run's color, gives the accuracies, or the epoch it diverged.
    ``upto``: drawn from the snapshot at that epoch (the replay) instead of the final parameters.
    ``big``: larger text, for a projector. ``height=None``: as high as its element (page CSS).
    """
    act, bounds, inputs = h.config.activation, frame(data.bounds), h.config.features
    params = h.eval_params() if at_end(h, upto) else snapshot_params(h, upto)
    if data.classes > 2:  # K colours shaded by confidence, argmax boundaries
        traces = _class_surface(params, act, bounds, resolution, inputs)
    else:
        traces = _surface(*probability_grid(params, act, bounds, resolution, inputs))
    parts = [(data.X_test, data.Y_test, True)] if show_test else []
    wrong = []
    for X, Y, test in [*parts, (data.X_train, data.Y_train, False)]:
        if X.shape[1]:
            traces += _points(X, Y, test, showlegend=legend, classes=data.classes)
            wrong.append(X[:, misclassified(params, act, X, Y, inputs)])
    traces.append(_wrong(np.hstack(wrong), legend))
    size = BIG_FONT if big else FONT["size"]
    title = dict(text=run_title(label, h, upto), font=dict(color=run_color(index), size=size + 2))
    layout = dict(
        title=dict(title, x=0.02),
        coloraxis=_coloraxis(showscale=False),
        font=dict(FONT, size=size),
        margin=MARGIN[big],
        showlegend=legend,
        legend=dict(orientation="h", y=-0.2),
        **_axes(bounds, BIG_TICKS if big else FONT["size"] - 1),
    )
    if height is not None:
        layout["height"] = height
    return unvalidated(dict(data=traces, layout=layout))


def unvalidated(spec: dict) -> go.Figure:
    """A Figure from a plain spec, without Plotly's slow per-property validation (see above)."""
    return go.Figure(spec, _validate=False)


# --- replay ------------------------------------------------------------------------------------


def replay_epochs(histories: Sequence[History], max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Up to ``max_frames`` snapshot epochs, evenly spread, always the first and the last.

    The lab's epoch scrubber steps through these; each step redraws every run's boundary from
    its snapshot (``boundary_figure(..., upto=epoch)``), never retraining.
    """
    epochs = np.unique(np.concatenate([h.snapshot_epochs for h in histories]))
    if len(epochs) <= max_frames:
        return epochs
    return epochs[np.unique(np.round(np.linspace(0, len(epochs) - 1, max_frames)).astype(int))]


def enlarged(fig: go.Figure) -> go.Figure:
    """A copy with text for a projector (presentation mode): BIG_FONT, ticks BIG_TICKS px.

    The margins grow with the text, and so does the figure's height: the plot area keeps its
    size, and a legend below it moves down as far as the larger tick labels and title do.
    """
    big = go.Figure(fig)
    big.update_layout(font_size=BIG_FONT, title_font_size=BIG_FONT + 2, legend_font_size=BIG_FONT)
    margin = big.layout.margin  # room for the larger tick labels and legend (see MARGIN)
    grow = BIG_FONT / FONT["size"]
    sides = {k: getattr(margin, k) for k in ("l", "r", "t", "b")}
    bigger = {k: round(v * grow) for k, v in sides.items() if v is not None}
    big.update_layout(margin=bigger)
    if big.layout.height is not None:
        added = sum(bigger.get(k, 0) - (sides[k] or 0) for k in ("t", "b"))
        big.update_layout(height=big.layout.height + added)
    if big.layout.legend.y is not None and big.layout.legend.y < 0:
        big.update_layout(legend_y=big.layout.legend.y * grow)
    big.update_xaxes(tickfont_size=BIG_TICKS, title_font_size=BIG_FONT)
    big.update_yaxes(tickfont_size=BIG_TICKS, title_font_size=BIG_FONT)
    return big
