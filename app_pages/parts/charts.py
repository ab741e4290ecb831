"""Plotly figures drawn by plotly.js's cartesian bundle, loaded once per browser tab.

``st.plotly_chart`` draws with Streamlit's own chunk of the full plotly.js (4.5 MB). Parsing and
running it holds the browser's main thread for about a second on the 2-core machine before any
widget of the page shows (the sliders commit with the first chart), which made opening the lab
cost 1.3-1.45x a bare page with two st.plotly_chart charts. Every chart of the lab and the
playground is a scatter, heatmap or bar trace, with Plotly's animation frames in the playground:
plotly.js's own "cartesian" partial bundle (1.4 MB, static/, the plotly.js version plotly.py
ships) draws them the same, in a Streamlit v2 component without an iframe. The element keeps
Streamlit's ``st-key-<key>`` class and Plotly's ``js-plotly-plot`` graph div.

A chart with the same key as in the previous script run is updated in place (``Plotly.react``);
a new key mounts a new chart. ``plot`` puts the chart in an ``st.empty`` and returns it: the next
``draw`` into that holder replaces the chart where it stands, frame after frame.

A click on a point (the network diagram's units, the sweep map's cells) calls ``on_click`` and
reruns, as ``st.plotly_chart(on_select=..., selection_mode="points")`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.io as pio
import streamlit as st

BUNDLE = "plotly-cartesian-3.7.0.min.js"  # static/, served at app/static/ (enableStaticServing)
TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "image", "pie", "scatter"})

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

_JS = r"""
function plotly() {
  if (!window.__nnvizPlotly) {
    window.__nnvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("app/static/@BUNDLE@", document.baseURI).href;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__nnvizPlotly = null;
        reject(new Error("plotly.js did not load"));
      };
      document.head.appendChild(script);
    });
  }
  return window.__nnvizPlotly;
}

// what a click on a point reports: as st.plotly_chart's selection points, the fields we read
const point = (p) => ({
  curve_number: p.curveNumber,
  point_index: p.pointIndex,
  point_number: p.pointNumber,
  x: p.x,
  y: p.y,
  customdata: p.customdata,
});

export default function ({ data, parentElement, setTriggerValue }) {
  let el = parentElement.querySelector("div.nnviz-chart");
  if (!el) {
    el = document.createElement("div");
    el.className = "nnviz-chart";
    el.style.width = "100%";
    parentElement.appendChild(el);
  }
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  const spec = JSON.parse(text);
  const height = spec.layout && spec.layout.height;
  if (height) el.style.minHeight = height + "px";  // the room is kept while plotly.js loads
  if (spec.alt) { el.setAttribute("role", "img"); el.setAttribute("aria-label", spec.alt); }
  let observer = null;
  let gone = false;
  plotly().then((Plotly) => {
    if (gone) return;
    const { data, layout, frames, config } = spec;
    Plotly.react(el, { data, layout, frames, config });
    el.__nnvizClick = spec.clicks ? setTriggerValue : null;  // this mount's, once per div
    if (spec.clicks && !el.__nnvizClicks) {
      el.__nnvizClicks = true;
      el.on("plotly_click", (e) => {
        if (el.__nnvizClick) el.__nnvizClick("click", e.points.map(point));
      });
    }
    observer = new ResizeObserver(() => {
      if (!gone && el.isConnected && el._fullLayout) Plotly.Plots.resize(el);
    });
    observer.observe(el);
  }).catch((err) => {
    el.textContent = "This chart could not be drawn: " + err.message + ". Reload the page.";
  });
  // Unmounted (a new key, a page change): the div leaves the page and is garbage. It is not
  // purged: plotly.js may still finish a draw or a resize on it after this, which throws on a
  // purged div ("e.emit is not a function"); no listener outside the div is left behind (no
  // "responsive" window listener: the ResizeObserver on the div alone follows its width).
  return () => {
    gone = true;
    if (observer) observer.disconnect();
  };
}
""".replace("@BUNDLE@", BUNDLE)

_mount = st.components.v2.component("nnviz_chart", js=_JS, isolate_styles=False)


def payload(fig: Any, config: dict | None = None, alt: str | None = None, clicks=False) -> bytes:
    """The figure as the component draws it: JSON bytes (plotly's encoder, orjson if there)."""
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()
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
