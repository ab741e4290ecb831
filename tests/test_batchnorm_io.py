"""Batch norm everywhere a setting goes: the CLI and its JSON, --config, sweeps, weights files.

Oracles: the same run trained again from its written config or weights (the numbers must repeat),
train's result for a sweep row, and the shapes docs/design.md §7 states for the exported arrays.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from nnviz.cli.main import main
from nnviz.engine.config import Experiment, RunConfig
from nnviz.engine.landscape import landscape
from nnviz.engine.lessons import BATCH_NORM
from nnviz.engine.train import load_data, run_experiment
from nnviz.models import lab_model as lab
from nnviz.models.formulas import formula_sections

FAST = ["--samples", "80", "--epochs", "6", "--hidden", "5,4", "--batch-size", "16", "--seed", "2"]


def run_cli(capsys, *args: str) -> dict:
    assert main([*args, "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_batch_norm_flags_reach_the_json_and_the_config_round_trips(capsys, tmp_path):
    first = run_cli(capsys, "train", *FAST, "--batch-norm", "--bn-momentum", "0.2")
    run = first["config"]["runs"][0]
    assert (run["batch_norm"], run["bn_momentum"], run["bn_epsilon"]) == (True, 0.2, 1e-5)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(first["config"]))
    again = run_cli(capsys, "train", "--config", str(path))
    assert again["train_cost"] == first["train_cost"] and again["final"] == first["final"]
    plain = run_cli(capsys, "train", *FAST)
    assert plain["config"]["runs"][0]["batch_norm"] is False
    assert plain["final"] != first["final"]


def test_an_old_config_without_the_fields_trains_without_batch_norm(capsys, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"runs": [{"hidden": [3], "epochs": 2}], "seed": 1}))
    assert (
        run_cli(capsys, "train", "--config", str(path))["config"]["runs"][0]["batch_norm"] is False
    )


@pytest.mark.parametrize(
    "args, needle",
    [(["--bn-momentum", "0"], "--bn-momentum must be in (0, 1], got 0.0"),
     (["--bn-epsilon", "2"], "--bn-epsilon must be in (0, 1], got 2.0"),
     (["--bn-momentum", "x"], "--bn-momentum")],
)  # fmt: skip
def test_bad_batch_norm_values_are_one_line(capsys, args, needle):
    assert main(["train", *FAST, "--batch-norm", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_saved_weights_carry_gamma_beta_and_running_statistics(capsys, tmp_path):
    """--save writes γ, β, running μ and σ² per hidden layer, (n[l], 1) each; --init-from reads
    them back, so epoch 0 of the reloaded run evaluates to the saved run's final cost."""
    path = str(tmp_path / "bn.npz")
    saved = run_cli(capsys, "train", *FAST, "--batch-norm", "--save", path)
    with np.load(path, allow_pickle=False) as npz:
        shapes = {k: npz[k].shape for k in npz.files}
        assert np.all(npz["running_var1"] > 0) and np.any(npz["running_mean1"] != 0)
    for l, n in ((1, 5), (2, 4)):
        for name in ("gamma", "beta", "running_mean", "running_var", "b"):
            assert shapes[f"{name}{l}"] == (n, 1)
    assert len(shapes) == 6 + 8
    loaded = run_cli(capsys, "train", *FAST, "--batch-norm", "--epochs", "0", "--init-from", path)
    assert loaded["train_cost"][0] == pytest.approx(saved["final"]["train_cost"], rel=1e-12)
    assert main(["train", *FAST, "--epochs", "0", "--init-from", path]) == 2  # not a BN network
    assert "unexpected array" in capsys.readouterr().err


def test_a_sweep_varies_batch_norm_and_each_row_is_the_run_alone(capsys):
    r = run_cli(
        capsys, "sweep", *FAST, "--vary", "batch_norm=off,on", "--vary", "bn_momentum=0.1,0.5"
    )
    assert [(row["batch_norm"], row["bn_momentum"]) for row in r["rows"]] == [
        (False, 0.1), (False, 0.5), (True, 0.1), (True, 0.5)
    ]  # fmt: skip
    alone = run_cli(capsys, "train", *FAST, "--batch-norm", "--bn-momentum", "0.5")
    assert {k: r["rows"][3][k] for k in alone["final"]} == alone["final"]
    assert r["rows"][0]["train_cost"] == r["rows"][1]["train_cost"]  # no BN: ρ plays no part


# --- the lab: URL, labels, formulas --------------------------------------------------------------


def bn_pair():
    net = dict(hidden=(5, 5, 5), epochs=50)
    runs = (RunConfig(**net), RunConfig(**net, batch_norm=True, bn_momentum=0.2))
    return Experiment(runs=runs)


def test_the_url_keeps_batch_norm_per_run_and_old_links_mean_off():
    exp = bn_pair()
    params = lab.url_params(exp)
    assert (params["batch_norm"], params["bn_momentum"]) == ("0,1", "0.1,0.2")
    back, warnings = lab.experiment_from_url(params)
    assert (back, warnings) == (exp, [])
    old = {k: v for k, v in params.items() if not k.startswith(("batch_norm", "bn_"))}
    back, warnings = lab.experiment_from_url(old)
    assert warnings == [] and not any(r.batch_norm for r in back.runs)


def test_runs_with_and_without_batch_norm_are_labelled_and_shown_per_run():
    assert "batch_norm" in lab.PER_RUN and "batch_norm" not in lab.SHARED
    assert lab.run_labels(bn_pair()) == ("no BN, ρ 0.1", "batch norm, ρ 0.2")


def test_the_formulas_panel_says_b_is_dropped_only_with_batch_norm():
    plain, bn = bn_pair().runs
    headings = [h for h, _lines in formula_sections(bn, 200)]
    assert any("b[l] is dropped" in h for h in headings)
    assert not any("Batch normalization" in h for h, _ in formula_sections(plain, 200))
    lines = dict(formula_sections(bn, 200))[headings[-1]]
    assert r"(1 - 0.2)\, \mu_{run} + 0.2\, \mu" in lines[2] and "10^{-5}" in lines[1]


def test_the_loss_landscape_takes_bn_and_plain_runs_on_one_plane():
    """The lesson's four runs (two with BN): one slice through the BN run's final weights; at its
    centre J is that run's recorded final cost, evaluated with its running statistics."""

    exp = replace(
        BATCH_NORM.experiment, runs=tuple(replace(r, epochs=20) for r in BATCH_NORM.experiment.runs)
    )
    histories = run_experiment(exp)
    for directions in ("random", "pca"):
        land = landscape(histories, load_data(exp), centre=1, directions=directions, n=5)
        assert len(land.paths) == 4
        assert land.J[2, 2] == pytest.approx(histories[1].final["train_cost"], rel=1e-9)
