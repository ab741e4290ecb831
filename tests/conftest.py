"""Fixtures shared by test modules."""

import pytest


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
