"""The teacher's board on the Class page (docs/design.md §8): the class's links, the actions
(each checked against the teacher's secret by the store), and the board itself, a fragment that
reads the store every ``POLL_SECONDS``: counts until the reveal, then the tally beside the right
answers and the runs; for a grid, the map filling in as results arrive."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from app_pages.parts import charts
from app_pages.parts import class_common as common
from app_pages.parts.class_common import go, settings_text, text
from app_pages.server import StoreError
from nnviz.engine.config import Experiment
from nnviz.models import classroom as cr
from nnviz.views import figures
from nnviz.views.sweep_figures import target_trace


def link(params: dict[str, str]) -> str:
    """This page's address with ``params``: absolute when the browser's address is known."""
    here = urlsplit(str(getattr(st.context, "url", "") or ""))
    base = here.path.rsplit("/", 1)[0]  # the app's own path, behind a proxy's prefix too
    origin = f"{here.scheme}://{here.netloc}{base}" if here.scheme.startswith("http") else ""
    return f"{origin}/class?{urlencode(params)}"


def teacher_page(classes: Any, code: str, secret: str) -> None:
    try:
        info = classes.board(code, secret).info
    except StoreError as error:
        st.error(str(error))
        return
    st.markdown(f"### Class {info.code}")
    join_url = link({"code": info.code})
    st.markdown(f"Students join at **{join_url}** with the code **{info.code}**.")
    with st.expander("Your teacher link: keep it, it is the only way back to this board"):
        st.code(link({"code": info.code, "teacher": secret}), language=None)
    teacher_actions(classes, info, secret)
    board(info.code, secret)


def act(method: Any, *args: str) -> None:
    """One teacher action through the store (which checks the secret); its refusal in one line."""
    try:
        method(*args)
    except StoreError as error:
        st.error(str(error))
        return
    st.rerun()


def teacher_actions(classes: Any, info: Any, secret: str) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    if not info.revealed:
        if row.button("Reveal", type="primary", icon=":material/visibility:", key="reveal"):
            act(classes.reveal, info.code, secret)
    if info.closed:
        if row.button("Reopen", icon=":material/lock_open:", key="reopen"):
            act(classes.reopen, info.code, secret)
    elif row.button("Close", icon=":material/lock:", key="close"):
        act(classes.close, info.code, secret)
    sure = row.checkbox("I am sure", key="delete_sure")
    if row.button("Delete the class", icon=":material/delete:", key="delete", disabled=not sure):
        try:
            classes.delete(info.code, secret)
        except StoreError as error:
            st.error(str(error))
            return
        go({})


@st.fragment(run_every=common.POLL_SECONDS)
def board(code: str, secret: str) -> None:
    """The board, read from the store at every refresh: counts until the reveal, then answers."""
    classes = common.store()
    if classes is None:
        return
    try:
        now = classes.board(code, secret)
        rows = classes.export_rows(code, secret)
    except StoreError as error:
        st.error(str(error))
        return
    activity = common.activity_of(now.info)
    state = "closed" if now.info.closed else "open"
    st.markdown(f"**{now.students}** students joined · the class is **{state}**")
    if activity.kind == "predict":
        predict_board(activity, now)
    else:
        grid_board(activity, now)
    st.download_button("Download CSV", common.csv_text(rows), f"class-{code}.csv", "text/csv",
                       icon=":material/download:", key="download")  # fmt: skip


def predict_board(activity: cr.Activity, now: Any) -> None:
    q = activity.question
    st.markdown(f"#### {text(q.text)}")
    if now.answers is None:
        st.metric("Answered", f"{now.answered} of {now.students}")
        st.caption("The answers stay hidden until you reveal them.")
        return
    result = common.result_of(activity.experiment)
    tally_table(activity, [a for _, a in now.answers], result)
    runs(activity.experiment, result)


def tally_table(activity: cr.Activity, answers: list[str], result: Any) -> None:
    q = activity.question
    right = cr.correct_answers(q, activity.experiment, result.histories)
    counts = cr.tally(q, answers)
    st.table([{"Answer": a, "Students": n, "Right": "✓" if a in right else ""}
              for a, n in counts.items()])  # fmt: skip


def runs(exp: Experiment, result: Any) -> None:
    """The revealed runs' boundaries, side by side."""
    figs = common.boundary_figures(exp, result)
    for i, (col, fig) in enumerate(zip(st.columns(len(figs)), figs)):
        charts.plot(col, fig, key=f"run_{i}", config=figures.PLOT_CONFIG)


CELL_COLUMNS = {  # the CSV's column names, shown for a projector; the CSV keeps its own
    "right": st.column_config.CheckboxColumn("right?"),
    "test_accuracy": st.column_config.NumberColumn("test accuracy", format="percent"),
    "train_accuracy": st.column_config.NumberColumn("train accuracy", format="percent"),
    "test_cost": st.column_config.NumberColumn("test cost", format="%.3f"),
    "diverged_at": st.column_config.NumberColumn("diverged at epoch"),
}


def grid_board(activity: cr.Activity, now: Any) -> None:
    cells = cr.grid_cells(activity)
    found = common.entries(cells, now.cells or ())
    done = sum(e.history is not None for e in found.values())
    st.markdown(f"**{done}** of {len(cells)} cells trained · {len(found)} taken")
    fig = common.grid_map(activity, found)
    trained = [c.id for c in cells if c.id in found and found[c.id].history is not None]
    on_click = lambda: pick_clicked(fig, cells, trained)  # noqa: E731
    charts.plot(st, fig, key="class_map", config=figures.PLOT_CONFIG, on_click=on_click)
    if found:  # who ran which cell, what they predicted and what it did (escaped: a table)
        st.dataframe(
            cr.export_rows(activity, cells, found),
            hide_index=True,
            key="class_cells",
            column_config=CELL_COLUMNS,
        )
    if trained:
        cell_boundary(cells, found, trained)


def pick_clicked(fig: Any, cells: list[cr.Cell], trained: list[str]) -> None:
    """Callback of the grid's map: a trained cell clicked becomes the one whose boundary shows."""
    hits = [p for p in charts.clicked("class_map") if p.get("curve_number") == target_trace(fig)]
    if hits and cells[int(hits[0]["point_index"])].id in trained:
        st.session_state.class_pick = cells[int(hits[0]["point_index"])].id


def cell_boundary(cells: list[cr.Cell], found: dict[str, cr.Entry], trained: list[str]) -> None:
    """The boundary of one trained cell: clicked on the map, or chosen here."""
    if st.session_state.get("class_pick") not in trained:
        st.session_state.class_pick = trained[0]
    by_id = {c.id: c for c in cells}
    names = {i: f"{i}: {settings_text(by_id[i])} · {found[i].nickname}" for i in trained}
    pick = st.selectbox("A cell's boundary (or click a cell)", trained, key="class_pick",
                        format_func=names.get)  # fmt: skip
    cell, entry = by_id[pick], found[pick]
    label = html.escape(f"{settings_text(cell)} · {entry.nickname}")  # Plotly reads tags
    data = common.result_of(cell.experiment).data
    fig = figures.boundary_figure(entry.history, data, label, height=360)
    charts.plot(st, fig, key="class_cell", config=figures.PLOT_CONFIG)
