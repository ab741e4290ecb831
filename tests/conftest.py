"""Fixtures shared by test modules."""

import pytest

from nnviz.engine.lessons import LESSONS
from nnviz.engine.train import run_experiment


@pytest.fixture(scope="module")
def lesson_runs():
    """key -> the lesson's histories in run order; each lesson is trained at most once."""
    cache = {}

    def get(key: str):
        if key not in cache:
            cache[key] = run_experiment(LESSONS[key].experiment)
        return cache[key]

    return get


@pytest.fixture(scope="module")  # closed after the module that uses it
def dask_cluster():
    """A small dask.distributed cluster on loopback (skipped if distributed is not installed)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,  # a worker in this process: quick to start; tasks still go over tcp
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster
