"""L1 and input features in the lab (docs/design.md §7): λ₁ per run beside λ, the features as a
multiselect of the experiment, the URL, the formulas, the network diagram's input names, and the
Inside panel's weights chart with each run's share of weights at about 0.

The share is checked against weights counted here by hand; the page runs through AppTest.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.inspect import Inside, near_zero_share
from nnviz.engine.lessons import LESSONS
from nnviz.models import exports, formulas
from nnviz.models import lab_model as lab
from nnviz.views.layer_figures import weights_figure
from nnviz.views.network_figures import network_figure
from tests.helpers.apptest import assert_clean, chart, open_app, params


def shortened(key: str, epochs: int) -> Experiment:
    """A lesson's experiment with fewer epochs (no longer the lesson itself)."""
    lesson = LESSONS[key].experiment
    return lesson.with_runs(*(replace(r, epochs=epochs) for r in lesson.runs))


def test_lambda1_applies_to_its_run_only_and_reaches_the_url():
    at = open_app()
    slider = at.select_slider(key=lab.run_key(1, "lambd1"))
    assert slider.label == formulas.LABELS["lambd1"] and slider.value == 0.0
    slider.set_value(0.01).run()
    assert_clean(at)
    exp = at.session_state.exp
    assert [r.lambd1 for r in exp.runs] == [0.0, 0.01]
    assert params(at)["lambd1"] == "0.0,0.01" and params(at) == lab.url_params(exp)


def test_the_features_are_one_setting_of_the_experiment():
    at = open_app()
    at.multiselect(key="features").set_value(["x1", "x1^2", "x2^2"]).run()
    assert_clean(at)
    exp = at.session_state.exp
    assert {r.features for r in exp.runs} == {("x1", "x1^2", "x2^2")}
    assert params(at)["features"] == "x1-x1^2-x2^2,x1-x1^2-x2^2"
    at.multiselect(key="features").set_value([]).run()  # none: said, and the last ones kept
    assert at.session_state.exp == exp and not at.exception


def test_an_old_link_keeps_the_plane_and_no_l1():
    exp, warnings = lab.experiment_from_url({"epochs": "30,30", "lambd": "0,0.7"})
    assert warnings == [] and all(r.features == ("x1", "x2") and r.lambd1 == 0 for r in exp.runs)


def test_a_lessons_runs_keep_their_own_networks_until_one_is_changed():
    short = shortened("features_or_depth", 20)
    at = open_app(lab.url_params(short))
    assert_clean(at)
    assert at.session_state.exp == short  # mixed architectures survive the URL and the widgets
    assert any("networks of their own" in c.value for c in at.caption)
    at.select_slider(key=lab.run_key(0, "lr")).set_value(0.1).run()  # a per-run change
    assert [r.features for r in at.session_state.exp.runs] == [r.features for r in short.runs]
    at.multiselect(key="features").set_value(["x1", "x2", "x1x2"]).run()  # a shared one
    exp = at.session_state.exp
    assert {r.features for r in exp.runs} == {("x1", "x2", "x1x2")}
    assert [r.hidden for r in exp.runs] == [(), (), (8,)]  # the untouched widths stay per run


def test_formulas_state_the_l1_convention_and_the_inputs():
    run = RunConfig(lambd=0.7, lambd1=0.05, batch_size=0, features=("x1^2", "sinx2"))
    sections = formulas.formula_sections(run, m=200)
    heads = [h for h, _ in sections]
    assert heads[0].startswith("**Input features** — n[0] = 2")
    assert r"\big(x_1^2, \sin x_2\big)" in sections[0][1][0]
    assert "λ = 0.7, λ₁ = 0.05, m = 200" in heads[1]
    assert r"\frac{0.05}{200} \sum_{l} \sum_{i,j} \lvert W^{[l]}_{ij} \rvert" in sections[1][1][1]
    assert "sign(0) = 0" in heads[2]
    assert r"\frac{0.05}{200} \, \operatorname{sign}(W^{[l]})" in sections[2][1][1]
    plain = formulas.formula_sections(RunConfig(), m=200)
    assert "λ₁" not in plain[0][0] and "sign" not in plain[1][1][0]  # no L1: as before


def inside_of(W: list[np.ndarray], inputs=("x₁", "x₂")) -> Inside:
    b = [np.zeros((w.shape[0], 1)) for w in W]
    grid = np.linspace(0, 1, 2)
    return Inside(0, "tanh", W, b, [0 * w for w in W], [np.zeros((w.shape[0], 3)) for w in W[:-1]],
                  grid, grid, [np.zeros((w.shape[0], 2, 2)) for w in W[:-1]], inputs)  # fmt: skip


def test_the_near_zero_share_counts_weights_below_1e_3_by_hand():
    W1 = np.array([[0.0, 5e-4, -2e-3], [1.0, -9.99e-4, 0.3]])  # 0, 5e-4, 9.99e-4 are below
    W2 = np.array([[1e-3, -4.0]])  # exactly 1e-3 is not
    view = inside_of([W1, W2], ("x₁²", "x₂²", "sin x₁"))
    assert near_zero_share(view) == 3 / 8
    fig = weights_figure([view], ["L1"])
    assert fig.data[0].name == "L1: 38% below 0.001"
    assert np.isclose(sum(fig.data[0].y), 1.0)  # every weight counted once (0 at the left end)
    text = [t for t in network_figure(view).data if t.mode == "text"][0].text
    assert list(text) == ["x₁²", "x₂²", "sin x₁"]


def test_the_inside_panel_states_each_runs_share():
    short = shortened("l1_or_l2", 300)
    at = open_app(lab.url_params(short))
    at.toggle(key="inside_show").set_value(True).run()
    assert_clean(at)
    (caption,) = [c.value for c in at.caption if c.value.startswith("Weights with |W| < 0.001")]
    names = [d["name"] for d in chart(at, "inside_weights")["data"]]
    assert len(names) == 3 and all("% below 0.001" in n for n in names)
    for name in names:
        label, share = name.split(": ")
        assert f"{label}: **{share.split('%')[0]}%**" in caption


def test_an_experiment_with_features_round_trips_through_the_lab_config():
    exp = Experiment(runs=(RunConfig(features=("x1x2", "sinx1"), lambd1=0.002, epochs=20),))
    again, warnings = lab.experiment_from_config(exp.to_json().encode())
    assert again == exp and warnings == []


def test_an_l1_runs_download_has_an_ascii_name():
    assert exports.file_stem(2, "L1 λ₁ = 0.2") == "run3-l1-lambda1-0.2"
    assert exports.file_stem(0, "hidden 8, (x₁², sin x₂)") == "run1-hidden-8-x1sq-sin-x2"


def test_runs_told_apart_by_their_networks_are_labelled_by_them():
    exp = shortened("features_or_depth", 20)  # no longer the lesson
    assert lab.run_labels(exp) == (
        "no hidden layer, (x₁, x₂)",
        "no hidden layer, (x₁², x₂²)",
        "hidden 8, (x₁, x₂)",
    )


def test_the_landscape_panel_says_why_runs_of_different_networks_share_no_slice():
    short = shortened("features_or_depth", 20)
    at = open_app(lab.url_params(short))
    at.toggle(key="landscape_show").set_value(True).run()
    assert_clean(at)
    assert any(i.value.startswith("No shared slice: run 2 has another network") for i in at.info)
