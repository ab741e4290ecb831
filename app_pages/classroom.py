"""The Class page (docs/design.md §8): a class is one experiment, with two roles chosen by the URL.

- no ``code``/``teacher``/``student``: join a class (code + nickname), or start one from the lab's
  experiment (the lab's "Use in class" puts it in the URL) or a lesson;
- ``?code=XXXX&teacher=SECRET``: the teacher's board, refreshed from the store every
  ``POLL_SECONDS``; every action goes through the store with the secret;
- ``?code=XXXX&student=TOKEN``: one student; a reload comes back as the same student.

Widgets and layout only; the class's rules are nnviz.models.classroom, its storage nnviz.store
(through app_pages.server). User text is always shown escaped, never as HTML.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from app_pages.parts import charts
from app_pages.parts import class_common as common
from app_pages.parts.class_common import text
from app_pages.server import StoreError, join_limit
from nnviz.engine.config import Experiment
from nnviz.engine.lessons import LESSONS
from nnviz.models import classroom as cr
from nnviz.models import lab_model as lab
from nnviz.models.sweep_model import axis_name
from nnviz.views import figures
from nnviz.views.sweep_figures import target_trace

ROLE_KEYS = {"code", "teacher", "student"}
DEFAULT_AXES = ("lr=1e-3:1:4:log", "lambd=0,0.1,0.7")
CHOICE_NAMES = {"predict": "Predict, then reveal", "grid": "The class is the grid"}


def go(params: dict[str, str]) -> None:
    st.query_params.from_dict(params)
    st.rerun()


def link(params: dict[str, str]) -> str:
    """This page's address with ``params``: absolute when the browser's address is known."""
    here = str(getattr(st.context, "url", "") or "")
    origin = here.split("/class")[0].rstrip("/") if here.startswith("http") else ""
    return f"{origin}/class?{urlencode(params)}"


# --- joining and starting ---------------------------------------------------------------------


def join_form(classes: Any, code: str) -> None:
    with st.form("join"):
        st.markdown("##### Join a class")
        typed = st.text_input("Class code", value=code, max_chars=12, key="join_code")
        nickname = st.text_input("Nickname", max_chars=40, key="join_nickname")
        if not st.form_submit_button("Join", type="primary", key="join"):
            return
    if not join_limit().allow(common.session_id()):
        st.error("Too many tries to join from this browser: wait a minute and try again.")
        return
    try:
        token = classes.join(typed, nickname)
        joined = classes.student(token)
    except StoreError as error:
        st.error(str(error))
        return
    go({"code": joined.code, "student": token})


def lab_experiment() -> Experiment | None:
    """The experiment the lab put in the URL ("Use in class"), if any."""
    settings = {k: v for k, v in st.query_params.to_dict().items() if k not in ROLE_KEYS}
    if not settings:
        return None
    exp, _ = lab.experiment_from_url(settings)
    return exp


def chosen_experiment() -> tuple[str, Experiment]:
    from_lab = lab_experiment()
    sources = (["lab"] if from_lab else []) + list(LESSONS)
    names = {"lab": "The lab's experiment"} | {k: v.title for k, v in LESSONS.items()}
    source = st.selectbox("Experiment", sources, format_func=names.get, key="start_source")
    return source, from_lab if source == "lab" else LESSONS[source].experiment


def question_editor(source: str, exp: Experiment) -> cr.Question:
    """The prefilled question, its text and answers editable (an emptied answer is dropped)."""
    q = cr.question_for(exp)
    wording = st.text_input("Question", q.text, max_chars=cr.MAX_TEXT, key=f"q_{source}")
    kept = []
    for i, (answer, option) in enumerate(zip(q.answers, q.options)):
        label, key = f"Answer {i + 1}", f"a{i}_{source}"
        typed = st.text_input(label, answer, cr.MAX_ANSWER, key, help="Leave empty to drop it")
        if typed.strip():
            kept.append((typed, option))
    return cr.Question(wording, tuple(a for a, _ in kept), q.rule, tuple(o for _, o in kept))


def grid_editor(exp: Experiment) -> cr.Activity:
    """One or two settings over values, as on the sweep page, on the experiment's first run."""
    st.caption("Each setting as on the sweep page: lr=1e-3:1:4:log, beta1=0.5,0.9, init=he,zeros")
    first = st.text_input("Setting 1", DEFAULT_AXES[0], key="axis1")
    second = st.text_input("Setting 2 (optional)", DEFAULT_AXES[1], key="axis2")
    names = {"band": "Test accuracy band", "fit": "fails / fits / overfits"}
    kind = st.radio("Students predict", list(names), format_func=names.get, key="prediction")
    axes = tuple(a.strip() for a in (first, second) if a.strip())
    return cr.Activity("grid", replace(exp, runs=exp.runs[:1]), axes=axes, prediction=kind)


def start_form(classes: Any) -> None:
    st.markdown("##### Start a class")
    source, exp = chosen_experiment()
    kind = st.radio("Activity", list(CHOICE_NAMES), format_func=CHOICE_NAMES.get, key="kind")
    try:
        if kind == "predict":
            activity = cr.Activity("predict", exp, question_editor(source, exp))
        else:
            activity = grid_editor(exp)
        problem = None if exp.data.name != "csv" else "an uploaded CSV cannot be used in class"
    except ValueError as error:
        activity, problem = None, str(error)
    if problem:
        st.error(problem)
    if st.button(
        "Create the class", type="primary", key="create", disabled=activity is None or bool(problem)
    ):
        try:
            code, secret = classes.create_class(**common.stored_fields(activity))
        except StoreError as error:
            st.error(str(error))
            return
        go({"code": code, "teacher": secret})


# --- the teacher --------------------------------------------------------------------------------


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
        st.dataframe(cr.export_rows(activity, cells, found), hide_index=True, key="class_cells")
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


# --- a student ----------------------------------------------------------------------------------


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
            grid_board(activity, classes.board(me.code))


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
    st.caption("Waiting for the teacher to reveal the answers…")


def settings_text(cell: cr.Cell) -> str:
    return ", ".join(f"{axis_name(k)} = {v}" for k, v in cell.settings.items())


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


# --- the page -----------------------------------------------------------------------------------


def main() -> None:
    st.markdown("#### nnviz · class")
    classes = common.store()
    if classes is None:
        return
    params = st.query_params.to_dict()
    code = params.get("code", "")
    if code and params.get("teacher"):
        teacher_page(classes, code, params["teacher"])
    elif params.get("student"):
        student_page(classes, code, params["student"])
    else:
        left, right = st.columns(2, gap="large")
        with left:
            join_form(classes, code)
        with right:
            start_form(classes)


main()
