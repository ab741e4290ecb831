"""What both roles of the Class page share (docs/design.md §8): the class's activity read back
from the store, runs trained on the server (once for everyone), escaping, and the grid's map.

Everything right or wrong is computed here from the stored settings, never from numbers a
browser sends: a student's cell is trained from its settings, and a run trained by anyone on this
server (the lab, the teacher, a classmate) is not trained again (``server.trained("lab")``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from app_pages.server import StoreError, class_store, trained, training_turns
from nnviz.engine.config import Experiment
from nnviz.engine.train import run_experiment
from nnviz.models import classroom as cr
from nnviz.models import lab_model as lab
from nnviz.models.lab_model import Result
from nnviz.models.sweep_model import axis_name
from nnviz.views import figures
from nnviz.views.sweep_figures import MAP_HEIGHT, map_figure

POLL_SECONDS = 1.5  # the board and a waiting student read the store this often
ROW_HEIGHT, MAP_FRAME = 90, 150  # px: one row of the grid's map, and its title and axes
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def text(value: str) -> str:
    """User text (a nickname, an answer) for st.markdown: every markup character escaped, so
    it shows as typed and never as a link, a heading or HTML."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(value))


def store() -> Any | None:
    """The class repository, or None after one st.error line (the database is unreachable)."""
    try:
        return class_store()
    except StoreError as error:
        st.error(f"Class mode is unavailable: {error}. The training lab still works.")
        return None


def session_id() -> str:
    """This browser session's key for the join rate limit."""
    return st.session_state.setdefault("class_session", uuid.uuid4().hex)


def go(params: dict[str, str]) -> None:
    st.query_params.from_dict(params)
    st.rerun()


def settings_text(cell: cr.Cell) -> str:
    return ", ".join(f"{axis_name(k)} = {v}" for k, v in cell.settings.items())


# --- the activity, as stored ----------------------------------------------------------------


def stored_fields(activity: cr.Activity) -> dict[str, Any]:
    """The create_class arguments that keep ``activity`` whole (the question's rule and options,
    the grid's axes and prediction kind, in the free-form ``grid`` field)."""
    q = activity.question
    grid = {"axes": list(activity.axes), "prediction": activity.prediction}
    if q is not None:
        grid |= {"rule": q.rule, "options": list(q.options)}
    return dict(
        activity=activity.kind,
        experiment=activity.experiment.to_dict(),
        question=q.text if q else "",
        answers=list(q.answers) if q else [],
        grid=grid,
    )


def activity_of(info: Any) -> cr.Activity:
    """The class's Activity from its stored row (inverse of ``stored_fields``)."""
    grid = info.grid or {}
    question = None
    if info.activity == "predict":
        question = {"text": info.question, "answers": list(info.answers),
                    "rule": grid.get("rule"), "options": grid.get("options")}  # fmt: skip
    return cr.Activity.from_json(
        json.dumps({"kind": info.activity, "experiment": info.experiment, "question": question,
                    "axes": grid.get("axes", []), "prediction": grid.get("prediction", "band")})
    )  # fmt: skip


# --- training on the server -------------------------------------------------------------------


def result_of(exp: Experiment) -> Result:
    """``exp`` trained on this server, in the lab's turns; once per server for everyone."""

    def train() -> Result:
        with training_turns().turn():
            data = lab.load_dataset(exp)
            return Result(data, tuple(run_experiment(exp, data)))

    with st.spinner("Training on the server…"):
        return trained("lab").once(exp, train)


def boundary_figures(exp: Experiment, result: Result) -> list[Any]:
    labels = lab.run_labels(exp)
    return [
        figures.boundary_figure(h, result.data, label, i, show_test=True, height=360)
        for i, (h, label) in enumerate(zip(result.histories, labels))
    ]


def metrics_of(got: cr.Outcome) -> dict[str, Any]:
    """What save_result stores about a cell: its outcome, computed here."""
    return {
        "test_accuracy": got.test_accuracy,
        "train_accuracy": got.train_accuracy,
        "test_cost": got.test_cost,
        "diverged_at": got.diverged_at,
        "band": got.band,
        "fit": got.fit,
    }


# --- the grid's map ---------------------------------------------------------------------------


def entries(cells: Sequence[cr.Cell], board_cells: Sequence[Any]) -> dict[str, cr.Entry]:
    """The board's cells as the model's entries: the first taker and their prediction, and the
    history once the cell has a stored result (trained here, or found trained)."""
    by_id = {c.id: c for c in cells}
    found: dict[str, cr.Entry] = {}
    for cell in board_cells:
        if cell.cell not in by_id or not cell.takers and cell.ran_by is None:
            continue
        name, said = cell.takers[0] if cell.takers else (cell.ran_by, None)
        history = None
        if cell.metrics is not None:
            history = result_of(by_id[cell.cell].experiment).histories[0]
        found[cell.cell] = cr.Entry(name, said or "—", history)
    return found


def grid_map(activity: cr.Activity, found: Mapping[str, cr.Entry]) -> Any:
    data = cr.board_grid(activity, cr.grid_cells(activity), found)
    fig = map_figure(data, title="The class's grid: test accuracy")
    rows = data.z.shape[0]  # a one-setting grid is one row: no need for the sweep's square
    return fig.update_layout(height=min(MAP_HEIGHT, ROW_HEIGHT * rows + MAP_FRAME))


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The teacher's CSV: one line per row, the columns in the order they first appear."""
    columns = list(dict.fromkeys(k for r in rows for k in r)) or ["nickname"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
