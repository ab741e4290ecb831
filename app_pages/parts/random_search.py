"""The sweep page's random mode (docs/design.md §7): the form's sampled ranges, the scatter of
the sampled runs, the zoom box (drawn on the chart or around the best runs) and its rounds.

Each round is trained once per server and kept by itself (``RandomSearch.part``): zooming in
trains only the new round's runs; the earlier rounds are the stored ones.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import streamlit as st

from app_pages.parts import charts
from app_pages.parts.sweep_turns import train_in_turns
from app_pages.server import trained
from nnviz.engine.data import Dataset
from nnviz.engine.search import SCALES, RandomSearch, parse_range
from nnviz.engine.sweep import SWEEPABLE, SweepRow
from nnviz.models import search_model as smod
from nnviz.models import sweep_model as sm
from nnviz.views.search_figures import search_figure

SS = st.session_state
NUMBERS = [name for name, kind in SWEEPABLE.items() if kind is float]
SCATTER_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"]}
SCALE_NAMES = {"lin": "linear", "log": "log", "1-log": "log 1 − β"}  # x = r, 10^r, 1 − 10^r


# --- settings <-> widgets -----------------------------------------------------------------------


def push(random: sm.RandomSettings) -> None:
    """Show random mode's settings in its widgets."""
    SS.sm_n, SS.sm_sample_seed = random.n, random.seed
    for k, text in (("1", random.range1), ("2", random.range2)):
        r = parse_range(text)
        SS[f"sm_rfield{k}"], SS[f"sm_scale{k}"] = r.field, r.scale
        SS[f"sm_span{k}"] = f"{_short(r.low)}:{_short(r.high)}"


def _short(x: float) -> str:
    """1e-04 as 0.0001, any other float exactly."""
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)


def pulled(now: sm.RandomSettings) -> sm.RandomSettings:
    """What the form describes; the zoom rounds are kept while the ranges, N and seed are."""
    ranges = [f"{SS[f'sm_rfield{k}']}={SS[f'sm_span{k}'].strip()}:{SS[f'sm_scale{k}']}"
              for k in ("1", "2")]  # fmt: skip
    ranges = [parse_range(text).text() for text in ranges]  # ValueError in one line
    new = sm.RandomSettings(int(SS.sm_n), ranges[0], ranges[1], int(SS.sm_sample_seed))
    return new if replace(now, zooms=()) != new else now


def form_controls() -> None:
    """Random mode's part of the sidebar form: N, the two settings and their ranges, the seed."""
    st.number_input("Runs per round (N)", 1, 144, key="sm_n", help="At most 144 runs in all.")
    for k in ("1", "2"):
        st.selectbox(f"Setting {k}", NUMBERS, key=f"sm_rfield{k}",
                     format_func=lambda n: f"{sm.axis_name(n)} ({n})")  # fmt: skip
        left, right = st.columns([3, 2])
        left.text_input(f"Range {k}", key=f"sm_span{k}", help="LOW:HIGH, e.g. 1e-4:1")
        right.selectbox(
            f"Scale {k}",
            SCALES,
            key=f"sm_scale{k}",
            format_func=SCALE_NAMES.get,
            help="linear: uniform; log: 10^r with r uniform (α); log 1 − β: 1 − 10^r (β₁, β₂).",
        )
    st.number_input(
        "Sample seed",
        0,
        2**31 - 1,
        key="sm_sample_seed",
        help="Picks the sampled settings; the data and the weights keep the page's seed.",
    )


# --- training, one round at a time --------------------------------------------------------------


def trained_rounds(settings: sm.Settings, data: Dataset, place) -> tuple[list[SweepRow], float]:
    """Every round's rows (each round trained once per server) and the seconds it took."""
    search, rows, seconds = settings.search(), [], 0.0

    def other_session(waited: float) -> None:
        place.caption(f"Another session is training these runs… {waited:.0f} s")

    for part in map(search.part, range(search.rounds)):
        train = partial(train_round, part, settings, data, list(rows), place)
        done = trained("sweep").once(part, train, other_session)
        rows += done.rows
        seconds += done.seconds
    return rows, seconds


def train_round(part, settings: sm.Settings, data: Dataset, before: list, place) -> sm.TrainedMap:
    """Train one round's runs group by group, drawing the points as groups finish."""
    search = settings.search()

    def draw(rows: list[SweepRow], seconds: float) -> None:
        with place.container():
            st.caption(f"Round {part.round}: trained {len(rows)} of {search.n} runs…")
            points = smod.search_data(search, before + rows, settings.metric, settings.below)
            charts.plot(st, search_figure(points), None, SCATTER_CONFIG)

    return train_in_turns(part, data, place, draw)


# --- the zoom box -------------------------------------------------------------------------------


def show_box(box: sm.Box) -> None:
    for k, (low, high) in zip(("1", "2"), box):
        SS[f"sm_zlo{k}"], SS[f"sm_zhi{k}"] = low, high


def on_select() -> None:
    """Callback of the chart's box select: the drawn box becomes the zoom box shown."""
    drawn = charts.selected("sm_scatter")
    if drawn is None:
        return
    box = smod.box_from_selection(SS.sm_settings.search(), drawn["x"], drawn["y"])
    if box is None:
        SS.sm_error = "The box drawn misses the sampled ranges: draw it over the points."
        return
    show_box(box)
    SS.sm_box_drawn = True


def on_click() -> None:
    """Callback of a click on a point: its run becomes the picked one."""
    hits = [p for p in charts.clicked("sm_scatter") if isinstance(p.get("customdata"), int)]
    if hits:
        SS.sm_rpick = hits[0]["customdata"]


def zoom_in() -> None:
    """Callback of the zoom button: one more round, N runs inside the box shown."""
    settings = SS.sm_settings
    box = tuple((float(SS[f"sm_zlo{k}"]), float(SS[f"sm_zhi{k}"])) for k in ("1", "2"))
    random = replace(settings.random, zooms=(*settings.random.zooms, box))
    try:
        zoomed = replace(settings, random=random)
    except ValueError as e:
        SS.sm_error = f"Cannot zoom in: {e}"
        return
    reason = sm.too_long(zoomed)
    SS.sm_error = f"{reason} No round added." if reason else None
    if not reason:
        SS.sm_settings = zoomed
        SS.pop("sm_rpick", None)


def zoom_out() -> None:
    settings = SS.sm_settings
    random = replace(settings.random, zooms=settings.random.zooms[:-1])
    SS.sm_settings, SS.sm_error = replace(settings, random=random), None
    SS.pop("sm_rpick", None)


def zoom_panel(search: RandomSearch, points: smod.SearchData) -> None:
    """The box the next round samples: drawn on the chart, else around the best runs so far."""
    shown_for = (search, int((points.state != "pending").sum()))
    if SS.get("sm_box_for") != shown_for or "sm_zlo1" not in SS:  # new runs, or none shown yet
        box = None if SS.pop("sm_box_drawn", False) else smod.suggested_box(search, points)
        if box is not None:
            show_box(box)
        SS.sm_box_for = shown_for
    if "sm_zlo1" not in SS:
        return
    st.markdown(
        f"**Zoom in** (round {search.rounds}): drag a box over the chart, or edit this one "
        "around the best quarter of the runs so far."
    )
    columns = st.columns(4)
    for k, r in zip(("1", "2"), search.ranges):
        name = sm.axis_name(r.field)
        for col, end in zip(columns[2 * int(k) - 2 : 2 * int(k)], ("lo", "hi")):
            col.number_input(f"{name} {'from' if end == 'lo' else 'to'}", r.low, r.high,
                             key=f"sm_z{end}{k}", format="%g", step=_step(r))  # fmt: skip
    left, right = st.columns(2)
    left.button(f"Sample {search.n} more inside the box", type="primary", on_click=zoom_in,
                width="stretch")  # fmt: skip
    if search.rounds > 1:
        right.button(f"Drop round {search.rounds - 1}", on_click=zoom_out, width="stretch")


def _step(r) -> float:
    """The +/- step of a box's end: a tenth of the range's smallest decade (linear: 1/100)."""
    if r.scale == "lin":
        return float(f"{(r.high - r.low) / 100:.3g}")
    smallest = min(smod.plotted(r.scale, r.low), smod.plotted(r.scale, r.high))
    return 10.0 ** (math.floor(math.log10(smallest)) - 1)


# --- the panels ---------------------------------------------------------------------------------


def picker(search: RandomSearch, points: smod.SearchData) -> int:
    """The picked run: clicked on the chart or chosen here; the best run at first."""
    n = len(search.cells())
    if SS.get("sm_rpick") is None or SS.sm_rpick >= n:
        best = smod.best_runs(points, 1)
        SS.sm_rpick = best[0] if best else 0
    st.selectbox("Run", range(n), key="sm_rpick", format_func=lambda i: smod.run_label(search, i))
    return SS.sm_rpick


def scatter(settings: sm.Settings, place, rows: list[SweepRow], seconds: float, picked: int):
    """The chart of every sampled run, and what it shows."""
    search = settings.search()
    points = smod.search_data(search, rows, settings.metric, settings.below)
    rounds = "round 0" if search.rounds == 1 else f"rounds 0–{search.rounds - 1}"
    title = f"{len(rows)} runs, {rounds}: {points.metric}"
    with place.container():
        charts.plot(st, search_figure(points, picked, title), "sm_scatter", SCATTER_CONFIG,
                    on_click=on_click, on_select=on_select)  # fmt: skip
        diverged = int((points.state == "diverged").sum())
        st.caption(
            f"{len(rows)} runs trained in {seconds:.1f} s, sample seed {search.seed}: "
            f"{', '.join(_scale_words(r) for r in search.ranges)}. Marker: the round; "
            f"✕: diverged ({diverged}); dashed: each zoom round's box. Click a point: its run."
        )
    return points


def _scale_words(r) -> str:
    name = sm.axis_name(r.field)
    how = {"lin": "evenly", "log": "evenly per decade", "1-log": f"evenly per decade of 1 − {name}"}
    return f"{name} {r.low:g}…{r.high:g} {how[r.scale]}"
