"""nnviz: watch L2 regularization, optimizers and initialization change how a network learns.

The Python API the app, the CLI and the tests use:

    from nnviz import Experiment, DataConfig, RunConfig, run_experiment
    exp = Experiment(DataConfig("moons", samples=300, noise=0.2, test_fraction=0.25),
                     runs=(RunConfig(optimizer="gd", lr=0.1), RunConfig(optimizer="adam")), seed=0)
    histories = run_experiment(exp)          # one History per run, trained in lockstep
    histories[1].train_cost[-1], histories[1].params   # final J; [(W1, b1), (W2, b2), ...]
"""

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.data import DataError, Dataset, from_csv, generate
from nnviz.engine.train import History, load_data, run_experiment, train

__all__ = [
    "DataConfig",
    "DataError",
    "Dataset",
    "Experiment",
    "History",
    "RunConfig",
    "from_csv",
    "generate",
    "load_data",
    "run_experiment",
    "train",
]
