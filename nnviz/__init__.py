"""nnviz: watch L2 regularization, optimizers and initialization change how a network learns.

The Python API the app, the CLI and the tests use:

    from nnviz import Experiment, DataConfig, RunConfig, run_experiment
    exp = Experiment(DataConfig("moons", samples=300, noise=0.2, test_fraction=0.25),
                     runs=(RunConfig(optimizer="gd", lr=0.1), RunConfig(optimizer="adam")), seed=0)
    histories = run_experiment(exp)          # one History per run, trained in lockstep
    histories[1].train_cost[-1], histories[1].params   # final J; [(W1, b1), (W2, b2), ...]

    from nnviz import Sweep, parse_axis, run_sweep     # one or two settings over a grid
    result = run_sweep(Sweep(exp, (parse_axis("lr=1e-4:1:9:log"),)), jobs=2)
    result.grid("test_accuracy"), result.rows[0].history
"""

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import DataError, Dataset, from_csv, generate
from nnviz.engine.sweep import Axis, Sweep, SweepResult, iter_sweep, parse_axis, run_sweep
from nnviz.engine.train import History, load_data, run_experiment, train

__all__ = [
    "Axis",
    "DataConfig",
    "DataError",
    "Dataset",
    "Experiment",
    "History",
    "RunConfig",
    "Sweep",
    "SweepResult",
    "from_csv",
    "generate",
    "iter_sweep",
    "load_data",
    "parse_axis",
    "run_experiment",
    "run_sweep",
    "train",
]
