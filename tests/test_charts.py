"""The pages' chart component (app_pages/parts/charts.py): what it sends is the figure plotly.py
wrote, in Streamlit's look from the theme options, for the plotly.js bundle in static/ that the
manifest describes and deploy/update_bundle.py fetches (the browser half: tests/test_browser.py).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.offline
import pytest

from app_pages.parts import charts
from deploy import update_bundle
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


# --- the bundle: what the manifest records is what is on disk, and what plotly.py writes for ----


def test_the_files_on_disk_are_the_ones_the_manifest_records():
    manifest = charts.MANIFEST
    for name, digest in (
        (manifest["bundle"], "bundle_sha256"),
        (manifest["license"], "license_sha256"),
    ):
        assert hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest() == manifest[digest]
    head = BUNDLE.read_text(encoding="utf-8")[:200]  # the bundle's own banner names its version
    assert f"plotly.js (cartesian - minified) v{manifest['version']}\n" in head
    assert manifest["bundle"] == f"plotly-cartesian-{manifest['version']}.min.js"
    assert [p.name for p in (ROOT / "static").glob("*.min.js")] == [manifest["bundle"]]
    assert manifest["tarball"].startswith(f"{update_bundle.REGISTRY}/{manifest['package']}/-/")
    assert (ROOT / "static" / manifest["license"]).read_text().startswith("MIT License")


def test_the_bundle_is_the_plotly_js_that_plotly_py_writes_for():
    assert charts.MANIFEST["version"] == plotly.offline.get_plotlyjs_version()
    assert charts.bundle_mismatch() is None


def test_requirements_pin_the_minor_version_of_plotly_that_is_installed():
    """A newer plotly.py may write for a newer plotly.js: it comes with a new bundle."""
    major, minor = (int(v) for v in plotly.__version__.split(".")[:2])
    pins = [
        line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
    ]
    assert f"plotly>={major}.{minor},<{major}.{minor + 1}" in pins


def test_another_plotly_py_is_told_in_one_line(monkeypatch):
    monkeypatch.setattr(plotly.offline, "get_plotlyjs_version", lambda: "9.1.0")
    said = charts.bundle_mismatch()
    assert said is not None and "\n" not in said
    assert f"plotly.js {charts.MANIFEST['version']}" in said and "plotly.js 9.1.0" in said
    assert "deploy/update_bundle.py" in said


def npm_package(version: str, readme: str) -> tuple[bytes, dict]:
    """A tarball laid out as npm's, and the registry's metadata for it."""
    files = {
        "package/plotly-cartesian.min.js": f"/* plotly.js v{version} */".encode(),
        "package/LICENSE": b"MIT License\n",
        "package/README.md": readme.encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tarball = buffer.getvalue()
    sri = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    url = f"{update_bundle.REGISTRY}/{update_bundle.PACKAGE}/-/x-{version}.tgz"
    meta = {"main": "plotly-cartesian.min.js", "dist": {"tarball": url, "integrity": sri}}
    return tarball, meta


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """update_bundle against a registry that serves one made-up version, into a scratch static/."""
    readme = "# plotly.js\n\nContains trace modules `scatter`, `bar` and `heatmap`.\n"
    tarball, meta = npm_package("9.1.0", readme)
    served = {f"{update_bundle.REGISTRY}/{update_bundle.PACKAGE}/9.1.0": json.dumps(meta).encode()}
    served[meta["dist"]["tarball"]] = tarball
    monkeypatch.setattr(update_bundle, "fetch", served.__getitem__)
    monkeypatch.setattr(update_bundle, "STATIC", tmp_path)
    monkeypatch.setattr(update_bundle, "MANIFEST", tmp_path / "plotly-cartesian.json")
    (tmp_path / "plotly-cartesian-1.0.0.min.js").write_text("the previous bundle")
    return served, meta


def test_the_update_script_writes_the_bundle_and_its_manifest(registry, tmp_path):
    served, meta = registry
    manifest = update_bundle.update("9.1.0")
    assert json.loads((tmp_path / "plotly-cartesian.json").read_text()) == manifest
    assert sorted(p.name for p in tmp_path.glob("*.min.js")) == ["plotly-cartesian-9.1.0.min.js"]
    bundle = (tmp_path / "plotly-cartesian-9.1.0.min.js").read_bytes()
    assert bundle == b"/* plotly.js v9.1.0 */"
    assert manifest["bundle_sha256"] == hashlib.sha256(bundle).hexdigest()
    assert manifest["integrity"] == meta["dist"]["integrity"]
    assert manifest["traces"] == ["bar", "heatmap", "scatter"]


def test_the_update_script_refuses_a_tarball_that_is_not_the_registrys(registry, tmp_path):
    served, meta = registry
    served[meta["dist"]["tarball"]] += b"\0"
    with pytest.raises(SystemExit, match="sha512"):
        update_bundle.update("9.1.0")
    assert not (tmp_path / "plotly-cartesian.json").exists()


# --- what is sent: plotly.py's JSON, the theme's template, trace types the bundle draws ---------


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
    assert "selects" not in sent and json.loads(charts.payload(fig, selects=True))["selects"]


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


def test_a_trace_type_the_bundle_cannot_draw_is_refused_by_its_name():
    with pytest.raises(ValueError, match="cannot draw 'scatter3d' traces"):
        charts.payload(go.Figure(go.Scatter3d(x=[0], y=[0], z=[0])))
    animated = {"data": [{"type": "bar", "y": [1]}], "frames": [{"data": [{"type": "surface"}]}]}
    with pytest.raises(ValueError, match="'surface'"):
        charts.payload(animated)


def test_every_trace_type_the_bundle_registers_is_sent():
    for kind in sorted(charts.TRACES):
        assert json.loads(charts.payload({"data": [{"type": kind}]}))["data"][0]["type"] == kind
    assert json.loads(charts.payload({"data": [{"y": [1, 2]}]}))["data"]  # scatter, unnamed


# The look st.plotly_chart's frontend gave a chart on the app's theme (.streamlit/config.toml), as
# it was copied by hand from the browser before the template was built from the theme's options.
LIGHT = {
    "font": {"color": "#808495", "family": '"Source Sans", sans-serif', "size": 12},
    "title": {"font": {"family": '"Source Sans", sans-serif', "size": 16, "color": "#1A1A1A"}},
    "legend": {"font": {"size": 12, "color": "#262730"}, "bordercolor": "transparent"},
    "paper_bgcolor": "#FFFFFF",
    "plot_bgcolor": "#FFFFFF",
    "xaxis": {"gridcolor": "#e6eaf1", "tickfont": {"color": "#808495", "size": 12}},
    "yaxis": {"gridcolor": "#e6eaf1", "title": {"font": {"color": "#808495", "size": 14}}},
    "hoverlabel": {"bgcolor": "#FFFFFF", "bordercolor": "rgba(26, 26, 26, 0.2)"},
}


def contains(whole: dict, part: dict) -> bool:
    return all(
        contains(whole.get(k, {}), v) if isinstance(v, dict) else whole.get(k) == v
        for k, v in part.items()
    )


def themed(monkeypatch, **options) -> dict:
    """The template built with these theme options set and every other one unset."""
    monkeypatch.setattr(charts.st, "get_option", lambda name: options.get(name.split(".")[1]))
    return charts.template()["layout"]


def test_the_template_is_the_apps_theme_as_st_plotly_chart_draws_it():
    assert contains(charts.TEMPLATE["layout"], LIGHT)


def test_unset_theme_options_fall_back_to_the_apps_look(monkeypatch):
    assert contains(themed(monkeypatch), LIGHT)


def test_the_template_follows_the_theme_options(monkeypatch):
    layout = themed(
        monkeypatch, textColor="#fafafa", backgroundColor="#0e1117", font="serif", baseFontSize=20
    )
    assert layout["title"]["font"] == {
        "family": '"Source Serif", serif',
        "size": 20,
        "color": "#fafafa",
    }
    assert layout["paper_bgcolor"] == layout["plot_bgcolor"] == "#0e1117"
    assert layout["hoverlabel"]["bordercolor"] == "rgba(250, 250, 250, 0.2)"
    # on a dark background Streamlit's lighter grays: faded text gray30, grid gray85
    assert layout["yaxis"]["tickfont"] == {"color": "#e6eaf1", "size": 15}  # 0.75 rem
    assert layout["yaxis"]["title"]["font"]["size"] == 18  # 0.875 rem
    assert layout["yaxis"]["gridcolor"] == "#31333F"
    assert themed(monkeypatch, borderColor="#ff0000")["hoverlabel"]["bordercolor"] == "#ff0000"
    assert themed(monkeypatch, font="Inter, sans-serif")["font"]["family"] == "Inter, sans-serif"
