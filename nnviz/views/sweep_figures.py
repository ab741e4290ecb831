"""Plotly builders of the sweep-maps page: a MapData in, ``go.Figure`` out. No streamlit here.

The map is a heatmap on categorical axes (each swept value one evenly spaced column, so log-spaced
values read evenly), each cell labelled with its value. A diverged run is a ✕ on an empty cell;
a run that never reached the threshold an empty cell with "—". Clicking a cell selects it: an
invisible square marker over every cell carries the run's index (Plotly's selection events
don't fire on heatmaps, only on scatter points), and its hover text says the run's numbers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from nnviz.models.sweep_model import MapData
from nnviz.views.figures import FONT

MAP_HEIGHT = 520
CELL_MARKER = 30  # px: the invisible click target over each cell
PICKED_COLOR = "#D55E00"  # the outline of the cell whose boundary is shown
DIVERGED_COLOR = "#1A1A1A"


def _cells(data: MapData) -> tuple[np.ndarray, np.ndarray]:
    """The column and row label of every cell, row-major (the run order)."""
    rows, cols = data.z.shape
    x = np.array([data.col_labels[j] for i in range(rows) for j in range(cols)], dtype=object)
    y = np.array([data.row_labels[i] for i in range(rows) for j in range(cols)], dtype=object)
    return x, y


def color_range(data: MapData) -> tuple[float | None, float | None]:
    """(zmin, zmax) of the colours. A cost map is clipped at its 90th percentile, so that one
    run that ended far above the others (J = 5,000) does not paint every other cell alike."""
    finite = data.z[np.isfinite(data.z)]
    if not data.lower_better or data.percent or len(finite) < 10:
        return None, None
    top = float(np.percentile(finite, 90))
    return float(finite.min()), (top if top < finite.max() else None)


def _heatmap(data: MapData) -> go.Heatmap:
    zmin, zmax = color_range(data)
    title = data.metric if zmax is None else f"{data.metric} (≥ {zmax:.3g}: darkest)"
    return go.Heatmap(
        z=data.z,
        zmin=zmin,
        zmax=zmax,
        x=list(data.col_labels),
        y=list(data.row_labels),
        text=data.text,
        texttemplate="%{text}",
        textfont=dict(size=11),
        colorscale="Viridis",
        reversescale=data.lower_better,  # the best cells are always the bright ones
        colorbar=dict(
            title=dict(text=title, side="right"),
            thickness=12,
            tickformat=".0%" if data.percent else "",
        ),
        hoverinfo="skip",
        xgap=1,
        ygap=1,
        name="map",
    )


def _diverged(data: MapData) -> go.Scatter:
    x, y = _cells(data)
    mask = data.state.ravel() == "diverged"
    return go.Scatter(
        x=x[mask],
        y=y[mask],
        mode="markers",
        marker=dict(symbol="x-thin", size=14, line=dict(width=2, color=DIVERGED_COLOR)),
        hoverinfo="skip",
        showlegend=False,
        name="diverged",
    )


def _targets(data: MapData) -> go.Scatter:
    """One invisible square per cell, in run order: hover text and the click target."""
    x, y = _cells(data)
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker=dict(symbol="square", size=CELL_MARKER, opacity=0),
        selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
        hovertext=data.hover.ravel(),
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
        name="cells",
    )


def map_figure(data: MapData, picked: tuple[int, int] | None = None, title: str = "") -> go.Figure:
    """The sweep map; ``picked`` (row, column) outlined."""
    fig = go.Figure([_heatmap(data), _diverged(data), _targets(data)])
    if picked is not None:
        i, j = picked
        fig.add_shape(
            type="rect",
            xref="x",
            yref="y",
            x0=j - 0.5,
            x1=j + 0.5,
            y0=i - 0.5,
            y1=i + 0.5,
            line=dict(color=PICKED_COLOR, width=3),
        )
    rows, cols = data.z.shape  # fixed ranges: the click targets' markers would widen them
    fig.update_xaxes(title=data.col_name, type="category", showgrid=False, range=[-0.5, cols - 0.5])
    fig.update_yaxes(title=data.row_name, type="category", showgrid=False, range=[-0.5, rows - 0.5])
    fig.update_layout(
        title=dict(text=title, x=0.02),
        font=FONT,
        height=MAP_HEIGHT,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="#F0F0F0",  # pending and empty cells: light grey
    )
    return fig


def target_trace(fig: go.Figure) -> int:
    """The index of the click-target trace (the selection event's curve_number)."""
    return next(k for k, t in enumerate(fig.data) if t.name == "cells")
