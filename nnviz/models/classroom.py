"""Class mode's page model (docs/design.md §8): activities, questions, outcomes, grid and board.

Plain Python: no SQL, no streamlit, no plotly. Everything right or wrong is computed here from
trained histories, never from numbers a client sends.

- A **predict** activity asks one Question about an experiment; each answer stands for a run (or,
  for a one-run experiment, a band of test accuracy), and the Question's rule picks the right ones.
- A **grid** activity is a sweep (one or two settings over values, as on the sweep page): each
  student takes one cell, predicts its outcome (a test-accuracy band, or fails / fits / overfits),
  trains it in their own lab view, and the board shows every cell as a heat map.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nnviz.engine.config import Experiment
from nnviz.engine.history import History
from nnviz.engine.lessons import LESSONS
from nnviz.engine.sweep import Sweep, SweepRow, parse_axis
from nnviz.models import lab_model as lab
from nnviz.models.sweep_model import MapData, map_data

KINDS = ("predict", "grid")
MIN_ANSWERS, MAX_ANSWERS = 2, 4
MAX_TEXT = 200  # characters of a question
MAX_ANSWER = 60  # characters of one answer
TIE = 1e-9  # two runs' numbers closer than this (relative) are equal: both answers are right


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _final(h: History, name: str) -> float:
    value = h.final[name]
    return math.nan if value is None else value


# --- outcomes of one run ------------------------------------------------------------------------

# (lowest accuracy included, label): a test accuracy a is in the last band whose edge is <= a
BANDS = ((0.0, "< 60%"), (0.6, "60–80%"), (0.8, "80–90%"), (0.9, "≥ 90%"))
FITS = ("fails", "fits", "overfits")
FAIL_BELOW = 0.6  # test accuracy under this: the run has not learned the data
OVERFIT_GAP = 0.05  # train − test accuracy of at least this: it learned the training set's noise
EDGE = 1e-9  # accuracies are k/m; this keeps 0.6 from being read as 0.59999999


def band(accuracy: float) -> str:
    """The band of a test accuracy; each band includes its lower edge (60% is '60–80%')."""
    _check(math.isfinite(accuracy), f"an accuracy band needs a number, got {accuracy!r}")
    return [label for edge, label in BANDS if accuracy >= edge - EDGE][-1]


def fit(history: History) -> str:
    """'fails' if the run diverged or its final test accuracy is below 60%; else 'overfits' if
    its final train accuracy exceeds its test accuracy by 5 points or more; else 'fits'."""
    test, train = _final(history, "test_accuracy"), _final(history, "train_accuracy")
    if history.diverged_at is not None or not test >= FAIL_BELOW - EDGE:
        return "fails"
    return "overfits" if train - test >= OVERFIT_GAP - EDGE else "fits"


# --- questions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How a question's right answers follow from the runs: each run's score, and the best
    wins (or, with ``at_most``, every run whose score is at most that)."""

    title: str
    score: Callable[[History], float]
    lower_better: bool
    needs_test: bool = False
    at_most: float | None = None  # if set: every run scoring at most this is right, not the best


HALF_BAND = 0.02  # "stays at 50%": the training accuracy never leaves 48–52%


def _stays_half(h: History) -> float:
    """How far the training accuracy ever got from 50% (0 for a run that never learned)."""
    return float(np.nanmax(np.abs(h.train_accuracy - 0.5)))


def _ending(name: str) -> Callable[[History], float]:
    return lambda h: _final(h, name)


def _gap(h: History) -> float:
    return _final(h, "train_accuracy") - _final(h, "test_accuracy")


RULES = {
    "lowest_test_cost": Rule("lowest final test cost", _ending("test_cost"), True, True),
    "lowest_train_cost": Rule("lowest final cost J", _ending("train_cost"), True),
    "highest_test_accuracy":
        Rule("highest final test accuracy", _ending("test_accuracy"), False, True),
    "highest_train_accuracy":
        Rule("highest final training accuracy", _ending("train_accuracy"), False),
    "lowest_train_accuracy":
        Rule("lowest final training accuracy", _ending("train_accuracy"), True),
    "stays_half": Rule("training accuracy stays at 50%", _stays_half, True, at_most=HALF_BAND),
    "widest_gap": Rule("widest gap between training and test accuracy", _gap, False, True),
    "test_band": Rule("final test accuracy", _ending("test_accuracy"), False, True),
    "train_band": Rule("final training accuracy", _ending("train_accuracy"), False),
}  # fmt: skip
BAND_RULES = ("test_band", "train_band")  # answers stand for BANDS, not for runs


def _check_shapes(text: Any, answers: Any, options: Any) -> None:
    """A question's fields have the right types (JSON may hold anything)."""
    _check(isinstance(text, str), "a question's text is a string")
    _check(
        isinstance(answers, (tuple, list)) and all(isinstance(a, str) for a in answers),
        "a question's answers are a list of strings",
    )
    _check(
        isinstance(options, (tuple, list))
        and all(isinstance(o, int) and not isinstance(o, bool) for o in options),
        "a question's options are a list of whole numbers",
    )


@dataclass(frozen=True)
class Question:
    """A question, its 2–4 answers, and what each answer stands for: ``options[i]`` is the run
    index (or, for a band rule, the BANDS index) of ``answers[i]``. The teacher may edit the text
    and the answers; the rule and options stay, so the right answers are still computed."""

    text: str
    answers: tuple[str, ...]
    rule: str
    options: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_shapes(self.text, self.answers, self.options)
        answers = tuple(" ".join(a.split()) for a in self.answers)
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "text", " ".join(self.text.split()))
        _check(bool(self.text), "a question needs some text")
        _check(len(self.text) <= MAX_TEXT, f"a question has at most {MAX_TEXT} characters")
        _check(
            MIN_ANSWERS <= len(answers) <= MAX_ANSWERS,
            f"a question has {MIN_ANSWERS}–{MAX_ANSWERS} answers, got {len(answers)}",
        )
        _check(all(answers), "an answer is empty")
        _check(
            all(len(a) <= MAX_ANSWER for a in answers),
            f"an answer has at most {MAX_ANSWER} characters",
        )
        _check(len(set(answers)) == len(answers), "two answers are the same")
        _check(self.rule in RULES, f"rule must be one of {', '.join(RULES)}, got {self.rule!r}")
        _check(len(self.options) == len(answers), "each answer needs exactly one option")
        _check(len(set(self.options)) == len(self.options), "two answers stand for the same option")

    def edited(self, text: str, answers: Sequence[str]) -> Question:
        """The teacher's wording: same rule, same options (answers keep their order)."""
        return replace(self, text=text, answers=tuple(answers))

    def check_for(self, exp: Experiment) -> None:
        """ValueError unless this question can be answered by training ``exp``."""
        count = len(BANDS) if self.rule in BAND_RULES else len(exp.runs)
        _check(
            all(0 <= o < count for o in self.options),
            f"options must be indices below {count}, got {list(self.options)}",
        )
        _check(
            not RULES[self.rule].needs_test or exp.data.test_fraction > 0,
            f"'{RULES[self.rule].title}' needs a test set; this experiment has none",
        )


def run_question(text: str, rule: str, exp: Experiment) -> Question:
    """A question whose answers are the experiment's runs (the first four), labelled as in the
    lab; a label too long for an answer is cut with '…' (or, if that merges two, 'run k')."""
    labels = lab.run_labels(exp)[:MAX_ANSWERS]
    short = tuple(a if len(a) <= MAX_ANSWER else a[: MAX_ANSWER - 1] + "…" for a in labels)
    if len(set(short)) < len(short):
        short = tuple(f"run {i + 1}" for i in range(len(labels)))
    return Question(text, short, rule, tuple(range(len(labels))))


LESSON_QUESTIONS = {  # lesson key -> (text, rule)
    "initialization": ("Which initialization stays at 50% accuracy?", "stays_half"),
    "deep_initialization": (
        "Which initialization ends with the highest test accuracy?",
        "highest_test_accuracy",
    ),
    "regularization": (
        "Which run overfits most (widest gap between train and test accuracy)?",
        "widest_gap",
    ),
    "early_stopping": ("Which run ends with the lowest test cost?", "lowest_test_cost"),
    "optimization": (
        "Which optimizer reaches the highest training accuracy?",
        "highest_train_accuracy",
    ),
    "decay": ("Which run ends with the lowest training accuracy?", "lowest_train_accuracy"),
    "batch_norm": ("Which runs end with the lowest training accuracy?", "lowest_train_accuracy"),
    "classes": (
        "Which network reaches the highest training accuracy?",
        "highest_train_accuracy",
    ),
    "features_or_depth": ("Which network stays at 50% accuracy?", "stays_half"),
    "l1_or_l2": (
        "Which run overfits most (widest gap between train and test accuracy)?",
        "widest_gap",
    ),
}


def question_for(exp: Experiment) -> Question:
    """The prefilled question: the lesson's own, else which run ends with the lowest test cost
    (training cost without a test set), else for one run the band of its test accuracy."""
    lesson = lab.lesson_for(exp)
    if lesson is not None and lesson.key in LESSON_QUESTIONS:
        return run_question(*LESSON_QUESTIONS[lesson.key], exp)
    has_test = exp.data.test_fraction > 0
    if len(exp.runs) >= MIN_ANSWERS:
        cost = "test cost" if has_test else "training cost"
        rule = "lowest_test_cost" if has_test else "lowest_train_cost"
        return run_question(f"Which run ends with the lowest {cost}?", rule, exp)
    which, rule = ("test", "test_band") if has_test else ("training", "train_band")
    labels = tuple(label for _, label in BANDS)
    return Question(f"What {which} accuracy will this run reach?", labels, rule, (0, 1, 2, 3))


def lesson_questions() -> dict[str, Question]:
    """Every lesson's prefilled question, by lesson key."""
    return {key: question_for(lesson.experiment) for key, lesson in LESSONS.items()}


def correct_answers(
    question: Question, exp: Experiment, histories: Sequence[History]
) -> frozenset[str]:
    """The right answers, from the trained runs of ``exp`` (all of them, in run order).

    The best score wins, and every answer within TIE of it too (ties are all right); a rule with
    ``at_most`` marks every run scoring at most that. A diverged run, or one without the number,
    is never right. For a band rule: the band of the first run.
    """
    question.check_for(exp)
    _check(len(histories) == len(exp.runs), f"need {len(exp.runs)} histories, got {len(histories)}")
    rule = RULES[question.rule]
    if question.rule in BAND_RULES:
        labels = [label for _, label in BANDS]
        got = labels.index(band(rule.score(histories[0])))
        return frozenset(a for a, o in zip(question.answers, question.options) if o == got)
    scores = _scores(rule, histories, question.options)
    if not scores:
        return frozenset()
    best, tie = min(scores.values()), TIE * max(1.0, abs(min(scores.values())))
    if rule.at_most is not None:
        best, tie = rule.at_most, EDGE
    right = {o for o, score in scores.items() if score <= best + tie}
    return frozenset(a for a, o in zip(question.answers, question.options) if o in right)


def _scores(rule: Rule, histories: Sequence[History], options: Sequence[int]) -> dict[int, float]:
    """Each option's score, signed so that lower is better; diverged and missing ones left out."""
    sign = 1.0 if rule.lower_better else -1.0
    scores = {o: sign * rule.score(histories[o]) for o in options}
    return {
        o: score
        for o, score in scores.items()
        if histories[o].diverged_at is None and math.isfinite(score)
    }


def tally(question: Question, answers: Iterable[str]) -> dict[str, int]:
    """How many students gave each answer, in the question's order (unknown answers ignored)."""
    counts = dict.fromkeys(question.answers, 0)
    for answer in answers:
        if answer in counts:
            counts[answer] += 1
    return counts


# --- activities ---------------------------------------------------------------------------------

PREDICTIONS = {"band": tuple(label for _, label in BANDS), "fit": FITS}  # a grid's predictions


@dataclass(frozen=True)
class Activity:
    """What the class does with ``experiment``: answer ``question`` (kind 'predict'), or share a
    grid (kind 'grid'): ``axes`` as on the sweep page ('lr=1e-3:1:4:log'), the experiment's one
    run the base, each cell predicted as a test-accuracy band or fails / fits / overfits."""

    kind: str
    experiment: Experiment
    question: Question | None = None
    axes: tuple[str, ...] = ()
    prediction: str = "band"

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", tuple(self.axes))
        _check(self.kind in KINDS, f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "predict":
            _check(self.question is not None, "a predict activity needs a question")
            _check(not self.axes, "a predict activity has no axes")
            self.question.check_for(self.experiment)
            return
        _check(self.question is None, "a grid activity has no question")
        _check(
            self.prediction in PREDICTIONS,
            f"prediction must be one of {', '.join(PREDICTIONS)}, got {self.prediction!r}",
        )
        _check(len(self.experiment.runs) == 1, "a grid's base experiment has one run")
        _check(
            self.experiment.data.test_fraction > 0, "a grid needs a test set (test_fraction > 0)"
        )
        self.sweep()  # the axes parse and every cell is a valid run, or ValueError

    @property
    def choices(self) -> tuple[str, ...]:
        """What a student chooses from: the question's answers, or the grid's predictions."""
        return self.question.answers if self.question else PREDICTIONS[self.prediction]

    def sweep(self) -> Sweep:
        return Sweep(self.experiment, tuple(parse_axis(text) for text in self.axes))

    def to_json(self) -> str:
        q = self.question
        return json.dumps(
            {
                "kind": self.kind,
                "experiment": self.experiment.to_dict(),
                "question": None if q is None else {"text": q.text, "answers": list(q.answers),
                                                    "rule": q.rule, "options": list(q.options)},
                "axes": list(self.axes),
                "prediction": self.prediction,
            }
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str | bytes) -> Activity:
        """Inverse of to_json; anything else raises a one-line ValueError."""
        try:
            d = json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"an activity is JSON ({e})") from None
        _check(isinstance(d, dict), "an activity is a JSON object")
        unknown = set(d) - {"kind", "experiment", "question", "axes", "prediction"}
        _check(not unknown, f"unknown activity keys: {', '.join(sorted(unknown))}")
        _check(isinstance(d.get("experiment"), dict), "an activity needs an experiment object")
        q, axes = d.get("question"), d.get("axes", [])
        _check(q is None or isinstance(q, dict), "question must be a JSON object or null")
        _check(isinstance(axes, list), "axes must be a list of FIELD=VALUES texts")
        try:
            question = None if q is None else Question(**q)
            exp = Experiment.from_json(json.dumps(d["experiment"]))
            return cls(d.get("kind"), exp, question, tuple(axes), d.get("prediction", "band"))
        except TypeError as e:  # a missing or unknown question field, a number for a list
            raise ValueError(f"an activity value has the wrong shape ({e})") from None


def predict(exp: Experiment) -> Activity:
    """Predict-then-reveal on ``exp`` with its prefilled question."""
    return Activity("predict", exp, question_for(exp))


# --- the grid -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: its id ('r2c3', 1-based row and column), its place in run order, the
    swept values, and the one-run experiment the student trains."""

    id: str
    index: int
    row: int
    col: int
    settings: dict[str, Any] = field(compare=False, hash=False)
    experiment: Experiment = field(compare=False, hash=False, repr=False)


def grid_cells(activity: Activity) -> list[Cell]:
    """Every cell, row-major (the sweep's run order); a one-setting grid is one row."""
    _check(activity.kind == "grid", "only a grid activity has cells")
    sweep = activity.sweep()
    cells = []
    for index, at in enumerate(sweep.cells()):
        row, col = at if len(at) == 2 else (0, at[0])
        settings, exp = sweep.settings(at), sweep.experiment_at(index)
        cells.append(Cell(f"r{row + 1}c{col + 1}", index, row, col, settings, exp))
    return cells


def lab_link(cell: Cell) -> dict[str, str]:
    """The lab's query parameters for the cell's run: the lab trains exactly these numbers."""
    return lab.url_params(cell.experiment)


def assign(cells: Sequence[Cell], taken_counts: Mapping[str, int]) -> Cell:
    """The next student's cell: the one with the fewest takers, of those the first in the grid."""
    _check(bool(cells), "a grid has no cells")
    return min(cells, key=lambda c: (taken_counts.get(c.id, 0), c.index))


@dataclass(frozen=True)
class Outcome:
    """What a trained cell did: the numbers the board shows, its band and its fit."""

    test_accuracy: float
    train_accuracy: float
    test_cost: float
    diverged_at: int | None
    band: str | None  # None when the run has no finite test accuracy
    fit: str

    def answer(self, prediction: str) -> str | None:
        """The outcome in the words a student predicted in ('band' or 'fit')."""
        return self.band if prediction == "band" else self.fit


def outcome(history: History) -> Outcome:
    test = _final(history, "test_accuracy")
    return Outcome(
        test_accuracy=test,
        train_accuracy=_final(history, "train_accuracy"),
        test_cost=_final(history, "test_cost"),
        diverged_at=history.diverged_at,
        band=band(test) if math.isfinite(test) else None,
        fit=fit(history),
    )


# --- the board ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Entry:
    """One student's cell: their nickname, their prediction, and the run once it has trained."""

    nickname: str
    prediction: str
    history: History | None = None


def _hover(entry: Entry | None, prediction: str) -> str:
    if entry is None:
        return "free"
    name = html.escape(entry.nickname)  # a nickname is text, never markup on another's page
    said = f"{name} · predicted {html.escape(entry.prediction)}"
    if entry.history is None:
        return f"{said} · training…"
    return f"{said} · got {outcome(entry.history).answer(prediction) or '—'}"


def board_grid(
    activity: Activity,
    cells: Sequence[Cell],
    results: Mapping[str, Entry],
    metric: str = "test_accuracy",
) -> MapData:
    """The board's heat map of the trained cells (as the sweep page's map, so map_figure draws
    it), each cell's hover 'nickname · predicted X · got Y'."""
    sweep = activity.sweep()
    places = sweep.cells()
    rows = [
        SweepRow(c.index, places[c.index], c.settings, results[c.id].history)
        for c in cells
        if c.id in results and results[c.id].history is not None
    ]
    data = map_data(sweep, rows, metric, below=0.3)
    hover = np.full(data.z.shape, "", dtype=object)
    for c in cells:
        hover[c.row, c.col] = _hover(results.get(c.id), activity.prediction)
    return replace(data, hover=hover)


EXPORT_COLUMNS = (
    "cell", "nickname", "prediction", "outcome", "right",
    "test_accuracy", "train_accuracy", "test_cost", "diverged_at",
)  # fmt: skip


def export_rows(
    activity: Activity, cells: Sequence[Cell], results: Mapping[str, Entry]
) -> list[dict[str, Any]]:
    """One row per taken cell, in grid order, for the CSV: the cell, its swept settings, who ran
    it, what they predicted, and what it did (empty until trained)."""
    rows = []
    for c in cells:
        entry = results.get(c.id)
        if entry is None:
            continue
        got = outcome(entry.history) if entry.history is not None else None
        said = got.answer(activity.prediction) if got else None
        numbers = {k: getattr(got, k) if got else None for k in EXPORT_COLUMNS[5:]}
        rows.append(
            {"cell": c.id, **c.settings, "nickname": entry.nickname, "prediction": entry.prediction,
             "outcome": said, "right": None if got is None else said == entry.prediction, **numbers}
        )  # fmt: skip
    return rows
