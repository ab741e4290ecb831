"""Where the class database is, how to connect, and its schema brought to the head revision.

``NNVIZ_DATABASE_URL`` chooses the database (e.g. ``postgresql+psycopg://user@host/db`` for
several app processes or hosts); without it, an SQLite file ``nnviz.sqlite3`` in the data
directory (``NNVIZ_DATA_DIR``, default ``~/.local/share/nnviz``), created on first use.
"""

import os
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from nnviz.store.schema import metadata

URL_VARIABLE = "NNVIZ_DATABASE_URL"
DATA_DIR_VARIABLE = "NNVIZ_DATA_DIR"
DEFAULT_DATA_DIR = "~/.local/share/nnviz"
SQLITE_FILE = "nnviz.sqlite3"
BUSY_TIMEOUT_MS = 5000  # a writer waits this long for another's transaction before giving up
CONNECT_TIMEOUT_S = 5  # PostgreSQL: an unreachable server is reported, not waited on forever
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 20_2608  # PostgreSQL advisory-lock key: one process migrates at a time


class StoreError(Exception):
    """The database cannot be used: unreachable, or a schema this nnviz does not know."""


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR).expanduser()


def database_url(environ: Mapping[str, str] = os.environ) -> str:
    """``NNVIZ_DATABASE_URL``, else the SQLite file in the data directory."""
    return environ.get(URL_VARIABLE) or f"sqlite:///{data_dir(environ) / SQLITE_FILE}"


def shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def one_line(error: BaseException) -> str:
    """The first line of a driver's message (they run to several)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _on_sqlite(engine: sa.Engine) -> None:
    """WAL (readers never wait for the writer), a busy timeout, foreign keys; and transactions
    that SQLite itself begins, so that a write transaction takes the write lock first
    (BEGIN IMMEDIATE) and never fails halfway on a lock upgrade."""

    @sa.event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver leaves BEGIN to us (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: WAL may wait for a lock
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(connection):
        writing = connection.get_execution_options().get("nnviz_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; for an SQLite file, its folder is made first."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                folder = f"cannot make the database folder for {shown(parsed)}: {error}"
                raise StoreError(folder) from None
        engine = sa.create_engine(parsed)
        _on_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        args = {"connect_timeout": CONNECT_TIMEOUT_S}
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=args)
    return sa.create_engine(parsed)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, in code: the script directory inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def writing(engine: sa.Engine):
    """A connection inside a write transaction, committed on leaving (rolled back on error)."""
    with engine.connect().execution_options(nnviz_write=True) as connection:
        with connection.begin():
            yield connection


def migrate(connection: sa.Connection) -> None:
    """Bring the schema to the head revision, or refuse a schema this code does not know."""
    scripts = ScriptDirectory.from_config(alembic_config())
    current = MigrationContext.configure(connection).get_current_revision()
    known = {script.revision for script in scripts.walk_revisions()}
    if current is None:
        ours = set(sa.inspect(connection).get_table_names()) & set(metadata.tables)
        if ours:
            raise StoreError(
                f"the database has tables {sorted(ours)} but no alembic_version: not a schema "
                "nnviz made; refusing to use it"
            )
    elif current not in known:
        raise StoreError(
            f"the database's schema is at revision {current!r}, which this nnviz does not know "
            f"(its newest is {scripts.get_current_head()!r}): a newer nnviz made it; refusing it"
        )
    if current != scripts.get_current_head():
        command.upgrade(alembic_config(connection), "head")


def open_store(url: str | None = None) -> sa.Engine:
    """An engine on the class database, its schema at the head revision.

    An empty database is created at the head; an older known revision is migrated; anything else
    is refused with a ``StoreError`` of one line, as is a database that cannot be reached.
    """
    engine = make_engine(url or database_url())
    try:
        with writing(engine) as connection:
            if engine.dialect.name == "postgresql":  # held until this transaction ends
                lock = sa.text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": MIGRATION_LOCK})
            migrate(connection)
    except StoreError:
        engine.dispose()
        raise
    except (sa.exc.DBAPIError, OSError) as error:
        engine.dispose()
        message = f"cannot use the database {shown(engine.url)}: {one_line(error)}"
        raise StoreError(message) from None
    return engine
