"""Plotly builder of the sweep page's random mode: a SearchData in, ``go.Figure`` out.

One scatter trace per round (its own marker symbol, so coarse and fine rounds read apart), every
point coloured by the metric on one shared colour scale (the best always the brightest); a
diverged run a dark ✕, a pending one a grey ring; each round's zoom box a dashed rectangle. Axes
follow the sampling scale: log for 10^r, a reversed log axis of 1 − β labelled with β for
1 − 10^r. Box select (drag) reports the box; a click picks a run (customdata: its index).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from nnviz.models.search_model import AxisData, SearchData, plotted
from nnviz.views.figures import FONT
from nnviz.views.sweep_figures import DIVERGED_COLOR, MAP_HEIGHT, PICKED_COLOR

SYMBOLS = ("circle", "diamond", "square", "triangle-up", "star", "hexagon", "pentagon")
BOX_COLOR = "#555555"


def symbol(round_: int) -> str:
    return SYMBOLS[round_ % len(SYMBOLS)]


def _color_range(data: SearchData) -> tuple[float, float] | tuple[None, None]:
    finite = data.z[np.isfinite(data.z)]
    if not len(finite):
        return None, None
    if data.lower_better and not data.percent and len(finite) >= 10:
        top = float(np.percentile(finite, 90))  # as the map: one huge cost doesn't flatten all
        return float(finite.min()), top
    return float(finite.min()), float(finite.max())


def _round_trace(data: SearchData, round_: int, shown_scale: bool) -> go.Scatter:
    mask = (data.round == round_) & (data.state == "ok")
    zmin, zmax = _color_range(data)
    return go.Scatter(
        x=plotted(data.xaxis.scale, data.x[mask]),
        y=plotted(data.yaxis.scale, data.y[mask]),
        mode="markers",
        name=f"round {round_}",
        customdata=np.flatnonzero(mask),
        hovertext=data.hover[mask],
        hovertemplate="%{hovertext}<extra></extra>",
        marker=dict(
            symbol=symbol(round_),
            size=11,
            color=data.z[mask],
            cmin=zmin,
            cmax=zmax,
            colorscale="Viridis",
            reversescale=data.lower_better,
            showscale=shown_scale,
            colorbar=dict(
                title=dict(text=data.metric, side="right"),
                thickness=12,
                tickformat=".0%" if data.percent else "",
            ),  # fmt: skip
            line=dict(width=0.5, color="#333333"),
        ),
    )


def _others(data: SearchData, state: str) -> go.Scatter:
    """The diverged runs (✕) or those still training (rings): no colour, no value."""
    mask = data.state == state
    marker = (
        dict(symbol="x-thin", size=10, line=dict(width=2, color=DIVERGED_COLOR))
        if state == "diverged"
        else dict(symbol="circle-open", size=9, color="#999999")
    )
    return go.Scatter(
        x=plotted(data.xaxis.scale, data.x[mask]),
        y=plotted(data.yaxis.scale, data.y[mask]),
        mode="markers",
        name={"diverged": "diverged", "pending": "training…", "never": "never below"}[state],
        customdata=np.flatnonzero(mask),
        hovertext=data.hover[mask],
        hovertemplate="%{hovertext}<extra></extra>",
        marker=marker,
    )


def _axis(axis: AxisData) -> dict:
    """Log axes where the setting was sampled on a log scale; 1 − β reversed, so β grows."""
    if axis.scale == "lin":
        pad = 0.03 * (axis.high - axis.low)
        return dict(title=axis.title, type="linear", range=[axis.low - pad, axis.high + pad])
    ends = np.log10([plotted(axis.scale, axis.low), plotted(axis.scale, axis.high)])
    pad = 0.03 * abs(ends[1] - ends[0])
    lo, hi = (ends[0] - pad, ends[1] + pad) if ends[0] < ends[1] else (ends[0] + pad, ends[1] - pad)
    out = dict(title=axis.title, type="log", range=[lo, hi])
    if axis.tickvals:
        out |= dict(tickvals=list(axis.tickvals), ticktext=list(axis.ticktext))
    return out


def search_figure(data: SearchData, picked: int | None = None, title: str = "") -> go.Figure:
    """The sampled runs over the two settings; run ``picked`` ringed."""
    rounds = sorted(set(data.round.tolist()))
    traces = [_round_trace(data, r, shown_scale=k == 0) for k, r in enumerate(rounds)]
    traces += [
        _others(data, s) for s in ("diverged", "never", "pending") if (data.state == s).any()
    ]
    fig = go.Figure(traces)
    for k, box in enumerate(data.boxes, start=1):
        (x0, x1), (y0, y1) = box[0], box[1]
        fig.add_shape(type="rect", xref="x", yref="y", line=dict(color=BOX_COLOR, dash="dash"),
                      x0=plotted(data.xaxis.scale, x0), x1=plotted(data.xaxis.scale, x1),
                      y0=plotted(data.yaxis.scale, y0), y1=plotted(data.yaxis.scale, y1),
                      label=dict(text=f"round {k}", textposition="top left",
                                 font=dict(size=10, color=BOX_COLOR)))  # fmt: skip
    if picked is not None:
        fig.add_trace(_picked(data, picked))
    fig.update_xaxes(**_axis(data.xaxis), showgrid=True)
    fig.update_yaxes(**_axis(data.yaxis), showgrid=True)
    fig.update_layout(
        title=dict(text=title, x=0.02),
        font=FONT,
        height=MAP_HEIGHT,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        legend=dict(orientation="h", y=-0.15, x=0),
        dragmode="select",
        clickmode="event",
        hovermode="closest",
    )
    return fig


def _picked(data: SearchData, index: int) -> go.Scatter:
    return go.Scatter(
        x=[plotted(data.xaxis.scale, data.x[index])],
        y=[plotted(data.yaxis.scale, data.y[index])],
        mode="markers",
        name="picked",
        marker=dict(symbol="circle-open", size=20, color=PICKED_COLOR, line=dict(width=3)),
        hoverinfo="skip",
        showlegend=False,
    )
