"""The lab's details below the charts: the status line, final numbers, downloads, formulas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from app_pages.parts.lab_state import load_config
from nnviz.engine.config import Experiment
from nnviz.engine.data import Dataset
from nnviz.engine.train import History
from nnviz.models import exports, metrics
from nnviz.models import lab_model as lab
from nnviz.models.formulas import formula_sections
from nnviz.models.lab_model import Result
from nnviz.views import class_figures, figures


def status(exp: Experiment, result: Result, slot: Any) -> None:
    data, histories = result.data, result.histories
    n_train, n_test = data.X_train.shape[1], data.X_test.shape[1]
    box = slot.container()
    for alarm in metrics.cost_alarms(histories, lab.run_labels(exp)):
        box.warning(alarm, icon=":material/warning:")
    box.caption(
        f"{len(exp.runs)} runs trained together in {histories[0].seconds:.2f} s on {n_train} "
        f"training and {n_test} test points (x₁ across, x₂ up). {background(data.classes)}"
        "● training points, ◇ test points, "
        "✕ misclassified. Solid curves: training set (J includes λ/(2m)·Σ‖W‖²); dashed: test set."
    )


def background(K: int) -> str:
    """What the boundary plots' background and lines mean, for two or for K classes."""
    if K == 2:
        return (
            "Background: predicted P(y = 1), blue 0 → orange 1; black line: the decision "
            "boundary P = 0.5; "
        )
    return (
        f"Background: the predicted class of {K} (the largest softmax output), paler where the "
        "network is less sure; black lines: where the predicted class changes; "
    )


def confusion_matrices(exp: Experiment, result: Result) -> None:
    """K ≥ 3: one K×K confusion matrix per run, on the training set."""
    data, labels = result.data, lab.run_labels(exp)
    if data.classes == 2:
        return
    st.caption("Confusion on the training set: rows the true class, columns the predicted one.")
    for i, (col, h, label) in enumerate(
        zip(st.columns(len(result.histories)), result.histories, labels)
    ):
        params, features = h.eval_params(), h.config.features
        predicted = figures.predictions(params, h.config.activation, data.X_train, features)
        C = class_figures.confusion(predicted, data.Y_train[0], data.classes)
        fig = class_figures.confusion_figure(C, label, figures.run_color(i))
        col.plotly_chart(fig, key=f"confusion_{i}", config=figures.PLOT_CONFIG)


def final_numbers(exp: Experiment, histories: Sequence[History], data: Dataset) -> Any:
    """The table, then a row of Download and Load a config; the row is returned for more."""
    st.subheader("Final numbers")
    labels = lab.run_labels(exp)
    rows = metrics.format_metrics(metrics.metrics_rows(histories, labels))
    st.container(key="final_numbers").html(metrics.html_table(rows))
    st.caption(
        "Runs train together in one batched computation, so they share one time. "
        "To share this experiment, copy the address bar: it holds every setting."
    )
    return downloads(exp, histories, labels, data)


def downloads(
    exp: Experiment, histories: Sequence[History], labels: Sequence[str], data: Dataset
) -> Any:
    """The files are made when their button is clicked (Streamlit calls ``make`` then, on a
    thread of its own): a script run never builds them, and a class opening the same lesson
    does not build and hash the same CSV thirty times."""
    row = st.container(horizontal=True)
    box = row.popover("Download", icon=":material/download:")  # drawn in the browser when opened
    for file in exports.downloads(exp, histories, labels, data):
        box.download_button(
            file.label,
            file.make,
            file_name=file.file_name,
            mime=file.mime,
            key=file.key,
            icon=":material/download:",
            on_click="ignore",
        )
    for i, note in enumerate(exports.script_notes(exp, data)):
        if note:  # a setting the script cannot reproduce yet: say so instead of a wrong script
            box.caption(f"Python, run {i + 1}: {note}")
    with row.popover("Load a config (JSON)", icon=":material/upload:"):
        st.file_uploader(
            "A config downloaded here, or the output of python -m nnviz train --json",
            type=["json"],
            key="config_file",
            on_change=load_config,
        )
        if st.session_state.get("config_error"):
            st.error(st.session_state.config_error)
    return row


def formulas_toggle() -> bool:
    # a toggle, not an expander: the LaTeX is only sent (and typeset) when asked for, which
    # keeps opening the page about half a second faster
    return st.toggle(
        "Formulas", key="show_formulas", help="The course's formulas, with a run's numbers"
    )


def formulas(exp: Experiment, data: Dataset) -> None:
    st.subheader("Formulas")
    labels = lab.run_labels(exp)
    i = st.selectbox(
        "Formulas of run",
        range(len(exp.runs)),
        key="formula_run",
        format_func=lambda k: lab.numbered(k, labels[k]),
    )
    run = exp.runs[min(i or 0, len(exp.runs) - 1)]
    for heading, lines in formula_sections(run, data.X_train.shape[1], data.classes):
        st.markdown(heading)
        for line in lines:
            st.latex(line)
