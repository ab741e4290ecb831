"""The playground's small charts: inside Adam, and the fair race's loss against α."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnviz.engine.tune import Scan
from nnviz.models.playground_settings import display_indices
from nnviz.playground.trajectory import RULES, OptimizerPath
from nnviz.views.playground_figures import INK, OPTIMIZER_COLORS, f32

# --- Adam's internals ------------------------------------------------------------------------


def bias_figure(c1: np.ndarray, c2: np.ndarray, beta1: float, beta2: float) -> go.Figure:
    """Adam's bias corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ) against t (log y)."""
    t = display_indices(len(c1) - 1) + 1
    color = OPTIMIZER_COLORS["adam"]
    fig = go.Figure()
    for c, dash, name in (
        (c1, "solid", f"1/(1 − β₁ᵗ), β₁ = {beta1:g}"),
        (c2, "dash", f"1/(1 − β₂ᵗ), β₂ = {beta2:g}"),
    ):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=f32(c[t - 1]),
                mode="lines",
                name=name,
                line={"color": color, "dash": dash, "width": 2},
                hovertemplate="t = %{x}<br>×%{y:.4g}<extra></extra>",
            )
        )
    fig.add_hline(y=1, line={"color": INK, "width": 1, "dash": "dot"})
    fig.update_yaxes(type="log", title_text="correction factor", exponentformat="power")
    fig.update_xaxes(title_text="step t (log scale)", type="log")
    _small_layout(fig, "Adam divides v and s by")
    return fig


def steps_figure(
    paths: Mapping[str, OptimizerPath], gd_steps: np.ndarray | None, lr: float
) -> go.Figure:
    """|step| per coordinate along each Adam's path (corrected, and uncorrected if it races),
    beside |α·g| at corrected Adam's points (``gd_steps``), with α drawn as a dotted line."""
    # one y-axis for both panels: the same scale, and no tick labels over the left panel's curves
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("step in x", "step in y"),
        shared_yaxes=True,
        horizontal_spacing=0.06,
    )
    labels = {"adam": "Adam: α·v̂/(√ŝ + ε)", "adam_nobias": "Adam, no correction: α·v/(√s + ε)"}
    series = [(p.step, name, "solid", labels[name]) for name, p in paths.items()]
    if gd_steps is not None:
        series.append((gd_steps, "gd", "dash", f"gradient descent's α·g (α = {lr:g})"))
    for steps, name, dash, label in series:
        t = display_indices(len(steps) - 1)
        for col in (1, 2):
            fig.add_trace(
                go.Scatter(
                    x=t + 1,
                    y=f32(np.abs(steps[t, col - 1])),
                    mode="lines",
                    name=label,
                    line={"color": OPTIMIZER_COLORS[name], "dash": dash, "width": 2},
                    legendgroup=label,
                    showlegend=col == 1,
                    hovertemplate="t = %{x}<br>%{y:.3g}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    for col in (1, 2):
        fig.add_hline(y=lr, line={"color": INK, "width": 1, "dash": "dot"}, row=1, col=col)
    # at the right end, where the steps have shrunk: clear of the curves and of the y tick labels
    fig.add_annotation(
        text="α",
        x=1,
        xref="x2 domain",
        y=np.log10(lr),
        yref="y",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
    )
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="|step|", row=1, col=1)
    fig.update_xaxes(title_text="step t", type="log", dtick=1)  # 1, 10, 100: no crowded 2 and 5
    _small_layout(fig, None)
    fig.update_annotations(font_size=13)
    return fig


# --- the fair race ---------------------------------------------------------------------------


def tuning_figure(scans: Mapping[str, Scan], loss_label: str, height: int = 360) -> go.Figure:
    """Final loss against α (log-log) for every racer; a ring marks the α each one races with,
    an × at the top edge each α that diverged."""
    fig = go.Figure()
    finite = np.concatenate([s.final[~s.diverged] for s in scans.values()])
    top = float(finite.max()) * 10 if len(finite) else 1.0
    for name, scan in scans.items():
        color, title = OPTIMIZER_COLORS[name], RULES[name].title
        y = np.where(scan.diverged, np.nan, scan.final)
        fig.add_trace(_scan_line(scan.lrs, y, color, title))
        bad = scan.lrs[scan.diverged]
        fig.add_trace(_scan_marks(bad, np.full(len(bad), top), color, "x", f"{title}: diverged"))
        k = scan.index
        best = scan.final[k] if np.isfinite(scan.final[k]) else top
        fig.add_trace(_scan_marks([scan.best], [best], color, "circle-open", f"{title}: α chosen"))
    fig.update_xaxes(type="log", title_text="α", exponentformat="power")
    fig.update_yaxes(type="log", title_text=f"final {loss_label}", exponentformat="power")
    _small_layout(fig, "Each optimizer's final loss against α")
    fig.update_layout(height=height, showlegend=False)
    return fig


def _scan_line(lrs: np.ndarray, y: np.ndarray, color: str, title: str) -> go.Scatter:
    return go.Scatter(
        x=lrs,
        y=y,
        mode="lines+markers",
        name=title,
        line={"color": color, "width": 2},
        marker={"size": 5, "color": color},
        hovertemplate=f"{title}<br>α = %{{x:g}}<br>%{{y:.3g}}<extra></extra>",
    )


def _scan_marks(x, y, color: str, symbol: str, name: str) -> go.Scatter:
    return go.Scatter(
        x=list(x),
        y=list(y),
        mode="markers",
        name=name,
        marker={"symbol": symbol, "size": 14, "color": color, "line": {"width": 2, "color": color}},
        hovertemplate=f"{name}<br>α = %{{x:g}}<extra></extra>",
    )


def _small_layout(fig: go.Figure, title: str | None) -> None:
    fig.update_layout(
        height=390,
        margin={"l": 84, "r": 20, "t": 40, "b": 130},  # ticks, titles, legend: held
        plot_bgcolor="white",
        title={"text": title, "font": {"size": 14}, "y": 0.98} if title else None,
        legend={"orientation": "h", "x": 0, "y": -0.3, "yanchor": "top"},
    )
    fig.update_xaxes(gridcolor="#EEEEEE")
    fig.update_yaxes(gridcolor="#EEEEEE")
