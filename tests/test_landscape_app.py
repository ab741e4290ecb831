"""The lab's "Loss landscape" panel (app_pages/parts/landscape.py), driven by AppTest: hidden until
asked for, clean at the defaults, the centre run (λ) and the directions redraw it, and the lab's
epoch scrubber moves every run's marker."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.apptest import assert_clean, chart, charts, open_app, plotly_array

GRID = 51


def opened():
    at = open_app()
    at.toggle(key="landscape_show").set_value(True).run()
    assert_clean(at)
    return at


def surface(at) -> np.ndarray:
    """J over the grid, as the heatmap's hover gives it."""
    heatmap = next(t for t in chart(at, "landscape_map")["data"] if t["type"] == "heatmap")
    return plotly_array(heatmap["customdata"]).astype(float)


def markers(at) -> list[tuple[float, float]]:
    """Each run's filled marker: where it is at the scrubbed epoch."""
    traces = chart(at, "landscape_map")["data"]
    return [point(t) for t in traces if t.get("marker", {}).get("size") == 13]


def point(trace: dict) -> tuple[float, float]:
    return float(plotly_array(trace["x"])[0]), float(plotly_array(trace["y"])[0])


def test_panel_is_closed_by_default_and_opens_clean():
    at = open_app()
    assert_clean(at)
    assert "landscape_map" not in charts(at)
    at.toggle(key="landscape_show").set_value(True).run()
    assert_clean(at)
    spec = chart(at, "landscape_map")
    assert "run 1: λ 0's final weights" in spec["layout"]["title"]["text"]
    assert surface(at).shape == (GRID, GRID)
    names = {t.get("name") for t in spec["data"]}
    assert {"λ 0", "λ 0.7"} <= names
    assert any("L2 term (λ = 0)" in c.value for c in at.caption)


def test_switching_the_centre_run_shows_lambdas_bowl():
    at = opened()
    first = surface(at)
    at.selectbox(key="landscape_run").set_value(1).run()
    assert_clean(at)
    assert "(J with its λ = 0.7)" in chart(at, "landscape_map")["layout"]["title"]["text"]
    second = surface(at)
    mid = GRID // 2
    assert second[mid, mid] != pytest.approx(first[mid, mid])


def test_random_directions_follow_their_seed_which_pca_does_not_use():
    at = opened()
    assert at.number_input(key="landscape_seed").disabled  # PCA by default
    assert "PC 1" in chart(at, "landscape_map")["layout"]["xaxis"]["title"]["text"]
    at.button_group(key="landscape_directions").set_value("random").run()
    assert_clean(at)
    assert not at.number_input(key="landscape_seed").disabled
    assert "random" in chart(at, "landscape_map")["layout"]["xaxis"]["title"]["text"]
    first = surface(at)
    at.number_input(key="landscape_seed").set_value(3).run()
    assert_clean(at)
    assert not np.allclose(surface(at), first)


def test_the_scrubber_moves_every_runs_marker():
    at = opened()
    end = markers(at)
    at.select_slider(key="scrub").set_value(0).run()
    assert_clean(at)
    start = markers(at)
    assert len(start) == len(end) == 2
    assert start != end
    assert any("epoch 0" in c.value for c in at.caption)
    starts = [
        point(t)
        for t in chart(at, "landscape_map")["data"]
        if t.get("marker", {}).get("symbol") == "circle-open"
    ]
    assert start == starts  # at epoch 0 each run is at its start
