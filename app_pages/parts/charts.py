"""Plotly figures drawn by plotly.js's cartesian bundle, loaded once per browser tab.

Every chart of the pages is a scatter, heatmap or bar trace (with animation frames in the
playground): plotly.js's own "cartesian" bundle (static/, 1.4 MB, the plotly.js version the
installed plotly.py writes for) draws them as st.plotly_chart would, without Streamlit's 4.5 MB
full plotly.js holding the browser's main thread before the page shows.
static/plotly-cartesian.json records the bundle's source, checksum and trace types;
deploy/update_bundle.py fetches a new one. The browser half is charts.js, beside this file.

A chart with the same key as in the previous script run is updated in place (``Plotly.react``);
a new key mounts a new chart. ``plot`` puts the chart in an ``st.empty`` and returns it: the next
``draw`` into that holder replaces the chart where it stands, frame after frame. The element keeps
Streamlit's ``st-key-<key>`` class and Plotly's ``js-plotly-plot`` graph div.

A click on a point (the network diagram's units, the sweep map's cells) calls ``on_click`` and
reruns, as ``st.plotly_chart(on_select=..., selection_mode="points")`` does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.io as pio
import plotly.offline
import streamlit as st

STATIC = Path(__file__).resolve().parents[2] / "static"  # served at app/static/
MANIFEST = json.loads((STATIC / "plotly-cartesian.json").read_text(encoding="utf-8"))
BUNDLE = MANIFEST["bundle"]
TRACES = frozenset(MANIFEST["traces"])  # the trace types the bundle registers


def bundle_mismatch() -> str | None:
    """One line saying how static/'s plotly.js differs from the one plotly.py writes for."""
    wanted = plotly.offline.get_plotlyjs_version()
    if MANIFEST["version"] == wanted:
        return None
    return (
        f"static/{BUNDLE} is plotly.js {MANIFEST['version']} but plotly {plotly.__version__} "
        f"writes figures for plotly.js {wanted}: run python deploy/update_bundle.py"
    )


if _mismatch := bundle_mismatch():
    logging.getLogger(__name__).error(_mismatch)


# What Streamlit's theme gives a chart on our light theme (.streamlit/config.toml), as
# st.plotly_chart's frontend fills in its template: faded axis text, light grid, no axis lines.
_FADED, _GRID, _TEXT = "#808495", "#e6eaf1", "#1A1A1A"
_FAMILY = '"Source Sans", sans-serif'
_AXIS = {
    "gridcolor": _GRID,
    "zerolinecolor": _GRID,
    "tickcolor": _GRID,
    "tickfont": {"color": _FADED, "size": 12},
    "title": {"font": {"color": _FADED, "size": 14}},
    "automargin": True,
}
TEMPLATE = {
    "layout": {
        "font": {"color": _FADED, "family": _FAMILY, "size": 12},
        "title": {"font": {"family": _FAMILY, "size": 16, "color": _TEXT}, "x": 0},
        "legend": {"font": {"size": 12, "color": "#262730"}, "bordercolor": "transparent"},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "xaxis": {**_AXIS, "showgrid": False, "zeroline": False},
        "yaxis": _AXIS,
        "hoverlabel": {
            "bgcolor": "#FFFFFF",
            "bordercolor": "rgba(26, 26, 26, 0.2)",
            "font": {"color": _FADED, "family": _FAMILY, "size": 12},
        },
    }
}

_JS = (Path(__file__).with_name("charts.js")).read_text(encoding="utf-8")
_mount = st.components.v2.component(
    "nnviz_chart", js=_JS.replace("@BUNDLE@", BUNDLE), isolate_styles=False
)


def refuse_unknown_traces(spec: dict) -> None:
    """A clear error for a trace type the cartesian bundle cannot draw (it would draw nothing)."""
    traces = [
        *spec.get("data", []),
        *(t for f in spec.get("frames", []) for t in f.get("data", [])),
    ]
    unknown = sorted({t.get("type", "scatter") for t in traces} - TRACES)
    if unknown:
        raise ValueError(
            f"the chart component cannot draw {', '.join(map(repr, unknown))} traces: "
            f"static/{BUNDLE} draws {', '.join(sorted(TRACES))}"
        )


def payload(fig: Any, config: dict | None = None, alt: str | None = None, clicks=False) -> bytes:
    """The figure as the component draws it: JSON bytes (plotly's encoder, orjson if there)."""
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()
    refuse_unknown_traces(spec)
    layout = {**spec.get("layout", {}), "template": TEMPLATE}
    config = config or {"displaylogo": False}
    out = {"data": spec.get("data", []), "layout": layout, "config": config}
    if spec.get("frames"):
        out["frames"] = spec["frames"]
    if alt:
        out["alt"] = alt
    if clicks:
        out["clicks"] = True
    return pio.to_json(out, validate=False).encode()


def draw(
    holder: Any,
    fig: Any,
    key: str | None,
    config: dict | None = None,
    alt: str | None = None,
    on_click: Callable[[], None] | None = None,
) -> Any:
    """Draw ``fig`` into ``holder`` (an ``st.empty``), replacing what it held; return the holder.

    With ``on_click``, a click on a point reruns the script after calling it; ``clicked(key)``
    then gives the points clicked (``curve_number``, ``point_index``, ``customdata``, x, y)."""
    data = payload(fig, config, alt, clicks=on_click is not None)
    with holder:
        if on_click is None:
            _mount(key=key, data=data)
        else:
            _mount(key=key, data=data, on_click_change=on_click)
    return holder


def plot(
    place: Any,
    fig: Any,
    key: str | None = None,
    config: dict | None = None,
    alt: str | None = None,
    on_click: Callable[[], None] | None = None,
) -> Any:
    """Draw ``fig`` at the end of ``place`` (the page, a column), as ``st.plotly_chart`` does."""
    return draw(place.empty(), fig, key, config, alt, on_click)


def clicked(key: str) -> list[dict]:
    """The points of the last click on chart ``key`` (in its ``on_click``), else []."""
    state = st.session_state.get(key)
    points = state.get("click") if hasattr(state, "get") else None
    return points if isinstance(points, list) else []
