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
reruns, as ``st.plotly_chart(on_select=..., selection_mode="points")`` does; a box drawn with
Plotly's select tool calls ``on_select`` (``selected(key)``: its x and y ranges), as
``selection_mode="box"`` does.
"""

from __future__ import annotations

import json
import logging
import re
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


# --- Streamlit's look for a chart, from this app's theme options ---------------------------------

# used where an option is unset: .streamlit/config.toml's values
FALLBACK = {"textColor": "#1A1A1A", "backgroundColor": "#FFFFFF", "font": "sans-serif"}
# Streamlit's palette as its frontend picks it for a chart on a light or a dark background
# (getGray70, getGray30, getGray90): faded text, grid lines, legend text
GRAYS = {True: ("#808495", "#e6eaf1", "#262730"), False: ("#e6eaf1", "#31333F", "#fafafa")}
FAMILIES = {  # the fonts Streamlit ships for its three font options
    "sans-serif": '"Source Sans", sans-serif',
    "serif": '"Source Serif", serif',
    "monospace": '"Source Code Pro", monospace',
}


def _option(name: str) -> Any:
    value = st.get_option(f"theme.{name}")
    return FALLBACK.get(name) if value in (None, "") else value


def _rgb(color: str) -> tuple[int, ...] | None:
    """#rrggbb or #rgb as three numbers, None for any other CSS color."""
    digits = color[1:] if re.fullmatch(r"#([0-9a-fA-F]{3}){1,2}", color) else ""
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4)) if digits else None


def _is_light(color: str) -> bool:
    """Streamlit's test for a light background: relative luminance (WCAG) above one half."""
    rgb = _rgb(color)
    if rgb is None:
        return st.get_option("theme.base") != "dark"
    lin = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.5


def _border(text: str) -> str:
    """theme.borderColor, else the text color at 20% opacity (Streamlit's own default)."""
    r, g, b = _rgb(text) or _rgb(FALLBACK["textColor"])
    return st.get_option("theme.borderColor") or f"rgba({r}, {g}, {b}, 0.2)"


def template() -> dict:
    """The Plotly template st.plotly_chart's frontend fills in for Streamlit's theme: faded axis
    text, light grid, no axis lines, Streamlit's font at its sizes (0.75, 0.875 and 1 rem)."""
    text, background = _option("textColor"), _option("backgroundColor")
    faded, grid, legend = GRAYS[_is_light(background)]
    family = FAMILIES.get(_option("font"), _option("font"))
    rem = st.get_option("theme.baseFontSize") or 16
    small, medium = round(0.75 * rem), round(0.875 * rem)
    axis = {
        "gridcolor": grid,
        "zerolinecolor": grid,
        "tickcolor": grid,
        "tickfont": {"color": faded, "size": small},
        "title": {"font": {"color": faded, "size": medium}},
        "automargin": True,
    }
    font = {"color": faded, "family": family, "size": small}
    return {
        "layout": {
            "font": font,
            "title": {"font": {"family": family, "size": rem, "color": text}, "x": 0},
            "legend": {"font": {"size": small, "color": legend}, "bordercolor": "transparent"},
            "paper_bgcolor": background,
            "plot_bgcolor": background,
            "xaxis": {**axis, "showgrid": False, "zeroline": False},
            "yaxis": axis,
            "hoverlabel": {"bgcolor": background, "bordercolor": _border(text), "font": font},
        }
    }


TEMPLATE = template()
_JS = Path(__file__).with_name("charts.js").read_text(encoding="utf-8")
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


def payload(
    fig: Any, config: dict | None = None, alt: str | None = None, clicks=False, selects=False
) -> bytes:
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
    if selects:
        out["selects"] = True
    return pio.to_json(out, validate=False).encode()


def draw(
    holder: Any,
    fig: Any,
    key: str | None,
    config: dict | None = None,
    alt: str | None = None,
    on_click: Callable[[], None] | None = None,
    on_select: Callable[[], None] | None = None,
) -> Any:
    """Draw ``fig`` into ``holder`` (an ``st.empty``), replacing what it held; return the holder.

    With ``on_click``, a click on a point reruns the script after calling it; ``clicked(key)``
    then gives the points clicked (``curve_number``, ``point_index``, ``customdata``, x, y).
    With ``on_select``, so does a box drawn with the select tool; ``selected(key)`` its ranges."""
    data = payload(fig, config, alt, clicks=on_click is not None, selects=on_select is not None)
    callbacks = {"on_click_change": on_click, "on_select_change": on_select}
    with holder:
        _mount(key=key, data=data, **{k: f for k, f in callbacks.items() if f is not None})
    return holder


def plot(
    place: Any,
    fig: Any,
    key: str | None = None,
    config: dict | None = None,
    alt: str | None = None,
    on_click: Callable[[], None] | None = None,
    on_select: Callable[[], None] | None = None,
) -> Any:
    """Draw ``fig`` at the end of ``place`` (the page, a column), as ``st.plotly_chart`` does."""
    return draw(place.empty(), fig, key, config, alt, on_click, on_select)


def clicked(key: str) -> list[dict]:
    """The points of the last click on chart ``key`` (in its ``on_click``), else []."""
    state = st.session_state.get(key)
    points = state.get("click") if hasattr(state, "get") else None
    return points if isinstance(points, list) else []


def selected(key: str) -> dict | None:
    """The last box drawn on chart ``key`` (in its ``on_select``): {"x": [x0, x1], "y": [y0, y1]}
    in data values, else None."""
    state = st.session_state.get(key)
    box = state.get("select") if hasattr(state, "get") else None
    ok = isinstance(box, dict) and all(len(box.get(a) or ()) == 2 for a in ("x", "y"))
    return box if ok else None
