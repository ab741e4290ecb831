"""The lab's chart component (app_pages/parts/charts.py): what it sends is the figure plotly.py
wrote,
drawn by the plotly.js bundle in static/ (the browser half: tests/test_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import plotly.offline
import pytest

from app_pages.parts import charts
from nnviz.engine.train import run_experiment
from nnviz.models import lab_model as lab
from nnviz.models import playground_settings as pg
from nnviz.views import figures
from nnviz.views.curves import cost_figure
from nnviz.views.playground_figures import race_figure
from tests.helpers.apptest import charts as page_charts
from tests.helpers.apptest import open_app

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "static" / charts.BUNDLE
# Streamlit's Plotly template holds stand-in colors (#000001 ... #000040) that only
# st.plotly_chart's frontend replaces with the theme's; drawn as they are, text and grid go black
STAND_IN = re.compile(r"#0000[0-4][0-9]\b")


@pytest.fixture(scope="module")
def trained():
    data = lab.load_dataset(lab.DEFAULT)
    return data, run_experiment(lab.DEFAULT.with_runs(lab.DEFAULT.runs[0]), data)


def test_the_bundle_is_plotly_js_of_the_major_version_plotly_py_writes_for():
    head = BUNDLE.read_text(encoding="utf-8")[:200]
    found = re.search(r"plotly\.js \(cartesian - minified\) v(\d+)\.(\d+)\.(\d+)", head)
    assert found, head
    assert charts.BUNDLE == f"plotly-cartesian-{'.'.join(found.groups())}.min.js"
    assert found.group(1) == plotly.offline.get_plotlyjs_version().split(".")[0]
    assert (ROOT / "static" / "plotly-cartesian.LICENSE.txt").read_text().startswith("MIT License")


def test_the_payload_is_plotly_pys_own_json_of_the_figure(trained):
    data, (history,) = trained
    fig = figures.boundary_figure(history, data, "λ 0", 0)
    sent = json.loads(charts.payload(fig, figures.PLOT_CONFIG, alt="run 1: λ 0"))
    written = json.loads(fig.to_json())  # plotly.py's serializer, not the one under test
    assert sent["data"] == written["data"]
    assert {k: v for k, v in sent["layout"].items() if k != "template"} == {
        k: v for k, v in written["layout"].items() if k != "template"
    }
    assert sent["config"] == figures.PLOT_CONFIG and sent["alt"] == "run 1: λ 0"
    assert "frames" not in sent and "clicks" not in sent
    assert json.loads(charts.payload(fig, clicks=True))["clicks"] is True  # reports its clicks


def test_the_payload_keeps_the_playgrounds_animation_frames():
    cfg = pg.Playground()
    surface = pg.build_surface(cfg)
    fig = race_figure(surface, pg.grid(surface), pg.run(cfg, pg.tuned(cfg)))
    assert fig.frames, "the race is animated"
    sent = json.loads(charts.payload(fig))
    assert len(sent["frames"]) == len(fig.frames)
    assert sent["frames"] == json.loads(fig.to_json())["frames"]
    assert sent["config"] == {"displaylogo": False}


def test_no_stand_in_color_of_streamlits_theme_reaches_the_browser(trained):
    data, (history,) = trained
    for fig in (figures.boundary_figure(history, data, "λ 0", 0), cost_figure([history], ["a"])):
        assert STAND_IN.search(fig.to_json())  # Streamlit's template is the default here
        assert not STAND_IN.search(charts.payload(fig).decode())


def test_every_chart_of_the_lab_page_comes_without_stand_in_colors():
    at = open_app()
    drawn = page_charts(at)
    assert {"boundary_0", "cost", "accuracy"} <= set(drawn)
    for key, spec in drawn.items():
        assert not STAND_IN.search(json.dumps(spec)), key
        assert spec["layout"]["template"] == charts.TEMPLATE, key


def test_a_dict_figure_is_sent_as_it_is():
    spec = {"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}], "layout": {"height": 200}}
    sent = json.loads(charts.payload(spec))
    assert sent["data"] == spec["data"] and sent["layout"]["height"] == 200
    assert json.loads(charts.payload(go.Figure(spec)))["data"][0]["y"] == [3, 4]
