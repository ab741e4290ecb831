"""Fixtures shared by test modules."""

import os
from collections.abc import Iterator

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
    """A real PostgreSQL on loopback for this test session (skipped only without initdb,
    and never in CI)."""
    from tests.helpers import postgres

    programs = postgres.bindir()
    if programs is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI: no PostgreSQL initdb; .ci/run installs it (apt-get install postgresql)"
            )
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


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium (Playwright cannot download browsers here); CI must have it."""
    from tests.helpers.browser import find_chromium

    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI: no Chromium executable; .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip("no Chromium executable: apt-get install chromium to run the browser test")
    return path


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator:
    """One headless Chromium for a test module; each test opens its own contexts."""
    from playwright.sync_api import sync_playwright

    from tests.helpers.browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        yield browser
        browser.close()
