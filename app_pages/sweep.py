"""Sweep maps: one or two settings over lists or ranges, every run trained in lockstep, one map.

Widgets, layout, cache calls and calls into nnviz only. The applied ``Settings`` in
``SS.sm_settings`` is the cache key and the URL; the sidebar's form edits a copy and applies it
on "Draw the map". While a map trains, its rows appear as each lockstep group finishes
(``iter_sweep`` + ``st.empty`` redraws), each group in its turn among the lab's trainings.
Clicking a cell (a Plotly point selection, which reruns the page) or choosing it in the cell
picker shows that run's decision boundary and its lab link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

from app_pages.parts import charts
from app_pages.parts import random_search as rs
from app_pages.parts.sweep_turns import train_in_turns
from app_pages.server import trained  # shared by every session
from nnviz.engine.config import DATASETS
from nnviz.engine.data import Dataset
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.sweep import SWEEPABLE, SweepRow
from nnviz.engine.train import load_data
from nnviz.models import lab_model as lab
from nnviz.models import search_model as smod
from nnviz.models import sweep_model as sm
from nnviz.views import figures
from nnviz.views.sweep_figures import map_figure, target_trace

SS = st.session_state
NO_AXIS = "—"


# --- cached work --------------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def dataset(settings: sm.Settings) -> Dataset:
    return load_data(settings.base)


def trained_map(settings: sm.Settings, place) -> sm.TrainedMap:
    """The map's runs, trained once per server (a second session asking waits for them)."""

    def other_session(seconds: float) -> None:
        place.caption(f"Another session is training this map… {seconds:.0f} s")

    return trained("sweep").once(settings, lambda: train_map(settings, place), other_session)


def train_map(settings: sm.Settings, place) -> sm.TrainedMap:
    """Train the map's runs, one lockstep group per turn, drawing the map as groups finish."""
    sweep = settings.sweep()
    n = len(sweep.runs())

    def draw(rows: list[SweepRow], seconds: float) -> None:
        with place.container():
            st.caption(f"Trained {len(rows)} of {n} runs ({seconds:.1f} s)…")
            data = sm.map_data(sweep, rows, settings.metric, settings.below)
            charts.plot(st, map_figure(data), None, figures.PLOT_CONFIG)

    return train_in_turns(sweep, dataset(settings), place, draw)


# --- settings <-> widgets -----------------------------------------------------------------------


def field_and_values(text: str) -> tuple[str, str]:
    name, _, values = text.partition("=")
    return (name.strip(), values.strip()) if name.strip() else (NO_AXIS, "")


def push(settings: sm.Settings) -> None:
    """Show ``settings`` in the widgets and make them the applied ones."""
    SS.sm_settings = settings
    SS.sm_preset = settings.preset
    for k, text in (("1", settings.axis1), ("2", settings.axis2)):
        SS[f"sm_field{k}"], SS[f"sm_values{k}"] = field_and_values(text)
    run = settings.base.runs[0]
    SS.sm_metric, SS.sm_below = settings.metric, settings.below
    SS.sm_dataset, SS.sm_epochs = settings.base.data.name, run.epochs
    SS.sm_optimizer, SS.sm_lr = run.optimizer, run.lr
    SS.sm_mode = settings.mode
    rs.push(settings.random)
    SS.sm_error = None


def grid_axes() -> list[str]:
    """The grid's two axes as the form shows them (FIELD=VALUES, or "" for no second axis)."""
    return [
        f"{SS[f'sm_field{k}']}={SS[f'sm_values{k}']}" if SS[f"sm_field{k}"] != NO_AXIS else ""
        for k in ("1", "2")
    ]


def pulled() -> sm.Settings:
    """The settings the form describes. Raises ValueError naming what is wrong."""
    now = SS.sm_settings
    # only the shown mode's widgets exist: the other mode's settings stay as they are
    axes = grid_axes() if now.mode == "grid" else [now.axis1, now.axis2]
    run = replace(
        now.base.runs[0], epochs=int(SS.sm_epochs), optimizer=SS.sm_optimizer, lr=float(SS.sm_lr)
    )
    base = replace(now.base, data=replace(now.base.data, name=SS.sm_dataset), runs=(run,))
    random = rs.pulled(now.random) if now.mode == "random" else now.random
    return sm.Settings(
        SS.sm_preset, axes[0], axes[1], SS.sm_metric, float(SS.sm_below), base, now.mode, random
    )


def apply() -> None:
    """Callback of the form's button: draw the map the form describes, or say why not."""
    try:
        settings = pulled()
    except ValueError as e:
        SS.sm_error = str(e)
        return
    reason = sm.too_long(settings)
    if reason:
        SS.sm_error = f"{reason} The map shown is the previous one."
        return
    SS.sm_settings, SS.sm_error, SS.sm_warnings = settings, None, []
    SS.pop("sm_pick", None)
    SS.pop("sm_rpick", None)


def on_mode() -> None:
    """Grid or random: the same base run and metric, the other way of choosing the runs."""
    settings = replace(SS.sm_settings, mode=SS.sm_mode or SS.sm_settings.mode)
    SS.sm_mode, SS.sm_error = settings.mode, None
    reason = sm.too_long(settings)
    if reason:
        settings = replace(settings, random=sm.RandomSettings())
    push(settings)  # Streamlit forgot the other mode's widgets while they were not shown


def on_preset() -> None:
    push(sm.with_preset(SS.sm_settings, SS.sm_preset))
    SS.sm_warnings = []
    SS.pop("sm_pick", None)


def load_once() -> None:
    if "sm_settings" in SS:
        return
    settings, warnings = sm.settings_from_url(st.query_params.to_dict())
    push(settings)
    SS.sm_warnings = warnings


# --- panels -------------------------------------------------------------------------------------


def axis_controls(k: str, optional: bool) -> None:
    names = ([NO_AXIS] if optional else []) + list(SWEEPABLE)
    st.selectbox(
        f"Setting {k}",
        names,
        key=f"sm_field{k}",
        format_func=lambda n: n if n == NO_AXIS else f"{sm.axis_name(n)} ({n})",
    )
    st.text_input(
        f"Values {k}",
        key=f"sm_values{k}",
        help="A list (0.5,0.9,0.99), or a range start:stop:count[:lin|log], both ends included; "
        "input features as sets, x1+x2,x1^2+x2^2; up to 12 × 12 runs.",
    )


def sidebar() -> None:
    random = SS.sm_settings.mode == "random"
    with st.sidebar:
        st.segmented_control(
            "Runs",
            sm.MODES,
            key="sm_mode",
            format_func={"grid": "Grid", "random": "Random"}.get,
            on_change=on_mode,
            help="Grid: every combination of the values. Random: N runs sampled from ranges, "
            "each on its scale; then zoom in.",
        )
        st.selectbox(
            "Preset",
            list(sm.PRESETS),
            key="sm_preset",
            format_func=lambda k: sm.PRESETS[k].title,
            on_change=on_preset,
            disabled=random,
        )
        with st.form("sm_form", border=False):
            st.header("Random search" if random else "Map")
            if random:
                rs.form_controls()
            else:
                axis_controls("1", optional=False)
                axis_controls("2", optional=True)
            st.selectbox(
                "Cell value",
                list(sm.METRICS),
                key="sm_metric",
                format_func=lambda m: sm.METRICS[m][0],
            )
            st.number_input(
                "Threshold of the cost",
                min_value=1e-6,
                format="%g",
                key="sm_below",
                help="For the convergence map: the first epoch J falls below it.",
            )
            st.header("Base run")
            st.selectbox("Data set", DATASETS, key="sm_dataset")
            st.select_slider(
                "Epochs",
                lab.with_value(lab.EPOCH_CHOICES[:9], SS.sm_epochs),
                key="sm_epochs",
                format_func=lambda v: f"{v:,}",
            )
            st.selectbox(
                "Optimizer",
                list(OPTIMIZERS),
                key="sm_optimizer",
                format_func=lambda o: OPTIMIZERS[o].title,
            )
            st.select_slider(
                "α (unless swept)",
                lab.with_value(lab.LR_CHOICES, SS.sm_lr),
                key="sm_lr",
                format_func=lab.fmt,
            )
            label = "Sample the runs" if random else "Draw the map"
            st.form_submit_button(label, type="primary", on_click=apply, width="stretch")


def notices() -> None:
    if SS.get("sm_warnings"):
        st.warning(
            "Some link settings were not usable:\n\n" + "\n".join(f"- {w}" for w in SS.sm_warnings)
        )
    if SS.get("sm_error"):
        st.error(SS.sm_error)


def on_cell_click() -> None:
    """Callback of the map: the clicked cell becomes the picked one."""
    points = charts.clicked("sm_map")
    hits = [p for p in points if p.get("curve_number") == SS.get("sm_target_trace")]
    if hits:
        SS.sm_pick = int(hits[0]["point_index"])


def picker(settings: sm.Settings, data: sm.MapData) -> tuple[int, int]:
    """The picked cell: clicked on the map, or chosen here; the best cell at first."""
    sweep = settings.sweep()
    n = len(sweep.runs())
    if SS.get("sm_pick") is None or SS.sm_pick >= n:
        best = sm.best_cell(data) or (0, 0)
        SS.sm_pick = sm.cell_index(sweep, best)
    st.selectbox("Cell", range(n), key="sm_pick", format_func=lambda i: sm.run_label(sweep, i))
    cols = data.z.shape[1]
    return divmod(SS.sm_pick, cols) if len(sweep.axes) == 2 else (0, SS.sm_pick)


def cell_panel(settings: sm.Settings, rows: Sequence[SweepRow], cell: tuple[int, int]) -> None:
    sweep = settings.sweep()
    index = sm.cell_index(sweep, cell)
    run_panel(settings, rows[index], sm.run_label(sweep, index), sm.lab_url(sweep, index))


def run_panel(settings: sm.Settings, row: SweepRow, label: str, lab_query: dict) -> None:
    """The picked run's decision boundary, and the link that opens it in the lab."""
    fig = figures.boundary_figure(row.history, dataset(settings), label)
    charts.plot(st, fig, "sm_boundary", figures.PLOT_CONFIG)
    query = urlencode(lab_query)
    st.link_button(
        "Open this run in the lab",
        f"./?{query}",
        icon=":material/open_in_new:",
        help="In a new tab: the lab trains this run alone, with the same numbers.",
    )


def random_page(settings: sm.Settings) -> None:
    """Random mode: the sampled runs as points, the picked run, the zoom box."""
    search = settings.search()
    left, right = st.columns([3, 2], gap="medium")
    with left:
        place = st.empty()
        rows, seconds = rs.trained_rounds(settings, dataset(settings), place)
        points = smod.search_data(search, rows, settings.metric, settings.below)
    with right:
        st.subheader("The picked run")
        index = rs.picker(search, points)
        row = next(r for r in rows if r.cell == search.cells()[index])
        run_panel(settings, row, smod.run_label(search, index), smod.lab_url(search, index))
    with left:
        rs.scatter(settings, place, rows, seconds, index)
        rs.zoom_panel(search, points)


def main() -> None:
    load_once()
    st.title("Sweep maps")
    preset = sm.PRESETS[SS.sm_settings.preset]
    sidebar()
    settings = SS.sm_settings
    if settings.mode == "random":
        st.caption(
            "Random search (the course's week 3): N runs whose settings are sampled, each on its "
            "scale — α = 10^r with r uniform, β = 1 − 10^r — so every decade gets its share; "
            "nine random runs try nine values of the setting that matters, a 3 × 3 grid three. "
            "Then zoom in: N more inside a box around the best (coarse to fine)."
        )
        notices()
        random_page(settings)
        url(settings)
        return
    st.caption(
        "One or two settings over a grid of values, every run trained together in lockstep; each "
        f"cell is one run. **{preset.title}:** {preset.explain}"
    )
    notices()
    sweep = settings.sweep()
    left, right = st.columns([3, 2], gap="medium")
    with left:
        place = st.empty()
        done = trained_map(settings, place)
        rows, seconds = done.rows, done.seconds
        data = sm.map_data(sweep, rows, settings.metric, settings.below)
    with right:
        st.subheader("The picked run")
        cell = picker(settings, data)
        cell_panel(settings, rows, cell)
    fig = map_figure(data, cell, f"{len(rows)} runs: {data.metric}")
    SS.sm_target_trace = target_trace(fig)
    with place.container():
        charts.plot(st, fig, "sm_map", figures.PLOT_CONFIG, on_click=on_cell_click)
        diverged = int((data.state == "diverged").sum())
        st.caption(
            f"{len(rows)} runs trained in {seconds:.1f} s. "
            f"Click a cell to see its run. × : diverged ({diverged} of {len(rows)} runs); "
            "— : never below the threshold. Costs and epochs: the brightest cell is the lowest."
        )
    url(settings)


def url(settings: sm.Settings) -> None:
    params = sm.url_params(settings)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


main()
