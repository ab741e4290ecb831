"""The lab's "Inside the network" panel (app_pages/parts/inside.py), driven by AppTest: hidden until
asked
for, clean at the defaults, every control, the deep-initialization lesson opening it, and a run
without a hidden layer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from nnviz.engine.lessons import LESSONS
from tests.helpers.apptest import chart
from tests.helpers.apptest import charts as drawn

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SHORT = {"epochs": "30,30"}
PANEL_CHARTS = {"inside_network", "inside_unit_map", "inside_maps", "inside_acts", "inside_norms"}


def open_app(params: dict[str, str] = SHORT) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def charts(at: AppTest) -> set[str]:
    return set(drawn(at))


def spec(at: AppTest, key: str) -> dict:
    return chart(at, key)


def opened(params: dict[str, str] = SHORT) -> AppTest:
    at = open_app(params)
    at.toggle(key="inside_show").set_value(True).run()
    assert_clean(at)
    return at


def test_panel_is_closed_by_default_and_opens_clean():
    at = open_app()
    assert_clean(at)
    assert not charts(at) & PANEL_CHARTS
    at.toggle(key="inside_show").set_value(True).run()
    assert_clean(at)
    assert PANEL_CHARTS <= charts(at)
    # the defaults' last snapshot: epoch 30, the run's own weights in the diagram
    assert "epoch 30" in spec(at, "inside_network")["layout"]["title"]["text"]
    table = at.table[-1].value
    assert list(table["layer"]) == [1, 2] and "‖dW[l]‖" in table.columns


def test_links_switch_between_weights_and_gradients():
    at = opened()
    assert "weights W" in spec(at, "inside_network")["layout"]["title"]["text"]
    at.button_group(key="inside_links").set_value("dW").run()
    assert_clean(at)
    assert "gradients dW" in spec(at, "inside_network")["layout"]["title"]["text"]


def test_run_epoch_and_unit_choices_redraw_the_panel():
    at = opened()
    at.selectbox(key="inside_run").set_value(1).run()
    at.select_slider(key="scrub").set_value(0).run()  # the lab's epoch scrubber drives the panel
    assert_clean(at)
    assert any("Run at epoch 0" in c.value and "scrubber" in c.value for c in at.caption)
    assert "epoch 0:" in spec(at, "inside_network")["layout"]["title"]["text"]
    at.selectbox(key="inside_unit").set_value((2, 3)).run()
    assert_clean(at)
    title = spec(at, "inside_unit_map")["layout"]["title"]["text"]
    assert title == "Layer 2, unit 3 at epoch 0"


def test_the_deep_initialization_lesson_opens_the_panel(monkeypatch):
    lesson = LESSONS["deep_initialization"]
    runs = tuple(replace(r, epochs=20) for r in lesson.experiment.runs)
    monkeypatch.setitem(
        LESSONS, lesson.key, replace(lesson, experiment=lesson.experiment.with_runs(*runs))
    )
    at = open_app()
    at.button(key="lesson_deep_initialization").click().run()
    assert_clean(at)
    assert at.toggle(key="inside_show").value
    acts = spec(at, "inside_acts")
    assert len(acts["data"]) == 4 * 5  # every run, every hidden layer
    notes = [a["text"] for a in acts["layout"]["annotations"]]
    assert all(label in " ".join(notes) for label in lesson.labels)


def test_a_chosen_run_that_disappears_falls_back_to_the_first(monkeypatch):
    for key in ("deep_initialization", "initialization"):
        lesson = LESSONS[key]
        runs = tuple(replace(r, epochs=20) for r in lesson.experiment.runs)
        monkeypatch.setitem(
            LESSONS, key, replace(lesson, experiment=lesson.experiment.with_runs(*runs))
        )
    at = open_app()
    at.button(key="lesson_deep_initialization").click().run()
    at.selectbox(key="inside_run").set_value(3).run()  # the fourth of four runs
    assert_clean(at)
    at.button(key="lesson_initialization").click().run()  # three runs
    assert_clean(at)
    assert at.selectbox(key="inside_run").value == 0


def test_a_run_without_hidden_layers_says_so():
    at = opened({"hidden": ",", "epochs": "20,20"})
    assert "inside_maps" not in charts(at)
    assert any("no hidden layer" in i.value for i in at.info)
