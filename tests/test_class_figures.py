"""The K-class views (nnviz/views/class_figures.py) and the lab's K-class pieces, checked against
hand-worked values and an independent argmax of tests/oracle.py's forward pass."""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.train import load_data, run_experiment
from nnviz.models import exports, formulas, metrics
from nnviz.models import lab_model as lab
from nnviz.views import class_figures, figures
from nnviz.views.palette import CLASS_COLORS
from tests import oracle

EXP = Experiment(
    data=DataConfig("spiral", samples=120, noise=0.2, test_fraction=0.25, classes=3),
    runs=(RunConfig(hidden=(12,), optimizer="adam", lr=0.02, batch_size=32, epochs=40),),
    seed=2,
)


@pytest.fixture(scope="module")
def trained():
    data = load_data(EXP)
    return data, run_experiment(EXP)[0]


def test_region_colour_is_the_argmax_class_paler_when_unsure():
    # three cells: sure of class 2, unsure (all 1/3), half sure of class 0
    P = np.array([[[0.0, 1 / 3, 2 / 3]], [[0.0, 1 / 3, 1 / 6]], [[1.0, 1 / 3, 1 / 6]]])
    rgb = class_figures.region_colors(P)[0]
    green = np.array([0x00, 0x9E, 0x73])
    np.testing.assert_allclose(rgb[0], np.round(255 + (green - 255) * 0.55), atol=0.5)
    np.testing.assert_array_equal(rgb[1], [255, 255, 255])  # no class favoured: white
    blue = np.array([0x00, 0x72, 0xB2])
    # max 2/3 of K = 3: c = (2/3 − 1/3) / (2/3) = 1/2
    np.testing.assert_allclose(rgb[2], np.round(255 + (blue - 255) * 0.275), atol=0.5)


def test_confusion_counts_by_hand():
    C = class_figures.confusion(np.array([0, 1, 1, 2, 0]), np.array([0, 1, 2, 2, 1]), 3)
    np.testing.assert_array_equal(C, [[1, 0, 0], [1, 1, 0], [0, 1, 1]])


def test_boundary_of_a_K_class_run_shows_regions_and_K_point_traces(trained):
    data, h = trained
    fig = figures.boundary_figure(h, data, "run", resolution=30)
    go.Figure(fig.to_dict())  # Plotly validates what the fast path built without checking
    kinds = [t.type for t in fig.data]
    assert kinds[0] == "image" and kinds[1] == "scatter"
    names = {t.name for t in fig.data}
    assert {f"train, class {k}" for k in range(3)} <= names
    colours = {t.name: t.marker.color for t in fig.data if t.name.startswith("train, class")}
    assert colours == {f"train, class {k}": CLASS_COLORS[k] for k in range(3)}


def test_misclassified_marks_are_an_independent_argmax(trained):
    data, h = trained
    _Zs, Z = oracle.forward(h.params, data.X_train, h.config.activation)
    wrong = Z.argmax(axis=0) != data.Y_train[0]
    got = figures.misclassified(h.params, h.config.activation, data.X_train, data.Y_train)
    np.testing.assert_array_equal(got, wrong)
    assert 1 - wrong.mean() == pytest.approx(h.final["train_accuracy"])


def test_confusion_figure_rows_are_true_classes(trained):
    data, h = trained
    predicted = figures.predictions(h.params, h.config.activation, data.X_train)
    C = class_figures.confusion(predicted, data.Y_train[0], 3)
    assert C.sum() == data.X_train.shape[1]
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(data.Y_train[0].astype(int)))
    np.testing.assert_allclose(np.diag(C) / C.sum(axis=1), h.train_class_accuracy[-1])
    fig = class_figures.confusion_figure(C, "run", "#0072B2")
    assert fig.data[0].text.tolist() == C.tolist() and fig.layout.xaxis.type == "category"


def test_the_table_gives_each_class_accuracy(trained):
    _data, h = trained
    (row,) = metrics.format_metrics(metrics.metrics_rows([h], ["run"]))
    per = h.train_class_accuracy[-1]
    assert row["train accuracy by class"] == " · ".join(f"{k}: {v:.0%}" for k, v in enumerate(per))
    binary = run_experiment(Experiment(runs=(RunConfig(epochs=2),)))
    assert "train accuracy by class" not in metrics.metrics_rows(binary, ["b"])[0]


def test_the_lab_widgets_carry_classes_for_spiral_and_blobs_only():
    values = lab.widget_values(EXP)
    assert values["classes"] == 3
    assert lab.experiment_from_widgets(values, 1) == EXP
    moons = lab.experiment_from_widgets({**values, "dataset": "moons"}, 1)
    assert moons.data.classes == 2  # the control is off for two-class sets: no invalid config


def test_the_curves_csv_has_each_class_accuracy(trained):
    _data, h = trained
    rows = list(csv.DictReader(io.StringIO(exports.histories_csv([h], ["run"]))))
    assert len(rows) == len(h.epochs)
    last = rows[-1]
    for c in range(3):
        assert float(last[f"train_accuracy_class_{c}"]) == h.train_class_accuracy[-1, c]
        assert float(last[f"test_accuracy_class_{c}"]) == h.test_class_accuracy[-1, c]
    binary = run_experiment(Experiment(runs=(RunConfig(epochs=2),)))
    head = exports.histories_csv(binary, ["b"]).splitlines()[0]
    assert head == ",".join(exports.HISTORY_COLUMNS)  # two classes: the columns as before


def test_the_formulas_panel_shows_the_softmax_for_K_classes():
    run = RunConfig(lambd=0.3)
    binary = dict(formulas.formula_sections(run, m=90))
    three = dict(formulas.formula_sections(run, m=90, classes=3))
    (output,) = [h for h in three if h.startswith("**Output: softmax over K = 3")]
    assert r"dZ^{[L]} = A^{[L]} - Y" in three[output][0] and "max_j z_j" in three[output][0]
    cost = next(h for h in three if h.startswith("**Cost"))
    assert r"\sum_{k=1}^{K} y_k^{(i)}" in three[cost][0] and "0.3" in three[cost][1]
    assert not any(h.startswith("**Output") for h in binary)
