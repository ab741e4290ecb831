"""The optimizer playground page (AppTest, no browser), its config, URL state and figures."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnviz.engine.optim import OPTIMIZERS
from nnviz.models import playground_settings as pg
from nnviz.models import playground_steps as steps
from nnviz.models.formulas import LABELS
from nnviz.playground.surfaces import SURFACES
from nnviz.playground.trajectory import RULES, bias_corrections, gd_steps
from nnviz.views.playground_figures import OPTIMIZER_COLORS, race_figure
from nnviz.views.playground_panels import bias_figure, steps_figure
from tests.helpers.apptest import charts

PAGE = str(Path(__file__).resolve().parent.parent / "app_pages" / "playground.py")


def open_page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def url(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def table_rows(at: AppTest) -> int:
    return len(at.table[0].value)


def test_shared_hyperparameters_are_labelled_as_in_the_lab():
    at = open_page()
    for name in ("beta1", "beta2", "epsilon"):
        assert at.number_input(key=f"pg_{name}").label == LABELS[name]
    assert at.number_input(key="pg_lr_gd").label == LABELS["lr"]


# --- config and URL, without Streamlit -------------------------------------------------------


def test_config_round_trips_through_the_url():
    cfg = replace(
        pg.default_config("beale"),
        x0=-1.5,
        steps=777,
        tol=0.05,
        beta1=0.95,
        racers=(pg.Racer("momentum", 0.004), pg.Racer("adam", 0.25)),
    )
    back, warnings = pg.from_query(pg.to_query(cfg))
    assert back == cfg and warnings == []


def test_bad_url_values_fall_back_with_warnings():
    params = {"surface": "beale", "steps": "lots", "beta1": "1.5", "lr": "x,y,z,w", "foo": "1"}
    cfg, warnings = pg.from_query(params)
    default = pg.default_config("beale")
    assert cfg.steps == default.steps and cfg.beta1 == default.beta1
    assert [r.lr for r in cfg.racers] == [r.lr for r in default.racers]
    assert len(warnings) >= 4 and any("foo" in w for w in warnings)


def test_unknown_surface_in_the_url_falls_back_to_the_bowl():
    cfg, warnings = pg.from_query({"surface": "moon"})
    assert cfg.surface == "bowl" and warnings


@pytest.mark.parametrize(
    "bad",
    [
        dict(surface="moon"),
        dict(steps=0),
        dict(steps=pg.LIMITS["steps"][1] + 1),
        dict(beta2=1.0),
        dict(x0=float("nan")),
        dict(racers=()),
        dict(racers=(pg.Racer("gd", 0.1), pg.Racer("gd", 0.2))),
    ],
)
def test_config_validation(bad):
    with pytest.raises(ValueError):
        replace(pg.Playground(), **bad)


def test_racer_validation():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        pg.Racer("sgd", 0.1)
    with pytest.raises(ValueError, match="lr must be in"):
        pg.Racer("gd", 0.0)


def test_table_rows_name_local_minima_and_the_saddle():
    wells = pg.LESSONS["hump"].config
    rows = {r["optimizer"]: r for r in pg.table_rows(wells, pg.run(wells))}
    assert rows["Gradient descent"]["distance to minimum"].endswith("(local)")
    assert rows["Momentum"]["distance to minimum"].endswith("(global)")
    saddle = pg.default_config("saddle")
    for row in pg.table_rows(saddle, pg.run(saddle)):
        assert row["distance to minimum"].startswith("—")
        assert row["first step within 0.01"] == "—"


def test_table_numbers_have_no_hyphen_to_break_at():
    cfg = pg.default_config("bowl")
    rows = pg.table_rows(cfg, pg.run(cfg))
    for row in rows:
        for value in row.values():
            assert "e-" not in value and "e+" not in value and "-" not in value
    assert rows[0]["final f(θ)"] == "2.26×10⁻¹⁰"  # gradient descent, still crawling down the ravine


def test_frames_and_display_points_are_bounded():
    assert len(pg.frame_steps(10_000)) <= 50 and pg.frame_steps(10_000)[-1] == 10_000
    assert list(pg.frame_steps(3)) == [0, 1, 2, 3]
    idx = pg.display_indices(5000)
    assert len(idx) <= 180 and idx[0] == 0 and idx[-1] == 5000 and np.all(np.diff(idx) > 0)


# --- figures ---------------------------------------------------------------------------------


def test_race_figure_animates_every_optimizer_in_sync():
    cfg = pg.default_config("bowl")
    surface = pg.build_surface(cfg)
    paths = pg.run(cfg)
    fig = race_figure(surface, pg.grid(surface), paths)
    assert 2 <= len(fig.frames) <= 50
    moving = fig.frames[0].traces
    assert all(f.traces == moving for f in fig.frames)
    # last frame: every optimizer at its last point, the loss markers at the last step
    last = fig.frames[-1].data
    points = last[len(paths)]
    np.testing.assert_allclose(points.x, [p.theta[-1, 0] for p in paths.values()])
    assert list(last[len(paths) + 1].x) == [cfg.steps] * len(paths)
    # one color per optimizer, the same for its path and its loss curve
    lines = {t.name: t.line.color for t in fig.data if t.mode == "lines" and t.name}
    assert lines == {OPTIMIZERS[n].title: OPTIMIZER_COLORS[n] for n in paths}
    assert fig.layout.yaxis2.type == "log"
    assert fig.layout.updatemenus[0].buttons[0].label.endswith("Play")


def test_race_figure_marks_divergence_and_uses_a_linear_axis_on_the_saddle():
    cfg = replace(pg.default_config("bowl"), racers=(pg.Racer("gd", 100.0),))
    surface = pg.build_surface(cfg)
    fig = race_figure(surface, pg.grid(surface), pg.run(cfg))
    texts = [t.text[0] for t in fig.data if t.text is not None and len(t.text) == 1]
    assert any(text.startswith("diverged at t =") for text in texts)
    saddle = pg.default_config("saddle")
    surface = pg.build_surface(saddle)
    fig = race_figure(surface, pg.grid(surface), pg.run(saddle))
    assert fig.layout.yaxis2.type == "linear"


def test_adam_figures():
    cfg = pg.LESSONS["bias"].config
    paths = pg.run(cfg)
    adam = paths["adam"]
    c1, c2 = bias_corrections(0.9, 0.999, adam.steps_taken)
    bias = bias_figure(c1, c2, 0.9, 0.999)
    assert len(bias.data) == 2 and bias.layout.yaxis.type == "log"
    steps = steps_figure(paths, gd_steps(adam.g, adam.hyper.lr), adam.hyper.lr)
    assert len(steps.data) == 6  # corrected Adam, uncorrected Adam, GD's α·g; x and y each
    colors = [steps.data[k].line.color for k in (0, 2, 4)]
    assert colors == [OPTIMIZER_COLORS[n] for n in ("adam", "adam_nobias", "gd")]
    assert len(set(OPTIMIZER_COLORS.values())) == len(OPTIMIZER_COLORS)
    # the first plotted step of each: α corrected, ≈ 3.16·α uncorrected
    assert steps.data[0].y[0] == pytest.approx(adam.hyper.lr, rel=1e-6)
    assert steps.data[2].y[0] == pytest.approx(adam.hyper.lr * 0.1 / 0.001**0.5, rel=1e-6)
    # one y-axis for both panels: the right one has no tick labels to lay over the left's curves
    assert steps.layout.yaxis2.matches == "y" and steps.layout.yaxis2.showticklabels is False
    alone = steps_figure({"adam_nobias": paths["adam_nobias"]}, None, adam.hyper.lr)
    assert len(alone.data) == 2


# --- widget steps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, old, up, down",
    [
        ("lr", 0.3, 0.5, 0.2),  # off-grid: to the grid values around it
        ("lr", 0.001, 0.002, 0.0005),
        ("lr", 1.8, 2.0, 1.0),
        ("beta2", 0.999, 0.9995, 0.998),
        ("beta2", 0.99999, None, 0.99998),  # the top: + has nowhere to go
        ("beta1", 0.9, 0.95, 0.8),
        ("beta1", 0.0, 0.5, None),
        ("epsilon", 1e-8, 1e-7, 1e-9),
        ("kappa", 50.0, 100.0, 20.0),
    ],
)
def test_minus_and_plus_walk_a_grid_that_suits_the_value(key, old, up, down):
    step = steps.press_step(key, old)
    low, high = pg.LIMITS[key]
    if up is None:
        assert old + step > high  # the widget disables +
    else:
        assert steps.nudged(key, old, old + step) == up
    if down is None:
        assert old - step < low
    else:
        assert steps.nudged(key, old, old - step) == down
    assert steps.nudged(key, old, 0.123) == 0.123  # typed: kept as typed


def test_beta_grids_average_over_1_2_5_times_ten_steps():
    assert {0.9, 0.99, 0.999, 0.9999} <= set(steps.GRIDS["beta2"])
    assert max(steps.GRIDS["beta1"]) == pg.LIMITS["beta1"][1]
    assert all(
        low <= v <= high for k, g in steps.GRIDS.items() for v in g for low, high in [pg.LIMITS[k]]
    )


# --- the page --------------------------------------------------------------------------------


def test_defaults_run_and_write_the_url():
    at = open_page()
    assert not at.exception
    assert not at.warning
    assert table_rows(at) == len(OPTIMIZERS)
    assert len(charts(at)) == 3  # race, bias corrections, Adam's steps
    assert url(at) == pg.to_query(pg.default_config())


@pytest.mark.parametrize("name", [n for n in SURFACES if n != "bowl"])
def test_each_surface(name):
    at = open_page()
    at.selectbox(key="pg_surface").set_value(name).run()
    assert not at.exception
    assert url(at) == pg.to_query(pg.default_config(name))
    assert table_rows(at) == len(OPTIMIZERS)


@pytest.mark.parametrize("key", list(pg.LESSONS))
def test_each_lesson(key):
    at = open_page()
    at.button(key=f"pg_lesson_{key}").click().run()
    assert not at.exception
    lesson = pg.LESSONS[key]
    assert url(at) == pg.to_query(lesson.config)
    assert any(lesson.title in info.value for info in at.info)
    assert table_rows(at) == len(lesson.config.racers)


def test_url_round_trip_through_the_page():
    cfg = replace(
        pg.default_config("rosenbrock"),
        steps=500,
        beta2=0.99,
        racers=(pg.Racer("gd", 0.0005), pg.Racer("rmsprop", 0.002)),
    )
    at = open_page(pg.to_query(cfg))
    assert not at.exception and not at.warning
    assert at.number_input(key="pg_lr_gd").value == 0.0005
    assert at.checkbox(key="pg_on_adam").value is False
    assert table_rows(at) == 2
    assert url(at) == pg.to_query(cfg)


def test_bad_url_parameters_warn_and_fall_back():
    params = {
        "surface": "beale",
        "steps": "-4",
        "lr": "abc,0.01,0.05,0.2",
        "beta1": "7",
        "bogus": "1",
    }
    at = open_page(params)
    assert not at.exception
    assert len(at.warning) == 1 and "bogus" in at.warning[0].value
    assert url(at) == pg.to_query(pg.default_config("beale"))


def test_a_change_updates_the_url_and_no_optimizer_is_a_warning():
    at = open_page()
    at.number_input(key="pg_beta1").set_value(0.5).run()
    assert url(at)["beta1"] == "0.5"
    for name in RULES:
        at.checkbox(key=f"pg_on_{name}").uncheck()
    at.run()
    assert not at.exception
    assert "at least one optimizer" in at.warning[0].value


def test_plus_on_alpha_and_beta2_lands_on_the_next_grid_value():
    at = open_page()
    at.number_input(key="pg_lr_adam").increment().run()  # 0.3 → 0.5
    at.number_input(key="pg_beta2").increment().run()  # 0.999 → 0.9995: + is never stuck
    at.number_input(key="pg_beta2").increment().run()  # → 0.9998
    assert not at.exception
    assert at.number_input(key="pg_lr_adam").value == 0.5
    assert at.number_input(key="pg_beta2").value == 0.9998
    assert url(at)["beta2"] == "0.9998" and url(at)["lr"].split(",")[3] == "0.5"
    at.number_input(key="pg_lr_adam").decrement().run()
    assert at.number_input(key="pg_lr_adam").value == 0.2
    at.number_input(key="pg_lr_adam").set_value(0.37).run()  # typed: exactly that
    assert at.number_input(key="pg_lr_adam").value == 0.37


def test_tuned_race_shows_each_chosen_alpha_and_the_loss_against_alpha():
    at = open_page()
    at.radio(key="pg_tune").set_value("final").run()
    assert not at.exception
    cfg = replace(pg.default_config(), tune="final")
    assert url(at) == pg.to_query(cfg)
    assert len(charts(at)) == 4  # race, tuning, bias corrections, Adam's steps
    assert all(at.number_input(key=f"pg_lr_{n}").disabled for n in OPTIMIZERS)
    scans = pg.tuned(cfg)
    shown = [row["α"] for row in at.table[0].value.to_dict("records")]
    assert shown == [f"{scans[n].best:g}" for n in OPTIMIZERS]
    assert any("lowest final" in c.value and "16 values" in c.value for c in at.caption)


def test_bias_lesson_and_the_uncorrected_adam_through_the_url():
    at = open_page()
    at.button(key="pg_lesson_bias").click().run()
    assert not at.exception
    assert at.checkbox(key="pg_on_adam_nobias").value is True
    assert url(at)["optimizer"] == "adam,adam_nobias"
    again = open_page(url(at))
    assert not again.exception and not again.warning
    assert table_rows(again) == 2
    assert len(charts(again)) == 3


@pytest.mark.parametrize(
    "params, word",
    [
        ({"tune": "maybe"}, "tune"),
        ({"optimizer": "gd,adamw", "lr": "0.1,0.1"}, "optimizer"),
        ({"beta2": "1"}, "beta2"),
        ({"optimizer": "gd,gd", "lr": "0.1,0.2"}, "racers"),
    ],
)
def test_bad_playground_parameters_warn_never_raise(params, word):
    at = open_page(params)
    assert not at.exception
    assert len(at.warning) == 1 and word in at.warning[0].value
    assert table_rows(at) >= 1


def test_reachable_through_the_app_router():
    app = str(Path(PAGE).parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at.switch_page("app_pages/playground.py").run()
    assert not at.exception
    assert at.title[0].value == "Optimizer playground"


def test_update_rules_typeset_from_the_registry_only_when_asked():
    at = open_page()
    assert len(at.latex) == 0
    at.toggle(key="pg_rules").set_value(True).run()
    assert not at.exception
    shown = [e.value.strip("$\n") for e in at.latex]
    assert shown == [line for r in RULES.values() for line in r.formula]


def test_decay_from_the_sidebar_reaches_the_url_the_table_and_back():
    at = open_page()
    assert at.number_input(key="pg_decay_rate").disabled  # constant: nothing to set
    at.selectbox(key="pg_decay").set_value("scheduled").run()
    at.number_input(key="pg_decay_interval").set_value(50).run()
    assert not at.exception
    assert not at.number_input(key="pg_decay_interval").disabled
    assert url(at)["decay"] == "scheduled" and url(at)["decay_interval"] == "50"
    cfg = replace(pg.default_config(), decay="scheduled", decay_interval=50)
    assert url(at) == pg.to_query(cfg)
    # α₀ = 1.8, rate 1, one step down every 50 updates: after 300 updates α = 1.8 / (1 + 5)
    gd = at.table[0].value.to_dict("records")[0]
    assert gd["α"] == "1.8 → 0.3"
    again = open_page(url(at))
    assert not again.exception and not again.warning
    assert again.selectbox(key="pg_decay").value == "scheduled"
    bad = open_page({"decay": "fast", "decay_interval": "0"})
    assert not bad.exception and len(bad.warning) == 1
    assert "decay" in bad.warning[0].value and url(bad) == pg.to_query(pg.default_config())
