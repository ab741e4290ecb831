"""The lab's state: the applied Experiment, the widgets that edit it, and their callbacks.

``st.session_state.exp`` is the single source of truth (the cache key and the URL); the widgets
hold the settings being edited. ``sync`` runs first in every script run: what the widgets say
becomes the experiment at once, unless it can't be (then ``apply_error`` says why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from nnviz.engine.config import Experiment
from nnviz.engine.data import DataError
from nnviz.engine.lessons import LESSONS
from nnviz.models import lab_model as lab

# --- state --------------------------------------------------------------------------------------


def csv_content() -> bytes | None:
    upload = st.session_state.get("csv")
    return upload["content"] if upload else None


def csv_source() -> str:
    upload = st.session_state.get("csv")
    return upload["digest"] if upload else ""


def set_experiment(exp: Experiment) -> None:
    """Make ``exp`` the applied experiment and show its values in every widget."""
    st.session_state.exp = exp
    st.session_state.apply_error = None
    st.session_state.pop("scrub", None)  # a new experiment opens at its last epoch
    for key, value in lab.widget_values(exp).items():
        st.session_state[key] = value


def open_experiment(exp: Experiment, warnings: Sequence[str] = ()) -> None:
    """``set_experiment`` for one from outside the widgets (the URL, a lesson, a file, Reset):
    with what could not be used of it, and its lesson if it is one."""
    set_experiment(exp)
    st.session_state.url_warnings = list(warnings)
    lesson = lab.lesson_for(exp)
    st.session_state.lesson = lesson.key if lesson else None


def init_state() -> None:
    """The experiment comes from the URL: on a session's first run, and whenever the address is
    not the one this page last wrote (the browser's Back and Forward, an edited link). An address
    without settings (coming back from another page) keeps the session's experiment."""
    query = st.query_params.to_dict()
    settings = set(query) - {"present"}
    if "exp" in st.session_state and (query == st.session_state.get("url") or not settings):
        return
    st.session_state.present = query.pop("present", "0") == "1"
    open_experiment(*lab.experiment_from_url(query, csv_source()))


def write_url(params: dict[str, str]) -> None:
    """The address bar shows ``params``; each new experiment is a browser history entry."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state.url = params


def edited() -> Experiment:
    """The experiment the widgets describe now (the applied one if they don't form one)."""
    exp = st.session_state.exp
    try:
        wanted = lab.experiment_from_widgets(
            st.session_state, len(exp.runs), csv_source(), exp.log_every
        )
    except (ValueError, KeyError):
        return exp
    return lab.keep_architectures(wanted, exp)


def apply(exp: Experiment | None = None) -> None:
    """Make what the widgets (or ``exp``) say the experiment, unless its data can't be loaded or
    it would train too long: then say why, and keep the previous one."""
    exp = exp or edited()
    try:
        data = lab.load_dataset(exp, csv_content())
    except DataError as e:
        st.session_state.apply_error = str(e)
        return
    reason = lab.too_long(exp, data.X_train.shape[1])
    if reason:
        st.session_state.apply_error = f"{reason} The results shown are the previous ones."
        return
    set_experiment(exp)
    st.session_state.url_warnings = []


def sync() -> None:
    """Every change applies by itself: called first in each run, before any widget is drawn."""
    layers = int(st.session_state.get("layers", 0))
    for k in range(layers):  # a layer just added starts as wide as the one before it
        st.session_state.setdefault(lab.width_key(k), st.session_state.get(lab.width_key(k - 1), 8))
    wanted = edited()
    if wanted != st.session_state.exp:
        apply(wanted)
    else:
        st.session_state.apply_error = None


def restructure(change: Callable[..., Experiment], *args: int) -> None:
    """Callback: add, duplicate or remove a run, keeping the edits made so far."""
    apply(change(edited(), *args))


def load_lesson(key: str) -> None:
    open_experiment(LESSONS[key].experiment)


def reset() -> None:
    """Callback of "Reset to defaults": the default experiment (an uploaded CSV stays uploaded)."""
    open_experiment(lab.DEFAULT)


def load_config() -> None:
    """Callback of the config uploader: a downloaded "Config (JSON)" becomes the experiment."""
    upload = st.session_state.get("config_file")
    if upload is None:
        return
    try:
        exp, warnings = lab.experiment_from_config(upload.getvalue(), csv_source())
    except ValueError as e:
        st.session_state.config_error = f"{upload.name}: {e}"
        return
    st.session_state.config_error = None
    open_experiment(exp, warnings)


def new_data() -> None:
    st.session_state.seed = int(st.session_state.seed) + 1


def on_present() -> None:
    """Leaving presentation mode: the hidden widgets lost their values; give them back."""
    if not st.session_state.present:
        set_experiment(st.session_state.exp)


def on_upload() -> None:
    """Callback of the CSV uploader: keep the file if it is usable, else say why."""
    upload = st.session_state.get("csv_file")
    if upload is None:
        return
    content = upload.getvalue()
    exp = st.session_state.exp
    source, error = lab.check_upload(content, float(st.session_state.test_fraction), exp.seed)
    st.session_state.csv_error = error
    if error is None:
        st.session_state.csv = {"name": upload.name, "content": content, "digest": source}
