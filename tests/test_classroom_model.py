"""Class mode's page model (nnviz/models/classroom.py): activities, questions and their right
answers on the real lessons, the grid's cells and round-robin, outcomes and the board."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.lessons import LESSONS
from nnviz.engine.sweep import run_sweep
from nnviz.engine.train import run_experiment
from nnviz.models import classroom as cm
from nnviz.models import lab_model as lab
from nnviz.views.sweep_figures import map_figure, target_trace

SMALL = Experiment(
    data=DataConfig("moons", samples=200, noise=0.2, test_fraction=0.25),
    runs=(RunConfig(hidden=(5, 2), optimizer="adam", lr=0.01, epochs=100),),
    seed=5,
)
GRID = cm.Activity("grid", SMALL, axes=("lr=0.001,0.01,0.1", "lambd=0,1"))


@pytest.fixture(scope="module")
def grid_rows():
    """GRID's cells, trained (6 small runs)."""
    return run_sweep(GRID.sweep()).rows


# --- bands and the fails / fits / overfits rule ---------------------------------------------


@pytest.mark.parametrize(
    "accuracy, expected",
    [
        (0.0, "< 60%"),
        (0.5999, "< 60%"),
        (0.6, "60–80%"),
        (90 / 150, "60–80%"),  # an accuracy as the trainer computes it: k / m
        (0.7999, "60–80%"),
        (0.8, "80–90%"),
        (0.8999, "80–90%"),
        (0.9, "≥ 90%"),
        (135 / 150, "≥ 90%"),
        (1.0, "≥ 90%"),
    ],
)
def test_bands_include_their_lower_edge(accuracy, expected):
    assert cm.band(accuracy) == expected


def test_band_refuses_a_missing_accuracy():
    with pytest.raises(ValueError, match="needs a number"):
        cm.band(float("nan"))


def _with_final(h, train: float, test: float):
    return replace(h, train_accuracy=np.array([0.5, train]), test_accuracy=np.array([0.5, test]))


def test_fit_rule_at_its_edges(grid_rows):
    h = grid_rows[0].history
    assert cm.fit(_with_final(h, 0.95, 0.90)) == "overfits"  # 5 points exactly (0.0499999…)
    assert cm.fit(_with_final(h, 0.949, 0.90)) == "fits"
    assert cm.fit(_with_final(h, 0.60, 0.60)) == "fits"  # 60% exactly is not a failure
    assert cm.fit(_with_final(h, 0.99, 0.599)) == "fails"  # failing wins over overfitting
    assert cm.fit(replace(_with_final(h, 0.95, 0.95), diverged_at=7)) == "fails"


@pytest.mark.lesson
def test_fit_rule_on_real_trainings(lesson_runs):
    none, l2, dropout = lesson_runs("regularization")
    assert cm.fit(none) == "overfits"  # train 97.3%, test 90.7%
    assert cm.fit(l2) == cm.fit(dropout) == "fits"  # gaps of 2.0 and 1.3 points
    zeros = lesson_runs("initialization")[0]
    assert cm.fit(zeros) == "fails"  # 50%: never left the symmetric start


def test_a_diverged_training_fails():
    data = DataConfig("moons", samples=120, noise=0.2, test_fraction=0.25)
    run = RunConfig(hidden=(4, 3), optimizer="gd", lr=50, lambd=100, batch_size=0, epochs=50)
    (h,) = run_experiment(Experiment(data=data, runs=(run,), seed=1))
    assert h.diverged_at is not None  # the premise: |1 − αλ/m| ≫ 1 blows the weights up
    got = cm.outcome(h)
    assert got.fit == "fails" and got.diverged_at == h.diverged_at


def test_outcome_holds_the_runs_final_numbers(grid_rows):
    h = grid_rows[3].history
    got = cm.outcome(h)
    assert (got.test_accuracy, got.train_accuracy, got.test_cost) == (
        h.test_accuracy[-1],
        h.train_accuracy[-1],
        h.test_cost[-1],
    )
    assert got.band == cm.band(h.test_accuracy[-1]) and got.fit == cm.fit(h)
    assert got.answer("band") == got.band and got.answer("fit") == got.fit


# --- questions --------------------------------------------------------------------------------


def _question(**change):
    q = dict(text="Which?", answers=("a", "b", "c"), rule="lowest_test_cost", options=(0, 1, 2))
    return cm.Question(**{**q, **change})


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(answers=("a",), options=(0,)), "2–4 answers, got 1"),
        (dict(answers=tuple("abcde"), options=tuple(range(5))), "2–4 answers, got 5"),
        (dict(answers=("a", " ", "c")), "an answer is empty"),
        (dict(answers=("a", "b", "a")), "two answers are the same"),
        (dict(answers=("a", "b  ", " b")), "two answers are the same"),
        (dict(answers=("a", "b", "x" * 61)), "at most 60 characters"),
        (dict(answers="abc"), "a list of strings"),
        (dict(answers=("a", "b", 3)), "a list of strings"),
        (dict(text="  "), "needs some text"),
        (dict(text="?" * 201), "at most 200 characters"),
        (dict(rule="best"), "rule must be one of"),
        (dict(options=(0, 1)), "exactly one option"),
        (dict(options=(0, 1, 1)), "the same option"),
        (dict(options=(0, 1, True)), "whole numbers"),
    ],
)
def test_question_refuses_bad_input_in_one_line(change, message):
    with pytest.raises(ValueError, match=message) as e:
        _question(**change)
    assert "\n" not in str(e.value)


def test_an_edited_question_keeps_what_its_answers_stand_for():
    q = cm.question_for(LESSONS["optimization"].experiment)
    edited = q.edited("Who wins?", ("plain", "heavy ball", "adaptive"))
    assert (edited.rule, edited.options) == (q.rule, q.options)
    with pytest.raises(ValueError, match="two answers are the same"):
        q.edited("Who wins?", ("x", "x", "y"))


def test_a_question_must_fit_its_experiment():
    exp = LESSONS["optimization"].experiment  # three runs, no test set
    with pytest.raises(ValueError, match="indices below 3"):
        _question(rule="lowest_train_cost", options=(0, 1, 3)).check_for(exp)
    with pytest.raises(ValueError, match="needs a test set"):
        _question().check_for(exp)


EXPECTED = {  # lesson -> the right answer, as the course (and tests/test_lessons.py) says
    "initialization": {"zeros"},
    "deep_initialization": {"Xavier"},
    "regularization": {"none"},
    "early_stopping": {"early stop, patience 200"},
    "optimization": {"Adam"},
    "decay": {"GD α 0.0007"},
    "batch_norm": {"×0.01 init", "α 2"},  # both without batch norm
    "classes": {"100 relu units"},  # CS231n: 98% against softmax regression's 49%
    "features_or_depth": {"x₁, x₂ · no hidden layer"},
    "l1_or_l2": {"none"},
}


def test_every_lesson_has_a_prefilled_question_on_its_runs():
    questions = cm.lesson_questions()
    assert set(questions) == set(LESSONS) == set(EXPECTED)
    for key, q in questions.items():
        exp = LESSONS[key].experiment
        q.check_for(exp)
        assert q.answers == LESSONS[key].labels == lab.run_labels(exp)
        assert 2 <= len(q.answers) <= 4


@pytest.mark.lesson
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_lessons_right_answer_is_the_courses(lesson_runs, key):
    exp, histories = LESSONS[key].experiment, lesson_runs(key)
    q = cm.question_for(exp)
    assert cm.correct_answers(q, exp, histories) == EXPECTED[key]


@pytest.mark.lesson
def test_stays_at_half_marks_every_run_that_never_learned(lesson_runs):
    """Deep tanh network: zeros and ×0.01 both stay at 50% (two right answers); ×10 wanders
    to 55% (measured 45.3–55.3%) and Xavier learns."""
    exp = LESSONS["deep_initialization"].experiment
    q = cm.run_question("Which stay at 50%?", "stays_half", exp)
    got = cm.correct_answers(q, exp, lesson_runs("deep_initialization"))
    assert got == {"zeros", "small ×0.01"}


def test_generic_questions_for_any_lab_experiment():
    two = SMALL.with_runs(SMALL.runs[0], replace(SMALL.runs[0], lambd=0.7))
    q = cm.question_for(two)
    assert (q.text, q.answers, q.rule) == (
        "Which run ends with the lowest test cost?",
        ("λ 0", "λ 0.7"),
        "lowest_test_cost",
    )
    no_test = replace(two, data=replace(two.data, test_fraction=0.0))
    assert cm.question_for(no_test).rule == "lowest_train_cost"
    one = cm.question_for(SMALL)
    assert one.rule == "test_band" and one.answers == ("< 60%", "60–80%", "80–90%", "≥ 90%")
    assert cm.question_for(replace(SMALL, data=no_test.data)).rule == "train_band"
    five = SMALL.with_runs(*[replace(SMALL.runs[0], lr=a) for a in (0.1, 0.2, 0.3, 0.4, 0.5)])
    assert len(cm.question_for(five).answers) == 4  # at most four: the first four runs


def test_long_run_labels_are_cut_to_fit_an_answer():
    run = SMALL.runs[0]
    many = dict(optimizer="momentum", lr=0.123, beta1=0.55, lambd=0.25, keep_prob=0.75)
    exp = SMALL.with_runs(run, replace(run, decay="inverse", decay_rate=0.5, **many))
    assert max(len(label) for label in lab.run_labels(exp)) > cm.MAX_ANSWER  # the premise
    q = cm.question_for(exp)
    assert all(len(a) <= cm.MAX_ANSWER for a in q.answers) and q.answers[1].endswith("…")
    last = replace(exp.runs[1], decay_interval=500)  # its label differs only at the end
    cut = cm.question_for(exp.with_runs(*exp.runs, last))
    assert cut.answers == ("run 1", "run 2", "run 3")


def test_correct_answers_from_trained_runs_with_ties():
    """A run and its copy train to identical numbers: both are right. The hand-picked winner is
    read off the histories' last test costs."""
    base = SMALL.runs[0]
    exp = SMALL.with_runs(base, replace(base, lambd=5.0), base)
    hs = run_experiment(exp)
    q = cm.question_for(exp)
    assert q.answers == ("λ 0", "λ 5", "λ 0 (copy)")
    costs = [h.test_cost[-1] for h in hs]
    assert costs[0] == costs[2] != costs[1]  # the premise: the copy ties to the last digit
    winners = {q.answers[i] for i in range(3) if costs[i] == min(costs)}
    assert cm.correct_answers(q, exp, hs) == winners
    band_q = cm.question_for(SMALL.with_runs(base))
    (right,) = cm.correct_answers(band_q, SMALL.with_runs(base), hs[:1])
    assert right == cm.band(hs[0].test_accuracy[-1])


def test_a_diverged_run_is_never_the_right_answer():
    data = DataConfig("moons", samples=120, noise=0.2, test_fraction=0.25)
    common = dict(hidden=(4, 3), optimizer="gd", batch_size=0, epochs=50)
    exp = Experiment(
        data=data,
        runs=(RunConfig(lr=50, lambd=100, **common), RunConfig(lr=0.01, **common)),
        seed=1,
    )
    hs = run_experiment(exp)
    assert hs[0].diverged_at is not None
    q = cm.Question("Lowest?", ("big", "small"), "lowest_train_accuracy", (0, 1))
    assert cm.correct_answers(q, exp, hs) == {"small"}


def test_tally_counts_in_the_answers_order():
    q = _question(answers=("c", "a", "b"))
    assert list(cm.tally(q, ["a", "b", "a", "zzz", "a"]).items()) == [("c", 0), ("a", 3), ("b", 1)]


# --- activities -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(LESSONS))
def test_a_lessons_predict_activity_round_trips(key):
    activity = cm.predict(LESSONS[key].experiment)
    assert cm.Activity.from_json(activity.to_json()) == activity


def test_a_grid_activity_round_trips():
    again = cm.Activity.from_json(GRID.to_json())
    assert again == GRID and again.choices == cm.PREDICTIONS["band"]
    fit = replace(GRID, prediction="fit")
    assert cm.Activity.from_json(fit.to_json()).choices == ("fails", "fits", "overfits")


QUESTION = {"text": "Which?", "answers": ["a", "b"], "rule": "test_band", "options": [0, 1]}


def _edited(change: dict) -> str:
    d = json.loads(GRID.to_json())
    d.update(change)
    return json.dumps(d)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "an activity is JSON"),
        ("[1, 2]", "a JSON object"),
        (_edited({"colour": "red"}), "unknown activity keys: colour"),
        (_edited({"kind": "quiz"}), "kind must be one of predict, grid"),
        (_edited({"experiment": 3}), "needs an experiment object"),
        (_edited({"axes": "lr=0.1"}), "axes must be a list"),
        (_edited({"axes": ["lr=0.1", "lr=0.2"]}), "lr is varied twice"),
        (_edited({"axes": ["epochs=1,2"]}), "cannot vary 'epochs'"),
        (_edited({"axes": []}), "one or two settings, got 0"),
        (_edited({"prediction": "score"}), "prediction must be one of band, fit"),
        (_edited({"question": QUESTION}), "a grid activity has no question"),
        (_edited({"kind": "predict", "axes": []}), "needs a question"),
        (_edited({"kind": "predict", "axes": [], "question": {"text": "x"}}), "wrong shape"),
        (_edited({"experiment": {"runs": [{}, {}]}}), "one run"),
        (_edited({"experiment": {"data": {"test_fraction": 0.0}}}), "needs a test set"),
        (_edited({"experiment": {"runs": [{"lr": -1}]}}), "lr must be in"),
    ],
)
def test_from_json_refuses_bad_input_in_one_line(text, message):
    with pytest.raises(ValueError, match=message) as e:
        cm.Activity.from_json(text)
    assert "\n" not in str(e.value)


# --- the grid ---------------------------------------------------------------------------------


def test_grid_cells_in_run_order_with_stable_ids():
    cells = cm.grid_cells(GRID)
    assert [c.id for c in cells] == ["r1c1", "r1c2", "r2c1", "r2c2", "r3c1", "r3c2"]
    assert cells[3].settings == {"lr": 0.01, "lambd": 1.0}
    sweep = GRID.sweep()
    for c in cells:
        assert c.experiment == sweep.experiment_at(c.index)
        assert c.experiment.runs[0].lr == c.settings["lr"]
    one = cm.grid_cells(replace(GRID, axes=("init=zeros,he,xavier",)))
    assert [c.id for c in one] == ["r1c1", "r1c2", "r1c3"]
    assert [c.settings for c in one] == [{"init": "zeros"}, {"init": "he"}, {"init": "xavier"}]


def test_lab_link_opens_the_cells_own_run_in_the_lab():
    for cell in cm.grid_cells(GRID):
        exp, warnings = lab.experiment_from_url(cm.lab_link(cell))
        assert warnings == [] and exp == cell.experiment


def test_assign_is_round_robin_fewest_takers_first():
    cells = cm.grid_cells(GRID)
    taken: dict[str, int] = {}
    order = []
    for _ in range(2 * len(cells) + 2):
        cell = cm.assign(cells, taken)
        order.append(cell.id)
        taken[cell.id] = taken.get(cell.id, 0) + 1
        assert max(taken.values()) - min(taken.get(c.id, 0) for c in cells) <= 1
    ids = [c.id for c in cells]
    assert order == ids + ids + ids[:2]  # ties go in grid order


def test_assign_skips_a_cell_a_student_picked_themselves():
    cells = cm.grid_cells(GRID)
    assert cm.assign(cells, {"r1c1": 1, "r2c1": 1}).id == "r1c2"
    assert cm.assign(cells, {c.id: 2 for c in cells} | {"r3c2": 1}).id == "r3c2"
    with pytest.raises(ValueError, match="no cells"):
        cm.assign([], {})


# --- the board --------------------------------------------------------------------------------


def _results(grid_rows):
    cells = cm.grid_cells(GRID)
    results = {
        "r1c1": cm.Entry("ana", "80–90%", grid_rows[0].history),
        "r2c2": cm.Entry("<b>bo</b>", "≥ 90%", grid_rows[3].history),
        "r3c1": cm.Entry("cy", "< 60%"),  # predicted, still training
    }
    return cells, results


def test_board_draws_with_the_sweep_map(grid_rows):
    cells, results = _results(grid_rows)
    data = cm.board_grid(GRID, cells, results)
    fig = map_figure(data)
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    assert z.shape == (3, 2)
    assert z[0, 0] == grid_rows[0].history.test_accuracy[-1]
    assert z[1, 1] == grid_rows[3].history.test_accuracy[-1]
    assert np.isnan(z[[0, 1, 2, 2], [1, 0, 0, 1]]).all()  # untaken and untrained cells
    hover = list(fig.data[target_trace(fig)].hovertext)  # row-major, as the cells
    got = cm.band(grid_rows[0].history.test_accuracy[-1])
    assert hover[0] == f"ana · predicted 80–90% · got {got}"
    assert hover[3].startswith("&lt;b&gt;bo&lt;/b&gt; · predicted ≥ 90% · got ")
    assert hover[4] == "cy · predicted &lt; 60% · training…"
    assert hover[1] == hover[2] == hover[5] == "free"


def test_board_of_a_one_setting_grid_is_one_row(grid_rows):
    activity = replace(GRID, axes=("lr=0.001,0.01,0.1",), prediction="fit")
    cells = cm.grid_cells(activity)
    rows = run_sweep(activity.sweep()).rows
    results = {"r1c3": cm.Entry("di", "overfits", rows[2].history)}
    fig = map_figure(cm.board_grid(activity, cells, results))
    assert np.array(fig.data[0].z, dtype=float).shape == (1, 3)
    hover = list(fig.data[target_trace(fig)].hovertext)
    assert hover[2] == f"di · predicted overfits · got {cm.fit(rows[2].history)}"


def test_export_rows_one_per_taken_cell_in_grid_order(grid_rows):
    cells, results = _results(grid_rows)
    rows = cm.export_rows(GRID, cells, results)
    assert [r["cell"] for r in rows] == ["r1c1", "r2c2", "r3c1"]
    first = rows[0]
    h = grid_rows[0].history
    assert set(first) == {"lr", "lambd", *cm.EXPORT_COLUMNS}
    assert (first["lr"], first["lambd"], first["nickname"]) == (0.001, 0.0, "ana")
    assert first["test_accuracy"] == h.test_accuracy[-1]
    assert first["right"] == (cm.band(h.test_accuracy[-1]) == "80–90%")
    assert rows[2]["outcome"] is None and rows[2]["right"] is None
    assert rows[2]["test_accuracy"] is None
