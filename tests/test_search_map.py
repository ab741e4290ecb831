"""The sweep page's random mode: its points, zoom boxes, URL, figure, and the page (AppTest).

Oracles: the search's own sampled settings (engine, tested in test_search.py), runs trained alone
by ``run_experiment``, and boxes and ticks worked by hand.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnviz.engine.search import RandomSearch, parse_range
from nnviz.engine.sweep import run_sweep
from nnviz.engine.train import run_experiment
from nnviz.models import lab_model as lab
from nnviz.models import search_model as smod
from nnviz.models import sweep_model as sm
from nnviz.views.search_figures import search_figure, symbol
from tests.helpers.apptest import assert_clean, chart, params, plotly_array

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "sweep.py")
SHORT = replace(sm.BASE, runs=(replace(sm.BASE.runs[0], epochs=40),))
RANGES = (parse_range("lr=1e-3:10:log"), parse_range("beta1=0.9:0.999:1-log"))


@pytest.fixture(scope="module")
def zoomed():
    """Two rounds of 5 momentum runs; α up to 10 with 40 epochs: some diverge."""
    base = replace(SHORT, runs=(replace(SHORT.runs[0], optimizer="momentum"),))
    search = RandomSearch(base, RANGES, 5, seed=3).zoomed(((0.01, 1), (0.99, 0.999)))
    return search, run_sweep(search).rows


# --- the points ----------------------------------------------------------------------------------


def test_each_point_is_its_run_trained_alone(zoomed):
    search, rows = zoomed
    data = smod.search_data(search, rows, "test_accuracy", 0.3)
    assert list(data.round) == [0] * 5 + [1] * 5
    for index in range(10):
        (alone,) = run_experiment(search.experiment_at(index))
        assert (data.x[index], data.y[index]) == (alone.config.lr, alone.config.beta1)
        if alone.diverged_at is None:
            assert data.z[index] == pytest.approx(alone.test_accuracy[-1], abs=1e-12)
        else:
            assert data.state[index] == "diverged" and np.isnan(data.z[index])
            assert f"diverged at epoch {alone.diverged_at}" in data.hover[index]
    assert "round 1: α = " in data.hover[7]


def test_runs_not_yet_trained_are_pending(zoomed):
    search, rows = zoomed
    data = smod.search_data(search, rows[:5], "train_cost", 0.3)
    assert list(data.state[5:]) == ["pending"] * 5 and np.isnan(data.z[5:]).all()


def test_the_suggested_box_spans_the_best_quarter_inside_the_ranges():
    search = RandomSearch(SHORT, RANGES, 20, seed=0)
    values = search.values(0)
    z = np.log10(values[:, 0]) ** 2  # made-up metric: best at α = 1, lower is better
    data = smod.SearchData(
        values[:, 0], values[:, 1], z, np.zeros(20, int), np.full(20, "ok"), np.full(20, ""),
        smod.axis_data(RANGES[0]), smod.axis_data(RANGES[1]), (), "m", True, False,
    )  # fmt: skip
    best = np.argsort(z)[:5]  # a quarter of 20
    (a_lo, a_hi), (b_lo, b_hi) = smod.suggested_box(search, data)
    assert a_lo <= values[best, 0].min() and values[best, 0].max() <= a_hi
    assert b_lo <= values[best, 1].min() and values[best, 1].max() <= b_hi
    assert 1e-3 <= a_lo < a_hi <= 10 and 0.9 <= b_lo < b_hi <= 0.999
    others = np.setdiff1d(np.arange(20), best)
    # on α's log scale the box is about as wide as the best runs' span, not the whole range
    span = np.ptp(np.log10(values[best, 0]))
    assert math.log10(a_hi / a_lo) <= span * 1.2 + 0.2
    assert ((values[others, 0] < a_lo) | (values[others, 0] > a_hi)).any()
    replace(search, boxes=(smod.suggested_box(search, data),))  # a valid next round


def test_a_box_drawn_on_the_chart_reads_beta_from_one_minus_beta():
    search = RandomSearch(SHORT, RANGES, 4)
    # x: α on a log axis, as drawn; y: 1 − β from 0.01 to 0.001 (Plotly sorts nothing for us)
    box = smod.box_from_selection(search, [1e-2, 0.1], [0.01, 0.001])
    assert box == ((0.01, 0.1), (0.99, 0.999))
    # past the ranges: cut to them; missing them entirely: None
    assert smod.box_from_selection(search, [1e-5, 1e-2], [0.2, 0.05])[1] == (0.9, 0.95)
    assert smod.box_from_selection(search, [20, 50], [0.01, 0.001]) is None


def test_box_ends_round_outwards_to_three_digits_of_what_is_plotted():
    beta = parse_range("beta1=0.9:0.99999:1-log")
    # 1 − β = 4.679e-4 … 1.288e-4, rounded outwards: 4.68e-4 … 1.28e-4
    assert smod._round_out(0.9995321, 0.9998712, beta) == (0.999532, 0.999872)
    assert smod._round_out(0.0012345, 0.045678, RANGES[0]) == (0.00123, 0.0457)


# --- the figure ----------------------------------------------------------------------------------


def test_the_figure_draws_log_axes_and_beta_on_a_log_axis_of_one_minus_beta(zoomed):
    search, rows = zoomed
    data = smod.search_data(search, rows, "train_cost", 0.3)
    fig = search_figure(data, picked=2)
    x, y = fig.layout.xaxis, fig.layout.yaxis
    assert x.type == "log" and y.type == "log"
    assert list(y.tickvals) == [0.001, 0.01, 0.1] and list(y.ticktext) == ["0.999", "0.99", "0.9"]
    assert y.range[0] > y.range[1]  # reversed: β grows upwards
    assert x.range[0] < -3 < 1 < x.range[1]  # log10 of 1e-3 and 10, padded
    rounds = [t for t in fig.data if t.name.startswith("round")]
    assert [t.marker.symbol for t in rounds] == [symbol(0), symbol(1)] and symbol(0) != symbol(1)
    for t in rounds:
        for i, px, py, z in zip(t.customdata, t.x, t.y, t.marker.color):
            assert (px, z) == (data.x[i], data.z[i]) and py == pytest.approx(1 - data.y[i])
    (box,) = fig.layout.shapes
    assert (box.x0, box.x1) == (0.01, 1) and (box.y0, box.y1) == pytest.approx((0.01, 0.001))
    assert fig.layout.dragmode == "select"


# --- the URL -------------------------------------------------------------------------------------


def random_settings(**change) -> sm.Settings:
    random = sm.RandomSettings(
        6, "lr=0.001:1:log", "lambd=0:1:lin", 4, ((((0.01, 0.1), (0, 0.5))),)
    )
    return replace(sm.Settings(), mode="random", random=replace(random, **change))


def test_a_grid_url_is_unchanged_and_random_mode_round_trips():
    assert not set(sm.url_params(sm.Settings())) & {"mode", "n", "zoom", "sample_seed"}
    settings = random_settings()
    query = sm.url_params(settings)
    assert query["zoom"] == "0.01:0.1,0:0.5" and query["sample_seed"] == "4"
    assert sm.settings_from_url(query) == (settings, [])
    odd = random_settings(zooms=(((0.0123456789, 0.1), (0.1, 0.2)),))
    assert sm.settings_from_url(sm.url_params(odd)) == (odd, [])  # exact, not rounded


@pytest.mark.parametrize(
    "bad, word",
    [
        ({"mode": "dice"}, "mode"),
        ({"n": "0"}, "n >= 1"),
        ({"n": "many"}, "n="),
        ({"range1": "lr=0:1:log"}, "lr must be in"),
        ({"range2": "epochs=1:9"}, "share"),
        ({"sample_seed": "-2"}, "seed"),
        ({"zoom": "1:2:3"}, "zoom box"),
        ({"zoom": "1e-5:0.1,0:1"}, "not inside"),
        ({"n": "100", "zoom": "0.01:0.1,0:1"}, "at most 144"),
    ],
)
def test_bad_random_parameters_warn_and_fall_back(bad, word):
    query = {**sm.url_params(random_settings(zooms=())), **bad}
    settings, warnings = sm.settings_from_url(query)
    assert settings.search()  # always a usable search
    assert any(word in w for w in warnings), warnings


def test_a_run_opens_in_the_lab_as_the_same_run(zoomed):
    search, _ = zoomed
    for index in (0, 7):
        exp, warnings = lab.experiment_from_url(smod.lab_url(search, index))
        assert warnings == [] and exp == search.experiment_at(index)


# --- the page (AppTest) --------------------------------------------------------------------------

QUICK = {"epochs": "30", "mode": "random", "n": "8"}


def open_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(query)
    return at.run()


def points(at: AppTest) -> int:
    spec = chart(at, "sm_scatter")
    return sum(len(plotly_array(t["x"])) for t in spec["data"] if t["name"] != "picked")


def test_random_mode_from_the_url_draws_the_sampled_runs():
    at = open_page(QUICK)
    assert_clean(at)
    assert not at.warning
    assert points(at) == 8
    assert any("8 runs trained" in c.value for c in at.caption)
    assert params(at)["mode"] == "random" and params(at)["n"] == "8"
    spec = chart(at, "sm_scatter")
    assert spec["layout"]["xaxis"]["type"] == "log" and spec["layout"]["yaxis"]["type"] == "log"
    picked = at.selectbox(key="sm_rpick").value
    settings = sm.settings_from_url(QUICK)[0]
    exp, _ = lab.experiment_from_url(lab_link(at))
    assert exp == settings.search().experiment_at(picked)


def lab_link(at: AppTest) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    (button,) = at.get("link_button")
    return dict(parse_qsl(urlsplit(button.proto.url).query, keep_blank_values=True))


def test_zooming_in_samples_n_more_inside_the_box_and_keeps_the_rounds():
    at = open_page(QUICK)
    lo, hi = at.number_input(key="sm_zlo1").value, at.number_input(key="sm_zhi1").value
    assert 1e-4 <= lo < hi <= 1  # prefilled around the best runs
    at.number_input(key="sm_zlo1").set_value(0.001)
    at.number_input(key="sm_zhi1").set_value(0.01)
    zoom = next(b for b in at.button if b.label.startswith("Sample 8 more"))
    zoom.click().run()
    assert_clean(at)
    assert points(at) == 16
    search = at.session_state.sm_settings.search()
    assert search.rounds == 2 and search.boxes[0][0] == (0.001, 0.01)
    assert np.all((0.001 <= search.values(1)[:, 0]) & (search.values(1)[:, 0] <= 0.01))
    assert params(at)["zoom"].startswith("0.001:0.01,")
    names = [t["name"] for t in chart(at, "sm_scatter")["data"]]
    assert "round 0" in names and "round 1" in names
    # again, inside the box now shown around the best runs of both rounds
    next(b for b in at.button if b.label.startswith("Sample 8 more")).click().run()
    assert_clean(at)
    assert points(at) == 24 and at.session_state.sm_settings.search().rounds == 3
    assert params(at)["zoom"].count(";") == 1  # two boxes
    back = next(b for b in at.button if b.label == "Drop round 2")
    back.click().run()
    assert points(at) == 16 and params(at)["zoom"].startswith("0.001:0.01,")


def test_the_form_switches_to_random_and_refuses_a_bad_range_with_a_reason():
    at = open_page({"epochs": "30"})
    at.button_group(key="sm_mode").set_value("random").run()
    assert_clean(at)
    at.number_input(key="sm_n").set_value(5)
    at.selectbox(key="sm_rfield2").set_value("lambd")
    at.text_input(key="sm_span2").set_value("0:2")
    at.selectbox(key="sm_scale2").set_value("lin")
    next(b for b in at.button if b.label == "Sample the runs").click().run()
    assert_clean(at)
    assert points(at) == 5 and params(at)["range2"] == "lambd=0:2:lin"
    assert chart(at, "sm_scatter")["layout"]["yaxis"]["type"] == "linear"
    at.selectbox(key="sm_scale2").set_value("log")
    next(b for b in at.button if b.label == "Sample the runs").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "a log range needs low > 0" in at.error[0].value
    assert points(at) == 5  # the previous runs stay


def test_back_to_grid_the_map_keeps_its_axes():
    at = open_page({"epochs": "30", "axis1": "lr=0.01,0.1", "axis2": "beta1=0,0.9"})
    at.button_group(key="sm_mode").set_value("random").run()
    assert_clean(at)
    at.button_group(key="sm_mode").set_value("grid").run()
    assert at.text_input(key="sm_values1").value == "0.01,0.1"
    next(b for b in at.button if b.label == "Draw the map").click().run()
    assert_clean(at)
    assert any("4 runs trained" in c.value for c in at.caption)
    assert "mode" not in params(at) and params(at)["axis2"] == "beta1=0,0.9"
