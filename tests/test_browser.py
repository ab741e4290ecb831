"""The app in a real browser: Debian's Chromium, driven by Playwright, against ``streamlit run``.

What AppTest cannot see: that the page's JavaScript draws every chart, that a slider and a button
really reach the server and come back as a redrawn chart, that Plotly's own Play button animates
the playground, and what the pages look like (screenshots in artifacts/browser/, to be looked at).

Elements are found by the keys the pages give them (Streamlit puts ``st-key-<key>`` on each keyed
element's container) and by Streamlit's data-testid names; the number of charts to expect comes from
the same experiment and config objects the pages are built from. No timing is asserted here:
benchmarks/app_latency.py measures it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from app_pages.parts.charts import BUNDLE, TRACES
from nnviz.engine.config import Experiment
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import run_experiment
from nnviz.models import lab_model as lab
from nnviz.models import playground_settings as pg
from nnviz.models.script_export import script
from tests.helpers.browser import (
    lab_chart_keys,
    playground_chart_keys,
    point_at,
    serve,
    signature,
    wait_changed,
    wait_ready,
)

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
SIZES = {
    "1280x800": (1280, 800),
    "1920x1080": (1920, 1080),
    "1024x768": (1024, 768),
    "390x844": (390, 844),  # a phone: one column
}
LAB_KEYS = lab_chart_keys(lab.DEFAULT)
PLAYGROUND_KEYS = playground_chart_keys(pg.default_config())


# --- fixtures: one server and one browser for the module, a fresh context per page ---------------


@pytest.fixture(scope="module")
def server(chromium: str) -> Iterator[str]:
    with serve(timeout=60) as url:
        yield url


@dataclass
class Tab:
    """A page plus what it did that the DOM doesn't show."""

    page: Page
    js_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # requests that left the app's own server

    def assert_clean(self) -> None:
        """No Python exception, no st.error, no uncaught JavaScript error, no outside request."""
        for testid in ("stException", "stAlertContentError"):
            shown = self.page.locator(f'[data-testid="{testid}"]')
            assert shown.count() == 0, shown.all_inner_texts()
        assert not self.js_errors
        assert not self.outside


@pytest.fixture
def open_tab(browser: Browser, server: str) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def open_(path: str, size: str = "1280x800") -> Tab:
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("pageerror", lambda error: tab.js_errors.append(error.message))
        local = (server, "data:", "blob:")
        tab.page.on(
            "request",
            lambda r: None if r.url.startswith(local) else tab.outside.append(r.url),
        )
        tab.page.goto(server + path)
        return tab

    yield open_
    for context in contexts:
        context.close()


def button(page: Page, key: str):
    """The button with this key (Streamlit also renders a hidden copy of some, to measure them)."""
    return page.locator(f".st-key-{key}").get_by_role("button")


def popover(page: Page, text: str):
    """The sidebar popover whose label (a summary of its settings) contains ``text``."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stPopover"] button', has_text=text)


def assert_margins_held(page: Page, keys: list[str]) -> None:
    """Plotly did not have to widen any margin for ticks, titles or legend: a widened margin means
    the chart was drawn again (and again), which made opening the lab twice as slow."""
    widened = page.evaluate(
        """keys => keys.flatMap(k => {
            const gd = document.querySelector(`.st-key-${k} .js-plotly-plot`);
            const asked = gd.layout.margin, got = gd._fullLayout._size;
            return ['l', 'r', 't', 'b'].filter(s => got[s] > asked[s] + 0.5)
                .map(s => `${k}.${s}: ${asked[s]} → ${got[s]}`);
        })""",
        keys,
    )
    assert widened == []


def charts(page: Page) -> int:
    return page.locator(".js-plotly-plot").count()


def draws(page: Page, key: str) -> int:
    """How many times the chart component has drawn this chart (its data-drawn)."""
    return int(page.locator(f".st-key-{key} .js-plotly-plot").get_attribute("data-drawn"))


def screenshots(page: Page, name: str, full: bool = True) -> None:
    """What fits in the window, and the whole page (Streamlit scrolls inside stMain, so the window
    is made as tall as the page for the second one)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png")
    if not full:
        return
    window = page.viewport_size
    tall = page.evaluate(
        """Math.max(...['stMain', 'stSidebarContent'].map(
            id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))"""
    )
    page.set_viewport_size({"width": window["width"], "height": max(tall, window["height"])})
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=SHOTS / f"{name}-full.png")
    page.set_viewport_size(window)


def table_text(page: Page) -> str:
    """The final numbers, as the page shows them."""
    return page.locator(".st-key-final_numbers table").inner_text()


# --- the training lab -----------------------------------------------------------------------------


@pytest.mark.parametrize("present", [False, True], ids=["normal", "present"])
@pytest.mark.parametrize("size", SIZES)
def test_lab_draws_every_chart_without_errors(open_tab, size, present):
    tab = open_tab("/?present=1" if present else "/", size)
    wait_ready(tab.page, LAB_KEYS)
    tab.assert_clean()
    assert charts(tab.page) == len(lab.DEFAULT.runs) + 2  # a boundary per run, cost, accuracy
    text = table_text(tab.page)
    assert all(label in text for label in lab.run_labels(lab.DEFAULT))
    assert_nothing_cut_off(tab.page)
    if size in ("1280x800", "1920x1080"):
        assert_margins_held(tab.page, LAB_KEYS)
    screenshots(tab.page, f"lab-{'present-' if present else ''}{size}")


def test_lab_draws_with_the_cartesian_bundle_alone(open_tab):
    """The lab's charts come from static/'s plotly.js (1.4 MB), never Streamlit's 4.5 MB chunk;
    it registers every trace type the page draws, and exactly those its manifest lists."""
    tab = open_tab("/")
    wait_ready(tab.page, LAB_KEYS)
    tab.assert_clean()
    loaded = tab.page.evaluate(
        "performance.getEntriesByType('resource').map(r => new URL(r.name).pathname)"
    )
    assert f"/app/static/{BUNDLE}" in loaded
    assert not [p for p in loaded if "PlotlyChart" in p], loaded
    drawn, known = tab.page.evaluate(
        """[[...new Set([...document.querySelectorAll('.js-plotly-plot')]
                .flatMap(el => el.data.map(t => t.type || 'scatter')))],
            Object.keys(Plotly.PlotSchema.get().traces)]"""
    )
    assert {"heatmap", "scatter"} <= set(drawn) and set(drawn) <= set(known), (drawn, known)
    assert set(known) == TRACES


def box(page: Page, key: str) -> dict:
    return page.locator(f".st-key-{key} .js-plotly-plot").bounding_box()


def assert_nothing_cut_off(page: Page) -> None:
    """No element of the main column reaches past the window's right edge."""
    width = page.viewport_size["width"]
    widest = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stElementContainer"]')]
            .map(e => e.getBoundingClientRect().right))"""
    )
    assert widest <= width + 1, (widest, width)


FOUR_RUNS = lab.DEFAULT.with_runs(
    *(replace(lab.DEFAULT.runs[0], lambd=v, epochs=50) for v in (0.0, 0.1, 0.7, 2.0))
)


@pytest.mark.parametrize("size", ["1024x768", "1280x800", "1920x1080"])
@pytest.mark.parametrize("exp", [lab.DEFAULT, FOUR_RUNS, LESSONS["optimization"].experiment])
def test_every_runs_boundary_is_side_by_side_in_the_first_screen(open_tab, size, exp):
    tab = open_tab("/?" + urlencode(lab.url_params(exp)), size)
    keys = lab_chart_keys(exp)
    wait_ready(tab.page, keys, timeout=120_000)
    tab.assert_clean()
    width, height = SIZES[size]
    boxes = [box(tab.page, f"boundary_{i}") for i in range(len(exp.runs))]
    for b in boxes:
        assert b["x"] >= 0 and b["x"] + b["width"] <= width
        assert b["y"] >= 0 and b["y"] + b["height"] <= height  # no scrolling needed
        assert b["width"] >= 0.9 * boxes[0]["width"]  # equal columns
    assert len({round(b["y"]) for b in boxes}) == 1  # one row
    assert all(a["x"] + a["width"] <= b["x"] for a, b in zip(boxes, boxes[1:]))
    for key in ("cost", "accuracy"):  # the learning curves below them, begun in the first screen
        curves = box(tab.page, key)
        assert curves["y"] >= max(b["y"] + b["height"] for b in boxes) and curves["y"] < height
    if exp == lab.DEFAULT:
        screenshots(tab.page, f"lab-first-screen-{size}", full=False)


# each boundary's plot area (the part inside the axes), at least this many px on its short side
# at 1920×1080, by number of runs: the boundaries a projector shows must be seen from the back
PROJECTOR_SHORT_SIDE = {1: 400, 2: 400, 3: 330}
ONE_RUN = lab.DEFAULT.with_runs(lab.DEFAULT.runs[0])  # as wide as the page: the window's height
_PLOT_AREAS = """n => [...Array(n).keys()].map(i => {
    const gd = document.querySelector(`.st-key-boundary_${i} .js-plotly-plot`);
    const full = gd._fullLayout, box = gd.getBoundingClientRect();
    return {w: full.xaxis._length, h: full.yaxis._length, room: [full._size.w, full._size.h],
            bottom: box.bottom,
            laid: Math.abs(full.width - box.width) < 1 && Math.abs(full.height - box.height) < 1};
})"""


def plot_areas(page: Page, n: int) -> list[dict]:
    """Every boundary's plot area once Plotly has laid each out at its element's size: ``w``,
    ``h`` as drawn (with equal x₁/x₂ scales the axes may use less than ``room``, Plotly's
    ``_size`` inside the margins), and the chart's ``bottom`` in the window."""
    page.wait_for_function(f"n => ({_PLOT_AREAS})(n).every(a => a.laid)", arg=n)
    return page.evaluate(_PLOT_AREAS, n)


@pytest.mark.parametrize("present", [False, True], ids=["normal", "present"])
@pytest.mark.parametrize(
    "exp",
    [
        ONE_RUN,
        lab.DEFAULT,
        LESSONS["initialization"].experiment,  # circles: about as high as wide
        LESSONS["optimization"].experiment,  # moons: flat
    ],
    ids=["one-run", "default", "initialization", "optimization"],
)
def test_boundaries_grow_with_a_projectors_screen(open_tab, exp, present):
    """At 1920×1080 every boundary is large and in the first screen, in both modes: two runs
    at least 400 px on the plot's short side, three at least 330; as high as its column's width
    gives, without a blank band below the plot, unless the window's height stops it first."""
    query = lab.url_params(exp) | ({"present": "1"} if present else {})
    tab = open_tab("/?" + urlencode(query), "1920x1080")
    wait_ready(tab.page, lab_chart_keys(exp), timeout=120_000)
    tab.assert_clean()
    for area in plot_areas(tab.page, len(exp.runs)):
        assert min(area["w"], area["h"]) >= PROJECTOR_SHORT_SIDE[len(exp.runs)], area
        assert area["bottom"] <= SIZES["1920x1080"][1], area  # no scrolling to see it
        if exp != ONE_RUN:  # its width would make it higher than the window
            assert area["room"][1] - area["h"] <= 1, area


def test_presentation_mode_hides_the_controls_and_enlarges_the_text(open_tab):
    tab = open_tab("/?present=1", "1920x1080")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    tab.assert_clean()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator(".st-key-run0_lambd")).to_have_count(0)
    ticks = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.js-plotly-plot .xtick text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize)))"""
    )
    assert ticks >= 18
    assert_margins_held(page, LAB_KEYS)
    screenshots(page, "lab-present-1920x1080", full=False)
    page.locator(".st-key-present label").click()  # back: the controls return
    expect(page.locator(".st-key-run0_lambd")).to_have_count(1, timeout=60_000)
    wait_ready(page, LAB_KEYS)
    tab.assert_clean()


def test_lab_lambda_slider_redraws_that_runs_boundary_by_itself(open_tab):
    tab = open_tab("/")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    before = [signature(page, f"boundary_{i}") for i in range(len(lab.DEFAULT.runs))]
    drawn = draws(page, "boundary_0")
    run0 = lab.DEFAULT.runs[0]
    new = lab.LAMBDA_CHOICES[lab.LAMBDA_CHOICES.index(run0.lambd) + 1]

    slider = page.locator(".st-key-run0_lambd").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")  # and nothing else: no button to press
    expect(slider).to_have_attribute("aria-valuetext", lab.fmt(new))

    wait_changed(page, "boundary_0", before[0])
    wait_ready(page, LAB_KEYS)
    tab.assert_clean()
    assert draws(page, "boundary_0") > drawn  # the same chart, drawn again in place
    assert signature(page, "boundary_1") == before[1]  # runs train together, each as if alone
    changed = lab.DEFAULT.with_runs(replace(run0, lambd=new), *lab.DEFAULT.runs[1:])
    assert lab.run_labels(changed)[0] in table_text(page)
    assert page.url.endswith(urlencode(lab.url_params(changed)))  # the address bar follows


def test_a_runs_popover_setting_retrains_that_run(open_tab):
    tab = open_tab("/")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    before = [signature(page, f"boundary_{i}") for i in range(len(lab.DEFAULT.runs))]
    expect(page.locator(".st-key-run0_keep_prob")).to_have_count(0)  # not drawn until opened
    popover(page, "Adam").first.click()  # run 1's optimizer, init, dropout, decay, β₁, β₂, ε
    slider = page.locator(".st-key-run0_keep_prob").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")  # keep_prob 1 → 0.95: dropout on
    wait_changed(page, "boundary_0", before[0])
    wait_ready(page, LAB_KEYS)
    tab.assert_clean()
    assert signature(page, "boundary_1") == before[1]
    expect(popover(page, "keep_prob 0.95")).to_have_count(1)  # its label says what changed


def test_downloads_are_made_when_clicked(open_tab):
    """The page only registers its files; a click makes them on the server (deferred), and
    what arrives is the experiment's config and every run's curves."""
    tab = open_tab("/")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    page.locator('[data-testid="stPopover"] button', has_text="Download").click()
    got = {}
    for key in ("download_config", "download_curves", "download_script_1"):
        with page.expect_download() as info:
            button(page, key).click()
        got[key] = Path(info.value.path()).read_text()
    assert Experiment.from_json(got["download_config"]) == lab.DEFAULT
    assert got["download_script_1"] == script(
        lab.DEFAULT, 1, file_name=info.value.suggested_filename
    )
    rows = got["download_curves"].splitlines()
    assert rows[0].split(",")[:3] == ["run", "label", "epoch"]
    assert len(rows) == 1 + sum(len(h.epochs) for h in run_experiment(lab.DEFAULT))
    tab.assert_clean()


def test_a_newer_change_supersedes_a_training_in_progress(open_tab):
    long = lab.DEFAULT.with_runs(*(replace(r, epochs=5000) for r in lab.DEFAULT.runs))
    tab = open_tab("/?" + urlencode(lab.url_params(replace(long, seed=77))))  # not trained yet
    page = tab.page
    progress = page.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text("epoch", timeout=60_000)  # training, drawn as it goes
    page.locator("[class*='st-key-boundary_0_live']").first.wait_for(timeout=60_000)
    popover(page, "epochs").click()  # the network's settings, in the popover named by them
    slider = page.locator(".st-key-epochs").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")  # the shortest training instead: supersedes the long one
    shortest = lab.EPOCH_CHOICES[0]
    short = long.with_runs(*(replace(r, epochs=shortest) for r in long.runs))
    wait_ready(page, lab_chart_keys(short), timeout=60_000)
    tab.assert_clean()
    scrub = page.locator(".st-key-scrub").get_by_role("slider")
    expect(scrub).to_have_attribute("aria-valuetext", f"{shortest:,}")
    assert "epochs=" + f"{shortest}%2C{shortest}" in page.url


def test_lab_log_scale_toggle_redraws_the_cost_axis(open_tab):
    tab = open_tab("/")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    # null-safe: the redrawn chart replaces the old one, which is briefly not in the page
    y_type = "document.querySelector('.st-key-cost .js-plotly-plot')?.layout?.yaxis?.type"
    assert page.evaluate(y_type) != "log"
    page.locator(".st-key-cost_scale button", has_text="log").click()
    page.wait_for_function(f"() => {y_type} === 'log'")
    wait_ready(page, LAB_KEYS)
    tab.assert_clean()


def test_lab_lesson_button_trains_the_lessons_runs(open_tab):
    lesson = LESSONS["initialization"]  # the quickest of the three to train
    tab = open_tab("/")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    button(page, f"lesson_{lesson.key}").click()
    wait_ready(page, lab_chart_keys(lesson.experiment), timeout=120_000)
    tab.assert_clean()
    assert charts(page) == len(lesson.experiment.runs) + 2
    expect(page.locator('[data-testid="stAlertContentInfo"]').first).to_contain_text(lesson.title)
    text = table_text(page)
    assert all(label in text for label in lab.run_labels(lesson.experiment))


INSIDE_KEYS = ["inside_network", "inside_unit_map", "inside_maps", "inside_acts", "inside_norms"]


@pytest.mark.parametrize("size", ["1280x800", "1920x1080"])
def test_deep_initialization_lesson_opens_inside_the_network(open_tab, size):
    lesson = LESSONS["deep_initialization"]
    tab = open_tab("/", size)
    page = tab.page
    wait_ready(page, LAB_KEYS)
    button(page, f"lesson_{lesson.key}").click()
    wait_ready(page, lab_chart_keys(lesson.experiment) + INSIDE_KEYS, timeout=180_000)
    tab.assert_clean()
    acts = page.locator(".st-key-inside_acts")
    acts.scroll_into_view_if_needed()
    for label in lesson.labels:  # one row of layer histograms per run
        expect(acts).to_contain_text(label)
    if size == "1280x800":  # four runs: the curves' legend takes two rows
        assert_margins_held(page, lab_chart_keys(lesson.experiment) + INSIDE_KEYS)
    screenshots(page, f"inside-deep-lesson-{size}")


def test_a_click_on_a_hidden_unit_of_the_diagram_shows_its_map(open_tab):
    lesson = LESSONS["deep_initialization"]
    tab = open_tab("/", "1920x1080")
    page = tab.page
    wait_ready(page, LAB_KEYS)
    button(page, f"lesson_{lesson.key}").click()
    wait_ready(page, lab_chart_keys(lesson.experiment) + INSIDE_KEYS, timeout=180_000)
    chosen = page.locator(".st-key-inside_unit").get_by_role("combobox")
    before = chosen.input_value()
    page.locator(".st-key-inside_network").scroll_into_view_if_needed()
    # a hidden unit other than the chosen one (customdata = (layer, unit)), in data coordinates
    node = page.evaluate(
        """(before) => {
        const gd = document.querySelector('.st-key-inside_network .js-plotly-plot');
        const i = gd._fullData.findIndex(t => t.customdata && t.customdata.length);
        const units = gd._fullData[i].customdata;
        const label = (u) => `layer ${Number(u[0])}, unit ${Number(u[1])}`;
        const k = [...units.keys()].find(j => units[j][0] > 0 && label(units[j]) !== before);
        return {x: gd.calcdata[i][k].x, y: gd.calcdata[i][k].y,
                unit: [Number(units[k][0]), Number(units[k][1])]};
        }""",
        before,
    )
    target = point_at(page, "inside_network", node["x"], node["y"])
    page.mouse.click(target["x"], target["y"])
    layer, unit = node["unit"]
    expect(chosen).to_have_value(f"layer {layer}, unit {unit}", timeout=60_000)
    assert f"layer {layer}, unit {unit}" != before
    tab.assert_clean()
    loaded = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert not [p for p in loaded if "PlotlyChart" in p]  # Inside draws with the bundle too


def test_sidebar_link_opens_the_playground(open_tab):
    tab = open_tab("/")
    wait_ready(tab.page, LAB_KEYS)
    nav = tab.page.locator('[data-testid="stSidebarNavLink"]', has_text="Optimizer playground")
    nav.click()
    wait_ready(tab.page, PLAYGROUND_KEYS)
    tab.assert_clean()
    assert tab.page.url.split("?")[0].endswith("/playground")


# --- the optimizer playground ---------------------------------------------------------------------


def race_controls(page: Page):
    race = page.locator(".st-key-pg_race")
    return (
        race.locator(".updatemenu-button", has_text="Play"),
        race.locator(".updatemenu-button", has_text="Pause"),
        race.locator(".slider-container"),
    )


@pytest.mark.parametrize("size", ["1280x800", "1024x768"])
def test_playground_draws_its_charts_and_animation_controls(open_tab, size):
    tab = open_tab("/playground", size)
    wait_ready(tab.page, PLAYGROUND_KEYS)
    tab.assert_clean()
    assert charts(tab.page) == len(PLAYGROUND_KEYS)
    play, pause, slider = race_controls(tab.page)
    expect(play).to_be_visible()
    expect(pause).to_be_visible()
    expect(slider).to_have_count(1)
    if size == "1280x800":
        assert_margins_held(tab.page, PLAYGROUND_KEYS)
    screenshots(tab.page, f"playground-{size}")


def console_errors(page: Page) -> list[str]:
    """Collects what the page logs as an error from now on (after the page has loaded: opening
    /playground directly, Streamlit's frontend first probes /playground/_stcore/*, two 404s)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_playground_play_runs_the_race_and_pause_stops_it_without_an_error(open_tab):
    tab = open_tab("/playground")
    page = tab.page
    wait_ready(page, PLAYGROUND_KEYS)
    logged = console_errors(page)
    race = "document.querySelector('.st-key-pg_race .js-plotly-plot')"
    step = f"{race}?.layout?.sliders?.[0]?.active"
    stopped = f"() => {race}?.dataset.animating === 'false'"  # the chart component says so
    assert page.evaluate(step) == 0
    play, pause, slider = race_controls(page)
    paused = 0
    for _ in range(2):  # Pause, Play again from there, Pause
        play.click()
        page.wait_for_function(f"() => {step} >= {paused + 3}")  # the slider follows the frames
        pause.click()
        paused = page.evaluate(step)
        page.wait_for_function(stopped)  # no frame is left to draw
        assert page.evaluate(step) - paused <= 1  # at most the frame in flight at the Pause
    play.click()  # Play while playing, and a slider click while playing, interrupt it too
    page.wait_for_function(f"() => {step} >= {paused + 1}")
    play.click()
    page.evaluate("document.querySelector('.st-key-pg_race').scrollIntoView({block: 'center'})")
    rail = slider.locator(".slider-rail-rect").bounding_box()
    page.mouse.click(rail["x"] + 5, rail["y"] + rail["height"] / 2)
    page.wait_for_function(f"() => {step} == 0")  # the click went to the rail's start
    page.wait_for_function(stopped)  # and the animation ended there
    # each of these used to log "Uncaught (in promise) undefined": plotly.js rejects the
    # interrupted Plotly.animate and its own buttons don't catch it; the page now does
    tab.assert_clean()
    assert logged == []


def test_playground_bias_lesson_and_tuned_race_draw_their_charts(open_tab):
    tab = open_tab("/playground")
    page = tab.page
    wait_ready(page, PLAYGROUND_KEYS)
    lesson = pg.LESSONS["bias"]
    before = signature(page, "pg_race")
    button(page, "pg_lesson_bias").click()
    wait_changed(page, "pg_race", before)
    wait_ready(page, playground_chart_keys(lesson.config))
    expect(page.locator('[data-testid="stAlertContentInfo"]').first).to_contain_text(lesson.title)
    expect(page.locator('[data-testid="stTable"]').first).to_contain_text(
        pg.RULES["adam_nobias"].title
    )
    tab.assert_clean()
    page.locator(".st-key-pg_tune label", has_text="lowest final").click()
    tuned = replace(lesson.config, tune="final")
    wait_ready(page, playground_chart_keys(tuned))
    assert charts(page) == len(playground_chart_keys(tuned))
    tab.assert_clean()
    screenshots(page, "playground-bias-tuned-1280x800")
    drawn = draws(page, "pg_race")
    page.set_viewport_size({"width": 1920, "height": 1080})
    wait_ready(page, playground_chart_keys(tuned))  # each chart drawn again at its new width
    assert draws(page, "pg_race") > drawn
    screenshots(page, "playground-bias-tuned-1920x1080")


def test_playground_plus_and_minus_walk_the_grid_in_the_browser(open_tab):
    """The frontend adds the drawn step; the page turns that press into the grid's neighbour."""
    tab = open_tab("/playground")
    page = tab.page
    wait_ready(page, PLAYGROUND_KEYS)
    presses = (("pg_beta2", "StepUp", "0.9995"), ("pg_beta2", "StepUp", "0.9998"))
    presses += (("pg_lr_adam", "StepUp", "0.5"), ("pg_lr_adam", "StepDown", "0.2"))
    for key, button_id, value in presses:
        before = signature(page, "pg_race")
        page.locator(f'.st-key-{key} [data-testid="stNumberInput{button_id}"]').click()
        expect(page.locator(f".st-key-{key} input")).to_have_value(value)
        wait_changed(page, "pg_race", before)
        wait_ready(page, PLAYGROUND_KEYS)
    assert "beta2=0.9998" in page.url and "lr=1.8%2C3.0%2C0.05%2C0.2" in page.url
    tab.assert_clean()
