"""A student on the Class page (docs/design.md §8): their answer, or their cell of the grid, its
prediction and its training on the server; "saved" only once the store has committed it. The
student's token is in the URL: a reload comes back as the same student."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.parts import charts
from app_pages.parts import class_common as common
from app_pages.parts.class_board import grid_board, runs, tally_table
from app_pages.parts.class_common import settings_text, text
from app_pages.server import StoreError
from nnviz.models import classroom as cr
from nnviz.views import figures


def student_page(classes: Any, code: str, token: str) -> None:
    try:
        me = classes.student(token)
        info = classes.class_info(me.code)
    except StoreError as error:
        st.error(str(error))
        return
    if code and code.strip().upper() != me.code:
        st.error(f"This student link belongs to class {me.code}, not {code}.")
        return
    st.markdown(f"### Class {me.code} · you are **{text(me.nickname)}**")
    if info.closed:
        st.info("The teacher has closed this class: nothing more can be saved.")
    activity = common.activity_of(info)
    if activity.kind == "predict":
        student_predict(classes, token, me, info, activity)
    else:
        student_grid(classes, token, me, activity)
        if info.revealed:
            class_grid(me.code, activity)
        else:
            wait_for_reveal(me.code)


def saved(call: Any, *args: str) -> bool:
    """A store write; "saved" is said only after it returns (committed), else its one line."""
    try:
        call(*args)
    except StoreError as error:
        st.error(str(error))
        return False
    st.success("Saved.", icon=":material/check:")
    return True


def student_predict(classes: Any, token: str, me: Any, info: Any, activity: cr.Activity) -> None:
    q = activity.question
    st.markdown(f"#### {text(q.text)}")
    if not info.revealed:
        at = q.answers.index(me.answer) if me.answer in q.answers else None
        choice = st.radio("Your answer", q.answers, index=at, key="answer")
        if st.button("Save my answer", type="primary", key="save_answer", disabled=choice is None):
            saved(classes.answer, token, choice)
        elif me.answer:
            st.caption(f"Your saved answer: {text(me.answer)}")
        wait_for_reveal(me.code)
        return
    result = common.result_of(activity.experiment)
    right = cr.correct_answers(q, activity.experiment, result.histories)
    mark = "right" if me.answer in right else "not right"
    if me.answer:
        st.markdown(f"Your answer: **{text(me.answer)}**, {mark}.")
    board = classes.board(me.code)
    tally_table(activity, [a for _, a in board.answers or ()], result)
    runs(activity.experiment, result)


@st.fragment(run_every=common.POLL_SECONDS)
def wait_for_reveal(code: str) -> None:
    """Until the teacher reveals: poll the store, and show the reveal on this screen at once."""
    classes = common.store()
    try:
        revealed = classes is not None and classes.class_info(code).revealed
    except StoreError:
        revealed = False
    if revealed:
        st.rerun(scope="app")
    st.caption("The class's results appear here when the teacher reveals them…")


@st.fragment(run_every=common.POLL_SECONDS)
def class_grid(code: str, activity: cr.Activity) -> None:
    """After the reveal: the class's grid, filling in as classmates' results arrive."""
    classes = common.store()
    try:
        now = None if classes is None else classes.board(code)
    except StoreError as error:
        st.error(str(error))
        return
    if now is not None:
        grid_board(activity, now)


def my_cell(classes: Any, token: str, me: Any, cells: list[cr.Cell]) -> cr.Cell | None:
    """The student's cell: held, else handed out round-robin by the store."""
    ids = [c.id for c in cells]
    try:
        held = me.cell if me.cell in ids else classes.assign_cell(token, ids)
    except StoreError as error:
        st.error(str(error))
        return None
    return cells[ids.index(held)]


def student_grid(classes: Any, token: str, me: Any, activity: cr.Activity) -> None:
    cells = cr.grid_cells(activity)
    cell = my_cell(classes, token, me, cells)
    if cell is None:
        return
    st.markdown(f"Your cell **{cell.id}**: {text(settings_text(cell))}")
    pick_cell(classes, token, cells, cell)
    me = classes.student(token)
    choices = activity.choices
    at = choices.index(me.prediction) if me.prediction in choices else None
    choice = st.radio("What will this run do?", choices, index=at, key=f"predict_{cell.id}")
    if st.button("Save my prediction", key="save_prediction", disabled=choice is None):
        if saved(classes.predict, token, cell.id, choice):
            me = classes.student(token)
    if st.button("Train my cell", type="primary", key="train", disabled=me.prediction is None):
        train_cell(classes, token, cell)
    if st.session_state.get("trained_cell") == cell.id:
        show_cell(activity, cell, me.prediction)


def pick_cell(classes: Any, token: str, cells: list[cr.Cell], cell: cr.Cell) -> None:
    with st.expander("Pick another free cell"):
        ids = [c.id for c in cells if c.id != cell.id]
        choice = st.selectbox("Cell", ids, key="pick", format_func=lambda i: cell_name(cells, i))
        if st.button("Take this cell", key="take", disabled=choice is None):
            try:
                classes.assign_cell(token, [c.id for c in cells], choice)
            except StoreError as error:
                st.error(str(error))
                return
            st.rerun()


def cell_name(cells: list[cr.Cell], cell_id: str) -> str:
    return next(f"{c.id}: {settings_text(c)}" for c in cells if c.id == cell_id)


def train_cell(classes: Any, token: str, cell: cr.Cell) -> None:
    """Train the cell here from its settings (or find it trained) and save its outcome."""
    result = common.result_of(cell.experiment)
    got = cr.outcome(result.histories[0])
    if saved(classes.save_result, token, cell.id, common.metrics_of(got)):
        st.session_state.trained_cell = cell.id


def show_cell(activity: cr.Activity, cell: cr.Cell, prediction: str | None) -> None:
    result = common.result_of(cell.experiment)
    got = cr.outcome(result.histories[0]).answer(activity.prediction)
    verdict = "as you predicted" if got == prediction else f"you predicted {prediction}"
    st.markdown(f"Your cell's run: **{got}** ({verdict}).")
    label = settings_text(cell)
    fig = figures.boundary_figure(result.histories[0], result.data, label, height=360)
    charts.plot(st, fig, key="my_cell", config=figures.PLOT_CONFIG)
