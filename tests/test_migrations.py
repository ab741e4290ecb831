"""The class database's schema: made at the head revision, migrated from the previous one with
its data kept, and refused when it is not one this nnviz knows (docs/design.md §8). Each test runs
on an SQLite file and on a real PostgreSQL (tests/conftest.py)."""

import time

import pytest
import sqlalchemy as sa
from alembic import command

from nnviz.store import Classes, StoreError, open_store
from nnviz.store.database import (
    alembic_config,
    data_dir,
    database_url,
    make_engine,
    writing,
)
from nnviz.store.schema import metadata

HEAD = "0002"


def revision(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def columns(engine: sa.Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in metadata.tables}


def upgrade_to(url: str, target: str) -> sa.Engine:
    engine = make_engine(url)
    with writing(engine) as connection:
        command.upgrade(alembic_config(connection), target)
    return engine


def test_an_empty_database_is_made_at_the_head(database_url):
    engine = open_store(database_url)
    assert revision(engine) == HEAD
    # the tables the repository queries (schema.py) are the ones the migrations made
    assert columns(engine) == {t: set(table.c.keys()) for t, table in metadata.tables.items()}
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("results")}
    assert "ix_results_class_saved" in indexes


def test_opening_the_head_again_changes_nothing(database_url):
    engine = open_store(database_url)
    code, _ = Classes(engine).create_class("predict", {}, "Q?", ["a", "b"])
    again = open_store(database_url)
    assert revision(again) == HEAD
    assert Classes(again).class_info(code).answers == ("a", "b")


def test_the_previous_schema_is_migrated_with_its_data(database_url):
    old = upgrade_to(database_url, "0001")
    assert revision(old) == "0001"
    assert "expires_at" not in columns(old)["classes"]
    made = time.time()
    with writing(old) as connection:  # a class and a student as revision 0001 stored them
        connection.execute(
            sa.text(
                "INSERT INTO classes (id, code, secret_hash, activity, experiment_json, question,"
                " answers_json, grid_json, created_at, closed, revealed) VALUES (7, 'OLDCDE',"
                " 'x', 'predict', '{}', 'Which?', '[\"a\", \"b\"]', 'null', :t, false, false)"
            ),
            {"t": made},
        )
        connection.execute(
            sa.text(
                "INSERT INTO students (class_id, nickname, token_hash, joined_at, answer)"
                " VALUES (7, 'Ann', 'h', :t, 'b')"
            ),
            {"t": made},
        )
    old.dispose()
    engine = open_store(database_url)
    assert revision(engine) == HEAD
    info = Classes(engine).class_info("OLDCDE")
    assert (info.question, info.answers) == ("Which?", ("a", "b"))
    assert info.expires_at == pytest.approx(made + 24 * 3600)  # 0002's backfill
    board = Classes(engine).board("OLDCDE")
    assert (board.students, board.answered) == (1, 1)
    Classes(engine).join("OLDCDE", "Bo")  # the migrated class takes students


def test_the_head_migrates_down_and_up_again(database_url):
    engine = open_store(database_url)
    with writing(engine) as connection:
        command.downgrade(alembic_config(connection), "0001")
    assert revision(engine) == "0001"
    assert "expires_at" not in columns(engine)["classes"]
    assert revision(open_store(database_url)) == HEAD


def test_an_unknown_revision_is_refused(database_url):
    engine = open_store(database_url)
    with writing(engine) as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(StoreError, match="revision '0099'.*does not know") as refused:
        open_store(database_url)
    assert "\n" not in str(refused.value)
    assert revision(engine) == "0099"  # refused, and left as it was


def test_our_tables_without_alembic_version_are_refused(database_url):
    engine = make_engine(database_url)
    with writing(engine) as connection:
        connection.execute(sa.text("CREATE TABLE classes (id INTEGER PRIMARY KEY)"))
    with pytest.raises(StoreError, match=r"tables \['classes'\] but no alembic_version"):
        open_store(database_url)
    assert not sa.inspect(engine).has_table("alembic_version")


def test_someone_elses_tables_are_left_alone(database_url):
    engine = make_engine(database_url)
    with writing(engine) as connection:
        connection.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    assert revision(open_store(database_url)) == HEAD
    assert sa.inspect(engine).has_table("notes")


def test_an_unreachable_postgresql_is_one_line():
    from tests.helpers.postgres import free_port

    url = f"postgresql+psycopg://nnviz:pw@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(StoreError, match="cannot use the database") as refused:
        open_store(url)
    assert "\n" not in str(refused.value) and "pw" not in str(refused.value)


def test_an_sqlite_file_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot make the database folder"):
        open_store(f"sqlite:///{tmp_path / 'file' / 'sub' / 'nnviz.sqlite3'}")


def test_sqlite_is_wal_with_a_busy_timeout_and_foreign_keys(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'nnviz.sqlite3'}")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "foreign_keys": 1,
        "synchronous": 2,
    }


def test_the_default_is_an_sqlite_file_in_the_data_directory(tmp_path, monkeypatch):
    assert str(data_dir({})).endswith(".local/share/nnviz")
    assert database_url({"NNVIZ_DATA_DIR": "/d"}) == "sqlite:////d/nnviz.sqlite3"
    assert database_url({"NNVIZ_DATABASE_URL": "postgresql://h/db"}) == "postgresql://h/db"
    monkeypatch.setenv("NNVIZ_DATA_DIR", str(tmp_path / "made" / "here"))
    monkeypatch.delenv("NNVIZ_DATABASE_URL", raising=False)
    engine = open_store()  # created on first use
    assert (tmp_path / "made" / "here" / "nnviz.sqlite3").is_file()
    assert revision(engine) == HEAD
