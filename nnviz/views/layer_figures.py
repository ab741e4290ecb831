"""Plotly builders for each layer of a network, over runs and over training: ``Inside`` views and
an ``Inspection`` in, ``go.Figure`` out. No streamlit here.

- ``activations_figure``: each hidden layer's activations over the training set, one row per run.
- ``norms_figure``: ‖W[l]‖_F and ‖dW[l]‖_F over the snapshot epochs, on log axes.
- ``weights_figure``: the distribution of |W| over all layers, every run, on a log axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from nnviz.engine.inspect import (
    NEAR_ZERO,
    Inside,
    Inspection,
    near_zero_share,
    saturated_share,
    spread,
    weights_of,
)
from nnviz.views.figures import FONT, run_color
from nnviz.views.network_figures import value_range

BINS = 40  # histogram bins of the activation distributions


# --- activation distributions -------------------------------------------------------------------


def histogram(A: np.ndarray, lo: float, hi: float, bins: int = BINS):
    """Bin centres and the share of a layer's activations in each bin (values outside: clipped)."""
    edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(A.ravel(), lo, hi), edges)
    return (edges[:-1] + edges[1:]) / 2, counts / max(A.size, 1)


def _grid(rows: int, cols: int, hgap: float, vgap: float) -> dict:
    """Layout axes of a rows × cols grid, axis k = r·cols + c + 1 (built as plain dicts: far
    faster than make_subplots for twenty panels)."""
    width, height = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    layout = {}
    for r in range(rows):
        for c in range(cols):
            k = _axis(r * cols + c + 1)
            x0, y1 = c * (width + hgap), 1 - r * (height + vgap)
            x = [max(x0, 0.0), min(x0 + width, 1.0)]  # rounding must not leave [0, 1]
            y = [max(y1 - height, 0.0), min(y1, 1.0)]
            layout[f"xaxis{k}"] = dict(domain=x, anchor=f"y{k}", nticks=3)
            layout[f"yaxis{k}"] = dict(
                domain=y, anchor=f"x{k}", showticklabels=False, rangemode="tozero"
            )
    return layout


def _axis(k: int) -> str:
    """Plotly's suffix of the k-th axis pair: "", "2", "3", ..."""
    return "" if k == 1 else str(k)


def _panel_note(text: str, k: int, y: float = 1.0, **kw) -> dict:
    """A text above panel k (at the middle of its top edge unless ``kw`` says otherwise)."""
    note = dict(text=text, xref=f"x{_axis(k)} domain", yref=f"y{_axis(k)} domain", x=0.5, y=y)
    note.update(yanchor="bottom", showarrow=False, font=dict(size=11))
    return {**note, **kw}


def activations_figure(views: Sequence[Inside], labels: Sequence[str]) -> go.Figure:
    """Per run (rows) and hidden layer (columns): the distribution of a[l] over the training set.

    Each panel is titled with the spread σ (standard deviation) and, for tanh and sigmoid, the
    share of saturated activations (|a| > 0.99, where g' ≈ 0).
    """
    layers = max(max(len(v.A) for v in views), 1)
    traces, notes = [], []
    for r, view in enumerate(views):
        lo, hi = value_range(view)
        notes.append(
            _panel_note(
                f"<b>{labels[r]}</b>",
                r * layers + 1,
                x=0.0,
                xanchor="left",
                y=1.32,
                font=dict(size=13, color=run_color(r)),
            )
        )
        for l, A in enumerate(view.A, 1):
            k = r * layers + l
            x, share = histogram(A, lo, hi)
            note = f"σ {spread(A):.2g}"
            if view.activation != "relu":
                note += f" · {100 * saturated_share(A, view.activation):.0f}% sat."
            traces.append(
                go.Bar(
                    x=x,
                    y=share,
                    xaxis=f"x{_axis(k)}",
                    yaxis=f"y{_axis(k)}",
                    marker_color=run_color(r),
                    width=(hi - lo) / BINS,
                    showlegend=False,
                    hovertemplate=f"{labels[r]}, layer {l}<br>a ≈ %{{x:.2f}}: "
                    "%{y:.1%}<extra></extra>",
                )
            )
            notes.append(_panel_note(note, k))
            if r == 0:
                notes.append(_panel_note(f"layer {l}", k, y=1.6, font=dict(size=13)))
    layout = _grid(len(views), layers, hgap=0.02, vgap=0.5 / len(views))
    return go.Figure(
        traces,
        layout=dict(
            **layout,
            annotations=notes,
            bargap=0,
            font=FONT,
            height=110 + 140 * len(views),
            margin=dict(l=20, r=16, t=80, b=40),  # held: no redraw to widen them
        ),
    )


# --- weight magnitudes ---------------------------------------------------------------------------

LOG_W = (-6.0, 1.0)  # log₁₀|W| shown; smaller weights (and exact zeros) pile up in the first bin


def weights_figure(views: Sequence[Inside], labels: Sequence[str]) -> go.Figure:
    """Per run, the share of its weights (all layers, no biases) at each log₁₀|W|, overlaid.

    L2 shrinks every weight a little (the whole curve moves left); L1 pushes many to about 0 —
    a pile in the first bins, left of the dashed line at |W| = NEAR_ZERO — and leaves the rest.
    The legend gives each run's share below that line.
    """
    traces = []
    for r, view in enumerate(views):
        W = np.abs(weights_of(view))
        logs = np.log10(np.maximum(W, 10 ** LOG_W[0]))
        x, share = histogram(logs, *LOG_W, bins=28)
        name = f"{labels[r]}: {100 * near_zero_share(view):.0f}% below {NEAR_ZERO:g}"
        hover = f"{labels[r]}<br>log₁₀|W| ≈ %{{x:.2f}}: %{{y:.1%}}<extra></extra>"
        traces.append(
            go.Scatter(
                x=x,
                y=share,
                mode="lines",
                line=dict(color=run_color(r), width=2.5, shape="hvh"),
                name=name,
                hovertemplate=hover,
            )
        )
    line = dict(type="line", x0=np.log10(NEAR_ZERO), x1=np.log10(NEAR_ZERO), y0=0, y1=1)
    return go.Figure(
        traces,
        layout=dict(
            title=dict(text="Weights: the share at each size |W| (all layers)", x=0.01),
            xaxis=dict(title="log₁₀|W|  (|W| < 10⁻⁶ counted at −6)", range=list(LOG_W)),
            yaxis=dict(title="share of the weights", tickformat=".0%", rangemode="tozero"),
            shapes=[dict(line, yref="paper", line=dict(dash="dash", color="#555555", width=1))],
            legend=dict(orientation="h", y=-0.3),
            font=FONT,
            height=320,
            margin=dict(l=60, r=16, t=48, b=40),
        ),
    )


# --- per-layer norms over epochs ----------------------------------------------------------------


def layer_colors(L: int) -> list[str]:
    """One color per layer, dark (layer 1) to light (the output)."""
    return sample_colorscale("Viridis", [0.85 * l / max(L - 1, 1) for l in range(L)])


def norms_figure(ins: Inspection, epoch: int | None = None) -> go.Figure:
    """‖W[l]‖_F (left) and ‖dW[l]‖_F (right) of every layer over the snapshot epochs, log y.

    Exact zeros (the zeros initialization) cannot sit on a log axis: they are left out, and a
    note says so. A dashed line marks ``epoch``.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["‖W[l]‖<sub>F</sub>", "‖dW[l]‖<sub>F</sub>"],
        horizontal_spacing=0.08,
    )
    L = ins.W_norm.shape[1]
    colors = layer_colors(L)
    for c, (values, name) in enumerate(((ins.W_norm, "W"), (ins.dW_norm, "dW")), 1):
        for l in range(L):
            y = np.where(values[:, l] > 0, values[:, l], np.nan)
            fig.add_trace(
                go.Scatter(
                    x=ins.epochs,
                    y=y,
                    mode="lines+markers",
                    marker=dict(size=4),
                    line=dict(color=colors[l], width=2),
                    name=f"layer {l + 1}" + (" (output)" if l == L - 1 else ""),
                    legendgroup=f"layer{l + 1}",
                    showlegend=c == 1,
                    hovertemplate=f"‖{name}[{l + 1}]‖ at epoch %{{x}}: %{{y:.3g}}<extra></extra>",
                ),
                row=1,
                col=c,
            )
        if not (values > 0).any():
            fig.add_annotation(
                text="all zero (not drawn on a log axis)",
                showarrow=False,
                xref="x domain" if c == 1 else "x2 domain",
                yref="y domain" if c == 1 else "y2 domain",
                x=0.5,
                y=0.5,
            )
        if epoch is not None:
            fig.add_vline(x=epoch, line=dict(color="#1A1A1A", width=1, dash="dash"), row=1, col=c)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(
        title=dict(text="Per-layer norms over training (log scale)", x=0.01),
        font=FONT,
        height=360,
        margin=dict(l=48, r=10, t=70, b=96),  # ticks, titles, the legend: held
        legend=dict(orientation="h", y=-0.25),
        hovermode="closest",
    )
    return fig
