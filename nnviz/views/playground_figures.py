"""Plotly figures of the optimizer playground: data in, go.Figure out. No Streamlit.

One color per optimizer, the same in every chart (Okabe–Ito, from nnviz.views.palette).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnviz.engine.optim import OPTIMIZERS
from nnviz.models.playground_settings import display_indices, frame_steps
from nnviz.playground.surfaces import Surface
from nnviz.playground.trajectory import RULES, OptimizerPath, gap
from nnviz.views.contours import contour_lines
from nnviz.views.palette import RUN_COLORS

# the four optimizers in the run colors; Adam without bias correction in vermillion, apart from
# Adam's purple and GD's blue
OPTIMIZER_COLORS = {name: RUN_COLORS[i] for i, name in enumerate(OPTIMIZERS)}
OPTIMIZER_COLORS["adam_nobias"] = RUN_COLORS[5]
INK = "#222222"
CONTOUR_COLOR = "#B4BCC8"  # quiet gray: the paths carry the color
FRAME_MS = 120  # one animation frame; at most 50 frames, so a replay lasts about 6 s


def f32(a: np.ndarray) -> np.ndarray:
    """Frames are sent to the browser: single precision halves the payload, invisibly."""
    return np.asarray(a, dtype=np.float32)


def _contour(grid: tuple[np.ndarray, np.ndarray, np.ndarray]) -> go.Scatter:
    x, y = contour_lines(*grid)
    line = {"color": CONTOUR_COLOR, "width": 0.8}
    return go.Scatter(
        x=f32(x), y=f32(y), mode="lines", line=line, hoverinfo="skip", showlegend=False
    )


def _at(path: OptimizerPath, t: int) -> int:
    """Index of θ_t, or of the last point of a path that stopped (diverged) before t."""
    return min(t, len(path.theta) - 1)


def _trail(path: OptimizerPath, shown: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """The path drawn up to step t: the displayed points before t, then θ_t itself."""
    k = _at(path, t)
    idx = np.append(shown[shown < k], k)
    return f32(path.theta[idx, 0]), f32(path.theta[idx, 1])


def _moving(paths: Mapping[str, OptimizerPath], gaps, shown, t: int) -> list[go.Scatter]:
    """What one animation frame replaces: each optimizer's trail, then all points, then all
    loss markers (the order _moving_traces adds them in)."""
    ks = {name: _at(path, t) for name, path in paths.items()}
    trails = [go.Scatter(dict(zip("xy", _trail(p, shown[n], t)))) for n, p in paths.items()]
    points = go.Scatter(
        x=[p.theta[ks[n], 0] for n, p in paths.items()],
        y=[p.theta[ks[n], 1] for n, p in paths.items()],
    )
    losses = go.Scatter(x=list(ks.values()), y=[gaps[n][k] for n, k in ks.items()])
    return [*trails, points, losses]


def _static_traces(fig: go.Figure, surface: Surface, paths, gaps, shown) -> None:
    for name, path in paths.items():
        color = OPTIMIZER_COLORS[name]
        idx = shown[name]
        whole = {"x": f32(path.theta[idx, 0]), "y": f32(path.theta[idx, 1])}
        fig.add_trace(_ghost(whole, color, name), row=1, col=1)
        curve = {"x": idx, "y": f32(gaps[name][idx])}
        fig.add_trace(_curve(curve, color, name, RULES[name].title), row=1, col=2)
        if path.diverged_at is not None:
            fig.add_trace(_diverged(path, color), row=1, col=1)
    fig.add_trace(_minima(surface), row=1, col=1)
    start = next(iter(paths.values())).theta[0]
    fig.add_trace(_marker([start[0]], [start[1]], INK, "circle-open", 11, "start θ₀"), row=1, col=1)


def _ghost(xy: dict, color: str, name: str) -> go.Scatter:
    line = {"color": color, "width": 1.2}
    return go.Scatter(
        **xy,
        mode="lines",
        line=line,
        opacity=0.35,
        legendgroup=name,
        showlegend=False,
        hoverinfo="skip",
    )


def _curve(xy: dict, color: str, name: str, title: str) -> go.Scatter:
    return go.Scatter(
        **xy,
        mode="lines",
        line={"color": color, "width": 2},
        legendgroup=name,
        name=title,
        showlegend=False,
        hovertemplate=f"{title}<br>t = %{{x}}<br>%{{y:.4g}}<extra></extra>",
    )


def _diverged(path: OptimizerPath, color: str) -> go.Scatter:
    x, y = path.theta[-1]
    text = f"diverged at t = {path.diverged_at}"
    return go.Scatter(
        x=[x],
        y=[y],
        mode="markers+text",
        text=[text],
        textposition="top center",
        marker={"symbol": "x", "size": 13, "color": color, "line": {"width": 1, "color": INK}},
        textfont={"color": color, "size": 12},
        showlegend=False,
        hoverinfo="text",
    )


def _minima(surface: Surface) -> go.Scatter:
    pts = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
    labels = ["global minimum"] + ["local minimum"] * (len(pts) - 1)
    symbols = ["star"] + ["star-open"] * (len(pts) - 1)
    return go.Scatter(
        x=pts[:, 0],
        y=pts[:, 1],
        mode="markers",
        name="minimum",
        text=labels[: len(pts)],
        marker={"symbol": symbols[: len(pts)], "size": 16, "color": INK},
        hovertemplate="%{text}<br>(%{x:.3g}, %{y:.3g})<extra></extra>",
        showlegend=len(pts) > 0,
    )


def _marker(x, y, color: str, symbol: str, size: int, name: str) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        name=name,
        showlegend=False,
        hoverinfo="name",
        marker={
            "symbol": symbol,
            "size": size,
            "color": color,
            "line": {"width": 1.5, "color": INK},
        },
    )


def _moving_traces(fig: go.Figure, paths, gaps, shown) -> list[int]:
    """Add the animated traces at step 0; return their indices for the frames."""
    first = len(fig.data)
    *trails, points, losses = _moving(paths, gaps, shown, 0)
    colors = [OPTIMIZER_COLORS[name] for name in paths]
    titles = [RULES[name].title for name in paths]
    for trail, name, color, title in zip(trails, paths, colors, titles):
        line = {"color": color, "width": 2.5}
        trail.update(mode="lines", line=line, name=title, legendgroup=name, hoverinfo="skip")
        fig.add_trace(trail, row=1, col=1)
    for trace, size, col in ((points, 12, 1), (losses, 9, 2)):
        marker = {"size": size, "color": colors, "line": {"width": 1.5, "color": "white"}}
        trace.update(mode="markers", marker=marker, text=titles, showlegend=False)
        trace.update(hovertemplate="%{text}<extra></extra>")
        fig.add_trace(trace, row=1, col=col)
    return list(range(first, len(fig.data)))


def race_figure(
    surface: Surface,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray],
    paths: Mapping[str, OptimizerPath],
    height: int = 580,
) -> go.Figure:
    """Contour with every optimizer's path (left) and f − f* against t (right), animated in sync.

    Play/pause and a step slider replay the finished paths in the browser: each frame moves every
    optimizer to the same step t, so the race is fair to watch.
    """
    gaps = {name: gap(surface, p.loss) for name, p in paths.items()}
    shown = {name: display_indices(len(p.theta) - 1) for name, p in paths.items()}
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        horizontal_spacing=0.13,
    )
    fig.add_trace(_contour(grid), row=1, col=1)
    _static_traces(fig, surface, paths, gaps, shown)
    moving = _moving_traces(fig, paths, gaps, shown)
    ts = frame_steps(max(len(p.theta) - 1 for p in paths.values()))
    fig.frames = [
        go.Frame(name=str(t), data=_moving(paths, gaps, shown, t), traces=moving) for t in ts
    ]
    _race_layout(fig, surface, ts, height)
    return fig


def loss_label(surface: Surface) -> str:
    return "f(θ)" if surface.f_min is None else "f(θ) − f*"


def _race_layout(fig: go.Figure, surface: Surface, ts: np.ndarray, height: int) -> None:
    x0, x1, y0, y1 = surface.view
    fig.update_xaxes(range=[x0, x1], title_text="x", row=1, col=1, constrain="domain")
    fig.update_yaxes(range=[y0, y1], title_text="y", row=1, col=1)
    fig.update_xaxes(title_text="step t", row=1, col=2, range=[0, max(int(ts[-1]), 1)])
    log = surface.f_min is not None
    kind = "log" if log else "linear"
    fig.update_yaxes(type=kind, title_text=loss_label(surface), row=1, col=2)
    fig.update_yaxes(exponentformat="power", row=1, col=2)
    fig.update_layout(
        height=height,
        margin={"l": 70, "r": 24, "t": 50, "b": 150},  # and the Play buttons, step slider
        plot_bgcolor="white",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "xanchor": "left"},
        hovermode="closest",
        updatemenus=[_buttons()],
        sliders=[_slider(ts)],
    )


def _anim(frames: list[str] | None, duration: int) -> list:
    return [
        frames,
        {
            "frame": {"duration": duration, "redraw": False},
            "transition": {"duration": 0},
            "mode": "immediate",
            "fromcurrent": True,
        },
    ]


def _buttons() -> dict:
    return {
        "type": "buttons",
        "direction": "left",
        "x": 0,
        "y": -0.15,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"r": 10, "t": 0},
        "showactive": False,
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": _anim(None, FRAME_MS)},
            {"label": "❚❚ Pause", "method": "animate", "args": _anim([None], 0)},
        ],
    }


def _slider(ts: np.ndarray) -> dict:
    return {
        "active": 0,
        "x": 0.2,
        "len": 0.8,
        "y": -0.15,
        "yanchor": "top",
        "pad": {"t": 0, "b": 0},
        "currentvalue": {
            "prefix": "step t = ",
            "xanchor": "right",
            "font": {"size": 13, "color": INK},
        },
        "font": {"color": "rgba(0, 0, 0, 0)"},  # 50 tick labels would overlap; t is shown above
        "steps": [{"label": str(t), "method": "animate", "args": _anim([str(t)], 0)} for t in ts],
    }
