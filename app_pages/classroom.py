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

from dataclasses import replace
from typing import Any

import streamlit as st

from app_pages.parts import class_common as common
from app_pages.parts.class_board import teacher_page
from app_pages.parts.class_common import go
from app_pages.parts.class_student import student_page
from app_pages.server import StoreError, join_limit
from nnviz.engine.config import Experiment
from nnviz.engine.lessons import LESSONS
from nnviz.models import classroom as cr
from nnviz.models import lab_model as lab

ROLE_KEYS = {"code", "teacher", "student"}
DEFAULT_AXES = ("lr=1e-3:1:4:log", "lambd=0,0.1,0.7")
CHOICE_NAMES = {"predict": "Predict, then reveal", "grid": "The class is the grid"}


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


# --- the page -----------------------------------------------------------------------------------


def main() -> None:
    st.markdown("#### nnviz · class")
    classes = common.store()
    if classes is None:
        return
    params = st.query_params.to_dict()
    code = params.get("code", "")
    try:  # the database lost in the middle of a page: one line, as at its start
        if code and params.get("teacher"):
            teacher_page(classes, code, params["teacher"])
        elif params.get("student"):
            student_page(classes, code, params["student"])
        else:
            landing(classes, code)
    except StoreError as error:
        st.error(str(error))


def landing(classes: Any, code: str) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        join_form(classes, code)
    with right:
        start_form(classes)


main()
