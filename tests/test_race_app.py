"""The lab's fair race panel (app_pages/parts/race.py), driven by AppTest: off until asked for, then
the
tuned α of each optimizer (the same as nnviz.engine.tune gives), the race, the loss-vs-α curves
and the link that opens the race in the lab; refused with a reason when it would train too long."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from app_pages.parts import race
from nnviz.engine.tune import tune
from nnviz.models import lab_model as lab
from tests.helpers.apptest import assert_clean, chart, charts, open_app

SHORT = {"epochs": "30,30"}


def opened(params: dict[str, str] = SHORT):
    at = open_app(params)
    at.toggle(key="race_on").set_value(True).run()
    assert_clean(at)
    return at


def race_table(at) -> list[dict]:
    (table,) = [t for t in at.table if "α chosen" in t.value.columns]
    return table.value.to_dict("records")


def test_the_race_is_off_until_asked_for():
    at = open_app(SHORT)
    assert_clean(at)
    assert not set(charts(at)) & {"race_cost", "race_scan"}


def test_each_optimizer_races_at_the_alpha_tune_chooses():
    at = opened()
    exp, _ = lab.experiment_from_url(SHORT)
    expected = tune(exp, "final")
    rows = race_table(at)
    assert [r["α chosen"] for r in rows] == [lab.fmt(t.best) for t in expected.values()]
    cost = chart(at, "race_cost")
    names = {t["name"] for t in cost["data"] if t.get("showlegend", True)}
    assert all(any(lab.fmt(t.best) in n for n in names) for t in expected.values())
    assert chart(at, "race_scan")["data"]
    (link,) = at.get("link_button")
    raced, warnings = lab.experiment_from_url(dict(parse_qsl(urlsplit(link.proto.url).query)))
    assert warnings == []
    assert [(r.optimizer, r.lr) for r in raced.runs] == [(n, t.best) for n, t in expected.items()]


def test_the_reach_criterion_chooses_again():
    at = opened()
    at.radio(key="race_criterion").set_value("reach").run()
    at.number_input(key="race_tol").set_value(0.5).run()
    assert_clean(at)
    exp, _ = lab.experiment_from_url(SHORT)
    expected = tune(exp, "reach", 0.5)
    assert [r["α chosen"] for r in race_table(at)] == [lab.fmt(t.best) for t in expected.values()]


def test_a_race_that_would_train_too_long_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(race, "MAX_TUNE_SECONDS", 0.01)  # the page's module, as the app runs it
    at = opened()
    assert any("Tuning would train 64 runs" in w.value for w in at.warning)
    assert "race_cost" not in set(charts(at))
