"""The sweep-maps page: its model (cells, presets, URL, limits), its figure, and the page (AppTest).

The oracle of every cell is its run trained alone through the lab's path (``run_experiment`` on
``sweep.experiment_at(i)``), never the sweep that built the map.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnviz.engine.sweep import Sweep, parse_axis, run_sweep
from nnviz.engine.train import run_experiment
from nnviz.models import lab_model as lab
from nnviz.models import sweep_model as sm
from nnviz.views.sweep_figures import color_range, map_figure, target_trace
from tests.helpers.apptest import assert_clean, chart, params
from tests.helpers.threads import BOUND, Session, until

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "sweep.py")
SHORT = replace(sm.BASE, runs=(replace(sm.BASE.runs[0], epochs=40),))


def small_sweep(*axes: str, base=SHORT) -> Sweep:
    return Sweep(base, tuple(parse_axis(a) for a in axes))


@pytest.fixture(scope="module")
def lr_beta():
    """Momentum's α × λ: α = 100 with λ = 50 diverges, the others train."""
    base = replace(SHORT, runs=(replace(SHORT.runs[0], optimizer="momentum"),))
    sweep = small_sweep("lr=0.01,0.3,100", "lambd=0,50", base=base)
    return sweep, run_sweep(sweep)


# --- cells ---------------------------------------------------------------------------------------


def test_each_cell_holds_its_run_trained_alone(lr_beta):
    sweep, result = lr_beta
    data = sm.map_data(sweep, result.rows, "test_accuracy", 0.3)
    assert data.z.shape == (3, 2)
    assert data.row_labels == ("0.01", "0.3", "100") and data.col_labels == ("0", "50")
    for index, (i, j) in enumerate(sweep.cells()):
        (alone,) = run_experiment(sweep.experiment_at(index))
        if alone.diverged_at is None:
            assert data.z[i, j] == pytest.approx(alone.test_accuracy[-1], abs=1e-12)
            assert data.state[i, j] == "ok"
        else:
            assert np.isnan(data.z[i, j]) and data.state[i, j] == "diverged"
            assert data.text[i, j] == "×"
            assert f"diverged at epoch {alone.diverged_at}" in data.hover[i, j]


def test_a_huge_learning_rate_is_marked_diverged_on_the_map(lr_beta):
    sweep, result = lr_beta
    data = sm.map_data(sweep, result.rows, "train_cost", 0.3)
    assert data.state[2, 1] == "diverged"  # α = 100, λ = 50
    assert (data.state == "ok").sum() == 5
    fig = map_figure(data)
    crosses = next(t for t in fig.data if t.name == "diverged")
    assert list(zip(crosses.y, crosses.x)) == [("100", "50")]


def test_convergence_cells_are_the_epoch_from_which_the_cost_stays_below(lr_beta):
    sweep, result = lr_beta
    below = 0.5
    data = sm.map_data(sweep, result.rows, "epochs_below", below)
    for index, (i, j) in enumerate(sweep.cells()):
        (alone,) = run_experiment(sweep.experiment_at(index))
        if alone.diverged_at is not None:
            continue
        J = list(alone.train_cost)
        stays = [e for k, e in enumerate(alone.epochs) if all(c < below for c in J[k:])]
        if stays:
            assert data.z[i, j] == stays[0] and data.state[i, j] == "ok"
        else:
            assert np.isnan(data.z[i, j]) and data.state[i, j] == "never"
    never = sm.map_data(sweep, result.rows, "epochs_below", 1e-9)
    assert set(never.state.ravel()) == {"never", "diverged"}
    assert "never" in never.hover[0, 0]


def test_a_cost_that_dips_below_and_climbs_out_has_not_settled(lr_beta):
    _, result = lr_beta
    h = result.rows[0].history
    epochs = np.arange(5)
    for costs, settled in (
        ([0.9, 0.2, 0.9, 0.2, 0.2], 3),  # dips at epoch 1, climbs out, settles at 3
        ([0.2, 0.2, 0.2, 0.2, 0.2], 0),
        ([0.9, 0.2, 0.2, 0.2, 0.9], None),  # ends above
        ([0.9, 0.2, np.nan, 0.2, 0.2], 3),  # NaN is not below
    ):
        fake = replace(h, epochs=epochs, train_cost=np.array(costs))
        assert sm.settled_epoch(fake, 0.3) == settled


def test_cells_not_yet_trained_are_pending(lr_beta):
    sweep, result = lr_beta
    data = sm.map_data(sweep, result.rows[:2], "test_accuracy", 0.3)
    assert list(data.state.ravel()) == ["ok", "ok", "pending", "pending", "pending", "pending"]
    assert data.hover[2, 1] == "training…"


def test_one_axis_is_a_single_row():
    sweep = small_sweep("lambd=0,0.7,5")
    result = run_sweep(sweep)
    data = sm.map_data(sweep, result.rows, "train_cost", 0.3)
    assert data.z.shape == (1, 3) and data.col_name == "λ"
    assert [sm.cell_index(sweep, (0, j)) for j in range(3)] == [0, 1, 2]
    # a stronger L2 term gives a larger training cost J (it includes λ/(2m)·Σ‖W‖²)
    assert data.z[0, 0] < data.z[0, 2]


def test_value_labels_are_short_but_never_merge_two_values():
    assert sm.value_labels((0.01, 0.0630957344, 15.848931925)) == ("0.01", "0.0631", "15.8")
    assert sm.value_labels((0.999, 0.9995, 0.9999)) == ("0.999", "0.9995", "0.9999")
    assert sm.value_labels(("gd", "adam")) == ("gd", "adam")


def test_cell_index_is_the_run_order():
    sweep = small_sweep("lr=0.01,0.1,1", "beta1=0,0.5,0.9,0.99")
    assert [sm.cell_index(sweep, c) for c in sweep.cells()] == list(range(12))


def hand_made(z, cost, lower_better) -> sm.MapData:
    z, cost = np.array(z, float), np.array(cost, float)
    text = np.full(z.shape, "", dtype=object)
    rows, cols = (tuple(f"{name}{k}" for k in range(n)) for name, n in zip("rc", z.shape))
    return sm.MapData(rows, cols, "r", "c", z, text, text, text, "m", lower_better, False, cost)


def test_best_cell_by_the_metric_ties_by_the_lower_cost():
    assert sm.best_cell(hand_made([[0.9, 0.95], [0.95, 0.5]], [[1, 3], [2, 1]], False)) == (1, 0)
    assert sm.best_cell(hand_made([[0.9, 0.95], [0.95, 0.5]], [[1, 3], [2, 1]], True)) == (1, 1)
    assert sm.best_cell(hand_made([[np.nan, 3], [np.nan, 2]], [[0, 1], [0, 1]], True)) == (1, 1)
    assert sm.best_cell(hand_made([[np.nan] * 2] * 2, [[0, 0], [0, 0]], False)) is None


# --- the figure ----------------------------------------------------------------------------------


def test_map_figure_lays_out_the_cells_on_categorical_axes(lr_beta):
    sweep, result = lr_beta
    data = sm.map_data(sweep, result.rows, "test_cost", 0.3)
    fig = map_figure(data, picked=(1, 0), title="t")
    heat = fig.data[0]
    assert heat.type == "heatmap" and heat.reversescale  # a lower cost is brighter
    np.testing.assert_array_equal(np.array(heat.z, float), data.z)
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
    targets = fig.data[target_trace(fig)]
    assert len(targets.x) == len(sweep.runs())  # one click target per run, in run order
    assert list(zip(targets.y, targets.x))[3] == ("0.3", "50")
    assert list(targets.hovertext) == list(data.hover.ravel())
    (rect,) = fig.layout.shapes
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (-0.5, 0.5, 0.5, 1.5)
    assert tuple(fig.layout.xaxis.range) == (-0.5, 1.5) and tuple(fig.layout.yaxis.range) == (
        -0.5,
        2.5,
    )
    accuracy = map_figure(sm.map_data(sweep, result.rows, "test_accuracy", 0.3))
    assert not accuracy.data[0].reversescale and not accuracy.layout.shapes


def test_a_cost_map_clips_its_colours_at_the_90th_percentile():
    z = np.array([[0.1 * k for k in range(1, 11)] + [5000.0, np.nan]])
    costs = hand_made(z, z, lower_better=True)
    low, high = color_range(costs)
    assert low == pytest.approx(0.1) and high == pytest.approx(np.nanpercentile(z, 90))
    heat = map_figure(costs).data[0]
    assert heat.zmax == high and "darkest" in heat.colorbar.title.text
    assert color_range(hand_made(z, z, lower_better=False)) == (None, None)  # accuracies: 0–1


# --- presets, URL, limits ------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(sm.PRESETS))
def test_each_preset_is_a_valid_map_of_at_most_144_runs(key):
    settings = sm.with_preset(sm.Settings(), key)
    sweep = settings.sweep()
    assert 1 <= len(sweep.runs()) <= 144
    for name, value in sm.PRESETS[key].run.items():
        assert getattr(settings.base.runs[0], name) == value
    assert sm.too_long(settings) is None
    back, warnings = sm.settings_from_url(sm.url_params(settings))
    assert (back, warnings) == (settings, [])


def test_a_preset_undoes_what_the_previous_one_set():
    decayed = sm.with_preset(sm.Settings(), "lr_decay")
    assert (decayed.base.runs[0].optimizer, decayed.base.runs[0].decay) == ("gd", "inverse")
    back = sm.with_preset(decayed, "adam_betas").base.runs[0]
    assert (back.optimizer, back.decay) == ("adam", "constant")
    assert sm.with_preset(decayed, "lr_optimizer").base.runs[0].decay == "constant"


def test_url_round_trip_of_edited_settings():
    settings = replace(
        sm.with_preset(sm.Settings(), "lr_lambd"),
        axis1="lr=0.001,0.1",
        axis2="",
        metric="epochs_below",
        below=0.25,
    )
    assert sm.settings_from_url(sm.url_params(settings)) == (settings, [])


@pytest.mark.parametrize(
    "bad, word",
    [
        ({"preset": "nope"}, "preset"),
        ({"axis1": "lr=abc"}, "axis1"),
        ({"axis2": "epochs=10,20"}, "share"),  # a lockstep setting can't be swept
        ({"axis1": "lr=1e-3:1:13:log", "axis2": "beta1=0:0.9:12"}, "at most 144"),
        ({"metric": "speed"}, "metric"),
        ({"below": "-1"}, "below"),
        ({"lr": "fast"}, "lr"),
        ({"epochs": "200000"}, "take about"),
        ({"dataset": "csv"}, "generated"),
    ],
)
def test_bad_url_parameters_warn_and_fall_back(bad, word):
    settings, warnings = sm.settings_from_url(bad)
    assert settings.sweep()  # always a usable map
    assert any(word in w for w in warnings), warnings


def test_a_cell_opens_in_the_lab_as_the_same_run():
    sweep = small_sweep("lr=0.01,0.1", "beta2=0.9,0.999")
    for index in range(4):
        exp, warnings = lab.experiment_from_url(sm.lab_url(sweep, index))
        assert warnings == [] and exp == sweep.experiment_at(index)


def test_the_estimate_refuses_what_would_train_too_long():
    settings = sm.Settings()
    assert sm.too_long(settings) is None
    slow = replace(settings, base=replace(SHORT, runs=(replace(SHORT.runs[0], epochs=100_000),)))
    assert sm.estimated_seconds(slow) > sm.MAX_SWEEP_SECONDS
    assert "take about" in sm.too_long(slow)


# --- the page (AppTest) --------------------------------------------------------------------------

QUICK = {"epochs": "30"}


def open_page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(QUICK if params is None else params)
    return at.run()


def lab_link(at: AppTest) -> dict[str, str]:
    (button,) = at.get("link_button")
    return dict(parse_qsl(urlsplit(button.proto.url).query, keep_blank_values=True))


def test_page_at_its_defaults_draws_the_full_map_and_the_best_run():
    at = open_page({})
    assert_clean(at)
    assert not at.warning
    assert any("144 runs trained" in c.value for c in at.caption)
    heat, _, targets = chart(at, "sm_map")["data"]
    assert len(heat["x"]) == len(heat["y"]) == 12 and len(targets["x"]) == 144
    assert params(at) == sm.url_params(sm.Settings())
    picked = at.selectbox(key="sm_pick").value
    exp, _ = lab.experiment_from_url(lab_link(at))
    assert exp == sm.Settings().sweep().experiment_at(picked)


@pytest.mark.parametrize("key", list(sm.PRESETS))
def test_each_preset_draws_its_map(key):
    at = open_page({**QUICK, "preset": key})
    assert_clean(at)
    settings = sm.with_preset(replace(sm.Settings(), base=sm.settings_from_url(QUICK)[0].base), key)
    n = len(settings.sweep().runs())
    assert any(f"{n} runs trained" in c.value for c in at.caption)
    assert params(at)["preset"] == key


def test_choosing_a_preset_in_the_sidebar_redraws_the_map():
    at = open_page()
    at.selectbox(key="sm_preset").set_value("lr_optimizer").run()
    assert_clean(at)
    assert any("48 runs trained" in c.value for c in at.caption)
    assert params(at)["axis2"] == sm.PRESETS["lr_optimizer"].axis2


def test_url_round_trip_through_the_page():
    wanted = sm.url_params(
        replace(
            sm.settings_from_url(QUICK)[0],
            axis1="lr=0.01,0.1",
            axis2="beta1=0,0.9",
            metric="test_cost",
        )
    )
    at = open_page(wanted)
    assert_clean(at)
    assert not at.warning
    assert params(at) == wanted
    assert any("4 runs trained" in c.value for c in at.caption)


@pytest.mark.parametrize(
    "bad, word",
    [({"preset": "x"}, "preset"), ({"axis1": "lr=0:1:3:log"}, "log"), ({"lr": "-1"}, "lr")],
)
def test_bad_page_parameters_warn_never_raise(bad, word):
    at = open_page({**QUICK, **bad})
    assert not at.exception
    assert len(at.warning) == 1 and word in at.warning[0].value
    assert chart(at, "sm_map")["data"]


def test_the_form_applies_new_axes_and_refuses_bad_ones_with_a_reason():
    at = open_page()
    at.selectbox(key="sm_field1").set_value("lr")
    at.text_input(key="sm_values1").set_value("0.001,0.01,0.1")
    at.selectbox(key="sm_field2").set_value("—")
    at.button[0].click().run()  # the form's submit button
    assert_clean(at)
    assert any("3 runs trained" in c.value for c in at.caption)
    assert params(at)["axis1"] == "lr=0.001,0.01,0.1" and params(at)["axis2"] == ""
    at.text_input(key="sm_values1").set_value("0.1,zero")
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "'zero' is not a number" in at.error[0].value
    assert any("3 runs trained" in c.value for c in at.caption)  # the previous map stays


def test_picking_a_cell_shows_its_boundary_and_lab_link():
    at = open_page({**QUICK, "axis1": "lr=0.01,0.1", "axis2": "beta1=0,0.9"})
    at.selectbox(key="sm_pick").set_value(3).run()
    assert_clean(at)
    title = chart(at, "sm_boundary")["layout"]["title"]["text"]
    assert "α 0.1, β₁ 0.9" in title
    shapes = chart(at, "sm_map")["layout"]["shapes"]
    assert (shapes[0]["x0"], shapes[0]["y0"]) == (0.5, 0.5)  # row 1, column 1
    exp, _ = lab.experiment_from_url(lab_link(at))
    assert (exp.runs[0].lr, exp.runs[0].beta1) == (0.1, 0.9)


def test_a_second_session_draws_the_stored_map_without_training(monkeypatch):
    from app_pages import server
    from nnviz.engine import sweep as engine_sweep

    query = {**QUICK, "axis1": "lr=0.01,0.1", "axis2": "", "seed": "424246"}  # no other test's
    first = open_page(query)
    assert_clean(first)
    kept = server.trained("sweep").get(first.session_state.sm_settings)
    assert isinstance(kept, sm.TrainedMap) and len(kept.rows) == 2
    monkeypatch.setattr(engine_sweep, "iter_sweep", lambda *a: pytest.fail("trained again"))
    second = open_page(query)
    assert_clean(second)
    assert server.trained("sweep").get(second.session_state.sm_settings) is kept
    assert any(f"2 runs trained in {kept.seconds:.1f} s" in c.value for c in second.caption)


def test_a_map_trains_each_group_in_its_turn_among_the_labs_trainings():
    """Another session holds the server's turn: the map waits, then trains once released."""
    from app_pages import server

    turns, log = server.training_turns(), []
    holder = Session(turns, log, "another session")
    holder.start()
    until(lambda: log == ["another session"], "the other session trains")
    seen: list[int] = []

    def release_when_the_map_waits() -> None:
        until(lambda: turns.waiting == 1, "the map waits for its turn")
        seen.append(turns.waiting)
        holder.release.set()

    releaser = threading.Thread(target=release_when_the_map_waits, daemon=True)
    releaser.start()
    at = open_page({**QUICK, "axis1": "lr=0.01,0.1", "axis2": "", "seed": "424243"})
    releaser.join(BOUND)
    assert_clean(at)
    assert seen == [1] and any("2 runs trained" in c.value for c in at.caption)
    assert turns.running == 0 and turns.waiting == 0
