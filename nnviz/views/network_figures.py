"""Plotly builders for "inside the network": an ``Inside`` (one run at one epoch) in, ``go.Figure``
out. No streamlit here.

- ``network_figure``: units as nodes, one link per weight, coloured by sign (blue +, vermillion −)
  and drawn thicker the larger |W| (or |dW|) is, next to the largest in the network.
- ``unit_maps_figure``: every hidden unit's output over the input plane, as small multiples, one
  row of tiles per layer; ``unit_map_figure``: one unit, large, with the training points.

Per-layer distributions and norms are in nnviz.views.layer_figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnviz.engine.data import Dataset
from nnviz.engine.inspect import Inside
from nnviz.views.figures import FONT
from nnviz.views.palette import CLASS_COLORS

POSITIVE, NEGATIVE = "#0072B2", "#D55E00"  # Okabe–Ito blue and vermillion: the sign of a link
WIDTHS = (0.5, 1.2, 2.4, 4.0, 6.0)  # link widths by |value| / max |value|, in fifths
MAX_HOVER_LINKS = 2500  # above this many links, no hover markers (the figure stays light)
TILES_PER_ROW = 16  # unit maps per row of small multiples
# margins that hold the ticks, titles and colorbars already (see figures.MARGIN: a margin Plotly
# has to widen costs the browser another draw of the chart)
MARGIN = dict(l=10, r=10, t=50, b=40)  # the network diagram: the layer names below
MAP_MARGIN = dict(l=76, r=76, t=50, b=10)  # one unit's map: x₂ ticks and title, the colorbar
MAPS_MARGIN = dict(l=10, r=120, t=40, b=10)  # every unit's map: the colorbar on the right
ACTIVATION_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # relu: (0, the largest a)
# the unit-map color scale: blue (low) through white to orange (high), as for P(y = 1)
MAP_SCALE = ((0.0, "#0072B2"), (0.5, "#F7F7F7"), (1.0, "#E69F00"))


def value_range(view: Inside) -> tuple[float, float]:
    """The fixed color/histogram range of an activation, so collapse and saturation show."""
    if view.activation in ACTIVATION_RANGE:
        return ACTIVATION_RANGE[view.activation]
    top = max((float(np.max(A)) for A in view.A if A.size), default=0.0)
    return 0.0, top if np.isfinite(top) and top > 0 else 1.0


# --- network diagram ----------------------------------------------------------------------------


def node_positions(dims: Sequence[int]) -> list[np.ndarray]:
    """(n[l], 2) x, y of every unit, layer l at x = l; units evenly spaced and centered at y = 0."""
    tallest = max(dims)
    gap = 1.0 / max(tallest - 1, 1)
    return [
        np.column_stack([np.full(n, float(l)), (np.arange(n)[::-1] - (n - 1) / 2) * gap])
        for l, n in enumerate(dims)
    ]


def _segments(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of NaN-separated segments, one from each src unit j to each dst unit i: (3·n·n_prev,)
    in the order of M.ravel() for M (n, n_prev)."""
    n, n_prev = len(dst), len(src)
    xy = np.full((n, n_prev, 3, 2), np.nan)
    xy[:, :, 0] = src[None, :, :]
    xy[:, :, 1] = dst[:, None, :]
    return xy[..., 0].reshape(-1, 3), xy[..., 1].reshape(-1, 3)


def _link_traces(view: Inside, which: str, pos: list[np.ndarray]) -> list[go.Scatter]:
    """One trace per (sign, width bin): every link of the network in a few traces."""
    mats = view.W if which == "W" else view.dW
    values = np.concatenate([M.ravel() for M in mats])
    xs, ys = (
        np.concatenate(p) for p in zip(*(_segments(pos[l - 1], pos[l]) for l in range(1, len(pos))))
    )
    top = float(np.max(np.abs(values)))
    level = (
        np.minimum((5 * np.abs(values) / top).astype(int), 4) if top > 0 else 0 * values.astype(int)
    )
    traces = []
    for lv in range(5):
        for positive in (True, False):
            pick = (level == lv) & ((values > 0) if positive else (values < 0))  # 0: no link
            if pick.any():
                traces.append(
                    go.Scatter(
                        x=xs[pick].ravel(),
                        y=ys[pick].ravel(),
                        mode="lines",
                        line=dict(color=POSITIVE if positive else NEGATIVE, width=WIDTHS[lv]),
                        opacity=0.35 + 0.13 * lv,
                        hoverinfo="skip",
                        showlegend=False,
                    )
                )
    return traces


def _link_hover(view: Inside, which: str, pos: list[np.ndarray]) -> list[go.Scatter]:
    """Invisible markers at the middle of every link: hovering one tells its value."""
    mats = view.W if which == "W" else view.dW
    if sum(M.size for M in mats) > MAX_HOVER_LINKS:
        return []
    x, y, text = [], [], []
    for l, M in enumerate(mats, 1):
        for i, j in np.ndindex(M.shape):
            x.append(0.35 * pos[l - 1][j, 0] + 0.65 * pos[l][i, 0])
            y.append(0.35 * pos[l - 1][j, 1] + 0.65 * pos[l][i, 1])
            text.append(f"{which}[{l}] unit {i + 1} ← {j + 1}: {M[i, j]:.3g}")
    return [
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker=dict(size=6, opacity=0),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    ]


def _node_trace(view: Inside, pos: list[np.ndarray], selected: tuple[int, int] | None):
    """Every unit as a circle; hidden units carry (layer, unit) in customdata, for clicking."""
    x, y, text, custom, size, ring = [], [], [], [], [], []
    L = len(pos) - 1
    for l, P in enumerate(pos):
        for i, (px, py) in enumerate(P):
            x.append(px)
            y.append(py)
            if l == 0:
                text.append(f"input {view.inputs[i]}")
            elif l == L:
                text.append(f"output ŷ = σ(z), b = {view.b[l - 1][i, 0]:.3g}")
            else:
                a = view.A[l - 1][i]
                text.append(
                    f"layer {l} unit {i + 1}: b = {view.b[l - 1][i, 0]:.3g}, "
                    f"a from {a.min():.3g} to {a.max():.3g}"
                )
            custom.append([l, i + 1] if 0 < l < L else [-1, -1])
            chosen = selected == (l, i + 1)
            size.append(16 if chosen else 11)
            ring.append(3 if chosen else 1.2)
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker=dict(size=size, color="#FFFFFF", line=dict(color="#1A1A1A", width=ring)),
        text=text,
        customdata=custom,
        hovertemplate="%{text}<extra></extra>",
        showlegend=False,
    )


def _input_labels(view: Inside, inputs: np.ndarray) -> go.Scatter:
    """The input units' names (x₁, x₂, or the run's features: x₁², sin x₁ …) left of them."""
    return go.Scatter(
        x=inputs[:, 0] - 0.07,
        y=inputs[:, 1],
        mode="text",
        text=list(view.inputs),
        textposition="middle left",
        hoverinfo="skip",
        showlegend=False,
    )


def network_figure(
    view: Inside, which: str = "W", selected: tuple[int, int] | None = None, height: int = 420
) -> go.Figure:
    """Units as nodes, links by sign and magnitude of W[l] (``which="W"``) or dW[l] ("dW").

    Widths are relative to the largest |value| in the whole network, so a layer whose gradient
    has vanished draws hair-thin; the Frobenius norm of each layer is written above it.
    """
    if which not in ("W", "dW"):
        raise ValueError(f"which must be 'W' or 'dW', got {which!r}")
    dims = [view.W[0].shape[1], *(W.shape[0] for W in view.W)]
    pos = node_positions(dims)
    fig = go.Figure([*_link_traces(view, which, pos), *_link_hover(view, which, pos)])
    fig.add_trace(_node_trace(view, pos, selected))
    fig.add_trace(_input_labels(view, pos[0]))
    if not any(np.any(M) for M in (view.W if which == "W" else view.dW)):
        name = "weight" if which == "W" else "gradient"
        fig.add_annotation(
            x=(len(pos) - 1) / 2, y=-0.56, showarrow=False, text=f"every {name} is 0: no links"
        )
    mats = view.W if which == "W" else view.dW
    for l, M in enumerate(mats, 1):
        fig.add_annotation(
            x=l - 0.5,
            y=0.62,
            text=f"‖{which}[{l}]‖ {np.linalg.norm(M):.2g}",
            showarrow=False,
            font=dict(size=12),
        )
    names = ["x"] + [f"layer {l}" for l in range(1, len(dims) - 1)] + ["ŷ"]
    fig.update_xaxes(
        tickvals=list(range(len(dims))),
        ticktext=names,
        showgrid=False,
        zeroline=False,
        range=[-0.55, len(dims) - 0.7],  # room for the inputs' names, left of their units
    )
    fig.update_yaxes(visible=False, range=[-0.58, 0.68])
    title = "weights W" if which == "W" else "gradients dW (whole training set)"
    fig.update_layout(
        title=dict(text=f"Network at epoch {view.epoch}: {title} — blue +, vermillion −", x=0.01),
        font=FONT,
        height=height,
        margin=MARGIN,
        plot_bgcolor="#FFFFFF",
        hovermode="closest",
        clickmode="event+select",
    )
    return fig


# --- unit maps ----------------------------------------------------------------------------------


def _mosaic(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tiles of a layer's maps (n, g, g), TILES_PER_ROW a row, one blank cell between them.

    Returns z (rows·(g+1) - 1, cols·(g+1) - 1) with NaN gaps, and the unit number of each cell.
    """
    n, g, _ = maps.shape
    cols = min(n, TILES_PER_ROW)
    rows = -(-n // cols)
    z = np.full((rows * (g + 1) - 1, cols * (g + 1) - 1), np.nan)
    unit = np.full(z.shape, np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        top, left = (rows - 1 - r) * (g + 1), c * (g + 1)  # row 0 of tiles at the top
        z[top : top + g, left : left + g] = maps[i]
        unit[top : top + g, left : left + g] = i + 1
    return z, unit


def unit_maps_figure(view: Inside, tile: int = 56) -> go.Figure:
    """Every hidden unit's output a[l]_i over the input plane (x₁ across, x₂ up), a row per layer.

    The color range is the activation's (tanh −1..1): maps of collapsed units are blank.
    """
    lo, hi = value_range(view)
    rows = [-(-len(M) // TILES_PER_ROW) for M in view.maps]
    height = sum(rows) * tile + 40 + 36 * len(rows)  # tiles of about ``tile`` px, square
    fig = make_subplots(
        rows=len(view.maps),
        cols=1,
        row_heights=rows or None,
        vertical_spacing=34 / height,  # room for each layer's title, at any width
        subplot_titles=[f"layer {l}" for l in range(1, len(view.maps) + 1)],
    )
    for l, maps in enumerate(view.maps, 1):
        z, unit = _mosaic(maps)
        fig.add_trace(
            go.Heatmap(
                z=z.astype(np.float32),
                customdata=unit.astype(np.float32),
                coloraxis="coloraxis",
                hovertemplate=f"layer {l} unit %{{customdata}}: a = %{{z:.3g}}<extra></extra>",
                hoverongaps=False,
            ),
            row=l,
            col=1,
        )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, constrain="domain")
    for y in fig.select_yaxes():
        y.update(scaleanchor=y.anchor, scaleratio=1)
    fig.update_layout(
        coloraxis=dict(colorscale=MAP_SCALE, cmin=lo, cmax=hi, colorbar=dict(title="a", len=0.8)),
        font=FONT,
        margin=MAPS_MARGIN,
        height=int(height),
        plot_bgcolor="#FFFFFF",
    )
    return fig


def unit_map_figure(view: Inside, data: Dataset, layer: int, unit: int) -> go.Figure:
    """One hidden unit's output over the input plane, large, with the training points."""
    lo, hi = value_range(view)
    a = view.maps[layer - 1][unit - 1]
    fig = go.Figure(
        go.Heatmap(
            x=view.xs,
            y=view.ys,
            z=a.astype(np.float32),
            zmin=lo,
            zmax=hi,
            colorscale=MAP_SCALE,
            colorbar=dict(title="a", thickness=12),
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>a = %{z:.3g}<extra></extra>",
        )
    )
    for label, color in enumerate(CLASS_COLORS[: data.classes]):
        X = data.X_train[:, data.Y_train[0] == label]
        fig.add_trace(
            go.Scatter(
                x=X[0],
                y=X[1],
                mode="markers",
                name=f"y = {label}",
                hoverinfo="skip",
                marker=dict(size=5, color=color, line=dict(color="#1A1A1A", width=0.6)),
            )
        )
    fig.update_xaxes(title_text="x₁", range=[view.xs[0], view.xs[-1]], constrain="domain")
    fig.update_yaxes(
        title_text="x₂", range=[view.ys[0], view.ys[-1]], scaleanchor="x", constrain="domain"
    )
    fig.update_layout(
        title=dict(text=f"Layer {layer}, unit {unit} at epoch {view.epoch}", x=0.01),
        font=FONT,
        height=420,
        margin=MAP_MARGIN,
        showlegend=False,
    )
    return fig
