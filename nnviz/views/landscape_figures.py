"""The loss landscape as a contour map: a Landscape (nnviz.engine.landscape) in, go.Figure out.

The slice's J is drawn as a pale heatmap of log₁₀ J (a bowl's bottom and its walls both show)
with iso-lines at even steps of log₁₀ J (marching squares, nnviz.views.contours, as the
playground's contours). Over it, each run's path in its own color (palette.RUN_COLORS, as
everywhere), a hollow circle where it started, a filled one at the epoch of the lab's scrubber,
a diamond at the weights an early-stopped run kept, and a black star at θ*, the centre. Built as
plain dicts, like the boundaries: validated once by the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnviz.engine.landscape import Landscape, Path
from nnviz.views.contours import contour_lines
from nnviz.views.figures import FONT, MARGIN, run_color, unvalidated

LEVELS = 16  # iso-lines of log₁₀ J
INK = "#1A1A1A"
CONTOUR_COLOR = "#7F8A99"
# low J white, high J slate: quiet, so the runs' colors carry the paths
SCALE = ((0.0, "#FFFFFF"), (0.5, "#C9D1DC"), (1.0, "#5C6B7F"))
HEIGHT = 560


def at_epoch(path: Path, epoch: int | None) -> int:
    """Index of the last snapshot at or before ``epoch`` (the last one for None)."""
    if epoch is None:
        return len(path.epochs) - 1
    return max(int(np.searchsorted(path.epochs, epoch, "right")) - 1, 0)


def axis_titles(land: Landscape) -> tuple[str, str]:
    if land.explained is None:
        return "α along d₁ (random, filter-normalised)", "β along d₂ (random, filter-normalised)"
    share = [f"{100 * s:.0f}%" for s in land.explained]
    return (
        f"α along PC 1 ({share[0]} of the paths' spread)",
        f"β along PC 2 ({share[1]} of the paths' spread)",
    )


def _colorbar(logJ: np.ndarray) -> dict:
    """Ticks at J = 1, 2, 5 × 10^k inside the range (10^k alone past three decades), labelled
    with J itself, not log₁₀ J."""
    low, high = np.nanmin(logJ), np.nanmax(logJ)
    steps = (1, 2, 5) if high - low <= 3 else (1,)
    ticks = [m * 10.0**e for e in range(-12, 40) for m in steps]
    inside = [t for t in ticks if low <= np.log10(t) <= high]
    return dict(
        title=dict(text="J", side="top"),
        thickness=12,
        len=0.9,
        tickvals=[float(np.log10(t)) for t in inside],
        ticktext=[f"{t:g}" for t in inside],
    )


def _surface(land: Landscape) -> list[dict]:
    logJ = np.log10(np.maximum(land.J, 1e-12))  # J > 0 always; the floor guards an exact 0
    line_x, line_y = contour_lines(land.alphas, land.betas, logJ, LEVELS)
    return [
        dict(
            type="heatmap",
            x=land.alphas,
            y=land.betas,
            z=logJ.astype(np.float32),
            customdata=land.J.astype(np.float32),
            zsmooth="fast",
            colorscale=[list(stop) for stop in SCALE],
            colorbar=_colorbar(logJ),
            name="J",
            hovertemplate="α %{x:.3g}, β %{y:.3g}<br>J = %{customdata:.4g}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=line_x.astype(np.float32),
            y=line_y.astype(np.float32),
            mode="lines",
            line=dict(color=CONTOUR_COLOR, width=0.8),
            hoverinfo="skip",
            showlegend=False,
        ),
    ]


def _kept(path: Path, label: str, i: int) -> list[dict]:
    """After early stopping: a diamond where the run ended up, the best epoch's θ it kept."""
    if path.kept_epoch is None:
        return []
    return [
        dict(
            type="scatter",
            x=path.final[:1],
            y=path.final[1:],
            mode="markers",
            legendgroup=f"run{i}",
            marker=dict(symbol="diamond", size=12, color=run_color(i), line=dict(color=INK)),
            showlegend=False,
            hovertemplate=f"{label}<br>stopped early: kept θ of epoch {path.kept_epoch:,}"
            "<extra></extra>",
        )
    ]


def _path(path: Path, label: str, i: int, epoch: int | None) -> list[dict]:
    """A run's path, its start (hollow) and where it is at ``epoch`` (filled); after early
    stopping, the weights it kept (``_kept``)."""
    color, (x, y) = run_color(i), path.coords.T
    hover = "epoch %{customdata[0]:,}<br>%{customdata[1]:.0%} of the step off the plane"
    info = np.column_stack([path.epochs, path.off_plane])
    k = at_epoch(path, epoch)
    common = dict(type="scatter", legendgroup=f"run{i}", hovertemplate=f"{label}<br>{hover}")
    return [
        dict(
            common,
            x=x,
            y=y,
            customdata=info,
            mode="lines",
            name=label,
            line=dict(color=color, width=2.5),
        ),
        dict(
            common,
            x=x[:1],
            y=y[:1],
            customdata=info[:1],
            mode="markers",
            marker=dict(symbol="circle-open", size=10, color=color, line=dict(width=2)),
            showlegend=False,
        ),
        dict(
            common,
            x=x[k : k + 1],
            y=y[k : k + 1],
            customdata=info[k : k + 1],
            mode="markers",
            marker=dict(size=13, color=color, line=dict(color="white", width=1.5)),
            showlegend=False,
        ),
        *_kept(path, label, i),
    ]


def _centre(label: str) -> dict:
    return dict(
        type="scatter",
        x=[0.0],
        y=[0.0],
        mode="markers",
        name=f"θ*: {label}, final",
        marker=dict(symbol="star", size=15, color=INK, line=dict(color="white", width=1)),
        hovertemplate=f"θ*: the final weights of {label}<extra></extra>",
    )


def landscape_figure(
    land: Landscape, labels: Sequence[str], epoch: int | None = None, height: int = HEIGHT
) -> go.Figure:
    """The slice of J around run ``land.centre``'s final weights, every run's path on it, each
    run marked at ``epoch`` (its last snapshot at or before it; None: the end)."""
    traces = _surface(land)
    for i, (path, label) in enumerate(zip(land.paths, labels)):
        traces += _path(path, label, i, epoch)
    traces.append(_centre(labels[land.centre]))
    x_title, y_title = axis_titles(land)
    centre = f"{land.centre + 1}: {labels[land.centre]}"
    title = f"Training cost J around run {centre}'s final weights (J with its λ = {land.lambd:g})"
    layout = dict(
        title=dict(text=title, x=0.02),
        font=FONT,
        height=height,
        margin=dict(MARGIN[False], b=60),
        xaxis=dict(title=dict(text=x_title), range=[land.alphas[0], land.alphas[-1]]),
        yaxis=dict(title=dict(text=y_title), range=[land.betas[0], land.betas[-1]]),
        legend=dict(orientation="h", y=-0.14, x=0),
        showlegend=True,
    )
    return unvalidated(dict(data=traces, layout=layout))
