"""The training lab: 1 to 4 runs trained together, compared side by side, as they train.

Widgets and layout only. The applied Experiment in ``st.session_state.exp`` is the single source of
truth (the cache key and the URL). There is no Train button: every widget change reruns the page,
and ``sync`` turns the widgets into the experiment at the top of that run, so a change applies by
itself (unless its data can't be loaded or it would train too long: then it says why and the
previous results stay). The boundaries, curves and their live training are
app_pages/parts/lab_results.py.
Per-run settings sit in the sidebar, which scrolls on its own: the boundaries stay in view while a
slider moves. Presentation mode (toggle, or ``present=1`` in the URL) hides every control.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from app_pages.parts import inside, landscape, race
from app_pages.parts import lab_details as details
from app_pages.parts import lab_results as results
from app_pages.parts.lab_controls import sidebar
from app_pages.parts.lab_state import (
    csv_content,
    init_state,
    load_lesson,
    on_present,
    reset,
    sync,
    write_url,
)
from nnviz.engine.config import Experiment
from nnviz.engine.lessons import LESSONS, WEEKS
from nnviz.models import lab_model as lab
from nnviz.models.lab_model import Result, Stopped
from nnviz.views import figures

# both modes: the final-numbers table (plain HTML, see metrics.html_table) and the top padding
BASE_CSS = """.nnviz-table { border-collapse: collapse; font-size: 0.875rem; }
.nnviz-table th, .nnviz-table td {
  border: 1px solid rgba(49, 51, 63, 0.2); padding: 0.25rem 0.75rem; }
.nnviz-table th { font-weight: 600; text-align: left; }
.nnviz-table td { font-variant-numeric: tabular-nums; }
.st-key-final_numbers { overflow-x: auto; }
.stMainBlockContainer { padding-top: 3.2rem; }
@media (min-width: 864px) {  /* Streamlit's wide layout: 5rem each side, the width the plots want */
  .stMainBlockContainer { padding-left: 2rem; padding-right: 2rem; } }"""
PRESENT_ONLY_CSS = """[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none; }
.stMainBlockContainer .stMarkdown p, .stMainBlockContainer .stAlert p,
[data-testid="stTable"] td, [data-testid="stTable"] th,
.nnviz-table td, .nnviz-table th { font-size: 1.3rem; }"""
# Each boundary is as high as its column's width gives at the frame's aspect (the column is a CSS
# container: 100cqw is its width), and at most what the window leaves below the header; a chart
# without a layout height fills its element. ABOVE: the header's height at most, px, down to a
# 1024 px window (normal mode: title, caption, lessons and view options; the caption and the
# lessons take two lines below about 1280 px; presentation mode: title and lessons).
BOUNDARY_CSS = """.st-key-boundaries [data-testid="stColumn"] {{ container-type: inline-size; }}
.st-key-boundaries .nnviz-chart {{ height: clamp({low}px,
  calc((100cqw - {across}px) * {aspect:.4f} + {down}px), calc(100dvh - {above}px)); }}"""
ABOVE = {False: 340, True: 190}
LOWEST = 220  # px: a boundary's element is never lower (a short window scrolls instead)


def page_css(aspect: float, present: bool) -> str:
    """The page's style: the table, the paddings, the boundaries' heights, presentation mode."""
    margin = figures.MARGIN[present]
    boundaries = BOUNDARY_CSS.format(
        low=LOWEST,
        across=margin["l"] + margin["r"],
        aspect=aspect,
        down=margin["t"] + margin["b"],
        above=ABOVE[present],
    )
    present_css = PRESENT_ONLY_CSS if present else ""
    return f"<style>{BASE_CSS}\n{boundaries}\n{present_css}</style>"


# --- page sections ------------------------------------------------------------------------------


def header(exp: Experiment, present: bool) -> None:
    """Title and presentation toggle, then one button per lesson, in one wrapping row."""
    top = st.container(horizontal=True, vertical_alignment="center")
    top.markdown("#### nnviz · training lab", width="stretch")
    top.toggle(
        "Presentation",
        key="present",
        on_change=on_present,
        help="Hide the controls, enlarge the text (also: present=1 in the URL)",
    )
    if not present:
        st.caption(
            "How λ, the optimizer and the initialization change what a small network learns. "
            "Every change in the sidebar trains at once, drawn as it trains."
        )
    row = st.container(horizontal=True, vertical_alignment="center")
    row.markdown(":material/school: **Lessons:**", width="content")
    week = row.segmented_control(
        "Course week",
        lab.lesson_weeks(),
        default=lab.lesson_week(exp),
        required=True,
        key="lesson_week",
        format_func=WEEKS.get,
        label_visibility="collapsed",
        help="The lessons of one week of the course at a time: 1 setting up (initialization, "
        "regularization), 2 optimization, 3 tuning, batch norm and softmax; and the "
        "Playground model's input features and L1",
    )
    for lesson in LESSONS.values():
        if lesson.week != week:
            continue
        row.button(
            lesson.title.split(":")[0],
            key=f"lesson_{lesson.key}",
            help=lesson.title,
            on_click=load_lesson,
            args=(lesson.key,),
        )
    if present:  # else it sits with the view options, where the row has room
        reset_button(row)


def reset_button(row: Any) -> None:
    row.button(
        "Reset to defaults",
        key="reset",
        icon=":material/restart_alt:",
        on_click=reset,
        help="The default experiment: two runs, λ = 0 and λ = 0.7",
    )


def lesson_info() -> None:
    key = st.session_state.get("lesson")
    if key in LESSONS:
        lesson = LESSONS[key]
        changed = "" if lab.lesson_for(st.session_state.exp) else " *(settings changed since)*"
        st.info(f"**{lesson.title}**{changed}\n\n{lesson.explain}")


def notices() -> None:
    warnings = st.session_state.get("url_warnings")
    if warnings:
        st.warning("Some settings could not be used:\n\n" + "\n".join(f"- {w}" for w in warnings))
    if st.session_state.get("apply_error"):
        st.error(st.session_state.apply_error)


def layout(exp: Experiment, present: bool) -> results.Slots:
    """The places the results go, in page order: progress, boundaries and the epoch scrubber,
    the learning curves, then the rest."""
    progress = st.empty()
    cols = st.container(key="boundaries").columns(len(exp.runs), gap="small")
    boundaries = [results.Slot(col.container()) for col in cols]
    scrubber = st.empty()
    cost, accuracy = st.columns(2, gap="medium")
    return results.Slots(
        progress,
        boundaries,
        scrubber,
        results.Slot(cost),
        results.Slot(accuracy),
        st.empty(),
        st.container(),
    )


COST_SCALES = {"auto": None, "linear": False, "log": True}  # auto: log past two decades


def view_options(present: bool, has_test: bool) -> tuple[bool, bool | None]:
    options = st.container(horizontal=True, vertical_alignment="center")
    show_test = options.toggle(
        "Show test points", value=True, key="show_test", disabled=not has_test
    )
    options.markdown("Cost axis:")  # the segmented control's own label is collapsed to fit a row
    scale = options.segmented_control(
        "Cost axis",
        list(COST_SCALES),
        default="auto",
        key="cost_scale",
        label_visibility="collapsed",
        help="Cost axis — auto: logarithmic when the costs span more than two decades",
    )
    reset_button(options)
    return show_test, COST_SCALES.get(scale or "auto")


def scrubber(slot: Any, epochs: Sequence[int]) -> int | None:
    """Play and an epoch slider that moves every run's boundary; None at the last epoch."""
    epochs = [int(e) for e in epochs]
    if st.session_state.get("scrub") not in epochs:
        st.session_state.scrub = epochs[-1]
    with slot.container():
        row = st.container(horizontal=True, vertical_alignment="center")
        row.button(
            "Replay",
            key="replay",
            icon=":material/play_arrow:",
            on_click=start_replay,
            help="Every run's boundary, epoch by epoch",
        )
        row.select_slider(
            "Epoch (scrub through training)",
            epochs,
            key="scrub",
            format_func=lambda e: f"{e:,}",
            label_visibility="collapsed",
        )
    upto = st.session_state.scrub
    return None if upto == epochs[-1] else upto


def start_replay() -> None:
    st.session_state.replaying = True


def stopped_notice(exp: Experiment, result: Result, slot: Any) -> None:
    epoch = result.epoch
    text, button = slot.container().columns([4, 1], vertical_alignment="center")
    text.warning(
        f"Stopped at epoch {epoch:,} of {exp.runs[0].epochs:,}: these results are not kept."
    )
    button.button(
        "Train to the end",
        key="resume",
        icon=":material/play_arrow:",
        on_click=lambda: st.session_state.pop("stopped", None),
    )


def results_of(exp: Experiment, view: results.View, slots: results.Slots) -> Result:
    """Show the experiment's results, training it first (watched) if nobody has yet."""
    stopped: Stopped | None = st.session_state.get("stopped")
    if stopped and stopped.exp == exp:
        stopped_notice(exp, stopped.result, slots.progress)
        results.draw_result(exp, stopped.result, view, slots, stored=False)
        return stopped.result
    st.session_state.pop("stopped", None)
    result = results.stored(exp)
    if result is None:
        slots.scrubber.empty()
        result = results.train_watched(exp, lab.load_dataset(exp, csv_content()), view, slots)
    epochs = figures.replay_epochs(result.histories)
    upto = scrubber(slots.scrubber, epochs)
    if st.session_state.pop("replaying", False):
        results.replay(exp, result, view, slots, epochs)
        st.session_state.pop("scrub", None)
        upto = None
    results.draw_result(exp, result, view, slots, upto)
    return result


def use_in_class(exp: Experiment) -> None:
    """Open the Class page with this experiment, to start a class from it (docs/design.md §8)."""
    if st.button("Use in class", key="use_in_class", icon=":material/groups:"):
        st.switch_page("app_pages/classroom.py", query_params=lab.url_params(exp))


# --- the page -----------------------------------------------------------------------------------


def main() -> None:
    init_state()
    present = bool(st.session_state.get("present"))
    if not present:
        sync()
    exp = st.session_state.exp
    params = lab.url_params(exp) | ({"present": "1"} if present else {})
    write_url(params)  # the address bar shows what trains, at once
    data = lab.load_dataset(exp, csv_content())
    st.html(page_css(figures.aspect(data.bounds), present))
    header(exp, present)
    if not present:
        sidebar(exp)
    notices()
    has_test = exp.data.test_fraction > 0
    show_test, log = view_options(present, has_test) if not present else (True, None)
    view = results.View(show_test and has_test, log, present)
    slots = layout(exp, present)
    with slots.after:
        lesson_info()
    result = results_of(exp, view, slots)
    details.status(exp, result, slots.status)
    with slots.after:
        with details.final_numbers(exp, result.histories, result.data):
            use_in_class(exp)
        details.confusion_matrices(exp, result)
        more(exp, result)


def more(exp: Experiment, result: Result) -> None:
    """One row of switches, each section below it only when on (nothing of it is sent before)."""
    row = st.container(horizontal=True, vertical_alignment="center")
    with row:
        st.markdown("**More:**", width="content")
        show_inside, show_landscape, show_race, show_formulas = (
            inside.toggle(exp),
            landscape.toggle(),
            race.toggle(),
            details.formulas_toggle(),
        )
    if show_inside:
        inside.panel(
            exp, result.data, result.histories, lab.run_labels(exp), st.session_state.get("scrub")
        )
    if show_landscape:
        landscape.panel(
            exp, result.data, result.histories, lab.run_labels(exp), st.session_state.get("scrub")
        )
    if show_race:
        race.panel(exp, result.data)
    if show_formulas:
        details.formulas(exp, result.data)


main()
