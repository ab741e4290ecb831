"""Learning curves: cost and accuracy against epochs, one color per run. No streamlit here.

Training curves are solid (in the legend), test curves dashed. Three things keep every run
readable, whatever the others do:
- a diverged run's curve stops where it diverged, with a ✕, and does not stretch a linear axis;
- the cost axis turns logarithmic by itself when the curves span more than two decades (the random
  ×10 initialization starts at J ≈ 1200, next to curves below 1); an explicit choice wins;
- a run whose curve lies on an earlier run's (GD and momentum with a small α) is drawn narrower on
  top of a wider line, and its legend entry says which run it covers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnviz.engine.train import History
from nnviz.views.figures import FONT, run_color

LOG_DECADES = 2.0  # the cost axis turns logarithmic when the curves span more decades than this
SAME_CURVE = 0.01  # curves closer than this share of the axis everywhere look like one line
WIDTH, WIDER = 2.5, 3.0  # a curve's line width; + WIDER for every later curve drawn on top of it
# room for the y ticks and title, the x ticks and title and one row of legend below (see
# figures.MARGIN: margins too small for them cost the browser extra draws)
MARGIN = dict(l=84, r=24, t=40, b=96)
LEGEND_ROW = 20  # px


def cost_decades(histories: Sequence[History]) -> float:
    """How many decades the finite, positive costs of the runs that did not diverge span."""
    healthy = [h for h in histories if h.diverged_at is None] or list(histories)
    costs = np.concatenate([np.r_[h.train_cost, h.test_cost] for h in healthy])
    costs = costs[np.isfinite(costs) & (costs > 0)]
    return float(np.log10(costs.max() / costs.min())) if len(costs) else 0.0


def wants_log(histories: Sequence[History]) -> bool:
    """Whether the cost axis should be logarithmic: the curves span more than LOG_DECADES."""
    return cost_decades(histories) > LOG_DECADES


def covered_by(curves: Sequence[np.ndarray], span: float) -> list[int | None]:
    """For every curve, the first earlier curve it lies on (within SAME_CURVE × span), or None."""
    out: list[int | None] = []
    for j, b in enumerate(curves):
        match = None
        for i, a in enumerate(curves[:j]):
            if len(a) == len(b) > 0 and np.all(np.abs(a - b) <= SAME_CURVE * span):
                match = i
                break
        out.append(match)
    return out


def _span(histories: Sequence[History], curves: Sequence[np.ndarray]) -> float:
    """The height of the axis: the range of the curves of the runs that did not diverge."""
    healthy = [c for h, c in zip(histories, curves) if h.diverged_at is None] or list(curves)
    values = np.concatenate([c[np.isfinite(c)] for c in healthy])
    return float(values.max() - values.min()) if len(values) else 0.0


def _curve(
    x: np.ndarray, y: np.ndarray, name: str, i: int, dashed: bool, width: float, hover: str
) -> go.Scatter:
    """One run's curve: the training one solid and in the legend, the test one dashed."""
    return go.Scatter(
        x=x,
        y=y,
        mode="lines",
        name=name,
        legendgroup=f"run{i}",
        showlegend=not dashed,
        line=dict(color=run_color(i), width=width, dash="dash" if dashed else "solid"),
        hovertemplate=hover,
    )


def _diverged_mark(h: History, y: np.ndarray, i: int) -> list[go.Scatter]:
    """A ✕ where a diverged run's curve stops."""
    if h.diverged_at is None or len(y) == 0:
        return []
    return [
        go.Scatter(
            x=[h.epochs[-1]],
            y=[y[-1]],
            mode="markers+text",
            text=[f"diverged at epoch {h.diverged_at}"],
            textposition="middle right",
            cliponaxis=False,
            textfont=dict(color=run_color(i)),
            marker=dict(symbol="x", size=12, color=run_color(i)),
            showlegend=False,
            hoverinfo="skip",
        )
    ]


def _early_marks(h: History, y: np.ndarray, i: int) -> list[go.Scatter]:
    """Early stopping's two marks on a run's test curve: ● at the best epoch (whose weights it
    keeps) and a | where it stopped."""
    if h.best_epoch is None or len(y) == 0:
        return []
    at = [int(np.searchsorted(h.epochs, e)) for e in (h.best_epoch, h.stopped_at or h.epochs[-1])]
    at = [min(k, len(y) - 1) for k in at]
    words = [f"best epoch {h.best_epoch}"]
    if h.stopped_at is not None:
        words.append(f"stopped at {h.stopped_at}")
    return [
        go.Scatter(
            x=[h.best_epoch, h.stopped_at][: len(words)],
            y=[y[k] for k in at][: len(words)],
            mode="markers",
            marker=dict(
                symbol=["circle", "line-ns-open"][: len(words)],
                size=12,
                color=run_color(i),
                line=dict(width=2, color=run_color(i)),
            ),
            showlegend=False,
            hovertext=words,
            hoverinfo="text",
        )
    ]


def _lines(
    histories: Sequence[History],
    labels: Sequence[str],
    curves: Sequence[np.ndarray],
    kind: str,
    fmt: str,
    log: bool,
    numbers: Sequence[int],
) -> list[go.Scatter]:
    """One kind of curve (train or test) of every run, overlapping ones wider underneath;
    ``numbers[i]``: the run's place in the experiment, which gives its colour."""
    seen = [np.log10(np.maximum(c, 1e-300)) if log else c for c in curves]
    cover = covered_by(seen, _span(histories, seen))
    under = [sum(1 for c in cover if c == i) for i in range(len(curves))]  # curves on top of i
    dashed = kind.startswith("test")
    traces = []
    for i, (h, label, y) in enumerate(zip(histories, labels, curves)):
        if not len(y):
            continue
        name = f"{label} · test" if dashed else label
        if cover[i] is not None and not dashed:
            name += f" (same curve as {labels[cover[i]]})"
        hover = f"{label} · {kind}<br>epoch %{{x}}: %{{y:{fmt}}}<extra></extra>"
        width = WIDTH + WIDER * under[i]
        traces.append(_curve(h.epochs, y, name, numbers[i], dashed, width, hover))
    return traces


def _curves_figure(
    histories: Sequence[History],
    labels: Sequence[str],
    train: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    kinds: tuple[str, str],
    fmt: str,
    log: bool = False,
    numbers: Sequence[int] | None = None,
) -> go.Figure:
    """The train curves solid and the test curves dashed for every run, one color per run
    (``numbers``: each run's place in the experiment, when some runs are left out)."""
    numbers = range(len(histories)) if numbers is None else numbers
    fig = go.Figure()
    fig.add_traces(_lines(histories, labels, train, kinds[0], fmt, log, numbers))
    fig.add_traces(_lines(histories, labels, test, kinds[1], fmt, log, numbers))
    for k, h, y in zip(numbers, histories, train):
        fig.add_traces(_diverged_mark(h, y, k))
    for k, h, y in zip(numbers, histories, test):
        fig.add_traces(_early_marks(h, y, k))
    rows = -(-len(histories) // 2)  # the legend's rows in a half-width column: two runs a row
    fig.update_layout(
        font=FONT,
        height=400,
        margin=dict(MARGIN, b=MARGIN["b"] + LEGEND_ROW * (rows - 1)),
        hovermode="closest",
        legend=dict(orientation="h", yanchor="top", y=-0.24, x=0),
    )
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    return fig


def cost_figure(
    histories: Sequence[History],
    labels: Sequence[str],
    log_y: bool | None = None,
    numbers: Sequence[int] | None = None,
) -> go.Figure:
    """J on the training set (solid, with the L2 term) and the test cross-entropy (dashed).

    ``log_y`` None: logarithmic when the curves span more than LOG_DECADES (``wants_log``).
    ``numbers``: each run's place in the experiment (its colour), when only some are given —
    while training, the runs of groups that have started.
    """
    log = wants_log(histories) if log_y is None else log_y
    train = [h.train_cost for h in histories]
    test = [h.test_cost for h in histories]
    kinds = ("train J (with L2)", "test")
    fig = _curves_figure(histories, labels, train, test, kinds, ".4g", log, numbers)
    fig.update_layout(title=dict(text="Cost (log scale)" if log else "Cost", x=0.01))
    fig.update_yaxes(title_text="cost", type="log" if log else "linear")
    top = _healthy_top(histories)
    if not log and top is not None:  # a diverged run's 1e70 would flatten everything else
        fig.update_yaxes(range=[0, top])
        for mark in fig.select_traces(selector=dict(mode="markers+text")):
            mark.y = [min(mark.y[0], 0.95 * top)]
    return fig


def _healthy_top(histories: Sequence[History]) -> float | None:
    """1.1 × the highest cost of the runs that did not diverge, if some run did."""
    if all(h.diverged_at is None for h in histories):
        return None
    costs = [
        np.concatenate([h.train_cost, h.test_cost]) for h in histories if h.diverged_at is None
    ]
    return 1.1 * float(np.max(np.concatenate(costs))) if costs else None


def accuracy_figure(histories: Sequence[History], labels: Sequence[str]) -> go.Figure:
    """Train (solid) and test (dashed) accuracy."""
    train = [h.train_accuracy for h in histories]
    test = [h.test_accuracy for h in histories]
    fig = _curves_figure(histories, labels, train, test, ("train", "test"), ".1%")
    fig.update_layout(title=dict(text="Accuracy", x=0.01))
    fig.update_yaxes(title_text="accuracy", tickformat=".0%")
    return fig
