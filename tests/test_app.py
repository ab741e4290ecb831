"""The training lab page, driven without a browser by streamlit.testing.v1.AppTest.

Most tests open the app with a short experiment in the URL (30 epochs) so a run takes a fraction of
a second; the lessons are shortened the same way (their numbers are tests/test_lessons.py's job).
The helpers of nnviz/lab.py that the page relies on are tested directly at the end.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import fields, replace
from html.parser import HTMLParser

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnviz.engine.config import GROUP_FIELDS, DataConfig, Experiment, RunConfig
from nnviz.engine.data import from_csv, to_csv
from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import load_data, run_experiment, train_live
from nnviz.models import exports, formulas, metrics
from nnviz.models import lab_model as lab
from nnviz.models.script_export import script
from nnviz.views import figures
from tests.helpers.apptest import SHORT, assert_clean, chart, charts, open_app, params


def plotly_array(value) -> np.ndarray:
    """An array as Plotly's JSON carries it: a list, or base64 bytes with a dtype and a shape."""
    if not isinstance(value, dict):
        return np.asarray(value, dtype=float)
    flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])


def boundary_keys(at: AppTest) -> list[str]:
    return sorted(k for k in charts(at) if k and k.startswith("boundary_"))


def run_traces(spec: dict, i: int) -> list:
    """(name, x, y) of run i's curves in a chart spec."""
    return [(t["name"], t["x"], t["y"]) for t in spec["data"] if t.get("legendgroup") == f"run{i}"]


def status(at: AppTest) -> str:
    return next(c.value for c in at.caption if "trained together" in c.value)


def read_table(table: str) -> list[dict[str, str]]:
    """An HTML table as rows of text, read by the standard library's HTML parser: the header
    row's cells name the columns, each character reference is its character."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []
            else:  # any other tag inside the table is markup that leaked through
                assert tag in ("table", "thead", "tbody"), tag

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th"):
                self.rows[-1].append("".join(self.cell or []))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    reader = Reader()
    reader.feed(table)
    reader.close()
    head, *rows = reader.rows
    return [dict(zip(head, row, strict=True)) for row in rows]


def final_numbers(at: AppTest) -> list[dict[str, str]]:
    (table,) = [h.proto.body for h in at.get("html") if "<table" in h.proto.body]
    return read_table(table)


def column(at: AppTest, name: str) -> list[str]:
    return [row[name] for row in final_numbers(at)]


# --- the page as a whole ----------------------------------------------------------------------


def test_defaults_run_clean_and_put_every_setting_in_the_url():
    at = open_app({})
    assert_clean(at)
    assert not at.warning
    assert boundary_keys(at) == ["boundary_0", "boundary_1"]
    assert {"cost", "accuracy"} <= set(charts(at))
    assert at.select_slider(key="scrub").value == lab.DEFAULT.runs[0].epochs  # the last epoch
    assert params(at) == lab.url_params(lab.DEFAULT)
    assert column(at, "run") == ["λ 0", "λ 0.7"]


def short_lesson(lesson, epochs: int = 40):
    runs = tuple(replace(r, epochs=epochs) for r in lesson.experiment.runs)
    return replace(lesson, experiment=lesson.experiment.with_runs(*runs))


@pytest.mark.parametrize("key", list(LESSONS))
def test_each_lesson_loads_with_one_click(key, monkeypatch):
    lesson = short_lesson(LESSONS[key])
    monkeypatch.setitem(LESSONS, key, lesson)
    at = open_app()
    if lesson.week != lab.lesson_week(lab.DEFAULT):  # another week's lessons: show them first
        assert not [b for b in at.button if b.key == f"lesson_{key}"]
        at.button_group(key="lesson_week").set_value(lesson.week).run()
    at.button(key=f"lesson_{key}").click().run()
    assert_clean(at)
    assert at.button_group(key="lesson_week").value == lesson.week
    assert any(lesson.title in info.value for info in at.info)
    assert len(boundary_keys(at)) == len(lesson.experiment.runs)
    assert column(at, "run") == list(lesson.labels)
    assert params(at) == lab.url_params(lesson.experiment)
    assert at.session_state.exp == lesson.experiment


CHANGES = [
    ("optimizer", "momentum"),
    ("init", "xavier"),
    ("lr", 0.1),
    ("lambd", 0.1),
    ("beta1", 0.8),
    ("beta2", 0.99),
    ("epsilon", 1e-6),
    ("keep_prob", 0.8),
    ("decay", "scheduled"),
    ("decay_rate", 0.3),
    ("decay_interval", 100),
]


def widget(at: AppTest, key: str):
    kind = "selectbox" if key.endswith(("optimizer", "init", "_decay")) else "select_slider"
    return getattr(at, kind)(key=key)


@pytest.mark.parametrize(("name", "value"), CHANGES)
def test_each_run_control_applies_to_its_run_only(name, value):
    at = open_app()
    if name.startswith("decay_"):  # used by scheduled decay only (disabled otherwise)
        widget(at, lab.run_key(1, "decay")).set_value("scheduled").run()
    before = at.session_state.exp
    widget(at, lab.run_key(1, name)).set_value(value).run()  # no button: it applies by itself
    assert_clean(at)
    exp = at.session_state.exp
    assert getattr(exp.runs[1], name) == value
    assert exp.runs[0] == before.runs[0]
    assert params(at) == lab.url_params(exp)


def test_a_lambda_change_with_no_button_changes_that_runs_boundary_only():
    at = open_app()
    cost, boundary0, boundary1 = (chart(at, k) for k in ("cost", "boundary_0", "boundary_1"))
    assert not [b for b in at.button if b.key.startswith("train")]  # there is no Train button
    at.select_slider(key=lab.run_key(1, "lambd")).set_value(0.1).run()
    assert_clean(at)
    new_cost = chart(at, "cost")
    assert run_traces(new_cost, 0) == run_traces(cost, 0)
    (train, test), (old_train, old_test) = run_traces(new_cost, 1), run_traces(cost, 1)
    assert (train[0], test[0]) == ("λ 0.1", "λ 0.1 · test")
    assert train[1] == old_train[1] and train[2] != old_train[2] and test[2] != old_test[2]
    assert chart(at, "boundary_0") == boundary0
    assert chart(at, "boundary_1") != boundary1
    # the new boundary is the new run's: P(y = 1) from its own weights, trained alone
    exp = at.session_state.exp
    (_, h) = run_experiment(exp)
    z = plotly_array(chart(at, "boundary_1")["data"][0]["z"])
    xs, ys, P = figures.probability_grid(
        h.params, h.config.activation, figures.frame(load_data(exp).bounds), 80
    )
    assert np.abs(z - P).max() < 1e-6


def test_optimizer_disables_the_hyperparameters_it_ignores():
    at = open_app()
    for optimizer, disabled in (
        ("gd", {"beta1", "beta2", "epsilon"}),
        ("momentum", {"beta2", "epsilon"}),
        ("rmsprop", {"beta1"}),
        ("adam", set()),
    ):
        at.selectbox(key=lab.run_key(0, "optimizer")).set_value(optimizer).run()
        for name in ("beta1", "beta2", "epsilon"):
            slider = at.select_slider(key=lab.run_key(0, name))
            assert slider.disabled == (name in disabled), (optimizer, name)
    assert_clean(at)


def test_every_hyperparameter_control_is_labelled_from_the_one_table():
    at = open_app()
    for name in ("lr", "lambd", "beta1", "beta2", "epsilon", "keep_prob"):
        assert at.select_slider(key=lab.run_key(1, name)).label == formulas.LABELS[name]


def test_add_duplicate_and_remove_runs_between_one_and_four():
    at = open_app()
    at.button(key="add_run").click().run()
    at.button(key="duplicate_0").click().run()
    assert_clean(at)
    assert boundary_keys(at) == [f"boundary_{i}" for i in range(4)]
    assert at.button(key="add_run").disabled
    assert len(params(at)["lambd"].split(",")) == 4
    for _ in range(3):
        at.button(key="remove_0").click().run()
    assert_clean(at)
    assert boundary_keys(at) == ["boundary_0"]
    assert at.button(key="remove_0").disabled
    assert params(at)["lambd"] == "0.7"


def test_display_options_never_retrain():
    at = open_app()
    trained_in = status(at)
    assert at.button_group(key="cost_scale").value == "auto"
    assert chart(at, "cost")["layout"]["yaxis"]["type"] == "linear"  # 0.69 → 0.3: one decade
    at.button_group(key="cost_scale").set_value("log").run()
    assert chart(at, "cost")["layout"]["yaxis"]["type"] == "log"
    assert not at.latex  # the formulas are typeset only when asked for
    at.toggle(key="show_formulas").set_value(True).run()
    at.selectbox(key="formula_run").set_value(1).run()
    names = [t.get("name") for t in chart(at, "boundary_0")["data"]]
    assert "test, class 0" in names
    at.toggle(key="show_test").set_value(False).run()
    names = [t.get("name") for t in chart(at, "boundary_0")["data"]]
    assert "test, class 0" not in names and "train, class 0" in names
    assert_clean(at)
    assert status(at) == trained_in  # the same History: its training time is unchanged
    assert any(r"\frac{0.7}{2 \cdot" in latex.value for latex in at.latex)


def test_new_data_moves_the_seed_and_trains():
    at = open_app()
    at.button(key="new_data").click().run()
    assert_clean(at)
    assert at.session_state.exp.seed == lab.DEFAULT.seed + 1
    assert params(at)["seed"] == str(lab.DEFAULT.seed + 1)


def test_a_change_that_is_undone_trains_nothing_and_shows_no_error():
    at = open_app()
    trained_in = status(at)
    slider = at.select_slider(key=lab.run_key(0, "lambd"))
    slider.set_value(0.1).run()
    at.select_slider(key=lab.run_key(0, "lambd")).set_value(0.0).run()
    assert_clean(at)
    assert status(at) == trained_in  # back to the first experiment: its stored result


def test_the_epoch_scrubber_moves_every_runs_boundary():
    at = open_app()
    final = [chart(at, f"boundary_{i}") for i in range(2)]
    scrub = at.select_slider(key="scrub")
    assert scrub.options[0] == "0" and scrub.value == 30
    scrub.set_value(0).run()
    assert_clean(at)
    for i in range(2):
        early = chart(at, f"boundary_{i}")
        assert early["data"][0]["z"] != final[i]["data"][0]["z"]
    # every run starts from the same initial weights (λ only changes the updates)
    assert chart(at, "boundary_0")["data"][0]["z"] == chart(at, "boundary_1")["data"][0]["z"]
    at.button(key="replay").click().run()  # plays every epoch, then shows the end again
    assert_clean(at)
    assert [chart(at, f"boundary_{i}") for i in range(2)] == final


def test_presentation_mode_from_the_url_hides_every_control_and_enlarges_the_text():
    at = open_app({**SHORT, "present": "1"})
    assert_clean(at)
    assert not at.sidebar.select_slider and not at.sidebar.selectbox  # no controls at all
    assert not [s for s in at.select_slider if s.key.startswith("run")]
    assert at.toggle(key="present").value
    assert params(at)["present"] == "1"
    for key in ("boundary_0", "cost"):
        assert chart(at, key)["layout"]["xaxis"]["tickfont"]["size"] >= 18
    at.toggle(key="present").set_value(False).run()  # the toggle brings every control back
    assert_clean(at)
    assert at.select_slider(key=lab.run_key(1, "lambd")).value == 0.7
    assert "present" not in params(at)
    assert chart(at, "boundary_0")["layout"]["xaxis"]["tickfont"]["size"] < 18
    at.toggle(key="present").set_value(True).run()
    assert params(at)["present"] == "1" and not at.sidebar.select_slider


def test_a_stopped_training_shows_how_far_it_got_and_is_not_kept():
    at = open_app()
    exp = at.session_state.exp
    data = load_data(exp)
    partial = next(train_live(data, exp.runs, exp.seed, every=0.0))  # after one epoch
    at.session_state["stopped"] = lab.Partial(exp, data, tuple(partial)).stopped()
    at.run()
    assert_clean(at)
    assert any("Stopped at epoch 1 of 30" in w.value for w in at.warning)
    at.button(key="resume").click().run()  # trains to the end: the stored result again
    assert_clean(at)
    assert not any("Stopped" in w.value for w in at.warning)
    assert at.select_slider(key="scrub").value == 30


def test_a_second_session_opens_the_stored_result_without_training(monkeypatch):
    from app_pages import server
    from app_pages.parts import lab_results

    url = {**SHORT, "seed": "424244"}  # trained by no other test
    first = open_app(url)
    exp = first.session_state.exp
    kept = server.trained("lab").get(exp)
    assert isinstance(kept, lab.Result) and len(kept.histories) == len(exp.runs)
    monkeypatch.setattr(lab_results, "train_live", lambda *a, **k: pytest.fail("trained again"))
    second = open_app(url)
    assert_clean(second)
    assert status(second) == status(first) and server.trained("lab").get(exp) is kept


def test_stop_keeps_a_training_only_once_every_run_has_begun():
    exp = lab.DEFAULT
    data = load_data(exp)
    first = tuple(next(train_live(data, exp.runs, exp.seed, every=0.0)))  # after one epoch
    assert lab.Partial(exp, data, (first[0], None)).stopped() is None
    stopped = lab.Partial(exp, data, first).stopped()
    assert stopped.exp == exp and stopped.result.data is data
    assert all(a is b for a, b in zip(stopped.result.histories, first, strict=True))
    assert stopped.result.epoch == 1


# --- the URL ---------------------------------------------------------------------------------


def test_url_round_trip_reproduces_the_experiment():
    exp = Experiment(
        DataConfig("circles", samples=200, noise=0.1, test_fraction=0.3),
        runs=tuple(
            RunConfig(hidden=(6, 3), activation="tanh", epochs=40, batch_size=32, **kw)
            for kw in (
                dict(optimizer="gd", lr=0.5, init="xavier"),
                dict(optimizer="momentum", lr=0.05, beta1=0.95, lambd=0.02),
                dict(optimizer="rmsprop", lr=0.002, beta2=0.99, epsilon=1e-6, keep_prob=0.9),
            )
        ),
        seed=11,
    )
    at = open_app(lab.url_params(exp))
    assert_clean(at)
    assert not at.warning
    assert at.session_state.exp == exp
    assert params(at) == lab.url_params(exp)
    assert at.selectbox(key="dataset").value == "circles"
    assert at.number_input(key="seed").value == 11
    assert at.select_slider(key=lab.run_key(1, "beta1")).value == 0.95
    assert at.select_slider(key=lab.run_key(2, "lr")).value == 0.002
    assert at.number_input(key=lab.width_key(1)).value == 3
    expected = run_experiment(exp)  # same URL, same numbers
    assert column(at, "train J") == [f"{h.final['train_cost']:.4f}" for h in expected]


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": "fast,0.01"},  # malformed
        {"lambd": "-1,0.7"},  # out of range
        {"hidden": "5-x,5-x"},  # malformed tuple
        {"optimizer": "sgd,adam"},  # unknown choice
        {"epochs": "9999999,9999999"},  # out of range
        {"colour": "red"},  # unknown parameter
        {"dataset": "csv"},  # no file behind it
        {"source": "abc123"},  # a file digest without dataset=csv
        {"epochs": "30,60"},  # runs that don't share epochs
        {"lr": "0.1,0.1,0.1,0.1,0.1,0.1"},  # more than four runs
    ],
)
def test_bad_url_parameters_fall_back_with_a_warning(bad):
    at = open_app({**SHORT, **bad})
    assert_clean(at)
    assert at.warning, bad
    exp = at.session_state.exp
    assert exp.data.name != "csv" and 1 <= len(exp.runs) <= lab.MAX_RUNS
    assert params(at) == lab.url_params(exp)  # the address bar now shows what runs
    assert not lab.shared_changed(lab.experiment_from_widgets(at.session_state, len(exp.runs)), exp)


HUGE = {"samples": "5000", "test_fraction": "0.0", "batch_size": "8,8", "epochs": "30000,30000"}


def test_a_link_that_would_train_for_hours_falls_back_with_a_warning():
    # 5000 points in batches of 8 for 30,000 epochs: 18.75 million updates, hours of training
    at = open_app(HUGE)  # AppTest's timeout fails this test if the page trained it
    assert_clean(at)
    assert any("would take about" in w.value for w in at.warning)
    assert at.session_state.exp == lab.DEFAULT


def test_training_that_would_take_too_long_is_refused_and_the_results_kept():
    at = open_app()
    before = at.session_state.exp
    widget(at, "epochs").set_value(30_000)
    widget(at, "batch_size").set_value(8)
    widget(at, "samples").set_value(5000).run()
    assert at.session_state.exp == before  # nothing trained, the previous results stay
    assert any("would take about" in e.value for e in at.error)
    assert not at.exception


def test_the_lessons_and_the_defaults_fit_the_training_budget():
    # the estimate is a conservative linear cost model; these must never be refused
    for exp in (lab.DEFAULT, *(lesson.experiment for lesson in LESSONS.values())):
        m = load_data(exp).X_train.shape[1]
        assert lab.too_long(exp, m) is None
    # and it grows with the work: twice the epochs, twice the estimate
    longer = lab.DEFAULT.with_runs(*(replace(r, epochs=2 * r.epochs) for r in lab.DEFAULT.runs))
    m = load_data(lab.DEFAULT).X_train.shape[1]
    assert lab.estimated_seconds(longer, m) == pytest.approx(
        2 * lab.estimated_seconds(lab.DEFAULT, m)
    )


# --- own data ----------------------------------------------------------------------------------


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.selectbox(key="dataset").set_value("csv").run()
    at.file_uploader(key="csv_file").set_value((name, content, "text/csv"))
    return at.run()


def test_bad_csv_upload_shows_why_and_keeps_the_data():
    at = open_app()
    before = at.session_state.exp
    at = upload(at, "bad.csv", b"a,b,c\n1,2,0\n")
    assert not at.exception
    assert any("header must be x1,x2,label" in e.value for e in at.error)
    assert at.session_state.exp == before
    assert len(boundary_keys(at)) == 2


def test_good_csv_upload_trains_on_it(downloads):
    data = load_data(Experiment(DataConfig("xor", samples=80, test_fraction=0.0)))
    content = to_csv(data.X_train, data.Y_train).encode()
    at = upload(open_app(), "xor.csv", content)
    assert_clean(at)
    exp = at.session_state.exp
    assert exp.data.name == "csv" and exp.data.source == lab.check_upload(content, 0.25, 5)[0]
    assert params(at)["dataset"] == "csv"
    assert "60 training and 20 test points" in status(at)
    name = f"{exports.file_stem(0, lab.run_labels(exp)[0])}.py"  # its script carries the points
    points = from_csv(content, exp.data.test_fraction, exp.seed)
    made = downloads[name]()
    assert made == script(exp, 0, points, name) and "TRAIN_X = np.array(" in made


# --- nnviz/lab.py, the page's helpers -------------------------------------------------------------


def test_widget_values_round_trip_to_the_same_experiment():
    for exp in (lab.DEFAULT, *(lesson.experiment for lesson in LESSONS.values())):
        values = lab.widget_values(exp)
        # the runs' own networks (a lesson's) are kept beside the widgets, as lab_state.edited does
        assert (
            lab.keep_architectures(lab.experiment_from_widgets(values, len(exp.runs)), exp) == exp
        )


def test_check_upload_reports_one_line_reasons():
    assert lab.check_upload(b"x1,x2,label\n0,0,0\n", 0.25, 0)[1].startswith("data file needs")
    assert "not a number" in lab.check_upload(b"x1,x2,label\n" + b"a,1,0\n" * 5, 0, 0)[1]
    digest, error = lab.check_upload(b"x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n", 0.0, 0)
    assert error is None and len(digest) == 12


def test_run_labels_name_what_differs():
    runs = lab.DEFAULT.runs
    assert lab.run_labels(lab.DEFAULT) == ("λ 0", "λ 0.7")
    same = lab.DEFAULT.with_runs(runs[0], runs[0])
    assert lab.run_labels(same) == ("run 1", "run 2")
    twins = lab.DEFAULT.with_runs(runs[0], runs[0], runs[1])
    assert lab.run_labels(twins) == ("λ 0", "λ 0 (copy)", "λ 0.7")
    triplets = lab.DEFAULT.with_runs(runs[0], runs[1], runs[0], runs[0])
    assert lab.run_labels(triplets) == ("λ 0", "λ 0.7", "λ 0 (copy)", "λ 0 (copy 2)")
    optimizers = lab.DEFAULT.with_runs(runs[0], replace(runs[0], optimizer="gd", lr=0.1))
    assert lab.run_labels(optimizers) == ("Adam, α 0.01", "Gradient descent, α 0.1")
    decayed = lab.DEFAULT.with_runs(runs[0], replace(runs[0], decay="inverse", decay_rate=0.3))
    assert lab.run_labels(decayed) == (
        "constant decay, decay_rate 1",
        "inverse decay, decay_rate 0.3",
    )
    for lesson in LESSONS.values():
        assert lab.run_labels(lesson.experiment) == lesson.labels


def test_log_spaced_choices_keep_off_grid_values():
    assert lab.LR_CHOICES[0] == 1e-4 and lab.LR_CHOICES[-1] == 10
    assert 0.0 in lab.LAMBDA_CHOICES and 0.7 in lab.LAMBDA_CHOICES
    assert np.all(np.diff(np.log10(lab.LR_CHOICES)) > 0)
    assert 0.0007 in lab.with_value(lab.LR_CHOICES, 0.0007)
    assert lab.with_value(lab.LR_CHOICES, 0.01) == lab.LR_CHOICES


def test_unused_hyperparameters_follow_the_optimizer_registry():
    assert lab.unused("gd") == {"beta1", "beta2", "epsilon"}
    assert lab.unused("adam") == set()
    assert lab.users_of("beta1") == "Momentum and Adam"


def test_exports():
    exp = Experiment(DataConfig(samples=60), (RunConfig(epochs=5), RunConfig(epochs=5, lambd=1.0)))
    histories = run_experiment(exp)
    labels = lab.run_labels(exp)
    rows = list(csv_rows(exports.histories_csv(histories, labels)))
    assert rows[0] == list(exports.HISTORY_COLUMNS)
    assert len(rows) == 1 + sum(len(h.epochs) for h in histories)
    assert rows[1][:3] == ["1", "λ 0", "0"]
    assert Experiment.from_dict(json.loads(exports.config_json(exp))) == exp
    with np.load(io.BytesIO(exports.weights_npz(histories[1]))) as npz:
        assert sorted(npz.files) == ["W1", "W2", "W3", "b1", "b2", "b3"]
        assert npz["W1"].shape == (5, 2) and npz["b3"].shape == (1, 1)
    files = exports.downloads(exp, histories, labels)
    assert [f.file_name for f in files] == [
        "nnviz-curves.csv",
        "nnviz-config.json",
        "run1-lambda-0.npz",
        "run2-lambda-1.npz",
        "run1-lambda-0.py",  # the runs as scripts: tests/test_script_export.py
        "run2-lambda-1.py",
    ]
    assert len({f.key for f in files}) == len(files) and files[3].label.endswith("run 2 (.npz)")
    assert files[0].make() == exports.histories_csv(histories, labels)
    assert files[3].make() == exports.weights_npz(histories[1])
    assert exports.file_stem(1, "λ 0.7") == "run2-lambda-0.7"
    assert exports.file_stem(1, "run 2") == "run2"  # numbered once


def csv_rows(text: str):
    import csv

    return csv.reader(io.StringIO(text))


def test_formulas_carry_the_runs_numbers():
    run = RunConfig(optimizer="adam", lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lambd=0.7)
    symbolic, numeric = formulas.update_rule(run, False), formulas.update_rule(run, True)
    assert r"\beta_2" in "".join(symbolic) and "0.999" not in "".join(symbolic)
    assert "0.999" in numeric[0] and "0.001" in numeric[2] and "10^{-8}" in numeric[2]
    _, cost, _, grad = formulas.cost_formulas(run, 225, 64)
    assert r"\frac{0.7}{2 \cdot 225}" in cost and r"\frac{0.7}{64}" in grad
    assert formulas.tex(2e-5) == r"2 \times 10^{-5}"
    assert (
        formulas.init_scales(RunConfig(init="he", hidden=(8,)))
        == r"W^{[1]}: \times 1,\quad W^{[2]}: \times 0.5"
    )
    assert formulas.dropout_formula(RunConfig(keep_prob=1.0)) is None


def test_metrics_rows_and_their_text():
    exp = Experiment(DataConfig(samples=60, test_fraction=0.0), (RunConfig(epochs=5),))
    (h,) = run_experiment(exp)
    (row,) = metrics.metrics_rows([h], ["only"])
    assert row["test cost"] is None and row["train J"] == pytest.approx(h.train_cost[-1])
    (text,) = metrics.format_metrics([row])
    assert text["test cost"] == "—" and text["stability"] == "ok"
    assert text["train accuracy"].endswith("%")
    huge = metrics.format_metrics([{**row, "train J": 3.7e307, "stability": "diverged at 51"}])
    assert huge[0]["train J"] == "3.7e+307" and huge[0]["stability"] == "diverged at 51"


def test_formula_sections_follow_the_run():
    plain = formulas.formula_sections(RunConfig(optimizer="gd", batch_size=0), m=225)
    assert [h.split("**")[1] for h, _ in plain][:2] == ["Cost with L2", "Its gradient"]
    assert "m = 225" in plain[1][0]  # full batch: the mini-batch is the whole training set
    assert len(plain[3][1]) == 2  # θ ← θ − α g, in symbols and in numbers
    dropout = formulas.formula_sections(RunConfig(keep_prob=0.86), m=225)
    assert "keep_prob = 0.86" in dropout[-1][0] and "0.86" in dropout[-1][1][0]


def test_pending_changes_are_told_apart():
    applied = lab.DEFAULT
    runs = applied.runs
    one_run = applied.with_runs(runs[0], replace(runs[1], beta1=0.5))
    assert lab.run_changed(one_run, applied, 1) and not lab.run_changed(one_run, applied, 0)
    assert not lab.shared_changed(one_run, applied)
    deeper = applied.with_runs(*(replace(r, hidden=(4,)) for r in runs))
    assert lab.shared_changed(deeper, applied) and not lab.run_changed(deeper, applied, 0)
    assert lab.shared_changed(replace(applied, seed=6), applied)


def test_every_run_field_is_either_shared_by_a_lockstep_group_or_set_per_run():
    assert lab.SHARED == GROUP_FIELDS
    assert sorted(lab.SHARED + lab.PER_RUN) == sorted(f.name for f in fields(RunConfig))


# --- rough edges --------------------------------------------------------------------------------


def exploding() -> Experiment:
    """RMSprop with α = 1 on the default data: its costs climb to about 1e5, all finite."""
    runs = tuple(replace(r, optimizer="rmsprop", lr=1.0, epochs=300) for r in lab.DEFAULT.runs)
    return lab.DEFAULT.with_runs(lab.DEFAULT.runs[0], runs[1])


def test_a_run_whose_cost_explodes_is_flagged_in_words():
    exp = exploding()
    healthy, wild = run_experiment(exp)
    assert wild.diverged_at is None and np.all(np.isfinite(wild.test_cost))
    assert max(wild.test_cost.max(), wild.train_cost.max()) > 1000 * wild.train_cost[0]
    assert metrics.cost_alarm(healthy) is None
    assert metrics.cost_alarm(wild).startswith("exploded:")
    (line,) = metrics.cost_alarms([healthy, wild], lab.run_labels(exp))
    assert line.startswith("Run 2 (RMSprop, α 1, λ 0.7) exploded: J") and "smaller α" in line


def test_the_lab_flags_an_exploding_run_above_the_charts_and_in_the_table():
    at = open_app(lab.url_params(exploding()))
    assert not at.exception
    assert any("exploded" in w.value for w in at.warning)
    assert [s.startswith("exploded") for s in column(at, "stability")] == [False, True]


def test_the_final_numbers_table_shows_every_cell_as_written():
    rows = [
        {"run": "a | b, *not bold*, $x$ not math, keep_prob, [no](link) <b>bold</b>", "J": "0.1"},
        {"run": "λ 0.7 ~ \\ & &amp; \"quoted\" 'single'", "J": "—"},
        {"run": "</td></tr></table><script>alert(1)</script>", "J": "<i>"},
    ]
    assert read_table(metrics.html_table(rows)) == rows


def test_runs_are_numbered_once_in_the_formula_choice():
    runs = lab.DEFAULT.runs
    twins = lab.DEFAULT.with_runs(runs[0], runs[0])
    assert [lab.numbered(i, label) for i, label in enumerate(lab.run_labels(twins))] == [
        "run 1",
        "run 2",
    ]
    assert lab.numbered(1, "λ 0 (copy)") == "2: λ 0 (copy)"
    at = open_app(
        lab.url_params(replace(twins, runs=tuple(replace(r, epochs=30) for r in twins.runs)))
    )
    at.toggle(key="show_formulas").set_value(True).run()
    assert at.selectbox(key="formula_run").options == ["run 1", "run 2"]


def test_a_malformed_url_value_keeps_the_default_runs_as_its_warning_says():
    exp, warnings = lab.experiment_from_url({"lr": "abc"})
    assert exp == lab.DEFAULT and warnings == ["URL parameter lr='abc' is malformed; ignored"]
    exp, warnings = lab.experiment_from_url({"lr": "0.1,abc"})
    assert [r.lr for r in exp.runs] == [0.1, lab.DEFAULT.runs[1].lr] and len(warnings) == 1
    at = open_app({"lr": "abc"})
    assert len(boundary_keys(at)) == len(lab.DEFAULT.runs)
    assert any("lr='abc'" in w.value for w in at.warning)


def test_back_restores_the_previous_experiment_and_the_address_matches_the_screen():
    at = open_app()
    first = params(at)
    at.select_slider(key=lab.run_key(1, "lambd")).set_value(2.0).run()  # applies by itself
    assert params(at)["lambd"] == "0.0,2.0"
    second = params(at)
    at.query_params.clear()
    at.query_params.update(first)  # what the browser sends after Back
    at.run()
    assert_clean(at)
    assert at.session_state.exp == lab.experiment_from_url(first)[0]
    assert at.select_slider(key=lab.run_key(1, "lambd")).value == 0.7
    assert params(at) == first
    at.query_params.clear()
    at.query_params.update(second)  # and Forward
    at.run()
    assert at.select_slider(key=lab.run_key(1, "lambd")).value == 2.0


def test_coming_back_from_another_page_keeps_the_experiment():
    at = open_app()
    at.select_slider(key=lab.run_key(1, "lambd")).set_value(2.0).run()
    changed = at.session_state.exp
    at.query_params.clear()  # another page of the app had the address bar
    at.run()
    assert at.session_state.exp == changed and params(at) == lab.url_params(changed)


def test_a_csv_error_goes_away_when_a_built_in_data_set_is_chosen_again():
    at = open_app()
    at.selectbox(key="dataset").set_value("csv").run()
    assert any("no CSV file uploaded" in e.value for e in at.error)
    at.selectbox(key="dataset").set_value("moons").run()
    assert_clean(at)


def test_reset_to_defaults():
    at = open_app(lab.url_params(short_lesson(LESSONS["optimization"]).experiment))
    assert len(boundary_keys(at)) == 3
    at.button(key="reset").click().run()
    assert_clean(at)
    assert at.session_state.exp == lab.DEFAULT
    assert params(at) == lab.url_params(lab.DEFAULT)


def load_config_file(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="config_file").set_value((name, content, "application/json"))
    return at.run()


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> what the page's download button makes when clicked: the callable the page
    gave Streamlit's media manager (spied), which Streamlit calls on a click, never before."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    offered: dict = {}
    register = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        offered[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return offered


def test_downloads_are_made_on_click_not_on_every_run(downloads, monkeypatch):
    """A script run only registers the files (a class opening one lesson must not build and
    hash the same CSV thirty times); clicking makes exactly the exports' bytes."""
    built = []
    real = exports.histories_csv
    monkeypatch.setattr(exports, "histories_csv", lambda *a: built.append(1) or real(*a))
    at = open_app()
    assert_clean(at)
    exp = at.session_state.exp
    labels = lab.run_labels(exp)
    names = {"nnviz-curves.csv", "nnviz-config.json"}
    names |= {f"{exports.file_stem(i, label)}.npz" for i, label in enumerate(labels)}
    names |= {f"{exports.file_stem(i, label)}.py" for i, label in enumerate(labels)}
    assert set(downloads) == names
    assert built == []  # nothing made yet
    histories = run_experiment(exp)  # the same numbers the page trained
    assert downloads["nnviz-curves.csv"]() == real(histories, labels)
    assert built == [1]
    assert json.loads(downloads["nnviz-config.json"]()) == json.loads(exp.to_json())
    with np.load(io.BytesIO(downloads[f"{exports.file_stem(1, labels[1])}.npz"]())) as npz:
        assert np.array_equal(npz["W1"], histories[1].params[0][0])
    name = f"{exports.file_stem(1, labels[1])}.py"
    assert downloads[name]() == script(exp, 1, file_name=name)


def test_config_json_round_trip_download_then_load(downloads):
    runs = (RunConfig(optimizer="momentum", lr=0.1, epochs=30), RunConfig(lambd=2.0, epochs=30))
    exp = Experiment(DataConfig("circles", samples=100, noise=0.1), runs, seed=7)
    at = open_app(lab.url_params(exp))
    content = downloads["nnviz-config.json"]().encode()
    at.button(key="reset").click().run()
    assert at.session_state.exp == lab.DEFAULT
    at = load_config_file(at, "nnviz-config.json", content)
    assert_clean(at)
    assert at.session_state.exp == exp
    assert params(at) == lab.url_params(exp)


def test_a_bad_config_file_is_one_line_and_keeps_the_experiment():
    at = open_app()
    before = at.session_state.exp
    at = load_config_file(at, "notes.json", b'{"runs": [{"lr": -1}]}')
    assert not at.exception
    assert [e.value for e in at.error] == ["notes.json: lr must be in (0, 100], got -1"]
    assert at.session_state.exp == before


def test_the_shuffle_switch_retrains_with_the_same_batches_every_epoch():
    at = open_app()
    first = at.session_state.exp.runs[0]
    assert first.batch_size > 0 and first.shuffle
    before = chart(at, "boundary_0")
    at.toggle(key="shuffle").set_value(False).run()
    assert_clean(at)
    exp = at.session_state.exp
    assert all(not r.shuffle for r in exp.runs)
    assert params(at) == lab.url_params(exp)  # the address bar follows
    labels = [p.proto.popover.label for p in at.get("popover")]
    assert any("not shuffled" in label for label in labels)  # the network popover says so
    # the boundary is the engine's for shuffle=False, not the shuffled one it was
    (h, _) = run_experiment(exp)
    z = plotly_array(chart(at, "boundary_0")["data"][0]["z"])
    xs, ys, P = figures.probability_grid(
        h.params, h.config.activation, figures.frame(load_data(exp).bounds), 80
    )
    assert np.abs(z - P).max() < 1e-6
    assert chart(at, "boundary_0") != before
