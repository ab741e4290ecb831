"""The sweep page's random mode: the sampled runs as points, the zoom box, labels. No streamlit.

A point per run at its two sampled values, coloured by the metric, its marker the round it was
sampled in. An axis sampled on a log scale is drawn on a log axis; one sampled as β = 1 − 10^r
on a log axis of 1 − β, labelled with β (0.9, 0.99, 0.999 evenly spaced), so the points spread
as they were drawn. Zooming in (coarse to fine) samples n more runs inside a box: one the user
drew on the chart, or one around the best runs so far (``suggested_box``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.engine.search import RandomSearch, Range, to_exponent
from nnviz.engine.sweep import SweepRow
from nnviz.models import lab_model as lab
from nnviz.models.sweep_model import METRICS, Box, axis_name, cell_value
from nnviz.models.sweep_model import _cell_text as value_text

BEST_SHARE = 0.25  # the suggested box spans the best quarter of the runs so far
MIN_BEST = 3  # and at least this many
PAD = 0.1  # widened by this share of its span on each side (on the sampling scale)


def plotted(scale: str, x: np.ndarray | float) -> np.ndarray | float:
    """Where a value sits on its axis: 1 − β for a 1-log setting (drawn on a log axis), else x."""
    return 1 - x if scale == "1-log" else x


@dataclass(frozen=True)
class AxisData:
    """One axis of the scatter: its setting, scale, plotted range and ticks."""

    field: str
    title: str
    scale: str  # lin | log | 1-log
    low: float
    high: float
    tickvals: tuple[float, ...] = ()  # for 1-log: 1 − β at each decade
    ticktext: tuple[str, ...] = ()  # and the β it stands for


def axis_data(r: Range) -> AxisData:
    title = axis_name(r.field)
    if r.scale != "1-log":
        return AxisData(r.field, f"{title} ({r.scale} scale)", r.scale, r.low, r.high)
    a, b = r.exponents()
    decades = range(math.floor(a), math.ceil(b) + 1)
    vals = tuple(10.0**k for k in decades)
    text = tuple(lab.fmt(float(f"{1 - v:.12g}")) for v in vals)
    return AxisData(r.field, f"{title} (log scale of 1 − {title})", r.scale, r.low, r.high,
                    vals, text)  # fmt: skip


@dataclass(frozen=True, eq=False)
class SearchData:
    """Every run of a search as a point (NaN value: pending, diverged or never below)."""

    x: np.ndarray  # the first setting's sampled value of each run, in run order
    y: np.ndarray
    z: np.ndarray  # the metric
    round: np.ndarray  # of int
    state: np.ndarray  # of str: "pending", "ok", "never", "diverged"
    hover: np.ndarray  # of str
    xaxis: AxisData
    yaxis: AxisData
    boxes: tuple[Box, ...]  # round k ≥ 1 sampled inside boxes[k - 1]
    metric: str
    lower_better: bool
    percent: bool


def run_label(search: RandomSearch, index: int, sep: str = " ") -> str:
    """'round 1: α 0.00315, β₁ 0.993': a run's round and sampled values."""
    settings = search.settings(search.cells()[index])
    values = ", ".join(
        f"{axis_name(r.field)}{sep}{lab.fmt(float(f'{settings[r.field]:.3g}'))}"
        for r in search.ranges
    )
    return f"round {settings['round']}: {values}"


def search_data(
    search: RandomSearch, rows: Sequence[SweepRow], metric: str, below: float
) -> SearchData:
    """The points of the runs trained so far (rows by their cell; a missing one is pending)."""
    n = len(search.cells())
    values = np.array([[search.settings(c)[r.field] for r in search.ranges[:2]]
                       for c in search.cells()])  # fmt: skip
    z = np.full(n, np.nan)
    state = np.full(n, "pending", dtype=object)
    hover = np.array([run_label(search, i, " = ") + "<br>training…" for i in range(n)], object)
    label = METRICS[metric][0].replace("the threshold", lab.fmt(below))
    for row in rows:
        i = row.cell[0] * search.n + row.cell[1]
        where = run_label(search, i, " = ")
        if row.diverged:
            state[i], hover[i] = "diverged", f"{where}<br>diverged at epoch {row.diverged_at}"
            continue
        value = cell_value(row, metric, below)
        state[i] = "ok" if value is not None else "never"
        z[i] = np.nan if value is None else value
        shown = "never" if value is None else value_text(value, metric)
        unit = " %" if metric.endswith("accuracy") and value is not None else ""
        hover[i] = f"{where}<br>{label}: {shown}{unit}"
    return SearchData(
        x=values[:, 0],
        y=values[:, 1],
        z=z,
        round=np.array([c[0] for c in search.cells()]),
        state=state,
        hover=hover,
        xaxis=axis_data(search.ranges[0]),
        yaxis=axis_data(search.ranges[1]),
        boxes=search.boxes,
        metric=label,
        lower_better=METRICS[metric][1],
        percent=metric.endswith("accuracy"),
    )


def best_runs(data: SearchData, count: int) -> list[int]:
    """The ``count`` runs with the best values (fewer if fewer have one), best first."""
    z = data.z if data.lower_better else -data.z
    order = [int(i) for i in np.argsort(z, kind="stable") if np.isfinite(z[i])]
    return order[:count]


def _round_out(low: float, high: float, r: Range) -> tuple[float, float]:
    """The box's ends to 3 significant digits of their plotted value (1 − β for a 1-log
    setting, so 0.99953 is not rounded to 1), rounded outwards and kept inside the range."""

    def digits(x: float, up: bool) -> float:
        if x == 0:
            return 0.0
        step = 10.0 ** (math.floor(math.log10(abs(x))) - 2)
        steps = round(x / step, 6)  # 1 − 0.99 is 0.010000000000000009: not a step above 0.01
        return float(f"{(math.ceil if up else math.floor)(steps) * step:.12g}")

    p_lo, p_hi = sorted(float(plotted(r.scale, x)) for x in (low, high))
    ends = sorted(float(f"{plotted(r.scale, p):.12g}") for p in (digits(p_lo, False),
                                                                 digits(p_hi, True)))  # fmt: skip
    return max(ends[0], r.low), min(ends[1], r.high)


def _box_on_scale(r: Range, values: np.ndarray) -> tuple[float, float]:
    """The span of ``values`` on r's sampling scale, padded, inside r, back as values."""
    exps = np.array([to_exponent(r.scale, float(v)) for v in values])
    a, b = r.exponents()
    lo, hi = exps.min(), exps.max()
    pad = max(PAD * (hi - lo), 0.02 * (b - a))
    lo, hi = max(lo - pad, a), min(hi + pad, b)
    ends = sorted(float(np.clip(_value(r.scale, e), r.low, r.high)) for e in (lo, hi))
    return _round_out(ends[0], ends[1], r)


def _value(scale: str, r: float) -> float:
    return 10.0**r if scale == "log" else 1 - 10.0**r if scale == "1-log" else r


def suggested_box(search: RandomSearch, data: SearchData) -> Box | None:
    """Around the best quarter of the runs so far (at least MIN_BEST), on each setting's scale,
    padded and kept inside the ranges; None while no run has a value."""
    count = max(MIN_BEST, math.ceil(BEST_SHARE * len(data.z)))
    best = best_runs(data, count)
    if not best:
        return None
    columns = (data.x[best], data.y[best])
    return tuple(_box_on_scale(r, c) for r, c in zip(search.ranges, columns))


def box_from_selection(
    search: RandomSearch, xrange: Sequence[float], yrange: Sequence[float]
) -> Box | None:
    """A box drawn on the chart (Plotly's selection range, in plotted values: 1 − β on a 1-log
    axis) as settings' (low, high), cut to the ranges; None if it misses them."""
    box = []
    for r, ends in zip(search.ranges, (xrange, yrange)):
        lo, hi = sorted(float(plotted(r.scale, v)) for v in ends)
        lo, hi = max(lo, r.low), min(hi, r.high)
        if not lo < hi:
            return None
        box.append(_round_out(lo, hi, r))
    return tuple(box)


def lab_url(search: RandomSearch, index: int) -> dict[str, str]:
    """The lab's query parameters for run ``index`` alone: the lab trains the same numbers."""
    return lab.url_params(search.experiment_at(index))
