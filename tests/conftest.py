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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on loopback for this test session (skipped only without initdb)."""
    from tests.helpers import postgres

    programs = postgres.bindir()
    if programs is None:
        pytest.skip("no PostgreSQL initdb: apt-get install postgresql to run these tests")
    server = postgres.start(programs)
    try:
        yield server
    finally:
        postgres.stop(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database: an SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nnviz.sqlite3'}"
    return request.getfixturevalue("postgres_server").fresh_database()
