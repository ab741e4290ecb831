"""The Inside panel's "Gradient check" expander (app_pages/parts/gradient_check.py), driven by
AppTest: closed and not computed by default; open, the engine's backprop passes in every layer; the
bug hunt plants a bug that the table flags in its layer, keeps it across reruns and epochs, and
tells a wrong answer from the right one."""

from __future__ import annotations

from tests.helpers.apptest import assert_clean, open_app

COLUMNS = ["layer", "parameters", "‖g‖", "‖g_approx‖", "difference", "check"]


def opened():
    at = open_app()
    at.toggle(key="inside_show").set_value(True).run()
    assert_clean(at)
    return at


def check_table(at):
    (table,) = [t.value for t in at.table if list(t.value.columns) == COLUMNS]
    return table


def test_closed_by_default_then_the_engines_backprop_passes_in_every_layer():
    at = opened()
    assert [e.label for e in at.expander] == ["Gradient check"]
    assert not [t for t in at.table if list(t.value.columns) == COLUMNS]  # lazy: not computed
    at.session_state["gradcheck_open"] = True  # what a click on the expander sends
    at.run()
    assert_clean(at)
    table = check_table(at)
    # the lab's default network 2-20-10-1: three layers, then the whole network, checked whole
    assert list(table["layer"]) == ["1: W[1], b[1]", "2: W[2], b[2]", "3: W[3], b[3]", "network"]
    assert list(table["parameters"]) == ["60", "210", "11", "281"]
    assert all(float(d) < 2e-7 for d in table["difference"])
    assert set(table["check"]) == {"✓ below 2e-7"}
    assert any("dropout off" in c.value and "ε = 1e-7" in c.value for c in at.caption)


def test_a_bug_hunt_flags_its_layer_survives_reruns_and_answers():
    at = opened()
    at.session_state["gradcheck_open"] = True
    at.run()
    at.button(key="gradcheck_plant").click().run()
    assert_clean(at)
    planted = at.session_state["gradcheck_hunt"]["planted"]
    flags = [c == "✗ flagged" for c in check_table(at)["check"]]
    assert flags[planted.layer - 1] and flags[-1]  # its layer, and the network
    assert not any(flags[planted.layer : -1])  # never a layer above it
    assert any("hidden bug" in c.value for c in at.caption)

    at.select_slider(key="scrub").set_value(0).run()  # another epoch: the bug is in the code
    assert_clean(at)
    assert at.session_state["gradcheck_hunt"]["planted"] == planted

    wrong = 1 if planted.layer != 1 else 2
    at.radio(key="gradcheck_guess").set_value(wrong).run()
    at.button(key="gradcheck_answer").click().run()
    assert [e.value for e in at.error][-1].startswith(f"Not layer {wrong}.")
    assert not at.success
    at.radio(key="gradcheck_guess").set_value(planted.layer).run()
    at.button(key="gradcheck_answer").click().run()
    assert_clean(at)
    assert f"Right: layer {planted.layer}, “{planted.bug}”" in at.success[-1].value

    at.button(key="gradcheck_end").click().run()
    assert_clean(at)
    assert "gradcheck_hunt" not in at.session_state
    assert set(check_table(at)["check"]) == {"✓ below 2e-7"}


def test_a_vanished_gradient_is_explained_and_hides_no_bug():
    """Three sigmoid layers from a ×0.01 initialization: the first layers' ‖g‖ is about 1e-5, below
    what central differences resolve, so they are flagged with the real backprop — and said so."""
    at = open_app({"epochs": "20,20", "hidden": "4-4-4,4-4-4", "activation": "sigmoid",
                   "init": "small,small"})  # fmt: skip
    at.toggle(key="inside_show").set_value(True).run()
    at.session_state["gradcheck_open"] = True
    at.run()
    assert_clean(at)
    table = check_table(at)
    assert list(table["check"])[0] == "✗ flagged" and float(table["‖g‖"][0]) < 1e-3
    assert any("vanished" in c.value for c in at.caption)
    at.button(key="gradcheck_plant").click().run()
    assert "gradcheck_hunt" not in at.session_state
    assert any("No bug can hide" in i.value for i in at.info)
